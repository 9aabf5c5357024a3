/*
 * review.h - the AdmissionReview v1 codec (pure, no I/O): decoding a request
 * body with bounds and errors that name the field, and encoding a response.
 *
 * Decoding reads the body into a tree (base/jv.h) in the request's own
 * arena; object and oldObject are borrowed from it and live until
 * as_review_request_free.
 */
#ifndef AS_WEBHOOK_REVIEW_H
#define AS_WEBHOOK_REVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/jv.h"
#include "base/status.h"

/* Largest request body accepted (the API server sends at most about 3 MiB objects). */
#define AS_REVIEW_MAX_BODY (3u * 1024u * 1024u)
#define AS_REVIEW_MAX_UID 128

struct as_review_request {
    struct as_jv_arena arena;       /* owns doc */
    const struct as_jv *doc;        /* the whole AdmissionReview */
    const char *uid;                /* borrowed from doc */
    const char *group;              /* request.kind.group ("" for core) */
    const char *version;            /* request.kind.version */
    const char *kind;               /* request.kind.kind */
    const char *resource;           /* request.resource.resource, or "" */
    const char *resource_group;     /* request.resource.group, or "" (core, or no resource) */
    const char *subresource;        /* request.subResource, or "" */
    const char *namespace;          /* request.namespace, or "" (cluster-scoped) */
    const char *name;               /* request.name, or "" (generateName on CREATE) */
    const char *operation;          /* CREATE, UPDATE, DELETE, CONNECT */
    const char *username;           /* request.userInfo.username, or "" */
    const struct as_jv *object;     /* request.object, or NULL */
    const struct as_jv *old_object; /* request.oldObject, or NULL */
    bool dry_run;
};

/*
 * Decodes len bytes. AS_E_LIMIT when len > AS_REVIEW_MAX_BODY; AS_E_PARSE for
 * invalid JSON ("request body: line L, column C: ..."); AS_E_INVALID_ARG with
 * "<field>: what is wrong — what to do" for a wrong apiVersion/kind, missing
 * request.uid, unknown operation, wrong types. On success *out is filled
 * (free with as_review_request_free); on failure *out is untouched.
 */
as_status as_review_decode(const char *body, size_t len, struct as_review_request *out,
                           struct as_error *err);
void as_review_request_free(struct as_review_request *r);

/*
 * Parses a JSON body into arena: the tree of what as_json_parse(body, len,
 * AS_REVIEW_MAX_BODY) reads (jansson, JSON_REJECT_DUPLICATES |
 * JSON_DECODE_ANY), with the same errors; only faster. *out lives as long as
 * the arena's contents.
 *
 * With drop_managed, request.object.metadata.managedFields and
 * request.oldObject.metadata.managedFields are left out of the tree (as if
 * deleted after jansson's parse; they are still checked as JSON, so the same
 * bodies are accepted): no rule reads them, and on the wire the field
 * managers' lists are often half of an object (tests/bench/webhook).
 */
as_status as_review_json_parse(const char *body, size_t len, bool drop_managed,
                               struct as_jv_arena *arena, const struct as_jv **out,
                               struct as_error *err);

/*
 * The fast reader alone (exposed for tests): the tree in arena, or NULL when
 * it gives up (invalid JSON, or valid input it leaves to jansson: \u0000,
 * integers outside 64 bits, reals that overflow or underflow, numbers longer
 * than 63 characters, nesting deeper than 512, duplicate keys, objects of
 * more than 64 members; in a dropped managedFields also objects of more than
 * 64 keys, escaped strings of more than 1 KiB and nesting more than 16 levels
 * below it). What it allocated before giving up stays in the arena.
 */
const struct as_jv *as_review_json_fast(const char *body, size_t len, bool drop_managed,
                                        struct as_jv_arena *arena);

/* The response to encode. Everything borrowed. */
struct as_review_response {
    const char *uid;
    bool allowed;
    int code;                    /* status.code when denied (403), 0 = omit status */
    const char *message;         /* status.message, or NULL */
    const char *reason;          /* status.reason, or NULL */
    const char *const *warnings; /* n_warnings strings */
    size_t n_warnings;
    const json_t *patch;             /* RFC 6902 array, or NULL: base64 + patchType JSONPatch */
    const json_t *audit_annotations; /* object of strings, or NULL */
};

/*
 * Appends {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
 * "response":{...}} to out. AS_E_LIMIT / AS_E_NOMEM (out may then hold part
 * of the response; callers discard it).
 */
as_status as_review_encode(const struct as_review_response *resp, struct as_buf *out);

/*
 * Appends s (len bytes of UTF-8) as a quoted JSON string, escaped exactly as
 * jansson's json_dumps escapes it (\" \\ \b \f \n \r \t, other control
 * characters as \u00XX, everything else as is). AS_E_INVALID_ARG for invalid
 * UTF-8 (jansson refuses it too), AS_E_LIMIT when out is full.
 */
as_status as_review_json_string(struct as_buf *out, const char *s, size_t len);

/* Standard base64 (with padding) of len bytes appended to out. */
as_status as_review_base64(const void *data, size_t len, struct as_buf *out);

#endif
