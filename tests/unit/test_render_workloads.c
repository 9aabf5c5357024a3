/* test_render_workloads.c - unit tests for deployment.c, statefulset.c, cronjob.c, service.c,
 * hpa.c, pdb.c, job.c, serviceaccount.c and the object order of render.c. */
#include "check_run.h"
#include "render_test_util.h"

START_TEST(autoscaled_deployment_has_no_replicas_and_an_hpa)
{
    json_t *objs =
        rt_render(RT_HEADER "spec:\n  components:\n"
                            "  - name: api\n    type: web\n    image: 'a/b:1'\n    port: 80\n"
                            "    autoscaling: {minReplicas: 2, maxReplicas: 5, "
                            "targetMemoryUtilizationPercentage: 60}\n",
                  0);
    json_t *d = rt_find(objs, "Deployment", "shop-api"),
           *h = rt_find(objs, "HorizontalPodAutoscaler", "shop-api");

    ck_assert_ptr_null(as_json_path(d, "spec.replicas"));
    ck_assert_ptr_nonnull(h);
    ck_assert_str_eq(rt_str(h, "apiVersion"), "autoscaling/v2");
    ck_assert_str_eq(rt_str(h, "spec.scaleTargetRef.name"), "shop-api");
    ck_assert_int_eq(json_integer_value(as_json_path(h, "spec.minReplicas")), 2);
    ck_assert_int_eq(json_integer_value(as_json_path(h, "spec.maxReplicas")), 5);
    ck_assert_int_eq(
        json_integer_value(as_json_path(h, "spec.metrics[0].resource.target.averageUtilization")),
        70);
    ck_assert_str_eq(rt_str(h, "spec.metrics[1].resource.name"), "memory");
    /* min 2 -> a PDB */
    ck_assert_int_eq(json_integer_value(as_json_path(
                         rt_find(objs, "PodDisruptionBudget", "shop-api"), "spec.maxUnavailable")),
                     1);
    json_decref(objs);
}
END_TEST

START_TEST(pdb_only_from_two_replicas)
{
    json_t *one = rt_render(RT_HEADER "spec:\n  components:\n"
                                      "  - {name: api, type: worker, image: 'a/b:1'}\n",
                            0);
    json_t *two =
        rt_render(RT_HEADER "spec:\n  components:\n"
                            "  - {name: api, type: worker, image: 'a/b:1', replicas: 2}\n",
                  0);

    ck_assert_uint_eq(rt_count(one, "PodDisruptionBudget"), 0);
    ck_assert_int_eq(
        json_integer_value(as_json_path(rt_find(one, "Deployment", "shop-api"), "spec.replicas")),
        1);
    ck_assert_uint_eq(rt_count(two, "PodDisruptionBudget"), 1);
    ck_assert_uint_eq(rt_count(one, "Service"), 0); /* a worker without metrics has none */
    json_decref(one);
    json_decref(two);
}
END_TEST

START_TEST(suspend_scales_to_zero_and_suspends_cronjobs)
{
    json_t *objs =
        rt_render(RT_HEADER "spec:\n  suspend: true\n  components:\n"
                            "  - {name: api, type: web, image: 'a/b:1', port: 80, "
                            "autoscaling: {maxReplicas: 3}}\n"
                            "  - {name: job, type: cron, image: 'a/b:1', schedule: '@daily'}\n",
                  0);

    ck_assert_int_eq(
        json_integer_value(as_json_path(rt_find(objs, "Deployment", "shop-api"), "spec.replicas")),
        0);
    ck_assert_uint_eq(rt_count(objs, "HorizontalPodAutoscaler"), 0);
    ck_assert(json_is_true(as_json_path(rt_find(objs, "CronJob", "shop-job"), "spec.suspend")));
    json_decref(objs);
}
END_TEST

START_TEST(cron_component_is_a_forbid_cronjob)
{
    json_t *objs =
        rt_render(RT_HEADER "spec:\n  components:\n"
                            "  - {name: job, type: cron, image: 'a/b:1', schedule: '0 3 * * *', "
                            "timeZone: Europe/Paris}\n",
                  0);
    json_t *cj = rt_find(objs, "CronJob", "shop-job");

    ck_assert_str_eq(rt_str(cj, "spec.schedule"), "0 3 * * *");
    ck_assert_str_eq(rt_str(cj, "spec.timeZone"), "Europe/Paris");
    ck_assert_str_eq(rt_str(cj, "spec.concurrencyPolicy"), "Forbid");
    ck_assert_int_eq(json_integer_value(as_json_path(cj, "spec.successfulJobsHistoryLimit")), 3);
    ck_assert_int_eq(json_integer_value(as_json_path(cj, "spec.failedJobsHistoryLimit")), 3);
    ck_assert(json_is_false(as_json_path(cj, "spec.suspend")));
    ck_assert_str_eq(rt_str(cj, "spec.jobTemplate.spec.template.spec.restartPolicy"), "OnFailure");
    ck_assert_str_eq(
        rt_str(cj, "spec.jobTemplate.spec.template.spec.containers[0].resources.limits.memory"),
        "256Mi");
    json_decref(objs);
}
END_TEST

