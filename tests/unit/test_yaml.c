/*
 * test_yaml.c - unit tests for lib/base/yaml: scalar typing (kubectl's
 * go-yaml v2 rules), tags, documents, anchors and merge keys, limits,
 * error text with line/column, and YAML output that reads back unchanged.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "base/json.h"
#include "base/yaml.h"

/* Parses text (one document) and returns the canonical JSON of its "v" key; caller frees. */
static char *value_of(const char *text)
{
    struct as_error err;
    json_t *doc = NULL;
    char *out;

    ck_assert_msg(as_yaml_to_json_one(text, strlen(text), &doc, &err) == AS_OK, "%s: %s", text,
                  err.message);
    out = as_json_dump_canonical(json_object_get(doc, "v"));
    json_decref(doc);
    return out;
}

/* Asserts that text parses to a stream whose canonical JSON is expect. */
static void assert_yaml(const char *text, const char *expect)
{
    struct as_error err;
    json_t *docs = NULL;
    char *got;

    ck_assert_msg(as_yaml_to_json(text, strlen(text), &docs, &err) == AS_OK, "%s", err.message);
    got = as_json_dump_canonical(docs);
    ck_assert_str_eq(got, expect);
    free(got);
    json_decref(docs);
}

/* Asserts that text fails with code and exactly message, leaving the output untouched. */
static void assert_yaml_error(const char *text, size_t len, as_status code, const char *message)
{
    struct as_error err;
    json_t *docs = (json_t *)&err; /* sentinel: must stay untouched */

    ck_assert_int_eq(as_yaml_to_json(text, len, &docs, &err), code);
    ck_assert_str_eq(err.message, message);
    ck_assert_ptr_eq(docs, (json_t *)&err);
}

#define ERR(text, code, message) assert_yaml_error(text, strlen(text), code, message)

struct typing {
    const char *yaml;
    const char *json;
};

/* Plain scalars as go-yaml v2 (kubectl) types them; values written from resolve.go's rules. */
static const struct typing typings[] = {
    {"~", "null"},
    {"null", "null"},
    {"Null", "null"},
    {"NULL", "null"},
    {"", "null"},
    {"nULL", "\"nULL\""},
    {"y", "true"},
    {"Y", "true"},
    {"yes", "true"},
    {"Yes", "true"},
    {"YES", "true"},
    {"true", "true"},
    {"True", "true"},
    {"TRUE", "true"},
    {"on", "true"},
    {"On", "true"},
    {"ON", "true"},
    {"n", "false"},
    {"N", "false"},
    {"no", "false"},
    {"No", "false"},
    {"NO", "false"},
    {"false", "false"},
    {"False", "false"},
    {"FALSE", "false"},
    {"off", "false"},
    {"Off", "false"},
    {"OFF", "false"},
    {"yEs", "\"yEs\""},
    {"tRUE", "\"tRUE\""},
    {"oN", "\"oN\""},
    {"0", "0"},
    {"42", "42"},
    {"-17", "-17"},
    {"+5", "5"},
    {"0x1F", "31"},
    {"0X1f", "31"},
    {"-0x10", "-16"},
    {"0o17", "15"},
    {"017", "15"},
    {"0b101", "5"},
    {"-0b101", "-5"},
    {"1_000", "1000"},
    {"9223372036854775807", "9223372036854775807"},
    {"-9223372036854775808", "-9223372036854775808"},
    {"9223372036854775808", "9.2233720368547758e18"},
    {"1.5", "1.5"},
    {"1e3", "1000.0"},
    {"1.", "1.0"},
    {".5", "0.5"},
    {"-.5", "-0.5"},
    {"+1.5e-2", "0.014999999999999999"},
    {"08", "8.0"},
    {"1e400", "\"1e400\""},
    {"0x", "\"0x\""},
    {"0xZ", "\"0xZ\""},
    {"1.2.3", "\"1.2.3\""},
    {"12:30", "\"12:30\""},
    {"2001-12-14", "\"2001-12-14\""},
    {"2001-12-14T21:59:43.10-05:00", "\"2001-12-14T21:59:43.10-05:00\""},
    {"+", "\"+\""},
    {".", "\".\""},
    {"<<", "\"<<\""},
    {"\"yes\"", "\"yes\""},
    {"'123'", "\"123\""},
    {"'~'", "\"~\""},
    {"\"\"", "\"\""},
    {"\"a\\tb\\u00e9\"", "\"a\\tb\xc3\xa9\""},
};

