/*
 * cache.c - the informer store (see cache.h): a jansson object as the hash
 * map key -> object (or, compact, key -> stub with the object's JSON text),
 * and index maps value -> {key: true}, under a rwlock.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "informer/cache.h"

struct as_cache {
    pthread_rwlock_t lock;
    json_t *map;      /* key -> object */
    json_t *by_owner; /* controller uid -> {key: true} */
    json_t *by_label; /* label value -> {key: true}; NULL without a label index */
    char *label;      /* indexed label key, or NULL */
    bool compact;     /* values are stubs holding the object as compact JSON text */
};

#define STUB_TEXT "_compact" /* the stub's member holding the whole object as JSON text */

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

/* The indexed label's value of obj, or NULL. */
static const char *label_value(const struct as_cache *c, const json_t *obj)
{
    json_t *labels;

    if (!c->label)
        return NULL;
    labels = json_object_get(json_object_get(obj, "metadata"), "labels");
    return json_string_value(json_object_get(labels, c->label));
}

/* Adds key under value in index idx. */
static void index_add(json_t *idx, const char *value, const char *key)
{
    json_t *set;

    if (!idx || !value)
        return;
    set = json_object_get(idx, value);
    if (!set) {
        set = json_object();
        if (!set || json_object_set_new(idx, value, set) != 0)
            return;
    }
    json_object_set_new(set, key, json_true());
}

/* Removes key under value from index idx (and the empty set). */
static void index_del(json_t *idx, const char *value, const char *key)
{
    json_t *set;

    if (!idx || !value || !(set = json_object_get(idx, value)))
        return;
    json_object_del(set, key);
    if (json_object_size(set) == 0)
        json_object_del(idx, value);
}

static void index_obj(struct as_cache *c, const json_t *obj, const char *key, bool add)
{
    if (add) {
        index_add(c->by_owner, as_cache_controller_uid(obj), key);
        index_add(c->by_label, label_value(c, obj), key);
    } else {
        index_del(c->by_owner, as_cache_controller_uid(obj), key);
        index_del(c->by_label, label_value(c, obj), key);
    }
}

/*
 * The stub stored for obj in compact mode: apiVersion, kind, and metadata
 * name, namespace, uid, resourceVersion, the controller ownerReference and
 * the indexed label (all the indexes, the relist diff and the handlers'
 * old objects need), plus the whole object as compact JSON text. About a
 * fifth of the memory of the parsed object. Every value is copied, so the
 * stub keeps nothing of obj alive (a list page can be freed whole). New ref,
 * NULL when out of memory.
 */
static json_t *stub_of(const struct as_cache *c, json_t *obj)
{
    json_t *meta = json_object_get(obj, "metadata"), *stub, *smeta, *ref;
    static const char *const keep[] = {"name", "namespace", "uid", "resourceVersion"};
    const char *lv = label_value(c, obj);
    char *text;
    size_t i;

    if (json_object_get(obj, STUB_TEXT) != NULL)
        return json_incref(obj);
    text = json_dumps(obj, JSON_COMPACT);
    stub = json_object();
    smeta = json_object();
    if (!text || !stub || !smeta ||
        json_object_set_new(stub, STUB_TEXT, json_stringn_nocheck(text, strlen(text))) != 0) {
        free(text);
        json_decref(stub);
        json_decref(smeta);
        return NULL;
    }
    free(text);
    json_object_set_new(stub, "apiVersion", json_deep_copy(json_object_get(obj, "apiVersion")));
    json_object_set_new(stub, "kind", json_deep_copy(json_object_get(obj, "kind")));
    for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
        json_object_set_new(smeta, keep[i], json_deep_copy(json_object_get(meta, keep[i])));
    json_array_foreach(json_object_get(meta, "ownerReferences"), i, ref)
    {
        if (json_is_true(json_object_get(ref, "controller")))
            json_object_set_new(smeta, "ownerReferences", json_pack("[o]", json_deep_copy(ref)));
    }
    if (lv)
        json_object_set_new(smeta, "labels", json_pack("{s:s}", c->label, lv));
    json_object_set_new(stub, "metadata", smeta);
    return stub;
}

/* The full object behind a stored value (new ref): parsed from a stub, else the value. */
static json_t *expand(json_t *v)
{
    json_t *text = json_object_get(v, STUB_TEXT);

    if (!text)
        return json_incref(v);
    return json_loadb(json_string_value(text), json_string_length(text), 0, NULL);
}

/* Replaces every element of arr (stored values) with its full object. */
static json_t *expand_all(json_t *arr)
{
    json_t *v, *full;
    size_t i;

    json_array_foreach(arr, i, v)
    {
        if (json_object_get(v, STUB_TEXT) != NULL && (full = expand(v)) != NULL)
            json_array_set_new(arr, i, full);
    }
    return arr;
}

void as_cache_set_compact(struct as_cache *c, bool on)
{
    c->compact = on;
}

json_t *as_cache_stored_copy(const struct as_cache *c, json_t *obj)
{
    return c->compact ? stub_of(c, obj) : json_deep_copy(obj);
}

