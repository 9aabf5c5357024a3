/*
 * configmap.c - the Grafana dashboard ConfigMap <stack>-dashboard, labelled
 * grafana_dashboard: "1" so Grafana's sidecar loads it: request rate, 5xx
 * share and p95 latency at the ingress, CPU and memory per pod, and the
 * postgres and redis panels when those services exist. (The redis.conf
 * ConfigMap is in redis.c, the header ConfigMaps in ingress.c.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "render/render_int.h"

/* One timeseries panel at grid position (x, y). */
static json_t *panel(int id, const char *title, const char *expr, const char *unit, int x, int y)
{
    return json_pack("{s:i, s:s, s:s, s:{s:s, s:s}, s:[{s:s, s:s, s:s}], s:{s:{s:s}}, "
                     "s:{s:i, s:i, s:i, s:i}}",
                     "id", id, "title", title, "type", "timeseries", "datasource", "type",
                     "prometheus", "uid", "${datasource}", "targets", "refId", "A", "expr", expr,
                     "legendFormat", "{{pod}}", "fieldConfig", "defaults", "unit", unit, "gridPos",
                     "h", 8, "w", 12, "x", x, "y", y);
}

/* ConfigMap <stack>-dashboard. */
void r_build_dashboard(struct r_ctx *c)
{
    char e[6][512], *n = r_name(c, "dashboard", 253), *text = NULL, key[80];
    json_t *panels = json_array(), *dash, *obj, *labels;
    int id = 1, y = 0;

    if (!n || !panels)
        goto done;
    snprintf(e[0], sizeof e[0],
             "sum(rate(nginx_ingress_controller_requests{ingress=~\"%s(-[0-9]+)?\"}[5m]))",
             c->name);
    snprintf(e[1], sizeof e[1],
             "sum(rate(nginx_ingress_controller_requests{ingress=~\"%s(-[0-9]+)?\",status=~\"5..\"}"
             "[5m])) / "
             "sum(rate(nginx_ingress_controller_requests{ingress=~\"%s(-[0-9]+)?\"}[5m]))",
             c->name, c->name);
    snprintf(e[2], sizeof e[2],
             "histogram_quantile(0.95, sum by (le) "
             "(rate(nginx_ingress_controller_request_duration_seconds_bucket{ingress=~\"%s(-[0-9]+)"
             "?\"}[5m])))",
             c->name);
    snprintf(e[3], sizeof e[3],
             "sum by (pod) "
             "(rate(container_cpu_usage_seconds_total{pod=~\"%s-.*\",container!=\"\"}[5m]))",
             c->name);
    snprintf(e[4], sizeof e[4],
             "sum by (pod) (container_memory_working_set_bytes{pod=~\"%s-.*\",container!=\"\"})",
             c->name);
    if (rs_obj(c->spec, "ingress")) {
        json_array_append_new(panels, panel(id++, "Requests per second", e[0], "reqps", 0, y));
        json_array_append_new(panels, panel(id++, "5xx share", e[1], "percentunit", 12, y));
        y += 8;
        json_array_append_new(panels, panel(id++, "Latency p95", e[2], "s", 0, y));
        y += 8;
    }
    json_array_append_new(panels, panel(id++, "CPU per pod", e[3], "cores", 0, y));
    json_array_append_new(panels, panel(id++, "Memory per pod", e[4], "bytes", 12, y));
    y += 8;
    if (rs_service(c, "postgres")) {
        snprintf(e[5], sizeof e[5],
                 "sum by (datname) (pg_stat_activity_count{pod=~\"%s-postgres-.*\"})", c->name);
        json_array_append_new(panels, panel(id++, "PostgreSQL connections", e[5], "short", 0, y));
    }
    if (rs_service(c, "redis")) {
        snprintf(e[5], sizeof e[5], "redis_memory_used_bytes{pod=~\"%s-redis-.*\"}", c->name);
        json_array_append_new(panels, panel(id++, "Redis memory", e[5], "bytes", 12, y));
    }
    dash = json_pack("{s:s, s:s, s:[s,s], s:i, s:s, s:{s:s, s:s}, s:o, s:{s:[{s:s, s:s, s:s}]}}",
                     "title", c->name, "uid", n, "tags", "appstack", c->name, "schemaVersion", 39,
                     "refresh", "30s", "time", "from", "now-6h", "to", "now", "panels", panels,
                     "templating", "list", "name", "datasource", "type", "datasource", "query",
                     "prometheus");
    panels = NULL;
    text = dash ? as_json_dump_canonical(dash) : NULL;
    json_decref(dash);
    if (!text)
        goto done;
    labels = r_labels(c, "dashboard", "monitoring");
    if (labels)
        json_object_set_new(labels, "grafana_dashboard", json_string("1"));
    obj = r_object(c, "v1", "ConfigMap", n, labels);
    snprintf(key, sizeof key, "%s.json", c->name);
    if (obj)
        json_object_set_new(obj, "data", json_pack("{s:s}", key, text));
    r_emit(c, obj);
done:
    json_decref(panels);
    free(text);
    free(n);
}
