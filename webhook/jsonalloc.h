/*
 * jsonalloc.h - jansson's allocator in the webhook (json_set_alloc_funcs):
 * a per-thread arena for the JSON of one request, and a per-thread cache of
 * freed small blocks in front of malloc for everything else.
 *
 * The request arena: between as_jsonalloc_scope_begin and _end, jansson's
 * allocations on the calling thread are bumps of a pointer in per-thread
 * chunks, freeing one of them does nothing, and _end releases them all at
 * once. A decoded review is then dropped without walking its tree
 * (as_jsonalloc_scoped). The rules inside a scope: nothing jansson allocates
 * may outlive it (a process-wide cache filled on first use brackets itself
 * with as_json_long_lived_begin/_end, base/json.h), and text jansson returns
 * must not reach free() (as_json_dumps instead of json_dumps; hack/lint
 * refuses json_dumps).
 *
 * Why: a review is parsed into about a thousand small jansson nodes that are
 * all freed a few microseconds later. Allocating them from an arena and
 * dropping the tree without a walk took 14% off the instructions of a
 * decision (callgrind, docs/benchmarks.md).
 *
 * The cache, outside a scope (the policy watch, the certificate thread): glibc
 * keeps only 7 freed blocks per size in its per-thread cache; the rest go
 * through its slower bins and periodic consolidation. Here freed blocks of up
 * to 256 bytes wait in per-thread free lists (a bounded number and bytes per
 * thread). Every such block comes from malloc and can be released with
 * free(), and blocks allocated before installation may be freed through the
 * cache. A thread's cache and arena go back to malloc when the thread exits.
 */
#ifndef AS_WEBHOOK_JSONALLOC_H
#define AS_WEBHOOK_JSONALLOC_H

#include <stdbool.h>
#include <stddef.h>

/* Most blocks kept per size class, and most bytes kept, per thread. */
#define AS_JSONALLOC_CLASS_MAX 1024
#define AS_JSONALLOC_THREAD_BYTES (256u * 1024u)

/* Makes jansson allocate through this (process-wide; call once, early). */
void as_jsonalloc_install(void);

/*
 * Opens a request scope on the calling thread (they nest: the outermost
 * _end releases). The first chunk (64 KiB) stays for the next scope; larger
 * requests take more chunks, freed at _end.
 */
void as_jsonalloc_scope_begin(void);
void as_jsonalloc_scope_end(void);

/* True when p is a block of the calling thread's open scope (released by its _end). */
bool as_jsonalloc_scoped(const void *p);

/* The allocator itself (exposed for tests). */
void *as_jsonalloc_malloc(size_t n);
void as_jsonalloc_free(void *p);

/*
 * Bytes waiting in the calling thread's cache. (There is no process-wide
 * total: keeping one with an atomic counter cost a tenth of the webhook's CPU
 * under load, measured with perf.)
 */
size_t as_jsonalloc_thread_bytes(void);
/* Bytes of arena chunks the calling thread holds. */
size_t as_jsonalloc_arena_bytes(void);
/* Bytes that exiting threads handed back to malloc so far (all threads). */
size_t as_jsonalloc_flushed_bytes(void);

#endif
