/*
 * test_webhook_jsonalloc.c - unit tests for webhook/jsonalloc, the per-thread
 * small-block cache jansson allocates through: a freed block serves the next
 * allocation of its size class, large blocks bypass it, the per-class and
 * per-thread bounds hold, blocks from plain malloc are taken in, what jansson
 * returns can still be released with free(), and a thread's cache goes back
 * to malloc when the thread exits (run under ASan, nothing leaks); and the
 * request arena: blocks of an open scope come from it and are released by
 * its end, scopes nest, large requests grow it and give the growth back,
 * long-lived JSON stays out of it, and jansson's whole cycle (parse, dump,
 * decref) works inside one.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../webhook/jsonalloc.h"
#include "base/json.h"
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
        char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS); /* lint: allowed (the test) */

        ck_assert_ptr_nonnull(text);
        ck_assert_uint_eq(strlen(text), strlen(DOC));
        free(text); /* jansson's documented way to release a dump, outside a scope */
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

START_TEST(a_scopes_blocks_come_from_its_arena_and_go_with_it)
{
    void *outside = as_jsonalloc_malloc(40), *in[100];

    as_jsonalloc_scope_begin();
    for (int i = 0; i < 100; i++) {
        size_t n = (size_t)i * 3 + 1;
        in[i] = as_jsonalloc_malloc(n);
        ck_assert_ptr_nonnull(in[i]);
        ck_assert_uint_eq((uintptr_t)in[i] % 16, 0); /* malloc's alignment */
        memset(in[i], i, n);
        ck_assert(as_jsonalloc_scoped(in[i]));
        if (i > 0) /* no overlap with the previous block */
            ck_assert((char *)in[i] >= (char *)in[i - 1] + (size_t)(i - 1) * 3 + 1);
    }
    ck_assert(!as_jsonalloc_scoped(outside));
    for (int i = 0; i < 100; i++) /* the bytes stayed: no block was handed out twice */
        ck_assert_int_eq(((unsigned char *)in[i])[0], i);
    as_jsonalloc_free(in[7]);   /* nothing to do: the scope's end releases it */
    as_jsonalloc_free(outside); /* a malloc block freed inside a scope: the cache takes it */
    ck_assert_uint_eq(as_jsonalloc_arena_bytes(), 64 * 1024);
    as_jsonalloc_scope_end();
    ck_assert(!as_jsonalloc_scoped(in[0]));
    ck_assert_uint_eq(as_jsonalloc_arena_bytes(), 64 * 1024); /* the first chunk stays */
    /* the next scope starts again at the beginning of the kept chunk */
    as_jsonalloc_scope_begin();
    ck_assert_ptr_eq(as_jsonalloc_malloc(1), in[0]);
    as_jsonalloc_scope_end();
}
END_TEST

START_TEST(a_large_request_grows_the_arena_and_gives_the_growth_back)
{
    size_t total = 0;
    char *big;

    as_jsonalloc_scope_begin();
    while (total < 3 * 1024 * 1024) { /* 3 MiB in small blocks */
        char *p = as_jsonalloc_malloc(200);
        ck_assert_ptr_nonnull(p);
        p[0] = p[199] = 'x';
        total += 200;
    }
    big = as_jsonalloc_malloc(1024 * 1024); /* a block larger than any chunk so far */
    ck_assert_ptr_nonnull(big);
    memset(big, 'y', 1024 * 1024);
    ck_assert(as_jsonalloc_scoped(big));
    ck_assert(as_jsonalloc_scoped(big + 1024 * 1024 - 1));
    ck_assert_uint_ge(as_jsonalloc_arena_bytes(), total + 1024 * 1024);
    /* doubling chunks: a handful of them, not one per 64 KiB */
    ck_assert_uint_le(as_jsonalloc_arena_bytes(), 4 * (total + 1024 * 1024));
    as_jsonalloc_scope_end();
    ck_assert_uint_eq(as_jsonalloc_arena_bytes(), 64 * 1024);
}
END_TEST

START_TEST(scopes_nest_and_the_outermost_end_releases)
{
    void *a, *b;

    as_jsonalloc_scope_begin();
    a = as_jsonalloc_malloc(24);
    as_jsonalloc_scope_begin();
    b = as_jsonalloc_malloc(24);
    as_jsonalloc_scope_end();
    ck_assert(as_jsonalloc_scoped(a)); /* still open: the inner end released nothing */
    ck_assert(as_jsonalloc_scoped(b));
    ck_assert_ptr_ne(as_jsonalloc_malloc(24), a);
    as_jsonalloc_scope_end();
    ck_assert(!as_jsonalloc_scoped(a));
    as_jsonalloc_scope_end();   /* an end without a scope is ignored */
    a = as_jsonalloc_malloc(0); /* outside any scope: a malloc block */
    ck_assert_ptr_nonnull(a);
    ck_assert(!as_jsonalloc_scoped(a));
    as_jsonalloc_free(a);
}
END_TEST

START_TEST(jansson_works_inside_a_scope_and_long_lived_json_stays_out)
{
    json_t *kept, *v;
    char *inside, *outside;

    as_jsonalloc_install();
    v = json_loads(DOC, 0, NULL);
    outside = as_json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(v);
    as_jsonalloc_scope_begin();
    v = json_loads(DOC, 0, NULL);
    ck_assert_ptr_nonnull(v);
    ck_assert(as_jsonalloc_scoped(v));
    inside = as_json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS); /* malloc'd: outlives the scope */
    ck_assert(!as_jsonalloc_scoped(inside));
    json_decref(v);
    as_json_long_lived_begin();
    kept = json_loads(DOC, 0, NULL);
    as_json_long_lived_end();
    ck_assert(!as_jsonalloc_scoped(kept));
    as_jsonalloc_scope_end();
    ck_assert_str_eq(inside, outside);
    /* the long-lived value is whole after the scope's end, and freed the usual way */
    v = json_loads(DOC, 0, NULL);
    ck_assert(json_equal(kept, v));
    json_decref(v);
    json_decref(kept);
    free(inside);
    free(outside);
    json_set_alloc_funcs(malloc, free);
}
END_TEST

static void *scope_in_thread(void *arg)
{
    (void)arg;
    as_jsonalloc_scope_begin();
    for (int i = 0; i < 1000; i++)
        as_jsonalloc_malloc(100);
    as_jsonalloc_scope_end();
    return (void *)(uintptr_t)as_jsonalloc_arena_bytes();
}

START_TEST(each_thread_has_its_own_arena)
{
    void *held = NULL;
    pthread_t t;
    void *mine;

    as_jsonalloc_scope_begin();
    mine = as_jsonalloc_malloc(8);
    ck_assert_int_eq(pthread_create(&t, NULL, scope_in_thread, NULL), 0);
    ck_assert_int_eq(pthread_join(t, &held), 0);
    ck_assert_uint_eq((uintptr_t)held, 64 * 1024); /* its own first chunk (freed at its exit) */
    ck_assert(as_jsonalloc_scoped(mine));
    as_jsonalloc_scope_end();
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
    tcase_add_test(tc, a_scopes_blocks_come_from_its_arena_and_go_with_it);
    tcase_add_test(tc, a_large_request_grows_the_arena_and_gives_the_growth_back);
    tcase_add_test(tc, scopes_nest_and_the_outermost_end_releases);
    tcase_add_test(tc, jansson_works_inside_a_scope_and_long_lived_json_stays_out);
    tcase_add_test(tc, each_thread_has_its_own_arena);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
