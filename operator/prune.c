/*
 * prune.c - the prune set: owned live children minus desired ones, minus
 * data under deletionPolicy Retain, in a stable order.
 */
#include "prune.h"

#include <stdlib.h>
#include <string.h>

#include "kube/object.h"

bool as_op_is_controlled_by(const json_t *obj, const char *uid)
{
    const json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
    const json_t *r;
    size_t i;

    if (!uid)
        return false;
    json_array_foreach(refs, i, r)
    {
        const char *u = json_string_value(json_object_get(r, "uid"));
        if (json_is_true(json_object_get(r, "controller")) && u && strcmp(u, uid) == 0)
            return true;
    }
    return false;
}

bool as_op_is_data(const json_t *obj)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *type = json_string_value(json_object_get(obj, "type"));

    if (!kind)
        return false;
    if (strcmp(kind, "PersistentVolumeClaim") == 0)
        return true;
    return strcmp(kind, "Secret") == 0 && (!type || strcmp(type, "Opaque") == 0);
}

/* Length of the group part of an apiVersion ("apps/v1" -> 4, "v1" -> 0). */
static size_t group_len(const char *api_version)
{
    const char *slash = api_version ? strchr(api_version, '/') : NULL;

    return slash ? (size_t)(slash - api_version) : 0;
}

static bool same_group(const char *a, const char *b)
{
    size_t la = group_len(a), lb = group_len(b);

    return la == lb && (la == 0 || strncmp(a, b, la) == 0);
}

static bool str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Same object? d is desired (namespace defaults to dflt_ns), l is live. */
static bool same_object(const json_t *d, const json_t *l, const char *dflt_ns)
{
    const char *dns = as_kube_obj_namespace(d);

    return str_eq(json_string_value(json_object_get(d, "kind")),
                  json_string_value(json_object_get(l, "kind"))) &&
           same_group(json_string_value(json_object_get(d, "apiVersion")),
                      json_string_value(json_object_get(l, "apiVersion"))) &&
           str_eq(as_kube_obj_name(d), as_kube_obj_name(l)) &&
           str_eq(dns ? dns : dflt_ns, as_kube_obj_namespace(l));
}

static bool wanted(const json_t *list, const json_t *l, const char *dflt_ns)
{
    const json_t *d;
    size_t i;

    json_array_foreach(list, i, d)
    {
        if (same_object(d, l, dflt_ns))
            return true;
    }
    return false;
}

static const char *field(const json_t *ref, const char *k)
{
    const char *s = json_string_value(json_object_get(ref, k));

    return s ? s : "";
}

/* qsort order: kind, namespace, name, apiVersion. */
static int ref_cmp(const void *pa, const void *pb)
{
    const json_t *a = *(const json_t *const *)pa, *b = *(const json_t *const *)pb;
    static const char *const keys[] = {"kind", "namespace", "name", "apiVersion"};
    int c;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if ((c = strcmp(field(a, keys[i]), field(b, keys[i]))) != 0)
            return c;
    return 0;
}

as_status as_op_prune(const json_t *appstack, const json_t *desired, const json_t *keep,
                      const json_t *live, json_t **out, struct as_error *err)
{
    const char *uid = as_kube_obj_uid(appstack), *ns = as_kube_obj_namespace(appstack);
    const char *policy =
        json_string_value(json_object_get(json_object_get(appstack, "spec"), "deletionPolicy"));
    bool delete_data = policy && strcmp(policy, "Delete") == 0;
    json_t *res = NULL, **v = NULL;
    const json_t *l;
    size_t i, n = 0;
    as_status st = AS_OK;

    if (!uid)
        return as_error_set(err, AS_E_INVALID_ARG,
                            "metadata.uid: the AppStack has no uid — prune only stacks read "
                            "from the API server");
    if (!json_is_array(desired) || !json_is_array(live) || (keep && !json_is_array(keep)))
        return as_error_set(err, AS_E_INVALID_ARG,
                            "prune: desired, keep and live must be arrays of objects");
    v = calloc(json_array_size(live) + 1, sizeof(*v));
    if (!v)
        return as_error_set(err, AS_E_NOMEM, "prune: out of memory");
    json_array_foreach(live, i, l)
    {
        const json_t *meta = json_object_get(l, "metadata");
        if (!as_op_is_controlled_by(l, uid) || json_object_get(meta, "deletionTimestamp"))
            continue;
        if (wanted(desired, l, ns) || (keep && wanted(keep, l, ns)))
            continue;
        if (as_op_is_data(l) && !delete_data)
            continue;
        v[n] = json_pack("{s:s, s:s, s:s, s:s, s:s}", "apiVersion", field(l, "apiVersion"), "kind",
                         field(l, "kind"), "namespace", field(meta, "namespace"), "name",
                         field(meta, "name"), "uid", field(meta, "uid"));
        if (!v[n]) {
            st = as_error_set(err, AS_E_NOMEM, "prune: out of memory");
            goto cleanup;
        }
        n++;
    }
    qsort(v, n, sizeof(*v), ref_cmp);
    res = json_array();
    if (!res) {
        st = as_error_set(err, AS_E_NOMEM, "prune: out of memory");
        goto cleanup;
    }
    for (i = 0; i < n; i++) {
        json_array_append_new(res, v[i]);
        v[i] = NULL;
    }
    *out = res;
cleanup:
    for (i = 0; i < n; i++)
        json_decref(v[i]);
    free(v);
    return st;
}
