/*
 * test_policy_fixtures.c - runs the policy engine over the fixture folders in
 * tests/golden/policy (see gen_fixtures.py there for the layout and header
 * lines) and compares the violations with the `# expect:` lines exactly.
 *
 * good/    no violation
 * bad/     exactly the expected (rule, path) pairs
 * mutate/  exactly the expected pairs; after applying the engine's JSON
 *          patch, no violation at all
 * pss/<level>/{pass,fail}/  pod-security rules only, at that level
 * Every fixture with a patch is also re-evaluated after patching: the patch
 * may only remove violations, never add any.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_run.h"
#include "base/json.h"
#include "base/yaml.h"
#include "policy/policy.h"

#define MAX_EXPECT 16
#define NOW 1790000000 /* 2026-09-21: a fixed time, fixtures need no clock */

struct fixture {
    char expect[MAX_EXPECT][384];
    size_t n_expect;
    char policy[512];
    char op[16];
    char user[128];
    json_t *docs;
};

static const char *root(void)
{
    const char *r = getenv("APPSTACK_ROOT");

    return r ? r : ".";
}

/* Reads the header lines and the documents of a fixture file. */
static void load_fixture(const char *path, struct fixture *fx)
{
    FILE *f = fopen(path, "rb");
    static char data[1 << 20];
    size_t n;
    struct as_error err;
    char *line, *save = NULL, *copy;

    memset(fx, 0, sizeof *fx);
    ck_assert_msg(f != NULL, "cannot open %s", path);
    n = fread(data, 1, sizeof data - 1, f);
    fclose(f);
    data[n] = '\0';
    ck_assert_msg(as_yaml_to_json(data, n, &fx->docs, &err) == AS_OK, "%s: %s", path, err.message);
    copy = strdup(data);
    ck_assert_ptr_nonnull(copy);
    for (line = strtok_r(copy, "\n", &save); line && line[0] == '#';
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "# expect: ", 10) == 0 && fx->n_expect < MAX_EXPECT)
            snprintf(fx->expect[fx->n_expect++], sizeof fx->expect[0], "%s", line + 10);
        else if (strncmp(line, "# policy: ", 10) == 0)
            snprintf(fx->policy, sizeof fx->policy, "%s", line + 10);
        else if (strncmp(line, "# op: ", 6) == 0)
            snprintf(fx->op, sizeof fx->op, "%s", line + 6);
        else if (strncmp(line, "# user: ", 8) == 0)
            snprintf(fx->user, sizeof fx->user, "%s", line + 8);
    }
    free(copy);
}

/* Builds the configuration a fixture asks for. */
static void fixture_config(const struct fixture *fx, const char *pss_level,
                           struct as_policy_config *cfg, const char *path)
{
    struct as_error err;

    ck_assert_int_eq(as_policy_config_init_default(cfg), AS_OK);
    if (fx->policy[0]) {
        json_t *spec = NULL, *pol;

        ck_assert_msg(as_yaml_to_json_one(fx->policy, strlen(fx->policy), &spec, &err) == AS_OK,
                      "%s: policy header: %s", path, err.message);
        pol = json_pack("{s:s, s:s, s:o}", "apiVersion", "appstack.io/v1alpha1", "kind",
                        "AppStackPolicy", "spec", spec);
        ck_assert_msg(as_policy_config_apply_policy(cfg, pol, &err) == AS_OK, "%s: %s", path,
                      err.message);
        json_decref(pol);
    }
    if (pss_level) {
        for (int i = 0; i < AS_FAMILY__COUNT; i++)
            cfg->family_enabled[i] = i == AS_FAMILY_POD_SECURITY;
        ck_assert(as_pss_level_parse(pss_level, &cfg->pss_level));
    }
}

/* Evaluates the fixture's request (obj overrides the new object when not NULL). */
static void evaluate(const struct as_policy_config *cfg, const struct fixture *fx,
                     const json_t *obj, struct as_policy_result *res)
{
    struct as_policy_request req;
    const json_t *old = NULL, *neu = NULL;
    size_t n = json_array_size(fx->docs);

    memset(&req, 0, sizeof req);
    req.op = strcmp(fx->op, "UPDATE") == 0   ? AS_OP_UPDATE
             : strcmp(fx->op, "DELETE") == 0 ? AS_OP_DELETE
                                             : AS_OP_CREATE;
    req.user = fx->user[0] ? fx->user : "tester";
    req.now = NOW;
    if (req.op == AS_OP_UPDATE) {
        ck_assert_uint_eq(n, 2);
        old = json_array_get(fx->docs, 0);
        neu = json_array_get(fx->docs, 1);
    } else if (req.op == AS_OP_DELETE) {
        old = json_array_get(fx->docs, 0);
    } else {
        ck_assert_uint_eq(n, 1);
        neu = json_array_get(fx->docs, 0);
    }
    if (obj)
        neu = obj;
    as_policy_result_init(res);
    ck_assert_int_eq(as_policy_evaluate_json(cfg, &req, neu, old, NULL, res), AS_OK);
}

