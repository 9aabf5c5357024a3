/*
 * manager.c - the operator's run time (manager.h): informers and their
 * handlers (every event becomes the key of an AppStack in the work queue),
 * the workers, and the maintenance thread.
 */
#define _GNU_SOURCE /* pthread_timedjoin_np */
#include "manager.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/log.h"
#include "reconcile.h"
#include "render/render.h"

#define MAINT_TICK_MS 200
#define STOP_GRACE_MS 5000

struct as_op_manager {
    struct as_op_rt rt; /* first: handlers get &rt and cast back */
    struct as_op_manager_options o;
    pthread_t *workers;
    int n_workers;
    atomic_bool workers_started;
    pthread_t maint;
    bool maint_started;
    atomic_bool stop;
    atomic_bool started; /* every informer exists (readers on other threads check this first) */
    bool stopped;
    pthread_mutex_t lat_lock;
    json_t *enqueued_at;      /* key -> monotonic seconds of the first add (queue latency) */
    int rediscover_left;      /* further rediscoveries (discovery may lag a new CRD) */
    atomic_ulong passes;      /* reconciles done (the maintenance thread trims after work) */
    unsigned long trimmed_at; /* passes at the last trim */
    int64_t next_trim_ms;
    int64_t next_rediscover_ms, next_resync_ms;
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- enqueueing ------------------------------------------------------- */

static void enqueue(struct as_op_rt *rt, const char *ns, const char *name)
{
    struct as_op_manager *m = (struct as_op_manager *)rt;
    char key[320];

    if (ns == NULL || name == NULL)
        return;
    snprintf(key, sizeof(key), "%s/%s", ns, name);
    pthread_mutex_lock(&m->lat_lock);
    if (json_object_get(m->enqueued_at, key) == NULL)
        json_object_set_new(m->enqueued_at, key, json_integer(mono_ms()));
    pthread_mutex_unlock(&m->lat_lock);
    as_workqueue_add(rt->queue, key);
}

void as_op_enqueue_owner(struct as_op_rt *rt, const json_t *obj)
{
    json_t *ref;
    size_t i;

    json_array_foreach(as_json_path(obj, "metadata.ownerReferences"), i, ref)
    {
        const char *kind = json_string_value(json_object_get(ref, "kind"));
        if (json_is_true(json_object_get(ref, "controller")) && kind != NULL &&
            strcmp(kind, "AppStack") == 0)
            enqueue(rt, json_string_value(as_json_path(obj, "metadata.namespace")),
                    json_string_value(json_object_get(ref, "name")));
    }
}

void as_op_enqueue_all(struct as_op_rt *rt)
{
    json_t *all = as_cache_list(as_informer_cache(rt->stacks)), *s;
    size_t i;

    json_array_foreach(all, i, s)
    {
        enqueue(rt, json_string_value(as_json_path(s, "metadata.namespace")),
                json_string_value(as_json_path(s, "metadata.name")));
    }
    json_decref(all);
}

struct as_informer *as_op_child_informer(struct as_op_rt *rt, size_t i)
{
    const struct as_op_kind *kinds;
    struct as_informer *inf = NULL;
    size_t n;

