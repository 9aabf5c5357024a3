/*
 * informer.c - the informer thread (see informer.h): the list/watch state
 * machine, applying events to the cache and calling the handlers, jittered
 * reconnect backoff, start/stop. The relist diff is pure (diff.c); the store
 * is cache.c.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/log.h"
#include "informer/backoff.h"
#include "informer/diff.h"
#include "informer/informer.h"
#include "kube/ops.h"

/* A watch shorter than this that delivered nothing counts as a failure for backoff. */
#define SHORT_WATCH_MS 1000

struct as_informer {
    struct as_kube_client *client;
    const struct as_kube_resource *res;
    char *ns, *label_selector, *field_selector;
    char name[16];
    long page_size, watch_timeout_seconds;
    bool keep_managed_fields, keep_last_applied;
    struct as_informer_handlers h;
    struct as_cache *cache;
    struct as_backoff backoff;
    unsigned seed;

    pthread_mutex_t lock; /* guards everything below and stats */
    pthread_cond_t cond;  /* synced changes, stop requested */
    atomic_bool stop;     /* also the watch's cancel flag */
    bool running;
    pthread_t thread;
    bool listed; /* stats.resource_version is a valid resume point */
    struct as_informer_stats stats;

    pthread_mutex_t deliver; /* serialises cache change + handler calls */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* strdup of an optional string; true on success. */
static bool dup_opt(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return true;
    *out = strdup(s);
    return *out != NULL;
}

as_status as_informer_new(const struct as_informer_options *opts,
                          const struct as_informer_handlers *handlers, struct as_informer **out,
                          struct as_error *err)
{
    struct as_informer *inf;
    pthread_condattr_t ca;
    as_status st;

