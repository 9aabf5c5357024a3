/*
 * test_jv.c - unit tests for lib/base/jv: trees from jansson values (every type, member order,
 * decoded strings), the NULL-tolerant accessors and foreach macros, the way back to jansson,
 * equality (against json_equal), type names, and the arena (chunks, alignment, reset, free).
 */
#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "base/json.h"
#include "base/jv.h"

/* The arena trees of a test are built in (the checked fixture sets it up and frees it). */
static struct as_jv_arena arena;

static void setup(void)
{
    as_jv_arena_init(&arena);
}

static void teardown(void)
{
    as_jv_arena_free(&arena);
}

/* Parses text (any JSON value), failing the test when jansson refuses it. */
static json_t *load(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &err);

    ck_assert_msg(j != NULL, "%s: %s", text, err.text);
    return j;
}

/*
 * The tree of text in the test's arena. The jansson value is dropped at once, so a tree that
 * borrowed from it would be read after free (valgrind and ASan see it).
 */
static const struct as_jv *jv(const char *text)
{
    json_t *j = load(text);
    const struct as_jv *v = as_jv_from_json(&arena, j);

    ck_assert_msg(v != NULL, "no tree for %s", text);
    json_decref(j);
    return v;
}

static bool aligned8(const void *p)
{
    return ((uintptr_t)p & 7u) == 0;
}

/* Whether [a, a + an) and [b, b + bn) have no byte in common. */
static bool disjoint(const void *a, size_t an, const void *b, size_t bn)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;

    return x + an <= y || y + bn <= x;
}

/* v is a string of exactly len bytes equal to bytes, NUL-terminated after them. */
static void assert_jv_string(const struct as_jv *v, const char *bytes, size_t len)
{
    ck_assert_msg(as_jv_is_string(v), "not a string: %s", as_jv_type_name(v));
    ck_assert_uint_eq(as_jv_str_len(v), len);
    ck_assert_mem_eq(as_jv_str(v), bytes, len);
    ck_assert_int_eq(as_jv_str(v)[len], '\0');
}

START_TEST(objects_keep_document_order_and_keys)
{
    static const char *const keys[] = {"name", "replicas", "ratio",  "on",        "off",
                                       "none", "ports",    "labels", "empty_obj", "empty_arr"};
    static const char *const types[] = {"string", "integer", "number", "boolean", "boolean",
                                        "null",   "array",   "object", "object",  "array"};
    const struct as_jv *o = jv("{\"name\":\"web\",\"replicas\":3,\"ratio\":0.25,\"on\":true,"
                               "\"off\":false,\"none\":null,\"ports\":[80,443,8080],"
                               "\"labels\":{\"tier\":\"front\",\"app\":\"web\"},"
                               "\"empty_obj\":{},\"empty_arr\":[]}");
    const struct as_jv *m, *labels;
    size_t i = 0;

    ck_assert(as_jv_is_object(o));
    ck_assert_ptr_null(o->key);
    ck_assert_uint_eq(as_jv_size(o), 10);
    /* members in document order, each carrying its key, linked through next */
    for (m = as_jv_members(o); m != NULL; m = m->next, i++) {
        ck_assert_uint_lt(i, 10);
        ck_assert_str_eq(m->key, keys[i]);
        ck_assert_str_eq(as_jv_type_name(m), types[i]);
    }
    ck_assert_uint_eq(i, 10);

    assert_jv_string(as_jv_get(o, "name"), "web", 3);
    ck_assert_int_eq(as_jv_integer(as_jv_get(o, "replicas")), 3);
    ck_assert_double_eq(as_jv_number(as_jv_get(o, "ratio")), 0.25);
    ck_assert(as_jv_is_true(as_jv_get(o, "on")));
    ck_assert(as_jv_is_false(as_jv_get(o, "off")));
    ck_assert(as_jv_is_null(as_jv_get(o, "none")));
    ck_assert_int_eq(as_jv_integer(as_jv_at(as_jv_get(o, "ports"), 2)), 8080);
    ck_assert_uint_eq(as_jv_size(as_jv_get(o, "empty_obj")), 0);
    ck_assert_ptr_null(as_jv_members(as_jv_get(o, "empty_obj")));
    ck_assert_uint_eq(as_jv_size(as_jv_get(o, "empty_arr")), 0);
    ck_assert_ptr_null(as_jv_items(as_jv_get(o, "empty_arr")));

    /* a nested object keeps its own order: tier before app, as written */
    labels = as_jv_get(o, "labels");
    ck_assert_str_eq(as_jv_members(labels)->key, "tier");
    ck_assert_str_eq(as_jv_members(labels)->next->key, "app");
    ck_assert_ptr_null(as_jv_members(labels)->next->next);
    assert_jv_string(as_jv_get(labels, "app"), "web", 3);
    /* items of an array carry no key */
    ck_assert_ptr_null(as_jv_items(as_jv_get(o, "ports"))->key);
}
END_TEST

