/*
 * test_kube_tls.c - unit tests for the TLS side of the transport against an
 * in-process TLS server on 127.0.0.1 (OpenSSL): the CA and the client
 * certificate/key loaded from memory (kubeconfig *-data), tls-server-name
 * used for SNI and verification, insecure-skip-tls-verify, and TLS failures
 * reported as AS_E_TLS. Certificates are made once with the openssl CLI.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_run.h"
#include "kube/client.h"
#include "kube_test_util.h"

static char dir[256];

struct tls_server {
    int fd;
    int port;
    int connections; /* to accept before the thread ends */
    SSL_CTX *ctx;
    pthread_t thread;
};

static struct tls_server ts;

/* Makes a CA, a server certificate for api.internal.test and a client certificate (CN=alice). */
static void make_certs(void)
{
    char cmd[4096];

    kt_tmpdir(dir, sizeof(dir));
    snprintf(cmd, sizeof(cmd),
             "set -e; cd '%s'; exec 2>/dev/null;"
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 "
             "  -subj /CN=test-ca;"
             "openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=srv;"
             "printf 'subjectAltName=DNS:api.internal.test\\n' > ext;"
             "openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt "
             "  -days 1 -extfile ext;"
             "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout cli.key "
             "  -out cli.csr -subj /CN=alice;"
             "openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cli.crt "
             "  -days 1",
             dir);
    ck_assert_msg(system(cmd) == 0, "openssl could not make the test certificates");
}

static void remove_certs(void)
{
    kt_rmtree(dir);
}

/* Answers one HTTPS request with the client certificate's subject in the body. */
static void serve_one(SSL *ssl)
{
    char buf[4096], body[512], reply[1024];
    X509 *peer;
    int n;

    if (SSL_accept(ssl) != 1)
        return;
    n = SSL_read(ssl, buf, sizeof(buf) - 1);
    if (n <= 0)
        return;
    peer = SSL_get1_peer_certificate(ssl);
    snprintf(body, sizeof(body), "{\"peer\":\"%s\"}", peer ? "present" : "none");
    if (peer) {
        char cn[128] = "";
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
        snprintf(body, sizeof(body), "{\"peer\":\"%s\"}", cn);
        X509_free(peer);
    }
    n = snprintf(reply, sizeof(reply),
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n%s",
                 strlen(body), body);
    SSL_write(ssl, reply, n);
    SSL_shutdown(ssl);
}

static void *tls_serve(void *p)
{
    (void)p;
    for (int i = 0; i < ts.connections; i++) {
        int c = accept(ts.fd, NULL, NULL);
        SSL *ssl;
        if (c < 0)
            break;
        ssl = SSL_new(ts.ctx);
        SSL_set_fd(ssl, c);
        serve_one(ssl);
        SSL_free(ssl);
        close(c);
    }
    return NULL;
}

/* Starts a TLS server for n connections; require_client_cert makes it insist on one. */
static void tls_start(int n, bool require_client_cert)
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);
    char path[512];

    memset(&ts, 0, sizeof(ts));
    ts.connections = n;
    ts.ctx = SSL_CTX_new(TLS_server_method());
    ck_assert_ptr_nonnull(ts.ctx);
    ck_assert_int_eq(SSL_CTX_use_certificate_file(
                         ts.ctx, kt_path(path, sizeof(path), dir, "srv.crt"), SSL_FILETYPE_PEM),
                     1);
    ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(
                         ts.ctx, kt_path(path, sizeof(path), dir, "srv.key"), SSL_FILETYPE_PEM),
                     1);
    ck_assert_int_eq(
        SSL_CTX_load_verify_locations(ts.ctx, kt_path(path, sizeof(path), dir, "ca.crt"), NULL), 1);
    SSL_CTX_set_verify(
        ts.ctx, SSL_VERIFY_PEER | (require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
        NULL);
    ts.fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(ts.fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(ts.fd, 4), 0);
    ck_assert_int_eq(getsockname(ts.fd, (struct sockaddr *)&a, &len), 0);
    ts.port = ntohs(a.sin_port);
    ck_assert_int_eq(pthread_create(&ts.thread, NULL, tls_serve, NULL), 0);
}

static void tls_stop(void)
{
    shutdown(ts.fd, SHUT_RDWR);
    close(ts.fd);
    pthread_join(ts.thread, NULL);
    SSL_CTX_free(ts.ctx);
}

/*
 * A client whose kubeconfig names the server by cluster_extra (YAML flow
 * fields added to the cluster) and user_extra (added to the user).
 */
static struct as_kube_client *tls_client(const char *cluster_extra, const char *user_extra)
{
    char text[4096];
    struct as_kube_config *cfg = NULL;
    struct as_kube_client *c = NULL;
    struct as_kube_client_options o = {.max_attempts = 1};
    struct as_error err = {0};

    snprintf(text, sizeof(text),
             "current-context: x\n"
             "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:%d'%s}}]\n"
             "users: [{name: u, user: {%s}}]\n"
             "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
             ts.port, cluster_extra, user_extra);
    ck_assert_msg(as_kube_config_from_data(text, strlen(text), "tls-test", dir, NULL, &cfg, &err) ==
                      AS_OK,
                  "%s", err.message);
    ck_assert_int_eq(as_kube_client_new(cfg, &o, &c, &err), AS_OK);
    return c;
}

/* GET / and returns the status; *peer receives the server's view of the client certificate. */
static as_status get_root(struct as_kube_client *c, char *peer, size_t size, struct as_error *err)
{
    struct as_kube_request req = {.method = "GET", .path = "/"};
    struct as_kube_response resp = {0};
    as_status st = as_kube_request(c, &req, &resp, err);

    if (st == AS_OK)
        snprintf(peer, size, "%s", resp.body.data);
    as_kube_response_free(&resp);
    return st;
}

