/*
 * test_webhook_server.c - unit tests for webhook/server over real TLS
 * connections on 127.0.0.1 (a stub handler, an OpenSSL client): a typical
 * body is decided on the service thread, a large one (AS_SERVER_OFFLOAD_MIN)
 * on a worker, bodies arrive intact either way and answers keep their order
 * on a keep-alive connection; a slow large review does not hold up another
 * connection; a client that goes away while its job runs, and a server
 * stopped while a job runs, are handled; without workers everything stays on
 * the service thread; a body over 3 MiB is still refused; a client that
 * offers h2 first is given HTTP/1.1.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "../../webhook/server.h"
#include "../../webhook/tlsstore.h"
#include "tls/certs.h"
#include "check_run.h"

#define SLOW_MS 400

static long long mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* ---- the handler: says what it got; /slow takes SLOW_MS ---- */

struct seen {
    pthread_mutex_t lock;
    int calls;
    pthread_t thread; /* of the last call */
};

static struct seen seen = {PTHREAD_MUTEX_INITIALIZER, 0, 0};

/* A checksum of the body, so the answer proves every byte arrived. */
static unsigned checksum(const char *p, size_t n)
{
    unsigned h = 2166136261u;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 16777619u;
    return h;
}

static int handler(void *ctx, const struct as_http_request *req, struct as_buf *out,
                   const char **ct)
{
    (void)ctx;
    pthread_mutex_lock(&seen.lock);
    seen.calls++;
    seen.thread = pthread_self();
    pthread_mutex_unlock(&seen.lock);
    if (strcmp(req->path, "/slow") == 0)
        sleep_ms(SLOW_MS);
    *ct = "text/plain";
    as_buf_appendf(out, "%s %s %zu %08x%s", req->method, req->path, req->body_len,
                   checksum(req->body, req->body_len), req->body_too_large ? " too-large" : "");
    return 200;
}

static pthread_t last_thread(void)
{
    pthread_t t;

    pthread_mutex_lock(&seen.lock);
    t = seen.thread;
    pthread_mutex_unlock(&seen.lock);
    return t;
}

static int calls(void)
{
    int n;

    pthread_mutex_lock(&seen.lock);
    n = seen.calls;
    pthread_mutex_unlock(&seen.lock);
    return n;
}

/* ---- a server on a thread ---- */

struct srv {
    struct as_server *s;
    struct as_tlsstore *tls;
    pthread_t thread;
    int port;
    char *cert, *key;
};

static struct srv srv;

static void *serve(void *arg)
{
    (void)arg;
    as_server_run(srv.s);
    return NULL;
}