START_TEST(get_matches_whole_keys_only)
{
    const struct as_jv *o = jv("{\"ab\":1,\"a\":2,\"abc\":3,\"\":4,\"b\":5,"
                               "\"caf\xc3\xa9\":6,\"q\\\"k\":7,\"\\u00e9t\\u00e9\":8}");

    ck_assert_uint_eq(as_jv_size(o), 8);
    ck_assert_int_eq(as_jv_integer(as_jv_get(o, "ab")), 1);
    ck_assert_int_eq(as_jv_integer(as_jv_get(o, "a")), 2);
    ck_assert_int_eq(as_jv_integer(as_jv_get(o, "abc")), 3);
    ck_assert_int_eq(as_jv_integer(as_jv_get(o, "")), 4);
    ck_assert_int_eq(as_jv_integer(as_jv_get(o, "b")), 5);
    ck_assert_int_eq(as_jv_integer(as_jv_get(o, "caf\xc3\xa9")), 6);
    ck_assert_int_eq(as_jv_integer(as_jv_get(o, "q\"k")), 7);
    ck_assert_int_eq(as_jv_integer(as_jv_get(o, "\xc3\xa9t\xc3\xa9")), 8);
    /* a found member is the member itself: its key is the one asked for */
    ck_assert_str_eq(as_jv_get(o, "a")->key, "a");

    /* prefixes and extensions of keys are misses */
    ck_assert_ptr_null(as_jv_get(o, "abcd"));
    ck_assert_ptr_null(as_jv_get(o, "bc"));
    ck_assert_ptr_null(as_jv_get(o, "caf"));
    ck_assert_ptr_null(as_jv_get(o, "A"));
    ck_assert_ptr_null(as_jv_get(o, " a"));
    ck_assert_ptr_null(as_jv_get(o, "q"));

    /* "" is a miss where no member is named "", and a and ab are found whichever comes first */
    o = jv("{\"a\":1,\"ab\":2}");
    ck_assert_ptr_null(as_jv_get(o, ""));
    ck_assert_int_eq(as_jv_integer(as_jv_get(o, "a")), 1);
    ck_assert_int_eq(as_jv_integer(as_jv_get(o, "ab")), 2);
    ck_assert_ptr_null(as_jv_get(jv("{}"), ""));
    ck_assert_ptr_null(as_jv_get(jv("{}"), "a"));
}
END_TEST

START_TEST(strings_are_decoded_utf8_with_byte_lengths)
{
    const struct as_jv *a = jv("[\"caf\\u00e9\",\"\xe6\x97\xa5\xe6\x9c\xac\",\"\\ud83d\\ude00\","
                               "\"a\\nb\",\"say \\\"hi\\\"\",\"back\\\\slash\",\"\","
                               "\"tab\\there\",\"\\/\",\"\\u65e5\\u672c\"]");

    ck_assert_uint_eq(as_jv_size(a), 10);
    assert_jv_string(as_jv_at(a, 0), "caf\xc3\xa9", 5);              /* \u00e9: 2 bytes */
    assert_jv_string(as_jv_at(a, 1), "\xe6\x97\xa5\xe6\x9c\xac", 6); /* raw UTF-8 */
    assert_jv_string(as_jv_at(a, 2), "\xf0\x9f\x98\x80", 4);         /* surrogate pair */
    assert_jv_string(as_jv_at(a, 3), "a\nb", 3);
    assert_jv_string(as_jv_at(a, 4), "say \"hi\"", 8);
    assert_jv_string(as_jv_at(a, 5), "back\\slash", 10);
    assert_jv_string(as_jv_at(a, 6), "", 0);
    assert_jv_string(as_jv_at(a, 7), "tab\there", 8);
    assert_jv_string(as_jv_at(a, 8), "/", 1);
    assert_jv_string(as_jv_at(a, 9), "\xe6\x97\xa5\xe6\x9c\xac", 6); /* escaped as raw */
    ck_assert(as_jv_equal(as_jv_at(a, 1), as_jv_at(a, 9)));
    ck_assert_str_eq(as_jv_type_name(as_jv_at(a, 6)), "string");
}
END_TEST

START_TEST(integers_and_reals_keep_their_values)
{
    const struct as_jv *a = jv("[0,-1,42,9223372036854775807,-9223372036854775808,"
                               "1.5,-2.5e-3,1.0,1e300,-0.0,12345678901234]");
    const struct as_jv *v;

    ck_assert_uint_eq(as_jv_size(a), 11);
    ck_assert(as_jv_is_integer(as_jv_at(a, 0)));
    ck_assert(as_jv_integer(as_jv_at(a, 0)) == 0);
    ck_assert(as_jv_integer(as_jv_at(a, 1)) == -1);
    ck_assert(as_jv_integer(as_jv_at(a, 2)) == 42);
    ck_assert(as_jv_integer(as_jv_at(a, 3)) == INT64_MAX);
    ck_assert(as_jv_integer(as_jv_at(a, 4)) == INT64_MIN);
    ck_assert(as_jv_integer(as_jv_at(a, 10)) == 12345678901234);
    /* an integer is a number too, and reads as a double */
    ck_assert(as_jv_is_number(as_jv_at(a, 2)));
    ck_assert_double_eq(as_jv_number(as_jv_at(a, 2)), 42.0);
    ck_assert_double_eq(as_jv_number(as_jv_at(a, 1)), -1.0);
    ck_assert_double_eq(as_jv_number(as_jv_at(a, 4)), -9223372036854775808.0);

    /* reals: numbers but not integers, so as_jv_integer gives 0 */
    v = as_jv_at(a, 5);
    ck_assert(as_jv_is_number(v));
    ck_assert(!as_jv_is_integer(v));
    ck_assert_int_eq(v->type, AS_JV_REAL);
    ck_assert_double_eq(as_jv_number(v), 1.5);
    ck_assert(as_jv_integer(v) == 0);
    ck_assert_double_eq(as_jv_number(as_jv_at(a, 6)), -0.0025);
    v = as_jv_at(a, 7); /* 1.0 is written as a real and stays one */
    ck_assert_int_eq(v->type, AS_JV_REAL);
    ck_assert_str_eq(as_jv_type_name(v), "number");
    ck_assert_double_eq(as_jv_number(v), 1.0);
    ck_assert(as_jv_integer(v) == 0);
    ck_assert_double_eq(as_jv_number(as_jv_at(a, 8)), 1e300);
    v = as_jv_at(a, 9);
    ck_assert_int_eq(v->type, AS_JV_REAL);
    ck_assert_double_eq(as_jv_number(v), 0.0);
    ck_assert(signbit(as_jv_number(v)));
}
END_TEST

