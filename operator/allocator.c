/*
 * allocator.c - the operator's malloc settings (see allocator.h).
 */
#include "allocator.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* True when the colon-separated list of name=value pairs names name. */
static bool names(const char *list, const char *name)
{
    size_t n = strlen(name);
    const char *p = list;

    while (p != NULL) {
        if (strncmp(p, name, n) == 0 && p[n] == '=')
            return true;
        if ((p = strchr(p, ':')) != NULL)
            p++;
    }
    return false;
}

bool as_op_tunables_without_tcache(const char *current, char *out, size_t size)
{
    bool rest = current != NULL && *current != '\0';
    size_t need = (rest ? strlen(current) + 1 : 0) + strlen(AS_OP_TCACHE_TUNABLE "=0") + 1;

    if ((rest && names(current, AS_OP_TCACHE_TUNABLE)) || need > size)
        return false;
    if (rest)
        snprintf(out, size, "%s:%s=0", current, AS_OP_TCACHE_TUNABLE);
    else
        snprintf(out, size, "%s=0", AS_OP_TCACHE_TUNABLE);
    return true;
}

void as_op_allocator_setup(char **argv)
{
    char value[4096];

    if (as_op_tunables_without_tcache(getenv("GLIBC_TUNABLES"), value, sizeof(value)) &&
        setenv("GLIBC_TUNABLES", value, 1) == 0) {
        execv("/proc/self/exe", argv);
        /* no /proc, or not allowed: run on with the tcache; unset, so no child inherits it */
        unsetenv("GLIBC_TUNABLES");
    }
    /* ~25 threads would each get a malloc arena; two keep the footprint small (bench) */
    mallopt(M_ARENA_MAX, 2);
    /* a fixed threshold: list bodies and parse buffers above 64 KiB are mapped and unmapped
     * on their own instead of raising the dynamic threshold and settling in the heap */
    mallopt(M_MMAP_THRESHOLD, 64 * 1024);
}
