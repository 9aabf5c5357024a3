/* test_render_meta.c - unit tests for lib/render/meta.c, spec.c and hash.c: names, labels,
 * object metadata, tolerant accessors, sha256/base64. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "render/render_int.h"

static struct as_render_facts no_facts;

static struct r_ctx ctx(const char *name, const char *ns, const char *uid)
{
    struct r_ctx c = {.name = name, .ns = ns, .uid = uid, .facts = &no_facts};
    return c;
}

START_TEST(short_names_are_stack_dash_suffix)
{
    struct r_ctx c = ctx("shop", NULL, NULL);
    char *a = r_name(&c, "api", 63), *b = r_name(&c, NULL, 63);

    ck_assert_str_eq(a, "shop-api");
    ck_assert_str_eq(b, "shop");
    free(a);
    free(b);
}
END_TEST

START_TEST(long_names_get_a_stable_hash_suffix)
{
    struct r_ctx c = ctx("a-very-long-stack-name-of-30ch", NULL, NULL);
    const char *full = "a-very-long-stack-name-of-30ch-postgres-backup-with-more";
    char *a = r_name(&c, "postgres-backup-with-more", 52), *b, hex[65];

    ck_assert_uint_eq(strlen(a), 52);
    r_sha256_hex(full, strlen(full), hex);
    /* 43 kept characters, '-', then the first 8 hex digits of sha256(full name) */
    ck_assert_int_eq(strncmp(a, full, 43), 0);
    ck_assert_int_eq(a[43], '-');
    ck_assert_int_eq(strncmp(a + 44, hex, 8), 0);
    b = r_name(&c, "postgres-backup-with-more", 52);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
}
END_TEST

START_TEST(truncation_never_leaves_a_double_dash)
{
    /* the cut falls right after a '-', which is dropped */
    struct r_ctx c = ctx("abcdefghijklmnopqrstuvwxyz-abc", NULL, NULL);
    char *a = r_name(&c, "abcdefghijklmn-xyz", 48);

    ck_assert_uint_le(strlen(a), 48);
    ck_assert_ptr_null(strstr(a, "--"));
    ck_assert_int_ne(a[strlen(a) - 1], '-');
    free(a);
}
END_TEST

START_TEST(labels_are_the_recommended_set)
{
    struct r_ctx c = ctx("shop", NULL, NULL);
    json_t *l = r_labels(&c, "api", "web"), *s = r_selector(&c, "api");

    ck_assert_uint_eq(json_object_size(l), 6);
    ck_assert_str_eq(json_string_value(json_object_get(l, "app.kubernetes.io/name")), "api");
    ck_assert_str_eq(json_string_value(json_object_get(l, "app.kubernetes.io/instance")),
                     "shop-api");
    ck_assert_str_eq(json_string_value(json_object_get(l, "app.kubernetes.io/component")), "web");
    ck_assert_str_eq(json_string_value(json_object_get(l, "app.kubernetes.io/part-of")), "shop");
    ck_assert_str_eq(json_string_value(json_object_get(l, "app.kubernetes.io/managed-by")),
                     "appstack-operator");
    ck_assert_str_eq(json_string_value(json_object_get(l, "appstack.io/stack")), "shop");
    ck_assert_uint_eq(json_object_size(s), 2);
    ck_assert_str_eq(json_string_value(json_object_get(s, "appstack.io/stack")), "shop");
    json_decref(l);
    json_decref(s);
}
END_TEST