    if (!opts || !opts->client || !opts->res)
        return as_error_set(err, AS_E_INVALID_ARG, "informer: client and resource are required");
    if (!(inf = calloc(1, sizeof(*inf))))
        return as_error_set(err, AS_E_NOMEM, "informer: out of memory");
    inf->client = opts->client;
    inf->res = opts->res;
    if (!dup_opt(opts->res->namespaced ? opts->ns : NULL, &inf->ns) ||
        !dup_opt(opts->label_selector, &inf->label_selector) ||
        !dup_opt(opts->field_selector, &inf->field_selector)) {
        st = as_error_set(err, AS_E_NOMEM, "informer: out of memory");
        goto fail;
    }
    if ((st = as_cache_new(opts->index_label, &inf->cache, err)) != AS_OK)
        goto fail;
    as_cache_set_compact(inf->cache, opts->compact);
    snprintf(inf->name, sizeof(inf->name), "%s", opts->name ? opts->name : "");
    if (!opts->name)
        snprintf(inf->name, sizeof(inf->name), "inf-%s", opts->res->plural);
    inf->page_size = opts->page_size > 0 ? opts->page_size : 500;
    inf->watch_timeout_seconds = opts->watch_timeout_seconds;
    inf->keep_managed_fields = opts->keep_managed_fields;
    inf->keep_last_applied = opts->keep_last_applied;
    if (handlers)
        inf->h = *handlers;
    as_backoff_init(&inf->backoff, opts->backoff_initial_ms > 0 ? opts->backoff_initial_ms : 1000,
                    opts->backoff_max_ms > 0 ? opts->backoff_max_ms : 30000, 0.25);
    inf->seed = (unsigned)mono_ms() ^ (unsigned)(uintptr_t)inf;
    pthread_mutex_init(&inf->lock, NULL);
    pthread_mutex_init(&inf->deliver, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&inf->cond, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&inf->stop, false);
    *out = inf;
    return AS_OK;
fail:
    free(inf->ns);
    free(inf->label_selector);
    free(inf->field_selector);
    free(inf);
    return st;
}

/* Sleeps ms unless stopped meanwhile; false when stopped. */
static bool sleep_unless_stopped(struct as_informer *inf, long ms)
{
    int64_t deadline = mono_ms() + ms;
    struct timespec ts = {.tv_sec = (time_t)(deadline / 1000),
                          .tv_nsec = (long)(deadline % 1000) * 1000000};

    pthread_mutex_lock(&inf->lock);
    while (!atomic_load(&inf->stop) && mono_ms() < deadline)
        pthread_cond_timedwait(&inf->cond, &inf->lock, &ts);
    pthread_mutex_unlock(&inf->lock);
    return !atomic_load(&inf->stop);
}

/* Drops metadata.managedFields (unless configured otherwise) from an object nobody shares yet. */
static void trim(struct as_informer *inf, json_t *obj)
{
    json_t *meta = json_object_get(obj, "metadata"), *ann;

    if (!inf->keep_managed_fields)
        json_object_del(meta, "managedFields");
    if (!inf->keep_last_applied && (ann = json_object_get(meta, "annotations")) != NULL &&
        json_object_del(ann, AS_INFORMER_LAST_APPLIED) == 0 && json_object_size(ann) == 0)
        json_object_del(meta, "annotations");
}

/* Calls the handler for one event. */
static void deliver_one(struct as_informer *inf, enum as_informer_event_type t, json_t *old,
                        json_t *obj)
{
    switch (t) {
    case AS_INFORMER_ADD:
        if (inf->h.on_add)
            inf->h.on_add(obj, inf->h.ctx);
        break;
    case AS_INFORMER_UPDATE:
        if (inf->h.on_update)
            inf->h.on_update(old, obj, inf->h.ctx);
        break;
    case AS_INFORMER_DELETE:
        if (inf->h.on_delete)
            inf->h.on_delete(old, inf->h.ctx);
        break;
    }
}

/* Records the resume point. */
static void set_rv(struct as_informer *inf, const char *rv)
{
    if (!rv || !*rv)
        return;
    pthread_mutex_lock(&inf->lock);
    snprintf(inf->stats.resource_version, sizeof(inf->stats.resource_version), "%s", rv);
    pthread_mutex_unlock(&inf->lock);
}

/*
 * Lists every page (page_size each, following continue tokens within one
 * snapshot) into *items_out (a new array) and the snapshot's resourceVersion
 * into rv. Each item is trimmed and copied as soon as its page arrives (as
 * the stub a compact cache stores), so only one page of full objects (with
 * managedFields and parser scratch) is alive at a time and the cached copies
 * end up packed together instead of interleaved with freed memory (see
 * docs/benchmarks.md). In compact mode the handlers of a (re)list's events
 * therefore get stubs, as they already do for old objects. Checks the stop
 * flag between pages. AS_E_API_GONE when the snapshot expired mid-way.
 */
static as_status list_pages(struct as_informer *inf, json_t **items_out, char *rv, size_t rv_size,
                            struct as_error *err)
{
    struct as_kube_list_options lo = {.label_selector = inf->label_selector,
                                      .field_selector = inf->field_selector,
                                      .limit = inf->page_size,
                                      .cancel = &inf->stop};
    json_t *items = json_array(), *page = NULL, *item, *copy;
    char *token = NULL;
    const char *next;
    size_t i;
    as_status st = AS_OK;

