/*
 * test_operator_status.c - unit tests for operator/status (and optime):
 * kstatus conditions for a healthy stack and for each way it can be not
 * ready, lastTransitionTime keeping, Stalled on render errors, the absence
 * of secret values, status fields, and the next requeue deadline; and the
 * same status from children the cache keeps slim (operator/slim).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "../../operator/diff.h"
#include "../../operator/optime.h"
#include "../../operator/slim.h"
#include "../../operator/status.h"
#include "informer/cache.h"
#include "op_test_util.h"
#include "render/schema.h"

static const char *stack_yaml =
    "apiVersion: appstack.io/v1alpha1\n"
    "kind: AppStack\n"
    "metadata: {name: shop, namespace: shop, uid: u-1, generation: 4,\n"
    "           creationTimestamp: '2026-01-01T00:00:00Z'}\n"
    "spec:\n"
    "  components:\n"
    "  - {name: api, type: web, image: acme/api:1.0, port: 8080, replicas: 2}\n"
    "  - {name: jobs, type: worker, image: acme/api:1.0}\n"
    "  - {name: nightly, type: cron, image: acme/api:1.0, schedule: '0 3 * * *'}\n"
    "  services:\n"
    "    postgres: {databases: [{name: shop}]}\n"
    "    redis: {}\n"
    "  ingress:\n"
    "    host: shop.example.com\n"
    "    tls: {selfSigned: true}\n"
    "    routes: [{path: /, component: api}]\n";

static const char *desired_yaml =
    "- {apiVersion: v1, kind: Service, metadata: {name: shop-api, namespace: shop}}\n"
    "- {apiVersion: apps/v1, kind: Deployment, metadata: {name: shop-api, namespace: shop}}\n"
    "- {apiVersion: apps/v1, kind: Deployment, metadata: {name: shop-jobs, namespace: shop}}\n"
    "- {apiVersion: apps/v1, kind: StatefulSet, metadata: {name: shop-postgres, namespace: "
    "shop}}\n"
    "- {apiVersion: apps/v1, kind: StatefulSet, metadata: {name: shop-redis, namespace: shop}}\n"
    "- {apiVersion: batch/v1, kind: Job, metadata: {name: shop-postgres-s1234abcd, namespace: "
    "shop,\n"
    "   labels: {app.kubernetes.io/name: postgres-setup, app.kubernetes.io/component: "
    "database}}}\n"
    "- {apiVersion: batch/v1, kind: CronJob, metadata: {name: shop-nightly, namespace: shop}}\n"
    "- {apiVersion: batch/v1, kind: CronJob, metadata: {name: shop-postgres-backup, namespace: "
    "shop}}\n"
    "- {apiVersion: batch/v1, kind: CronJob, metadata: {name: shop-redis-backup, namespace: "
    "shop}}\n"
    "- {apiVersion: v1, kind: Secret, metadata: {name: shop-postgres, namespace: shop}}\n";

static const char *live_yaml =
    "- {apiVersion: v1, kind: Service, metadata: {name: shop-api}, spec: {clusterIP: 10.0.0.1}}\n"
    "- apiVersion: apps/v1\n"
    "  kind: Deployment\n"
    "  metadata: {name: shop-api, generation: 2}\n"
    "  spec: {replicas: 2, template: {spec: {containers: [{name: istio-proxy, image: proxy:1},\n"
    "         {name: api, image: 'acme/api:1.0', env: [{name: PGPASSWORD, valueFrom: "
    "{secretKeyRef: {name: shop-postgres, key: password}}}]}]}}}\n"
    "  status: {observedGeneration: 2, replicas: 2, updatedReplicas: 2, readyReplicas: 2,\n"
    "           availableReplicas: 2, conditions: [{type: Progressing, status: 'True',\n"
    "           reason: NewReplicaSetAvailable}]}\n"
    "- apiVersion: apps/v1\n"
    "  kind: Deployment\n"
    "  metadata: {name: shop-jobs, generation: 1}\n"
    "  spec: {replicas: 1, template: {spec: {containers: [{name: jobs, image: 'acme/api:1.0'}]}}}\n"
    "  status: {observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1,\n"
    "           availableReplicas: 1}\n"
    "- apiVersion: apps/v1\n"
    "  kind: StatefulSet\n"
    "  metadata: {name: shop-postgres, generation: 1}\n"
    "  spec: {replicas: 1}\n"
    "  status: {observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1,\n"
    "           currentRevision: shop-postgres-7c9, updateRevision: shop-postgres-7c9}\n"
    "- apiVersion: apps/v1\n"
    "  kind: StatefulSet\n"
    "  metadata: {name: shop-redis, generation: 1}\n"
    "  spec: {replicas: 1}\n"
    "  status: {observedGeneration: 1, replicas: 1, readyReplicas: 1, updatedReplicas: 1,\n"
    "           currentRevision: shop-redis-5d1, updateRevision: shop-redis-5d1}\n"
    "- apiVersion: batch/v1\n"
    "  kind: Job\n"
    "  metadata: {name: shop-postgres-s1234abcd}\n"
    "  status: {succeeded: 1, conditions: [{type: Complete, status: 'True'}]}\n"
    "- apiVersion: batch/v1\n"
    "  kind: CronJob\n"
    "  metadata: {name: shop-nightly, creationTimestamp: '2026-01-01T00:00:00Z'}\n"
    "  spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: nightly, image: "
    "'acme/api:1.0'}]}}}}}\n"
    "  status: {lastScheduleTime: '2026-01-10T03:00:00Z', lastSuccessfulTime: "
    "'2026-01-10T03:01:00Z'}\n"
    "- apiVersion: batch/v1\n"
    "  kind: CronJob\n"
    "  metadata: {name: shop-postgres-backup, creationTimestamp: '2026-01-01T00:00:00Z'}\n"
    "  status: {lastScheduleTime: '2026-01-10T02:00:00Z', lastSuccessfulTime: "
    "'2026-01-10T02:01:00Z'}\n"
    "- apiVersion: batch/v1\n"
    "  kind: CronJob\n"
    "  metadata: {name: shop-redis-backup, creationTimestamp: '2026-01-01T00:00:00Z'}\n"
    "  status: {lastScheduleTime: '2026-01-10T02:30:00Z', lastSuccessfulTime: "
    "'2026-01-10T02:31:00Z'}\n"
    "- apiVersion: v1\n"
    "  kind: Secret\n"
    "  metadata: {name: shop-postgres}\n"
    "  type: Opaque\n"
    "  data: {password: c3VwZXJzZWNyZXQ=}\n";

static json_t *stack, *desired, *live;
static struct as_op_status_facts facts;

static int64_t t(const char *s)
{
    int64_t v = 0;

    ck_assert_msg(as_op_time_parse(s, &v), "bad time %s", s);
    return v;
}

static void setup(void)
{
    stack = ot_yaml(stack_yaml);
    desired = ot_yaml(desired_yaml);
    live = ot_yaml(live_yaml);
    memset(&facts, 0, sizeof(facts));
    facts.now = t("2026-01-10T12:00:00Z");
    facts.apis = AS_API_CERT_MANAGER | AS_API_PROMETHEUS_OPERATOR;
    facts.render_result = AS_OK;
    facts.tls.present = true;
    facts.tls.not_before = t("2026-01-01T00:00:00Z");
    facts.tls.not_after = t("2026-04-01T00:00:00Z");
    facts.policy.evaluated = true;
    facts.policy.compliant = true;
}

static void teardown(void)
{
    json_decref(stack);
    json_decref(desired);
    json_decref(live);
}

/* Computes a status (test fails otherwise). Caller owns. */
static json_t *compute(const json_t *old)
{
    json_t *out = NULL;
    struct as_error err;

    ck_assert_msg(as_op_compute_status(stack, desired, live, &facts, old, &out, &err) == AS_OK,
                  "%s", err.message);
    return out;
}

