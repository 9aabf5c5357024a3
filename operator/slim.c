/*
 * slim.c - what the cache keeps of a child once compared (see slim.h).
 */
#include "slim.h"

#include "base/json.h"
#include "diff.h"

/* Sets key of dst to src's value at path, when it has one; -1 when out of memory. */
static int keep_path(json_t *dst, const char *key, const json_t *src, const char *path)
{
    json_t *v = as_json_path(src, path);

    return v ? json_object_set(dst, key, v) : 0;
}

/* The workload fields status_workloads.c reads, added to keep; -1 when out of memory. */
static int keep_workload(json_t *keep, const json_t *live)
{
    json_t *spec = json_object(), *ctrs = json_array(), *c;
    size_t i;
    int rc = spec && ctrs ? 0 : -1;

    json_array_foreach(as_json_path(live, "spec.template.spec.containers"), i, c)
    {
        if (rc == 0)
            rc = json_array_append_new(ctrs,
                                       json_pack("{s:O*, s:O*}", "name", json_object_get(c, "name"),
                                                 "image", json_object_get(c, "image")));
    }
    if (rc == 0)
        rc =
            keep_path(json_object_get(keep, "metadata"), "generation", live, "metadata.generation");
    if (rc == 0)
        rc = keep_path(spec, "replicas", live, "spec.replicas");
    if (rc == 0)
        rc = json_object_set_new(spec, "template",
                                 json_pack("{s:{s:O}}", "spec", "containers", ctrs));
    if (rc == 0)
        rc = json_object_set(keep, "spec", spec);
    if (rc == 0)
        rc = keep_path(keep, "status", live, "status");
    json_decref(spec);
    json_decref(ctrs);
    return rc;
}

json_t *as_op_slim_keep(enum as_op_slim how, const json_t *live, const char *applied_hash)
{
    json_t *keep;

    if (how == AS_OP_SLIM_NONE || !applied_hash)
        return NULL;
    keep = json_pack("{s:{s:{s:s}}}", "metadata", "annotations", AS_OP_APPLIED_HASH_ANNOTATION,
                     applied_hash);
    if (keep && how == AS_OP_SLIM_WORKLOAD && keep_workload(keep, live) != 0) {
        json_decref(keep);
        keep = NULL;
    }
    return keep;
}
