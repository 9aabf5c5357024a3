/*
 * kubeconfig.c - parsing kubeconfig documents and merging several of them
 * the way kubectl does, then resolving one context into a struct
 * as_kube_config. File access for referenced files goes through
 * as_kube__read_file; everything else here is pure.
 *
 * Merge rules (client-go clientcmd): the first file that defines a name in
 * clusters/users/contexts wins and its entry is used whole; the first file
 * that sets current-context wins; a name twice in one file is an error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/yaml.h"
#include "kube/b64.h"
#include "kube/kubeconfig_int.h"

/* The merged view: name -> [file index, entry body] for each section. */
struct merged {
    json_t *clusters;
    json_t *users;
    json_t *contexts;
    const char *current_context; /* borrowed from a doc */
    size_t current_context_file;
};

/* Sets err to "kubeconfig PATH: <formatted>" and returns code. */
static as_status kc_fail(struct as_error *err, as_status code, const struct as_kube__kc_file *f,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static as_status kc_fail(struct as_error *err, as_status code, const struct as_kube__kc_file *f,
                         const char *fmt, ...)
{
    char msg[AS_ERROR_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return as_error_set(err, code, "kubeconfig %s: %s", f ? f->path : "(none)", msg);
}

as_status as_kube__kc_parse(struct as_kube__kc_file *f, const char *data, size_t len,
                            struct as_error *err)
{
    json_t *docs = NULL;
    struct as_error yerr;
    as_status st;

    as_error_clear(&yerr);
    st = as_yaml_to_json(data, len, &docs, &yerr);
    if (st != AS_OK)
        return kc_fail(err, AS_E_CONFIG, f, "%s; fix the YAML syntax", yerr.message);
    if (json_array_size(docs) > 1) {
        json_decref(docs);
        return kc_fail(err, AS_E_CONFIG, f,
                       "holds %zu YAML documents; a kubeconfig is exactly one document",
                       json_array_size(docs));
    }
    if (json_array_size(docs) == 1) {
        json_t *doc = json_array_get(docs, 0);
        if (!json_is_object(doc)) {
            const char *t = as_json_type_name(doc);
            json_decref(docs);
            return kc_fail(err, AS_E_CONFIG, f,
                           "top level: expected a mapping (apiVersion, clusters, users, "
                           "contexts), got %s",
                           t);
        }
        f->doc = json_incref(doc);
    }
    json_decref(docs);
    return AS_OK;
}

/* Reads an optional string field section[name].sub.key; NULL when absent or null. */
static as_status opt_str(const struct as_kube__kc_file *f, const json_t *obj, const char *where,
                         const char *key, const char **out, struct as_error *err)
{
    const json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (!v || json_is_null(v))
        return AS_OK;
    if (!json_is_string(v))
        return kc_fail(err, AS_E_CONFIG, f, "%s.%s: expected a string, got %s; quote the value",
                       where, key, as_json_type_name(v));
    *out = json_string_value(v);
    return AS_OK;
}

/* Adds the entries of one section ("clusters") of file i to map; first definition wins. */
static as_status collect_section(struct as_kube__kc_file *files, size_t i, const char *section,
                                 const char *field, json_t *map, struct as_error *err)
{
    const json_t *list = files[i].doc ? json_object_get(files[i].doc, section) : NULL;
    json_t *seen, *e;
    size_t k;
    as_status st = AS_OK;

    if (!list || json_is_null(list))
        return AS_OK;
    if (!json_is_array(list))
        return kc_fail(err, AS_E_CONFIG, &files[i], "%s: expected a list, got %s", section,
                       as_json_type_name(list));
    seen = json_object();
    if (!seen)
        return as_error_set(err, AS_E_NOMEM, "kubeconfig: out of memory");
    json_array_foreach(list, k, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        json_t *body;
        if (!json_is_object(e) || !name || !*name) {
            st = kc_fail(err, AS_E_CONFIG, &files[i],
                         "%s[%zu].name: missing; every entry needs "
                         "a non-empty name",
                         section, k);
            break;
        }
        if (json_object_get(seen, name)) {
            st = kc_fail(err, AS_E_CONFIG, &files[i],
                         "%s[%zu]: duplicate name \"%s\"; names must "
                         "be unique within a file",
                         section, k, name);
            break;
        }
        json_object_set_new(seen, name, json_true());
        body = json_object_get(e, field);
        if (body && !json_is_null(body) && !json_is_object(body)) {
            st = kc_fail(err, AS_E_CONFIG, &files[i], "%s[%s].%s: expected a mapping, got %s",
                         section, name, field, as_json_type_name(body));
            break;
        }
        if (!json_object_get(map, name))
            json_object_set_new(map, name,
                                json_pack("[I,O]", (json_int_t)i, body ? body : json_null()));
    }
    json_decref(seen);
    return st;
}

/* Merges every file into m (first definition wins). */
static as_status merge(struct as_kube__kc_file *files, size_t n, struct merged *m,
                       struct as_error *err)
{
    as_status st;

    for (size_t i = 0; i < n; i++) {
        const char *cc = NULL;
        if ((st = collect_section(files, i, "clusters", "cluster", m->clusters, err)) != AS_OK ||
            (st = collect_section(files, i, "users", "user", m->users, err)) != AS_OK ||
            (st = collect_section(files, i, "contexts", "context", m->contexts, err)) != AS_OK)
            return st;
        if (files[i].doc && (st = opt_str(&files[i], files[i].doc, "top level", "current-context",
                                          &cc, err)) != AS_OK)
            return st;
        if (cc && *cc && !m->current_context) {
            m->current_context = cc;
            m->current_context_file = i;
        }
    }
    return AS_OK;
}

/*
 * Finishes the error of a file a kubeconfig refers to: AS_E_CONFIG with a hint
 * on relative paths (out of memory stays AS_E_NOMEM).
 */
static as_status file_ref_failed(struct as_error *err, as_status st)
{
    if (st == AS_E_NOMEM)
        return st;
    if (err) {
        size_t n = strlen(err->message);
        snprintf(err->message + n, sizeof(err->message) - n,
                 "; fix the path (relative paths are relative to the kubeconfig file)");
    }
    if (err)
        err->code = AS_E_CONFIG;
    return AS_E_CONFIG;
}

/* Copies s into *dst (owned). */
static as_status dup_into(char **dst, const char *s, struct as_error *err)
{
    if (!s)
        return AS_OK;
    *dst = strdup(s);
    if (!*dst)
        return as_error_set(err, AS_E_NOMEM, "kubeconfig: out of memory");
    return AS_OK;
}

/*
 * Loads PEM material from a *-data field (base64) or a file field, the data
 * field taking precedence as in client-go. *out stays NULL when neither is set.
 */
static as_status load_pem(const struct as_kube__kc_file *f, const json_t *body, const char *where,
                          const char *data_key, const char *file_key, char **out, size_t *len,
                          struct as_error *err)
{
    const char *data, *path;
    as_status st;
    size_t bad = 0;

    if ((st = opt_str(f, body, where, data_key, &data, err)) != AS_OK ||
        (st = opt_str(f, body, where, file_key, &path, err)) != AS_OK)
        return st;
    if (data && *data) {
        st = as_kube_b64_decode(data, strlen(data), out, len, &bad);
        if (st == AS_E_PARSE)
            return kc_fail(err, AS_E_CONFIG, f,
                           "%s.%s: invalid base64 at offset %zu; the value "
                           "must be the base64 of a PEM file (base64 -w0 FILE)",
                           where, data_key, bad);
        if (st != AS_OK)
            return as_error_set(err, st, "kubeconfig: out of memory");
        return AS_OK;
    }
    if (path && *path) {
        char *full = as_kube__resolve(f->dir, path);
        char what[300];
        if (!full)
            return as_error_set(err, AS_E_NOMEM, "kubeconfig: out of memory");
        snprintf(what, sizeof(what), "kubeconfig %s: %s.%s:", f->path, where, file_key);
        st = as_kube__read_file(full, AS_KUBE_CONFIG_FILE_MAX, what, out, len, err);
        free(full);
        if (st != AS_OK)
            return file_ref_failed(err, st);
    }
    return AS_OK;
}

/* Checks the server URL and stores it without a trailing '/'. */
static as_status set_server(struct as_kube_config *cfg, const struct as_kube__kc_file *f,
                            const char *where, const char *server, struct as_error *err)
{
    size_t n;

    if (!server || !*server)
        return kc_fail(err, AS_E_CONFIG, f,
                       "%s.server: missing; set the API server URL "
                       "(https://HOST:PORT)",
                       where);
    if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)
        return kc_fail(err, AS_E_CONFIG, f,
                       "%s.server: \"%s\" is not an http(s) URL; use "
                       "https://HOST:PORT",
                       where, server);
    if (strpbrk(server, " \t\r\n?#"))
        return kc_fail(err, AS_E_CONFIG, f,
                       "%s.server: \"%s\" contains spaces, '?' or '#'; "
                       "use https://HOST:PORT[/PATH]",
                       where, server);
    if (dup_into(&cfg->server, server, err) != AS_OK)
        return AS_E_NOMEM;
    n = strlen(cfg->server);
    while (n > 0 && cfg->server[n - 1] == '/')
        cfg->server[--n] = '\0';
    return AS_OK;
}

/* Fills the cluster part of cfg from one clusters[] entry body. */
static as_status apply_cluster(struct as_kube_config *cfg, const struct as_kube__kc_file *f,
                               const char *name, const json_t *body, struct as_error *err)
{
    char where[300];
    const char *server, *tsn, *proxy;
    const json_t *insecure = json_object_get(body, "insecure-skip-tls-verify");
    as_status st;

    snprintf(where, sizeof(where), "clusters[%s].cluster", name);
    if ((st = opt_str(f, body, where, "server", &server, err)) != AS_OK ||
        (st = opt_str(f, body, where, "tls-server-name", &tsn, err)) != AS_OK ||
        (st = opt_str(f, body, where, "proxy-url", &proxy, err)) != AS_OK)
        return st;
    if ((st = set_server(cfg, f, where, server, err)) != AS_OK)
        return st;
    if (insecure && !json_is_null(insecure) && !json_is_boolean(insecure))
        return kc_fail(err, AS_E_CONFIG, f,
                       "%s.insecure-skip-tls-verify: expected true or "
                       "false, got %s",
                       where, as_json_type_name(insecure));
    cfg->insecure_skip_tls_verify = json_is_true(insecure);
    if ((st = load_pem(f, body, where, "certificate-authority-data", "certificate-authority",
                       &cfg->ca_pem, &cfg->ca_pem_len, err)) != AS_OK)
        return st;
    if (cfg->insecure_skip_tls_verify && cfg->ca_pem)
        return kc_fail(err, AS_E_CONFIG, f,
                       "%s: insecure-skip-tls-verify cannot be combined "
                       "with a certificate authority; remove one of them",
                       where);
    if (proxy && *proxy && strncmp(proxy, "http://", 7) != 0 &&
        strncmp(proxy, "https://", 8) != 0 && strncmp(proxy, "socks5://", 9) != 0)
        return kc_fail(err, AS_E_CONFIG, f,
                       "%s.proxy-url: \"%s\" must be an http://, https:// "
                       "or socks5:// URL",
                       where, proxy);
    if ((tsn && *tsn && dup_into(&cfg->tls_server_name, tsn, err) != AS_OK) ||
        (proxy && *proxy && dup_into(&cfg->proxy_url, proxy, err) != AS_OK))
        return AS_E_NOMEM;
    return AS_OK;
}

/* Rejects the user fields this client cannot honour, naming each. */
static as_status reject_unsupported_user(const struct as_kube__kc_file *f, const char *where,
                                         const json_t *body, struct as_error *err)
{
    static const struct {
        const char *key;
        const char *why;
    } unsupported[] = {
        {"exec", "exec credential plugins are not supported; use a token, tokenFile or client "
                 "certificate"},
        {"auth-provider", "auth-provider plugins are not supported; use a token, tokenFile or "
                          "client certificate"},
        {"as", "impersonation is not supported; remove it and authenticate as that user"},
        {"as-uid", "impersonation is not supported; remove it"},
        {"as-groups", "impersonation is not supported; remove it"},
        {"as-user-extra", "impersonation is not supported; remove it"},
    };
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
        const json_t *v = json_object_get(body, unsupported[i].key);
        if (v && !json_is_null(v))
            return kc_fail(err, AS_E_UNSUPPORTED, f, "%s.%s: %s", where, unsupported[i].key,
                           unsupported[i].why);
    }
    return AS_OK;
}