/* Asserts one condition's status and reason. */
static void assert_cond(const json_t *st, const char *type, const char *status, const char *reason)
{
    const json_t *c = as_op_condition(st, type);

    ck_assert_msg(c != NULL, "no condition %s", type);
    ck_assert_msg(strcmp(json_string_value(json_object_get(c, "status")), status) == 0 &&
                      strcmp(json_string_value(json_object_get(c, "reason")), reason) == 0,
                  "%s: want %s/%s, got %s/%s (%s)", type, status, reason,
                  json_string_value(json_object_get(c, "status")),
                  json_string_value(json_object_get(c, "reason")),
                  json_string_value(json_object_get(c, "message")));
}

static const char *cond_field(const json_t *st, const char *type, const char *field)
{
    return json_string_value(json_object_get(as_op_condition(st, type), field));
}

/* The live object of this kind and name (borrowed). */
static json_t *lv(const char *kind, const char *name)
{
    json_t *o;
    size_t i;

    json_array_foreach(live, i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "kind")), kind) == 0 &&
            strcmp(json_string_value(as_json_path(o, "metadata.name")), name) == 0)
            return o;
    }
    ck_abort_msg("no live %s %s", kind, name);
    return NULL;
}

START_TEST(time_format_and_parse)
{
    char buf[AS_OP_TIME_MAX];
    int64_t v = 0;

    as_op_time_format(0, buf);
    ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
    as_op_time_format(1767225600, buf);
    ck_assert_str_eq(buf, "2026-01-01T00:00:00Z");
    as_op_time_format(951782400, buf); /* leap day */
    ck_assert_str_eq(buf, "2000-02-29T00:00:00Z");
    ck_assert(as_op_time_parse("2026-01-01T00:00:00Z", &v));
    ck_assert_int_eq(v, 1767225600);
    ck_assert(as_op_time_parse("2026-01-01T02:00:00.123456+02:00", &v));
    ck_assert_int_eq(v, 1767225600);
    ck_assert(!as_op_time_parse("2026-01-01 00:00:00Z", &v));
    ck_assert(!as_op_time_parse("2026-13-01T00:00:00Z", &v));
    ck_assert(!as_op_time_parse("2026-01-01T00:00:00", &v));
    ck_assert(!as_op_time_parse(NULL, &v));
}
END_TEST

