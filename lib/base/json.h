/*
 * json.h - helpers over jansson: typed getters that report the JSON path of
 * what is wrong, path lookup, and a canonical (sorted, compact) dump used for
 * golden files, hashes and "changed?" comparisons.
 *
 * Paths are dotted with optional indexes: "spec.components[2].name". A key
 * that itself contains a dot or bracket cannot be addressed this way; use
 * jansson directly for those (e.g. annotation keys).
 *
 * Ownership follows jansson: "borrowed" results stay owned by the container.
 */
#ifndef AS_BASE_JSON_H
#define AS_BASE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/status.h"

/* Looks up path under root. Borrowed; NULL when any step is absent, null or of the wrong
 * type, or when the path is malformed. */
json_t *as_json_path(const json_t *root, const char *path);

/*
 * Typed getters. On success *out is set (strings and objects borrowed) and
 * AS_OK returned. When the value is absent: AS_E_MISSING. When it has the
 * wrong type: AS_E_TYPE. Either way err->message reads
 * "<path>: expected <type>, got <type>" or "<path>: required value is missing",
 * and *out is untouched.
 *
 * JSON null counts as absent (as in Kubernetes objects), also part-way along
 * the path. When a step part-way along has the wrong container type, the
 * message names that step: "spec.name: expected object, got string" (the
 * root is "(root)"). A malformed path ("a..b", "a[x]", "a[1") gives
 * AS_E_INVALID_ARG: "<path>: malformed path at character N: <reason>".
 * as_json_get_int accepts only JSON integers (1.0 is "number").
 */
as_status as_json_get_string(const json_t *root, const char *path, const char **out,
                             struct as_error *err);
as_status as_json_get_int(const json_t *root, const char *path, int64_t *out, struct as_error *err);
as_status as_json_get_bool(const json_t *root, const char *path, bool *out, struct as_error *err);
as_status as_json_get_object(const json_t *root, const char *path, json_t **out,
                             struct as_error *err);
as_status as_json_get_array(const json_t *root, const char *path, json_t **out,
                            struct as_error *err);

/* Same, but an absent value yields the default and AS_OK; a wrong type is still AS_E_TYPE. */
as_status as_json_opt_string(const json_t *root, const char *path, const char *dflt,
                             const char **out, struct as_error *err);
as_status as_json_opt_int(const json_t *root, const char *path, int64_t dflt, int64_t *out,
                          struct as_error *err);
as_status as_json_opt_bool(const json_t *root, const char *path, bool dflt, bool *out,
                           struct as_error *err);

/* "object", "array", "string", "integer", "number", "boolean", "null". Borrowed. */
const char *as_json_type_name(const json_t *v);

/*
 * Brackets code that builds JSON meant to outlive the current request, such
 * as a process-wide cache filled on first use: while a request arena is open
 * on this thread (webhook/jsonalloc.h), jansson's allocations between these
 * calls go to malloc instead. They nest; without an arena they change
 * nothing.
 */
void as_json_long_lived_begin(void);
void as_json_long_lived_end(void);
/* Nonzero between as_json_long_lived_begin and _end on this thread. */
unsigned as_json_long_lived_depth(void);

/*
 * The JSON text of v with jansson's dump flags, appended to out (nothing is
 * appended on failure: AS_E_LIMIT past out's max, AS_E_NOMEM), or returned in
 * memory from malloc (free(); NULL on failure). Use these, never json_dumps:
 * its text comes from jansson's allocator, which in the webhook may be a
 * request arena that is released wholesale (webhook/jsonalloc.h).
 */
as_status as_json_dump_append(const json_t *v, size_t flags, struct as_buf *out);
char *as_json_dumps(const json_t *v, size_t flags);

/*
 * Canonical dump: sorted keys, compact separators, no trailing newline,
 * UTF-8 as is. Caller owns (free()); NULL when out of memory.
 */
char *as_json_dump_canonical(const json_t *v);

/* Same, pretty (2-space indent, sorted keys, trailing newline), for golden files and humans. */
char *as_json_dump_pretty(const json_t *v);

/*
 * Parses len bytes of JSON (any value, not only objects; duplicate object keys
 * are rejected). AS_E_LIMIT when len > max; AS_E_PARSE with
 * "line L, column C: <jansson's text>". Caller owns *out.
 */
as_status as_json_parse(const char *data, size_t len, size_t max, json_t **out,
                        struct as_error *err);

/* True when a and b are equal JSON values (jansson's json_equal, NULL-safe). */
bool as_json_equal(const json_t *a, const json_t *b);

#endif