START_TEST(literals_true_false_null)
{
    const struct as_jv *a = jv("[true,false,null]");
    const struct as_jv *t = as_jv_at(a, 0), *f = as_jv_at(a, 1), *n = as_jv_at(a, 2);

    ck_assert_uint_eq(as_jv_size(a), 3);
    ck_assert(as_jv_is_true(t) && as_jv_is_boolean(t));
    ck_assert(!as_jv_is_false(t) && !as_jv_is_null(t) && !as_jv_is_number(t));
    ck_assert(as_jv_is_false(f) && as_jv_is_boolean(f));
    ck_assert(!as_jv_is_true(f) && !as_jv_is_null(f));
    /* a JSON null is a node, unlike a missing value */
    ck_assert_ptr_nonnull(n);
    ck_assert(as_jv_is_null(n));
    ck_assert(!as_jv_is_boolean(n) && !as_jv_is_false(n));
    ck_assert(as_jv_integer(t) == 0);
    ck_assert_double_eq(as_jv_number(t), 0.0);
    ck_assert_ptr_null(as_jv_str(f));
    ck_assert_uint_eq(as_jv_size(n), 0);
    /* scalars at the root convert too */
    ck_assert(as_jv_is_true(jv("true")));
    ck_assert(as_jv_is_null(jv("null")));
    ck_assert(as_jv_integer(jv("-5")) == -5);
    assert_jv_string(jv("\"root\""), "root", 4);
}
END_TEST

START_TEST(sizes_count_items_and_members_only)
{
    const struct as_jv *o = jv("{\"a\":[1,2,3],\"b\":{},\"c\":[],\"d\":{\"x\":1,\"y\":2},"
                               "\"e\":\"str\",\"f\":7,\"g\":[[1,2],[]]}");

    ck_assert_uint_eq(as_jv_size(o), 7);
    ck_assert_uint_eq(as_jv_size(as_jv_get(o, "a")), 3);
    ck_assert_uint_eq(as_jv_size(as_jv_get(o, "b")), 0);
    ck_assert_uint_eq(as_jv_size(as_jv_get(o, "c")), 0);
    ck_assert_uint_eq(as_jv_size(as_jv_get(o, "d")), 2);
    ck_assert_uint_eq(as_jv_size(as_jv_get(o, "e")), 0); /* a string has no items */
    ck_assert_uint_eq(as_jv_str_len(as_jv_get(o, "e")), 3);
    ck_assert_uint_eq(as_jv_size(as_jv_get(o, "f")), 0);
    ck_assert_uint_eq(as_jv_size(as_jv_get(o, "g")), 2);
    ck_assert_uint_eq(as_jv_size(as_jv_at(as_jv_get(o, "g"), 0)), 2);
    ck_assert_uint_eq(as_jv_size(as_jv_at(as_jv_get(o, "g"), 1)), 0);
    ck_assert_uint_eq(as_jv_size(NULL), 0);
}
END_TEST

START_TEST(at_walks_items_and_misses_out_of_range)
{
    const struct as_jv *a = jv("[10,\"x\",null,[2],{\"k\":1}]");
    const struct as_jv *o = jv("{\"k\":1}");

    ck_assert(as_jv_integer(as_jv_at(a, 0)) == 10);
    assert_jv_string(as_jv_at(a, 1), "x", 1);
    ck_assert(as_jv_is_null(as_jv_at(a, 2)));
    ck_assert(as_jv_integer(as_jv_at(as_jv_at(a, 3), 0)) == 2);
    ck_assert(as_jv_integer(as_jv_get(as_jv_at(a, 4), "k")) == 1);
    ck_assert_ptr_eq(as_jv_at(a, 0), as_jv_items(a));
    ck_assert_ptr_eq(as_jv_at(a, 1), as_jv_items(a)->next);
    /* out of range */
    ck_assert_ptr_null(as_jv_at(a, 5));
    ck_assert_ptr_null(as_jv_at(a, 6));
    ck_assert_ptr_null(as_jv_at(a, 1000));
    ck_assert_ptr_null(as_jv_at(a, SIZE_MAX));
    ck_assert_ptr_null(as_jv_at(as_jv_at(a, 3), 1));
    ck_assert_ptr_null(as_jv_at(jv("[]"), 0));
    /* not an array: an object's members are not items */
    ck_assert_ptr_null(as_jv_at(o, 0));
    ck_assert_ptr_null(as_jv_at(as_jv_at(a, 1), 0));
    ck_assert_ptr_null(as_jv_at(NULL, 0));
}
END_TEST

START_TEST(foreach_visits_items_and_members_in_order)
{
    static const char *const items[] = {"a", "bb", "ccc"};
    static const char *const keys[] = {"z", "y", "x", "w"};
    const struct as_jv *a = jv("[\"a\",\"bb\",\"ccc\"]");
    const struct as_jv *o = jv("{\"z\":1,\"y\":2,\"x\":3,\"w\":4}");
    const struct as_jv *v;
    const char *key;
    size_t i, n = 0;

    as_jv_array_foreach(a, i, v)
    {
        ck_assert_uint_eq(i, n);
        ck_assert_uint_lt(i, 3);
        ck_assert_str_eq(as_jv_str(v), items[i]);
        ck_assert_uint_eq(as_jv_str_len(v), i + 1);
        n++;
    }
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(i, 3);

    n = 0;
    as_jv_object_foreach(o, key, v)
    {
        ck_assert_uint_lt(n, 4);
        ck_assert_str_eq(key, keys[n]);
        ck_assert_ptr_eq(key, v->key);
        ck_assert(as_jv_integer(v) == (int64_t)n + 1);
        n++;
    }
    ck_assert_uint_eq(n, 4);

    /* nothing for empty containers, the other kind of container, scalars and NULL */
    n = 0;
    as_jv_array_foreach(jv("[]"), i, v) n++;
    as_jv_array_foreach(o, i, v) n++;
    as_jv_array_foreach(jv("\"abc\""), i, v) n++;
    as_jv_array_foreach(NULL, i, v) n++;
    as_jv_object_foreach(jv("{}"), key, v) n++;
    as_jv_object_foreach(a, key, v) n++;
    as_jv_object_foreach(jv("7"), key, v) n++;
    as_jv_object_foreach(NULL, key, v) n++;
    ck_assert_uint_eq(n, 0);

    /* nested loops over the same tree */
    n = 0;
    o = jv("{\"p\":[1,2],\"q\":[3],\"r\":[]}");
    as_jv_object_foreach(o, key, v)
    {
        const struct as_jv *item;
        size_t j;

        as_jv_array_foreach(v, j, item) n += (size_t)as_jv_integer(item);
    }
    ck_assert_uint_eq(n, 6);
}
END_TEST