START_TEST(healthy_stack_is_ready_with_every_field)
{
    json_t *st = compute(NULL), *c0, *inv;
    static const char *const order[] = {
        "Ready",           "Reconciling",          "Stalled",          "ComponentsAvailable",
        "DatabaseReady",   "CacheReady",           "CertificateReady", "BackupHealthy",
        "PolicyCompliant", "OptionalAPIsAvailable"};
    size_t i;

    ck_assert_int_eq(json_integer_value(json_object_get(st, "observedGeneration")), 4);
    ck_assert_uint_eq(json_array_size(json_object_get(st, "conditions")), 10);
    for (i = 0; i < 10; i++) {
        const json_t *c = json_array_get(json_object_get(st, "conditions"), i);
        ck_assert_str_eq(json_string_value(json_object_get(c, "type")), order[i]);
        ck_assert_str_eq(json_string_value(json_object_get(c, "lastTransitionTime")),
                         "2026-01-10T12:00:00Z");
        ck_assert_int_eq(json_integer_value(json_object_get(c, "observedGeneration")), 4);
    }
    assert_cond(st, "Ready", "True", "Available");
    assert_cond(st, "Reconciling", "False", "Reconciled");
    assert_cond(st, "Stalled", "False", "NotStalled");
    assert_cond(st, "ComponentsAvailable", "True", "AllAvailable");
    assert_cond(st, "DatabaseReady", "True", "Ready");
    assert_cond(st, "CacheReady", "True", "Ready");
    assert_cond(st, "CertificateReady", "True", "Valid");
    assert_cond(st, "BackupHealthy", "True", "Fresh");
    assert_cond(st, "PolicyCompliant", "True", "Compliant");
    assert_cond(st, "OptionalAPIsAvailable", "True", "AllPresent");

    c0 = json_array_get(json_object_get(st, "components"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(c0, "name")), "api");
    ck_assert_str_eq(json_string_value(json_object_get(c0, "type")), "web");
    ck_assert_str_eq(json_string_value(json_object_get(c0, "image")), "acme/api:1.0");
    ck_assert_int_eq(json_integer_value(json_object_get(c0, "replicas")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(c0, "readyReplicas")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(c0, "updatedReplicas")), 2);
    ck_assert_str_eq(json_string_value(as_json_path(st, "components[2].lastSuccessfulTime")),
                     "2026-01-10T03:01:00Z");
    ck_assert_str_eq(json_string_value(json_object_get(st, "url")), "https://shop.example.com");
    ck_assert_str_eq(json_string_value(as_json_path(st, "certificate.secretName")), "shop-tls");
    ck_assert_str_eq(json_string_value(as_json_path(st, "certificate.notAfter")),
                     "2026-04-01T00:00:00Z");
    /* 2/3 of the 90-day lifetime: 60 days after 2026-01-01 */
    ck_assert_str_eq(json_string_value(as_json_path(st, "certificate.renewalTime")),
                     "2026-03-02T00:00:00Z");
    ck_assert_str_eq(json_string_value(as_json_path(st, "backups[0].service")), "postgres");
    ck_assert_str_eq(json_string_value(as_json_path(st, "backups[0].lastSuccessfulTime")),
                     "2026-01-10T02:01:00Z");
    ck_assert_str_eq(json_string_value(as_json_path(st, "backups[1].service")), "redis");
    ck_assert(json_is_true(as_json_path(st, "policy.compliant")));
    inv = json_object_get(st, "inventory");
    ck_assert_uint_eq(json_array_size(inv), 10);
    /* sorted by apiVersion, kind, namespace, name */
    ck_assert_str_eq(json_string_value(as_json_path(st, "inventory[0].name")), "shop-api");
    ck_assert_str_eq(json_string_value(as_json_path(st, "inventory[0].kind")), "Deployment");
    ck_assert_str_eq(json_string_value(as_json_path(st, "inventory[4].kind")), "CronJob");
    ck_assert_str_eq(json_string_value(as_json_path(st, "inventory[9].kind")), "Service");
    ck_assert_str_eq(json_string_value(as_json_path(st, "inventory[9].namespace")), "shop");
    json_decref(st);
}
END_TEST

