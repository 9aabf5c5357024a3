/*
 * fuzz_watch_framer.c - libFuzzer target for the watch stream framer and the
 * event decoder. The input is split into chunks at positions taken from its
 * first bytes, so chunk boundaries are fuzzed too; every emitted line is
 * decoded. Checks: no crash, no line longer than the limit is emitted, and
 * the lines emitted equal those of feeding the same stream in one chunk.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/watch_framer.h"

#define FUZZ_MAX_LINE 256

struct sink {
    unsigned long lines;
    unsigned long hash;
};

static as_status on_line(const char *line, size_t len, void *p)
{
    struct sink *s = p;
    enum as_kube_watch_type type;
    json_t *obj = NULL;

    if (len > FUZZ_MAX_LINE || len == 0)
        abort();
    s->lines++;
    for (size_t i = 0; i < len; i++)
        s->hash = s->hash * 31 + (unsigned char)line[i];
    if (as_watch_event_decode(line, len, &type, &obj, NULL) == AS_OK) {
        if (!json_is_object(obj) || !as_kube_watch_type_name(type))
            abort();
        json_decref(obj);
    }
    return AS_OK;
}

/* Feeds data in chunks whose sizes come from steps[]; returns the final status. */
static as_status feed(const uint8_t *data, size_t len, const uint8_t *steps, size_t nsteps,
                      struct sink *s)
{
    struct as_watch_framer f;
    size_t off = 0, k = 0;
    as_status st = AS_OK;

    as_watch_framer_init(&f, FUZZ_MAX_LINE);
    while (off < len && st == AS_OK) {
        size_t n = nsteps ? (size_t)steps[k++ % nsteps] + 1 : len;
        if (n > len - off)
            n = len - off;
        st = as_watch_framer_feed(&f, (const char *)data + off, n, on_line, s, NULL);
        off += n;
    }
    as_watch_framer_free(&f);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sink whole = {0, 0}, chunked = {0, 0};
    size_t nsteps = size > 0 ? data[0] % 8 : 0;
    as_status a, b;

    if (size < 1 + nsteps)
        return 0;
    a = feed(data + 1 + nsteps, size - 1 - nsteps, NULL, 0, &whole);
    b = feed(data + 1 + nsteps, size - 1 - nsteps, data + 1, nsteps, &chunked);
    /* Chunking must not change the outcome. */
    if (a != b || whole.lines != chunked.lines || whole.hash != chunked.hash)
        abort();
    return 0;
}
