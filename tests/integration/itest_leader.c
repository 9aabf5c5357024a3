/*
 * itest_leader.c - integration tests for operator/leader against an API
 * server reached through KUBECONFIG (needs no fault injection, so it runs on
 * any cluster): two processes (fork) electing exactly one leader, never both
 * leading at any sampled moment, the follower taking over within 20 s after
 * the leader is killed with SIGKILL (short lease settings, then once with the
 * defaults 15 s / 10 s / 2 s), leaseTransitions counting the takeover, and a
 * graceful stop releasing the Lease (holderIdentity "", 1 s) so the other
 * takes over at once, and a leader whose Lease is overwritten by someone else
 * stopping (callback, is_leading false) within the renew deadline. Each run creates its own
 * namespace and deletes it.
 */
#include <check.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../operator/leader.h"
#include "base/json.h"
#include "kube/ops.h"

#include "itest_util.h"

#define LEASE (as_kube_resource_by_kind("coordination.k8s.io/v1", "Lease"))

static char ns[64];

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A client from KUBECONFIG; NULL with a message on stderr when that fails. */
static struct as_kube_client *try_client(const char *program, long request_timeout_ms)
{
    struct as_kube_config *cfg = NULL;
    struct as_kube_config_options o = {.no_in_cluster = true};
    struct as_kube_client_options co = {.program = program,
                                        .request_timeout_ms = request_timeout_ms};
    struct as_kube_client *c = NULL;
    struct as_error err = {0};

    if (as_kube_config_load(&o, &cfg, &err) != AS_OK ||
        as_kube_client_new(cfg, &co, &c, &err) != AS_OK) {
        fprintf(stderr, "itest_leader: %s\n", err.message);
        return NULL;
    }
    return c;
}

static void suite_setup(void)
{
    struct as_kube_client *c = try_client("itest-leader", 0);

    ck_assert_ptr_nonnull(c);
    itest_ns_create(c, "itest-lead", ns, sizeof(ns));
    as_kube_client_free(c);
}

static void suite_teardown(void)
{
    struct as_kube_client *c = try_client("itest-leader", 0);

    if (!c)
        return;
    itest_ns_delete(c, "itest_leader", ns);
    as_kube_client_free(c);
}

/* Shared between the test and its two candidate processes. */
struct shared {
    atomic_int leading[2]; /* candidate i reports as_leader_is_leading */
    atomic_int started[2]; /* started_leading callbacks */
    atomic_int stopped[2]; /* stopped_leading callbacks */
    atomic_int ready[2];
    char identity[2][128];
};

static struct shared *sh;
static volatile sig_atomic_t term_requested;

static void on_term(int sig)
{
    (void)sig;
    term_requested = 1;
}

struct cand_ctx {
    int idx;
};

static void cb_started(void *p)
{
    atomic_fetch_add(&sh->started[((struct cand_ctx *)p)->idx], 1);
}

static void cb_stopped(void *p)
{
    atomic_fetch_add(&sh->stopped[((struct cand_ctx *)p)->idx], 1);
}

/* The candidate process: runs an elector and reports is_leading every 10 ms until SIGTERM. */
static void candidate(int idx, const char *lease_name, long lease_ms, long renew_ms, long retry_ms)
{
    struct as_error err = {0};
    struct cand_ctx ctx = {.idx = idx};
    struct as_leader_callbacks cb = {
        .started_leading = cb_started, .stopped_leading = cb_stopped, .ctx = &ctx};
    struct as_leader_options o = {.ns = ns,
                                  .name = lease_name,
                                  .lease_duration_ms = lease_ms,
                                  .renew_deadline_ms = renew_ms,
                                  .retry_period_ms = retry_ms};
    struct as_leader *le = NULL;
    struct as_kube_client *c;

    signal(SIGTERM, on_term);
    if (as_kube_global_init(&err) != AS_OK)
        _exit(2);
    /* Requests must end well inside the renew deadline. */
    c = try_client("itest-leader-candidate", renew_ms / 2);
    o.client = c;
    if (!c || as_leader_new(&o, &cb, &le, &err) != AS_OK) {
        fprintf(stderr, "candidate %d: %s\n", idx, err.message);
        _exit(3);
    }
    snprintf(sh->identity[idx], sizeof(sh->identity[idx]), "%s", as_leader_identity(le));
    if (as_leader_start(le, &err) != AS_OK)
        _exit(4);
    atomic_store(&sh->ready[idx], 1);
    while (!term_requested) {
        atomic_store(&sh->leading[idx], as_leader_is_leading(le) ? 1 : 0);
        usleep(10 * 1000);
    }
    as_leader_free(le); /* releases the Lease when leading */
    atomic_store(&sh->leading[idx], 0);
    as_kube_client_free(c);
    _exit(0);
}

static pid_t spawn(int idx, const char *lease, long lease_ms, long renew_ms, long retry_ms)
{
    pid_t pid;

    fflush(NULL);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        candidate(idx, lease, lease_ms, renew_ms, retry_ms);
    return pid;
}

