/*
 * cache.c - the informer store (see cache.h). Each object is one entry: a
 * single allocation holding its identity strings (key, uid,
 * resourceVersion, the indexed label's value, the controller
 * ownerReference's uid and name; kinds and API versions are interned in the
 * cache) and either a reference to the object (plain mode) or the object as
 * compact JSON text packed by textpack.h (compact mode, about a fifth of the
 * text). Entries sit in a chained hash table by key; the two indexes
 * (controller owner uid, label value) are chains through the same entries,
 * and an insertion-ordered list serves iteration. Entries are
 * reference-counted so that readers can unpack and parse outside the lock.
 * Stubs (identity without body) are made on demand for the writer's callers.
 *
 * A list in progress: as_cache_stored_copy makes each item's entry at once
 * and stages it; the list then carries small stubs, and as_cache_replace
 * takes the staged entries. So a relist holds neither every object parsed
 * nor every text, and leaves little heap behind.
 *
 * Why not jansson maps: a stub as a jansson tree (8 objects and strings, each
 * with its hashtable) cost ~2.9 KB per cached object and the two index sets
 * ~0.7 KB more, against ~0.2 KB plus the packed text for an entry
 * (docs/benchmarks.md).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "informer/cache.h"

#include "base/json.h"
#include "informer/diff.h"
#include "informer/slab.h"
#include "informer/textpack.h"

/* stub members saying where their body is: a staged entry (as_cache_stored_copy), or the
 * stored entry of the same version (as_cache_snapshot) */
#define STUB_STAGED "_staged"
#define STUB_SNAPSHOT "_snapshot"
#define MIN_BUCKETS 64

/*
 * The strings of an entry. The name and namespace are those of the key. The
 * kinds and API versions, the same for nearly every object of a cache, are
 * interned in the cache (see intern()); the others are laid out after the
 * struct.
 */
enum field {
    F_KEY,
    F_UID,
    F_RV,
    F_LABEL,       /* the indexed label's value */
    F_OWNER,       /* the controller ownerReference's uid, */
    F_OWNER_NAME,  /* name, */
    F_OWNER_API,   /* apiVersion (interned) */
    F_OWNER_KIND,  /* and kind (interned) */
    F_API_VERSION, /* interned */
    F_KIND,        /* interned */
    F_COUNT
};
#define F_FIRST_INTERNED F_OWNER_API
#define MAX_INTERNED 8
#define INTERNED 0x8000

/* blockOwnerDeletion of the controller reference */
enum block { BLOCK_ABSENT, BLOCK_FALSE, BLOCK_TRUE };

struct entry {
    struct entry *next_key, *next_owner, *next_label; /* bucket chains */
    struct entry *prev, *next;                        /* insertion order */
    atomic_uint refs;
    uint32_t h_key, h_owner, h_label;
    uint32_t packed_len, text_len;
    uint8_t block;         /* enum block */
    uint8_t slim;          /* compact: the body is what as_cache_slim kept */
    uint32_t size;         /* of the allocation (slab.h) */
    uint16_t off[F_COUNT]; /* 0: absent; INTERNED | i: the cache's interned[i]; else the
                              string at (char *)entry + off (see S) */
    union {
        json_t *obj;                 /* plain mode: the object */
        const unsigned char *packed; /* compact mode: the packed JSON text, into data */
    } body;
    char data[];
};

struct as_cache {
    pthread_rwlock_t lock;
    struct entry **by_key, **by_owner, **by_label; /* nb buckets each */
    size_t nb, n;
    struct entry *first, *last;
    char *label;  /* indexed label key, or NULL */
    bool compact; /* entries hold compact JSON text */
    /* strings many entries share (written by the writer only, freed with the cache) */
    char *interned[MAX_INTERNED];
    /* entries made by as_cache_stored_copy for a list in progress (writer only) */
    struct entry **staged; /* staged_nb buckets chained by next_key */
    size_t staged_nb, staged_n;
};

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

const char *as_cache_controller_uid(const json_t *obj)
{
    json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), *r;
    size_t i;

    json_array_foreach(refs, i, r)
    {
        if (json_is_true(json_object_get(r, "controller")))
            return json_string_value(json_object_get(r, "uid"));
    }
    return NULL;
}

static const json_t *controller_ref(const json_t *obj)
{
    json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), *r;
    size_t i;

    json_array_foreach(refs, i, r)
    {
        if (json_is_true(json_object_get(r, "controller")))
            return r;
    }
    return NULL;
}

