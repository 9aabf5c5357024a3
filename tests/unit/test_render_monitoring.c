/* test_render_monitoring.c - unit tests for servicemonitor.c, prometheusrule.c and configmap.c
 * (the Grafana dashboard). */
#include "check_run.h"
#include "render_test_util.h"

static const char *const STACK = RT_HEADER
    "spec:\n  components:\n"
    "  - {name: api, type: web, image: 'a/b:1', port: 80, metrics: {path: /m, interval: 15s}}\n"
    "  services: {postgres: {databases: [{name: app}]}, redis: {}}\n"
    "  ingress: {host: a.example.com, tls: {secretName: own}, routes: [{path: /, component: "
    "api}]}\n"
    "  monitoring:\n    serviceMonitorLabels: {release: kps}\n"
    "    alerts: {memoryPercent: 80, backupMaxAgeHours: 30, labels: {team: web}}\n";

/* The alert named name in a PrometheusRule, or NULL. */
static json_t *alert(const json_t *rule, const char *name)
{
    json_t *r;
    size_t i;

    json_array_foreach(as_json_path(rule, "spec.groups[0].rules"), i, r)
    {
        if (strcmp(rt_str(r, "alert"), name) == 0)
            return r;
    }
    return NULL;
}

START_TEST(service_monitors_select_services_and_carry_labels)
{
    json_t *objs = rt_render(STACK, AS_API_PROMETHEUS_OPERATOR);
    json_t *sm = rt_find(objs, "ServiceMonitor", "shop-api");

    ck_assert_ptr_nonnull(sm);
    ck_assert_str_eq(rt_str(sm, "metadata.labels.release"), "kps");
    ck_assert_str_eq(rt_str(sm, "spec.endpoints[0].port"), "http");
    ck_assert_str_eq(rt_str(sm, "spec.endpoints[0].path"), "/m");
    ck_assert_str_eq(rt_str(sm, "spec.endpoints[0].interval"), "15s");
    ck_assert_ptr_nonnull(rt_find(objs, "ServiceMonitor", "shop-postgres"));
    ck_assert_ptr_nonnull(rt_find(objs, "ServiceMonitor", "shop-redis"));
    json_decref(objs);
}
END_TEST

START_TEST(alerts_follow_the_thresholds)
{
    json_t *objs = rt_render(STACK, AS_API_PROMETHEUS_OPERATOR),
           *pr = rt_find(objs, "PrometheusRule", "shop");
    json_t *mem, *bk, *cert;

    ck_assert_ptr_nonnull(pr);
    mem = alert(pr, "AppStackMemoryHigh");
    ck_assert_ptr_nonnull(strstr(rt_str(mem, "expr"), "* 100 > 80"));
    ck_assert_str_eq(rt_str(mem, "labels.team"), "web");
    ck_assert_str_eq(rt_str(mem, "labels.severity"), "warning");
    bk = alert(pr, "AppStackPostgresBackupStale");
    ck_assert_ptr_nonnull(strstr(rt_str(bk, "expr"), "cronjob=\"shop-postgres-backup\"} > 108000"));
    ck_assert_ptr_nonnull(alert(pr, "AppStackRedisBackupStale"));
    cert = alert(pr, "AppStackCertificateExpiring");
    ck_assert_ptr_nonnull(strstr(rt_str(cert, "expr"), "secret_name=\"own\"} - time() < 1209600"));
    ck_assert_ptr_nonnull(
        strstr(rt_str(alert(pr, "AppStackComponentDown"), "expr"), "deployment=~\"shop-api\""));
    ck_assert_ptr_nonnull(alert(pr, "AppStackHighErrorRate"));
    json_decref(objs);
}
END_TEST

START_TEST(dashboard_is_labelled_for_grafana)
{
    json_t *objs = rt_render(STACK, 0), *cm = rt_find(objs, "ConfigMap", "shop-dashboard"), *dash;
    const char *text;

    ck_assert_str_eq(rt_str(cm, "metadata.labels.grafana_dashboard"), "1");
    text = json_string_value(json_object_get(json_object_get(cm, "data"), "shop.json"));
    ck_assert_ptr_nonnull(text);
    dash = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(dash);
    ck_assert_str_eq(rt_str(dash, "uid"), "shop-dashboard");
    /* ingress (3) + pods (2) + postgres + redis */
    ck_assert_uint_eq(json_array_size(json_object_get(dash, "panels")), 7);
    json_decref(dash);
    json_decref(objs);
}
END_TEST

START_TEST(monitoring_off_renders_none_of_it)
{
    json_t *objs =
        rt_render(RT_HEADER "spec:\n  monitoring: {enabled: false}\n  components:\n"
                            "  - {name: api, type: web, image: 'a/b:1', port: 80, metrics: {}}\n"
                            "  services: {redis: {}}\n",
                  AS_API_PROMETHEUS_OPERATOR);

    ck_assert_uint_eq(rt_count(objs, "ServiceMonitor"), 0);
    ck_assert_uint_eq(rt_count(objs, "PrometheusRule"), 0);
    ck_assert_ptr_null(rt_find(objs, "ConfigMap", "shop-dashboard"));
    ck_assert_uint_eq(json_array_size(as_json_path(rt_find(objs, "StatefulSet", "shop-redis"),
                                                   "spec.template.spec.containers")),
                      1);
    json_decref(objs);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("render_monitoring");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, service_monitors_select_services_and_carry_labels);
    tcase_add_test(tc, alerts_follow_the_thresholds);
    tcase_add_test(tc, dashboard_is_labelled_for_grafana);
    tcase_add_test(tc, monitoring_off_renders_none_of_it);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
