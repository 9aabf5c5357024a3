/*
 * test_operator_diff.c - unit tests for operator/diff: desired objects
 * (as lib/render writes them) against live objects as the API server
 * returns them (defaults added, server-owned metadata, foreign labels,
 * annotations and injected sidecars), hand edits, quantities.
 */
#include <check.h>
#include <string.h>

#include <stdio.h>
#include <stdlib.h>

#include "check_run.h"
#include "../../operator/diff.h"
#include "op_test_util.h"
#include "render/render.h"

/* A Deployment as the renderer emits it (examples/minimal.yaml, trimmed). */
static const char *desired_deploy =
    "apiVersion: apps/v1\n"
    "kind: Deployment\n"
    "metadata:\n"
    "  name: hello-web\n"
    "  namespace: shop\n"
    "  labels: {app.kubernetes.io/name: web, appstack.io/stack: hello}\n"
    "  ownerReferences:\n"
    "  - {apiVersion: appstack.io/v1alpha1, kind: AppStack, name: hello, uid: u-1,\n"
    "     controller: true, blockOwnerDeletion: true}\n"
    "spec:\n"
    "  replicas: 2\n"
    "  revisionHistoryLimit: 5\n"
    "  selector: {matchLabels: {app.kubernetes.io/name: web, appstack.io/stack: hello}}\n"
    "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}\n"
    "  template:\n"
    "    metadata:\n"
    "      annotations: {appstack.io/config-hash: abc}\n"
    "      labels: {app.kubernetes.io/name: web, appstack.io/stack: hello}\n"
    "    spec:\n"
    "      automountServiceAccountToken: false\n"
    "      enableServiceLinks: false\n"
    "      serviceAccountName: hello-web\n"
    "      terminationGracePeriodSeconds: 30\n"
    "      securityContext: {runAsNonRoot: true, runAsUser: 101, seccompProfile: {type: "
    "RuntimeDefault}}\n"
    "      containers:\n"
    "      - name: web\n"
    "        image: nginxinc/nginx-unprivileged:1.27.2-alpine\n"
    "        imagePullPolicy: IfNotPresent\n"
    "        env:\n"
    "        - {name: A, value: '1'}\n"
    "        - {name: B, value: $(A)-x}\n"
    "        ports: [{containerPort: 8080, name: http, protocol: TCP}]\n"
    "        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 10, timeoutSeconds: 3, "
    "failureThreshold: 3, initialDelaySeconds: 0}\n"
    "        resources: {limits: {cpu: '1', memory: 512Mi}, requests: {cpu: 100m, memory: "
    "128Mi}}\n"
    "        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, "
    "readOnlyRootFilesystem: true}\n"
    "        volumeMounts: [{mountPath: /tmp, name: tmp}]\n"
    "      volumes: [{name: tmp, emptyDir: {sizeLimit: 256Mi}}]\n";

