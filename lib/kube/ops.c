/*
 * ops.c - get, list, create, update, delete, patch and server-side apply on
 * top of as_kube_request: path and query building, JSON bodies, namespaces.
 * The watch lives in watch.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "kube/ops.h"
#include "kube/path.h"

#define PATH_MAX_LEN 8192
#define LIST_ALL_PAGE 500

/* Picks the namespace for a single-object call: ns, else obj's metadata.namespace. */
static as_status pick_ns(const struct as_kube_resource *res, const char *ns, const json_t *obj,
                         const char **out, struct as_error *err)
{
    *out = NULL;
    if (!res->namespaced)
        return AS_OK;
    if (!ns && obj)
        ns = json_string_value(as_json_path(obj, "metadata.namespace"));
    if (!ns || !*ns)
        return as_error_set(err, AS_E_INVALID_ARG,
                            "%s: a namespace is required (pass one or set "
                            "metadata.namespace)",
                            res->kind);
    *out = ns;
    return AS_OK;
}

/* metadata.name of obj. */
static as_status obj_name(const struct as_kube_resource *res, const json_t *obj, const char **out,
                          struct as_error *err)
{
    const char *name = json_string_value(as_json_path(obj, "metadata.name"));

    if (!name || !*name)
        return as_error_set(err, AS_E_INVALID_ARG, "%s: metadata.name is required", res->kind);
    *out = name;
    return AS_OK;
}

/* Appends the write query parameters (fieldManager, force, dryRun). */
static as_status write_query(struct as_buf *path, const struct as_kube_write_options *o, bool apply)
{
    as_status st = AS_OK;

    if (!o)
        return AS_OK;
    if (o->field_manager)
        st = as_kube_query_add(path, "fieldManager", o->field_manager);
    if (st == AS_OK && apply && o->force)
        st = as_kube_query_add(path, "force", "true");
    if (st == AS_OK && o->dry_run)
        st = as_kube_query_add(path, "dryRun", "All");
    return st;
}

/* Per-call controls passed down to as_kube_request; zero means the client's defaults. */
struct call_ctl {
    size_t max;                /* response limit */
    const atomic_bool *cancel; /* abort with AS_E_SHUTDOWN when true */
    long timeout_ms;           /* whole-request timeout */
};

/*
 * Sends method path with body (NULL = none) and parses the JSON response into
 * *out when out is set. ctl may be NULL.
 */
static as_status call_json(struct as_kube_client *c, const char *method, const char *path,
                           const json_t *body, const char *content_type, const struct call_ctl *ctl,
                           json_t **out, struct as_error *err)
{
    static const struct call_ctl defaults;
    struct as_kube_request req = {0};
    struct as_kube_response resp;
    char *text = NULL;
    json_t *doc = NULL;
    as_status st;

    as_kube_response_init(&resp);
    if (body && !(text = as_json_dumps(body, JSON_COMPACT)))
        return as_error_set(err, AS_E_NOMEM, "%s %s: cannot serialise the body", method, path);
    req.method = method;
    req.path = path;
    req.body = text;
    req.body_len = text ? strlen(text) : 0;
    req.content_type = content_type;
    if (!ctl)
        ctl = &defaults;
    req.max_response_bytes = ctl->max;
    req.cancel = ctl->cancel;
    req.timeout_ms = ctl->timeout_ms;
    st = as_kube_request(c, &req, &resp, err);
    if (st == AS_OK && out) {
        st = as_json_parse(resp.body.data ? resp.body.data : "", resp.body.len, resp.body.max, &doc,
                           err);
        if (st != AS_OK)
            as_error_prefix(err, "%s %s: response", method, path);
        else
            *out = doc;
    }
    as_kube_response_free(&resp);
    free(text);
    return st;
}

/* Initialises path (always; free it) and builds the path of one object or collection. */
static as_status object_path(const struct as_kube_resource *res, const char *ns, const char *name,
                             const char *sub, struct as_buf *path, struct as_error *err)
{
    as_buf_init(path, PATH_MAX_LEN);
    if (!res)
        return as_error_set(err, AS_E_INVALID_ARG, "resource is required");
    return as_kube_path(res, ns, name, sub, path, err);
}

