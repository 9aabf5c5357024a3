/* test_operator_secrets.c - unit tests for operator/secrets: existing values are never
 * replaced, missing keys are generated with the length and alphabet asked for, partial
 * Secrets gain only their missing keys, the generated-key list, errors naming the secret and
 * key, as_op_secret_plain's decoding and what it rejects, and a round trip through the
 * renderer (values -> rendered Secret -> plain values). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "../../operator/secrets.h"
#include "op_test_util.h"
#include "render/render.h"

static const char HEX[] = "0123456789abcdef";
static const char ALNUM[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

static json_t *js(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, JSON_ALLOW_NUL, &e);

    ck_assert_msg(v != NULL, "bad JSON literal: %s", e.text);
    return v;
}

static const char *val(const json_t *values, const char *secret, const char *key)
{
    return json_string_value(json_object_get(json_object_get(values, secret), key));
}

START_TEST(existing_values_are_kept_verbatim)
{
    json_t *needed = js("{\"shop-app\": {\"jwt\": {\"length\": 32, \"encoding\": \"hex\"}},"
                        " \"shop-redis\": {\"password\": {\"length\": 24, \"encoding\": "
                        "\"alphanumeric\"}}}");
    /* values that the encodings could never produce: any regeneration shows */
    json_t *existing = js("{\"shop-app\": {\"jwt\": \"short but mine\"},"
                          " \"shop-redis\": {\"password\": \"\\u00e9t\\u00e9 \\u2603\"}}");
    json_t *values = NULL, *generated = NULL;
    struct as_error err;

    ck_assert_int_eq(as_op_secret_values(needed, existing, &values, &generated, &err), AS_OK);
    ck_assert_str_eq(val(values, "shop-app", "jwt"), "short but mine");
    ck_assert_str_eq(val(values, "shop-redis", "password"), "\xc3\xa9t\xc3\xa9 \xe2\x98\x83");
    ck_assert_int_eq(json_object_size(generated), 0);
    ck_assert(json_is_object(generated));
    /* the values are copies: changing existing afterwards changes nothing */
    json_string_set(json_object_get(json_object_get(existing, "shop-app"), "jwt"), "changed");
    ck_assert_str_eq(val(values, "shop-app", "jwt"), "short but mine");
    json_decref(needed);
    json_decref(existing);
    json_decref(values);
    json_decref(generated);
}
END_TEST

START_TEST(missing_keys_get_the_length_and_alphabet_asked_for)
{
    json_t *needed = js("{\"s\": {\"h\": {\"length\": 32, \"encoding\": \"hex\"},"
                        " \"b\": {\"length\": 16, \"encoding\": \"base64\"},"
                        " \"a\": {\"length\": 24, \"encoding\": \"alphanumeric\"}}}");
    json_t *values = NULL, *generated = NULL, *again = NULL;
    const char *h, *b, *a;
    struct as_error err;

    ck_assert_int_eq(as_op_secret_values(needed, NULL, &values, &generated, &err), AS_OK);
    h = val(values, "s", "h");
    b = val(values, "s", "b");
    a = val(values, "s", "a");
    ck_assert_uint_eq(strlen(h), 64);
    ck_assert_uint_eq(strspn(h, HEX), 64);
    ck_assert_uint_eq(strlen(b), 24); /* 16 bytes -> 22 characters + "==" */
    ck_assert_str_eq(b + 22, "==");
    ck_assert_uint_eq(strlen(a), 24);
    ck_assert_uint_eq(strspn(a, ALNUM), 24);
    ck_assert_int_eq(json_array_size(json_object_get(generated, "s")), 3);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(generated, "s"), 0)), "h");
    /* generated_out may be NULL; a second run draws new values */
    ck_assert_int_eq(as_op_secret_values(needed, NULL, &again, NULL, &err), AS_OK);
    ck_assert_str_ne(val(again, "s", "h"), h);
    json_decref(needed);
    json_decref(values);
    json_decref(generated);
    json_decref(again);
}
END_TEST

