/*
 * reconcile_write.c - the writes of a pass: server-side apply of the
 * children that differ from the cache, create-only for generated Secrets and
 * the self-signed TLS Secret (never overwritten by a stale cache), delete of
 * pruned children with a uid precondition, and the Events that report them.
 */
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "base/log.h"
#include "diff.h"
#include "informer/cache.h"
#include "informer/diff.h"
#include "kube/ops.h"
#include "prune.h"
#include "reconcile_int.h"
#include "slim.h"

json_t *as_op_live(struct as_op_rt *rt, const char *api_version, const char *kind, const char *ns,
                   const char *name)
{
    int i = as_op_kind_index(api_version, kind);
    struct as_informer *inf = i < 0 ? NULL : as_op_child_informer(rt, (size_t)i);

    return inf == NULL || name == NULL ? NULL : as_informer_get(inf, ns, name);
}

void as_op_emit(struct as_op_pass *p, enum as_op_event_what what, const json_t *child,
                const char *detail)
{
    const struct as_kube_resource *res = as_kube_resource_by_kind("v1", "Event");
    struct as_error err = {0};
    json_t *ev = NULL, *existing = NULL, *patch = NULL;
    const char *name;
    as_status st =
        as_op_event_for(p->stack, what, child, detail, p->rt->identity, p->now, &ev, &err);

    if (st != AS_OK)
        goto out;
    st = as_kube_create(p->rt->client, res, p->ns, ev, NULL, NULL, &err);
    if (st == AS_E_API_ALREADY_EXISTS) {
        /* the same event again: count it on the existing one */
        name = json_string_value(as_json_path(ev, "metadata.name"));
        st = as_kube_get(p->rt->client, res, p->ns, name, &existing, &err);
        if (st == AS_OK && (patch = as_op_event_repeat_patch(existing, p->now)) != NULL)
            st = as_kube_patch(p->rt->client, res, p->ns, name, AS_KUBE_PATCH_MERGE, patch, NULL,
                               NULL, &err);
    }
out:
    if (st != AS_OK)
        as_log_debug("recording an event failed", "stack", p->name, "error", err.message, NULL);
    json_decref(patch);
    json_decref(existing);
    json_decref(ev);
}

/* True for failures that a later attempt may not repeat (network, overload, races). */
static bool transient(as_status st)
{
    return st == AS_E_NETWORK || st == AS_E_TIMEOUT || st == AS_E_API_INTERNAL ||
           st == AS_E_API_SERVER_TIMEOUT || st == AS_E_API_UNAVAILABLE ||
           st == AS_E_API_TOO_MANY_REQUESTS || st == AS_E_API_CONFLICT ||
           st == AS_E_API_ALREADY_EXISTS || st == AS_E_API_NOT_FOUND || st == AS_E_API_OTHER;
}

static void count_write(struct as_op_pass *p, const char *verb, const char *kind)
{
    const char *labels[2] = {verb, kind};

    as_metrics_counter_add(p->rt->m->writes, labels, 1);
}

/* Notes a failed write: retry when transient, else a refusal a human must look at. */
static void write_failed(struct as_op_pass *p, const json_t *obj, as_status st,
                         const struct as_error *err)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *name = json_string_value(as_json_path(obj, "metadata.name"));

    p->retry = true;
    if (strstr(err->message, "because it is being terminated") != NULL) {
        p->halted = true; /* every further write would be refused the same way */
        return;
    }
    as_log_warn("writing a child failed", "stack", p->name, "namespace", p->ns, "kind", kind,
                "name", name, "error", err->message, NULL);
    if (transient(st))
        return;
    if (p->apply_error[0] == '\0')
        snprintf(p->apply_error, sizeof(p->apply_error), "%s %s: %.900s", kind ? kind : "?",
                 name ? name : "?", err->message);
    as_op_emit(p, AS_OP_EV_APPLY_FAILED, obj, err->message);
}

