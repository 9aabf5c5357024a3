/*
 * jv.c - the arena, lookups, equality and the conversions to and from
 * jansson of jv.h.
 */
#include "base/jv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* First chunk size; later chunks double up to JV_CHUNK_MAX (or fit one large request). */
#define JV_CHUNK_MIN (16u * 1024u)
#define JV_CHUNK_MAX (1024u * 1024u)
#define JV_ALIGN AS_JV_ALIGN

struct as_jv_chunk {
    struct as_jv_chunk *next;
    size_t size; /* bytes of data[] */
    _Alignas(8) char data[];
};

void as_jv_arena_init(struct as_jv_arena *a)
{
    a->chunks = NULL;
    a->p = a->end = NULL;
}

void as_jv_arena_free(struct as_jv_arena *a)
{
    struct as_jv_chunk *c = a->chunks, *next;

    for (; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    as_jv_arena_init(a);
}

void as_jv_arena_reset(struct as_jv_arena *a)
{
    struct as_jv_chunk *c = a->chunks, *first = NULL, *next;

    /* keep the oldest chunk (JV_CHUNK_MIN unless the first request was larger) */
    for (; c != NULL; c = next) {
        next = c->next;
        if (next == NULL)
            first = c;
        else
            free(c);
    }
    a->chunks = first;
    a->p = first != NULL ? first->data : NULL;
    a->end = first != NULL ? first->data + first->size : NULL;
}

void *as__jv_arena_grow(struct as_jv_arena *a, size_t n)
{
    struct as_jv_chunk *c;
    size_t size;
    void *r;

    if (n > SIZE_MAX / 2 - sizeof(*c))
        return NULL; /* no chunk that large: refused, not wrapped */
    n = (n + JV_ALIGN - 1) & ~(size_t)(JV_ALIGN - 1);
    size = a->chunks == NULL ? JV_CHUNK_MIN : a->chunks->size * 2;
    if (size > JV_CHUNK_MAX)
        size = JV_CHUNK_MAX;
    if (size < n)
        size = n;
    c = malloc(sizeof(*c) + size);
    if (c == NULL)
        return NULL;
    c->size = size;
    c->next = a->chunks;
    a->chunks = c;
    r = c->data;
    a->p = c->data + n;
    a->end = c->data + size;
    return r;
}

char *as_jv_strndup(struct as_jv_arena *a, const char *s, size_t len)
{
    char *d = len < SIZE_MAX ? as_jv_arena_alloc(a, len + 1) : NULL;

    if (d != NULL) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

const struct as_jv *as_jv_at(const struct as_jv *a, size_t i)
{
    const struct as_jv *v = as_jv_items(a);

    for (; v != NULL && i > 0; i--)
        v = v->next;
    return v;
}

const char *as_jv_type_name(const struct as_jv *v)
{
    static const char *const names[] = {
        [AS_JV_NULL] = "null",       [AS_JV_FALSE] = "boolean", [AS_JV_TRUE] = "boolean",
        [AS_JV_INTEGER] = "integer", [AS_JV_REAL] = "number",   [AS_JV_STRING] = "string",
        [AS_JV_ARRAY] = "array",     [AS_JV_OBJECT] = "object",
    };

    return v == NULL ? "null" : names[v->type];
}

bool as_jv_equal(const struct as_jv *a, const struct as_jv *b)
{
    const struct as_jv *x, *y;

    if (a == NULL || b == NULL)
        return a == b;
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case AS_JV_INTEGER:
        return a->u.i == b->u.i;
    case AS_JV_REAL:
        return a->u.d == b->u.d;
    case AS_JV_STRING:
        return a->n == b->n && memcmp(a->u.s, b->u.s, a->n) == 0;
    case AS_JV_ARRAY:
        if (a->n != b->n)
            return false;
        for (x = a->u.first, y = b->u.first; x != NULL && y != NULL; x = x->next, y = y->next)
            if (!as_jv_equal(x, y))
                return false;
        return true;
    case AS_JV_OBJECT:
        if (a->n != b->n)
            return false;
        for (x = a->u.first; x != NULL; x = x->next)
            if (!as_jv_equal(x, as_jv_getn(b, x->key, x->key_len)))
                return false;
        return true;
    default:
        return true; /* null, true, false */
    }
}

/* Copies j into a fresh node (key and next left for the caller). */
static struct as_jv *from_json(struct as_jv_arena *a, const json_t *j)
{
    struct as_jv *v, **tail;
    const char *key;
    json_t *item;
    size_t i;

    switch (json_typeof(j)) {
    case JSON_OBJECT:
        v = as_jv_new(a, AS_JV_OBJECT);
        tail = v != NULL ? &v->u.first : NULL;
        json_object_foreach((json_t *)j, key, item)
        {
            struct as_jv *m;
            size_t klen = strlen(key);
            if (v == NULL || klen > UINT32_MAX || (m = from_json(a, item)) == NULL ||
                (m->key = as_jv_strndup(a, key, klen)) == NULL)
                return NULL;
            m->key_len = (uint32_t)klen;
            *tail = m;
            tail = &m->next;
            v->n++;
        }
        return v;
    case JSON_ARRAY:
        v = as_jv_new(a, AS_JV_ARRAY);
        tail = v != NULL ? &v->u.first : NULL;
        json_array_foreach(j, i, item)
        {
            struct as_jv *m;
            if (v == NULL || (m = from_json(a, item)) == NULL)
                return NULL;
            *tail = m;
            tail = &m->next;
            v->n++;
        }
        return v;
    case JSON_STRING:
        v = as_jv_new(a, AS_JV_STRING);
        if (v == NULL)
            return NULL;
        v->n = (uint32_t)json_string_length(j);
        v->u.s = as_jv_strndup(a, json_string_value(j), v->n);
        return v->u.s != NULL ? v : NULL;
    case JSON_INTEGER:
        v = as_jv_new(a, AS_JV_INTEGER);
        if (v != NULL)
            v->u.i = json_integer_value(j);
        return v;
    case JSON_REAL:
        v = as_jv_new(a, AS_JV_REAL);
        if (v != NULL)
            v->u.d = json_real_value(j);
        return v;
    case JSON_TRUE:
        return as_jv_new(a, AS_JV_TRUE);
    case JSON_FALSE:
        return as_jv_new(a, AS_JV_FALSE);
    default:
        return as_jv_new(a, AS_JV_NULL);
    }
}

const struct as_jv *as_jv_from_json(struct as_jv_arena *a, const json_t *j)
{
    return j != NULL ? from_json(a, j) : NULL;
}

json_t *as_jv_to_json(const struct as_jv *v)
{
    const struct as_jv *m;
    json_t *j = NULL;

    if (v == NULL)
        return NULL;
    switch (v->type) {
    case AS_JV_OBJECT:
        j = json_object();
        for (m = v->u.first; j != NULL && m != NULL; m = m->next)
            if (json_object_set_new_nocheck(j, m->key, as_jv_to_json(m)) != 0) {
                json_decref(j);
                j = NULL;
            }
        return j;
    case AS_JV_ARRAY:
        j = json_array();
        for (m = v->u.first; j != NULL && m != NULL; m = m->next)
            if (json_array_append_new(j, as_jv_to_json(m)) != 0) {
                json_decref(j);
                j = NULL;
            }
        return j;
    case AS_JV_STRING:
        return json_stringn_nocheck(v->u.s, v->n);
    case AS_JV_INTEGER:
        return json_integer(v->u.i);
    case AS_JV_REAL:
        return json_real(v->u.d);
    case AS_JV_TRUE:
        return json_true();
    case AS_JV_FALSE:
        return json_false();
    default:
        return json_null();
    }
}
