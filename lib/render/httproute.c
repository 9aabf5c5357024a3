/*
 * httproute.c - the Gateway API form of spec.ingress (with `gateway`): one
 * HTTPRoute per host (<stack> for the first host seen, <stack>-1, ... for
 * the next), attached to the Gateway (parentRefs), each rule with a standard
 * ResponseHeaderModifier filter setting the security headers (and
 * Cache-Control) and timeouts.request. TLS is the Gateway listener's job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

/* The header filter of a route (NULL when there are no headers). */
static json_t *header_filter(const struct r_ctx *c, const json_t *r)
{
    json_t *h = r_security_headers(c, rs_str(r, "cacheControl", NULL)), *keys, *k, *set, *f;
    size_t i;

    if (!h || json_object_size(h) == 0) {
        json_decref(h);
        return NULL;
    }
    keys = r_sorted_keys(h);
    set = json_array();
    json_array_foreach(keys, i, k)
    {
        const char *name = json_string_value(k);
        json_array_append_new(set,
                              json_pack("{s:s, s:s}", "name", name, "value", rs_str(h, name, "")));
    }
    f = json_pack("{s:s, s:{s:o}}", "type", "ResponseHeaderModifier", "responseHeaderModifier",
                  "set", set);
    json_decref(keys);
    json_decref(h);
    return f;
}

/* One rule of an HTTPRoute. */
static json_t *rule(struct r_ctx *c, const json_t *r)
{
    const char *comp = rs_str(r, "component", "web");
    const json_t *target = rs_component(c, comp);
    int64_t t = rs_int(r, "timeoutSeconds", 60);
    char *svc = r_name(c, comp, 63), tbuf[32];
    json_t *filter = header_filter(c, r), *out;

    if (rs_bool(r, "streaming", false) && t < 3600)
        t = 3600;
    snprintf(tbuf, sizeof tbuf, "%llds", (long long)t);
    out = json_pack("{s:[{s:{s:s, s:s}}], s:[{s:s, s:I}], s:{s:s}}", "matches", "path", "type",
                    strcmp(rs_str(r, "pathType", "Prefix"), "Exact") == 0 ? "Exact" : "PathPrefix",
                    "value", rs_str(r, "path", "/"), "backendRefs", "name", svc ? svc : "", "port",
                    (json_int_t)rs_int(target, "port", 80), "timeouts", "request", tbuf);
    if (out && filter)
        json_object_set_new(out, "filters", json_pack("[o]", filter));
    else
        json_decref(filter);
    free(svc);
    return out;
}

/* The HTTPRoutes of spec.ingress in gateway mode. */
void r_build_httproute(struct r_ctx *c)
{
    const json_t *ing = rs_obj(c->spec, "ingress"), *gw = rs_obj(ing, "gateway"), *r;
    json_t *h;
    json_t *hosts = json_array();
    size_t i, j;

    if (!hosts)
        return;
    json_array_append_new(hosts, json_string(rs_str(ing, "host", "")));
    json_array_foreach(rs_arr(ing, "extraHosts"), i, h)
    {
        json_array_append(hosts, h);
    }
    json_array_foreach(hosts, j, h)
    {
        const char *host = json_string_value(h);
        json_t *rules = json_array(), *parent, *obj;
        char idx[24], *n;
        json_array_foreach(rs_arr(ing, "routes"), i, r)
        {
            const char *rh = rs_str(r, "host", "");
            if (strcmp(*rh ? rh : rs_str(ing, "host", ""), host ? host : "") == 0)
                json_array_append_new(rules, rule(c, r));
        }
        if (json_array_size(rules) == 0) {
            json_decref(rules);
            continue;
        }
        snprintf(idx, sizeof idx, "%zu", j);
        n = j == 0 ? r_name(c, NULL, 63) : r_name(c, idx, 63);
        parent = json_pack("{s:s, s:s, s:s}", "group", "gateway.networking.k8s.io", "kind",
                           "Gateway", "name", rs_str(gw, "name", ""));
        if (parent && rs_has(gw, "namespace"))
            json_object_set_new(parent, "namespace", json_string(rs_str(gw, "namespace", "")));
        if (parent && rs_has(gw, "sectionName"))
            json_object_set_new(parent, "sectionName", json_string(rs_str(gw, "sectionName", "")));
        obj = r_object(c, "gateway.networking.k8s.io/v1", "HTTPRoute", n,
                       r_labels(c, "ingress", "ingress"));
        if (obj)
            json_object_set_new(obj, "spec",
                                json_pack("{s:[o], s:[s], s:o}", "parentRefs", parent, "hostnames",
                                          host, "rules", rules));
        else {
            json_decref(parent);
            json_decref(rules);
        }
        r_emit(c, obj);
        free(n);
    }
    json_decref(hosts);
}