START_TEST(accessors_tolerate_null_and_other_types)
{
    const struct as_jv *o = jv("{\"s\":\"5\",\"i\":5,\"r\":2.5,\"a\":[1],\"t\":true}");
    const struct as_jv *s = as_jv_get(o, "s"), *i = as_jv_get(o, "i"), *r = as_jv_get(o, "r");
    const struct as_jv *a = as_jv_get(o, "a");
    const char *free_space = arena.p;

    /* NULL: nothing is anything */
    ck_assert_ptr_null(as_jv_get(NULL, "s"));
    ck_assert_ptr_null(as_jv_get(NULL, NULL));
    ck_assert_ptr_null(as_jv_at(NULL, 0));
    ck_assert_ptr_null(as_jv_str(NULL));
    ck_assert_uint_eq(as_jv_str_len(NULL), 0);
    ck_assert(as_jv_integer(NULL) == 0);
    ck_assert_double_eq(as_jv_number(NULL), 0.0);
    ck_assert_uint_eq(as_jv_size(NULL), 0);
    ck_assert_ptr_null(as_jv_items(NULL));
    ck_assert_ptr_null(as_jv_members(NULL));
    ck_assert(!as_jv_is(NULL, AS_JV_NULL));
    ck_assert(!as_jv_is_object(NULL));
    ck_assert(!as_jv_is_array(NULL));
    ck_assert(!as_jv_is_string(NULL));
    ck_assert(!as_jv_is_integer(NULL));
    ck_assert(!as_jv_is_number(NULL));
    ck_assert(!as_jv_is_null(NULL)); /* missing is not a JSON null */
    ck_assert(!as_jv_is_true(NULL));
    ck_assert(!as_jv_is_false(NULL));
    ck_assert(!as_jv_is_boolean(NULL));
    ck_assert_ptr_null(as_jv_from_json(&arena, NULL));
    ck_assert_ptr_null(as_jv_to_json(NULL));
    ck_assert_ptr_eq(arena.p, free_space); /* and nothing was allocated for them */

    /* a NULL key, and lookups in things that are not objects */
    ck_assert_ptr_null(as_jv_get(o, NULL));
    ck_assert_ptr_null(as_jv_get(a, "s"));
    ck_assert_ptr_null(as_jv_get(s, "s"));
    ck_assert_ptr_null(as_jv_get(as_jv_get(o, "missing"), "s"));

    /* typed reads of the wrong type give the documented zero values */
    ck_assert_ptr_null(as_jv_str(i));
    ck_assert_uint_eq(as_jv_str_len(i), 0);
    ck_assert_ptr_null(as_jv_str(a));
    ck_assert(as_jv_integer(s) == 0); /* "5" is a string, not 5 */
    ck_assert_double_eq(as_jv_number(s), 0.0);
    ck_assert(as_jv_integer(r) == 0);
    ck_assert_double_eq(as_jv_number(r), 2.5);
    ck_assert(as_jv_integer(i) == 5);
    ck_assert_double_eq(as_jv_number(i), 5.0);
    ck_assert(as_jv_integer(as_jv_get(o, "t")) == 0);
    ck_assert(as_jv_integer(a) == 0);
    ck_assert_ptr_null(as_jv_items(o));
    ck_assert_ptr_null(as_jv_members(a));
    ck_assert_ptr_null(as_jv_items(s));
    ck_assert(!as_jv_is_object(a) && as_jv_is_array(a));
    ck_assert(!as_jv_is_string(i) && !as_jv_is_number(s));
}
END_TEST

START_TEST(to_json_round_trips_to_an_equal_value)
{
    static const char *const docs[] = {
        "{}",
        "[]",
        "null",
        "true",
        "false",
        "0",
        "-9223372036854775808",
        "9223372036854775807",
        "3.25",
        "1.0",
        "\"\"",
        "\"caf\\u00e9 \\\"q\\\"\\n\\ud83d\\ude00\"",
        "{\"a\":{\"b\":[1,2.5,\"x\",null,true,false,{},[]]},\"c\":[],\"d\":{}}",
        "[[[]],[{}],{\"k\":[{\"k\":[]}]}]",
        "{\"meta\":{\"name\":\"web\",\"labels\":{\"\":\"\"}},\"spec\":{\"n\":3,\"r\":-0.5}}",
    };
    size_t k;

    for (k = 0; k < sizeof(docs) / sizeof(docs[0]); k++) {
        json_t *x = load(docs[k]);
        json_t *back = as_jv_to_json(as_jv_from_json(&arena, x));

        ck_assert_msg(back != NULL, "no value back for %s", docs[k]);
        ck_assert_msg(json_equal(x, back), "%s does not come back equal", docs[k]);
        ck_assert_int_eq(json_typeof(back), json_typeof(x));
        json_decref(back);
        json_decref(x);
    }
}
END_TEST

START_TEST(to_json_keeps_member_order_and_owns_its_strings)
{
    static const char *const text =
        "{\"z\":1,\"a\":[true,null,\"s\"],\"m\":{\"y\":\"v\",\"b\":2.5}}";
    const struct as_jv *v = jv(text);
    json_t *back = as_jv_to_json(v);
    char *dumped;

    ck_assert_ptr_nonnull(back);
    /* the arena's memory is reused: the jansson value must not point into it */
    as_jv_arena_reset(&arena);
    memset(as_jv_arena_alloc(&arena, 4096), 'X', 4096);
    dumped = as_json_dumps(back, JSON_COMPACT);
    ck_assert_str_eq(dumped, text);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(back, "m"), "y")), "v");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(back, "a"), 2)), "s");
    free(dumped);
    json_decref(back);
}
END_TEST

