/*
 * api_error.h - decoding failed API responses (Kubernetes Status objects).
 *
 * Every non-2xx response, and every watch ERROR event, is turned into an
 * as_status (AS_E_API_*) from the HTTP code and Status.reason, never from
 * message text; a body that is not a Status is classified by the HTTP code
 * alone. The details (reason, message, causes) are kept in a caller-owned
 * struct as_kube_api_error with fixed-size fields, so nothing needs freeing.
 *
 * Classification (reason first, then HTTP code):
 *   NotFound 404 -> AS_E_API_NOT_FOUND      AlreadyExists 409 -> ALREADY_EXISTS
 *   Conflict 409 -> CONFLICT                Invalid 422 -> INVALID (with causes)
 *   Forbidden 403 -> FORBIDDEN              Unauthorized 401 -> UNAUTHORIZED
 *   TooManyRequests 429 -> TOO_MANY_REQUESTS
 *   Expired / Gone 410 -> AS_E_API_GONE     Timeout 504 -> SERVER_TIMEOUT
 *   ServerTimeout 500/504 -> SERVER_TIMEOUT InternalError 500 -> INTERNAL
 *   ServiceUnavailable 503 -> UNAVAILABLE   BadRequest / MethodNotAllowed /
 *   NotAcceptable / UnsupportedMediaType / RequestEntityTooLarge 4xx -> BAD_REQUEST
 *   anything else -> by HTTP code, AS_E_API_OTHER when nothing fits.
 */
#ifndef AS_KUBE_API_ERROR_H
#define AS_KUBE_API_ERROR_H

#include <stddef.h>

#include <jansson.h>

#include "base/status.h"

#define AS_KUBE_MAX_CAUSES 16

struct as_kube_status_cause {
    char type[64];   /* "FieldValueRequired", may be "" */
    char field[256]; /* "spec.template.spec.containers[0].image", may be "" */
    char message[512];
};

struct as_kube_api_error {
    as_status code;           /* AS_E_API_* */
    long http_code;           /* from the response, or Status.code for watch events */
    char reason[64];          /* Status.reason, "" when absent */
    char message[1024];       /* Status.message, or a short excerpt of a non-Status body */
    char kind[64];            /* Status.details.kind, may be "" */
    char name[256];           /* Status.details.name, may be "" */
    long retry_after_seconds; /* Status.details.retryAfterSeconds, 0 when absent */
    size_t ncauses;           /* causes kept (at most AS_KUBE_MAX_CAUSES) */
    size_t ncauses_total;     /* causes in the Status, may exceed ncauses */
    struct as_kube_status_cause causes[AS_KUBE_MAX_CAUSES];
};

/* Empties e: code AS_OK, no strings, no causes (the causes array itself is left as it is). */
void as_kube_api_error_clear(struct as_kube_api_error *e);

/*
 * Pure classification: the as_status for an HTTP code and a Status reason
 * (NULL or "" when unknown). Never AS_OK for http_code outside 200..299.
 */
as_status as_kube_classify(long http_code, const char *reason);

/*
 * Decodes a failed response body (len bytes, need not be NUL-terminated) into
 * *out, which is always fully written. Returns out->code.
 */
as_status as_kube_api_error_decode(long http_code, const char *body, size_t len,
                                   struct as_kube_api_error *out);

/*
 * Same from an already parsed Status object (a watch ERROR event's object;
 * http_code 0 means "take Status.code"). status may be NULL or not a Status.
 */
as_status as_kube_api_error_from_json(long http_code, const json_t *status,
                                      struct as_kube_api_error *out);

/*
 * Writes a one-line summary into err: "<context>: <Reason> (HTTP <code>):
 * <message>[; <field>: <cause message>]..." and returns e->code.
 * context may be NULL (e.g. "GET /api/v1/namespaces/x").
 */
as_status as_kube_api_error_to_error(const struct as_kube_api_error *e, const char *context,
                                     struct as_error *err);

#endif