as_status as_cache_new(const char *index_label, struct as_cache **out, struct as_error *err)
{
    struct as_cache *c = calloc(1, sizeof(*c));

    if (!c)
        return as_error_set(err, AS_E_NOMEM, "cache: out of memory");
    pthread_rwlock_init(&c->lock, NULL);
    c->map = json_object();
    c->by_owner = json_object();
    if (index_label) {
        c->label = strdup(index_label);
        c->by_label = json_object();
    }
    if (!c->map || !c->by_owner || (index_label && (!c->label || !c->by_label))) {
        as_cache_free(c);
        return as_error_set(err, AS_E_NOMEM, "cache: out of memory");
    }
    *out = c;
    return AS_OK;
}

void as_cache_free(struct as_cache *c)
{
    if (!c)
        return;
    json_decref(c->map);
    json_decref(c->by_owner);
    json_decref(c->by_label);
    free(c->label);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

as_status as_cache_put(struct as_cache *c, const char *key, json_t *obj, json_t **old_out)
{
    json_t *old;
    as_status st = AS_OK;

    json_t *stored = c->compact ? stub_of(c, obj) : json_incref(obj);

    if (!stored)
        return AS_E_NOMEM;
    pthread_rwlock_wrlock(&c->lock);
    old = json_incref(json_object_get(c->map, key));
    if (json_object_set_new(c->map, key, stored) != 0) {
        st = AS_E_NOMEM;
    } else {
        if (old)
            index_obj(c, old, key, false);
        index_obj(c, obj, key, true);
    }
    pthread_rwlock_unlock(&c->lock);
    if (st == AS_OK && old_out)
        *old_out = old;
    else
        json_decref(old);
    return st;
}

as_status as_cache_remove(struct as_cache *c, const char *key, json_t **old_out)
{
    json_t *old;

    pthread_rwlock_wrlock(&c->lock);
    old = json_incref(json_object_get(c->map, key));
    if (old) {
        index_obj(c, old, key, false);
        json_object_del(c->map, key);
    }
    pthread_rwlock_unlock(&c->lock);
    if (old_out)
        *old_out = old;
    else
        json_decref(old);
    return AS_OK;
}

as_status as_cache_replace(struct as_cache *c, json_t *map)
{
    json_t *old_map, *old_owner, *old_label, *obj;
    json_t *owner = json_object(), *label = c->label ? json_object() : NULL;
    const char *key;

    if (!owner || (c->label && !label)) {
        json_decref(owner);
        json_decref(label);
        json_decref(map);
        return AS_E_NOMEM;
    }
    if (c->compact) {
        json_object_foreach(map, key, obj)
        {
            json_t *stub = stub_of(c, obj);
            if (stub)
                json_object_set_new(map, key, stub); /* same key: no rehash */
        }
    }
    pthread_rwlock_wrlock(&c->lock);
    old_map = c->map;
    old_owner = c->by_owner;
    old_label = c->by_label;
    c->map = map;
    c->by_owner = owner;
    c->by_label = label;
    json_object_foreach(map, key, obj)
    {
        index_obj(c, obj, key, true);
    }
    pthread_rwlock_unlock(&c->lock);
    json_decref(old_map);
    json_decref(old_owner);
    json_decref(old_label);
    return AS_OK;
}

const json_t *as_cache_map_writer(const struct as_cache *c)
{
    return c->map;
}

json_t *as_cache_get(struct as_cache *c, const char *key)
{
    json_t *obj;

    json_t *full;

    pthread_rwlock_rdlock(&c->lock);
    obj = json_incref(json_object_get(c->map, key));
    pthread_rwlock_unlock(&c->lock);
    if (!obj || !c->compact)
        return obj;
    full = expand(obj);
    json_decref(obj);
    return full;
}

json_t *as_cache_list(struct as_cache *c)
{
    json_t *arr = json_array(), *obj;
    const char *key;

    if (!arr)
        return NULL;
    pthread_rwlock_rdlock(&c->lock);
    json_object_foreach(c->map, key, obj)
    {
        json_array_append(arr, obj);
    }
    pthread_rwlock_unlock(&c->lock);
    return c->compact ? expand_all(arr) : arr;
}

/* Objects of the keys in idx[value], as a new array. */
static json_t *index_lookup(struct as_cache *c, json_t *const *idx, const char *value)
{
    json_t *arr = json_array(), *set, *v;
    const char *key;

    if (!arr)
        return NULL;
    if (!value)
        return arr;
    pthread_rwlock_rdlock(&c->lock);
    set = *idx ? json_object_get(*idx, value) : NULL;
    json_object_foreach(set, key, v)
    {
        json_array_append(arr, json_object_get(c->map, key));
    }
    pthread_rwlock_unlock(&c->lock);
    return c->compact ? expand_all(arr) : arr;
}

json_t *as_cache_by_owner(struct as_cache *c, const char *owner_uid)
{
    return index_lookup(c, &c->by_owner, owner_uid);
}

json_t *as_cache_by_label(struct as_cache *c, const char *value)
{
    return index_lookup(c, &c->by_label, value);
}

size_t as_cache_len(struct as_cache *c)
{
    size_t n;

    pthread_rwlock_rdlock(&c->lock);
    n = json_object_size(c->map);
    pthread_rwlock_unlock(&c->lock);
    return n;
}