START_TEST(partial_secret_gains_only_its_missing_key)
{
    json_t *needed = js("{\"shop-postgres\": {\"postgres-password\": {\"length\": 24, "
                        "\"encoding\": \"alphanumeric\"}, \"shop-password\": {\"length\": 24, "
                        "\"encoding\": \"alphanumeric\"}}, \"shop-app\": {\"jwt\": {\"length\": "
                        "32, \"encoding\": \"hex\"}}}");
    json_t *existing = js("{\"shop-postgres\": {\"postgres-password\": \"old\", \"gone-password\": "
                          "\"x\"}, \"shop-app\": {\"jwt\": \"kept\"}, \"other\": {\"k\": \"v\"}}");
    json_t *values = NULL, *generated = NULL, *want_gen;
    struct as_error err;

    ck_assert_int_eq(as_op_secret_values(needed, existing, &values, &generated, &err), AS_OK);
    ck_assert_str_eq(val(values, "shop-postgres", "postgres-password"), "old");
    ck_assert_uint_eq(strlen(val(values, "shop-postgres", "shop-password")), 24);
    ck_assert_str_eq(val(values, "shop-app", "jwt"), "kept");
    /* only needed keys and secrets come back */
    ck_assert_int_eq(json_object_size(json_object_get(values, "shop-postgres")), 2);
    ck_assert_ptr_null(json_object_get(values, "other"));
    want_gen = js("{\"shop-postgres\": [\"shop-password\"]}");
    ck_assert(json_equal(generated, want_gen));
    json_decref(want_gen);
    json_decref(needed);
    json_decref(existing);
    json_decref(values);
    json_decref(generated);
}
END_TEST

START_TEST(bad_needed_is_an_error_naming_secret_and_key)
{
    json_t *needed = js("{\"shop-app\": {\"ok\": {\"length\": 32, \"encoding\": \"hex\"},"
                        " \"jwt\": {\"length\": 32, \"encoding\": \"rot13\"}}}");
    json_t *values = (json_t *)0x1, *generated = (json_t *)0x1, *arr = js("[]");
    struct as_error err;

    ck_assert_int_eq(as_op_secret_values(needed, NULL, &values, &generated, &err),
                     AS_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(err.message, "secret shop-app"));
    ck_assert_ptr_nonnull(strstr(err.message, "key jwt"));
    ck_assert_ptr_nonnull(strstr(err.message, "rot13"));
    ck_assert_ptr_eq(values, (json_t *)0x1);
    ck_assert_ptr_eq(generated, (json_t *)0x1);
    ck_assert_int_eq(as_op_secret_values(arr, NULL, &values, NULL, &err), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_op_secret_values(NULL, NULL, &values, NULL, &err), AS_E_INVALID_ARG);
    json_decref(needed);
    json_decref(arr);
}
END_TEST

START_TEST(plain_decodes_data_and_skips_what_is_not_text)
{
    json_t *secret = js("{\"kind\": \"Secret\", \"data\": {"
                        " \"hello\": \"aGVsbG8=\","    /* "hello" */
                        " \"nopad\": \"aGk\","         /* "hi", padding optional */
                        " \"utf8\": \"w6l0w6k=\","     /* "été" */
                        " \"empty\": \"\","            /* "" is a value */
                        " \"notb64\": \"!!!!\","       /* not base64 */
                        " \"badpad\": \"aGVsbG8===\"," /* too much padding */
                        " \"latin1\": \"/w==\","       /* 0xff: not UTF-8 */
                        " \"surrogate\": \"7aCA\","    /* ED A0 80: a UTF-16 surrogate */
                        " \"overlong\": \"wK8=\","     /* C0 AF: overlong '/' */
                        " \"nul\": \"YQBi\","          /* a NUL b */
                        " \"number\": 42}}");
    json_t *plain = as_op_secret_plain(secret);

    ck_assert_ptr_nonnull(plain);
    ck_assert_str_eq(json_string_value(json_object_get(plain, "hello")), "hello");
    ck_assert_str_eq(json_string_value(json_object_get(plain, "nopad")), "hi");
    ck_assert_str_eq(json_string_value(json_object_get(plain, "utf8")), "\xc3\xa9t\xc3\xa9");
    ck_assert_str_eq(json_string_value(json_object_get(plain, "empty")), "");
    ck_assert_int_eq(json_object_size(plain), 4);
    json_decref(plain);
    json_decref(secret);
}
END_TEST