/* The same Deployment read back from the API server: defaults, metadata, status. */
static const char *live_deploy =
    "apiVersion: apps/v1\n"
    "kind: Deployment\n"
    "metadata:\n"
    "  name: hello-web\n"
    "  namespace: shop\n"
    "  uid: 7d1c-live\n"
    "  resourceVersion: '4711'\n"
    "  generation: 3\n"
    "  creationTimestamp: '2026-01-01T00:00:00Z'\n"
    "  managedFields: [{manager: appstack-operator, operation: Apply}]\n"
    "  labels: {app.kubernetes.io/name: web, appstack.io/stack: hello, team: payments}\n"
    "  annotations: {deployment.kubernetes.io/revision: '3', argocd.argoproj.io/tracking-id: "
    "x}\n"
    "  ownerReferences:\n"
    "  - {apiVersion: appstack.io/v1alpha1, kind: AppStack, name: hello, uid: u-1,\n"
    "     controller: true, blockOwnerDeletion: true}\n"
    "spec:\n"
    "  replicas: 2\n"
    "  revisionHistoryLimit: 5\n"
    "  progressDeadlineSeconds: 600\n"
    "  selector: {matchLabels: {app.kubernetes.io/name: web, appstack.io/stack: hello}}\n"
    "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}\n"
    "  template:\n"
    "    metadata:\n"
    "      creationTimestamp: null\n"
    "      annotations: {appstack.io/config-hash: abc, kubectl.kubernetes.io/restartedAt: "
    "'2026-01-02T00:00:00Z'}\n"
    "      labels: {app.kubernetes.io/name: web, appstack.io/stack: hello}\n"
    "    spec:\n"
    "      automountServiceAccountToken: false\n"
    "      enableServiceLinks: false\n"
    "      serviceAccountName: hello-web\n"
    "      serviceAccount: hello-web\n"
    "      terminationGracePeriodSeconds: 30\n"
    "      dnsPolicy: ClusterFirst\n"
    "      restartPolicy: Always\n"
    "      schedulerName: default-scheduler\n"
    "      securityContext: {runAsNonRoot: true, runAsUser: 101, seccompProfile: {type: "
    "RuntimeDefault}}\n"
    "      containers:\n"
    "      - name: istio-proxy\n"
    "        image: istio/proxyv2:1.24.0\n"
    "      - name: web\n"
    "        image: nginxinc/nginx-unprivileged:1.27.2-alpine\n"
    "        imagePullPolicy: IfNotPresent\n"
    "        env:\n"
    "        - {name: A, value: '1'}\n"
    "        - {name: B, value: $(A)-x}\n"
    "        - {name: INJECTED, value: by-webhook}\n"
    "        ports: [{containerPort: 8080, name: http, protocol: TCP}]\n"
    "        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 10, timeoutSeconds: 3, "
    "failureThreshold: 3, successThreshold: 1}\n"
    "        resources: {limits: {cpu: '1', memory: 512Mi}, requests: {cpu: 100m, memory: "
    "128Mi}}\n"
    "        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, "
    "readOnlyRootFilesystem: true}\n"
    "        terminationMessagePath: /dev/termination-log\n"
    "        terminationMessagePolicy: File\n"
    "        volumeMounts: [{mountPath: /tmp, name: tmp}]\n"
    "      volumes: [{name: tmp, emptyDir: {sizeLimit: 256Mi}}, {name: istio-envoy, emptyDir: "
    "{}}]\n"
    "status: {observedGeneration: 3, replicas: 2, readyReplicas: 2}\n";

static json_t *desired, *live;

static void setup(void)
{
    desired = ot_yaml(desired_deploy);
    live = ot_yaml(live_deploy);
}

static void teardown(void)
{
    json_decref(desired);
    json_decref(live);
}

/* Container "web" of a Deployment (borrowed). */
static json_t *web(json_t *d)
{
    json_t *cs = as_json_path(d, "spec.template.spec.containers"), *c;
    size_t i;

    json_array_foreach(cs, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "name")), "web") == 0)
            return c;
    }
    ck_abort_msg("no web container");
    return NULL;
}

START_TEST(server_defaulted_live_object_needs_no_apply)
{
    char where[256] = "";

    ck_assert(!as_op_needs_apply(desired, live, where, sizeof(where)));
    ck_assert_str_eq(where, "");
}
END_TEST

START_TEST(absent_live_object_needs_apply)
{
    char where[64];

    ck_assert(as_op_needs_apply(desired, NULL, where, sizeof(where)));
    ck_assert_str_eq(where, "(absent)");
}
END_TEST

START_TEST(hand_edited_image_is_found)
{
    char where[256];

    json_object_set_new(web(live), "image", json_string("nginx:latest"));
    ck_assert(as_op_needs_apply(desired, live, where, sizeof(where)));
    ck_assert_str_eq(where, "spec.template.spec.containers[name=web].image");
}
END_TEST

START_TEST(removed_owned_label_is_found_foreign_label_tolerated)
{
    char where[256];
    json_t *labels = as_json_path(live, "metadata.labels");

    json_object_set_new(labels, "another.tool/owner", json_string("x"));
    ck_assert(!as_op_needs_apply(desired, live, NULL, 0));
    json_object_del(labels, "appstack.io/stack");
    ck_assert(as_op_needs_apply(desired, live, where, sizeof(where)));
    ck_assert_str_eq(where, "metadata.labels.appstack.io/stack");
}
END_TEST

