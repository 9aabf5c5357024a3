/*
 * buf.h - bounded growable byte buffers.
 *
 * Every buffer is created with a maximum size; an append that would pass it
 * fails with AS_E_LIMIT and leaves the buffer unchanged, so hostile input hits
 * a limit rather than the heap. The contents are always NUL-terminated (the
 * terminator is not counted in len and not counted against max).
 */
#ifndef AS_BASE_BUF_H
#define AS_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "base/status.h"

struct as_buf {
    char *data; /* owned; NULL until the first append; always NUL-terminated after */
    size_t len; /* bytes used, excluding the terminator */
    size_t cap; /* bytes allocated */
    size_t max; /* largest len allowed */
};

/* Initialises an empty buffer that may hold at most max bytes. Allocates nothing. */
void as_buf_init(struct as_buf *b, size_t max);

/* Appends n bytes. AS_E_LIMIT past max, AS_E_NOMEM; on failure b is unchanged. */
as_status as_buf_append(struct as_buf *b, const void *data, size_t n);
as_status as_buf_append_str(struct as_buf *b, const char *s);
as_status as_buf_appendf(struct as_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
as_status as_buf_appendvf(struct as_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Removes the first n bytes (n > len empties it), keeping the allocation. */
void as_buf_consume(struct as_buf *b, size_t n);

/* Empties the buffer, keeping the allocation and the max. */
void as_buf_reset(struct as_buf *b);

/*
 * Hands the contents to the caller (caller owns, free()) and re-initialises b
 * empty with the same max. Returns an allocated "" for an empty buffer; NULL
 * only when out of memory.
 */
char *as_buf_steal(struct as_buf *b);

/* Frees the storage. as_buf_wipe_free first overwrites it (for secrets). */
void as_buf_free(struct as_buf *b);
void as_buf_wipe_free(struct as_buf *b);

/* Overwrites n bytes in a way the compiler may not optimise away (OPENSSL_cleanse). */
void as_memwipe(void *p, size_t n);

#endif
