/*
 * resource.c - the static resource table: every kind AppStack reads or writes,
 * with its group, version, plural, scope and whether it has /status.
 */
#include <string.h>

#include "kube/resource.h"

#define R(kind, group, version, apiv, plural, ns, st)                                              \
    {                                                                                              \
        kind, group, version, apiv, plural, ns, st                                                 \
    }

static const struct as_kube_resource table[] = {
    /* core/v1 */
    R("Namespace", "", "v1", "v1", "namespaces", false, true),
    R("Secret", "", "v1", "v1", "secrets", true, false),
    R("ConfigMap", "", "v1", "v1", "configmaps", true, false),
    R("Service", "", "v1", "v1", "services", true, true),
    R("ServiceAccount", "", "v1", "v1", "serviceaccounts", true, false),
    R("Event", "", "v1", "v1", "events", true, false),
    R("PersistentVolumeClaim", "", "v1", "v1", "persistentvolumeclaims", true, true),
    R("Pod", "", "v1", "v1", "pods", true, true),
    /* apps/v1 */
    R("Deployment", "apps", "v1", "apps/v1", "deployments", true, true),
    R("StatefulSet", "apps", "v1", "apps/v1", "statefulsets", true, true),
    R("DaemonSet", "apps", "v1", "apps/v1", "daemonsets", true, true),
    R("ReplicaSet", "apps", "v1", "apps/v1", "replicasets", true, true),
    /* batch/v1 */
    R("Job", "batch", "v1", "batch/v1", "jobs", true, true),
    R("CronJob", "batch", "v1", "batch/v1", "cronjobs", true, true),
    /* networking, policy, autoscaling, coordination */
    R("Ingress", "networking.k8s.io", "v1", "networking.k8s.io/v1", "ingresses", true, true),
    R("NetworkPolicy", "networking.k8s.io", "v1", "networking.k8s.io/v1", "networkpolicies", true,
      false),
    R("PodDisruptionBudget", "policy", "v1", "policy/v1", "poddisruptionbudgets", true, true),
    R("HorizontalPodAutoscaler", "autoscaling", "v2", "autoscaling/v2", "horizontalpodautoscalers",
      true, true),
    R("Lease", "coordination.k8s.io", "v1", "coordination.k8s.io/v1", "leases", true, false),
    /* extension and admission machinery */
    R("CustomResourceDefinition", "apiextensions.k8s.io", "v1", "apiextensions.k8s.io/v1",
      "customresourcedefinitions", false, true),
    R("MutatingWebhookConfiguration", "admissionregistration.k8s.io", "v1",
      "admissionregistration.k8s.io/v1", "mutatingwebhookconfigurations", false, false),
    R("ValidatingWebhookConfiguration", "admissionregistration.k8s.io", "v1",
      "admissionregistration.k8s.io/v1", "validatingwebhookconfigurations", false, false),
    /* RBAC */
    R("Role", "rbac.authorization.k8s.io", "v1", "rbac.authorization.k8s.io/v1", "roles", true,
      false),
    R("ClusterRole", "rbac.authorization.k8s.io", "v1", "rbac.authorization.k8s.io/v1",
      "clusterroles", false, false),
    R("RoleBinding", "rbac.authorization.k8s.io", "v1", "rbac.authorization.k8s.io/v1",
      "rolebindings", true, false),
    R("ClusterRoleBinding", "rbac.authorization.k8s.io", "v1", "rbac.authorization.k8s.io/v1",
      "clusterrolebindings", false, false),
    /* AppStack's own kinds */
    R("AppStack", "appstack.io", "v1alpha1", "appstack.io/v1alpha1", "appstacks", true, true),
    R("AppStackPolicy", "appstack.io", "v1alpha1", "appstack.io/v1alpha1", "appstackpolicies",
      false, true),
    R("AppStackPolicyException", "appstack.io", "v1alpha1", "appstack.io/v1alpha1",
      "appstackpolicyexceptions", true, true),
    /* optional integrations */
    R("Certificate", "cert-manager.io", "v1", "cert-manager.io/v1", "certificates", true, true),
    R("Issuer", "cert-manager.io", "v1", "cert-manager.io/v1", "issuers", true, true),
    R("ClusterIssuer", "cert-manager.io", "v1", "cert-manager.io/v1", "clusterissuers", false,
      true),
    R("ServiceMonitor", "monitoring.coreos.com", "v1", "monitoring.coreos.com/v1",
      "servicemonitors", true, false),
    R("PrometheusRule", "monitoring.coreos.com", "v1", "monitoring.coreos.com/v1",
      "prometheusrules", true, false),
    R("HTTPRoute", "gateway.networking.k8s.io", "v1", "gateway.networking.k8s.io/v1", "httproutes",
      true, true),
    R("Gateway", "gateway.networking.k8s.io", "v1", "gateway.networking.k8s.io/v1", "gateways",
      true, true),
    R("PolicyReport", "wgpolicyk8s.io", "v1alpha2", "wgpolicyk8s.io/v1alpha2", "policyreports",
      true, false),
};

#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

const struct as_kube_resource *as_kube_resource_by_kind(const char *api_version, const char *kind)
{
    if (!kind)
        return NULL;
    for (size_t i = 0; i < TABLE_LEN; i++) {
        if (strcmp(table[i].kind, kind) != 0)
            continue;
        if (!api_version || strcmp(table[i].api_version, api_version) == 0)
            return &table[i];
    }
    return NULL;
}

const struct as_kube_resource *as_kube_resource_by_plural(const char *group, const char *plural)
{
    if (!group || !plural)
        return NULL;
    for (size_t i = 0; i < TABLE_LEN; i++) {
        if (strcmp(table[i].group, group) == 0 && strcmp(table[i].plural, plural) == 0)
            return &table[i];
    }
    return NULL;
}

const struct as_kube_resource *as_kube_resource_of(const json_t *obj)
{
    const char *apiv = json_string_value(json_object_get(obj, "apiVersion"));
    const char *kind = json_string_value(json_object_get(obj, "kind"));

    if (!apiv || !kind)
        return NULL;
    return as_kube_resource_by_kind(apiv, kind);
}

const struct as_kube_resource *as_kube_resource_table(unsigned *count)
{
    if (count)
        *count = (unsigned)TABLE_LEN;
    return table;
}
