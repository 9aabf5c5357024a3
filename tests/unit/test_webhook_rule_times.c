/*
 * test_webhook_rule_times.c - the per-rule time accumulators of admit.h:
 * publishing moves only what was added since the last publish into the
 * rule counters, names built-in rules by their table row and a validator by
 * its single rule, and leaves a rule that never ran out of /metrics.
 */
#include <check.h>
#include <string.h>

#include "../../webhook/admit.h"
#include "base/metrics.h"
#include "check_run.h"

static const struct as_policy_rule VRULES[] = {
    {"app-test", AS_FAMILY_APPSTACK, AS_POLICY_ENFORCE, AS_PSS_NONE, false, "d", "r"},
};

static double value(struct as_metric_family *f, const char *rule)
{
    const char *v[] = {rule};
    double out = -1;

    ck_assert_int_eq(as_metrics_value(f, v, &out), AS_OK);
    return out;
}

START_TEST(publish_moves_only_the_new_time)
{
    struct as_metrics *m = NULL;
    struct as_admit_metrics am;
    static struct as_admit_rule_times t; /* zeroed */
    struct as_policy_validator val = {VRULES, 1, NULL, NULL};
    struct as_policy_config cfg;
    size_t n;
    const struct as_policy_rule *rules = as_policy_rules(&n);
    const char *never[] = {rules[1].id};
    double unused;

    memset(&cfg, 0, sizeof cfg);
    cfg.validators = &val;
    cfg.n_validators = 1;
    ck_assert_int_eq(as_metrics_new(&m), AS_OK);
    ck_assert_int_eq(as_admit_metrics_register(m, &am), AS_OK);
    pthread_mutex_init(&t.publish_lock, NULL);
    am.rule_times = &t;

    atomic_store(&t.ns[0], 2000000000u); /* 2 s over 4 evaluations of rule 0 */
    atomic_store(&t.evals[0], 4);
    atomic_store(&t.ns[AS_POLICY_BUILTIN_RULES], 500000000u); /* validator 0 */
    atomic_store(&t.evals[AS_POLICY_BUILTIN_RULES], 1);
    as_admit_rule_times_publish(&am, &cfg);
    ck_assert_double_eq_tol(value(am.rule_seconds, rules[0].id), 2.0, 1e-9);
    ck_assert_double_eq_tol(value(am.rule_evals, rules[0].id), 4.0, 1e-9);
    ck_assert_double_eq_tol(value(am.rule_seconds, "app-test"), 0.5, 1e-9);
    ck_assert_int_eq(as_metrics_value(am.rule_evals, never, &unused), AS_E_MISSING);

    as_admit_rule_times_publish(&am, &cfg); /* nothing new: nothing added twice */
    ck_assert_double_eq_tol(value(am.rule_evals, rules[0].id), 4.0, 1e-9);
    atomic_fetch_add(&t.ns[0], 1000000000u);
    atomic_fetch_add(&t.evals[0], 1);
    as_admit_rule_times_publish(&am, &cfg);
    ck_assert_double_eq_tol(value(am.rule_seconds, rules[0].id), 3.0, 1e-9);
    ck_assert_double_eq_tol(value(am.rule_evals, rules[0].id), 5.0, 1e-9);
    as_metrics_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("webhook_rule_times");
    TCase *tc = tcase_create("publish");

    tcase_add_test(tc, publish_moves_only_the_new_time);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
