/*
 * yaml_read.c - YAML text to JSON values over libyaml's event parser
 * (as_yaml_to_json, as_yaml_to_json_one in yaml.h).
 *
 * Owns document splitting, anchors (kept per document, deep-copied on each
 * alias, with every produced node counted against AS_YAML_MAX_NODES), merge
 * keys, duplicate-key detection, the nesting limit and error locations.
 * Scalar typing lives in yaml_scalar.c.
 */
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "base/yaml.h"
#include "base/yaml_scalar.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

struct anchor {
    char *name;     /* owned */
    json_t *value;  /* owned reference */
    size_t nodes;   /* nodes the value expands to */
    unsigned depth; /* nesting levels inside the value */
};

struct reader {
    yaml_parser_t parser;
    const char *data;
    size_t len;
    struct anchor *anchors;
    size_t n_anchors, cap_anchors;
    size_t nodes;   /* nodes produced so far in this stream */
    unsigned depth; /* current nesting */
    struct as_error *err;
};

/* What parse_node reports about the node it built. */
struct node_info {
    size_t nodes;
    unsigned depth;
};

static as_status parse_node(struct reader *r, yaml_event_t *ev, json_t **out,
                            struct node_info *info);

/* Sets err to "line L, column C: <formatted>" at mark and returns code. */
static as_status __attribute__((format(printf, 4, 5)))
at_error(struct reader *r, as_status code, yaml_mark_t mark, const char *fmt, ...)
{
    char what[AS_ERROR_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return as_error_set(r->err, code, "line %zu, column %zu: %s", mark.line + 1, mark.column + 1,
                        what);
}

/* The 0-based line/column of byte offset off in the input. */
static yaml_mark_t mark_of_offset(const struct reader *r, size_t off)
{
    yaml_mark_t m = {0, 0, 0};

    for (size_t i = 0; i < off && i < r->len; i++) {
        if (r->data[i] == '\n') {
            m.line++;
            m.column = 0;
        } else if (((unsigned char)r->data[i] & 0xc0) != 0x80) {
            m.column++;
        }
    }
    m.index = off;
    return m;
}

/* Turns libyaml's failure state into an error. */
static as_status parser_error(struct reader *r)
{
    yaml_parser_t *p = &r->parser;
    const char *problem = p->problem ? p->problem : "unknown error";

    if (p->error == YAML_MEMORY_ERROR)
        return as_error_set(r->err, AS_E_NOMEM, "parsing YAML: out of memory");
    if (p->error == YAML_READER_ERROR)
        return at_error(r, AS_E_PARSE, mark_of_offset(r, p->problem_offset), "%s", problem);
    if (p->context)
        return at_error(r, AS_E_PARSE, p->problem_mark, "%s (%s at line %zu, column %zu)", problem,
                        p->context, p->context_mark.line + 1, p->context_mark.column + 1);
    return at_error(r, AS_E_PARSE, p->problem_mark, "%s", problem);
}

/* Fetches the next event; the caller deletes it. */
static as_status next_event(struct reader *r, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&r->parser, ev))
        return parser_error(r);
    return AS_OK;
}

/* Adds n produced nodes to the stream total; AS_E_LIMIT past AS_YAML_MAX_NODES. */
static as_status count_nodes(struct reader *r, size_t n, yaml_mark_t mark)
{
    if (n > AS_YAML_MAX_NODES || r->nodes > AS_YAML_MAX_NODES - n)
        return at_error(r, AS_E_LIMIT, mark,
                        "the input expands to more than %u values (aliases included); "
                        "reduce the use of aliases",
                        AS_YAML_MAX_NODES);
    r->nodes += n;
    return AS_OK;
}

/* Drops every anchor (at a document boundary and at the end). */
static void anchors_clear(struct reader *r)
{
    for (size_t i = 0; i < r->n_anchors; i++) {
        free(r->anchors[i].name);
        json_decref(r->anchors[i].value);
    }
    r->n_anchors = 0;
}

