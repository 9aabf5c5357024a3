/*
 * schema.c - validation and defaulting of an AppStack against its embedded
 * OpenAPI schema, the same checks and messages as the API server's
 * structural schema (and tests/golden/schemacheck.py): types, enums,
 * patterns (POSIX regcomp of x-posix-pattern), lengths in characters,
 * bounds, required and unknown fields, list-map / set uniqueness.
 */
#include <stdio.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "render/schema.h"

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;
static json_t *schema_root;

static void schema_parse(void)
{
    as_json_long_lived_begin(); /* kept for the life of the process */
    schema_root = json_loads(as__render_schema_json, JSON_REJECT_DUPLICATES, NULL);
    as_json_long_lived_end();
}

/* The embedded schema, parsed once per process (thread-safe) and never changed. Borrowed. */
const json_t *as__schema_get(void)
{
    pthread_once(&schema_once, schema_parse);
    return schema_root;
}

/* Fills defaults, recursively. */
void as__schema_default(const json_t *schema, json_t *value)
{
    json_t *props = json_object_get(schema, "properties"), *extra, *sub, *item;
    const char *name;
    size_t i;

    if (json_is_object(value) && json_is_object(props)) {
        json_object_foreach(props, name, sub)
        {
            json_t *dflt = json_object_get(sub, "default"), *cur = json_object_get(value, name);
            if ((!cur || json_is_null(cur)) && dflt) {
                json_object_set_new(value, name, json_deep_copy(dflt));
                cur = json_object_get(value, name);
            }
            if (cur)
                as__schema_default(sub, cur);
        }
    } else if (json_is_object(value) &&
               json_is_object(extra = json_object_get(schema, "additionalProperties"))) {
        json_object_foreach(value, name, item)
        {
            as__schema_default(extra, item);
        }
    } else if (json_is_array(value) && (sub = json_object_get(schema, "items"))) {
        json_array_foreach(value, i, item)
        {
            as__schema_default(sub, item);
        }
    }
}

/* What a schema node expects, for messages. */
static const char *type_label(const json_t *s)
{
    const char *t = json_string_value(json_object_get(s, "type"));

    if (json_is_true(json_object_get(s, "x-kubernetes-int-or-string")))
        return "an integer or a string";
    if (!t)
        return "something else";
    if (strcmp(t, "string") == 0)
        return "a string";
    if (strcmp(t, "integer") == 0)
        return "an integer";
    if (strcmp(t, "boolean") == 0)
        return "true or false";
    if (strcmp(t, "object") == 0)
        return "an object (key: value lines)";
    if (strcmp(t, "array") == 0)
        return "a list (- item lines)";
    if (strcmp(t, "number") == 0)
        return "a number";
    return "something else";
}

/* What a value is, for messages. */
static const char *got(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_STRING:
        return "a string";
    case JSON_ARRAY:
        return "a list";
    case JSON_OBJECT:
        return "an object";
    default:
        return "null";
    }
}

/* True when v has the schema's type. */
static bool type_ok(const json_t *s, const json_t *v)
{
    const char *t = json_string_value(json_object_get(s, "type"));

    if (json_is_true(json_object_get(s, "x-kubernetes-int-or-string")))
        return json_is_integer(v) || json_is_string(v);
    if (!t)
        return true;
    if (strcmp(t, "integer") == 0)
        return json_is_integer(v);
    if (strcmp(t, "number") == 0)
        return json_is_number(v);
    if (strcmp(t, "string") == 0)
        return json_is_string(v);
    if (strcmp(t, "boolean") == 0)
        return json_is_boolean(v);
    if (strcmp(t, "object") == 0)
        return json_is_object(v);
    if (strcmp(t, "array") == 0)
        return json_is_array(v);
    return true;
}

/* JSON text of v (compact, ensure_ascii off) for messages; caller frees. */
static char *show(const json_t *v)
{
    char *s = as_json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    return s ? s : strdup("?");
}

/* Characters (UTF-8 code points) of s. */
static size_t chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* "kubectl explain appstack.<path without indexes>" into out. */
static void explain(const char *path, char *out, size_t n)
{
    size_t o = (size_t)snprintf(out, n, "kubectl explain appstack.");
    int skip = 0;

    for (const char *p = path; *p && o + 1 < n; p++) {
        if (*p == '[')
            skip = 1;
        else if (*p == ']')
            skip = 0;
        else if (!skip)
            out[o++] = *p;
    }
    out[o < n ? o : n - 1] = '\0';
}

