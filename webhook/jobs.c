/*
 * jobs.c - the worker pool of jobs.h: one mutex guards a FIFO of submitted
 * jobs and a FIFO of finished ones; workers sleep on a condition variable.
 */
#include "jobs.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

/* A FIFO of jobs linked through next. */
struct fifo {
    struct as_jobs_item *head, *tail;
};

struct as_jobs {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct fifo todo, done; /* guarded by lock */
    bool quit;              /* guarded by lock */
    as_jobs_run_fn run;
    as_jobs_notify_fn notify;
    void *ctx;
    pthread_t threads[AS_JOBS_MAX_THREADS];
    unsigned n_threads;
};

static void fifo_push(struct fifo *f, struct as_jobs_item *it)
{
    it->next = NULL;
    if (f->tail != NULL)
        f->tail->next = it;
    else
        f->head = it;
    f->tail = it;
}

/* Removes and returns the whole list, oldest first. */
static struct as_jobs_item *fifo_take(struct fifo *f)
{
    struct as_jobs_item *all = f->head;

    f->head = f->tail = NULL;
    return all;
}

/* A worker: waits for a job, runs it, files it as done, notifies; until quit. */
static void *worker(void *arg)
{
    struct as_jobs *q = arg;

    pthread_mutex_lock(&q->lock);
    for (;;) {
        struct as_jobs_item *job;

        while (q->todo.head == NULL && !q->quit)
            pthread_cond_wait(&q->wake, &q->lock);
        if (q->quit)
            break;
        job = q->todo.head;
        q->todo.head = job->next;
        if (q->todo.head == NULL)
            q->todo.tail = NULL;
        pthread_mutex_unlock(&q->lock);
        q->run(job, q->ctx);
        pthread_mutex_lock(&q->lock);
        fifo_push(&q->done, job);
        pthread_mutex_unlock(&q->lock);
        if (q->notify != NULL)
            q->notify(q->ctx);
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

as_status as_jobs_start(unsigned threads, as_jobs_run_fn run, as_jobs_notify_fn notify, void *ctx,
                        struct as_jobs **out)
{
    struct as_jobs *q;

    if (threads == 0 || threads > AS_JOBS_MAX_THREADS || run == NULL)
        return AS_E_INVALID_ARG;
    q = calloc(1, sizeof(*q));
    if (q == NULL)
        return AS_E_NOMEM;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->wake, NULL);
    q->run = run;
    q->notify = notify;
    q->ctx = ctx;
    for (; q->n_threads < threads; q->n_threads++) {
        if (pthread_create(&q->threads[q->n_threads], NULL, worker, q) != 0) {
            as_jobs_stop(q);
            return AS_E_IO;
        }
    }
    *out = q;
    return AS_OK;
}

void as_jobs_submit(struct as_jobs *q, struct as_jobs_item *job)
{
    pthread_mutex_lock(&q->lock);
    fifo_push(&q->todo, job);
    pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->lock);
}

struct as_jobs_item *as_jobs_take_done(struct as_jobs *q)
{
    struct as_jobs_item *all;

    pthread_mutex_lock(&q->lock);
    all = fifo_take(&q->done);
    pthread_mutex_unlock(&q->lock);
    return all;
}

struct as_jobs_item *as_jobs_stop(struct as_jobs *q)
{
    struct as_jobs_item *left;

    if (q == NULL)
        return NULL;
    pthread_mutex_lock(&q->lock);
    q->quit = true;
    pthread_cond_broadcast(&q->wake);
    pthread_mutex_unlock(&q->lock);
    for (unsigned i = 0; i < q->n_threads; i++)
        pthread_join(q->threads[i], NULL);
    left = fifo_take(&q->done);
    if (left != NULL) {
        struct as_jobs_item *t = left;
        while (t->next != NULL)
            t = t->next;
        t->next = fifo_take(&q->todo);
    } else {
        left = fifo_take(&q->todo);
    }
    pthread_cond_destroy(&q->wake);
    pthread_mutex_destroy(&q->lock);
    free(q);
    return left;
}