/* Appends a description of every mismatch between expected and actual to out. */
static int compare(const char *path, const struct fixture *fx, const struct as_policy_result *res,
                   char *out, size_t cap)
{
    int bad = 0;
    bool used[64] = {false};

    for (size_t e = 0; e < fx->n_expect; e++) {
        bool found = false;

        for (size_t i = 0; i < res->n && i < 64 && !found; i++) {
            char got[384];

            snprintf(got, sizeof got, "%s %s", res->v[i].rule->id, res->v[i].path);
            if (!used[i] && strcmp(got, fx->expect[e]) == 0)
                found = used[i] = true;
        }
        if (!found) {
            bad++;
            snprintf(out + strlen(out), cap - strlen(out), "%s: missing %s\n", path, fx->expect[e]);
        }
    }
    for (size_t i = 0; i < res->n; i++) {
        if (i < 64 && used[i])
            continue;
        bad++;
        snprintf(out + strlen(out), cap - strlen(out), "%s: unexpected %s %s: %s\n", path,
                 res->v[i].rule->id, res->v[i].path, res->v[i].message);
    }
    return bad;
}

/* Applies an RFC 6902 array of "add" operations to doc (test-only, add only). */
static void apply_patch(json_t *doc, const json_t *patch)
{
    const json_t *op;
    size_t i;

    json_array_foreach(patch, i, op)
    {
        const char *ptr = json_string_value(json_object_get(op, "path"));
        json_t *val = json_object_get(op, "value"), *cur = doc;
        char buf[512], *tok, *save = NULL, *next;

        ck_assert_str_eq(json_string_value(json_object_get(op, "op")), "add");
        ck_assert(ptr && ptr[0] == '/');
        snprintf(buf, sizeof buf, "%s", ptr + 1);
        tok = strtok_r(buf, "/", &save);
        while (tok) {
            next = strtok_r(NULL, "/", &save);
            if (!next) {
                if (json_is_array(cur)) {
                    ck_assert_str_eq(tok, "-");
                    json_array_append(cur, val);
                } else {
                    ck_assert_msg(json_object_get(cur, tok) == NULL, "patch overrides %s", ptr);
                    json_object_set(cur, tok, val);
                }
            } else {
                cur = json_is_array(cur) ? json_array_get(cur, strtoul(tok, NULL, 10))
                                         : json_object_get(cur, tok);
                ck_assert_msg(cur != NULL, "patch parent missing for %s", ptr);
            }
            tok = next;
        }
    }
}

/* Runs every fixture of dir; want_clean_after_patch for mutate/. Returns mismatches. */
static int run_dir(const char *rel, const char *pss_level, bool must_patch_clean, int *count)
{
    char dirpath[512], report[16384] = "";
    struct dirent **names;
    int n, bad = 0;

    snprintf(dirpath, sizeof dirpath, "%s/%s", root(), rel);
    n = scandir(dirpath, &names, NULL, alphasort);
    ck_assert_msg(n >= 0, "cannot read %s", dirpath);
    for (int k = 0; k < n; k++) {
        struct fixture fx;
        struct as_policy_config cfg;
        struct as_policy_result res;
        char path[1024];
        size_t len = strlen(names[k]->d_name);

        if (len < 6 || strcmp(names[k]->d_name + len - 5, ".yaml") != 0) {
            free(names[k]);
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dirpath, names[k]->d_name);
        free(names[k]);
        load_fixture(path, &fx);
        fixture_config(&fx, pss_level, &cfg, path);
        evaluate(&cfg, &fx, NULL, &res);
        bad += compare(path, &fx, &res, report, sizeof report);
        if (must_patch_clean && !res.patch) {
            bad++;
            snprintf(report + strlen(report), sizeof report - strlen(report),
                     "%s: expected a patch\n", path);
        }
        if (res.patch && json_array_get(fx.docs, json_array_size(fx.docs) - 1)) {
            json_t *copy = json_deep_copy(json_array_get(fx.docs, json_array_size(fx.docs) - 1));
            struct as_policy_result after;
            struct fixture none = fx;

            apply_patch(copy, res.patch);
            evaluate(&cfg, &fx, copy, &after);
            if (must_patch_clean) {
                none.n_expect = 0;
                bad += compare(path, &none, &after, report, sizeof report);
            } else if (after.n > res.n) {
                bad++;
                snprintf(report + strlen(report), sizeof report - strlen(report),
                         "%s: the patch added violations\n", path);
            }
            as_policy_result_free(&after);
            json_decref(copy);
        }
        as_policy_result_free(&res);
        as_policy_config_free(&cfg);
        json_decref(fx.docs);
        (*count)++;
    }
    free(names);
    if (bad)
        fprintf(stderr, "%s", report);
    return bad;
}

