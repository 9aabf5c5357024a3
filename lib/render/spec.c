/*
 * spec.c - tolerant readers of the AppStack spec for the builders: an absent
 * value or one of the wrong type yields the default (validate.c reports the
 * wrong types; the builders never crash on them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "render/render_int.h"

/* Member key of o when o is an object and the member is not null; else NULL. */
static json_t *member(const json_t *o, const char *key)
{
    json_t *v;

    if (!json_is_object(o))
        return NULL;
    v = json_object_get(o, key);
    return json_is_null(v) ? NULL : v;
}

/* The string o.key, or dflt. Borrowed. */
const char *rs_str(const json_t *o, const char *key, const char *dflt)
{
    json_t *v = member(o, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

/* The integer o.key, or dflt. */
int64_t rs_int(const json_t *o, const char *key, int64_t dflt)
{
    json_t *v = member(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* The boolean o.key, or dflt. */
bool rs_bool(const json_t *o, const char *key, bool dflt)
{
    json_t *v = member(o, key);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* The object o.key, or NULL. Borrowed. */
json_t *rs_obj(const json_t *o, const char *key)
{
    json_t *v = member(o, key);
    return json_is_object(v) ? v : NULL;
}

/* The array o.key, or NULL. Borrowed. */
json_t *rs_arr(const json_t *o, const char *key)
{
    json_t *v = member(o, key);
    return json_is_array(v) ? v : NULL;
}

/* True when o.key is present and not null. */
bool rs_has(const json_t *o, const char *key)
{
    return member(o, key) != NULL;
}

/* A quantity as text: integers are printed, strings returned as they are. */
const char *rs_qty(const json_t *o, const char *key, const char *dflt, char buf[32])
{
    json_t *v = member(o, key);

    if (json_is_string(v) && json_string_length(v) > 0)
        return json_string_value(v);
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        snprintf(buf, 32, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return dflt;
}

/* The component named name, or NULL. */
json_t *rs_component(const struct r_ctx *c, const char *name)
{
    json_t *arr = rs_arr(c->spec, "components"), *comp;
    size_t i;

    json_array_foreach(arr, i, comp)
    {
        const char *n = rs_str(comp, "name", NULL);
        if (n && name && strcmp(n, name) == 0)
            return comp;
    }
    return NULL;
}

/* spec.services.<which>, or NULL. */
json_t *rs_service(const struct r_ctx *c, const char *which)
{
    return rs_obj(rs_obj(c->spec, "services"), which);
}

/* The declaration of secret name in generate (gen) or fromExisting, or NULL. */
json_t *rs_secret_decl(const struct r_ctx *c, const char *name, bool gen)
{
    json_t *arr = rs_arr(rs_obj(c->spec, "secrets"), gen ? "generate" : "fromExisting"), *s;
    size_t i;

    json_array_foreach(arr, i, s)
    {
        const char *n = rs_str(s, "name", NULL);
        if (n && name && strcmp(n, name) == 0)
            return s;
    }
    return NULL;
}

/* Bytes of "123", "10Ki", "256Mi", "1Gi"; -1 otherwise or on overflow. */
int64_t rs_bytes(const char *q)
{
    int64_t v = 0, mul = 1;
    const char *p = q;

    if (!q || !*q)
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > INT64_MAX / 10 - 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (p == q)
        return -1;
    if (strcmp(p, "Ki") == 0)
        mul = 1024;
    else if (strcmp(p, "Mi") == 0)
        mul = 1024 * 1024;
    else if (strcmp(p, "Gi") == 0)
        mul = 1024LL * 1024 * 1024;
    else if (*p)
        return -1;
    if (v > INT64_MAX / mul)
        return -1;
    return v * mul;
}

/* qsort comparator over json strings. */
static int cmp_json_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* The keys of o in byte order (new array; empty for a non-object). NULL on NOMEM. */
json_t *r_sorted_keys(const json_t *o)
{
    json_t *arr = json_array(), *v, **items = NULL;
    const char *k;
    size_t n = json_is_object(o) ? json_object_size(o) : 0, i = 0;

    if (!arr)
        return NULL;
    if (n == 0)
        return arr;
    items = calloc(n, sizeof *items);
    if (!items) {
        json_decref(arr);
        return NULL;
    }
    json_object_foreach((json_t *)o, k, v)
    {
        if (i < n)
            items[i++] = json_string(k);
    }
    qsort(items, i, sizeof *items, cmp_json_str);
    for (size_t j = 0; j < i; j++)
        json_array_append_new(arr, items[j]);
    free(items);
    return arr;
}
