/*
 * test_workqueue.c - unit tests for lib/informer/workqueue: dedup, the
 * processing/dirty rule, backoff math and per-key failures, add_after order
 * and deadlines, shutdown and drain, and a concurrency test (N producers,
 * M workers) asserting that no key is processed twice at once and that every
 * add is followed by a processing that saw it.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "informer/workqueue.h"

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct as_workqueue *new_queue(long base, long max)
{
    struct as_workqueue_options o = {.base_delay_ms = base, .max_delay_ms = max};
    struct as_workqueue *q = NULL;
    struct as_error err = {0};

    ck_assert_msg(as_workqueue_new(&o, &q, &err) == AS_OK, "%s", err.message);
    return q;
}

/* Gets one key and checks it is `want`. */
static void expect_get(struct as_workqueue *q, const char *want)
{
    char *k = NULL;

    ck_assert_int_eq(as_workqueue_get_timed(q, 2000, &k), AS_OK);
    ck_assert_str_eq(k, want);
    as_workqueue_done(q, k);
    free(k);
}

START_TEST(duplicate_adds_are_queued_once_in_fifo_order)
{
    struct as_workqueue *q = new_queue(0, 0);

    ck_assert_int_eq(as_workqueue_add(q, "ns/a"), AS_OK);
    ck_assert_int_eq(as_workqueue_add(q, "ns/b"), AS_OK);
    ck_assert_int_eq(as_workqueue_add(q, "ns/a"), AS_OK);
    ck_assert_uint_eq(as_workqueue_len(q), 2);
    expect_get(q, "ns/a");
    expect_get(q, "ns/b");
    ck_assert_uint_eq(as_workqueue_len(q), 0);
    ck_assert_int_eq(as_workqueue_add(q, ""), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_workqueue_add(q, NULL), AS_E_INVALID_ARG);
    as_workqueue_shut_down(q);
    as_workqueue_free(q);
}
END_TEST

START_TEST(key_added_while_processing_is_handed_out_again_after_done)
{
    struct as_workqueue *q = new_queue(0, 0);
    char *k = NULL, *k2 = NULL;

    as_workqueue_add(q, "x");
    ck_assert_int_eq(as_workqueue_get(q, &k), AS_OK);
    /* While "x" is processing an add must not hand it to a second worker. */
    as_workqueue_add(q, "x");
    as_workqueue_add(q, "x");
    ck_assert_uint_eq(as_workqueue_len(q), 0);
    ck_assert_int_eq(as_workqueue_get_timed(q, 50, &k2), AS_E_TIMEOUT);
    as_workqueue_done(q, k);
    ck_assert_uint_eq(as_workqueue_len(q), 1);
    expect_get(q, "x");
    ck_assert_uint_eq(as_workqueue_len(q), 0);
    /* Done without a new add: nothing comes back. */
    ck_assert_int_eq(as_workqueue_get_timed(q, 30, &k2), AS_E_TIMEOUT);
    free(k);
    as_workqueue_shut_down(q);
    as_workqueue_free(q);
}
END_TEST

START_TEST(backoff_doubles_from_5ms_and_caps)
{
    ck_assert_int_eq(as_workqueue_backoff_ms(5, AS_WORKQUEUE_MAX_DELAY_MS, 0), 5);
    ck_assert_int_eq(as_workqueue_backoff_ms(5, AS_WORKQUEUE_MAX_DELAY_MS, 1), 10);
    ck_assert_int_eq(as_workqueue_backoff_ms(5, AS_WORKQUEUE_MAX_DELAY_MS, 10), 5120);
    ck_assert_int_eq(as_workqueue_backoff_ms(5, AS_WORKQUEUE_MAX_DELAY_MS, 17), 655360);
    ck_assert_int_eq(as_workqueue_backoff_ms(5, AS_WORKQUEUE_MAX_DELAY_MS, 18), 1000000);
    /* Far past the cap: no overflow, still the cap. */
    ck_assert_int_eq(as_workqueue_backoff_ms(5, AS_WORKQUEUE_MAX_DELAY_MS, 200), 1000000);
    ck_assert_int_eq(as_workqueue_backoff_ms(5, 40, 3), 40);
    ck_assert_int_eq(as_workqueue_backoff_ms(0, 40, 3), 0);
}
END_TEST

