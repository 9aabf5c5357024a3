/*
 * exposure.c - family "exposure": Ingresses must serve TLS for every host
 * they route, and Services of type NodePort or LoadBalancer need the type in
 * the policy's allowedServiceTypes.
 */
#include <stdio.h>
#include <string.h>

#include "policy/policy_int.h"

/* True when a TLS host entry covers host ("*.example.com" covers one label). */
static bool tls_covers(const char *entry, const char *host)
{
    if (strcmp(entry, host) == 0)
        return true;
    if (strncmp(entry, "*.", 2) == 0) {
        const char *dot = strchr(host, '.');

        return dot && dot != host && strcmp(dot + 1, entry + 2) == 0;
    }
    return false;
}

/* True when any spec.tls[*].hosts entry covers host. */
static bool host_has_tls(const struct as_jv *tls, const char *host)
{
    const struct as_jv *t, *h;
    size_t i, j;

    as_jv_array_foreach(tls, i, t)
    {
        as_jv_array_foreach(as_jv_get(t, "hosts"), j, h)
        {
            if (as_jv_is_string(h) && tls_covers(as_jv_str(h), host))
                return true;
        }
    }
    return false;
}

static void check_ingress(struct as_policy_eval *ev)
{
    const struct as_jv *spec = as_jv_get(ev->obj, "spec");
    const struct as_jv *tls = as_jv_get(spec, "tls");
    const struct as_jv *rule;
    size_t i;

    if (!as_jv_is_array(tls) || as_jv_size(tls) == 0) {
        as__report(ev, "exp-ingress-tls", "spec.tls", "the Ingress has no TLS section");
        return;
    }
    as_jv_array_foreach(as_jv_get(spec, "rules"), i, rule)
    {
        const char *host = as__str(rule, "host");
        char p[AS__PATH_MAX];

        if (!host || host_has_tls(tls, host))
            continue;
        snprintf(p, sizeof p, "spec.rules[%zu].host", i);
        as__report(ev, "exp-ingress-tls", p, "host %s is not listed in any spec.tls[*].hosts",
                   host);
    }
}

static void check_service(struct as_policy_eval *ev)
{
    const char *type = as__str(as_jv_get(ev->obj, "spec"), "type");

    if (!type || (strcmp(type, "NodePort") != 0 && strcmp(type, "LoadBalancer") != 0))
        return;
    if (as__strs_has(&ev->cfg->allowed_service_types, type))
        return;
    as__report(ev, "exp-service-type", "spec.type", "Service type %s is not allowed", type);
}

void as__check_exposure(struct as_policy_eval *ev)
{
    const char *api = as__str(ev->obj, "apiVersion");

    if (!ev->kind)
        return;
    if (strcmp(ev->kind, "Ingress") == 0 && api && strncmp(api, "networking.k8s.io/", 18) == 0) {
        uint64_t t = as__clock(ev);

        check_ingress(ev);
        as__rule_time(ev, AS_R_EXP_INGRESS_TLS, t);
    } else if (strcmp(ev->kind, "Service") == 0 && api && strcmp(api, "v1") == 0) {
        uint64_t t = as__clock(ev);

        check_service(ev);
        as__rule_time(ev, AS_R_EXP_SERVICE_TYPE, t);
    }
}