START_TEST(plain_scalars_are_typed_like_kubectl)
{
    char text[128];
    char *got;

    snprintf(text, sizeof(text), "v: %s\n", typings[_i].yaml);
    got = value_of(text);
    ck_assert_msg(strcmp(got, typings[_i].json) == 0, "%s -> %s, want %s", typings[_i].yaml, got,
                  typings[_i].json);
    free(got);
}
END_TEST

START_TEST(tags_are_honoured)
{
    assert_yaml("a: !!str 123\nb: !!int \"42\"\nc: !!float 1\nd: !!bool yes\ne: !!null ~\n"
                "f: !custom x\ng: !!str\nh: !!timestamp 2001-12-14\n",
                "[{\"a\":\"123\",\"b\":42,\"c\":1.0,\"d\":true,\"e\":null,\"f\":\"x\",\"g\":\"\","
                "\"h\":\"2001-12-14\"}]");
    ERR("a: !!int abc\n", AS_E_PARSE, "line 1, column 4: cannot decode \"abc\" as !!int");
    ERR("a: !!bool 1\n", AS_E_PARSE, "line 1, column 4: cannot decode \"1\" as !!bool");
    ERR("a: !!null x\n", AS_E_PARSE, "line 1, column 4: cannot decode \"x\" as !!null");
    ERR("a: !!float .inf\n", AS_E_PARSE,
        "line 1, column 4: .inf is not a finite number and cannot be represented in JSON; quote "
        "it to make it a string");
}
END_TEST

START_TEST(non_finite_floats_are_rejected_with_location)
{
    ERR("a:\n  b: -.Inf\n", AS_E_PARSE,
        "line 2, column 6: -.Inf is not a finite number and cannot be represented in JSON; quote "
        "it to make it a string");
    ERR("[1, .NaN]", AS_E_PARSE,
        "line 1, column 5: .NaN is not a finite number and cannot be represented in JSON; quote "
        "it to make it a string");
    assert_yaml("a: '.inf'\n", "[{\"a\":\".inf\"}]");
}
END_TEST

START_TEST(block_and_flow_structures)
{
    assert_yaml("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  labels: {app: web}\n"
                "data:\n  list:\n  - a\n  - [1, 2]\n  text: |\n    one\n    two\n  folded: >\n"
                "    a\n    b\n",
                "[{\"apiVersion\":\"v1\",\"data\":{\"folded\":\"a b\\n\",\"list\":[\"a\",[1,2]],"
                "\"text\":\"one\\ntwo\\n\"},\"kind\":\"ConfigMap\",\"metadata\":{\"labels\":"
                "{\"app\":\"web\"},\"name\":\"web\"}}]");
}
END_TEST

START_TEST(non_string_keys_become_their_json_text)
{
    assert_yaml("1: a\ntrue: b\n~: c\n1.5: d\n0x10: e\n'yes': f\n",
                "[{\"1\":\"a\",\"1.5\":\"d\",\"16\":\"e\",\"null\":\"c\",\"true\":\"b\","
                "\"yes\":\"f\"}]");
}
END_TEST

START_TEST(multiple_documents_and_empty_ones)
{
    assert_yaml("---\na: 1\n---\n---\n# only a comment\n---\n- x\n...\n---\nplain\n",
                "[{\"a\":1},[\"x\"],\"plain\"]");
    assert_yaml("", "[]");
    assert_yaml("# nothing\n", "[]");
    assert_yaml("--- ~\n--- null\n", "[]");
}
END_TEST

START_TEST(exactly_one_document)
{
    struct as_error err;
    json_t *doc = NULL;
    const char *two = "a: 1\n---\nb: 2\n";

    ck_assert_int_eq(as_yaml_to_json_one(two, strlen(two), &doc, &err), AS_E_PARSE);
    ck_assert_str_eq(err.message, "expected exactly one YAML document, found 2; split the input");
    ck_assert_int_eq(as_yaml_to_json_one("", 0, &doc, &err), AS_E_PARSE);
    ck_assert_str_eq(err.message, "expected exactly one YAML document, found 0; split the input");
    ck_assert_ptr_null(doc);
    ck_assert_int_eq(as_yaml_to_json_one("a: 1", 4, &doc, &err), AS_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(doc, "a")), 1);
    json_decref(doc);
}
END_TEST