START_TEST(rate_limited_adds_count_failures_and_forget_resets)
{
    struct as_workqueue *q = new_queue(20, 1000);
    long long t0;

    ck_assert_uint_eq(as_workqueue_num_requeues(q, "k"), 0);
    t0 = mono_ms();
    ck_assert_int_eq(as_workqueue_add_rate_limited(q, "k"), AS_OK); /* 20 ms */
    ck_assert_uint_eq(as_workqueue_num_requeues(q, "k"), 1);
    ck_assert_uint_eq(as_workqueue_len(q), 0);
    ck_assert_uint_eq(as_workqueue_len_delayed(q), 1);
    expect_get(q, "k");
    ck_assert_int_ge(mono_ms() - t0, 19);
    t0 = mono_ms();
    as_workqueue_add_rate_limited(q, "k"); /* 40 ms */
    expect_get(q, "k");
    ck_assert_int_ge(mono_ms() - t0, 39);
    t0 = mono_ms();
    as_workqueue_add_rate_limited(q, "k"); /* 80 ms */
    expect_get(q, "k");
    ck_assert_int_ge(mono_ms() - t0, 79);
    ck_assert_uint_eq(as_workqueue_num_requeues(q, "k"), 3);
    as_workqueue_forget(q, "k");
    ck_assert_uint_eq(as_workqueue_num_requeues(q, "k"), 0);
    t0 = mono_ms();
    as_workqueue_add_rate_limited(q, "k"); /* back to 20 ms */
    expect_get(q, "k");
    ck_assert_int_lt(mono_ms() - t0, 75);
    as_workqueue_shut_down(q);
    as_workqueue_free(q);
}
END_TEST

START_TEST(add_after_hands_out_by_deadline_and_earliest_wins)
{
    struct as_workqueue *q = new_queue(0, 0);
    long long t0 = mono_ms();
    char *k = NULL;

    as_workqueue_add_after(q, "c", 150);
    as_workqueue_add_after(q, "a", 50);
    as_workqueue_add_after(q, "b", 100);
    as_workqueue_add_after(q, "a", 400); /* later deadline for a waiting key: ignored */
    as_workqueue_add_after(q, "d", 600);
    as_workqueue_add_after(q, "d", 10); /* earlier deadline wins */
    ck_assert_uint_eq(as_workqueue_len(q), 0);
    expect_get(q, "d");
    expect_get(q, "a");
    ck_assert_int_ge(mono_ms() - t0, 49);
    expect_get(q, "b");
    ck_assert_int_ge(mono_ms() - t0, 99);
    expect_get(q, "c");
    ck_assert_int_ge(mono_ms() - t0, 149);
    /* The superseded entries ("a" at 400, "d" at 600) never come back. */
    ck_assert_int_eq(as_workqueue_get_timed(q, 700, &k), AS_E_TIMEOUT);
    ck_assert_uint_eq(as_workqueue_len_delayed(q), 0);
    /* A zero delay is an immediate add. */
    as_workqueue_add_after(q, "now", 0);
    ck_assert_uint_eq(as_workqueue_len(q), 1);
    as_workqueue_shut_down(q);
    as_workqueue_free(q);
}
END_TEST

struct getter {
    struct as_workqueue *q;
    as_status st;
    long long returned_ms;
};

static void *blocked_get(void *p)
{
    struct getter *g = p;
    char *k = NULL;

    g->st = as_workqueue_get(g->q, &k);
    g->returned_ms = mono_ms();
    free(k);
    return NULL;
}

START_TEST(shut_down_wakes_getters_and_refuses_adds)
{
    struct as_workqueue *q = new_queue(0, 0);
    struct getter g[3];
    pthread_t t[3];
    long long t0;

    for (int i = 0; i < 3; i++) {
        g[i] = (struct getter){.q = q, .st = AS_OK};
        pthread_create(&t[i], NULL, blocked_get, &g[i]);
    }
    usleep(100 * 1000);
    as_workqueue_add_after(q, "late", 5000);
    t0 = mono_ms();
    as_workqueue_shut_down(q);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(g[i].st, AS_E_SHUTDOWN);
        ck_assert_int_lt(g[i].returned_ms - t0, 500);
    }
    ck_assert(as_workqueue_shutting_down(q));
    ck_assert_int_eq(as_workqueue_add(q, "x"), AS_E_SHUTDOWN);
    ck_assert_int_eq(as_workqueue_add_after(q, "x", 10), AS_E_SHUTDOWN);
    ck_assert_uint_eq(as_workqueue_len(q), 0);
    as_workqueue_free(q);
}
END_TEST

struct slow_worker {
    struct as_workqueue *q;
    atomic_bool done_called;
};

static void *slow_work(void *p)
{
    struct slow_worker *w = p;
    char *k = NULL;

    if (as_workqueue_get(w->q, &k) == AS_OK) {
        usleep(300 * 1000);
        atomic_store(&w->done_called, true);
        as_workqueue_done(w->q, k);
        free(k);
    }
    return NULL;
}

START_TEST(shut_down_with_drain_waits_for_in_flight_keys)
{
    struct slow_worker w = {.q = new_queue(0, 0)};
    pthread_t t;
    long long t0;

    as_workqueue_add(w.q, "busy");
    as_workqueue_add(w.q, "queued-dropped");
    pthread_create(&t, NULL, slow_work, &w);
    while (as_workqueue_len(w.q) != 1)
        usleep(1000);
    t0 = mono_ms();
    as_workqueue_shut_down_with_drain(w.q);
    ck_assert(atomic_load(&w.done_called));
    ck_assert_int_ge(mono_ms() - t0, 100);
    ck_assert_uint_eq(as_workqueue_len(w.q), 0);
    pthread_join(t, NULL);
    as_workqueue_free(w.q);
}
END_TEST

