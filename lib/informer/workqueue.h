/*
 * workqueue.h - a rate-limited, delaying work queue of string keys, with the
 * semantics of client-go's workqueue (used by controller-runtime):
 *
 * - A key is queued at most once: adding a key that is already waiting is a
 *   no-op ("dirty" set).
 * - A key is never handed to two workers at once: while a worker holds it
 *   (between as_workqueue_get and as_workqueue_done) it is "processing"; an
 *   add meanwhile marks it dirty and as_workqueue_done queues it again, so a
 *   change that arrives during processing is always processed afterwards.
 * - Per-key exponential backoff for failures: as_workqueue_add_rate_limited
 *   waits base_delay * 2^failures (5 ms doubling, capped at max_delay, about
 *   16 minutes by default); as_workqueue_forget resets the count on success.
 * - as_workqueue_add_after queues a key once a delay has passed; when the key
 *   is already waiting for a delay the earlier deadline wins.
 * - Shutdown: as_workqueue_shut_down wakes every blocked getter, which returns
 *   AS_E_SHUTDOWN; keys still queued are dropped (reconciliation is level
 *   based: the next leader lists everything anyway) and later adds are
 *   ignored. as_workqueue_shut_down_with_drain additionally waits until every
 *   key handed out has been marked done.
 *
 * Thread-safe (one mutex, two condition variables); delayed keys are promoted
 * by getters waiting with a deadline, so there is no timer thread.
 */
#ifndef AS_INFORMER_WORKQUEUE_H
#define AS_INFORMER_WORKQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define AS_WORKQUEUE_BASE_DELAY_MS 5
#define AS_WORKQUEUE_MAX_DELAY_MS (1000L * 1000L) /* 1000 s, about 16.7 minutes */

struct as_workqueue_options {
    long base_delay_ms; /* first failure backoff; 0 = AS_WORKQUEUE_BASE_DELAY_MS */
    long max_delay_ms;  /* backoff cap; 0 = AS_WORKQUEUE_MAX_DELAY_MS */
};

struct as_workqueue;

/*
 * Pure: the backoff before retry number `failures` (0 for the first retry):
 * base_ms * 2^failures, capped at max_ms, without overflow.
 */
long as_workqueue_backoff_ms(long base_ms, long max_ms, unsigned failures);

/* Creates an empty queue; opts may be NULL. Caller owns *out (as_workqueue_free). */
as_status as_workqueue_new(const struct as_workqueue_options *opts, struct as_workqueue **out,
                           struct as_error *err);

/* Frees the queue. Call only after shutdown and after every worker has returned. */
void as_workqueue_free(struct as_workqueue *q);

/*
 * Queues key (copied) now. AS_E_SHUTDOWN (ignored) after shutdown, AS_E_NOMEM,
 * AS_E_INVALID_ARG for a NULL or empty key; AS_OK also when it was already
 * queued or is being processed (then it is queued again when done).
 */
as_status as_workqueue_add(struct as_workqueue *q, const char *key);

/* Queues key after delay_ms (<= 0 means now). Same results as as_workqueue_add. */
as_status as_workqueue_add_after(struct as_workqueue *q, const char *key, long delay_ms);

/* Queues key after its backoff and counts one more failure for it. */
as_status as_workqueue_add_rate_limited(struct as_workqueue *q, const char *key);

/* Forgets key's failures (call after it was processed successfully). */
void as_workqueue_forget(struct as_workqueue *q, const char *key);

/* Failures counted for key since the last forget. */
unsigned as_workqueue_num_requeues(struct as_workqueue *q, const char *key);

/*
 * Blocks until a key is ready and hands it out: *key_out is a copy the caller
 * owns (free()) and must pass to as_workqueue_done when finished. Returns
 * AS_E_SHUTDOWN once the queue is shutting down (*key_out untouched).
 */
as_status as_workqueue_get(struct as_workqueue *q, char **key_out);

/*
 * Same with a timeout: AS_E_TIMEOUT when nothing became ready within
 * timeout_ms (for workers that also watch other conditions).
 */
as_status as_workqueue_get_timed(struct as_workqueue *q, long timeout_ms, char **key_out);

/* Marks key (as returned by get) processed; queues it again when it was added meanwhile. */
void as_workqueue_done(struct as_workqueue *q, const char *key);

/* Keys ready to be handed out now (not counting delayed ones or ones being processed). */
size_t as_workqueue_len(struct as_workqueue *q);

/* Keys waiting for a delay (add_after, add_rate_limited). */
size_t as_workqueue_len_delayed(struct as_workqueue *q);

/* Starts shutdown: wakes getters (AS_E_SHUTDOWN), drops queued keys, ignores later adds. */
void as_workqueue_shut_down(struct as_workqueue *q);

/* Shuts down, then waits until every key handed out has been marked done. */
void as_workqueue_shut_down_with_drain(struct as_workqueue *q);

/* True once shutdown started. */
bool as_workqueue_shutting_down(struct as_workqueue *q);

#endif
