/*
 * test_kube_incluster.c - unit tests for the in-cluster config (service-account
 * files under an overridable root) and bearer tokens re-read from their file
 * when it changes.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "check_run.h"
#include "kube/kubeconfig.h"
#include "kube_test_util.h"

static char dir[256];

static void setup(void)
{
    kt_tmpdir(dir, sizeof(dir));
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
}

static void teardown(void)
{
    kt_rmtree(dir);
}

/* Sets the mtime of dir/name to t seconds after the epoch. */
static void set_mtime(const char *name, time_t t)
{
    char path[512];
    struct timespec times[2] = {{t, 0}, {t, 0}};

    kt_path(path, sizeof(path), dir, name);
    ck_assert_int_eq(utimensat(AT_FDCWD, path, times, 0), 0);
}

static void token_is(struct as_kube_config *cfg, const char *want)
{
    char tok[256];
    bool has = false;
    struct as_error err = {0};

    ck_assert_int_eq(as_kube_config_token(cfg, tok, sizeof(tok), &has, &err), AS_OK);
    ck_assert(has);
    ck_assert_str_eq(tok, want);
}

START_TEST(reads_service_account_files)
{
    struct as_kube_config *cfg = NULL;
    struct as_error err = {0};

    kt_write(dir, "token", "tok-1\n");
    kt_write(dir, "ca.crt", "CA\n");
    kt_write(dir, "namespace", "apps\n");
    ck_assert_int_eq(as_kube_config_in_cluster(dir, &cfg, &err), AS_OK);
    ck_assert_str_eq(cfg->server, "https://10.96.0.1:443");
    ck_assert_str_eq(cfg->namespace, "apps");
    ck_assert_str_eq(cfg->context, "in-cluster");
    ck_assert_uint_eq(cfg->ca_pem_len, 3);
    token_is(cfg, "tok-1");
    as_kube_config_free(cfg);
}
END_TEST

START_TEST(ipv6_host_and_default_namespace)
{
    struct as_kube_config *cfg = NULL;
    struct as_error err = {0};

    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    kt_write(dir, "token", "t");
    ck_assert_int_eq(as_kube_config_in_cluster(dir, &cfg, &err), AS_OK);
    ck_assert_str_eq(cfg->server, "https://[fd00::1]:443");
    ck_assert_str_eq(cfg->namespace, "default");
    ck_assert_ptr_null(cfg->ca_pem);
    as_kube_config_free(cfg);
}
END_TEST

START_TEST(not_in_a_cluster)
{
    struct as_kube_config *cfg = NULL;
    struct as_error err = {0};

    unsetenv("KUBERNETES_SERVICE_HOST");
    ck_assert_int_eq(as_kube_config_in_cluster(dir, &cfg, &err), AS_E_MISSING);
    ck_assert_str_eq(err.message, "in-cluster: KUBERNETES_SERVICE_HOST and "
                                  "KUBERNETES_SERVICE_PORT are not set; not running in a cluster");
}
END_TEST

START_TEST(missing_token_says_what_to_check)
{
    struct as_kube_config *cfg = NULL;
    struct as_error err = {0};
    char want[1024];

    ck_assert_int_eq(as_kube_config_in_cluster(dir, &cfg, &err), AS_E_MISSING);
    snprintf(want, sizeof(want),
             "in-cluster (is automountServiceAccountToken disabled?): token "
             "file %s/token: No such file or directory",
             dir);
    ck_assert_str_eq(err.message, want);
    ck_assert_ptr_null(cfg);
}
END_TEST

START_TEST(token_is_reread_when_the_file_changes)
{
    struct as_kube_config *cfg = NULL;
    struct as_error err = {0};

    kt_write(dir, "token", "first");
    set_mtime("token", 1000);
    ck_assert_int_eq(as_kube_config_in_cluster(dir, &cfg, &err), AS_OK);
    token_is(cfg, "first");

    /* Within the recheck interval the file is not even looked at. */
    kt_write(dir, "token", "second");
    set_mtime("token", 2000);
    token_is(cfg, "first");

    /* Once due, a changed mtime means a re-read. */
    cfg->token_recheck_seconds = 0;
    token_is(cfg, "second");

    /* Same mtime: content is not re-read (a rotated token always gets a new mtime). */
    kt_write(dir, "token", "third");
    set_mtime("token", 2000);
    token_is(cfg, "second");

    /* A vanished or empty file keeps the previous token. */
    kt_write(dir, "token", "");
    set_mtime("token", 3000);
    token_is(cfg, "second");
    kt_write(dir, "token", "fourth\n");
    set_mtime("token", 4000);
    token_is(cfg, "fourth");
    as_kube_config_free(cfg);
}
END_TEST

START_TEST(load_falls_back_to_in_cluster)
{
    struct as_kube_config *cfg = NULL;
    struct as_kube_config_options o = {0};
    struct as_error err = {0};

    kt_write(dir, "token", "t");
    o.kubeconfig_env = "";
    o.in_cluster_root = dir;
    o.home = "/nonexistent";
    o.namespace = "override";
    ck_assert_int_eq(as_kube_config_load(&o, &cfg, &err), AS_OK);
    ck_assert_str_eq(cfg->context, "in-cluster");
    ck_assert_str_eq(cfg->namespace, "override");
    as_kube_config_free(cfg);

    cfg = NULL;
    o.no_in_cluster = true;
    ck_assert_int_eq(as_kube_config_load(&o, &cfg, &err), AS_E_MISSING);
    ck_assert_str_eq(err.message, "no Kubernetes configuration found: set KUBECONFIG, pass "
                                  "--kubeconfig, or run inside a cluster");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_incluster");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reads_service_account_files);
    tcase_add_test(tc, ipv6_host_and_default_namespace);
    tcase_add_test(tc, not_in_a_cluster);
    tcase_add_test(tc, missing_token_says_what_to_check);
    tcase_add_test(tc, token_is_reread_when_the_file_changes);
    tcase_add_test(tc, load_falls_back_to_in_cluster);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