static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &n), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* A serving certificate for 127.0.0.1 as PEM strings (malloc'd). */
static void make_cert(char **cert, char **key)
{
    static const char *const sans[] = {"127.0.0.1"};
    struct as_cert ca = {0}, leaf = {0};
    struct as_error err = {0};
    struct as_buf c, k;
    int64_t now = (int64_t)time(NULL);

    as_buf_init(&c, 1 << 20);
    as_buf_init(&k, 1 << 20);
    ck_assert_int_eq(as_cert_make_ca("test-ca", now, 86400, &ca, &err), AS_OK);
    ck_assert_int_eq(as_cert_make_serving(&ca, sans, 1, now, 86400, &leaf, &err), AS_OK);
    ck_assert_int_eq(as_cert_pem(leaf.cert, &c), AS_OK);
    ck_assert_int_eq(as_key_pem(leaf.key, &k), AS_OK);
    *cert = as_buf_steal(&c);
    *key = as_buf_steal(&k);
    as_cert_free(&leaf);
    as_cert_free(&ca);
}

static void start(unsigned workers, size_t offload_min)
{
    struct as_error err = {0};
    struct as_server_options o = {0};

    memset(&srv, 0, sizeof(srv));
    make_cert(&srv.cert, &srv.key);
    ck_assert_int_eq(as_tlsstore_new(&srv.tls), AS_OK);
    ck_assert_int_eq(
        as_tlsstore_set_pem(srv.tls, srv.cert, strlen(srv.cert), srv.key, strlen(srv.key), &err),
        AS_OK);
    srv.port = free_port();
    o.host = "127.0.0.1";
    o.port = srv.port;
    o.tls = srv.tls;
    o.initial_cert_pem = srv.cert;
    o.initial_key_pem = srv.key;
    o.handler = handler;
    o.workers = workers;
    o.offload_min = offload_min;
    ck_assert_msg(as_server_new(&o, &srv.s, &err) == AS_OK, "%s", err.message);
    ck_assert_int_eq(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

static void stop(void)
{
    as_server_stop(srv.s);
    pthread_join(srv.thread, NULL);
    as_server_free(srv.s);
    as_tlsstore_free(srv.tls);
    free(srv.cert);
    free(srv.key);
}

/* ---- an HTTP/1.1 client over TLS ---- */

struct client {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
};

static void client_open(struct client *c)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)srv.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = 0;

    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(c->fd, 0);
    for (int i = 0; i < 100 && !ok; i++) { /* the listener may not be up yet */
        ok = connect(c->fd, (struct sockaddr *)&a, sizeof(a)) == 0;
        if (!ok)
            sleep_ms(20);
    }
    ck_assert(ok);
    c->ctx = SSL_CTX_new(TLS_client_method());
    c->ssl = SSL_new(c->ctx);
    /* offer h2 first, as the API server's client does */
    SSL_set_alpn_protos(c->ssl, (const unsigned char *)"\x02h2\x08http/1.1", 12);
    SSL_set_fd(c->ssl, c->fd);
    ck_assert_int_eq(SSL_connect(c->ssl), 1);
}

static void client_close(struct client *c)
{
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    close(c->fd);
}

static void write_all(struct client *c, const char *p, size_t n)
{
    while (n > 0) {
        int w = SSL_write(c->ssl, p, n > (1u << 30) ? 1 << 30 : (int)n);
        ck_assert_int_gt(w, 0);
        p += w;
        n -= (size_t)w;
    }
}

static void client_post(struct client *c, const char *path, const char *body, size_t len)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     path, len);

    write_all(c, head, (size_t)n);
    write_all(c, body, len);
}

/* Reads one response; returns the status (0 when the connection ended) and the body in out. */
static int client_read(struct client *c, char *out, size_t cap)
{
    char buf[8192];
    size_t have = 0, clen = 0, got;
    char *end = NULL, *cl;
    int status = 0;

    while (end == NULL) {
        int r = SSL_read(c->ssl, buf + have, (int)(sizeof(buf) - 1 - have));
        if (r <= 0)
            return 0;
        have += (size_t)r;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    ck_assert_int_eq(sscanf(buf, "HTTP/1.1 %d", &status), 1);
    for (cl = buf; (cl = strchr(cl, '\n')) != NULL && strncasecmp(cl + 1, "content-length:", 15);)
        cl++;
    ck_assert_ptr_nonnull(cl);
    clen = strtoul(cl + 16, NULL, 10);
    ck_assert_uint_lt(clen, cap);
    got = have - (size_t)(end + 4 - buf);
    memcpy(out, end + 4, got);
    while (got < clen) {
        int r = SSL_read(c->ssl, out + got, (int)(clen - got));
        ck_assert_int_gt(r, 0);
        got += (size_t)r;
    }
    out[clen] = '\0';
    return status;
}

/* A body of n bytes of JSON-ish text (content does not matter to the stub). */
static char *body_of(size_t n)
{
    char *b = malloc(n + 1);

    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < n; i++)
        b[i] = "{\"abc\": [1, 2]}\n"[i % 16];
    b[n] = '\0';
    return b;
}

/* Reads one response and checks it is the stub's answer to a POST of body (n bytes) to path. */
static void expect_answer(struct client *c, const char *path, const char *body, size_t n)
{
    char want[128], got[256];

    snprintf(want, sizeof(want), "POST %s %zu %08x", path, n, checksum(body, n));
    ck_assert_int_eq(client_read(c, got, sizeof(got)), 200);
    ck_assert_str_eq(got, want);
}

/* Posts n bytes and checks the stub's answer. */
static void round_trip(struct client *c, const char *path, size_t n)
{
    char *b = body_of(n);

    client_post(c, path, b, n);
    expect_answer(c, path, b, n);
    free(b);
}

/* ---- tests ---- */

START_TEST(a_typical_review_is_decided_on_the_service_thread)
{
    struct client c;

    start(2, 0);
    client_open(&c);
    round_trip(&c, "/validate", 5629);
    ck_assert(pthread_equal(last_thread(), srv.thread));
    client_close(&c);
    stop();
}
END_TEST

