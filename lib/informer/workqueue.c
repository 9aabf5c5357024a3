/*
 * workqueue.c - the work queue of workqueue.h: a FIFO of owned key strings,
 * "dirty" and "processing" sets and a failure count per key (jansson objects
 * used as string hash maps), and a binary min-heap of delayed keys promoted
 * by getters that wait until the earliest deadline.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "informer/workqueue.h"

struct delayed {
    int64_t at_ms; /* monotonic deadline */
    uint64_t seq;  /* insertion order, to keep equal deadlines FIFO */
    char *key;     /* owned */
};

struct as_workqueue {
    pthread_mutex_t lock;
    pthread_cond_t ready;   /* a key became ready, the heap changed, or shutdown */
    pthread_cond_t drained; /* processing became empty */
    long base_ms, max_ms;

    char **fifo; /* owned keys; live range [head, tail) */
    size_t head, tail, cap;
    json_t *dirty;      /* key -> true: queued or to be queued when done */
    json_t *processing; /* key -> true: handed out, not yet done */
    json_t *failures;   /* key -> integer */
    json_t *waiting;    /* key -> integer deadline of its live heap entry */

    struct delayed *heap;
    size_t nheap, capheap;
    uint64_t seq;
    bool shutting_down;
};

/* Monotonic milliseconds. */
static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long as_workqueue_backoff_ms(long base_ms, long max_ms, unsigned failures)
{
    long d = base_ms;

    if (base_ms <= 0)
        return 0;
    for (unsigned i = 0; i < failures; i++) {
        if (d > max_ms / 2)
            return max_ms;
        d *= 2;
    }
    return d < max_ms ? d : max_ms;
}

as_status as_workqueue_new(const struct as_workqueue_options *opts, struct as_workqueue **out,
                           struct as_error *err)
{
    struct as_workqueue *q = calloc(1, sizeof(*q));
    pthread_condattr_t ca;

    if (!q)
        return as_error_set(err, AS_E_NOMEM, "workqueue: out of memory");
    q->base_ms = opts && opts->base_delay_ms > 0 ? opts->base_delay_ms : AS_WORKQUEUE_BASE_DELAY_MS;
    q->max_ms = opts && opts->max_delay_ms > 0 ? opts->max_delay_ms : AS_WORKQUEUE_MAX_DELAY_MS;
    q->dirty = json_object();
    q->processing = json_object();
    q->failures = json_object();
    q->waiting = json_object();
    if (!q->dirty || !q->processing || !q->failures || !q->waiting) {
        json_decref(q->dirty);
        json_decref(q->processing);
        json_decref(q->failures);
        json_decref(q->waiting);
        free(q);
        return as_error_set(err, AS_E_NOMEM, "workqueue: out of memory");
    }
    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->ready, &ca);
    pthread_cond_init(&q->drained, &ca);
    pthread_condattr_destroy(&ca);
    *out = q;
    return AS_OK;
}

