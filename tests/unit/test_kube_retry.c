/*
 * test_kube_retry.c - unit tests for Retry-After parsing, the jittered
 * exponential backoff and the token-bucket rate limiter.
 */
#include <check.h>
#include <time.h>

#include "check_run.h"
#include "kube/retry.h"

START_TEST(retry_after_delta_seconds)
{
    long s = -1;

    ck_assert_int_eq(as_kube_parse_retry_after("3", 0, 30, &s), AS_OK);
    ck_assert_int_eq(s, 3);
    ck_assert_int_eq(as_kube_parse_retry_after(" 0\r\n", 0, 30, &s), AS_OK);
    ck_assert_int_eq(s, 0);
    ck_assert_int_eq(as_kube_parse_retry_after("3600", 0, 30, &s), AS_OK);
    ck_assert_int_eq(s, 30); /* clamped */
    ck_assert_int_eq(as_kube_parse_retry_after("99999999999999999999999", 0, 30, &s), AS_OK);
    ck_assert_int_eq(s, 30);
    s = 7;
    ck_assert_int_eq(as_kube_parse_retry_after("3s", 0, 30, &s), AS_E_PARSE);
    ck_assert_int_eq(as_kube_parse_retry_after("-1", 0, 30, &s), AS_E_PARSE);
    ck_assert_int_eq(as_kube_parse_retry_after("", 0, 30, &s), AS_E_PARSE);
    ck_assert_int_eq(as_kube_parse_retry_after(NULL, 0, 30, &s), AS_E_PARSE);
    ck_assert_int_eq(s, 7); /* untouched on failure */
}
END_TEST

START_TEST(retry_after_http_date)
{
    /* Wed, 21 Oct 2015 07:28:00 GMT is 1445412480. */
    const time_t when = 1445412480;
    long s = -1;

    ck_assert_int_eq(as_kube_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", when - 5, 30, &s),
                     AS_OK);
    ck_assert_int_eq(s, 5);
    ck_assert_int_eq(as_kube_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", when + 100, 30, &s),
                     AS_OK);
    ck_assert_int_eq(s, 0); /* in the past */
    ck_assert_int_eq(as_kube_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", when - 600, 30, &s),
                     AS_OK);
    ck_assert_int_eq(s, 30);
    ck_assert_int_eq(as_kube_parse_retry_after("Wed, 21 Foo 2015 07:28:00 GMT", 0, 30, &s),
                     AS_E_PARSE);
    ck_assert_int_eq(as_kube_parse_retry_after("Wed, 21 Oct 2015 07:28:00 UTC", 0, 30, &s),
                     AS_E_PARSE);
    ck_assert_int_eq(as_kube_parse_retry_after("Wed, 21 Oct 2015 25:28:00 GMT", 0, 30, &s),
                     AS_E_PARSE);
}
END_TEST

START_TEST(backoff_doubles_caps_and_jitters)
{
    ck_assert_int_eq(as_kube_backoff_ms(0, 100, 5000, 0, 0), 0);
    ck_assert_int_eq(as_kube_backoff_ms(1, 100, 5000, 0, 0), 100);
    ck_assert_int_eq(as_kube_backoff_ms(2, 100, 5000, 0, 0), 200);
    ck_assert_int_eq(as_kube_backoff_ms(3, 100, 5000, 0, 0), 400);
    ck_assert_int_eq(as_kube_backoff_ms(7, 100, 5000, 0, 0), 5000);
    ck_assert_int_eq(as_kube_backoff_ms(1000, 100, 5000, 0, 0), 5000); /* no overflow */
    /* Jitter 0.5 takes away up to half: rand 0 -> full, rand ~1 -> about half. */
    ck_assert_int_eq(as_kube_backoff_ms(3, 100, 5000, 0.5, 0.0), 400);
    ck_assert_int_eq(as_kube_backoff_ms(3, 100, 5000, 0.5, 0.5), 300);
    ck_assert_int_ge(as_kube_backoff_ms(3, 100, 5000, 0.5, 0.9999), 200);
    ck_assert_int_lt(as_kube_backoff_ms(3, 100, 5000, 0.5, 0.9999), 201);
}
END_TEST

START_TEST(rate_limiter_burst_then_qps)
{
    struct as_kube_rate_limiter r;

    as_kube_rate_init(&r, 0, 0);
    for (int i = 0; i < 100; i++)
        ck_assert(as_kube_rate_take(&r, 0) == 0); /* disabled */

    as_kube_rate_init(&r, 10, 3); /* 10/s, burst 3 */
    ck_assert(as_kube_rate_take(&r, 100.0) == 0);
    ck_assert(as_kube_rate_take(&r, 100.0) == 0);
    ck_assert(as_kube_rate_take(&r, 100.0) == 0);
    /* Bucket empty: the 4th waits 0.1 s, the 5th (reserved behind it) 0.2 s. */
    ck_assert_double_eq_tol(as_kube_rate_take(&r, 100.0), 0.1, 1e-9);
    ck_assert_double_eq_tol(as_kube_rate_take(&r, 100.0), 0.2, 1e-9);
    /* After 1 s, 10 tokens were earned: 2 repay the debt and the bucket is full (3) again. */
    ck_assert(as_kube_rate_take(&r, 101.0) == 0);
    ck_assert(as_kube_rate_take(&r, 101.0) == 0);
    ck_assert(as_kube_rate_take(&r, 101.0) == 0);
    ck_assert_double_eq_tol(as_kube_rate_take(&r, 101.0), 0.1, 1e-9);
    /* 0.05 s later half a token came back: the next waits 0.15 s (behind the reserved one). */
    ck_assert_double_eq_tol(as_kube_rate_take(&r, 101.05), 0.15, 1e-9);
    /* Time going backwards does not add tokens. */
    ck_assert_double_eq_tol(as_kube_rate_take(&r, 50.0), 0.25, 1e-9);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_retry");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, retry_after_delta_seconds);
    tcase_add_test(tc, retry_after_http_date);
    tcase_add_test(tc, backoff_doubles_caps_and_jitters);
    tcase_add_test(tc, rate_limiter_burst_then_qps);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
