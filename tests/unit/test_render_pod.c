/* test_render_pod.c - unit tests for lib/render/pod.c through as_render: the hardened pod
 * template (restricted and baseline), default resources, /tmp, and the config-hash
 * annotation that changes exactly when a used secret changes. */
#include "check_run.h"
#include "render_test_util.h"

static const char *const WEB =
    RT_HEADER "spec:\n"
              "  components:\n"
              "  - {name: api, type: web, image: 'ghcr.io/a/api:1', port: 8080}\n";

static json_t *pod_spec(const json_t *objs, const char *kind, const char *name)
{
    json_t *o = rt_find(objs, kind, name);
    ck_assert_ptr_nonnull(o);
    return as_json_path(o, "spec.template.spec");
}

START_TEST(restricted_pod_is_hardened_exactly)
{
    json_t *objs = rt_render(WEB, 0), *ps = pod_spec(objs, "Deployment", "shop-api");
    json_t *c = json_array_get(json_object_get(ps, "containers"), 0);

    ck_assert(json_is_false(json_object_get(ps, "automountServiceAccountToken")));
    ck_assert(json_is_false(json_object_get(ps, "enableServiceLinks")));
    ck_assert_str_eq(rt_str(ps, "serviceAccountName"), "shop-api");
    ck_assert(json_is_true(as_json_path(ps, "securityContext.runAsNonRoot")));
    ck_assert_int_eq(json_integer_value(as_json_path(ps, "securityContext.runAsUser")), 10001);
    ck_assert_int_eq(json_integer_value(as_json_path(ps, "securityContext.fsGroup")), 10001);
    ck_assert_str_eq(rt_str(ps, "securityContext.seccompProfile.type"), "RuntimeDefault");
    ck_assert(json_is_false(as_json_path(c, "securityContext.allowPrivilegeEscalation")));
    ck_assert(json_is_true(as_json_path(c, "securityContext.readOnlyRootFilesystem")));
    ck_assert(json_is_true(as_json_path(c, "securityContext.runAsNonRoot")));
    ck_assert_str_eq(rt_str(c, "securityContext.capabilities.drop[0]"), "ALL");
    ck_assert_ptr_null(as_json_path(c, "securityContext.capabilities.add"));
    ck_assert_str_eq(rt_str(c, "resources.requests.cpu"), "100m");
    ck_assert_str_eq(rt_str(c, "resources.requests.memory"), "128Mi");
    ck_assert_str_eq(rt_str(c, "resources.limits.cpu"), "1");
    ck_assert_str_eq(rt_str(c, "resources.limits.memory"), "512Mi");
    ck_assert_str_eq(rt_str(c, "volumeMounts[0].mountPath"), "/tmp");
    ck_assert_str_eq(rt_str(ps, "volumes[0].name"), "tmp");
    ck_assert_str_eq(rt_str(ps, "volumes[0].emptyDir.sizeLimit"), "256Mi");
    /* default probes: TCP on the port */
    ck_assert_int_eq(json_integer_value(as_json_path(c, "readinessProbe.tcpSocket.port")), 8080);
    json_decref(objs);
}
END_TEST

START_TEST(baseline_relaxes_only_what_the_spec_says)
{
    json_t *objs = rt_render(RT_HEADER "spec:\n  profile: baseline\n  components:\n"
                                       "  - {name: api, type: web, image: 'a/b:1', port: 80}\n",
                             0);
    json_t *ps = pod_spec(objs, "Deployment", "shop-api");
    json_t *sc = as_json_path(ps, "containers[0].securityContext"), *add;

    ck_assert_ptr_null(as_json_path(ps, "securityContext.runAsNonRoot"));
    ck_assert_ptr_null(as_json_path(ps, "securityContext.runAsUser"));
    ck_assert_str_eq(rt_str(ps, "securityContext.seccompProfile.type"), "RuntimeDefault");
    ck_assert(json_is_false(json_object_get(sc, "allowPrivilegeEscalation")));
    ck_assert(json_is_false(json_object_get(sc, "readOnlyRootFilesystem")));
    ck_assert_str_eq(rt_str(sc, "capabilities.drop[0]"), "ALL");
    add = as_json_path(sc, "capabilities.add");
    ck_assert_uint_eq(json_array_size(add), 6);
    ck_assert_str_eq(json_string_value(json_array_get(add, 5)), "NET_BIND_SERVICE");
    json_decref(objs);
}
END_TEST

