/*
 * informer.h - a list+watch informer for one resource (optionally in one
 * namespace and label-selected), keeping an immutable, reference-counted
 * cache (cache.h) and telling handlers about every change.
 *
 * State machine (as kube-rs's watcher), run by one named thread:
 *   empty -> listing: a full, paged list (page_size per page); the result is
 *            diffed against the cache (diff.h) and the events delivered;
 *            has_synced becomes true after the first list was delivered.
 *   listing -> watching: watch from the list's resourceVersion with
 *            bookmarks; every event and bookmark advances the resume point.
 *   watching -> watching: the server ended the stream, or it was cut/failed:
 *            resume from the last resourceVersion (after a jittered backoff,
 *            about 1 s doubling up to 30 s, when it failed).
 *   watching -> listing: 410 Expired/Gone (HTTP or ERROR event): relist; the
 *            diff delivers DELETE for objects that vanished meanwhile and
 *            ADD/UPDATE for new or changed ones.
 *   list failures are retried with the same backoff.
 *
 * Handlers run on the informer thread (never two at once, also with
 * as_informer_resync), after the cache was updated; objects they receive are
 * borrowed for the call (json_incref to keep one) and must not be modified.
 * A handler must not block for long: it holds up the watch (enqueue keys to a
 * work queue instead).
 *
 * Stopping: as_informer_stop interrupts a blocked watch within about a
 * second and a list between pages or retries (the same flag is the watch's
 * and the list's cancel flag; a page already on the wire finishes). A stopped informer
 * keeps its cache and resource version; as_informer_start resumes watching
 * from there (relisting if the version expired meanwhile).
 */
#ifndef AS_INFORMER_INFORMER_H
#define AS_INFORMER_INFORMER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/status.h"
#include "informer/cache.h"
#include "kube/client.h"
#include "kube/resource.h"

struct as_informer_handlers {
    void (*on_add)(json_t *obj, void *ctx);                 /* may be NULL */
    void (*on_update)(json_t *old, json_t *obj, void *ctx); /* may be NULL */
    void (*on_delete)(json_t *old, void *ctx);              /* may be NULL; last known state */
    void *ctx;
};

struct as_informer_options {
    struct as_kube_client *client;      /* borrowed; must outlive the informer */
    const struct as_kube_resource *res; /* borrowed */
    const char *ns;                     /* NULL = all namespaces (copied) */
    const char *label_selector;         /* or NULL (copied) */
    const char *field_selector;         /* or NULL (copied) */
    const char *index_label;    /* label to index by value (as_informer_by_label), or NULL */
    const char *name;           /* thread name (<= 15 chars used); NULL = "inf-<plural>" */
    long page_size;             /* list page size; 0 = 500 */
    long backoff_initial_ms;    /* 0 = 1000 */
    long backoff_max_ms;        /* 0 = 30000 */
    long watch_timeout_seconds; /* server-side timeout per watch; 0 = random 300..600 */
    bool keep_managed_fields;   /* by default metadata.managedFields is dropped */
    bool keep_last_applied;     /* by default the annotation AS_INFORMER_LAST_APPLIED (a copy
                                   of the object as `kubectl apply` last sent it) is dropped */
    bool compact;               /* compact cache (cache.h): readers parse; handlers get
                                   stubs (metadata, controller ref, label) for old
                                   objects and for the objects of a (re)list */
};

/* kubectl's client-side apply record: the whole object again, which informers rarely need. */
#define AS_INFORMER_LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

struct as_informer_stats {
    unsigned long lists; /* full lists completed */
    unsigned long list_failures;
    unsigned long watches;        /* watch requests opened */
    unsigned long watch_failures; /* watches that ended with an error (not 410) */
    unsigned long expired;        /* 410 Expired/Gone seen (relists caused) */
    unsigned long events;         /* watch events applied (bookmarks not counted) */
    unsigned long bookmarks;
    char resource_version[64]; /* resume point */
    bool synced;
};

struct as_informer;

/* Creates a stopped informer. Strings in opts are copied. Caller owns *out. */
as_status as_informer_new(const struct as_informer_options *opts,
                          const struct as_informer_handlers *handlers, struct as_informer **out,
                          struct as_error *err);

/* Starts (or resumes) the informer thread. AS_E_INVALID_ARG when already running. */
as_status as_informer_start(struct as_informer *inf, struct as_error *err);

/* Stops the thread and waits for it; the cache is kept. No-op when stopped or NULL. */
void as_informer_stop(struct as_informer *inf);

/* Stops when running, then frees everything. */
void as_informer_free(struct as_informer *inf);

/* True once the first full list was delivered to the handlers. */
bool as_informer_has_synced(struct as_informer *inf);

/* Waits until synced or timeout_ms passed (< 0 = forever); returns has_synced. */
bool as_informer_wait_synced(struct as_informer *inf, long timeout_ms);

/* The cache (borrowed; readers only, see cache.h). */
struct as_cache *as_informer_cache(struct as_informer *inf);

/* Cached object by namespace (NULL for cluster-scoped) and name: new reference or NULL. */
json_t *as_informer_get(struct as_informer *inf, const char *ns, const char *name);

/*
 * Delivers UPDATE(obj, obj) for every cached object to the handlers, from the
 * caller's thread, without any request (client-go's periodic resync), in
 * insertion order, reading one object at a time from the cache (an object
 * deleted meanwhile is skipped). Returns the number of objects delivered.
 */
size_t as_informer_resync(struct as_informer *inf);

/* Copies the counters. */
void as_informer_get_stats(struct as_informer *inf, struct as_informer_stats *out);

#endif
