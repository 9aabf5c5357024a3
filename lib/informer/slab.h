/*
 * slab.h - a segregated allocator for long-lived small blocks (the informer
 * cache's entries). Blocks of up to AS_SLAB_MAX bytes are cut from 64 KiB
 * chunks of their own, by size class (multiples of 64 bytes), instead of
 * from the malloc heap, where they would sit between the short-lived parse
 * trees of list pages and watch events and keep those pages resident after
 * the trees are freed. Blocks take the lowest free slot of a chunk, and a
 * page no live block touches is given back to the system at once, so
 * neither untouched nor emptied pages stay resident; a chunk is unmapped
 * when its last block goes (one empty chunk per class is kept). Larger
 * blocks go to malloc.
 *
 * Thread-safe (one mutex per slab).
 */
#ifndef AS_INFORMER_SLAB_H
#define AS_INFORMER_SLAB_H

#include <stddef.h>

#define AS_SLAB_MAX 2048

struct as_slab;

/* A new slab, or NULL when out of memory. */
struct as_slab *as_slab_new(void);

/* Frees the slab and every chunk (blocks still allocated become invalid). */
void as_slab_free(struct as_slab *s);

/*
 * A block of size bytes (64-byte aligned up to AS_SLAB_MAX, else malloc's; not
 * zeroed), or NULL when out of memory. s NULL: malloc (and release: free).
 */
void *as_slab_alloc(struct as_slab *s, size_t size);

/* Gives back p, allocated with as_slab_alloc(s, size) (the same size). p may be NULL. */
void as_slab_release(struct as_slab *s, void *p, size_t size);

struct as_slab_stats {
    size_t chunks;       /* chunks mapped */
    size_t blocks;       /* blocks allocated from chunks (not counting malloc'd ones) */
    size_t bytes_in_use; /* their slot sizes, summed */
    size_t pages;        /* 4 KiB pages a live block touches (not counting each chunk's first
                            page, which holds its header) */
};

void as_slab_get_stats(struct as_slab *s, struct as_slab_stats *out);

#endif