    if (!items)
        return as_error_set(err, AS_E_NOMEM, "informer %s: out of memory", inf->name);
    rv[0] = '\0';
    for (;;) {
        if (atomic_load(&inf->stop)) {
            st = as_error_set(err, AS_E_SHUTDOWN, "informer %s: stopped", inf->name);
            break;
        }
        if ((st = as_kube_list(inf->client, inf->res, inf->ns, &lo, &page, err)) != AS_OK)
            break;
        if (!rv[0] && (next = json_string_value(as_json_path(page, "metadata.resourceVersion"))))
            snprintf(rv, rv_size, "%s", next);
        json_array_foreach(json_object_get(page, "items"), i, item)
        {
            trim(inf, item);
            if (!json_object_get(item, "apiVersion"))
                json_object_set_new(item, "apiVersion", json_string(inf->res->api_version));
            if (!json_object_get(item, "kind"))
                json_object_set_new(item, "kind", json_string(inf->res->kind));
            /* a compact cache's stub, or a packed deep copy: nothing of the page stays */
            if (!(copy = as_cache_stored_copy(inf->cache, item)) ||
                json_array_append_new(items, copy) != 0) {
                st = as_error_set(err, AS_E_NOMEM, "informer %s: out of memory", inf->name);
                goto out;
            }
        }
        next = json_string_value(as_json_path(page, "metadata.continue"));
        if (!next || !*next)
            break;
        free(token);
        if (!(token = strdup(next))) {
            st = as_error_set(err, AS_E_NOMEM, "informer %s: out of memory", inf->name);
            break;
        }
        lo.continue_token = token;
        json_decref(page);
        page = NULL;
    }
out:
    free(token);
    json_decref(page);
    if (st == AS_OK)
        *items_out = items;
    else
        json_decref(items);
    return st;
}

/* listing: one full list, diffed into the cache and delivered. */
static as_status do_list(struct as_informer *inf)
{
    struct as_informer_events ev = {0};
    struct as_error err = {0};
    json_t *items = NULL, *map = NULL, *snap = NULL;
    char rv[64];
    size_t i;
    as_status st;

    st = list_pages(inf, &items, rv, sizeof(rv), &err);
    if (st == AS_OK && !(snap = as_cache_snapshot(inf->cache)))
        st = as_error_set(&err, AS_E_NOMEM, "informer %s: out of memory", inf->name);
    if (st == AS_OK)
        st = as_informer_diff(snap, items, &map, &ev, &err);
    json_decref(snap);
    if (st == AS_OK) {
        pthread_mutex_lock(&inf->deliver);
        if ((st = as_cache_replace(inf->cache, map)) != AS_OK) {
            pthread_mutex_unlock(&inf->deliver);
            as_error_set(&err, st, "informer %s: the cache could not take the list", inf->name);
        }
    }
    if (st != AS_OK) {
        if (st != AS_E_SHUTDOWN)
            as_log_warn("informer: list failed; retrying", "informer", inf->name, "error",
                        err.message, NULL);
        pthread_mutex_lock(&inf->lock);
        inf->stats.list_failures++;
        pthread_mutex_unlock(&inf->lock);
        as_cache_unstage(inf->cache);
        as_informer_events_free(&ev);
        json_decref(items);
        return st;
    }
    for (i = 0; i < ev.n; i++)
        deliver_one(inf, ev.v[i].type, ev.v[i].old, ev.v[i].obj);
    pthread_mutex_unlock(&inf->deliver);
    set_rv(inf, rv);
    pthread_mutex_lock(&inf->lock);
    inf->stats.lists++;
    inf->stats.synced = true;
    inf->listed = true;
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->lock);
    as_log_debug("informer: listed", "informer", inf->name, NULL);
    as_informer_events_free(&ev);
    json_decref(items);
    return AS_OK;
}

/* Watch callback: applies one event to the cache and calls the handler. */
static as_status on_watch_event(enum as_kube_watch_type type, json_t *obj, void *p)
{
    struct as_informer *inf = p;
    char key[AS_INFORMER_KEY_MAX];
    json_t *old = NULL;

    if (atomic_load(&inf->stop))
        return AS_E_SHUTDOWN;
    if (type == AS_KUBE_WATCH_BOOKMARK) {
        set_rv(inf, json_string_value(as_json_path(obj, "metadata.resourceVersion")));
        pthread_mutex_lock(&inf->lock);
        inf->stats.bookmarks++;
        pthread_mutex_unlock(&inf->lock);
        return AS_OK;
    }
    if (as_informer_object_key(obj, key, sizeof(key)) != AS_OK) {
        as_log_warn("informer: ignoring a watch event without metadata.name", "informer", inf->name,
                    NULL);
        return AS_OK;
    }
    trim(inf, obj);
    pthread_mutex_lock(&inf->deliver);
    if (type == AS_KUBE_WATCH_DELETED) {
        as_cache_remove(inf->cache, key, &old);
        if (old)
            deliver_one(inf, AS_INFORMER_DELETE, obj, NULL);
    } else if (as_cache_put(inf->cache, key, obj, &old) == AS_OK) {
        deliver_one(inf, old ? AS_INFORMER_UPDATE : AS_INFORMER_ADD, old, obj);
    } else {
        /* Out of memory: end the watch before the resume point passes this event. */
        pthread_mutex_unlock(&inf->deliver);
        return AS_E_NOMEM;
    }
    pthread_mutex_unlock(&inf->deliver);
    json_decref(old);
    set_rv(inf, json_string_value(as_json_path(obj, "metadata.resourceVersion")));
    pthread_mutex_lock(&inf->lock);
    inf->stats.events++;
    pthread_mutex_unlock(&inf->lock);
    return AS_OK;
}

