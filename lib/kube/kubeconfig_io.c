/*
 * kubeconfig_io.c - the I/O side of configuration: finding and reading
 * kubeconfig files (KUBECONFIG, --kubeconfig, ~/.kube/config), the in-cluster
 * service-account files, bearer tokens re-read from their file when it
 * changes, and freeing configs with their secrets wiped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "kube/kubeconfig_int.h"

#define KUBECONFIG_MAX_FILES 64

as_status as_kube__read_file(const char *path, size_t max, const char *what, char **out,
                             size_t *len, struct as_error *err)
{
    struct as_buf b;
    struct stat stt;
    char chunk[8192];
    as_status st = AS_OK;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    as_buf_init(&b, max);
    if (fd < 0)
        return as_error_set(err, errno == ENOENT ? AS_E_MISSING : AS_E_IO, "%s %s: %s", what, path,
                            strerror(errno));
    if (fstat(fd, &stt) != 0 || !S_ISREG(stt.st_mode)) {
        st = as_error_set(err, AS_E_IO, "%s %s: not a regular file", what, path);
        goto done;
    }
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            st = as_error_set(err, AS_E_IO, "%s %s: %s", what, path, strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        if ((st = as_buf_append(&b, chunk, (size_t)r)) != AS_OK) {
            as_error_set(err, st, "%s %s: larger than %zu bytes", what, path, max);
            goto done;
        }
    }
    *len = b.len;
    *out = as_buf_steal(&b);
    if (!*out)
        st = as_error_set(err, AS_E_NOMEM, "%s %s: out of memory", what, path);
done:
    as_memwipe(chunk, sizeof(chunk));
    as_buf_wipe_free(&b);
    close(fd);
    return st;
}

struct as_kube_config *as_kube__config_new(void)
{
    struct as_kube_config *cfg = calloc(1, sizeof(*cfg));

    if (!cfg)
        return NULL;
    if (pthread_mutex_init(&cfg->token_lock, NULL) != 0) {
        free(cfg);
        return NULL;
    }
    cfg->token_recheck_seconds = AS_KUBE_TOKEN_RECHECK_SECONDS;
    return cfg;
}

char *as_kube__dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *d;

    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    d = malloc((size_t)(slash - path) + 1);
    if (d) {
        memcpy(d, path, (size_t)(slash - path));
        d[slash - path] = '\0';
    }
    return d;
}

char *as_kube__resolve(const char *dir, const char *path)
{
    size_t n;
    char *r;

    if (path[0] == '/' || !dir)
        return strdup(path);
    n = strlen(dir) + strlen(path) + 2;
    r = malloc(n);
    if (r)
        snprintf(r, n, "%s/%s", dir, path);
    return r;
}

void as_kube__free_secret(char *s, size_t len)
{
    if (!s)
        return;
    as_memwipe(s, len ? len : strlen(s));
    free(s);
}

void as_kube_config_free(struct as_kube_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->server);
    free(cfg->ca_pem);
    free(cfg->tls_server_name);
    free(cfg->proxy_url);
    free(cfg->client_cert_pem);
    as_kube__free_secret(cfg->client_key_pem, cfg->client_key_pem_len);
    free(cfg->username);
    as_kube__free_secret(cfg->password, 0);
    free(cfg->namespace);
    free(cfg->context);
    free(cfg->source);
    free(cfg->token_file);
    as_kube__free_secret(cfg->token, 0);
    pthread_mutex_destroy(&cfg->token_lock);
    free(cfg);
}

/* Seconds on the monotonic clock. */
static time_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* Reads the token file into a new string with surrounding whitespace trimmed. */
static as_status read_token(const char *path, char **out, struct timespec *mtime,
                            struct as_error *err)
{
    char *data = NULL;
    size_t len = 0, start = 0;
    struct stat stt;
    as_status st;

