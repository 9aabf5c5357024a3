/*
 * job.c - the migration Job of a component with `migrate`: named
 * <stack>-<name>-m<hash8> after the image, command and args, so it runs once
 * per release; the component's env, connections and resources; Never
 * restarted in place, retried backoffLimit times, bounded by
 * activeDeadlineSeconds. The operator applies it and waits before it
 * updates the Deployment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "render/render_int.h"

/* A Job named name with a pod template (stolen). New ref. */
json_t *r_job(struct r_ctx *c, const char *name, const char *app, const char *role, int64_t backoff,
              int64_t deadline, json_t *tmpl)
{
    json_t *obj = r_object(c, "batch/v1", "Job", name, r_labels(c, app, role));
    json_t *spec = json_pack("{s:I, s:I, s:o}", "backoffLimit", (json_int_t)backoff,
                             "activeDeadlineSeconds", (json_int_t)deadline, "template", tmpl);

    if (!obj || !spec) {
        json_decref(obj);
        json_decref(spec);
        return NULL;
    }
    json_object_set_new(obj, "spec", spec);
    return obj;
}

/* The app label of a component's migration pods: "<name>.migrate" (no component name has a
 * dot, so it never matches a component's selector). */
void r_migration_app(struct r_ctx *c, const json_t *comp, char out[48])
{
    (void)c;
    snprintf(out, 48, "%s.migrate", rs_str(comp, "name", "app"));
}

/* Migration Job of comp: <stack>-<name>-m<first 8 hex of sha256(Job spec)>. The pod template
 * of a Job is immutable, so any change of it (image, command, env, secrets) is a new Job. */
void r_build_migration(struct r_ctx *c, const json_t *comp)
{
    const json_t *mig = rs_obj(comp, "migrate");
    const char *name = rs_str(comp, "name", "app");
    char app[48], suffix[48], hex[65], *n, *hin;
    json_t *vols = NULL, *ctr, *tmpl, *job;
    struct r_pod p = {.app = app,
                      .role = "migration",
                      .uid = rs_int(comp, "runAsUser", 0),
                      .gid = rs_int(comp, "runAsGroup", 0),
                      .image_user = true,
                      .grace = -1,
                      .restart = "Never"};

    r_migration_app(c, comp, app);
    p.sa = r_name(c, name, 253);
    ctr = r_component_container(c, comp, &vols);
    if (ctr) {
        json_object_set_new(ctr, "name", json_string("migrate"));
        json_object_del(ctr, "livenessProbe");
        json_object_del(ctr, "readinessProbe");
        json_object_del(ctr, "startupProbe");
        json_object_del(ctr, "ports");
        json_object_set(ctr, "command", rs_arr(mig, "command"));
        if (rs_arr(mig, "args"))
            json_object_set(ctr, "args", rs_arr(mig, "args"));
        else
            json_object_del(ctr, "args");
    }
    hin = r_hash_input_for_component(c, comp);
    tmpl = r_pod_template(c, &p, ctr ? json_pack("[o]", ctr) : NULL, vols, hin);
    /* The name comes from the spec, so the Job is built under a temporary name first. */
    job = r_job(c, "pending", app, "migration", rs_int(mig, "backoffLimit", 1),
                rs_int(mig, "timeoutSeconds", 600), tmpl);
    r_digest_json(c, json_object_get(job, "spec"), hex);
    snprintf(suffix, sizeof suffix, "%s-m%.8s", name, hex);
    n = r_name(c, suffix, 63);
    if (job && n)
        json_object_set_new(json_object_get(job, "metadata"), "name", json_string(n));
    r_emit(c, job);
    free(hin);
    free(n);
    free((char *)p.sa);
}
