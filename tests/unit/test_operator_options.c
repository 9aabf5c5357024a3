/*
 * test_operator_options.c - unit tests for operator/options: defaults,
 * both flag forms, every flag, and errors that name the flag.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "../../operator/allocator.h"
#include "../../operator/options.h"

#define ARGV(...) ((char *[]){"appstack-operator", __VA_ARGS__, NULL})

/* Parses the nargs arguments after argv[0]; returns the status, the message in err. */
static as_status parse(int nargs, char **argv, struct as_op_options *o, struct as_error *err)
{
    return as_op_options_parse(nargs + 1, argv, o, err);
}

START_TEST(defaults_without_flags)
{
    char *argv[] = {"appstack-operator", NULL};
    struct as_op_options o;
    struct as_error err;

    ck_assert_int_eq(parse(0, argv, &o, &err), AS_OK);
    ck_assert_ptr_null(o.kubeconfig);
    ck_assert_ptr_null(o.context);
    ck_assert_ptr_null(o.ns);
    ck_assert(!o.leader_elect);
    ck_assert_int_eq(o.workers, 2);
    ck_assert_str_eq(o.metrics_addr, ":8080");
    ck_assert_str_eq(o.health_addr, ":8081");
    ck_assert_int_eq(o.log_level, AS_LOG_INFO);
    ck_assert_int_eq(o.log_format, AS_LOG_TEXT);
    ck_assert(!o.help && !o.version);
}
END_TEST

START_TEST(every_flag_in_both_forms)
{
    char **argv =
        ARGV("--kubeconfig", "/tmp/kc", "--context=kind-dev", "--namespace", "shop",
             "--leader-elect", "--workers=8", "--metrics-bind-address", "127.0.0.1:9090",
             "--health-probe-bind-address=[::1]:9091", "--log-level", "debug", "--log-format=json");
    struct as_op_options o;
    struct as_error err;

    ck_assert_int_eq(parse(13, argv, &o, &err), AS_OK);
    ck_assert_str_eq(o.kubeconfig, "/tmp/kc");
    ck_assert_str_eq(o.context, "kind-dev");
    ck_assert_str_eq(o.ns, "shop");
    ck_assert(o.leader_elect);
    ck_assert_int_eq(o.workers, 8);
    ck_assert_str_eq(o.metrics_addr, "127.0.0.1:9090");
    ck_assert_str_eq(o.health_addr, "[::1]:9091");
    ck_assert_int_eq(o.log_level, AS_LOG_DEBUG);
    ck_assert_int_eq(o.log_format, AS_LOG_JSON);
}
END_TEST

START_TEST(leader_elect_accepts_a_boolean_and_zero_turns_endpoints_off)
{
    char **argv = ARGV("--leader-elect=false", "--metrics-bind-address=0",
                       "--health-probe-bind-address", "0");
    struct as_op_options o;
    struct as_error err;

    ck_assert_int_eq(parse(4, argv, &o, &err), AS_OK);
    ck_assert(!o.leader_elect);
    ck_assert_str_eq(o.metrics_addr, "0");
    ck_assert_str_eq(o.health_addr, "0");
}
END_TEST

START_TEST(help_and_version_stop_parsing)
{
    char **a = ARGV("-h", "--bogus");
    char **b = ARGV("--version");
    struct as_op_options o;
    struct as_error err;
    const char *h = as_op_options_help();

    ck_assert_int_eq(parse(2, a, &o, &err), AS_OK);
    ck_assert(o.help);
    ck_assert_int_eq(parse(1, b, &o, &err), AS_OK);
    ck_assert(o.version && !o.help);
    for (const char *const *sec =
             (const char *const[]){"SYNOPSIS", "DESCRIPTION", "OPTIONS", "SIGNALS", "EXIT STATUS",
                                   "ENVIRONMENT", "EXAMPLES", "--workers N",
                                   "--health-probe-bind-address", NULL};
         *sec; sec++)
        ck_assert_msg(strstr(h, *sec) != NULL, "help lacks %s", *sec);
}
END_TEST

/* Expects parsing argv to fail with exactly msg. */
static void expect_error(int nargs, char **argv, const char *msg)
{
    struct as_op_options o;
    struct as_error err;

    o.workers = 99;
    ck_assert_int_eq(parse(nargs, argv, &o, &err), AS_E_INVALID_ARG);
    ck_assert_str_eq(err.message, msg);
    ck_assert_int_eq(o.workers, 99); /* untouched on failure */
}