START_TEST(equal_compares_type_and_value)
{
    const struct as_jv *o1 = jv("{\"a\":1,\"b\":[1,2],\"c\":{\"x\":null,\"y\":\"s\"}}");
    const struct as_jv *o2 = jv("{\"c\":{\"y\":\"s\",\"x\":null},\"b\":[1,2],\"a\":1}");
    json_t *ji = json_integer(1), *jr = json_real(1.0);

    /* objects: member order does not matter, at any depth */
    ck_assert(as_jv_equal(o1, o2));
    ck_assert(as_jv_equal(o2, o1));
    ck_assert(as_jv_equal(o1, o1));
    ck_assert(!as_jv_equal(o1, jv("{\"a\":1,\"b\":[2,1],\"c\":{\"x\":null,\"y\":\"s\"}}")));
    ck_assert(!as_jv_equal(o1, jv("{\"a\":1,\"b\":[1,2],\"c\":{\"x\":null,\"y\":\"t\"}}")));
    ck_assert(!as_jv_equal(jv("{\"a\":1}"), jv("{\"a\":2}")));
    ck_assert(!as_jv_equal(jv("{\"a\":1}"), jv("{\"b\":1}")));
    /* different sizes, both ways round */
    ck_assert(!as_jv_equal(jv("{\"a\":1}"), jv("{\"a\":1,\"b\":2}")));
    ck_assert(!as_jv_equal(jv("{\"a\":1,\"b\":2}"), jv("{\"a\":1}")));
    ck_assert(!as_jv_equal(jv("[1,2]"), jv("[1,2,3]")));
    ck_assert(!as_jv_equal(jv("[1,2,3]"), jv("[1,2]")));
    ck_assert(!as_jv_equal(jv("[]"), jv("[null]")));
    /* arrays: order matters */
    ck_assert(as_jv_equal(jv("[1,\"a\",[true]]"), jv("[1,\"a\",[true]]")));
    ck_assert(!as_jv_equal(jv("[1,2]"), jv("[2,1]")));
    /* integer 1 and real 1.0 differ, as they do for jansson */
    ck_assert(!as_jv_equal(jv("1"), jv("1.0")));
    ck_assert(!as_jv_equal(jv("1.0"), jv("1")));
    ck_assert(!json_equal(ji, jr));
    ck_assert(as_jv_equal(jv("1.0"), jv("1.00")));
    ck_assert(as_jv_equal(jv("1"), jv("1")));
    ck_assert(!as_jv_equal(jv("1"), jv("2")));
    /* strings compare every byte, length included */
    ck_assert(as_jv_equal(jv("\"\""), jv("\"\"")));
    ck_assert(as_jv_equal(jv("\"\xc3\xa9\""), jv("\"\\u00e9\"")));
    ck_assert(!as_jv_equal(jv("\"a\""), jv("\"ab\"")));
    ck_assert(!as_jv_equal(jv("\"ab\""), jv("\"a\"")));
    ck_assert(!as_jv_equal(jv("\"ab\""), jv("\"ac\"")));
    /* different types */
    ck_assert(!as_jv_equal(jv("true"), jv("false")));
    ck_assert(!as_jv_equal(jv("null"), jv("false")));
    ck_assert(!as_jv_equal(jv("0"), jv("false")));
    ck_assert(!as_jv_equal(jv("\"1\""), jv("1")));
    ck_assert(!as_jv_equal(jv("[]"), jv("{}")));
    ck_assert(as_jv_equal(jv("null"), jv("null")));
    ck_assert(as_jv_equal(jv("true"), jv("true")));
    ck_assert(as_jv_equal(jv("[]"), jv("[]")));
    ck_assert(as_jv_equal(jv("{}"), jv("{}")));
    /* NULLs: equal to each other only */
    ck_assert(as_jv_equal(NULL, NULL));
    ck_assert(!as_jv_equal(NULL, jv("null")));
    ck_assert(!as_jv_equal(jv("null"), NULL));
    ck_assert(!as_jv_equal(o1, NULL));
    json_decref(ji);
    json_decref(jr);
}
END_TEST

START_TEST(equal_agrees_with_json_equal)
{
    static const struct {
        const char *a, *b;
        bool equal; /* written by hand; both implementations must agree with it */
    } pairs[] = {
        {"{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", true},
        {"{\"a\":1,\"b\":2}", "{\"a\":1,\"b\":3}", false},
        {"{\"a\":1}", "{\"a\":1,\"b\":1}", false},
        {"{\"a\":1}", "{\"A\":1}", false},
        {"{\"a\":[1,{\"b\":null}]}", "{\"a\":[1,{\"b\":null}]}", true},
        {"{\"a\":[1,{\"b\":null}]}", "{\"a\":[1,{\"b\":false}]}", false},
        {"{\"a\":{\"b\":{}}}", "{\"a\":{\"b\":[]}}", false},
        {"[1,2,3]", "[1,2,3]", true},
        {"[1,2,3]", "[3,2,1]", false},
        {"[1,2]", "[1,2,null]", false},
        {"1", "1.0", false},
        {"2.5", "2.50", true},
        {"0.0", "-0.0", true},
        {"-9223372036854775808", "-9223372036854775808", true},
        {"9223372036854775807", "9223372036854775806", false},
        {"\"caf\\u00e9\"", "\"caf\xc3\xa9\"", true},
        {"\"a\"", "\"a \"", false},
        {"null", "null", true},
        {"true", "false", false},
        {"[]", "{}", false},
    };
    size_t k;

    for (k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
        json_t *ja = load(pairs[k].a), *jb = load(pairs[k].b);
        const struct as_jv *va = as_jv_from_json(&arena, ja), *vb = as_jv_from_json(&arena, jb);

        ck_assert_msg(json_equal(ja, jb) == pairs[k].equal, "json_equal(%s, %s)", pairs[k].a,
                      pairs[k].b);
        ck_assert_msg(as_jv_equal(va, vb) == pairs[k].equal, "as_jv_equal(%s, %s)", pairs[k].a,
                      pairs[k].b);
        ck_assert_msg(as_jv_equal(vb, va) == pairs[k].equal, "as_jv_equal(%s, %s)", pairs[k].b,
                      pairs[k].a);
        json_decref(ja);
        json_decref(jb);
    }
}
END_TEST

