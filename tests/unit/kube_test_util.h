/*
 * kube_test_util.h - small helpers shared by the lib/kube unit tests:
 * temporary directories and files. Header-only (static functions) because
 * each tests/unit/test_*.c is linked as its own program.
 */
#ifndef AS_TEST_KUBE_UTIL_H
#define AS_TEST_KUBE_UTIL_H

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Creates a fresh directory under /tmp and writes its path into dir (size >= 64). */
static inline void kt_tmpdir(char *dir, size_t size)
{
    snprintf(dir, size, "/tmp/as-kube-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Writes content to dir/name (creating one level of subdirectory when name has a '/'). */
static inline void kt_write(const char *dir, const char *name, const char *content)
{
    char path[1024];
    const char *slash = strchr(name, '/');
    FILE *f;

    if (slash) {
        snprintf(path, sizeof(path), "%s/%.*s", dir, (int)(slash - name), name);
        mkdir(path, 0700);
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(content, f);
    fclose(f);
}

/* Builds dir/name into out. */
static inline const char *kt_path(char *out, size_t size, const char *dir, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
    return out;
}

/* Removes dir and the files (and one level of subdirectories) in it. */
static inline void kt_rmtree(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (strncmp(dir, "/tmp/as-kube-test-", 18) == 0 && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

#endif
