/*
 * render_test_util.h - helpers shared by the tests/unit/test_render_*.c
 * programs: an AppStack from YAML text, rendering with placeholder facts,
 * and lookups in the rendered list. Header-only (static), test code only.
 */
#ifndef AS_TEST_RENDER_UTIL_H
#define AS_TEST_RENDER_UTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/yaml.h"
#include "render/render.h"

/* Parses one YAML document (aborts the test on failure). Caller owns. */
static inline json_t *rt_yaml(const char *text)
{
    json_t *doc = NULL;
    struct as_error err;

    ck_assert_msg(as_yaml_to_json_one(text, strlen(text), &doc, &err) == AS_OK, "%s", err.message);
    return doc;
}

/* Facts with the value `value` for every needed generated secret. Caller owns. */
static inline json_t *rt_secret_facts(const json_t *stack, const char *value)
{
    struct as_field_errors e;
    json_t *needed = NULL, *facts = json_object(), *keys, *x;
    const char *s, *k;

    as_field_errors_init(&e);
    if (as_render_needed_secrets(stack, &needed, &e) == AS_OK) {
        json_object_foreach(needed, s, keys)
        {
            json_t *vals = json_object();
            json_object_foreach(keys, k, x)
            {
                json_object_set_new(vals, k, json_string(value));
            }
            json_object_set_new(facts, s, vals);
        }
    }
    json_decref(needed);
    as_field_errors_free(&e);
    return facts;
}

/* Renders yaml with placeholder secrets and apis; the test fails unless it renders. */
static inline json_t *rt_render(const char *yaml, unsigned apis)
{
    json_t *stack = rt_yaml(yaml), *secrets = rt_secret_facts(stack, "pw"), *out = NULL;
    struct as_render_facts f = {.secrets = secrets, .apis = apis};
    struct as_field_errors e;
    as_status st;

    as_field_errors_init(&e);
    st = as_render(stack, &f, &out, &e);
    ck_assert_msg(st == AS_OK, "render failed: %s", e.count ? e.items[0] : as_status_name(st));
    as_field_errors_free(&e);
    json_decref(stack);
    json_decref(secrets);
    return out;
}

/* Renders yaml expecting failure; returns the errors joined by '\n' (caller frees). */
static inline char *rt_render_errors(const char *yaml, as_status want)
{
    json_t *stack = rt_yaml(yaml), *out = NULL;
    struct as_field_errors e;
    size_t len = 1, o = 0;
    char *all;
    as_status st;

    as_field_errors_init(&e);
    st = as_render(stack, NULL, &out, &e);
    ck_assert_int_eq(st, want);
    ck_assert_ptr_null(out);
    for (size_t i = 0; i < e.count; i++)
        len += strlen(e.items[i]) + 1;
    all = calloc(1, len);
    for (size_t i = 0; i < e.count; i++) {
        size_t n = strlen(e.items[i]);
        memcpy(all + o, e.items[i], n);
        all[o + n] = '\n';
        o += n + 1;
    }
    as_field_errors_free(&e);
    json_decref(stack);
    return all;
}

/* The object of kind and name in objs (borrowed), or NULL. */
static inline json_t *rt_find(const json_t *objs, const char *kind, const char *name)
{
    json_t *o;
    size_t i;

    json_array_foreach(objs, i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "kind")), kind) == 0 &&
            strcmp(json_string_value(as_json_path(o, "metadata.name")), name) == 0)
            return o;
    }
    return NULL;
}

/* Number of objects of kind. */
static inline size_t rt_count(const json_t *objs, const char *kind)
{
    json_t *o;
    size_t i, n = 0;

    json_array_foreach(objs, i, o)
    {
        n += strcmp(json_string_value(json_object_get(o, "kind")), kind) == 0;
    }
    return n;
}

/* String at path under o, or "" (borrowed). */
static inline const char *rt_str(const json_t *o, const char *path)
{
    const char *s = json_string_value(as_json_path(o, path));
    return s ? s : "";
}

#define RT_HEADER "apiVersion: appstack.io/v1alpha1\nkind: AppStack\nmetadata: {name: shop}\n"

#endif
