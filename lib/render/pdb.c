/*
 * pdb.c - a PodDisruptionBudget (policy/v1, maxUnavailable 1) for anything
 * that runs two or more replicas (or whose autoscaler's minimum is two or
 * more), so voluntary evictions never take it down at once.
 */
#include <stdlib.h>

#include "render/render_int.h"

/* PDB <stack>-<app> when replicas >= 2; nothing otherwise. */
void r_build_pdb(struct r_ctx *c, const char *app, int64_t replicas)
{
    char *n;
    json_t *obj, *spec;

    if (replicas < 2)
        return;
    n = r_name(c, app, 63);
    obj = r_object(c, "policy/v1", "PodDisruptionBudget", n, r_labels(c, app, "availability"));
    spec = json_pack("{s:i, s:{s:o}}", "maxUnavailable", 1, "selector", "matchLabels",
                     r_selector(c, app));
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