/* The indexed label's value of obj, or NULL. */
static const char *label_value(const struct as_cache *c, const json_t *obj)
{
    json_t *labels;

    if (!c->label)
        return NULL;
    labels = json_object_get(json_object_get(obj, "metadata"), "labels");
    return json_string_value(json_object_get(labels, c->label));
}

/* ---- entries ---------------------------------------------------------- */

static struct as_slab *the_slab;
static pthread_once_t slab_once = PTHREAD_ONCE_INIT;

static void slab_init(void)
{
    the_slab = as_slab_new();
}

/*
 * Where entries live: one slab for every cache of the process, apart from
 * the malloc heap (slab.h says why). NULL when it could not be made: the
 * slab functions then use malloc and free.
 */
static struct as_slab *entry_slab(void)
{
    pthread_once(&slab_once, slab_init);
    return the_slab;
}

static void entry_unref(const struct as_cache *c, struct entry *e)
{
    if (e && atomic_fetch_sub(&e->refs, 1) == 1) {
        if (!c->compact)
            json_decref(e->body.obj);
        as_slab_release(entry_slab(), e, e->size);
    }
}

static struct entry *entry_ref(struct entry *e)
{
    atomic_fetch_add(&e->refs, 1);
    return e;
}

/* What an entry keeps of the object beside its identity. */
enum body {
    BODY_OBJECT, /* a reference to the object (plain mode) */
    BODY_PACKED  /* its compact JSON text, packed */
};

/*
 * The index of s among the cache's interned strings, a free slot taking it;
 * -1 when it must be stored in the entry. Writer only.
 */
static int intern(const struct as_cache *cc, const char *s)
{
    struct as_cache *c = (struct as_cache *)cc; /* the writer owns the slots */

    for (int i = 0; i < MAX_INTERNED; i++) {
        if (!c->interned[i])
            return (c->interned[i] = strdup(s)) != NULL ? i : -1;
        if (strcmp(c->interned[i], s) == 0)
            return i;
    }
    return -1;
}

/* String f of e, or NULL when absent. */
static const char *S(const struct as_cache *c, const struct entry *e, enum field f)
{
    uint16_t o = e->off[f];

    if (o == 0)
        return NULL;
    if (o & INTERNED)
        return c->interned[o & ~INTERNED];
    return (const char *)e + o;
}

/* obj as compact JSON, packed (textpack.h): *packed (malloc'd) and its lengths. */
static as_status pack_json(const json_t *obj, unsigned char **packed, size_t *packed_len,
                           size_t *text_len)
{
    struct as_buf text;
    as_status st;

    *packed = NULL;
    as_buf_init(&text, UINT32_MAX);
    st = as_json_dump_append(obj, JSON_COMPACT, &text);
    *text_len = text.len;
    if (st == AS_OK)
        st = as_textpack_pack(text.data, text.len, packed, packed_len);
    as_buf_free(&text);
    return st;
}

/*
 * A new entry (one reference; NULL when out of memory or when its strings
 * are too long to address) laid out from its strings, src[i] copied into it
 * or else the cache's interned string ix[i] (-1: none), and its packed body
 * (copied; packed_len 0: none). The rest of the struct is zero but for its
 * size and reference count.
 */
static struct entry *entry_alloc(const char *const src[F_COUNT], const int ix[F_COUNT],
                                 const unsigned char *packed, size_t packed_len, size_t text_len)
{
    size_t len[F_COUNT], strings = 0;
    struct entry *e;
    char *p;

    for (int i = 0; i < F_COUNT; i++)
        strings += (len[i] = src[i] ? strlen(src[i]) + 1 : 0);
    if (sizeof(*e) + strings >= INTERNED || sizeof(*e) + strings + packed_len > UINT32_MAX ||
        !(e = as_slab_alloc(entry_slab(), sizeof(*e) + strings + packed_len)))
        return NULL;
    memset(e, 0, sizeof(*e));
    e->size = (uint32_t)(sizeof(*e) + strings + packed_len);
    p = e->data;
    for (int i = 0; i < F_COUNT; i++) {
        if (src[i]) {
            memcpy(p, src[i], len[i]);
            e->off[i] = (uint16_t)(p - (char *)e);
            p += len[i];
        } else if (ix[i] >= 0) {
            e->off[i] = (uint16_t)(INTERNED | ix[i]);
        }
    }
    if (packed_len) {
        memcpy(p, packed, packed_len);
        e->body.packed = (const unsigned char *)p;
        e->packed_len = (uint32_t)packed_len;
        e->text_len = (uint32_t)text_len;
    }
    atomic_init(&e->refs, 1);
    return e;
}

