/* test_kube_object.c - unit tests for lib/kube/object: metadata accessors and cache keys. */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "kube/object.h"

START_TEST(accessors)
{
    json_t *o = json_loads("{\"metadata\":{\"name\":\"web\",\"namespace\":\"shop\",\"uid\":\"u1\","
                           "\"resourceVersion\":\"42\",\"labels\":{\"app\":\"web\"},"
                           "\"annotations\":{\"a/b\":\"c\"}}}",
                           0, NULL);

    ck_assert_str_eq(as_kube_obj_name(o), "web");
    ck_assert_str_eq(as_kube_obj_namespace(o), "shop");
    ck_assert_str_eq(as_kube_obj_uid(o), "u1");
    ck_assert_str_eq(as_kube_obj_resource_version(o), "42");
    ck_assert_str_eq(as_kube_obj_label(o, "app"), "web");
    ck_assert_ptr_null(as_kube_obj_label(o, "nope"));
    ck_assert_str_eq(as_kube_obj_annotation(o, "a/b"), "c");
    ck_assert_ptr_null(as_kube_obj_name(NULL));
    json_decref(o);
}
END_TEST

START_TEST(keys)
{
    json_t *o = json_pack("{s:{s:s,s:s}}", "metadata", "name", "web", "namespace", "shop");
    json_t *c = json_pack("{s:{s:s}}", "metadata", "name", "cluster-thing");
    json_t *none = json_pack("{s:{}}", "metadata");
    char key[16], ns[8], name[16];

    ck_assert_int_eq(as_kube_obj_key(o, key, sizeof(key)), AS_OK);
    ck_assert_str_eq(key, "shop/web");
    ck_assert_int_eq(as_kube_obj_key(c, key, sizeof(key)), AS_OK);
    ck_assert_str_eq(key, "cluster-thing");
    ck_assert_int_eq(as_kube_obj_key(none, key, sizeof(key)), AS_E_MISSING);
    ck_assert_int_eq(as_kube_obj_key(o, key, 8), AS_E_LIMIT);

    ck_assert_int_eq(as_kube_split_key("shop/web", ns, sizeof(ns), name, sizeof(name)), AS_OK);
    ck_assert_str_eq(ns, "shop");
    ck_assert_str_eq(name, "web");
    ck_assert_int_eq(as_kube_split_key("solo", ns, sizeof(ns), name, sizeof(name)), AS_OK);
    ck_assert_str_eq(ns, "");
    ck_assert_str_eq(name, "solo");
    ck_assert_int_eq(as_kube_split_key("a/b/c", ns, sizeof(ns), name, sizeof(name)),
                     AS_E_INVALID_ARG);
    ck_assert_int_eq(as_kube_split_key("a/", ns, sizeof(ns), name, sizeof(name)), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_kube_split_key("/a", ns, sizeof(ns), name, sizeof(name)), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_kube_split_key("", ns, sizeof(ns), name, sizeof(name)), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_kube_split_key("namespace-too-long/x", ns, sizeof(ns), name, sizeof(name)),
                     AS_E_LIMIT);
    json_decref(o);
    json_decref(c);
    json_decref(none);
}
END_TEST

START_TEST(secret_data)
{
    /* "hello" and "aGVsbG8gd29ybGQ=" = "hello world" */
    json_t *sec = json_pack("{s:{s:s, s:s, s:s, s:s}}", "data", "a", "aGVsbG8=", "b",
                            "aGVsbG8gd29ybGQ=", "bad", "!!!", "empty", "");
    struct as_buf b;

    as_buf_init(&b, 64);
    ck_assert_int_eq(as_kube_secret_data(sec, "a", &b), AS_OK);
    ck_assert_str_eq(b.data, "hello");
    ck_assert_int_eq(as_kube_secret_data(sec, "missing", &b), AS_E_MISSING);
    ck_assert_int_eq(as_kube_secret_data(sec, "empty", &b), AS_E_MISSING);
    ck_assert_int_eq(as_kube_secret_data(sec, "bad", &b), AS_E_PARSE);
    ck_assert_int_eq(as_kube_secret_data(NULL, "a", &b), AS_E_MISSING);
    as_buf_free(&b);
    as_buf_init(&b, 4); /* "hello world" does not fit */
    ck_assert_int_eq(as_kube_secret_data(sec, "b", &b), AS_E_LIMIT);
    ck_assert_uint_eq(b.len, 0);
    as_buf_free(&b);
    json_decref(sec);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_object");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, accessors);
    tcase_add_test(tc, keys);
    tcase_add_test(tc, secret_data);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