START_TEST(explicit_uid_gid_and_resources_win)
{
    json_t *objs =
        rt_render(RT_HEADER "spec:\n  components:\n"
                            "  - name: api\n    type: worker\n    image: 'a/b:1'\n"
                            "    runAsUser: 1001\n    runAsGroup: 2002\n"
                            "    resources: {limits: {memory: 1Gi}, requests: {cpu: 2}}\n",
                  0);
    json_t *ps = pod_spec(objs, "Deployment", "shop-api");

    ck_assert_int_eq(json_integer_value(as_json_path(ps, "securityContext.runAsUser")), 1001);
    ck_assert_int_eq(json_integer_value(as_json_path(ps, "securityContext.runAsGroup")), 2002);
    ck_assert_int_eq(json_integer_value(as_json_path(ps, "securityContext.fsGroup")), 2002);
    ck_assert_str_eq(rt_str(ps, "containers[0].resources.limits.memory"), "1Gi");
    ck_assert_str_eq(rt_str(ps, "containers[0].resources.requests.cpu"), "2");
    /* worker defaults for the rest */
    ck_assert_str_eq(rt_str(ps, "containers[0].resources.requests.memory"), "256Mi");
    ck_assert_ptr_null(as_json_path(ps, "containers[0].readinessProbe"));
    json_decref(objs);
}
END_TEST

/* The config hash of shop-api rendered with the given secret value and existing-secret hash. */
static char *hash_with(const char *value, const char *ext_hash)
{
    const char *yaml = RT_HEADER
        "spec:\n  components:\n  - name: api\n    type: worker\n    image: 'a/b:1'\n"
        "    env:\n    - {name: A, secretKeyRef: {name: app, key: k}}\n"
        "    - {name: B, secretKeyRef: {name: ext, key: k}}\n"
        "  secrets:\n    generate: [{name: app, keys: [k]}]\n    fromExisting: [{name: ext}]\n";
    json_t *stack = rt_yaml(yaml), *secrets = rt_secret_facts(stack, value), *out = NULL;
    json_t *hashes = json_pack("{s:s}", "ext", ext_hash);
    struct as_render_facts f = {.secrets = secrets, .ref_hashes = hashes};
    struct as_field_errors e;
    char *h;

    as_field_errors_init(&e);
    ck_assert_int_eq(as_render(stack, &f, &out, &e), AS_OK);
    {
        /* annotation keys contain dots: look the last step up with jansson */
        json_t *ann = as_json_path(rt_find(out, "Deployment", "shop-api"),
                                   "spec.template.metadata.annotations");
        h = strdup(json_string_value(json_object_get(ann, "appstack.io/config-hash")));
    }
    as_field_errors_free(&e);
    json_decref(stack);
    json_decref(secrets);
    json_decref(hashes);
    json_decref(out);
    return h;
}

START_TEST(config_hash_follows_the_secrets_the_pod_uses)
{
    char *a = hash_with("one", "h1"), *b = hash_with("one", "h1"), *c = hash_with("two", "h1");
    char *d = hash_with("one", "h2");

    ck_assert_uint_eq(strlen(a), 64);
    ck_assert_str_eq(a, b);
    ck_assert_str_ne(a, c);
    ck_assert_str_ne(a, d);
    free(a);
    free(b);
    free(c);
    free(d);
}
END_TEST

START_TEST(writable_paths_become_empty_dirs)
{
    json_t *objs = rt_render(RT_HEADER "spec:\n  components:\n"
                                       "  - name: api\n    type: web\n    image: 'a/b:1'\n"
                                       "    port: 80\n    writablePaths:\n"
                                       "    - {path: /app/cache, sizeLimit: 1Gi}\n",
                             0);
    json_t *ps = pod_spec(objs, "Deployment", "shop-api");

    ck_assert_str_eq(rt_str(ps, "containers[0].volumeMounts[0].mountPath"), "/app/cache");
    ck_assert_str_eq(rt_str(ps, "containers[0].volumeMounts[0].name"), "scratch-0");
    ck_assert_str_eq(rt_str(ps, "volumes[0].emptyDir.sizeLimit"), "1Gi");
    ck_assert_str_eq(rt_str(ps, "containers[0].volumeMounts[1].mountPath"), "/tmp");
    json_decref(objs);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("render_pod");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, restricted_pod_is_hardened_exactly);
    tcase_add_test(tc, baseline_relaxes_only_what_the_spec_says);
    tcase_add_test(tc, explicit_uid_gid_and_resources_win);
    tcase_add_test(tc, config_hash_follows_the_secrets_the_pod_uses);
    tcase_add_test(tc, writable_paths_become_empty_dirs);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
