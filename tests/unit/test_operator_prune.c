/*
 * test_operator_prune.c - unit tests for operator/prune: owned-but-undesired
 * children are deleted in a stable order; foreign, kept, already-deleting
 * objects and (under deletionPolicy Retain) data are not.
 */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "../../operator/prune.h"
#include "op_test_util.h"

/* A live child: kind, apiVersion, name, controller uid (NULL = none), Secret type. */
static json_t *child(const char *api, const char *kind, const char *name, const char *owner_uid)
{
    json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:{s:s}}}", "apiVersion", api, "kind", kind,
                          "metadata", "name", name, "namespace", "shop", "uid", name, "labels",
                          "appstack.io/stack", "shop");

    if (owner_uid)
        json_object_set_new(json_object_get(o, "metadata"), "ownerReferences",
                            json_pack("[{s:s, s:s, s:s, s:s, s:b}]", "apiVersion",
                                      "appstack.io/v1alpha1", "kind", "AppStack", "name", "shop",
                                      "uid", owner_uid, "controller", 1));
    return o;
}

static json_t *stack(const char *policy)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s}}", "apiVersion", "appstack.io/v1alpha1",
                     "kind", "AppStack", "metadata", "name", "shop", "namespace", "shop", "uid",
                     "u-1", "spec", "deletionPolicy", policy);
}

/* "Kind/name" of each ref, joined by spaces. */
static void names(const json_t *refs, char *buf, size_t size)
{
    const json_t *r;
    size_t i, len = 0;

    buf[0] = '\0';
    json_array_foreach(refs, i, r)
    {
        len += (size_t)snprintf(buf + len, size - len, "%s%s/%s", i ? " " : "",
                                json_string_value(json_object_get(r, "kind")),
                                json_string_value(json_object_get(r, "name")));
    }
}

static json_t *live_set(void)
{
    json_t *live = json_array(), *deleting, *secret, *tls;

    json_array_append_new(live, child("apps/v1", "Deployment", "shop-web", "u-1"));
    json_array_append_new(live, child("apps/v1", "Deployment", "shop-old", "u-1"));
    json_array_append_new(live, child("v1", "Service", "shop-old", "u-1"));
    json_array_append_new(live, child("autoscaling/v1", "HorizontalPodAutoscaler", "shop-web",
                                      "u-1")); /* same group as the desired autoscaling/v2 */
    json_array_append_new(live, child("policy/v1", "PodDisruptionBudget", "shop-gone", "u-1"));
    json_array_append_new(live, child("v1", "ConfigMap", "foreign", NULL));  /* label only */
    json_array_append_new(live, child("v1", "ConfigMap", "other", "u-old")); /* earlier stack */
    json_array_append_new(live,
                          child("v1", "PersistentVolumeClaim", "shop-postgres-backup", "u-1"));
    secret = child("v1", "Secret", "shop-app", "u-1");
    json_object_set_new(secret, "type", json_string("Opaque"));
    json_array_append_new(live, secret);
    tls = child("v1", "Secret", "shop-tls", "u-1");
    json_object_set_new(tls, "type", json_string("kubernetes.io/tls"));
    json_array_append_new(live, tls);
    deleting = child("batch/v1", "Job", "shop-web-m1234abcd", "u-1");
    json_object_set_new(json_object_get(deleting, "metadata"), "deletionTimestamp",
                        json_string("2026-01-01T00:00:00Z"));
    json_array_append_new(live, deleting);
    json_array_append_new(live, child("batch/v1", "Job", "shop-web-m5678abcd", "u-1"));
    return live;
}

static json_t *desired_set(void)
{
    /* desired objects carry no namespace here: they are in the stack's namespace */
    return json_pack("[{s:s, s:s, s:{s:s}}, {s:s, s:s, s:{s:s}}]", "apiVersion", "apps/v1", "kind",
                     "Deployment", "metadata", "name", "shop-web", "apiVersion", "autoscaling/v2",
                     "kind", "HorizontalPodAutoscaler", "metadata", "name", "shop-web");
}