/* A new entry for obj under key (NULL when out of memory). */
static struct entry *entry_new(const struct as_cache *c, const char *key, json_t *obj,
                               enum body body)
{
    json_t *meta = json_object_get(obj, "metadata"), *block;
    const json_t *ref = controller_ref(obj);
    const char *src[F_COUNT];
    int ix[F_COUNT];
    size_t text_len = 0, packed_len = 0;
    unsigned char *packed = NULL;
    struct entry *e;

    src[F_KEY] = key;
    src[F_UID] = json_string_value(json_object_get(meta, "uid"));
    src[F_RV] = json_string_value(json_object_get(meta, "resourceVersion"));
    src[F_LABEL] = label_value(c, obj);
    src[F_OWNER] = json_string_value(json_object_get(ref, "uid"));
    src[F_OWNER_NAME] = json_string_value(json_object_get(ref, "name"));
    src[F_OWNER_API] = json_string_value(json_object_get(ref, "apiVersion"));
    src[F_OWNER_KIND] = json_string_value(json_object_get(ref, "kind"));
    src[F_API_VERSION] = json_string_value(json_object_get(obj, "apiVersion"));
    src[F_KIND] = json_string_value(json_object_get(obj, "kind"));
    for (int i = 0; i < F_COUNT; i++)
        if ((ix[i] = i >= F_FIRST_INTERNED && src[i] ? intern(c, src[i]) : -1) >= 0)
            src[i] = NULL; /* not stored in the entry */
    if (body == BODY_PACKED && pack_json(obj, &packed, &packed_len, &text_len) != AS_OK) {
        free(packed);
        return NULL;
    }
    e = entry_alloc(src, ix, packed, packed_len, text_len);
    free(packed);
    if (!e)
        return NULL;
    if (body == BODY_OBJECT)
        e->body.obj = json_incref(obj);
    block = json_object_get(ref, "blockOwnerDeletion");
    e->block = !json_is_boolean(block) ? BLOCK_ABSENT
               : json_is_true(block)   ? BLOCK_TRUE
                                       : BLOCK_FALSE;
    e->h_key = hash_str(key);
    e->h_owner = src[F_OWNER] ? hash_str(src[F_OWNER]) : 0;
    e->h_label = src[F_LABEL] ? hash_str(src[F_LABEL]) : 0;
    return e;
}

/* Sets member name of obj to the string s when s is not NULL. */
static void set_str(json_t *obj, const char *name, const char *s)
{
    if (s)
        json_object_set_new(obj, name, json_string(s));
}

/*
 * The stub of an entry (new ref): apiVersion, kind, metadata name,
 * namespace, uid, resourceVersion, the controller ownerReference and the
 * indexed label; no body.
 */
static json_t *entry_stub(const struct as_cache *c, const struct entry *e)
{
    json_t *stub = json_object(), *meta = json_object(), *ref;
    const char *key = S(c, e, F_KEY), *slash = strchr(key, '/');

    if (!stub || !meta || json_object_set_new(stub, "metadata", meta) != 0) {
        json_decref(stub);
        json_decref(meta);
        return NULL;
    }
    set_str(stub, "apiVersion", S(c, e, F_API_VERSION));
    set_str(stub, "kind", S(c, e, F_KIND));
    if (slash) {
        json_object_set_new(meta, "name", json_string(slash + 1));
        json_object_set_new(meta, "namespace", json_stringn(key, (size_t)(slash - key)));
    } else if (*key) {
        json_object_set_new(meta, "name", json_string(key));
    }
    set_str(meta, "uid", S(c, e, F_UID));
    set_str(meta, "resourceVersion", S(c, e, F_RV));
    if (S(c, e, F_OWNER) && (ref = json_object()) != NULL) {
        set_str(ref, "apiVersion", S(c, e, F_OWNER_API));
        set_str(ref, "kind", S(c, e, F_OWNER_KIND));
        set_str(ref, "name", S(c, e, F_OWNER_NAME));
        set_str(ref, "uid", S(c, e, F_OWNER));
        json_object_set_new(ref, "controller", json_true());
        if (e->block != BLOCK_ABSENT)
            json_object_set_new(ref, "blockOwnerDeletion", json_boolean(e->block == BLOCK_TRUE));
        json_object_set_new(meta, "ownerReferences", json_pack("[o]", ref));
    }
    if (S(c, e, F_LABEL))
        json_object_set_new(meta, "labels", json_pack("{s:s}", c->label, S(c, e, F_LABEL)));
    return stub;
}

