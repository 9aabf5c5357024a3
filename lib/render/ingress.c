/*
 * ingress.c - the Ingress form of spec.ingress (with `tls`).
 *
 * Routes that share the same proxy settings (rate limit, body size, timeout,
 * streaming, cacheControl) go in one Ingress; the first group is <stack>,
 * the next <stack>-1, <stack>-2, ... (ingress-nginx settings are per
 * Ingress). Settings are ingress-nginx annotations: ingress-nginx is retired
 * upstream, but its annotations are the de-facto vocabulary and other
 * controllers ignore the nginx.ingress.kubernetes.io annotations harmlessly; the
 * standard-compliant form of the same headers is the HTTPRoute's
 * ResponseHeaderModifier filter (gateway mode, httproute.c).
 * Security headers: a ConfigMap <stack>-headers (<ingress>-headers for a
 * group that adds Cache-Control) referenced by the
 * custom-headers annotation as "<namespace>/<name>" (just "<name>" when the
 * namespace is unknown offline). HTTP is redirected to HTTPS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "render/render_int.h"

/* The Secret holding the Ingress certificate: tls.secretName or <stack>-tls. Caller owns. */
char *r_tls_secret_name(const struct r_ctx *c)
{
    const json_t *tls = rs_obj(rs_obj(c->spec, "ingress"), "tls");

    if (rs_has(tls, "secretName"))
        return strdup(rs_str(tls, "secretName", ""));
    return r_name(c, "tls", 253);
}

/* The settings of a route that force a separate Ingress (new object). */
static json_t *route_key(const json_t *r)
{
    json_t *k = json_object();

    if (!k)
        return NULL;
    if (rs_obj(r, "rateLimit"))
        json_object_set(k, "rateLimit", rs_obj(r, "rateLimit"));
    if (rs_has(r, "maxBodySize"))
        json_object_set(k, "maxBodySize", json_object_get(r, "maxBodySize"));
    json_object_set_new(k, "timeout", json_integer(rs_int(r, "timeoutSeconds", 60)));
    json_object_set_new(k, "streaming", json_boolean(rs_bool(r, "streaming", false)));
    if (rs_has(r, "cacheControl"))
        json_object_set_new(k, "cache", json_string(rs_str(r, "cacheControl", "")));
    return k;
}

/* "10Mi" -> "10m" (nginx size units). */
static void nginx_size(const char *q, char out[32])
{
    size_t n = strlen(q);

    snprintf(out, 32, "%s", q);
    if (n >= 2 && q[n - 1] == 'i' && n < 31) {
        out[n - 2] = (char)(q[n - 2] == 'K' ? 'k' : q[n - 2] == 'M' ? 'm' : 'g');
        out[n - 1] = '\0';
    }
}

/* ingress-nginx annotations of a group. */
static json_t *annotations(struct r_ctx *c, const json_t *r, const char *headers_cm)
{
    json_t *a = json_object(), *rate = rs_obj(r, "rateLimit");
    int64_t t = rs_int(r, "timeoutSeconds", 60);
    char buf[320];
    const char *pfx = "nginx.ingress.kubernetes.io/";
#define SET(k, v)                                                                                  \
    do {                                                                                           \
        char key_[96];                                                                             \
        snprintf(key_, sizeof key_, "%s%s", pfx, k);                                               \
        json_object_set_new(a, key_, json_string(v));                                              \
    } while (0)

    if (!a)
        return NULL;
    SET("ssl-redirect", "true");
    SET("force-ssl-redirect", "true");
    if (rs_bool(r, "streaming", false)) {
        if (t < 3600)
            t = 3600;
        SET("proxy-buffering", "off");
        SET("proxy-request-buffering", "off");
    }
    snprintf(buf, sizeof buf, "%lld", (long long)t);
    SET("proxy-read-timeout", buf);
    SET("proxy-send-timeout", buf);
    if (rate) {
        if (rs_has(rate, "requestsPerSecond")) {
            snprintf(buf, sizeof buf, "%lld", (long long)rs_int(rate, "requestsPerSecond", 1));
            SET("limit-rps", buf);
        } else {
            snprintf(buf, sizeof buf, "%lld", (long long)rs_int(rate, "requestsPerMinute", 1));
            SET("limit-rpm", buf);
        }
        snprintf(buf, sizeof buf, "%lld", (long long)rs_int(rate, "burstMultiplier", 5));
        SET("limit-burst-multiplier", buf);
    }
    if (rs_has(r, "maxBodySize")) {
        char q[32], s[32];
        nginx_size(rs_qty(r, "maxBodySize", "1Mi", q), s);
        SET("proxy-body-size", s);
    }
    if (headers_cm) {
        if (c->ns)
            snprintf(buf, sizeof buf, "%s/%s", c->ns, headers_cm);
        else
            snprintf(buf, sizeof buf, "%s", headers_cm);
        SET("custom-headers", buf);
    }
#undef SET
    return a;
}