START_TEST(unchanged_stack_gives_identical_status_and_keeps_transition_times)
{
    json_t *first = compute(NULL), *second, *third;

    facts.now += 600;
    second = compute(first);
    ck_assert(!as_op_status_changed(first, second));
    /* one replica becomes unavailable, outside any rollout */
    json_object_set_new(json_object_get(lv("Deployment", "shop-api"), "status"),
                        "availableReplicas", json_integer(1));
    third = compute(second);
    ck_assert(as_op_status_changed(second, third));
    assert_cond(third, "ComponentsAvailable", "False", "ComponentsUnavailable");
    ck_assert_str_eq(cond_field(third, "ComponentsAvailable", "message"), "api unavailable");
    ck_assert_str_eq(cond_field(third, "ComponentsAvailable", "lastTransitionTime"),
                     "2026-01-10T12:10:00Z");
    assert_cond(third, "Ready", "False", "ComponentsUnavailable");
    ck_assert_str_eq(cond_field(third, "Ready", "lastTransitionTime"), "2026-01-10T12:10:00Z");
    /* unchanged conditions keep the first time */
    assert_cond(third, "Reconciling", "False", "Reconciled");
    ck_assert_str_eq(cond_field(third, "Reconciling", "lastTransitionTime"),
                     "2026-01-10T12:00:00Z");
    ck_assert_str_eq(cond_field(third, "DatabaseReady", "lastTransitionTime"),
                     "2026-01-10T12:00:00Z");
    json_decref(first);
    json_decref(second);
    json_decref(third);
}
END_TEST

START_TEST(reconciling_when_deployment_generation_lags)
{
    json_t *st;

    json_object_set_new(json_object_get(lv("Deployment", "shop-api"), "metadata"), "generation",
                        json_integer(3));
    st = compute(NULL);
    assert_cond(st, "Reconciling", "True", "RollingOut");
    ck_assert_str_eq(cond_field(st, "Reconciling", "message"), "rolling out: api");
    assert_cond(st, "Ready", "False", "Reconciling");
    assert_cond(st, "Stalled", "False", "NotStalled");
    json_decref(st);
}
END_TEST

START_TEST(reconciling_when_pods_not_updated)
{
    json_t *st, *s = json_object_get(lv("StatefulSet", "shop-postgres"), "status");

    json_object_set_new(json_object_get(lv("Deployment", "shop-api"), "status"), "updatedReplicas",
                        json_integer(1));
    json_object_set_new(s, "updateRevision", json_string("shop-postgres-8aa"));
    st = compute(NULL);
    assert_cond(st, "Reconciling", "True", "RollingOut");
    ck_assert_str_eq(cond_field(st, "Reconciling", "message"), "rolling out: api, postgres");
    assert_cond(st, "ComponentsAvailable", "False", "ComponentsUnavailable");
    assert_cond(st, "DatabaseReady", "False", "Provisioning");
    assert_cond(st, "Ready", "False", "Reconciling");
    json_decref(st);
}
END_TEST

START_TEST(progressing_when_applied_or_child_missing)
{
    json_t *st, *gone;
    size_t i;

    facts.applied = 3;
    st = compute(NULL);
    assert_cond(st, "Reconciling", "True", "Progressing");
    ck_assert_str_eq(cond_field(st, "Reconciling", "message"), "applied 3 objects");
    json_decref(st);
    facts.applied = 0;
    gone = lv("Deployment", "shop-jobs");
    for (i = 0; i < json_array_size(live); i++)
        if (json_array_get(live, i) == gone) {
            json_array_remove(live, i);
            break;
        }
    st = compute(NULL);
    assert_cond(st, "Reconciling", "True", "Progressing");
    ck_assert_str_eq(cond_field(st, "Reconciling", "message"), "waiting for Deployment shop-jobs");
    ck_assert_str_eq(json_string_value(as_json_path(st, "components[1].name")), "jobs");
    ck_assert_int_eq(json_integer_value(as_json_path(st, "components[1].readyReplicas")), 0);
    json_decref(st);
}
END_TEST

START_TEST(invalid_spec_stalls_with_field_errors_and_keeps_inventory)
{
    struct as_field_errors errs;
    json_t *old = compute(NULL), *st = NULL;
    struct as_error err;

    as_field_errors_init(&errs);
    as_field_errors_add(&errs, "spec.components[0].port: must be between 1 and 65535 — fix it");
    as_field_errors_add(&errs, "spec.ingress.routes[0].component: no component \"web\"");
    facts.render_result = AS_E_CONFIG;
    facts.render_errors = &errs;
    facts.now += 60;
    ck_assert_int_eq(as_op_compute_status(stack, NULL, live, &facts, old, &st, &err), AS_OK);
    assert_cond(st, "Stalled", "True", "InvalidSpec");
    ck_assert_str_eq(cond_field(st, "Stalled", "message"),
                     "the spec cannot be rendered (running objects are kept):\n"
                     "spec.components[0].port: must be between 1 and 65535 — fix it\n"
                     "spec.ingress.routes[0].component: no component \"web\"");
    ck_assert_str_eq(cond_field(st, "Stalled", "lastTransitionTime"), "2026-01-10T12:01:00Z");
    assert_cond(st, "Reconciling", "False", "Reconciled");
    assert_cond(st, "Ready", "False", "Stalled");
    ck_assert_int_eq(json_integer_value(json_object_get(st, "observedGeneration")), 4);
    /* what runs is still reported, and the inventory is the last good one */
    ck_assert_int_eq(json_integer_value(as_json_path(st, "components[0].readyReplicas")), 2);
    ck_assert(json_equal(json_object_get(st, "inventory"), json_object_get(old, "inventory")));
    as_field_errors_free(&errs);
    json_decref(old);
    json_decref(st);
}
END_TEST

