/*
 * test_policy_engine.c - unit tests for lib/policy: the rule table, modes and
 * overrides, exemptions, exceptions, patches, the denial format, the
 * validator hook, and the value parsers (quantities, RFC 3339, selectors).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "base/json.h"
#include "base/yaml.h"
#include "policy/policy.h"
#include "policy/policy_int.h"

#define NOW 1790000000

static struct as_policy_config cfg;
static struct as_policy_result res;

static void setup(void)
{
    ck_assert_int_eq(as_policy_config_init_default(&cfg), AS_OK);
    as_policy_result_init(&res);
}

static void teardown(void)
{
    as_policy_result_free(&res);
    as_policy_config_free(&cfg);
}

/* Parses one YAML document (test data). Caller owns. */
static json_t *yaml(const char *text)
{
    json_t *v = NULL;
    struct as_error err;

    ck_assert_msg(as_yaml_to_json_one(text, strlen(text), &v, &err) == AS_OK, "%s", err.message);
    return v;
}

/* A restricted-compliant pod with one container; extra is spliced into the container. */
static json_t *pod(const char *ns, const char *container_extra)
{
    char buf[2048];

    snprintf(
        buf, sizeof buf,
        "{apiVersion: v1, kind: Pod, metadata: {name: p, namespace: %s, labels: {app: web}},\n"
        " spec: {securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}},\n"
        "  containers: [{name: app, image: 'ghcr.io/acme/app:1.0',\n"
        "   resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 100m, memory: 64Mi}},\n"
        "   securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}%s}}]}}",
        ns, container_extra);
    return yaml(buf);
}

/* Evaluates a CREATE of obj (stolen) by user. */
static void create(json_t *obj, const char *user)
{
    struct as_policy_request req = {0};

    req.op = AS_OP_CREATE;
    req.user = user;
    req.now = NOW;
    ck_assert_int_eq(as_policy_evaluate_json(&cfg, &req, obj, NULL, NULL, &res), AS_OK);
    json_decref(obj);
}

/* Index of the first violation of rule, or -1. */
static long find(const char *rule)
{
    for (size_t i = 0; i < res.n; i++)
        if (strcmp(res.v[i].rule->id, rule) == 0)
            return (long)i;
    return -1;
}

/* The path builder truncates as snprintf does and never writes past the buffer. */
START_TEST(path_builder_appends_and_truncates_like_snprintf)
{
    char p[16] = "";
    char small[8];
    size_t len = 0;

    as__path_add(p, sizeof p, &len, "spec");
    as__path_add(p, sizeof p, &len, ".containers");
    as__path_index(p, sizeof p, &len, 0);
    ck_assert_str_eq(p, "spec.containers");
    ck_assert_uint_eq(len, 15);
    len = 0;
    as__path_add(p, sizeof p, &len, "c");
    as__path_index(p, sizeof p, &len, 18446744073709551615u);
    ck_assert_str_eq(p, "c[1844674407370");
    len = 0;
    as__path_add(p, sizeof p, &len, "x");
    as__path_index(p, sizeof p, &len, 42);
    as__path_add_n(p, sizeof p, &len, ".abcdef", 3);
    ck_assert_str_eq(p, "x[42].ab");
    memset(small, '#', sizeof small);
    len = 0;
    small[0] = '\0';
    as__path_add(small, 4, &len, "abcdef");
    ck_assert_str_eq(small, "abc");
    as__path_add(small, 4, &len, "more"); /* full: nothing more, and nothing past byte 4 */
    ck_assert_str_eq(small, "abc");
    ck_assert_int_eq(small[4], '#');
}
END_TEST

START_TEST(rule_table_is_complete_and_unique)
{
    size_t n;
    const struct as_policy_rule *r = as_policy_rules(&n);
    int per_family[AS_FAMILY__COUNT] = {0};

    ck_assert_uint_ge(n, 29);
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(r[i].description);
        ck_assert_ptr_nonnull(r[i].remedy);
        ck_assert_ptr_eq(as_policy_rule_find(r[i].id), &r[i]);
        for (size_t j = i + 1; j < n; j++)
            ck_assert_str_ne(r[i].id, r[j].id);
        per_family[r[i].family]++;
    }
    ck_assert_int_eq(per_family[AS_FAMILY_POD_SECURITY], 18);
    ck_assert_int_eq(per_family[AS_FAMILY_APPSTACK], 0); /* served by the renderer's validator */
    ck_assert_ptr_null(as_policy_rule_find("no-such-rule"));
}
END_TEST

START_TEST(names_round_trip)
{
    enum as_policy_op op;
    enum as_policy_mode mode;
    enum as_policy_family fam;
    enum as_pss_level lvl;

    ck_assert(as_policy_op_parse("DELETE", &op) && op == AS_OP_DELETE);
    ck_assert(!as_policy_op_parse("delete", &op));
    for (int m = AS_POLICY_OFF; m <= AS_POLICY_ENFORCE; m++)
        ck_assert(as_policy_mode_parse(as_policy_mode_name((enum as_policy_mode)m), &mode) &&
                  (int)mode == m);
    for (int f = 0; f < AS_FAMILY__COUNT; f++)
        ck_assert(as_policy_family_parse(as_policy_family_name((enum as_policy_family)f), &fam) &&
                  (int)fam == f);
    ck_assert(as_pss_level_parse("baseline", &lvl) && lvl == AS_PSS_BASELINE);
    ck_assert(!as_pss_level_parse("none", &lvl));
    ck_assert(!as_policy_mode_parse("block", &mode));
}
END_TEST

