/*
 * statefulset.c - the StatefulSet of a stateful component: a headless
 * Service as its serviceName, one PersistentVolumeClaim per `volumes[]`
 * entry per replica (volumeClaimTemplates), claims retained or deleted with
 * the stack by deletionPolicy. Also the shared volume-claim-template helper
 * used by postgres.c and redis.c.
 */
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

/* A volumeClaimTemplate {metadata{name, labels}, spec}. New ref. */
json_t *r_claim_template(const struct r_ctx *c, const char *app, const char *role,
                         const char *vname, const char *size, const char *storage_class)
{
    json_t *t = json_pack("{s:{s:s, s:o}, s:{s:[s], s:{s:{s:s}}}}", "metadata", "name", vname,
                          "labels", r_labels(c, app, role), "spec", "accessModes", "ReadWriteOnce",
                          "resources", "requests", "storage", size);

    if (t && storage_class)
        json_object_set_new(json_object_get(t, "spec"), "storageClassName",
                            json_string(storage_class));
    return t;
}

/* A StatefulSet from a template and claim templates (both stolen). New ref. */
json_t *r_statefulset(struct r_ctx *c, const char *app, const char *role, int64_t replicas,
                      json_t *tmpl, json_t *claims)
{
    char *n = r_name(c, app, 63);
    const char *policy =
        strcmp(rs_str(c->spec, "deletionPolicy", "Retain"), "Delete") == 0 ? "Delete" : "Retain";
    json_t *obj = r_object(c, "apps/v1", "StatefulSet", n, r_labels(c, app, role));
    json_t *spec = json_pack(
        "{s:s, s:I, s:{s:o}, s:I, s:o, s:o, s:{s:s, s:s}}", "serviceName", n ? n : "", "replicas",
        (json_int_t)replicas, "selector", "matchLabels", r_selector(c, app), "revisionHistoryLimit",
        (json_int_t)5, "template", tmpl, "volumeClaimTemplates", claims,
        "persistentVolumeClaimRetentionPolicy", "whenDeleted", policy, "whenScaled", "Retain");

    free(n);
    if (!obj || !spec) {
        json_decref(obj);
        json_decref(spec);
        return NULL;
    }
    json_object_set_new(obj, "spec", spec);
    return obj;
}

/* StatefulSet <stack>-<name> of a stateful component. */
void r_build_statefulset(struct r_ctx *c, const json_t *comp)
{
    const char *name = rs_str(comp, "name", "app");
    json_t *claims = json_array(), *v;
    size_t i;
    char buf[32];

    json_array_foreach(rs_arr(comp, "volumes"), i, v)
    {
        json_array_append_new(claims,
                              r_claim_template(c, name, "stateful", rs_str(v, "name", "data"),
                                               rs_qty(v, "size", "1Gi", buf),
                                               rs_str(v, "storageClassName", NULL)));
    }
    r_emit(c, r_statefulset(c, name, "stateful", r_replicas(c, comp) < 0 ? 1 : r_replicas(c, comp),
                            r_component_template(c, comp), claims));
}
