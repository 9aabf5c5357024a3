/*
 * jsonalloc.h - a per-thread cache of freed small blocks in front of malloc,
 * installed as jansson's allocator (json_set_alloc_funcs) by the webhook.
 *
 * Why: a review is parsed into about a thousand small jansson nodes that are
 * all freed a few microseconds later. glibc keeps only 7 freed blocks per size
 * in its per-thread cache; the rest go through its slower bins and periodic
 * consolidation, which was a quarter of the webhook's CPU per review. Here the
 * freed blocks of up to 256 bytes wait in per-thread free lists (a bounded
 * number and bytes per thread) and serve the next review's allocations.
 *
 * Every block still comes from malloc and can be released with free(): code
 * that frees what jansson returned (json_dumps) keeps working, and blocks
 * allocated before installation may be freed through the cache. A thread's
 * cache is handed back to malloc when the thread exits.
 */
#ifndef AS_WEBHOOK_JSONALLOC_H
#define AS_WEBHOOK_JSONALLOC_H

#include <stddef.h>

/* Most blocks kept per size class, and most bytes kept, per thread. */
#define AS_JSONALLOC_CLASS_MAX 1024
#define AS_JSONALLOC_THREAD_BYTES (256u * 1024u)

/* Makes jansson allocate through the cache (process-wide; call once, early). */
void as_jsonalloc_install(void);

/* The allocator itself (exposed for tests). */
void *as_jsonalloc_malloc(size_t n);
void as_jsonalloc_free(void *p);

/*
 * Bytes waiting in the calling thread's cache. (There is no process-wide
 * total: keeping one with an atomic counter cost a tenth of the webhook's CPU
 * under load, measured with perf.)
 */
size_t as_jsonalloc_thread_bytes(void);
/* Bytes that exiting threads handed back to malloc so far (all threads). */
size_t as_jsonalloc_flushed_bytes(void);

#endif
