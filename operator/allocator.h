/*
 * allocator.h - the operator's malloc settings (glibc): two arenas, a fixed
 * mmap threshold, and no per-thread cache (tcache). The tcache keeps up to
 * seven freed blocks of each small size per thread; in ~25 long-lived
 * threads those blocks pin heap pages that malloc_trim cannot give back
 * (docs/benchmarks.md: about 2 MiB with 1,000 stacks). glibc reads that
 * setting only from GLIBC_TUNABLES when a program starts, so the operator
 * runs itself again once with it added.
 */
#ifndef AS_OPERATOR_ALLOCATOR_H
#define AS_OPERATOR_ALLOCATOR_H

#include <stdbool.h>
#include <stddef.h>

/* The tunable the operator adds. */
#define AS_OP_TCACHE_TUNABLE "glibc.malloc.tcache_count"

/*
 * Pure: the GLIBC_TUNABLES value to run with, given the current one
 * (NULL = unset), written to out: current with AS_OP_TCACHE_TUNABLE=0
 * appended. False (out untouched) when current names AS_OP_TCACHE_TUNABLE
 * already (whoever set it decides) or when out is too small.
 */
bool as_op_tunables_without_tcache(const char *current, char *out, size_t size);

/*
 * At the start of main, before any thread or file: when GLIBC_TUNABLES does
 * not name the tcache yet, executes /proc/self/exe again with the same argv
 * and the tunable set (same PID; it does not return then). When that fails
 * it carries on with glibc's default. Then sets the arena count and the mmap
 * threshold (mallopt).
 */
void as_op_allocator_setup(char **argv);

#endif