START_TEST(no_secret_value_reaches_the_status)
{
    json_t *st = compute(NULL);
    char *dump = as_json_dump_canonical(st);

    ck_assert_ptr_nonnull(dump);
    ck_assert_ptr_null(strstr(dump, "c3VwZXJzZWNyZXQ"));
    ck_assert_ptr_null(strstr(dump, "supersecret"));
    ck_assert_ptr_null(strstr(dump, "PGPASSWORD"));
    free(dump);
    json_decref(st);
}
END_TEST

START_TEST(certificate_expiring_expired_and_missing)
{
    json_t *st;

    facts.now = t("2026-03-25T00:00:00Z"); /* 7 days left, under the 14-day threshold */
    st = compute(NULL);
    assert_cond(st, "CertificateReady", "False", "Expiring");
    assert_cond(st, "Ready", "False", "CertificateNotReady");
    json_decref(st);
    facts.now = t("2026-04-01T00:00:00Z");
    st = compute(NULL);
    assert_cond(st, "CertificateReady", "False", "Expired");
    json_decref(st);
    facts.now = t("2026-01-10T12:00:00Z");
    facts.tls.present = false;
    st = compute(NULL);
    assert_cond(st, "CertificateReady", "False", "Issuing");
    assert_cond(st, "Reconciling", "True", "WaitingForCertificate");
    ck_assert_ptr_null(as_json_path(st, "certificate.notAfter"));
    json_decref(st);
}
END_TEST

START_TEST(cert_manager_certificate_and_missing_cert_manager)
{
    json_t *tls = json_object_get(json_object_get(stack, "spec"), "ingress"), *st;

    json_object_set_new(tls, "tls", json_pack("{s:{s:s}}", "issuerRef", "name", "letsencrypt"));
    json_array_append_new(
        live, ot_yaml("apiVersion: cert-manager.io/v1\nkind: Certificate\n"
                      "metadata: {name: shop-tls}\nspec: {secretName: shop-tls}\n"
                      "status: {notAfter: '2026-03-01T00:00:00Z', renewalTime: "
                      "'2026-01-30T00:00:00Z',\n"
                      "  conditions: [{type: Ready, status: 'True', reason: Ready}]}\n"));
    st = compute(NULL);
    assert_cond(st, "CertificateReady", "True", "Valid");
    ck_assert_str_eq(json_string_value(as_json_path(st, "certificate.renewalTime")),
                     "2026-01-30T00:00:00Z");
    assert_cond(st, "Ready", "True", "Available");
    json_decref(st);
    facts.apis = AS_API_PROMETHEUS_OPERATOR;
    st = compute(NULL);
    assert_cond(st, "CertificateReady", "False", "CertManagerMissing");
    assert_cond(st, "OptionalAPIsAvailable", "False", "CertManagerMissing");
    assert_cond(st, "Ready", "False", "CertificateNotReady");
    json_decref(st);
}
END_TEST

START_TEST(backups_stale_failed_and_first_window)
{
    json_t *st, *pg = json_object_get(lv("CronJob", "shop-postgres-backup"), "status");

    facts.now = t("2026-01-11T04:01:01Z"); /* 26 h and 1 s after the last postgres success */
    facts.tls.not_after = t("2026-06-01T00:00:00Z");
    st = compute(NULL);
    assert_cond(st, "BackupHealthy", "False", "Stale");
    assert_cond(st, "Ready", "False", "BackupUnhealthy");
    json_decref(st);
    facts.now = t("2026-01-10T12:00:00Z");
    json_object_set_new(pg, "lastScheduleTime", json_string("2026-01-10T11:00:00Z"));
    st = compute(NULL);
    assert_cond(st, "BackupHealthy", "False", "Failed");
    json_decref(st);
    json_object_set_new(pg, "active", json_pack("[{s:s}]", "name", "shop-postgres-backup-1"));
    st = compute(NULL);
    assert_cond(st, "BackupHealthy", "True", "Fresh"); /* still running */
    json_decref(st);
    /* a new stack: no success yet, CronJob younger than 26 h */
    json_object_clear(pg);
    json_object_set_new(json_object_get(lv("CronJob", "shop-postgres-backup"), "metadata"),
                        "creationTimestamp", json_string("2026-01-10T00:00:00Z"));
    st = compute(NULL);
    assert_cond(st, "BackupHealthy", "Unknown", "NoBackupYet");
    assert_cond(st, "Ready", "True", "Available");
    json_decref(st);
}
END_TEST

START_TEST(suspended_stack_is_not_ready)
{
    json_t *st;

    json_object_set_new(json_object_get(stack, "spec"), "suspend", json_true());
    st = compute(NULL);
    assert_cond(st, "Ready", "False", "Suspended");
    assert_cond(st, "ComponentsAvailable", "False", "Suspended");
    assert_cond(st, "BackupHealthy", "False", "Suspended");
    json_decref(st);
}
END_TEST

