/*
 * ops.h - typed operations on API objects: get, list, watch, create, update,
 * delete, server-side apply, merge and JSON patch, and the status subresource.
 *
 * Conventions for every function here:
 * - res comes from resource.h or discovery.h; ns is the namespace (ignored for
 *   cluster-scoped kinds; NULL in list/watch means all namespaces; NULL in
 *   single-object calls means metadata.namespace of obj, else an error).
 * - Objects passed in are borrowed and never modified. Objects returned in
 *   *out are new references the caller owns (json_decref); *out is set only on
 *   success; out may be NULL when the caller does not need the result.
 * - Failures return AS_E_API_* decoded from the server's Status (see
 *   api_error.h; details of the last one via as_kube_last_api_error) or a
 *   transport status (client.h), with err saying which request failed.
 */
#ifndef AS_KUBE_OPS_H
#define AS_KUBE_OPS_H

#include <stdatomic.h>
#include <stdbool.h>

#include <jansson.h>

#include "base/status.h"
#include "kube/client.h"
#include "kube/resource.h"

/* GET one object. AS_E_API_NOT_FOUND when it does not exist. */
as_status as_kube_get(struct as_kube_client *c, const struct as_kube_resource *res, const char *ns,
                      const char *name, json_t **out, struct as_error *err);

struct as_kube_list_options {
    const char *label_selector;   /* "app=web,tier!=db", or NULL */
    const char *field_selector;   /* "metadata.name=x", or NULL */
    long limit;                   /* page size; 0 = no limit (server decides) */
    const char *continue_token;   /* from the previous page's metadata.continue, or NULL */
    const char *resource_version; /* NULL = most recent (quorum read) */
    size_t max_response_bytes;    /* 0 = the client's limit */
    const atomic_bool *cancel;    /* when set and true: AS_E_SHUTDOWN, also between pages */
    long timeout_ms;              /* per page; 0 = the client's request_timeout_ms */
};

/*
 * Lists one page. *out is the List object as sent (items, metadata.continue,
 * metadata.resourceVersion). An expired continue token is AS_E_API_GONE.
 */
as_status as_kube_list(struct as_kube_client *c, const struct as_kube_resource *res, const char *ns,
                       const struct as_kube_list_options *opts, json_t **out, struct as_error *err);

/*
 * Lists every page (opts->limit per page, 500 when 0) and returns one List
 * object with all items, the apiVersion/kind of the first page and
 * metadata.resourceVersion of the snapshot (no continue). AS_E_API_GONE when
 * the snapshot expired between pages (relist). opts may be NULL.
 */
as_status as_kube_list_all(struct as_kube_client *c, const struct as_kube_resource *res,
                           const char *ns, const struct as_kube_list_options *opts, json_t **out,
                           struct as_error *err);

enum as_kube_watch_type {
    AS_KUBE_WATCH_ADDED,
    AS_KUBE_WATCH_MODIFIED,
    AS_KUBE_WATCH_DELETED,
    AS_KUBE_WATCH_BOOKMARK,
    AS_KUBE_WATCH_ERROR
};

/* "ADDED", "MODIFIED", ... Borrowed. */
const char *as_kube_watch_type_name(enum as_kube_watch_type t);

/*
 * Receives one watch event. object is borrowed for the call (json_incref to
 * keep it). Return AS_OK to go on; any other status stops the watch and
 * as_kube_watch returns it (use AS_E_SHUTDOWN for "stop, nothing wrong").
 * ERROR events never reach the callback; they end the watch (see below).
 */
typedef as_status (*as_kube_watch_fn)(enum as_kube_watch_type type, json_t *object, void *ctx);

#define AS_KUBE_WATCH_MAX_LINE (16u * 1024u * 1024u)

struct as_kube_watch_options {
    const char *resource_version; /* resume after this version; NULL or "" = from now */
    const char *label_selector;   /* or NULL */
    const char *field_selector;   /* or NULL */
    long timeout_seconds;         /* server-side timeoutSeconds; 0 = server default */
    bool no_bookmarks;            /* bookmarks are requested unless this is set */
    size_t max_line;              /* largest event; 0 = AS_KUBE_WATCH_MAX_LINE */
    const atomic_bool *cancel;    /* set to true from another thread to stop; or NULL */
};

