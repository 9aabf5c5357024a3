/*
 * leader.c - the leader elector thread (see leader.h): acquire loop, renew
 * loop with the renew deadline, release on stop. Each attempt is one get plus
 * at most one create or update; the decision itself is as_leader_decide.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "kube/ops.h"
#include "kube/resource.h"
#include "leader.h"
#include "leader_record.h"

struct as_leader {
    struct as_kube_client *client;
    const struct as_kube_resource *res;
    char *ns, *name;
    char identity[AS_LEASE_IDENTITY_MAX];
    long lease_ms, renew_deadline_ms, retry_ms, duration_s;
    bool no_release;
    struct as_leader_callbacks cb;

    struct as_leader_observed obs; /* elector thread only */
    json_t *lease;                 /* last Lease we wrote (for release); elector thread only */
    char last_holder[AS_LEASE_IDENTITY_MAX];
    unsigned seed;

    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_bool stop;
    bool running, finished, leading;
    int64_t last_renew_ms; /* monotonic start of the last successful attempt */
    pthread_t thread;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fills le->identity from opts or hostname_pid_random. */
static void set_identity(struct as_leader *le, const char *given)
{
    char host[128] = "";
    unsigned rnd = 0;

    if (given && *given) {
        snprintf(le->identity, sizeof(le->identity), "%s", given);
        return;
    }
    if (gethostname(host, sizeof(host) - 1) != 0)
        host[0] = '\0';
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        rnd = (unsigned)mono_ms() ^ (unsigned)getpid();
    as_leader_make_identity(host, (long)getpid(), rnd, le->identity, sizeof(le->identity));
}

as_status as_leader_new(const struct as_leader_options *opts, const struct as_leader_callbacks *cb,
                        struct as_leader **out, struct as_error *err)
{
    struct as_leader *le;
    pthread_condattr_t ca;
    long lease, renew, retry;

    if (!opts || !opts->client || !opts->ns || !*opts->ns || !opts->name || !*opts->name)
        return as_error_set(err, AS_E_INVALID_ARG,
                            "leader election: client, namespace and "
                            "Lease name are required");
    lease = opts->lease_duration_ms > 0 ? opts->lease_duration_ms : 15000;
    renew = opts->renew_deadline_ms > 0 ? opts->renew_deadline_ms : 10000;
    retry = opts->retry_period_ms > 0 ? opts->retry_period_ms : 2000;
    if (renew >= lease)
        return as_error_set(err, AS_E_CONFIG,
                            "leader election: renew deadline (%ld ms) must be "
                            "shorter than the lease duration (%ld ms)",
                            renew, lease);
    if (retry * 12 / 10 >= renew)
        return as_error_set(err, AS_E_CONFIG,
                            "leader election: 1.2 x retry period (%ld ms) "
                            "must be shorter than the renew deadline (%ld ms)",
                            retry, renew);
    if (!(le = calloc(1, sizeof(*le))))
        return as_error_set(err, AS_E_NOMEM, "leader election: out of memory");
    le->ns = strdup(opts->ns);
    le->name = strdup(opts->name);
    if (!le->ns || !le->name) {
        free(le->ns);
        free(le->name);
        free(le);
        return as_error_set(err, AS_E_NOMEM, "leader election: out of memory");
    }
    le->client = opts->client;
    le->res = as_kube_resource_by_kind("coordination.k8s.io/v1", "Lease");
    le->lease_ms = lease;
    le->renew_deadline_ms = renew;
    le->retry_ms = retry;
    le->duration_s = (lease + 999) / 1000;
    le->no_release = opts->no_release;
    if (cb)
        le->cb = *cb;
    set_identity(le, opts->identity);
    le->seed = (unsigned)mono_ms() ^ (unsigned)getpid();
    pthread_mutex_init(&le->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&le->cond, &ca);
    pthread_condattr_destroy(&ca);
    atomic_init(&le->stop, false);
    *out = le;
    return AS_OK;
}

/* Sleeps ms unless stopped; false when stopped. */
static bool nap(struct as_leader *le, long ms)
{
    int64_t deadline = mono_ms() + ms;
    struct timespec ts = {.tv_sec = (time_t)(deadline / 1000),
                          .tv_nsec = (long)(deadline % 1000) * 1000000};

    pthread_mutex_lock(&le->lock);
    while (!atomic_load(&le->stop) && mono_ms() < deadline)
        pthread_cond_timedwait(&le->cond, &le->lock, &ts);
    pthread_mutex_unlock(&le->lock);
    return !atomic_load(&le->stop);
}

