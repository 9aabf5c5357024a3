/* test_render_validate.c - unit tests for validate.c and schema.c through as_render: every
 * error at once, exact field paths, wrong types anywhere, the rules CEL cannot express, and
 * no output on failure. */
#include "check_run.h"
#include "render_test_util.h"

/* True when errs has a line starting with prefix and containing fragment. */
static bool has(const char *errs, const char *prefix, const char *fragment)
{
    const char *line = errs;

    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, prefix, strlen(prefix)) == 0) {
            char *copy = strndup(line, n);
            bool ok = strstr(copy, fragment) != NULL;
            free(copy);
            if (ok)
                return true;
        }
        line = end ? end + 1 : NULL;
    }
    return false;
}

START_TEST(document_shape_errors)
{
    char *e = rt_render_errors("[1, 2]", AS_E_CONFIG);

    ck_assert(has(e, "(document): ", "must be an object"));
    free(e);
    e = rt_render_errors("apiVersion: v1\nkind: Pod\nmetadata: {}\nextra: 1\n", AS_E_CONFIG);
    ck_assert(has(e, "apiVersion: ", "expected appstack.io/v1alpha1 AppStack, got v1 Pod"));
    ck_assert(has(e, "extra: ", "unknown field"));
    ck_assert(has(e, "metadata.name: ", "required field is missing"));
    ck_assert(has(e, "spec: ", "required field is missing"));
    free(e);
}
END_TEST

START_TEST(every_error_is_reported_at_its_path)
{
    char *e = rt_render_errors(
        RT_HEADER "spec:\n  profile: strict\n  components:\n"
                  "  - {name: Bad_Name, type: web, image: 'a/b:1', port: 'x'}\n"
                  "  - {name: w, type: worker, image: 'a/b:1', replicas: 500, replica: 1}\n",
        AS_E_CONFIG);

    ck_assert(
        has(e, "spec.profile: ", "\"strict\" is not allowed — use one of restricted, baseline"));
    ck_assert(has(e, "spec.components[0].name: ", "\"Bad_Name\" is not valid — use lower-case"));
    ck_assert(has(e, "spec.components[0].port: ", "must be an integer, got a string"));
    ck_assert(has(e, "spec.components[1].replicas: ", "500 is too large — use at most 100"));
    ck_assert(has(e, "spec.components[1].replica: ", "unknown field"));
    free(e);
}
END_TEST

START_TEST(cel_rules_are_checked_semantically)
{
    char *e = rt_render_errors(
        RT_HEADER "spec:\n  components:\n"
                  "  - {name: api, type: web, image: 'a/b:latest', port: 80, replicas: 2, "
                  "autoscaling: {minReplicas: 5, maxReplicas: 3}, connections: [{name: api}, "
                  "{name: postgres}], env: [{name: K, secretKeyRef: {name: nope, key: k}}]}\n"
                  "  - {name: job, type: cron, image: 'a/b:1'}\n"
                  "  ingress: {host: a.example.com, tls: {selfSigned: true, secretName: x}, "
                  "routes: [{path: /, component: job}]}\n",
        AS_E_CONFIG);

    ck_assert(has(e, "spec.components[0].image: ", "the latest tag is not reproducible"));
    ck_assert(has(e, "spec.components[0].replicas: ", "replicas and autoscaling are exclusive"));
    ck_assert(has(e, "spec.components[0].autoscaling.minReplicas: ", "minReplicas is greater"));
    ck_assert(has(e, "spec.components[0].connections[0].name: ", "cannot connect to itself"));
    ck_assert(
        has(e, "spec.components[0].connections[1].name: ", "names neither a declared service"));
    ck_assert(
        has(e, "spec.components[0].env[0].secretKeyRef.name: ", "not declared in spec.secrets"));
    ck_assert(has(e, "spec.components[1].schedule: ", "schedule is required for type cron"));
    ck_assert(has(e, "spec.ingress.tls: ", "set exactly one of issuerRef, selfSigned"));
    ck_assert(has(e, "spec.ingress.routes[0].component: ", "not of type web"));
    free(e);
}
END_TEST

START_TEST(rules_beyond_cel)
{
    char *e = rt_render_errors(
        RT_HEADER "spec:\n  components:\n"
                  "  - name: api\n    type: stateful\n    image: 'a/b:1'\n    port: 80\n"
                  "    connections: [{name: postgres}]\n"
                  "    env: [{name: DATABASE_URL, value: x}]\n"
                  "    volumes: [{name: d, mountPath: /data, size: 1Gi}, {name: t, mountPath: "
                  "/tmp, size: 1Gi}]\n"
                  "    writablePaths: [{path: /data}]\n"
                  "  - {name: default-deny, type: worker, image: 'a/b:1'}\n"
                  "  services: {postgres: {databases: [{name: app}]}}\n"
                  "  secrets: {generate: [{name: tls, keys: [k]}]}\n",
        AS_E_CONFIG);

    ck_assert(has(
        e, "spec.components[0].env[0].name: ", "DATABASE_URL is also injected by connections[0]"));
    ck_assert(has(e, "spec.components[0].volumes[1].mountPath: ", "/tmp is the stack's scratch"));
    ck_assert(has(e, "spec.components[0].writablePaths[0]: ", "/data is mounted twice"));
    ck_assert(
        has(e, "spec.components[1].name: ", "default-deny is used by the stack's own objects"));
    ck_assert(
        has(e, "spec.secrets.generate[0].name: ", "the Secret <stack>-tls is the stack's own"));
    free(e);
}
END_TEST