/*
 * Opens a watch and delivers events to fn until the server ends the stream
 * (returns AS_OK: resume from the last resourceVersion seen), the callback
 * returns non-AS_OK (that status is returned), cancel becomes true or the
 * client shuts down (AS_E_SHUTDOWN), or an error occurs:
 *   ERROR event -> its decoded status (410 Expired/Gone -> AS_E_API_GONE:
 *                  relist), with details in as_kube_last_api_error;
 *   line over max_line -> AS_E_LIMIT; undecodable line -> AS_E_PARSE;
 *   connection dropped or idle -> AS_E_NETWORK / AS_E_TIMEOUT.
 * Non-2xx on open -> the decoded AS_E_API_*. opts may be NULL.
 */
as_status as_kube_watch(struct as_kube_client *c, const struct as_kube_resource *res,
                        const char *ns, const struct as_kube_watch_options *opts,
                        as_kube_watch_fn fn, void *ctx, struct as_error *err);

struct as_kube_write_options {
    const char *field_manager; /* fieldManager; required for apply */
    bool dry_run;              /* dryRun=All */
    bool force;                /* apply only: take over conflicting fields */
    const char *subresource;   /* NULL or "status" (update, patch, apply) */
    long timeout_ms;           /* whole request; 0 = the client's request_timeout_ms */
};

/* POST obj. AS_E_API_ALREADY_EXISTS when the name is taken. opts may be NULL. */
as_status as_kube_create(struct as_kube_client *c, const struct as_kube_resource *res,
                         const char *ns, const json_t *obj,
                         const struct as_kube_write_options *opts, json_t **out,
                         struct as_error *err);

/*
 * PUT obj (name from metadata.name). When obj carries metadata.resourceVersion
 * the server checks it: AS_E_API_CONFLICT when stale. opts may be NULL.
 */
as_status as_kube_update(struct as_kube_client *c, const struct as_kube_resource *res,
                         const char *ns, const json_t *obj,
                         const struct as_kube_write_options *opts, json_t **out,
                         struct as_error *err);

/* PUT obj to /status: only status changes. Same as update with subresource "status". */
as_status as_kube_update_status(struct as_kube_client *c, const struct as_kube_resource *res,
                                const char *ns, const json_t *obj,
                                const struct as_kube_write_options *opts, json_t **out,
                                struct as_error *err);

struct as_kube_delete_options {
    const char *propagation_policy;            /* "Background", "Foreground", "Orphan", or NULL */
    const char *precondition_uid;              /* delete only this incarnation, or NULL */
    const char *precondition_resource_version; /* delete only this version, or NULL */
    long grace_period_seconds;                 /* < 0 = server default */
    bool dry_run;
    long timeout_ms; /* whole request; 0 = the client's request_timeout_ms */
};

/*
 * DELETE one object. *out (when out is set) is what the server returned: the
 * object (still present while finalizers run) or a Status. AS_E_API_NOT_FOUND
 * when absent; AS_E_API_CONFLICT when a precondition fails. opts may be NULL.
 */
as_status as_kube_delete(struct as_kube_client *c, const struct as_kube_resource *res,
                         const char *ns, const char *name,
                         const struct as_kube_delete_options *opts, json_t **out,
                         struct as_error *err);

enum as_kube_patch_type {
    AS_KUBE_PATCH_MERGE, /* application/merge-patch+json (RFC 7386) */
    AS_KUBE_PATCH_JSON,  /* application/json-patch+json (RFC 6902); patch is an array */
    AS_KUBE_PATCH_APPLY  /* application/apply-patch+yaml with a JSON body (server-side apply) */
};

/* PATCH name with patch (borrowed). opts may be NULL except for APPLY (field_manager). */
as_status as_kube_patch(struct as_kube_client *c, const struct as_kube_resource *res,
                        const char *ns, const char *name, enum as_kube_patch_type type,
                        const json_t *patch, const struct as_kube_write_options *opts, json_t **out,
                        struct as_error *err);

/*
 * Server-side apply of obj (name and namespace from obj when not given):
 * PATCH application/apply-patch+yaml?fieldManager=M[&force=true].
 * AS_E_API_CONFLICT when another manager owns a field and force is false
 * (the causes name the fields). opts->field_manager is required.
 */
as_status as_kube_apply(struct as_kube_client *c, const struct as_kube_resource *res,
                        const char *ns, const json_t *obj, const struct as_kube_write_options *opts,
                        json_t **out, struct as_error *err);

/* Server-side apply to the status subresource (opts->subresource is ignored). */
as_status as_kube_apply_status(struct as_kube_client *c, const struct as_kube_resource *res,
                               const char *ns, const json_t *obj,
                               const struct as_kube_write_options *opts, json_t **out,
                               struct as_error *err);

#endif
