/*
 * test_webhook_jsonalloc.c - unit tests for webhook/jsonalloc, the per-thread
 * small-block cache jansson allocates through: a freed block serves the next
 * allocation of its size class, large blocks bypass it, the per-class and
 * per-thread bounds hold, blocks from plain malloc are taken in, what jansson
 * returns can still be released with free(), and a thread's cache goes back
 * to malloc when the thread exits (run under ASan, nothing leaks).
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../webhook/jsonalloc.h"
#include "check_run.h"

START_TEST(a_freed_block_serves_the_next_allocation_of_its_class)
{
    for (size_t n = 1; n <= 256; n += 7) {
        void *p = as_jsonalloc_malloc(n), *q;
        size_t before;

        ck_assert_ptr_nonnull(p);
        memset(p, 0xab, n); /* the whole size is usable */
        before = as_jsonalloc_thread_bytes();
        as_jsonalloc_free(p);
        ck_assert_uint_gt(as_jsonalloc_thread_bytes(), before);
        q = as_jsonalloc_malloc(n);
        ck_assert_ptr_eq(q, p);
        ck_assert_uint_eq(as_jsonalloc_thread_bytes(), before);
        as_jsonalloc_free(q);
    }
}
END_TEST

START_TEST(large_blocks_bypass_the_cache)
{
    size_t before = as_jsonalloc_thread_bytes();
    void *p = as_jsonalloc_malloc(4096);

    memset(p, 1, 4096);
    as_jsonalloc_free(p);
    ck_assert_uint_eq(as_jsonalloc_thread_bytes(), before);
    as_jsonalloc_free(NULL);
}
END_TEST

START_TEST(the_bounds_hold)
{
    enum { N = 3 * AS_JSONALLOC_CLASS_MAX };
    void **v = malloc(N * sizeof(*v));

    for (int i = 0; i < N; i++)
        v[i] = as_jsonalloc_malloc(32);
    for (int i = 0; i < N; i++)
        as_jsonalloc_free(v[i]);
    /* malloc may hand out a block a little larger than asked; it then joins the next class */
    ck_assert_uint_le(as_jsonalloc_thread_bytes(), (size_t)AS_JSONALLOC_CLASS_MAX * 32 + 1024);
    ck_assert_uint_ge(as_jsonalloc_thread_bytes(), (size_t)AS_JSONALLOC_CLASS_MAX * 32 / 2);
    for (size_t n = 16; n <= 256; n += 16) { /* every class full: the byte bound decides */
        for (int i = 0; i < N; i++)
            v[i] = as_jsonalloc_malloc(n);
        for (int i = 0; i < N; i++)
            as_jsonalloc_free(v[i]);
    }
    ck_assert_uint_le(as_jsonalloc_thread_bytes(), AS_JSONALLOC_THREAD_BYTES);
    ck_assert_uint_gt(as_jsonalloc_thread_bytes(), AS_JSONALLOC_THREAD_BYTES / 2);
    free(v);
}
END_TEST

START_TEST(blocks_from_plain_malloc_are_taken_in)
{
    void *p = malloc(40), *q;

    as_jsonalloc_free(p); /* 40 bytes usable: the 32-byte class */
    q = as_jsonalloc_malloc(32);
    ck_assert_ptr_eq(q, p);
    free(q); /* and a cached block is an ordinary malloc block */
}
END_TEST

static const char DOC[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"labels\":{\"a\":"
    "\"b\"}},"
    "\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"x:1\",\"env\":[{\"name\":\"A\","
    "\"value\":\"1\"}],\"ports\":[{\"containerPort\":8080}]}]}}";

START_TEST(jansson_works_through_it)
{
    size_t settled = 0;

    as_jsonalloc_install();
    for (int i = 0; i < 200; i++) {
        json_t *v = json_loads(DOC, 0, NULL);
        char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

        ck_assert_ptr_nonnull(text);
        ck_assert_uint_eq(strlen(text), strlen(DOC));
        free(text); /* jansson's documented way to release a dump */
        json_decref(v);
        if (i == 10)
            settled = as_jsonalloc_thread_bytes();
    }
    /* the same document again and again: the cache does not grow without bound */
    ck_assert_uint_gt(settled, 0);
    ck_assert_uint_le(as_jsonalloc_thread_bytes(), settled + 4096);
    json_set_alloc_funcs(malloc, free);
}
END_TEST

static void *churn(void *arg)
{
    void *v[100];

    (void)arg;
    for (int i = 0; i < 100; i++)
        v[i] = as_jsonalloc_malloc((size_t)(i % 16 + 1) * 16);
    for (int i = 0; i < 100; i++)
        as_jsonalloc_free(v[i]);
    return (void *)(uintptr_t)as_jsonalloc_thread_bytes();
}

START_TEST(a_threads_cache_goes_back_to_malloc_when_it_exits)
{
    size_t before = as_jsonalloc_flushed_bytes();
    void *cached = NULL;
    pthread_t t;

    ck_assert_int_eq(pthread_create(&t, NULL, churn, NULL), 0);
    ck_assert_int_eq(pthread_join(t, &cached), 0);
    ck_assert_uint_gt((uintptr_t)cached, 0); /* it did cache while it ran */
    /* and all of it went back to malloc when it exited */
    ck_assert_uint_eq(as_jsonalloc_flushed_bytes() - before, (uintptr_t)cached);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook_jsonalloc");
    TCase *tc = tcase_create("jsonalloc");

    tcase_add_test(tc, a_freed_block_serves_the_next_allocation_of_its_class);
    tcase_add_test(tc, large_blocks_bypass_the_cache);
    tcase_add_test(tc, the_bounds_hold);
    tcase_add_test(tc, blocks_from_plain_malloc_are_taken_in);
    tcase_add_test(tc, jansson_works_through_it);
    tcase_add_test(tc, a_threads_cache_goes_back_to_malloc_when_it_exits);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
