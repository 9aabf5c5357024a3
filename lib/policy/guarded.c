/*
 * guarded.c - family "guarded": objects controlled by an AppStack (a
 * controller ownerReference of kind AppStack, apiVersion appstack.io/...)
 * may be created, changed and deleted only by the operator's service
 * account. Delegated on purpose, for everyone:
 *   - status and the fields the API server maintains (resourceVersion,
 *     generation, managedFields, uid, creationTimestamp, deletion*, selfLink)
 *     and metadata.finalizers;
 *   - labels and annotations: new keys may be added; existing keys may be
 *     changed or removed unless they are the operator's own (prefixes
 *     "appstack.io/" and "app.kubernetes.io/");
 *   - spec.replicas of a workload the renderer marked with the annotation
 *     appstack.io/replicas-managed-by: hpa (its HorizontalPodAutoscaler scales it);
 *   - the pod template's annotations under the same rule as the object's
 *     (`kubectl rollout restart` adds kubectl.kubernetes.io/restartedAt);
 *   - spec.volumeName of a PersistentVolumeClaim while it was empty (binding).
 * The garbage collector and the namespace controller may do anything (orphaning
 * removes ownerReferences; cascading deletes delete).
 */
#include <stdio.h>
#include <string.h>

#include "policy/policy_int.h"

#define MAX_DIFFS 8

static const char *const SERVER_META[] = {
    "resourceVersion",
    "generation",
    "managedFields",
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
    "finalizers",
    NULL,
};
static const char *const OPERATOR_PREFIXES[] = {"appstack.io/", "app.kubernetes.io/", NULL};
static const char *const SYSTEM_CONTROLLERS[] = {
    "system:serviceaccount:kube-system:generic-garbage-collector",
    "system:serviceaccount:kube-system:namespace-controller",
    NULL,
};

/* Index of the AppStack controller ownerReference of obj, or -1. */
static long appstack_controller(const struct as_jv *obj)
{
    const struct as_jv *refs = as_jv_get(as_jv_get(obj, "metadata"), "ownerReferences");
    const struct as_jv *r;
    size_t i;

    as_jv_array_foreach(refs, i, r)
    {
        const char *kind = as__str(r, "kind"), *api = as__str(r, "apiVersion");

        if (as__true(r, "controller") && kind && strcmp(kind, "AppStack") == 0 && api &&
            strncmp(api, "appstack.io/", 12) == 0)
            return (long)i;
    }
    return -1;
}

static bool operator_key(const char *key)
{
    for (size_t i = 0; OPERATOR_PREFIXES[i]; i++)
        if (strncmp(key, OPERATOR_PREFIXES[i], strlen(OPERATOR_PREFIXES[i])) == 0)
            return true;
    return false;
}

struct differ {
    struct as_policy_eval *ev;
    int n;
};

/* Reports one changed path. */
static void changed(struct differ *d, const char *path, const char *what)
{
    if (d->n++ >= MAX_DIFFS)
        return;
    as__report(d->ev, "grd-owned-by-appstack", path, "%s by a user other than the operator", what);
}

/* Reports every path where a and b differ (recursing into objects and equal-size arrays). */
static void diff(struct differ *d, const json_t *a, const json_t *b, const char *path)
{
    char p[AS__PATH_MAX];

    if (as_json_equal(a, b) || (!a && json_is_null(b)) || (json_is_null(a) && !b))
        return;
    if (json_is_object(a) && json_is_object(b)) {
        const char *key;
        const json_t *v;

        json_object_foreach((json_t *)a, key, v)
        {
            snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
            diff(d, v, json_object_get(b, key), p);
        }
        json_object_foreach((json_t *)b, key, v)
        {
            if (json_object_get(a, key))
                continue;
            snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
            diff(d, NULL, v, p);
        }
        return;
    }
    if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
        for (size_t i = 0; i < json_array_size(a); i++) {
            snprintf(p, sizeof p, "%s[%zu]", path, i);
            diff(d, json_array_get(a, i), json_array_get(b, i), p);
        }
        return;
    }
    changed(d, path, !a ? "added" : !b ? "removed" : "changed");
}

/* Labels or annotations: only the operator's own keys are guarded. */
static void diff_map(struct differ *d, const json_t *old, const json_t *neu, const char *path)
{
    const char *key;
    const json_t *v;
    char p[AS__PATH_MAX];

    json_object_foreach((json_t *)old, key, v)
    {
        const json_t *nv = json_object_get(neu, key);

        if (!operator_key(key) || as_json_equal(v, nv))
            continue;
        snprintf(p, sizeof p, "%s[%s]", path, key);
        changed(d, p, nv ? "the operator's key was changed" : "the operator's key was removed");
    }
}

/* True when the HPA owns spec.replicas of obj. */
static bool hpa_managed(const struct as_jv *obj)
{
    const struct as_jv *meta = as_jv_get(obj, "metadata");
    const char *a = as__str(as_jv_get(meta, "annotations"), AS_POLICY_REPLICAS_ANNOTATION);

    return a && strcmp(a, "hpa") == 0;
}

/* String member of a jansson object, or NULL. */
static const char *json_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Reports what a user changed in an owned object (jansson copies; hpa: spec.replicas is delegated).
 */
