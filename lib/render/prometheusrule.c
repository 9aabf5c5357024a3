/*
 * prometheusrule.c - the PrometheusRule <stack> (when prometheus-operator
 * exists and monitoring.alerts.enabled): one alert per threshold of
 * monitoring.alerts — component down, memory and CPU near the limit, 5xx
 * rate at the ingress (ingress-nginx metrics), volume fill, backup age
 * (kube-state-metrics CronJob last success) and certificate expiry
 * (cert-manager metrics) — each labelled with alerts.labels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "render/render_int.h"

/* Appends one alert rule. */
static void alert(const struct r_ctx *c, json_t *rules, const char *name, const char *expr,
                  int64_t for_minutes, const char *severity, const char *summary)
{
    json_t *labels = json_pack("{s:s}", "severity", severity), *extra, *v, *r;
    const char *k;
    char forbuf[16];

    extra = rs_obj(rs_obj(rs_obj(c->spec, "monitoring"), "alerts"), "labels");
    json_object_foreach(extra, k, v)
    {
        if (labels && json_is_string(v) && strcmp(k, "severity") != 0)
            json_object_set(labels, k, v);
    }
    snprintf(forbuf, sizeof forbuf, "%lldm", (long long)for_minutes);
    r = json_pack("{s:s, s:s, s:s, s:o, s:{s:s}}", "alert", name, "expr", expr, "for", forbuf,
                  "labels", labels, "annotations", "summary", summary);
    json_array_append_new(rules, r);
}

/* `namespace="ns",` or "" offline. */
static void ns_match(const struct r_ctx *c, char out[96])
{
    if (c->ns)
        snprintf(out, 96, "namespace=\"%s\",", c->ns);
    else
        out[0] = '\0';
}

/* "a|b|c": the names of the workloads of a kind ("Deployment" or "StatefulSet") in ctx->out. */
static char *workload_names(const struct r_ctx *c, const char *kind)
{
    struct as_buf b;
    json_t *o;
    size_t i;

    as_buf_init(&b, 16 * 1024);
    json_array_foreach(c->out, i, o)
    {
        if (strcmp(rs_str(o, "kind", ""), kind) == 0)
            as_buf_appendf(&b, "%s%s", b.len ? "|" : "", rs_str(rs_obj(o, "metadata"), "name", ""));
    }
    return as_buf_steal(&b);
}