START_TEST(readme_documents_every_rule)
{
    static char text[65536];
    FILE *f = fopen("lib/policy/README.md", "rb");
    size_t n, count;
    const struct as_policy_rule *r = as_policy_rules(&count);

    ck_assert_msg(f != NULL, "run from the repository root");
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    for (size_t i = 0; i < count; i++) {
        char needle[160];

        snprintf(needle, sizeof needle, "| `%s` |", r[i].id);
        ck_assert_msg(strstr(text, needle) != NULL, "README.md does not list %s", r[i].id);
    }
}
END_TEST

START_TEST(compliant_pod_has_no_violation_and_no_patch)
{
    create(pod("demo", ""), "alice");
    ck_assert_uint_eq(res.n, 0);
    ck_assert_ptr_null(res.patch);
    ck_assert(!as_policy_result_denied(&res));
}
END_TEST

START_TEST(violation_carries_path_message_and_mode)
{
    create(pod("demo", ", privileged: true"), "alice");
    ck_assert_uint_eq(res.n, 1);
    ck_assert_str_eq(res.v[0].rule->id, "pss-baseline-privileged");
    ck_assert_str_eq(res.v[0].path, "spec.containers[0].securityContext.privileged");
    ck_assert_str_eq(res.v[0].message,
                     "privileged is true \xe2\x80\x94 remove securityContext.privileged or set it "
                     "to false");
    ck_assert_int_eq(res.v[0].mode, AS_POLICY_ENFORCE);
    ck_assert(as_policy_result_denied(&res));
}
END_TEST

START_TEST(denial_format_lists_every_violation_of_a_mode)
{
    struct as_buf b;

    create(pod("demo", ", privileged: true, runAsUser: 0"), "alice");
    as_buf_init(&b, 4096);
    ck_assert_int_eq(as_policy_format(&res, AS_POLICY_ENFORCE, "\n", &b), AS_OK);
    ck_assert_str_eq(b.data,
                     "pss-baseline-privileged spec.containers[0].securityContext.privileged: "
                     "privileged is true \xe2\x80\x94 remove securityContext.privileged or set it "
                     "to false\n"
                     "pss-restricted-run-as-user spec.containers[0].securityContext.runAsUser: "
                     "runAsUser is 0 (root) \xe2\x80\x94 set runAsUser to a non-zero UID or leave "
                     "it unset");
    as_buf_reset(&b);
    ck_assert_int_eq(as_policy_format(&res, AS_POLICY_WARN, "\n", &b), AS_OK);
    ck_assert_uint_eq(b.len, 0);
    as_buf_free(&b);
}
END_TEST

START_TEST(overrides_by_rule_win_over_family)
{
    json_t *pol = yaml("{kind: AppStackPolicy, spec: {modes: {pod-security: warn, "
                       "pss-baseline-privileged: audit}}}");
    struct as_error err;

    ck_assert_int_eq(as_policy_config_apply_policy(&cfg, pol, &err), AS_OK);
    json_decref(pol);
    create(pod("demo", ", privileged: true, runAsUser: 0"), "alice");
    ck_assert_uint_eq(res.n, 2);
    ck_assert_int_eq(res.v[find("pss-baseline-privileged")].mode, AS_POLICY_AUDIT);
    ck_assert_int_eq(res.v[find("pss-restricted-run-as-user")].mode, AS_POLICY_WARN);
    ck_assert(!as_policy_result_denied(&res));
}
END_TEST

START_TEST(level_baseline_skips_restricted_rules)
{
    cfg.pss_level = AS_PSS_BASELINE;
    create(pod("demo", ", runAsUser: 0"), "alice");
    ck_assert_uint_eq(res.n, 0);
}
END_TEST

START_TEST(exempt_namespaces_and_users)
{
    json_t *pol = yaml("{kind: AppStackPolicy, spec: {exemptNamespaces: [infra], "
                       "exemptUsers: [ci-bot], operatorServiceAccount: "
                       "'system:serviceaccount:ops:appstack'}}");
    struct as_error err;
    static const char *const NS[] = {"kube-system", "kube-node-lease", "ops", "infra"};

    ck_assert_int_eq(as_policy_config_apply_policy(&cfg, pol, &err), AS_OK);
    json_decref(pol);
    ck_assert_str_eq(cfg.operator_namespace, "ops");
    for (size_t i = 0; i < 4; i++) {
        create(pod(NS[i], ", privileged: true"), "alice");
        ck_assert_msg(res.n == 0 && res.exempt_why, "namespace %s not exempt", NS[i]);
        as_policy_result_free(&res);
    }
    create(pod("demo", ", privileged: true"), "ci-bot");
    ck_assert_uint_eq(res.n, 0);
    ck_assert_str_eq(res.exempt_why, "user is exempt");
    as_policy_result_free(&res);
    /* appstack-system is no longer the operator's namespace */
    create(pod("appstack-system", ", privileged: true"), "alice");
    ck_assert_uint_eq(res.n, 1);
}
END_TEST

