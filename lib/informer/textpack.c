/*
 * textpack.c - raw deflate with a preset dictionary (see textpack.h). An
 * 8 KiB window and memLevel 6 keep each pack's zlib state near 64 KiB,
 * allocated for the call and freed after it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#include "informer/textpack.h"

#define WINDOW_BITS (-13) /* raw deflate (no zlib header), 8 KiB window */
#define MEM_LEVEL 6

as_status as_textpack_pack(const char *text, size_t len, unsigned char **out, size_t *out_len)
{
    z_stream z = {0};
    unsigned char *buf;
    uLong bound;
    int rc;

    *out = NULL;
    *out_len = 0;
    if (len > (size_t)UINT32_MAX / 2)
        return AS_E_LIMIT;
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, WINDOW_BITS, MEM_LEVEL,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return AS_E_NOMEM;
    if (deflateSetDictionary(&z, as_textpack_dict, (uInt)as_textpack_dict_len) != Z_OK) {
        deflateEnd(&z);
        return AS_E_IO;
    }
    bound = deflateBound(&z, (uLong)len);
    if (!(buf = malloc(bound))) {
        deflateEnd(&z);
        return AS_E_NOMEM;
    }
    z.next_in = (Bytef *)(uintptr_t)text;
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = (uInt)bound;
    rc = deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(buf);
        *out_len = 0;
        return AS_E_IO;
    }
    *out = buf;
    return AS_OK;
}

json_t *as_textpack_load(const unsigned char *packed, size_t len, size_t text_len)
{
    z_stream z = {0};
    char *text;
    json_t *obj = NULL;
    int rc;

    if (len > (size_t)UINT32_MAX || text_len > (size_t)UINT32_MAX || !(text = malloc(text_len + 1)))
        return NULL;
    if (inflateInit2(&z, WINDOW_BITS) != Z_OK) {
        free(text);
        return NULL;
    }
    /* raw inflate takes the dictionary before the first byte */
    if (inflateSetDictionary(&z, as_textpack_dict, (uInt)as_textpack_dict_len) == Z_OK) {
        z.next_in = (Bytef *)(uintptr_t)packed;
        z.avail_in = (uInt)len;
        z.next_out = (Bytef *)text;
        z.avail_out = (uInt)text_len + 1; /* one spare byte: a longer text is an error */
        rc = inflate(&z, Z_FINISH);
        if (rc == Z_STREAM_END && z.total_out == text_len)
            obj = json_loadb(text, text_len, 0, NULL);
    }
    inflateEnd(&z);
    free(text);
    return obj;
}
