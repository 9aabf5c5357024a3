/*
 * test_kube_kubeconfig.c - unit tests for lib/kube/kubeconfig: single files,
 * kubectl-style merging of several files, relative paths, *-data fields,
 * and every malformed case with its exact error text.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "kube/kubeconfig.h"
#include "kube_test_util.h"

static char dir[256];

static void setup(void)
{
    kt_tmpdir(dir, sizeof(dir));
}

static void teardown(void)
{
    kt_rmtree(dir);
}

/* Loads dir/name alone (as --kubeconfig). */
static as_status load_one(const char *name, const char *context, struct as_kube_config **cfg,
                          struct as_error *err)
{
    char path[512];
    struct as_kube_config_options o = {0};

    o.kubeconfig = kt_path(path, sizeof(path), dir, name);
    o.context = context;
    o.no_in_cluster = true;
    o.kubeconfig_env = "";
    o.home = "/nonexistent";
    return as_kube_config_load(&o, cfg, err);
}

/* Expects loading dir/name to fail with code and "kubeconfig DIR/NAME: " + tail. */
static void expect_error(const char *name, const char *context, as_status code, const char *tail)
{
    struct as_kube_config *cfg = NULL;
    struct as_error err = {0};
    char want[2048];

    snprintf(want, sizeof(want), "kubeconfig %s/%s: %s", dir, name, tail);
    ck_assert_int_eq(load_one(name, context, &cfg, &err), code);
    ck_assert_ptr_null(cfg);
    ck_assert_int_eq(err.code, code);
    ck_assert_str_eq(err.message, want);
}

static const char basic[] = "apiVersion: v1\n"
                            "kind: Config\n"
                            "current-context: dev\n"
                            "clusters:\n"
                            "- name: c1\n"
                            "  cluster:\n"
                            "    server: https://k8s.example.test:6443/prefix/\n"
                            "    tls-server-name: api.internal\n"
                            "    proxy-url: http://proxy.example.test:3128\n"
                            "    insecure-skip-tls-verify: true\n"
                            "users:\n"
                            "- name: alice\n"
                            "  user:\n"
                            "    token: s3cr3t-token\n"
                            "contexts:\n"
                            "- name: dev\n"
                            "  context:\n"
                            "    cluster: c1\n"
                            "    user: alice\n"
                            "    namespace: team-a\n"
                            "- name: bare\n"
                            "  context:\n"
                            "    cluster: c1\n";

START_TEST(basic_file_resolves_current_context)
{
    struct as_kube_config *cfg = NULL;
    struct as_error err = {0};
    char tok[64];
    bool has = false;

    kt_write(dir, "config", basic);
    ck_assert_int_eq(load_one("config", NULL, &cfg, &err), AS_OK);
    ck_assert_str_eq(cfg->server, "https://k8s.example.test:6443/prefix");
    ck_assert_str_eq(cfg->tls_server_name, "api.internal");
    ck_assert_str_eq(cfg->proxy_url, "http://proxy.example.test:3128");
    ck_assert(cfg->insecure_skip_tls_verify);
    ck_assert_ptr_null(cfg->ca_pem);
    ck_assert_str_eq(cfg->namespace, "team-a");
    ck_assert_str_eq(cfg->context, "dev");
    ck_assert_int_eq(as_kube_config_token(cfg, tok, sizeof(tok), &has, &err), AS_OK);
    ck_assert(has);
    ck_assert_str_eq(tok, "s3cr3t-token");
    ck_assert_int_eq(as_kube_config_token(cfg, tok, 5, &has, &err), AS_E_LIMIT);
    as_kube_config_free(cfg);
}
END_TEST

START_TEST(context_flag_and_default_namespace)
{
    struct as_kube_config *cfg = NULL;
    struct as_error err = {0};
    char tok[64];
    bool has = true;

    kt_write(dir, "config", basic);
    ck_assert_int_eq(load_one("config", "bare", &cfg, &err), AS_OK);
    ck_assert_str_eq(cfg->namespace, "default");
    ck_assert_str_eq(cfg->context, "bare");
    ck_assert_int_eq(as_kube_config_token(cfg, tok, sizeof(tok), &has, &err), AS_OK);
    ck_assert(!has); /* the context names no user */
    as_kube_config_free(cfg);
}
END_TEST

