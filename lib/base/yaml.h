/*
 * yaml.h - YAML documents to JSON values and back, over libyaml.
 *
 * Input: any number of documents ("---" separated); aliases are resolved
 * (with a cap on total expanded nodes, against "billion laughs"); plain
 * scalars are typed as kubectl's YAML reader types them (null, booleans,
 * integers, floats, otherwise strings); quoted scalars are always strings.
 * Mapping keys must be scalars. Empty documents are skipped.
 * Errors carry "line L, column C: ..." (1-based).
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

/*
 * Parses len bytes of YAML into *docs_out, a new JSON array with one element
 * per non-empty document (caller owns). On failure *docs_out is untouched and
 * err says where and what.
 */
as_status as_yaml_to_json(const char *data, size_t len, json_t **docs_out, struct as_error *err);

/* Parses exactly one document (AS_E_PARSE when there are none or several). Caller owns. */
as_status as_yaml_to_json_one(const char *data, size_t len, json_t **doc_out,
                              struct as_error *err);

/* Appends v as one YAML document (no leading "---") to out. */
as_status as_json_to_yaml(const json_t *v, struct as_buf *out);

#endif