START_TEST(type_names)
{
    const struct as_jv *a = jv("[{},[],\"s\",1,1.5,true,false,null]");

    ck_assert_str_eq(as_jv_type_name(as_jv_at(a, 0)), "object");
    ck_assert_str_eq(as_jv_type_name(as_jv_at(a, 1)), "array");
    ck_assert_str_eq(as_jv_type_name(as_jv_at(a, 2)), "string");
    ck_assert_str_eq(as_jv_type_name(as_jv_at(a, 3)), "integer");
    ck_assert_str_eq(as_jv_type_name(as_jv_at(a, 4)), "number");
    ck_assert_str_eq(as_jv_type_name(as_jv_at(a, 5)), "boolean");
    ck_assert_str_eq(as_jv_type_name(as_jv_at(a, 6)), "boolean");
    ck_assert_str_eq(as_jv_type_name(as_jv_at(a, 7)), "null");
    ck_assert_str_eq(as_jv_type_name(NULL), "null");
    ck_assert_str_eq(as_jv_type_name(a), "array");
}
END_TEST

/* What the webhook's reader does: nodes filled and linked by hand. */
START_TEST(hand_built_trees_read_like_converted_ones)
{
    struct as_jv *o = as_jv_new(&arena, AS_JV_OBJECT);
    struct as_jv *kind = as_jv_new(&arena, AS_JV_STRING);
    struct as_jv *n = as_jv_new(&arena, AS_JV_INTEGER);
    json_t *back, *expect;

    ck_assert(o != NULL && kind != NULL && n != NULL);
    kind->key = as_jv_strndup(&arena, "kind", 4);
    kind->key_len = 4;
    kind->u.s = as_jv_strndup(&arena, "Pod", 3);
    kind->n = 3;
    n->key = as_jv_strndup(&arena, "n", 1);
    n->key_len = 1;
    n->u.i = 7;
    o->u.first = kind;
    kind->next = n;
    o->n = 2;

    ck_assert(as_jv_equal(o, jv("{\"n\":7,\"kind\":\"Pod\"}")));
    ck_assert(!as_jv_equal(o, jv("{\"n\":7,\"kind\":\"Pod\",\"x\":null}")));
    assert_jv_string(as_jv_get(o, "kind"), "Pod", 3);
    ck_assert(as_jv_integer(as_jv_get(o, "n")) == 7);
    back = as_jv_to_json(o);
    expect = load("{\"kind\":\"Pod\",\"n\":7}");
    ck_assert(json_equal(back, expect));
    json_decref(back);
    json_decref(expect);
}
END_TEST

START_TEST(deep_nesting_converts_both_ways)
{
    enum { DEPTH = 500 };
    char text[2 * DEPTH + 1];
    const struct as_jv *v;
    json_t *x, *back;
    size_t d;

    memset(text, '[', DEPTH);
    memset(text + DEPTH, ']', DEPTH);
    text[2 * DEPTH] = '\0';
    x = load(text);
    v = as_jv_from_json(&arena, x);
    for (d = 1; d < DEPTH; d++) {
        ck_assert_uint_eq(as_jv_size(v), 1);
        v = as_jv_at(v, 0);
    }
    ck_assert(as_jv_is_array(v));
    ck_assert_uint_eq(as_jv_size(v), 0);
    back = as_jv_to_json(as_jv_from_json(&arena, x));
    ck_assert(json_equal(x, back));
    json_decref(back);
    json_decref(x);
}
END_TEST

START_TEST(arena_serves_many_nodes_across_chunks)
{
    enum { N = 100000 };
    struct as_jv **nodes = malloc(N * sizeof(*nodes));
    struct as_jv_arena a;
    size_t i, bad = 0, walked = 0;
    const struct as_jv *v;

    ck_assert_ptr_nonnull(nodes);
    as_jv_arena_init(&a);
    ck_assert_ptr_null(a.chunks);
    for (i = 0; i < N; i++) {
        struct as_jv *n = as_jv_new(&a, AS_JV_INTEGER);

        ck_assert_ptr_nonnull(n);
        /* (counted rather than asserted: a Check assertion per node is slow) */
        if (!aligned8(n) || n->type != AS_JV_INTEGER || n->n != 0 || n->key != NULL ||
            n->next != NULL || n->u.i != 0)
            bad++;
        n->u.i = (int64_t)i * 7 - 3;
        n->next = i > 0 ? nodes[i - 1] : NULL;
        n->n = (uint32_t)i;
        nodes[i] = n;
    }
    ck_assert_uint_eq(bad, 0);
    /* no node was handed out twice or overlaps another: each still holds what was written */
    for (i = 0; i < N; i++)
        if (nodes[i]->u.i != (int64_t)i * 7 - 3 || nodes[i]->n != i ||
            nodes[i]->next != (i > 0 ? nodes[i - 1] : NULL) || nodes[i]->type != AS_JV_INTEGER)
            bad++;
    ck_assert_uint_eq(bad, 0);
    for (v = nodes[N - 1]; v != NULL; v = v->next)
        walked++;
    ck_assert_uint_eq(walked, N);
    free(nodes);
    as_jv_arena_free(&a);
}
END_TEST

