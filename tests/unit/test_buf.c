/* test_buf.c - unit tests for lib/base/buf: limits, growth, stealing, wiping. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "base/buf.h"

START_TEST(append_keeps_contents_nul_terminated)
{
    struct as_buf b;

    as_buf_init(&b, 100);
    ck_assert_ptr_null(b.data);
    ck_assert_int_eq(as_buf_append(&b, "abc", 3), AS_OK);
    ck_assert_int_eq(as_buf_append_str(&b, "def"), AS_OK);
    ck_assert_int_eq(as_buf_appendf(&b, "-%d-%s", 42, "x"), AS_OK);
    ck_assert_str_eq(b.data, "abcdef-42-x");
    ck_assert_uint_eq(b.len, 11);
    as_buf_free(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(limit_is_exact_and_failure_leaves_buffer_unchanged)
{
    struct as_buf b;

    as_buf_init(&b, 5);
    ck_assert_int_eq(as_buf_append(&b, "12345", 5), AS_OK);
    ck_assert_int_eq(as_buf_append(&b, "6", 1), AS_E_LIMIT);
    ck_assert_int_eq(as_buf_appendf(&b, "%d", 7), AS_E_LIMIT);
    ck_assert_str_eq(b.data, "12345");
    ck_assert_uint_eq(b.len, 5);
    ck_assert_uint_le(b.cap, 6); /* never more than max + 1 allocated */
    as_buf_free(&b);
}
END_TEST

START_TEST(growth_doubles_but_is_capped_at_max_plus_one)
{
    struct as_buf b;
    char chunk[100];

    memset(chunk, 'a', sizeof(chunk));
    as_buf_init(&b, 1000);
    ck_assert_int_eq(as_buf_append(&b, chunk, 10), AS_OK);
    ck_assert_uint_eq(b.cap, 64);
    ck_assert_int_eq(as_buf_append(&b, chunk, 60), AS_OK);
    ck_assert_uint_eq(b.cap, 128);
    for (int i = 0; i < 9; i++)
        ck_assert_int_eq(as_buf_append(&b, chunk, 100), AS_OK);
    ck_assert_uint_eq(b.len, 970);
    ck_assert_uint_eq(b.cap, 1001);
    ck_assert_int_eq(as_buf_append(&b, chunk, 31), AS_E_LIMIT);
    ck_assert_int_eq(as_buf_append(&b, chunk, 30), AS_OK);
    ck_assert_uint_eq(b.len, 1000);
    as_buf_free(&b);
}
END_TEST

START_TEST(huge_append_does_not_overflow)
{
    struct as_buf b;

    as_buf_init(&b, 10);
    ck_assert_int_eq(as_buf_append(&b, "x", 1), AS_OK);
    ck_assert_int_eq(as_buf_append(&b, "y", SIZE_MAX), AS_E_LIMIT);
    ck_assert_int_eq(as_buf_append(&b, "y", SIZE_MAX - 1), AS_E_LIMIT);
    ck_assert_str_eq(b.data, "x");
    as_buf_free(&b);
}
END_TEST

START_TEST(appendf_grows_for_long_output)
{
    struct as_buf b;
    char expect[301];

    memset(expect, 'z', 300);
    expect[300] = '\0';
    as_buf_init(&b, 4096);
    ck_assert_int_eq(as_buf_appendf(&b, "%s", expect), AS_OK);
    ck_assert_str_eq(b.data, expect);
    as_buf_free(&b);
}
END_TEST

START_TEST(consume_and_reset)
{
    struct as_buf b;

    as_buf_init(&b, 100);
    as_buf_append_str(&b, "hello world");
    as_buf_consume(&b, 6);
    ck_assert_str_eq(b.data, "world");
    ck_assert_uint_eq(b.len, 5);
    as_buf_consume(&b, 50);
    ck_assert_str_eq(b.data, "");
    ck_assert_uint_eq(b.len, 0);
    as_buf_append_str(&b, "again");
    as_buf_reset(&b);
    ck_assert_str_eq(b.data, "");
    ck_assert_uint_eq(b.max, 100);
    as_buf_free(&b);
}
END_TEST

START_TEST(steal_hands_over_and_reinitialises)
{
    struct as_buf b;
    char *s;

    as_buf_init(&b, 50);
    s = as_buf_steal(&b);
    ck_assert_str_eq(s, "");
    free(s);
    as_buf_append_str(&b, "mine");
    s = as_buf_steal(&b);
    ck_assert_str_eq(s, "mine");
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.max, 50);
    free(s);
}
END_TEST

START_TEST(memwipe_zeroes_and_wipe_free_releases)
{
    char secret[16] = "hunter2hunter2!";
    char zero[16] = {0};
    struct as_buf b;

    as_memwipe(secret, sizeof(secret));
    ck_assert_mem_eq(secret, zero, sizeof(zero));
    as_memwipe(NULL, 10);
    as_buf_init(&b, 100);
    as_buf_append_str(&b, "token-value");
    as_buf_wipe_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(zero_max_buffer_accepts_nothing_but_empty)
{
    struct as_buf b;

    as_buf_init(&b, 0);
    ck_assert_int_eq(as_buf_append(&b, "", 0), AS_OK);
    ck_assert_str_eq(b.data, "");
    ck_assert_int_eq(as_buf_append(&b, "a", 1), AS_E_LIMIT);
    as_buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, append_keeps_contents_nul_terminated);
    tcase_add_test(tc, limit_is_exact_and_failure_leaves_buffer_unchanged);
    tcase_add_test(tc, growth_doubles_but_is_capped_at_max_plus_one);
    tcase_add_test(tc, huge_append_does_not_overflow);
    tcase_add_test(tc, appendf_grows_for_long_output);
    tcase_add_test(tc, consume_and_reset);
    tcase_add_test(tc, steal_hands_over_and_reinitialises);
    tcase_add_test(tc, memwipe_zeroes_and_wipe_free_releases);
    tcase_add_test(tc, zero_max_buffer_accepts_nothing_but_empty);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