START_TEST(stalled_on_missing_secret_apply_rejection_api_and_migration)
{
    json_t *st, *ing = json_object_get(json_object_get(stack, "spec"), "ingress");

    facts.missing_secrets = "secret llm-keys (key OPENAI_API_KEY)";
    st = compute(NULL);
    assert_cond(st, "Stalled", "True", "SecretMissing");
    assert_cond(st, "Ready", "False", "SecretMissing");
    json_decref(st);
    facts.missing_secrets = NULL;
    facts.apply_error = "Deployment shop-api: admission webhook denied the request";
    st = compute(NULL);
    assert_cond(st, "Stalled", "True", "ApplyRejected");
    ck_assert_str_eq(cond_field(st, "Stalled", "message"),
                     "Deployment shop-api: admission webhook denied the request");
    json_decref(st);
    facts.apply_error = NULL;
    json_object_del(ing, "tls");
    json_object_set_new(ing, "gateway", json_pack("{s:s}", "name", "public"));
    st = compute(NULL);
    assert_cond(st, "Stalled", "True", "APIMissing");
    assert_cond(st, "OptionalAPIsAvailable", "False", "GatewayAPIMissing");
    ck_assert_ptr_null(as_op_condition(st, "CertificateReady")); /* not in Ingress mode */
    json_decref(st);
    facts.apis |= AS_API_GATEWAY;
    json_array_append_new(desired, ot_yaml("{apiVersion: batch/v1, kind: Job, metadata: {name: "
                                           "shop-api-m0011aabb, labels: "
                                           "{app.kubernetes.io/component: migration}}}"));
    json_array_append_new(live, ot_yaml("{apiVersion: batch/v1, kind: Job, metadata: {name: "
                                        "shop-api-m0011aabb}, status: {active: 1}}"));
    st = compute(NULL);
    assert_cond(st, "Stalled", "False", "NotStalled");
    assert_cond(st, "Reconciling", "True", "MigrationRunning");
    json_decref(st);
    json_object_set_new(json_array_get(live, json_array_size(live) - 1), "status",
                        ot_yaml("{failed: 2, conditions: [{type: Failed, status: 'True', "
                                "reason: BackoffLimitExceeded}]}"));
    st = compute(NULL);
    assert_cond(st, "Stalled", "True", "MigrationFailed");
    ck_assert_ptr_nonnull(strstr(cond_field(st, "Stalled", "message"),
                                 "migration Job shop-api-m0011aabb failed: BackoffLimitExceeded"));
    json_decref(st);
}
END_TEST

START_TEST(database_provisioning_and_not_ready)
{
    json_t *st, *job = lv("Job", "shop-postgres-s1234abcd");

    json_object_set_new(job, "status", json_pack("{s:i}", "active", 1));
    st = compute(NULL);
    assert_cond(st, "DatabaseReady", "False", "Provisioning");
    assert_cond(st, "Ready", "False", "DatabaseNotReady");
    json_decref(st);
    json_object_set_new(json_object_get(lv("StatefulSet", "shop-redis"), "status"), "readyReplicas",
                        json_integer(0));
    st = compute(NULL);
    assert_cond(st, "CacheReady", "False", "NotReady");
    ck_assert_str_eq(cond_field(st, "CacheReady", "message"),
                     "StatefulSet shop-redis has 0 of 1 replicas ready");
    json_decref(st);
}
END_TEST

START_TEST(policy_violations_are_reported_without_blocking_ready)
{
    json_t *st;

    facts.policy.compliant = false;
    facts.policy.violations = 2;
    facts.policy.message = "pss-run-as-non-root spec.template: must not run as root";
    st = compute(NULL);
    assert_cond(st, "PolicyCompliant", "False", "Violations");
    ck_assert_int_eq(json_integer_value(as_json_path(st, "policy.violations")), 2);
    ck_assert_str_eq(json_string_value(as_json_path(st, "policy.message")),
                     "pss-run-as-non-root spec.template: must not run as root");
    assert_cond(st, "Ready", "True", "Available");
    json_decref(st);
}
END_TEST

START_TEST(next_deadline_is_the_earliest_future_event)
{
    json_t *st = compute(NULL), *empty;
    int64_t secs = 0;

    /* postgres backup turns stale at 02:01:00 + 26 h + 1 s = 2026-01-11T04:01:01Z */
    ck_assert(as_op_next_deadline(stack, st, facts.now, &secs));
    ck_assert_int_eq(secs, 16 * 3600 + 61);
    /* after the backups were refreshed far ahead, the certificate's renewal is next */
    ck_assert(as_op_next_deadline(stack, st, t("2026-03-01T00:00:00Z"), &secs));
    ck_assert_int_eq(secs, 86400); /* renewalTime 2026-03-02 */
    empty = json_pack("{s:i}", "observedGeneration", 1);
    ck_assert(!as_op_next_deadline(stack, empty, facts.now, &secs));
    json_decref(empty);
    json_decref(st);
}
END_TEST

