/*
 * jobs.h - a fixed pool of worker threads for the HTTPS server: the service
 * thread submits jobs, a worker runs each one, and finished jobs wait in a
 * done list that the service thread takes back (after the pool's notify
 * callback woke it). Jobs are the caller's: the pool only links them.
 *
 * Ownership: a submitted job belongs to the pool until it comes back from
 * as_jobs_take_done or as_jobs_stop; the run callback is the only code that
 * touches it in between (on a worker thread).
 */
#ifndef AS_WEBHOOK_JOBS_H
#define AS_WEBHOOK_JOBS_H

#include "base/status.h"

/* The most worker threads a pool runs. */
#define AS_JOBS_MAX_THREADS 64

/* Embed as the first member of a job. */
struct as_jobs_item {
    struct as_jobs_item *next;
};

/* Runs one job on a worker thread. */
typedef void (*as_jobs_run_fn)(struct as_jobs_item *job, void *ctx);
/* Called on the worker after a job joined the done list (e.g. lws_cancel_service). */
typedef void (*as_jobs_notify_fn)(void *ctx);

struct as_jobs;

/*
 * Starts threads workers (1..AS_JOBS_MAX_THREADS). AS_E_INVALID_ARG for a bad
 * count, AS_E_NOMEM / AS_E_IO when a thread cannot start (nothing is left
 * running then).
 */
as_status as_jobs_start(unsigned threads, as_jobs_run_fn run, as_jobs_notify_fn notify, void *ctx,
                        struct as_jobs **out);

/* Queues job (not NULL, not queued already) for a worker. */
void as_jobs_submit(struct as_jobs *q, struct as_jobs_item *job);

/* Takes every finished job, oldest first (a NULL-terminated list through next). */
struct as_jobs_item *as_jobs_take_done(struct as_jobs *q);

/*
 * Stops the workers (a running job is finished first), joins them, and
 * returns every job not taken back yet, finished or not, oldest first.
 * Frees the pool; q is gone afterwards.
 */
struct as_jobs_item *as_jobs_stop(struct as_jobs *q);

#endif