static json_t *exception(const char *ns, const char *rules, const char *expires, const char *match)
{
    char buf[1024];

    snprintf(buf, sizeof buf,
             "{apiVersion: appstack.io/v1alpha1, kind: AppStackPolicyException,\n"
             " metadata: {name: allow-priv, namespace: %s},\n"
             " spec: {rules: %s, reason: needs it, ticket: SEC-1, expiresAt: '%s'%s}}",
             ns, rules, expires, match);
    return yaml(buf);
}

START_TEST(exception_grants_named_rules_until_it_expires)
{
    struct as_error err;
    json_t *ok = exception("demo", "[pss-baseline-privileged]", "2027-01-01T00:00:00Z",
                           ", match: {kinds: [Pod], labelSelector: {matchLabels: {app: web}}}");

    ck_assert_int_eq(as_policy_config_add_exception(&cfg, ok, &err), AS_OK);
    json_decref(ok);
    create(pod("demo", ", privileged: true, runAsUser: 0"), "alice");
    ck_assert_uint_eq(res.n, 2);
    ck_assert_int_eq(res.v[find("pss-baseline-privileged")].mode, AS_POLICY_AUDIT);
    ck_assert_str_eq(res.v[find("pss-baseline-privileged")].exception, "allow-priv");
    ck_assert_int_eq(res.v[find("pss-restricted-run-as-user")].mode, AS_POLICY_ENFORCE);
    ck_assert_ptr_null(res.v[find("pss-restricted-run-as-user")].exception);
    as_policy_result_free(&res);
    /* other namespace: no effect */
    create(pod("other", ", privileged: true"), "alice");
    ck_assert_int_eq(res.v[0].mode, AS_POLICY_ENFORCE);
}
END_TEST

START_TEST(expired_or_non_matching_exception_has_no_effect)
{
    struct as_error err;
    json_t *old = exception("demo", "[pod-security]", "2020-01-01T00:00:00Z", "");
    json_t *sel = exception("demo", "[pod-security]", "2027-01-01T00:00:00+02:00",
                            ", match: {labelSelector: {matchExpressions: "
                            "[{key: app, operator: NotIn, values: [web]}]}}");
    json_t *names =
        exception("demo", "[pod-security]", "2027-01-01T00:00:00Z", ", match: {names: [other]}");

    ck_assert_int_eq(as_policy_config_add_exception(&cfg, old, &err), AS_OK);
    ck_assert_int_eq(as_policy_config_add_exception(&cfg, sel, &err), AS_OK);
    ck_assert_int_eq(as_policy_config_add_exception(&cfg, names, &err), AS_OK);
    json_decref(old);
    json_decref(sel);
    json_decref(names);
    create(pod("demo", ", privileged: true"), "alice");
    ck_assert_uint_eq(res.n, 1);
    ck_assert_int_eq(res.v[0].mode, AS_POLICY_ENFORCE);
}
END_TEST

START_TEST(exception_parse_errors_name_the_field)
{
    struct as_policy_exception ex;
    struct as_error err;
    json_t *bad_time = exception("demo", "[pss-baseline-privileged]", "tomorrow", "");
    json_t *bad_rule = exception("demo", "[nope]", "2027-01-01T00:00:00Z", "");
    json_t *bad_sel =
        exception("demo", "[images]", "2027-01-01T00:00:00Z",
                  ", match: {labelSelector: {matchExpressions: [{key: a, operator: In}]}}");

    ck_assert_int_eq(as_policy_exception_parse(bad_time, &ex, &err), AS_E_CONFIG);
    ck_assert_msg(strncmp(err.message, "spec.expiresAt: ", 16) == 0, "%s", err.message);
    ck_assert_int_eq(as_policy_exception_parse(bad_rule, &ex, &err), AS_E_CONFIG);
    ck_assert_msg(strncmp(err.message, "spec.rules[0]: unknown rule \"nope\"", 34) == 0, "%s",
                  err.message);
    ck_assert_int_eq(as_policy_exception_parse(bad_sel, &ex, &err), AS_E_CONFIG);
    ck_assert_msg(strstr(err.message, "matchExpressions[0].values") != NULL, "%s", err.message);
    json_decref(bad_time);
    json_decref(bad_rule);
    json_decref(bad_sel);
}
END_TEST

START_TEST(policy_parse_errors_leave_the_config_unchanged)
{
    static const char *const CASES[][2] = {
        {"{kind: AppStackPolicy, spec: {podSecurity: {level: strict}}}", "spec.podSecurity.level"},
        {"{kind: AppStackPolicy, spec: {modes: {images: block}}}", "spec.modes.images"},
        {"{kind: AppStackPolicy, spec: {modes: {nope: warn}}}", "spec.modes.nope"},
        {"{kind: AppStackPolicy, spec: {allowedRegistries: [ok, 3]}}", "spec.allowedRegistries[1]"},
        {"{kind: AppStackPolicy, spec: {resources: {maxPerPod: {cpu: lots}}}}",
         "spec.resources.maxPerPod.cpu"},
        {"{kind: AppStackPolicy, spec: {resources: {maxLimitRequestRatio: 0.5}}}",
         "spec.resources.maxLimitRequestRatio"},
        {"{kind: AppStackPolicy, spec: {allowedServiceTypes: [Public]}}",
         "spec.allowedServiceTypes[0]"},
        {"{kind: AppStackPolicy, spec: {operatorServiceAccount: bob}}",
         "spec.operatorServiceAccount"},
        {"{kind: AppStackPolicy, spec: {requireDigest: 'yes'}}", "spec.requireDigest"},
        {"{kind: ConfigMap}", "kind"},
    };
    struct as_error err;

    cfg.pss_level = AS_PSS_BASELINE;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        json_t *pol = yaml(CASES[i][0]);

        ck_assert_int_eq(as_policy_config_apply_policy(&cfg, pol, &err), AS_E_CONFIG);
        ck_assert_msg(strncmp(err.message, CASES[i][1], strlen(CASES[i][1])) == 0, "%s: %s",
                      CASES[i][0], err.message);
        json_decref(pol);
    }
    ck_assert_int_eq(cfg.pss_level, AS_PSS_BASELINE);
    ck_assert_str_eq(cfg.operator_service_account, AS_POLICY_DEFAULT_OPERATOR_SA);
}
END_TEST

