/*
 * watch_framer.c - newline framing of a watch stream and decoding of each
 * line into (type, object). Each byte is scanned once: complete lines inside a
 * chunk are handed out in place; only the unterminated tail is buffered.
 */
#include <string.h>

#include "kube/watch_framer.h"

void as_watch_framer_init(struct as_watch_framer *f, size_t max_line)
{
    memset(f, 0, sizeof(*f));
    f->max_line = max_line;
    /* The buffer holds at most one partial line. */
    as_buf_init(&f->partial, max_line + 1);
}

size_t as_watch_framer_pending(const struct as_watch_framer *f)
{
    return f->partial.len;
}

void as_watch_framer_free(struct as_watch_framer *f)
{
    as_buf_free(&f->partial);
}

/* Emits one line, dropping a trailing CR and skipping empty lines. */
static as_status emit(struct as_watch_framer *f, const char *line, size_t len, as_watch_line_fn fn,
                      void *ctx)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return AS_OK;
    f->lines++;
    return fn(line, len, ctx);
}

/* Records the first failure so later feeds repeat it. */
static as_status fail(struct as_watch_framer *f, as_status st)
{
    f->failed = st;
    return st;
}

/* Fails the framer with the line-limit error. */
static as_status limit_error(struct as_watch_framer *f, struct as_error *err)
{
    as_error_set(err, AS_E_LIMIT, "watch event line exceeds %zu bytes; restart the watch",
                 f->max_line);
    return fail(f, AS_E_LIMIT);
}

/* Appends an unterminated piece to the partial line. */
static as_status keep(struct as_watch_framer *f, const char *p, size_t n, struct as_error *err)
{
    as_status st = as_buf_append(&f->partial, p, n);
    if (st != AS_OK)
        return fail(f, as_error_set(err, st, "watch stream: cannot buffer a partial line"));
    return AS_OK;
}

/* Completes the line ending in p[0..piece) (partial first) and emits it, checking the limit. */
static as_status complete(struct as_watch_framer *f, const char *p, size_t piece,
                          as_watch_line_fn fn, void *ctx, struct as_error *err)
{
    size_t total = f->partial.len + piece;
    char last = piece ? p[piece - 1] : (f->partial.len ? f->partial.data[f->partial.len - 1] : 0);
    as_status st;

    if (total - (last == '\r') > f->max_line)
        return limit_error(f, err);
    if (f->partial.len == 0)
        return emit(f, p, piece, fn, ctx);
    if ((st = keep(f, p, piece, err)) != AS_OK)
        return st;
    st = emit(f, f->partial.data, f->partial.len, fn, ctx);
    as_buf_reset(&f->partial);
    return st;
}

as_status as_watch_framer_feed(struct as_watch_framer *f, const char *data, size_t len,
                               as_watch_line_fn fn, void *ctx, struct as_error *err)
{
    const char *p = data, *end = data + len;
    as_status st;

    if (f->failed != AS_OK)
        return as_error_set(err, f->failed, "watch stream already failed; restart the watch");
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t piece = (size_t)((nl ? nl : end) - p);

        if (!nl) {
            /* Unterminated tail: one byte of slack for a CR that will be dropped. */
            if (f->partial.len + piece > f->max_line + 1)
                return limit_error(f, err);
            return keep(f, p, piece, err);
        }
        if ((st = complete(f, p, piece, fn, ctx, err)) != AS_OK)
            return fail(f, st);
        p = nl + 1;
    }
    return AS_OK;
}

static const struct {
    const char *name;
    enum as_kube_watch_type type;
} types[] = {
    {"ADDED", AS_KUBE_WATCH_ADDED},     {"MODIFIED", AS_KUBE_WATCH_MODIFIED},
    {"DELETED", AS_KUBE_WATCH_DELETED}, {"BOOKMARK", AS_KUBE_WATCH_BOOKMARK},
    {"ERROR", AS_KUBE_WATCH_ERROR},
};

const char *as_kube_watch_type_name(enum as_kube_watch_type t)
{
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (types[i].type == t)
            return types[i].name;
    return "UNKNOWN";
}

as_status as_watch_event_decode(const char *line, size_t len, enum as_kube_watch_type *type,
                                json_t **object, struct as_error *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    const char *t;
    json_t *obj;
    as_status st = AS_E_PARSE;

    if (!doc) {
        as_error_set(err, AS_E_PARSE, "watch event: not JSON (column %d: %s)", jerr.column,
                     jerr.text);
        goto out;
    }
    if (!json_is_object(doc)) {
        as_error_set(err, AS_E_PARSE, "watch event: expected an object, got %s",
                     json_is_array(doc) ? "an array" : "a scalar");
        goto out;
    }
    t = json_string_value(json_object_get(doc, "type"));
    if (!t) {
        as_error_set(err, AS_E_PARSE, "watch event: \"type\" is missing or not a string");
        goto out;
    }
    obj = json_object_get(doc, "object");
    if (!json_is_object(obj)) {
        as_error_set(err, AS_E_PARSE, "watch event %.32s: \"object\" is missing or not an object",
                     t);
        goto out;
    }
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(types[i].name, t) == 0) {
            *type = types[i].type;
            *object = json_incref(obj);
            st = AS_OK;
            goto out;
        }
    }
    as_error_set(err, AS_E_PARSE, "watch event: unknown type \"%.32s\"", t);
out:
    json_decref(doc);
    return st;
}
