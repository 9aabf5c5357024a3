/*
 * buf.c - bounded growable byte buffers (see buf.h).
 *
 * Growth doubles the allocation, capped at max + 1 (room for the terminator),
 * so a buffer never allocates more than its limit allows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/buf.h"

#define BUF_MIN_CAP 64

void as_buf_init(struct as_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

/*
 * Makes room for `extra` more bytes plus the terminator. AS_E_LIMIT when
 * len + extra would pass max, AS_E_NOMEM when realloc fails; b is unchanged
 * on failure.
 */
static as_status buf_reserve(struct as_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > b->max || b->len > b->max - extra)
        return AS_E_LIMIT;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return AS_OK;
    cap = b->cap ? b->cap : BUF_MIN_CAP;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    p = realloc(b->data, cap);
    if (!p)
        return AS_E_NOMEM;
    if (!b->data)
        p[0] = '\0';
    b->data = p;
    b->cap = cap;
    return AS_OK;
}

as_status as_buf_append(struct as_buf *b, const void *data, size_t n)
{
    as_status rc = buf_reserve(b, n);

    if (rc != AS_OK)
        return rc;
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return AS_OK;
}

as_status as_buf_append_str(struct as_buf *b, const char *s)
{
    return as_buf_append(b, s, strlen(s));
}

as_status as_buf_appendvf(struct as_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    int n;
    as_status rc;

    va_copy(copy, ap);
    n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0)
        return AS_E_INVALID_ARG;
    rc = buf_reserve(b, (size_t)n);
    if (rc != AS_OK)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return AS_OK;
}

as_status as_buf_appendf(struct as_buf *b, const char *fmt, ...)
{
    va_list ap;
    as_status rc;

    va_start(ap, fmt);
    rc = as_buf_appendvf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void as_buf_consume(struct as_buf *b, size_t n)
{
    if (n >= b->len) {
        as_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

void as_buf_reset(struct as_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *as_buf_steal(struct as_buf *b)
{
    char *out = b->data;

    if (!out) {
        out = malloc(1);
        if (!out)
            return NULL;
        out[0] = '\0';
    }
    as_buf_init(b, b->max);
    return out;
}

void as_buf_free(struct as_buf *b)
{
    free(b->data);
    as_buf_init(b, b->max);
}

void as_buf_wipe_free(struct as_buf *b)
{
    if (b->data)
        as_memwipe(b->data, b->cap);
    as_buf_free(b);
}

void as_memwipe(void *p, size_t n)
{
    if (p && n)
        OPENSSL_cleanse(p, n);
}