    if (stat(path, &stt) != 0)
        return as_error_set(err, errno == ENOENT ? AS_E_MISSING : AS_E_IO, "token file %s: %s",
                            path, strerror(errno));
    st = as_kube__read_file(path, 64 * 1024, "token file", &data, &len, err);
    if (st != AS_OK)
        return st;
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r' || data[len - 1] == ' ' ||
                       data[len - 1] == '\t'))
        data[--len] = '\0';
    while (start < len && (data[start] == ' ' || data[start] == '\t' || data[start] == '\n'))
        start++;
    if (start == len) {
        as_kube__free_secret(data, len);
        return as_error_set(err, AS_E_CONFIG,
                            "token file %s: is empty; write the bearer token "
                            "into it",
                            path);
    }
    memmove(data, data + start, len - start + 1);
    *out = data;
    *mtime = stt.st_mtim;
    return AS_OK;
}

as_status as_kube__token_file_init(struct as_kube_config *cfg, const char *path,
                                   struct as_error *err)
{
    char *tok = NULL;
    struct timespec mt;
    as_status st = read_token(path, &tok, &mt, err);

    if (st != AS_OK)
        return st;
    cfg->token_file = strdup(path);
    if (!cfg->token_file) {
        as_kube__free_secret(tok, 0);
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    }
    as_kube__free_secret(cfg->token, 0);
    cfg->token = tok;
    cfg->token_mtime = mt;
    cfg->token_checked = mono_now();
    return AS_OK;
}

/* Re-reads the token file when due and changed. Called with token_lock held. */
static void maybe_reread_token(struct as_kube_config *cfg)
{
    struct stat stt;
    time_t now = mono_now();
    char *tok = NULL;
    struct timespec mt;

    if (!cfg->token_file)
        return;
    if (cfg->token_recheck_seconds > 0 && now - cfg->token_checked < cfg->token_recheck_seconds)
        return;
    cfg->token_checked = now;
    if (stat(cfg->token_file, &stt) != 0)
        return; /* keep the previous token; the server will say if it expired */
    if (stt.st_mtim.tv_sec == cfg->token_mtime.tv_sec &&
        stt.st_mtim.tv_nsec == cfg->token_mtime.tv_nsec)
        return;
    if (read_token(cfg->token_file, &tok, &mt, NULL) != AS_OK)
        return;
    as_kube__free_secret(cfg->token, 0);
    cfg->token = tok;
    cfg->token_mtime = mt;
}

as_status as_kube_config_token(struct as_kube_config *cfg, char *buf, size_t size, bool *has_token,
                               struct as_error *err)
{
    as_status st = AS_OK;
    size_t n;

    pthread_mutex_lock(&cfg->token_lock);
    maybe_reread_token(cfg);
    if (!cfg->token) {
        *has_token = false;
        goto done;
    }
    n = strlen(cfg->token);
    if (n >= size) {
        st = as_error_set(err, AS_E_LIMIT, "bearer token is longer than %zu bytes", size - 1);
        goto done;
    }
    memcpy(buf, cfg->token, n + 1);
    *has_token = true;
done:
    pthread_mutex_unlock(&cfg->token_lock);
    return st;
}

/* Reads and parses each existing file; on success files[0..*nfound) are filled. */
static as_status read_kubeconfigs(const char *const *paths, size_t n, bool skip_missing,
                                  struct as_kube__kc_file *files, size_t *nfound,
                                  struct as_error *err)
{
    as_status st = AS_OK;

    *nfound = 0;
    for (size_t i = 0; i < n; i++) {
        char *data = NULL;
        size_t len = 0;
        struct as_kube__kc_file *f = &files[*nfound];
        st = as_kube__read_file(paths[i], AS_KUBE_CONFIG_FILE_MAX, "kubeconfig", &data, &len, err);
        if (st == AS_E_MISSING && skip_missing) {
            st = AS_OK;
            continue;
        }
        if (st != AS_OK)
            return st;
        f->path = paths[i];
        f->dir = as_kube__dirname(paths[i]);
        (*nfound)++;
        st = f->dir ? as_kube__kc_parse(f, data, len, err)
                    : as_error_set(err, AS_E_NOMEM, "out of memory");
        as_kube__free_secret(data, len);
        if (st != AS_OK)
            return st;
    }
    return AS_OK;
}

