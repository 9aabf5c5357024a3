/*
 * kinds.c - the child kind table (see kinds.h).
 */
#include "kinds.h"

#include <string.h>

#include "render/render.h"

static const struct as_op_kind table[] = {
    {"v1", "ServiceAccount", 0, NULL, AS_OP_SLIM_IDENTITY},
    {"v1", "Secret", 0, NULL, AS_OP_SLIM_NONE},
    {"v1", "ConfigMap", 0, NULL, AS_OP_SLIM_IDENTITY},
    {"v1", "PersistentVolumeClaim", 0, NULL, AS_OP_SLIM_NONE},
    {"v1", "Service", 0, NULL, AS_OP_SLIM_IDENTITY},
    {"apps/v1", "Deployment", 0, NULL, AS_OP_SLIM_WORKLOAD},
    {"apps/v1", "StatefulSet", 0, NULL, AS_OP_SLIM_WORKLOAD},
    {"batch/v1", "Job", 0, NULL, AS_OP_SLIM_NONE},
    {"batch/v1", "CronJob", 0, NULL, AS_OP_SLIM_NONE},
    {"autoscaling/v2", "HorizontalPodAutoscaler", 0, NULL, AS_OP_SLIM_IDENTITY},
    {"policy/v1", "PodDisruptionBudget", 0, NULL, AS_OP_SLIM_IDENTITY},
    {"networking.k8s.io/v1", "NetworkPolicy", 0, NULL, AS_OP_SLIM_IDENTITY},
    {"networking.k8s.io/v1", "Ingress", 0, NULL, AS_OP_SLIM_IDENTITY},
    {"gateway.networking.k8s.io/v1", "HTTPRoute", AS_API_GATEWAY,
     "httproutes.gateway.networking.k8s.io", AS_OP_SLIM_IDENTITY},
    {"cert-manager.io/v1", "Certificate", AS_API_CERT_MANAGER, "certificates.cert-manager.io",
     AS_OP_SLIM_NONE},
    {"monitoring.coreos.com/v1", "ServiceMonitor", AS_API_PROMETHEUS_OPERATOR,
     "servicemonitors.monitoring.coreos.com", AS_OP_SLIM_IDENTITY},
    {"monitoring.coreos.com/v1", "PrometheusRule", AS_API_PROMETHEUS_OPERATOR,
     "prometheusrules.monitoring.coreos.com", AS_OP_SLIM_IDENTITY},
};

const struct as_op_kind *as_op_kinds(size_t *n)
{
    *n = sizeof(table) / sizeof(table[0]);
    return table;
}

int as_op_kind_index(const char *api_version, const char *kind)
{
    if (api_version == NULL || kind == NULL)
        return -1;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strcmp(table[i].kind, kind) == 0 && strcmp(table[i].api_version, api_version) == 0)
            return (int)i;
    return -1;
}

const struct as_kube_resource *as_op_kind_resource(size_t i)
{
    if (i >= sizeof(table) / sizeof(table[0]))
        return NULL;
    return as_kube_resource_by_kind(table[i].api_version, table[i].kind);
}

enum as_op_slim as_op_kind_slim(size_t i)
{
    return i < sizeof(table) / sizeof(table[0]) ? table[i].slim : AS_OP_SLIM_NONE;
}

unsigned as_op_kind_api_of_crd(const char *crd_name)
{
    for (size_t i = 0; crd_name != NULL && i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].crd != NULL && strcmp(table[i].crd, crd_name) == 0)
            return table[i].needs_api;
    return 0;
}
