/*
 * test_kube_path.c - unit tests for the resource table and request path and
 * query building (scopes, subresources, escaping, rejected segments).
 */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "kube/path.h"
#include "kube/resource.h"

/* Builds a path and compares it with want. */
static void path_is(const char *apiv, const char *kind, const char *ns, const char *name,
                    const char *sub, const char *want)
{
    const struct as_kube_resource *r = as_kube_resource_by_kind(apiv, kind);
    struct as_buf b;
    struct as_error err = {0};

    ck_assert_ptr_nonnull(r);
    as_buf_init(&b, 4096);
    ck_assert_int_eq(as_kube_path(r, ns, name, sub, &b, &err), AS_OK);
    ck_assert_str_eq(b.data, want);
    as_buf_free(&b);
}

START_TEST(paths_by_scope)
{
    path_is("v1", "ConfigMap", "ns1", "web", NULL, "/api/v1/namespaces/ns1/configmaps/web");
    path_is("v1", "ConfigMap", NULL, NULL, NULL, "/api/v1/configmaps");
    path_is("v1", "ConfigMap", "ns1", NULL, NULL, "/api/v1/namespaces/ns1/configmaps");
    path_is("apps/v1", "Deployment", "a", "d", "status",
            "/apis/apps/v1/namespaces/a/deployments/d/status");
    path_is("v1", "Namespace", "ignored", "prod", NULL, "/api/v1/namespaces/prod");
    path_is("appstack.io/v1alpha1", "AppStackPolicy", "ignored", "p", NULL,
            "/apis/appstack.io/v1alpha1/appstackpolicies/p");
    path_is("appstack.io/v1alpha1", "AppStack", "t", "shop", "status",
            "/apis/appstack.io/v1alpha1/namespaces/t/appstacks/shop/status");
    path_is(NULL, "ClusterIssuer", "x", "le", NULL, "/apis/cert-manager.io/v1/clusterissuers/le");
    path_is(NULL, "PolicyReport", "x", NULL, NULL,
            "/apis/wgpolicyk8s.io/v1alpha2/namespaces/x/policyreports");
}
END_TEST

START_TEST(bad_segments_are_rejected)
{
    const struct as_kube_resource *r = as_kube_resource_by_kind("v1", "Secret");
    struct as_buf b;
    struct as_error err = {0};

    as_buf_init(&b, 4096);
    ck_assert_int_eq(as_kube_path(r, "ns", "a/b", NULL, &b, &err), AS_E_INVALID_ARG);
    ck_assert_str_eq(err.message, "name: \"a/b\" contains a character not allowed in a name "
                                  "(use lower-case letters, digits, '-' and '.')");
    as_buf_reset(&b);
    ck_assert_int_eq(as_kube_path(r, "..", "x", NULL, &b, &err), AS_E_INVALID_ARG);
    ck_assert_str_eq(err.message, "namespace: \"..\" is not a valid name");
    as_buf_reset(&b);
    ck_assert_int_eq(as_kube_path(r, "ns", "", NULL, &b, &err), AS_E_INVALID_ARG);
    ck_assert_str_eq(err.message, "name: must not be empty");
    as_buf_reset(&b);
    ck_assert_int_eq(as_kube_path(r, "ns", NULL, "status", &b, &err), AS_E_INVALID_ARG);
    ck_assert_str_eq(err.message, "subresource status: needs an object name");
    as_buf_reset(&b);
    ck_assert_int_eq(as_kube_path(r, "ns", "x?y", NULL, &b, &err), AS_E_INVALID_ARG);
    as_buf_free(&b);
}
END_TEST

START_TEST(query_escaping)
{
    struct as_buf b;

    as_buf_init(&b, 4096);
    ck_assert_int_eq(as_buf_append_str(&b, "/api/v1/pods"), AS_OK);
    ck_assert_int_eq(as_kube_query_add(&b, "labelSelector", "app in (web, api),tier!=db"), AS_OK);
    ck_assert_int_eq(as_kube_query_add(&b, "fieldSelector", "metadata.name=a&b"), AS_OK);
    ck_assert_int_eq(as_kube_query_add(&b, "continue", NULL), AS_OK);
    ck_assert_int_eq(as_kube_query_add(&b, "continue", "eyJ2Ijo+/=="), AS_OK);
    ck_assert_str_eq(b.data,
                     "/api/v1/pods?labelSelector=app%20in%20%28web%2C%20api%29%2Ctier%21"
                     "%3Ddb&fieldSelector=metadata.name%3Da%26b&continue=eyJ2Ijo%2B%2F%3D%3D");
    as_buf_free(&b);
}
END_TEST

START_TEST(resource_table_lookups)
{
    unsigned n = 0;
    const struct as_kube_resource *t = as_kube_resource_table(&n);
    const struct as_kube_resource *r;
    json_t *obj;

    ck_assert_uint_ge(n, 37);
    /* Each entry is found by kind and by plural, and its apiVersion is consistent. */
    for (unsigned i = 0; i < n; i++) {
        char apiv[128];
        snprintf(apiv, sizeof(apiv), "%s%s%s", t[i].group, t[i].group[0] ? "/" : "", t[i].version);
        ck_assert_str_eq(t[i].api_version, apiv);
        ck_assert_ptr_eq(as_kube_resource_by_kind(t[i].api_version, t[i].kind), &t[i]);
        ck_assert_ptr_eq(as_kube_resource_by_plural(t[i].group, t[i].plural), &t[i]);
    }
    r = as_kube_resource_by_kind("appstack.io/v1alpha1", "AppStackPolicyException");
    ck_assert_ptr_nonnull(r);
    ck_assert(r->namespaced);
    ck_assert_str_eq(r->plural, "appstackpolicyexceptions");
    ck_assert(!as_kube_resource_by_kind("appstack.io/v1alpha1", "AppStackPolicy")->namespaced);
    ck_assert(!as_kube_resource_by_kind("rbac.authorization.k8s.io/v1", "ClusterRole")->namespaced);
    ck_assert_ptr_null(as_kube_resource_by_kind("apps/v1beta1", "Deployment"));
    ck_assert_ptr_null(as_kube_resource_by_kind(NULL, "Nope"));
    obj = json_pack("{s:s,s:s}", "apiVersion", "gateway.networking.k8s.io/v1", "kind", "HTTPRoute");
    r = as_kube_resource_of(obj);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(r->plural, "httproutes");
    json_decref(obj);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_path");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, paths_by_scope);
    tcase_add_test(tc, bad_segments_are_rejected);
    tcase_add_test(tc, query_escaping);
    tcase_add_test(tc, resource_table_lookups);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
