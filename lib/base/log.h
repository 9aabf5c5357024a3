/*
 * log.h - leveled, structured logging to stderr.
 *
 * One line per record, either JSON ({"ts":...,"level":"info","msg":"...",
 * "key":"value"}) or text (ts level msg key=value ...), chosen at start-up by
 * --log-format. Fields are string key/value pairs ending with NULL:
 *
 *     as_log_info("applied object", "kind", "Deployment", "name", name, NULL);
 *
 * Secret values must never be passed here; there is no field that is "safe
 * for secrets". Thread-safe: one write(2) per record.
 */
#ifndef AS_BASE_LOG_H
#define AS_BASE_LOG_H

#include "base/status.h"

enum as_log_level { AS_LOG_DEBUG, AS_LOG_INFO, AS_LOG_WARN, AS_LOG_ERROR };
enum as_log_format { AS_LOG_TEXT, AS_LOG_JSON };

/* Sets the minimum level and the format. Defaults: info, text. */
void as_log_setup(enum as_log_level level, enum as_log_format format);

/* Parses "debug|info|warn|error" / "text|json". AS_E_INVALID_ARG with err naming the flag. */
as_status as_log_parse_level(const char *s, enum as_log_level *out, struct as_error *err);
as_status as_log_parse_format(const char *s, enum as_log_format *out, struct as_error *err);

/* Writes one record; the variadic part is key, value, ..., NULL (all const char *). */
void as_log(enum as_log_level level, const char *msg, ...) __attribute__((sentinel));

/*
 * Redirects output (tests): fn receives each formatted line without the
 * newline. NULL restores stderr.
 */
typedef void (*as_log_sink)(const char *line, void *ctx);
void as_log_set_sink(as_log_sink fn, void *ctx);

#define as_log_debug(...) as_log(AS_LOG_DEBUG, __VA_ARGS__)
#define as_log_info(...) as_log(AS_LOG_INFO, __VA_ARGS__)
#define as_log_warn(...) as_log(AS_LOG_WARN, __VA_ARGS__)
#define as_log_error(...) as_log(AS_LOG_ERROR, __VA_ARGS__)

#endif
