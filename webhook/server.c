/*
 * server.c - the HTTPS server of server.h: libwebsockets 4.1 for TLS and the
 * event loop, our own HTTP/1.1 framing.
 *
 * Every accepted connection is bound to lws's raw-socket role with TLS
 * (LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG): lws hands us the
 * decrypted bytes (LWS_CALLBACK_RAW_RX) and writes ours (LWS_WRITE_RAW). The
 * request head is parsed by lib/httpd's parser (as_httpd_parse_head, fuzzed);
 * the body is read to its Content-Length into a bounded buffer; the handler
 * runs when the body is complete (or at once when there is none); the
 * response goes out when the socket is writable, in chunks when large. Then
 * the connection waits for the next request (keep-alive); bytes of a request
 * sent before the answer (pipelining) wait in the connection's buffer, and
 * reading stops (rx flow control) until the answer is out, so answers keep
 * their order and no buffer grows without bound. lws's own HTTP server cost
 * a review ~6 us of CPU more (docs/benchmarks.md).
 *
 * Refused without reading further, with Connection: close: a malformed head
 * (400, 431, 505, as the parser says), a body sent with Transfer-Encoding
 * (411: the API server always sends Content-Length). A body over
 * AS_SERVER_MAX_BODY is read and dropped, never stored, and the handler
 * answers it (413), so the stream stays in sync and the client sees why.
 * A client that sends Expect: 100-continue gets the 100 before it sends the
 * body; a HEAD request gets the head of the answer without its body. A
 * connection idle for KEEPALIVE_S, or a request not complete within
 * REQUEST_S, is closed.
 *
 * TLS: lws creates the vhost SSL_CTX with the initial certificate; on
 * LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS we set TLS 1.2 as the
 * minimum and install the tlsstore certificate callback, which picks the
 * current certificate for every handshake (reloads without restart). ALPN
 * offers http/1.1 only, so an h2 client (the API server's) speaks HTTP/1.1.
 */
#include "server.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "httpd/httpd.h"
#include "jobs.h"

#define CHUNK 16384
/*
 * The service thread's read buffer: lws reads at most this much per SSL_read
 * (its default, 4 KiB, took three reads and service turns for a 9 KB review);
 * 32 KiB takes a whole TLS record (16 KiB) in one.
 */
#define SERVICE_BUF (32u * 1024u)
/* A request head's limit; bytes held while a request is answered (a head and one read). */
#define MAX_HEAD 8192u
#define MAX_HELD (MAX_HEAD + SERVICE_BUF)
#define KEEPALIVE_S 60
#define REQUEST_S 30
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

/* Per connection (lws allocates it with the connection and frees it after). */
struct conn {
    struct as_buf held; /* bytes read and not yet framed: part of a head, or the next request */
    /* the request being read or answered */
    bool in_body; /* its head was read; body_left bytes of body to come */
    unsigned long long body_left;
    char method[8];
    char path[256];
    char ctype[128];
    struct as_buf body;
    struct as_buf resp;
    const char *resp_ctype;
    int status; /* 0 until the answer is known */
    char head[320];
    size_t head_len, sent; /* the response head; bytes of head and body written */
    bool too_large, close_after;
    bool head_only;  /* a HEAD request: the answer's head without its body */
    bool busy;       /* a whole request was read; reading waits until it is answered */
    struct job *job; /* the request while a worker has it, else NULL */
};

/*
 * A request handed to a worker. The worker touches only req, resp,
 * resp_ctype and status (the job's own copies); wsi and conn are used on the
 * service thread only, and conn is NULL once the connection went away while
 * the job ran (the answer is then dropped).
 */
