/*
 * diff.h - pure informer logic: object keys, and the relist diff that turns
 * the cache's old contents plus a fresh full list into the events a handler
 * must see so that "what it was told" equals "what the server has".
 *
 * Relist rules (compare by metadata.resourceVersion, like a watch would):
 * - an object in the old cache and not in the list -> DELETE(old)
 * - in the list, not in the old cache                -> ADD(new)
 * - in both with a different uid (deleted and created
 *   again under the same name while we were away)    -> DELETE(old), ADD(new)
 * - in both, same uid, different resourceVersion     -> UPDATE(old, new)
 * - in both with the same resourceVersion            -> no event; the new map
 *   keeps the old (identical) reference, so an unchanged relist neither
 *   allocates nor notifies.
 * DELETEs of vanished objects come first (in cache order), then the list's
 * items in list order.
 */
#ifndef AS_INFORMER_DIFF_H
#define AS_INFORMER_DIFF_H

#include <stddef.h>

#include <jansson.h>

#include "base/status.h"

enum as_informer_event_type { AS_INFORMER_ADD, AS_INFORMER_UPDATE, AS_INFORMER_DELETE };

/* "ADD", "UPDATE", "DELETE". Borrowed. */
const char *as_informer_event_name(enum as_informer_event_type t);

struct as_informer_event {
    enum as_informer_event_type type;
    json_t *old; /* owned reference: UPDATE and DELETE; NULL for ADD */
    json_t *obj; /* owned reference: ADD and UPDATE (the new object); NULL for DELETE */
};

struct as_informer_events {
    struct as_informer_event *v; /* owned */
    size_t n, cap;
};

/* Releases every reference and the array; leaves ev empty (reusable). */
void as_informer_events_free(struct as_informer_events *ev);

/* Appends one event, taking new references to old and obj (either may be NULL). */
as_status as_informer_events_push(struct as_informer_events *ev, enum as_informer_event_type t,
                                  json_t *old, json_t *obj);

/*
 * Writes the cache key of obj into buf: "namespace/name", or "name" for
 * objects without a namespace (cluster-scoped). AS_E_MISSING when
 * metadata.name is absent, AS_E_LIMIT when the key does not fit.
 */
as_status as_informer_object_key(const json_t *obj, char *buf, size_t size);

/* Largest key: a 253-character namespace, '/', a 253-character name, NUL. */
#define AS_INFORMER_KEY_MAX 512

/*
 * The relist diff. old_map (borrowed, may be NULL = empty) maps key ->
 * object; items (borrowed) is the list's items array. On success *new_map is
 * a new map (key -> object, references shared with old_map and items) and
 * *ev (which must be empty) holds the events. On failure (an item that is
 * not an object or has no metadata.name: AS_E_PARSE naming "items[i]";
 * AS_E_NOMEM) nothing is set and ev stays empty.
 */
as_status as_informer_diff(const json_t *old_map, const json_t *items, json_t **new_map,
                           struct as_informer_events *ev, struct as_error *err);

#endif
