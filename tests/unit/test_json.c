/* test_json.c - unit tests for lib/base/json: paths, typed getters, dumps, parsing. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "base/json.h"

static json_t *doc;

static const char *const DOC =
    "{\"spec\":{\"replicas\":3,\"ratio\":1.5,\"name\":\"web\",\"on\":true,\"none\":null,"
    "\"components\":[{\"name\":\"a\",\"port\":80},{\"name\":\"b\"},{\"name\":\"c\","
    "\"ports\":[1,2,3]}]},\"list\":[[10,20],[30]]}";

static void setup(void)
{
    doc = json_loads(DOC, 0, NULL);
    ck_assert_ptr_nonnull(doc);
}

static void teardown(void)
{
    json_decref(doc);
}

START_TEST(path_lookup_walks_keys_and_indexes)
{
    ck_assert_str_eq(json_string_value(as_json_path(doc, "spec.components[2].name")), "c");
    ck_assert_int_eq(json_integer_value(as_json_path(doc, "spec.components[2].ports[1]")), 2);
    ck_assert_int_eq(json_integer_value(as_json_path(doc, "list[0][1]")), 20);
    ck_assert_ptr_null(as_json_path(doc, "spec.components[3].name"));
    ck_assert_ptr_null(as_json_path(doc, "spec.missing.deeper"));
    ck_assert_ptr_null(as_json_path(doc, "spec.none"));
    ck_assert_ptr_null(as_json_path(doc, "spec.name.x"));
    ck_assert_ptr_null(as_json_path(NULL, "spec"));
}
END_TEST

START_TEST(root_index_paths)
{
    json_t *arr = json_loads("[{\"a\":1}]", 0, NULL);

    ck_assert_int_eq(json_integer_value(as_json_path(arr, "[0].a")), 1);
    json_decref(arr);
}
END_TEST

/* Asserts that path is rejected as malformed with the given message. */
static void assert_malformed(const char *path, const char *message)
{
    struct as_error err;
    const char *s = NULL;

    ck_assert_ptr_null(as_json_path(doc, path));
    ck_assert_int_eq(as_json_get_string(doc, path, &s, &err), AS_E_INVALID_ARG);
    ck_assert_str_eq(err.message, message);
    ck_assert_ptr_null(s);
}

START_TEST(malformed_paths_are_rejected_clearly)
{
    assert_malformed("", "(empty path): malformed path: empty path");
    assert_malformed("a..b", "a..b: malformed path at character 3: empty key");
    assert_malformed(".a", ".a: malformed path at character 1: empty key");
    assert_malformed("a.", "a.: malformed path at character 3: empty key");
    assert_malformed("a[", "a[: malformed path at character 2: an index must be digits inside [ ]");
    assert_malformed("a[]",
                     "a[]: malformed path at character 2: an index must be digits inside [ ]");
    assert_malformed("a[x]",
                     "a[x]: malformed path at character 2: an index must be digits inside [ ]");
    assert_malformed("a[1", "a[1: malformed path at character 2: missing ']' after an index");
    assert_malformed("a[1]b",
                     "a[1]b: malformed path at character 5: expected '.' or '[' after ']'");
    assert_malformed("a]", "a]: malformed path at character 2: unexpected ']'");
    assert_malformed(
        "a[99999999999999999999999]",
        "a[99999999999999999999999]: malformed path at character 2: index is too large");
    /* checked to the end even past an absent step */
    assert_malformed("nothere.x..y", "nothere.x..y: malformed path at character 11: empty key");
}
END_TEST

START_TEST(typed_getters_return_values)
{
    struct as_error err;
    const char *s = NULL;
    int64_t i = 0;
    bool b = false;
    json_t *o = NULL, *a = NULL;

    ck_assert_int_eq(as_json_get_string(doc, "spec.name", &s, &err), AS_OK);
    ck_assert_str_eq(s, "web");
    ck_assert_int_eq(as_json_get_int(doc, "spec.components[0].port", &i, &err), AS_OK);
    ck_assert_int_eq(i, 80);
    ck_assert_int_eq(as_json_get_bool(doc, "spec.on", &b, &err), AS_OK);
    ck_assert(b);
    ck_assert_int_eq(as_json_get_object(doc, "spec", &o, &err), AS_OK);
    ck_assert_ptr_eq(o, json_object_get(doc, "spec"));
    ck_assert_int_eq(as_json_get_array(doc, "spec.components", &a, &err), AS_OK);
    ck_assert_uint_eq(json_array_size(a), 3);
}
END_TEST

