/*
 * server.h - the HTTPS server (libwebsockets 4.1 for TLS and the event loop,
 * HTTP/1.1 framed by server.c): TLS 1.2+, keep-alive and pipelining (no
 * HTTP/2), bounded request bodies with Content-Length, one handler call per
 * request: on the service thread, or for large bodies on a pool of worker
 * threads (jobs.h) while the service thread keeps doing TLS and I/O for every
 * other connection. Routing and content live in routes.c; this
 * file only moves bytes.
 */
#ifndef AS_WEBHOOK_SERVER_H
#define AS_WEBHOOK_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/status.h"
#include "tlsstore.h"

/* Largest request body read (bigger ones get 413 without being read). */
#define AS_SERVER_MAX_BODY (3u * 1024u * 1024u)
/*
 * Bodies from this size are decided on a worker thread (when there are
 * workers): a 5 KB review takes ~30 µs, less than handing it over; a 2.5 MB
 * one takes ~6 ms, during which the service thread would serve nobody.
 */
#define AS_SERVER_OFFLOAD_MIN (64u * 1024u)
/* Largest response produced. */
#define AS_SERVER_MAX_RESPONSE (4u * 1024u * 1024u)

/* One request as the handler sees it (all borrowed for the call). */
struct as_http_request {
    const char *method;       /* "GET", "POST", "PUT", ... */
    const char *path;         /* without the query string */
    const char *content_type; /* "" when absent */
    const char *body;         /* NUL-terminated; "" for none */
    size_t body_len;
    bool body_too_large; /* the body passed AS_SERVER_MAX_BODY and was not kept */
};

/*
 * Fills out (max AS_SERVER_MAX_RESPONSE) and sets *content_type (static
 * string); returns the HTTP status.
 */
typedef int (*as_http_handler)(void *ctx, const struct as_http_request *req, struct as_buf *out,
                               const char **content_type);

struct as_server_options {
    const char *host; /* NULL or "" = all addresses */
    int port;
    struct as_tlsstore *tls; /* borrowed; must hold a certificate before start */
    const char *initial_cert_pem, *initial_key_pem; /* the first certificate (lws needs one) */
    as_http_handler handler; /* called on the service thread, or on a worker (then on several
                                threads at once: it must be thread-safe) */
    void *handler_ctx;
    unsigned workers;   /* threads for large bodies; 0: everything on the service thread */
    size_t offload_min; /* bodies from this size go to a worker; 0 = AS_SERVER_OFFLOAD_MIN */
};

struct as_server;

/* Creates the context and listens. AS_E_NETWORK when it cannot bind. */
as_status as_server_new(const struct as_server_options *opts, struct as_server **out,
                        struct as_error *err);

/* Serves until as_server_stop is called (from a signal handler or another thread). */
void as_server_run(struct as_server *s);

/* Asks the run loop to return. Async-signal-safe. */
void as_server_stop(struct as_server *s);

void as_server_free(struct as_server *s);

/* Parses "HOST:PORT", ":PORT", "[v6]:PORT". host is copied into host_buf. */
as_status as_server_parse_listen(const char *s, char *host_buf, size_t host_size, int *port,
                                 struct as_error *err);

#endif
