/*
 * server.c - the libwebsockets HTTPS server of server.h.
 *
 * Per connection: headers arrive (LWS_CALLBACK_HTTP), the body is collected
 * into a bounded buffer (LWS_CALLBACK_HTTP_BODY), the handler runs at the
 * end of the body (or at once when there is none), and the response is
 * written in chunks when the socket is writable. After the response the
 * transaction completes and the connection stays open (keep-alive). A body
 * over the limit is read and discarded (never stored) and answered with 413,
 * so the stream stays in sync and the client sees the answer.
 *
 * TLS: lws creates the vhost SSL_CTX with the initial certificate; on
 * LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS we set TLS 1.2 as the
 * minimum and install the tlsstore certificate callback, which picks the
 * current certificate for every handshake (reloads without restart).
 *
 * ALPN offers http/1.1 only. libwebsockets 4.1 (Debian 12) mishandles request
 * bodies that reach an HTTP/2 stream before it is bound to its handler: it
 * counts them against content-length twice and closes the whole connection
 * with GOAWAY "More rx than content_length told" (fixed upstream in 4.3,
 * warmcat/libwebsockets#2599), which failed a few 1 MiB reviews in 40. An h2
 * client (the API server's) then speaks HTTP/1.1 with keep-alive.
 */
#include "server.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "jobs.h"

#define CHUNK 16384
/*
 * The service thread's read buffer. lws reads at most this much per SSL_read
 * (its default, 4 KiB, took three reads and service turns for a 9 KB review);
 * 32 KiB takes a whole TLS record (16 KiB) in one.
 */
#define SERVICE_BUF (32u * 1024u)
/* Spare request/response buffers kept for reuse, and the largest size kept. */
#define POOL_BUFS 32
#define KEEP_BUF (64u * 1024u)

struct as_server {
    struct lws_context *ctx;
    struct as_server_options opts;
    atomic_bool stop;
    char host[256];
    struct as_buf pool[POOL_BUFS]; /* spare buffers; used by the service thread only */
    size_t n_pool;
    struct as_jobs *jobs; /* NULL: every request runs on the service thread */
    size_t offload_min;   /* bodies at least this large go to a worker */
};

struct job;

/* Per transaction (lws allocates it for each request and frees it after). */
struct pss {
    char method[8];
    char path[256];
    char ctype[128];
    struct as_buf body;
    struct as_buf resp;
    const char *resp_ctype;
    int status;
    size_t sent;
    bool too_large, headers_sent, close_after, active;
    struct job *job; /* the request while a worker has it, else NULL */
};

/*
 * A request handed to a worker. The worker touches only req, resp,
 * resp_ctype and status (the job's own copies); wsi and pss are used on the
 * service thread only, and pss is NULL once the stream went away while the
 * job ran (the answer is then dropped).
 */
struct job {
    struct as_jobs_item link; /* first: the pool links jobs through it */
    struct as_server *s;
    struct lws *wsi;
    struct pss *pss;
    char method[8], path[256], ctype[128];
    struct as_buf body, resp;
    bool too_large;
    const char *resp_ctype;
    int status;
};

/* An empty buffer limited to max: a spare one from the pool (no malloc), or a new one. */
static void buf_take(struct as_server *s, struct as_buf *b, size_t max)
{
    if (s->n_pool > 0)
        *b = s->pool[--s->n_pool];
    else
        as_buf_init(b, max);
    b->max = max; /* a pooled buffer's allocation is at most KEEP_BUF, below any limit */
    as_buf_reset(b);
}

/* Gives b back: a small allocation goes to the pool, a large one is freed. b is left empty. */
static void buf_give(struct as_server *s, struct as_buf *b)
{
    if (b->data != NULL && b->cap <= KEEP_BUF && s->n_pool < POOL_BUFS) {
        s->pool[s->n_pool++] = *b;
        as_buf_init(b, b->max);
        return;
    }
    as_buf_free(b);
}

/* Releases a transaction's buffers; a job still running for it will be dropped when it ends. */
static void pss_clear(struct as_server *s, struct pss *p)
{
    if (p->job != NULL) {
        p->job->pss = NULL;
        p->job = NULL;
    }
    buf_give(s, &p->body);
    buf_give(s, &p->resp);
    p->active = false;
}