START_TEST(anchors_and_aliases_are_deep_copies)
{
    struct as_error err;
    json_t *doc = NULL;
    const char *text = "base: &b {x: 1, y: [a, b]}\nc1: *b\nc2: *b\n";

    ck_assert_int_eq(as_yaml_to_json_one(text, strlen(text), &doc, &err), AS_OK);
    ck_assert(json_equal(json_object_get(doc, "c1"), json_object_get(doc, "base")));
    ck_assert_ptr_ne(json_object_get(doc, "c1"), json_object_get(doc, "c2"));
    ck_assert_ptr_ne(json_object_get(doc, "c1"), json_object_get(doc, "base"));
    json_object_set_new(json_object_get(doc, "c1"), "x", json_integer(9));
    ck_assert_int_eq(json_integer_value(as_json_path(doc, "c2.x")), 1);
    json_decref(doc);
    assert_yaml("&k name: v\nother: *k\nm: {*k : 1}\n",
                "[{\"m\":{\"name\":1},\"name\":\"v\",\"other\":\"name\"}]");
    ERR("&k name: v\n*k : again\n", AS_E_PARSE,
        "line 2, column 1: mapping key \"name\" already defined at line 1");
    assert_yaml("- &a 1\n- *a\n- &a two\n- *a\n- &s [x]\n- *s\n",
                "[[1,1,\"two\",\"two\",[\"x\"],[\"x\"]]]");
}
END_TEST

START_TEST(alias_errors)
{
    ERR("a: *nope\n", AS_E_PARSE,
        "line 1, column 4: unknown anchor \"nope\" (an alias must follow its anchor's complete "
        "node)");
    ERR("a: &r [*r]\n", AS_E_PARSE,
        "line 1, column 8: unknown anchor \"r\" (an alias must follow its anchor's complete "
        "node)");
    ERR("a: &x 1\n---\nb: *x\n", AS_E_PARSE,
        "line 3, column 4: unknown anchor \"x\" (an alias must follow its anchor's complete "
        "node)");
}
END_TEST

START_TEST(merge_keys)
{
    assert_yaml("base: &b {x: 1, z: 2}\nd:\n  <<: *b\n  z: 3\n",
                "[{\"base\":{\"x\":1,\"z\":2},\"d\":{\"x\":1,\"z\":3}}]");
    /* explicit keys win even when written before the merge */
    assert_yaml("b: &b {x: 1, z: 2}\nd:\n  z: 3\n  <<: *b\n",
                "[{\"b\":{\"x\":1,\"z\":2},\"d\":{\"x\":1,\"z\":3}}]");
    /* YAML 1.1 as kubectl reads it: a plain y key is the boolean true */
    assert_yaml("b: &b {y: 1}\nd:\n  <<: *b\n", "[{\"b\":{\"true\":1},\"d\":{\"true\":1}}]");
    /* in a list, earlier mappings win over later ones */
    assert_yaml("p: &p {a: 1, b: 1}\nq: &q {b: 2, c: 2}\nd:\n  <<: [*p, *q]\n  c: 3\n",
                "[{\"d\":{\"a\":1,\"b\":1,\"c\":3},\"p\":{\"a\":1,\"b\":1},\"q\":{\"b\":2,"
                "\"c\":2}}]");
    /* an inline mapping works too; a quoted "<<" is an ordinary key */
    assert_yaml("d:\n  <<: {k: v}\n  \"<<\": lit\n", "[{\"d\":{\"<<\":\"lit\",\"k\":\"v\"}}]");
    ERR("d:\n  <<: 5\n", AS_E_PARSE,
        "line 2, column 3: merge key \"<<\" needs a mapping or a list of mappings, found a "
        "scalar");
    ERR("d:\n  <<: [{a: 1}, x]\n", AS_E_PARSE,
        "line 2, column 3: merge key \"<<\" list item 2 is not a mapping");
}
END_TEST

