/*
 * jv.h - a read-only JSON tree kept in one arena: what the policy engine
 * reads objects through. An AdmissionReview is read once and looked at a few
 * hundred times, then thrown away; jansson's tree (a hash table per object,
 * a malloc per value, a hash per lookup) made building and reading it most of
 * an admission decision. Here a value is one arena node, an object is its
 * members in document order (looked up by a linear scan: Kubernetes objects
 * have a handful of keys per level), and the whole tree goes with its arena.
 *
 * The accessors mirror jansson's, NULL-tolerant the same way (as_jv_get(NULL,
 * k) is NULL, as_jv_str of a non-string is NULL), so code reads the same.
 * Trees come from as_jv_from_json (any jansson value) or from the webhook's
 * reader (webhook/review_json.c), which fills nodes directly; as_jv_to_json
 * goes back where a jansson value is needed (patches, the AppStack path).
 */
#ifndef AS_BASE_JV_H
#define AS_BASE_JV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

enum as_jv_type {
    AS_JV_NULL,
    AS_JV_FALSE,
    AS_JV_TRUE,
    AS_JV_INTEGER,
    AS_JV_REAL,
    AS_JV_STRING,
    AS_JV_ARRAY,
    AS_JV_OBJECT,
};

/*
 * One value. Inside an array or object it is also a link of its container's
 * list (next); as an object member it carries its key. Strings and keys are
 * NUL-terminated UTF-8 without NUL inside (jansson refuses \u0000 too). An
 * object never has two members of one name (both producers refuse them;
 * as_jv_equal relies on it). A tree built by hand fills key_len too.
 */
struct as_jv {
    enum as_jv_type type;
    uint32_t n;         /* bytes of a string; items of an array; members of an object */
    uint32_t key_len;   /* bytes of key */
    const char *key;    /* member name, or NULL outside an object */
    struct as_jv *next; /* next item or member of the container, or NULL */
    union {
        int64_t i;           /* AS_JV_INTEGER */
        double d;            /* AS_JV_REAL */
        const char *s;       /* AS_JV_STRING */
        struct as_jv *first; /* AS_JV_ARRAY, AS_JV_OBJECT: first item or member, or NULL */
    } u;
};

/*
 * The arena: chunks from malloc, freed together. as_jv_arena_reset keeps the
 * first chunk for the next tree (a server thread reuses one arena).
 */
struct as_jv_chunk;
struct as_jv_arena {
    struct as_jv_chunk *chunks; /* newest first */
    char *p, *end;              /* free space of the newest chunk */
};

#define AS_JV_ALIGN 8u

void as_jv_arena_init(struct as_jv_arena *a);
void as_jv_arena_reset(struct as_jv_arena *a);
void as_jv_arena_free(struct as_jv_arena *a);
/* as_jv_arena_alloc's slow path: a new chunk. */
void *as__jv_arena_grow(struct as_jv_arena *a, size_t n);

/* n bytes aligned for any node, or NULL when out of memory. */
static inline void *as_jv_arena_alloc(struct as_jv_arena *a, size_t n)
{
    void *p = a->p;

    /* the free space is a multiple of AS_JV_ALIGN (chunk sizes and steps are), so n fitting
     * means n rounded up fits; n == 0 wraps and goes to the slow path, as does p == NULL */
    if (n - 1 >= (size_t)(a->end - a->p))
        return as__jv_arena_grow(a, n == 0 ? 1 : n);
    a->p += (n + AS_JV_ALIGN - 1) & ~(size_t)(AS_JV_ALIGN - 1);
    return p;
}

/* A zeroed node of type t, or NULL. */
static inline struct as_jv *as_jv_new(struct as_jv_arena *a, enum as_jv_type t)
{
    struct as_jv *v = as_jv_arena_alloc(a, sizeof(*v));

    if (v != NULL) {
        memset(v, 0, sizeof(*v));
        v->type = t;
    }
    return v;
}

/* A NUL-terminated copy of len bytes, or NULL. */
char *as_jv_strndup(struct as_jv_arena *a, const char *s, size_t len);

/* The tree of a jansson value (in the arena), or NULL when j is NULL or memory ran out. */
const struct as_jv *as_jv_from_json(struct as_jv_arena *a, const json_t *j);
/* A new jansson value equal to v, or NULL when v is NULL or memory ran out. */
json_t *as_jv_to_json(const struct as_jv *v);

/* As json_equal: same type and value; objects equal whatever their member order; NULLs equal. */
bool as_jv_equal(const struct as_jv *a, const struct as_jv *b);
/* "object", "array", "string", "integer", "number", "boolean", "null" (as as_json_type_name). */
const char *as_jv_type_name(const struct as_jv *v);

