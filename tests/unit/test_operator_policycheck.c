/*
 * test_operator_policycheck.c - unit tests for operator/policycheck: the
 * PolicyCompliant facts from the policy engine at the stack's profile.
 */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "../../operator/policycheck.h"

static json_t *stack(const char *profile)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s}}", "apiVersion", "appstack.io/v1alpha1",
                     "kind", "AppStack", "metadata", "name", "shop", "namespace", "shop", "spec",
                     "profile", profile);
}

/* A Deployment whose one container has the given securityContext (stolen). */
static json_t *deployment(json_t *sc)
{
    return json_pack(
        "[{s:s, s:s, s:{s:s, s:s}, s:{s:{s:{s:{s:s}}, s:{s:{s:b, s:{s:s}}, s:[{s:s, s:s, s:o, "
        "s:{s:{s:s, s:s}, s:{s:s, s:s}}}]}}}}]",
        "apiVersion", "apps/v1", "kind", "Deployment", "metadata", "name", "shop-web", "namespace",
        "shop", "spec", "template", "metadata", "labels", "app", "web", "spec", "securityContext",
        "runAsNonRoot", 1, "seccompProfile", "type", "RuntimeDefault", "containers", "name", "web",
        "image", "registry.example.com/web:1.0.0", "securityContext", sc, "resources", "requests",
        "cpu", "100m", "memory", "128Mi", "limits", "cpu", "500m", "memory", "256Mi");
}

START_TEST(hardened_objects_are_compliant)
{
    json_t *s = stack("restricted");
    json_t *d = deployment(json_pack("{s:b, s:b, s:{s:[s]}, s:I}", "allowPrivilegeEscalation", 0,
                                     "readOnlyRootFilesystem", 1, "capabilities", "drop", "ALL",
                                     "runAsUser", (json_int_t)10001));
    struct as_op_policy_facts f;
    char msg[AS_OP_POLICY_MESSAGE_MAX];

    as_op_policy_check(s, d, 1700000000, &f, msg);
    ck_assert(f.evaluated);
    ck_assert_msg(f.compliant, "unexpected violations: %s", msg);
    ck_assert_int_eq(f.violations, 0);
    ck_assert_ptr_null(f.message);
    json_decref(d);
    json_decref(s);
}
END_TEST

START_TEST(privileged_container_is_reported_with_rule_and_object)
{
    json_t *s = stack("restricted");
    json_t *d = deployment(json_pack("{s:b}", "privileged", 1));
    struct as_op_policy_facts f;
    char msg[AS_OP_POLICY_MESSAGE_MAX];

    as_op_policy_check(s, d, 1700000000, &f, msg);
    ck_assert(f.evaluated);
    ck_assert(!f.compliant);
    ck_assert_int_gt(f.violations, 1); /* privileged, escalation, capabilities, ... */
    ck_assert_ptr_eq(f.message, msg);
    ck_assert_ptr_nonnull(strstr(msg, "pss-baseline-privileged"));
    ck_assert_ptr_nonnull(strstr(msg, "Deployment/shop-web"));
    ck_assert_uint_lt(strlen(msg), AS_OP_POLICY_MESSAGE_MAX);
    json_decref(d);
    json_decref(s);
}
END_TEST

START_TEST(baseline_profile_tolerates_what_restricted_forbids)
{
    json_t *d = deployment(json_pack("{s:b}", "allowPrivilegeEscalation", 0));
    json_t *r = stack("restricted"), *b = stack("baseline");
    struct as_op_policy_facts fr, fb;
    char mr[AS_OP_POLICY_MESSAGE_MAX], mb[AS_OP_POLICY_MESSAGE_MAX];

    as_op_policy_check(r, d, 1700000000, &fr, mr);
    as_op_policy_check(b, d, 1700000000, &fb, mb);
    ck_assert_msg(!fr.compliant, "restricted should flag missing drop ALL");
    ck_assert_msg(fb.compliant, "baseline flagged: %s", mb);
    json_decref(d);
    json_decref(r);
    json_decref(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("operator_policycheck");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, hardened_objects_are_compliant);
    tcase_add_test(tc, privileged_container_is_reported_with_rule_and_object);
    tcase_add_test(tc, baseline_profile_tolerates_what_restricted_forbids);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
