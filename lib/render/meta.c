/*
 * meta.c - names, labels, selectors and object metadata of every child:
 * "<stack>-<suffix>" names kept valid DNS labels (stable hash suffix when too
 * long), the recommended app.kubernetes.io labels plus appstack.io/stack, the
 * controller ownerReference, and the output list.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

/* First failure wins. */
void r_fail(struct r_ctx *c, as_status st)
{
    if (c->st == AS_OK)
        c->st = st;
}

/* "<stack>-<suffix>" truncated to max with a "-<hash8>" suffix. Caller owns; NULL on NOMEM. */
char *r_name(const struct r_ctx *c, const char *suffix, size_t max)
{
    size_t n = strlen(c->name) + (suffix ? strlen(suffix) + 1 : 0) + 1;
    char *full = malloc(n), hex[65];

    if (!full)
        return NULL;
    snprintf(full, n, "%s%s%s", c->name, suffix ? "-" : "", suffix ? suffix : "");
    if (max < 16)
        max = 16;
    if (n - 1 > max) {
        size_t keep = max - 9;
        r_sha256_hex(full, n - 1, hex);
        while (keep > 1 && full[keep - 1] == '-')
            keep--;
        full[keep] = '-';
        memcpy(full + keep + 1, hex, 8);
        full[keep + 9] = '\0';
    }
    return full;
}

/* Recommended labels (new reference). */
json_t *r_labels(const struct r_ctx *c, const char *app, const char *role)
{
    char *inst = r_name(c, app, 63);
    json_t *l = NULL;

    if (!inst)
        return NULL;
    l = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "app.kubernetes.io/name", app,
                  "app.kubernetes.io/instance", inst, "app.kubernetes.io/component", role,
                  "app.kubernetes.io/part-of", c->name, "app.kubernetes.io/managed-by",
                  "appstack-operator", "appstack.io/stack", c->name);
    free(inst);
    return l;
}

/* Minimal stable selector (new reference). */
json_t *r_selector(const struct r_ctx *c, const char *app)
{
    return json_pack("{s:s, s:s}", "app.kubernetes.io/name", app, "appstack.io/stack", c->name);
}

/* A new object with metadata; labels stolen. NULL on NOMEM (labels then released). */
json_t *r_object(const struct r_ctx *c, const char *api_version, const char *kind, const char *name,
                 json_t *labels)
{
    json_t *meta, *obj;

    if (!labels || !name)
        goto fail;
    meta = json_pack("{s:s, s:o}", "name", name, "labels", labels);
    labels = NULL;
    if (!meta)
        goto fail;
    if (c->ns && json_object_set_new(meta, "namespace", json_string(c->ns)) != 0)
        goto fail_meta;
    if (c->uid) {
        json_t *ref = json_pack("[{s:s, s:s, s:s, s:s, s:b, s:b}]", "apiVersion",
                                "appstack.io/v1alpha1", "kind", "AppStack", "name", c->name, "uid",
                                c->uid, "controller", 1, "blockOwnerDeletion", 1);
        if (!ref || json_object_set_new(meta, "ownerReferences", ref) != 0)
            goto fail_meta;
    }
    obj = json_pack("{s:s, s:s, s:o}", "apiVersion", api_version, "kind", kind, "metadata", meta);
    return obj;
fail_meta:
    json_decref(meta);
fail:
    json_decref(labels);
    return NULL;
}

/* Appends obj (stolen). */
void r_emit(struct r_ctx *c, json_t *obj)
{
    if (!obj) {
        r_fail(c, AS_E_NOMEM);
        return;
    }
    if (json_array_append_new(c->out, obj) != 0)
        r_fail(c, AS_E_NOMEM);
}

/* "my-api" -> "MY_API". */
void r_env_name(const char *in, char *out, size_t n)
{
    size_t i = 0;

    for (; in && in[i] && i + 1 < n; i++)
        out[i] = in[i] == '-' ? '_' : (char)toupper((unsigned char)in[i]);
    if (n)
        out[i] = '\0';
}
