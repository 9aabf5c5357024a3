/*
 * httpd.h - a tiny plain-HTTP/1.1 server for /metrics, /healthz and /readyz.
 *
 * One thread ("httpd") runs poll(2) over non-blocking sockets: the listeners,
 * up to max_clients connections and a self-pipe that as_httpd_stop writes to.
 * GET and HEAD only; every response carries Content-Length; HTTP/1.1
 * keep-alive and pipelining are supported, requests with a body are answered
 * and the connection closed. There is no TLS, no request body, no chunked
 * encoding: this is for scrapes and probes, not for an API (the webhook serves
 * HTTPS on libwebsockets and frames its requests with as_httpd_parse_head).
 *
 * The request-head parser is a separate pure function (as_httpd_parse_head)
 * so it can be unit-tested and fuzzed without sockets.
 */
#ifndef AS_HTTPD_HTTPD_H
#define AS_HTTPD_HTTPD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/status.h"

#define AS_HTTPD_DEFAULT_MAX_REQUEST 8192     /* bytes of request head */
#define AS_HTTPD_DEFAULT_READ_TIMEOUT_MS 5000 /* per request head, and per write stall */
#define AS_HTTPD_DEFAULT_MAX_CLIENTS 64
#define AS_HTTPD_DEFAULT_MAX_RESPONSE (4u << 20) /* bytes of response body */

/*
 * What a handler fills in. The server sets status 200, content_type
 * "text/plain; charset=utf-8", an empty body limited to max_response bytes
 * and `listener` before the call; the handler changes what it needs and
 * appends to body (an append past the limit fails with AS_E_LIMIT and leaves
 * the body as it was). A status outside 200-599, or a content_type that is
 * NULL or holds a control character, is answered as 500. 204 and 304 are
 * sent without a body and without Content-Length (RFC 9110 forbids them).
 */
struct as_httpd_response {
    int status;
    const char *content_type; /* borrowed; must stay valid until the handler returns */
    struct as_buf body;       /* owned by the server */
    size_t listener;          /* in: index in options.addrs of the listener that accepted */
};

/*
 * Called on the server thread for each GET or HEAD request; it must be quick
 * (render from memory, never block on the network). method is "GET" or
 * "HEAD" (for HEAD the body is measured for Content-Length, then dropped, so
 * handlers need not tell them apart); path is the request target's path
 * without the query, not percent-decoded, always starting with '/'.
 */
typedef void (*as_httpd_handler)(const char *method, const char *path,
                                 struct as_httpd_response *resp, void *ctx);

struct as_httpd_options {
    /* ":8080" (all interfaces), "127.0.0.1:0", "[::1]:9000", "HOST:PORT"; port 0 = ephemeral */
    const char *const *addrs;
    size_t n_addrs;
    /* optional, n_addrs entries: what each address is called in errors ("--metrics-bind-address")
     */
    const char *const *names;
    as_httpd_handler handler;
    void *ctx;
    size_t max_request;   /* request head limit, 0 = 8 KiB; over it -> 431 and close */
    long read_timeout_ms; /* 0 = 5000: a head not complete in time, or a stalled write, drops */
    int max_clients;      /* 0 = 64 concurrent connections; more wait in the backlog */
    size_t max_response;  /* response body limit, 0 = 4 MiB */
};

struct as_httpd;

/*
 * Binds and listens on every address (SO_REUSEADDR), then starts the server
 * thread "httpd" with every signal blocked. ":PORT" binds all interfaces,
 * IPv6 and IPv4 when the kernel has IPv6, else IPv4 only. Options are copied
 * (addrs and names are not kept). On failure nothing is left open, *out is
 * unchanged and err names the address: "--metrics-bind-address :8080:
 * Address already in use; ...".
 */
as_status as_httpd_start(const struct as_httpd_options *o, struct as_httpd **out,
                         struct as_error *err);

/* The port addrs[i] is bound to (useful for port 0); -1 when i is out of range. */
int as_httpd_port(const struct as_httpd *h, size_t i);

/*
 * Wakes the server thread, joins it, closes every listener and connection
 * (in-flight responses are dropped) and frees h. NULL-safe. Must not be
 * called from the handler.
 */
void as_httpd_stop(struct as_httpd *h);

/* ---- request-head parser (pure; parse.c) ---- */

enum as_httpd_head {
    AS_HTTPD_HEAD_MORE,   /* no blank line yet and nothing wrong so far: read more */
    AS_HTTPD_HEAD_DONE,   /* a whole head was parsed; req is filled */
    AS_HTTPD_HEAD_REJECT, /* answer req->status and close */
};

/* A parsed request head. Pointers borrow from the buffer given to the parser. */
struct as_httpd_request {
    const char *method; /* a token, e.g. "GET"; not NUL-terminated */
    size_t method_len;
    /*
     * The target's path: origin-form up to '?' or '#'; for absolute-form
     * ("http://host/p?q") the "/p" part ("/" when empty). Any other form ("*",
     * "host:443") is passed through whole and does not start with '/'.
     */
    const char *path;
    size_t path_len;
    int minor;                         /* HTTP/1.minor */
    bool keep_alive;                   /* the client allows another request on this connection */
    bool has_body;                     /* Content-Length > 0 or Transfer-Encoding present */
    bool transfer_encoding;            /* a Transfer-Encoding field is present */
    bool expect_continue;              /* Expect: 100-continue (the client waits for a 100) */
    unsigned long long content_length; /* 0 when absent */
    const char *content_type;          /* the Content-Type value, trimmed; NULL when absent */
    size_t content_type_len;
    size_t head_len; /* bytes up to and including the blank line */
    int status;      /* REJECT: 400, 431 or 505 */
    const char *why; /* REJECT: a short reason for the response body (static) */
};

/*
 * Parses the request head at the start of buf[0..len). Accepts CRLF or bare
 * LF line ends and skips empty lines before the request line. Rejects with
 * 400 a malformed request line, a header without a token name and a colon,
 * obsolete line folding, control characters, a bad or conflicting
 * Content-Length, more than one Host and an HTTP/1.1 request without one; with 505
 * any version other than 1.x; with 431 a head longer than max bytes (or len
 * >= max with no end in sight). Garbage is rejected as soon as it is seen,
 * before the head is complete. req is always written; on MORE its contents
 * are unspecified.
 */
enum as_httpd_head as_httpd_parse_head(const char *buf, size_t len, size_t max,
                                       struct as_httpd_request *req);

/* The standard reason phrase for a status code ("Not Found"); "" when unknown. Static. */
const char *as_httpd_reason(int status);

#endif