/* Records an anchor (a later definition of the same name wins on lookup). */
static as_status anchor_add(struct reader *r, const char *name, json_t *v,
                            const struct node_info *info)
{
    struct anchor *a;

    if (r->n_anchors == r->cap_anchors) {
        size_t cap = r->cap_anchors ? r->cap_anchors * 2 : 16;
        a = realloc(r->anchors, cap * sizeof(*a));
        if (!a)
            return as_error_set(r->err, AS_E_NOMEM, "parsing YAML: out of memory");
        r->anchors = a;
        r->cap_anchors = cap;
    }
    a = &r->anchors[r->n_anchors];
    a->name = strdup(name);
    if (!a->name)
        return as_error_set(r->err, AS_E_NOMEM, "parsing YAML: out of memory");
    a->value = json_incref(v);
    a->nodes = info->nodes;
    a->depth = info->depth;
    r->n_anchors++;
    return AS_OK;
}

/* The most recent anchor called name, or NULL. */
static const struct anchor *anchor_find(const struct reader *r, const char *name)
{
    for (size_t i = r->n_anchors; i > 0; i--)
        if (strcmp(r->anchors[i - 1].name, name) == 0)
            return &r->anchors[i - 1];
    return NULL;
}

/* Resolves an alias event into a deep copy of the anchored value, counting its nodes. */
static as_status parse_alias(struct reader *r, const yaml_event_t *ev, json_t **out,
                             struct node_info *info)
{
    const char *name = (const char *)ev->data.alias.anchor;
    const struct anchor *a = anchor_find(r, name);
    as_status rc;

    if (!a)
        return at_error(r, AS_E_PARSE, ev->start_mark,
                        "unknown anchor \"%s\" (an alias must follow its anchor's complete node)",
                        name);
    if (r->depth + a->depth > AS_YAML_MAX_DEPTH)
        return at_error(r, AS_E_LIMIT, ev->start_mark,
                        "nesting is deeper than %u levels after expanding alias \"%s\"",
                        AS_YAML_MAX_DEPTH, name);
    rc = count_nodes(r, a->nodes, ev->start_mark);
    if (rc != AS_OK)
        return rc;
    *out = json_deep_copy(a->value);
    if (!*out)
        return as_error_set(r->err, AS_E_NOMEM, "parsing YAML: out of memory");
    info->nodes = a->nodes;
    info->depth = a->depth;
    return AS_OK;
}

/* Converts a typed scalar to JSON; .inf/.nan are errors. */
static as_status typed_to_json(struct reader *r, const yaml_event_t *ev,
                               const struct as__yaml_scalar *s, json_t **out)
{
    const char *text = (const char *)ev->data.scalar.value;

    switch (s->kind) {
    case AS__YAML_NULL:
        *out = json_null();
        break;
    case AS__YAML_BOOL:
        *out = json_boolean(s->b);
        break;
    case AS__YAML_INT:
        *out = json_integer((json_int_t)s->i);
        break;
    case AS__YAML_FLOAT:
        *out = json_real(s->d);
        break;
    case AS__YAML_NONFINITE:
        return at_error(r, AS_E_PARSE, ev->start_mark,
                        "%s is not a finite number and cannot be represented in JSON; quote it "
                        "to make it a string",
                        text);
    default:
        *out = json_stringn(text, ev->data.scalar.length);
        if (!*out)
            return at_error(r, AS_E_PARSE, ev->start_mark, "string is not valid UTF-8");
    }
    return *out ? AS_OK : as_error_set(r->err, AS_E_NOMEM, "parsing YAML: out of memory");
}

/* True when the kind a tag asks for accepts the resolved kind (an int may be a float). */
static int tag_accepts(const char *want, struct as__yaml_scalar *s)
{
    if (strcmp(want, "null") == 0)
        return s->kind == AS__YAML_NULL;
    if (strcmp(want, "bool") == 0)
        return s->kind == AS__YAML_BOOL;
    if (strcmp(want, "int") == 0)
        return s->kind == AS__YAML_INT;
    if (s->kind == AS__YAML_INT) {
        s->kind = AS__YAML_FLOAT;
        s->d = (double)s->i;
    }
    return s->kind == AS__YAML_FLOAT || s->kind == AS__YAML_NONFINITE;
}

