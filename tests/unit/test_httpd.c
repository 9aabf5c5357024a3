/*
 * test_httpd.c - unit tests for lib/httpd: the pure request-head parser
 * (verdicts, statuses, paths, keep-alive, prefixes) and the server over real
 * sockets on 127.0.0.1 port 0: 200 with body and Content-Length, HEAD, 404
 * from the handler, 405, 400, 431, 500 for a bad handler answer, keep-alive
 * and pipelining, a slow client that does not block others, max_clients,
 * a client that goes away mid-response (SIGPIPE), stop with a client
 * connected, two listeners, bind errors that name the address, and no file
 * descriptor left open after stop.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "httpd/httpd.h"

#define BIG_BODY (2u << 20)

static long long mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Open file descriptors of this process. */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the DIR's own fd */
}

/* ---- a handler that records what it saw ---- */

struct seen {
    pthread_mutex_t lock;
    int calls;
    char method[8];
    char path[256];
    size_t listener;
};

static struct seen seen = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void handler(const char *method, const char *path, struct as_httpd_response *resp, void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&seen.lock);
    seen.calls++;
    snprintf(seen.method, sizeof seen.method, "%s", method);
    snprintf(seen.path, sizeof seen.path, "%s", path);
    seen.listener = resp->listener;
    pthread_mutex_unlock(&seen.lock);
    if (strcmp(path, "/metrics") == 0) {
        resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
        as_buf_appendf(&resp->body, "appstack_up %d\nappstack_listener %zu\n", 1, resp->listener);
    } else if (strcmp(path, "/healthz") == 0) {
        as_buf_append_str(&resp->body, "ok\n");
    } else if (strcmp(path, "/big") == 0) {
        char chunk[4096];
        memset(chunk, 'x', sizeof chunk);
        for (size_t i = 0; i < BIG_BODY / sizeof chunk; i++)
            as_buf_append(&resp->body, chunk, sizeof chunk);
    } else if (strcmp(path, "/bad-status") == 0) {
        resp->status = 99;
    } else if (strcmp(path, "/empty") == 0) {
        resp->status = 204;
        as_buf_append_str(&resp->body, "dropped");
    } else {
        resp->status = 404;
        as_buf_append_str(&resp->body, "not found\n");
    }
}

static int seen_calls(void)
{
    int n;

    pthread_mutex_lock(&seen.lock);
    n = seen.calls;
    pthread_mutex_unlock(&seen.lock);
    return n;
}

/* Asserts that the last handler call saw method and path. */
static void expect_seen(const char *method, const char *path)
{
    pthread_mutex_lock(&seen.lock);
    ck_assert_str_eq(seen.method, method);
    ck_assert_str_eq(seen.path, path);
    pthread_mutex_unlock(&seen.lock);
}

/* ---- client helpers ---- */

static bool last_read_clean; /* the last read_all ended with an orderly EOF, not a reset */

static struct as_httpd *start(const char *addr, long timeout_ms, size_t max_request,
                              int max_clients)
{
    const char *addrs[] = {addr};
    struct as_httpd_options o = {.addrs = addrs,
                                 .n_addrs = 1,
                                 .handler = handler,
                                 .read_timeout_ms = timeout_ms,
                                 .max_request = max_request,
                                 .max_clients = max_clients};
    struct as_httpd *h = NULL;
    struct as_error err = {0};

    ck_assert_msg(as_httpd_start(&o, &h, &err) == AS_OK, "%s", err.message);
    ck_assert_int_gt(as_httpd_port(h, 0), 0);
    return h;
}

