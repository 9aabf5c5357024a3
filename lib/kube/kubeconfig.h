/*
 * kubeconfig.h - where the API server is and how to authenticate to it.
 *
 * Sources, in the order as_kube_config_load tries them (controller-runtime's
 * order): an explicit path (--kubeconfig), the KUBECONFIG variable (several
 * files separated by ':'), the in-cluster service-account files, and
 * ~/.kube/config.
 *
 * Several kubeconfig files merge as kubectl merges them: files are read in
 * order; the first file that defines a cluster, user or context name wins
 * and later definitions of that name are ignored entirely (even fields the
 * first one lacks); the first file that sets current-context wins. Within one
 * file a later entry with the same name replaces an earlier one. Missing
 * files named in KUBECONFIG are skipped; an explicit path must exist.
 * Relative file paths inside a file (certificate-authority,
 * client-certificate, client-key, tokenFile) are relative to that file's
 * directory.
 *
 * Supported: clusters (server with a path prefix, certificate-authority[-data],
 * insecure-skip-tls-verify, tls-server-name, proxy-url), users (token,
 * tokenFile, client-certificate[-data], client-key[-data], username/password),
 * contexts (cluster, user, namespace; default namespace "default").
 * Unsupported fields the server would rely on (exec, auth-provider, as,
 * as-groups, as-uid, as-user-extra) are errors naming the field.
 *
 * Errors read "kubeconfig FILE: FIELD: what is wrong; what to do", e.g.
 * "kubeconfig /home/u/.kube/config: users[dev].user.exec: exec credential
 * plugins are not supported; use a token, tokenFile or client certificate".
 *
 * Secrets (token, password, client key) live only in this struct, are wiped
 * before they are freed and are never logged.
 */
#ifndef AS_KUBE_KUBECONFIG_H
#define AS_KUBE_KUBECONFIG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/status.h"

#define AS_KUBE_IN_CLUSTER_ROOT "/var/run/secrets/kubernetes.io/serviceaccount"
/* Largest file read for a kubeconfig, certificate, key or token. */
#define AS_KUBE_CONFIG_FILE_MAX (4u * 1024u * 1024u)
/* How often a token file's mtime is checked, by default (bound tokens rotate hourly). */
#define AS_KUBE_TOKEN_RECHECK_SECONDS 60

/*
 * A resolved connection config. All strings are owned by the struct; callers
 * read the public fields and must not change them. PEM blobs are raw bytes
 * (not NUL-terminated in general; use the _len fields).
 */
struct as_kube_config {
    char *server; /* base URL without trailing '/', e.g. "https://h:6443/prefix" */
    char *ca_pem; /* CA bundle (PEM) or NULL for the system store */
    size_t ca_pem_len;
    bool insecure_skip_tls_verify;
    char *tls_server_name; /* name to verify the server certificate against, or NULL */
    char *proxy_url;       /* or NULL */
    char *client_cert_pem; /* or NULL */
    size_t client_cert_pem_len;
    char *client_key_pem; /* secret; or NULL */
    size_t client_key_pem_len;
    char *username;  /* basic auth, or NULL */
    char *password;  /* secret; or NULL */
    char *namespace; /* context namespace, "default" when unset */
    char *context;   /* name of the context used, or "in-cluster" */
    char *source;    /* file(s) the config came from, for messages */

    /* Bearer token: use as_kube_config_token(); the fields below are internal. */
    char *token_file;          /* absolute path, re-read when its mtime changes; or NULL */
    int token_recheck_seconds; /* stat token_file at most this often; 0 = every call */
    pthread_mutex_t token_lock;
    char *token; /* secret: current token or NULL */
    struct timespec token_mtime;
    time_t token_checked; /* when token_file was last stat'ed (CLOCK_MONOTONIC seconds) */
};

struct as_kube_config_options {
    const char *kubeconfig;      /* --kubeconfig, or NULL; overrides KUBECONFIG */
    const char *context;         /* --context, or NULL for current-context */
    const char *namespace;       /* overrides the context's namespace, or NULL */
    bool no_in_cluster;          /* do not try the service-account files */
    const char *in_cluster_root; /* NULL = AS_KUBE_IN_CLUSTER_ROOT (tests override it) */
    const char *kubeconfig_env;  /* NULL = getenv("KUBECONFIG"); tests pass their own */
    const char *home;            /* NULL = getenv("HOME") */
};

/*
 * Finds and loads the config (see the order above). On success *out is a new
 * config the caller owns (as_kube_config_free). On failure *out is untouched
 * and err names the file, the field and what to do.
 * AS_E_CONFIG for invalid content, AS_E_IO / AS_E_MISSING for files.
 */
as_status as_kube_config_load(const struct as_kube_config_options *opts,
                              struct as_kube_config **out, struct as_error *err);

/*
 * Loads and merges the kubeconfig files paths[0..n) as kubectl does. Missing
 * files are skipped when skip_missing, otherwise an error; at least one file
 * must exist. context (NULL = current-context) selects the context.
 */
as_status as_kube_config_from_files(const char *const *paths, size_t n, bool skip_missing,
                                    const char *context, const char *namespace_override,
                                    struct as_kube_config **out, struct as_error *err);

/*
 * Parses one kubeconfig given as text (for fuzzing and tests). source names it
 * in messages; relative paths in it resolve against base_dir (NULL = ".").
 */
as_status as_kube_config_from_data(const char *data, size_t len, const char *source,
                                   const char *base_dir, const char *context,
                                   struct as_kube_config **out, struct as_error *err);

/*
 * In-cluster config: server from KUBERNETES_SERVICE_HOST / _PORT, the token
 * (re-read when it changes), ca.crt and namespace (default "default") under
 * root (NULL = AS_KUBE_IN_CLUSTER_ROOT). AS_E_MISSING when not in a cluster.
 */
as_status as_kube_config_in_cluster(const char *root, struct as_kube_config **out,
                                    struct as_error *err);

/*
 * Copies the current bearer token into buf (NUL-terminated) and sets *has_token.
 * Re-reads token_file when its mtime changed (checked at most every
 * token_recheck_seconds); a failed re-read keeps the previous token.
 * AS_E_LIMIT when buf is too small. Thread-safe. The caller must wipe buf.
 */
as_status as_kube_config_token(struct as_kube_config *cfg, char *buf, size_t size, bool *has_token,
                               struct as_error *err);

/* Wipes the secrets and frees cfg. NULL is fine. */
void as_kube_config_free(struct as_kube_config *cfg);

#endif