START_TEST(status_changed_and_bad_input)
{
    json_t *a = json_pack("{s:i}", "observedGeneration", 1), *b = json_deep_copy(a), *out = NULL;
    json_t *nameless = json_object();
    struct as_error err;

    ck_assert(!as_op_status_changed(a, b));
    ck_assert(!as_op_status_changed(NULL, NULL));
    ck_assert(as_op_status_changed(NULL, b));
    json_object_set_new(b, "url", json_string("https://x"));
    ck_assert(as_op_status_changed(a, b));
    ck_assert_int_eq(as_op_compute_status(nameless, NULL, NULL, &facts, NULL, &out, &err),
                     AS_E_INVALID_ARG);
    ck_assert_ptr_null(out);
    ck_assert_ptr_nonnull(strstr(err.message, "metadata.name"));
    json_decref(a);
    json_decref(b);
    json_decref(nameless);
}
END_TEST

/* Validates st against the CRD's status schema (lib/render's embedded copy). */
static void assert_schema_valid(const json_t *st)
{
    const json_t *schema =
        json_object_get(json_object_get(as__schema_get(), "properties"), "status");
    struct as_field_errors errs;

    ck_assert_ptr_nonnull(schema);
    as_field_errors_init(&errs);
    as__schema_validate(schema, st, "status", &errs);
    ck_assert_msg(errs.count == 0, "%s", errs.count ? errs.items[0] : "");
    as_field_errors_free(&errs);
}

START_TEST(status_conforms_to_the_crd_schema)
{
    struct as_field_errors errs;
    json_t *st = compute(NULL), *bad;

    assert_schema_valid(st);
    json_decref(st);
    as_field_errors_init(&errs);
    as_field_errors_add(&errs, "spec.components[0].port: must be between 1 and 65535");
    facts.render_result = AS_E_CONFIG;
    facts.render_errors = &errs;
    facts.policy.compliant = false;
    facts.policy.violations = 3;
    facts.policy.message = "x";
    st = compute(NULL);
    assert_schema_valid(st);
    /* the check can fail: a reason that is not CamelCase is refused */
    bad = json_deep_copy(st);
    json_object_set_new(json_array_get(json_object_get(bad, "conditions"), 0), "reason",
                        json_string("not camel"));
    as_field_errors_free(&errs);
    as_field_errors_init(&errs);
    as__schema_validate(json_object_get(json_object_get(as__schema_get(), "properties"), "status"),
                        bad, "status", &errs);
    ck_assert_uint_gt(errs.count, 0);
    as_field_errors_free(&errs);
    json_decref(bad);
    json_decref(st);
}
END_TEST

