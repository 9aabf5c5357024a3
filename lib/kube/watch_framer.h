/*
 * watch_framer.h - splits a watch stream into events.
 *
 * The API server sends one JSON object per line ({"type":..,"object":..}).
 * Bytes arrive in arbitrary chunks; the framer emits each complete line once,
 * never scanning a byte twice: whole lines inside a chunk are handed out in
 * place, and only a trailing partial line is kept. CR before LF is dropped
 * and empty lines are skipped. A line longer than max_line is AS_E_LIMIT.
 * After any error the framer is stuck in that error (feed returns it again):
 * the watch must be restarted with a fresh framer.
 */
#ifndef AS_KUBE_WATCH_FRAMER_H
#define AS_KUBE_WATCH_FRAMER_H

#include <stddef.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/status.h"
#include "kube/ops.h"

/* Receives one line (without the newline, not NUL-terminated). Non-AS_OK stops the feed. */
typedef as_status (*as_watch_line_fn)(const char *line, size_t len, void *ctx);

struct as_watch_framer {
    struct as_buf partial; /* the unterminated tail of the stream so far */
    size_t max_line;
    as_status failed;    /* AS_OK until the first error */
    unsigned long lines; /* lines emitted */
};

/* Initialises a framer for lines of at most max_line bytes (excluding the newline). */
void as_watch_framer_init(struct as_watch_framer *f, size_t max_line);

/*
 * Feeds len bytes. Calls fn for each complete non-empty line, in order.
 * Returns AS_OK, AS_E_LIMIT (err: "watch event line exceeds N bytes; restart
 * the watch"), or the first non-AS_OK status fn returned.
 */
as_status as_watch_framer_feed(struct as_watch_framer *f, const char *data, size_t len,
                               as_watch_line_fn fn, void *ctx, struct as_error *err);

/*
 * Bytes of an unterminated line still held. When the stream ends cleanly this
 * should be 0; a non-empty tail means the connection was cut mid-event.
 */
size_t as_watch_framer_pending(const struct as_watch_framer *f);

/* Frees the framer's buffer. */
void as_watch_framer_free(struct as_watch_framer *f);

/*
 * Decodes one line as a watch event. On success *type is set and *object is
 * a new reference (caller owns). AS_E_PARSE with err naming what is wrong:
 * not JSON, not an object, "type" missing/unknown, "object" missing/not an object.
 */
as_status as_watch_event_decode(const char *line, size_t len, enum as_kube_watch_type *type,
                                json_t **object, struct as_error *err);

#endif