START_TEST(type_mismatch_messages_name_the_path)
{
    struct as_error err;
    const char *s = "untouched";
    int64_t i = -1;
    bool b = false;
    json_t *o = NULL;

    ck_assert_int_eq(as_json_get_string(doc, "spec.replicas", &s, &err), AS_E_TYPE);
    ck_assert_str_eq(err.message, "spec.replicas: expected string, got integer");
    ck_assert_str_eq(s, "untouched");
    ck_assert_int_eq(as_json_get_int(doc, "spec.ratio", &i, &err), AS_E_TYPE);
    ck_assert_str_eq(err.message, "spec.ratio: expected integer, got number");
    ck_assert_int_eq(i, -1);
    ck_assert_int_eq(as_json_get_bool(doc, "spec.name", &b, &err), AS_E_TYPE);
    ck_assert_str_eq(err.message, "spec.name: expected boolean, got string");
    ck_assert_int_eq(as_json_get_object(doc, "spec.components", &o, &err), AS_E_TYPE);
    ck_assert_str_eq(err.message, "spec.components: expected object, got array");
    ck_assert_int_eq(as_json_get_array(doc, "spec", &o, &err), AS_E_TYPE);
    ck_assert_str_eq(err.message, "spec: expected array, got object");
    ck_assert_int_eq(err.code, AS_E_TYPE);
}
END_TEST

START_TEST(wrong_intermediate_container_is_reported_at_its_path)
{
    struct as_error err;
    const char *s = NULL;

    ck_assert_int_eq(as_json_get_string(doc, "spec.name.first", &s, &err), AS_E_TYPE);
    ck_assert_str_eq(err.message, "spec.name: expected object, got string");
    ck_assert_int_eq(as_json_get_string(doc, "spec.components.name", &s, &err), AS_E_TYPE);
    ck_assert_str_eq(err.message, "spec.components: expected object, got array");
    ck_assert_int_eq(as_json_get_string(doc, "spec[0]", &s, &err), AS_E_TYPE);
    ck_assert_str_eq(err.message, "spec: expected array, got object");
    ck_assert_int_eq(as_json_get_string(doc, "[0]", &s, &err), AS_E_TYPE);
    ck_assert_str_eq(err.message, "(root): expected array, got object");
}
END_TEST

START_TEST(missing_values_are_reported)
{
    struct as_error err;
    const char *s = NULL;
    int64_t i = 7;

    ck_assert_int_eq(as_json_get_string(doc, "spec.components[1].port", &s, &err), AS_E_MISSING);
    ck_assert_str_eq(err.message, "spec.components[1].port: required value is missing");
    ck_assert_int_eq(err.code, AS_E_MISSING);
    ck_assert_int_eq(as_json_get_int(doc, "spec.none", &i, &err), AS_E_MISSING);
    ck_assert_str_eq(err.message, "spec.none: required value is missing");
    ck_assert_int_eq(as_json_get_int(doc, "nothing.at.all[3]", &i, &err), AS_E_MISSING);
    ck_assert_str_eq(err.message, "nothing.at.all[3]: required value is missing");
    ck_assert_int_eq(i, 7);
}
END_TEST

START_TEST(optional_getters_default_only_when_absent)
{
    struct as_error err;
    const char *s = NULL;
    int64_t i = 0;
    bool b = false;

    ck_assert_int_eq(as_json_opt_string(doc, "spec.image", "nginx", &s, &err), AS_OK);
    ck_assert_str_eq(s, "nginx");
    ck_assert_int_eq(as_json_opt_int(doc, "spec.none", 5, &i, &err), AS_OK);
    ck_assert_int_eq(i, 5);
    ck_assert_int_eq(as_json_opt_int(doc, "spec.replicas", 5, &i, &err), AS_OK);
    ck_assert_int_eq(i, 3);
    ck_assert_int_eq(as_json_opt_bool(doc, "spec.off", true, &b, &err), AS_OK);
    ck_assert(b);
    ck_assert_int_eq(as_json_opt_bool(doc, "spec.on", false, &b, &err), AS_OK);
    ck_assert(b);
    ck_assert_int_eq(as_json_opt_string(doc, "spec.name", "x", &s, &err), AS_OK);
    ck_assert_str_eq(s, "web");
    ck_assert_int_eq(as_json_opt_int(doc, "spec.name", 5, &i, &err), AS_E_TYPE);
    ck_assert_str_eq(err.message, "spec.name: expected integer, got string");
    ck_assert_int_eq(as_json_opt_bool(doc, "spec.replicas", false, &b, &err), AS_E_TYPE);
    ck_assert_str_eq(err.message, "spec.replicas: expected boolean, got integer");
    ck_assert_int_eq(as_json_opt_string(doc, "a..b", "x", &s, &err), AS_E_INVALID_ARG);
}
END_TEST