/* The PrometheusRule. */
void r_build_prometheusrule(struct r_ctx *c)
{
    const json_t *a = rs_obj(rs_obj(c->spec, "monitoring"), "alerts");
    char ns[96], expr[2048], text[256], *deps = workload_names(c, "Deployment");
    char *sts = workload_names(c, "StatefulSet"), *n = r_name(c, NULL, 253);
    json_t *rules = json_array(), *obj;
    static const char *const svcs[] = {"postgres", "redis"};

    ns_match(c, ns);
    if (!rules || !deps || !sts || !n)
        goto done;
    if (*deps) {
        snprintf(expr, sizeof expr,
                 "kube_deployment_status_replicas_available{%sdeployment=~\"%s\"} < 1 and "
                 "kube_deployment_spec_replicas{%sdeployment=~\"%s\"} > 0",
                 ns, deps, ns, deps);
        snprintf(text, sizeof text, "A Deployment of stack %s has no available pod", c->name);
        alert(c, rules, "AppStackComponentDown", expr, rs_int(a, "componentDownMinutes", 2),
              "critical", text);
    }
    if (*sts) {
        snprintf(expr, sizeof expr,
                 "kube_statefulset_status_replicas_ready{%sstatefulset=~\"%s\"} < 1 and "
                 "kube_statefulset_replicas{%sstatefulset=~\"%s\"} > 0",
                 ns, sts, ns, sts);
        snprintf(text, sizeof text, "A StatefulSet of stack %s has no ready pod", c->name);
        alert(c, rules, "AppStackStatefulDown", expr, rs_int(a, "componentDownMinutes", 2),
              "critical", text);
    }
    snprintf(expr, sizeof expr,
             "max by (pod, container) "
             "(container_memory_working_set_bytes{%spod=~\"%s-.*\",container!=\"\"}) "
             "/ max by (pod, container) "
             "(kube_pod_container_resource_limits{%spod=~\"%s-.*\",resource=\"memory\"}) "
             "* 100 > %lld",
             ns, c->name, ns, c->name, (long long)rs_int(a, "memoryPercent", 90));
    alert(c, rules, "AppStackMemoryHigh", expr, 5, "warning",
          "A container is close to its memory limit");
    snprintf(expr, sizeof expr,
             "max by (pod, container) "
             "(rate(container_cpu_usage_seconds_total{%spod=~\"%s-.*\",container!=\"\"}[5m])) "
             "/ max by (pod, container) "
             "(kube_pod_container_resource_limits{%spod=~\"%s-.*\",resource=\"cpu\"}) "
             "* 100 > %lld",
             ns, c->name, ns, c->name, (long long)rs_int(a, "cpuPercent", 90));
    alert(c, rules, "AppStackCPUHigh", expr, 5, "warning", "A container is close to its CPU limit");
    if (rs_obj(c->spec, "ingress")) {
        snprintf(expr, sizeof expr,
                 "sum(rate(nginx_ingress_controller_requests{%singress=~\"%s(-[0-9]+)?\",status=~"
                 "\"5..\"}[5m])) "
                 "/ sum(rate(nginx_ingress_controller_requests{%singress=~\"%s(-[0-9]+)?\"}[5m])) "
                 "* 100 > %lld",
                 ns, c->name, ns, c->name, (long long)rs_int(a, "errorRatePercent", 5));
        alert(c, rules, "AppStackHighErrorRate", expr, 5, "critical",
              "Too many 5xx responses at the stack's Ingress");
    }
    snprintf(
        expr, sizeof expr,
        "kubelet_volume_stats_used_bytes{%spersistentvolumeclaim=~\".*%s-.*\"} / "
        "kubelet_volume_stats_capacity_bytes{%spersistentvolumeclaim=~\".*%s-.*\"} * 100 > %lld",
        ns, c->name, ns, c->name, (long long)rs_int(a, "volumePercent", 85));
    alert(c, rules, "AppStackVolumeFull", expr, 5, "warning",
          "A volume of the stack is filling up");
    for (size_t i = 0; i < 2; i++) {
        const json_t *bk = rs_obj(rs_service(c, svcs[i]), "backup");
        char name[64], *cj;
        if (!rs_service(c, svcs[i]) || !rs_bool(bk, "enabled", true))
            continue;
        snprintf(name, sizeof name, "%s-backup", svcs[i]);
        cj = r_name(c, name, 52);
        snprintf(expr, sizeof expr,
                 "time() - kube_cronjob_status_last_successful_time{%scronjob=\"%s\"} > %lld", ns,
                 cj ? cj : "", (long long)rs_int(a, "backupMaxAgeHours", 26) * 3600);
        snprintf(text, sizeof text, "No successful %s backup for too long", svcs[i]);
        alert(c, rules, i == 0 ? "AppStackPostgresBackupStale" : "AppStackRedisBackupStale", expr,
              10, "warning", text);
        free(cj);
    }
    if (rs_obj(rs_obj(c->spec, "ingress"), "tls")) {
        char *tls = r_tls_secret_name(c);
        snprintf(
            expr, sizeof expr,
            "certmanager_certificate_expiration_timestamp_seconds{%ssecret_name=\"%s\"} - time() "
            "< %lld",
            ns, tls ? tls : "", (long long)rs_int(a, "certificateDaysLeft", 14) * 86400);
        alert(c, rules, "AppStackCertificateExpiring", expr, 10, "warning",
              "The stack's TLS certificate expires soon");
        free(tls);
    }
    obj = r_object(c, "monitoring.coreos.com/v1", "PrometheusRule", n,
                   r_monitor_labels(c, "alerts", "monitoring"));
    if (obj) {
        char group[80];
        snprintf(group, sizeof group, "appstack.%s", c->name);
        json_object_set_new(obj, "spec",
                            json_pack("{s:[{s:s, s:O}]}", "groups", "name", group, "rules", rules));
    }
    r_emit(c, obj);
done:
    json_decref(rules);
    free(deps);
    free(sts);
    free(n);
}
