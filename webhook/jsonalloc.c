/*
 * jsonalloc.c - the per-thread small-block cache of jsonalloc.h: sixteen
 * size classes of 16 bytes (up to 256), each a LIFO list linked through the
 * blocks themselves; a block's class comes from malloc_usable_size, so any
 * malloc'd block can be taken in. Thread-exit flushing goes through a
 * pthread key whose value is the exiting thread's cache.
 */
#include "jsonalloc.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include <jansson.h>

#define CLASSES 16
#define STEP 16

struct cache {
    void *head[CLASSES];
    unsigned n[CLASSES];
    size_t bytes;
    bool registered; /* the exit hook knows this thread's cache */
};

static _Thread_local struct cache tc;
static atomic_size_t flushed_bytes; /* only touched when a thread exits */
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

/* Hands every cached block of c back to malloc. */
static void flush(struct cache *c)
{
    for (int k = 0; k < CLASSES; k++) {
        while (c->head[k] != NULL) {
            void *p = c->head[k];
            c->head[k] = *(void **)p;
            free(p);
        }
        c->n[k] = 0;
    }
    atomic_fetch_add(&flushed_bytes, c->bytes);
    c->bytes = 0;
    c->registered = false;
}

static void on_thread_exit(void *cache)
{
    flush(cache);
}

static void make_exit_key(void)
{
    pthread_key_create(&exit_key, on_thread_exit);
}

/* Registers this thread's cache for flushing at exit; false when that failed. */
static bool register_thread(void)
{
    pthread_once(&exit_once, make_exit_key);
    tc.registered = pthread_setspecific(exit_key, &tc) == 0;
    return tc.registered;
}

void *as_jsonalloc_malloc(size_t n)
{
    unsigned k;
    void *p;

    if (n == 0)
        n = 1;
    if (n > CLASSES * STEP)
        return malloc(n);
    k = (unsigned)((n - 1) / STEP);
    p = tc.head[k];
    if (p == NULL)
        return malloc((size_t)(k + 1) * STEP); /* the class size, so it comes back here */
    tc.head[k] = *(void **)p;
    tc.n[k]--;
    tc.bytes -= (size_t)(k + 1) * STEP;
    return p;
}

void as_jsonalloc_free(void *p)
{
    size_t u, size;
    unsigned k;

    if (p == NULL)
        return;
    u = malloc_usable_size(p);
    if (u < STEP || u / STEP > CLASSES) {
        free(p);
        return;
    }
    k = (unsigned)(u / STEP - 1); /* every block here holds at least (k + 1) * STEP bytes */
    size = (size_t)(k + 1) * STEP;
    if (tc.n[k] >= AS_JSONALLOC_CLASS_MAX || tc.bytes + size > AS_JSONALLOC_THREAD_BYTES ||
        (!tc.registered && !register_thread())) {
        free(p);
        return;
    }
    *(void **)p = tc.head[k];
    tc.head[k] = p;
    tc.n[k]++;
    tc.bytes += size;
}

void as_jsonalloc_install(void)
{
    json_set_alloc_funcs(as_jsonalloc_malloc, as_jsonalloc_free);
}

size_t as_jsonalloc_thread_bytes(void)
{
    return tc.bytes;
}

size_t as_jsonalloc_flushed_bytes(void)
{
    return atomic_load(&flushed_bytes);
}