START_TEST(changed_owned_annotation_is_found)
{
    char where[256];

    json_object_set_new(as_json_path(live, "spec.template.metadata.annotations"),
                        "appstack.io/config-hash", json_string("def"));
    ck_assert(as_op_needs_apply(desired, live, where, sizeof(where)));
    ck_assert_str_eq(where, "spec.template.metadata.annotations.appstack.io/config-hash");
}
END_TEST

START_TEST(removed_false_field_is_a_difference)
{
    char where[256];

    json_object_del(as_json_path(live, "spec.template.spec"), "automountServiceAccountToken");
    ck_assert(as_op_needs_apply(desired, live, where, sizeof(where)));
    ck_assert_str_eq(where, "spec.template.spec.automountServiceAccountToken");
}
END_TEST

START_TEST(env_reordered_is_a_difference)
{
    char where[256];
    json_t *env = json_object_get(web(live), "env");
    json_t *a = json_incref(json_array_get(env, 0));

    json_array_remove(env, 0);
    json_array_insert_new(env, 1, a); /* B, A, INJECTED */
    ck_assert(as_op_needs_apply(desired, live, where, sizeof(where)));
    ck_assert_str_eq(where, "spec.template.spec.containers[name=web].env[name=B]");
}
END_TEST

START_TEST(removed_volume_mount_is_found_by_key)
{
    char where[256];

    json_array_clear(json_object_get(web(live), "volumeMounts"));
    ck_assert(as_op_needs_apply(desired, live, where, sizeof(where)));
    ck_assert_str_eq(where, "spec.template.spec.containers[name=web].volumeMounts[mountPath=/tmp]");
}
END_TEST

START_TEST(replicas_changed_by_hand_is_found_but_absent_in_desired_is_not)
{
    char where[256];
    json_t *hpa_desired;

    json_object_set_new(json_object_get(live, "spec"), "replicas", json_integer(5));
    ck_assert(as_op_needs_apply(desired, live, where, sizeof(where)));
    ck_assert_str_eq(where, "spec.replicas");
    /* with an HPA the renderer leaves replicas out: the autoscaler's value stands */
    hpa_desired = ot_with(desired, "spec.replicas", NULL);
    ck_assert(!as_op_needs_apply(hpa_desired, live, NULL, 0));
    json_decref(hpa_desired);
}
END_TEST

START_TEST(capabilities_list_is_atomic)
{
    char where[256];
    json_t *drop = as_json_path(web(live), "securityContext.capabilities.drop");

    json_array_append_new(drop, json_string("NET_RAW"));
    ck_assert(as_op_needs_apply(desired, live, where, sizeof(where)));
    ck_assert_str_eq(where, "spec.template.spec.containers[name=web].securityContext.capabilities."
                            "drop[length]");
}
END_TEST

START_TEST(quantities_compare_by_value)
{
    json_t *res = as_json_path(web(live), "resources");

    json_object_set_new(json_object_get(res, "limits"), "cpu", json_string("1000m"));
    json_object_set_new(json_object_get(res, "limits"), "memory", json_string("0.5Gi"));
    ck_assert(!as_op_needs_apply(desired, live, NULL, 0));
    json_object_set_new(json_object_get(res, "requests"), "cpu", json_string("0.2"));
    ck_assert(as_op_needs_apply(desired, live, NULL, 0));

    ck_assert(as_op_quantity_equal("1", "1000m"));
    ck_assert(as_op_quantity_equal("1Gi", "1024Mi"));
    ck_assert(as_op_quantity_equal("0.5", "500m"));
    ck_assert(as_op_quantity_equal("1e3", "1k"));
    ck_assert(as_op_quantity_equal("128974848", "123Mi"));
    ck_assert(!as_op_quantity_equal("1G", "1Gi"));
    ck_assert(!as_op_quantity_equal("100m", "10m"));
    ck_assert(!as_op_quantity_equal("abc", "abc"));
    ck_assert(!as_op_quantity_equal("1Xi", "1"));
}
END_TEST