START_TEST(stateful_component_has_headless_service_and_claims)
{
    json_t *objs =
        rt_render(RT_HEADER "spec:\n  deletionPolicy: Delete\n  components:\n"
                            "  - name: mq\n    type: stateful\n    image: 'rabbitmq:3.13'\n"
                            "    port: 5672\n    volumes:\n"
                            "    - {name: data, mountPath: /var/lib/rabbitmq, size: 5Gi}\n",
                  0);
    json_t *st = rt_find(objs, "StatefulSet", "shop-mq"),
           *svc = rt_find(objs, "Service", "shop-mq");

    ck_assert_str_eq(rt_str(st, "spec.serviceName"), "shop-mq");
    ck_assert_str_eq(rt_str(st, "spec.volumeClaimTemplates[0].metadata.name"), "data");
    ck_assert_str_eq(rt_str(st, "spec.volumeClaimTemplates[0].spec.resources.requests.storage"),
                     "5Gi");
    ck_assert_str_eq(rt_str(st, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted"), "Delete");
    ck_assert_str_eq(rt_str(st, "spec.template.spec.containers[0].volumeMounts[0].mountPath"),
                     "/var/lib/rabbitmq");
    ck_assert_str_eq(rt_str(svc, "spec.clusterIP"), "None");
    json_decref(objs);
}
END_TEST

START_TEST(worker_metrics_get_a_metrics_service)
{
    json_t *objs =
        rt_render(RT_HEADER "spec:\n  components:\n"
                            "  - {name: w, type: worker, image: 'a/b:1', metrics: {port: 9100}}\n",
                  0);
    json_t *svc = rt_find(objs, "Service", "shop-w-metrics"),
           *d = rt_find(objs, "Deployment", "shop-w");
    json_t *ann = as_json_path(d, "spec.template.metadata.annotations");

    ck_assert_ptr_nonnull(svc);
    ck_assert_str_eq(rt_str(svc, "spec.ports[0].name"), "metrics");
    ck_assert_int_eq(json_integer_value(as_json_path(svc, "spec.ports[0].port")), 9100);
    ck_assert_str_eq(json_string_value(json_object_get(ann, "prometheus.io/scrape")), "true");
    ck_assert_str_eq(json_string_value(json_object_get(ann, "prometheus.io/port")), "9100");
    json_decref(objs);
    /* with prometheus-operator: a ServiceMonitor instead of annotations */
    objs =
        rt_render(RT_HEADER "spec:\n  components:\n"
                            "  - {name: w, type: worker, image: 'a/b:1', metrics: {port: 9100}}\n",
                  AS_API_PROMETHEUS_OPERATOR);
    ck_assert_str_eq(rt_str(rt_find(objs, "ServiceMonitor", "shop-w"), "spec.endpoints[0].port"),
                     "metrics");
    ann = as_json_path(rt_find(objs, "Deployment", "shop-w"), "spec.template.metadata.annotations");
    ck_assert_ptr_null(json_object_get(ann, "prometheus.io/scrape"));
    ck_assert_uint_eq(rt_count(objs, "PrometheusRule"), 1);
    json_decref(objs);
}
END_TEST

START_TEST(migration_job_is_named_after_the_release)
{
    const char *a =
        RT_HEADER "spec:\n  components:\n"
                  "  - {name: api, type: web, image: 'a/b:1', port: 80, migrate: {command: [m]}}\n";
    const char *b =
        RT_HEADER "spec:\n  components:\n"
                  "  - {name: api, type: web, image: 'a/b:2', port: 80, migrate: {command: [m]}}\n";
    json_t *x = rt_render(a, 0), *y = rt_render(b, 0), *jx = NULL, *jy = NULL, *o;
    size_t i;

    json_array_foreach(x, i, o)
    {
        if (strcmp(rt_str(o, "kind"), "Job") == 0)
            jx = o;
    }
    json_array_foreach(y, i, o)
    {
        if (strcmp(rt_str(o, "kind"), "Job") == 0)
            jy = o;
    }
    ck_assert_ptr_nonnull(jx);
    ck_assert_int_eq(strncmp(rt_str(jx, "metadata.name"), "shop-api-m", 10), 0);
    ck_assert_uint_eq(strlen(rt_str(jx, "metadata.name")), 18);
    ck_assert_str_ne(rt_str(jx, "metadata.name"), rt_str(jy, "metadata.name"));
    ck_assert_str_eq(rt_str(jx, "spec.template.spec.restartPolicy"), "Never");
    ck_assert_int_eq(json_integer_value(as_json_path(jx, "spec.activeDeadlineSeconds")), 600);
    ck_assert_str_eq(rt_str(jx, "spec.template.spec.containers[0].command[0]"), "m");
    ck_assert_ptr_null(as_json_path(jx, "spec.template.spec.containers[0].readinessProbe"));
    /* its pods are not the component's, and its NetworkPolicy covers them */
    ck_assert_str_eq(
        json_string_value(json_object_get(as_json_path(jx, "spec.template.metadata.labels"),
                                          "app.kubernetes.io/name")),
        "api.migrate");
    ck_assert_str_eq(rt_str(rt_find(x, "NetworkPolicy", "shop-api"),
                            "spec.podSelector.matchExpressions[0].values[1]"),
                     "api.migrate");
    json_decref(x);
    json_decref(y);
}
END_TEST

START_TEST(any_change_of_a_job_template_renames_the_job)
{
    /* a Job's pod template is immutable: an env change must give a new Job, not an update */
    const char *a =
        RT_HEADER "spec:\n  components:\n"
                  "  - {name: api, type: web, image: 'a/b:1', port: 80, migrate: {command: "
                  "[m]}, env: [{name: X, value: '1'}]}\n";
    const char *b =
        RT_HEADER "spec:\n  components:\n"
                  "  - {name: api, type: web, image: 'a/b:1', port: 80, migrate: {command: "
                  "[m]}, env: [{name: X, value: '2'}]}\n";
    json_t *x = rt_render(a, 0), *y = rt_render(b, 0), *o;
    const char *nx = NULL, *ny = NULL;
    size_t i;

    json_array_foreach(x, i, o)
    {
        if (strcmp(rt_str(o, "kind"), "Job") == 0)
            nx = rt_str(o, "metadata.name");
    }
    json_array_foreach(y, i, o)
    {
        if (strcmp(rt_str(o, "kind"), "Job") == 0)
            ny = rt_str(o, "metadata.name");
    }
    ck_assert_ptr_nonnull(nx);
    ck_assert_ptr_nonnull(ny);
    ck_assert_str_ne(nx, ny);
    json_decref(x);
    json_decref(y);
}
END_TEST

START_TEST(objects_come_in_kind_rank_then_name_order)
{
    json_t *objs =
        rt_render(RT_HEADER "spec:\n  components:\n"
                            "  - {name: zz, type: web, image: 'a/b:1', port: 80, replicas: 2}\n"
                            "  - {name: aa, type: worker, image: 'a/b:1'}\n",
                  0);
    static const char *const want[] = {"ServiceAccount/shop-aa",
                                       "ServiceAccount/shop-zz",
                                       "ConfigMap/shop-dashboard",
                                       "Service/shop-zz",
                                       "Deployment/shop-aa",
                                       "Deployment/shop-zz",
                                       "PodDisruptionBudget/shop-zz",
                                       "NetworkPolicy/shop-aa",
                                       "NetworkPolicy/shop-default-deny",
                                       "NetworkPolicy/shop-zz"};
    char got[128];

    ck_assert_uint_eq(json_array_size(objs), sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        json_t *o = json_array_get(objs, i);
        snprintf(got, sizeof got, "%s/%s", rt_str(o, "kind"), rt_str(o, "metadata.name"));
        ck_assert_str_eq(got, want[i]);
    }
    ck_assert(
        json_is_false(json_object_get(json_array_get(objs, 0), "automountServiceAccountToken")));
    json_decref(objs);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("render_workloads");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, autoscaled_deployment_has_no_replicas_and_an_hpa);
    tcase_add_test(tc, pdb_only_from_two_replicas);
    tcase_add_test(tc, suspend_scales_to_zero_and_suspends_cronjobs);
    tcase_add_test(tc, cron_component_is_a_forbid_cronjob);
    tcase_add_test(tc, stateful_component_has_headless_service_and_claims);
    tcase_add_test(tc, worker_metrics_get_a_metrics_service);
    tcase_add_test(tc, migration_job_is_named_after_the_release);
    tcase_add_test(tc, objects_come_in_kind_rank_then_name_order);
    tcase_add_test(tc, any_change_of_a_job_template_renames_the_job);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
