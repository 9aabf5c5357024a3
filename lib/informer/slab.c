/*
 * slab.c - size-class chunks for long-lived blocks (see slab.h). A chunk is
 * 64 KiB, aligned to 64 KiB, so a block finds its chunk by masking its
 * address; the chunk's header holds its class, its free list and the bump
 * offset up to which it has been carved.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "informer/slab.h"

/* Under AddressSanitizer, freed and never-carved slots are poisoned: a use after free of a block
 * is reported as it would be for malloc. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define CHUNK_SIZE ((size_t)64 * 1024)
#define GRAIN 64
#define CLASSES (AS_SLAB_MAX / GRAIN)
#define HEADER GRAIN /* the chunk header's room at the start of the chunk */

struct chunk {
    struct chunk *prev, *next; /* in its class's list of chunks with room */
    void *free;                /* freed slots, linked through their first word */
    size_t bump;               /* offset of the first never-used byte */
    unsigned used;             /* slots allocated */
    unsigned cls;
    int listed; /* in the class's list */
};

_Static_assert(sizeof(struct chunk) <= HEADER, "chunk header too large");

struct as_slab {
    pthread_mutex_t lock;
    struct chunk *room[CLASSES];  /* chunks of each class with a free or never-used slot */
    struct chunk *empty[CLASSES]; /* one kept empty chunk per class, or NULL */
    struct as_slab_stats st;
};

static size_t slot_size(unsigned cls)
{
    return (size_t)(cls + 1) * GRAIN;
}

static struct chunk *chunk_of(const void *p)
{
    return (struct chunk *)((uintptr_t)p & ~(uintptr_t)(CHUNK_SIZE - 1));
}

/* A new aligned chunk of class cls (mapped, not touched beyond its header), or NULL. */
static struct chunk *chunk_map(unsigned cls)
{
    char *raw =
        mmap(NULL, 2 * CHUNK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uintptr_t start, end;
    struct chunk *c;

    if (raw == MAP_FAILED)
        return NULL;
    start = ((uintptr_t)raw + CHUNK_SIZE - 1) & ~(uintptr_t)(CHUNK_SIZE - 1);
    end = start + CHUNK_SIZE;
    if (start > (uintptr_t)raw)
        munmap(raw, start - (uintptr_t)raw);
    if ((uintptr_t)raw + 2 * CHUNK_SIZE > end)
        munmap((void *)end, (uintptr_t)raw + 2 * CHUNK_SIZE - end);
    c = (struct chunk *)start;
    *c = (struct chunk){.bump = HEADER, .cls = cls};
    POISON((char *)c + HEADER, CHUNK_SIZE - HEADER);
    return c;
}

/* Unmaps a chunk (its poison is lifted first: the addresses may be mapped again). */
static void unmap(struct chunk *c)
{
    UNPOISON((char *)c + HEADER, CHUNK_SIZE - HEADER);
    munmap(c, CHUNK_SIZE);
}

static void unlist(struct as_slab *s, struct chunk *c)
{
    if (!c->listed)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->room[c->cls] = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    c->listed = 0;
}

static void list(struct as_slab *s, struct chunk *c)
{
    if (c->listed)
        return;
    c->prev = NULL;
    c->next = s->room[c->cls];
    if (c->next)
        c->next->prev = c;
    s->room[c->cls] = c;
    c->listed = 1;
}

struct as_slab *as_slab_new(void)
{
    struct as_slab *s = calloc(1, sizeof(*s));

    if (s)
        pthread_mutex_init(&s->lock, NULL);
    return s;
}

void as_slab_free(struct as_slab *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < CLASSES; i++) {
        struct chunk *c, *next;
        for (c = s->room[i]; c; c = next) {
            next = c->next;
            unmap(c);
        }
        if (s->empty[i])
            unmap(s->empty[i]);
    }
    /* full chunks are in no list: they still hold blocks, which the caller gave up */
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void *as_slab_alloc(struct as_slab *s, size_t size)
{
    unsigned cls;
    struct chunk *c;
    void *p;
    size_t sz;

    if (!s || size == 0 || size > AS_SLAB_MAX)
        return malloc(size ? size : 1);
    cls = (unsigned)((size - 1) / GRAIN);
    sz = slot_size(cls);
    pthread_mutex_lock(&s->lock);
    if (!(c = s->room[cls])) {
        if ((c = s->empty[cls]) != NULL)
            s->empty[cls] = NULL;
        else if ((c = chunk_map(cls)) != NULL)
            s->st.chunks++;
        if (!c) {
            pthread_mutex_unlock(&s->lock);
            return NULL;
        }
        list(s, c);
    }
    if (c->free) {
        p = c->free;
        UNPOISON(p, sizeof(void *));
        c->free = *(void **)p;
    } else {
        p = (char *)c + c->bump;
        c->bump += sz;
    }
    c->used++;
    if (!c->free && c->bump + sz > CHUNK_SIZE)
        unlist(s, c); /* full */
    s->st.blocks++;
    s->st.bytes_in_use += sz;
    UNPOISON(p, size);
    pthread_mutex_unlock(&s->lock);
    return p;
}

void as_slab_release(struct as_slab *s, void *p, size_t size)
{
    struct chunk *c;

    if (!p)
        return;
    if (!s || size == 0 || size > AS_SLAB_MAX) {
        free(p);
        return;
    }
    c = chunk_of(p);
    pthread_mutex_lock(&s->lock);
    UNPOISON(p, slot_size(c->cls));
    *(void **)p = c->free;
    c->free = p;
    POISON(p, slot_size(c->cls)); /* the free-list link is read unpoisoned, under the lock */
    c->used--;
    s->st.blocks--;
    s->st.bytes_in_use -= slot_size(c->cls);
    if (c->used == 0) {
        unlist(s, c);
        if (!s->empty[c->cls]) { /* keep one, reset: its pages are given back */
            UNPOISON((char *)c + HEADER, CHUNK_SIZE - HEADER);
            madvise((char *)c + HEADER, CHUNK_SIZE - HEADER, MADV_DONTNEED);
            *c = (struct chunk){.bump = HEADER, .cls = c->cls};
            POISON((char *)c + HEADER, CHUNK_SIZE - HEADER);
            s->empty[c->cls] = c;
        } else {
            unmap(c);
            s->st.chunks--;
        }
    } else {
        list(s, c);
    }
    pthread_mutex_unlock(&s->lock);
}

void as_slab_get_stats(struct as_slab *s, struct as_slab_stats *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->st;
    pthread_mutex_unlock(&s->lock);
}