START_TEST(service_defaults_and_port_keys)
{
    json_t *d = ot_yaml("apiVersion: v1\nkind: Service\n"
                        "metadata: {name: hello-web, labels: {appstack.io/stack: hello}}\n"
                        "spec:\n"
                        "  type: ClusterIP\n"
                        "  selector: {app.kubernetes.io/name: web}\n"
                        "  ports: [{name: http, port: 8080, targetPort: http}]\n");
    json_t *l = ot_yaml("apiVersion: v1\nkind: Service\n"
                        "metadata: {name: hello-web, uid: s-1, resourceVersion: '9', labels: "
                        "{appstack.io/stack: hello}}\n"
                        "spec:\n"
                        "  type: ClusterIP\n"
                        "  clusterIP: 10.96.12.7\n"
                        "  clusterIPs: [10.96.12.7]\n"
                        "  internalTrafficPolicy: Cluster\n"
                        "  ipFamilies: [IPv4]\n"
                        "  ipFamilyPolicy: SingleStack\n"
                        "  sessionAffinity: None\n"
                        "  selector: {app.kubernetes.io/name: web}\n"
                        "  ports: [{name: metrics, port: 9090, protocol: TCP, targetPort: 9090},\n"
                        "          {name: http, port: 8080, protocol: TCP, targetPort: http}]\n"
                        "status: {loadBalancer: {}}\n");
    char where[256];

    /* protocol defaulted to TCP, and a port added by someone else, are tolerated */
    ck_assert(!as_op_needs_apply(d, l, where, sizeof(where)));
    json_object_set_new(json_array_get(as_json_path(l, "spec.ports"), 1), "protocol",
                        json_string("UDP"));
    ck_assert(as_op_needs_apply(d, l, where, sizeof(where)));
    ck_assert_str_eq(where, "spec.ports[port=8080]");
    json_decref(d);
    json_decref(l);
}
END_TEST

START_TEST(network_policy_empty_lists_and_atomic_rules)
{
    json_t *d = ot_yaml("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                        "metadata: {name: hello-web}\n"
                        "spec:\n"
                        "  podSelector: {matchLabels: {appstack.io/stack: hello}}\n"
                        "  policyTypes: [Ingress, Egress]\n"
                        "  ingress: []\n"
                        "  egress:\n"
                        "  - ports: [{port: 53, protocol: UDP}, {port: 53}]\n"
                        "    to: [{namespaceSelector: {matchLabels: "
                        "{kubernetes.io/metadata.name: kube-system}}}]\n");
    json_t *l = ot_yaml("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                        "metadata: {name: hello-web, generation: 1}\n"
                        "spec:\n"
                        "  podSelector: {matchLabels: {appstack.io/stack: hello}}\n"
                        "  policyTypes: [Ingress, Egress]\n"
                        "  egress:\n"
                        "  - ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]\n"
                        "    to: [{namespaceSelector: {matchLabels: "
                        "{kubernetes.io/metadata.name: kube-system}}}]\n");
    char where[256];

    /* `ingress: []` dropped by the server; protocol TCP defaulted inside an atomic list */
    ck_assert(!as_op_needs_apply(d, l, where, sizeof(where)));
    /* a rule added by hand is reverted: atomic lists must have the same length */
    json_array_append_new(as_json_path(l, "spec.egress"),
                          json_pack("{s:[{s:i}]}", "ports", "port", 443));
    ck_assert(as_op_needs_apply(d, l, where, sizeof(where)));
    ck_assert_str_eq(where, "spec.egress[length]");
    json_decref(d);
    json_decref(l);
}
END_TEST

START_TEST(secret_data_change_is_found)
{
    json_t *d = ot_yaml("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ntype: Opaque\n"
                        "data: {password: cHc=}\n");
    json_t *l = ot_yaml("apiVersion: v1\nkind: Secret\nmetadata: {name: s, uid: x}\n"
                        "type: Opaque\ndata: {password: cHc=, extra: eA==}\n");
    char where[128];

    ck_assert(!as_op_needs_apply(d, l, NULL, 0));
    json_object_set_new(json_object_get(l, "data"), "password", json_string("b3RoZXI="));
    ck_assert(as_op_needs_apply(d, l, where, sizeof(where)));
    ck_assert_str_eq(where, "data.password");
    json_decref(d);
    json_decref(l);
}
END_TEST

