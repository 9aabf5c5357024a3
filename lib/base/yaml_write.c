/*
 * yaml_write.c - JSON values to block-style YAML over libyaml's emitter
 * (as_json_to_yaml in yaml.h).
 *
 * Owns the output style: keys sorted, empty containers as {} and [],
 * strings that would read back as another type double-quoted, multi-line
 * strings as literal blocks where libyaml allows it. Reading the output with
 * as_yaml_to_json gives back an equal value (the fuzz target checks this).
 */
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "base/yaml.h"
#include "base/yaml_scalar.h"

struct writer {
    yaml_emitter_t emitter;
    struct as_buf *out;
    as_status out_rc; /* failure of the output buffer, if any */
    unsigned depth;
};

/* One object member, for sorting. */
struct member {
    const char *key;
    size_t len;
    json_t *value;
};

static as_status emit_value(struct writer *w, const json_t *v);

/* libyaml output callback: appends to the buffer; 0 on failure. */
static int write_handler(void *data, unsigned char *buffer, size_t size)
{
    struct writer *w = data;

    w->out_rc = as_buf_append(w->out, buffer, size);
    return w->out_rc == AS_OK;
}

/* Emits ev (libyaml takes it) and maps failure to a status. */
static as_status emit(struct writer *w, yaml_event_t *ev)
{
    if (yaml_emitter_emit(&w->emitter, ev))
        return AS_OK;
    if (w->out_rc != AS_OK)
        return w->out_rc;
    return w->emitter.error == YAML_MEMORY_ERROR ? AS_E_NOMEM : AS_E_INVALID_ARG;
}

/* Emits a scalar with the given style. */
static as_status emit_scalar(struct writer *w, const char *s, size_t n, yaml_scalar_style_t style)
{
    yaml_event_t ev;

    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n, 1, 1, style))
        return AS_E_NOMEM;
    return emit(w, &ev);
}

/* True when s contains a line break and nothing that a literal block would change. */
static int literal_candidate(const char *s, size_t n)
{
    if (!memchr(s, '\n', n))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < ' ' && c != '\n' && c != '\t') || c == 0x7f)
            return 0;
        if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] == 0x85)
            return 0; /* NEL */
        if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
            ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9))
            return 0; /* LS, PS */
    }
    return 1;
}

/* Emits a string, quoted when a plain scalar would read back as another type. */
static as_status emit_string(struct writer *w, const char *s, size_t n)
{
    struct as__yaml_scalar t;

    as__yaml_resolve(s, n, &t);
    if (t.kind != AS__YAML_STR)
        return emit_scalar(w, s, n, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
    if (literal_candidate(s, n))
        return emit_scalar(w, s, n, YAML_LITERAL_SCALAR_STYLE);
    return emit_scalar(w, s, n, YAML_ANY_SCALAR_STYLE);
}

/* Emits a number, true, false or null as a plain scalar. */
static as_status emit_atom(struct writer *w, const json_t *v)
{
    char text[40];

    if (json_is_integer(v))
        snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        as__yaml_format_real(json_real_value(v), 1, text);
    else
        snprintf(text, sizeof(text), "%s",
                 json_is_true(v)    ? "true"
                 : json_is_false(v) ? "false"
                                    : "null");
    return emit_scalar(w, text, strlen(text), YAML_PLAIN_SCALAR_STYLE);
}

/* Orders members by key bytes (shorter first on a common prefix). */
static int member_cmp(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, n);

    if (c)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Collects the members of o sorted by key into a new array (caller frees); NULL when out of memory.
 */
static struct member *sorted_members(const json_t *o, size_t *count)
{
    size_t n = json_object_size(o), i = 0, klen;
    struct member *m = calloc(n ? n : 1, sizeof(*m));
    const char *key;
    json_t *v;

    if (!m)
        return NULL;
    json_object_keylen_foreach((json_t *)o, key, klen, v)
    {
        m[i].key = key;
        m[i].len = klen;
        m[i].value = v;
        i++;
    }
    qsort(m, n, sizeof(*m), member_cmp);
    *count = n;
    return m;
}

/* Emits the members of a non-empty object. */
static as_status emit_members(struct writer *w, const json_t *o)
{
    size_t n = 0;
    struct member *m = sorted_members(o, &n);
    as_status rc = m ? AS_OK : AS_E_NOMEM;

    for (size_t i = 0; rc == AS_OK && i < n; i++) {
        rc = emit_string(w, m[i].key, m[i].len);
        if (rc == AS_OK)
            rc = emit_value(w, m[i].value);
    }
    free(m);
    return rc;
}

/* Emits an object as a block mapping ({} when empty). */
static as_status emit_object(struct writer *w, const json_t *o)
{
    yaml_mapping_style_t style =
        json_object_size(o) ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE;
    yaml_event_t ev;
    as_status rc;

    if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, style))
        return AS_E_NOMEM;
    rc = emit(w, &ev);
    if (rc == AS_OK)
        rc = emit_members(w, o);
    if (rc == AS_OK && yaml_mapping_end_event_initialize(&ev))
        rc = emit(w, &ev);
    return rc;
}