/* Appends a path to the rule of host in rules (creating the rule in first-seen order). */
static void add_path(struct r_ctx *c, json_t *rules, const char *host, const json_t *r)
{
    json_t *rule = NULL, *x;
    size_t i;
    char *svc = r_name(c, rs_str(r, "component", "web"), 63);

    json_array_foreach(rules, i, x)
    {
        if (strcmp(rs_str(x, "host", ""), host) == 0)
            rule = x;
    }
    if (!rule) {
        rule = json_pack("{s:s, s:{s:[]}}", "host", host, "http", "paths");
        json_array_append_new(rules, rule);
    }
    json_array_append_new(json_object_get(json_object_get(rule, "http"), "paths"),
                          json_pack("{s:s, s:s, s:{s:{s:s, s:{s:s}}}}", "path",
                                    rs_str(r, "path", "/"), "pathType",
                                    rs_str(r, "pathType", "Prefix"), "backend", "service", "name",
                                    svc ? svc : "", "port", "name", "http"));
    free(svc);
}

/* One Ingress for the routes whose key equals key; group index gi names it. */
static void one_ingress(struct r_ctx *c, const json_t *key, size_t gi)
{
    const json_t *ing = rs_obj(c->spec, "ingress"), *r, *first = NULL;
    json_t *rules = json_array(), *obj, *spec, *hosts = json_array(), *h, *headers;
    char idx[24], *n, *cm = NULL, *tls = r_tls_secret_name(c);
    size_t i;

    snprintf(idx, sizeof idx, "%zu", gi);
    n = gi == 0 ? r_name(c, NULL, 63) : r_name(c, idx, 63);
    json_array_foreach(rs_arr(ing, "routes"), i, r)
    {
        json_t *k = route_key(r);
        if (as_json_equal(k, key)) {
            const char *host = rs_str(r, "host", "");
            add_path(c, rules, *host ? host : rs_str(ing, "host", ""), r);
            if (!first)
                first = r;
        }
        json_decref(k);
    }
    headers = r_security_headers(c, rs_str(first, "cacheControl", NULL));
    if (headers && json_object_size(headers) > 0 && n) {
        /* Shared <stack>-headers, or <ingress>-headers when the group adds Cache-Control. */
        bool own = rs_has(first, "cacheControl");
        char digest[65];
        if (own) {
            size_t len = strlen(idx) + 9;
            char *suffix = malloc(len);
            if (suffix) {
                snprintf(suffix, len, "%s-headers", idx);
                cm = gi == 0 ? r_name(c, "headers", 253) : r_name(c, suffix, 253);
                free(suffix);
            }
        } else {
            cm = r_name(c, "headers", 253);
        }
        if (cm) {
            r_secret_digest(c, cm, digest);
            if (strcmp(digest, "absent") == 0) {
                obj = r_object(c, "v1", "ConfigMap", cm, r_labels(c, "ingress", "ingress"));
                if (obj)
                    json_object_set(obj, "data", headers);
                r_emit(c, obj);
            }
        }
    }
    json_decref(headers);
    json_array_append_new(hosts, json_string(rs_str(ing, "host", "")));
    json_array_foreach(rs_arr(ing, "extraHosts"), i, h)
    {
        json_array_append(hosts, h);
    }
    obj = r_object(c, "networking.k8s.io/v1", "Ingress", n, r_labels(c, "ingress", "ingress"));
    spec = json_pack("{s:o, s:[{s:o, s:s}]}", "rules", rules, "tls", "hosts", hosts, "secretName",
                     tls ? tls : "");
    if (spec && rs_has(ing, "className"))
        json_object_set_new(spec, "ingressClassName", json_string(rs_str(ing, "className", "")));
    if (obj && spec) {
        json_object_set_new(json_object_get(obj, "metadata"), "annotations",
                            annotations(c, first, cm));
        json_object_set_new(obj, "spec", spec);
        r_emit(c, obj);
    } else {
        json_decref(obj);
        json_decref(spec);
        r_fail(c, AS_E_NOMEM);
    }
    free(n);
    free(cm);
    free(tls);
}

/* The Ingress(es) and header ConfigMaps of spec.ingress in Ingress mode. */
void r_build_ingress(struct r_ctx *c)
{
    const json_t *ing = rs_obj(c->spec, "ingress"), *r;
    json_t *keys = json_array(), *k, *seen;
    size_t i, j;

    if (!keys)
        return;
    json_array_foreach(rs_arr(ing, "routes"), i, r)
    {
        bool dup = false;
        k = route_key(r);
        json_array_foreach(keys, j, seen)
        {
            if (as_json_equal(seen, k))
                dup = true;
        }
        if (!dup)
            json_array_append(keys, k);
        json_decref(k);
    }
    json_array_foreach(keys, i, k)
    {
        one_ingress(c, k, i);
    }
    json_decref(keys);
}