/*
 * Samples both flags every 5 ms for ms milliseconds; fails when both lead at
 * once. dead (-1 = none) is a candidate known to be dead whose flag is stale.
 * Returns the index leading at the end, or -1.
 */
static int watch_leaders(long ms, int dead)
{
    long long end = mono_ms() + ms;
    int a, b;

    do {
        a = dead == 0 ? 0 : atomic_load(&sh->leading[0]);
        b = dead == 1 ? 0 : atomic_load(&sh->leading[1]);
        ck_assert_msg(!(a && b), "both candidates lead at the same time");
        usleep(5 * 1000);
    } while (mono_ms() < end);
    return a ? 0 : b ? 1 : -1;
}

/* Waits up to ms for a leader; returns its index and the time it took. */
static int wait_leader(long ms, int dead, long long *took)
{
    long long t0 = mono_ms();
    int who = -1;

    while (mono_ms() - t0 < ms && who < 0)
        who = watch_leaders(20, dead);
    *took = mono_ms() - t0;
    return who;
}

/* The Lease's spec (new reference). */
static json_t *lease_spec(const char *name)
{
    struct as_kube_client *c = try_client("itest-leader", 0);
    struct as_error err = {0};
    json_t *l = NULL, *spec;

    ck_assert_ptr_nonnull(c);
    ck_assert_msg(as_kube_get(c, LEASE, ns, name, &l, &err) == AS_OK, "%s", err.message);
    spec = json_incref(json_object_get(l, "spec"));
    json_decref(l);
    as_kube_client_free(c);
    return spec;
}

static void reap(pid_t pid)
{
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
}

/* The scenario: one leader; SIGKILL it; the follower takes over within limit_ms. */
static void kill_leader_scenario(const char *lease, long lease_ms, long renew_ms, long retry_ms,
                                 long limit_ms)
{
    pid_t pids[2];
    long long took;
    int leader, follower;
    json_t *spec;
    json_int_t transitions;

    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert(sh != MAP_FAILED);
    memset(sh, 0, sizeof(*sh));
    pids[0] = spawn(0, lease, lease_ms, renew_ms, retry_ms);
    pids[1] = spawn(1, lease, lease_ms, renew_ms, retry_ms);

    leader = wait_leader(20000, -1, &took);
    ck_assert_msg(leader >= 0, "no leader elected within 20 s");
    follower = 1 - leader;
    /* Exactly one, and the same one, for a few renew periods. */
    ck_assert_int_eq(watch_leaders(3 * retry_ms + 500, -1), leader);
    ck_assert_int_eq(atomic_load(&sh->started[follower]), 0);
    spec = lease_spec(lease);
    ck_assert_str_eq(json_string_value(json_object_get(spec, "holderIdentity")),
                     sh->identity[leader]);
    ck_assert_int_eq(json_integer_value(json_object_get(spec, "leaseDurationSeconds")),
                     (lease_ms + 999) / 1000);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(spec, "renewTime")), "Z"));
    transitions = json_integer_value(json_object_get(spec, "leaseTransitions"));
    json_decref(spec);

    kill(pids[leader], SIGKILL);
    reap(pids[leader]);
    ck_assert_int_eq(wait_leader(limit_ms, leader, &took), follower);
    fprintf(stderr, "itest_leader: %s: follower took over %lld ms after SIGKILL (lease %ld ms)\n",
            lease, took, lease_ms);
    ck_assert_int_le(took, limit_ms);
    /* A takeover, not a fresh lease: the takeover is only legal after the lease ran out. */
    ck_assert_int_ge(took, lease_ms - retry_ms * 2);
    spec = lease_spec(lease);
    ck_assert_str_eq(json_string_value(json_object_get(spec, "holderIdentity")),
                     sh->identity[follower]);
    ck_assert_int_eq(json_integer_value(json_object_get(spec, "leaseTransitions")),
                     transitions + 1);
    json_decref(spec);

    /* A graceful stop releases the Lease. */
    kill(pids[follower], SIGTERM);
    reap(pids[follower]);
    ck_assert_int_eq(atomic_load(&sh->stopped[follower]), 1);
    spec = lease_spec(lease);
    ck_assert_str_eq(json_string_value(json_object_get(spec, "holderIdentity")), "");
    ck_assert_int_eq(json_integer_value(json_object_get(spec, "leaseDurationSeconds")), 1);
    json_decref(spec);
    munmap(sh, sizeof(*sh));
}

START_TEST(two_processes_one_leader_takeover_after_sigkill_short_lease)
{
    kill_leader_scenario("short", 3000, 2000, 500, 20000);
}
END_TEST

START_TEST(two_processes_takeover_after_sigkill_default_lease)
{
    /* client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry. */
    kill_leader_scenario("default", 15000, 10000, 2000, 20000);
}
END_TEST

