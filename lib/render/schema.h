/*
 * schema.h - library-internal: the AppStack's OpenAPI schema, embedded
 * (schema_data.c, generated), and a small structural validator and
 * defaulter over it (schema.c) with the API server's checks: types, enums,
 * patterns, lengths, bounds, required and unknown fields, list-map and set
 * uniqueness. Messages: "<path>: <problem> — <what to do>".
 */
#ifndef AS_RENDER_SCHEMA_H
#define AS_RENDER_SCHEMA_H

#include <jansson.h>

#include "base/status.h"
#include "render/render.h"

extern const char as__render_schema_json[];

/* The parsed openAPIV3Schema, parsed once per process and immutable (borrowed; shared by
 * threads, which only read it), NULL on NOMEM or a broken embed. */
const json_t *as__schema_get(void);

/* Fills in defaults of sub-schema in value (edited in place; wrong types left alone). */
void as__schema_default(const json_t *schema, json_t *value);

/* Appends every violation of value against schema at path to errors. */
void as__schema_validate(const json_t *schema, const json_t *value, const char *path,
                         struct as_field_errors *errors);

#endif