/* Frees the parsed documents and directories of files[0..n). */
static void free_kc_files(struct as_kube__kc_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(files[i].dir);
        json_decref(files[i].doc);
    }
}

as_status as_kube_config_from_files(const char *const *paths, size_t n, bool skip_missing,
                                    const char *context, const char *namespace_override,
                                    struct as_kube_config **out, struct as_error *err)
{
    struct as_kube__kc_file files[KUBECONFIG_MAX_FILES];
    size_t found = 0;
    as_status st;

    memset(files, 0, sizeof(files));
    if (n == 0 || n > KUBECONFIG_MAX_FILES)
        return as_error_set(err, AS_E_INVALID_ARG, "kubeconfig: between 1 and %d files, got %zu",
                            KUBECONFIG_MAX_FILES, n);
    st = read_kubeconfigs(paths, n, skip_missing, files, &found, err);
    if (st == AS_OK && found == 0)
        st = as_error_set(err, AS_E_MISSING,
                          "kubeconfig: none of the files exist (%s%s); set "
                          "KUBECONFIG or --kubeconfig to an existing file",
                          paths[0], n > 1 ? ", ..." : "");
    if (st == AS_OK)
        st = as_kube__kc_build(files, found, context, namespace_override, out, err);
    free_kc_files(files, found);
    return st;
}

as_status as_kube_config_from_data(const char *data, size_t len, const char *source,
                                   const char *base_dir, const char *context,
                                   struct as_kube_config **out, struct as_error *err)
{
    struct as_kube__kc_file f = {source ? source : "(data)", NULL, NULL};
    as_status st;

    f.dir = strdup(base_dir ? base_dir : ".");
    if (!f.dir)
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    st = as_kube__kc_parse(&f, data, len, err);
    if (st == AS_OK)
        st = as_kube__kc_build(&f, 1, context, NULL, out, err);
    free_kc_files(&f, 1);
    return st;
}

/* Builds "https://HOST:PORT", bracketing IPv6 literals. */
static char *in_cluster_server(const char *host, const char *port)
{
    size_t n = strlen(host) + strlen(port) + 16;
    char *s = malloc(n);

    if (s)
        snprintf(s, n, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
    return s;
}

/* Reads root/name into *out when the file exists; a missing file is not an error. */
static as_status read_optional(const char *root, const char *name, char **out, size_t *len,
                               struct as_error *err)
{
    char path[4096];
    as_status st;

    snprintf(path, sizeof(path), "%s/%s", root, name);
    st = as_kube__read_file(path, AS_KUBE_CONFIG_FILE_MAX, "in-cluster", out, len, err);
    return st == AS_E_MISSING ? AS_OK : st;
}

as_status as_kube_config_in_cluster(const char *root, struct as_kube_config **out,
                                    struct as_error *err)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
    struct as_kube_config *cfg = NULL;
    char path[4096], *ns = NULL;
    size_t ns_len = 0;
    as_status st;

    if (!root)
        root = AS_KUBE_IN_CLUSTER_ROOT;
    if (!host || !*host || !port || !*port)
        return as_error_set(err, AS_E_MISSING,
                            "in-cluster: KUBERNETES_SERVICE_HOST and "
                            "KUBERNETES_SERVICE_PORT are not set; not running in a cluster");
    cfg = as_kube__config_new();
    if (!cfg || !(cfg->server = in_cluster_server(host, port)) ||
        !(cfg->context = strdup("in-cluster")) || !(cfg->source = strdup(root))) {
        st = as_error_set(err, AS_E_NOMEM, "out of memory");
        goto done;
    }
    snprintf(path, sizeof(path), "%s/token", root);
    if ((st = as_kube__token_file_init(cfg, path, err)) != AS_OK) {
        as_error_prefix(err, "in-cluster (is automountServiceAccountToken disabled?)");
        goto done;
    }
    if ((st = read_optional(root, "ca.crt", &cfg->ca_pem, &cfg->ca_pem_len, err)) != AS_OK ||
        (st = read_optional(root, "namespace", &ns, &ns_len, err)) != AS_OK)
        goto done;
    while (ns && ns_len > 0 && (ns[ns_len - 1] == '\n' || ns[ns_len - 1] == ' '))
        ns[--ns_len] = '\0';
    cfg->namespace = ns && *ns ? ns : strdup("default");
    if (cfg->namespace != ns)
        free(ns);
    ns = NULL;
    if (!cfg->namespace) {
        st = as_error_set(err, AS_E_NOMEM, "out of memory");
        goto done;
    }
    *out = cfg;
    cfg = NULL;
done:
    free(ns);
    as_kube_config_free(cfg);
    return st;
}