static void node(const json_t *s, const json_t *v, const char *path, struct as_field_errors *e);

/* String checks. */
static void check_string(const json_t *s, const json_t *v, const char *path,
                         struct as_field_errors *e)
{
    const char *str = json_string_value(v), *pat;
    size_t len = chars(str);
    json_t *mx = json_object_get(s, "maxLength"), *mn = json_object_get(s, "minLength");
    regex_t re;

    if (mx && (json_int_t)len > json_integer_value(mx))
        as_field_errors_add(e, "%s: is %zu characters long, the limit is %lld — shorten it", path,
                            len, (long long)json_integer_value(mx));
    if (mn && (json_int_t)len < json_integer_value(mn))
        as_field_errors_add(e, "%s: is %zu characters long, at least %lld are needed — fill it in",
                            path, len, (long long)json_integer_value(mn));
    pat = json_string_value(json_object_get(s, "x-posix-pattern"));
    if (pat && regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) == 0) {
        if (strlen(str) != json_string_length(v) || regexec(&re, str, 0, NULL, 0) != 0) {
            const char *hint = json_string_value(json_object_get(s, "x-pattern-hint"));
            char ex[300], *sh = show(v);
            explain(path, ex, sizeof ex);
            if (hint)
                as_field_errors_add(e, "%s: %s is not valid — %s", path, sh, hint);
            else
                as_field_errors_add(e, "%s: %s is not valid — see %s", path, sh, ex);
            free(sh);
        }
        regfree(&re);
    }
}

/* Object checks. */
static void check_object(const json_t *s, const json_t *v, const char *path,
                         struct as_field_errors *e)
{
    json_t *props = json_object_get(s, "properties"),
           *extra = json_object_get(s, "additionalProperties");
    json_t *mx = json_object_get(s, "maxProperties"), *req, *item;
    const char *name;
    size_t i;
    char sub[1024], ex[1100];

    if (mx && (json_int_t)json_object_size(v) > json_integer_value(mx))
        as_field_errors_add(e, "%s: has %zu entries, the limit is %lld — remove some", path,
                            json_object_size(v), (long long)json_integer_value(mx));
    json_array_foreach(json_object_get(s, "required"), i, req)
    {
        const char *r = json_string_value(req);
        json_t *cur = r ? json_object_get(v, r) : NULL;
        if (r && (!cur || json_is_null(cur))) {
            snprintf(sub, sizeof sub, "%s.%s", path, r);
            explain(sub, ex, sizeof ex);
            as_field_errors_add(e, "%s: required field is missing — add it (%s)", sub, ex);
        }
    }
    json_object_foreach((json_t *)v, name, item)
    {
        json_t *ps = json_object_get(props, name);
        snprintf(sub, sizeof sub, "%s.%s", path, name);
        if (json_is_null(item))
            continue; /* null is "absent" for Kubernetes objects */
        if (ps)
            node(ps, item, sub, e);
        else if (json_is_object(extra))
            node(extra, item, sub, e);
        else if (!json_is_true(json_object_get(s, "x-kubernetes-preserve-unknown-fields"))) {
            explain(path, ex, sizeof ex);
            as_field_errors_add(e, "%s: unknown field — remove it or fix its spelling (%s)", sub,
                                ex);
        }
    }
}

/* The uniqueness key of a list item, as canonical JSON (caller frees). */
static char *item_key(const json_t *keys, const json_t *item)
{
    json_t *k = json_array(), *key;
    size_t i;
    char *out;

    json_array_foreach(keys, i, key)
    {
        json_t *x = json_object_get(item, json_string_value(key));
        json_array_append(k, x ? x : json_null());
    }
    out = as_json_dump_canonical(k);
    json_decref(k);
    return out;
}

/* Array checks. */
static void check_array(const json_t *s, const json_t *v, const char *path,
                        struct as_field_errors *e)
{
    json_t *mx = json_object_get(s, "maxItems"), *mn = json_object_get(s, "minItems");
    json_t *items = json_object_get(s, "items"), *item, *keys;
    const char *kind = json_string_value(json_object_get(s, "x-kubernetes-list-type"));
    size_t i, n = json_array_size(v);
    char sub[1024];
    char **seen;