/* Merges the members of src into dst, objects recursively (src's values win). 0 or -1. */
static int merge_into(json_t *dst, const json_t *src)
{
    const char *k;
    json_t *v, *have;

    json_object_foreach((json_t *)src, k, v)
    {
        have = json_object_get(dst, k);
        if (json_is_object(have) && json_is_object(v)) {
            if (merge_into(have, v) != 0)
                return -1;
        } else if (json_object_set(dst, k, v) != 0) {
            return -1;
        }
    }
    return 0;
}

/* What readers get for an entry (new ref): the whole object (slim: what was kept). */
static json_t *entry_object(const struct as_cache *c, const struct entry *e)
{
    json_t *stub, *kept;

    if (!c->compact)
        return json_incref(e->body.obj);
    if (!e->slim)
        return as_textpack_load(e->body.packed, e->packed_len, e->text_len);
    /* a slim entry: its stub, what the caller kept merged in, and the mark */
    stub = entry_stub(c, e);
    kept = as_textpack_load(e->body.packed, e->packed_len, e->text_len);
    if (!stub || !kept || merge_into(stub, kept) != 0 ||
        json_object_set_new(stub, AS_CACHE_SLIM_MARK, json_true()) != 0) {
        json_decref(stub);
        stub = NULL;
    }
    json_decref(kept);
    return stub;
}

/* What the writer's callers get for a replaced or removed entry (new ref). */
static json_t *entry_old(const struct as_cache *c, const struct entry *e)
{
    return c->compact ? entry_stub(c, e) : json_incref(e->body.obj);
}

/* ---- the table -------------------------------------------------------- */

static size_t slot(const struct as_cache *c, uint32_t h)
{
    return h & (c->nb - 1);
}

static struct entry *find(const struct as_cache *c, const char *key)
{
    uint32_t h = hash_str(key);
    struct entry *e;

    for (e = c->by_key[slot(c, h)]; e; e = e->next_key)
        if (e->h_key == h && strcmp(S(c, e, F_KEY), key) == 0)
            return e;
    return NULL;
}

static void link_entry(struct as_cache *c, struct entry *e)
{
    size_t k = slot(c, e->h_key);

    e->next_key = c->by_key[k];
    c->by_key[k] = e;
    if (S(c, e, F_OWNER)) {
        k = slot(c, e->h_owner);
        e->next_owner = c->by_owner[k];
        c->by_owner[k] = e;
    }
    if (S(c, e, F_LABEL)) {
        k = slot(c, e->h_label);
        e->next_label = c->by_label[k];
        c->by_label[k] = e;
    }
}

/* Removes e from a chain whose links are at offset `next` in each entry. */
static void chain_del(struct entry **head, struct entry *e, size_t next)
{
    struct entry **pp = head;

    while (*pp && *pp != e)
        pp = (struct entry **)((char *)*pp + next);
    if (*pp)
        *pp = *(struct entry **)((char *)e + next);
}

static void unlink_entry(struct as_cache *c, struct entry *e)
{
    chain_del(&c->by_key[slot(c, e->h_key)], e, offsetof(struct entry, next_key));
    if (S(c, e, F_OWNER))
        chain_del(&c->by_owner[slot(c, e->h_owner)], e, offsetof(struct entry, next_owner));
    if (S(c, e, F_LABEL))
        chain_del(&c->by_label[slot(c, e->h_label)], e, offsetof(struct entry, next_label));
    if (e->prev)
        e->prev->next = e->next;
    else
        c->first = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->last = e->prev;
    e->prev = e->next = NULL;
    c->n--;
}

static void append_entry(struct as_cache *c, struct entry *e)
{
    link_entry(c, e);
    e->next = NULL;
    e->prev = c->last;
    if (c->last)
        c->last->next = e;
    else
        c->first = e;
    c->last = e;
    c->n++;
}