START_TEST(good_fixtures_pass)
{
    int count = 0;

    ck_assert_int_eq(run_dir("tests/golden/policy/good", NULL, false, &count), 0);
    ck_assert_int_ge(count, 10);
}
END_TEST

START_TEST(bad_fixtures_report_exactly_the_expected_violations)
{
    int count = 0;

    ck_assert_int_eq(run_dir("tests/golden/policy/bad", NULL, false, &count), 0);
    ck_assert_int_ge(count, 20);
}
END_TEST

START_TEST(mutate_fixtures_pass_after_the_patch)
{
    int count = 0;

    ck_assert_int_eq(run_dir("tests/golden/policy/mutate", NULL, true, &count), 0);
    ck_assert_int_ge(count, 2);
}
END_TEST

START_TEST(pss_baseline_conformance)
{
    int count = 0;

    ck_assert_int_eq(run_dir("tests/golden/policy/pss/baseline/pass", "baseline", false, &count),
                     0);
    ck_assert_int_eq(run_dir("tests/golden/policy/pss/baseline/fail", "baseline", false, &count),
                     0);
    ck_assert_int_ge(count, 24);
}
END_TEST

START_TEST(pss_restricted_conformance)
{
    int count = 0;

    ck_assert_int_eq(
        run_dir("tests/golden/policy/pss/restricted/pass", "restricted", false, &count), 0);
    ck_assert_int_eq(
        run_dir("tests/golden/policy/pss/restricted/fail", "restricted", false, &count), 0);
    ck_assert_int_ge(count, 36);
}
END_TEST

/* True when some fixture under rel (recursively) expects rule id. */
static bool expected_somewhere(const char *rel, const char *id)
{
    char dirpath[512], needle[160];
    struct dirent **names;
    bool found = false;
    int n;

    snprintf(dirpath, sizeof dirpath, "%s/%s", root(), rel);
    snprintf(needle, sizeof needle, "# expect: %s ", id);
    n = scandir(dirpath, &names, NULL, alphasort);
    for (int k = 0; k < n; k++) {
        char sub[768];
        const char *name = names[k]->d_name;
        size_t len = strlen(name);

        snprintf(sub, sizeof sub, "%s/%s", rel, name);
        if (!found && name[0] != '.' && len > 5 && strcmp(name + len - 5, ".yaml") == 0) {
            struct fixture fx;
            char path[1024];

            snprintf(path, sizeof path, "%s/%s", root(), sub);
            load_fixture(path, &fx);
            for (size_t e = 0; e < fx.n_expect && !found; e++) {
                char line[400];

                snprintf(line, sizeof line, "# expect: %s", fx.expect[e]);
                found = strncmp(line, needle, strlen(needle)) == 0;
            }
            json_decref(fx.docs);
        } else if (!found && name[0] != '.' && !strchr(name, '.')) {
            found = expected_somewhere(sub, id);
        }
        free(names[k]);
    }
    if (n >= 0)
        free(names);
    return found;
}

START_TEST(every_rule_has_a_failing_fixture)
{
    size_t n;
    const struct as_policy_rule *rules = as_policy_rules(&n);

    for (size_t i = 0; i < n; i++)
        ck_assert_msg(expected_somewhere("tests/golden/policy", rules[i].id),
                      "no fixture expects rule %s", rules[i].id);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy_fixtures");
    TCase *tc = tcase_create("fixtures");

    tcase_add_test(tc, good_fixtures_pass);
    tcase_add_test(tc, bad_fixtures_report_exactly_the_expected_violations);
    tcase_add_test(tc, mutate_fixtures_pass_after_the_patch);
    tcase_add_test(tc, pss_baseline_conformance);
    tcase_add_test(tc, pss_restricted_conformance);
    tcase_add_test(tc, every_rule_has_a_failing_fixture);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