/*
 * A Job's pod template is immutable: when the API server refuses an apply
 * to a Job as Invalid, the old Job is deleted (its pods with it) and the next
 * pass creates the new one.
 */
static bool replace_job(struct as_op_pass *p, const json_t *obj, const json_t *live, as_status st)
{
    const struct as_kube_resource *res = as_kube_resource_of(obj);
    struct as_kube_delete_options d = {.propagation_policy = "Background",
                                       .grace_period_seconds = -1};
    struct as_error err = {0};

    if (st != AS_E_API_INVALID || live == NULL || res == NULL ||
        strcmp(json_string_value(json_object_get(obj, "kind")), "Job") != 0)
        return false;
    d.precondition_uid = json_string_value(as_json_path(live, "metadata.uid"));
    st = as_kube_delete(p->rt->client, res, p->ns,
                        json_string_value(as_json_path(obj, "metadata.name")), &d, NULL, &err);
    if (st != AS_OK && st != AS_E_API_NOT_FOUND)
        return false;
    count_write(p, "delete", "Job");
    p->applied++;
    p->retry = true; /* created again on the next pass */
    return true;
}

/* Creates obj (must not exist); AlreadyExists means the cache lags: retry later. */
static void create_once(struct as_op_pass *p, const json_t *obj)
{
    struct as_kube_write_options wo = {.field_manager = AS_OP_FIELD_MANAGER};
    struct as_error err = {0};
    as_status st =
        as_kube_create(p->rt->client, as_kube_resource_of(obj), p->ns, obj, &wo, NULL, &err);

    if (st != AS_OK) {
        write_failed(p, obj, st, &err);
        return;
    }
    count_write(p, "create", json_string_value(json_object_get(obj, "kind")));
    p->applied++;
    as_op_emit(p, AS_OP_EV_CREATED, obj, NULL);
}

/* Server-side applies obj (force, one field manager). */
static void apply_one(struct as_op_pass *p, const json_t *obj, const json_t *live,
                      const char *where)
{
    struct as_kube_write_options wo = {.field_manager = AS_OP_FIELD_MANAGER, .force = true};
    struct as_error err = {0};
    as_status st =
        as_kube_apply(p->rt->client, as_kube_resource_of(obj), p->ns, obj, &wo, NULL, &err);

    if (st != AS_OK) {
        if (!replace_job(p, obj, live, st))
            write_failed(p, obj, st, &err);
        return;
    }
    count_write(p, "apply", json_string_value(json_object_get(obj, "kind")));
    p->applied++;
    as_log_info(live ? "updated child" : "created child", "stack", p->name, "namespace", p->ns,
                "kind", json_string_value(json_object_get(obj, "kind")), "name",
                json_string_value(as_json_path(obj, "metadata.name")), "difference",
                live ? where : "absent", NULL);
    as_op_emit(p, live ? AS_OP_EV_UPDATED : AS_OP_EV_CREATED, obj, live ? where : NULL);
}

static bool held_back(struct as_op_pass *p, const json_t *obj);

static const char *applied_hash(const json_t *obj)
{
    return json_string_value(
        json_object_get(as_json_path(obj, "metadata.annotations"), AS_OP_APPLIED_HASH_ANNOTATION));
}

/*
 * Whether a slim live child (cache.h: only its identity and applied hash are
 * kept, because it compared equal at this resourceVersion) needs an apply:
 * only when desired has changed since, which changes its applied hash. Any
 * change of the live object is a new resourceVersion, cached whole again.
 */
static bool slim_needs_apply(const json_t *desired, const json_t *live, char *where, size_t size)
{
    const char *want = applied_hash(desired), *have = applied_hash(live);

    if (want && have && strcmp(want, have) == 0)
        return false;
    snprintf(where, size, "metadata.annotations.%s", AS_OP_APPLIED_HASH_ANNOTATION);
    return true;
}

