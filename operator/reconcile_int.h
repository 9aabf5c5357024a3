/*
 * reconcile_int.h - what the parts of one reconcile pass share (internal to
 * reconcile*.c and finalize.c): the pass state and the helpers for writes,
 * Events and the facts gathered from the caches.
 */
#ifndef AS_OPERATOR_RECONCILE_INT_H
#define AS_OPERATOR_RECONCILE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "events.h"
#include "reconcile.h"
#include "status.h"

#define AS_OP_TEXT_MAX 1024

struct as_op_pass {
    struct as_op_rt *rt;
    const json_t *stack; /* borrowed from the cache */
    const char *ns, *name, *uid;
    int64_t now;
    json_t *children;                 /* every cached child controlled by the stack (new array) */
    size_t applied;                   /* writes to children in this pass */
    bool retry;                       /* a write failed in a way worth retrying */
    bool halted;                      /* the namespace is terminating: write nothing more */
    json_t *held;                     /* apps whose Deployment waits for its migration Job */
    char apply_error[AS_OP_TEXT_MAX]; /* first refused write (Stalled ApplyRejected) */
};

/* Facts gathered for the renderer and the status (reconcile_gather.c). */
struct as_op_gathered {
    json_t *secrets;              /* {"secret": {"key": "value"}} for the renderer */
    json_t *generated;            /* {"secret": ["key"...]}: values made in this pass */
    json_t *ref_hashes;           /* {"secret": "hex"} of secrets.fromExisting */
    char missing[AS_OP_TEXT_MAX]; /* "secret a (key k); secret b" or "" */
    json_t *tls_write;            /* self-signed TLS Secret to write now (new or renewed) or NULL */
    json_t *keep;                 /* array: objects the operator made besides the rendered ones */
    struct as_op_cert_facts tls;
};

/* reconcile_gather.c */
as_status as_op_gather(struct as_op_pass *p, struct as_op_gathered *g, struct as_error *err);
void as_op_gathered_free(struct as_op_gathered *g);

/* reconcile_write.c: apply what differs, create what must never be overwritten, prune. */
void as_op_write_children(struct as_op_pass *p, json_t *desired, const struct as_op_gathered *g);
void as_op_prune_children(struct as_op_pass *p, const json_t *desired, const json_t *keep);
/* Records an Event about the stack (and child, may be NULL); failures are only logged. */
void as_op_emit(struct as_op_pass *p, enum as_op_event_what what, const json_t *child,
                const char *detail);
/* The cached live object for (apiVersion, kind, ns, name) as a new reference, or NULL. */
json_t *as_op_live(struct as_op_rt *rt, const char *api_version, const char *kind, const char *ns,
                   const char *name);

/* finalize.c: the appstack.io/data finalizer. */
as_status as_op_ensure_finalizer(struct as_op_pass *p, bool *changed, struct as_error *err);
as_status as_op_finalize(struct as_op_pass *p, struct as_error *err);

#endif