/* watching: one watch from the resume point until it ends. */
static as_status do_watch(struct as_informer *inf)
{
    struct as_kube_watch_options wo = {.label_selector = inf->label_selector,
                                       .field_selector = inf->field_selector,
                                       .cancel = &inf->stop};
    struct as_error err = {0};
    char rv[64];
    unsigned long events_before;
    int64_t started = mono_ms();
    as_status st;

    pthread_mutex_lock(&inf->lock);
    snprintf(rv, sizeof(rv), "%s", inf->stats.resource_version);
    events_before = inf->stats.events + inf->stats.bookmarks;
    inf->stats.watches++;
    pthread_mutex_unlock(&inf->lock);
    wo.resource_version = rv;
    wo.timeout_seconds = inf->watch_timeout_seconds > 0 ? inf->watch_timeout_seconds
                                                        : 300 + rand_r(&inf->seed) % 300;
    st = as_kube_watch(inf->client, inf->res, inf->ns, &wo, on_watch_event, inf, &err);
    if (st == AS_E_SHUTDOWN || atomic_load(&inf->stop))
        return AS_E_SHUTDOWN;
    pthread_mutex_lock(&inf->lock);
    bool progressed = inf->stats.events + inf->stats.bookmarks > events_before;
    if (st == AS_E_API_GONE) {
        inf->stats.expired++;
        inf->listed = false;
    } else if (st != AS_OK) {
        inf->stats.watch_failures++;
    }
    pthread_mutex_unlock(&inf->lock);
    if (progressed || mono_ms() - started >= 10 * SHORT_WATCH_MS)
        as_backoff_reset(&inf->backoff);
    if (st == AS_E_API_GONE) {
        as_log_info("informer: resource version expired; relisting", "informer", inf->name, NULL);
        return AS_OK;
    }
    if (st == AS_OK && (progressed || mono_ms() - started >= SHORT_WATCH_MS))
        return AS_OK; /* the server ended a healthy watch: resume at once */
    if (st != AS_OK)
        as_log_warn("informer: watch failed; resuming after a backoff", "informer", inf->name,
                    "error", err.message, NULL);
    return sleep_unless_stopped(inf, as_backoff_next(&inf->backoff)) ? AS_OK : AS_E_SHUTDOWN;
}

/* The informer thread. */
static void *run(void *p)
{
    struct as_informer *inf = p;
    bool listed;

    pthread_setname_np(pthread_self(), inf->name);
    while (!atomic_load(&inf->stop)) {
        pthread_mutex_lock(&inf->lock);
        listed = inf->listed;
        pthread_mutex_unlock(&inf->lock);
        if (!listed) {
            as_status st = do_list(inf);
            if (st == AS_OK)
                as_backoff_reset(&inf->backoff);
            else if (!sleep_unless_stopped(inf, as_backoff_next(&inf->backoff)))
                break;
            continue;
        }
        if (do_watch(inf) == AS_E_SHUTDOWN)
            break;
    }
    return NULL;
}

