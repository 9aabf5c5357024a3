/*
 * slab.c - size-class chunks for long-lived blocks (see slab.h). A chunk is
 * 64 KiB, aligned to 64 KiB, so a block finds its chunk by masking its
 * address. The chunk's header holds its class, a bitmap of free slots and,
 * for each 4 KiB page, how many live slots touch it: a page no live slot
 * touches is given back to the system (MADV_DONTNEED) at once, so memory
 * freed between live blocks does not stay resident. Allocation takes the
 * lowest free slot, which keeps live blocks packed towards the chunk's start.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "informer/slab.h"

/* Under AddressSanitizer, freed and unused slots are poisoned: a use after release of a block
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
#define PAGE ((size_t)4096)
#define PAGES (CHUNK_SIZE / PAGE)
#define GRAIN 64
#define CLASSES (AS_SLAB_MAX / GRAIN)
#define HEADER 256 /* the chunk header's room at the start of the chunk (in page 0) */
#define MAX_SLOTS ((CHUNK_SIZE - HEADER) / GRAIN)
#define WORDS ((MAX_SLOTS + 63) / 64)

struct chunk {
    struct chunk *prev, *next; /* in its class's list of chunks with a free slot */
    unsigned cls, used, slots; /* size class, slots allocated, slots in the chunk */
    int listed;                /* in the class's list */
    uint16_t page_used[PAGES]; /* live slots touching each page */
    uint64_t free_bits[WORDS]; /* 1: slot free */
};

_Static_assert(sizeof(struct chunk) <= HEADER, "chunk header too large");

struct as_slab {
    pthread_mutex_t lock;
    struct chunk *room[CLASSES];  /* chunks of each class with a free slot */
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

/* Sets c up as an empty chunk of class cls (its slot pages untouched and poisoned). */
static void chunk_reset(struct chunk *c, unsigned cls)
{
    memset(c, 0, sizeof(*c));
    c->cls = cls;
    c->slots = (unsigned)((CHUNK_SIZE - HEADER) / slot_size(cls));
    for (unsigned i = 0; i < c->slots; i++)
        c->free_bits[i / 64] |= (uint64_t)1 << (i % 64);
    POISON((char *)c + HEADER, CHUNK_SIZE - HEADER);
}

/* A new aligned chunk of class cls (mapped; only its header page touched), or NULL. */
static struct chunk *chunk_map(unsigned cls)
{
    char *raw =
        mmap(NULL, 2 * CHUNK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uintptr_t start, end;

    if (raw == MAP_FAILED)
        return NULL;
    start = ((uintptr_t)raw + CHUNK_SIZE - 1) & ~(uintptr_t)(CHUNK_SIZE - 1);
    end = start + CHUNK_SIZE;
    if (start > (uintptr_t)raw)
        munmap(raw, start - (uintptr_t)raw);
    if ((uintptr_t)raw + 2 * CHUNK_SIZE > end)
        munmap((void *)end, (uintptr_t)raw + 2 * CHUNK_SIZE - end);
    chunk_reset((struct chunk *)start, cls);
    return (struct chunk *)start;
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

/* The first and last page slot i of c touches. */
static void slot_pages(const struct chunk *c, unsigned i, size_t *first, size_t *last)
{
    size_t off = HEADER + (size_t)i * slot_size(c->cls);

    *first = off / PAGE;
    *last = (off + slot_size(c->cls) - 1) / PAGE;
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

/* Takes the lowest free slot of c (which has one); returns it. */
static void *take_slot(struct as_slab *s, struct chunk *c)
{
    unsigned w = 0, i;
    size_t first, last;

    while (c->free_bits[w] == 0)
        w++;
    i = w * 64 + (unsigned)__builtin_ctzll(c->free_bits[w]);
    c->free_bits[w] &= ~((uint64_t)1 << (i % 64));
    slot_pages(c, i, &first, &last);
    for (size_t p = first; p <= last; p++)
        if (c->page_used[p]++ == 0 && p > 0)
            s->st.pages++;
    c->used++;
    return (char *)c + HEADER + (size_t)i * slot_size(c->cls);
}

void *as_slab_alloc(struct as_slab *s, size_t size)
{
    unsigned cls;
    struct chunk *c;
    void *p;

    if (!s || size == 0 || size > AS_SLAB_MAX)
        return malloc(size ? size : 1);
    cls = (unsigned)((size - 1) / GRAIN);
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
    p = take_slot(s, c);
    if (c->used == c->slots)
        unlist(s, c); /* full */
    s->st.blocks++;
    s->st.bytes_in_use += slot_size(cls);
    UNPOISON(p, size);
    pthread_mutex_unlock(&s->lock);
    return p;
}

void as_slab_release(struct as_slab *s, void *p, size_t size)
{
    struct chunk *c;
    unsigned i;
    size_t first, last, sz;

    if (!p)
        return;
    if (!s || size == 0 || size > AS_SLAB_MAX) {
        free(p);
        return;
    }
    c = chunk_of(p);
    pthread_mutex_lock(&s->lock);
    sz = slot_size(c->cls);
    i = (unsigned)(((char *)p - (char *)c - HEADER) / sz);
    POISON(p, sz);
    c->free_bits[i / 64] |= (uint64_t)1 << (i % 64);
    c->used--;
    s->st.blocks--;
    s->st.bytes_in_use -= sz;
    slot_pages(c, i, &first, &last);
    for (size_t pg = first; pg <= last; pg++)
        if (--c->page_used[pg] == 0 && pg > 0) { /* no live slot on it: give it back */
            madvise((char *)c + pg * PAGE, PAGE, MADV_DONTNEED);
            s->st.pages--;
        }
    if (c->used == 0) {
        unlist(s, c);
        if (!s->empty[c->cls]) { /* keep one; its slot pages are already given back */
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