/* Calls the handler for one request: fills resp and *ctype, returns the status. */
static int handle(struct as_server *s, const char *method, const char *path, const char *ctype,
                  const struct as_buf *body, bool too_large, struct as_buf *resp,
                  const char **resp_ctype)
{
    struct as_http_request req = {
        .method = method,
        .path = path,
        .content_type = ctype,
        .body = body->data != NULL ? body->data : "",
        .body_len = body->len,
        .body_too_large = too_large,
    };
    int status;

    *resp_ctype = "text/plain; charset=utf-8";
    status = s->opts.handler(s->opts.handler_ctx, &req, resp, resp_ctype);
    if (resp->data == NULL)
        as_buf_append(resp, "", 0);
    return status;
}

/* A worker runs one job (jobs.h). */
static void job_run(struct as_jobs_item *item, void *ctx)
{
    struct job *j = (struct job *)item;

    (void)ctx;
    j->status = handle(j->s, j->method, j->path, j->ctype, &j->body, j->too_large, &j->resp,
                       &j->resp_ctype);
}

/* Wakes the service thread after a job finished (lws_cancel_service is thread-safe). */
static void job_notify(void *ctx)
{
    struct as_server *s = ctx;

    lws_cancel_service(s->ctx);
}

/* Moves a request with a body to a worker; false when no job could be made (run it inline). */
static bool offload(struct lws *wsi, struct as_server *s, struct pss *p)
{
    struct job *j = calloc(1, sizeof(*j));

    if (j == NULL)
        return false;
    j->s = s;
    j->wsi = wsi;
    j->pss = p;
    memcpy(j->method, p->method, sizeof(j->method));
    memcpy(j->path, p->path, sizeof(j->path));
    memcpy(j->ctype, p->ctype, sizeof(j->ctype));
    j->body = p->body; /* moved: the job owns the body now */
    as_buf_init(&p->body, AS_SERVER_MAX_BODY);
    j->too_large = p->too_large;
    buf_take(s, &j->resp, AS_SERVER_MAX_RESPONSE);
    p->job = j;
    as_jobs_submit(s->jobs, &j->link);
    return true;
}

/* Frees a job and gives its buffers back (service thread). */
static void job_free(struct as_server *s, struct job *j)
{
    if (j->pss != NULL)
        j->pss->job = NULL;
    buf_give(s, &j->body);
    buf_give(s, &j->resp);
    free(j);
}

/* Service thread, after a wake-up: answers every finished job whose stream is still there. */
static void collect_jobs(struct as_server *s)
{
    struct as_jobs_item *it = s->jobs != NULL ? as_jobs_take_done(s->jobs) : NULL;

    while (it != NULL) {
        struct job *j = (struct job *)it;
        struct pss *p = j->pss;

        it = it->next;
        if (p != NULL) {
            buf_give(s, &p->resp);
            p->resp = j->resp; /* moved into the transaction */
            as_buf_init(&j->resp, AS_SERVER_MAX_RESPONSE);
            p->resp_ctype = j->resp_ctype;
            p->status = j->status;
            p->sent = 0;
            p->headers_sent = false;
            lws_callback_on_writable(j->wsi);
        }
        job_free(s, j);
    }
}

/*
 * Runs the handler and schedules the response. With workers, a large body
 * (at least offload_min bytes: its decoding and evaluation take
 * milliseconds) goes to a worker and is answered when it comes back, so the
 * service thread keeps serving every other connection meanwhile; a typical
 * review (tens of microseconds) is cheaper to decide here than to hand over.
 */
static void dispatch(struct lws *wsi, struct as_server *s, struct pss *p)
{
    if (s->jobs != NULL && p->body.len >= s->offload_min && offload(wsi, s, p))
        return;
    buf_take(s, &p->resp, AS_SERVER_MAX_RESPONSE);
    p->status =
        handle(s, p->method, p->path, p->ctype, &p->body, p->too_large, &p->resp, &p->resp_ctype);
    p->sent = 0;
    p->headers_sent = false;
    lws_callback_on_writable(wsi);
}