START_TEST(patches_fill_only_unset_fields)
{
    json_t *obj = yaml("{apiVersion: v1, kind: Pod, metadata: {name: p, namespace: demo},\n"
                       " spec: {securityContext: {runAsNonRoot: true},\n"
                       "  containers: [{name: a, image: 'x.io/a:1', resources: {limits: {cpu: 1, "
                       "memory: 1Gi}},\n"
                       "   securityContext: {allowPrivilegeEscalation: true, capabilities: "
                       "{drop: [NET_RAW]}}},\n"
                       "   {name: b, image: 'x.io/b:1', resources: {limits: {cpu: 1, memory: "
                       "1Gi}}}]}}");
    char *dump;

    create(obj, "alice");
    dump = as_json_dump_canonical(res.patch);
    ck_assert_str_eq(
        dump,
        "[{\"op\":\"add\",\"path\":\"/spec/securityContext/seccompProfile\",\"value\":{\"type\":"
        "\"RuntimeDefault\"}},"
        "{\"op\":\"add\",\"path\":\"/spec/containers/1/securityContext\",\"value\":{"
        "\"allowPrivilegeEscalation\":false}},"
        "{\"op\":\"add\",\"path\":\"/spec/containers/0/securityContext/capabilities/drop/-\","
        "\"value\":\"ALL\"},"
        "{\"op\":\"add\",\"path\":\"/spec/containers/1/securityContext/capabilities\",\"value\":{"
        "\"drop\":[\"ALL\"]}}]");
    free(dump);
    /* allowPrivilegeEscalation: true is explicit: reported, not overridden */
    ck_assert_int_ge(find("pss-restricted-privilege-escalation"), 0);
}
END_TEST

START_TEST(no_patches_for_pod_updates_or_when_disabled)
{
    struct as_policy_request req = {0};
    json_t *obj = pod("demo", "");
    json_t *old;

    json_object_del(json_object_get(json_object_get(obj, "spec"), "securityContext"),
                    "seccompProfile");
    old = json_deep_copy(obj);
    req.op = AS_OP_UPDATE;
    req.user = "alice";
    req.now = NOW;
    ck_assert_int_eq(as_policy_evaluate_json(&cfg, &req, obj, old, NULL, &res), AS_OK);
    ck_assert_ptr_null(res.patch);
    /* unchanged pod spec on UPDATE: pod rules are not re-run */
    ck_assert_uint_eq(res.n, 0);
    as_policy_result_free(&res);
    cfg.mutate = false;
    req.op = AS_OP_CREATE;
    ck_assert_int_eq(as_policy_evaluate_json(&cfg, &req, obj, NULL, NULL, &res), AS_OK);
    ck_assert_ptr_null(res.patch);
    ck_assert_int_ge(find("pss-restricted-seccomp"), 0);
    json_decref(obj);
    json_decref(old);
}
END_TEST

static void check_image(const char *policy, const char *image, const char *want_rule)
{
    char buf[256];
    json_t *pol = yaml(policy);
    struct as_error err;

    as_policy_config_free(&cfg);
    ck_assert_int_eq(as_policy_config_init_default(&cfg), AS_OK);
    ck_assert_int_eq(as_policy_config_apply_policy(&cfg, pol, &err), AS_OK);
    json_decref(pol);
    as_policy_result_free(&res);
    snprintf(buf, sizeof buf, ", image: '%s'", image);
    /* the container's image key appears twice otherwise: replace via JSON */
    {
        json_t *p = pod("demo", "");
        json_t *c = json_array_get(json_object_get(json_object_get(p, "spec"), "containers"), 0);

        json_object_set_new(c, "image", json_string(image));
        create(p, "alice");
    }
    if (want_rule) {
        ck_assert_msg(res.n == 1 && strcmp(res.v[0].rule->id, want_rule) == 0,
                      "%s under %s: expected %s, got %zu violations", image, policy, want_rule,
                      res.n);
        ck_assert_str_eq(res.v[0].path, "spec.containers[0].image");
    } else {
        ck_assert_msg(res.n == 0, "%s under %s: unexpected %s", image, policy,
                      res.n ? res.v[0].rule->id : "");
    }
}