/* The retry period with client-go's jitter factor 1.2: [retry, 1.2 * retry). */
static long jittered_retry(struct as_leader *le)
{
    return le->retry_ms + (long)(rand_r(&le->seed) % (unsigned)(le->retry_ms / 5 + 1));
}

/* A fresh Lease object holding rec. New reference. */
static json_t *new_lease(struct as_leader *le, const struct as_lease_record *rec)
{
    json_t *l = json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "coordination.k8s.io/v1", "kind",
                          "Lease", "metadata", "name", le->name, "namespace", le->ns);

    if (l && as_lease_record_to_lease(rec, l) != AS_OK) {
        json_decref(l);
        l = NULL;
    }
    return l;
}

/* Logs holder changes once. */
static void note_holder(struct as_leader *le, const char *holder)
{
    if (strcmp(le->last_holder, holder) == 0)
        return;
    snprintf(le->last_holder, sizeof(le->last_holder), "%s", holder);
    as_log_info("leader election: lease holder changed", "lease", le->name, "holder",
                *holder ? holder : "(none)", NULL);
}

/* One tryAcquireOrRenew. True when we hold the Lease afterwards. */
static bool try_acquire_or_renew(struct as_leader *le)
{
    struct as_error err = {0};
    struct as_lease_record cur, next;
    struct timespec wall;
    char now_micro[AS_MICRO_TIME_MAX];
    json_t *got = NULL, *obj = NULL, *written = NULL;
    enum as_leader_decision d;
    as_status st;
    bool ok = false;

    /* A write must not outlive the renew deadline, whatever the client's default timeout. */
    const struct as_kube_write_options wo = {.timeout_ms = le->renew_deadline_ms};

    clock_gettime(CLOCK_REALTIME, &wall);
    as_lease_micro_time(&wall, now_micro, sizeof(now_micro));
    st = as_kube_get(le->client, le->res, le->ns, le->name, &got, &err);
    if (st == AS_E_API_NOT_FOUND) {
        as_leader_decide(NULL, &le->obs, le->identity, le->duration_s, mono_ms(), now_micro, &next);
        if (!(obj = new_lease(le, &next)))
            goto done;
        st = as_kube_create(le->client, le->res, le->ns, obj, &wo, &written, &err);
    } else if (st == AS_OK) {
        if ((st = as_lease_record_from_lease(got, &cur, &err)) != AS_OK)
            goto done;
        note_holder(le, cur.holder);
        d = as_leader_decide(&cur, &le->obs, le->identity, le->duration_s, mono_ms(), now_micro,
                             &next);
        if (d == AS_LEADER_WAIT)
            goto done;
        obj = json_deep_copy(got); /* keeps metadata.resourceVersion: optimistic concurrency */
        if (!obj || as_lease_record_to_lease(&next, obj) != AS_OK)
            goto done;
        st = as_kube_update(le->client, le->res, le->ns, obj, &wo, &written, &err);
    }
    if (st == AS_OK) {
        as_leader_observe_written(&le->obs, &next, mono_ms());
        note_holder(le, next.holder);
        json_decref(le->lease);
        le->lease = written;
        written = NULL;
        ok = true;
    } else if (st != AS_E_API_CONFLICT && st != AS_E_API_ALREADY_EXISTS) {
        as_log_warn("leader election: attempt failed", "lease", le->name, "error", err.message,
                    NULL);
    }
done:
    json_decref(got);
    json_decref(obj);
    json_decref(written);
    return ok;
}