/*
 * live (whole, from the cache) compared equal to desired: for a kind the
 * operator reads little more of (kinds.h), the cache keeps only its identity,
 * applied hash and, for a workload, what the status reads, from now on. Best
 * effort: a failure only costs memory.
 */
static void slim_child(struct as_op_pass *p, int idx, const json_t *live)
{
    struct as_informer *inf = as_op_child_informer(p->rt, (size_t)idx);
    const char *rv = json_string_value(as_json_path(live, "metadata.resourceVersion"));
    const char *hash = applied_hash(live);
    char key[AS_INFORMER_KEY_MAX];
    json_t *keep;

    if (!inf || !rv || !hash || as_informer_object_key(live, key, sizeof(key)) != AS_OK)
        return;
    keep = as_op_slim_keep(as_op_kind_slim((size_t)idx), live, hash);
    if (keep)
        as_cache_slim(as_informer_cache(inf), key, rv, keep);
    json_decref(keep);
}

/* One desired object: compare with the cache, write when it differs. */
static void write_one(struct as_op_pass *p, json_t *obj, const struct as_op_gathered *g)
{
    const char *api = json_string_value(json_object_get(obj, "apiVersion"));
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *name = json_string_value(as_json_path(obj, "metadata.name"));
    char where[256] = "";
    json_t *live;

    int idx = as_op_kind_index(api, kind);

    if (idx < 0 || as_kube_resource_of(obj) == NULL) {
        as_log_warn("rendered a kind the operator does not watch; skipped", "kind", kind, NULL);
        return;
    }
    if (as_op_child_informer(p->rt, (size_t)idx) == NULL)
        return; /* its optional API is missing: the status says so (APIMissing) */
    if (as_op_stamp(obj) != AS_OK || held_back(p, obj))
        return;
    live = as_op_live(p->rt, api, kind, p->ns, name);
    if (live == NULL && strcmp(kind, "Secret") == 0 && json_object_get(g->secrets, name) != NULL) {
        if (json_object_get(g->generated, name) != NULL)
            create_once(p, obj); /* new values: created, never applied over what exists */
        else
            p->retry = true; /* deleted since its values were read: make new ones next pass */
    } else if (as_cache_is_slim(live) ? slim_needs_apply(obj, live, where, sizeof(where))
                                      : as_op_needs_apply(obj, live, where, sizeof(where))) {
        apply_one(p, obj, live, where);
    } else if (live != NULL && !as_cache_is_slim(live) &&
               as_op_kind_slim((size_t)idx) != AS_OP_SLIM_NONE) {
        slim_child(p, idx, live);
    }
    json_decref(live);
}

static const char *label(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(as_json_path(obj, "metadata.labels"), key));
}

/* True for a migration Job (label app.kubernetes.io/component=migration). */
static bool is_migration(const json_t *obj)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *role = label(obj, "app.kubernetes.io/component");

    return kind != NULL && strcmp(kind, "Job") == 0 && role != NULL &&
           strcmp(role, "migration") == 0;
}

static bool job_succeeded(const json_t *job)
{
    json_t *c;
    size_t i;

    if (json_integer_value(as_json_path(job, "status.succeeded")) >= 1)
        return true;
    json_array_foreach(as_json_path(job, "status.conditions"), i, c)
    {
        const char *type = json_string_value(json_object_get(c, "type"));
        const char *status = json_string_value(json_object_get(c, "status"));
        if (type != NULL && status != NULL && strcmp(type, "Complete") == 0 &&
            strcmp(status, "True") == 0)
            return true;
    }
    return false;
}

/*
 * Migrations (docs/api.md, migrate): the Job of a release runs before its
 * Deployment changes. Collects into p->held the apps ("<component>") whose
 * desired migration Job has not succeeded yet.
 */