/* Applies an explicit !!null/!!bool/!!int/!!float tag; other tags keep a string. */
static as_status tagged_scalar(struct reader *r, const yaml_event_t *ev, const char *tag,
                               json_t **out)
{
    struct as__yaml_scalar s = {AS__YAML_STR, 0, 0, 0};
    const char *name = tag + strlen(TAG_PREFIX);
    const char *text = (const char *)ev->data.scalar.value;

    if (strcmp(name, "null") && strcmp(name, "bool") && strcmp(name, "int") &&
        strcmp(name, "float"))
        return typed_to_json(r, ev, &s, out);
    as__yaml_resolve(text, ev->data.scalar.length, &s);
    if (!tag_accepts(name, &s))
        return at_error(r, AS_E_PARSE, ev->start_mark, "cannot decode \"%s\" as !!%s", text, name);
    return typed_to_json(r, ev, &s, out);
}

/* Builds the JSON value of a scalar event. */
static as_status scalar_to_json(struct reader *r, const yaml_event_t *ev, json_t **out)
{
    const char *tag = (const char *)ev->data.scalar.tag;
    struct as__yaml_scalar s = {AS__YAML_STR, 0, 0, 0};

    if (tag && strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0)
        return tagged_scalar(r, ev, tag, out);
    if (!tag && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        as__yaml_resolve((const char *)ev->data.scalar.value, ev->data.scalar.length, &s);
    if (s.kind == AS__YAML_MERGE)
        s.kind = AS__YAML_STR;
    return typed_to_json(r, ev, &s, out);
}

/* Registers the event's anchor (if any) for the finished node v. */
static as_status maybe_anchor(struct reader *r, const yaml_char_t *anchor, json_t *v,
                              const struct node_info *info)
{
    if (!anchor)
        return AS_OK;
    return anchor_add(r, (const char *)anchor, v, info);
}

/* Enters a sequence or mapping; AS_E_LIMIT past AS_YAML_MAX_DEPTH. */
static as_status enter(struct reader *r, yaml_mark_t mark)
{
    if (r->depth >= AS_YAML_MAX_DEPTH)
        return at_error(r, AS_E_LIMIT, mark, "nesting is deeper than %u levels", AS_YAML_MAX_DEPTH);
    r->depth++;
    return AS_OK;
}

/* Parses sequence items up to SEQUENCE_END into a new array. */
static as_status parse_sequence(struct reader *r, json_t **out, struct node_info *info)
{
    json_t *arr = json_array();
    yaml_event_t ev;
    struct node_info item = {0, 0};
    json_t *v = NULL;
    as_status rc = arr ? AS_OK : AS_E_NOMEM;

    info->depth = 0;
    while (rc == AS_OK && (rc = next_event(r, &ev)) == AS_OK) {
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        rc = parse_node(r, &ev, &v, &item);
        if (rc == AS_OK && json_array_append_new(arr, v))
            rc = AS_E_NOMEM;
        if (rc == AS_OK && item.depth > info->depth)
            info->depth = item.depth;
    }
    if (rc == AS_E_NOMEM)
        as_error_set(r->err, rc, "parsing YAML: out of memory");
    if (rc != AS_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return AS_OK;
}

/* A mapping under construction. */
struct mapping {
    json_t *obj;    /* the result */
    json_t *lines;  /* key -> 1-based line of its first definition */
    json_t *merges; /* merge sources (objects), in order */
    unsigned depth; /* deepest child */
};

/* Turns a scalar JSON value used as a key into its string form (as kubectl does). */
static json_t *key_text(const json_t *k)
{
    char num[40];

    switch (json_typeof(k)) {
    case JSON_STRING:
        return json_incref((json_t *)k);
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(k));
        return json_string(num);
    case JSON_REAL:
        as__yaml_format_real(json_real_value(k), 0, num);
        return json_string(num);
    case JSON_TRUE:
        return json_string("true");
    case JSON_FALSE:
        return json_string("false");
    case JSON_NULL:
        return json_string("null");
    default:
        return NULL;
    }
}

/* Builds a scalar key's value, counting it and registering its anchor (`&k name: x`). */
static as_status scalar_key(struct reader *r, const yaml_event_t *ev, json_t **out)
{
    struct node_info info = {1, 0};
    as_status rc = count_nodes(r, 1, ev->start_mark);

    if (rc == AS_OK)
        rc = scalar_to_json(r, ev, out);
    if (rc == AS_OK)
        rc = maybe_anchor(r, ev->data.scalar.anchor, *out, &info);
    return rc;
}

/* Reads a key event (deleting it) into a JSON string; non-scalar keys are errors. */
static as_status parse_key(struct reader *r, yaml_event_t *ev, json_t **out)
{
    struct node_info info = {0, 0};
    json_t *k = NULL;
    as_status rc = AS_OK;

    if (ev->type == YAML_SCALAR_EVENT)
        rc = scalar_key(r, ev, &k);
    else if (ev->type == YAML_ALIAS_EVENT)
        rc = parse_alias(r, ev, &k, &info);
    else
        rc = at_error(r, AS_E_PARSE, ev->start_mark,
                      "mapping keys must be scalars, found a %s; JSON keys are strings",
                      ev->type == YAML_MAPPING_START_EVENT ? "mapping" : "sequence");
    if (rc == AS_OK) {
        *out = key_text(k);
        if (!*out)
            rc = at_error(r, AS_E_PARSE, ev->start_mark,
                          "mapping keys must be scalars, found an alias to a %s",
                          json_is_object(k) ? "mapping" : "sequence");
    }
    json_decref(k);
    yaml_event_delete(ev);
    return rc;
}

/* True when ev is the merge key "<<" (plain, untagged). */
static int is_merge_key(const yaml_event_t *ev)
{
    return ev->type == YAML_SCALAR_EVENT && !ev->data.scalar.tag &&
           ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.length == 2 &&
           memcmp(ev->data.scalar.value, "<<", 2) == 0;
}

/* Queues the value of a "<<" key: a mapping or a sequence of mappings. Steals v. */
static as_status add_merge(struct reader *r, struct mapping *m, json_t *v, yaml_mark_t mark)
{
    size_t i;
    json_t *src;
    as_status rc = AS_OK;

    if (json_is_object(v)) {
        rc = json_array_append(m->merges, v) ? AS_E_NOMEM : AS_OK;
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, src)
        {
            if (!json_is_object(src))
                break;
        }
        if (i < json_array_size(v))
            rc = at_error(r, AS_E_PARSE, mark, "merge key \"<<\" list item %zu is not a mapping",
                          i + 1);
        else
            rc = json_array_extend(m->merges, v) ? AS_E_NOMEM : AS_OK;
    } else {
        rc = at_error(r, AS_E_PARSE, mark,
                      "merge key \"<<\" needs a mapping or a list of mappings, found %s",
                      json_is_null(v) ? "null" : "a scalar");
    }
    json_decref(v);
    if (rc == AS_E_NOMEM)
        as_error_set(r->err, rc, "parsing YAML: out of memory");
    return rc;
}

