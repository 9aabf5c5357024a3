/*
 * policywatch.c - the live policy configuration of policywatch.h: two
 * informers (AppStackPolicy cluster-wide, AppStackPolicyException in every
 * namespace) whose handlers rebuild the whole configuration from their
 * caches and swap the snapshot pointer. A policy or exception that does not
 * parse is logged and skipped; the rest still applies.
 */
#include "policywatch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "informer/informer.h"
#include "kube/resource.h"

struct as_policyset {
    pthread_mutex_t lock;
    struct as_policy_snapshot *cur; /* guarded by lock */
    char *policy_name;
    char *operator_sa; /* or NULL */
    const struct as_policy_validator *validators;
    size_t n_validators;
    struct as_informer *pol_inf, *exc_inf;
    json_t *static_policy; /* --policy-file, or NULL */
    unsigned long generation;
};

/* Drops one reference (lock held by the caller). */
static void snap_unref_locked(struct as_policy_snapshot *s)
{
    if (s != NULL && --s->refs == 0) {
        as_policy_config_free(&s->cfg);
        free(s);
    }
}

/* Applies policy (may be NULL) plus the --operator-service-account default to cfg. */
static void apply_policy(struct as_policyset *ps, struct as_policy_config *cfg, json_t *policy)
{
    struct as_error err = {0};
    json_t *p = policy != NULL ? json_deep_copy(policy)
                               : json_pack("{ss s{}}", "kind", "AppStackPolicy", "spec");
    json_t *spec = p != NULL ? json_object_get(p, "spec") : NULL;

    if (p == NULL)
        return;
    if (!json_is_object(spec)) {
        spec = json_object();
        json_object_set_new(p, "spec", spec);
    }
    if (ps->operator_sa != NULL && json_object_get(spec, "operatorServiceAccount") == NULL)
        json_object_set_new(spec, "operatorServiceAccount", json_string(ps->operator_sa));
    if (as_policy_config_apply_policy(cfg, p, &err) != AS_OK)
        as_log_error("AppStackPolicy ignored; the built-in default applies", "policy",
                     ps->policy_name, "error", err.message, NULL);
    json_decref(p);
}

/* Adds every cached exception to cfg. */
static void add_exceptions(struct as_policyset *ps, struct as_policy_config *cfg)
{
    json_t *list = ps->exc_inf != NULL ? as_cache_list(as_informer_cache(ps->exc_inf)) : NULL;
    size_t i;
    json_t *obj;

    json_array_foreach(list, i, obj)
    {
        struct as_error err = {0};
        if (as_policy_config_add_exception(cfg, obj, &err) != AS_OK) {
            const char *name =
                json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
            as_log_warn("AppStackPolicyException ignored", "name", name ? name : "?", "error",
                        err.message, NULL);
        }
    }
    json_decref(list);
}

/* CLOCK_MONOTONIC in ns, for the engine's per-family timing. */
static uint64_t monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Builds a fresh snapshot from the caches and makes it current. */
static void rebuild(struct as_policyset *ps)
{
    struct as_policy_snapshot *s = calloc(1, sizeof(*s));
    json_t *policy = NULL;

    if (s == NULL || as_policy_config_init_default(&s->cfg) != AS_OK) {
        free(s);
        as_log_error("policy rebuild failed: out of memory", NULL);
        return;
    }
    s->cfg.validators = ps->validators;
    s->cfg.n_validators = ps->n_validators;
    s->cfg.clock_ns = monotonic_ns;
    s->refs = 1;
    if (ps->pol_inf != NULL)
        policy = as_informer_get(ps->pol_inf, NULL, ps->policy_name);
    else if (ps->static_policy != NULL)
        policy = json_incref(ps->static_policy);
    apply_policy(ps, &s->cfg, policy);
    json_decref(policy);
    add_exceptions(ps, &s->cfg);
    pthread_mutex_lock(&ps->lock);
    snap_unref_locked(ps->cur);
    ps->cur = s;
    ps->generation++;
    pthread_mutex_unlock(&ps->lock);
}

static void on_add(json_t *obj, void *ctx)
{
    (void)obj;
    rebuild(ctx);
}

static void on_update(json_t *old, json_t *obj, void *ctx)
{
    (void)old;
    (void)obj;
    rebuild(ctx);
}

static void on_delete(json_t *old, void *ctx)
{
    (void)old;
    rebuild(ctx);
}

