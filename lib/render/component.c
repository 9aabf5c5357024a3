/*
 * component.c - what every component shares: its main container (image,
 * command, ports, env, resources with the type's defaults, probes, scratch
 * and data mounts), its pod template, its replica count, and the dispatch to
 * the builders of its type (web, worker, cron, stateful).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

/* Default requests/limits by type (docs/api.md "Defaults"). */
static json_t *component_resources(const json_t *comp)
{
    const char *t = rs_str(comp, "type", "web");
    const json_t *r = rs_obj(comp, "resources");

    if (strcmp(t, "worker") == 0)
        return r_resources(r, "100m", "256Mi", "1", "512Mi");
    if (strcmp(t, "cron") == 0)
        return r_resources(r, "50m", "64Mi", "500m", "256Mi");
    if (strcmp(t, "stateful") == 0)
        return r_resources(r, "250m", "256Mi", "1", "1Gi");
    return r_resources(r, "100m", "128Mi", "1", "512Mi");
}

/* One probe: httpGet (path), exec (command) or tcpSocket; NULL on NOMEM. */
static json_t *probe(const json_t *pr, int64_t port, int64_t failure_default)
{
    json_t *p = json_object(), *cmd = rs_arr(pr, "command");

    if (!p)
        return NULL;
    if (rs_has(pr, "path"))
        json_object_set_new(p, "httpGet",
                            json_pack("{s:s, s:I}", "path", rs_str(pr, "path", "/"), "port",
                                      (json_int_t)rs_int(pr, "port", port)));
    else if (cmd)
        json_object_set_new(p, "exec", json_pack("{s:O}", "command", cmd));
    else
        json_object_set_new(p, "tcpSocket",
                            json_pack("{s:I}", "port", (json_int_t)rs_int(pr, "port", port)));
    if (rs_has(pr, "initialDelaySeconds"))
        json_object_set_new(p, "initialDelaySeconds",
                            json_integer(rs_int(pr, "initialDelaySeconds", 0)));
    json_object_set_new(p, "periodSeconds", json_integer(rs_int(pr, "periodSeconds", 10)));
    json_object_set_new(p, "timeoutSeconds", json_integer(rs_int(pr, "timeoutSeconds", 3)));
    json_object_set_new(p, "failureThreshold",
                        json_integer(rs_int(pr, "failureThreshold", failure_default)));
    return p;
}

/* Sets the probes of the container. */
static void set_probes(json_t *ctr, const json_t *comp)
{
    const char *t = rs_str(comp, "type", "web");
    const json_t *probes = rs_obj(comp, "probes");
    int64_t port = rs_int(comp, "port", 0);
    static const char *const which[] = {"liveness", "readiness", "startup"};
    static const char *const key[] = {"livenessProbe", "readinessProbe", "startupProbe"};

    if (strcmp(t, "cron") == 0)
        return;
    if (!probes) {
        if (port > 0 && (strcmp(t, "web") == 0 || strcmp(t, "stateful") == 0)) {
            json_t *empty = json_object();
            json_object_set_new(ctr, "livenessProbe", probe(empty, port, 3));
            json_object_set_new(ctr, "readinessProbe", probe(empty, port, 3));
            json_decref(empty);
        }
        return;
    }
    for (size_t i = 0; i < 3; i++) {
        const json_t *pr = rs_obj(probes, which[i]);
        if (pr)
            json_object_set_new(ctr, key[i], probe(pr, port, i == 2 ? 30 : 3));
    }
}

/* Ports: "http" on port, "metrics" on metrics.port when it differs. */
static json_t *ports(const json_t *comp)
{
    json_t *list = json_array(), *m = rs_obj(comp, "metrics");
    int64_t port = rs_int(comp, "port", 0), mport = rs_int(m, "port", port);

    if (port > 0)
        json_array_append_new(list, json_pack("{s:s, s:I, s:s}", "name", "http", "containerPort",
                                              (json_int_t)port, "protocol", "TCP"));
    if (m && mport > 0 && mport != port)
        json_array_append_new(list, json_pack("{s:s, s:I, s:s}", "name", "metrics", "containerPort",
                                              (json_int_t)mport, "protocol", "TCP"));
    return list;
}