/* File A sets current-context and defines c1/u1; file B redefines c1 and defines the contexts. */
static const char merge_a[] = "current-context: a-ctx\n"
                              "clusters:\n"
                              "- name: c1\n"
                              "  cluster:\n"
                              "    server: https://a.example.test\n"
                              "users:\n"
                              "- name: u1\n"
                              "  user:\n"
                              "    token: token-from-a\n";
static const char merge_b[] = "current-context: b-ctx\n"
                              "clusters:\n"
                              "- name: c1\n"
                              "  cluster:\n"
                              "    server: https://b.example.test\n"
                              "    tls-server-name: from-b\n"
                              "- name: c2\n"
                              "  cluster:\n"
                              "    server: https://c2.example.test\n"
                              "users:\n"
                              "- name: u1\n"
                              "  user:\n"
                              "    username: bob\n"
                              "    password: pw\n"
                              "contexts:\n"
                              "- name: a-ctx\n"
                              "  context:\n"
                              "    cluster: c1\n"
                              "    user: u1\n"
                              "- name: b-ctx\n"
                              "  context:\n"
                              "    cluster: c2\n"
                              "    namespace: nsb\n";

START_TEST(kubeconfig_env_merges_first_file_wins)
{
    struct as_kube_config *cfg = NULL;
    struct as_kube_config_options o = {0};
    struct as_error err = {0};
    char env[1024], tok[64];
    bool has = false;

    kt_write(dir, "a", merge_a);
    kt_write(dir, "b", merge_b);
    /* An empty entry and a missing file are skipped, as kubectl does. */
    snprintf(env, sizeof(env), "%s/a::%s/missing:%s/b", dir, dir, dir);
    o.kubeconfig_env = env;
    o.no_in_cluster = true;
    ck_assert_int_eq(as_kube_config_load(&o, &cfg, &err), AS_OK);
    ck_assert_str_eq(cfg->context, "a-ctx");
    ck_assert_str_eq(cfg->server, "https://a.example.test");
    ck_assert_ptr_null(cfg->tls_server_name); /* B's c1 is discarded whole */
    ck_assert_ptr_null(cfg->username);
    ck_assert_int_eq(as_kube_config_token(cfg, tok, sizeof(tok), &has, &err), AS_OK);
    ck_assert_str_eq(tok, "token-from-a");
    as_kube_config_free(cfg);

    /* Reversed order: B's current-context and B's c1/u1 win. */
    snprintf(env, sizeof(env), "%s/b:%s/a", dir, dir);
    cfg = NULL;
    ck_assert_int_eq(as_kube_config_load(&o, &cfg, &err), AS_OK);
    ck_assert_str_eq(cfg->context, "b-ctx");
    ck_assert_str_eq(cfg->server, "https://c2.example.test");
    ck_assert_str_eq(cfg->namespace, "nsb");
    as_kube_config_free(cfg);

    cfg = NULL;
    o.context = "a-ctx";
    ck_assert_int_eq(as_kube_config_load(&o, &cfg, &err), AS_OK);
    ck_assert_str_eq(cfg->server, "https://b.example.test");
    ck_assert_str_eq(cfg->tls_server_name, "from-b");
    ck_assert_str_eq(cfg->username, "bob");
    ck_assert_str_eq(cfg->password, "pw");
    as_kube_config_free(cfg);
}
END_TEST

START_TEST(explicit_path_overrides_kubeconfig_env)
{
    struct as_kube_config *cfg = NULL;
    struct as_kube_config_options o = {0};
    struct as_error err = {0};
    char env[1024], path[512];

    kt_write(dir, "a", merge_a);
    kt_write(dir, "config", basic);
    snprintf(env, sizeof(env), "%s/a", dir);
    o.kubeconfig_env = env;
    o.kubeconfig = kt_path(path, sizeof(path), dir, "config");
    o.no_in_cluster = true;
    ck_assert_int_eq(as_kube_config_load(&o, &cfg, &err), AS_OK);
    ck_assert_str_eq(cfg->context, "dev");
    as_kube_config_free(cfg);

    /* An explicit path must exist, unlike KUBECONFIG entries. */
    cfg = NULL;
    o.kubeconfig = kt_path(path, sizeof(path), dir, "nope");
    ck_assert_int_eq(as_kube_config_load(&o, &cfg, &err), AS_E_MISSING);
    ck_assert_ptr_null(cfg);
    snprintf(env, sizeof(env), "kubeconfig %s/nope: No such file or directory", dir);
    ck_assert_str_eq(err.message, env);
}
END_TEST