START_TEST(duplicate_keys_are_rejected)
{
    ERR("a: 1\nb: 2\na: 3\n", AS_E_PARSE,
        "line 3, column 1: mapping key \"a\" already defined at line 1");
    ERR("m:\n  x: 1\n  \"x\": 2\n", AS_E_PARSE,
        "line 3, column 3: mapping key \"x\" already defined at line 2");
    ERR("{1: a, '1': b}", AS_E_PARSE,
        "line 1, column 8: mapping key \"1\" already defined at line 1");
    /* the same key in different mappings is fine */
    assert_yaml("a: {x: 1}\nb: {x: 2}\n", "[{\"a\":{\"x\":1},\"b\":{\"x\":2}}]");
}
END_TEST

START_TEST(non_scalar_keys_are_rejected)
{
    ERR("? [a, b]\n: 1\n", AS_E_PARSE,
        "line 1, column 3: mapping keys must be scalars, found a sequence; JSON keys are "
        "strings");
    ERR("{a: 1}: x\n", AS_E_PARSE,
        "line 1, column 1: mapping keys must be scalars, found a mapping; JSON keys are "
        "strings");
    ERR("m: &m {a: 1}\n*m : x\n", AS_E_PARSE,
        "line 2, column 1: mapping keys must be scalars, found an alias to a mapping");
}
END_TEST

START_TEST(syntax_errors_carry_libyaml_text_and_location)
{
    ERR("a: [1, 2\n", AS_E_PARSE,
        "line 2, column 1: did not find expected ',' or ']' (while parsing a flow sequence at "
        "line 1, column 4)");
    ERR("a: b: c\n", AS_E_PARSE,
        "line 1, column 5: mapping values are not allowed in this context");
    ERR("a: 'open\n", AS_E_PARSE,
        "line 2, column 1: found unexpected end of stream (while scanning a quoted scalar at line "
        "1, column 4)");
    ERR("a:\n\tb: 1\n", AS_E_PARSE,
        "line 2, column 1: found character that cannot start any token (while scanning for the "
        "next token at line 2, column 1)");
    ERR("a: 1\n b: 2\n", AS_E_PARSE,
        "line 2, column 3: mapping values are not allowed in this context");
    ERR("- a\nb: c\n", AS_E_PARSE,
        "line 2, column 1: did not find expected '-' indicator (while parsing a block collection "
        "at line 1, column 1)");
}
END_TEST

START_TEST(invalid_utf8_is_located)
{
    assert_yaml_error("a: ok\nb: \xff\n", 10, AS_E_PARSE,
                      "line 2, column 4: invalid leading UTF-8 octet");
}
END_TEST

/* Builds the classic "billion laughs" document: 9 levels, each 10 aliases of the previous. */
static char *billion_laughs(int levels)
{
    struct as_buf b;

    as_buf_init(&b, 1 << 16);
    as_buf_append_str(&b, "a0: &a0 lol\n");
    for (int i = 1; i <= levels; i++) {
        as_buf_appendf(&b, "a%d: &a%d [", i, i);
        for (int j = 0; j < 10; j++)
            as_buf_appendf(&b, "%s*a%d", j ? ", " : "", i - 1);
        as_buf_append_str(&b, "]\n");
    }
    return as_buf_steal(&b);
}

START_TEST(billion_laughs_hits_the_node_limit)
{
    char *text = billion_laughs(9);

    ERR(text, AS_E_LIMIT,
        "line 7, column 45: the input expands to more than 1000000 values (aliases included); "
        "reduce the use of aliases");
    free(text);
}
END_TEST

START_TEST(moderate_alias_fan_out_is_fine)
{
    char *text = billion_laughs(4);
    struct as_error err;
    json_t *doc = NULL;

    ck_assert_int_eq(as_yaml_to_json_one(text, strlen(text), &doc, &err), AS_OK);
    ck_assert_uint_eq(json_array_size(as_json_path(doc, "a4")), 10);
    ck_assert_str_eq(json_string_value(as_json_path(doc, "a4[9][9][9][9]")), "lol");
    json_decref(doc);
    free(text);
}
END_TEST

/* n nested flow sequences around a 1. */
static char *nested(unsigned n)
{
    char *s = malloc(2 * n + 2);

    memset(s, '[', n);
    s[n] = '1';
    memset(s + n + 1, ']', n);
    s[2 * n + 1] = '\0';
    return s;
}

START_TEST(nesting_is_limited)
{
    char *ok = nested(AS_YAML_MAX_DEPTH), *deep = nested(AS_YAML_MAX_DEPTH + 1);
    struct as_error err;
    json_t *docs = NULL;

    ck_assert_int_eq(as_yaml_to_json(ok, strlen(ok), &docs, &err), AS_OK);
    json_decref(docs);
    ERR(deep, AS_E_LIMIT, "line 1, column 513: nesting is deeper than 512 levels");
    free(ok);
    free(deep);
}
END_TEST

