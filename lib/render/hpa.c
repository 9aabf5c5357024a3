/*
 * hpa.c - the HorizontalPodAutoscaler (autoscaling/v2) of a component with
 * `autoscaling`: CPU utilisation target (default 70 %), memory when asked.
 * The Deployment then has no replicas field, so the HPA owns it.
 */
#include <stdlib.h>

#include "render/render_int.h"

/* HPA <stack>-<name>. */
void r_build_hpa(struct r_ctx *c, const json_t *comp)
{
    const char *name = rs_str(comp, "name", "app"), *type = rs_str(comp, "type", "web");
    const json_t *a = rs_obj(comp, "autoscaling");
    char *n = r_name(c, name, 63);
    json_t *obj =
        r_object(c, "autoscaling/v2", "HorizontalPodAutoscaler", n, r_labels(c, name, type));
    json_t *metrics =
        json_pack("[{s:s, s:{s:s, s:{s:s, s:I}}}]", "type", "Resource", "resource", "name", "cpu",
                  "target", "type", "Utilization", "averageUtilization",
                  (json_int_t)rs_int(a, "targetCPUUtilizationPercentage", 70));
    json_t *spec;

    if (metrics && rs_has(a, "targetMemoryUtilizationPercentage"))
        json_array_append_new(
            metrics,
            json_pack("{s:s, s:{s:s, s:{s:s, s:I}}}", "type", "Resource", "resource", "name",
                      "memory", "target", "type", "Utilization", "averageUtilization",
                      (json_int_t)rs_int(a, "targetMemoryUtilizationPercentage", 80)));
    spec = json_pack("{s:{s:s, s:s, s:s}, s:I, s:I, s:o}", "scaleTargetRef", "apiVersion",
                     "apps/v1", "kind", "Deployment", "name", n ? n : "", "minReplicas",
                     (json_int_t)rs_int(a, "minReplicas", 1), "maxReplicas",
                     (json_int_t)rs_int(a, "maxReplicas", 1), "metrics", metrics);
    if (obj && spec) {
        json_object_set_new(obj, "spec", spec);
        r_emit(c, obj);
    } else {
        json_decref(obj);
        json_decref(spec);
        r_fail(c, AS_E_NOMEM);
    }
    free(n);
}
