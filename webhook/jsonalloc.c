/*
 * jsonalloc.c - jansson's allocator in the webhook (jsonalloc.h): a
 * per-thread request arena while a scope is open, and otherwise a per-thread
 * small-block cache in front of malloc.
 *
 * The arena: a first chunk of ARENA_FIRST bytes kept from scope to scope,
 * then chunks twice as large as the last (up to ARENA_GROW_MAX), and a chunk
 * of its own for a large block that does not fit; all but the first are
 * freed when the scope ends. A block is a bump of the
 * pointer; freeing one is a range check over the chunks. Under
 * AddressSanitizer every byte of the arena not handed out is poisoned, with
 * a redzone after each block, so overflows and uses after the scope are
 * reported as they are for malloc's blocks.
 *
 * The cache: sixteen size classes of 16 bytes (up to 256), each a LIFO list
 * linked through the blocks themselves; a block's class comes from
 * malloc_usable_size, so any malloc'd block can be taken in.
 *
 * Thread exit: a pthread key whose value is the exiting thread's state hands
 * the cache and the arena back to malloc.
 */
#include "jsonalloc.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "base/json.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define ARENA_REDZONE 16u
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define ARENA_REDZONE 0u
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define CLASSES 16
#define STEP 16
#define ARENA_FIRST (64u * 1024u)
#define ARENA_GROW_MAX (4u * 1024u * 1024u)
#define ARENA_ALIGN 16u           /* malloc's alignment (max_align_t) */
#define ARENA_LARGE (16u * 1024u) /* larger blocks that do not fit get a chunk of their own */

/* One arena chunk; its blocks follow the header. */
struct chunk {
    struct chunk *next;
    size_t size; /* of the whole chunk, header included */
    _Alignas(ARENA_ALIGN) char data[];
};

struct arena {
    struct chunk *first; /* kept between scopes; NULL until the first block */
    struct chunk *extra; /* newest first; freed when the scope ends */
    char *ptr, *end;     /* the free space of the newest chunk */
    size_t grow;         /* size of the next extra chunk */
    unsigned depth;      /* scopes open */
};

struct state {
    void *head[CLASSES];
    unsigned n[CLASSES];
    size_t bytes;
    struct arena arena;
    bool registered; /* the exit hook knows this thread's state */
};

static _Thread_local struct state tc;
static atomic_size_t flushed_bytes; /* only touched when a thread exits */
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static char *chunk_end(struct chunk *c)
{
    return (char *)c + c->size;
}

/* Hands every cached block and every arena chunk of c back to malloc. */
static void flush(struct state *c)
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
    while (c->arena.extra != NULL) {
        struct chunk *x = c->arena.extra;
        c->arena.extra = x->next;
        free(x);
    }
    free(c->arena.first);
    c->arena = (struct arena){0};
    c->registered = false;
}

static void on_thread_exit(void *state)
{
    flush(state);
}

static void make_exit_key(void)
{
    pthread_key_create(&exit_key, on_thread_exit);
}

/* Registers this thread's state for flushing at exit; false when that failed. */
static bool register_thread(void)
{
    pthread_once(&exit_once, make_exit_key);
    tc.registered = pthread_setspecific(exit_key, &tc) == 0;
    return tc.registered;
}

/* Points the arena at the free space of c. */
static void arena_use(struct arena *a, struct chunk *c)
{
    a->ptr = c->data;
    a->end = chunk_end(c);
}

/* A chunk of size bytes, all poisoned; NULL when malloc fails. */
static struct chunk *chunk_new(size_t size)
{
    struct chunk *c = malloc(size);

    if (c == NULL)
        return NULL;
    c->next = NULL;
    c->size = size;
    POISON(c->data, size - sizeof(struct chunk));
    return c;
}

/* Links c among the chunks freed when the scope ends. */
static void add_extra(struct arena *a, struct chunk *c)
{
    c->next = a->extra;
    a->extra = c;
}

/*
 * Makes room for need bytes: the kept first chunk on the first use, else a
 * new chunk twice as large as the last. false when malloc fails.
 */
static bool arena_grow(struct arena *a, size_t need)
{
    struct chunk *c;
    size_t size;

    if (!tc.registered && !register_thread())
        return false;
    if (a->first == NULL) {
        if ((a->first = chunk_new(ARENA_FIRST)) == NULL)
            return false;
        a->grow = 2 * ARENA_FIRST;
        arena_use(a, a->first);
        if ((size_t)(a->end - a->ptr) >= need)
            return true;
    }
    size = a->grow;
    if (size - sizeof(struct chunk) < need)
        size = sizeof(struct chunk) + need;
    if ((c = chunk_new(size)) == NULL)
        return false;
    add_extra(a, c);
    if (a->grow < ARENA_GROW_MAX)
        a->grow *= 2;
    arena_use(a, c);
    return true;
}

static void *arena_alloc(struct arena *a, size_t n)
{
    size_t need;
    char *p;

    if (n > SIZE_MAX / 2)
        return NULL;
    need = (n + ARENA_REDZONE + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if ((size_t)(a->end - a->ptr) < need) {
        if (need > ARENA_LARGE && a->first != NULL) {
            /* a chunk of its own: the current one keeps serving small blocks */
            struct chunk *c = chunk_new(sizeof(struct chunk) + need);
            if (c == NULL)
                return NULL;
            add_extra(a, c);
            UNPOISON(c->data, n);
            return c->data;
        }
        if (!arena_grow(a, need))
            return NULL;
    }
    p = a->ptr;
    a->ptr += need;
    UNPOISON(p, n);
    return p;
}

/* True when p is a block of the calling thread's arena. */
static bool arena_has(const struct arena *a, const void *p)
{
    const char *q = p;

    if (a->first != NULL && q >= a->first->data && q < chunk_end(a->first))
        return true;
    for (struct chunk *c = a->extra; c != NULL; c = c->next)
        if (q >= c->data && q < chunk_end(c))
            return true;
    return false;
}

void as_jsonalloc_scope_begin(void)
{
    struct arena *a = &tc.arena;

    if (a->depth++ == 0 && a->first != NULL)
        arena_use(a, a->first);
}

void as_jsonalloc_scope_end(void)
{
    struct arena *a = &tc.arena;

    if (a->depth == 0 || --a->depth > 0)
        return;
    while (a->extra != NULL) {
        struct chunk *c = a->extra;
        a->extra = c->next;
        free(c);
    }
    a->grow = 2 * ARENA_FIRST;
    if (a->first != NULL) {
        POISON(a->first->data, a->first->size - sizeof(struct chunk));
        arena_use(a, a->first);
    }
}

bool as_jsonalloc_scoped(const void *p)
{
    return p != NULL && tc.arena.depth > 0 && arena_has(&tc.arena, p);
}

void *as_jsonalloc_malloc(size_t n)
{
    unsigned k;
    void *p;

    if (n == 0)
        n = 1;
    if (tc.arena.depth > 0 && as_json_long_lived_depth() == 0)
        return arena_alloc(&tc.arena, n);
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
    if (tc.arena.depth > 0 && arena_has(&tc.arena, p))
        return; /* released with the scope */
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

size_t as_jsonalloc_arena_bytes(void)
{
    size_t n = tc.arena.first != NULL ? tc.arena.first->size : 0;

    for (struct chunk *c = tc.arena.extra; c != NULL; c = c->next)
        n += c->size;
    return n;
}

size_t as_jsonalloc_flushed_bytes(void)
{
    return atomic_load(&flushed_bytes);
}