as_status as_policyset_new(const char *policy_name, const char *operator_sa,
                           const struct as_policy_validator *validators, size_t n_validators,
                           struct as_policyset **out, struct as_error *err)
{
    struct as_policyset *ps = calloc(1, sizeof(*ps));

    if (ps == NULL)
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    pthread_mutex_init(&ps->lock, NULL);
    ps->policy_name = strdup(policy_name);
    ps->operator_sa = operator_sa != NULL ? strdup(operator_sa) : NULL;
    ps->validators = validators;
    ps->n_validators = n_validators;
    rebuild(ps);
    if (ps->policy_name == NULL || ps->cur == NULL || (operator_sa != NULL && !ps->operator_sa)) {
        as_policyset_free(ps);
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    }
    *out = ps;
    return AS_OK;
}

/* Creates and starts one informer. */
static as_status start_one(struct as_policyset *ps, struct as_kube_client *client, const char *kind,
                           const char *name, struct as_informer **out, struct as_error *err)
{
    struct as_informer_options o = {0};
    struct as_informer_handlers h = {on_add, on_update, on_delete, ps};
    as_status st;

    o.client = client;
    o.res = as_kube_resource_by_kind("appstack.io/v1alpha1", kind);
    o.name = name;
    if (o.res == NULL)
        return as_error_set(err, AS_E_UNSUPPORTED, "%s: not in the resource table", kind);
    st = as_informer_new(&o, &h, out, err);
    if (st == AS_OK)
        st = as_informer_start(*out, err);
    return st;
}

as_status as_policyset_watch(struct as_policyset *ps, struct as_kube_client *client,
                             struct as_error *err)
{
    as_status st =
        start_one(ps, client, "AppStackPolicyException", "inf-exceptions", &ps->exc_inf, err);

    if (st == AS_OK)
        st = start_one(ps, client, "AppStackPolicy", "inf-policies", &ps->pol_inf, err);
    return st;
}

as_status as_policyset_use_policy(struct as_policyset *ps, const json_t *policy,
                                  struct as_error *err)
{
    struct as_policy_config probe;
    as_status st = as_policy_config_init_default(&probe);

    if (st == AS_OK)
        st = as_policy_config_apply_policy(&probe, policy, err);
    as_policy_config_free(&probe);
    if (st != AS_OK)
        return st;
    json_decref(ps->static_policy);
    ps->static_policy = json_deep_copy(policy);
    rebuild(ps);
    return ps->static_policy != NULL ? AS_OK : AS_E_NOMEM;
}

bool as_policyset_synced(struct as_policyset *ps)
{
    if (ps->pol_inf == NULL && ps->exc_inf == NULL)
        return true;
    return ps->pol_inf != NULL && ps->exc_inf != NULL && as_informer_has_synced(ps->pol_inf) &&
           as_informer_has_synced(ps->exc_inf);
}

const struct as_policy_config *as_policyset_acquire(struct as_policyset *ps)
{
    struct as_policy_snapshot *s;

    pthread_mutex_lock(&ps->lock);
    s = ps->cur;
    s->refs++;
    pthread_mutex_unlock(&ps->lock);
    return &s->cfg;
}

void as_policyset_release(struct as_policyset *ps, const struct as_policy_config *cfg)
{
    /* cfg is the first member of its snapshot */
    struct as_policy_snapshot *s = (struct as_policy_snapshot *)(void *)cfg;

    pthread_mutex_lock(&ps->lock);
    snap_unref_locked(s);
    pthread_mutex_unlock(&ps->lock);
}

unsigned long as_policyset_generation(struct as_policyset *ps)
{
    unsigned long g;

    pthread_mutex_lock(&ps->lock);
    g = ps->generation;
    pthread_mutex_unlock(&ps->lock);
    return g;
}

void as_policyset_free(struct as_policyset *ps)
{
    if (ps == NULL)
        return;
    as_informer_free(ps->pol_inf);
    as_informer_free(ps->exc_inf);
    pthread_mutex_lock(&ps->lock);
    snap_unref_locked(ps->cur);
    ps->cur = NULL;
    pthread_mutex_unlock(&ps->lock);
    pthread_mutex_destroy(&ps->lock);
    json_decref(ps->static_policy);
    free(ps->policy_name);
    free(ps->operator_sa);
    free(ps);
}
