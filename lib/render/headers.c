/*
 * headers.c - the response security headers of spec.ingress.securityHeaders
 * (HSTS, CSP, X-Frame-Options, nosniff, Referrer-Policy, Permissions-Policy)
 * as one object name -> value, shared by the Ingress form (a ConfigMap for
 * ingress-nginx's custom-headers) and the HTTPRoute form (a standard
 * ResponseHeaderModifier filter).
 */
#include <stdio.h>
#include <string.h>

#include "render/render_int.h"

/* The headers (new object; empty when disabled), plus Cache-Control when cache is set. */
json_t *r_security_headers(const struct r_ctx *c, const char *cache)
{
    const json_t *h = rs_obj(rs_obj(c->spec, "ingress"), "securityHeaders");
    const json_t *hsts = rs_obj(h, "hsts");
    json_t *out = json_object();
    const char *csp = rs_str(h, "contentSecurityPolicy",
                             "default-src 'self'; frame-ancestors 'none'; object-src 'none'; "
                             "base-uri 'self'");
    const char *pp = rs_str(h, "permissionsPolicy", "camera=(), microphone=(), geolocation=()");
    char buf[128];

    if (!out)
        return NULL;
    if (cache)
        json_object_set_new(out, "Cache-Control", json_string(cache));
    if (!rs_bool(h, "enabled", true))
        return out;
    if (rs_bool(hsts, "enabled", true)) {
        snprintf(buf, sizeof buf, "max-age=%lld%s%s",
                 (long long)rs_int(hsts, "maxAgeSeconds", 31536000),
                 rs_bool(hsts, "includeSubDomains", true) ? "; includeSubDomains" : "",
                 rs_bool(hsts, "preload", false) ? "; preload" : "");
        json_object_set_new(out, "Strict-Transport-Security", json_string(buf));
    }
    if (*csp)
        json_object_set_new(out, "Content-Security-Policy", json_string(csp));
    json_object_set_new(out, "X-Frame-Options", json_string(rs_str(h, "frameOptions", "DENY")));
    if (rs_bool(h, "contentTypeNosniff", true))
        json_object_set_new(out, "X-Content-Type-Options", json_string("nosniff"));
    json_object_set_new(
        out, "Referrer-Policy",
        json_string(rs_str(h, "referrerPolicy", "strict-origin-when-cross-origin")));
    if (*pp)
        json_object_set_new(out, "Permissions-Policy", json_string(pp));
    return out;
}