START_TEST(arena_serves_requests_larger_than_a_chunk)
{
    const size_t big = 3u * 1024u * 1024u + 5u; /* over the 1 MiB chunk maximum */
    const size_t mib = 1024u * 1024u + 1u;
    struct as_jv_arena a;
    char *before, *p, *q, *after;
    size_t i, bad = 0;

    as_jv_arena_init(&a);
    before = as_jv_strndup(&a, "before", 6);
    p = as_jv_arena_alloc(&a, big);
    ck_assert_ptr_nonnull(p);
    ck_assert(aligned8(p));
    memset(p, 0xA5, big);
    after = as_jv_strndup(&a, "after", 5);
    ck_assert(disjoint(after, 6, p, big));
    q = as_jv_arena_alloc(&a, mib);
    ck_assert_ptr_nonnull(q);
    ck_assert(aligned8(q));
    ck_assert(disjoint(q, mib, p, big));
    ck_assert(disjoint(q, mib, after, 6));
    memset(q, 0x5A, mib);
    for (i = 0; i < big; i++)
        bad += (unsigned char)p[i] != 0xA5;
    for (i = 0; i < mib; i++)
        bad += (unsigned char)q[i] != 0x5A;
    ck_assert_uint_eq(bad, 0);
    ck_assert_str_eq(before, "before");
    ck_assert_str_eq(after, "after");
    as_jv_arena_free(&a);

    /* a large request as the very first one of an arena */
    as_jv_arena_init(&a);
    p = as_jv_arena_alloc(&a, big);
    ck_assert_ptr_nonnull(p);
    memset(p, 1, big);
    ck_assert_ptr_nonnull(as_jv_new(&a, AS_JV_NULL));
    as_jv_arena_free(&a);
}
END_TEST

START_TEST(arena_aligns_odd_sizes_without_overlap)
{
    static const size_t sizes[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 0, 31, 100, 5, 4095, 1};
    enum { K = sizeof(sizes) / sizeof(sizes[0]) };
    struct as_jv_arena a;
    unsigned char *p[K];
    size_t k, j, bad = 0;

    as_jv_arena_init(&a);
    for (k = 0; k < K; k++) {
        p[k] = as_jv_arena_alloc(&a, sizes[k]);
        ck_assert_ptr_nonnull(p[k]);
        ck_assert_msg(aligned8(p[k]), "%zu bytes at %p", sizes[k], (void *)p[k]);
        memset(p[k], (int)k + 1, sizes[k]);
    }
    for (k = 0; k < K; k++) {
        for (j = 0; j < sizes[k]; j++)
            bad += p[k][j] != k + 1;
        for (j = 0; j < K; j++)
            if (j != k && !disjoint(p[k], sizes[k] ? sizes[k] : 1, p[j], sizes[j] ? sizes[j] : 1))
                bad++;
    }
    ck_assert_uint_eq(bad, 0);
    as_jv_arena_free(&a);
}
END_TEST

START_TEST(strndup_copies_and_terminates)
{
    static const char raw[3] = {'a', 'b', 'c'}; /* not NUL-terminated */
    char src[] = "hello world";
    enum { LONG = 40000 }; /* more than the first chunk */
    char *longsrc = malloc(LONG);
    struct as_jv_arena a;
    char *d, *e, *l;

    ck_assert_ptr_nonnull(longsrc);
    as_jv_arena_init(&a);
    d = as_jv_strndup(&a, src, 5);
    ck_assert_ptr_nonnull(d);
    ck_assert_ptr_ne(d, src);
    ck_assert(aligned8(d));
    ck_assert_str_eq(d, "hello");
    src[0] = 'J'; /* a copy, not a view */
    ck_assert_str_eq(d, "hello");
    e = as_jv_strndup(&a, raw, 3);
    ck_assert_str_eq(e, "abc");
    ck_assert_str_eq(as_jv_strndup(&a, "", 0), "");
    ck_assert_str_eq(as_jv_strndup(&a, "xyz", 0), "");
    ck_assert_str_eq(as_jv_strndup(&a, "caf\xc3\xa9!", 5), "caf\xc3\xa9");
    memset(longsrc, 'q', LONG);
    l = as_jv_strndup(&a, longsrc, LONG);
    ck_assert_ptr_nonnull(l);
    ck_assert_uint_eq(strlen(l), LONG);
    ck_assert_mem_eq(l, longsrc, LONG);
    ck_assert_str_eq(d, "hello");
    ck_assert_str_eq(e, "abc");
    free(longsrc);
    as_jv_arena_free(&a);
}
END_TEST

START_TEST(reset_keeps_the_first_chunk_and_zeroes_new_nodes)
{
    enum { N = 20000 }; /* several chunks' worth */
    struct as_jv_arena a;
    void *first, *again;
    size_t i, bad = 0;

    as_jv_arena_init(&a);
    as_jv_arena_reset(&a); /* an arena that never allocated: nothing to keep */
    ck_assert_ptr_null(a.chunks);
    ck_assert_ptr_null(a.p);
    first = as_jv_arena_alloc(&a, sizeof(struct as_jv));
    ck_assert_ptr_nonnull(first);
    for (i = 0; i < N; i++) {
        struct as_jv *n = as_jv_new(&a, AS_JV_STRING);

        ck_assert_ptr_nonnull(n);
        memset(n, 0xFF, sizeof(*n)); /* junk for the next tree to find */
    }
    as_jv_arena_reset(&a);
    ck_assert_ptr_nonnull(a.chunks);
    /* the next allocation starts the kept (oldest) chunk again */
    again = as_jv_arena_alloc(&a, sizeof(struct as_jv));
    ck_assert_ptr_eq(again, first);
    memset(again, 0xFF, sizeof(struct as_jv));
    for (i = 0; i < N; i++) {
        struct as_jv *n = as_jv_new(&a, AS_JV_ARRAY);

        ck_assert_ptr_nonnull(n);
        if (!aligned8(n) || n->type != AS_JV_ARRAY || n->n != 0 || n->key != NULL ||
            n->next != NULL || n->u.first != NULL)
            bad++;
        n->n = (uint32_t)i;
    }
    ck_assert_uint_eq(bad, 0);
    /* twice in a row is fine too */
    as_jv_arena_reset(&a);
    as_jv_arena_reset(&a);
    ck_assert_ptr_eq(as_jv_arena_alloc(&a, 1), first);
    as_jv_arena_free(&a);
}
END_TEST