START_TEST(image_references_are_normalised)
{
    const char *hub = "{kind: AppStackPolicy, spec: {allowedRegistries: [docker.io]}}";
    const char *lib = "{kind: AppStackPolicy, spec: {allowedRegistries: [docker.io/library]}}";
    const char *ghcr = "{kind: AppStackPolicy, spec: {allowedRegistries: [ghcr.io/acme, "
                       "'localhost:5000']}}";

    check_image(hub, "nginx:1.25", NULL);
    check_image(hub, "index.docker.io/bitnami/redis:7", NULL);
    check_image(lib, "nginx:1.25", NULL);
    check_image(lib, "bitnami/redis:7", "img-allowed-registries");
    check_image(lib, "docker.io/nginx:1.25", NULL);
    check_image(lib, "registry-1.docker.io/library/nginx:1.25", NULL);
    check_image(lib, "docker.io/bitnami/redis:7", "img-allowed-registries");
    check_image(ghcr, "ghcr.io/acme/app:1", NULL);
    check_image(ghcr, "ghcr.io/acmeevil/app:1", "img-allowed-registries");
    check_image(ghcr, "ghcr.io/acme", "img-no-latest");
    check_image(ghcr, "localhost:5000/app:2", NULL);
    check_image(ghcr, "localhost:5000/app", "img-no-latest");
    check_image(ghcr, "nginx:1.25", "img-allowed-registries");
    check_image(hub, "nginx:latest", "img-no-latest");
    check_image(hub, "nginx:latest@sha256:0123", NULL);
    check_image("{kind: AppStackPolicy, spec: {requireDigest: true}}", "x.io/a:1",
                "img-require-digest");
    check_image("{kind: AppStackPolicy, spec: {requireDigest: true}}", "x.io/a@sha256:00", NULL);
}
END_TEST

START_TEST(credential_names_are_matched_by_component)
{
    static const struct {
        const char *name;
        bool flagged;
    } CASES[] = {
        {"DB_PASSWORD", true}, {"API_KEY", true},          {"GITHUB_TOKEN", true},
        {"secretKey", true},   {"AWS_CREDENTIALS", true},  {"REDIS_PASS", true},
        {"MONKEY", false},     {"KEYBOARD", false},        {"TLS_KEY_FILE", false},
        {"TOKEN_URL", false},  {"PASSENGER_COUNT", false}, {"SECRET_NAME", false},
    };

    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        json_t *p = pod("demo", "");
        json_t *c = json_array_get(json_object_get(json_object_get(p, "spec"), "containers"), 0);

        json_object_set_new(c, "env",
                            json_pack("[{s:s, s:s}]", "name", CASES[i].name, "value", "v"));
        create(p, "alice");
        ck_assert_msg((find("sec-literal-credential-env") >= 0) == CASES[i].flagged, "%s",
                      CASES[i].name);
        as_policy_result_free(&res);
    }
}
END_TEST

static const struct as_policy_rule APP_RULES[] = {
    {"app-test-rule", AS_FAMILY_APPSTACK, AS_POLICY_ENFORCE, AS_PSS_NONE, false, "test rule",
     "fix it"},
};

static void app_check(struct as_policy_eval *ev, const struct as_jv *object, void *ctx)
{
    const char *kind = as_jv_str(as_jv_get(object, "kind"));

    ++*(int *)ctx;
    if (kind && strcmp(kind, "AppStack") == 0)
        as_policy_report(ev, "app-test-rule", "spec.components", "%d components", 0);
}

START_TEST(extra_validators_report_through_the_engine)
{
    int calls = 0;
    struct as_policy_validator v = {APP_RULES, 1, app_check, &calls};
    json_t *pol = yaml("{kind: AppStackPolicy, spec: {modes: {app-test-rule: warn}}}");
    struct as_error err;

    cfg.validators = &v;
    cfg.n_validators = 1;
    ck_assert_int_eq(as_policy_config_apply_policy(&cfg, pol, &err), AS_OK);
    json_decref(pol);
    create(yaml("{apiVersion: appstack.io/v1alpha1, kind: AppStack, metadata: {name: s, "
                "namespace: demo}, spec: {}}"),
           "alice");
    ck_assert_int_eq(calls, 1);
    ck_assert_uint_eq(res.n, 1);
    ck_assert_str_eq(res.v[0].rule->id, "app-test-rule");
    ck_assert_int_eq(res.v[0].mode, AS_POLICY_WARN);
    ck_assert_str_eq(res.v[0].message, "0 components \xe2\x80\x94 fix it");
}
END_TEST

static uint64_t fake_now;

/* A fake clock that advances 10 ns per reading. */
static uint64_t fake_clock(void)
{
    fake_now += 10;
    return fake_now;
}

/* Sums rule times per family into out. */
static void rule_time_by_family(uint64_t out[AS_FAMILY__COUNT])
{
    size_t n;
    const struct as_policy_rule *rules = as_policy_rules(&n);

    memset(out, 0, sizeof(uint64_t) * AS_FAMILY__COUNT);
    for (size_t i = 0; i < n; i++)
        out[rules[i].family] += res.rule_ns[i];
}

/* The time of rule id in res (0 when it did not run). */
static uint64_t rule_time(const char *id)
{
    size_t n;
    const struct as_policy_rule *rules = as_policy_rules(&n);

    for (size_t i = 0; i < n; i++)
        if (strcmp(rules[i].id, id) == 0)
            return res.rule_ns[i];
    ck_abort_msg("no rule %s", id);
    return 0;
}

