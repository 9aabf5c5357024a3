/*
 * test_leader_decide.c - unit tests for operator/leader_record: the election
 * decision (create / acquire / renew / wait) with expiry judged by the local
 * clock since the record last changed, transitions and acquireTime handling,
 * MicroTime formatting, the Lease codec and identities.
 */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "../../operator/leader_record.h"

static struct as_lease_record rec(const char *holder, long dur, const char *renew, long tr)
{
    struct as_lease_record r;

    memset(&r, 0, sizeof(r));
    snprintf(r.holder, sizeof(r.holder), "%s", holder);
    r.duration_seconds = dur;
    snprintf(r.acquire_time, sizeof(r.acquire_time), "2026-01-01T00:00:00.000000Z");
    snprintf(r.renew_time, sizeof(r.renew_time), "%s", renew);
    r.transitions = tr;
    return r;
}

#define NOW "2026-01-01T00:01:00.000000Z"

START_TEST(no_lease_means_create_with_zero_transitions)
{
    struct as_leader_observed obs = {0};
    struct as_lease_record next;

    ck_assert_int_eq(as_leader_decide(NULL, &obs, "me", 15, 1000, NOW, &next), AS_LEADER_CREATE);
    ck_assert_str_eq(next.holder, "me");
    ck_assert_int_eq(next.duration_seconds, 15);
    ck_assert_str_eq(next.acquire_time, NOW);
    ck_assert_str_eq(next.renew_time, NOW);
    ck_assert_int_eq(next.transitions, 0);
}
END_TEST

START_TEST(held_lease_waits_until_unchanged_for_its_duration_by_local_clock)
{
    struct as_leader_observed obs = {0};
    struct as_lease_record next, cur = rec("other", 15, "2020-01-01T00:00:00.000000Z", 3);

    /* A renewTime far in the past does not matter: we only just observed the record. */
    ck_assert_int_eq(as_leader_decide(&cur, &obs, "me", 15, 100000, NOW, &next), AS_LEADER_WAIT);
    ck_assert(obs.have);
    ck_assert_int_eq(obs.observed_ms, 100000);
    ck_assert_int_eq(as_leader_decide(&cur, &obs, "me", 15, 114999, NOW, &next), AS_LEADER_WAIT);
    /* The holder renewed at 110 s: the clock starts again. */
    cur = rec("other", 15, "2020-01-01T00:00:10.000000Z", 3);
    ck_assert_int_eq(as_leader_decide(&cur, &obs, "me", 15, 115000, NOW, &next), AS_LEADER_WAIT);
    ck_assert_int_eq(obs.observed_ms, 115000);
    ck_assert_int_eq(as_leader_decide(&cur, &obs, "me", 15, 129999, NOW, &next), AS_LEADER_WAIT);
    /* Unchanged for 15 s: expired, we take over with one more transition. */
    ck_assert_int_eq(as_leader_decide(&cur, &obs, "me", 15, 130000, NOW, &next), AS_LEADER_ACQUIRE);
    ck_assert_str_eq(next.holder, "me");
    ck_assert_int_eq(next.transitions, 4);
    ck_assert_str_eq(next.acquire_time, NOW);
    ck_assert_str_eq(next.renew_time, NOW);
}
END_TEST

START_TEST(expiry_uses_the_records_duration_not_ours)
{
    struct as_leader_observed obs = {0};
    struct as_lease_record next, cur = rec("other", 2, NOW, 0);

    ck_assert_int_eq(as_leader_decide(&cur, &obs, "me", 15, 5000, NOW, &next), AS_LEADER_WAIT);
    ck_assert_int_eq(as_leader_decide(&cur, &obs, "me", 15, 7000, NOW, &next), AS_LEADER_ACQUIRE);
    ck_assert_int_eq(next.duration_seconds, 15);
}
END_TEST