START_TEST(free_leaves_an_arena_reusable_after_init)
{
    struct as_jv_arena a;
    const struct as_jv *v;
    json_t *x = load("{\"k\":[1,\"two\",3.5]}");
    size_t i;

    as_jv_arena_init(&a);
    as_jv_arena_free(&a); /* an arena that never allocated */
    for (i = 0; i < 5000; i++)
        ck_assert_ptr_nonnull(as_jv_new(&a, AS_JV_NULL));
    as_jv_arena_free(&a);
    ck_assert_ptr_null(a.chunks);
    ck_assert_ptr_null(a.p);
    ck_assert_ptr_null(a.end);
    as_jv_arena_free(&a); /* freeing twice is harmless: free re-initialises */

    as_jv_arena_init(&a);
    v = as_jv_from_json(&a, x);
    ck_assert_ptr_nonnull(v);
    assert_jv_string(as_jv_at(as_jv_get(v, "k"), 1), "two", 3);
    ck_assert_double_eq(as_jv_number(as_jv_at(as_jv_get(v, "k"), 2)), 3.5);
    as_jv_arena_free(&a);
    json_decref(x);
}
END_TEST

START_TEST(trees_converted_after_reset_are_whole)
{
    enum { ITEMS = 3000 }; /* a few hundred KiB of nodes: several chunks */
    json_t *big = json_array(), *small = load("{\"a\":[true,{\"b\":\"c\"}],\"d\":-4}");
    const struct as_jv *v, *item;
    json_t *back;
    size_t i, bad = 0;
    char name[32];

    ck_assert_ptr_nonnull(big);
    for (i = 0; i < ITEMS; i++) {
        snprintf(name, sizeof(name), "item-%zu", i);
        ck_assert_int_eq(
            json_array_append_new(big, json_pack("{s:I,s:s,s:[s,s]}", "i", (json_int_t)i, "name",
                                                 name, "tags", "x", "y")),
            0);
    }
    for (int pass = 0; pass < 3; pass++) {
        v = as_jv_from_json(&arena, small);
        ck_assert(as_jv_is_true(as_jv_at(as_jv_get(v, "a"), 0)));
        assert_jv_string(as_jv_get(as_jv_at(as_jv_get(v, "a"), 1), "b"), "c", 1);
        ck_assert(as_jv_integer(as_jv_get(v, "d")) == -4);
        as_jv_arena_reset(&arena);

        v = as_jv_from_json(&arena, big);
        ck_assert_uint_eq(as_jv_size(v), ITEMS);
        as_jv_array_foreach(v, i, item)
        {
            snprintf(name, sizeof(name), "item-%zu", i);
            if (as_jv_integer(as_jv_get(item, "i")) != (int64_t)i ||
                strcmp(as_jv_str(as_jv_get(item, "name")), name) != 0 ||
                as_jv_size(as_jv_get(item, "tags")) != 2 ||
                strcmp(as_jv_str(as_jv_at(as_jv_get(item, "tags"), 1)), "y") != 0)
                bad++;
        }
        ck_assert_uint_eq(i, ITEMS);
        ck_assert_uint_eq(bad, 0);
        back = as_jv_to_json(v);
        ck_assert(json_equal(back, big));
        json_decref(back);
        as_jv_arena_reset(&arena);
    }
    json_decref(big);
    json_decref(small);
}
END_TEST

/*
 * Sizes whose rounding up to 8, or whose chunk header, would wrap around SIZE_MAX cannot be
 * served and must come back NULL, not as a few bytes. The two that wrap to 0 come first: on an
 * arena that gets this wrong they fail cleanly, before the ones that would write past a tiny
 * malloc.
 */
START_TEST(arena_refuses_sizes_that_wrap)
{
    ck_assert_ptr_nonnull(as_jv_arena_alloc(&arena, 8));
    ck_assert_ptr_null(as_jv_arena_alloc(&arena, SIZE_MAX));
    ck_assert_ptr_null(as_jv_arena_alloc(&arena, SIZE_MAX - 6));
    ck_assert_ptr_null(as_jv_arena_alloc(&arena, SIZE_MAX - 7));
    ck_assert_ptr_null(as_jv_arena_alloc(&arena, SIZE_MAX - 16));
    ck_assert_ptr_null(as_jv_strndup(&arena, "x", SIZE_MAX));
    ck_assert_ptr_nonnull(as_jv_arena_alloc(&arena, 8)); /* and the arena still works */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jv");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, objects_keep_document_order_and_keys);
    tcase_add_test(tc, get_matches_whole_keys_only);
    tcase_add_test(tc, strings_are_decoded_utf8_with_byte_lengths);
    tcase_add_test(tc, integers_and_reals_keep_their_values);
    tcase_add_test(tc, literals_true_false_null);
    tcase_add_test(tc, sizes_count_items_and_members_only);
    tcase_add_test(tc, at_walks_items_and_misses_out_of_range);
    tcase_add_test(tc, foreach_visits_items_and_members_in_order);
    tcase_add_test(tc, accessors_tolerate_null_and_other_types);
    tcase_add_test(tc, to_json_round_trips_to_an_equal_value);
    tcase_add_test(tc, to_json_keeps_member_order_and_owns_its_strings);
    tcase_add_test(tc, equal_compares_type_and_value);
    tcase_add_test(tc, equal_agrees_with_json_equal);
    tcase_add_test(tc, type_names);
    tcase_add_test(tc, hand_built_trees_read_like_converted_ones);
    tcase_add_test(tc, deep_nesting_converts_both_ways);
    tcase_add_test(tc, arena_serves_many_nodes_across_chunks);
    tcase_add_test(tc, arena_serves_requests_larger_than_a_chunk);
    tcase_add_test(tc, arena_aligns_odd_sizes_without_overlap);
    tcase_add_test(tc, strndup_copies_and_terminates);
    tcase_add_test(tc, reset_keeps_the_first_chunk_and_zeroes_new_nodes);
    tcase_add_test(tc, free_leaves_an_arena_reusable_after_init);
    tcase_add_test(tc, trees_converted_after_reset_are_whole);
    tcase_add_test(tc, arena_refuses_sizes_that_wrap);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
