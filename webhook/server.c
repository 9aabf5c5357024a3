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
 */
#include "server.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#define CHUNK 16384

struct as_server {
    struct lws_context *ctx;
    struct as_server_options opts;
    atomic_bool stop;
    char host[256];
};

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
};

/* Frees a connection's buffers. */
static void pss_clear(struct pss *p)
{
    as_buf_free(&p->body);
    as_buf_free(&p->resp);
    p->active = false;
}

/* Runs the handler and schedules the response. */
static void dispatch(struct lws *wsi, struct as_server *s, struct pss *p)
{
    struct as_http_request req = {
        .method = p->method,
        .path = p->path,
        .content_type = p->ctype,
        .body = p->body.data != NULL ? p->body.data : "",
        .body_len = p->body.len,
        .body_too_large = p->too_large,
    };

    as_buf_init(&p->resp, AS_SERVER_MAX_RESPONSE);
    p->resp_ctype = "text/plain; charset=utf-8";
    p->status = s->opts.handler(s->opts.handler_ctx, &req, &p->resp, &p->resp_ctype);
    if (p->resp.data == NULL)
        as_buf_append(&p->resp, "", 0);
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

    pss_clear(p);
    memset(p, 0, sizeof(*p));
    p->active = true;
    snprintf(p->method, sizeof(p->method), "%s", method_of(wsi));
    snprintf(p->path, sizeof(p->path), "%s", uri != NULL ? uri : "/");
    if (lws_hdr_copy(wsi, p->ctype, sizeof(p->ctype), WSI_TOKEN_HTTP_CONTENT_TYPE) < 0)
        p->ctype[0] = '\0';
    as_buf_init(&p->body, AS_SERVER_MAX_BODY);
    if (lws_hdr_copy(wsi, clen, sizeof(clen), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        n = strtoll(clen, &end, 10);
    if (n > (long long)AS_SERVER_MAX_BODY)
        p->too_large = true; /* the body is read and discarded; 413 at its end */
    if (n <= 0 && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) <= 0)
        dispatch(wsi, s, p);
    return 0;
}

/* Writes the status line and headers, then the body in chunks. Returns -1 to close. */
static int on_writable(struct lws *wsi, struct pss *p)
{
    unsigned char buf[LWS_PRE + CHUNK];
    unsigned char *start = buf + LWS_PRE, *ptr = start, *end = buf + sizeof(buf) - 1;
    size_t left, n;

    if (!p->active || p->status == 0)
        return 0;
    if (!p->headers_sent) {
        if (lws_add_http_common_headers(wsi, (unsigned int)p->status, p->resp_ctype,
                                        (lws_filepos_t)p->resp.len, &ptr, end) ||
            (p->close_after &&
             lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close",
                                          5, &ptr, end)) ||
            lws_finalize_write_http_header(wsi, start, &ptr, end))
            return -1;
        p->headers_sent = true;
        if (p->resp.len > 0) {
            lws_callback_on_writable(wsi);
            return 0;
        }
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
    bool close_after = p->close_after;
    pss_clear(p);
    p->status = 0;
    if (close_after)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
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
        if (p->status == 0)
            dispatch(wsi, s, p);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return on_writable(wsi, p);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (p != NULL)
            pss_clear(p);
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
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_IPV6;
    if (s->host[0] != '\0' && strchr(s->host, ':') != NULL)
        info.options &= ~(uint64_t)LWS_SERVER_OPTION_DISABLE_IPV6;
    info.server_ssl_cert_mem = opts->initial_cert_pem;
    info.server_ssl_cert_mem_len = (unsigned)strlen(opts->initial_cert_pem);
    info.server_ssl_private_key_mem = opts->initial_key_pem;
    info.server_ssl_private_key_mem_len = (unsigned)strlen(opts->initial_key_pem);
    info.ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
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
    if (s == NULL)
        return;
    lws_context_destroy(s->ctx);
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