START_TEST(renewing_our_own_lease_keeps_acquire_time_and_transitions)
{
    struct as_leader_observed obs = {0};
    struct as_lease_record next, cur = rec("me", 15, "2026-01-01T00:00:30.000000Z", 7);

    ck_assert_int_eq(as_leader_decide(&cur, &obs, "me", 15, 1, NOW, &next), AS_LEADER_RENEW);
    ck_assert_str_eq(next.acquire_time, "2026-01-01T00:00:00.000000Z");
    ck_assert_str_eq(next.renew_time, NOW);
    ck_assert_int_eq(next.transitions, 7);
    as_leader_observe_written(&obs, &next, 50);
    ck_assert(as_lease_record_equal(&obs.rec, &next));
    ck_assert_int_eq(obs.observed_ms, 50);
}
END_TEST

START_TEST(released_lease_is_taken_at_once)
{
    struct as_leader_observed obs = {0};
    struct as_lease_record next, cur = rec("", 1, NOW, 2);

    ck_assert_int_eq(as_leader_decide(&cur, &obs, "me", 15, 10, NOW, &next), AS_LEADER_ACQUIRE);
    ck_assert_int_eq(next.transitions, 3);
    ck_assert_str_eq(next.holder, "me");
}
END_TEST

START_TEST(micro_time_format_is_rfc3339_with_microseconds)
{
    struct timespec ts = {.tv_sec = 1136214245, .tv_nsec = 123456789};
    char buf[AS_MICRO_TIME_MAX];

    as_lease_micro_time(&ts, buf, sizeof(buf));
    ck_assert_str_eq(buf, "2006-01-02T15:04:05.123456Z");
    ts.tv_nsec = 0;
    as_lease_micro_time(&ts, buf, sizeof(buf));
    ck_assert_str_eq(buf, "2006-01-02T15:04:05.000000Z");
}
END_TEST

START_TEST(lease_codec_round_trips_and_names_bad_fields)
{
    struct as_lease_record r = rec("a_1_0000beef", 15, NOW, 2), back;
    struct as_error err = {0};
    json_t *lease = json_pack("{s:s,s:{s:s,s:s}}", "kind", "Lease", "metadata", "name", "l",
                              "resourceVersion", "9");
    json_t *bad = json_pack("{s:{s:s}}", "spec", "leaseDurationSeconds", "15");
    json_t *empty = json_object();

    ck_assert_int_eq(as_lease_record_to_lease(&r, lease), AS_OK);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(lease, "spec"), "leaseDurationSeconds")),
        15);
    ck_assert_int_eq(as_lease_record_from_lease(lease, &back, &err), AS_OK);
    ck_assert(as_lease_record_equal(&r, &back));
    ck_assert_int_eq(as_lease_record_from_lease(bad, &back, &err), AS_E_TYPE);
    ck_assert_ptr_nonnull(strstr(err.message, "spec.leaseDurationSeconds"));
    ck_assert_int_eq(as_lease_record_from_lease(empty, &back, &err), AS_OK);
    ck_assert_str_eq(back.holder, "");
    ck_assert_int_eq(back.duration_seconds, 0);
    json_decref(lease);
    json_decref(bad);
    json_decref(empty);
}
END_TEST

START_TEST(identity_is_host_pid_random)
{
    char buf[64];

    as_leader_make_identity("node-a", 4242, 0xbeefu, buf, sizeof(buf));
    ck_assert_str_eq(buf, "node-a_4242_0000beef");
    as_leader_make_identity("", 1, 0, buf, sizeof(buf));
    ck_assert_str_eq(buf, "unknown_1_00000000");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("leader_decide");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, no_lease_means_create_with_zero_transitions);
    tcase_add_test(tc, held_lease_waits_until_unchanged_for_its_duration_by_local_clock);
    tcase_add_test(tc, expiry_uses_the_records_duration_not_ours);
    tcase_add_test(tc, renewing_our_own_lease_keeps_acquire_time_and_transitions);
    tcase_add_test(tc, released_lease_is_taken_at_once);
    tcase_add_test(tc, micro_time_format_is_rfc3339_with_microseconds);
    tcase_add_test(tc, lease_codec_round_trips_and_names_bad_fields);
    tcase_add_test(tc, identity_is_host_pid_random);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