START_TEST(type_names)
{
    json_t *r = json_real(1.5), *t = json_true();

    ck_assert_str_eq(as_json_type_name(r), "number");
    ck_assert_str_eq(as_json_type_name(t), "boolean");
    ck_assert_str_eq(as_json_type_name(NULL), "null");
    ck_assert_str_eq(as_json_type_name(doc), "object");
    json_decref(r);
}
END_TEST

START_TEST(canonical_dump_is_sorted_compact_and_utf8)
{
    json_t *v =
        json_loads("{\"b\":1,\"a\":{\"z\":[1,2.5,\"\\u00e9\"],\"y\":null},\"c\":0.1}", 0, NULL);
    char *s = as_json_dump_canonical(v);

    ck_assert_str_eq(s, "{\"a\":{\"y\":null,\"z\":[1,2.5,\"\xc3\xa9\"]},\"b\":1,"
                        "\"c\":0.10000000000000001}");
    free(s);
    s = as_json_dump_canonical(NULL);
    ck_assert_str_eq(s, "null");
    free(s);
    json_decref(v);
}
END_TEST

START_TEST(pretty_dump_indents_two_and_ends_with_newline)
{
    json_t *v = json_loads("{\"b\":[1],\"a\":\"x\"}", 0, NULL);
    char *s = as_json_dump_pretty(v);

    ck_assert_str_eq(s, "{\n  \"a\": \"x\",\n  \"b\": [\n    1\n  ]\n}\n");
    free(s);
    json_decref(v);
}
END_TEST

START_TEST(canonical_dump_is_stable_across_insertion_order)
{
    json_t *a = json_loads("{\"x\":1,\"y\":{\"p\":1,\"q\":2}}", 0, NULL);
    json_t *b = json_loads("{\"y\":{\"q\":2,\"p\":1},\"x\":1}", 0, NULL);
    char *sa = as_json_dump_canonical(a), *sb = as_json_dump_canonical(b);

    ck_assert_str_eq(sa, sb);
    ck_assert(as_json_equal(a, b));
    ck_assert(!as_json_equal(a, NULL));
    ck_assert(as_json_equal(NULL, NULL));
    free(sa);
    free(sb);
    json_decref(a);
    json_decref(b);
}
END_TEST

/* Asserts that parsing text fails with code and exactly message. */
static void assert_parse_error(const char *text, as_status code, const char *message)
{
    struct as_error err;
    json_t *v = NULL;

    ck_assert_int_eq(as_json_parse(text, strlen(text), 1024, &v, &err), code);
    ck_assert_str_eq(err.message, message);
    ck_assert_ptr_null(v);
}

START_TEST(parse_errors_carry_line_and_column)
{
    assert_parse_error("{\"a\": 1,\n \"b\": }", AS_E_PARSE,
                       "line 2, column 7: unexpected token near '}'");
    assert_parse_error("{\"a\":1,\"a\":2}", AS_E_PARSE,
                       "line 1, column 10: duplicate object key near '\"a\"'");
    assert_parse_error("", AS_E_PARSE, "line 1, column 1: unexpected token near end of file");
    assert_parse_error("[1, 2", AS_E_PARSE, "line 1, column 5: ']' expected near end of file");
    assert_parse_error("{} x", AS_E_PARSE, "line 1, column 4: end of file expected near 'x'");
}
END_TEST