START_TEST(plain_string_data_wins_and_absent_is_empty)
{
    json_t *secret = js("{\"data\": {\"a\": \"b2xk\", \"b\": \"b2xk\"},"
                        " \"stringData\": {\"a\": \"new\", \"b\": \"x\\u0000y\", \"c\": \"c\"}}");
    json_t *plain = as_op_secret_plain(secret), *none = as_op_secret_plain(NULL);
    json_t *nodata = js("{\"kind\": \"Secret\", \"type\": \"Opaque\"}");
    json_t *empty = as_op_secret_plain(nodata);

    ck_assert_str_eq(json_string_value(json_object_get(plain, "a")), "new");
    ck_assert_ptr_null(json_object_get(plain, "b")); /* stringData's value holds a NUL */
    ck_assert_str_eq(json_string_value(json_object_get(plain, "c")), "c");
    ck_assert(json_is_object(none));
    ck_assert_int_eq(json_object_size(none), 0);
    ck_assert_int_eq(json_object_size(empty), 0);
    json_decref(plain);
    json_decref(none);
    json_decref(empty);
    json_decref(nodata);
    json_decref(secret);
}
END_TEST

static const char STACK[] = "apiVersion: appstack.io/v1alpha1\n"
                            "kind: AppStack\n"
                            "metadata: {name: shop, namespace: prod, uid: u-1}\n"
                            "spec:\n"
                            "  components:\n"
                            "    - name: api\n"
                            "      type: web\n"
                            "      image: ghcr.io/acme/shop-api:1.4.2\n"
                            "      port: 8080\n"
                            "      connections: [{name: postgres}]\n"
                            "  services:\n"
                            "    postgres:\n"
                            "      databases: [{name: shop}]\n"
                            "  secrets:\n"
                            "    generate:\n"
                            "      - {name: app, keys: [jwt, session], length: 48, "
                            "encoding: base64}\n";

/* The plain values of the rendered Secret named name. */
static json_t *rendered_plain(const json_t *objs, const char *name)
{
    const json_t *o;
    size_t i;

    json_array_foreach(objs, i, o)
    {
        const json_t *meta = json_object_get(o, "metadata");
        if (strcmp(json_string_value(json_object_get(o, "kind")), "Secret") == 0 &&
            strcmp(json_string_value(json_object_get(meta, "name")), name) == 0)
            return as_op_secret_plain(o);
    }
    ck_abort_msg("no Secret %s rendered", name);
    return NULL;
}

START_TEST(values_round_trip_through_the_renderer)
{
    json_t *stack = ot_yaml(STACK), *needed = NULL, *values = NULL, *objs = NULL;
    json_t *existing, *again = NULL, *gen = NULL, *p;
    struct as_field_errors errs;
    struct as_render_facts facts = {0};
    struct as_error err;
    const char *sec;

    as_field_errors_init(&errs);
    ck_assert_int_eq(as_render_needed_secrets(stack, &needed, &errs), AS_OK);
    ck_assert_int_eq(as_op_secret_values(needed, NULL, &values, NULL, &err), AS_OK);
    ck_assert_uint_eq(strlen(val(values, "shop-app", "jwt")), 64); /* 48 bytes in base64 */
    facts.secrets = values;
    ck_assert_int_eq(as_render(stack, &facts, &objs, &errs), AS_OK);
    /* what the operator reads back from the cache is what it generated */
    existing = json_object();
    json_object_foreach(needed, sec, p)
    {
        json_object_set_new(existing, sec, rendered_plain(objs, sec));
    }
    ck_assert(json_equal(existing, values));
    ck_assert_int_eq(as_op_secret_values(needed, existing, &again, &gen, &err), AS_OK);
    ck_assert(json_equal(again, values));
    ck_assert_int_eq(json_object_size(gen), 0);
    as_field_errors_free(&errs);
    json_decref(stack);
    json_decref(needed);
    json_decref(values);
    json_decref(objs);
    json_decref(existing);
    json_decref(again);
    json_decref(gen);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("operator_secrets");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, existing_values_are_kept_verbatim);
    tcase_add_test(tc, missing_keys_get_the_length_and_alphabet_asked_for);
    tcase_add_test(tc, partial_secret_gains_only_its_missing_key);
    tcase_add_test(tc, bad_needed_is_an_error_naming_secret_and_key);
    tcase_add_test(tc, plain_decodes_data_and_skips_what_is_not_text);
    tcase_add_test(tc, plain_string_data_wins_and_absent_is_empty);
    tcase_add_test(tc, values_round_trip_through_the_renderer);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