/* Item i of an array (a walk of i links), or NULL. */
const struct as_jv *as_jv_at(const struct as_jv *a, size_t i);

static inline bool as_jv_is(const struct as_jv *v, enum as_jv_type t)
{
    return v != NULL && v->type == t;
}
static inline bool as_jv_is_object(const struct as_jv *v)
{
    return as_jv_is(v, AS_JV_OBJECT);
}
/*
 * Member named by len bytes of key, or NULL (also for a non-object). Inline:
 * the policy's lookups and the review reader's duplicate check run it for
 * every member they pass.
 */
static inline const struct as_jv *as_jv_getn(const struct as_jv *o, const char *key, size_t len)
{
    if (!as_jv_is_object(o) || key == NULL)
        return NULL;
    for (const struct as_jv *m = o->u.first; m != NULL; m = m->next)
        if (m->key_len == len && (len == 0 || m->key[0] == key[0]) && memcmp(m->key, key, len) == 0)
            return m;
    return NULL;
}
/* Member key of an object, or NULL (inline, so a literal key's length is a constant). */
static inline const struct as_jv *as_jv_get(const struct as_jv *o, const char *key)
{
    return key != NULL ? as_jv_getn(o, key, strlen(key)) : NULL;
}
static inline bool as_jv_is_array(const struct as_jv *v)
{
    return as_jv_is(v, AS_JV_ARRAY);
}
static inline bool as_jv_is_string(const struct as_jv *v)
{
    return as_jv_is(v, AS_JV_STRING);
}
static inline bool as_jv_is_integer(const struct as_jv *v)
{
    return as_jv_is(v, AS_JV_INTEGER);
}
static inline bool as_jv_is_null(const struct as_jv *v)
{
    return as_jv_is(v, AS_JV_NULL);
}
static inline bool as_jv_is_true(const struct as_jv *v)
{
    return as_jv_is(v, AS_JV_TRUE);
}
static inline bool as_jv_is_false(const struct as_jv *v)
{
    return as_jv_is(v, AS_JV_FALSE);
}
static inline bool as_jv_is_boolean(const struct as_jv *v)
{
    return as_jv_is_true(v) || as_jv_is_false(v);
}
static inline bool as_jv_is_number(const struct as_jv *v)
{
    return as_jv_is_integer(v) || as_jv_is(v, AS_JV_REAL);
}

/* The string, or NULL for anything else. */
static inline const char *as_jv_str(const struct as_jv *v)
{
    return v != NULL && v->type == AS_JV_STRING ? v->u.s : NULL;
}
/* Bytes of a string, 0 for anything else. */
static inline size_t as_jv_str_len(const struct as_jv *v)
{
    return v != NULL && v->type == AS_JV_STRING ? v->n : 0;
}
/* An integer's value, 0 for anything else. */
static inline int64_t as_jv_integer(const struct as_jv *v)
{
    return v != NULL && v->type == AS_JV_INTEGER ? v->u.i : 0;
}
/* A number's value as a double, 0.0 for anything else. */
static inline double as_jv_number(const struct as_jv *v)
{
    if (v == NULL)
        return 0.0;
    return v->type == AS_JV_INTEGER ? (double)v->u.i : v->type == AS_JV_REAL ? v->u.d : 0.0;
}
/* Items of an array or members of an object, 0 for anything else. */
static inline size_t as_jv_size(const struct as_jv *v)
{
    return v != NULL && (v->type == AS_JV_ARRAY || v->type == AS_JV_OBJECT) ? v->n : 0;
}
/* The first item of an array / member of an object, NULL for anything else. */
static inline const struct as_jv *as_jv_items(const struct as_jv *v)
{
    return v != NULL && v->type == AS_JV_ARRAY ? v->u.first : NULL;
}
static inline const struct as_jv *as_jv_members(const struct as_jv *v)
{
    return v != NULL && v->type == AS_JV_OBJECT ? v->u.first : NULL;
}

/* for each item v (at index i, a size_t) of array a; nothing when a is not an array */
#define as_jv_array_foreach(a, i, v)                                                               \
    for ((i) = 0, (v) = as_jv_items(a); (v) != NULL; (v) = (v)->next, (i)++)
/* for each member v (named key, a const char *) of object o, in document order */
#define as_jv_object_foreach(o, key, v)                                                            \
    for ((v) = as_jv_members(o); (v) != NULL && ((key) = (v)->key, 1); (v) = (v)->next)

#endif