/* Gives the Lease up (holder "", 1 s) so a follower takes over at once. */
static void release(struct as_leader *le)
{
    struct as_lease_record rec;
    struct as_error err = {0};
    struct timespec wall;
    json_t *obj;

    if (le->no_release || !le->lease)
        return;
    memset(&rec, 0, sizeof(rec));
    clock_gettime(CLOCK_REALTIME, &wall);
    as_lease_micro_time(&wall, rec.renew_time, sizeof(rec.renew_time));
    memcpy(rec.acquire_time, rec.renew_time, sizeof(rec.acquire_time));
    rec.duration_seconds = 1;
    rec.transitions = le->obs.rec.transitions;
    obj = json_deep_copy(le->lease);
    if (obj && as_lease_record_to_lease(&rec, obj) == AS_OK &&
        as_kube_update(le->client, le->res, le->ns, obj, NULL, NULL, &err) != AS_OK)
        as_log_warn("leader election: could not release the lease", "lease", le->name, "error",
                    err.message, NULL);
    json_decref(obj);
}

static void set_leading(struct as_leader *le, bool leading, int64_t renewed)
{
    pthread_mutex_lock(&le->lock);
    le->leading = leading;
    if (leading)
        le->last_renew_ms = renewed;
    pthread_mutex_unlock(&le->lock);
}

/* The elector thread: acquire, then renew until lost or stopped. */
static void *run(void *p)
{
    struct as_leader *le = p;
    int64_t attempt, last_ok = 0;
    bool lost = false;

    pthread_setname_np(pthread_self(), "leader-elect");
    for (;;) {
        if (atomic_load(&le->stop))
            goto out;
        attempt = mono_ms();
        if (try_acquire_or_renew(le)) {
            last_ok = attempt;
            break;
        }
        if (!nap(le, jittered_retry(le)))
            goto out;
    }
    set_leading(le, true, last_ok);
    as_log_info("leader election: started leading", "lease", le->name, "identity", le->identity,
                NULL);
    if (le->cb.started_leading)
        le->cb.started_leading(le->cb.ctx);
    while (nap(le, le->retry_ms)) {
        attempt = mono_ms();
        if (try_acquire_or_renew(le)) {
            last_ok = attempt;
            set_leading(le, true, last_ok);
        } else if (mono_ms() - last_ok >= le->renew_deadline_ms) {
            lost = true;
            break;
        }
    }
    set_leading(le, false, 0);
    if (lost)
        as_log_warn("leader election: lost the lease (renew deadline passed)", "lease", le->name,
                    NULL);
    else
        release(le);
    as_log_info("leader election: stopped leading", "lease", le->name, NULL);
    if (le->cb.stopped_leading)
        le->cb.stopped_leading(le->cb.ctx);
out:
    pthread_mutex_lock(&le->lock);
    le->finished = true;
    pthread_mutex_unlock(&le->lock);
    return NULL;
}

as_status as_leader_start(struct as_leader *le, struct as_error *err)
{
    int rc;

    pthread_mutex_lock(&le->lock);
    if (le->running || le->finished) {
        pthread_mutex_unlock(&le->lock);
        return as_error_set(err, AS_E_INVALID_ARG, "leader election: already started");
    }
    rc = pthread_create(&le->thread, NULL, run, le);
    le->running = rc == 0;
    pthread_mutex_unlock(&le->lock);
    if (rc != 0)
        return as_error_set(err, AS_E_NOMEM, "leader election: cannot start a thread");
    return AS_OK;
}

void as_leader_stop(struct as_leader *le)
{
    bool running;

    pthread_mutex_lock(&le->lock);
    atomic_store(&le->stop, true);
    pthread_cond_broadcast(&le->cond);
    running = le->running;
    le->running = false;
    pthread_mutex_unlock(&le->lock);
    if (running)
        pthread_join(le->thread, NULL);
}

void as_leader_free(struct as_leader *le)
{
    if (!le)
        return;
    as_leader_stop(le);
    json_decref(le->lease);
    free(le->ns);
    free(le->name);
    pthread_cond_destroy(&le->cond);
    pthread_mutex_destroy(&le->lock);
    free(le);
}

bool as_leader_is_leading(struct as_leader *le)
{
    bool l;

    pthread_mutex_lock(&le->lock);
    l = le->leading && mono_ms() - le->last_renew_ms < le->renew_deadline_ms;
    pthread_mutex_unlock(&le->lock);
    return l;
}

bool as_leader_finished(struct as_leader *le)
{
    bool f;

    pthread_mutex_lock(&le->lock);
    f = le->finished;
    pthread_mutex_unlock(&le->lock);
    return f;
}

const char *as_leader_identity(const struct as_leader *le)
{
    return le->identity;
}