/* Fills the credentials of cfg from one users[] entry body. */
static as_status apply_user(struct as_kube_config *cfg, const struct as_kube__kc_file *f,
                            const char *name, const json_t *body, struct as_error *err)
{
    char where[300];
    const char *token, *token_file, *user, *pass;
    as_status st;

    snprintf(where, sizeof(where), "users[%s].user", name);
    if ((st = reject_unsupported_user(f, where, body, err)) != AS_OK)
        return st;
    if ((st = opt_str(f, body, where, "token", &token, err)) != AS_OK ||
        (st = opt_str(f, body, where, "tokenFile", &token_file, err)) != AS_OK ||
        (st = opt_str(f, body, where, "username", &user, err)) != AS_OK ||
        (st = opt_str(f, body, where, "password", &pass, err)) != AS_OK)
        return st;
    if (((token && *token) || (token_file && *token_file)) && ((user && *user) || (pass && *pass)))
        return kc_fail(err, AS_E_CONFIG, f,
                       "%s: both a token and username/password are set; "
                       "keep only one authentication method",
                       where);
    if ((st = load_pem(f, body, where, "client-certificate-data", "client-certificate",
                       &cfg->client_cert_pem, &cfg->client_cert_pem_len, err)) != AS_OK ||
        (st = load_pem(f, body, where, "client-key-data", "client-key", &cfg->client_key_pem,
                       &cfg->client_key_pem_len, err)) != AS_OK)
        return st;
    if (!cfg->client_cert_pem != !cfg->client_key_pem)
        return kc_fail(err, AS_E_CONFIG, f,
                       "%s: %s is set but %s is missing; set both or "
                       "neither",
                       where, cfg->client_cert_pem ? "client-certificate" : "client-key",
                       cfg->client_cert_pem ? "client-key" : "client-certificate");
    if ((token && *token && dup_into(&cfg->token, token, err) != AS_OK) ||
        (user && *user && dup_into(&cfg->username, user, err) != AS_OK) ||
        (pass && *pass && dup_into(&cfg->password, pass, err) != AS_OK))
        return AS_E_NOMEM;
    if (token_file && *token_file) {
        char *full = as_kube__resolve(f->dir, token_file);
        if (!full)
            return as_error_set(err, AS_E_NOMEM, "kubeconfig: out of memory");
        st = as_kube__token_file_init(cfg, full, err);
        free(full);
        if (st != AS_OK) {
            as_error_prefix(err, "kubeconfig %s: %s.tokenFile", f->path, where);
            return file_ref_failed(err, st);
        }
    }
    return AS_OK;
}

