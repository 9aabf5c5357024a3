/*
 * deployment.c - the Deployment of a web or worker component: no `replicas`
 * when an HPA owns them, a zero-downtime rolling update, a stable selector.
 */
#include <stdlib.h>

#include "render/render_int.h"

/* Deployment <stack>-<name>. */
void r_build_deployment(struct r_ctx *c, const json_t *comp)
{
    const char *name = rs_str(comp, "name", "app"), *type = rs_str(comp, "type", "web");
    char *n = r_name(c, name, 63);
    json_t *obj = r_object(c, "apps/v1", "Deployment", n, r_labels(c, name, type)), *spec;
    int64_t replicas = r_replicas(c, comp);

    spec = json_pack("{s:{s:o}, s:I, s:{s:s, s:{s:i, s:s}}, s:o}", "selector", "matchLabels",
                     r_selector(c, name), "revisionHistoryLimit", (json_int_t)5, "strategy", "type",
                     "RollingUpdate", "rollingUpdate", "maxUnavailable", 0, "maxSurge", "25%",
                     "template", r_component_template(c, comp));
    if (spec && replicas >= 0)
        json_object_set_new(spec, "replicas", json_integer(replicas));
    if (obj && spec) {
        json_object_set_new(obj, "spec", spec);
        spec = NULL;
    } else {
        json_decref(obj);
        obj = NULL;
    }
    json_decref(spec);
    r_emit(c, obj);
    free(n);
}
