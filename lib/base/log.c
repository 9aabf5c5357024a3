/*
 * log.c - leveled structured logging (see log.h).
 *
 * Owns the process-wide log settings and the two line formats. Each record
 * is formatted completely in memory and written with a single write(2) (or
 * handed to the test sink under a lock), so concurrent records never mix.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/log.h"

#include "base/json.h"

#define LOG_LINE_MAX (256u * 1024u)
#define LOG_MAX_FIELDS 64

static atomic_int log_level = AS_LOG_INFO;
static atomic_int log_format = AS_LOG_TEXT;
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static as_log_sink sink_fn;
static void *sink_ctx;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* One record: message and up to LOG_MAX_FIELDS key/value pairs (borrowed). */
struct record {
    const char *ts;
    const char *level;
    const char *msg;
    const char *keys[LOG_MAX_FIELDS];
    const char *vals[LOG_MAX_FIELDS];
    size_t n;
};

void as_log_setup(enum as_log_level level, enum as_log_format format)
{
    atomic_store(&log_level, (int)level);
    atomic_store(&log_format, (int)format);
}

as_status as_log_parse_level(const char *s, enum as_log_level *out, struct as_error *err)
{
    for (size_t i = 0; s && i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum as_log_level)i;
            return AS_OK;
        }
    }
    return as_error_set(err, AS_E_INVALID_ARG,
                        "--log-level: unknown level \"%s\"; use debug, info, warn or error",
                        s ? s : "(null)");
}

as_status as_log_parse_format(const char *s, enum as_log_format *out, struct as_error *err)
{
    if (s && strcmp(s, "text") == 0) {
        *out = AS_LOG_TEXT;
        return AS_OK;
    }
    if (s && strcmp(s, "json") == 0) {
        *out = AS_LOG_JSON;
        return AS_OK;
    }
    return as_error_set(err, AS_E_INVALID_ARG,
                        "--log-format: unknown format \"%s\"; use text or json", s ? s : "(null)");
}

void as_log_set_sink(as_log_sink fn, void *ctx)
{
    pthread_mutex_lock(&sink_lock);
    sink_fn = fn;
    sink_ctx = ctx;
    pthread_mutex_unlock(&sink_lock);
}

/* Formats the current UTC time as RFC 3339 with milliseconds into out[32]. */
static void format_timestamp(char out[32])
{
    struct timespec now;
    struct tm tm;
    char base[24];

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%.19s.%03dZ", base, (int)(now.tv_nsec / 1000000L) % 1000);
}

/* True when s must be quoted in the text format (empty, spaces, quotes, controls, '='). */
static int text_needs_quotes(const char *s)
{
    if (!*s)
        return 1;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f)
            return 1;
    }
    return 0;
}

/* Appends s to b as a text-format token, quoting and escaping when needed. */
static as_status text_append_token(struct as_buf *b, const char *s)
{
    as_status rc = AS_OK;

    if (!text_needs_quotes(s))
        return as_buf_append_str(b, s);
    rc = as_buf_append(b, "\"", 1);
    for (; rc == AS_OK && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            rc = as_buf_appendf(b, "\\%c", c);
        else if (c == '\n')
            rc = as_buf_append_str(b, "\\n");
        else if (c == '\t')
            rc = as_buf_append_str(b, "\\t");
        else if (c == '\r')
            rc = as_buf_append_str(b, "\\r");
        else if (c < ' ' || c == 0x7f)
            rc = as_buf_appendf(b, "\\x%02x", c);
        else
            rc = as_buf_append(b, s, 1);
    }
    if (rc == AS_OK)
        rc = as_buf_append(b, "\"", 1);
    return rc;
}

