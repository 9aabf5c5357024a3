/*
 * pod.c - the hardened pod template every workload uses.
 *
 * restricted (Pod Security Standards "restricted", exactly): runAsNonRoot with
 * a non-zero runAsUser (10001 unless the component or the image needs its own
 * uid), seccompProfile RuntimeDefault, every capability dropped, no privilege
 * escalation, read-only root filesystem with an emptyDir at /tmp; baseline
 * keeps seccomp, drop ALL and no escalation but allows the image's user, a
 * writable root filesystem and CHOWN, DAC_OVERRIDE, FOWNER, SETGID, SETUID,
 * NET_BIND_SERVICE. Always: no service account token, no service links,
 * requests and limits, and the appstack.io/config-hash annotation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "render/render_int.h"

/* The uid of a pod: explicit, else the profile default (0 = image's user under baseline). */
static int64_t pod_uid(const struct r_ctx *c, const struct r_pod *p)
{
    if (p->uid > 0)
        return p->uid;
    if (!c->restricted && p->image_user)
        return 0;
    return c->restricted ? R_UID_DEFAULT : 0;
}

/* Sets the container's securityContext to the profile. */
void r_harden_container(const struct r_ctx *c, json_t *ctr, const struct r_pod *p)
{
    json_t *sc;

    (void)p;
    if (c->restricted)
        sc = json_pack("{s:b, s:{s:[s]}, s:b, s:b, s:{s:s}}", "allowPrivilegeEscalation", 0,
                       "capabilities", "drop", "ALL", "readOnlyRootFilesystem", 1, "runAsNonRoot",
                       1, "seccompProfile", "type", "RuntimeDefault");
    else
        sc = json_pack("{s:b, s:{s:[s], s:[s,s,s,s,s,s]}, s:b, s:{s:s}}",
                       "allowPrivilegeEscalation", 0, "capabilities", "drop", "ALL", "add", "CHOWN",
                       "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID", "NET_BIND_SERVICE",
                       "readOnlyRootFilesystem", 0, "seccompProfile", "type", "RuntimeDefault");
    if (sc)
        json_object_set_new(ctr, "securityContext", sc);
}

/* {requests, limits} from the spec's resources, each field defaulting separately. */
json_t *r_resources(const json_t *spec_res, const char *rcpu, const char *rmem, const char *lcpu,
                    const char *lmem)
{
    char b1[32], b2[32], b3[32], b4[32];
    const json_t *req = rs_obj(spec_res, "requests"), *lim = rs_obj(spec_res, "limits");

    return json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "requests", "cpu",
                     rs_qty(req, "cpu", rcpu, b1), "memory", rs_qty(req, "memory", rmem, b2),
                     "limits", "cpu", rs_qty(lim, "cpu", lcpu, b3), "memory",
                     rs_qty(lim, "memory", lmem, b4));
}

/* Adds the /tmp mount (when the container has none there) and hardens it. */
static void prepare_container(const struct r_ctx *c, json_t *ctr, const struct r_pod *p)
{
    json_t *mounts = json_object_get(ctr, "volumeMounts"), *m;
    size_t i;
    bool has_tmp = false;

    if (!json_is_array(mounts)) {
        mounts = json_array();
        json_object_set_new(ctr, "volumeMounts", mounts);
    }
    json_array_foreach(mounts, i, m)
    {
        if (strcmp(rs_str(m, "mountPath", ""), "/tmp") == 0)
            has_tmp = true;
    }
    if (!has_tmp && mounts)
        json_array_append_new(mounts, json_pack("{s:s, s:s}", "name", "tmp", "mountPath", "/tmp"));
    if (json_array_size(mounts) == 0)
        json_object_del(ctr, "volumeMounts");
    r_harden_container(c, ctr, p);
}

/* The pod-level securityContext. */
static json_t *pod_security(const struct r_ctx *c, const struct r_pod *p)
{
    int64_t uid = pod_uid(c, p), gid = p->gid > 0 ? p->gid : uid;
    json_t *sc = json_pack("{s:{s:s}}", "seccompProfile", "type", "RuntimeDefault");

    if (!sc)
        return NULL;
    if (c->restricted)
        json_object_set_new(sc, "runAsNonRoot", json_true());
    if (uid > 0) {
        json_object_set_new(sc, "runAsUser", json_integer(uid));
        json_object_set_new(sc, "runAsGroup", json_integer(gid));
        json_object_set_new(sc, "fsGroup", json_integer(gid));
    }
    return sc;
}