struct job {
    struct as_jobs_item link; /* first: the pool links jobs through it */
    struct as_server *s;
    struct lws *wsi;
    struct conn *conn;
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

/* Releases a request's buffers; a job still running for it will be dropped when it ends. */
static void request_clear(struct as_server *s, struct conn *c)
{
    if (c->job != NULL) {
        c->job->conn = NULL;
        c->job = NULL;
    }
    buf_give(s, &c->body);
    buf_give(s, &c->resp);
    c->status = 0;
    c->busy = false;
    c->in_body = false;
    c->head_only = false;
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
static bool offload(struct lws *wsi, struct as_server *s, struct conn *c)
{
    struct job *j = calloc(1, sizeof(*j));

    if (j == NULL)
        return false;
    j->s = s;
    j->wsi = wsi;
    j->conn = c;
    memcpy(j->method, c->method, sizeof(j->method));
    memcpy(j->path, c->path, sizeof(j->path));
    memcpy(j->ctype, c->ctype, sizeof(j->ctype));
    j->body = c->body; /* moved: the job owns the body now */
    as_buf_init(&c->body, AS_SERVER_MAX_BODY);
    j->too_large = c->too_large;
    buf_take(s, &j->resp, AS_SERVER_MAX_RESPONSE);
    c->job = j;
    as_jobs_submit(s->jobs, &j->link);
    return true;
}

/* Frees a job and gives its buffers back (service thread). */
static void job_free(struct as_server *s, struct job *j)
{
    if (j->conn != NULL)
        j->conn->job = NULL;
    buf_give(s, &j->body);
    buf_give(s, &j->resp);
    free(j);
}

/* The answer is known: it goes out when the socket is writable. */
static void answer_ready(struct lws *wsi, struct conn *c)
{
    c->sent = 0;
    c->head_len = 0;
    lws_callback_on_writable(wsi);
}

/* Service thread, after a wake-up: answers every finished job whose connection is still there. */
static void collect_jobs(struct as_server *s)
{
    struct as_jobs_item *it = s->jobs != NULL ? as_jobs_take_done(s->jobs) : NULL;

    while (it != NULL) {
        struct job *j = (struct job *)it;
        struct conn *c = j->conn;

        it = it->next;
        if (c != NULL) {
            buf_give(s, &c->resp);
            c->resp = j->resp; /* moved into the request */
            as_buf_init(&j->resp, AS_SERVER_MAX_RESPONSE);
            c->resp_ctype = j->resp_ctype;
            c->status = j->status;
            answer_ready(j->wsi, c);
        }
        job_free(s, j);
    }
}

/*
 * A whole request was read: runs the handler (or hands it to a worker) and
 * stops reading until it is answered. With workers, a large body (at least
 * offload_min bytes: its decoding and evaluation take milliseconds) goes to a
 * worker and is answered when it comes back, so the service thread keeps
 * serving every other connection meanwhile; a typical review (microseconds)
 * is cheaper to decide here than to hand over.
 */
static void dispatch(struct lws *wsi, struct as_server *s, struct conn *c)
{
    c->busy = true;
    c->in_body = false;
    lws_rx_flow_control(wsi, 0);
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    if (s->jobs != NULL && c->body.len >= s->offload_min && offload(wsi, s, c))
        return;
    buf_take(s, &c->resp, AS_SERVER_MAX_RESPONSE);
    c->status =
        handle(s, c->method, c->path, c->ctype, &c->body, c->too_large, &c->resp, &c->resp_ctype);
    answer_ready(wsi, c);
}

/* Answers status with a one-line text body and closes: the stream cannot be read on. */
static void refuse(struct lws *wsi, struct as_server *s, struct conn *c, int status,
                   const char *why)
{
    c->busy = true;
    c->in_body = false;
    c->close_after = true;
    lws_rx_flow_control(wsi, 0);
    buf_take(s, &c->resp, AS_SERVER_MAX_RESPONSE);
    as_buf_appendf(&c->resp, "%s\n", why);
    c->resp_ctype = "text/plain; charset=utf-8";
    c->status = status;
    answer_ready(wsi, c);
}

/* Copies a token of n bytes into dst (size bytes), truncated, NUL-terminated. */
static void copy_field(char *dst, size_t size, const char *src, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* A request head was parsed: records what the handler needs. 1: read its body; 0: refused; -1:
 * close. */
static int begin_request(struct lws *wsi, struct as_server *s, struct conn *c,
                         const struct as_httpd_request *r)
{
    if (r->method_len < sizeof(c->method))
        copy_field(c->method, sizeof(c->method), r->method, r->method_len);
    else
        copy_field(c->method, sizeof(c->method), "OTHER", 5);
    copy_field(c->path, sizeof(c->path), r->path, r->path_len);
    copy_field(c->ctype, sizeof(c->ctype), r->content_type != NULL ? r->content_type : "",
               r->content_type_len);
    c->close_after = !r->keep_alive;
    c->head_only = r->method_len == 4 && memcmp(r->method, "HEAD", 4) == 0;
    if (r->transfer_encoding) {
        refuse(wsi, s, c, 411,
               "a request body must come with Content-Length, not Transfer-Encoding");
        return false;
    }
    c->too_large = r->content_length > AS_SERVER_MAX_BODY; /* read and dropped; 413 at its end */
    c->body_left = r->content_length;
    c->in_body = true;
    buf_take(s, &c->body, AS_SERVER_MAX_BODY);
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, REQUEST_S);
    if (r->expect_continue && r->content_length > 0) {
        /* the client waits for this before it sends the body (curl does above 1 MiB) */
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        unsigned char buf[LWS_PRE + sizeof(cont)];
        memcpy(buf + LWS_PRE, cont, sizeof(cont) - 1);
        if (lws_write(wsi, buf + LWS_PRE, sizeof(cont) - 1, LWS_WRITE_RAW) != (int)sizeof(cont) - 1)
            return -1;
    }
    return 1;
}

/*
 * Frames what it can of p[0..n): a request head, then its body. Stops after
 * a whole request (dispatched: the connection is busy) or when a head is not
 * complete yet. Returns the bytes used, or -1 to close.
 */
static long take(struct lws *wsi, struct as_server *s, struct conn *c, const char *p, size_t n)
{
    size_t used = 0;

    while (!c->busy && (used < n || (c->in_body && c->body_left == 0))) {
        if (!c->in_body) {
            struct as_httpd_request r;
            switch (as_httpd_parse_head(p + used, n - used, MAX_HEAD, &r)) {
            case AS_HTTPD_HEAD_MORE:
                return (long)used;
            case AS_HTTPD_HEAD_REJECT:
                refuse(wsi, s, c, r.status, r.why);
                return (long)n; /* the rest of the stream is not read */
            case AS_HTTPD_HEAD_DONE:
                break;
            }
            used += r.head_len;
            switch (begin_request(wsi, s, c, &r)) {
            case 0:
                return (long)n; /* refused: the rest of the stream is not read */
            case -1:
                return -1;
            default:
                continue;
            }
        }
        size_t part = n - used < c->body_left ? n - used : (size_t)c->body_left;
        if (!c->too_large && as_buf_append(&c->body, p + used, part) != AS_OK)
            return -1; /* out of memory: the body was within its limit */
        used += part;
        c->body_left -= part;
        if (c->body_left == 0)
            dispatch(wsi, s, c);
    }
    return (long)used;
}

/* Frames the held bytes (after an answer, or behind earlier ones); -1 to close. */
static int take_held(struct lws *wsi, struct as_server *s, struct conn *c)
{
    long used = take(wsi, s, c, c->held.data, c->held.len);

    if (used < 0)
        return -1;
    memmove(c->held.data, c->held.data + used, c->held.len - (size_t)used);
    c->held.len -= (size_t)used;
    c->held.data[c->held.len] = '\0';
    return 0;
}

/* Bytes from the client: framed in place when nothing is held before them; the rest is held. */
static int on_rx(struct lws *wsi, struct as_server *s, struct conn *c, const char *in, size_t len)
{
    long used;

    if (c->held.len == 0 && !c->busy) {
        used = take(wsi, s, c, in, len);
        if (used < 0)
            return -1;
        /* a head not complete yet, or the next request sent before this one's answer */
        if ((size_t)used < len && as_buf_append(&c->held, in + used, len - (size_t)used) != AS_OK)
            return -1;
        return 0;
    }
    if (as_buf_append(&c->held, in, len) != AS_OK)
        return -1; /* more than a head and a read held: a client that does not wait */
    return c->busy ? 0 : take_held(wsi, s, c);
}

/* After the last byte of an answer: the next request (keep-alive) or close. -1 to close. */
static int answered(struct lws *wsi, struct as_server *s, struct conn *c)
{
    if (c->close_after)
        return -1;
    request_clear(s, c);
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE, KEEPALIVE_S);
    lws_rx_flow_control(wsi, 1);
    return c->held.len > 0 ? take_held(wsi, s, c) : 0;
}

/* Writes the status line and headers, then the body in chunks. Returns -1 to close. */
static int on_writable(struct lws *wsi, struct as_server *s, struct conn *c)
{
    unsigned char buf[LWS_PRE + CHUNK];
    unsigned char *out = buf + LWS_PRE;
    size_t n = 0, total, left;

    if (!c->busy || c->status == 0)
        return 0;
    if (c->head_len == 0) {
        const char *reason = as_httpd_reason(c->status);
        int h = snprintf(c->head, sizeof(c->head),
                         "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s\r\n",
                         c->status, *reason != '\0' ? reason : "Status", c->resp_ctype, c->resp.len,
                         c->close_after ? "Connection: close\r\n" : "");
        if (h < 0 || (size_t)h >= sizeof(c->head))
            return -1; /* a content type of over 200 bytes: never one of ours */
        c->head_len = (size_t)h;
    }
    total = c->head_len + (c->head_only ? 0 : c->resp.len);
    if (c->sent < c->head_len) {
        n = c->head_len - c->sent;
        memcpy(out, c->head + c->sent, n);
    }
    left = total - c->sent - n; /* body bytes still to send */
    if (left > CHUNK - n)
        left = CHUNK - n;
    memcpy(out + n, c->resp.data + (c->sent + n - c->head_len), left);
    n += left;
    if (lws_write(wsi, out, n, LWS_WRITE_RAW) != (int)n)
        return -1;
    c->sent += n;
    if (c->sent < total) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    return answered(wsi, s, c);
}

/* The one protocol's callback: every connection is bound to it. */
static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct as_server *s = lws_context_user(lws_get_context(wsi));
    struct conn *c = user;