/* Sets up nb empty buckets (power of two); false when out of memory (nothing changed). */
static bool buckets_alloc(struct as_cache *c, size_t nb)
{
    struct entry **k = calloc(nb, sizeof(*k)), **o = calloc(nb, sizeof(*o)),
                 **l = calloc(nb, sizeof(*l));

    if (!k || !o || !l) {
        free(k);
        free(o);
        free(l);
        return false;
    }
    free(c->by_key);
    free(c->by_owner);
    free(c->by_label);
    c->by_key = k;
    c->by_owner = o;
    c->by_label = l;
    c->nb = nb;
    return true;
}

/* Doubles the buckets when the table is full (a failed growth only makes chains longer). */
static void maybe_grow(struct as_cache *c)
{
    if (c->n < c->nb || !buckets_alloc(c, c->nb * 2))
        return;
    for (struct entry *e = c->first; e; e = e->next)
        link_entry(c, e);
}

/* ---- public ----------------------------------------------------------- */

void as_cache_set_compact(struct as_cache *c, bool on)
{
    c->compact = on;
}

/* ---- staging: the entries of a list in progress ------------------------ */

/* Adds e to the staged entries (writer only); false when out of memory. */
static bool stage(struct as_cache *c, struct entry *e)
{
    if (c->staged_n >= c->staged_nb) { /* grow: rehash the chains into twice the buckets */
        size_t nb = c->staged_nb ? c->staged_nb * 2 : MIN_BUCKETS;
        struct entry **b = calloc(nb, sizeof(*b)), *x, *next;
        if (!b)
            return false;
        for (size_t i = 0; i < c->staged_nb; i++)
            for (x = c->staged[i]; x; x = next) {
                next = x->next_key;
                x->next_key = b[x->h_key & (nb - 1)];
                b[x->h_key & (nb - 1)] = x;
            }
        free(c->staged);
        c->staged = b;
        c->staged_nb = nb;
    }
    e->next_key = c->staged[e->h_key & (c->staged_nb - 1)];
    c->staged[e->h_key & (c->staged_nb - 1)] = e;
    c->staged_n++;
    return true;
}

static bool same_version(const struct as_cache *c, const struct entry *e, const json_t *stub);

/* Takes the staged entry of stub (key, uid, resourceVersion) out of the stage, or NULL. */
static struct entry *unstage(struct as_cache *c, const char *key, const json_t *stub)
{
    uint32_t h = hash_str(key);
    struct entry **pp, *e;

    if (!c->staged_nb)
        return NULL;
    for (pp = &c->staged[h & (c->staged_nb - 1)]; (e = *pp) != NULL; pp = &e->next_key)
        if (e->h_key == h && strcmp(S(c, e, F_KEY), key) == 0 && same_version(c, e, stub)) {
            *pp = e->next_key;
            e->next_key = NULL;
            c->staged_n--;
            return e;
        }
    return NULL;
}

void as_cache_unstage(struct as_cache *c)
{
    struct entry *e, *next;

    for (size_t i = 0; i < c->staged_nb; i++)
        for (e = c->staged[i]; e; e = next) {
            next = e->next_key;
            entry_unref(c, e);
        }
    free(c->staged);
    c->staged = NULL;
    c->staged_nb = c->staged_n = 0;
}

/*
 * Compact mode's stored copy: the entry is made now (packed) and staged; the
 * stub that stands for it (marked STUB_STAGED) carries the identity only.
 */
static json_t *stage_of(struct as_cache *c, json_t *obj)
{
    struct entry *e;
    json_t *stub;
    char key[AS_INFORMER_KEY_MAX];

    if (json_object_get(obj, STUB_STAGED) != NULL)
        return json_incref(obj);
    if (as_informer_object_key(obj, key, sizeof(key)) != AS_OK)
        key[0] = '\0'; /* no name: the list is refused by the diff anyway */
    if (!(e = entry_new(c, key, obj, BODY_PACKED)))
        return NULL;
    if (!(stub = entry_stub(c, e)) || json_object_set_new(stub, STUB_STAGED, json_true()) != 0 ||
        !stage(c, e)) {
        json_decref(stub);
        entry_unref(c, e);
        return NULL;
    }
    return stub;
}

json_t *as_cache_stored_copy(struct as_cache *c, json_t *obj)
{
    return c->compact ? stage_of(c, obj) : json_deep_copy(obj);
}