/* Emits an array as a block sequence ([] when empty). */
static as_status emit_array(struct writer *w, const json_t *a)
{
    yaml_sequence_style_t style =
        json_array_size(a) ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE;
    yaml_event_t ev;
    size_t i;
    json_t *item;
    as_status rc;

    if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, style))
        return AS_E_NOMEM;
    rc = emit(w, &ev);
    json_array_foreach(a, i, item)
    {
        if (rc == AS_OK)
            rc = emit_value(w, item);
    }
    if (rc == AS_OK && yaml_sequence_end_event_initialize(&ev))
        rc = emit(w, &ev);
    return rc;
}

/* Emits any JSON value; AS_E_LIMIT past AS_YAML_MAX_DEPTH levels of nesting. */
static as_status emit_value(struct writer *w, const json_t *v)
{
    as_status rc;

    if (json_is_string(v))
        return emit_string(w, json_string_value(v), json_string_length(v));
    if (!json_is_object(v) && !json_is_array(v))
        return emit_atom(w, v);
    if (w->depth >= AS_YAML_MAX_DEPTH)
        return AS_E_LIMIT;
    w->depth++;
    rc = json_is_object(v) ? emit_object(w, v) : emit_array(w, v);
    w->depth--;
    return rc;
}

/* Emits the stream and document wrappers around v. */
static as_status emit_document(struct writer *w, const json_t *v)
{
    yaml_event_t ev;
    as_status rc = AS_E_NOMEM;

    if (yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING))
        rc = emit(w, &ev);
    if (rc == AS_OK)
        rc = yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ? emit(w, &ev)
                                                                            : AS_E_NOMEM;
    if (rc == AS_OK)
        rc = emit_value(w, v);
    if (rc == AS_OK)
        rc = yaml_document_end_event_initialize(&ev, 1) ? emit(w, &ev) : AS_E_NOMEM;
    if (rc == AS_OK)
        rc = yaml_stream_end_event_initialize(&ev) ? emit(w, &ev) : AS_E_NOMEM;
    if (rc == AS_OK && !yaml_emitter_flush(&w->emitter))
        rc = w->out_rc != AS_OK ? w->out_rc : AS_E_IO;
    return rc;
}

as_status as_json_to_yaml(const json_t *v, struct as_buf *out)
{
    struct writer w;
    size_t old_len = out->len;
    as_status rc;

    memset(&w, 0, sizeof(w));
    w.out = out;
    if (!yaml_emitter_initialize(&w.emitter))
        return AS_E_NOMEM;
    yaml_emitter_set_output(&w.emitter, write_handler, &w);
    yaml_emitter_set_unicode(&w.emitter, 1);
    yaml_emitter_set_width(&w.emitter, -1);
    yaml_emitter_set_indent(&w.emitter, 2);
    rc = emit_document(&w, v ? v : json_null());
    yaml_emitter_delete(&w.emitter);
    if (rc != AS_OK && out->data) {
        out->len = old_len;
        out->data[old_len] = '\0';
    }
    return rc;
}
