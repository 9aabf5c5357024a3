/*
 * kubeconfig_int.h - helpers shared by kubeconfig.c (parsing and merging)
 * and kubeconfig_io.c (files, in-cluster, tokens). Library-internal.
 */
#ifndef AS_KUBE_KUBECONFIG_INT_H
#define AS_KUBE_KUBECONFIG_INT_H

#include <stddef.h>

#include <jansson.h>

#include "base/status.h"
#include "kube/kubeconfig.h"

/*
 * Reads a regular file of at most max bytes into a new NUL-terminated buffer
 * (caller owns). AS_E_MISSING when it does not exist, AS_E_IO when it cannot
 * be read or is not a regular file, AS_E_LIMIT when larger than max. err
 * reads "<what> <path>: <reason>".
 */
as_status as_kube__read_file(const char *path, size_t max, const char *what, char **out,
                             size_t *len, struct as_error *err);

/* A new empty config with the token lock initialised; NULL when out of memory. */
struct as_kube_config *as_kube__config_new(void);

/* Directory part of path ("." when it has none). Caller owns. */
char *as_kube__dirname(const char *path);

/* Joins dir and a relative path (absolute paths are returned as copies). Caller owns. */
char *as_kube__resolve(const char *dir, const char *path);

/* Frees s after wiping it (NULL is fine). */
void as_kube__free_secret(char *s, size_t len);

/* One parsed kubeconfig file. */
struct as_kube__kc_file {
    const char *path; /* for messages */
    char *dir;        /* owned; base for relative paths */
    json_t *doc;      /* owned; the file's top-level object (NULL for an empty file) */
};

/* Parses the text of one file into f->doc. */
as_status as_kube__kc_parse(struct as_kube__kc_file *f, const char *data, size_t len,
                            struct as_error *err);

/* Merges files[0..n) and resolves context into a new config. */
as_status as_kube__kc_build(struct as_kube__kc_file *files, size_t n, const char *context,
                            const char *namespace_override, struct as_kube_config **out,
                            struct as_error *err);

/* Sets cfg->token_file, reads it now; AS_E_* with err on failure. */
as_status as_kube__token_file_init(struct as_kube_config *cfg, const char *path,
                                   struct as_error *err);

#endif