as_status as_cache_new(const char *index_label, struct as_cache **out, struct as_error *err)
{
    struct as_cache *c = calloc(1, sizeof(*c));

    if (!c)
        return as_error_set(err, AS_E_NOMEM, "cache: out of memory");
    pthread_rwlock_init(&c->lock, NULL);
    if (!buckets_alloc(c, MIN_BUCKETS) || (index_label && !(c->label = strdup(index_label)))) {
        as_cache_free(c);
        return as_error_set(err, AS_E_NOMEM, "cache: out of memory");
    }
    *out = c;
    return AS_OK;
}

void as_cache_free(struct as_cache *c)
{
    struct entry *e, *next;

    if (!c)
        return;
    as_cache_unstage(c);
    for (e = c->first; e; e = next) {
        next = e->next;
        entry_unref(c, e);
    }
    free(c->by_key);
    free(c->by_owner);
    free(c->by_label);
    free(c->label);
    for (int i = 0; i < MAX_INTERNED; i++)
        free(c->interned[i]);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

/* The entry to store for obj under key: its staged entry, or a new one. NULL: out of memory. */
static bool is_staged_stub(const struct as_cache *c, const json_t *obj)
{
    return c->compact && json_object_get(obj, STUB_STAGED) != NULL;
}

/*
 * The entry to store obj under key: a staged stub's entry (NULL when it is no
 * longer staged), else a new one (NULL when out of memory).
 */
static struct entry *entry_for(struct as_cache *c, const char *key, json_t *obj)
{
    if (is_staged_stub(c, obj))
        return unstage(c, key, obj);
    return entry_new(c, key, obj, c->compact ? BODY_PACKED : BODY_OBJECT);
}

as_status as_cache_put(struct as_cache *c, const char *key, json_t *obj, json_t **old_out)
{
    struct entry *e = entry_for(c, key, obj), *old;

    if (old_out)
        *old_out = NULL;
    if (!e)
        return is_staged_stub(c, obj) ? AS_E_MISSING : AS_E_NOMEM;
    pthread_rwlock_wrlock(&c->lock);
    if ((old = find(c, key)) != NULL)
        unlink_entry(c, old);
    append_entry(c, e);
    maybe_grow(c);
    pthread_rwlock_unlock(&c->lock);
    if (old) {
        if (old_out)
            *old_out = entry_old(c, old);
        entry_unref(c, old);
    }
    return AS_OK;
}

as_status as_cache_remove(struct as_cache *c, const char *key, json_t **old_out)
{
    struct entry *old;

    pthread_rwlock_wrlock(&c->lock);
    if ((old = find(c, key)) != NULL)
        unlink_entry(c, old);
    pthread_rwlock_unlock(&c->lock);
    if (old_out)
        *old_out = old ? entry_old(c, old) : NULL;
    entry_unref(c, old);
    return AS_OK;
}

/* A copy of e (its identity) whose body is keep packed, marked slim; NULL when out of memory. */
static struct entry *entry_slim_of(const struct as_cache *c, const struct entry *e,
                                   const json_t *keep)
{
    size_t packed_len = 0, text_len = 0;
    unsigned char *packed = NULL;
    const char *src[F_COUNT];
    int ix[F_COUNT];
    struct entry *n;

    if (pack_json(keep, &packed, &packed_len, &text_len) != AS_OK) {
        free(packed);
        return NULL;
    }
    for (int i = 0; i < F_COUNT; i++) { /* e's own strings are copied, interned ones shared */
        ix[i] = (e->off[i] & INTERNED) ? e->off[i] & ~INTERNED : -1;
        src[i] = ix[i] < 0 ? S(c, e, (enum field)i) : NULL;
    }
    n = entry_alloc(src, ix, packed, packed_len, text_len);
    free(packed);
    if (!n)
        return NULL;
    n->block = e->block;
    n->slim = 1;
    n->h_key = e->h_key;
    n->h_owner = e->h_owner;
    n->h_label = e->h_label;
    return n;
}

/* Puts n where old is, in every chain and in the order (write lock held). */
static void swap_entry(struct as_cache *c, struct entry *old, struct entry *n)
{
    struct entry **pp;

    for (pp = &c->by_key[slot(c, old->h_key)]; *pp && *pp != old; pp = &(*pp)->next_key)
        ;
    *pp = n;
    n->next_key = old->next_key;
    if (S(c, old, F_OWNER)) {
        for (pp = &c->by_owner[slot(c, old->h_owner)]; *pp && *pp != old; pp = &(*pp)->next_owner)
            ;
        *pp = n;
        n->next_owner = old->next_owner;
    }
    if (S(c, old, F_LABEL)) {
        for (pp = &c->by_label[slot(c, old->h_label)]; *pp && *pp != old; pp = &(*pp)->next_label)
            ;
        *pp = n;
        n->next_label = old->next_label;
    }
    n->prev = old->prev;
    n->next = old->next;
    if (old->prev)
        old->prev->next = n;
    else
        c->first = n;
    if (old->next)
        old->next->prev = n;
    else
        c->last = n;
    old->prev = old->next = old->next_key = old->next_owner = old->next_label = NULL;
}

as_status as_cache_slim(struct as_cache *c, const char *key, const char *rv, const json_t *keep)
{
    struct entry *e, *n = NULL;
    as_status st = AS_OK;

    if (!c->compact || !json_is_object(keep))
        return AS_E_INVALID_ARG;
    pthread_rwlock_rdlock(&c->lock);
    e = find(c, key);
    if (e && !e->slim && S(c, e, F_RV) && rv && strcmp(S(c, e, F_RV), rv) == 0)
        entry_ref(e);
    else
        e = NULL;
    pthread_rwlock_unlock(&c->lock);
    if (!e)
        return AS_E_MISSING; /* gone, changed since, or slim already */
    if (!(n = entry_slim_of(c, e, keep))) {
        entry_unref(c, e);
        return AS_E_NOMEM;
    }
    pthread_rwlock_wrlock(&c->lock);
    if (find(c, key) == e) {
        swap_entry(c, e, n);
        entry_unref(c, e); /* the table's reference */
        n = NULL;
    } else {
        st = AS_E_MISSING; /* changed while n was made */
    }
    pthread_rwlock_unlock(&c->lock);
    entry_unref(c, e);
    entry_unref(c, n);
    return st;
}

void as_cache_memory_get(struct as_cache_memory *out)
{
    struct as_slab_stats st = {0};
    struct as_slab *slab = entry_slab();

    if (slab)
        as_slab_get_stats(slab, &st);
    out->objects = st.blocks;
    out->bytes = st.bytes_in_use;
    out->resident_bytes = (st.pages + st.chunks) * 4096;
}

bool as_cache_is_slim(const json_t *obj)
{
    return json_is_true(json_object_get(obj, AS_CACHE_SLIM_MARK));
}

json_t *as_cache_snapshot(struct as_cache *c)
{
    json_t *map = json_object(), *v;

    if (!map)
        return NULL;
    pthread_rwlock_rdlock(&c->lock);
    for (struct entry *e = c->first; e; e = e->next) {
        if (!(v = entry_old(c, e)) ||
            (c->compact && json_object_set_new(v, STUB_SNAPSHOT, json_true()) != 0) ||
            json_object_set_new(map, S(c, e, F_KEY), v) != 0) {
            pthread_rwlock_unlock(&c->lock);
            json_decref(map);
            return NULL;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    return map;
}

/* Both absent, or equal strings. */
static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Whether stub (a body-less stub from as_cache_snapshot) is still what e holds. */
static bool same_version(const struct as_cache *c, const struct entry *e, const json_t *stub)
{
    json_t *meta = json_object_get(stub, "metadata");

    return same_str(json_string_value(json_object_get(meta, "uid")), S(c, e, F_UID)) &&
           same_str(json_string_value(json_object_get(meta, "resourceVersion")), S(c, e, F_RV));
}

as_status as_cache_replace(struct as_cache *c, json_t *map)
{
    struct entry **fresh, *e, *old_first;
    size_t n = json_object_size(map), i = 0, nb = MIN_BUCKETS;
    const char *key;
    json_t *obj;
    as_status st = AS_OK;

    if (!(fresh = calloc(n + 1, sizeof(*fresh)))) {
        json_decref(map);
        return AS_E_NOMEM;
    }
    /*
     * Entries for the new contents: a staged stub's entry, the stored entry of
     * a body-less stub from as_cache_snapshot, or a new entry for an object.
     */
    pthread_rwlock_rdlock(&c->lock); /* the writer is this thread: only readers run */
    json_object_foreach(map, key, obj)
    {
        if (c->compact && json_object_get(obj, STUB_SNAPSHOT) != NULL) {
            /* the entry it was made from; gone or changed, its body is lost: refuse */
            if ((e = find(c, key)) != NULL && same_version(c, e, obj))
                e = entry_ref(e);
            else
                e = NULL;
            st = e ? AS_OK : AS_E_MISSING;
        } else if (!(e = entry_for(c, key, obj))) {
            st = is_staged_stub(c, obj) ? AS_E_MISSING : AS_E_NOMEM;
        }
        if (!e)
            break;
        fresh[i++] = e;
    }
    pthread_rwlock_unlock(&c->lock);
    json_decref(map);
    as_cache_unstage(c);
    if (st != AS_OK) {
        while (i > 0)
            entry_unref(c, fresh[--i]);
        free(fresh);
        return st;
    }
    while (nb < n)
        nb *= 2;
    pthread_rwlock_wrlock(&c->lock);
    old_first = c->first;
    c->first = c->last = NULL;
    c->n = 0;
    if (!buckets_alloc(c, nb)) { /* keep the old buckets, emptied */
        memset(c->by_key, 0, c->nb * sizeof(*c->by_key));
        memset(c->by_owner, 0, c->nb * sizeof(*c->by_owner));
        memset(c->by_label, 0, c->nb * sizeof(*c->by_label));
    }
    /* the old entries leave the table (a reused one is also in fresh, with its own ref) */
    for (e = old_first; e;) {
        struct entry *next = e->next;
        e->prev = e->next = e->next_key = e->next_owner = e->next_label = NULL;
        entry_unref(c, e);
        e = next;
    }
    for (size_t j = 0; j < i; j++)
        append_entry(c, fresh[j]);
    maybe_grow(c);
    pthread_rwlock_unlock(&c->lock);
    free(fresh);
    return AS_OK;
}

/* Whole objects for the entries in es (each unreferenced), as a new array. */
static json_t *objects_of(const struct as_cache *c, struct entry **es, size_t n)
{
    json_t *arr = json_array(), *o;

    for (size_t i = 0; i < n; i++) {
        if (arr && (o = entry_object(c, es[i])) != NULL && json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            arr = NULL;
        }
        entry_unref(c, es[i]);
    }
    return arr;
}

json_t *as_cache_get(struct as_cache *c, const char *key)
{
    struct entry *e;
    json_t *obj;

    pthread_rwlock_rdlock(&c->lock);
    if ((e = find(c, key)) != NULL)
        entry_ref(e);
    pthread_rwlock_unlock(&c->lock);
    if (!e)
        return NULL;
    obj = entry_object(c, e);
    entry_unref(c, e);
    return obj;
}

enum which { ALL, OWNER, LABEL };

/* The objects of every entry, or of those whose owner uid / label value is value. */
static json_t *collect(struct as_cache *c, enum which w, const char *value)
{
    struct entry **es = NULL, *e;
    size_t n = 0, cap = 0;
    uint32_t h = value ? hash_str(value) : 0;
    json_t *arr;

    if (w != ALL && (!value || (w == LABEL && !c->label)))
        return json_array();
    pthread_rwlock_rdlock(&c->lock);
    e = w == ALL ? c->first : w == OWNER ? c->by_owner[slot(c, h)] : c->by_label[slot(c, h)];
    for (; e; e = w == ALL ? e->next : w == OWNER ? e->next_owner : e->next_label) {
        if ((w == OWNER && (e->h_owner != h || strcmp(S(c, e, F_OWNER), value) != 0)) ||
            (w == LABEL && (e->h_label != h || strcmp(S(c, e, F_LABEL), value) != 0)))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct entry **nes = realloc(es, ncap * sizeof(*es));
            if (!nes)
                break;
            es = nes;
            cap = ncap;
        }
        es[n++] = entry_ref(e);
    }
    pthread_rwlock_unlock(&c->lock);
    /* the owner and label chains are newest first; callers get insertion order */
    if (w != ALL)
        for (size_t i = 0; i < n / 2; i++) {
            struct entry *t = es[i];
            es[i] = es[n - 1 - i];
            es[n - 1 - i] = t;
        }
    arr = objects_of(c, es, n);
    free(es);
    return arr;
}

json_t *as_cache_list(struct as_cache *c)
{
    return collect(c, ALL, NULL);
}

json_t *as_cache_by_owner(struct as_cache *c, const char *owner_uid)
{
    return collect(c, OWNER, owner_uid);
}

json_t *as_cache_by_label(struct as_cache *c, const char *value)
{
    return collect(c, LABEL, value);
}

size_t as_cache_len(struct as_cache *c)
{
    size_t n;

    pthread_rwlock_rdlock(&c->lock);
    n = c->n;
    pthread_rwlock_unlock(&c->lock);
    return n;
}
