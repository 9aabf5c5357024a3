/*
 * json.c - jansson helpers (see json.h): dotted-path lookup with clear
 * errors, typed getters, canonical and pretty dumps, bounded parsing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

/* One parsed path step: an object key (borrowed slice of the path) or an array index. */
struct step {
    const char *key; /* NULL for an index step */
    size_t key_len;
    size_t index;
    size_t end; /* offset in the path just past this step */
};

/* Parses "[digits]" at path[*pos]; advances *pos. AS_E_INVALID_ARG with a reason. */
static as_status parse_index(const char *path, size_t *pos, struct step *st, const char **why)
{
    size_t i = *pos + 1, v = 0;

    if (path[i] < '0' || path[i] > '9') {
        *why = "an index must be digits inside [ ]";
        return AS_E_INVALID_ARG;
    }
    for (; path[i] >= '0' && path[i] <= '9'; i++) {
        if (v > (SIZE_MAX - 9) / 10) {
            *why = "index is too large";
            return AS_E_INVALID_ARG;
        }
        v = v * 10 + (size_t)(path[i] - '0');
    }
    if (path[i] != ']') {
        *why = "missing ']' after an index";
        return AS_E_INVALID_ARG;
    }
    st->key = NULL;
    st->index = v;
    *pos = i + 1;
    st->end = *pos;
    return AS_OK;
}

/* Parses a key at path[*pos] (up to '.', '[' or the end); advances *pos. */
static as_status parse_key(const char *path, size_t *pos, struct step *st, const char **why)
{
    size_t n = strcspn(path + *pos, ".[]");

    if (n == 0) {
        *why = path[*pos] == ']' ? "unexpected ']'" : "empty key";
        return AS_E_INVALID_ARG;
    }
    st->key = path + *pos;
    st->key_len = n;
    *pos += n;
    st->end = *pos;
    return AS_OK;
}

/*
 * Parses the next step of path starting at *pos. A '.' separates keys; it
 * must be followed by a key. Returns AS_OK and fills st, or
 * AS_E_INVALID_ARG with *why set.
 */
static as_status next_step(const char *path, size_t *pos, struct step *st, const char **why)
{
    if (path[*pos] == '[')
        return parse_index(path, pos, st, why);
    if (*pos > 0) {
        if (path[*pos] != '.') {
            *why = path[*pos] == ']' ? "unexpected ']'" : "expected '.' or '[' after ']'";
            return AS_E_INVALID_ARG;
        }
        (*pos)++;
    }
    return parse_key(path, pos, st, why);
}

/* Steps into v along st; NULL when absent. *type_ok is 0 when v has the wrong container type. */
static json_t *apply_step(const json_t *v, const struct step *st, int *type_ok)
{
    char key[256];
    char *big = NULL;
    json_t *out;

    if (!st->key) {
        *type_ok = json_is_array(v);
        return *type_ok ? json_array_get(v, st->index) : NULL;
    }
    *type_ok = json_is_object(v);
    if (!*type_ok)
        return NULL;
    if (st->key_len < sizeof(key)) {
        memcpy(key, st->key, st->key_len);
        key[st->key_len] = '\0';
        return json_object_get(v, key);
    }
    big = strndup(st->key, st->key_len);
    out = big ? json_object_get(v, big) : NULL;
    free(big);
    return out;
}

/* Reports a malformed path. */
static as_status path_error(const char *path, size_t pos, const char *why, struct as_error *err)
{
    return as_error_set(err, AS_E_INVALID_ARG, "%s: malformed path at character %zu: %s", path,
                        pos + 1, why);
}

/* Reports that the value at path[0..end) is not the container the next step needs. */
static as_status container_error(const char *path, size_t end, const struct step *st,
                                 const json_t *parent, struct as_error *err)
{
    const char *want = st->key ? "object" : "array";

    if (end == 0)
        return as_error_set(err, AS_E_TYPE, "(root): expected %s, got %s", want,
                            as_json_type_name(parent));
    return as_error_set(err, AS_E_TYPE, "%.*s: expected %s, got %s", (int)end, path, want,
                        as_json_type_name(parent));
}