void as_workqueue_free(struct as_workqueue *q)
{
    if (!q)
        return;
    for (size_t i = q->head; i < q->tail; i++)
        free(q->fifo[i]);
    free(q->fifo);
    for (size_t i = 0; i < q->nheap; i++)
        free(q->heap[i].key);
    free(q->heap);
    json_decref(q->dirty);
    json_decref(q->processing);
    json_decref(q->failures);
    json_decref(q->waiting);
    pthread_cond_destroy(&q->ready);
    pthread_cond_destroy(&q->drained);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

/* Appends an owned key to the FIFO (compacting or growing it). Lock held. */
static as_status fifo_push(struct as_workqueue *q, char *key)
{
    if (q->tail == q->cap) {
        if (q->head > 0) {
            memmove(q->fifo, q->fifo + q->head, (q->tail - q->head) * sizeof(*q->fifo));
            q->tail -= q->head;
            q->head = 0;
        }
        if (q->tail == q->cap) {
            size_t ncap = q->cap ? q->cap * 2 : 64;
            char **n = realloc(q->fifo, ncap * sizeof(*n));
            if (!n)
                return AS_E_NOMEM;
            q->fifo = n;
            q->cap = ncap;
        }
    }
    q->fifo[q->tail++] = key;
    return AS_OK;
}

/* The client-go add: dedup through dirty, defer while processing. Lock held. */
static as_status add_locked(struct as_workqueue *q, const char *key)
{
    char *copy;

    if (q->shutting_down)
        return AS_E_SHUTDOWN;
    if (json_object_get(q->dirty, key))
        return AS_OK;
    if (json_object_set_new(q->dirty, key, json_true()) != 0)
        return AS_E_NOMEM;
    if (json_object_get(q->processing, key))
        return AS_OK; /* done() queues it again */
    if (!(copy = strdup(key)) || fifo_push(q, copy) != AS_OK) {
        free(copy);
        json_object_del(q->dirty, key);
        return AS_E_NOMEM;
    }
    pthread_cond_signal(&q->ready);
    return AS_OK;
}

as_status as_workqueue_add(struct as_workqueue *q, const char *key)
{
    as_status st;

    if (!key || !*key)
        return AS_E_INVALID_ARG;
    pthread_mutex_lock(&q->lock);
    st = add_locked(q, key);
    pthread_mutex_unlock(&q->lock);
    return st;
}

/* True when heap entry a comes before b. */
static bool heap_less(const struct delayed *a, const struct delayed *b)
{
    return a->at_ms < b->at_ms || (a->at_ms == b->at_ms && a->seq < b->seq);
}

static void heap_swap(struct delayed *a, struct delayed *b)
{
    struct delayed t = *a;
    *a = *b;
    *b = t;
}

/* Pushes an owned key with its deadline. Lock held. */
static as_status heap_push(struct as_workqueue *q, char *key, int64_t at)
{
    size_t i;

    if (q->nheap == q->capheap) {
        size_t ncap = q->capheap ? q->capheap * 2 : 32;
        struct delayed *n = realloc(q->heap, ncap * sizeof(*n));
        if (!n)
            return AS_E_NOMEM;
        q->heap = n;
        q->capheap = ncap;
    }
    i = q->nheap++;
    q->heap[i] = (struct delayed){.at_ms = at, .seq = q->seq++, .key = key};
    while (i > 0 && heap_less(&q->heap[i], &q->heap[(i - 1) / 2])) {
        heap_swap(&q->heap[i], &q->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    return AS_OK;
}

/* Removes the top entry into *out (the caller owns out->key). Lock held; heap not empty. */
static void heap_pop(struct as_workqueue *q, struct delayed *out)
{
    size_t i = 0;

    *out = q->heap[0];
    q->heap[0] = q->heap[--q->nheap];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->nheap && heap_less(&q->heap[l], &q->heap[m]))
            m = l;
        if (r < q->nheap && heap_less(&q->heap[r], &q->heap[m]))
            m = r;
        if (m == i)
            break;
        heap_swap(&q->heap[i], &q->heap[m]);
        i = m;
    }
}

/* Moves every delayed key whose deadline passed into the queue. Lock held. */
static void promote_ready(struct as_workqueue *q, int64_t now)
{
    struct delayed d;
    json_t *w;

    while (q->nheap > 0 && q->heap[0].at_ms <= now) {
        heap_pop(q, &d);
        w = json_object_get(q->waiting, d.key);
        /* Entries superseded by an earlier deadline for the same key are stale. */
        if (w && json_integer_value(w) == d.at_ms) {
            json_object_del(q->waiting, d.key);
            add_locked(q, d.key);
        }
        free(d.key);
    }
}

as_status as_workqueue_add_after(struct as_workqueue *q, const char *key, long delay_ms)
{
    as_status st = AS_OK;
    int64_t at;
    json_t *w;
    char *copy;

    if (!key || !*key)
        return AS_E_INVALID_ARG;
    if (delay_ms <= 0)
        return as_workqueue_add(q, key);
    pthread_mutex_lock(&q->lock);
    if (q->shutting_down) {
        st = AS_E_SHUTDOWN;
        goto out;
    }
    at = now_ms() + delay_ms;
    w = json_object_get(q->waiting, key);
    if (w && json_integer_value(w) <= at)
        goto out; /* already due earlier */
    if (!(copy = strdup(key))) {
        st = AS_E_NOMEM;
        goto out;
    }
    if (json_object_set_new(q->waiting, key, json_integer(at)) != 0 ||
        heap_push(q, copy, at) != AS_OK) {
        free(copy);
        st = AS_E_NOMEM;
        goto out;
    }
    pthread_cond_broadcast(&q->ready); /* getters recompute their deadline */
out:
    pthread_mutex_unlock(&q->lock);
    return st;
}

as_status as_workqueue_add_rate_limited(struct as_workqueue *q, const char *key)
{
    unsigned n;

    if (!key || !*key)
        return AS_E_INVALID_ARG;
    pthread_mutex_lock(&q->lock);
    n = (unsigned)json_integer_value(json_object_get(q->failures, key));
    json_object_set_new(q->failures, key, json_integer((json_int_t)n + 1));
    pthread_mutex_unlock(&q->lock);
    return as_workqueue_add_after(q, key, as_workqueue_backoff_ms(q->base_ms, q->max_ms, n));
}

void as_workqueue_forget(struct as_workqueue *q, const char *key)
{
    if (!key)
        return;
    pthread_mutex_lock(&q->lock);
    json_object_del(q->failures, key);
    pthread_mutex_unlock(&q->lock);
}

unsigned as_workqueue_num_requeues(struct as_workqueue *q, const char *key)
{
    unsigned n;

    if (!key)
        return 0;
    pthread_mutex_lock(&q->lock);
    n = (unsigned)json_integer_value(json_object_get(q->failures, key));
    pthread_mutex_unlock(&q->lock);
    return n;
}

/* Absolute CLOCK_MONOTONIC time for a deadline in monotonic ms. */
static struct timespec to_timespec(int64_t at_ms)
{
    struct timespec ts = {.tv_sec = (time_t)(at_ms / 1000),
                          .tv_nsec = (long)(at_ms % 1000) * 1000000};
    return ts;
}

/* Shared body of get / get_timed; deadline < 0 waits forever. */
static as_status get_until(struct as_workqueue *q, int64_t deadline, char **key_out)
{
    as_status st;
    char *key;

    pthread_mutex_lock(&q->lock);
    for (;;) {
        int64_t now = now_ms(), wake = deadline;
        if (q->shutting_down) {
            st = AS_E_SHUTDOWN;
            break;
        }
        promote_ready(q, now);
        if (q->head < q->tail) {
            key = q->fifo[q->head++];
            json_object_del(q->dirty, key);
            if (json_object_set_new(q->processing, key, json_true()) != 0) {
                /* Put it back rather than lose it. */
                q->head--;
                json_object_set_new(q->dirty, key, json_true());
                st = AS_E_NOMEM;
                break;
            }
            *key_out = key;
            st = AS_OK;
            break;
        }
        if (deadline >= 0 && now >= deadline) {
            st = AS_E_TIMEOUT;
            break;
        }
        if (q->nheap > 0 && (wake < 0 || q->heap[0].at_ms < wake))
            wake = q->heap[0].at_ms;
        if (wake < 0) {
            pthread_cond_wait(&q->ready, &q->lock);
        } else {
            struct timespec ts = to_timespec(wake);
            pthread_cond_timedwait(&q->ready, &q->lock, &ts);
        }
    }
    pthread_mutex_unlock(&q->lock);
    return st;
}

as_status as_workqueue_get(struct as_workqueue *q, char **key_out)
{
    return get_until(q, -1, key_out);
}

as_status as_workqueue_get_timed(struct as_workqueue *q, long timeout_ms, char **key_out)
{
    return get_until(q, now_ms() + (timeout_ms > 0 ? timeout_ms : 0), key_out);
}

void as_workqueue_done(struct as_workqueue *q, const char *key)
{
    char *copy;

    if (!key)
        return;
    pthread_mutex_lock(&q->lock);
    json_object_del(q->processing, key);
    if (json_object_get(q->dirty, key)) {
        copy = q->shutting_down ? NULL : strdup(key);
        if (copy && fifo_push(q, copy) == AS_OK) {
            pthread_cond_signal(&q->ready);
        } else {
            free(copy);
            json_object_del(q->dirty, key);
        }
    }
    if (json_object_size(q->processing) == 0)
        pthread_cond_broadcast(&q->drained);
    pthread_mutex_unlock(&q->lock);
}

size_t as_workqueue_len(struct as_workqueue *q)
{
    size_t n;

    pthread_mutex_lock(&q->lock);
    promote_ready(q, now_ms());
    n = q->tail - q->head;
    pthread_mutex_unlock(&q->lock);
    return n;
}

size_t as_workqueue_len_delayed(struct as_workqueue *q)
{
    size_t n;

    pthread_mutex_lock(&q->lock);
    promote_ready(q, now_ms());
    n = json_object_size(q->waiting);
    pthread_mutex_unlock(&q->lock);
    return n;
}

void as_workqueue_shut_down(struct as_workqueue *q)
{
    pthread_mutex_lock(&q->lock);
    q->shutting_down = true;
    for (size_t i = q->head; i < q->tail; i++)
        free(q->fifo[i]);
    q->head = q->tail = 0;
    json_object_clear(q->dirty);
    pthread_cond_broadcast(&q->ready);
    pthread_mutex_unlock(&q->lock);
}

void as_workqueue_shut_down_with_drain(struct as_workqueue *q)
{
    as_workqueue_shut_down(q);
    pthread_mutex_lock(&q->lock);
    while (json_object_size(q->processing) > 0)
        pthread_cond_wait(&q->drained, &q->lock);
    pthread_mutex_unlock(&q->lock);
}

bool as_workqueue_shutting_down(struct as_workqueue *q)
{
    bool s;

    pthread_mutex_lock(&q->lock);
    s = q->shutting_down;
    pthread_mutex_unlock(&q->lock);
    return s;
}
