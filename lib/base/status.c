/* status.c - names, messages and context for the result codes in status.h. */
#include <stdio.h>
#include <string.h>

#include "base/status.h"

static const char *const status_names[] = {
#define AS__STATUS_NAME(code, name, message) name,
    AS_STATUS_TABLE(AS__STATUS_NAME)
#undef AS__STATUS_NAME
};

static const char *const status_messages[] = {
#define AS__STATUS_MESSAGE(code, name, message) message,
    AS_STATUS_TABLE(AS__STATUS_MESSAGE)
#undef AS__STATUS_MESSAGE
};

const char *as_status_name(as_status s)
{
    if ((unsigned)s >= AS__STATUS_COUNT)
        return "Unknown";
    return status_names[s];
}

const char *as_status_message(as_status s)
{
    if ((unsigned)s >= AS__STATUS_COUNT)
        return "unknown status code";
    return status_messages[s];
}

as_status as_error_setv(struct as_error *err, as_status code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
    }
    return code;
}

as_status as_error_set(struct as_error *err, as_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    as_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void as_error_prefix(struct as_error *err, const char *fmt, ...)
{
    char prefix[256];
    char old[AS_ERROR_MESSAGE_MAX];
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof(old));
    /* Checking the result tells GCC the truncation is intended (-Wformat-truncation). */
    if (snprintf(err->message, sizeof(err->message), "%s: %s", prefix, old) < 0)
        err->message[0] = '\0';
}

void as_error_clear(struct as_error *err)
{
    if (err) {
        err->code = AS_OK;
        err->message[0] = '\0';
    }
}