as_status as_informer_start(struct as_informer *inf, struct as_error *err)
{
    int rc;

    pthread_mutex_lock(&inf->lock);
    if (inf->running) {
        pthread_mutex_unlock(&inf->lock);
        return as_error_set(err, AS_E_INVALID_ARG, "informer %s: already running", inf->name);
    }
    atomic_store(&inf->stop, false);
    rc = pthread_create(&inf->thread, NULL, run, inf);
    inf->running = rc == 0;
    pthread_mutex_unlock(&inf->lock);
    if (rc != 0)
        return as_error_set(err, AS_E_NOMEM, "informer %s: cannot start a thread", inf->name);
    return AS_OK;
}

void as_informer_stop(struct as_informer *inf)
{
    bool running;

    if (!inf)
        return;
    pthread_mutex_lock(&inf->lock);
    running = inf->running;
    atomic_store(&inf->stop, true);
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->lock);
    if (!running)
        return;
    pthread_join(inf->thread, NULL);
    pthread_mutex_lock(&inf->lock);
    inf->running = false;
    pthread_mutex_unlock(&inf->lock);
}

void as_informer_free(struct as_informer *inf)
{
    if (!inf)
        return;
    as_informer_stop(inf);
    as_cache_free(inf->cache);
    free(inf->ns);
    free(inf->label_selector);
    free(inf->field_selector);
    pthread_cond_destroy(&inf->cond);
    pthread_mutex_destroy(&inf->lock);
    pthread_mutex_destroy(&inf->deliver);
    free(inf);
}

bool as_informer_has_synced(struct as_informer *inf)
{
    bool s;

    pthread_mutex_lock(&inf->lock);
    s = inf->stats.synced;
    pthread_mutex_unlock(&inf->lock);
    return s;
}

bool as_informer_wait_synced(struct as_informer *inf, long timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    struct timespec ts = {.tv_sec = (time_t)(deadline / 1000),
                          .tv_nsec = (long)(deadline % 1000) * 1000000};
    bool s;

    pthread_mutex_lock(&inf->lock);
    while (!inf->stats.synced && (timeout_ms < 0 || mono_ms() < deadline)) {
        if (timeout_ms < 0)
            pthread_cond_wait(&inf->cond, &inf->lock);
        else
            pthread_cond_timedwait(&inf->cond, &inf->lock, &ts);
    }
    s = inf->stats.synced;
    pthread_mutex_unlock(&inf->lock);
    return s;
}

struct as_cache *as_informer_cache(struct as_informer *inf)
{
    return inf->cache;
}

json_t *as_informer_get(struct as_informer *inf, const char *ns, const char *name)
{
    char key[AS_INFORMER_KEY_MAX];
    int n;

    if (!name)
        return NULL;
    n = ns && *ns ? snprintf(key, sizeof(key), "%s/%s", ns, name)
                  : snprintf(key, sizeof(key), "%s", name);
    if (n < 0 || (size_t)n >= sizeof(key))
        return NULL;
    return as_cache_get(inf->cache, key);
}

size_t as_informer_resync(struct as_informer *inf)
{
    json_t *keys, *stub, *obj;
    const char *key;
    size_t n = 0;

    pthread_mutex_lock(&inf->deliver);
    /* the keys (a compact cache's stubs carry no body), then one whole object at a time:
       parsing every object first held them all at once (1,000 AppStacks: ~20 MiB) */
    keys = as_cache_snapshot(inf->cache);
    json_object_foreach(keys, key, stub)
    {
        if ((obj = as_cache_get(inf->cache, key)) == NULL)
            continue; /* deleted since the snapshot */
        deliver_one(inf, AS_INFORMER_UPDATE, obj, obj);
        json_decref(obj);
        n++;
    }
    pthread_mutex_unlock(&inf->deliver);
    json_decref(keys);
    return n;
}

void as_informer_get_stats(struct as_informer *inf, struct as_informer_stats *out)
{
    pthread_mutex_lock(&inf->lock);
    *out = inf->stats;
    pthread_mutex_unlock(&inf->lock);
}