START_TEST(retain_keeps_data_and_prunes_the_rest_in_order)
{
    json_t *st = stack("Retain"), *live = live_set(), *desired = desired_set(), *out = NULL;
    json_t *keep = json_pack("[{s:s, s:s, s:{s:s}}]", "apiVersion", "v1", "kind", "Secret",
                             "metadata", "name", "shop-tls");
    struct as_error err;
    char buf[512];

    ck_assert_int_eq(as_op_prune(st, desired, keep, live, &out, &err), AS_OK);
    names(out, buf, sizeof(buf));
    ck_assert_str_eq(buf, "Deployment/shop-old Job/shop-web-m5678abcd "
                          "PodDisruptionBudget/shop-gone Service/shop-old");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(out, 0), "uid")), "shop-old");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(out, 0), "namespace")),
                     "shop");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(out, 0), "apiVersion")),
                     "apps/v1");
    json_decref(out);
    json_decref(keep);
    json_decref(st);
    json_decref(live);
    json_decref(desired);
}
END_TEST

START_TEST(delete_policy_prunes_data_too)
{
    json_t *st = stack("Delete"), *live = live_set(), *desired = desired_set(), *out = NULL;
    struct as_error err;
    char buf[512];

    ck_assert_int_eq(as_op_prune(st, desired, NULL, live, &out, &err), AS_OK);
    names(out, buf, sizeof(buf));
    ck_assert_str_eq(buf, "Deployment/shop-old Job/shop-web-m5678abcd "
                          "PersistentVolumeClaim/shop-postgres-backup "
                          "PodDisruptionBudget/shop-gone Secret/shop-app Secret/shop-tls "
                          "Service/shop-old");
    json_decref(out);
    json_decref(st);
    json_decref(live);
    json_decref(desired);
}
END_TEST

START_TEST(nothing_to_prune_when_everything_is_desired)
{
    json_t *st = stack("Retain"), *live = json_array(), *out = NULL;
    json_t *desired = desired_set();
    struct as_error err;

    json_array_append_new(live, child("apps/v1", "Deployment", "shop-web", "u-1"));
    ck_assert_int_eq(as_op_prune(st, desired, NULL, live, &out, &err), AS_OK);
    ck_assert_uint_eq(json_array_size(out), 0);
    json_decref(out);
    /* another namespace is another object */
    json_object_set_new(json_object_get(json_array_get(live, 0), "metadata"), "namespace",
                        json_string("other"));
    ck_assert_int_eq(as_op_prune(st, desired, NULL, live, &out, &err), AS_OK);
    ck_assert_uint_eq(json_array_size(out), 1);
    json_decref(out);
    json_decref(st);
    json_decref(live);
    json_decref(desired);
}
END_TEST

START_TEST(bad_input_is_an_error_naming_the_field)
{
    json_t *st = json_pack("{s:{s:s}}", "metadata", "name", "shop"), *out = NULL;
    json_t *arr = json_array();
    struct as_error err;

    ck_assert_int_eq(as_op_prune(st, arr, NULL, arr, &out, &err), AS_E_INVALID_ARG);
    ck_assert_ptr_null(out);
    ck_assert_ptr_nonnull(strstr(err.message, "metadata.uid"));
    json_decref(st);
    st = stack("Retain");
    json_decref(arr);
    arr = json_object(); /* not an array */
    ck_assert_int_eq(as_op_prune(st, arr, NULL, arr, &out, &err), AS_E_INVALID_ARG);
    ck_assert_ptr_null(out);
    json_decref(st);
    json_decref(arr);
}
END_TEST

START_TEST(ownership_and_data_predicates)
{
    json_t *c = child("v1", "Secret", "x", "u-1");

    ck_assert(as_op_is_controlled_by(c, "u-1"));
    ck_assert(!as_op_is_controlled_by(c, "u-2"));
    ck_assert(!as_op_is_controlled_by(c, NULL));
    ck_assert(as_op_is_data(c)); /* no type = Opaque */
    json_object_set_new(c, "type", json_string("kubernetes.io/tls"));
    ck_assert(!as_op_is_data(c));
    json_object_set_new(json_array_get(as_json_path(c, "metadata.ownerReferences"), 0),
                        "controller", json_false());
    ck_assert(!as_op_is_controlled_by(c, "u-1"));
    json_decref(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("operator_prune");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, retain_keeps_data_and_prunes_the_rest_in_order);
    tcase_add_test(tc, delete_policy_prunes_data_too);
    tcase_add_test(tc, nothing_to_prune_when_everything_is_desired);
    tcase_add_test(tc, bad_input_is_an_error_naming_the_field);
    tcase_add_test(tc, ownership_and_data_predicates);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