/* ---- concurrency ---------------------------------------------------------------------- */

#define NKEYS 16
#define NPRODUCERS 4
#define NWORKERS 4
#define ADDS_PER_PRODUCER 4000

struct stress {
    struct as_workqueue *q;
    atomic_int in_flight[NKEYS];  /* workers holding key i right now */
    atomic_long last_add[NKEYS];  /* version stamped before the latest add of key i */
    atomic_long processed[NKEYS]; /* highest version a processing of key i started after */
    atomic_long version;
    atomic_bool producers_done;
    atomic_int overlaps; /* times a key was held by two workers */
    atomic_long processings;
};

struct producer_arg {
    struct stress *s;
    unsigned seed;
};

static void *producer(void *p)
{
    struct producer_arg *a = p;
    char key[16];

    for (int i = 0; i < ADDS_PER_PRODUCER; i++) {
        int k = (int)(rand_r(&a->seed) % NKEYS);
        snprintf(key, sizeof(key), "key-%d", k);
        atomic_store(&a->s->last_add[k], atomic_fetch_add(&a->s->version, 1) + 1);
        ck_assert_int_eq(as_workqueue_add(a->s->q, key), AS_OK);
        if (i % 64 == 0)
            usleep(100);
    }
    return NULL;
}

static void *worker(void *p)
{
    struct stress *s = p;
    char *key = NULL;
    as_status st;

    for (;;) {
        st = as_workqueue_get_timed(s->q, 100, &key);
        if (st == AS_E_TIMEOUT && atomic_load(&s->producers_done))
            break;
        if (st != AS_OK)
            continue;
        int k = (int)strtol(key + 4, NULL, 10);
        if (atomic_fetch_add(&s->in_flight[k], 1) != 0)
            atomic_fetch_add(&s->overlaps, 1);
        long v = atomic_load(&s->last_add[k]);
        long prev = atomic_load(&s->processed[k]);
        while (prev < v && !atomic_compare_exchange_weak(&s->processed[k], &prev, v))
            ;
        atomic_fetch_add(&s->processings, 1);
        usleep(50);
        atomic_fetch_sub(&s->in_flight[k], 1);
        as_workqueue_done(s->q, key);
        free(key);
        key = NULL;
    }
    return NULL;
}

START_TEST(concurrent_producers_and_workers_keep_the_rules)
{
    static struct stress s;
    struct producer_arg pa[NPRODUCERS];
    pthread_t prod[NPRODUCERS], work[NWORKERS];

    memset(&s, 0, sizeof(s));
    s.q = new_queue(0, 0);
    for (int i = 0; i < NWORKERS; i++)
        pthread_create(&work[i], NULL, worker, &s);
    for (int i = 0; i < NPRODUCERS; i++) {
        pa[i] = (struct producer_arg){.s = &s, .seed = 1234u + (unsigned)i};
        pthread_create(&prod[i], NULL, producer, &pa[i]);
    }
    for (int i = 0; i < NPRODUCERS; i++)
        pthread_join(prod[i], NULL);
    atomic_store(&s.producers_done, true);
    for (int i = 0; i < NWORKERS; i++)
        pthread_join(work[i], NULL);

    ck_assert_int_eq(atomic_load(&s.overlaps), 0);
    for (int k = 0; k < NKEYS; k++)
        ck_assert_msg(atomic_load(&s.processed[k]) == atomic_load(&s.last_add[k]),
                      "key-%d: last add (version %ld) was never processed (last seen %ld)", k,
                      atomic_load(&s.last_add[k]), atomic_load(&s.processed[k]));
    /* Dedup must have merged adds: far fewer processings than adds. */
    ck_assert_int_lt(atomic_load(&s.processings), NPRODUCERS * ADDS_PER_PRODUCER);
    ck_assert_int_ge(atomic_load(&s.processings), NKEYS);
    ck_assert_uint_eq(as_workqueue_len(s.q), 0);
    as_workqueue_shut_down(s.q);
    as_workqueue_free(s.q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("workqueue");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, duplicate_adds_are_queued_once_in_fifo_order);
    tcase_add_test(tc, key_added_while_processing_is_handed_out_again_after_done);
    tcase_add_test(tc, backoff_doubles_from_5ms_and_caps);
    tcase_add_test(tc, rate_limited_adds_count_failures_and_forget_resets);
    tcase_add_test(tc, add_after_hands_out_by_deadline_and_earliest_wins);
    tcase_add_test(tc, shut_down_wakes_getters_and_refuses_adds);
    tcase_add_test(tc, shut_down_with_drain_waits_for_in_flight_keys);
    tcase_add_test(tc, concurrent_producers_and_workers_keep_the_rules);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