START_TEST(parse_enforces_the_size_limit)
{
    struct as_error err;
    json_t *v = NULL;
    const char *text = "[1,2,3,4,5]";

    ck_assert_int_eq(as_json_parse(text, strlen(text), 10, &v, &err), AS_E_LIMIT);
    ck_assert_str_eq(err.message, "JSON document is 11 bytes; the limit is 10 bytes");
    ck_assert_ptr_null(v);
    ck_assert_int_eq(as_json_parse(text, strlen(text), 11, &v, &err), AS_OK);
    ck_assert_uint_eq(json_array_size(v), 5);
    json_decref(v);
}
END_TEST

START_TEST(parse_accepts_any_value_and_bounded_input)
{
    struct as_error err;
    json_t *v = NULL;
    const char text[] = "\"abc\"garbage";

    ck_assert_int_eq(as_json_parse(text, 5, 100, &v, &err), AS_OK);
    ck_assert_str_eq(json_string_value(v), "abc");
    json_decref(v);
}
END_TEST

START_TEST(dumps_append_to_a_buffer_or_come_from_malloc)
{
    json_t *scalar = json_integer(1);
    struct as_buf b;
    char *text;

    as_buf_init(&b, 1024);
    as_buf_append_str(&b, "x=");
    ck_assert_int_eq(as_json_dump_append(json_object_get(doc, "list"), JSON_COMPACT, &b), AS_OK);
    ck_assert_str_eq(b.data, "x=[[10,20],[30]]");
    ck_assert_uint_eq(b.len, strlen("x=[[10,20],[30]]"));
    /* a scalar needs JSON_ENCODE_ANY, as with json_dumps: refused, nothing appended */
    ck_assert_int_eq(as_json_dump_append(scalar, JSON_COMPACT, &b), AS_E_INVALID_ARG);
    ck_assert_str_eq(b.data, "x=[[10,20],[30]]");
    as_buf_free(&b);
    /* past the buffer's max: AS_E_LIMIT, and the buffer is as it was */
    as_buf_init(&b, 12);
    as_buf_append_str(&b, "ab");
    ck_assert_int_eq(as_json_dump_append(doc, JSON_COMPACT, &b), AS_E_LIMIT);
    ck_assert_str_eq(b.data, "ab");
    ck_assert_uint_eq(b.len, 2);
    as_buf_free(&b);
    text = as_json_dumps(json_object_get(doc, "list"), JSON_COMPACT);
    ck_assert_str_eq(text, "[[10,20],[30]]");
    free(text); /* malloc'd whatever jansson's allocator is */
    ck_assert_ptr_null(as_json_dumps(scalar, JSON_COMPACT));
    json_decref(scalar);
}
END_TEST

START_TEST(long_lived_brackets_nest)
{
    ck_assert_uint_eq(as_json_long_lived_depth(), 0);
    as_json_long_lived_begin();
    as_json_long_lived_begin();
    ck_assert_uint_eq(as_json_long_lived_depth(), 2);
    as_json_long_lived_end();
    ck_assert_uint_eq(as_json_long_lived_depth(), 1);
    as_json_long_lived_end();
    as_json_long_lived_end(); /* an end without a begin is ignored */
    ck_assert_uint_eq(as_json_long_lived_depth(), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, path_lookup_walks_keys_and_indexes);
    tcase_add_test(tc, root_index_paths);
    tcase_add_test(tc, malformed_paths_are_rejected_clearly);
    tcase_add_test(tc, typed_getters_return_values);
    tcase_add_test(tc, type_mismatch_messages_name_the_path);
    tcase_add_test(tc, wrong_intermediate_container_is_reported_at_its_path);
    tcase_add_test(tc, missing_values_are_reported);
    tcase_add_test(tc, optional_getters_default_only_when_absent);
    tcase_add_test(tc, type_names);
    tcase_add_test(tc, canonical_dump_is_sorted_compact_and_utf8);
    tcase_add_test(tc, pretty_dump_indents_two_and_ends_with_newline);
    tcase_add_test(tc, canonical_dump_is_stable_across_insertion_order);
    tcase_add_test(tc, parse_errors_carry_line_and_column);
    tcase_add_test(tc, parse_enforces_the_size_limit);
    tcase_add_test(tc, parse_accepts_any_value_and_bounded_input);
    tcase_add_test(tc, dumps_append_to_a_buffer_or_come_from_malloc);
    tcase_add_test(tc, long_lived_brackets_nest);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