as_status as_kube_get(struct as_kube_client *c, const struct as_kube_resource *res, const char *ns,
                      const char *name, json_t **out, struct as_error *err)
{
    struct as_buf path;
    as_status st;

    if (res && (st = pick_ns(res, ns, NULL, &ns, err)) != AS_OK)
        return st;
    st = object_path(res, ns, name ? name : "", NULL, &path, err);
    if (st == AS_OK)
        st = call_json(c, "GET", path.data, NULL, NULL, NULL, out, err);
    as_buf_free(&path);
    return st;
}

/* Appends list/watch query parameters shared by both. */
static as_status selector_query(struct as_buf *path, const char *label, const char *field)
{
    as_status st = as_kube_query_add(path, "labelSelector", label && *label ? label : NULL);
    if (st == AS_OK)
        st = as_kube_query_add(path, "fieldSelector", field && *field ? field : NULL);
    return st;
}

as_status as_kube_list(struct as_kube_client *c, const struct as_kube_resource *res, const char *ns,
                       const struct as_kube_list_options *opts, json_t **out, struct as_error *err)
{
    static const struct as_kube_list_options none;
    const struct as_kube_list_options *o = opts ? opts : &none;
    struct call_ctl ctl;
    struct as_buf path;
    char limit[32];
    as_status st = object_path(res, ns, NULL, NULL, &path, err);

    if (st != AS_OK)
        goto done;
    snprintf(limit, sizeof(limit), "%ld", o->limit);
    st = selector_query(&path, o->label_selector, o->field_selector);
    if (st == AS_OK && o->limit > 0)
        st = as_kube_query_add(&path, "limit", limit);
    if (st == AS_OK && o->continue_token && *o->continue_token)
        st = as_kube_query_add(&path, "continue", o->continue_token);
    if (st == AS_OK && o->resource_version)
        st = as_kube_query_add(&path, "resourceVersion", o->resource_version);
    if (st != AS_OK) {
        as_error_set(err, st, "list %s: query too long", res->plural);
        goto done;
    }
    ctl = (struct call_ctl){o->max_response_bytes, o->cancel, o->timeout_ms};
    st = call_json(c, "GET", path.data, NULL, NULL, &ctl, out, err);
done:
    as_buf_free(&path);
    return st;
}

/* Moves the items of page into all (stealing references). */
static as_status take_items(json_t *all, json_t *page, struct as_error *err)
{
    json_t *items = json_object_get(page, "items");

    if (items && !json_is_null(items) && !json_is_array(items))
        return as_error_set(err, AS_E_TYPE, "list: items: expected an array, got %s",
                            as_json_type_name(items));
    if (items && json_array_extend(json_object_get(all, "items"), items) != 0)
        return as_error_set(err, AS_E_NOMEM, "list: out of memory");
    return AS_OK;
}

/* Starts the combined list from the first page: apiVersion, kind, metadata.resourceVersion. */
static json_t *list_shell(const json_t *first)
{
    json_t *all = json_object();
    json_t *meta = json_object();
    const char *rv = json_string_value(as_json_path(first, "metadata.resourceVersion"));

    if (!all || !meta) {
        json_decref(all);
        json_decref(meta);
        return NULL;
    }
    json_object_set(all, "apiVersion", json_object_get(first, "apiVersion"));
    json_object_set(all, "kind", json_object_get(first, "kind"));
    if (rv)
        json_object_set_new(meta, "resourceVersion", json_string(rv));
    json_object_set_new(all, "metadata", meta);
    json_object_set_new(all, "items", json_array());
    return all;
}

as_status as_kube_list_all(struct as_kube_client *c, const struct as_kube_resource *res,
                           const char *ns, const struct as_kube_list_options *opts, json_t **out,
                           struct as_error *err)
{
    struct as_kube_list_options o = {0};
    json_t *all = NULL, *page = NULL;
    char *token = NULL;
    as_status st;

    if (opts)
        o = *opts;
    if (o.limit <= 0)
        o.limit = LIST_ALL_PAGE;
    for (;;) {
        const char *next;
        if (o.cancel && atomic_load(o.cancel)) {
            st = as_error_set(err, AS_E_SHUTDOWN, "list %s: cancelled", res ? res->plural : "");
            goto done;
        }
        if ((st = as_kube_list(c, res, ns, &o, &page, err)) != AS_OK)
            goto done;
        if (!all && !(all = list_shell(page))) {
            st = as_error_set(err, AS_E_NOMEM, "list: out of memory");
            goto done;
        }
        if ((st = take_items(all, page, err)) != AS_OK)
            goto done;
        next = json_string_value(as_json_path(page, "metadata.continue"));
        if (!next || !*next)
            break;
        free(token);
        if (!(token = strdup(next))) {
            st = as_error_set(err, AS_E_NOMEM, "list: out of memory");
            goto done;
        }
        o.continue_token = token;
        o.resource_version = NULL; /* the continue token pins the snapshot */
        json_decref(page);
        page = NULL;
    }
    *out = all;
    all = NULL;
done:
    free(token);
    json_decref(page);
    json_decref(all);
    return st;
}

