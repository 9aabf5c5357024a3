/*
 * yaml.h - YAML documents to JSON values and back, over libyaml.
 *
 * Input: any number of documents ("---" separated); aliases are resolved
 * (with a cap on total expanded nodes, against "billion laughs"); plain
 * scalars are typed as kubectl's YAML reader types them (null, booleans,
 * integers, floats, otherwise strings); quoted scalars are always strings.
 * Mapping keys must be scalars (non-string keys become their JSON text,
 * as kubectl does: `1: a` gives {"1":"a"}); duplicate keys are errors.
 * Merge keys ("<<: *base", "<<: [*a, *b]") are supported: keys written in
 * the mapping win, then earlier merge sources over later ones. Tags !!str,
 * !!int, !!float, !!bool and !!null are honoured; other tags leave the
 * scalar a string. .inf/.nan are errors (JSON cannot hold them). Empty
 * (null) documents are skipped. Errors carry "line L, column C: ..." (1-based).
 *
 * Output: block-style YAML with keys in sorted order; strings that would read
 * back as another type are quoted, so as_yaml_to_json(as_json_to_yaml(v)) == v.
 */
#ifndef AS_BASE_YAML_H
#define AS_BASE_YAML_H

#include <stddef.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/status.h"

/* Largest input accepted, and the cap on nodes produced after alias expansion. */
#define AS_YAML_MAX_INPUT (16u * 1024u * 1024u)
#define AS_YAML_MAX_NODES 1000000u
/* Deepest nesting of sequences and mappings accepted (and emitted), against stack exhaustion. */
#define AS_YAML_MAX_DEPTH 512u

/*
 * Parses len bytes of YAML into *docs_out, a new JSON array with one element
 * per non-empty document (caller owns). On failure *docs_out is untouched and
 * err says where and what.
 */
as_status as_yaml_to_json(const char *data, size_t len, json_t **docs_out, struct as_error *err);

/* Parses exactly one document (AS_E_PARSE when there are none or several). Caller owns. */
as_status as_yaml_to_json_one(const char *data, size_t len, json_t **doc_out, struct as_error *err);

/*
 * Appends v as one YAML document (no leading "---") to out. AS_E_LIMIT when
 * out's max is reached or v nests deeper than AS_YAML_MAX_DEPTH; on failure
 * out keeps its previous contents. A null v is written as "null", which
 * as_yaml_to_json reads as an empty document.
 */
as_status as_json_to_yaml(const json_t *v, struct as_buf *out);

#endif