START_TEST(release_on_stop_hands_over_at_once)
{
    pid_t pids[2];
    long long took;
    int leader, follower;

    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert(sh != MAP_FAILED);
    memset(sh, 0, sizeof(*sh));
    /* A long lease: without the release the follower would wait 30 s. */
    pids[0] = spawn(0, "release", 30000, 10000, 1000);
    pids[1] = spawn(1, "release", 30000, 10000, 1000);
    leader = wait_leader(20000, -1, &took);
    ck_assert_int_ge(leader, 0);
    follower = 1 - leader;
    ck_assert_int_eq(watch_leaders(1500, -1), leader);
    kill(pids[leader], SIGTERM);
    reap(pids[leader]);
    ck_assert_int_eq(atomic_load(&sh->stopped[leader]), 1);
    ck_assert_int_eq(wait_leader(10000, leader, &took), follower);
    ck_assert_int_lt(took, 5000);
    kill(pids[follower], SIGTERM);
    reap(pids[follower]);
    munmap(sh, sizeof(*sh));
}
END_TEST

static atomic_int lost_calls, started_calls;

static void in_started(void *p)
{
    (void)p;
    atomic_fetch_add(&started_calls, 1);
}

static void in_stopped(void *p)
{
    (void)p;
    atomic_fetch_add(&lost_calls, 1);
}

START_TEST(leader_whose_lease_is_taken_stops_leading_within_the_renew_deadline)
{
    struct as_kube_client *c = try_client("itest-leader", 1000);
    struct as_leader_callbacks cb = {.started_leading = in_started, .stopped_leading = in_stopped};
    struct as_leader_options o = {.client = c,
                                  .ns = ns,
                                  .name = "stolen",
                                  .lease_duration_ms = 4000,
                                  .renew_deadline_ms = 2000,
                                  .retry_period_ms = 400};
    struct as_leader *le = NULL;
    struct as_error err = {0};
    json_t *lease = NULL;
    long long t0, stopped_after = -1, not_leading_after = -1;

    ck_assert_ptr_nonnull(c);
    ck_assert_msg(as_leader_new(&o, &cb, &le, &err) == AS_OK, "%s", err.message);
    ck_assert_msg(as_leader_start(le, &err) == AS_OK, "%s", err.message);
    t0 = mono_ms();
    while (!as_leader_is_leading(le) && mono_ms() - t0 < 10000)
        usleep(20 * 1000);
    ck_assert(as_leader_is_leading(le));
    ck_assert_int_eq(atomic_load(&started_calls), 1);
    /* Another party overwrites the record (as an operator with a newer lease would). */
    ck_assert_int_eq(as_kube_get(c, LEASE, ns, "stolen", &lease, &err), AS_OK);
    json_object_set_new(json_object_get(lease, "spec"), "holderIdentity", json_string("intruder"));
    ck_assert_msg(as_kube_update(c, LEASE, ns, lease, NULL, NULL, &err) == AS_OK, "%s",
                  err.message);
    t0 = mono_ms();
    while (mono_ms() - t0 < 10000 && stopped_after < 0) {
        if (not_leading_after < 0 && !as_leader_is_leading(le))
            not_leading_after = mono_ms() - t0;
        if (atomic_load(&lost_calls) > 0)
            stopped_after = mono_ms() - t0;
        usleep(10 * 1000);
    }
    ck_assert_msg(stopped_after >= 0, "stopped_leading was not called");
    ck_assert(!as_leader_is_leading(le));
    /* It renewed at most one retry period before the steal: it must give up within the
     * renew deadline of that renewal (+ one retry period of polling + slack). */
    ck_assert_int_le(not_leading_after, 2000 + 400 + 300);
    ck_assert_int_le(stopped_after, 2000 + 2 * 400 + 1000);
    /* It gave up without writing: the intruder still holds the Lease. */
    as_leader_free(le);
    ck_assert_int_eq(atomic_load(&lost_calls), 1);
    json_decref(lease);
    lease = NULL;
    ck_assert_int_eq(as_kube_get(c, LEASE, ns, "stolen", &lease, &err), AS_OK);
    ck_assert_str_eq(json_string_value(as_json_path(lease, "spec.holderIdentity")), "intruder");
    json_decref(lease);
    as_kube_client_free(c);
}
END_TEST

START_TEST(bad_timings_are_rejected)
{
    struct as_leader_options o = {.client = (struct as_kube_client *)1,
                                  .ns = "n",
                                  .name = "l",
                                  .lease_duration_ms = 5000,
                                  .renew_deadline_ms = 5000};
    struct as_leader *le = NULL;
    struct as_error err = {0};

    ck_assert_int_eq(as_leader_new(&o, NULL, &le, &err), AS_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "renew deadline"));
    o.renew_deadline_ms = 2000;
    o.retry_period_ms = 1800;
    ck_assert_int_eq(as_leader_new(&o, NULL, &le, &err), AS_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.message, "retry period"));
    ck_assert_ptr_null(le);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("itest_leader");
    TCase *tc = tcase_create("cluster");
    SRunner *sr;
    int failed;

    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, bad_timings_are_rejected);
    tcase_add_test(tc, leader_whose_lease_is_taken_stops_leading_within_the_renew_deadline);
    tcase_add_test(tc, two_processes_one_leader_takeover_after_sigkill_short_lease);
    tcase_add_test(tc, release_on_stop_hands_over_at_once);
    tcase_add_test(tc, two_processes_takeover_after_sigkill_default_lease);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