/* Shared by create/update: method on a collection (POST) or object (PUT) path. */
static as_status write_object(struct as_kube_client *c, const char *method,
                              const struct as_kube_resource *res, const char *ns, const json_t *obj,
                              const struct as_kube_write_options *opts, json_t **out,
                              struct as_error *err)
{
    const char *name = NULL, *sub = opts ? opts->subresource : NULL;
    struct call_ctl ctl = {0};
    struct as_buf path;
    as_status st;

    as_buf_init(&path, PATH_MAX_LEN);
    if (!res || !json_is_object(obj)) {
        st = as_error_set(err, AS_E_INVALID_ARG, "%s: resource and object are required", method);
        goto done;
    }
    if ((st = pick_ns(res, ns, obj, &ns, err)) != AS_OK)
        goto done;
    if (strcmp(method, "PUT") == 0 && (st = obj_name(res, obj, &name, err)) != AS_OK)
        goto done;
    if ((st = object_path(res, ns, name, name ? sub : NULL, &path, err)) != AS_OK)
        goto done;
    if (write_query(&path, opts, false) != AS_OK) {
        st = as_error_set(err, AS_E_LIMIT, "%s: query too long", method);
        goto done;
    }
    ctl.timeout_ms = opts ? opts->timeout_ms : 0;
    st = call_json(c, method, path.data, obj, "application/json", &ctl, out, err);
done:
    as_buf_free(&path);
    return st;
}

as_status as_kube_create(struct as_kube_client *c, const struct as_kube_resource *res,
                         const char *ns, const json_t *obj,
                         const struct as_kube_write_options *opts, json_t **out,
                         struct as_error *err)
{
    return write_object(c, "POST", res, ns, obj, opts, out, err);
}

as_status as_kube_update(struct as_kube_client *c, const struct as_kube_resource *res,
                         const char *ns, const json_t *obj,
                         const struct as_kube_write_options *opts, json_t **out,
                         struct as_error *err)
{
    return write_object(c, "PUT", res, ns, obj, opts, out, err);
}

as_status as_kube_update_status(struct as_kube_client *c, const struct as_kube_resource *res,
                                const char *ns, const json_t *obj,
                                const struct as_kube_write_options *opts, json_t **out,
                                struct as_error *err)
{
    struct as_kube_write_options o = {0};

    if (opts)
        o = *opts;
    o.subresource = "status";
    return write_object(c, "PUT", res, ns, obj, &o, out, err);
}

/* Builds the DeleteOptions body. New reference; NULL when out of memory. */
static json_t *delete_body(const struct as_kube_delete_options *o)
{
    json_t *b = json_pack("{s:s,s:s}", "apiVersion", "v1", "kind", "DeleteOptions");
    json_t *pre = json_object();

    if (!b || !pre) {
        json_decref(b);
        json_decref(pre);
        return NULL;
    }
    if (o->propagation_policy)
        json_object_set_new(b, "propagationPolicy", json_string(o->propagation_policy));
    if (o->precondition_uid)
        json_object_set_new(pre, "uid", json_string(o->precondition_uid));
    if (o->precondition_resource_version)
        json_object_set_new(pre, "resourceVersion", json_string(o->precondition_resource_version));
    if (json_object_size(pre) > 0)
        json_object_set(b, "preconditions", pre);
    json_decref(pre);
    if (o->grace_period_seconds >= 0)
        json_object_set_new(b, "gracePeriodSeconds", json_integer(o->grace_period_seconds));
    if (o->dry_run)
        json_object_set_new(b, "dryRun", json_pack("[s]", "All"));
    return b;
}

as_status as_kube_delete(struct as_kube_client *c, const struct as_kube_resource *res,
                         const char *ns, const char *name,
                         const struct as_kube_delete_options *opts, json_t **out,
                         struct as_error *err)
{
    static const struct as_kube_delete_options none = {.grace_period_seconds = -1};
    struct call_ctl ctl = {0};
    struct as_buf path;
    json_t *body = NULL;
    as_status st;