    if (mx && (json_int_t)n > json_integer_value(mx))
        as_field_errors_add(e, "%s: has %zu items, the limit is %lld — remove some", path, n,
                            (long long)json_integer_value(mx));
    if (mn && (json_int_t)n < json_integer_value(mn))
        as_field_errors_add(e, "%s: has %zu items, at least %lld are needed — add one", path, n,
                            (long long)json_integer_value(mn));
    json_array_foreach(v, i, item)
    {
        snprintf(sub, sizeof sub, "%s[%zu]", path, i);
        if (items)
            node(items, item, sub, e);
    }
    if (!kind || (strcmp(kind, "map") != 0 && strcmp(kind, "set") != 0) || n == 0)
        return;
    keys = json_object_get(s, "x-kubernetes-list-map-keys");
    seen = calloc(n, sizeof *seen);
    if (!seen)
        return;
    json_array_foreach(v, i, item)
    {
        bool is_map = strcmp(kind, "map") == 0;
        if (is_map && !json_is_object(item))
            continue;
        seen[i] = is_map ? item_key(keys, item) : as_json_dump_canonical(item);
        for (size_t j = 0; seen[i] && j < i; j++) {
            if (seen[j] && strcmp(seen[j], seen[i]) == 0) {
                char what[600] = "";
                size_t o = 0;
                if (is_map) {
                    size_t k;
                    json_t *key;
                    json_array_foreach(keys, k, key)
                    {
                        json_t *x = json_object_get(item, json_string_value(key));
                        char *sh = show(x ? x : json_null());
                        o += (size_t)snprintf(what + o, o < sizeof what ? sizeof what - o : 0,
                                              "%s%s %s", k ? ", " : "", json_string_value(key), sh);
                        free(sh);
                        if (o >= sizeof what)
                            break;
                    }
                    snprintf(sub, sizeof sub, "%s[%zu].%s", path, i,
                             json_string_value(json_array_get(keys, 0)));
                } else {
                    char *sh = show(item);
                    snprintf(what, sizeof what, "%s", sh);
                    free(sh);
                    snprintf(sub, sizeof sub, "%s[%zu]", path, i);
                }
                as_field_errors_add(e,
                                    "%s: duplicate entry (%s, also at index %zu) — each entry "
                                    "must be unique, merge or rename them",
                                    sub, what, j);
                break;
            }
        }
    }
    for (i = 0; i < n; i++)
        free(seen[i]);
    free(seen);
}

/* One node: type, then the checks of its kind, then enum. */
static void node(const json_t *s, const json_t *v, const char *path, struct as_field_errors *e)
{
    json_t *en = json_object_get(s, "enum"), *x;
    size_t i;

    if (!type_ok(s, v)) {
        as_field_errors_add(e, "%s: must be %s, got %s — write %s", path, type_label(s), got(v),
                            type_label(s));
        return;
    }
    if (json_is_string(v))
        check_string(s, v, path, e);
    else if (json_is_integer(v)) {
        json_t *mn = json_object_get(s, "minimum"), *mx = json_object_get(s, "maximum");
        json_int_t n = json_integer_value(v);
        if (mn && n < json_integer_value(mn))
            as_field_errors_add(e, "%s: %lld is too small — use at least %lld", path, (long long)n,
                                (long long)json_integer_value(mn));
        if (mx && n > json_integer_value(mx))
            as_field_errors_add(e, "%s: %lld is too large — use at most %lld", path, (long long)n,
                                (long long)json_integer_value(mx));
    } else if (json_is_object(v))
        check_object(s, v, path, e);
    else if (json_is_array(v))
        check_array(s, v, path, e);
    if (json_is_array(en)) {
        bool ok = false;
        json_array_foreach(en, i, x)
        {
            if (json_equal(x, (json_t *)v))
                ok = true;
        }
        if (!ok) {
            struct as_buf b;
            char *sh = show(v);
            as_buf_init(&b, 4096);
            json_array_foreach(en, i, x)
            {
                if (json_is_string(x))
                    as_buf_appendf(&b, "%s%s", i ? ", " : "", json_string_value(x));
            }
            as_field_errors_add(e, "%s: %s is not allowed — use one of %s", path, sh,
                                b.data ? b.data : "");
            as_buf_free(&b);
            free(sh);
        }
    }
}

/* Appends every violation. */
void as__schema_validate(const json_t *schema, const json_t *value, const char *path,
                         struct as_field_errors *errors)
{
    node(schema, value, path, errors);
}