START_TEST(wrong_types_anywhere_never_crash)
{
    static const char *const docs[] = {
        "true",
        "1",
        "\"x\"",
        RT_HEADER "spec: 1\n",
        RT_HEADER "spec: {components: {}}\n",
        RT_HEADER "spec: {components: [1, null, [], {name: []}]}\n",
        RT_HEADER
        "spec: {components: [{name: a, type: web, image: 'a/b:1', port: 80, "
        "env: {}, probes: [], resources: {limits: []}}], ingress: [], services: {postgres: 1}}\n",
        "apiVersion: appstack.io/v1alpha1\nkind: AppStack\nmetadata: {name: [x], namespace: 3, "
        "uid: {}}\nspec: {}\n",
    };

    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_t *stack = rt_yaml(docs[i]), *out = NULL;
        struct as_field_errors e;
        as_field_errors_init(&e);
        ck_assert_int_eq(as_render(stack, NULL, &out, &e), AS_E_CONFIG);
        ck_assert_ptr_null(out);
        ck_assert_uint_gt(e.count, 0);
        for (size_t j = 0; j < e.count; j++)
            ck_assert_ptr_nonnull(strstr(e.items[j], " — "));
        as_field_errors_free(&e);
        json_decref(stack);
    }
}
END_TEST

START_TEST(error_list_is_bounded_and_deduplicated)
{
    struct as_field_errors e;

    as_field_errors_init(&e);
    for (int i = 0; i < AS_FIELD_ERRORS_MAX + 50; i++)
        as_field_errors_add(&e, "spec.x[%d]: bad — fix", i);
    as_field_errors_add(&e, "spec.x[0]: bad — fix");
    ck_assert_uint_eq(e.count, AS_FIELD_ERRORS_MAX);
    ck_assert_uint_eq(e.dropped, 51);
    as_field_errors_free(&e);
    as_field_errors_init(&e);
    as_field_errors_add(&e, "a — b");
    as_field_errors_add(&e, "a — b");
    ck_assert_uint_eq(e.count, 1);
    as_field_errors_free(&e);
}
END_TEST

START_TEST(input_is_never_modified)
{
    json_t *stack =
        rt_yaml(RT_HEADER "spec:\n  components: [{name: a, type: worker, image: 'a/b:1'}]\n");
    json_t *before = json_deep_copy(stack), *out = NULL, *secrets = rt_secret_facts(stack, "v");
    struct as_render_facts f = {.secrets = secrets};
    struct as_field_errors e;

    as_field_errors_init(&e);
    ck_assert_int_eq(as_render(stack, &f, &out, &e), AS_OK);
    ck_assert(json_equal(stack, before)); /* defaults went into a copy */
    as_field_errors_free(&e);
    json_decref(stack);
    json_decref(before);
    json_decref(out);
    json_decref(secrets);
}
END_TEST

START_TEST(validate_and_defaults_entry_points)
{
    json_t *good =
        rt_yaml(RT_HEADER "spec:\n  components: [{name: a, type: worker, image: 'a/b:1'}]\n");
    json_t *bad = rt_yaml(
        RT_HEADER "spec:\n  components: [{name: a, type: worker, image: 'a/b:1', port: 1}]\n");
    json_t *d = NULL;
    struct as_field_errors e;

    as_field_errors_init(&e);
    ck_assert_int_eq(as_render_validate(good, &e), AS_OK);
    ck_assert_uint_eq(e.count, 0);
    ck_assert_int_eq(as_render_validate(bad, &e), AS_E_CONFIG);
    ck_assert_uint_eq(e.count, 1);
    ck_assert_int_eq(as_render_defaults(good, &d), AS_OK);
    ck_assert_str_eq(rt_str(d, "spec.profile"), "restricted");
    ck_assert_str_eq(rt_str(d, "spec.deletionPolicy"), "Retain");
    ck_assert_str_eq(rt_str(d, "spec.networkPolicy.ingressControllerNamespace"), "ingress-nginx");
    ck_assert(json_is_true(as_json_path(d, "spec.monitoring.alerts.enabled")));
    ck_assert_ptr_null(as_json_path(good, "spec.profile")); /* the input is untouched */
    ck_assert_int_eq(as_render_defaults(json_array_get(good, 0), &d), AS_E_INVALID_ARG);
    json_decref(d);
    as_field_errors_free(&e);
    json_decref(good);
    json_decref(bad);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("render_validate");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, document_shape_errors);
    tcase_add_test(tc, every_error_is_reported_at_its_path);
    tcase_add_test(tc, cel_rules_are_checked_semantically);
    tcase_add_test(tc, rules_beyond_cel);
    tcase_add_test(tc, wrong_types_anywhere_never_crash);
    tcase_add_test(tc, error_list_is_bounded_and_deduplicated);
    tcase_add_test(tc, input_is_never_modified);
    tcase_add_test(tc, validate_and_defaults_entry_points);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