START_TEST(huge_error_lists_are_cut_not_dropped)
{
    struct as_field_errors errs;
    char line[300];
    json_t *st;
    const char *ready, *stalled;

    as_field_errors_init(&errs);
    memset(line, 'e', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    for (int i = 0; i < 150; i++) /* 150 x 300 bytes: more than a condition message holds */
        as_field_errors_add(&errs, "spec.components[%d].env: %s", i, line);
    facts.render_result = AS_E_CONFIG;
    facts.render_errors = &errs;
    st = compute(NULL);
    stalled = cond_field(st, "Stalled", "message");
    ready = cond_field(st, "Ready", "message");
    ck_assert_uint_eq(strlen(stalled), 32000);
    ck_assert_uint_eq(strlen(ready), 32000);
    ck_assert(strncmp(ready, "stalled: the spec cannot be rendered", 36) == 0);
    assert_schema_valid(st);
    json_decref(st);
    as_field_errors_free(&errs);
}
END_TEST

/*
 * live as the operator's cache holds it once each child compared equal: the
 * children of a slim kind (kinds.h) put in a compact cache, slimmed with
 * what as_op_slim_keep keeps, read back. New array.
 */
static json_t *slimmed(const json_t *children)
{
    struct as_cache *c = NULL;
    struct as_error err;
    json_t *out = json_array(), *o;
    size_t i;

    ck_assert_int_eq(as_cache_new(NULL, &c, &err), AS_OK);
    as_cache_set_compact(c, true);
    json_array_foreach(children, i, o)
    {
        const char *api = json_string_value(json_object_get(o, "apiVersion"));
        const char *kind = json_string_value(json_object_get(o, "kind"));
        enum as_op_slim how = as_op_kind_slim((size_t)as_op_kind_index(api, kind));
        json_t *copy = json_deep_copy(o), *meta = json_object_get(copy, "metadata"), *keep;
        char key[128];

        /* the informer's key (namespace/name): a stub takes its name from it */
        snprintf(key, sizeof(key), "shop/%s", json_string_value(as_json_path(o, "metadata.name")));
        json_object_set_new(meta, "namespace", json_string("shop"));
        json_object_set_new(meta, "resourceVersion", json_string("7"));
        json_object_set_new(meta, "annotations",
                            json_pack("{s:s}", AS_OP_APPLIED_HASH_ANNOTATION, "h1"));
        ck_assert_int_eq(as_cache_put(c, key, copy, NULL), AS_OK);
        keep = as_op_slim_keep(how, copy, "h1");
        ck_assert((keep == NULL) == (how == AS_OP_SLIM_NONE));
        if (keep)
            ck_assert_int_eq(as_cache_slim(c, key, "7", keep), AS_OK);
        json_decref(keep);
        json_decref(copy);
        copy = as_cache_get(c, key);
        ck_assert(as_cache_is_slim(copy) == (how != AS_OP_SLIM_NONE));
        json_array_append_new(out, copy);
    }
    as_cache_free(c);
    return out;
}

/* The status from slim children equals the status from whole ones. */
static void assert_same_status_when_slim(const char *what)
{
    json_t *whole = compute(NULL), *slim, *full = live;

    live = slimmed(full);
    slim = compute(NULL);
    json_decref(live);
    live = full;
    if (!json_equal(whole, slim)) {
        json_dumpf(whole, stderr, JSON_SORT_KEYS);
        fputs("\n", stderr);
        json_dumpf(slim, stderr, JSON_SORT_KEYS);
        fputs("\n", stderr);
    }
    ck_assert_msg(json_equal(whole, slim), "%s: the status differs from slim children", what);
    json_decref(whole);
    json_decref(slim);
}

START_TEST(slim_children_give_the_same_status)
{
    json_t *dep = lv("Deployment", "shop-api"), *sts = lv("StatefulSet", "shop-postgres");
    json_t *keep, *ctr;

    assert_same_status_when_slim("healthy");
    json_object_set_new(json_object_get(dep, "metadata"), "generation", json_integer(3));
    assert_same_status_when_slim("generation lags");
    json_object_set_new(json_object_get(dep, "spec"), "replicas", json_integer(3));
    json_object_set_new(json_object_get(dep, "status"), "availableReplicas", json_integer(1));
    assert_same_status_when_slim("unavailable");
    json_object_set_new(json_object_get(sts, "status"), "updateRevision",
                        json_string("shop-postgres-8aa"));
    assert_same_status_when_slim("statefulset rolling");
    ctr = json_array_get(as_json_path(dep, "spec.template.spec.containers"), 1);
    json_object_set_new(ctr, "image", json_string("acme/api:2.0"));
    assert_same_status_when_slim("new image");

    /* a workload keeps only what the status reads; other kinds only the hash */
    keep = as_op_slim_keep(AS_OP_SLIM_WORKLOAD, dep, "h2");
    ck_assert_str_eq(json_string_value(json_object_get(as_json_path(keep, "metadata.annotations"),
                                                       AS_OP_APPLIED_HASH_ANNOTATION)),
                     "h2");
    ck_assert_ptr_null(json_object_get(
        json_array_get(as_json_path(keep, "spec.template.spec.containers"), 1), "env"));
    ck_assert_str_eq(
        json_string_value(json_object_get(
            json_array_get(as_json_path(keep, "spec.template.spec.containers"), 1), "image")),
        "acme/api:2.0");
    ck_assert(json_equal(json_object_get(keep, "status"), json_object_get(dep, "status")));
    json_decref(keep);
    keep = as_op_slim_keep(AS_OP_SLIM_IDENTITY, dep, "h2");
    ck_assert_uint_eq(json_object_size(keep), 1);
    ck_assert_uint_eq(json_object_size(json_object_get(keep, "metadata")), 1);
    json_decref(keep);
    ck_assert_ptr_null(as_op_slim_keep(AS_OP_SLIM_NONE, dep, "h2"));
    ck_assert_ptr_null(as_op_slim_keep(AS_OP_SLIM_WORKLOAD, dep, NULL));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("operator_status");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, time_format_and_parse);
    tcase_add_test(tc, healthy_stack_is_ready_with_every_field);
    tcase_add_test(tc, unchanged_stack_gives_identical_status_and_keeps_transition_times);
    tcase_add_test(tc, reconciling_when_deployment_generation_lags);
    tcase_add_test(tc, reconciling_when_pods_not_updated);
    tcase_add_test(tc, progressing_when_applied_or_child_missing);
    tcase_add_test(tc, invalid_spec_stalls_with_field_errors_and_keeps_inventory);
    tcase_add_test(tc, no_secret_value_reaches_the_status);
    tcase_add_test(tc, certificate_expiring_expired_and_missing);
    tcase_add_test(tc, cert_manager_certificate_and_missing_cert_manager);
    tcase_add_test(tc, backups_stale_failed_and_first_window);
    tcase_add_test(tc, suspended_stack_is_not_ready);
    tcase_add_test(tc, stalled_on_missing_secret_apply_rejection_api_and_migration);
    tcase_add_test(tc, database_provisioning_and_not_ready);
    tcase_add_test(tc, policy_violations_are_reported_without_blocking_ready);
    tcase_add_test(tc, next_deadline_is_the_earliest_future_event);
    tcase_add_test(tc, status_changed_and_bad_input);
    tcase_add_test(tc, status_conforms_to_the_crd_schema);
    tcase_add_test(tc, huge_error_lists_are_cut_not_dropped);
    tcase_add_test(tc, slim_children_give_the_same_status);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