/*
 * Walks path under root. On AS_OK *out is the value (NULL when absent or
 * JSON null; a null intermediate also counts as absent). AS_E_INVALID_ARG
 * for a malformed path (checked to the end even when a step is absent),
 * AS_E_TYPE when an intermediate value is not the container the path needs.
 */
static as_status walk(const json_t *root, const char *path, json_t **out, struct as_error *err)
{
    const json_t *v = root;
    const char *why = NULL;
    size_t pos = 0, parent_end;
    struct step st = {NULL, 0, 0, 0};
    int type_ok = 1;

    if (!path || !*path)
        return as_error_set(err, AS_E_INVALID_ARG, "(empty path): malformed path: empty path");
    while (path[pos]) {
        parent_end = pos;
        if (next_step(path, &pos, &st, &why) != AS_OK)
            return path_error(path, pos, why, err);
        if (!v || json_is_null(v)) {
            v = NULL;
            continue;
        }
        const json_t *parent = v;
        v = apply_step(parent, &st, &type_ok);
        if (!type_ok)
            return container_error(path, parent_end, &st, parent, err);
    }
    *out = json_is_null(v) ? NULL : (json_t *)v;
    return AS_OK;
}

json_t *as_json_path(const json_t *root, const char *path)
{
    json_t *v = NULL;

    if (!root || walk(root, path, &v, NULL) != AS_OK)
        return NULL;
    return v;
}