START_TEST(injected_clock_times_each_family)
{
    uint64_t by_family[AS_FAMILY__COUNT];

    cfg.clock_ns = fake_clock;
    create(pod("demo", ""), "alice");
    rule_time_by_family(by_family);
    for (int f = 0; f < AS_FAMILY__COUNT; f++) {
        if (f == AS_FAMILY_APPSTACK) {
            ck_assert_uint_eq(res.family_ns[f], 0);
            continue;
        }
        /* a family's time holds its rules' times (and what they share) */
        ck_assert_uint_ge(res.family_ns[f], 10);
        ck_assert_uint_le(by_family[f], res.family_ns[f]);
    }
    as_policy_result_free(&res);
    cfg.clock_ns = NULL;
    create(pod("demo", ""), "alice");
    ck_assert_uint_eq(res.family_ns[AS_FAMILY_POD_SECURITY], 0);
    for (size_t i = 0; i < AS_POLICY_BUILTIN_RULES; i++)
        ck_assert_uint_eq(res.rule_ns[i], 0);
}
END_TEST

START_TEST(injected_clock_times_each_rule_that_runs)
{
    size_t n;
    const struct as_policy_rule *rules = as_policy_rules(&n);

    ck_assert_uint_eq(n, AS_POLICY_BUILTIN_RULES);
    cfg.clock_ns = fake_clock;
    /* a Pod at restricted: every rule for pods runs except baseline seccomp (restricted has
     * its own); exposure rules are for Ingresses and Services */
    create(pod("demo", ""), "alice");
    for (size_t i = 0; i < n; i++) {
        bool for_pods = rules[i].family != AS_FAMILY_EXPOSURE &&
                        strcmp(rules[i].id, "pss-baseline-seccomp") != 0;

        ck_assert_msg(for_pods ? res.rule_ns[i] > 0 : res.rule_ns[i] == 0, "%s: %llu ns",
                      rules[i].id, (unsigned long long)res.rule_ns[i]);
    }
    as_policy_result_free(&res);
    as_policy_result_init(&res);
    cfg.pss_level = AS_PSS_BASELINE;
    create(pod("demo", ""), "alice");
    ck_assert_uint_gt(rule_time("pss-baseline-seccomp"), 0);
    ck_assert_uint_eq(rule_time("pss-restricted-seccomp"), 0);
    ck_assert_uint_eq(rule_time("pss-restricted-capabilities"), 0);
    as_policy_result_free(&res);
    as_policy_result_init(&res);
    create(yaml("{apiVersion: v1, kind: Service, metadata: {name: s, namespace: demo}, "
                "spec: {type: NodePort}}"),
           "alice");
    ck_assert_uint_gt(rule_time("exp-service-type"), 0);
    ck_assert_uint_eq(rule_time("exp-ingress-tls"), 0);
    ck_assert_uint_eq(rule_time("pss-baseline-privileged"), 0);
}
END_TEST

START_TEST(every_row_of_the_rule_table_is_filled_once)
{
    size_t n;
    const struct as_policy_rule *rules = as_policy_rules(&n);

    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(rules[i].id);
        ck_assert_ptr_nonnull(rules[i].description);
        ck_assert_ptr_nonnull(rules[i].remedy);
        ck_assert_ptr_eq(as_policy_rule_find(rules[i].id), &rules[i]);
    }
}
END_TEST

/* Evaluates a /scale UPDATE from `from` to `to` replicas by user with the given parent. */
static void scale(long from, long to, const char *user, const char *parent_yaml, bool unreadable)
{
    char o[128], n[128];
    json_t *old, *neu, *parent = parent_yaml ? yaml(parent_yaml) : NULL;
    struct as_policy_request req = {0};

    snprintf(o, sizeof o,
             "{apiVersion: autoscaling/v1, kind: Scale, metadata: {name: web, "
             "namespace: demo}, spec: {replicas: %ld}}",
             from);
    snprintf(n, sizeof n,
             "{apiVersion: autoscaling/v1, kind: Scale, metadata: {name: web, "
             "namespace: demo}, spec: {replicas: %ld}}",
             to);
    old = yaml(o);
    neu = yaml(n);
    req.op = AS_OP_UPDATE;
    req.user = user;
    req.subresource = "scale";
    req.parent_unreadable = unreadable;
    req.now = NOW;
    as_policy_result_free(&res);
    as_policy_result_init(&res);
    ck_assert_int_eq(as_policy_evaluate_json(&cfg, &req, neu, old, parent, &res), AS_OK);
    json_decref(old);
    json_decref(neu);
    json_decref(parent);
}

#define OWNED_DEPLOYMENT(annotations)                                                              \
    "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: demo, "              \
    "annotations: {" annotations "}, ownerReferences: [{apiVersion: appstack.io/v1alpha1, "        \
    "kind: AppStack, name: s, uid: u1, controller: true}]}, spec: {replicas: 2}}"