START_TEST(a_large_review_is_decided_on_a_worker)
{
    struct client c;

    start(2, 0);
    client_open(&c);
    round_trip(&c, "/validate", AS_SERVER_OFFLOAD_MIN);
    ck_assert(!pthread_equal(last_thread(), srv.thread));
    round_trip(&c, "/validate", 2u << 20);
    ck_assert(!pthread_equal(last_thread(), srv.thread));
    client_close(&c);
    stop();
}
END_TEST

START_TEST(keep_alive_mixes_worker_and_inline_answers_in_order)
{
    static const size_t sizes[] = {300000, 10, 70000, 5629, 0, 1u << 20, 64};
    struct client c;

    start(2, 0);
    client_open(&c);
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
            round_trip(&c, i % 2 ? "/mutate" : "/validate", sizes[i]);
    ck_assert_int_eq(calls(), 21);
    client_close(&c);
    stop();
}
END_TEST

START_TEST(a_slow_large_review_does_not_hold_up_other_connections)
{
    struct client a, b;
    char *big = body_of(AS_SERVER_OFFLOAD_MIN * 2), got[256];
    long long t0;

    start(2, 0);
    client_open(&a);
    client_open(&b);
    client_post(&a, "/slow", big, AS_SERVER_OFFLOAD_MIN * 2);
    sleep_ms(50); /* a's job is running */
    t0 = mono_ms();
    round_trip(&b, "/validate", 5629);
    ck_assert_int_lt(mono_ms() - t0, SLOW_MS / 2);
    ck_assert_int_eq(client_read(&a, got, sizeof(got)), 200);
    ck_assert(strncmp(got, "POST /slow 131072 ", 18) == 0);
    client_close(&a);
    client_close(&b);
    free(big);
    stop();
}
END_TEST

START_TEST(a_client_that_leaves_while_its_job_runs_is_forgotten)
{
    struct client a, b;
    char *big = body_of(AS_SERVER_OFFLOAD_MIN);

    start(1, 0);
    for (int i = 0; i < 3; i++) {
        client_open(&a);
        client_post(&a, "/slow", big, AS_SERVER_OFFLOAD_MIN);
        sleep_ms(50);
        client_close(&a); /* gone before the answer */
    }
    sleep_ms(3 * SLOW_MS + 200); /* every job finished and came back to a closed stream */
    client_open(&b);
    round_trip(&b, "/validate", AS_SERVER_OFFLOAD_MIN);
    round_trip(&b, "/validate", 100);
    ck_assert_int_eq(calls(), 5);
    client_close(&b);
    free(big);
    stop();
}
END_TEST

START_TEST(stopping_while_a_job_runs_waits_for_it_and_closes)
{
    struct client a;
    char *big = body_of(AS_SERVER_OFFLOAD_MIN), got[256];
    long long t0;

    start(2, 0);
    client_open(&a);
    client_post(&a, "/slow", big, AS_SERVER_OFFLOAD_MIN);
    sleep_ms(50);
    t0 = mono_ms();
    stop();
    ck_assert_int_lt(mono_ms() - t0, 5000);
    ck_assert_int_eq(calls(), 1);
    ck_assert_int_eq(client_read(&a, got, sizeof(got)), 0); /* closed, no answer */
    client_close(&a);
    free(big);
}
END_TEST

START_TEST(without_workers_everything_stays_on_the_service_thread)
{
    struct client c;

    start(0, 0);
    client_open(&c);
    round_trip(&c, "/validate", 2u << 20);
    ck_assert(pthread_equal(last_thread(), srv.thread));
    client_close(&c);
    stop();
}
END_TEST

START_TEST(the_offload_size_is_an_option)
{
    struct client c;

    start(1, 1);
    client_open(&c);
    round_trip(&c, "/validate", 10);
    ck_assert(!pthread_equal(last_thread(), srv.thread));
    round_trip(&c, "/validate", 0); /* no body: nothing to hand over */
    ck_assert(pthread_equal(last_thread(), srv.thread));
    client_close(&c);
    stop();
}
END_TEST

