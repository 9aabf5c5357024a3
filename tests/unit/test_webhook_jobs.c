/*
 * test_webhook_jobs.c - unit tests for webhook/jobs: every submitted job runs
 * exactly once on a worker thread (never the submitter's), comes back through
 * as_jobs_take_done (in finishing order: with one worker, the order of
 * submission), the notify callback fires once per job,
 * several workers run jobs at the same time, and as_jobs_stop joins the
 * workers and hands back whatever was not taken (queued or finished).
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../webhook/jobs.h"
#include "check_run.h"

struct tjob {
    struct as_jobs_item link; /* first */
    int id;
    int runs;
    pthread_t ran_on;
};

struct tctx {
    atomic_int notified;
    atomic_int running, max_running;
    int sleep_ms;
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static void run(struct as_jobs_item *item, void *ctx)
{
    struct tjob *j = (struct tjob *)item;
    struct tctx *c = ctx;
    int now = atomic_fetch_add(&c->running, 1) + 1;
    int max = atomic_load(&c->max_running);

    while (now > max && !atomic_compare_exchange_weak(&c->max_running, &max, now))
        ;
    j->runs++;
    j->ran_on = pthread_self();
    if (c->sleep_ms > 0)
        sleep_ms(c->sleep_ms);
    atomic_fetch_sub(&c->running, 1);
}

static void notify(void *ctx)
{
    struct tctx *c = ctx;

    atomic_fetch_add(&c->notified, 1);
}

/* Takes done jobs until n came back (or 5 s passed), in the order they came. */
static int collect(struct as_jobs *q, struct tjob **seen, int n)
{
    int got = 0;

    for (int tries = 0; got < n && tries < 5000; tries++) {
        for (struct as_jobs_item *it = as_jobs_take_done(q); it != NULL; it = it->next)
            seen[got++] = (struct tjob *)it;
        if (got < n)
            sleep_ms(1);
    }
    return got;
}

START_TEST(every_job_runs_once_on_a_worker)
{
    enum { N = 200 };
    struct tctx c = {0};
    struct tjob jobs[N];
    struct tjob *seen[N];
    struct as_jobs *q = NULL;

    memset(jobs, 0, sizeof(jobs));
    ck_assert_int_eq(as_jobs_start(3, run, notify, &c, &q), AS_OK);
    for (int i = 0; i < N; i++) {
        jobs[i].id = i;
        as_jobs_submit(q, &jobs[i].link);
    }
    ck_assert_int_eq(collect(q, seen, N), N);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(jobs[i].runs, 1);
        ck_assert(!pthread_equal(jobs[i].ran_on, pthread_self()));
    }
    ck_assert_int_eq(atomic_load(&c.notified), N);
    ck_assert_ptr_null(as_jobs_stop(q));
}
END_TEST

START_TEST(workers_run_jobs_at_the_same_time)
{
    struct tctx c = {.sleep_ms = 100};
    struct tjob jobs[4];
    struct tjob *seen[4];
    struct as_jobs *q = NULL;

    memset(jobs, 0, sizeof(jobs));
    ck_assert_int_eq(as_jobs_start(4, run, notify, &c, &q), AS_OK);
    for (int i = 0; i < 4; i++) {
        jobs[i].id = i;
        as_jobs_submit(q, &jobs[i].link);
    }
    ck_assert_int_eq(collect(q, seen, 4), 4);
    ck_assert_int_ge(atomic_load(&c.max_running), 2);
    ck_assert_ptr_null(as_jobs_stop(q));
}
END_TEST

START_TEST(one_worker_runs_jobs_in_order)
{
    enum { N = 50 };
    struct tctx c = {0};
    struct tjob jobs[N];
    struct tjob *seen[N];
    struct as_jobs *q = NULL;

    memset(jobs, 0, sizeof(jobs));
    ck_assert_int_eq(as_jobs_start(1, run, NULL, &c, &q), AS_OK);
    for (int i = 0; i < N; i++) {
        jobs[i].id = i;
        as_jobs_submit(q, &jobs[i].link);
    }
    ck_assert_int_eq(collect(q, seen, N), N);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(seen[i]->id, i);
    ck_assert_int_eq(atomic_load(&c.max_running), 1);
    ck_assert_ptr_null(as_jobs_stop(q));
}
END_TEST

START_TEST(stop_hands_back_what_was_not_taken)
{
    enum { N = 6 };
    struct tctx c = {.sleep_ms = 50};
    struct tjob jobs[N];
    struct as_jobs *q = NULL;
    int back = 0, ran = 0;

    memset(jobs, 0, sizeof(jobs));
    ck_assert_int_eq(as_jobs_start(1, run, notify, &c, &q), AS_OK);
    for (int i = 0; i < N; i++) {
        jobs[i].id = i;
        as_jobs_submit(q, &jobs[i].link);
    }
    sleep_ms(20); /* the first job is running */
    for (struct as_jobs_item *it = as_jobs_stop(q); it != NULL; it = it->next)
        back++;
    for (int i = 0; i < N; i++)
        ran += jobs[i].runs;
    ck_assert_int_eq(back, N); /* finished or never started: all come back */
    ck_assert_int_ge(ran, 1);  /* the running one was finished, not abandoned */
    ck_assert_int_lt(ran, N);  /* queued ones were not run after stop */
    ck_assert_int_eq(atomic_load(&c.running), 0);
}
END_TEST

START_TEST(bad_thread_counts_are_refused)
{
    struct tctx c = {0};
    struct as_jobs *q = NULL;

    ck_assert_int_eq(as_jobs_start(0, run, notify, &c, &q), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_jobs_start(AS_JOBS_MAX_THREADS + 1, run, notify, &c, &q), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_jobs_start(1, NULL, notify, &c, &q), AS_E_INVALID_ARG);
    ck_assert_ptr_null(q);
    ck_assert_ptr_null(as_jobs_stop(NULL));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook_jobs");
    TCase *tc = tcase_create("jobs");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, every_job_runs_once_on_a_worker);
    tcase_add_test(tc, workers_run_jobs_at_the_same_time);
    tcase_add_test(tc, one_worker_runs_jobs_in_order);
    tcase_add_test(tc, stop_hands_back_what_was_not_taken);
    tcase_add_test(tc, bad_thread_counts_are_refused);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