/* Looks name up in a merged section; sets *file and *body (borrowed, may be JSON null). */
static bool lookup(const json_t *map, const char *name, size_t *file, const json_t **body)
{
    const json_t *pair = json_object_get(map, name);

    if (!pair)
        return false;
    *file = (size_t)json_integer_value(json_array_get(pair, 0));
    *body = json_array_get(pair, 1);
    return true;
}

/* Lists the known names of a section into buf ("a, b, c" or "none"). */
static void known_names(const json_t *map, char *buf, size_t size)
{
    const char *key;
    json_t *v;
    size_t n = 0;

    buf[0] = '\0';
    json_object_foreach((json_t *)map, key, v)
    {
        int w = snprintf(buf + n, size - n, "%s%s", n ? ", " : "", key);
        if (w < 0 || (size_t)w >= size - n)
            break;
        n += (size_t)w;
    }
    if (n == 0)
        snprintf(buf, size, "none");
}

/* Resolves the chosen context into cfg. */
static as_status resolve_context(struct as_kube_config *cfg, struct as_kube__kc_file *files,
                                 const struct merged *m, const char *context, struct as_error *err)
{
    const json_t *ctx, *cluster, *user;
    size_t fi, fc, fu;
    const char *cluster_name, *user_name, *ns;
    char where[300], known[512];
    as_status st;

    if (!lookup(m->contexts, context, &fi, &ctx)) {
        known_names(m->contexts, known, sizeof(known));
        return as_error_set(err, AS_E_CONFIG,
                            "kubeconfig %s: context \"%s\" not found (known "
                            "contexts: %s); pass an existing --context",
                            cfg->source ? cfg->source : "", context, known);
    }
    snprintf(where, sizeof(where), "contexts[%s].context", context);
    if ((st = opt_str(&files[fi], ctx, where, "cluster", &cluster_name, err)) != AS_OK ||
        (st = opt_str(&files[fi], ctx, where, "user", &user_name, err)) != AS_OK ||
        (st = opt_str(&files[fi], ctx, where, "namespace", &ns, err)) != AS_OK)
        return st;
    if (!cluster_name || !*cluster_name)
        return kc_fail(err, AS_E_CONFIG, &files[fi],
                       "%s.cluster: missing; name the cluster this "
                       "context uses",
                       where);
    if (!lookup(m->clusters, cluster_name, &fc, &cluster))
        return kc_fail(err, AS_E_CONFIG, &files[fi],
                       "%s.cluster: cluster \"%s\" is not defined "
                       "in any kubeconfig file; add it under clusters",
                       where, cluster_name);
    if ((st = apply_cluster(cfg, &files[fc], cluster_name, cluster, err)) != AS_OK)
        return st;
    if (user_name && *user_name) {
        if (!lookup(m->users, user_name, &fu, &user))
            return kc_fail(err, AS_E_CONFIG, &files[fi],
                           "%s.user: user \"%s\" is not defined in "
                           "any kubeconfig file; add it under users",
                           where, user_name);
        if ((st = apply_user(cfg, &files[fu], user_name, user, err)) != AS_OK)
            return st;
    }
    if (dup_into(&cfg->namespace, ns && *ns ? ns : "default", err) != AS_OK ||
        dup_into(&cfg->context, context, err) != AS_OK)
        return AS_E_NOMEM;
    return AS_OK;
}

