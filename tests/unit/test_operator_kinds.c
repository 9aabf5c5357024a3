/*
 * test_operator_kinds.c - unit tests for operator/kinds: every child kind the
 * renderer can produce is watched, maps to the resource table, and optional
 * kinds name the API bit and CRD that bring them; and for the duration and
 * leader-election flags of operator/options.
 */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "../../operator/kinds.h"
#include "../../operator/options.h"
#include "render/render.h"

START_TEST(every_kind_maps_to_a_resource)
{
    size_t n;
    const struct as_op_kind *k = as_op_kinds(&n);

    ck_assert_uint_ge(n, 17);
    for (size_t i = 0; i < n; i++) {
        const struct as_kube_resource *r = as_op_kind_resource(i);
        ck_assert_msg(r != NULL, "%s %s is not in the resource table", k[i].api_version, k[i].kind);
        ck_assert_str_eq(r->kind, k[i].kind);
        ck_assert_str_eq(r->api_version, k[i].api_version);
        ck_assert(r->namespaced);
        ck_assert_int_eq(as_op_kind_index(k[i].api_version, k[i].kind), (int)i);
        ck_assert((k[i].needs_api == 0) == (k[i].crd == NULL));
    }
    ck_assert_ptr_null(as_op_kind_resource(n));
}
END_TEST

START_TEST(rendered_kinds_of_a_full_stack_are_all_watched)
{
    /* every kind a stack with every optional API renders must be in the table */
    const char *doc =
        "{\"apiVersion\":\"appstack.io/v1alpha1\",\"kind\":\"AppStack\",\"metadata\":{\"name\":"
        "\"shop\",\"namespace\":\"shop\",\"uid\":\"u1\"},\"spec\":{\"components\":[{\"name\":"
        "\"web\",\"type\":\"web\",\"image\":\"r.example.com/web:1.0.0\",\"port\":8080,"
        "\"autoscaling\":{\"minReplicas\":2,\"maxReplicas\":4},\"metrics\":{}},{\"name\":"
        "\"nightly\",\"type\":\"cron\",\"image\":\"r.example.com/web:1.0.0\",\"schedule\":\"0 1 * "
        "* *\"}],\"ingress\":{\"host\":\"shop.example.com\",\"tls\":{\"issuerRef\":{\"name\":"
        "\"le\"}},\"routes\":[{\"path\":\"/\",\"component\":\"web\"}]},\"services\":{\"postgres\":"
        "{\"databases\":[{\"name\":\"shop\"}],\"backup\":{\"enabled\":true}},\"redis\":{}}}}";
    json_error_t je;
    json_t *stack = json_loads(doc, 0, &je), *secrets, *needed = NULL, *objs = NULL, *o, *spec;
    struct as_field_errors fe;
    struct as_render_facts f = {.apis = AS_API_CERT_MANAGER | AS_API_PROMETHEUS_OPERATOR};
    const char *name, *key;
    size_t i;

    ck_assert_ptr_nonnull(stack);
    as_field_errors_init(&fe);
    ck_assert_int_eq(as_render_needed_secrets(stack, &needed, &fe), AS_OK);
    secrets = json_object();
    json_object_foreach(needed, name, spec)
    {
        json_t *vals = json_object(), *v;
        json_object_foreach(spec, key, v)
        {
            json_object_set_new(vals, key, json_string("0123456789abcdef0123456789abcdef"));
        }
        json_object_set_new(secrets, name, vals);
    }
    f.secrets = secrets;
    ck_assert_msg(as_render(stack, &f, &objs, &fe) == AS_OK, "%s",
                  fe.count ? fe.items[0] : "render failed");
    ck_assert_uint_gt(json_array_size(objs), 10);
    json_array_foreach(objs, i, o)
    {
        const char *api = json_string_value(json_object_get(o, "apiVersion"));
        const char *kind = json_string_value(json_object_get(o, "kind"));
        ck_assert_msg(as_op_kind_index(api, kind) >= 0, "%s %s is rendered but not watched", api,
                      kind);
    }
    as_field_errors_free(&fe);
    json_decref(objs);
    json_decref(needed);
    json_decref(secrets);
    json_decref(stack);
}
END_TEST

START_TEST(crds_name_their_api)
{
    ck_assert_uint_eq(as_op_kind_api_of_crd("certificates.cert-manager.io"), AS_API_CERT_MANAGER);
    ck_assert_uint_eq(as_op_kind_api_of_crd("servicemonitors.monitoring.coreos.com"),
                      AS_API_PROMETHEUS_OPERATOR);
    ck_assert_uint_eq(as_op_kind_api_of_crd("httproutes.gateway.networking.k8s.io"),
                      AS_API_GATEWAY);
    ck_assert_uint_eq(as_op_kind_api_of_crd("appstacks.appstack.io"), 0);
    ck_assert_uint_eq(as_op_kind_api_of_crd(NULL), 0);
    ck_assert_int_eq(as_op_kind_index("apps/v1", "DaemonSet"), -1);
    ck_assert_int_eq(as_op_kind_index(NULL, "Deployment"), -1);
}
END_TEST

START_TEST(durations_and_lease_flags)
{
    struct as_op_options o;
    struct as_error err = {0};
    long s = 0;
    char *ok[] = {"op",  "--sync-period",
                  "90s", "--leader-election-namespace",
                  "ops", "--leader-election-id=shop-lease"};
    char *bad_ns[] = {"op", "--leader-election-namespace", "Bad_NS"};
    char *bad_d[] = {"op", "--sync-period=5x"};

    ck_assert_int_eq(as_op_parse_duration("--f", "10m", &s, &err), AS_OK);
    ck_assert_int_eq(s, 600);
    ck_assert_int_eq(as_op_parse_duration("--f", "10h", &s, &err), AS_OK);
    ck_assert_int_eq(s, 36000);
    ck_assert_int_eq(as_op_parse_duration("--f", "2d", &s, &err), AS_OK);
    ck_assert_int_eq(s, 172800);
    ck_assert_int_eq(as_op_parse_duration("--f", "45", &s, &err), AS_OK);
    ck_assert_int_eq(s, 45);
    ck_assert_int_ne(as_op_parse_duration("--f", "0s", &s, &err), AS_OK);
    ck_assert_int_ne(as_op_parse_duration("--f", "31d", &s, &err), AS_OK);
    ck_assert_int_ne(as_op_parse_duration("--f", "1hh", &s, &err), AS_OK);

    ck_assert_int_eq(as_op_options_parse(6, ok, &o, &err), AS_OK);
    ck_assert_int_eq(o.sync_period_s, 90);
    ck_assert_str_eq(o.lease_ns, "ops");
    ck_assert_str_eq(o.lease_name, "shop-lease");
    ck_assert_int_eq(as_op_options_parse(3, bad_ns, &o, &err), AS_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(err.message, "--leader-election-namespace"));
    ck_assert_int_eq(as_op_options_parse(2, bad_d, &o, &err), AS_E_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(err.message, "--sync-period"));
    as_op_options_defaults(&o);
    ck_assert_int_eq(o.sync_period_s, 10L * 3600L);
    ck_assert_str_eq(o.lease_name, "appstack-operator");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("operator_kinds");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, every_kind_maps_to_a_resource);
    tcase_add_test(tc, rendered_kinds_of_a_full_stack_are_all_watched);
    tcase_add_test(tc, crds_name_their_api);
    tcase_add_test(tc, durations_and_lease_flags);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