/* Handles one "<<" entry: parses its value and queues it. */
static as_status mapping_merge(struct reader *r, struct mapping *m, yaml_event_t *key_ev)
{
    yaml_mark_t mark = key_ev->start_mark;
    struct node_info info = {0, 0};
    yaml_event_t ev;
    json_t *v = NULL;
    as_status rc;

    yaml_event_delete(key_ev);
    rc = next_event(r, &ev);
    if (rc == AS_OK)
        rc = parse_node(r, &ev, &v, &info);
    if (rc == AS_OK && info.depth > m->depth)
        m->depth = info.depth;
    return rc == AS_OK ? add_merge(r, m, v, mark) : rc;
}

/* Rejects a key already defined in this mapping, else records where it is defined. */
static as_status check_duplicate(struct reader *r, struct mapping *m, const json_t *k,
                                 yaml_mark_t mark)
{
    const char *s = json_string_value(k);
    size_t n = json_string_length(k);
    const json_t *prev = json_object_getn(m->lines, s, n);

    if (prev)
        return at_error(r, AS_E_PARSE, mark, "mapping key \"%.*s\" already defined at line %d",
                        (int)(n > 200 ? 200 : n), s, (int)json_integer_value(prev));
    if (json_object_setn_new(m->lines, s, n, json_integer((json_int_t)mark.line + 1)))
        return as_error_set(r->err, AS_E_NOMEM, "parsing YAML: out of memory");
    return AS_OK;
}