START_TEST(alias_expansion_respects_the_nesting_limit)
{
    char *inner = nested(300);
    struct as_buf b;

    as_buf_init(&b, 1 << 16);
    as_buf_appendf(&b, "a: &x %s\nb: ", inner);
    for (int i = 0; i < 250; i++)
        as_buf_append_str(&b, "[");
    as_buf_append_str(&b, "*x");
    for (int i = 0; i < 250; i++)
        as_buf_append_str(&b, "]");
    ERR(b.data, AS_E_LIMIT,
        "line 2, column 254: nesting is deeper than 512 levels after expanding alias \"x\"");
    as_buf_free(&b);
    free(inner);
}
END_TEST

START_TEST(input_size_is_limited)
{
    char *big = calloc(AS_YAML_MAX_INPUT + 1, 1);
    struct as_error err;
    json_t *docs = NULL;

    ck_assert_ptr_nonnull(big);
    ck_assert_int_eq(as_yaml_to_json(big, AS_YAML_MAX_INPUT + 1, &docs, &err), AS_E_LIMIT);
    ck_assert_str_eq(err.message, "YAML input is 16777217 bytes; the limit is 16777216 bytes");
    ck_assert_ptr_null(docs);
    free(big);
}
END_TEST

/* Renders the JSON text as YAML and returns it (caller frees). */
static char *to_yaml(const char *json_text)
{
    json_t *v = json_loads(json_text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    struct as_buf b;

    ck_assert_ptr_nonnull(v);
    as_buf_init(&b, 1 << 20);
    ck_assert_int_eq(as_json_to_yaml(v, &b), AS_OK);
    json_decref(v);
    return as_buf_steal(&b);
}

START_TEST(output_is_sorted_block_yaml_with_needed_quotes)
{
    char *y =
        to_yaml("{\"b\":[1,\"yes\",\"\"],\"a\":{\"y\":true,\"x\":null},\"c\":\"multi\\nline\\n\","
                "\"d\":{},\"e\":[],\"f\":1.5,\"g\":\"2001-12-14\",\"h\":\"123\","
                "\"i\":\"  lead\",\"j\":1000.0,\"k\":\"plain text\",\"~\":\"0o17\"}");

    ck_assert_str_eq(y, "a:\n"
                        "  x: null\n"
                        "  \"y\": true\n"
                        "b:\n"
                        "- 1\n"
                        "- \"yes\"\n"
                        "- \"\"\n"
                        "c: |\n"
                        "  multi\n"
                        "  line\n"
                        "d: {}\n"
                        "e: []\n"
                        "f: 1.5\n"
                        "g: 2001-12-14\n"
                        "h: \"123\"\n"
                        "i: '  lead'\n"
                        "j: 1000.0\n"
                        "k: plain text\n"
                        "\"~\": \"0o17\"\n");
    free(y);
}
END_TEST

START_TEST(output_refuses_too_deep_values)
{
    char *text = nested(AS_YAML_MAX_DEPTH + 1);
    json_t *v = json_loads(text, 0, NULL);
    struct as_buf b;

    ck_assert_ptr_nonnull(v);
    as_buf_init(&b, 1 << 20);
    as_buf_append_str(&b, "keep");
    ck_assert_int_eq(as_json_to_yaml(v, &b), AS_E_LIMIT);
    ck_assert_str_eq(b.data, "keep");
    as_buf_free(&b);
    json_decref(v);
    free(text);
}
END_TEST

START_TEST(output_respects_the_buffer_limit)
{
    json_t *v = json_pack("{s:s}", "key", "a fairly long value that will not fit");
    struct as_buf b;

    as_buf_init(&b, 16);
    ck_assert_int_eq(as_json_to_yaml(v, &b), AS_E_LIMIT);
    ck_assert_uint_eq(b.len, 0);
    as_buf_free(&b);
    json_decref(v);
}
END_TEST

/* Values that are easy to get wrong on output; each must read back equal. */
static const char *const round_trips[] = {
    "\"\"",
    "\" \"",
    "\"yes\"",
    "\"No\"",
    "\"~\"",
    "\"null\"",
    "\"0x10\"",
    "\"1e3\"",
    "\".5\"",
    "\".inf\"",
    "\"<<\"",
    "\"-\"",
    "\"- x\"",
    "\"a: b\"",
    "\"#c\"",
    "\"x #y\"",
    "\"'q'\"",
    "\"\\\"dq\\\"\"",
    "\"multi\\nline\"",
    "\"trailing\\n\\n\"",
    "\"\\nleading\"",
    "\"  indented\\nx\"",
    "\"tab\\there\"",
    "\"nul\\u0000byte\"",
    "\"crlf\\r\\n\"",
    "\"unicode \\u00e9 \\u2713\"",
    "\"\\u2028sep\"",
    "\"---\"",
    "\"...\"",
    "\"@at\"",
    "\"`tick\"",
    "\"!bang\"",
    "\"&amp\"",
    "\"*star\"",
    "\"%pct\"",
    "\"{brace\"",
    "\"[br\"",
    "\"key: [x]\"",
    "\"1_000\"",
    "\"012\"",
    "\"+1\"",
    "\"True\"",
    "\"y\"",
    "\"=\"",
    "\"?\"",
    "\":\"",
    "\"end \"",
    "\"line \\nspace\"",
    "\"\\t\"",
    "\"\\u0085\"",
    "0.1",
    "1e300",
    "-0.0",
    "123456789012345678",
    "-9223372036854775808",
    "1.0",
    "true",
    "{\"yes\":1,\"<<\":2,\"\":3,\"a b\":{\"c\":[[],{}]}}",
    "[[1,[2,[3]]],{\"k\":\"v\\n\"}]",
};

START_TEST(output_reads_back_equal)
{
    json_t *v = json_loads(round_trips[_i], JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    struct as_error err;
    struct as_buf b;
    json_t *back = NULL;

    ck_assert_ptr_nonnull(v);
    as_buf_init(&b, 1 << 20);
    ck_assert_int_eq(as_json_to_yaml(v, &b), AS_OK);
    ck_assert_msg(as_yaml_to_json_one(b.data, b.len, &back, &err) == AS_OK, "%s: %s\n%s",
                  round_trips[_i], err.message, b.data);
    ck_assert_msg(json_equal(v, back), "%s did not survive:\n%s", round_trips[_i], b.data);
    json_decref(back);
    json_decref(v);
    as_buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("yaml");
    TCase *in = tcase_create("input"), *lim = tcase_create("limits"), *out = tcase_create("output");

    tcase_add_loop_test(in, plain_scalars_are_typed_like_kubectl, 0,
                        (int)(sizeof(typings) / sizeof(typings[0])));
    tcase_add_test(in, tags_are_honoured);
    tcase_add_test(in, non_finite_floats_are_rejected_with_location);
    tcase_add_test(in, block_and_flow_structures);
    tcase_add_test(in, non_string_keys_become_their_json_text);
    tcase_add_test(in, multiple_documents_and_empty_ones);
    tcase_add_test(in, exactly_one_document);
    tcase_add_test(in, anchors_and_aliases_are_deep_copies);
    tcase_add_test(in, alias_errors);
    tcase_add_test(in, merge_keys);
    tcase_add_test(in, duplicate_keys_are_rejected);
    tcase_add_test(in, non_scalar_keys_are_rejected);
    tcase_add_test(in, syntax_errors_carry_libyaml_text_and_location);
    tcase_add_test(in, invalid_utf8_is_located);
    tcase_add_test(lim, billion_laughs_hits_the_node_limit);
    tcase_add_test(lim, moderate_alias_fan_out_is_fine);
    tcase_add_test(lim, nesting_is_limited);
    tcase_add_test(lim, alias_expansion_respects_the_nesting_limit);
    tcase_add_test(lim, input_size_is_limited);
    tcase_add_test(out, output_is_sorted_block_yaml_with_needed_quotes);
    tcase_add_test(out, output_refuses_too_deep_values);
    tcase_add_test(out, output_respects_the_buffer_limit);
    tcase_add_loop_test(out, output_reads_back_equal, 0,
                        (int)(sizeof(round_trips) / sizeof(round_trips[0])));
    suite_add_tcase(s, in);
    suite_add_tcase(s, lim);
    suite_add_tcase(s, out);
    return as_check_run(s);
}