/* The method of the request from lws's header table. */
static const char *method_of(struct lws *wsi)
{
    static const struct {
        enum lws_token_indexes tok;
        const char *name;
    } m[] = {{WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},
             {WSI_TOKEN_PUT_URI, "PUT"},       {WSI_TOKEN_PATCH_URI, "PATCH"},
             {WSI_TOKEN_DELETE_URI, "DELETE"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
             {WSI_TOKEN_HEAD_URI, "HEAD"}};

    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        if (lws_hdr_total_length(wsi, m[i].tok) > 0)
            return m[i].name;
    return "OTHER";
}

/* New request: record method, path, content type; decide whether a body follows. */
static int on_http(struct lws *wsi, struct as_server *s, struct pss *p, const char *uri)
{
    char clen[32] = "";
    long long n = 0;
    char *end = NULL;

    pss_clear(s, p);
    memset(p, 0, sizeof(*p));
    buf_take(s, &p->body, AS_SERVER_MAX_BODY);
    p->active = true;
    snprintf(p->method, sizeof(p->method), "%s", method_of(wsi));
    snprintf(p->path, sizeof(p->path), "%s", uri != NULL ? uri : "/");
    if (lws_hdr_copy(wsi, p->ctype, sizeof(p->ctype), WSI_TOKEN_HTTP_CONTENT_TYPE) < 0)
        p->ctype[0] = '\0';
    if (lws_hdr_copy(wsi, clen, sizeof(clen), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        n = strtoll(clen, &end, 10);
    if (n > (long long)AS_SERVER_MAX_BODY)
        p->too_large = true; /* the body is read and discarded; 413 at its end */
    if (n <= 0 && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) <= 0)
        dispatch(wsi, s, p);
    return 0;
}

/* After the last byte of a response: next request (keep-alive) or close. Returns -1 to close. */
static int response_done(struct lws *wsi, struct as_server *s, struct pss *p)
{
    bool close_after = p->close_after;

    pss_clear(s, p);
    p->status = 0;
    if (close_after)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/*
 * Writes the status line and headers. A body that fits in the same chunk
 * goes out in the same write (one TLS record, one syscall). Returns -1 to
 * close, 1 when the whole response went out.
 */
static int write_headers(struct lws *wsi, struct pss *p, unsigned char *start, unsigned char *end)
{
    unsigned char *ptr = start;
    size_t n;

    if (lws_add_http_common_headers(wsi, (unsigned int)p->status, p->resp_ctype,
                                    (lws_filepos_t)p->resp.len, &ptr, end) ||
        (p->close_after &&
         lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5,
                                      &ptr, end)))
        return -1;
    p->headers_sent = true;
    if (p->resp.len + 4 <= (size_t)(end - ptr)) {
        if (lws_finalize_http_header(wsi, &ptr, end))
            return -1;
        memcpy(ptr, p->resp.data, p->resp.len);
        n = (size_t)(ptr - start) + p->resp.len;
        if (lws_write(wsi, start, n, LWS_WRITE_HTTP_FINAL) != (int)n)
            return -1;
        p->sent = p->resp.len;
        return 1;
    }
    if (lws_finalize_write_http_header(wsi, start, &ptr, end))
        return -1;
    return p->resp.len == 0 ? 1 : 0;
}

/* Writes the status line and headers, then the body in chunks. Returns -1 to close. */
static int on_writable(struct lws *wsi, struct as_server *s, struct pss *p)
{
    unsigned char buf[LWS_PRE + CHUNK];
    unsigned char *start = buf + LWS_PRE, *end = buf + sizeof(buf) - 1;
    size_t left, n;
    int r;

    if (!p->active || p->status == 0)
        return 0;
    if (!p->headers_sent) {
        r = write_headers(wsi, p, start, end);
        if (r != 0)
            return r < 0 ? -1 : response_done(wsi, s, p);
        lws_callback_on_writable(wsi);
        return 0;
    }
    left = p->resp.len - p->sent;
    n = left < CHUNK ? left : CHUNK;
    if (n > 0) {
        memcpy(start, p->resp.data + p->sent, n);
        if (lws_write(wsi, start, n, n == left ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
            return -1;
        p->sent += n;
    }
    if (p->sent < p->resp.len) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    return response_done(wsi, s, p);
}

/* The one protocol's callback. */
static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct as_server *s = lws_context_user(lws_get_context(wsi));
    struct pss *p = user;

    switch (reason) {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
        if (s != NULL && user != NULL)
            as_tlsstore_attach(s->opts.tls, (SSL_CTX *)user);
        return 0;
    case LWS_CALLBACK_HTTP:
        return on_http(wsi, s, p, in);
    case LWS_CALLBACK_HTTP_BODY:
        if (!p->too_large && as_buf_append(&p->body, in, len) != AS_OK) {
            p->too_large = true;
            as_buf_free(&p->body);
        }
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (p->status == 0 && p->job == NULL)
            dispatch(wsi, s, p);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return on_writable(wsi, s, p);
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (s != NULL)
            collect_jobs(s);
        return 0;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_WSI_DESTROY:
        if (p != NULL && s != NULL)
            pss_clear(s, p);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"http", callback, sizeof(struct pss), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

as_status as_server_new(const struct as_server_options *opts, struct as_server **out,
                        struct as_error *err)
{
    struct lws_context_creation_info info;
    struct as_server *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return AS_E_NOMEM;
    s->opts = *opts;
    snprintf(s->host, sizeof(s->host), "%s", opts->host != NULL ? opts->host : "");
    lws_set_log_level(LLL_ERR, NULL);
    memset(&info, 0, sizeof(info));
    info.port = opts->port;
    info.iface = s->host[0] != '\0' ? s->host : NULL;
    info.protocols = protocols;
    info.user = s;
    /* DISABLE_OS_CA_CERTS: clients present no certificate, so the system CA bundle (~140
     * certificates: ~50 ms of start-up and memory held for good) would verify nothing */
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_IPV6 |
                   LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
    if (s->host[0] != '\0' && strchr(s->host, ':') != NULL)
        info.options &= ~(uint64_t)LWS_SERVER_OPTION_DISABLE_IPV6;
    info.server_ssl_cert_mem = opts->initial_cert_pem;
    info.server_ssl_cert_mem_len = (unsigned)strlen(opts->initial_cert_pem);
    info.server_ssl_private_key_mem = opts->initial_key_pem;
    info.server_ssl_private_key_mem_len = (unsigned)strlen(opts->initial_key_pem);
    info.ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
    info.alpn = "http/1.1"; /* no HTTP/2: see the top of this file */
    info.pt_serv_buf_size = SERVICE_BUF;
    info.keepalive_timeout = 60;
    info.timeout_secs = 30;
    s->ctx = lws_create_context(&info);
    if (s->ctx == NULL) {
        free(s);
        return as_error_set(err, AS_E_NETWORK,
                            "--listen: cannot serve HTTPS on %s:%d (address in use, or the "
                            "certificate was refused)",
                            opts->host != NULL && *opts->host ? opts->host : "*", opts->port);
    }
    s->offload_min = opts->offload_min > 0 ? opts->offload_min : AS_SERVER_OFFLOAD_MIN;
    if (opts->workers > 0 &&
        as_jobs_start(opts->workers, job_run, job_notify, s, &s->jobs) != AS_OK) {
        as_server_free(s);
        return as_error_set(err, AS_E_INVALID_ARG,
                            "--workers %u: cannot start that many threads (1..%d, or 0 to "
                            "decide on the service thread)",
                            opts->workers, AS_JOBS_MAX_THREADS);
    }
    *out = s;
    return AS_OK;
}

void as_server_run(struct as_server *s)
{
    while (!atomic_load(&s->stop))
        if (lws_service(s->ctx, 0) < 0)
            break;
}

void as_server_stop(struct as_server *s)
{
    atomic_store(&s->stop, true);
    lws_cancel_service(s->ctx);
}

void as_server_free(struct as_server *s)
{
    struct as_jobs_item *left;

    if (s == NULL)
        return;
    /* workers first: no job may finish into a context that is going away */
    left = as_jobs_stop(s->jobs);
    s->jobs = NULL;
    while (left != NULL) {
        struct job *j = (struct job *)left;
        left = left->next;
        job_free(s, j);
    }
    lws_context_destroy(s->ctx);
    while (s->n_pool > 0)
        as_buf_free(&s->pool[--s->n_pool]);
    free(s);
}

as_status as_server_parse_listen(const char *str, char *host_buf, size_t host_size, int *port,
                                 struct as_error *err)
{
    const char *colon = strrchr(str, ':');
    const char *h = str;
    size_t hlen;
    char *end = NULL;
    long v;

    if (colon == NULL)
        return as_error_set(err, AS_E_INVALID_ARG,
                            "--listen %s: expected HOST:PORT or :PORT (e.g. :8443)", str);
    hlen = (size_t)(colon - str);
    if (hlen >= 2 && str[0] == '[' && colon[-1] == ']') {
        h++;
        hlen -= 2;
    }
    v = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || v < 0 || v > 65535)
        return as_error_set(err, AS_E_INVALID_ARG, "--listen %s: port must be 0..65535", str);
    if (hlen >= host_size)
        return as_error_set(err, AS_E_INVALID_ARG, "--listen %s: host name too long", str);
    memcpy(host_buf, h, hlen);
    host_buf[hlen] = '\0';
    *port = (int)v;
    return AS_OK;
}
