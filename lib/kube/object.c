/*
 * object.c - metadata accessors and namespace/name keys for JSON objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/b64.h"
#include "kube/object.h"

/* metadata.<key> as a string or NULL. */
static const char *meta_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), key));
}

const char *as_kube_obj_name(const json_t *obj)
{
    return meta_str(obj, "name");
}

const char *as_kube_obj_namespace(const json_t *obj)
{
    return meta_str(obj, "namespace");
}

const char *as_kube_obj_uid(const json_t *obj)
{
    return meta_str(obj, "uid");
}

const char *as_kube_obj_resource_version(const json_t *obj)
{
    return meta_str(obj, "resourceVersion");
}

/* metadata.<map>[key] as a string or NULL. */
static const char *meta_map_str(const json_t *obj, const char *map, const char *key)
{
    const json_t *m = json_object_get(json_object_get(obj, "metadata"), map);
    return key ? json_string_value(json_object_get(m, key)) : NULL;
}

const char *as_kube_obj_label(const json_t *obj, const char *key)
{
    return meta_map_str(obj, "labels", key);
}

const char *as_kube_obj_annotation(const json_t *obj, const char *key)
{
    return meta_map_str(obj, "annotations", key);
}

as_status as_kube_obj_key(const json_t *obj, char *buf, size_t size)
{
    const char *name = as_kube_obj_name(obj), *ns = as_kube_obj_namespace(obj);
    int n;

    if (!name || !*name)
        return AS_E_MISSING;
    if (ns && *ns)
        n = snprintf(buf, size, "%s/%s", ns, name);
    else
        n = snprintf(buf, size, "%s", name);
    if (n < 0 || (size_t)n >= size)
        return AS_E_LIMIT;
    return AS_OK;
}

/* Copies n bytes of s into dst (NUL-terminated). */
static as_status copy_part(char *dst, size_t size, const char *s, size_t n)
{
    if (n >= size)
        return AS_E_LIMIT;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return AS_OK;
}

as_status as_kube_split_key(const char *key, char *ns, size_t ns_size, char *name, size_t name_size)
{
    const char *slash = strchr(key, '/');
    as_status st;

    if (!slash) {
        if (!*key)
            return AS_E_INVALID_ARG;
        if ((st = copy_part(ns, ns_size, "", 0)) != AS_OK)
            return st;
        return copy_part(name, name_size, key, strlen(key));
    }
    if (strchr(slash + 1, '/') || slash[1] == '\0' || slash == key)
        return AS_E_INVALID_ARG;
    if ((st = copy_part(ns, ns_size, key, (size_t)(slash - key))) != AS_OK)
        return st;
    return copy_part(name, name_size, slash + 1, strlen(slash + 1));
}

as_status as_kube_secret_data(const json_t *secret, const char *key, struct as_buf *out)
{
    const char *v = json_string_value(json_object_get(json_object_get(secret, "data"), key));
    char *raw = NULL;
    size_t n = 0, bad = 0;
    as_status st;

    if (v == NULL || v[0] == '\0')
        return AS_E_MISSING;
    if (out->max > 0 && strlen(v) / 4 * 3 > out->max + 3)
        return AS_E_LIMIT; /* do not decode what cannot fit */
    st = as_kube_b64_decode(v, strlen(v), &raw, &n, &bad);
    if (st == AS_OK)
        st = n > 0 ? as_buf_append(out, raw, n) : AS_E_MISSING;
    if (raw != NULL) {
        as_memwipe(raw, n);
        free(raw);
    }
    return st;
}
