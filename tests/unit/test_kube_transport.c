/*
 * test_kube_transport.c - unit tests for the HTTP transport against a scripted
 * HTTP/1.1 server on 127.0.0.1 inside this process (no outside network):
 * headers (User-Agent, bearer token, Host with tls-server-name), gzip, the
 * body limit, the retry policy (reads vs writes, 5xx, 429 + Retry-After,
 * dropped connections), Status decoding, the rate limiter, and watches
 * (framing across chunks, ERROR events, cancellation, callback stop).
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "kube/client.h"
#include "kube/ops.h"

#define MAX_STEPS 16

/* One scripted reply: raw bytes sent in pieces (delay_ms before the third and later); none = close.
 */
struct step {
    const char *parts[6];
    size_t lens[6]; /* 0 = strlen */
    int delay_ms;
};

struct server {
    int fd;
    int port;
    pthread_t thread;
    struct step steps[MAX_STEPS];
    int nsteps;
    int served;
    char requests[MAX_STEPS][4096]; /* head + body of each request */
};

static struct server srv;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads one request (head and Content-Length body) into buf; 0 when the peer closed. */
static size_t read_request(int c, char *buf, size_t size)
{
    size_t n = 0, need = 0;
    char *end;

    while (n + 1 < size) {
        ssize_t r = recv(c, buf + n, size - 1 - n, 0);
        if (r <= 0)
            return 0;
        n += (size_t)r;
        buf[n] = '\0';
        if ((end = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strstr(buf, "Content-Length: ");
            size_t head = (size_t)(end + 4 - buf);
            need = head + (cl ? (size_t)strtol(cl + 16, NULL, 10) : 0);
            if (n >= need)
                return n;
        }
    }
    return n;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Serves the script: one connection per step (every reply closes the connection). */
static void *serve(void *p)
{
    (void)p;
    while (srv.served < srv.nsteps) {
        struct step *s = &srv.steps[srv.served];
        int c = accept(srv.fd, NULL, NULL);
        if (c < 0)
            break;
        if (read_request(c, srv.requests[srv.served], sizeof(srv.requests[0])) == 0) {
            close(c);
            continue;
        }
        for (int i = 0; i < 6 && s->parts[i]; i++) {
            size_t len = s->lens[i] ? s->lens[i] : strlen(s->parts[i]);
            if (i > 1 && s->delay_ms)
                sleep_ms(s->delay_ms);
            if (send(c, s->parts[i], len, MSG_NOSIGNAL) < 0)
                break;
        }
        srv.served++;
        shutdown(c, SHUT_RDWR);
        close(c);
    }
    return NULL;
}

static void server_start(void)
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);
    int one = 1;

    srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(srv.fd, 0);
    setsockopt(srv.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(srv.fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(srv.fd, 8), 0);
    ck_assert_int_eq(getsockname(srv.fd, (struct sockaddr *)&a, &len), 0);
    srv.port = ntohs(a.sin_port);
    ck_assert_int_eq(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

static void server_stop(void)
{
    shutdown(srv.fd, SHUT_RDWR);
    close(srv.fd);
    pthread_join(srv.thread, NULL);
}

/* Builds "HTTP/1.1 <status>" with a JSON body and the right Content-Length (static storage). */
static const char *json_reply(const char *status, const char *body)
{
    static char pool[4][2048];
    static int next;
    char *b = pool[next++ % 4];

    snprintf(b, sizeof(pool[0]),
             "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
             status, strlen(body), body);
    return b;
}

/* Asserts that request i starts with want. */
static void request_starts(int i, const char *want)
{
    ck_assert_msg(strncmp(srv.requests[i], want, strlen(want)) == 0, "request %d: %.200s", i,
                  srv.requests[i]);
}

static void script(int i, const char *reply)
{
    srv.steps[i].parts[0] = reply;
    if (i >= srv.nsteps)
        srv.nsteps = i + 1;
}

/* A client for the scripted server (token "tok", optional tls-server-name). */
static struct as_kube_client *client(const char *tls_server_name, double qps)
{
    char text[1024];
    struct as_kube_config *cfg = NULL;
    struct as_kube_client *c = NULL;
    struct as_kube_client_options o = {0};
    struct as_error err = {0};

    snprintf(text, sizeof(text),
             "current-context: x\n"
             "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:%d/base'%s%s}}]\n"
             "users: [{name: u, user: {token: tok}}]\n"
             "contexts: [{name: x, context: {cluster: c, user: u, namespace: ns1}}]\n",
             srv.port, tls_server_name ? ", tls-server-name: " : "",
             tls_server_name ? tls_server_name : "");
    ck_assert_int_eq(as_kube_config_from_data(text, strlen(text), "test", NULL, NULL, &cfg, &err),
                     AS_OK);
    o.program = "test-prog";
    o.version = "1.2.3";
    o.retry_base_ms = 10;
    o.qps = qps;
    o.burst = 1;
    o.max_response_bytes = 1000;
    ck_assert_int_eq(as_kube_client_new(cfg, &o, &c, &err), AS_OK);
    return c;
}

static void setup(void)
{
    memset(&srv, 0, sizeof(srv));
}

static const char cm_reply[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Content-Length: 38\r\nConnection: close\r\n\r\n"
                               "{\"kind\":\"ConfigMap\",\"data\":{\"k\":\"v\"}}\n";
static const char status_503[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                 "Connection: close\r\n\r\n";

START_TEST(get_sends_headers_and_parses)
{
    struct as_kube_client *c;
    struct as_error err = {0};
    json_t *obj = NULL;
    char want[128];

    script(0, cm_reply);
    server_start();
    c = client(NULL, 0);
    ck_assert_int_eq(
        as_kube_get(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", "web", &obj, &err),
        AS_OK);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(obj, "data"), "k")), "v");
    json_decref(obj);
    request_starts(0, "GET /base/api/v1/namespaces/ns1/configmaps/web HTTP/1.1\r\n");
    ck_assert_ptr_nonnull(
        strstr(srv.requests[0], "User-Agent: test-prog/1.2.3 (linux/amd64) appstack\r\n"));
    ck_assert_ptr_nonnull(strstr(srv.requests[0], "Authorization: Bearer tok\r\n"));
    ck_assert_ptr_nonnull(strstr(srv.requests[0], "Accept-Encoding: "));
    ck_assert_ptr_nonnull(strstr(srv.requests[0], "gzip"));
    snprintf(want, sizeof(want), "Host: 127.0.0.1:%d\r\n", srv.port);
    ck_assert_ptr_nonnull(strstr(srv.requests[0], want));
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(tls_server_name_keeps_host_and_connects_to_server)
{
    struct as_kube_client *c;
    struct as_error err = {0};
    json_t *obj = NULL;
    char want[128];

    script(0, cm_reply);
    server_start();
    c = client("api.internal.test", 0);
    /* The URL names api.internal.test (for SNI and verification); CONNECT_TO reaches 127.0.0.1. */
    ck_assert_int_eq(
        as_kube_get(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", "web", &obj, &err),
        AS_OK);
    json_decref(obj);
    snprintf(want, sizeof(want), "Host: 127.0.0.1:%d\r\n", srv.port);
    ck_assert_ptr_nonnull(strstr(srv.requests[0], want));
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(gzip_is_decoded)
{
    static const char gz[] =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        "Content-Length: 65\r\nConnection: close\r\n\r\n"
        "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xab\x56\xca\xce\xcc\x4b\x51\xb2\x52\x72\xce\xcf"
        "\x4b\xcb\x4c\xf7\x4d\x2c\x50\xd2\x51\x4a\x49\x2c\x49\x54\xb2\xaa\x56\xca\x06\x8a\x27\xe7"
        "\xe7\x16\x14\xa5\x16\x17\xa7\xa6\x28\xd5\xd6\x02\x00\x03\x54\xeb\xe9\x2e\x00\x00\x00";
    struct as_kube_client *c;
    struct as_error err = {0};
    json_t *obj = NULL;

    srv.steps[0].parts[0] = gz;
    srv.steps[0].lens[0] = sizeof(gz) - 1;
    srv.nsteps = 1;
    server_start();
    c = client(NULL, 0);
    ck_assert_int_eq(
        as_kube_get(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", "web", &obj, &err),
        AS_OK);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(obj, "data"), "k")),
                     "compressed");
    json_decref(obj);
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(body_limit)
{
    static char big[1400];
    struct as_kube_client *c;
    struct as_error err = {0};
    json_t *obj = NULL;
    int n = snprintf(big, sizeof(big),
                     "HTTP/1.1 200 OK\r\nContent-Length: 1200\r\n"
                     "Connection: close\r\n\r\n");

    memset(big + n, ' ', 1200);
    big[n + 1200] = '\0';
    script(0, big);
    server_start();
    c = client(NULL, 0);
    ck_assert_int_eq(
        as_kube_get(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", "web", &obj, &err),
        AS_E_LIMIT);
    ck_assert_str_eq(err.message,
                     "GET /api/v1/namespaces/ns1/configmaps/web: response larger than 1000 bytes");
    ck_assert_ptr_null(obj);
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(reads_retry_5xx_and_dropped_connections)
{
    struct as_kube_client *c;
    struct as_kube_client_stats st;
    struct as_error err = {0};
    json_t *obj = NULL;

    script(0, status_503);
    srv.steps[1].parts[0] = NULL; /* close without a reply */
    srv.nsteps = 2;
    script(2, cm_reply);
    /* step 1 has no parts: the server closes the connection after reading the request. */
    server_start();
    c = client(NULL, 0);
    ck_assert_int_eq(
        as_kube_get(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", "web", &obj, &err),
        AS_OK);
    json_decref(obj);
    as_kube_client_stats(c, &st);
    ck_assert_uint_eq(st.requests, 3);
    ck_assert_uint_eq(st.retries, 2);
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(writes_are_not_retried_on_5xx_or_drops)
{
    const char *status_500 =
        json_reply("500 Internal Server Error",
                   "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"boom\",\"reason\":"
                   "\"InternalError\",\"code\":500}");
    struct as_kube_client *c;
    struct as_kube_client_stats st;
    struct as_error err = {0};
    struct as_kube_api_error api;
    json_t *obj = json_pack("{s:{s:s}}", "metadata", "name", "x"), *out = NULL;

    script(0, status_500);
    srv.nsteps = 2; /* step 1: dropped */
    server_start();
    c = client(NULL, 0);
    ck_assert_int_eq(as_kube_create(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", obj,
                                    NULL, &out, &err),
                     AS_E_API_INTERNAL);
    ck_assert_str_eq(err.message,
                     "POST /api/v1/namespaces/ns1/configmaps: InternalError (HTTP 500): boom");
    ck_assert_int_eq(as_kube_last_api_error(&api), AS_E_API_INTERNAL);
    ck_assert_str_eq(api.message, "boom");
    ck_assert_ptr_nonnull(strstr(srv.requests[0], "Content-Type: application/json\r\n"));
    ck_assert_ptr_nonnull(strstr(srv.requests[0], "{\"metadata\":{\"name\":\"x\"}}"));
    ck_assert_int_eq(as_kube_create(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", obj,
                                    NULL, &out, &err),
                     AS_E_NETWORK);
    ck_assert_int_eq(as_kube_last_api_error(NULL), AS_OK);
    as_kube_client_stats(c, &st);
    ck_assert_uint_eq(st.requests, 2);
    ck_assert_uint_eq(st.retries, 0);
    json_decref(obj);
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(write_429_honours_retry_after)
{
    static const char status_429[] =
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\n"
        "Connection: close\r\n\r\n";
    struct as_kube_client *c;
    struct as_error err = {0};
    json_t *patch = json_pack("{s:{s:s}}", "data", "a", "b"), *out = NULL;
    double t0;

    script(0, status_429);
    script(1, cm_reply);
    server_start();
    c = client(NULL, 0);
    t0 = now_s();
    ck_assert_int_eq(as_kube_patch(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", "web",
                                   AS_KUBE_PATCH_MERGE, patch, NULL, &out, &err),
                     AS_OK);
    ck_assert(now_s() - t0 >= 0.95);
    ck_assert_ptr_nonnull(strstr(srv.requests[1], "Content-Type: application/merge-patch+json"));
    request_starts(1, "PATCH /base/api/v1/namespaces/ns1/configmaps/web ");
    json_decref(out);
    json_decref(patch);
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(not_found_is_decoded)
{
    const char *status_404 = json_reply(
        "404 Not Found",
        "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"configmaps \\\"web\\\" not "
        "found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"web\"},\"code\":404}");
    struct as_kube_client *c;
    struct as_error err = {0};
    struct as_kube_api_error api;
    json_t *obj = NULL;

    script(0, status_404);
    server_start();
    c = client(NULL, 0);
    ck_assert_int_eq(
        as_kube_get(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", "web", &obj, &err),
        AS_E_API_NOT_FOUND);
    ck_assert_int_eq(as_kube_last_api_error(&api), AS_E_API_NOT_FOUND);
    ck_assert_str_eq(api.name, "web");
    ck_assert_str_eq(err.message, "GET /api/v1/namespaces/ns1/configmaps/web: NotFound (HTTP 404): "
                                  "configmaps \"web\" not found");
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(rate_limit_spaces_requests)
{
    struct as_kube_client *c;
    struct as_error err = {0};
    double t0;

    for (int i = 0; i < 4; i++)
        script(i, cm_reply);
    server_start();
    c = client(NULL, 10); /* 10 qps, burst 1: 4 requests need >= 0.3 s */
    t0 = now_s();
    for (int i = 0; i < 4; i++) {
        json_t *obj = NULL;
        ck_assert_int_eq(
            as_kube_get(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", "web", &obj, &err),
            AS_OK);
        json_decref(obj);
    }
    ck_assert(now_s() - t0 >= 0.29);
    as_kube_client_free(c);
    server_stop();
}
END_TEST

struct events {
    int n;
    char names[8][64];
    int stop_after;
};

static as_status on_event(enum as_kube_watch_type t, json_t *obj, void *p)
{
    struct events *e = p;
    const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));

    snprintf(e->names[e->n % 8], sizeof(e->names[0]), "%s %s", as_kube_watch_type_name(t),
             name ? name : "-");
    e->n++;
    if (e->stop_after && e->n >= e->stop_after)
        return AS_E_SHUTDOWN;
    return AS_OK;
}

static const char watch_head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 "Connection: close\r\n\r\n";

START_TEST(watch_frames_events_and_ends_on_error)
{
    struct as_kube_client *c;
    struct as_error err = {0};
    struct as_kube_watch_options o = {0};
    struct events ev = {0};
    struct as_kube_api_error api;

    srv.steps[0].parts[0] = watch_head;
    srv.steps[0].parts[1] =
        "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n{\"ty";
    srv.steps[0].parts[2] =
        "pe\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"7\"}}}\r\n";
    srv.steps[0].parts[3] =
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
        "\"status\":\"Failure\",\"message\":\"too old resource version: 1 (7)\","
        "\"reason\":\"Expired\",\"code\":410}}\n";
    srv.steps[0].delay_ms = 50;
    srv.nsteps = 1;
    server_start();
    c = client(NULL, 0);
    o.resource_version = "1";
    o.label_selector = "app=web";
    o.timeout_seconds = 30;
    ck_assert_int_eq(as_kube_watch(c, as_kube_resource_by_kind("v1", "ConfigMap"), NULL, &o,
                                   on_event, &ev, &err),
                     AS_E_API_GONE);
    ck_assert_int_eq(ev.n, 2);
    ck_assert_str_eq(ev.names[0], "ADDED a");
    ck_assert_str_eq(ev.names[1], "BOOKMARK -");
    ck_assert_int_eq(as_kube_last_api_error(&api), AS_E_API_GONE);
    ck_assert_int_eq(api.http_code, 410);
    ck_assert_str_eq(err.message, "watch /api/v1/configmaps?watch=true&allowWatchBookmarks=true&"
                                  "resourceVersion=1&timeoutSeconds=30&labelSelector=app%3Dweb: "
                                  "watch ERROR event: Expired (HTTP 410): too old resource "
                                  "version: 1 (7)");
    request_starts(0, "GET /base/api/v1/configmaps?watch=true&allowWatchBookmarks"
                      "=true&resourceVersion=1&timeoutSeconds=30&labelSelector="
                      "app%3Dweb HTTP/1.1");
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(watch_clean_end_and_cut_mid_event)
{
    struct as_kube_client *c;
    struct as_error err = {0};
    struct events ev = {0};

    srv.steps[0].parts[0] = watch_head;
    srv.steps[0].parts[1] = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n";
    srv.steps[1].parts[0] = watch_head;
    srv.steps[1].parts[1] = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"na";
    srv.nsteps = 2;
    server_start();
    c = client(NULL, 0);
    ck_assert_int_eq(as_kube_watch(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", NULL,
                                   on_event, &ev, &err),
                     AS_OK);
    ck_assert_int_eq(ev.n, 1);
    ck_assert_int_eq(as_kube_watch(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", NULL,
                                   on_event, &ev, &err),
                     AS_E_NETWORK);
    ck_assert_int_eq(ev.n, 1);
    as_kube_client_free(c);
    server_stop();
}
END_TEST

/* Sets the flag after 300 ms. */
static void *cancel_later(void *p)
{
    sleep_ms(300);
    atomic_store((atomic_bool *)p, true);
    return NULL;
}

START_TEST(watch_stops_on_callback_and_cancel)
{
    struct as_kube_client *c;
    struct as_error err = {0};
    struct events ev = {0};
    struct as_kube_watch_options o = {0};
    atomic_bool cancel = false;
    pthread_t timer;
    double t0;

    for (int i = 0; i < 2; i++) {
        srv.steps[i].parts[0] = watch_head;
        srv.steps[i].parts[1] = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n";
        srv.steps[i].parts[2] = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"b\"}}}\n";
        srv.steps[i].delay_ms = 3000;
    }
    srv.nsteps = 2;
    server_start();
    c = client(NULL, 0);
    /* The callback stops the watch at once, without waiting for more data. */
    ev.stop_after = 1;
    t0 = now_s();
    ck_assert_int_eq(as_kube_watch(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", NULL,
                                   on_event, &ev, &err),
                     AS_E_SHUTDOWN);
    ck_assert_int_eq(ev.n, 1);
    ck_assert(now_s() - t0 < 2.9); /* the server would send more only after 3 s */
    /* The cancel flag, set from another thread, ends a watch that is waiting for data. */
    ev.stop_after = 0;
    o.cancel = &cancel;
    ck_assert_int_eq(pthread_create(&timer, NULL, cancel_later, &cancel), 0);
    t0 = now_s();
    ck_assert_int_eq(as_kube_watch(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", &o,
                                   on_event, &ev, &err),
                     AS_E_SHUTDOWN);
    ck_assert(now_s() - t0 < 2.9); /* the server would send more only after 3 s */
    pthread_join(timer, NULL);
    ck_assert_int_eq(ev.n, 1);
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(list_all_follows_continue_tokens)
{
    struct as_kube_client *c;
    struct as_error err = {0};
    struct as_kube_list_options lo = {.label_selector = "app=web", .limit = 2};
    json_t *all = NULL;

    script(0, json_reply("200 OK",
                         "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":"
                         "{\"resourceVersion\":\"50\",\"continue\":\"tok/1+\"},\"items\":"
                         "[{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":\"b\"}}]}"));
    script(1, json_reply("200 OK", "{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":"
                                   "{\"resourceVersion\":\"50\"},\"items\":"
                                   "[{\"metadata\":{\"name\":\"c\"}}]}"));
    server_start();
    c = client(NULL, 0);
    ck_assert_msg(as_kube_list_all(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", &lo, &all,
                                   &err) == AS_OK,
                  "%s", err.message);
    ck_assert_uint_eq(json_array_size(json_object_get(all, "items")), 3);
    ck_assert_str_eq(json_string_value(json_object_get(all, "kind")), "ConfigMapList");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(all, "metadata"), "resourceVersion")),
        "50");
    ck_assert_ptr_null(json_object_get(json_object_get(all, "metadata"), "continue"));
    request_starts(0, "GET /base/api/v1/namespaces/ns1/configmaps?labelSelector="
                      "app%3Dweb&limit=2 HTTP");
    request_starts(1, "GET /base/api/v1/namespaces/ns1/configmaps?labelSelector="
                      "app%3Dweb&limit=2&continue=tok%2F1%2B HTTP");
    json_decref(all);
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(expired_continue_is_gone)
{
    struct as_kube_client *c;
    struct as_error err = {0};
    json_t *all = NULL;

    script(0, json_reply("200 OK", "{\"kind\":\"ConfigMapList\",\"metadata\":{\"continue\":\"x\"},"
                                   "\"items\":[]}"));
    script(1, json_reply("410 Gone",
                         "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":"
                         "\"Expired\",\"message\":\"continue token expired\",\"code\":410}"));
    server_start();
    c = client(NULL, 0);
    ck_assert_int_eq(
        as_kube_list_all(c, as_kube_resource_by_kind("v1", "ConfigMap"), NULL, NULL, &all, &err),
        AS_E_API_GONE);
    ck_assert_ptr_null(all);
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(apply_and_delete_send_the_right_requests)
{
    struct as_kube_client *c;
    struct as_error err = {0};
    struct as_kube_write_options w = {.field_manager = "appstack op", .force = true};
    struct as_kube_delete_options d = {.propagation_policy = "Foreground",
                                       .precondition_uid = "u-1",
                                       .precondition_resource_version = "9",
                                       .grace_period_seconds = 0,
                                       .dry_run = true};
    json_t *obj =
        json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s}}", "apiVersion", "apps/v1", "kind", "Deployment",
                  "metadata", "name", "web", "namespace", "shop", "status", "phase", "x");

    script(0, cm_reply);
    script(1, cm_reply);
    script(2, cm_reply);
    server_start();
    c = client(NULL, 0);
    ck_assert_int_eq(as_kube_apply_status(c, as_kube_resource_of(obj), NULL, obj, &w, NULL, &err),
                     AS_OK);
    request_starts(0, "PATCH /base/apis/apps/v1/namespaces/shop/deployments/web/"
                      "status?fieldManager=appstack%20op&force=true HTTP");
    ck_assert_ptr_nonnull(
        strstr(srv.requests[0], "Content-Type: application/apply-patch+yaml\r\n"));
    ck_assert_int_eq(as_kube_delete(c, as_kube_resource_of(obj), "shop", "web", &d, NULL, &err),
                     AS_OK);
    request_starts(1, "DELETE /base/apis/apps/v1/namespaces/shop/deployments/web?"
                      "dryRun=All HTTP");
    ck_assert_ptr_nonnull(strstr(
        srv.requests[1], "{\"apiVersion\":\"v1\",\"kind\":\"DeleteOptions\",\"propagationPolicy\":"
                         "\"Foreground\",\"preconditions\":{\"uid\":\"u-1\",\"resourceVersion\":"
                         "\"9\"},\"gracePeriodSeconds\":0,\"dryRun\":[\"All\"]}"));
    /* Update needs the object's name; create posts to the collection. */
    json_object_del(json_object_get(obj, "metadata"), "name");
    ck_assert_int_eq(as_kube_update(c, as_kube_resource_of(obj), NULL, obj, NULL, NULL, &err),
                     AS_E_INVALID_ARG);
    ck_assert_str_eq(err.message, "Deployment: metadata.name is required");
    json_object_set_new(json_object_get(obj, "metadata"), "generateName", json_string("web-"));
    ck_assert_int_eq(as_kube_create(c, as_kube_resource_of(obj), NULL, obj, NULL, NULL, &err),
                     AS_OK);
    request_starts(2, "POST /base/apis/apps/v1/namespaces/shop/deployments HTTP");
    json_object_del(json_object_get(obj, "metadata"), "namespace");
    ck_assert_int_eq(as_kube_create(c, as_kube_resource_of(obj), NULL, obj, NULL, NULL, &err),
                     AS_E_INVALID_ARG);
    ck_assert_str_eq(err.message,
                     "Deployment: a namespace is required (pass one or set metadata.namespace)");
    json_decref(obj);
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(proxy_url_is_used)
{
    char text[1024];
    struct as_kube_config *cfg = NULL;
    struct as_kube_client *c = NULL;
    struct as_error err = {0};
    json_t *obj = NULL;

    script(0, cm_reply);
    server_start();
    /* The API server name does not resolve; only the proxy (our test server) is reachable. */
    snprintf(text, sizeof(text),
             "current-context: x\n"
             "clusters: [{name: c, cluster: {server: 'http://apiserver.invalid:8080', "
             "proxy-url: 'http://127.0.0.1:%d'}}]\n"
             "contexts: [{name: x, context: {cluster: c}}]\n",
             srv.port);
    ck_assert_int_eq(as_kube_config_from_data(text, strlen(text), "t", NULL, NULL, &cfg, &err),
                     AS_OK);
    ck_assert_int_eq(as_kube_client_new(cfg, NULL, &c, &err), AS_OK);
    ck_assert_msg(as_kube_get(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", "web", &obj,
                              &err) == AS_OK,
                  "%s", err.message);
    request_starts(0, "GET http://apiserver.invalid:8080/api/v1/namespaces/ns1/configmaps/web "
                      "HTTP/1.1\r\n");
    json_decref(obj);
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(request_timeout)
{
    struct as_kube_client *c;
    struct as_kube_client_stats st;
    struct as_error err = {0};
    struct as_kube_request req = {.method = "GET", .path = "/slow", .timeout_ms = 300};
    struct as_kube_response resp = {0};
    double t0;

    srv.steps[0].parts[0] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n";
    srv.steps[0].parts[1] = "{";
    srv.steps[0].parts[2] = "}";
    srv.steps[0].delay_ms = 2000;
    srv.nsteps = 1;
    server_start();
    c = client(NULL, 0);
    t0 = now_s();
    ck_assert_int_eq(as_kube_request(c, &req, &resp, &err), AS_E_TIMEOUT);
    ck_assert(now_s() - t0 < 1.95);
    ck_assert(strncmp(err.message, "GET /slow: ", 11) == 0);
    as_kube_client_stats(c, &st);
    ck_assert_uint_eq(st.requests, 1); /* a timeout is not retried */
    as_kube_response_free(&resp);
    as_kube_client_free(c);
    server_stop();
}
END_TEST

#define THREADS 4
#define PER_THREAD 3

static as_status thread_result[THREADS];

/* Each thread makes PER_THREAD GETs through the shared client. */
static void *worker(void *p)
{
    struct as_kube_client *c = *(struct as_kube_client **)p;

    for (int i = 0; i < PER_THREAD; i++) {
        struct as_error err = {0};
        json_t *obj = NULL;
        as_status st =
            as_kube_get(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", "web", &obj, &err);
        json_decref(obj);
        if (st != AS_OK)
            return (void *)(intptr_t)st;
    }
    return NULL;
}

START_TEST(threads_share_one_client)
{
    static char replies[THREADS * PER_THREAD][256];
    struct as_kube_client *c;
    struct as_kube_client_stats st;
    pthread_t t[THREADS];

    for (int i = 0; i < THREADS * PER_THREAD; i++) {
        snprintf(replies[i], sizeof(replies[i]), "%s", cm_reply);
        srv.steps[i].parts[0] = replies[i];
    }
    srv.nsteps = THREADS * PER_THREAD;
    server_start();
    c = client(NULL, 0);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &c), 0);
    for (int i = 0; i < THREADS; i++) {
        void *rc = NULL;
        pthread_join(t[i], &rc);
        thread_result[i] = (as_status)(intptr_t)rc;
        ck_assert_int_eq(thread_result[i], AS_OK);
    }
    as_kube_client_stats(c, &st);
    ck_assert_uint_eq(st.requests, THREADS * PER_THREAD);
    ck_assert_uint_eq(st.handles, THREADS);               /* one easy handle per thread, reused */
    ck_assert_uint_eq(st.connects, THREADS * PER_THREAD); /* the test server closes each one */
    as_kube_client_free(c);
    server_stop();
}
END_TEST

START_TEST(shutdown_fails_new_requests)
{
    struct as_kube_client *c;
    struct as_error err = {0};
    json_t *obj = NULL;

    server_start();
    c = client(NULL, 0);
    as_kube_client_shutdown(c);
    ck_assert_int_eq(
        as_kube_get(c, as_kube_resource_by_kind("v1", "ConfigMap"), "ns1", "web", &obj, &err),
        AS_E_SHUTDOWN);
    as_kube_client_free(c);
    server_stop();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_transport");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, get_sends_headers_and_parses);
    tcase_add_test(tc, tls_server_name_keeps_host_and_connects_to_server);
    tcase_add_test(tc, gzip_is_decoded);
    tcase_add_test(tc, body_limit);
    tcase_add_test(tc, reads_retry_5xx_and_dropped_connections);
    tcase_add_test(tc, writes_are_not_retried_on_5xx_or_drops);
    tcase_add_test(tc, write_429_honours_retry_after);
    tcase_add_test(tc, not_found_is_decoded);
    tcase_add_test(tc, rate_limit_spaces_requests);
    tcase_add_test(tc, watch_frames_events_and_ends_on_error);
    tcase_add_test(tc, watch_clean_end_and_cut_mid_event);
    tcase_add_test(tc, watch_stops_on_callback_and_cancel);
    tcase_add_test(tc, list_all_follows_continue_tokens);
    tcase_add_test(tc, expired_continue_is_gone);
    tcase_add_test(tc, apply_and_delete_send_the_right_requests);
    tcase_add_test(tc, proxy_url_is_used);
    tcase_add_test(tc, request_timeout);
    tcase_add_test(tc, threads_share_one_client);
    tcase_add_test(tc, shutdown_fails_new_requests);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