/* "a.yaml:b.yaml" for messages. */
static char *join_sources(const struct as_kube__kc_file *files, size_t n)
{
    struct as_buf b;

    as_buf_init(&b, 64 * 1024);
    for (size_t i = 0; i < n; i++)
        if (as_buf_appendf(&b, "%s%s", i ? ":" : "", files[i].path) != AS_OK)
            break;
    return as_buf_steal(&b);
}

as_status as_kube__kc_build(struct as_kube__kc_file *files, size_t n, const char *context,
                            const char *namespace_override, struct as_kube_config **out,
                            struct as_error *err)
{
    struct merged m = {json_object(), json_object(), json_object(), NULL, 0};
    struct as_kube_config *cfg = as_kube__config_new();
    as_status st;

    if (!m.clusters || !m.users || !m.contexts || !cfg) {
        st = as_error_set(err, AS_E_NOMEM, "kubeconfig: out of memory");
        goto done;
    }
    if ((st = merge(files, n, &m, err)) != AS_OK)
        goto done;
    if (!context || !*context)
        context = m.current_context;
    cfg->source = join_sources(files, n);
    if (!context) {
        st = as_error_set(err, AS_E_CONFIG,
                          "kubeconfig %s: current-context is not set; pass "
                          "--context NAME or run `kubectl config use-context NAME`",
                          cfg->source ? cfg->source : "");
        goto done;
    }
    if ((st = resolve_context(cfg, files, &m, context, err)) != AS_OK)
        goto done;
    if (namespace_override && *namespace_override) {
        free(cfg->namespace);
        cfg->namespace = NULL;
        if ((st = dup_into(&cfg->namespace, namespace_override, err)) != AS_OK)
            goto done;
    }
    *out = cfg;
    cfg = NULL;
done:
    as_kube_config_free(cfg);
    json_decref(m.clusters);
    json_decref(m.users);
    json_decref(m.contexts);
    return st;
}