/* Handles one ordinary key/value entry. */
static as_status mapping_entry(struct reader *r, struct mapping *m, yaml_event_t *key_ev)
{
    yaml_mark_t mark = key_ev->start_mark;
    struct node_info info = {0, 0};
    yaml_event_t ev;
    json_t *k = NULL, *v = NULL;
    as_status rc = parse_key(r, key_ev, &k);

    if (rc == AS_OK)
        rc = check_duplicate(r, m, k, mark);
    if (rc == AS_OK)
        rc = next_event(r, &ev);
    if (rc == AS_OK)
        rc = parse_node(r, &ev, &v, &info);
    if (rc == AS_OK && json_object_setn_new(m->obj, json_string_value(k), json_string_length(k), v))
        rc = as_error_set(r->err, AS_E_NOMEM, "parsing YAML: out of memory");
    if (rc == AS_OK && info.depth > m->depth)
        m->depth = info.depth;
    json_decref(k);
    return rc;
}

/* Adds merged keys: explicit keys win, then earlier sources over later ones. */
static as_status apply_merges(struct reader *r, struct mapping *m)
{
    size_t i, klen;
    const char *key;
    json_t *src, *v;

    json_array_foreach(m->merges, i, src)
    {
        json_object_keylen_foreach(src, key, klen, v)
        {
            if (json_object_getn(m->obj, key, klen))
                continue;
            if (json_object_setn(m->obj, key, klen, v))
                return as_error_set(r->err, AS_E_NOMEM, "parsing YAML: out of memory");
        }
    }
    return AS_OK;
}

/* Parses mapping entries up to MAPPING_END into a new object. */
static as_status parse_mapping(struct reader *r, json_t **out, struct node_info *info)
{
    struct mapping m = {json_object(), json_object(), json_array(), 0};
    yaml_event_t ev;
    as_status rc = (m.obj && m.lines && m.merges) ? AS_OK : AS_E_NOMEM;

    if (rc != AS_OK)
        as_error_set(r->err, rc, "parsing YAML: out of memory");
    while (rc == AS_OK && (rc = next_event(r, &ev)) == AS_OK) {
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        rc = is_merge_key(&ev) ? mapping_merge(r, &m, &ev) : mapping_entry(r, &m, &ev);
    }
    if (rc == AS_OK)
        rc = apply_merges(r, &m);
    json_decref(m.lines);
    json_decref(m.merges);
    if (rc != AS_OK) {
        json_decref(m.obj);
        return rc;
    }
    info->depth = m.depth;
    *out = m.obj;
    return AS_OK;
}

/* Parses a sequence or mapping whose start event is ev (not deleted here). */
static as_status parse_collection(struct reader *r, const yaml_event_t *ev, json_t **out,
                                  struct node_info *info)
{
    as_status rc = enter(r, ev->start_mark);

    if (rc != AS_OK)
        return rc;
    if (ev->type == YAML_SEQUENCE_START_EVENT)
        rc = parse_sequence(r, out, info);
    else
        rc = parse_mapping(r, out, info);
    r->depth--;
    info->depth++;
    return rc;
}

/* The anchor carried by a node event, or NULL. */
static const yaml_char_t *event_anchor(const yaml_event_t *ev)
{
    if (ev->type == YAML_SCALAR_EVENT)
        return ev->data.scalar.anchor;
    if (ev->type == YAML_SEQUENCE_START_EVENT)
        return ev->data.sequence_start.anchor;
    if (ev->type == YAML_MAPPING_START_EVENT)
        return ev->data.mapping_start.anchor;
    return NULL;
}

/*
 * Builds the node that starts with ev (which this function deletes) into a
 * new reference *out, recording its anchor. info reports the nodes produced
 * and the nesting depth inside the node.
 */