/* Formats r as "ts level msg key=value ..." into b (no newline). */
static as_status format_text(const struct record *r, struct as_buf *b)
{
    as_status rc = as_buf_appendf(b, "%s %s ", r->ts, r->level);

    if (rc == AS_OK)
        rc = text_append_token(b, r->msg);
    for (size_t i = 0; rc == AS_OK && i < r->n; i++) {
        rc = as_buf_append(b, " ", 1);
        if (rc == AS_OK)
            rc = text_append_token(b, r->keys[i]);
        if (rc == AS_OK)
            rc = as_buf_append(b, "=", 1);
        if (rc == AS_OK)
            rc = text_append_token(b, r->vals[i]);
    }
    return rc;
}

/* A JSON string for s; bytes that are not valid UTF-8 become '?'. New reference or NULL. */
static json_t *json_string_lossy(const char *s)
{
    json_t *v = json_string(s);
    char *copy;

    if (v)
        return v;
    copy = strdup(s);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    v = json_string(copy);
    free(copy);
    return v;
}

/* Sets key in o unless a core field ("ts", "level", "msg") already holds it. */
static int json_set_field(json_t *o, const char *key, const char *val)
{
    char alt[256];

    if (json_object_get(o, key)) {
        snprintf(alt, sizeof(alt), "field.%s", key);
        key = alt;
    }
    return json_object_set_new(o, key, json_string_lossy(val));
}

/* Formats r as one compact JSON object into b (no newline). */
static as_status format_json(const struct record *r, struct as_buf *b)
{
    json_t *o = json_object();
    as_status rc = AS_E_NOMEM;

    if (!o)
        goto cleanup;
    if (json_set_field(o, "ts", r->ts) || json_set_field(o, "level", r->level) ||
        json_set_field(o, "msg", r->msg))
        goto cleanup;
    for (size_t i = 0; i < r->n; i++)
        if (json_set_field(o, r->keys[i], r->vals[i]))
            goto cleanup;
    rc = as_json_dump_append(o, JSON_COMPACT | JSON_PRESERVE_ORDER, b);
cleanup:
    json_decref(o);
    return rc;
}

/* Writes all of line to fd 2, retrying on EINTR and short writes. */
static void write_all(const char *line, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, line, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        line += w;
        n -= (size_t)w;
    }
}

/* Sends a finished line (without newline) to the sink or stderr. */
static void emit_line(struct as_buf *b)
{
    pthread_mutex_lock(&sink_lock);
    if (sink_fn) {
        sink_fn(b->data, sink_ctx);
        pthread_mutex_unlock(&sink_lock);
        return;
    }
    pthread_mutex_unlock(&sink_lock);
    if (as_buf_append(b, "\n", 1) == AS_OK)
        write_all(b->data, b->len);
}

/* Collects the NULL-terminated key/value list; NULL values become "(null)". */
static void collect_fields(struct record *r, va_list ap)
{
    const char *key;

    r->n = 0;
    while ((key = va_arg(ap, const char *)) != NULL && r->n < LOG_MAX_FIELDS) {
        const char *val = va_arg(ap, const char *);
        r->keys[r->n] = key;
        r->vals[r->n] = val ? val : "(null)";
        r->n++;
    }
}

void as_log(enum as_log_level level, const char *msg, ...)
{
    struct record r;
    struct as_buf b;
    char ts[32];
    va_list ap;
    as_status rc;

    if ((int)level < atomic_load(&log_level) || (unsigned)level > AS_LOG_ERROR)
        return;
    format_timestamp(ts);
    r.ts = ts;
    r.level = level_names[level];
    r.msg = msg ? msg : "(null)";
    va_start(ap, msg);
    collect_fields(&r, ap);
    va_end(ap);
    as_buf_init(&b, LOG_LINE_MAX);
    if (atomic_load(&log_format) == AS_LOG_JSON)
        rc = format_json(&r, &b);
    else
        rc = format_text(&r, &b);
    if (rc != AS_OK) {
        as_buf_reset(&b);
        rc = as_buf_appendf(&b, "%s %s log record dropped: %s", ts, r.level, as_status_message(rc));
    }
    if (rc == AS_OK)
        emit_line(&b);
    as_buf_free(&b);
}