START_TEST(objects_get_namespace_and_owner_reference_when_known)
{
    struct r_ctx c = ctx("shop", "prod", "uid-1");
    struct r_ctx off = ctx("shop", NULL, NULL);
    json_t *o = r_object(&c, "v1", "Service", "shop-api", r_labels(&c, "api", "web"));
    json_t *p = r_object(&off, "v1", "Service", "shop-api", r_labels(&off, "api", "web"));
    json_t *ref =
        json_array_get(json_object_get(json_object_get(o, "metadata"), "ownerReferences"), 0);

    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(o, "metadata"), "namespace")), "prod");
    ck_assert_str_eq(json_string_value(json_object_get(ref, "uid")), "uid-1");
    ck_assert_str_eq(json_string_value(json_object_get(ref, "kind")), "AppStack");
    ck_assert(json_is_true(json_object_get(ref, "controller")));
    ck_assert(json_is_true(json_object_get(ref, "blockOwnerDeletion")));
    ck_assert_ptr_null(json_object_get(json_object_get(p, "metadata"), "ownerReferences"));
    ck_assert_ptr_null(json_object_get(json_object_get(p, "metadata"), "namespace"));
    json_decref(o);
    json_decref(p);
}
END_TEST

START_TEST(accessors_tolerate_wrong_types)
{
    json_t *o = json_pack("{s:i, s:s, s:b, s:n, s:[]}", "n", 5, "s", "x", "b", 1, "null", "a");

    ck_assert_int_eq(rs_int(o, "n", 1), 5);
    ck_assert_int_eq(rs_int(o, "s", 1), 1);
    ck_assert_str_eq(rs_str(o, "n", "d"), "d");
    ck_assert(rs_bool(o, "b", false));
    ck_assert(!rs_has(o, "null"));
    ck_assert_ptr_null(rs_obj(o, "a"));
    ck_assert_ptr_nonnull(rs_arr(o, "a"));
    ck_assert_str_eq(rs_str(NULL, "x", "d"), "d");
    ck_assert_str_eq(rs_str(json_array_get(o, 0), "x", "d"), "d");
    json_decref(o);
}
END_TEST

START_TEST(bytes_and_env_names)
{
    char out[32];

    ck_assert_int_eq(rs_bytes("256Mi"), 268435456);
    ck_assert_int_eq(rs_bytes("10Ki"), 10240);
    ck_assert_int_eq(rs_bytes("2Gi"), 2147483648LL);
    ck_assert_int_eq(rs_bytes("100"), 100);
    ck_assert_int_eq(rs_bytes("1.5Gi"), -1);
    ck_assert_int_eq(rs_bytes("99999999999999999999Gi"), -1);
    ck_assert_int_eq(rs_bytes(""), -1);
    r_env_name("my-api", out, sizeof out);
    ck_assert_str_eq(out, "MY_API");
}
END_TEST

START_TEST(hash_and_base64_match_known_values)
{
    char hex[65], *b;

    r_sha256_hex("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    b = r_base64("appstackctl-render-placeholder", 30);
    ck_assert_str_eq(b, "YXBwc3RhY2tjdGwtcmVuZGVyLXBsYWNlaG9sZGVy");
    free(b);
    b = r_base64("a", 1);
    ck_assert_str_eq(b, "YQ==");
    free(b);
}
END_TEST

START_TEST(sorted_keys_are_in_byte_order)
{
    json_t *o = json_pack("{s:i, s:i, s:i}", "b", 1, "a", 2, "B", 3), *k = r_sorted_keys(o);

    ck_assert_uint_eq(json_array_size(k), 3);
    ck_assert_str_eq(json_string_value(json_array_get(k, 0)), "B");
    ck_assert_str_eq(json_string_value(json_array_get(k, 1)), "a");
    ck_assert_str_eq(json_string_value(json_array_get(k, 2)), "b");
    json_decref(k);
    json_decref(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("render_meta");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, short_names_are_stack_dash_suffix);
    tcase_add_test(tc, long_names_get_a_stable_hash_suffix);
    tcase_add_test(tc, truncation_never_leaves_a_double_dash);
    tcase_add_test(tc, labels_are_the_recommended_set);
    tcase_add_test(tc, objects_get_namespace_and_owner_reference_when_known);
    tcase_add_test(tc, accessors_tolerate_wrong_types);
    tcase_add_test(tc, bytes_and_env_names);
    tcase_add_test(tc, hash_and_base64_match_known_values);
    tcase_add_test(tc, sorted_keys_are_in_byte_order);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
