/*
 * test_webhook_routes.c - webhook/routes around the decision: an admission
 * request is decided inside a request scope of the webhook's allocator
 * (jsonalloc.h), so its JSON comes from this thread's arena; the object a
 * /scale review reads through the read_object hook is made outside that
 * arena, so what the API client may keep survives the request; and the
 * answer is the decision's.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../webhook/appstack.h"
#include "../../webhook/jsonalloc.h"
#include "../../webhook/routes.h"
#include "check_run.h"

#define SCALE_REVIEW                                                                               \
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"           \
    "\"uid\":\"u-1\",\"kind\":{\"group\":\"autoscaling\",\"version\":\"v1\",\"kind\":\"Scale\"},"  \
    "\"resource\":{\"group\":\"apps\",\"version\":\"v1\",\"resource\":\"deployments\"},"           \
    "\"subResource\":\"scale\",\"namespace\":\"shop\",\"name\":\"web\",\"operation\":\"UPDATE\","  \
    "\"userInfo\":{\"username\":\"alice\"},"                                                       \
    "\"object\":{\"apiVersion\":\"autoscaling/v1\",\"kind\":\"Scale\",\"metadata\":{\"name\":"     \
    "\"web\",\"namespace\":\"shop\"},\"spec\":{\"replicas\":5}},"                                  \
    "\"oldObject\":{\"apiVersion\":\"autoscaling/v1\",\"kind\":\"Scale\",\"metadata\":{\"name\":"  \
    "\"web\",\"namespace\":\"shop\"},\"spec\":{\"replicas\":2}},\"dryRun\":false}}"

#define POD_REVIEW                                                                                 \
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"           \
    "\"uid\":\"u-2\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"               \
    "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"                      \
    "\"namespace\":\"shop\",\"operation\":\"CREATE\",\"userInfo\":{\"username\":\"alice\"},"       \
    "\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"            \
    "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"registry.example.com/c:1\","            \
    "\"securityContext\":{\"privileged\":true}}]}}}}"

static struct as_metrics *metrics;
static struct as_policyset *policies;
static struct as_routes routes;

/* What the read_object hook saw, and the object it keeps as an API client's cache would. */
static struct {
    int calls;
    bool made_in_arena;
    json_t *kept;
} reader;

/* The parent of the scaled object: an AppStack-owned Deployment; a reference is kept. */
static as_status read_parent(void *ctx, const char *group, const char *plural, const char *ns,
                             const char *name, json_t **out)
{
    (void)ctx;
    reader.calls++;
    ck_assert_str_eq(group, "apps");
    ck_assert_str_eq(plural, "deployments");
    ck_assert_str_eq(ns, "shop");
    ck_assert_str_eq(name, "web");
    *out = json_pack("{s:s, s:s, s:{s:s, s:s, s:[{s:s, s:s, s:s, s:s, s:b}]}}", "apiVersion",
                     "apps/v1", "kind", "Deployment", "metadata", "name", "web", "namespace",
                     "shop", "ownerReferences", "apiVersion", "appstack.io/v1alpha1", "kind",
                     "AppStack", "name", "shop", "uid", "1234", "controller", 1);
    ck_assert_ptr_nonnull(*out);
    reader.made_in_arena = as_jsonalloc_scoped(*out);
    reader.kept = json_incref(*out);
    return AS_OK;
}

static void setup(void)
{
    struct as_error err = {0};

    as_jsonalloc_install();
    ck_assert_int_eq(as_metrics_new(&metrics), AS_OK);
    ck_assert_int_eq(as_policyset_new("default", NULL, as_appstack_validator(), 1, &policies, &err),
                     AS_OK);
    memset(&routes, 0, sizeof(routes));
    memset(&reader, 0, sizeof(reader));
    routes.policies = policies;
    routes.metrics = metrics;
    routes.read_object = read_parent;
    ck_assert_int_eq(as_routes_init(&routes), AS_OK);
}

static void teardown(void)
{
    as_policyset_free(policies);
    as_metrics_free(metrics);
    json_set_alloc_funcs(malloc, free);
}

/* POSTs body to /validate; returns the status, the answer in out. */
static int post(const char *body, struct as_buf *out)
{
    struct as_http_request req = {
        .method = "POST",
        .path = "/validate",
        .content_type = "application/json",
        .body = body,
        .body_len = strlen(body),
    };
    const char *ct = NULL;

    return as_routes_handle(&routes, &req, out, &ct);
}

START_TEST(a_review_is_decided_in_this_threads_arena)
{
    struct as_buf out;
    void *after;

    as_buf_init(&out, AS_SERVER_MAX_RESPONSE);
    ck_assert_uint_eq(as_jsonalloc_arena_bytes(), 0); /* no request on this thread yet */
    ck_assert_int_eq(post(POD_REVIEW, &out), 200);
    ck_assert_uint_gt(as_jsonalloc_arena_bytes(), 0); /* the scope took its first chunk */
    after = as_jsonalloc_malloc(16);                  /* and closed: a malloc block again */
    ck_assert(!as_jsonalloc_scoped(after));
    as_jsonalloc_free(after);
    ck_assert_ptr_nonnull(strstr(out.data, "\"uid\":\"u-2\""));
    ck_assert_ptr_nonnull(strstr(out.data, "\"allowed\":false"));
    ck_assert_ptr_nonnull(strstr(out.data, "pss-baseline-privileged"));
    as_buf_free(&out);
}
END_TEST

START_TEST(the_scale_parent_is_read_outside_the_arena_and_outlives_the_request)
{
    struct as_buf out;
    json_t *meta;

    as_buf_init(&out, AS_SERVER_MAX_RESPONSE);
    ck_assert_int_eq(post(SCALE_REVIEW, &out), 200);
    ck_assert_int_eq(reader.calls, 1);
    ck_assert(!reader.made_in_arena);
    /* an AppStack-owned Deployment scaled by alice: the guarded rule refuses it */
    ck_assert_ptr_nonnull(strstr(out.data, "\"allowed\":false"));
    ck_assert_ptr_nonnull(strstr(out.data, "grd-owned-by-appstack"));
    /* the reference kept past the request is whole (under ASan: not arena memory reused) */
    as_buf_reset(&out);
    ck_assert_int_eq(post(POD_REVIEW, &out), 200);
    meta = json_object_get(reader.kept, "metadata");
    ck_assert_str_eq(json_string_value(json_object_get(meta, "name")), "web");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(meta, "ownerReferences"), 0), "kind")),
                     "AppStack");
    json_decref(reader.kept);
    as_buf_free(&out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook_routes");
    TCase *tc = tcase_create("routes");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_review_is_decided_in_this_threads_arena);
    tcase_add_test(tc, the_scale_parent_is_read_outside_the_arena_and_outlives_the_request);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