START_TEST(a_body_over_the_limit_is_still_refused)
{
    struct client c;
    size_t n = AS_SERVER_MAX_BODY + 1;
    char *b = body_of(n), got[256];

    start(2, 0);
    client_open(&c);
    client_post(&c, "/validate", b, n);
    ck_assert_int_eq(client_read(&c, got, sizeof(got)), 200);
    ck_assert_str_eq(got, "POST /validate 0 811c9dc5 too-large");
    client_close(&c);
    free(b);
    stop();
}
END_TEST

/* Requests sent before the answers (pipelining) are answered in order, a worker's among them. */
START_TEST(pipelined_requests_are_answered_in_order)
{
    static const size_t sizes[] = {10, 5629, 0, AS_SERVER_OFFLOAD_MIN, 64};
    struct as_buf all;
    struct client c;

    as_buf_init(&all, 1u << 20);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char *b = body_of(sizes[i]);
        ck_assert_int_eq(as_buf_appendf(&all,
                                        "POST /p%zu HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                                        "%zu\r\n\r\n",
                                        i, sizes[i]),
                         AS_OK);
        ck_assert_int_eq(as_buf_append(&all, b, sizes[i]), AS_OK);
        free(b);
    }
    start(2, 0);
    client_open(&c);
    write_all(&c, all.data, all.len); /* all of them before reading any answer */
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char *b = body_of(sizes[i]), path[16];
        snprintf(path, sizeof(path), "/p%zu", i);
        expect_answer(&c, path, b, sizes[i]);
        free(b);
    }
    round_trip(&c, "/after", 100); /* and the connection goes on */
    client_close(&c);
    as_buf_free(&all);
    stop();
}
END_TEST

/* A head that comes a byte per TLS record is read as one. */
START_TEST(a_head_that_comes_a_byte_at_a_time_is_read)
{
    static const char head[] = "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                               "application/json\r\nContent-Length: 5\r\n\r\n";
    struct client c;

    start(2, 0);
    client_open(&c);
    for (size_t i = 0; i < sizeof(head) - 1; i++)
        write_all(&c, head + i, 1);
    write_all(&c, "{}   ", 5);
    expect_answer(&c, "/validate", "{}   ", 5);
    client_close(&c);
    stop();
}
END_TEST

/* Sends raw bytes, expects status with a body naming why, then the end of the connection. */
static void refused_and_closed(const char *req, int status, const char *why)
{
    struct client c;
    char got[512];
    int before = calls();

    start(2, 0);
    client_open(&c);
    write_all(&c, req, strlen(req));
    ck_assert_int_eq(client_read(&c, got, sizeof(got)), status);
    ck_assert_msg(strstr(got, why) != NULL, "%s", got);
    ck_assert_int_eq(client_read(&c, got, sizeof(got)), 0); /* closed */
    ck_assert_int_eq(calls(), before);                      /* the handler never saw it */
    client_close(&c);
    stop();
}