START_TEST(statefulset_claim_templates_tolerate_server_fields)
{
    json_t *d = ot_yaml("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\n"
                        "spec:\n"
                        "  volumeClaimTemplates:\n"
                        "  - metadata: {name: data}\n"
                        "    spec: {accessModes: [ReadWriteOnce], resources: {requests: "
                        "{storage: 10Gi}}}\n");
    json_t *l = ot_yaml("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\n"
                        "spec:\n"
                        "  volumeClaimTemplates:\n"
                        "  - apiVersion: v1\n"
                        "    kind: PersistentVolumeClaim\n"
                        "    metadata: {name: data, creationTimestamp: null}\n"
                        "    spec: {accessModes: [ReadWriteOnce], volumeMode: Filesystem, "
                        "resources: {requests: {storage: 10Gi}}}\n"
                        "    status: {phase: Pending}\n");

    ck_assert(!as_op_needs_apply(d, l, NULL, 0));
    json_decref(d);
    json_decref(l);
}
END_TEST

START_TEST(type_mismatch_and_null_are_differences)
{
    char where[64];
    json_t *d = ot_yaml("kind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1'}\n");
    json_t *l = ot_yaml("kind: ConfigMap\nmetadata: {name: c}\ndata: null\n");

    ck_assert(as_op_needs_apply(d, l, where, sizeof(where)));
    ck_assert_str_eq(where, "data");
    json_decref(l);
    l = json_string("x");
    ck_assert(as_op_needs_apply(d, l, where, sizeof(where)));
    ck_assert_str_eq(where, "(root)");
    json_decref(d);
    json_decref(l);
}
END_TEST

/* Adds a field the operator never sets to every object of the tree (a server default). */
static void add_foreign_fields(json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;

    if (json_is_object(v)) {
        json_object_foreach(v, k, x)
        {
            add_foreign_fields(x);
        }
        json_object_set_new(v, "zzServerDefault", json_string("x"));
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            add_foreign_fields(x);
        }
    }
}

/* Renders every AppStack of an example file with every optional API. Caller owns. */
static json_t *render_example(const char *path)
{
    FILE *f = fopen(path, "rb");
    static char text[1 << 20];
    size_t n;
    json_t *docs = NULL, *doc, *all = json_array();
    struct as_error err;
    size_t i;

    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
    n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    ck_assert_msg(as_yaml_to_json(text, n, &docs, &err) == AS_OK, "%s: %s", path, err.message);
    json_array_foreach(docs, i, doc)
    {
        json_t *needed = NULL, *secrets = json_object(), *objs = NULL, *keys, *x;
        struct as_field_errors fe;
        const char *sn, *kn;
        struct as_render_facts facts = {
            NULL, NULL, "ns", AS_API_CERT_MANAGER | AS_API_PROMETHEUS_OPERATOR | AS_API_GATEWAY};

        json_object_set_new(json_object_get(doc, "metadata"), "uid", json_string("u-1"));
        as_field_errors_init(&fe);
        ck_assert_int_eq(as_render_needed_secrets(doc, &needed, &fe), AS_OK);
        json_object_foreach(needed, sn, keys)
        {
            json_t *vals = json_object();
            json_object_foreach(keys, kn, x)
            {
                json_object_set_new(vals, kn, json_string("pw"));
            }
            json_object_set_new(secrets, sn, vals);
        }
        facts.secrets = secrets;
        ck_assert_msg(as_render(doc, &facts, &objs, &fe) == AS_OK, "%s: %s", path,
                      fe.count ? fe.items[0] : "render failed");
        json_array_extend(all, objs);
        json_decref(objs);
        json_decref(needed);
        json_decref(secrets);
        as_field_errors_free(&fe);
    }
    json_decref(docs);
    return all;
}