    switch (reason) {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
        if (s != NULL && user != NULL)
            as_tlsstore_attach(s->opts.tls, (SSL_CTX *)user);
        return 0;
    case LWS_CALLBACK_RAW_ADOPT:
        memset(c, 0, sizeof(*c));
        as_buf_init(&c->held, MAX_HELD);
        as_buf_init(&c->body, AS_SERVER_MAX_BODY);
        as_buf_init(&c->resp, AS_SERVER_MAX_RESPONSE);
        lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE, KEEPALIVE_S);
        return 0;
    case LWS_CALLBACK_RAW_RX:
        return c != NULL && s != NULL ? on_rx(wsi, s, c, in, len) : -1;
    case LWS_CALLBACK_RAW_WRITEABLE:
        return c != NULL && s != NULL ? on_writable(wsi, s, c) : 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (s != NULL)
            collect_jobs(s);
        return 0;
    case LWS_CALLBACK_RAW_CLOSE:
        if (c != NULL && s != NULL) {
            request_clear(s, c);
            as_buf_free(&c->held);
        }
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {"appstack-https", callback, sizeof(struct conn), 0, 0, NULL, 0},
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
     * certificates: ~50 ms of start-up and memory held for good) would verify nothing.
     * ADOPT_APPLY_LISTEN_ACCEPT_CONFIG: every connection is a raw TLS socket (see the top). */
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_IPV6 |
                   LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS |
                   LWS_SERVER_OPTION_ADOPT_APPLY_LISTEN_ACCEPT_CONFIG;
    info.listen_accept_role = "raw-skt";
    info.listen_accept_protocol = protocols[0].name;
    if (s->host[0] != '\0' && strchr(s->host, ':') != NULL)
        info.options &= ~(uint64_t)LWS_SERVER_OPTION_DISABLE_IPV6;
    info.server_ssl_cert_mem = opts->initial_cert_pem;
    info.server_ssl_cert_mem_len = (unsigned)strlen(opts->initial_cert_pem);
    info.server_ssl_private_key_mem = opts->initial_key_pem;
    info.server_ssl_private_key_mem_len = (unsigned)strlen(opts->initial_key_pem);
    info.ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
    info.alpn = "http/1.1";
    info.pt_serv_buf_size = SERVICE_BUF;
    info.timeout_secs = REQUEST_S; /* the TLS handshake's */
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