START_TEST(a_malformed_or_chunked_request_is_refused_and_the_connection_closed)
{
    refused_and_closed("POST /validate HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "2\r\n{}\r\n0\r\n\r\n",
                       411, "Content-Length");
    refused_and_closed("POST /validate HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", 400,
                       "Content-Length");
    refused_and_closed("POST /validate HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 400, "Host");
    refused_and_closed("POST /validate HTTP/2.0\r\nHost: a\r\n\r\n", 505, "");
}
END_TEST

START_TEST(connection_close_is_honoured_after_the_answer)
{
    struct client c;
    char got[256];

    start(2, 0);
    client_open(&c);
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    write_all(&c, req, sizeof(req) - 1);
    ck_assert_int_eq(client_read(&c, got, sizeof(got)), 200);
    ck_assert_str_eq(got, "GET /healthz 0 811c9dc5");
    ck_assert_int_eq(client_read(&c, got, sizeof(got)), 0);
    client_close(&c);
    stop();
}
END_TEST

/* Reads a response head a byte at a time (nothing after it), NUL-terminated into buf. */
static void read_head(struct client *c, char *buf, size_t cap)
{
    size_t n = 0;

    while (n < 4 || memcmp(buf + n - 4, "\r\n\r\n", 4) != 0) {
        ck_assert_uint_lt(n, cap - 1);
        ck_assert_int_eq(SSL_read(c->ssl, buf + n, 1), 1);
        n++;
    }
    buf[n] = '\0';
}

/* A client that sends Expect: 100-continue (curl above 1 MiB) gets the 100 before its body. */
START_TEST(a_client_that_expects_100_continue_gets_it_first)
{
    static const char head[] = "POST /validate HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
                               "Content-Length: 5\r\n\r\n";
    struct client c;
    char buf[256];

    start(2, 0);
    client_open(&c);
    write_all(&c, head, sizeof(head) - 1);
    read_head(&c, buf, sizeof(buf));
    ck_assert_str_eq(buf, "HTTP/1.1 100 Continue\r\n\r\n");
    write_all(&c, "{}   ", 5);
    expect_answer(&c, "/validate", "{}   ", 5);
    client_close(&c);
    stop();
}
END_TEST

/* HEAD: the head of the GET answer (its Content-Length too), no body; the next answer follows. */
START_TEST(head_gets_the_answer_head_without_the_body)
{
    static const char reqs[] = "HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                               "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
    struct client c;
    char buf[512], want[64];

    start(2, 0);
    client_open(&c);
    write_all(&c, reqs, sizeof(reqs) - 1);
    read_head(&c, buf, sizeof(buf));
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", buf);
    /* the length of the stub's answer to it */
    snprintf(want, sizeof(want), "Content-Length: %zu\r\n", strlen("HEAD /healthz 0 811c9dc5"));
    ck_assert_msg(strstr(buf, want) != NULL, "%s", buf);
    ck_assert_int_eq(client_read(&c, buf, sizeof(buf)), 200);
    ck_assert_str_eq(buf, "GET /next 0 811c9dc5");
    client_close(&c);
    stop();
}
END_TEST

/* A request refused after a HEAD on the same connection still gets its body (why). */
START_TEST(a_refusal_after_a_head_request_carries_its_body)
{
    static const char reqs[] = "HEAD /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                               "POST /validate HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
    struct client c;
    char buf[512];

    start(2, 0);
    client_open(&c);
    write_all(&c, reqs, sizeof(reqs) - 1);
    read_head(&c, buf, sizeof(buf));
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", buf);
    ck_assert_int_eq(client_read(&c, buf, sizeof(buf)), 400);
    ck_assert_msg(strstr(buf, "Host") != NULL, "%s", buf);
    ck_assert_int_eq(client_read(&c, buf, sizeof(buf)), 0); /* closed */
    client_close(&c);
    stop();
}
END_TEST

/* HTTP/2 is not offered (lws 4.1's h2 request bodies, server.c): an h2 client gets HTTP/1.1 */
START_TEST(alpn_selects_http_1_1_for_an_h2_client)
{
    struct client c;
    const unsigned char *proto = NULL;
    unsigned proto_len = 0;

    start(2, 0);
    client_open(&c);
    SSL_get0_alpn_selected(c.ssl, &proto, &proto_len);
    ck_assert_uint_eq(proto_len, 8);
    ck_assert(memcmp(proto, "http/1.1", 8) == 0);
    round_trip(&c, "/validate", 1000);
    client_close(&c);
    stop();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook_server");
    TCase *tc = tcase_create("server");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_typical_review_is_decided_on_the_service_thread);
    tcase_add_test(tc, a_large_review_is_decided_on_a_worker);
    tcase_add_test(tc, keep_alive_mixes_worker_and_inline_answers_in_order);
    tcase_add_test(tc, a_slow_large_review_does_not_hold_up_other_connections);
    tcase_add_test(tc, a_client_that_leaves_while_its_job_runs_is_forgotten);
    tcase_add_test(tc, stopping_while_a_job_runs_waits_for_it_and_closes);
    tcase_add_test(tc, without_workers_everything_stays_on_the_service_thread);
    tcase_add_test(tc, the_offload_size_is_an_option);
    tcase_add_test(tc, a_body_over_the_limit_is_still_refused);
    tcase_add_test(tc, alpn_selects_http_1_1_for_an_h2_client);
    tcase_add_test(tc, pipelined_requests_are_answered_in_order);
    tcase_add_test(tc, a_head_that_comes_a_byte_at_a_time_is_read);
    tcase_add_test(tc, a_malformed_or_chunked_request_is_refused_and_the_connection_closed);
    tcase_add_test(tc, connection_close_is_honoured_after_the_answer);
    tcase_add_test(tc, a_client_that_expects_100_continue_gets_it_first);
    tcase_add_test(tc, head_gets_the_answer_head_without_the_body);
    tcase_add_test(tc, a_refusal_after_a_head_request_carries_its_body);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
