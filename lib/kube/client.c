/*
 * client.c - client lifecycle: options and defaults, the shared CURLSH (TLS
 * sessions, DNS) with its locks, one easy handle per thread, and the
 * per-request connection setup (TLS material from memory, tls-server-name,
 * proxy, basic auth, timeouts, gzip, User-Agent, bearer token header).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "kube/client_int.h"

#ifndef AS_VERSION
#define AS_VERSION "0.0.0"
#endif

#define TOKEN_MAX 16384

/* GOARCH-style name of the build architecture, for the User-Agent. */
#if defined(__x86_64__)
#define AS_ARCH "amd64"
#elif defined(__aarch64__)
#define AS_ARCH "arm64"
#elif defined(__i386__)
#define AS_ARCH "386"
#elif defined(__arm__)
#define AS_ARCH "arm"
#else
#define AS_ARCH "unknown"
#endif

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;

/* pthread_once body: initialises libcurl and records the result. */
static void global_init_once(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

as_status as_kube_global_init(struct as_error *err)
{
    pthread_once(&global_once, global_init_once);
    if (global_rc != CURLE_OK)
        return as_error_set(err, AS_E_NETWORK, "libcurl: global init failed: %s",
                            curl_easy_strerror(global_rc));
    return AS_OK;
}

/* CURLSH lock callback: one mutex per kind of shared data. */
static void share_lock(CURL *h, curl_lock_data data, curl_lock_access a, void *p)
{
    struct as_kube_client *c = p;
    (void)h;
    (void)a;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&c->share_locks[data]);
}

/* CURLSH unlock callback. */
static void share_unlock(CURL *h, curl_lock_data data, void *p)
{
    struct as_kube_client *c = p;
    (void)h;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&c->share_locks[data]);
}

/* Fills unset options with the documented defaults. */
static void apply_defaults(struct as_kube_client_options *o)
{
    if (o->connect_timeout_ms <= 0)
        o->connect_timeout_ms = 10000;
    if (o->request_timeout_ms <= 0)
        o->request_timeout_ms = 60000;
    if (o->watch_idle_seconds <= 0)
        o->watch_idle_seconds = 330;
    if (o->max_response_bytes == 0)
        o->max_response_bytes = AS_KUBE_DEFAULT_MAX_RESPONSE;
    if (o->max_attempts <= 0)
        o->max_attempts = 3;
    if (o->retry_base_ms <= 0)
        o->retry_base_ms = 100;
    if (o->retry_max_ms <= 0)
        o->retry_max_ms = 5000;
    if (o->retry_after_max_seconds <= 0)
        o->retry_after_max_seconds = 10;
    if (o->burst < 1)
        o->burst = 1;
}

/* Frees one thread's slot (pthread key destructor, or client_free). */
static void slot_free(struct as_kube__slot *s)
{
    curl_easy_cleanup(s->easy);
    free(s);
}

/* Key destructor: the thread exits; unlink and free its slot. */
static void slot_destroy(void *p)
{
    struct as_kube__slot *s = p, **pp;
    struct as_kube_client *c = s->owner;

    pthread_mutex_lock(&c->lock);
    for (pp = &c->slots; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    pthread_mutex_unlock(&c->lock);
    slot_free(s);
}

/*
 * Splits "scheme://host[:port]/prefix" for tls-server-name: sets base_url to
 * the URL with the host replaced, connect_to and host_header.
 */
static as_status setup_server_name(struct as_kube_client *c, struct as_error *err)
{
    const char *server = c->cfg->server, *tsn = c->cfg->tls_server_name;
    bool https = strncmp(server, "https://", 8) == 0;
    const char *host = server + (https ? 8 : 7), *host_end, *port = NULL, *rest;
    char buf[1024];
    int w;

    rest = host + strcspn(host, "/");
    if (*host == '[') {
        host_end = memchr(host, ']', (size_t)(rest - host));
        if (!host_end)
            return as_error_set(err, AS_E_CONFIG, "server %s: unterminated IPv6 address", server);
        host_end++;
    } else {
        host_end = host + strcspn(host, ":/");
    }
    if (*host_end == ':')
        port = host_end + 1;
    if (host_end == host)
        return as_error_set(err, AS_E_CONFIG, "server %s: no host name", server);
    w = snprintf(buf, sizeof(buf), "%s://%s:%.*s%s", https ? "https" : "http", tsn,
                 port ? (int)(rest - port) : 3, port ? port : (https ? "443" : "80"), rest);
    if (w < 0 || (size_t)w >= sizeof(buf) || !(c->base_url = strdup(buf)))
        return as_error_set(err, AS_E_CONFIG, "server %s: URL too long", server);
    w = snprintf(buf, sizeof(buf), "%s:%.*s:%.*s:%.*s", tsn, port ? (int)(rest - port) : 3,
                 port ? port : (https ? "443" : "80"), (int)(host_end - host), host,
                 port ? (int)(rest - port) : 3, port ? port : (https ? "443" : "80"));
    if (w < 0 || (size_t)w >= sizeof(buf) || !(c->connect_to = curl_slist_append(NULL, buf)))
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    w = snprintf(buf, sizeof(buf), "Host: %.*s", (int)(rest - host), host);
    if (w < 0 || (size_t)w >= sizeof(buf) || !(c->host_header = strdup(buf)))
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    return AS_OK;
}

/* Creates the CURLSH sharing TLS sessions and DNS between the client's handles. */
static as_status setup_share(struct as_kube_client *c, struct as_error *err)
{
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&c->share_locks[i], NULL);
    c->share = curl_share_init();
    if (!c->share)
        return as_error_set(err, AS_E_NOMEM, "libcurl: cannot create a share handle");
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    return AS_OK;
}