static void diff_update(struct as_policy_eval *ev, const json_t *old, const json_t *neu, bool hpa)
{
    struct differ d = {ev, 0};
    const json_t *om = json_object_get(old, "metadata"), *nm = json_object_get(neu, "metadata");
    const char *key;
    const json_t *v;
    char p[AS__PATH_MAX];

    json_object_foreach((json_t *)old, key, v)
    {
        if (strcmp(key, "status") == 0 || strcmp(key, "metadata") == 0 || strcmp(key, "spec") == 0)
            continue;
        diff(&d, v, json_object_get(neu, key), key);
    }
    json_object_foreach((json_t *)neu, key, v)
    {
        if (strcmp(key, "status") == 0 || json_object_get(old, key))
            continue;
        diff(&d, NULL, v, key);
    }
    /* spec, with spec.replicas delegated to the HPA when marked. */
    {
        json_t *os = json_deep_copy(json_object_get(old, "spec"));
        json_t *ns = json_deep_copy(json_object_get(neu, "spec"));

        json_t *otm = json_object_get(json_object_get(os, "template"), "metadata");
        json_t *ntm = json_object_get(json_object_get(ns, "template"), "metadata");
        const char *kind = json_str(old, "kind");

        if (hpa && json_is_object(os) && json_is_object(ns)) {
            json_object_del(os, "replicas");
            json_object_del(ns, "replicas");
        }
        if (kind && strcmp(kind, "PersistentVolumeClaim") == 0 && !json_str(os, "volumeName") &&
            json_is_object(os) && json_is_object(ns)) {
            json_object_del(os, "volumeName");
            json_object_del(ns, "volumeName");
        }
        if (json_is_object(otm) || json_is_object(ntm)) {
            diff_map(&d, json_object_get(otm, "annotations"), json_object_get(ntm, "annotations"),
                     "spec.template.metadata.annotations");
            if (json_is_object(otm))
                json_object_del(otm, "annotations");
            if (json_is_object(ntm))
                json_object_del(ntm, "annotations");
        }
        diff(&d, os, ns, "spec");
        json_decref(os);
        json_decref(ns);
    }
    json_object_foreach((json_t *)om, key, v)
    {
        if (as__str_in(key, SERVER_META) || strcmp(key, "labels") == 0 ||
            strcmp(key, "annotations") == 0)
            continue;
        snprintf(p, sizeof p, "metadata.%s", key);
        diff(&d, v, json_object_get(nm, key), p);
    }
    json_object_foreach((json_t *)nm, key, v)
    {
        if (as__str_in(key, SERVER_META) || json_object_get(om, key) ||
            strcmp(key, "labels") == 0 || strcmp(key, "annotations") == 0)
            continue;
        snprintf(p, sizeof p, "metadata.%s", key);
        diff(&d, NULL, v, p);
    }
    diff_map(&d, json_object_get(om, "labels"), json_object_get(nm, "labels"), "metadata.labels");
    diff_map(&d, json_object_get(om, "annotations"), json_object_get(nm, "annotations"),
             "metadata.annotations");
}

/*
 * The update of an object an AppStack controls: the comparison works on
 * jansson copies (it deletes the delegated fields from copies of both specs),
 * made only here, for an owned object changed by someone else.
 */
static void check_update(struct as_policy_eval *ev, const struct as_jv *old_v,
                         const struct as_jv *neu_v)
{
    json_t *old = as_jv_to_json(old_v), *neu = as_jv_to_json(neu_v);

    if (old == NULL || (neu_v != NULL && neu == NULL))
        ev->status = AS_E_NOMEM;
    else
        diff_update(ev, old, neu, hpa_managed(old_v));
    json_decref(old);
    json_decref(neu);
}

/*
 * /scale of a Deployment, StatefulSet or ReplicaSet: the Scale names no owner,
 * so the caller passes the scaled object as req->parent.
 */
static void check_scale(struct as_policy_eval *ev)
{
    const struct as_policy_request *req = ev->req;
    const struct as_jv *o = as_jv_get(as_jv_get(req->old_object, "spec"), "replicas");
    const struct as_jv *n = as_jv_get(as_jv_get(req->object, "spec"), "replicas");

    if (req->op != AS_OP_UPDATE || (o == NULL && n == NULL) || (o && n && as_jv_equal(o, n)))
        return;
    if (req->parent_unreadable) {
        as__report(ev, "grd-owned-by-appstack", "spec.replicas",
                   "the scaled object could not be read to tell whether an AppStack owns it, "
                   "so it may not be scaled now");
        return;
    }
    if (req->parent == NULL || appstack_controller(req->parent) < 0 || hpa_managed(req->parent))
        return;
    as__report(ev, "grd-owned-by-appstack", "spec.replicas",
               "replicas changed through /scale by a user other than the operator");
}

void as__check_guarded(struct as_policy_eval *ev)
{
    const struct as_policy_request *req = ev->req;
    const char *user = req->user;
    const char *op_sa = ev->cfg->operator_service_account;
    long idx;
    char p[AS__PATH_MAX];

    if (user && ((op_sa && strcmp(user, op_sa) == 0) || as__str_in(user, SYSTEM_CONTROLLERS)))
        return;
    if (req->subresource && strcmp(req->subresource, "scale") == 0) {
        check_scale(ev);
        return;
    }
    switch (req->op) {
    case AS_OP_CREATE:
        idx = appstack_controller(req->object);
        if (idx < 0)
            return;
        snprintf(p, sizeof p, "metadata.ownerReferences[%ld]", idx);
        as__report(ev, "grd-owned-by-appstack", p,
                   "an object controlled by an AppStack was created");
        break;
    case AS_OP_DELETE:
        if (appstack_controller(req->old_object) < 0)
            return;
        as__report(ev, "grd-owned-by-appstack", "metadata.name",
                   "an object controlled by an AppStack was deleted");
        break;
    case AS_OP_UPDATE:
        if (!req->old_object || appstack_controller(req->old_object) < 0)
            return;
        check_update(ev, req->old_object, req->object);
        break;
    default:
        break;
    }
}