/* Splits a KUBECONFIG value on ':' (dropping empties and duplicates) into paths. */
static size_t split_kubeconfig_env(char *value, const char **paths, size_t max)
{
    size_t n = 0;
    char *save = NULL;

    for (char *tok = strtok_r(value, ":", &save); tok && n < max;
         tok = strtok_r(NULL, ":", &save)) {
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            dup = dup || strcmp(paths[i], tok) == 0;
        if (!dup)
            paths[n++] = tok;
    }
    return n;
}

/* The KUBECONFIG step of as_kube_config_load. */
static as_status load_from_env(const char *env, const struct as_kube_config_options *o,
                               struct as_kube_config **out, struct as_error *err)
{
    const char *paths[KUBECONFIG_MAX_FILES];
    char *copy = strdup(env);
    size_t n;
    as_status st;

    if (!copy)
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    n = split_kubeconfig_env(copy, paths, KUBECONFIG_MAX_FILES);
    if (n == 0)
        st = as_error_set(err, AS_E_CONFIG, "KUBECONFIG=\"%s\" names no file", env);
    else
        st = as_kube_config_from_files(paths, n, true, o->context, o->namespace, out, err);
    if (st == AS_E_MISSING)
        as_error_set(err, AS_E_MISSING,
                     "KUBECONFIG=%s: none of these files exist; point "
                     "KUBECONFIG at your kubeconfig file",
                     env);
    free(copy);
    return st;
}

/* In-cluster config with the --namespace override applied. */
static as_status in_cluster_with_namespace(const struct as_kube_config_options *o,
                                           struct as_kube_config **out, struct as_error *err)
{
    struct as_kube_config *cfg = NULL;
    as_status st = as_kube_config_in_cluster(o->in_cluster_root, &cfg, err);
    char *ns;

    if (st != AS_OK)
        return st;
    if (o->namespace && *o->namespace) {
        if (!(ns = strdup(o->namespace))) {
            as_kube_config_free(cfg);
            return as_error_set(err, AS_E_NOMEM, "out of memory");
        }
        free(cfg->namespace);
        cfg->namespace = ns;
    }
    *out = cfg;
    return AS_OK;
}

as_status as_kube_config_load(const struct as_kube_config_options *opts,
                              struct as_kube_config **out, struct as_error *err)
{
    static const struct as_kube_config_options none;
    const struct as_kube_config_options *o = opts ? opts : &none;
    const char *env = o->kubeconfig_env ? o->kubeconfig_env : getenv("KUBECONFIG");
    const char *home = o->home ? o->home : getenv("HOME");
    char path[4096];
    const char *one[1];
    as_status st;

    if (o->kubeconfig && *o->kubeconfig) {
        one[0] = o->kubeconfig;
        return as_kube_config_from_files(one, 1, false, o->context, o->namespace, out, err);
    }
    if (env && *env)
        return load_from_env(env, o, out, err);
    if (!o->no_in_cluster) {
        st = in_cluster_with_namespace(o, out, err);
        if (st != AS_E_MISSING)
            return st;
    }
    if (home && *home) {
        snprintf(path, sizeof(path), "%s/.kube/config", home);
        one[0] = path;
        st = as_kube_config_from_files(one, 1, false, o->context, o->namespace, out, err);
        if (st != AS_E_MISSING)
            return st;
    }
    return as_error_set(err, AS_E_MISSING,
                        "no Kubernetes configuration found: set KUBECONFIG, "
                        "pass --kubeconfig, or run inside a cluster");
}