START_TEST(scaling_a_guarded_child_is_refused_unless_delegated)
{
    long i;

    scale(2, 5, "alice", OWNED_DEPLOYMENT(""), false);
    i = find("grd-owned-by-appstack");
    ck_assert_int_ge(i, 0);
    ck_assert_str_eq(res.v[i].path, "spec.replicas");
    ck_assert_int_eq(res.v[i].mode, AS_POLICY_ENFORCE);
    /* the operator, an HPA-managed workload, an unowned one, no change: allowed */
    scale(2, 5, AS_POLICY_DEFAULT_OPERATOR_SA, OWNED_DEPLOYMENT(""), false);
    ck_assert_int_lt(find("grd-owned-by-appstack"), 0);
    scale(2, 5, "alice", OWNED_DEPLOYMENT("appstack.io/replicas-managed-by: hpa"), false);
    ck_assert_int_lt(find("grd-owned-by-appstack"), 0);
    scale(2, 5, "alice",
          "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: demo}}", false);
    ck_assert_int_lt(find("grd-owned-by-appstack"), 0);
    scale(2, 2, "alice", OWNED_DEPLOYMENT(""), false);
    ck_assert_int_lt(find("grd-owned-by-appstack"), 0);
    /* the owner could not be read: refused, saying why */
    scale(2, 5, "alice", NULL, true);
    i = find("grd-owned-by-appstack");
    ck_assert_int_ge(i, 0);
    ck_assert_ptr_nonnull(strstr(res.v[i].message, "could not be read"));
    /* no parent (missing object): nothing to guard */
    scale(2, 5, "alice", NULL, false);
    ck_assert_int_lt(find("grd-owned-by-appstack"), 0);
}
END_TEST

START_TEST(family_switches_limit_the_rules)
{
    for (int i = 0; i < AS_FAMILY__COUNT; i++)
        cfg.family_enabled[i] = i == AS_FAMILY_IMAGES;
    {
        json_t *p = pod("demo", ", privileged: true");
        json_t *c = json_array_get(json_object_get(json_object_get(p, "spec"), "containers"), 0);

        json_object_set_new(c, "image", json_string("nginx"));
        create(p, "alice");
    }
    ck_assert_uint_eq(res.n, 1);
    ck_assert_str_eq(res.v[0].rule->id, "img-no-latest");
}
END_TEST

START_TEST(quantities)
{
    double v;

    ck_assert(as_policy_quantity("100m", &v) && v == 0.1);
    ck_assert(as_policy_quantity("2", &v) && v == 2);
    ck_assert(as_policy_quantity("1.5Gi", &v) && v == 1.5 * 1073741824.0);
    ck_assert(as_policy_quantity("512Mi", &v) && v == 536870912.0);
    ck_assert(as_policy_quantity("1k", &v) && v == 1000);
    ck_assert(as_policy_quantity("2e3", &v) && v == 2000);
    ck_assert(as_policy_quantity("1E", &v) && v == 1e18);
    ck_assert(!as_policy_quantity("", &v));
    ck_assert(!as_policy_quantity("lots", &v));
    ck_assert(!as_policy_quantity("1Gb", &v));
    ck_assert(!as_policy_quantity("0x10", &v));
    ck_assert(!as_policy_quantity("inf", &v));
    ck_assert(!as_policy_quantity("2e", &v));
    /* the digits-and-suffix form has a path of its own: the same values as the general one */
    ck_assert(as_policy_quantity("0250m", &v) && v == 250 * 1e-3);
    ck_assert(as_policy_quantity("999999999999999", &v) && v == 999999999999999.0);
    ck_assert(as_policy_quantity("9999999999999999", &v) && v == 9999999999999999.0); /* 16 */
    ck_assert(as_policy_quantity("3Ki", &v) && v == 3 * 1024.0);
    ck_assert(as_policy_quantity("7n", &v) && v == 7 * 1e-9);
    ck_assert(as_policy_quantity("+5", &v) && v == 5);
    ck_assert(as_policy_quantity("-5m", &v) && v == -5 * 1e-3);
    ck_assert(as_policy_quantity("12E", &v) && v == 12 * 1e18);
    ck_assert(!as_policy_quantity("5 m", &v));
    ck_assert(!as_policy_quantity("5mm", &v));
    ck_assert(!as_policy_quantity("5i", &v));
    /* every suffix Kubernetes knows, on both paths, and near misses */
    {
        static const struct {
            const char *suffix;
            double mult;
        } known[] = {{"Ki", 1024.0},
                     {"Mi", 1048576.0},
                     {"Gi", 1073741824.0},
                     {"Ti", 1099511627776.0},
                     {"Pi", 1125899906842624.0},
                     {"Ei", 1152921504606846976.0},
                     {"n", 1e-9},
                     {"u", 1e-6},
                     {"m", 1e-3},
                     {"k", 1e3},
                     {"M", 1e6},
                     {"G", 1e9},
                     {"T", 1e12},
                     {"P", 1e15},
                     {"E", 1e18}};
        static const char *const unknown[] = {"K", "ki", "Kib", "mi", "KI", "i", "Gii", "g"};
        char q[32];

        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
            snprintf(q, sizeof(q), "3%s", known[i].suffix);
            ck_assert_msg(as_policy_quantity(q, &v) && v == 3 * known[i].mult, "%s", q);
            snprintf(q, sizeof(q), "1.5%s", known[i].suffix);
            ck_assert_msg(as_policy_quantity(q, &v) && v == 1.5 * known[i].mult, "%s", q);
        }
        for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
            snprintf(q, sizeof(q), "3%s", unknown[i]);
            ck_assert_msg(!as_policy_quantity(q, &v), "%s", q);
            snprintf(q, sizeof(q), "1.5%s", unknown[i]);
            ck_assert_msg(!as_policy_quantity(q, &v), "%s", q);
        }
    }
    ck_assert(!as_policy_quantity("1e", &v));
    for (int i = 0; i < 1000; i++) { /* every integer and suffix, both paths */
        char a[32], b[40];
        double x, y;
        const char *suffixes[] = {"", "m", "Ki", "Mi", "G", "n"};
        const char *sfx = suffixes[i % 6];
        snprintf(a, sizeof a, "%d%s", i * 7919, sfx);
        snprintf(b, sizeof b, "%d.0%s", i * 7919, sfx); /* not the plain form: strtod */
        ck_assert(as_policy_quantity(a, &x) && as_policy_quantity(b, &y));
        ck_assert_msg(x == y, "%s: %.17g vs %s: %.17g", a, x, b, y);
    }
}
END_TEST

