/*
 * test_kube_discovery.c - unit tests for the discovery cache fed offline
 * (group lists and resource lists as the API server sends them): group and
 * version checks, resource checks, kind lookup with scope and /status.
 */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "kube/discovery.h"

static const char core_doc[] = "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"]}";
static const char groups_doc[] =
    "{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":["
    "{\"name\":\"apps\",\"versions\":[{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}],"
    "\"preferredVersion\":{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}},"
    "{\"name\":\"cert-manager.io\",\"versions\":[{\"groupVersion\":\"cert-manager.io/v1\","
    "\"version\":\"v1\"},{\"groupVersion\":\"cert-manager.io/v1beta1\",\"version\":\"v1beta1\"}],"
    "\"preferredVersion\":{\"groupVersion\":\"cert-manager.io/v1\",\"version\":\"v1\"}}]}";
static const char cm_v1[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"cert-manager.io/v1\",\"resources\":["
    "{\"name\":\"certificates\",\"singularName\":\"certificate\",\"namespaced\":true,"
    "\"kind\":\"Certificate\",\"verbs\":[\"get\",\"list\"]},"
    "{\"name\":\"certificates/status\",\"namespaced\":true,\"kind\":\"Certificate\"},"
    "{\"name\":\"clusterissuers\",\"namespaced\":false,\"kind\":\"ClusterIssuer\"}]}";
static const char core_v1[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
    "{\"name\":\"configmaps\",\"namespaced\":true,\"kind\":\"ConfigMap\"}]}";

static struct as_kube_discovery *fed(void)
{
    struct as_kube_discovery *d = NULL;
    struct as_error err = {0};
    json_t *a = json_loads(core_doc, 0, NULL), *g = json_loads(groups_doc, 0, NULL);
    json_t *r = json_loads(cm_v1, 0, NULL), *c = json_loads(core_v1, 0, NULL);

    ck_assert_int_eq(as_kube_discovery_new(NULL, &d, &err), AS_OK);
    ck_assert_int_eq(as_kube_discovery_add_groups(d, a, &err), AS_OK);
    ck_assert_int_eq(as_kube_discovery_add_groups(d, g, &err), AS_OK);
    ck_assert_int_eq(as_kube_discovery_add_resources(d, "cert-manager.io", "v1", r, &err), AS_OK);
    ck_assert_int_eq(as_kube_discovery_add_resources(d, "", "v1", c, &err), AS_OK);
    json_decref(a);
    json_decref(g);
    json_decref(r);
    json_decref(c);
    return d;
}

START_TEST(group_versions)
{
    struct as_kube_discovery *d = fed();
    struct as_error err = {0};
    bool b = false;

    ck_assert_int_eq(as_kube_discovery_has_group_version(d, "apps", "v1", &b, &err), AS_OK);
    ck_assert(b);
    ck_assert_int_eq(as_kube_discovery_has_group_version(d, "", "v1", &b, &err), AS_OK);
    ck_assert(b);
    ck_assert_int_eq(as_kube_discovery_has_group_version(d, "cert-manager.io", "v1beta1", &b, &err),
                     AS_OK);
    ck_assert(b);
    ck_assert_int_eq(
        as_kube_discovery_has_group_version(d, "monitoring.coreos.com", "v1", &b, &err), AS_OK);
    ck_assert(!b);
    as_kube_discovery_free(d);
}
END_TEST

START_TEST(resources_and_absent_groups)
{
    struct as_kube_discovery *d = fed();
    struct as_error err = {0};
    bool b = false;

    ck_assert_int_eq(
        as_kube_discovery_has_resource(d, "cert-manager.io", "v1", "certificates", &b, &err),
        AS_OK);
    ck_assert(b);
    ck_assert_int_eq(
        as_kube_discovery_has_resource(d, "cert-manager.io", "v1", "issuers", &b, &err), AS_OK);
    ck_assert(!b);
    /* A subresource is not a resource. */
    ck_assert_int_eq(
        as_kube_discovery_has_resource(d, "cert-manager.io", "v1", "certificates/status", &b, &err),
        AS_OK);
    ck_assert(!b);
    /* A group the server does not serve is "no", without a request. */
    b = true;
    ck_assert_int_eq(as_kube_discovery_has_resource(d, "gateway.networking.k8s.io", "v1",
                                                    "httproutes", &b, &err),
                     AS_OK);
    ck_assert(!b);
    as_kube_discovery_free(d);
}
END_TEST

START_TEST(find_kind_fills_resource)
{
    struct as_kube_discovery *d = fed();
    struct as_error err = {0};
    struct as_kube_resource r;

    ck_assert_int_eq(as_kube_discovery_find_kind(d, "cert-manager.io", "Certificate", &r, &err),
                     AS_OK);
    ck_assert_str_eq(r.plural, "certificates");
    ck_assert_str_eq(r.api_version, "cert-manager.io/v1");
    ck_assert(r.namespaced);
    ck_assert(r.has_status);
    ck_assert_int_eq(as_kube_discovery_find_kind(d, "cert-manager.io", "ClusterIssuer", &r, &err),
                     AS_OK);
    ck_assert(!r.namespaced);
    ck_assert(!r.has_status);
    ck_assert_int_eq(as_kube_discovery_find_kind(d, "", "ConfigMap", &r, &err), AS_OK);
    ck_assert_str_eq(r.api_version, "v1");
    ck_assert_str_eq(r.group, "");
    ck_assert_int_eq(
        as_kube_discovery_find_kind(d, "monitoring.coreos.com", "ServiceMonitor", &r, &err),
        AS_E_API_NOT_FOUND);
    ck_assert_str_eq(err.message, "discovery: the server does not serve kind ServiceMonitor in "
                                  "group \"monitoring.coreos.com\"");
    as_kube_discovery_free(d);
}
END_TEST

START_TEST(bad_documents)
{
    struct as_kube_discovery *d = NULL;
    struct as_error err = {0};
    json_t *bad = json_pack("{s:s}", "kind", "Pod");

    ck_assert_int_eq(as_kube_discovery_new(NULL, &d, &err), AS_OK);
    ck_assert_int_eq(as_kube_discovery_add_groups(d, bad, &err), AS_E_PARSE);
    ck_assert_str_eq(err.message, "discovery: expected APIVersions or APIGroupList, got kind Pod");
    ck_assert_int_eq(as_kube_discovery_add_resources(d, "x", "v1", bad, &err), AS_E_PARSE);
    json_decref(bad);
    as_kube_discovery_free(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kube_discovery");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, group_versions);
    tcase_add_test(tc, resources_and_absent_groups);
    tcase_add_test(tc, find_kind_fills_resource);
    tcase_add_test(tc, bad_documents);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