as_status as_kube_client_new(struct as_kube_config *cfg, const struct as_kube_client_options *opts,
                             struct as_kube_client **out, struct as_error *err)
{
    struct as_kube_client *c = NULL;
    char ua[256];
    as_status st;

    if (!cfg || !cfg->server) {
        as_kube_config_free(cfg);
        return as_error_set(err, AS_E_INVALID_ARG,
                            "kube client: a config with a server is "
                            "required");
    }
    if ((st = as_kube_global_init(err)) != AS_OK) {
        as_kube_config_free(cfg);
        return st;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        as_kube_config_free(cfg);
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    }
    c->cfg = cfg;
    if (opts)
        c->opts = *opts;
    apply_defaults(&c->opts);
    pthread_mutex_init(&c->lock, NULL);
    pthread_key_create(&c->key, slot_destroy);
    as_kube_rate_init(&c->rate, c->opts.qps, c->opts.burst);
    snprintf(ua, sizeof(ua), "%s/%s (linux/" AS_ARCH ") appstack%s%.128s",
             c->opts.program ? c->opts.program : "appstack",
             c->opts.version ? c->opts.version : AS_VERSION, c->opts.user_agent_comment ? " " : "",
             c->opts.user_agent_comment ? c->opts.user_agent_comment : "");
    c->opts.program = c->opts.version = c->opts.user_agent_comment = NULL;
    if (!(c->user_agent = strdup(ua))) {
        st = as_error_set(err, AS_E_NOMEM, "out of memory");
        goto fail;
    }
    if ((st = setup_share(c, err)) != AS_OK)
        goto fail;
    if (cfg->tls_server_name)
        st = setup_server_name(c, err);
    else if (!(c->base_url = strdup(cfg->server)))
        st = as_error_set(err, AS_E_NOMEM, "out of memory");
    if (st != AS_OK)
        goto fail;
    *out = c;
    return AS_OK;
fail:
    as_kube_client_free(c);
    return st;
}

void as_kube_client_free(struct as_kube_client *c)
{
    struct as_kube__slot *s, *next;

    if (!c)
        return;
    pthread_key_delete(c->key);
    for (s = c->slots; s; s = next) {
        next = s->next;
        slot_free(s);
    }
    if (c->share)
        curl_share_cleanup(c->share);
    for (int i = 0; c->share && i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&c->share_locks[i]);
    pthread_mutex_destroy(&c->lock);
    curl_slist_free_all(c->connect_to);
    free(c->host_header);
    free(c->base_url);
    free(c->user_agent);
    as_kube_config_free(c->cfg);
    free(c);
}

void as_kube_client_shutdown(struct as_kube_client *c)
{
    atomic_store(&c->shutdown, true);
}

const struct as_kube_config *as_kube_client_config(const struct as_kube_client *c)
{
    return c->cfg;
}

const char *as_kube_client_namespace(const struct as_kube_client *c)
{
    return c->cfg->namespace ? c->cfg->namespace : "default";
}

void as_kube_client_stats(const struct as_kube_client *c, struct as_kube_client_stats *out)
{
    out->requests = atomic_load(&c->requests);
    out->retries = atomic_load(&c->retries);
    out->handles = atomic_load(&c->handles);
    out->connects = atomic_load(&c->connects);
}

CURL *as_kube__acquire(struct as_kube_client *c, bool *temporary)
{
    struct as_kube__slot *s = pthread_getspecific(c->key);

    *temporary = false;
    if (s && !s->busy) {
        s->busy = true;
        return s->easy;
    }
    atomic_fetch_add(&c->handles, 1);
    if (s) {
        *temporary = true; /* re-entrant call from inside a request on this thread */
        return curl_easy_init();
    }
    s = calloc(1, sizeof(*s));
    if (!s || !(s->easy = curl_easy_init())) {
        free(s);
        return NULL;
    }
    s->owner = c;
    s->busy = true;
    pthread_mutex_lock(&c->lock);
    s->next = c->slots;
    c->slots = s;
    pthread_mutex_unlock(&c->lock);
    pthread_setspecific(c->key, s);
    return s->easy;
}

void as_kube__release(struct as_kube_client *c, CURL *easy, bool temporary)
{
    struct as_kube__slot *s;

    if (temporary) {
        curl_easy_cleanup(easy);
        return;
    }
    s = pthread_getspecific(c->key);
    if (s && s->easy == easy)
        s->busy = false;
}

