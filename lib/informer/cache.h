/*
 * cache.h - the informer's store: immutable JSON objects shared by reference
 * count, keyed by "namespace/name" (diff.h), with two optional indexes:
 * by the uid of the controlling owner (ownerReferences[].controller == true)
 * and by the value of one configured label.
 *
 * Objects in the cache are never modified by anyone: readers get new
 * references (json_decref when done) and must copy before editing. jansson's
 * reference counts are atomic, so references may be taken and dropped from
 * any thread.
 *
 * Threads: one writer (the informer thread) calls put/remove/replace,
 * stored_copy and unstage; any thread may call the readers, which take a
 * read lock (compact readers unpack and parse outside it), and as_cache_slim.
 */
#ifndef AS_INFORMER_CACHE_H
#define AS_INFORMER_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/status.h"

struct as_cache;

/* Creates an empty cache; index_label (copied; NULL = no label index) names the indexed label. */
as_status as_cache_new(const char *index_label, struct as_cache **out, struct as_error *err);

/*
 * Compact mode (set before the first put): each object is stored as a small
 * stub (apiVersion, kind, metadata name/namespace/uid/resourceVersion, the
 * controller ownerReference, the indexed label) plus its compact JSON text
 * packed (textpack.h), all in one allocation per object from a slab
 * (slab.h, cache.c). Readers (get, list, by_owner,
 * by_label) still get whole objects, parsed on each call (each caller gets
 * its own copy); the snapshot, and the old objects put and remove hand back,
 * are stubs made on demand.
 */
void as_cache_set_compact(struct as_cache *c, bool on);

/*
 * Writer: what stands for obj in a list until as_cache_replace stores it,
 * made now and sharing nothing with obj (new ref, NULL when out of memory).
 * Plain mode: a deep copy. Compact mode: the entry is made now (obj packed)
 * and staged in the cache, and the result is its stub (marked as staged);
 * put or replace with that stub store the staged entry. The informer
 * converts each list page with it, so the page's parse tree is freed whole
 * and a relist never holds every object parsed, nor its text, at once.
 */
json_t *as_cache_stored_copy(struct as_cache *c, json_t *obj);

/* Writer: drops the staged entries that no put or replace took (a list failed). */
void as_cache_unstage(struct as_cache *c);

/* Frees the cache and drops its references. */
void as_cache_free(struct as_cache *c);

/*
 * Writer: stores obj (a new reference is taken) under key. *old_out (when
 * old_out is set) receives the replaced object as a new reference, or NULL.
 * AS_E_MISSING (nothing changed) for a staged stub whose entry is no longer
 * staged (unstaged, or taken by an earlier put or replace); AS_E_NOMEM.
 */
as_status as_cache_put(struct as_cache *c, const char *key, json_t *obj, json_t **old_out);

/* Writer: removes key. *old_out receives the removed object (new reference) or NULL. */
as_status as_cache_remove(struct as_cache *c, const char *key, json_t **old_out);

/*
 * Writer: replaces the whole contents with map (stolen: key -> object, a
 * staged stub, or a stub from as_cache_snapshot) and rebuilds the indexes;
 * staged entries it does not take are dropped. AS_E_MISSING (nothing
 * changed) when a snapshot stub's entry has changed or gone since, or a
 * staged stub's entry is not staged; AS_E_NOMEM.
 */
as_status as_cache_replace(struct as_cache *c, json_t *map);

/*
 * The current contents as a new map key -> object (caller owns): in compact
 * mode each value is the object's stub without its text, else the object
 * itself (shared; never modify it). The relist diff compares a fresh list
 * with it; given back to as_cache_replace, a stub (marked as from the
 * snapshot) keeps the stored entry.
 */
json_t *as_cache_snapshot(struct as_cache *c);

/* The object under key (new reference) or NULL. */
json_t *as_cache_get(struct as_cache *c, const char *key);

/* Every object, as a new array (caller owns; elements are shared, never modify them). */
json_t *as_cache_list(struct as_cache *c);

/* Objects whose controlling owner has this uid, as a new array (maybe empty). */
json_t *as_cache_by_owner(struct as_cache *c, const char *owner_uid);

/* Objects whose indexed label has this value, as a new array (empty without a label index). */
json_t *as_cache_by_label(struct as_cache *c, const char *value);

/*
 * Any thread: the caller has read key at resourceVersion rv and needs no
 * more of it than its identity and keep (an object, borrowed) until it
 * changes. A compact cache then keeps only those: readers get the stub
 * (apiVersion, kind, metadata name, namespace, uid, resourceVersion, the
 * controller ownerReference, the indexed label) with keep merged into it and
 * AS_CACHE_SLIM_MARK set. The next version (watch, relist) is stored whole
 * again. AS_E_MISSING when key is gone, is at another resourceVersion or is
 * slim already; AS_E_INVALID_ARG for a plain cache or a keep that is not an
 * object; AS_E_NOMEM.
 */
as_status as_cache_slim(struct as_cache *c, const char *key, const char *rv, const json_t *keep);

/* The member a slim object carries (true), and the test for it. */
#define AS_CACHE_SLIM_MARK "_slim"
bool as_cache_is_slim(const json_t *obj);

/* The memory of every compact cache of the process (their entries share one slab). */
struct as_cache_memory {
    size_t objects;        /* entries */
    size_t bytes;          /* the slab slots holding them (identity and packed objects) */
    size_t resident_bytes; /* the slab's resident pages: those entries touch, chunk headers */
};

/* Any thread. All zero before the first compact entry. */
void as_cache_memory_get(struct as_cache_memory *out);

/* Number of objects. */
size_t as_cache_len(struct as_cache *c);

/* Pure: the uid of obj's controlling owner reference, or NULL. Borrowed. */
const char *as_cache_controller_uid(const json_t *obj);

#endif