static as_status parse_node(struct reader *r, yaml_event_t *ev, json_t **out,
                            struct node_info *info)
{
    size_t before = r->nodes;
    json_t *v = NULL;
    as_status rc;

    info->depth = 0;
    if (ev->type == YAML_ALIAS_EVENT) {
        rc = parse_alias(r, ev, &v, info);
        yaml_event_delete(ev);
        if (rc == AS_OK)
            *out = v;
        return rc;
    }
    rc = count_nodes(r, 1, ev->start_mark);
    if (rc == AS_OK && ev->type == YAML_SCALAR_EVENT)
        rc = scalar_to_json(r, ev, &v);
    else if (rc == AS_OK)
        rc = parse_collection(r, ev, &v, info);
    info->nodes = r->nodes - before;
    if (rc == AS_OK)
        rc = maybe_anchor(r, event_anchor(ev), v, info);
    yaml_event_delete(ev);
    if (rc != AS_OK) {
        json_decref(v);
        return rc;
    }
    *out = v;
    return AS_OK;
}

/* Parses one document after its DOCUMENT_START; appends it to docs unless null. */
static as_status parse_document(struct reader *r, json_t *docs)
{
    struct node_info info = {0, 0};
    yaml_event_t ev;
    json_t *v = NULL;
    as_status rc = next_event(r, &ev);

    if (rc == AS_OK)
        rc = parse_node(r, &ev, &v, &info);
    if (rc == AS_OK)
        rc = next_event(r, &ev);
    if (rc == AS_OK)
        yaml_event_delete(&ev); /* DOCUMENT_END */
    anchors_clear(r);
    if (rc == AS_OK && !json_is_null(v) && json_array_append(docs, v))
        rc = as_error_set(r->err, AS_E_NOMEM, "parsing YAML: out of memory");
    json_decref(v);
    return rc;
}

/* Runs the event loop over the whole stream. */
static as_status parse_stream(struct reader *r, json_t *docs)
{
    yaml_event_t ev;
    as_status rc = AS_OK;
    int done = 0;

    while (!done && (rc = next_event(r, &ev)) == AS_OK) {
        yaml_event_type_t type = ev.type;
        yaml_event_delete(&ev);
        if (type == YAML_DOCUMENT_START_EVENT)
            rc = parse_document(r, docs);
        done = type == YAML_STREAM_END_EVENT;
        if (rc != AS_OK)
            return rc;
    }
    return rc;
}

as_status as_yaml_to_json(const char *data, size_t len, json_t **docs_out, struct as_error *err)
{
    struct reader r;
    json_t *docs = NULL;
    as_status rc;

    if (len > AS_YAML_MAX_INPUT)
        return as_error_set(err, AS_E_LIMIT, "YAML input is %zu bytes; the limit is %u bytes", len,
                            AS_YAML_MAX_INPUT);
    memset(&r, 0, sizeof(r));
    r.data = data ? data : "";
    r.len = len;
    r.err = err;
    if (!yaml_parser_initialize(&r.parser))
        return as_error_set(err, AS_E_NOMEM, "parsing YAML: out of memory");
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)r.data, len);
    docs = json_array();
    rc = docs ? parse_stream(&r, docs) : as_error_set(err, AS_E_NOMEM, "out of memory");
    anchors_clear(&r);
    free(r.anchors);
    yaml_parser_delete(&r.parser);
    if (rc != AS_OK) {
        json_decref(docs);
        return rc;
    }
    *docs_out = docs;
    return AS_OK;
}

as_status as_yaml_to_json_one(const char *data, size_t len, json_t **doc_out, struct as_error *err)
{
    json_t *docs = NULL;
    as_status rc = as_yaml_to_json(data, len, &docs, err);

    if (rc != AS_OK)
        return rc;
    if (json_array_size(docs) != 1) {
        rc = as_error_set(err, AS_E_PARSE,
                          "expected exactly one YAML document, found %zu; split the input",
                          json_array_size(docs));
        json_decref(docs);
        return rc;
    }
    *doc_out = json_incref(json_array_get(docs, 0));
    json_decref(docs);
    return AS_OK;
}
