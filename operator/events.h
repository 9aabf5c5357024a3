/*
 * events.h - Kubernetes Events for what the operator does (creates, prunes,
 * failures), built as data; the I/O layer creates them, or patches the count
 * of a repeat. Pure: the time is an input.
 *
 * Format: core/v1 Event (not events.k8s.io/v1). `kubectl describe appstack X`
 * lists core/v1 Events by involvedObject and shows Type, Reason, Age ("x3
 * over 10m" from firstTimestamp, lastTimestamp and count), From
 * (source.component) and Message; events.k8s.io/v1 would need an eventTime
 * and a series object for the same display and no tool shows it better.
 * eventTime is left unset, so the API server validates the event the legacy
 * way (namespace equal to involvedObject.namespace).
 *
 * Aggregation: the name is "<stack>.<16 hex digits>", the start of a SHA-256
 * over the involved object (apiVersion, kind, namespace, name, uid), type,
 * reason and the (truncated) message. The same thing happening again gives
 * the same name: the caller gets AlreadyExists on create and sends
 * as_op_event_repeat_patch() instead (count + 1, lastTimestamp = now), as
 * client-go's event correlator does.
 *
 * Messages must never carry secret values (the caller's duty: they are made
 * from names, reasons and field paths); they are cut to 1 KiB at a UTF-8
 * character boundary, ending in "...".
 */
#ifndef AS_OPERATOR_EVENTS_H
#define AS_OPERATOR_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/status.h"

#define AS_OP_EVENT_COMPONENT "appstack-operator"
#define AS_OP_EVENT_MESSAGE_MAX 1024
#define AS_OP_EVENT_NAME_MAX 254 /* 253 + NUL */

struct as_op_event_in {
    const json_t *involved; /* borrowed: the object the event is about (usually the AppStack) */
    const char *stack;      /* the AppStack's name: the event name's prefix */
    const char *type;       /* "Normal" or "Warning" */
    const char *reason;     /* CamelCase, e.g. "Created", "Pruned", "InvalidSpec" (<= 128) */
    const char *message;    /* human text, no secret values */
    const char *instance;   /* reportingInstance: this process's identity (pod name); may be NULL */
};

/*
 * Writes the deterministic event name into buf. AS_E_INVALID_ARG (err says
 * which field) for a missing stack, involved name or kind, a type other than
 * Normal/Warning, a reason that is not CamelCase, or a name that would not
 * fit in 253 characters.
 */
as_status as_op_event_name(const struct as_op_event_in *in, char *buf, size_t size,
                           struct as_error *err);

/*
 * Builds a new core/v1 Event with count 1 and first/lastTimestamp = now (Unix
 * seconds). Caller owns *out; untouched on failure (errors as above, AS_E_NOMEM).
 */
as_status as_op_event_build(const struct as_op_event_in *in, int64_t now, json_t **out,
                            struct as_error *err);

/*
 * The JSON merge patch for a repeat of existing (borrowed; the stored
 * Event): {"count": count + 1 (2 when absent), "lastTimestamp": now}. New
 * object, caller owns; NULL when out of memory.
 */
json_t *as_op_event_repeat_patch(const json_t *existing, int64_t now);

/* What an event of as_op_event_for() reports. */
enum as_op_event_what {
    AS_OP_EV_CREATED,      /* Normal  Created      "created <Kind> <name>" */
    AS_OP_EV_UPDATED,      /* Normal  Updated      "updated <Kind> <name>: <detail>" */
    AS_OP_EV_PRUNED,       /* Normal  Pruned       "deleted <Kind> <name>: no longer in the spec" */
    AS_OP_EV_APPLY_FAILED, /* Warning ApplyFailed  "applying <Kind> <name> failed: <detail>" */
    AS_OP_EV_INVALID_SPEC, /* Warning InvalidSpec  "<detail>" (the field errors) */
    AS_OP_EV_DELETE_FAILED /* Warning PruneFailed  "deleting <Kind> <name> failed: <detail>" */
};

/*
 * The operator's usual events, about the AppStack (borrowed; so `kubectl
 * describe appstack` lists them): child (borrowed, may be NULL) gives
 * <Kind> <name>; detail (may be NULL) is appended as shown above. Same
 * contract as as_op_event_build.
 */
as_status as_op_event_for(const json_t *appstack, enum as_op_event_what what, const json_t *child,
                          const char *detail, const char *instance, int64_t now, json_t **out,
                          struct as_error *err);

/*
 * Copies msg into buf (size > 4) cut at AS_OP_EVENT_MESSAGE_MAX - 1 bytes
 * (and size - 1) without splitting a UTF-8 character, ending in "..." when
 * cut. Returns buf.
 */
char *as_op_event_truncate(const char *msg, char *buf, size_t size);

#endif