static void hold_for_migrations(struct as_op_pass *p, const json_t *desired)
{
    json_t *obj;
    size_t i;

    json_array_foreach(desired, i, obj)
    {
        const char *app = label(obj, "app.kubernetes.io/name");
        const char *dot = app != NULL ? strrchr(app, '.') : NULL;
        json_t *live;
        char comp[64];

        if (!is_migration(obj) || dot == NULL || (size_t)(dot - app) >= sizeof(comp))
            continue;
        live = as_op_live(p->rt, "batch/v1", "Job", p->ns,
                          json_string_value(as_json_path(obj, "metadata.name")));
        if (!job_succeeded(live)) {
            memcpy(comp, app, (size_t)(dot - app));
            comp[dot - app] = '\0';
            if (p->held == NULL)
                p->held = json_object();
            json_object_set_new(p->held, comp, json_true());
        }
        json_decref(live);
    }
}

/* A Deployment whose migration has not succeeded yet keeps its current release. */
static bool held_back(struct as_op_pass *p, const json_t *obj)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *app = label(obj, "app.kubernetes.io/name");

    return p->held != NULL && kind != NULL && strcmp(kind, "Deployment") == 0 && app != NULL &&
           json_object_get(p->held, app) != NULL;
}

void as_op_write_children(struct as_op_pass *p, json_t *desired, const struct as_op_gathered *g)
{
    size_t i;
    json_t *obj;

    if (g->tls_write != NULL) {
        json_t *live = as_op_live(p->rt, "v1", "Secret", p->ns,
                                  json_string_value(as_json_path(g->tls_write, "metadata.name")));
        if (live == NULL)
            create_once(p, g->tls_write);
        else
            apply_one(p, g->tls_write, live, "certificate renewed");
        json_decref(live);
    }
    hold_for_migrations(p, desired);
    json_array_foreach(desired, i, obj)
    {
        if (p->halted)
            break;
        write_one(p, obj, g);
    }
}

void as_op_prune_children(struct as_op_pass *p, const json_t *desired, const json_t *keep)
{
    json_t *gone = NULL, *ref;
    struct as_error err = {0};
    size_t i;

    if (as_op_prune(p->stack, desired, keep, p->children, &gone, &err) != AS_OK) {
        as_log_warn("pruning skipped", "stack", p->name, "error", err.message, NULL);
        return;
    }
    json_array_foreach(gone, i, ref)
    {
        const char *api = json_string_value(json_object_get(ref, "apiVersion"));
        const char *kind = json_string_value(json_object_get(ref, "kind"));
        json_t *old = p->held != NULL && strcmp(kind, "Job") == 0
                          ? as_op_live(p->rt, api, kind, p->ns,
                                       json_string_value(json_object_get(ref, "name")))
                          : NULL;
        bool hold = old != NULL && is_migration(old); /* the running release's, until success */

        json_decref(old);
        if (hold || p->halted)
            continue;
        struct as_kube_delete_options d = {.propagation_policy = "Background",
                                           .precondition_uid =
                                               json_string_value(json_object_get(ref, "uid")),
                                           .grace_period_seconds = -1};
        json_t *child =
            json_pack("{s:s?, s:s?, s:{s:s?, s:s?}}", "apiVersion", api, "kind", kind, "metadata",
                      "name", json_string_value(json_object_get(ref, "name")), "namespace", p->ns);
        as_status st =
            as_kube_delete(p->rt->client, as_kube_resource_by_kind(api, kind), p->ns,
                           json_string_value(json_object_get(ref, "name")), &d, NULL, &err);

        if (st == AS_OK || st == AS_E_API_NOT_FOUND) {
            count_write(p, "delete", kind);
            p->applied++;
            as_op_emit(p, AS_OP_EV_PRUNED, child, NULL);
        } else {
            as_log_warn("pruning a child failed", "stack", p->name, "kind", kind, "error",
                        err.message, NULL);
            as_op_emit(p, AS_OP_EV_DELETE_FAILED, child, err.message);
            p->retry = true;
        }
        json_decref(child);
    }
    json_decref(gone);
}
