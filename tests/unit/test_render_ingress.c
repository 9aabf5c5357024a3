/* test_render_ingress.c - unit tests for ingress.c, headers.c, httproute.c, certificate.c and
 * networkpolicy.c. */
#include "check_run.h"
#include "render_test_util.h"

static const char *const INGRESS =
    "apiVersion: appstack.io/v1alpha1\nkind: AppStack\nmetadata: {name: shop, namespace: prod}\n"
    "spec:\n  components:\n"
    "  - {name: api, type: web, image: 'a/b:1', port: 8080, connections: [{name: db}]}\n"
    "  - {name: db, type: stateful, image: 'a/b:1', port: 5432, volumes: [{name: d, mountPath: /d, "
    "size: 1Gi}]}\n"
    "  ingress:\n    host: shop.example.com\n    extraHosts: [www.example.com]\n"
    "    className: nginx\n    tls: {issuerRef: {name: le}}\n"
    "    routes:\n"
    "    - {path: /, component: api}\n"
    "    - {path: /upload, component: api, maxBodySize: 10Mi, rateLimit: {requestsPerMinute: 60}}\n"
    "    - {path: /ws, component: api, streaming: true}\n"
    "    - {host: www.example.com, path: /, component: api}\n";

static const char *ann(const json_t *o, const char *key)
{
    const char *s =
        json_string_value(json_object_get(as_json_path(o, "metadata.annotations"), key));
    return s ? s : "";
}

START_TEST(routes_with_distinct_settings_get_their_own_ingress)
{
    json_t *objs = rt_render(INGRESS, 0), *main = rt_find(objs, "Ingress", "shop");
    json_t *up = rt_find(objs, "Ingress", "shop-1"), *ws = rt_find(objs, "Ingress", "shop-2");

    ck_assert_uint_eq(rt_count(objs, "Ingress"), 3);
    ck_assert_str_eq(rt_str(main, "spec.ingressClassName"), "nginx");
    ck_assert_str_eq(rt_str(main, "spec.tls[0].secretName"), "shop-tls");
    ck_assert_str_eq(rt_str(main, "spec.tls[0].hosts[1]"), "www.example.com");
    ck_assert_str_eq(rt_str(main, "spec.rules[0].host"), "shop.example.com");
    ck_assert_str_eq(rt_str(main, "spec.rules[1].host"), "www.example.com");
    ck_assert_str_eq(rt_str(main, "spec.rules[0].http.paths[0].backend.service.name"), "shop-api");
    ck_assert_str_eq(ann(main, "nginx.ingress.kubernetes.io/force-ssl-redirect"), "true");
    ck_assert_str_eq(ann(main, "nginx.ingress.kubernetes.io/custom-headers"), "prod/shop-headers");
    ck_assert_str_eq(ann(up, "nginx.ingress.kubernetes.io/proxy-body-size"), "10m");
    ck_assert_str_eq(ann(up, "nginx.ingress.kubernetes.io/limit-rpm"), "60");
    ck_assert_str_eq(ann(up, "nginx.ingress.kubernetes.io/limit-burst-multiplier"), "5");
    ck_assert_str_eq(ann(ws, "nginx.ingress.kubernetes.io/proxy-buffering"), "off");
    ck_assert_str_eq(ann(ws, "nginx.ingress.kubernetes.io/proxy-read-timeout"), "3600");
    json_decref(objs);
}
END_TEST

START_TEST(security_headers_configmap_has_the_defaults)
{
    json_t *objs = rt_render(INGRESS, 0), *cm = rt_find(objs, "ConfigMap", "shop-headers");
    json_t *data = json_object_get(cm, "data");

    ck_assert_uint_eq(rt_count(objs, "ConfigMap"), 2); /* headers shared + dashboard */
    ck_assert_str_eq(json_string_value(json_object_get(data, "Strict-Transport-Security")),
                     "max-age=31536000; includeSubDomains");
    ck_assert_str_eq(json_string_value(json_object_get(data, "X-Frame-Options")), "DENY");
    ck_assert_str_eq(json_string_value(json_object_get(data, "X-Content-Type-Options")), "nosniff");
    ck_assert_str_eq(json_string_value(json_object_get(data, "Referrer-Policy")),
                     "strict-origin-when-cross-origin");
    ck_assert_str_eq(
        json_string_value(json_object_get(data, "Content-Security-Policy")),
        "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'");
    json_decref(objs);
}
END_TEST