START_TEST(every_rendered_object_matches_itself_and_its_defaulted_copy)
{
    static const char *const files[] = {
        "examples/minimal.yaml",       "examples/maicivy.yaml", "examples/todoapp-generator.yaml",
        "examples/ai-ko.yaml",         "examples/twinme.yaml",  "examples/samaconso.yaml",
        "examples/internal-tools.yaml"};
    size_t total = 0;

    for (size_t fi = 0; fi < sizeof(files) / sizeof(files[0]); fi++) {
        json_t *objs = render_example(files[fi]), *o;
        size_t i;

        json_array_foreach(objs, i, o)
        {
            json_t *copy;
            char where[256] = "";
            const char *name = json_string_value(as_json_path(o, "metadata.name"));

            ck_assert_int_eq(as_op_stamp(o), AS_OK); /* as the operator applies it */
            copy = json_deep_copy(o);

            ck_assert_msg(!as_op_needs_apply(o, o, where, sizeof(where)), "%s %s: %s", files[fi],
                          name, where);
            add_foreign_fields(copy);
            ck_assert_msg(!as_op_needs_apply(o, copy, where, sizeof(where)), "%s %s: %s", files[fi],
                          name, where);
            json_object_set_new(as_json_path(copy, "metadata.labels"), "appstack.io/stack",
                                json_string("another"));
            ck_assert(as_op_needs_apply(o, copy, where, sizeof(where)));
            ck_assert_str_eq(where, "metadata.labels.appstack.io/stack");
            json_decref(copy);
            total++;
        }
        json_decref(objs);
    }
    ck_assert_uint_gt(total, 100);
}
END_TEST

START_TEST(stamp_detects_fields_removed_from_the_spec)
{
    json_t *old_desired = json_deep_copy(desired), *new_desired, *applied;
    char where[256];
    const char *h1, *h2;

    /* the operator applied the stamped old desired; the server added defaults (live) */
    ck_assert_int_eq(as_op_stamp(old_desired), AS_OK);
    h1 = json_string_value(json_object_get(as_json_path(old_desired, "metadata.annotations"),
                                           "appstack.io/applied-hash"));
    ck_assert_ptr_nonnull(h1);
    ck_assert_uint_eq(strlen(h1), 16);
    applied = json_deep_copy(old_desired);
    ck_assert_int_eq(as_op_stamp(applied), AS_OK); /* idempotent */
    ck_assert(json_equal(applied, old_desired));
    json_decref(applied);
    json_object_set_new(as_json_path(live, "metadata.annotations"), "appstack.io/applied-hash",
                        json_string(h1));
    ck_assert(!as_op_needs_apply(old_desired, live, NULL, 0));

    /* the spec drops env B: desired is a subset of live still, but the hash tells */
    new_desired = json_deep_copy(desired);
    json_array_remove(json_object_get(web(new_desired), "env"), 1);
    ck_assert(!as_op_needs_apply(new_desired, live, NULL, 0));
    ck_assert_int_eq(as_op_stamp(new_desired), AS_OK);
    h2 = json_string_value(json_object_get(as_json_path(new_desired, "metadata.annotations"),
                                           "appstack.io/applied-hash"));
    ck_assert_str_ne(h1, h2);
    ck_assert(as_op_needs_apply(new_desired, live, where, sizeof(where)));
    ck_assert_str_eq(where, "metadata.annotations.appstack.io/applied-hash");
    applied = json_array();
    ck_assert_int_eq(as_op_stamp(applied), AS_E_INVALID_ARG);
    json_decref(applied);
    json_decref(old_desired);
    json_decref(new_desired);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("operator_diff");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, server_defaulted_live_object_needs_no_apply);
    tcase_add_test(tc, absent_live_object_needs_apply);
    tcase_add_test(tc, hand_edited_image_is_found);
    tcase_add_test(tc, removed_owned_label_is_found_foreign_label_tolerated);
    tcase_add_test(tc, changed_owned_annotation_is_found);
    tcase_add_test(tc, removed_false_field_is_a_difference);
    tcase_add_test(tc, env_reordered_is_a_difference);
    tcase_add_test(tc, removed_volume_mount_is_found_by_key);
    tcase_add_test(tc, replicas_changed_by_hand_is_found_but_absent_in_desired_is_not);
    tcase_add_test(tc, capabilities_list_is_atomic);
    tcase_add_test(tc, quantities_compare_by_value);
    tcase_add_test(tc, service_defaults_and_port_keys);
    tcase_add_test(tc, network_policy_empty_lists_and_atomic_rules);
    tcase_add_test(tc, secret_data_change_is_found);
    tcase_add_test(tc, statefulset_claim_templates_tolerate_server_fields);
    tcase_add_test(tc, type_mismatch_and_null_are_differences);
    tcase_add_test(tc, every_rendered_object_matches_itself_and_its_defaulted_copy);
    tcase_add_test(tc, stamp_detects_fields_removed_from_the_spec);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