static const char client_files[] = "client-certificate: cli.crt, client-key: cli.key";

START_TEST(client_certificate_and_server_name)
{
    struct as_kube_client *c;
    struct as_error err = {0};
    char peer[256] = "";

    tls_start(1, true);
    c = tls_client(", certificate-authority: ca.crt, tls-server-name: api.internal.test",
                   client_files);
    ck_assert_msg(get_root(c, peer, sizeof(peer), &err) == AS_OK, "%s", err.message);
    ck_assert_str_eq(peer, "{\"peer\":\"alice\"}");
    as_kube_client_free(c);
    tls_stop();
}
END_TEST

START_TEST(wrong_server_name_is_a_tls_error)
{
    struct as_kube_client *c;
    struct as_error err = {0};
    char peer[256];

    tls_start(1, false);
    c = tls_client(", certificate-authority: ca.crt, tls-server-name: other.example", client_files);
    ck_assert_int_eq(get_root(c, peer, sizeof(peer), &err), AS_E_TLS);
    ck_assert_msg(strncmp(err.message, "GET /: TLS: ", 12) == 0, "%s", err.message);
    as_kube_client_free(c);
    tls_stop();
}
END_TEST

START_TEST(server_ip_not_in_certificate)
{
    /* Without tls-server-name the name checked is 127.0.0.1, which the certificate lacks. */
    struct as_kube_client *c;
    struct as_error err = {0};
    char peer[256];

    tls_start(1, false);
    c = tls_client(", certificate-authority: ca.crt", client_files);
    ck_assert_int_eq(get_root(c, peer, sizeof(peer), &err), AS_E_TLS);
    as_kube_client_free(c);
    tls_stop();
}
END_TEST

START_TEST(unknown_ca_is_a_tls_error)
{
    struct as_kube_client *c;
    struct as_error err = {0};
    char peer[256];

    tls_start(1, false);
    c = tls_client(", tls-server-name: api.internal.test", client_files); /* system CAs only */
    ck_assert_int_eq(get_root(c, peer, sizeof(peer), &err), AS_E_TLS);
    as_kube_client_free(c);
    tls_stop();
}
END_TEST

START_TEST(insecure_skip_verify_and_no_client_cert)
{
    struct as_kube_client *c;
    struct as_error err = {0};
    char peer[256] = "";

    tls_start(1, false);
    c = tls_client(", insecure-skip-tls-verify: true", "token: t");
    ck_assert_msg(get_root(c, peer, sizeof(peer), &err) == AS_OK, "%s", err.message);
    ck_assert_str_eq(peer, "{\"peer\":\"none\"}");
    as_kube_client_free(c);
    tls_stop();
}
END_TEST

START_TEST(ca_and_client_data_fields)
{
    /* The same material as base64 *-data fields instead of files. */
    struct as_kube_client *c;
    struct as_error err = {0};
    char peer[256] = "", cmd[1024], *cluster, *user;
    FILE *f;
    size_t n;

    snprintf(cmd, sizeof(cmd),
             "cd '%s' && printf ', certificate-authority-data: %%s, tls-server-name: "
             "api.internal.test' \"$(base64 -w0 ca.crt)\" > cluster.txt && printf "
             "'client-certificate-data: %%s, client-key-data: %%s' \"$(base64 -w0 cli.crt)\" "
             "\"$(base64 -w0 cli.key)\" > user.txt",
             dir);
    ck_assert_int_eq(system(cmd), 0);
    cluster = calloc(1, 8192);
    user = calloc(1, 8192);
    snprintf(cmd, sizeof(cmd), "%s/cluster.txt", dir);
    f = fopen(cmd, "r");
    n = fread(cluster, 1, 8191, f);
    fclose(f);
    ck_assert_uint_gt(n, 0);
    snprintf(cmd, sizeof(cmd), "%s/user.txt", dir);
    f = fopen(cmd, "r");
    n = fread(user, 1, 8191, f);
    fclose(f);
    ck_assert_uint_gt(n, 0);
    tls_start(1, true);
    {
        char text[20000];
        struct as_kube_config *cfg = NULL;
        struct as_kube_client_options o = {.max_attempts = 1};
        snprintf(text, sizeof(text),
                 "current-context: x\n"
                 "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:%d'%s}}]\n"
                 "users: [{name: u, user: {%s}}]\n"
                 "contexts: [{name: x, context: {cluster: c, user: u}}]\n",
                 ts.port, cluster, user);
        ck_assert_msg(as_kube_config_from_data(text, strlen(text), "tls-test", "/nonexistent", NULL,
                                               &cfg, &err) == AS_OK,
                      "%s", err.message);
        ck_assert_int_eq(as_kube_client_new(cfg, &o, &c, &err), AS_OK);
    }
    ck_assert_msg(get_root(c, peer, sizeof(peer), &err) == AS_OK, "%s", err.message);
    ck_assert_str_eq(peer, "{\"peer\":\"alice\"}");
    free(cluster);
    free(user);
    as_kube_client_free(c);
    tls_stop();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_tls");
    TCase *tc = tcase_create("core");

    signal(SIGPIPE, SIG_IGN); /* the test server writes to clients that gave up */
    tcase_add_unchecked_fixture(tc, make_certs, remove_certs);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, client_certificate_and_server_name);
    tcase_add_test(tc, wrong_server_name_is_a_tls_error);
    tcase_add_test(tc, server_ip_not_in_certificate);
    tcase_add_test(tc, unknown_ca_is_a_tls_error);
    tcase_add_test(tc, insecure_skip_verify_and_no_client_cert);
    tcase_add_test(tc, ca_and_client_data_fields);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