START_TEST(certificate_only_with_cert_manager)
{
    json_t *without = rt_render(INGRESS, 0), *with = rt_render(INGRESS, AS_API_CERT_MANAGER);
    json_t *cert = rt_find(with, "Certificate", "shop-tls");

    ck_assert_uint_eq(rt_count(without, "Certificate"), 0);
    ck_assert_ptr_nonnull(cert);
    ck_assert_str_eq(rt_str(cert, "spec.secretName"), "shop-tls");
    ck_assert_str_eq(rt_str(cert, "spec.issuerRef.name"), "le");
    ck_assert_str_eq(rt_str(cert, "spec.issuerRef.kind"), "ClusterIssuer");
    ck_assert_str_eq(rt_str(cert, "spec.dnsNames[1]"), "www.example.com");
    json_decref(without);
    json_decref(with);
}
END_TEST

START_TEST(gateway_mode_renders_httproutes_with_header_filters)
{
    json_t *objs =
        rt_render(RT_HEADER "spec:\n  components:\n"
                            "  - {name: api, type: web, image: 'a/b:1', port: 8080}\n"
                            "  ingress:\n    host: shop.example.com\n"
                            "    gateway: {name: gw, namespace: infra}\n"
                            "    routes:\n    - {path: /, component: api, timeoutSeconds: 30, "
                            "cacheControl: 'no-store'}\n"
                            "    - {path: /x, pathType: Exact, component: api}\n",
                  0);
    json_t *r = rt_find(objs, "HTTPRoute", "shop"), *set;

    ck_assert_uint_eq(rt_count(objs, "Ingress"), 0);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(rt_str(r, "spec.parentRefs[0].name"), "gw");
    ck_assert_str_eq(rt_str(r, "spec.parentRefs[0].namespace"), "infra");
    ck_assert_str_eq(rt_str(r, "spec.hostnames[0]"), "shop.example.com");
    ck_assert_str_eq(rt_str(r, "spec.rules[0].matches[0].path.type"), "PathPrefix");
    ck_assert_str_eq(rt_str(r, "spec.rules[1].matches[0].path.type"), "Exact");
    ck_assert_str_eq(rt_str(r, "spec.rules[0].timeouts.request"), "30s");
    ck_assert_int_eq(json_integer_value(as_json_path(r, "spec.rules[0].backendRefs[0].port")),
                     8080);
    ck_assert_str_eq(rt_str(r, "spec.rules[0].filters[0].type"), "ResponseHeaderModifier");
    set = as_json_path(r, "spec.rules[0].filters[0].responseHeaderModifier.set");
    ck_assert_str_eq(rt_str(json_array_get(set, 0), "name"), "Cache-Control");
    ck_assert_str_eq(rt_str(json_array_get(set, 0), "value"), "no-store");
    ck_assert_uint_eq(json_array_size(set), 7);
    json_decref(objs);
}
END_TEST

START_TEST(network_policies_allow_only_declared_flows)
{
    json_t *objs = rt_render(INGRESS, 0), *api = rt_find(objs, "NetworkPolicy", "shop-api");
    json_t *db = rt_find(objs, "NetworkPolicy", "shop-db");

    ck_assert_ptr_nonnull(rt_find(objs, "NetworkPolicy", "shop-default-deny"));
    /* api: from the ingress controller namespace on 8080 */
    ck_assert_str_eq(json_string_value(json_object_get(
                         as_json_path(api, "spec.ingress[0].from[0].namespaceSelector.matchLabels"),
                         "kubernetes.io/metadata.name")),
                     "ingress-nginx");
    ck_assert_int_eq(json_integer_value(as_json_path(api, "spec.ingress[0].ports[0].port")), 8080);
    /* api: DNS, then to db on 5432 */
    ck_assert_int_eq(json_integer_value(as_json_path(api, "spec.egress[0].ports[0].port")), 53);
    ck_assert_str_eq(rt_str(api, "spec.egress[0].ports[0].protocol"), "UDP");
    ck_assert_int_eq(json_integer_value(as_json_path(api, "spec.egress[1].ports[0].port")), 5432);
    /* db: only from api */
    ck_assert_uint_eq(json_array_size(as_json_path(db, "spec.ingress[0].from")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(
                         as_json_path(db, "spec.ingress[0].from[0].podSelector.matchLabels"),
                         "app.kubernetes.io/name")),
                     "api");
    json_decref(objs);
}
END_TEST

START_TEST(network_policies_can_be_turned_off)
{
    json_t *objs = rt_render(RT_HEADER "spec:\n  networkPolicy: {enabled: false}\n  components:\n"
                                       "  - {name: api, type: worker, image: 'a/b:1'}\n",
                             0);

    ck_assert_uint_eq(rt_count(objs, "NetworkPolicy"), 0);
    json_decref(objs);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("render_ingress");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, routes_with_distinct_settings_get_their_own_ingress);
    tcase_add_test(tc, security_headers_configmap_has_the_defaults);
    tcase_add_test(tc, certificate_only_with_cert_manager);
    tcase_add_test(tc, gateway_mode_renders_httproutes_with_header_filters);
    tcase_add_test(tc, network_policies_allow_only_declared_flows);
    tcase_add_test(tc, network_policies_can_be_turned_off);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
