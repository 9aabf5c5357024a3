/*
 * servicemonitor.c - ServiceMonitors (monitoring.coreos.com/v1), rendered
 * only when prometheus-operator exists and monitoring is on (otherwise pods
 * carry prometheus.io/scrape annotations, see component.c): one per
 * component with `metrics` and one per exporter sidecar, selecting the
 * component's Service by labels, labelled with monitoring.serviceMonitorLabels
 * so the cluster's Prometheus selects them.
 */
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

/* Labels of a monitoring object: the child labels plus serviceMonitorLabels. */
json_t *r_monitor_labels(const struct r_ctx *c, const char *app, const char *role)
{
    json_t *l = r_labels(c, app, role),
           *extra = rs_obj(rs_obj(c->spec, "monitoring"), "serviceMonitorLabels");
    const char *k;
    json_t *v;

    json_object_foreach(extra, k, v)
    {
        if (l && json_is_string(v) && !json_object_get(l, k))
            json_object_set(l, k, v);
    }
    return l;
}

/* ServiceMonitor <stack>-<app> scraping port_name at path every interval. */
void r_build_servicemonitor(struct r_ctx *c, const char *app, const char *port_name,
                            const char *path, const char *interval)
{
    char *n = r_name(c, app, 253);
    json_t *obj = r_object(c, "monitoring.coreos.com/v1", "ServiceMonitor", n,
                           r_monitor_labels(c, app, "monitoring"));

    if (obj)
        json_object_set_new(obj, "spec",
                            json_pack("{s:{s:o}, s:[{s:s, s:s, s:s, s:s}]}", "selector",
                                      "matchLabels", r_selector(c, app), "endpoints", "port",
                                      port_name, "path", path, "interval", interval, "scheme",
                                      "http"));
    r_emit(c, obj);
    free(n);
}

/* ServiceMonitors of the components with metrics (services add theirs). */
void r_build_monitoring(struct r_ctx *c)
{
    json_t *comp;
    size_t i;

    if (!c->monitoring)
        return;
    json_array_foreach(rs_arr(c->spec, "components"), i, comp)
    {
        const json_t *m = rs_obj(comp, "metrics");
        int64_t port = rs_int(comp, "port", 0), mport = rs_int(m, "port", port);
        if (!m || !c->prom_operator || strcmp(rs_str(comp, "type", ""), "cron") == 0)
            continue;
        r_build_servicemonitor(c, rs_str(comp, "name", "app"), mport != port ? "metrics" : "http",
                               rs_str(m, "path", "/metrics"), rs_str(m, "interval", "30s"));
    }
    if (c->prom_operator &&
        rs_bool(rs_obj(rs_obj(c->spec, "monitoring"), "alerts"), "enabled", true))
        r_build_prometheusrule(c);
    if (rs_bool(rs_obj(c->spec, "monitoring"), "dashboard", true))
        r_build_dashboard(c);
}