static int dial(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    struct timeval tv = {.tv_sec = 5};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "connect: %s",
                  strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        ck_assert_msg(w > 0, "send: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
}

/* Reads until EOF (or an error, or the 5 s receive timeout); caller frees. */
static char *read_all(int fd, size_t *len)
{
    struct as_buf b;
    char chunk[8192];
    ssize_t n;

    as_buf_init(&b, 16u << 20);
    while ((n = recv(fd, chunk, sizeof chunk, 0)) > 0)
        ck_assert_int_eq(as_buf_append(&b, chunk, (size_t)n), AS_OK);
    last_read_clean = n == 0;
    if (len)
        *len = b.len;
    return as_buf_steal(&b);
}

/* Sends req on a new connection and returns everything the server sent until it closed. */
static char *roundtrip(int port, const char *req)
{
    int fd = dial(port);
    char *resp;

    send_all(fd, req, strlen(req));
    resp = read_all(fd, NULL);
    close(fd);
    return resp;
}

static int status_of(const char *resp)
{
    int code = 0;

    ck_assert_msg(sscanf(resp, "HTTP/1.1 %d ", &code) == 1, "no status line in: %.80s", resp);
    return code;
}

/* The value of header `name` (exact case as sent) in resp, copied into out; false if absent. */
static bool header_of(const char *resp, const char *name, char *out, size_t outsz)
{
    const char *end = strstr(resp, "\r\n\r\n");
    size_t n = strlen(name);

    for (const char *p = strstr(resp, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n")) {
        if (strncmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
            const char *v = p + 2 + n + 1, *e = strstr(v, "\r\n");
            while (*v == ' ')
                v++;
            snprintf(out, outsz, "%.*s", (int)(e - v), v);
            return true;
        }
    }
    return false;
}

static const char *body_of(const char *resp)
{
    const char *p = strstr(resp, "\r\n\r\n");

    ck_assert_ptr_nonnull(p);
    return p + 4;
}

static long content_length_of(const char *resp)
{
    char v[32];

    ck_assert_msg(header_of(resp, "Content-Length", v, sizeof v), "no Content-Length: %s", resp);
    return strtol(v, NULL, 10);
}

/* True when fd becomes readable (data or EOF) within ms. */
static bool readable_within(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    return poll(&p, 1, ms) == 1;
}

/* ---- the parser ---- */

static enum as_httpd_head parse(const char *s, struct as_httpd_request *req)
{
    return as_httpd_parse_head(s, strlen(s), 8192, req);
}

START_TEST(parser_accepts_well_formed_heads)
{
    struct as_httpd_request r;
    const char *s = "GET /metrics?name[]=x HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\nNEXT";

    ck_assert_int_eq(parse(s, &r), AS_HTTPD_HEAD_DONE);
    ck_assert_uint_eq(r.method_len, 3);
    ck_assert_int_eq(memcmp(r.method, "GET", 3), 0);
    ck_assert_uint_eq(r.path_len, 8);
    ck_assert_int_eq(memcmp(r.path, "/metrics", 8), 0);
    ck_assert_int_eq(r.minor, 1);
    ck_assert(r.keep_alive);
    ck_assert(!r.has_body);
    ck_assert_uint_eq(r.head_len, strlen(s) - 4);

    /* Bare LF, leading empty lines, HTTP/1.0 without Host (allowed), absolute-form. */
    ck_assert_int_eq(parse("\r\n\nHEAD http://h:1/readyz#f HTTP/1.0\nX:  y \n\n", &r),
                     AS_HTTPD_HEAD_DONE);
    ck_assert_uint_eq(r.path_len, 7);
    ck_assert_int_eq(memcmp(r.path, "/readyz", 7), 0);
    ck_assert_int_eq(r.minor, 0);
    ck_assert(!r.keep_alive);
    ck_assert_int_eq(parse("GET HTTPS://h?q HTTP/1.0\r\n\r\n", &r), AS_HTTPD_HEAD_DONE);
    ck_assert_uint_eq(r.path_len, 1);
    ck_assert_int_eq(r.path[0], '/');
    ck_assert_int_eq(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &r), AS_HTTPD_HEAD_DONE);
    ck_assert_uint_eq(r.path_len, 1);
    ck_assert_int_eq(r.path[0], '*');
}
END_TEST

START_TEST(parser_reads_connection_and_body_fields)
{
    struct as_httpd_request r;

    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, CLOSE\r\n\r\n", &r),
                     AS_HTTPD_HEAD_DONE);
    ck_assert(!r.keep_alive);
    ck_assert_int_eq(parse("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", &r),
                     AS_HTTPD_HEAD_DONE);
    ck_assert(r.keep_alive);
    ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", &r),
                     AS_HTTPD_HEAD_DONE);
    ck_assert(r.has_body);
    ck_assert_uint_eq(r.content_length, 5);
    ck_assert(!r.transfer_encoding);
    ck_assert_ptr_null(r.content_type);
    ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &r),
                     AS_HTTPD_HEAD_DONE);
    ck_assert(!r.has_body);
    ck_assert_uint_eq(r.content_length, 0);
    ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", &r),
                     AS_HTTPD_HEAD_DONE);
    ck_assert(r.has_body);
    ck_assert(r.transfer_encoding);
    ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\ncontent-type:  application/json; "
                           "charset=utf-8 \t\r\nContent-Length: 18446744073\r\n\r\n",
                           &r),
                     AS_HTTPD_HEAD_DONE);
    ck_assert_uint_eq(r.content_length, 18446744073ull);
    ck_assert_uint_eq(r.content_type_len, strlen("application/json; charset=utf-8"));
    ck_assert(memcmp(r.content_type, "application/json; charset=utf-8", r.content_type_len) == 0);
    ck_assert(!r.expect_continue);
    ck_assert_int_eq(
        parse("POST / HTTP/1.1\r\nHost: a\r\nEXPECT: 100-Continue\r\nContent-Length: 1\r\n\r\n",
              &r),
        AS_HTTPD_HEAD_DONE);
    ck_assert(r.expect_continue);
    ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", &r),
                     AS_HTTPD_HEAD_DONE);
    ck_assert(!r.expect_continue);
}
END_TEST