/* A pod template from containers and volumes (both stolen). New ref; NULL on NOMEM. */
json_t *r_pod_template(struct r_ctx *c, const struct r_pod *p, json_t *containers, json_t *volumes,
                       const char *hash_input)
{
    json_t *spec = NULL, *tmpl = NULL, *ctr, *ann = p->annotations, *pull;
    size_t i;
    char hex[65];

    if (!containers || !volumes)
        goto done;
    json_array_foreach(containers, i, ctr)
    {
        prepare_container(c, ctr, p);
    }
    if (json_array_append_new(volumes, json_pack("{s:s, s:{s:s}}", "name", "tmp", "emptyDir",
                                                 "sizeLimit", "256Mi")) != 0)
        goto done;
    spec = json_pack("{s:b, s:b, s:o, s:o, s:o}", "automountServiceAccountToken", 0,
                     "enableServiceLinks", 0, "securityContext", pod_security(c, p), "containers",
                     containers, "volumes", volumes);
    containers = volumes = NULL;
    if (!spec)
        goto done;
    if (p->sa)
        json_object_set_new(spec, "serviceAccountName", json_string(p->sa));
    json_object_set_new(spec, "terminationGracePeriodSeconds",
                        json_integer(p->grace >= 0 ? p->grace : 30));
    if (p->restart)
        json_object_set_new(spec, "restartPolicy", json_string(p->restart));
    pull = rs_arr(c->spec, "imagePullSecrets");
    if (pull && json_array_size(pull) > 0) {
        json_t *list = json_array(), *s;
        json_array_foreach(pull, i, s)
        {
            if (json_is_string(s))
                json_array_append_new(list, json_pack("{s:O}", "name", s));
        }
        json_object_set_new(spec, "imagePullSecrets", list);
    }
    if (!ann)
        ann = json_object();
    r_sha256_hex(hash_input ? hash_input : "", hash_input ? strlen(hash_input) : 0, hex);
    if (ann)
        json_object_set_new(ann, "appstack.io/config-hash", json_string(hex));
    tmpl = json_pack("{s:{s:o, s:o}, s:o}", "metadata", "labels", r_labels(c, p->app, p->role),
                     "annotations", ann, "spec", spec);
    ann = spec = NULL;
done:
    json_decref(containers);
    json_decref(volumes);
    json_decref(spec);
    json_decref(ann);
    if (!tmpl)
        r_fail(c, AS_E_NOMEM);
    return tmpl;
}

/* sha256 of the canonical data of the Secret or ConfigMap child_name in ctx->out, else "absent". */
void r_secret_digest(struct r_ctx *c, const char *child_name, char out[65])
{
    json_t *o;
    size_t i;

    json_array_foreach(c->out, i, o)
    {
        const char *kind = rs_str(o, "kind", "");
        if ((strcmp(kind, "Secret") == 0 || strcmp(kind, "ConfigMap") == 0) &&
            strcmp(rs_str(rs_obj(o, "metadata"), "name", ""), child_name) == 0) {
            char *d = as_json_dump_canonical(rs_obj(o, "data"));
            if (!d) {
                r_fail(c, AS_E_NOMEM);
                break;
            }
            r_sha256_hex(d, strlen(d), out);
            free(d);
            return;
        }
    }
    snprintf(out, 65, "absent");
}

/* Adds "kind/name" -> digest of a declared secret (generated child or existing by facts). */
static void add_secret(struct r_ctx *c, json_t *acc, const char *decl)
{
    char hex[65], key[160];

    if (rs_secret_decl(c, decl, true)) {
        char *child = r_name(c, decl, 253);
        if (!child) {
            r_fail(c, AS_E_NOMEM);
            return;
        }
        r_secret_digest(c, child, hex);
        snprintf(key, sizeof key, "secret/%s", child);
        free(child);
    } else {
        const char *h = rs_str(c->facts->ref_hashes, decl, "absent");
        snprintf(hex, sizeof hex, "%s", h);
        snprintf(key, sizeof key, "secret/%s", decl);
    }
    json_object_set_new(acc, key, json_string(hex));
}

/* The hash input of a component's pod: canonical {"secret/<name>": digest}. Caller owns. */
char *r_hash_input_for_component(struct r_ctx *c, const json_t *comp)
{
    json_t *acc = json_object(), *e;
    size_t i;
    char hex[65], *out;

    if (!acc)
        return NULL;
    json_array_foreach(rs_arr(comp, "env"), i, e)
    {
        const char *n = rs_str(rs_obj(e, "secretKeyRef"), "name", NULL);
        if (n)
            add_secret(c, acc, n);
    }
    json_array_foreach(rs_arr(comp, "envFrom"), i, e)
    {
        const char *n = rs_str(e, "secretRef", NULL);
        if (n)
            add_secret(c, acc, n);
    }
    json_array_foreach(rs_arr(comp, "connections"), i, e)
    {
        const char *n = rs_str(e, "name", "");
        if (strcmp(n, "postgres") == 0 || strcmp(n, "redis") == 0) {
            char key[160], *child = r_name(c, n, 253);
            if (!child)
                continue;
            r_secret_digest(c, child, hex);
            snprintf(key, sizeof key, "secret/%s", child);
            json_object_set_new(acc, key, json_string(hex));
            free(child);
        }
    }
    out = as_json_dump_canonical(acc);
    json_decref(acc);
    return out;
}
