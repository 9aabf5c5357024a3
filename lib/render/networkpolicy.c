/*
 * networkpolicy.c - NetworkPolicies: <stack>-default-deny selects every pod
 * of the stack (appstack.io/stack) for ingress and egress; then one policy
 * per component and per data service allows exactly the declared flows:
 * DNS (UDP/TCP 53) to the kube-system namespace; components to the services
 * and components they list in `connections` (and those to accept them);
 * the ingress controller's namespace (networkPolicy.ingressControllerNamespace,
 * default ingress-nginx, matched by kubernetes.io/metadata.name) to routed
 * web components; the monitoring namespace (default monitoring) to metrics
 * ports; `egress` CIDRs; backup and setup Jobs to their server (and the S3
 * endpoint's port anywhere).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

/* A peer selecting pods of the stack with app label app. */
static json_t *pod_peer(const struct r_ctx *c, const char *app)
{
    return json_pack("{s:{s:o}}", "podSelector", "matchLabels", r_selector(c, app));
}

/* A peer selecting a namespace by name. */
static json_t *ns_peer(const char *ns)
{
    return json_pack("{s:{s:{s:s}}}", "namespaceSelector", "matchLabels",
                     "kubernetes.io/metadata.name", ns);
}

/* [{port, protocol TCP}]. */
static json_t *tcp(int64_t port)
{
    return json_pack("[{s:I, s:s}]", "port", (json_int_t)port, "protocol", "TCP");
}

/* The DNS egress rule. */
static json_t *dns_rule(void)
{
    return json_pack("{s:[o], s:[{s:i, s:s}, {s:i, s:s}]}", "to", ns_peer("kube-system"), "ports",
                     "port", 53, "protocol", "UDP", "port", 53, "protocol", "TCP");
}

/* A policy <stack>-<name> for pods whose app label is in apps (stolen). */
static void policy(struct r_ctx *c, const char *name, const char *role, json_t *apps,
                   json_t *ingress, json_t *egress)
{
    char *n = r_name(c, name, 253);
    json_t *obj = r_object(c, "networking.k8s.io/v1", "NetworkPolicy", n, r_labels(c, name, role));
    json_t *spec =
        json_pack("{s:{s:{s:s}, s:[{s:s, s:s, s:o}]}, s:[s,s], s:o, s:o}", "podSelector",
                  "matchLabels", "appstack.io/stack", c->name, "matchExpressions", "key",
                  "app.kubernetes.io/name", "operator", "In", "values", apps, "policyTypes",
                  "Ingress", "Egress", "ingress", ingress, "egress", egress);

    if (obj && spec) {
        json_object_set_new(obj, "spec", spec);
        r_emit(c, obj);
    } else {
        json_decref(obj);
        json_decref(spec);
        r_fail(c, AS_E_NOMEM);
    }
    free(n);
}

/* Apps (component names, with migration pods) connecting to target. */
static void add_clients(struct r_ctx *c, json_t *from, const char *target)
{
    json_t *comp, *x;
    size_t i, j;

    json_array_foreach(rs_arr(c->spec, "components"), i, comp)
    {
        json_array_foreach(rs_arr(comp, "connections"), j, x)
        {
            if (strcmp(rs_str(x, "name", ""), target) == 0) {
                json_array_append_new(from, pod_peer(c, rs_str(comp, "name", "")));
                if (rs_obj(comp, "migrate")) {
                    char app[48];
                    r_migration_app(c, comp, app);
                    json_array_append_new(from, pod_peer(c, app));
                }
                break;
            }
        }
    }
}

/* True when a route targets the component. */
static bool routed(const struct r_ctx *c, const char *name)
{
    json_t *r;
    size_t i;

    json_array_foreach(rs_arr(rs_obj(c->spec, "ingress"), "routes"), i, r)
    {
        if (strcmp(rs_str(r, "component", ""), name) == 0)
            return true;
    }
    return false;
}

/* The policy of one component. */
static void component_policy(struct r_ctx *c, const json_t *comp)
{
    const char *name = rs_str(comp, "name", "app");
    const json_t *np = rs_obj(c->spec, "networkPolicy"), *m = rs_obj(comp, "metrics"), *x;
    int64_t port = rs_int(comp, "port", 0);
    json_t *ingress = json_array(), *egress = json_array(), *apps = json_pack("[s]", name), *from;
    size_t i;

    if (rs_obj(comp, "migrate")) {
        char app[48];
        r_migration_app(c, comp, app);
        json_array_append_new(apps, json_string(app));
    }
    if (port > 0) {
        from = json_array();
        add_clients(c, from, name);
        if (routed(c, name))
            json_array_append_new(
                from, ns_peer(rs_str(np, "ingressControllerNamespace", "ingress-nginx")));
        if (json_array_size(from) > 0)
            json_array_append_new(ingress,
                                  json_pack("{s:o, s:o}", "from", from, "ports", tcp(port)));
        else
            json_decref(from);
    }
    if (m && c->monitoring)
        json_array_append_new(ingress,
                              json_pack("{s:[o], s:o}", "from",
                                        ns_peer(rs_str(np, "monitoringNamespace", "monitoring")),
                                        "ports", tcp(rs_int(m, "port", port))));
    json_array_append_new(egress, dns_rule());
    json_array_foreach(rs_arr(comp, "connections"), i, x)
    {
        const char *t = rs_str(x, "name", "");
        int64_t tp = strcmp(t, "postgres") == 0 ? 5432
                     : strcmp(t, "redis") == 0  ? 6379
                                                : rs_int(rs_component(c, t), "port", 0);
        json_array_append_new(egress,
                              json_pack("{s:[o], s:o}", "to", pod_peer(c, t), "ports", tcp(tp)));
    }
    json_array_foreach(rs_arr(comp, "egress"), i, x)
    {
        json_t *block = json_pack("{s:s}", "cidr", rs_str(x, "cidr", "0.0.0.0/0"));
        json_t *rule, *p;
        size_t j;
        if (block && rs_arr(x, "except"))
            json_object_set(block, "except", rs_arr(x, "except"));
        rule = json_pack("{s:[{s:o}]}", "to", "ipBlock", block);
        if (rule && rs_arr(x, "ports")) {
            json_t *ports = json_array();
            json_array_foreach(rs_arr(x, "ports"), j, p)
            {
                json_array_append_new(ports, json_pack("{s:O, s:s}", "port", p, "protocol", "TCP"));
            }
            json_object_set_new(rule, "ports", ports);
        }
        json_array_append_new(egress, rule);
    }
    policy(c, name, rs_str(comp, "type", "web"), apps, ingress, egress);
}