    as_buf_init(&path, PATH_MAX_LEN);
    if (res && (st = pick_ns(res, ns, NULL, &ns, err)) != AS_OK)
        goto done;
    if ((st = object_path(res, ns, name ? name : "", NULL, &path, err)) != AS_OK)
        goto done;
    /* dryRun goes both in DeleteOptions and the query, which every server version reads. */
    if (opts && opts->dry_run && as_kube_query_add(&path, "dryRun", "All") != AS_OK) {
        st = as_error_set(err, AS_E_LIMIT, "delete: path too long");
        goto done;
    }
    if (!(body = delete_body(opts ? opts : &none))) {
        st = as_error_set(err, AS_E_NOMEM, "delete: out of memory");
        goto done;
    }
    ctl.timeout_ms = opts ? opts->timeout_ms : 0;
    st = call_json(c, "DELETE", path.data, body, "application/json", &ctl, out, err);
done:
    json_decref(body);
    as_buf_free(&path);
    return st;
}

static const char *const patch_types[] = {
    [AS_KUBE_PATCH_MERGE] = "application/merge-patch+json",
    [AS_KUBE_PATCH_JSON] = "application/json-patch+json",
    [AS_KUBE_PATCH_APPLY] = "application/apply-patch+yaml",
};

as_status as_kube_patch(struct as_kube_client *c, const struct as_kube_resource *res,
                        const char *ns, const char *name, enum as_kube_patch_type type,
                        const json_t *patch, const struct as_kube_write_options *opts, json_t **out,
                        struct as_error *err)
{
    struct call_ctl ctl = {0};
    struct as_buf path;
    as_status st;

    as_buf_init(&path, PATH_MAX_LEN);
    if ((unsigned)type > AS_KUBE_PATCH_APPLY || !patch) {
        st = as_error_set(err, AS_E_INVALID_ARG, "patch: a valid type and a patch are required");
        goto done;
    }
    if (type == AS_KUBE_PATCH_JSON ? !json_is_array(patch) : !json_is_object(patch)) {
        st = as_error_set(err, AS_E_INVALID_ARG, "patch: a %s patch must be %s", patch_types[type],
                          type == AS_KUBE_PATCH_JSON ? "an array" : "an object");
        goto done;
    }
    if (type == AS_KUBE_PATCH_APPLY && (!opts || !opts->field_manager || !*opts->field_manager)) {
        st = as_error_set(err, AS_E_INVALID_ARG, "apply: field_manager is required");
        goto done;
    }
    if (res && (st = pick_ns(res, ns, NULL, &ns, err)) != AS_OK)
        goto done;
    if ((st = object_path(res, ns, name ? name : "", opts ? opts->subresource : NULL, &path,
                          err)) != AS_OK)
        goto done;
    if (write_query(&path, opts, type == AS_KUBE_PATCH_APPLY) != AS_OK) {
        st = as_error_set(err, AS_E_LIMIT, "patch: query too long");
        goto done;
    }
    ctl.timeout_ms = opts ? opts->timeout_ms : 0;
    st = call_json(c, "PATCH", path.data, patch, patch_types[type], &ctl, out, err);
done:
    as_buf_free(&path);
    return st;
}

as_status as_kube_apply(struct as_kube_client *c, const struct as_kube_resource *res,
                        const char *ns, const json_t *obj, const struct as_kube_write_options *opts,
                        json_t **out, struct as_error *err)
{
    const char *name = NULL;
    as_status st;

    if (!res || !json_is_object(obj))
        return as_error_set(err, AS_E_INVALID_ARG, "apply: resource and object are required");
    if ((st = obj_name(res, obj, &name, err)) != AS_OK ||
        (st = pick_ns(res, ns, obj, &ns, err)) != AS_OK)
        return st;
    return as_kube_patch(c, res, ns, name, AS_KUBE_PATCH_APPLY, obj, opts, out, err);
}

as_status as_kube_apply_status(struct as_kube_client *c, const struct as_kube_resource *res,
                               const char *ns, const json_t *obj,
                               const struct as_kube_write_options *opts, json_t **out,
                               struct as_error *err)
{
    struct as_kube_write_options o = {0};

    if (opts)
        o = *opts;
    o.subresource = "status";
    return as_kube_apply(c, res, ns, obj, &o, out, err);
}