    kinds = as_op_kinds(&n);
    if (i >= n || i >= AS_OP_MAX_KINDS)
        return NULL;
    pthread_mutex_lock(&rt->inf_lock);
    if (kinds[i].needs_api == 0 || (atomic_load(&rt->apis) & kinds[i].needs_api) != 0)
        inf = rt->children[i];
    pthread_mutex_unlock(&rt->inf_lock);
    return inf;
}

/* ---- handlers --------------------------------------------------------- */

static void stack_add(json_t *obj, void *ctx)
{
    enqueue(ctx, json_string_value(as_json_path(obj, "metadata.namespace")),
            json_string_value(as_json_path(obj, "metadata.name")));
}

static void stack_update(json_t *old, json_t *obj, void *ctx)
{
    (void)old;
    stack_add(obj, ctx);
}

static void child_add(json_t *obj, void *ctx)
{
    as_op_enqueue_owner(ctx, obj);
}

static void child_update(json_t *old, json_t *obj, void *ctx)
{
    as_op_enqueue_owner(ctx, old); /* an owner changed by hand: both hear of it */
    as_op_enqueue_owner(ctx, obj);
}

/* True when the stack reads Secret name (fromExisting or tls.secretName). */
static bool stack_reads(const json_t *stack, const char *name)
{
    json_t *ref;
    size_t i;
    const char *tls = json_string_value(as_json_path(stack, "spec.ingress.tls.secretName"));

    if (tls != NULL && strcmp(tls, name) == 0)
        return true;
    json_array_foreach(as_json_path(stack, "spec.secrets.fromExisting"), i, ref)
    {
        const char *n = json_string_value(json_object_get(ref, "name"));
        if (n != NULL && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

/* A referenced Secret changed: enqueue the stacks of its namespace that read it. */
static void ref_add(json_t *obj, void *ctx)
{
    struct as_op_rt *rt = ctx;
    const char *ns = json_string_value(as_json_path(obj, "metadata.namespace"));
    const char *name = json_string_value(as_json_path(obj, "metadata.name"));
    json_t *all = as_cache_list(as_informer_cache(rt->stacks)), *s;
    size_t i;

    json_array_foreach(all, i, s)
    {
        const char *sns = json_string_value(as_json_path(s, "metadata.namespace"));
        if (ns != NULL && name != NULL && sns != NULL && strcmp(sns, ns) == 0 &&
            stack_reads(s, name))
            stack_add(s, rt);
    }
    json_decref(all);
}

static void ref_update(json_t *old, json_t *obj, void *ctx)
{
    (void)old;
    ref_add(obj, ctx);
}

/* A CRD of an optional API came, changed or went: rediscover when it matters. */
static void crd_event(json_t *obj, bool gone, void *ctx)
{
    struct as_op_rt *rt = ctx;
    unsigned bit = as_op_kind_api_of_crd(json_string_value(as_json_path(obj, "metadata.name")));

    if (bit != 0 && (gone == ((atomic_load(&rt->apis) & bit) != 0)))
        atomic_store(&rt->rediscover, true);
}
static void crd_add(json_t *obj, void *ctx)
{
    crd_event(obj, false, ctx);
}
static void crd_update(json_t *old, json_t *obj, void *ctx)
{
    (void)old;
    crd_event(obj, false, ctx);
}
static void crd_delete(json_t *old, void *ctx)
{
    crd_event(old, true, ctx);
}

/* ---- informers -------------------------------------------------------- */

static as_status new_informer(struct as_op_manager *m, const struct as_kube_resource *res,
                              const char *label_selector, const char *field_selector,
                              const struct as_informer_handlers *h, struct as_informer **out,
                              struct as_error *err)
{
    struct as_informer_options io = {.client = m->o.client,
                                     .res = res,
                                     .ns = field_selector != NULL ? NULL : m->o.ns,
                                     .label_selector = label_selector,
                                     .field_selector = field_selector,
                                     /* pages of 100, not 500: ~19 informers list at once
                                        at start, each page parsed whole before it is
                                        packed (restart over 7,000 objects: peak 91 -> 45
                                        MiB); the compact caches: docs/benchmarks.md */
                                     .page_size = 100,
                                     .compact = true};
    as_status st;

    if (res == NULL)
        return as_error_set(err, AS_E_INVALID_ARG, "a kind is missing from the resource table");
    st = as_informer_new(&io, h, out, err);
    if (st == AS_OK && atomic_load(&m->started))
        st = as_informer_start(*out, err); /* later ones (rediscovery) start at once */
    return st;
}

/* Which optional APIs the server offers (AS_API_* bits). */
static unsigned discover_apis(struct as_op_manager *m)
{
    const struct as_op_kind *kinds;
    unsigned apis = AS_API_CERT_MANAGER | AS_API_PROMETHEUS_OPERATOR | AS_API_GATEWAY;
    size_t n;

    kinds = as_op_kinds(&n);
    for (size_t i = 0; i < n; i++) {
        const struct as_kube_resource *r = as_op_kind_resource(i);
        struct as_error err = {0};
        bool has = false;

        if (kinds[i].needs_api == 0 || r == NULL)
            continue;
        if (as_kube_discovery_has_resource(m->rt.disco, r->group, r->version, r->plural, &has,
                                           &err) != AS_OK ||
            !has)
            apis &= ~kinds[i].needs_api;
    }
    return apis;
}

/* Starts the child informers of the kinds now served (and stops those no longer served). */
static as_status sync_child_informers(struct as_op_manager *m, unsigned apis, struct as_error *err)
{
    static const struct as_informer_handlers h = {child_add, child_update, child_add, NULL};
    const struct as_op_kind *kinds;
    size_t n;
    as_status st = AS_OK;

    kinds = as_op_kinds(&n);
    for (size_t i = 0; i < n && i < AS_OP_MAX_KINDS && st == AS_OK; i++) {
        bool served = kinds[i].needs_api == 0 || (apis & kinds[i].needs_api) != 0;
        struct as_informer_handlers hc = h;
        struct as_informer *inf;

        hc.ctx = &m->rt;
        pthread_mutex_lock(&m->rt.inf_lock);
        inf = m->rt.children[i];
        pthread_mutex_unlock(&m->rt.inf_lock);
        if (served && inf == NULL) {
            st = new_informer(m, as_op_kind_resource(i), AS_OP_STACK_LABEL, NULL, &hc, &inf, err);
            pthread_mutex_lock(&m->rt.inf_lock);
            m->rt.children[i] = inf;
            pthread_mutex_unlock(&m->rt.inf_lock);
        } else if (served && inf != NULL) {
            st = as_informer_start(inf, err);
            if (st == AS_E_INVALID_ARG) /* already running */
                st = AS_OK;
        } else if (!served && inf != NULL) {
            as_informer_stop(inf);
        }
    }
    return st;
}

/* Rediscovers the optional APIs; on a change, (re)starts informers and enqueues every stack. */
static void rediscover(struct as_op_manager *m)
{
    struct as_error err = {0};
    unsigned before = atomic_load(&m->rt.apis), after;

    if (as_kube_discovery_refresh(m->rt.disco, &err) != AS_OK) {
        as_log_warn("API discovery failed; retrying", "error", err.message, NULL);
        return;
    }
    after = discover_apis(m);
    if (after == before)
        return;
    if (sync_child_informers(m, after, &err) != AS_OK)
        as_log_warn("starting an informer failed", "error", err.message, NULL);
    atomic_store(&m->rt.apis, after);
    as_log_info("optional APIs changed", "cert-manager",
                (after & AS_API_CERT_MANAGER) ? "yes" : "no", "prometheus-operator",
                (after & AS_API_PROMETHEUS_OPERATOR) ? "yes" : "no", "gateway-api",
                (after & AS_API_GATEWAY) ? "yes" : "no", NULL);
    as_op_enqueue_all(&m->rt);
}

/* ---- threads ---------------------------------------------------------- */

/* The caches' memory into its gauges (cache.h: every compact cache of the process). */
static void publish_cache_memory(struct as_op_metrics *mx)
{
    struct as_cache_memory mem;

    as_cache_memory_get(&mem);
    as_metrics_gauge_set(mx->cache_objects, NULL, (double)mem.objects);
    as_metrics_gauge_set(mx->cache_bytes, NULL, (double)mem.bytes);
    as_metrics_gauge_set(mx->cache_rss, NULL, (double)mem.resident_bytes);
}

static void *maint_main(void *arg)
{
    struct as_op_manager *m = arg;

    while (!atomic_load(&m->stop)) {
        struct timespec ts = {0, MAINT_TICK_MS * 1000L * 1000L};
        int64_t now;

        nanosleep(&ts, NULL);
        now = mono_ms();
        as_metrics_gauge_set(m->rt.m->depth, NULL, (double)as_workqueue_len(m->rt.queue));
        publish_cache_memory(m->rt.m);
        if (now >= m->next_trim_ms && as_workqueue_len(m->rt.queue) == 0 &&
            atomic_load(&m->passes) != m->trimmed_at && as_op_manager_synced(m)) {
            /* lists and passes parse and drop many small objects: give the pages back */
            malloc_trim(0);
            m->trimmed_at = atomic_load(&m->passes);
            m->next_trim_ms = now + 10000;
        }
        if (atomic_exchange(&m->rt.rediscover, false)) {
            m->rediscover_left = 4; /* now, then a few more while discovery catches up */
            m->next_rediscover_ms = now;
        }
        if (m->rediscover_left > 0 && now >= m->next_rediscover_ms) {
            rediscover(m);
            m->rediscover_left--;
            m->next_rediscover_ms = now + 2000L * (5 - m->rediscover_left);
        }
        if (now >= m->next_resync_ms) {
            if (m->next_resync_ms != 0)
                as_informer_resync(m->rt.stacks);
            m->next_resync_ms = now + m->o.sync_period_s * 1000L;
        }
    }
    return NULL;
}

/* Observes how long key waited in the queue (immediate adds only). */
static void observe_latency(struct as_op_manager *m, const char *key)
{
    json_t *t;

    pthread_mutex_lock(&m->lat_lock);
    t = json_object_get(m->enqueued_at, key);
    if (t != NULL) {
        as_metrics_histogram_observe(m->rt.m->queue_latency, NULL,
                                     (double)(mono_ms() - json_integer_value(t)) / 1000.0);
        json_object_del(m->enqueued_at, key);
    }
    pthread_mutex_unlock(&m->lat_lock);
}

static void *worker_main(void *arg)
{
    struct as_op_manager *m = arg;
    char *key = NULL;

    /* as controller-runtime: no reconcile before every cache holds its first list */
    while (!atomic_load(&m->stop) && !as_op_manager_synced(m)) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    while (as_workqueue_get(m->rt.queue, &key) == AS_OK) {
        struct as_op_result res;
        int64_t t0 = mono_ms();
        const char *labels[1];

        observe_latency(m, key);
        as_op_reconcile(&m->rt, key, &res);
        atomic_fetch_add(&m->passes, 1);
        labels[0] = res.result;
        as_metrics_counter_add(m->rt.m->reconciles, labels, 1);
        as_metrics_histogram_observe(m->rt.m->duration, NULL, (double)(mono_ms() - t0) / 1000.0);
        if (res.outcome == AS_OP_RETRY) {
            as_workqueue_add_rate_limited(m->rt.queue, key);
        } else {
            as_workqueue_forget(m->rt.queue, key);
            if (res.outcome == AS_OP_REQUEUE_AFTER)
                as_workqueue_add_after(m->rt.queue, key, res.after_ms);
        }
        as_workqueue_done(m->rt.queue, key);
        free(key);
        key = NULL;
    }
    return NULL;
}

/* ---- lifecycle -------------------------------------------------------- */

as_status as_op_manager_new(const struct as_op_manager_options *o, struct as_op_manager **out,
                            struct as_error *err)
{
    struct as_op_manager *m = calloc(1, sizeof(*m));
    as_status st;

    if (m == NULL)
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    m->o = *o;
    m->rt.client = o->client;
    m->rt.ns = o->ns;
    m->rt.identity = o->identity;
    m->rt.m = o->metrics;
    pthread_mutex_init(&m->rt.inf_lock, NULL);
    pthread_mutex_init(&m->lat_lock, NULL);
    m->enqueued_at = json_object();
    st = m->enqueued_at == NULL ? as_error_set(err, AS_E_NOMEM, "out of memory") : AS_OK;
    if (st == AS_OK)
        st = as_workqueue_new(NULL, &m->rt.queue, err);
    if (st == AS_OK)
        st = as_kube_discovery_new(o->client, &m->rt.disco, err);
    if (st != AS_OK) {
        as_op_manager_free(m);
        return st;
    }
    *out = m;
    return AS_OK;
}

/* The informers for the optional APIs' CRDs, one field-selected watch each. */
static as_status start_crd_informers(struct as_op_manager *m, struct as_error *err)
{
    struct as_informer_handlers h = {crd_add, crd_update, crd_delete, &m->rt};
    const struct as_kube_resource *crd_res =
        as_kube_resource_by_kind("apiextensions.k8s.io/v1", "CustomResourceDefinition");
    const struct as_op_kind *kinds;
    size_t n, k = 0;
    as_status st = AS_OK;

    kinds = as_op_kinds(&n);
    for (size_t i = 0; i < n && k < AS_OP_MAX_CRDS && st == AS_OK; i++) {
        char sel[320];
        if (kinds[i].crd == NULL)
            continue;
        snprintf(sel, sizeof(sel), "metadata.name=%s", kinds[i].crd);
        st = new_informer(m, crd_res, NULL, sel, &h, &m->rt.crds[k++], err);
    }
    return st;
}

/* Starts every informer made so far. */
static as_status start_all(struct as_op_manager *m, struct as_error *err)
{
    as_status st = as_informer_start(m->rt.stacks, err);

    for (size_t i = 0; i < AS_OP_MAX_KINDS && st == AS_OK; i++)
        if (m->rt.children[i] != NULL)
            st = as_informer_start(m->rt.children[i], err);
    if (st == AS_OK)
        st = as_informer_start(m->rt.refs, err);
    for (size_t i = 0; i < AS_OP_MAX_CRDS && st == AS_OK; i++)
        if (m->rt.crds[i] != NULL)
            st = as_informer_start(m->rt.crds[i], err);
    return st;
}

as_status as_op_manager_start(struct as_op_manager *m, struct as_error *err)
{
    struct as_informer_handlers hs = {stack_add, stack_update, stack_add, &m->rt};
    struct as_informer_handlers hr = {ref_add, ref_update, ref_add, &m->rt};
    unsigned apis;
    as_status st = as_kube_discovery_refresh(m->rt.disco, err);

    if (st != AS_OK)
        return st;
    apis = discover_apis(m);
    atomic_store(&m->rt.apis, apis);
    /* every informer exists before any starts: handlers read the others' caches */
    st = new_informer(m, as_kube_resource_by_kind("appstack.io/v1alpha1", "AppStack"), NULL, NULL,
                      &hs, &m->rt.stacks, err);
    if (st == AS_OK)
        st = sync_child_informers(m, apis, err);
    if (st == AS_OK)
        st = new_informer(m, as_kube_resource_by_kind("v1", "Secret"),
                          AS_OP_REFERENCED_LABEL "=true", NULL, &hr, &m->rt.refs, err);
    if (st == AS_OK)
        st = start_crd_informers(m, err);
    if (st == AS_OK)
        st = start_all(m, err);
    if (st == AS_OK)
        atomic_store(&m->started, true);
    if (st == AS_OK) {
        if (pthread_create(&m->maint, NULL, maint_main, m) != 0)
            return as_error_set(err, AS_E_NOMEM, "cannot start the maintenance thread");
        m->maint_started = true;
    }
    return st;
}

as_status as_op_manager_start_workers(struct as_op_manager *m, struct as_error *err)
{
    if (atomic_exchange(&m->workers_started, true))
        return AS_OK;
    m->workers = calloc((size_t)m->o.workers, sizeof(*m->workers));
    if (m->workers == NULL)
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    for (int i = 0; i < m->o.workers; i++) {
        if (pthread_create(&m->workers[i], NULL, worker_main, m) != 0)
            return as_error_set(err, AS_E_NOMEM, "cannot start worker %d", i);
        m->n_workers++;
    }
    {
        char n[16];
        snprintf(n, sizeof(n), "%d", m->n_workers);
        as_log_info("workers started", "workers", n, NULL);
    }
    return AS_OK;
}

bool as_op_manager_synced(struct as_op_manager *m)
{
    size_t n;
    bool ok = atomic_load(&m->started) && as_informer_has_synced(m->rt.stacks) &&
              as_informer_has_synced(m->rt.refs);

    as_op_kinds(&n);
    for (size_t i = 0; ok && i < n; i++) {
        struct as_informer *inf = as_op_child_informer(&m->rt, i);
        if (inf != NULL && !as_informer_has_synced(inf))
            ok = false;
    }
    return ok;
}

/* Joins the workers; after the grace period in-flight requests are aborted. */
static void join_workers(struct as_op_manager *m)
{
    struct timespec deadline;
    bool aborted = false;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += STOP_GRACE_MS / 1000;
    for (int i = 0; i < m->n_workers; i++) {
        if (!aborted && pthread_timedjoin_np(m->workers[i], NULL, &deadline) == 0)
            continue;
        if (!aborted) {
            as_log_warn("reconciles still running at shutdown; aborting their requests", NULL);
            as_kube_client_shutdown(m->o.client);
            aborted = true;
        }
        pthread_join(m->workers[i], NULL);
    }
}

void as_op_manager_stop(struct as_op_manager *m)
{
    if (m == NULL || m->stopped)
        return;
    m->stopped = true;
    atomic_store(&m->stop, true);
    if (m->rt.queue != NULL)
        as_workqueue_shut_down(m->rt.queue); /* idle workers leave; busy ones finish */
    join_workers(m);
    if (m->maint_started)
        pthread_join(m->maint, NULL);
}

void as_op_manager_free(struct as_op_manager *m)
{
    if (m == NULL)
        return;
    as_op_manager_stop(m);
    /* informers stop within a second each, at once when the client was shut down */
    as_informer_free(m->rt.stacks);
    as_informer_free(m->rt.refs);
    for (size_t i = 0; i < AS_OP_MAX_CRDS; i++)
        as_informer_free(m->rt.crds[i]);
    for (size_t i = 0; i < AS_OP_MAX_KINDS; i++)
        as_informer_free(m->rt.children[i]);
    if (m->rt.queue != NULL)
        as_workqueue_free(m->rt.queue);
    as_kube_discovery_free(m->rt.disco);
    json_decref(m->enqueued_at);
    pthread_mutex_destroy(&m->lat_lock);
    pthread_mutex_destroy(&m->rt.inf_lock);
    free(m->workers);
    free(m);
}