/* Port of an http(s) URL: explicit, else 443 / 80. */
static int64_t url_port(const char *url)
{
    const char *host = strstr(url, "://"), *colon, *slash;
    char *end;
    long v;

    if (!host)
        return 443;
    host += 3;
    slash = strchr(host, '/');
    colon = strchr(host, ':');
    if (colon && (!slash || colon < slash)) {
        v = strtol(colon + 1, &end, 10);
        if (v > 0 && v < 65536)
            return v;
    }
    return strncmp(url, "http://", 7) == 0 ? 80 : 443;
}

/* The policies of a data service and of its Jobs. */
static void service_policy(struct r_ctx *c, const char *which, int64_t port, int64_t mport)
{
    const json_t *svc = rs_service(c, which), *bk = rs_obj(svc, "backup");
    const json_t *s3 = rs_obj(rs_obj(bk, "destination"), "s3");
    const json_t *np = rs_obj(c->spec, "networkPolicy");
    json_t *from = json_array(), *ingress, *egress, *apps = json_array();
    char jobs[32], setup[32], backup[32];
    bool is_pg = strcmp(which, "postgres") == 0, has_backup = rs_bool(bk, "enabled", true);

    if (!svc) {
        json_decref(from);
        json_decref(apps);
        return;
    }
    snprintf(jobs, sizeof jobs, "%s-jobs", which);
    snprintf(setup, sizeof setup, "%s-setup", which);
    snprintf(backup, sizeof backup, "%s-backup", which);
    add_clients(c, from, which);
    if (is_pg)
        json_array_append_new(from, pod_peer(c, setup));
    if (has_backup)
        json_array_append_new(from, pod_peer(c, backup));
    ingress = json_pack("[{s:o, s:o}]", "from", from, "ports", tcp(port));
    if (ingress && c->exporters)
        json_array_append_new(ingress,
                              json_pack("{s:[o], s:o}", "from",
                                        ns_peer(rs_str(np, "monitoringNamespace", "monitoring")),
                                        "ports", tcp(mport)));
    policy(c, which, is_pg ? "database" : "cache", json_pack("[s]", which), ingress,
           json_pack("[o]", dns_rule()));
    if (is_pg)
        json_array_append_new(apps, json_string(setup));
    if (has_backup)
        json_array_append_new(apps, json_string(backup));
    if (json_array_size(apps) == 0) {
        json_decref(apps);
        return;
    }
    egress =
        json_pack("[o, {s:[o], s:o}]", dns_rule(), "to", pod_peer(c, which), "ports", tcp(port));
    if (egress && s3 && has_backup)
        json_array_append_new(egress, json_pack("{s:[{s:{s:s}}], s:o}", "to", "ipBlock", "cidr",
                                                "0.0.0.0/0", "ports",
                                                tcp(url_port(rs_str(s3, "endpoint", "")))));
    policy(c, jobs, "backup", apps, json_array(), egress);
}

/* Every NetworkPolicy (when networkPolicy.enabled). */
void r_build_networkpolicies(struct r_ctx *c)
{
    json_t *comp, *obj;
    size_t i;
    char *n;

    if (!rs_bool(rs_obj(c->spec, "networkPolicy"), "enabled", true))
        return;
    n = r_name(c, "default-deny", 253);
    obj = r_object(c, "networking.k8s.io/v1", "NetworkPolicy", n,
                   r_labels(c, "default-deny", "network"));
    if (obj)
        json_object_set_new(obj, "spec",
                            json_pack("{s:{s:{s:s}}, s:[s,s]}", "podSelector", "matchLabels",
                                      "appstack.io/stack", c->name, "policyTypes", "Ingress",
                                      "Egress"));
    r_emit(c, obj);
    free(n);
    json_array_foreach(rs_arr(c->spec, "components"), i, comp)
    {
        component_policy(c, comp);
    }
    service_policy(c, "postgres", 5432, 9187);
    service_policy(c, "redis", 6379, 9121);
}