START_TEST(parser_rejects_malformed_heads_with_the_right_status)
{
    static const struct {
        const char *in;
        int status;
    } cases[] = {
        {"garbage\r\n\r\n", 400},
        {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
        {"GET / http/1.1\r\nHost: a\r\n\r\n", 400},
        {"GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400},
        {"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        {"G\x01T / HTTP/1.1\r\n", 400},
        {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
        {"GET / HTTP/0.9\r\n\r\n", 505},
        {"GET / HTTP/1.1\r\n\r\n", 400},                       /* no Host */
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400}, /* two Hosts */
        {"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400}, /* obs-fold */
        {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},           /* space before colon */
        {"GET / HTTP/1.1\r\nHost a\r\n\r\n", 400},             /* no colon */
        {"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400},         /* bare CR */
        {"GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n", 400}, /* control character */
        {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 9999999999999999999\r\n\r\n", 400},
    };
    struct as_httpd_request r;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_msg(parse(cases[i].in, &r) == AS_HTTPD_HEAD_REJECT, "case %zu accepted", i);
        ck_assert_msg(r.status == cases[i].status, "case %zu: status %d, want %d", i, r.status,
                      cases[i].status);
        ck_assert_ptr_nonnull(r.why);
    }
}
END_TEST

START_TEST(parser_waits_for_more_and_rejects_garbage_early)
{
    static const char *full =
        "GET /healthz HTTP/1.1\r\nHost: a\r\nUser-Agent: kube-probe/1.30\r\n\r\n";
    struct as_httpd_request r;
    size_t n = strlen(full);

    /* Every proper prefix of a good head asks for more. */
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(as_httpd_parse_head(full, k, 8192, &r) == AS_HTTPD_HEAD_MORE,
                      "prefix of %zu bytes", k);
    ck_assert_int_eq(as_httpd_parse_head(full, n, 8192, &r), AS_HTTPD_HEAD_DONE);
    /* A TLS ClientHello (or any binary) is refused at once, without a line end. */
    ck_assert_int_eq(as_httpd_parse_head("\x16\x03\x01\x02\x00", 5, 8192, &r),
                     AS_HTTPD_HEAD_REJECT);
    ck_assert_int_eq(r.status, 400);
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nX-Bad\x02", &r), AS_HTTPD_HEAD_REJECT);
    ck_assert_int_eq(r.status, 400);
}
END_TEST

START_TEST(parser_limits_the_head_to_max_bytes)
{
    static const char *head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    struct as_httpd_request r;
    size_t n = strlen(head);

    ck_assert_int_eq(as_httpd_parse_head(head, n, n, &r), AS_HTTPD_HEAD_DONE);
    ck_assert_int_eq(as_httpd_parse_head(head, n, n - 1, &r), AS_HTTPD_HEAD_REJECT);
    ck_assert_int_eq(r.status, 431);
    /* max bytes without a blank line: 431 without waiting for more. */
    ck_assert_int_eq(as_httpd_parse_head(head, n - 2, n - 2, &r), AS_HTTPD_HEAD_REJECT);
    ck_assert_int_eq(r.status, 431);
    ck_assert_int_eq(as_httpd_parse_head(head, n - 2, n - 1, &r), AS_HTTPD_HEAD_MORE);
    ck_assert_str_eq(as_httpd_reason(431), "Request Header Fields Too Large");
    ck_assert_str_eq(as_httpd_reason(299), "");
}
END_TEST

/* ---- the server ---- */

START_TEST(get_returns_200_with_body_and_content_length)
{
    int fds = count_fds();
    struct as_httpd *h = start("127.0.0.1:0", 0, 0, 0);
    char *resp = roundtrip(as_httpd_port(h, 0),
                           "GET /metrics?x=1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    char v[128];

    ck_assert_int_eq(status_of(resp), 200);
    ck_assert_str_eq(body_of(resp), "appstack_up 1\nappstack_listener 0\n");
    ck_assert_int_eq(content_length_of(resp), (long)strlen(body_of(resp)));
    ck_assert(header_of(resp, "Content-Type", v, sizeof v));
    ck_assert_str_eq(v, "text/plain; version=0.0.4; charset=utf-8");
    ck_assert(header_of(resp, "Connection", v, sizeof v));
    ck_assert_str_eq(v, "close");
    ck_assert(header_of(resp, "Date", v, sizeof v));
    expect_seen("GET", "/metrics");
    free(resp);
    as_httpd_stop(h);
    as_httpd_stop(NULL);
    ck_assert_int_eq(count_fds(), fds);
}
END_TEST

START_TEST(head_has_the_get_length_and_no_body)
{
    struct as_httpd *h = start("127.0.0.1:0", 0, 0, 0);
    int port = as_httpd_port(h, 0);
    char *get = roundtrip(port, "GET /healthz HTTP/1.0\r\n\r\n");
    char *head = roundtrip(port, "HEAD /healthz HTTP/1.0\r\n\r\n");

    ck_assert_int_eq(status_of(head), 200);
    ck_assert_int_eq(content_length_of(head), content_length_of(get));
    ck_assert_int_eq(content_length_of(get), 3);
    ck_assert_str_eq(body_of(head), "");
    expect_seen("HEAD", "/healthz");
    free(get);
    free(head);
    as_httpd_stop(h);
}
END_TEST

START_TEST(handler_404_and_bad_answers)
{
    struct as_httpd *h = start("127.0.0.1:0", 0, 0, 0);
    int port = as_httpd_port(h, 0);
    char *r404 = roundtrip(port, "GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    char *r500 =
        roundtrip(port, "GET /bad-status HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    char *r204 = roundtrip(port, "GET /empty HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    char v[32];

    ck_assert_int_eq(status_of(r404), 404);
    ck_assert_str_eq(body_of(r404), "not found\n");
    ck_assert_int_eq(content_length_of(r404), 10);
    ck_assert_int_eq(status_of(r500), 500);
    ck_assert_int_eq(status_of(r204), 204);
    ck_assert(!header_of(r204, "Content-Length", v, sizeof v));
    ck_assert_str_eq(body_of(r204), "");
    free(r404);
    free(r500);
    free(r204);
    as_httpd_stop(h);
}
END_TEST

START_TEST(post_is_405_with_allow_and_never_reaches_the_handler)
{
    struct as_httpd *h = start("127.0.0.1:0", 0, 0, 0);
    int before = seen_calls();
    char *resp = roundtrip(as_httpd_port(h, 0), "POST /metrics HTTP/1.1\r\nHost: t\r\n"
                                                "Content-Length: 5\r\n\r\nhello");
    char v[64];

    ck_assert_int_eq(status_of(resp), 405);
    ck_assert(last_read_clean);
    ck_assert(header_of(resp, "Allow", v, sizeof v));
    ck_assert_str_eq(v, "GET, HEAD");
    ck_assert_int_eq(content_length_of(resp), (long)strlen(body_of(resp)));
    ck_assert(header_of(resp, "Connection", v, sizeof v)); /* it had a body: closed */
    ck_assert_str_eq(v, "close");
    ck_assert_int_eq(seen_calls(), before);
    free(resp);
    as_httpd_stop(h);
}
END_TEST

START_TEST(oversized_head_is_431_and_garbage_is_400)
{
    struct as_httpd *h = start("127.0.0.1:0", 0, 1024, 0);
    int port = as_httpd_port(h, 0), before = seen_calls();
    struct as_buf req;
    char *big, *garbage, *tls;
    long long t0;

    as_buf_init(&req, 1 << 20);
    as_buf_append_str(&req, "GET /metrics HTTP/1.1\r\nHost: t\r\nX-Pad: ");
    for (int i = 0; i < 3000; i++)
        as_buf_append_str(&req, "a");
    as_buf_append_str(&req, "\r\n\r\n");
    big = roundtrip(port, req.data);
    ck_assert_int_eq(status_of(big), 431);
    /* Unread input is drained before closing, so the client sees FIN, not RST. */
    ck_assert(last_read_clean);
    ck_assert_int_eq(content_length_of(big), (long)strlen(body_of(big)));
    garbage = roundtrip(port, "garbage\r\n\r\n");
    ck_assert_int_eq(status_of(garbage), 400);
    /* A TLS hello gets its 400 at once, not after the read timeout. */
    t0 = mono_ms();
    tls = roundtrip(port, "\x16\x03\x01\x02\x00\x01");
    ck_assert_int_eq(status_of(tls), 400);
    ck_assert_int_lt(mono_ms() - t0, 2000);
    ck_assert_int_eq(seen_calls(), before);
    free(big);
    free(garbage);
    free(tls);
    as_buf_free(&req);
    as_httpd_stop(h);
}
END_TEST

START_TEST(keep_alive_serves_pipelined_requests_on_one_connection)
{
    struct as_httpd *h = start("127.0.0.1:0", 0, 0, 0);
    int fd = dial(as_httpd_port(h, 0)), before = seen_calls();
    const char *reqs = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
                       "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
                       "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    char *all, *second, *third;

    send_all(fd, reqs, strlen(reqs));
    all = read_all(fd, NULL);
    ck_assert_int_eq(status_of(all), 200);
    second = strstr(all, "ok\nHTTP/1.1 ");
    ck_assert_ptr_nonnull(second);
    ck_assert_int_eq(status_of(second + 3), 404);
    third = strstr(second + 3, "not found\nHTTP/1.1 ");
    ck_assert_ptr_nonnull(third);
    ck_assert_int_eq(status_of(third + 10), 200);
    ck_assert_int_eq(seen_calls() - before, 3);
    free(all);
    close(fd);
    as_httpd_stop(h);
}
END_TEST

START_TEST(slow_client_does_not_block_another_and_is_dropped)
{
    struct as_httpd *h = start("127.0.0.1:0", 300, 0, 0);
    int port = as_httpd_port(h, 0);
    int slow = dial(port);
    long long t0;
    char *resp, *rest;

    send_all(slow, "GET /metrics HT", 15);
    t0 = mono_ms();
    resp = roundtrip(port, "GET /healthz HTTP/1.0\r\n\r\n");
    ck_assert_int_eq(status_of(resp), 200);
    ck_assert_int_lt(mono_ms() - t0, 250); /* well before the slow client's timeout */
    /* The slow client is dropped after the read timeout, without a response. */
    ck_assert(readable_within(slow, 3000));
    ck_assert_int_ge(mono_ms() - t0, 250);
    rest = read_all(slow, NULL);
    ck_assert_str_eq(rest, "");
    free(resp);
    free(rest);
    close(slow);
    as_httpd_stop(h);
}
END_TEST

START_TEST(max_clients_makes_others_wait_in_the_backlog)
{
    struct as_httpd *h = start("127.0.0.1:0", 0, 0, 1);
    int port = as_httpd_port(h, 0);
    int idle = dial(port), waiting;
    char *resp;

    send_all(idle, "GET /", 5);
    usleep(100 * 1000); /* let the server accept the first one */
    waiting = dial(port);
    send_all(waiting, "GET /healthz HTTP/1.0\r\n\r\n", 25);
    ck_assert(!readable_within(waiting, 300));
    close(idle); /* frees the only slot */
    resp = read_all(waiting, NULL);
    ck_assert_int_eq(status_of(resp), 200);
    free(resp);
    close(waiting);
    as_httpd_stop(h);
}
END_TEST

START_TEST(client_gone_mid_response_does_not_kill_the_server)
{
    struct as_httpd *h = start("127.0.0.1:0", 0, 0, 0);
    int port = as_httpd_port(h, 0);
    char *resp;

    /*
     * Ask for 2 MiB and close at once (FIN): the server is in CLOSE_WAIT, its
     * first send draws an RST, and the next send fails with EPIPE, which
     * raises SIGPIPE (killing this test process) unless MSG_NOSIGNAL is used.
     */
    for (int i = 0; i < 5; i++) {
        int fd = dial(port);
        send_all(fd, "GET /big HTTP/1.0\r\n\r\n", 21);
        close(fd);
    }
    usleep(200 * 1000);
    resp = roundtrip(port, "GET /big HTTP/1.0\r\n\r\n");
    ck_assert_int_eq(status_of(resp), 200);
    ck_assert_int_eq(content_length_of(resp), BIG_BODY);
    ck_assert_uint_eq(strlen(body_of(resp)), BIG_BODY);
    free(resp);
    as_httpd_stop(h);
}
END_TEST

START_TEST(stop_with_a_client_connected_returns_promptly)
{
    int fds = count_fds();
    struct as_httpd *h = start("127.0.0.1:0", 0, 0, 0); /* default 5 s timeout */
    int fd = dial(as_httpd_port(h, 0));
    long long t0;
    char *rest;

    send_all(fd, "GET /metrics HTTP/1.1\r\nHost:", 28);
    usleep(100 * 1000);
    t0 = mono_ms();
    as_httpd_stop(h);
    ck_assert_int_lt(mono_ms() - t0, 500);
    rest = read_all(fd, NULL); /* the server closed it */
    ck_assert_str_eq(rest, "");
    free(rest);
    close(fd);
    ck_assert_int_eq(count_fds(), fds);
}
END_TEST

START_TEST(two_listeners_on_two_ports)
{
    const char *addrs[] = {"127.0.0.1:0", ":0"};
    struct as_httpd_options o = {.addrs = addrs, .n_addrs = 2, .handler = handler};
    struct as_httpd *h = NULL;
    struct as_error err = {0};
    char *a, *b;

    ck_assert_msg(as_httpd_start(&o, &h, &err) == AS_OK, "%s", err.message);
    ck_assert_int_gt(as_httpd_port(h, 0), 0);
    ck_assert_int_gt(as_httpd_port(h, 1), 0);
    ck_assert_int_ne(as_httpd_port(h, 0), as_httpd_port(h, 1));
    ck_assert_int_eq(as_httpd_port(h, 2), -1);
    a = roundtrip(as_httpd_port(h, 0), "GET /metrics HTTP/1.0\r\n\r\n");
    b = roundtrip(as_httpd_port(h, 1), "GET /metrics HTTP/1.0\r\n\r\n");
    ck_assert_str_eq(body_of(a), "appstack_up 1\nappstack_listener 0\n");
    ck_assert_str_eq(body_of(b), "appstack_up 1\nappstack_listener 1\n");
    free(a);
    free(b);
    as_httpd_stop(h);
}
END_TEST

START_TEST(ipv6_loopback_literal)
{
    const char *addrs[] = {"[::1]:0"};
    struct as_httpd_options o = {.addrs = addrs, .n_addrs = 1, .handler = handler};
    struct as_httpd *h = NULL;
    struct as_error err = {0};
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    int fd;
    char *resp;

    if (as_httpd_start(&o, &h, &err) != AS_OK) {
        /* Only a host without IPv6 may refuse, and then the message says why. */
        ck_assert_msg(strstr(err.message, "listen address [::1]:0: "), "%s", err.message);
        fprintf(stderr, "SKIP ipv6_loopback_literal: %s\n", err.message);
        return;
    }
    sa.sin6_port = htons((unsigned short)as_httpd_port(h, 0));
    fd = socket(AF_INET6, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    send_all(fd, "GET /healthz HTTP/1.0\r\n\r\n", 25);
    resp = read_all(fd, NULL);
    ck_assert_int_eq(status_of(resp), 200);
    free(resp);
    close(fd);
    as_httpd_stop(h);
}
END_TEST

/* Starts with one address and returns the error message (static). */
static const char *start_error(const char *addr, const char *name)
{
    static struct as_error err;
    const char *addrs[] = {addr}, *names[] = {name};
    struct as_httpd_options o = {.addrs = addrs, .n_addrs = 1, .names = names, .handler = handler};
    struct as_httpd *h = NULL;

    memset(&err, 0, sizeof err);
    ck_assert_int_ne(as_httpd_start(&o, &h, &err), AS_OK);
    ck_assert_ptr_null(h);
    return err.message;
}

START_TEST(bind_errors_name_the_address)
{
    int fds = count_fds();
    struct as_httpd *h = start("127.0.0.1:0", 0, 0, 0);
    char addr[64], want[128];
    const char *msg;

    snprintf(addr, sizeof addr, "127.0.0.1:%d", as_httpd_port(h, 0));
    msg = start_error(addr, "--metrics-bind-address");
    snprintf(want, sizeof want, "--metrics-bind-address %s: ", addr);
    ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "%s", msg);
    ck_assert_msg(strstr(msg, "in use"), "%s", msg);
    msg = start_error("8080", "--health-probe-bind-address");
    ck_assert_str_eq(msg, "--health-probe-bind-address 8080: expected HOST:PORT, :PORT or "
                          "[IPV6]:PORT");
    msg = start_error("::1:80", "--metrics-bind-address");
    ck_assert_msg(strstr(msg, "--metrics-bind-address ::1:80: ") && strstr(msg, "brackets"), "%s",
                  msg);
    msg = start_error(":70000", NULL);
    ck_assert_str_eq(msg, "listen address :70000: port must be a number from 0 to 65535");
    msg = start_error("127.0.0.1:", NULL);
    ck_assert_msg(strstr(msg, "port must be"), "%s", msg);
    msg = start_error("[::1:80", NULL);
    ck_assert_msg(strstr(msg, "expected [IPV6]:PORT"), "%s", msg);
    msg = start_error("no-such-host.invalid:80", "--metrics-bind-address");
    ck_assert_msg(strstr(msg, "--metrics-bind-address no-such-host.invalid:80: cannot resolve"),
                  "%s", msg);
    as_httpd_stop(h);
    ck_assert_int_eq(count_fds(), fds);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("httpd");
    TCase *parser = tcase_create("parser"), *server = tcase_create("server");

    tcase_add_test(parser, parser_accepts_well_formed_heads);
    tcase_add_test(parser, parser_reads_connection_and_body_fields);
    tcase_add_test(parser, parser_rejects_malformed_heads_with_the_right_status);
    tcase_add_test(parser, parser_waits_for_more_and_rejects_garbage_early);
    tcase_add_test(parser, parser_limits_the_head_to_max_bytes);
    tcase_set_timeout(server, 30);
    tcase_add_test(server, get_returns_200_with_body_and_content_length);
    tcase_add_test(server, head_has_the_get_length_and_no_body);
    tcase_add_test(server, handler_404_and_bad_answers);
    tcase_add_test(server, post_is_405_with_allow_and_never_reaches_the_handler);
    tcase_add_test(server, oversized_head_is_431_and_garbage_is_400);
    tcase_add_test(server, keep_alive_serves_pipelined_requests_on_one_connection);
    tcase_add_test(server, slow_client_does_not_block_another_and_is_dropped);
    tcase_add_test(server, max_clients_makes_others_wait_in_the_backlog);
    tcase_add_test(server, client_gone_mid_response_does_not_kill_the_server);
    tcase_add_test(server, stop_with_a_client_connected_returns_promptly);
    tcase_add_test(server, two_listeners_on_two_ports);
    tcase_add_test(server, ipv6_loopback_literal);
    tcase_add_test(server, bind_errors_name_the_address);
    suite_add_tcase(s, parser);
    suite_add_tcase(s, server);
    return as_check_run(s);
}
