/*
 * service.c - Services: ClusterIP for web components (port "http", plus
 * "metrics" when metrics.port differs), headless for stateful components
 * (the StatefulSet's serviceName), and a metrics-only Service
 * <stack>-<name>-metrics for a worker that exposes metrics. Service names
 * are DNS-1035 labels (the stack name starts with a letter).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

/* A Service named name selecting app; ports stolen. headless: clusterIP None. New ref. */
json_t *r_service(struct r_ctx *c, const char *name, const char *app, const char *role,
                  json_t *ports, bool headless)
{
    json_t *obj = r_object(c, "v1", "Service", name, r_labels(c, app, role));
    json_t *spec = json_pack("{s:s, s:o, s:o}", "type", "ClusterIP", "selector", r_selector(c, app),
                             "ports", ports);

    if (spec && headless) {
        json_object_set_new(spec, "clusterIP", json_string("None"));
        json_object_set_new(spec, "publishNotReadyAddresses", json_true());
    }
    if (!obj || !spec) {
        json_decref(obj);
        json_decref(spec);
        return NULL;
    }
    json_object_set_new(obj, "spec", spec);
    return obj;
}

/* {name, port, targetPort, protocol}. */
json_t *r_service_port(const char *name, int64_t port)
{
    return json_pack("{s:s, s:I, s:s, s:s}", "name", name, "port", (json_int_t)port, "targetPort",
                     name, "protocol", "TCP");
}

/* The Service(s) of a web, worker or stateful component. */
void r_build_service(struct r_ctx *c, const json_t *comp)
{
    const char *name = rs_str(comp, "name", "app"), *type = rs_str(comp, "type", "web");
    const json_t *m = rs_obj(comp, "metrics");
    int64_t port = rs_int(comp, "port", 0), mport = rs_int(m, "port", port);
    json_t *ports = json_array();
    char *n;

    if (!ports) {
        r_fail(c, AS_E_NOMEM);
        return;
    }
    if (port > 0)
        json_array_append_new(ports, r_service_port("http", port));
    if (m && mport > 0 && mport != port)
        json_array_append_new(ports, r_service_port("metrics", mport));
    if (json_array_size(ports) == 0) {
        json_decref(ports);
        return;
    }
    n = port > 0 ? r_name(c, name, 63) : NULL;
    if (!n) {
        size_t len = strlen(name) + 9;
        char *suffix = malloc(len);
        if (suffix) {
            snprintf(suffix, len, "%s-metrics", name);
            n = r_name(c, suffix, 63);
            free(suffix);
        }
    }
    r_emit(c, r_service(c, n, name, type, ports, strcmp(type, "stateful") == 0));
    free(n);
}