/* The main container of comp; *volumes_out gets the pod volumes it needs (new array). */
json_t *r_component_container(struct r_ctx *c, const json_t *comp, json_t **volumes_out)
{
    const char *name = rs_str(comp, "name", "app");
    json_t *ctr, *mounts = json_array(), *vols = json_array(), *w, *p, *env_from = json_array(), *e;
    size_t i;
    char buf[32], vname[32];

    ctr = json_pack("{s:s, s:s, s:s, s:o, s:o}", "name", name, "image", rs_str(comp, "image", ""),
                    "imagePullPolicy", "IfNotPresent", "resources", component_resources(comp),
                    "env", r_component_env(c, comp));
    if (!ctr || !mounts || !vols || !env_from)
        goto fail;
    if (rs_arr(comp, "command"))
        json_object_set(ctr, "command", rs_arr(comp, "command"));
    if (rs_arr(comp, "args"))
        json_object_set(ctr, "args", rs_arr(comp, "args"));
    p = ports(comp);
    if (p && json_array_size(p) > 0)
        json_object_set_new(ctr, "ports", p);
    else
        json_decref(p);
    json_array_foreach(rs_arr(comp, "envFrom"), i, e)
    {
        const char *s = rs_str(e, "secretRef", "");
        char *child = rs_secret_decl(c, s, true) ? r_name(c, s, 253) : strdup(s);
        json_t *ef = child ? json_pack("{s:{s:s}}", "secretRef", "name", child) : NULL;
        if (ef && rs_has(e, "prefix"))
            json_object_set_new(ef, "prefix", json_string(rs_str(e, "prefix", "")));
        json_array_append_new(env_from, ef);
        free(child);
    }
    if (json_array_size(env_from) > 0)
        json_object_set(ctr, "envFrom", env_from);
    json_array_foreach(rs_arr(comp, "writablePaths"), i, w)
    {
        snprintf(vname, sizeof vname, "scratch-%zu", i);
        json_array_append_new(
            mounts, json_pack("{s:s, s:s}", "name", vname, "mountPath", rs_str(w, "path", "/tmp")));
        json_array_append_new(vols, json_pack("{s:s, s:{s:s}}", "name", vname, "emptyDir",
                                              "sizeLimit", rs_qty(w, "sizeLimit", "256Mi", buf)));
    }
    json_array_foreach(rs_arr(comp, "volumes"), i, w)
    {
        json_array_append_new(mounts, json_pack("{s:s, s:s}", "name", rs_str(w, "name", "data"),
                                                "mountPath", rs_str(w, "mountPath", "/data")));
    }
    json_object_set_new(ctr, "volumeMounts", mounts);
    if (json_array_size(json_object_get(ctr, "env")) == 0)
        json_object_del(ctr, "env");
    set_probes(ctr, comp);
    json_decref(env_from);
    *volumes_out = vols;
    return ctr;
fail:
    json_decref(ctr);
    json_decref(mounts);
    json_decref(vols);
    json_decref(env_from);
    r_fail(c, AS_E_NOMEM);
    return NULL;
}

/* The pod template of comp (with scrape annotations when there is no prometheus-operator). */
json_t *r_component_template(struct r_ctx *c, const json_t *comp)
{
    json_t *vols = NULL, *ctr = r_component_container(c, comp, &vols), *m = rs_obj(comp, "metrics");
    json_t *ann = json_object(), *tmpl;
    const char *name = rs_str(comp, "name", "app"), *type = rs_str(comp, "type", "web");
    char *sa = r_name(c, name, 253), *hin = r_hash_input_for_component(c, comp), port[16];
    struct r_pod p = {.app = name,
                      .role = type,
                      .sa = sa,
                      .uid = rs_int(comp, "runAsUser", 0),
                      .gid = rs_int(comp, "runAsGroup", 0),
                      .image_user = true,
                      .grace = rs_int(comp, "terminationGracePeriodSeconds", -1),
                      .restart = strcmp(type, "cron") == 0 ? "OnFailure" : NULL};

    if (m && c->monitoring && !c->prom_operator && ann) {
        snprintf(port, sizeof port, "%lld", (long long)rs_int(m, "port", rs_int(comp, "port", 0)));
        json_object_set_new(ann, "prometheus.io/scrape", json_string("true"));
        json_object_set_new(ann, "prometheus.io/port", json_string(port));
        json_object_set_new(ann, "prometheus.io/path", json_string(rs_str(m, "path", "/metrics")));
    }
    p.annotations = ann;
    tmpl = r_pod_template(c, &p, ctr ? json_pack("[o]", ctr) : NULL, vols, hin);
    free(sa);
    free(hin);
    return tmpl;
}

/* Replicas: 0 when suspended, -1 when an HPA owns them, else replicas (default 1). */
int64_t r_replicas(const struct r_ctx *c, const json_t *comp)
{
    if (c->suspend)
        return 0;
    if (rs_obj(comp, "autoscaling"))
        return -1;
    return rs_int(comp, "replicas", 1);
}

/* Every object of one component, by type. */
void r_build_component(struct r_ctx *c, const json_t *comp)
{
    const char *t = rs_str(comp, "type", "web"), *name = rs_str(comp, "name", "app");
    const json_t *as = rs_obj(comp, "autoscaling");
    int64_t n = r_replicas(c, comp);

    if (strcmp(t, "cron") == 0) {
        r_build_cronjob(c, comp);
        return;
    }
    if (strcmp(t, "stateful") == 0)
        r_build_statefulset(c, comp);
    else
        r_build_deployment(c, comp);
    r_build_service(c, comp);
    if (as && !c->suspend)
        r_build_hpa(c, comp);
    if (rs_obj(comp, "migrate"))
        r_build_migration(c, comp);
    r_build_pdb(c, name, n < 0 ? rs_int(as, "minReplicas", 1) : n);
}
