/*
 * fuzz_httpd_request.c - libFuzzer target for the lib/httpd request-head
 * parser. The first input byte picks the head limit (16 to 4096 bytes), the
 * rest is the stream. Checks: no crash or overread (every parse sees an
 * exactly sized copy), a DONE head ends with LF inside the limit and its
 * method and path point into it, a REJECT carries 400, 431 or 505, MORE only
 * below the limit, and every prefix of the stream gives MORE or the same
 * verdict as the whole (the server re-parses as bytes arrive, so a prefix
 * must never be answered differently).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpd/httpd.h"

/* Parses an exactly sized copy of data[0..len). */
static enum as_httpd_head parse_copy(const uint8_t *data, size_t len, size_t max,
                                     struct as_httpd_request *req, char **copy)
{
    *copy = malloc(len ? len : 1);
    if (!*copy)
        abort();
    if (len)
        memcpy(*copy, data, len);
    return as_httpd_parse_head(*copy, len, max, req);
}

/* Aborts unless req is a consistent verdict for buf[0..len) under max. */
static void check_verdict(enum as_httpd_head r, const struct as_httpd_request *req, const char *buf,
                          size_t len, size_t max)
{
    switch (r) {
    case AS_HTTPD_HEAD_DONE:
        if (req->head_len == 0 || req->head_len > len || req->head_len > max ||
            buf[req->head_len - 1] != '\n' || req->status != 0)
            abort();
        if (req->method < buf || req->method + req->method_len > buf + req->head_len ||
            req->method_len == 0)
            abort();
        /* The path lies in the head, or is the static "/" of an absolute-form target. */
        if (req->path_len == 0 ||
            ((req->path < buf || req->path + req->path_len > buf + req->head_len) &&
             (req->path_len != 1 || req->path[0] != '/')))
            abort();
        if (req->minor < 0 || req->minor > 9)
            abort();
        break;
    case AS_HTTPD_HEAD_REJECT:
        if ((req->status != 400 && req->status != 431 && req->status != 505) || !req->why ||
            as_httpd_reason(req->status)[0] == '\0')
            abort();
        break;
    case AS_HTTPD_HEAD_MORE:
        if (len >= max)
            abort();
        break;
    default:
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct as_httpd_request whole, part;
    enum as_httpd_head rw, rp;
    size_t max, len, cuts[4];
    char *copy = NULL, *pcopy = NULL;

    if (size < 1)
        return 0;
    max = 16 + (size_t)data[0] * 16;
    data++;
    len = size - 1;
    rw = parse_copy(data, len, max, &whole, &copy);
    check_verdict(rw, &whole, copy, len, max);
    cuts[0] = len / 2;
    cuts[1] = len ? len - 1 : 0;
    cuts[2] = whole.head_len ? whole.head_len - 1 : len / 3;
    cuts[3] = len > 0 ? (size_t)data[len - 1] % (len + 1) : 0;
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        rp = parse_copy(data, cuts[i], max, &part, &pcopy);
        check_verdict(rp, &part, pcopy, cuts[i], max);
        if (rp != AS_HTTPD_HEAD_MORE &&
            (rp != rw || part.status != whole.status || part.head_len != whole.head_len ||
             part.keep_alive != whole.keep_alive || part.has_body != whole.has_body))
            abort();
        free(pcopy);
    }
    free(copy);
    return 0;
}