START_TEST(rfc3339_times)
{
    int64_t t;

    ck_assert(as_policy_rfc3339("1970-01-01T00:00:00Z", &t) && t == 0);
    ck_assert(as_policy_rfc3339("2026-09-21T11:06:40Z", &t) && t == 1789988800);
    ck_assert(as_policy_rfc3339("2026-09-21T13:06:40.123+02:00", &t) && t == 1789988800);
    ck_assert(as_policy_rfc3339("2024-02-29T00:00:00z", &t));
    ck_assert(!as_policy_rfc3339("2023-02-29T00:00:00Z", &t));
    ck_assert(!as_policy_rfc3339("2026-13-01T00:00:00Z", &t));
    ck_assert(!as_policy_rfc3339("2026-01-01 00:00:00Z", &t));
    ck_assert(!as_policy_rfc3339("2026-01-01T00:00:00", &t));
    ck_assert(!as_policy_rfc3339("2026-01-01T00:00:00Zjunk", &t));
}
END_TEST

START_TEST(selectors)
{
    json_t *labels = yaml("{app: web, tier: front}");
    json_t *s1 = yaml("{matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, "
                      "values: [front, back]}, {key: canary, operator: DoesNotExist}]}");
    json_t *s2 = yaml("{matchExpressions: [{key: app, operator: Exists}, {key: tier, operator: "
                      "NotIn, values: [front]}]}");

    struct as_jv_arena arena;
    const struct as_jv *lv;

    as_jv_arena_init(&arena);
    lv = as_jv_from_json(&arena, labels);
    ck_assert_ptr_nonnull(lv);
    ck_assert(as_policy_selector_matches(s1, lv));
    ck_assert(!as_policy_selector_matches(s2, lv));
    ck_assert(!as_policy_selector_matches(s1, NULL));
    as_jv_arena_free(&arena);
    json_decref(labels);
    json_decref(s1);
    json_decref(s2);
}
END_TEST

START_TEST(delete_checks_only_guarded)
{
    struct as_policy_request req = {0};
    json_t *obj = pod("demo", ", privileged: true");

    req.op = AS_OP_DELETE;
    req.user = "alice";
    req.now = NOW;
    ck_assert_int_eq(as_policy_evaluate_json(&cfg, &req, NULL, obj, NULL, &res), AS_OK);
    ck_assert_uint_eq(res.n, 0);
    json_decref(obj);
    ck_assert_int_eq(as_policy_evaluate(&cfg, &req, &res), AS_E_INVALID_ARG);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy_engine");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, path_builder_appends_and_truncates_like_snprintf);
    tcase_add_test(tc, rule_table_is_complete_and_unique);
    tcase_add_test(tc, readme_documents_every_rule);
    tcase_add_test(tc, names_round_trip);
    tcase_add_test(tc, compliant_pod_has_no_violation_and_no_patch);
    tcase_add_test(tc, violation_carries_path_message_and_mode);
    tcase_add_test(tc, denial_format_lists_every_violation_of_a_mode);
    tcase_add_test(tc, overrides_by_rule_win_over_family);
    tcase_add_test(tc, level_baseline_skips_restricted_rules);
    tcase_add_test(tc, exempt_namespaces_and_users);
    tcase_add_test(tc, exception_grants_named_rules_until_it_expires);
    tcase_add_test(tc, expired_or_non_matching_exception_has_no_effect);
    tcase_add_test(tc, exception_parse_errors_name_the_field);
    tcase_add_test(tc, policy_parse_errors_leave_the_config_unchanged);
    tcase_add_test(tc, patches_fill_only_unset_fields);
    tcase_add_test(tc, no_patches_for_pod_updates_or_when_disabled);
    tcase_add_test(tc, image_references_are_normalised);
    tcase_add_test(tc, credential_names_are_matched_by_component);
    tcase_add_test(tc, extra_validators_report_through_the_engine);
    tcase_add_test(tc, family_switches_limit_the_rules);
    tcase_add_test(tc, injected_clock_times_each_family);
    tcase_add_test(tc, injected_clock_times_each_rule_that_runs);
    tcase_add_test(tc, every_row_of_the_rule_table_is_filled_once);
    tcase_add_test(tc, scaling_a_guarded_child_is_refused_unless_delegated);
    tcase_add_test(tc, quantities);
    tcase_add_test(tc, rfc3339_times);
    tcase_add_test(tc, selectors);
    tcase_add_test(tc, delete_checks_only_guarded);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