/* Loads TLS material from memory onto easy. */
static as_status setup_tls(struct as_kube_client *c, CURL *easy, struct as_error *err)
{
    const struct as_kube_config *cfg = c->cfg;

    if (cfg->insecure_skip_tls_verify) {
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (cfg->ca_pem) {
        struct curl_blob blob = {cfg->ca_pem, cfg->ca_pem_len, CURL_BLOB_COPY};
        if (curl_easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob) != CURLE_OK)
            return as_error_set(err, AS_E_TLS,
                                "certificate-authority: libcurl cannot load a CA "
                                "from memory (needs libcurl >= 7.77 with OpenSSL)");
    }
    if (cfg->client_cert_pem) {
        struct curl_blob cert = {cfg->client_cert_pem, cfg->client_cert_pem_len, CURL_BLOB_COPY};
        struct curl_blob key = {cfg->client_key_pem, cfg->client_key_pem_len, CURL_BLOB_COPY};
        if (curl_easy_setopt(easy, CURLOPT_SSLCERT_BLOB, &cert) != CURLE_OK ||
            curl_easy_setopt(easy, CURLOPT_SSLKEY_BLOB, &key) != CURLE_OK)
            return as_error_set(err, AS_E_TLS,
                                "client-certificate: libcurl cannot load a "
                                "certificate from memory (needs libcurl >= 7.71 with OpenSSL)");
        curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
    }
    return AS_OK;
}

as_status as_kube__setup_handle(struct as_kube_client *c, CURL *easy,
                                const struct as_kube_request *req, struct as_error *err)
{
    const struct as_kube_config *cfg = c->cfg;

    curl_easy_reset(easy); /* keeps live connections and caches */
    curl_easy_setopt(easy, CURLOPT_SHARE, c->share);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(easy, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    /* over TLS every request is copied through this buffer, kept per handle for its life:
     * libcurl's smallest (16 KiB) instead of its 64 KiB default, one per thread */
    curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 10L);
    if (req->watch) {
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                         req->idle_seconds > 0 ? req->idle_seconds : c->opts.watch_idle_seconds);
    } else {
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                         req->timeout_ms > 0 ? req->timeout_ms : c->opts.request_timeout_ms);
    }
    if (c->connect_to)
        curl_easy_setopt(easy, CURLOPT_CONNECT_TO, c->connect_to);
    if (cfg->proxy_url) {
        /* As with client-go's proxy-url, the proxy is used for the server whatever NO_PROXY says.
         */
        curl_easy_setopt(easy, CURLOPT_PROXY, cfg->proxy_url);
        curl_easy_setopt(easy, CURLOPT_NOPROXY, "");
    }
    if (cfg->username) {
        curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(easy, CURLOPT_USERNAME, cfg->username);
        curl_easy_setopt(easy, CURLOPT_PASSWORD, cfg->password ? cfg->password : "");
    }
    return setup_tls(c, easy, err);
}

void as_kube__free_headers(struct curl_slist *headers)
{
    for (struct curl_slist *h = headers; h; h = h->next)
        as_memwipe(h->data, strlen(h->data));
    curl_slist_free_all(headers);
}

/* Appends one header line; AS_E_NOMEM on failure (the list is kept). */
static as_status add_header(struct curl_slist **headers, const char *line)
{
    struct curl_slist *n = curl_slist_append(*headers, line);
    if (!n)
        return AS_E_NOMEM;
    *headers = n;
    return AS_OK;
}

as_status as_kube__auth_headers(struct as_kube_client *c, const char *content_type,
                                struct curl_slist **headers, struct as_error *err)
{
    /* on the heap, not the stack: 32 KiB of stack here stayed resident in every thread */
    const size_t line_size = TOKEN_MAX + 32;
    char *line = calloc(1, line_size), *token = calloc(1, TOKEN_MAX);
    bool has = false;
    as_status st = line && token ? AS_OK : AS_E_NOMEM;

    if (st == AS_OK)
        st = add_header(headers, "Accept: application/json");
    if (st == AS_OK)
        st = add_header(headers, "Expect:");
    if (st == AS_OK && content_type) {
        snprintf(line, line_size, "Content-Type: %s", content_type);
        st = add_header(headers, line);
    }
    if (st == AS_OK && c->host_header)
        st = add_header(headers, c->host_header);
    if (st != AS_OK) {
        free(line);
        free(token);
        return as_error_set(err, st, "out of memory");
    }
    st = as_kube_config_token(c->cfg, token, TOKEN_MAX, &has, err);
    if (st == AS_OK && has) {
        snprintf(line, line_size, "Authorization: Bearer %s", token);
        if (add_header(headers, line) != AS_OK)
            st = as_error_set(err, AS_E_NOMEM, "out of memory");
    }
    as_memwipe(token, TOKEN_MAX);
    as_memwipe(line, line_size);
    free(line);
    free(token);
    return st;
}
