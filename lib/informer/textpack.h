/*
 * textpack.h - compact JSON text packed for keeping in memory: raw deflate
 * (zlib) with a preset dictionary of typical Kubernetes objects
 * (textpack_dict.c), about 4 times smaller than the text for the objects an
 * AppStack owns (2.3 times without the dictionary). The compact informer
 * cache keeps every object this way and unpacks it on each read.
 *
 * Pure apart from allocation; any thread. The packed bytes are only ever
 * unpacked by this module (they are not an exchange format).
 */
#ifndef AS_INFORMER_TEXTPACK_H
#define AS_INFORMER_TEXTPACK_H

#include <stddef.h>

#include <jansson.h>

#include "base/status.h"

/* The dictionary (textpack_dict.c) and its length. */
extern const unsigned char as_textpack_dict[];
extern const size_t as_textpack_dict_len;

/*
 * Packs text[0..len). *out (malloc'd; the caller frees) and *out_len
 * receive the packed bytes. AS_E_NOMEM; AS_E_IO if zlib fails (not expected).
 */
as_status as_textpack_pack(const char *text, size_t len, unsigned char **out, size_t *out_len);

/*
 * The JSON value of packed bytes made by as_textpack_pack from a text of
 * text_len bytes (new ref), or NULL when out of memory or when the bytes do
 * not unpack to exactly text_len bytes of JSON.
 */
json_t *as_textpack_load(const unsigned char *packed, size_t len, size_t text_len);

#endif
