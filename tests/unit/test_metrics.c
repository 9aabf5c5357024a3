/* test_metrics.c - unit tests for lib/base/metrics: registration, updates, exposition, bounds. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "base/metrics.h"

START_TEST(counter_gauge_render_in_text_format)
{
    struct as_metrics *m;
    struct as_metric_family *c, *g;
    const char *labels[] = {"kind", "result"};
    const char *v1[] = {"Pod", "allowed"}, *v2[] = {"Pod", "denied"};
    struct as_buf out;

    ck_assert_int_eq(as_metrics_new(&m), AS_OK);
    ck_assert_int_eq(as_metrics_counter_new(m, "req_total", "Requests.", labels, 2, &c), AS_OK);
    ck_assert_int_eq(as_metrics_gauge_new(m, "temp", "A gauge.", NULL, 0, &g), AS_OK);
    as_metrics_counter_add(c, v1, 1);
    as_metrics_counter_add(c, v1, 2);
    as_metrics_counter_add(c, v2, 1);
    as_metrics_counter_add(c, v2, -5); /* counters never go down */
    as_metrics_gauge_set(g, NULL, 1.5);
    as_buf_init(&out, 1 << 20);
    ck_assert_int_eq(as_metrics_render(m, &out), AS_OK);
    ck_assert_ptr_nonnull(strstr(out.data, "# HELP req_total Requests.\n# TYPE req_total counter\n"
                                           "req_total{kind=\"Pod\",result=\"allowed\"} 3\n"
                                           "req_total{kind=\"Pod\",result=\"denied\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "# TYPE temp gauge\ntemp 1.5\n"));
    as_buf_free(&out);
    as_metrics_free(m);
}
END_TEST

START_TEST(histogram_buckets_are_cumulative)
{
    struct as_metrics *m;
    struct as_metric_family *h;
    const double b[] = {0.1, 1, 10};
    const char *l[] = {"w"}, *v[] = {"validate"};
    struct as_buf out;
    double n = 0;

    ck_assert_int_eq(as_metrics_new(&m), AS_OK);
    ck_assert_int_eq(as_metrics_histogram_new(m, "lat_seconds", "Latency.", l, 1, b, 3, &h), AS_OK);
    as_metrics_histogram_observe(h, v, 0.05);
    as_metrics_histogram_observe(h, v, 0.5);
    as_metrics_histogram_observe(h, v, 0.5);
    as_metrics_histogram_observe(h, v, 50);
    as_buf_init(&out, 1 << 20);
    ck_assert_int_eq(as_metrics_render(m, &out), AS_OK);
    ck_assert_ptr_nonnull(strstr(out.data, "lat_seconds_bucket{w=\"validate\",le=\"0.1\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "lat_seconds_bucket{w=\"validate\",le=\"1\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "lat_seconds_bucket{w=\"validate\",le=\"10\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "lat_seconds_bucket{w=\"validate\",le=\"+Inf\"} 4\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "lat_seconds_sum{w=\"validate\"} 51.05\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "lat_seconds_count{w=\"validate\"} 4\n"));
    ck_assert_int_eq(as_metrics_value(h, v, &n), AS_OK);
    ck_assert(n == 4);
    as_buf_free(&out);
    as_metrics_free(m);
}
END_TEST

START_TEST(label_values_are_escaped)
{
    struct as_metrics *m;
    struct as_metric_family *c;
    const char *l[] = {"x"}, *v[] = {"a\"b\\c\nd"};
    struct as_buf out;

    ck_assert_int_eq(as_metrics_new(&m), AS_OK);
    ck_assert_int_eq(as_metrics_counter_new(m, "esc_total", "Help with \\ and\nnewline.", l, 1, &c),
                     AS_OK);
    as_metrics_counter_add(c, v, 1);
    as_buf_init(&out, 1 << 20);
    ck_assert_int_eq(as_metrics_render(m, &out), AS_OK);
    ck_assert_ptr_nonnull(strstr(out.data, "esc_total{x=\"a\\\"b\\\\c\\nd\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(out.data, "# HELP esc_total Help with \\\\ and\\nnewline.\n"));
    as_buf_free(&out);
    as_metrics_free(m);
}
END_TEST

START_TEST(bad_names_duplicates_and_type_mismatch_are_refused)
{
    struct as_metrics *m;
    struct as_metric_family *c, *x = NULL;
    const char *bad[] = {"has-dash"};
    const double unsorted[] = {1, 0.5};

    ck_assert_int_eq(as_metrics_new(&m), AS_OK);
    ck_assert_int_eq(as_metrics_counter_new(m, "9starts_with_digit", "", NULL, 0, &x),
                     AS_E_INVALID_ARG);
    ck_assert_int_eq(as_metrics_counter_new(m, "ok_total", "", bad, 1, &x), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_metrics_histogram_new(m, "h", "", NULL, 0, unsorted, 2, &x),
                     AS_E_INVALID_ARG);
    ck_assert_ptr_null(x);
    ck_assert_int_eq(as_metrics_counter_new(m, "ok_total", "", NULL, 0, &c), AS_OK);
    ck_assert_int_eq(as_metrics_counter_new(m, "ok_total", "", NULL, 0, &x), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_metrics_gauge_set(c, NULL, 1), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_metrics_histogram_observe(c, NULL, 1), AS_E_INVALID_ARG);
    as_metrics_free(m);
}
END_TEST

START_TEST(series_are_bounded)
{
    struct as_metrics *m;
    struct as_metric_family *c;
    const char *l[] = {"id"};
    char id[32];
    const char *v[] = {id};
    struct as_buf out;

    ck_assert_int_eq(as_metrics_new(&m), AS_OK);
    ck_assert_int_eq(as_metrics_counter_new(m, "ids_total", "", l, 1, &c), AS_OK);
    for (int i = 0; i < AS_METRICS_MAX_SERIES + 10; i++) {
        snprintf(id, sizeof(id), "%d", i);
        as_status st = as_metrics_counter_add(c, v, 1);
        ck_assert_int_eq(st, i < AS_METRICS_MAX_SERIES ? AS_OK : AS_E_LIMIT);
    }
    as_buf_init(&out, 1 << 22);
    ck_assert_int_eq(as_metrics_render(m, &out), AS_OK);
    ck_assert_ptr_nonnull(strstr(out.data, "appstack_metrics_dropped_series_total 10\n"));
    as_buf_free(&out);
    as_metrics_free(m);
}
END_TEST

static struct as_metric_family *shared;

static void *bump(void *arg)
{
    const char *v[] = {"x"};

    (void)arg;
    for (int i = 0; i < 10000; i++)
        as_metrics_counter_add(shared, v, 1);
    return NULL;
}

START_TEST(updates_from_threads_are_not_lost)
{
    struct as_metrics *m;
    const char *l[] = {"k"}, *v[] = {"x"};
    pthread_t t[4];
    double n = 0;

    ck_assert_int_eq(as_metrics_new(&m), AS_OK);
    ck_assert_int_eq(as_metrics_counter_new(m, "threads_total", "", l, 1, &shared), AS_OK);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, bump, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(as_metrics_value(shared, v, &n), AS_OK);
    ck_assert(n == 40000);
    as_metrics_free(m);
}
END_TEST

START_TEST(specs_register_in_order_and_stop_at_the_first_failure)
{
    struct as_metrics *m = NULL;
    struct as_metric_family *c = NULL, *g = NULL, *h = NULL, *late = NULL;
    static const char *const kind[] = {"kind"};
    const struct as_metric_spec ok[] = {
        {AS_METRIC_COUNTER, "t_total", "A counter.", kind, 1, &c},
        {AS_METRIC_GAUGE, "t_gauge", "A gauge.", NULL, 0, &g},
        {AS_METRIC_HISTOGRAM, "t_seconds", "A histogram.", NULL, 0, &h},
    };
    const struct as_metric_spec dup[] = {
        {AS_METRIC_GAUGE, "t_gauge", "Again.", NULL, 0, &late},
        {AS_METRIC_GAUGE, "t_late", "Never reached.", NULL, 0, &late},
    };
    const char *v[] = {"Pod"};
    double x = 0;

    ck_assert_int_eq(as_metrics_new(&m), AS_OK);
    ck_assert_int_eq(as_metrics_register(m, ok, 3), AS_OK);
    ck_assert_int_eq(as_metrics_counter_add(c, v, 2), AS_OK);
    ck_assert_int_eq(as_metrics_gauge_set(g, NULL, 5), AS_OK);
    ck_assert_int_eq(as_metrics_histogram_observe(h, NULL, 0.01), AS_OK);
    ck_assert_int_eq(as_metrics_value(c, v, &x), AS_OK);
    ck_assert(x == 2);
    ck_assert_int_eq(as_metrics_value(h, NULL, &x), AS_OK);
    ck_assert(x == 1);
    ck_assert_int_eq(as_metrics_counter_add(g, NULL, 1), AS_E_INVALID_ARG); /* types as asked */
    ck_assert_int_eq(as_metrics_register(m, dup, 2), AS_E_INVALID_ARG);
    ck_assert_ptr_null(late); /* stopped at the duplicate */
    as_metrics_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, counter_gauge_render_in_text_format);
    tcase_add_test(tc, histogram_buckets_are_cumulative);
    tcase_add_test(tc, label_values_are_escaped);
    tcase_add_test(tc, bad_names_duplicates_and_type_mismatch_are_refused);
    tcase_add_test(tc, series_are_bounded);
    tcase_add_test(tc, updates_from_threads_are_not_lost);
    tcase_add_test(tc, specs_register_in_order_and_stop_at_the_first_failure);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
