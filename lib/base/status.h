/*
 * status.h - the one table of result codes used by every AppStack program.
 *
 * Every fallible function returns an as_status. The table below is the only
 * place a code, its stable name and its human message are written down, so
 * they cannot drift apart. API-server failures are classified into the
 * AS_E_API_* codes from the HTTP code and the Status object's `reason`
 * (lib/kube), never by matching message text.
 */
#ifndef AS_BASE_STATUS_H
#define AS_BASE_STATUS_H

#include <stdarg.h>
#include <stddef.h>

/* X(code, name, message) */
#define AS_STATUS_TABLE(X)                                                                         \
    X(AS_OK, "OK", "success")                                                                      \
    X(AS_E_NOMEM, "OutOfMemory", "out of memory")                                                  \
    X(AS_E_INVALID_ARG, "InvalidArgument", "invalid argument")                                     \
    X(AS_E_PARSE, "ParseError", "malformed input")                                                 \
    X(AS_E_TYPE, "TypeMismatch", "value has the wrong type")                                       \
    X(AS_E_MISSING, "Missing", "required value is missing")                                        \
    X(AS_E_LIMIT, "LimitExceeded", "input exceeds a size limit")                                   \
    X(AS_E_IO, "IOError", "input/output error")                                                    \
    X(AS_E_TLS, "TLSError", "TLS or certificate error")                                            \
    X(AS_E_NETWORK, "NetworkError", "connection failed or was dropped")                            \
    X(AS_E_TIMEOUT, "Timeout", "operation timed out")                                              \
    X(AS_E_UNSUPPORTED, "Unsupported", "feature not supported")                                    \
    X(AS_E_CONFIG, "ConfigError", "configuration is invalid")                                      \
    X(AS_E_SHUTDOWN, "ShuttingDown", "the component is shutting down")                             \
    X(AS_E_API_BAD_REQUEST, "BadRequest", "the API server rejected the request")                   \
    X(AS_E_API_UNAUTHORIZED, "Unauthorized", "the API server did not accept the credentials")      \
    X(AS_E_API_FORBIDDEN, "Forbidden", "the API server forbade the request")                       \
    X(AS_E_API_NOT_FOUND, "NotFound", "the object does not exist")                                 \
    X(AS_E_API_ALREADY_EXISTS, "AlreadyExists", "an object with that name already exists")         \
    X(AS_E_API_CONFLICT, "Conflict",                                                               \
      "the object was modified or a field is owned by another manager")                            \
    X(AS_E_API_GONE, "Expired", "the resourceVersion is too old; relist")                          \
    X(AS_E_API_INVALID, "Invalid", "the object is invalid")                                        \
    X(AS_E_API_TOO_MANY_REQUESTS, "TooManyRequests", "the API server asked to slow down")          \
    X(AS_E_API_INTERNAL, "InternalError", "the API server failed internally")                      \
    X(AS_E_API_SERVER_TIMEOUT, "ServerTimeout", "the API server timed out")                        \
    X(AS_E_API_UNAVAILABLE, "ServiceUnavailable", "the API server is unavailable")                 \
    X(AS_E_API_OTHER, "Unknown", "the API server returned an unexpected error")

typedef enum as_status {
#define AS__STATUS_ENUM(code, name, message) code,
    AS_STATUS_TABLE(AS__STATUS_ENUM)
#undef AS__STATUS_ENUM
        AS__STATUS_COUNT
} as_status;

/* Stable CamelCase name of a code ("NotFound"); "Unknown" for out-of-range values. Borrowed. */
const char *as_status_name(as_status s);

/* One-line human message for a code. Borrowed. */
const char *as_status_message(as_status s);

/*
 * An error with context: the code plus a message naming the field or place
 * and what to do ("spec.components[1].port: must be between 1 and 65535").
 * Callers own the storage; functions that take a `struct as_error *` fill it
 * only on failure and accept NULL.
 */
#define AS_ERROR_MESSAGE_MAX 1024
struct as_error {
    as_status code;
    char message[AS_ERROR_MESSAGE_MAX];
};

/* Sets err (when not NULL) and returns code, so callers can write `return as_error_set(...)`. */
as_status as_error_set(struct as_error *err, as_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
as_status as_error_setv(struct as_error *err, as_status code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Prepends "prefix: " to err->message (for adding context while unwinding). */
void as_error_prefix(struct as_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Resets err to AS_OK with an empty message. */
void as_error_clear(struct as_error *err);

#endif