START_TEST(errors_name_the_flag)
{
    expect_error(2, ARGV("--workers", "0"),
                 "--workers: \"0\" is not between 1 and 64 — give the number of stacks to "
                 "reconcile in parallel");
    expect_error(1, ARGV("--workers=65"),
                 "--workers: \"65\" is not between 1 and 64 — give the number of stacks to "
                 "reconcile in parallel");
    expect_error(1, ARGV("--workers=4x"),
                 "--workers: \"4x\" is not between 1 and 64 — give the number of stacks to "
                 "reconcile in parallel");
    expect_error(1, ARGV("--workers"), "--workers: needs a value — see --help");
    expect_error(1, ARGV("--frobnicate"),
                 "--frobnicate: unknown option — see appstack-operator --help");
    expect_error(1, ARGV("extra"),
                 "extra: unknown argument (the operator takes none) — see appstack-operator "
                 "--help");
    expect_error(1, ARGV("--metrics-bind-address=8080"),
                 "--metrics-bind-address: \"8080\" is not an address — use [HOST]:PORT with "
                 "PORT 1..65535 (e.g. :8080, 127.0.0.1:8080, [::1]:8080) or 0 to turn it off");
    expect_error(2, ARGV("--health-probe-bind-address", ":70000"),
                 "--health-probe-bind-address: \":70000\" is not an address — use [HOST]:PORT "
                 "with PORT 1..65535 (e.g. :8080, 127.0.0.1:8080, [::1]:8080) or 0 to turn it "
                 "off");
    expect_error(1, ARGV("--log-level=verbose"),
                 "--log-level: unknown level \"verbose\"; use debug, info, warn or error");
    expect_error(1, ARGV("--log-format=xml"),
                 "--log-format: unknown format \"xml\"; use text or json");
    expect_error(1, ARGV("--leader-elect=maybe"),
                 "--leader-elect: \"maybe\" is not a boolean — use true or false");
    expect_error(1, ARGV("--namespace=Shop_1"),
                 "--namespace: \"Shop_1\" is not a namespace name — use lower-case letters, "
                 "digits and '-', at most 63 characters (omit the flag to watch all "
                 "namespaces)");
    expect_error(1, ARGV("--namespace=-shop"),
                 "--namespace: \"-shop\" is not a namespace name — use lower-case letters, "
                 "digits and '-', at most 63 characters (omit the flag to watch all "
                 "namespaces)");
    expect_error(1, ARGV("--kubeconfig="), "--kubeconfig: the value is empty — give a file path");
    expect_error(1, ARGV("--version=1"), "--version: takes no value");
}
END_TEST

START_TEST(bind_address_forms)
{
    struct as_error err;

    ck_assert_int_eq(as_op_check_bind_address("--x", ":8080", &err), AS_OK);
    ck_assert_int_eq(as_op_check_bind_address("--x", "0.0.0.0:1", &err), AS_OK);
    ck_assert_int_eq(as_op_check_bind_address("--x", "localhost:65535", &err), AS_OK);
    ck_assert_int_eq(as_op_check_bind_address("--x", "[::]:8080", &err), AS_OK);
    ck_assert_int_eq(as_op_check_bind_address("--x", "::1:8080", &err), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_op_check_bind_address("--x", ":0", &err), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_op_check_bind_address("--x", ":", &err), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_op_check_bind_address("--x", ":+80", &err), AS_E_INVALID_ARG);
    ck_assert_int_eq(as_op_check_bind_address("--x", "[::1:8080", &err), AS_E_INVALID_ARG);
}
END_TEST

START_TEST(tcache_tunable_is_added_unless_already_named)
{
    char out[128];

    ck_assert(as_op_tunables_without_tcache(NULL, out, sizeof(out)));
    ck_assert_str_eq(out, "glibc.malloc.tcache_count=0");
    ck_assert(as_op_tunables_without_tcache("", out, sizeof(out)));
    ck_assert_str_eq(out, "glibc.malloc.tcache_count=0");
    ck_assert(as_op_tunables_without_tcache("glibc.malloc.arena_max=4", out, sizeof(out)));
    ck_assert_str_eq(out, "glibc.malloc.arena_max=4:glibc.malloc.tcache_count=0");
    /* a longer name that starts the same is another tunable */
    ck_assert(as_op_tunables_without_tcache("glibc.malloc.tcache_count_x=1", out, sizeof(out)));
    ck_assert_str_eq(out, "glibc.malloc.tcache_count_x=1:glibc.malloc.tcache_count=0");
    /* named already, first or later in the list: left to whoever set it */
    snprintf(out, sizeof(out), "%s", "untouched");
    ck_assert(!as_op_tunables_without_tcache("glibc.malloc.tcache_count=7", out, sizeof(out)));
    ck_assert(
        !as_op_tunables_without_tcache("a=1:glibc.malloc.tcache_count=7:b=2", out, sizeof(out)));
    ck_assert_str_eq(out, "untouched");
    /* too small for the result: false */
    ck_assert(!as_op_tunables_without_tcache("glibc.malloc.arena_max=4", out, 20));
    ck_assert_str_eq(out, "untouched");
    ck_assert(
        as_op_tunables_without_tcache("x=1", out, strlen("x=1:glibc.malloc.tcache_count=0") + 1));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("operator_options");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, defaults_without_flags);
    tcase_add_test(tc, every_flag_in_both_forms);
    tcase_add_test(tc, leader_elect_accepts_a_boolean_and_zero_turns_endpoints_off);
    tcase_add_test(tc, help_and_version_stop_parsing);
    tcase_add_test(tc, errors_name_the_flag);
    tcase_add_test(tc, bind_address_forms);
    tcase_add_test(tc, tcache_tunable_is_added_unless_already_named);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