START_TEST(kubeconfig_env_with_only_missing_files)
{
    struct as_kube_config *cfg = NULL;
    struct as_kube_config_options o = {0};
    struct as_error err = {0};
    char env[1024], want[2048];

    snprintf(env, sizeof(env), "%s/x:%s/y", dir, dir);
    o.kubeconfig_env = env;
    ck_assert_int_eq(as_kube_config_load(&o, &cfg, &err), AS_E_MISSING);
    snprintf(want, sizeof(want),
             "KUBECONFIG=%s: none of these files exist; point KUBECONFIG at "
             "your kubeconfig file",
             env);
    ck_assert_str_eq(err.message, want);
}
END_TEST

START_TEST(relative_paths_resolve_against_the_file_dir)
{
    struct as_kube_config *cfg = NULL;
    struct as_error err = {0};
    char tok[64];
    bool has = false;

    kt_write(dir, "sub/ca.pem", "CA-PEM-BYTES\n");
    kt_write(dir, "sub/client.crt", "CLIENT-CERT\n");
    kt_write(dir, "sub/client.key", "CLIENT-KEY\n");
    kt_write(dir, "sub/token", "  file-token\n\n");
    kt_write(
        dir, "sub/config",
        "current-context: x\n"
        "clusters: [{name: c, cluster: {server: 'https://h:1', certificate-authority: ca.pem}}]\n"
        "users: [{name: u, user: {client-certificate: client.crt, client-key: client.key,\n"
        "         tokenFile: token}}]\n"
        "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
    ck_assert_int_eq(load_one("sub/config", NULL, &cfg, &err), AS_OK);
    ck_assert_uint_eq(cfg->ca_pem_len, 13);
    ck_assert(memcmp(cfg->ca_pem, "CA-PEM-BYTES\n", 13) == 0);
    ck_assert(memcmp(cfg->client_cert_pem, "CLIENT-CERT\n", 12) == 0);
    ck_assert(memcmp(cfg->client_key_pem, "CLIENT-KEY\n", 11) == 0);
    ck_assert_int_eq(as_kube_config_token(cfg, tok, sizeof(tok), &has, &err), AS_OK);
    ck_assert_str_eq(tok, "file-token");
    as_kube_config_free(cfg);
}
END_TEST

START_TEST(data_fields_are_base64_and_win_over_files)
{
    struct as_kube_config *cfg = NULL;
    struct as_error err = {0};

    /* "hello CA\n" / "cert" / "key!" in base64; the file references do not exist. */
    kt_write(dir, "config",
             "current-context: x\n"
             "clusters: [{name: c, cluster: {server: 'https://h:1',\n"
             "  certificate-authority-data: aGVsbG8gQ0EK, certificate-authority: /no/such}}]\n"
             "users: [{name: u, user: {client-certificate-data: Y2VydA==,\n"
             "  client-key-data: a2V5IQ==}}]\n"
             "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
    ck_assert_int_eq(load_one("config", NULL, &cfg, &err), AS_OK);
    ck_assert_uint_eq(cfg->ca_pem_len, 9);
    ck_assert(memcmp(cfg->ca_pem, "hello CA\n", 9) == 0);
    ck_assert_uint_eq(cfg->client_cert_pem_len, 4);
    ck_assert(memcmp(cfg->client_cert_pem, "cert", 4) == 0);
    ck_assert_uint_eq(cfg->client_key_pem_len, 4);
    ck_assert(memcmp(cfg->client_key_pem, "key!", 4) == 0);
    as_kube_config_free(cfg);
}
END_TEST

START_TEST(missing_current_context)
{
    kt_write(dir, "config", "clusters: []\n");
    expect_error("config", NULL, AS_E_CONFIG,
                 "current-context is not set; pass --context NAME or run `kubectl config "
                 "use-context NAME`");
}
END_TEST

START_TEST(unknown_context_lists_known_ones)
{
    kt_write(dir, "config", basic);
    expect_error("config", "prod", AS_E_CONFIG,
                 "context \"prod\" not found (known contexts: dev, bare); pass an existing "
                 "--context");
}
END_TEST

START_TEST(exec_and_auth_provider_are_named)
{
    kt_write(dir, "exec",
             "current-context: x\n"
             "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
             "users: [{name: dev, user: {exec: {command: aws}}}]\n"
             "contexts: [{name: x, context: {cluster: c, user: dev}}]\n");
    expect_error("exec", NULL, AS_E_UNSUPPORTED,
                 "users[dev].user.exec: exec credential plugins are not supported; use a token, "
                 "tokenFile or client certificate");
    kt_write(dir, "ap",
             "current-context: x\n"
             "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
             "users: [{name: g, user: {auth-provider: {name: gcp}}}]\n"
             "contexts: [{name: x, context: {cluster: c, user: g}}]\n");
    expect_error("ap", NULL, AS_E_UNSUPPORTED,
                 "users[g].user.auth-provider: auth-provider plugins are not supported; use a "
                 "token, tokenFile or client certificate");
}
END_TEST

START_TEST(bad_base64_names_field_and_offset)
{
    kt_write(dir, "config",
             "current-context: x\n"
             "clusters: [{name: c, cluster: {server: 'https://h', "
             "certificate-authority-data: 'QUJD!EVG'}}]\n"
             "contexts: [{name: x, context: {cluster: c}}]\n");
    expect_error("config", NULL, AS_E_CONFIG,
                 "clusters[c].cluster.certificate-authority-data: invalid base64 at offset 4; the "
                 "value must be the base64 of a PEM file (base64 -w0 FILE)");
}
END_TEST

START_TEST(missing_referenced_file)
{
    char tail[1024];

    kt_write(
        dir, "config",
        "current-context: x\n"
        "clusters: [{name: c, cluster: {server: 'https://h', certificate-authority: ca.crt}}]\n"
        "contexts: [{name: x, context: {cluster: c}}]\n");
    snprintf(tail, sizeof(tail),
             "clusters[c].cluster.certificate-authority: %s/ca.crt: No such "
             "file or directory; fix the path (relative paths are relative to the kubeconfig "
             "file)",
             dir);
    expect_error("config", NULL, AS_E_CONFIG, tail);

    kt_write(dir, "tf",
             "current-context: x\n"
             "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
             "users: [{name: u, user: {tokenFile: sa/token}}]\n"
             "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
    snprintf(tail, sizeof(tail),
             "users[u].user.tokenFile: token file %s/sa/token: No such file or directory; fix "
             "the path (relative paths are relative to the kubeconfig file)",
             dir);
    expect_error("tf", NULL, AS_E_CONFIG, tail);
}
END_TEST

START_TEST(structural_errors)
{
    kt_write(dir, "t",
             "current-context: x\n"
             "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
             "users: [{name: u, user: {token: 12345}}]\n"
             "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
    expect_error("t", NULL, AS_E_CONFIG,
                 "users[u].user.token: expected a string, got integer; quote the value");
    kt_write(dir, "d",
             "clusters: [{name: c, cluster: {server: 'https://h'}}, "
             "{name: c, cluster: {server: 'https://i'}}]\n");
    expect_error("d", "x", AS_E_CONFIG,
                 "clusters[1]: duplicate name \"c\"; names must be unique within a file");
    kt_write(dir, "nc", "contexts: [{name: x, context: {cluster: gone}}]\n");
    expect_error("nc", "x", AS_E_CONFIG,
                 "contexts[x].context.cluster: cluster \"gone\" is not defined in any kubeconfig "
                 "file; add it under clusters");
    kt_write(dir, "ns",
             "clusters: [{name: c, cluster: {insecure-skip-tls-verify: true}}]\n"
             "contexts: [{name: x, context: {cluster: c}}]\n");
    expect_error("ns", "x", AS_E_CONFIG,
                 "clusters[c].cluster.server: missing; set the API server URL (https://HOST:PORT)");
    kt_write(dir, "ic",
             "clusters: [{name: c, cluster: {server: 'https://h', "
             "insecure-skip-tls-verify: true, certificate-authority-data: YQ==}}]\n"
             "contexts: [{name: x, context: {cluster: c}}]\n");
    expect_error("ic", "x", AS_E_CONFIG,
                 "clusters[c].cluster: insecure-skip-tls-verify cannot be combined with a "
                 "certificate authority; remove one of them");
    kt_write(dir, "ck",
             "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
             "users: [{name: u, user: {client-certificate-data: YQ==}}]\n"
             "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
    expect_error("ck", "x", AS_E_CONFIG,
                 "users[u].user: client-certificate is set but client-key is missing; set both "
                 "or neither");
    kt_write(dir, "tb",
             "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
             "users: [{name: u, user: {token: t, username: a, password: b}}]\n"
             "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
    expect_error("tb", "x", AS_E_CONFIG,
                 "users[u].user: both a token and username/password are set; keep only one "
                 "authentication method");
    kt_write(dir, "l", "clusters: {c: 1}\n");
    expect_error("l", "x", AS_E_CONFIG, "clusters: expected a list, got object");
    kt_write(dir, "s", "just a string\n");
    expect_error("s", "x", AS_E_CONFIG,
                 "top level: expected a mapping (apiVersion, clusters, users, contexts), got "
                 "string");
    kt_write(dir, "srv",
             "clusters: [{name: c, cluster: {server: 'ftp://h'}}]\n"
             "contexts: [{name: x, context: {cluster: c}}]\n");
    expect_error("srv", "x", AS_E_CONFIG,
                 "clusters[c].cluster.server: \"ftp://h\" is not an http(s) URL; use "
                 "https://HOST:PORT");
    kt_write(dir, "imp",
             "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
             "users: [{name: u, user: {token: t, as: admin}}]\n"
             "contexts: [{name: x, context: {cluster: c, user: u}}]\n");
    expect_error("imp", "x", AS_E_UNSUPPORTED,
                 "users[u].user.as: impersonation is not supported; remove it and authenticate "
                 "as that user");
}
END_TEST

START_TEST(yaml_syntax_error_names_file)
{
    struct as_kube_config *cfg = NULL;
    struct as_error err = {0};
    char prefix[512];

    kt_write(dir, "bad", "clusters: [\n");
    ck_assert_int_eq(load_one("bad", NULL, &cfg, &err), AS_E_CONFIG);
    snprintf(prefix, sizeof(prefix), "kubeconfig %s/bad: line ", dir);
    ck_assert_msg(strncmp(err.message, prefix, strlen(prefix)) == 0, "got %s", err.message);
    ck_assert_ptr_nonnull(strstr(err.message, "; fix the YAML syntax"));
}
END_TEST

START_TEST(empty_file_is_an_empty_config)
{
    kt_write(dir, "empty", "");
    expect_error("empty", NULL, AS_E_CONFIG,
                 "current-context is not set; pass --context NAME or run `kubectl config "
                 "use-context NAME`");
}
END_TEST

START_TEST(from_data_parses_in_memory)
{
    static const char text[] = "current-context: x\n"
                               "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:8080'}}]\n"
                               "contexts: [{name: x, context: {cluster: c, namespace: ns1}}]\n";
    struct as_kube_config *cfg = NULL;
    struct as_error err = {0};

    ck_assert_int_eq(as_kube_config_from_data(text, strlen(text), "mem", NULL, NULL, &cfg, &err),
                     AS_OK);
    ck_assert_str_eq(cfg->server, "http://127.0.0.1:8080");
    ck_assert_str_eq(cfg->namespace, "ns1");
    ck_assert_str_eq(cfg->source, "mem");
    as_kube_config_free(cfg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_kubeconfig");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, basic_file_resolves_current_context);
    tcase_add_test(tc, context_flag_and_default_namespace);
    tcase_add_test(tc, kubeconfig_env_merges_first_file_wins);
    tcase_add_test(tc, explicit_path_overrides_kubeconfig_env);
    tcase_add_test(tc, kubeconfig_env_with_only_missing_files);
    tcase_add_test(tc, relative_paths_resolve_against_the_file_dir);
    tcase_add_test(tc, data_fields_are_base64_and_win_over_files);
    tcase_add_test(tc, missing_current_context);
    tcase_add_test(tc, unknown_context_lists_known_ones);
    tcase_add_test(tc, exec_and_auth_provider_are_named);
    tcase_add_test(tc, bad_base64_names_field_and_offset);
    tcase_add_test(tc, missing_referenced_file);
    tcase_add_test(tc, structural_errors);
    tcase_add_test(tc, yaml_syntax_error_names_file);
    tcase_add_test(tc, empty_file_is_an_empty_config);
    tcase_add_test(tc, from_data_parses_in_memory);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
