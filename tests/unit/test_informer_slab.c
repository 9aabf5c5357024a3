/*
 * test_informer_slab.c - lib/informer/slab: blocks keep their bytes, are
 * aligned, are reused after release, chunks go back when empty, large
 * blocks go to malloc, and several threads may allocate and release at once.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "check_run.h"
#include "informer/slab.h"

#define N 5000

START_TEST(blocks_keep_their_bytes_and_chunks_go_back_when_empty)
{
    struct as_slab *s = as_slab_new();
    struct as_slab_stats st;
    static unsigned char *blocks[N];
    static size_t sizes[N];

    ck_assert_ptr_nonnull(s);
    for (int i = 0; i < N; i++) {
        sizes[i] = 1 + (size_t)(i * 7919) % AS_SLAB_MAX; /* every class */
        blocks[i] = as_slab_alloc(s, sizes[i]);
        ck_assert_ptr_nonnull(blocks[i]);
        ck_assert_uint_eq((uintptr_t)blocks[i] % 64, 0);
        memset(blocks[i], i & 0xff, sizes[i]);
    }
    as_slab_get_stats(s, &st);
    ck_assert_uint_eq(st.blocks, N);
    ck_assert_uint_ge(st.bytes_in_use, N); /* slot sizes: at least the sizes asked */
    ck_assert_uint_gt(st.chunks, 0);
    for (int i = 0; i < N; i++) { /* nobody wrote over anybody */
        unsigned char want[AS_SLAB_MAX];
        memset(want, i & 0xff, sizes[i]);
        ck_assert_int_eq(memcmp(blocks[i], want, sizes[i]), 0);
    }
    for (int i = 0; i < N; i += 2)
        as_slab_release(s, blocks[i], sizes[i]);
    as_slab_get_stats(s, &st);
    ck_assert_uint_eq(st.blocks, N / 2);
    for (int i = 1; i < N; i += 2)
        as_slab_release(s, blocks[i], sizes[i]);
    as_slab_get_stats(s, &st);
    ck_assert_uint_eq(st.blocks, 0);
    ck_assert_uint_eq(st.bytes_in_use, 0);
    /* at most one empty chunk per size class stays mapped */
    ck_assert_uint_le(st.chunks, AS_SLAB_MAX / 64);
    as_slab_free(s);
}
END_TEST

START_TEST(a_released_slot_is_the_next_one_of_its_class)
{
    struct as_slab *s = as_slab_new();
    void *a = as_slab_alloc(s, 300), *b = as_slab_alloc(s, 300), *c;

    ck_assert_ptr_ne(a, b);
    as_slab_release(s, a, 300);
    c = as_slab_alloc(s, 290); /* same class (257..320 bytes) */
    ck_assert_ptr_eq(c, a);
    as_slab_release(s, b, 300);
    as_slab_release(s, c, 290);
    as_slab_free(s);
}
END_TEST

START_TEST(large_blocks_and_no_slab_use_malloc)
{
    struct as_slab *s = as_slab_new();
    struct as_slab_stats st;
    char *big = as_slab_alloc(s, AS_SLAB_MAX + 1), *plain = as_slab_alloc(NULL, 100);

    ck_assert_ptr_nonnull(big);
    ck_assert_ptr_nonnull(plain);
    memset(big, 1, AS_SLAB_MAX + 1);
    memset(plain, 2, 100);
    as_slab_get_stats(s, &st);
    ck_assert_uint_eq(st.blocks, 0);
    ck_assert_uint_eq(st.chunks, 0);
    as_slab_release(s, big, AS_SLAB_MAX + 1); /* free(): ASan checks the pairing */
    as_slab_release(NULL, plain, 100);
    as_slab_free(s);
}
END_TEST

static void *churn(void *arg)
{
    struct as_slab *s = arg;
    void *mine[64] = {0};

    for (int round = 0; round < 2000; round++) {
        int k = round % 64;
        size_t size = 64 + (size_t)(k * 29);
        as_slab_release(s, mine[k], size);
        mine[k] = as_slab_alloc(s, size);
        ck_assert_ptr_nonnull(mine[k]);
        memset(mine[k], k, size);
    }
    for (int k = 0; k < 64; k++)
        as_slab_release(s, mine[k], 64 + (size_t)(k * 29));
    return NULL;
}

START_TEST(threads_allocate_and_release_at_once)
{
    struct as_slab *s = as_slab_new();
    struct as_slab_stats st;
    pthread_t t[4];

    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, churn, s), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    as_slab_get_stats(s, &st);
    ck_assert_uint_eq(st.blocks, 0);
    as_slab_free(s);
}
END_TEST

START_TEST(pages_no_live_block_touches_are_given_back)
{
    struct as_slab *s = as_slab_new();
    struct as_slab_stats st;
    static void *b[1000];

    for (int i = 0; i < 1000; i++) /* 512-byte slots: 8 a page */
        b[i] = as_slab_alloc(s, 500);
    as_slab_get_stats(s, &st);
    ck_assert_uint_ge(st.pages, 1000 * 512 / 4096 - 10);
    for (int i = 0; i < 1000; i++) /* keep one block in 64 */
        if (i % 64 != 0)
            as_slab_release(s, b[i], 500);
    as_slab_get_stats(s, &st);
    ck_assert_uint_eq(st.blocks, 16);
    ck_assert_uint_le(st.pages, 2 * 16); /* a block may straddle two pages */
    /* new blocks go to the lowest free slots, beside the live ones */
    for (int i = 0; i < 1000; i++)
        if (i % 64 != 0)
            b[i] = as_slab_alloc(s, 500);
    for (int i = 0; i < 1000; i++)
        as_slab_release(s, b[i], 500);
    as_slab_get_stats(s, &st);
    ck_assert_uint_eq(st.pages, 0);
    ck_assert_uint_eq(st.blocks, 0);
    as_slab_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("informer_slab");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, blocks_keep_their_bytes_and_chunks_go_back_when_empty);
    tcase_add_test(tc, a_released_slot_is_the_next_one_of_its_class);
    tcase_add_test(tc, pages_no_live_block_touches_are_given_back);
    tcase_add_test(tc, large_blocks_and_no_slab_use_malloc);
    tcase_add_test(tc, threads_allocate_and_release_at_once);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
