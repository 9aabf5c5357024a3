/*
 * finalize.c - the appstack.io/data finalizer (docs/api.md, deletionPolicy).
 * Every live AppStack carries it. When the stack is deleted, the data it
 * owns (backup volume claims, generated Secrets: prune.h's as_op_is_data) is
 * deleted under deletionPolicy Delete, or released under Retain (its
 * ownerReferences removed, so garbage collection leaves it and a re-created
 * stack finds its data and matching passwords). Then the finalizer is
 * removed - always, whatever optional APIs the cluster has; everything else
 * goes by garbage collection.
 */
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "kube/ops.h"
#include "prune.h"
#include "reconcile_int.h"

static bool has_finalizer(const json_t *stack)
{
    json_t *f;
    size_t i;

    json_array_foreach(as_json_path(stack, "metadata.finalizers"), i, f)
    {
        if (json_is_string(f) && strcmp(json_string_value(f), AS_OP_FINALIZER) == 0)
            return true;
    }
    return false;
}

/*
 * Sets metadata.finalizers to the current list with ours added or removed,
 * guarded by the resourceVersion read (a concurrent change gives Conflict).
 */
static as_status set_finalizer(struct as_op_pass *p, bool present, struct as_error *err)
{
    const struct as_kube_resource *res =
        as_kube_resource_by_kind("appstack.io/v1alpha1", "AppStack");
    json_t *list = json_array(), *f, *patch;
    size_t i;
    as_status st;

    json_array_foreach(as_json_path(p->stack, "metadata.finalizers"), i, f)
    {
        if (!(json_is_string(f) && strcmp(json_string_value(f), AS_OP_FINALIZER) == 0))
            json_array_append(list, f);
    }
    if (present)
        json_array_append_new(list, json_string(AS_OP_FINALIZER));
    patch = json_pack("{s:{s:o, s:O}}", "metadata", "finalizers", list, "resourceVersion",
                      as_json_path(p->stack, "metadata.resourceVersion"));
    if (patch == NULL)
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    st = as_kube_patch(p->rt->client, res, p->ns, p->name, AS_KUBE_PATCH_MERGE, patch, NULL, NULL,
                       err);
    json_decref(patch);
    return st == AS_E_API_NOT_FOUND ? AS_OK : st; /* gone meanwhile: nothing left to do */
}

as_status as_op_ensure_finalizer(struct as_op_pass *p, bool *changed, struct as_error *err)
{
    as_status st;

    *changed = false;
    if (has_finalizer(p->stack))
        return AS_OK;
    st = set_finalizer(p, true, err);
    if (st == AS_OK)
        *changed = true;
    return st;
}

/* Deletes (Delete) or releases (Retain) one data object. */
static as_status handle_data(struct as_op_pass *p, const json_t *obj, bool delete_data,
                             struct as_error *err)
{
    const struct as_kube_resource *res = as_kube_resource_of(obj);
    const char *name = json_string_value(as_json_path(obj, "metadata.name"));
    const char *uid = json_string_value(as_json_path(obj, "metadata.uid"));
    struct as_kube_delete_options d = {.precondition_uid = uid, .grace_period_seconds = -1};
    json_t *patch;
    as_status st;

    if (res == NULL || name == NULL || uid == NULL)
        return AS_OK;
    if (delete_data) {
        st = as_kube_delete(p->rt->client, res, p->ns, name, &d, NULL, err);
    } else {
        patch = json_pack("[{s:s, s:s, s:s}, {s:s, s:s}]", "op", "test", "path", "/metadata/uid",
                          "value", uid, "op", "remove", "path", "/metadata/ownerReferences");
        st = patch == NULL ? AS_E_NOMEM
                           : as_kube_patch(p->rt->client, res, p->ns, name, AS_KUBE_PATCH_JSON,
                                           patch, NULL, NULL, err);
        json_decref(patch);
    }
    if (st == AS_E_API_NOT_FOUND)
        st = AS_OK;
    if (st == AS_OK)
        as_log_info(delete_data ? "deleted data of a deleted stack"
                                : "kept data of a deleted stack",
                    "stack", p->name, "namespace", p->ns, "kind",
                    json_string_value(json_object_get(obj, "kind")), "name", name, NULL);
    return st;
}

as_status as_op_finalize(struct as_op_pass *p, struct as_error *err)
{
    const char *policy = json_string_value(as_json_path(p->stack, "spec.deletionPolicy"));
    bool delete_data = policy != NULL && strcmp(policy, "Delete") == 0;
    json_t *obj;
    size_t i;
    as_status st = AS_OK;

    if (!has_finalizer(p->stack))
        return AS_OK;
    json_array_foreach(p->children, i, obj)
    {
        if (as_op_is_data(obj) && (st = handle_data(p, obj, delete_data, err)) != AS_OK)
            return st;
    }
    return set_finalizer(p, false, err);
}