const char *as_json_type_name(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

/* Looks up path and checks its type is `want`. *found is 0 when absent (AS_OK, no error set). */
static as_status lookup_typed(const json_t *root, const char *path, json_type want,
                              const char *want_name, json_t **out, struct as_error *err)
{
    json_t *v = NULL;
    as_status rc = walk(root, path, &v, err);

    if (rc != AS_OK)
        return rc;
    if (!v)
        return AS_E_MISSING;
    if (json_typeof(v) != want && !(want == JSON_TRUE && json_is_boolean(v)))
        return as_error_set(err, AS_E_TYPE, "%s: expected %s, got %s", path, want_name,
                            as_json_type_name(v));
    *out = v;
    return AS_OK;
}

/* Turns AS_E_MISSING from lookup_typed into the required-value error. */
static as_status required(as_status rc, const char *path, struct as_error *err)
{
    if (rc == AS_E_MISSING)
        return as_error_set(err, AS_E_MISSING, "%s: required value is missing", path);
    return rc;
}

as_status as_json_get_string(const json_t *root, const char *path, const char **out,
                             struct as_error *err)
{
    json_t *v = NULL;
    as_status rc = required(lookup_typed(root, path, JSON_STRING, "string", &v, err), path, err);

    if (rc == AS_OK)
        *out = json_string_value(v);
    return rc;
}

as_status as_json_get_int(const json_t *root, const char *path, int64_t *out, struct as_error *err)
{
    json_t *v = NULL;
    as_status rc = required(lookup_typed(root, path, JSON_INTEGER, "integer", &v, err), path, err);

    if (rc == AS_OK)
        *out = (int64_t)json_integer_value(v);
    return rc;
}

as_status as_json_get_bool(const json_t *root, const char *path, bool *out, struct as_error *err)
{
    json_t *v = NULL;
    as_status rc = required(lookup_typed(root, path, JSON_TRUE, "boolean", &v, err), path, err);

    if (rc == AS_OK)
        *out = json_is_true(v);
    return rc;
}

as_status as_json_get_object(const json_t *root, const char *path, json_t **out,
                             struct as_error *err)
{
    return required(lookup_typed(root, path, JSON_OBJECT, "object", out, err), path, err);
}

as_status as_json_get_array(const json_t *root, const char *path, json_t **out,
                            struct as_error *err)
{
    return required(lookup_typed(root, path, JSON_ARRAY, "array", out, err), path, err);
}

as_status as_json_opt_string(const json_t *root, const char *path, const char *dflt,
                             const char **out, struct as_error *err)
{
    json_t *v = NULL;
    as_status rc = lookup_typed(root, path, JSON_STRING, "string", &v, err);

    if (rc == AS_E_MISSING) {
        *out = dflt;
        return AS_OK;
    }
    if (rc == AS_OK)
        *out = json_string_value(v);
    return rc;
}

as_status as_json_opt_int(const json_t *root, const char *path, int64_t dflt, int64_t *out,
                          struct as_error *err)
{
    json_t *v = NULL;
    as_status rc = lookup_typed(root, path, JSON_INTEGER, "integer", &v, err);

    if (rc == AS_E_MISSING) {
        *out = dflt;
        return AS_OK;
    }
    if (rc == AS_OK)
        *out = (int64_t)json_integer_value(v);
    return rc;
}

as_status as_json_opt_bool(const json_t *root, const char *path, bool dflt, bool *out,
                           struct as_error *err)
{
    json_t *v = NULL;
    as_status rc = lookup_typed(root, path, JSON_TRUE, "boolean", &v, err);

    if (rc == AS_E_MISSING) {
        *out = dflt;
        return AS_OK;
    }
    if (rc == AS_OK)
        *out = json_is_true(v);
    return rc;
}

#define CANONICAL_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY)
#define PRETTY_FLAGS (JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY)

static _Thread_local unsigned long_lived;

void as_json_long_lived_begin(void)
{
    long_lived++;
}

void as_json_long_lived_end(void)
{
    if (long_lived > 0)
        long_lived--;
}

unsigned as_json_long_lived_depth(void)
{
    return long_lived;
}

struct dump_sink {
    struct as_buf *out;
    as_status st; /* the first failed append's status */
};

/* json_dump_callback's sink: appends to an as_buf (its max bounds the text). */
static int append_chunk(const char *chunk, size_t n, void *data)
{
    struct dump_sink *sink = data;

    sink->st = as_buf_append(sink->out, chunk, n);
    return sink->st == AS_OK ? 0 : -1;
}

as_status as_json_dump_append(const json_t *v, size_t flags, struct as_buf *out)
{
    struct dump_sink sink = {out, AS_OK};
    size_t before = out->len;

    if (json_dump_callback(v, append_chunk, &sink, flags) == 0)
        return AS_OK;
    out->len = before; /* nothing of a failed dump stays */
    if (out->data != NULL)
        out->data[before] = '\0';
    return sink.st != AS_OK ? sink.st : AS_E_INVALID_ARG; /* jansson refused v with these flags */
}

char *as_json_dumps(const json_t *v, size_t flags)
{
    struct as_buf b;

    as_buf_init(&b, SIZE_MAX - 1);
    if (as_json_dump_append(v, flags, &b) != AS_OK) {
        as_buf_free(&b);
        return NULL;
    }
    return as_buf_steal(&b);
}

char *as_json_dump_canonical(const json_t *v)
{
    return v ? as_json_dumps(v, CANONICAL_FLAGS) : strdup("null");
}

char *as_json_dump_pretty(const json_t *v)
{
    struct as_buf b;

    as_buf_init(&b, SIZE_MAX - 1);
    if ((v ? as_json_dump_append(v, PRETTY_FLAGS, &b) : as_buf_append_str(&b, "null")) != AS_OK ||
        as_buf_append(&b, "\n", 1) != AS_OK) {
        as_buf_free(&b);
        return NULL;
    }
    return as_buf_steal(&b);
}

as_status as_json_parse(const char *data, size_t len, size_t max, json_t **out,
                        struct as_error *err)
{
    json_error_t jerr;
    json_t *v;

    if (len > max)
        return as_error_set(err, AS_E_LIMIT, "JSON document is %zu bytes; the limit is %zu bytes",
                            len, max);
    v = json_loadb(data ? data : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!v) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return as_error_set(err, AS_E_NOMEM, "parsing JSON: out of memory");
        return as_error_set(err, AS_E_PARSE, "line %d, column %d: %s",
                            jerr.line < 1 ? 1 : jerr.line, jerr.column < 1 ? 1 : jerr.column,
                            jerr.text);
    }
    *out = v;
    return AS_OK;
}

bool as_json_equal(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    return json_equal(a, b) != 0;
}
