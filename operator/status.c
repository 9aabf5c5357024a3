/*
 * status.c - as_op_compute_status: a chain of small pure checks (one per
 * condition, as cert-manager's policy chains), then the summary conditions
 * Stalled, Reconciling and Ready, then the assembly with kept
 * lastTransitionTimes. See status.h for the rules.
 */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "kube/object.h"
#include "optime.h"
#include "status_int.h"

#define INVENTORY_MAX 512

static const char *const cond_types[C__COUNT] = {
    "Ready",           "Reconciling",          "Stalled",          "ComponentsAvailable",
    "DatabaseReady",   "CacheReady",           "CertificateReady", "BackupHealthy",
    "PolicyCompliant", "OptionalAPIsAvailable"};

/* ---------------------------------------------------------------- policy and APIs */

static void check_policy(struct ctx *x)
{
    const struct as_op_policy_facts *p = &x->f->policy;
    struct cond *c = &x->c[C_POLICY];
    json_t *pol;

    if (!p->evaluated)
        return;
    pol = json_pack("{s:b, s:i}", "compliant", p->compliant, "violations", p->violations);
    if (p->message && p->message[0]) {
        char buf[4096];
        snprintf(buf, sizeof(buf), "%s", p->message);
        st_set_str(pol, "message", buf);
    }
    json_object_set_new(x->status, "policy", pol);
    if (p->compliant && p->violations == 0) {
        st_set_cond(x, C_POLICY, "True", "Compliant");
        st_madd(&c->msg, "the rendered objects pass the admission policy");
    } else {
        st_set_cond(x, C_POLICY, p->compliant ? "True" : "False",
                    p->compliant ? "Compliant" : "Violations");
        st_madd(&c->msg, "%d policy violation%s%s%s", p->violations, p->violations == 1 ? "" : "s",
                p->compliant ? " (none enforced)" : "", " (see status.policy)");
    }
}

static void check_apis(struct ctx *x)
{
    const json_t *ing = json_object_get(x->spec, "ingress");
    struct cond *c = &x->c[C_APIS];
    const char *first = NULL;

    if (json_object_get(json_object_get(ing, "tls"), "issuerRef") &&
        !json_object_get(ing, "gateway") && !(x->f->apis & AS_API_CERT_MANAGER)) {
        first = "CertManagerMissing";
        st_madd(&c->msg, "cert-manager is missing: no certificate can be issued for "
                         "tls.issuerRef (use tls.selfSigned or install cert-manager)");
    }
    if (st_bget(x->spec, "monitoring.enabled", true) &&
        !(x->f->apis & AS_API_PROMETHEUS_OPERATOR)) {
        if (!first)
            first = "PrometheusOperatorMissing";
        st_madd(&c->msg,
                "%sprometheus-operator is missing: prometheus.io scrape annotations are "
                "used instead of ServiceMonitors, and no alert rules are installed",
                c->msg.len ? "; " : "");
    }
    if (ing && json_object_get(ing, "gateway") && !(x->f->apis & AS_API_GATEWAY)) {
        if (!first)
            first = "GatewayAPIMissing";
        st_madd(&c->msg,
                "%sGateway API is missing: the HTTPRoute cannot be created and there is "
                "no fallback (install the Gateway API CRDs or use ingress.tls)",
                c->msg.len ? "; " : "");
    }
    if (first) {
        st_set_cond(x, C_APIS, "False", first);
    } else {
        st_set_cond(x, C_APIS, "True", "AllPresent");
        st_madd(&c->msg, "every optional API the spec uses is present");
    }
}

/* ---------------------------------------------------------------- summaries */

/* Desired objects not in the cache yet: counts them and names the first. */
static size_t missing_children(struct ctx *x, char *first, size_t size)
{
    const json_t *o;
    size_t i, n = 0;

    json_array_foreach(x->desired, i, o)
    {
        const char *k = json_string_value(json_object_get(o, "kind"));
        const char *nm = as_kube_obj_name(o);
        if (k && nm && !st_live_get(x, k, nm)) {
            if (n == 0)
                snprintf(first, size, "%s %s", k, nm);
            n++;
        }
    }
    return n;
}

static void check_stalled(struct ctx *x)
{
    const struct as_op_status_facts *f = x->f;
    struct cond *c = &x->c[C_STALLED];
    const json_t *ing = json_object_get(x->spec, "ingress");

    if (f->render_result == AS_E_CONFIG) {
        st_set_cond(x, C_STALLED, "True", "InvalidSpec");
        st_madd(&c->msg, "the spec cannot be rendered (running objects are kept):");
        for (size_t i = 0; f->render_errors && i < f->render_errors->count; i++)
            st_madd(&c->msg, "\n%s", f->render_errors->items[i]);
        if (!f->render_errors || f->render_errors->count == 0)
            st_madd(&c->msg, " invalid spec");
    } else if (f->missing_secrets) {
        st_set_cond(x, C_STALLED, "True", "SecretMissing");
        st_madd(&c->msg, "missing in spec.secrets.fromExisting: %s — create them",
                f->missing_secrets);
    } else if (x->c[C_CERTIFICATE].set &&
               strcmp(x->c[C_CERTIFICATE].reason, "SecretMissing") == 0) {
        st_set_cond(x, C_STALLED, "True", "SecretMissing");
        st_madd(&c->msg, "%s", st_text(&x->c[C_CERTIFICATE].msg));
    } else if (f->apply_error) {
        st_set_cond(x, C_STALLED, "True", "ApplyRejected");
        st_madd(&c->msg, "%s", f->apply_error);
    } else if (ing && json_object_get(ing, "gateway") && !(f->apis & AS_API_GATEWAY)) {
        st_set_cond(x, C_STALLED, "True", "APIMissing");
        st_madd(&c->msg,
                "spec.ingress.gateway needs the Gateway API (gateway.networking.k8s.io/v1), "
                "which the cluster lacks — install its CRDs or use ingress.tls");
    } else if (x->migration_failed) {
        st_set_cond(x, C_STALLED, "True", "MigrationFailed");
        st_madd(&c->msg, "%s", st_text(&x->migration_msg));
    } else {
        st_set_cond(x, C_STALLED, "False", "NotStalled");
        st_madd(&c->msg, "no error needs a human");
    }
}

static void check_reconciling(struct ctx *x)
{
    struct cond *c = &x->c[C_RECONCILING];
    char first[NAME_MAX_LEN];
    size_t missing = 0;

    if (strcmp(x->c[C_STALLED].status, "True") == 0) {
        st_set_cond(x, C_RECONCILING, "False", "Reconciled");
        st_madd(&c->msg, "no progress until the Stalled condition is resolved");
        return;
    }
    if (x->desired)
        missing = missing_children(x, first, sizeof(first));
    if (x->f->render_result == AS_E_MISSING) {
        st_set_cond(x, C_RECONCILING, "True", "Progressing");
        st_madd(&c->msg, "generating the stack's secrets");
    } else if (x->f->applied > 0 || missing > 0) {
        st_set_cond(x, C_RECONCILING, "True", "Progressing");
        if (x->f->applied > 0)
            st_madd(&c->msg, "applied %zu object%s", x->f->applied, x->f->applied == 1 ? "" : "s");
        if (missing > 0)
            st_madd(&c->msg, "%swaiting for %s%s", x->f->applied ? "; " : "", first,
                    missing > 1 ? " and others" : "");
    } else if (x->migration_running) {
        st_set_cond(x, C_RECONCILING, "True", "MigrationRunning");
        st_madd(&c->msg, "a migration Job is running; the Deployment changes after it succeeds");
    } else if (x->rolling) {
        st_set_cond(x, C_RECONCILING, "True", "RollingOut");
        st_madd(&c->msg, "rolling out: %s", st_text(&x->rolling_msg));
    } else if (x->issuing) {
        st_set_cond(x, C_RECONCILING, "True", "WaitingForCertificate");
        st_madd(&c->msg, "waiting for the TLS certificate");
    } else {
        st_set_cond(x, C_RECONCILING, "False", "Reconciled");
        st_madd(&c->msg, "every child matches the spec");
    }
}

static bool is_false(const struct ctx *x, enum cond_id id)
{
    return x->c[id].set && strcmp(x->c[id].status, "False") == 0;
}

static void check_ready(struct ctx *x)
{
    static const struct {
        enum cond_id id;
        const char *reason;
    } blockers[] = {{C_COMPONENTS, "ComponentsUnavailable"},
                    {C_DATABASE, "DatabaseNotReady"},
                    {C_CACHE, "CacheNotReady"},
                    {C_CERTIFICATE, "CertificateNotReady"}};
    struct cond *c = &x->c[C_READY];

    if (strcmp(x->c[C_STALLED].status, "True") == 0) {
        st_set_cond(x, C_READY, "False",
                    strcmp(x->c[C_STALLED].reason, "SecretMissing") == 0 ? "SecretMissing"
                                                                         : "Stalled");
        st_madd(&c->msg, "stalled: %s", st_text(&x->c[C_STALLED].msg));
        return;
    }
    if (x->suspended) {
        st_set_cond(x, C_READY, "False", "Suspended");
        st_madd(&c->msg, "spec.suspend is true");
        return;
    }
    if (strcmp(x->c[C_RECONCILING].status, "True") == 0) {
        st_set_cond(x, C_READY, "False", "Reconciling");
        st_madd(&c->msg, "%s", st_text(&x->c[C_RECONCILING].msg));
        return;
    }
    for (size_t i = 0; i < sizeof(blockers) / sizeof(blockers[0]); i++)
        if (is_false(x, blockers[i].id)) {
            st_set_cond(x, C_READY, "False", blockers[i].reason);
            st_madd(&c->msg, "%s", st_text(&x->c[blockers[i].id].msg));
            return;
        }
    if (is_false(x, C_BACKUP) && strcmp(x->c[C_BACKUP].reason, "Suspended") != 0) {
        st_set_cond(x, C_READY, "False", "BackupUnhealthy");
        st_madd(&c->msg, "%s", st_text(&x->c[C_BACKUP].msg));
        return;
    }
    st_set_cond(x, C_READY, "True", "Available");
    st_madd(&c->msg, "every component is available");
}

/* ---------------------------------------------------------------- assembly */

const json_t *as_op_condition(const json_t *status, const char *type)
{
    const json_t *c;
    size_t i;

    json_array_foreach(json_object_get(status, "conditions"), i, c)
    {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}

static json_t *conditions(struct ctx *x, const json_t *old_status)
{
    json_t *arr = json_array();
    char now[AS_OP_TIME_MAX];

    as_op_time_format(x->f->now, now);
    for (int i = 0; i < C__COUNT; i++) {
        const json_t *old = as_op_condition(old_status, cond_types[i]);
        const char *os = json_string_value(json_object_get(old, "status"));
        const char *ot = json_string_value(json_object_get(old, "lastTransitionTime"));
        struct cond *c = &x->c[i];
        if (!c->set)
            continue;
        json_array_append_new(arr,
                              json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "type", cond_types[i],
                                        "status", c->status, "observedGeneration",
                                        (json_int_t)x->gen, "lastTransitionTime",
                                        (os && ot && strcmp(os, c->status) == 0) ? ot : now,
                                        "reason", c->reason, "message", st_text(&c->msg)));
    }
    return arr;
}

static const char *ref_field(const json_t *r, const char *k)
{
    const char *s = json_string_value(json_object_get(r, k));

    return s ? s : "";
}

static int inv_cmp(const void *pa, const void *pb)
{
    const json_t *a = *(const json_t *const *)pa, *b = *(const json_t *const *)pb;
    static const char *const keys[] = {"apiVersion", "kind", "namespace", "name"};
    int c;

    for (size_t i = 0; i < 4; i++)
        if ((c = strcmp(ref_field(a, keys[i]), ref_field(b, keys[i]))) != 0)
            return c;
    return 0;
}

static json_t *inventory(struct ctx *x)
{
    size_t n = json_array_size(x->desired), i, k = 0;
    json_t **v = calloc(n + 1, sizeof(*v)), *arr = json_array();
    const json_t *o;
    const char *dflt = as_kube_obj_namespace(x->stack);

    if (!v || !arr) {
        free(v);
        json_decref(arr);
        return NULL;
    }
    json_array_foreach(x->desired, i, o)
    {
        const char *ns = as_kube_obj_namespace(o) ? as_kube_obj_namespace(o) : dflt;
        json_t *r =
            json_pack("{s:s, s:s, s:s}", "apiVersion", ref_field(o, "apiVersion"), "kind",
                      ref_field(o, "kind"), "name", as_kube_obj_name(o) ? as_kube_obj_name(o) : "");
        if (r && ns)
            json_object_set_new(r, "namespace", json_string(ns));
        if (r)
            v[k++] = r;
    }
    qsort(v, k, sizeof(*v), inv_cmp);
    for (i = 0; i < k; i++)
        if (i < INVENTORY_MAX)
            json_array_append_new(arr, v[i]);
        else
            json_decref(v[i]);
    free(v);
    return arr;
}

as_status as_op_compute_status(const json_t *appstack, const json_t *desired, const json_t *live,
                               const struct as_op_status_facts *facts, const json_t *old_status,
                               json_t **out, struct as_error *err)
{
    struct ctx x;
    const char *host;
    as_status st = AS_OK;

    if (!facts || !as_kube_obj_name(appstack))
        return as_error_set(err, AS_E_INVALID_ARG, "compute status: %s",
                            facts ? "metadata.name: required value is missing"
                                  : "facts are required");
    memset(&x, 0, sizeof(x));
    x.stack = appstack;
    x.spec = json_object_get(appstack, "spec");
    x.desired = json_is_array(desired) ? desired : NULL;
    x.live = json_is_array(live) ? live : NULL;
    x.f = facts;
    x.name = as_kube_obj_name(appstack);
    x.gen = st_iget(appstack, "metadata.generation", 0);
    x.suspended = st_bget(x.spec, "suspend", false);
    if (!old_status)
        old_status = json_object_get(appstack, "status");
    for (int i = 0; i < C__COUNT; i++)
        as_buf_init(&x.c[i].msg, MSG_MAX);
    as_buf_init(&x.rolling_msg, 4096);
    as_buf_init(&x.migration_msg, 4096);
    x.status = json_object();
    if (!x.status) {
        st = as_error_set(err, AS_E_NOMEM, "compute status: out of memory");
        goto cleanup;
    }
    json_object_set_new(x.status, "observedGeneration", json_integer(x.gen));
    st_check_components(&x);
    st_check_migrations(&x);
    st_check_service(&x, "postgres", C_DATABASE);
    st_check_service(&x, "redis", C_CACHE);
    st_check_certificate(&x);
    st_check_backups(&x);
    check_policy(&x);
    check_apis(&x);
    check_stalled(&x);
    check_reconciling(&x);
    check_ready(&x);
    json_object_set_new(x.status, "conditions", conditions(&x, old_status));
    host = st_sget(x.spec, "ingress.host");
    if (host) {
        char url[600];
        snprintf(url, sizeof(url), "https://%s", host);
        st_set_str(x.status, "url", url);
    }
    if (x.desired)
        json_object_set_new(x.status, "inventory", inventory(&x));
    else if (json_object_get(old_status, "inventory"))
        json_object_set(x.status, "inventory", json_object_get(old_status, "inventory"));
    *out = x.status;
    x.status = NULL;
cleanup:
    for (int i = 0; i < C__COUNT; i++)
        as_buf_free(&x.c[i].msg);
    as_buf_free(&x.rolling_msg);
    as_buf_free(&x.migration_msg);
    json_decref(x.status);
    return st;
}

bool as_op_status_changed(const json_t *old_status, const json_t *new_status)
{
    if (!old_status || !new_status)
        return old_status != new_status;
    return !json_equal((json_t *)old_status, (json_t *)new_status);
}

/* Lowers *best to t when t is in the future. */
static void consider(int64_t t, int64_t now, int64_t *best)
{
    if (t > now && (*best == 0 || t < *best))
        *best = t;
}

bool as_op_next_deadline(const json_t *appstack, const json_t *status, int64_t now,
                         int64_t *seconds)
{
    const json_t *spec = json_object_get(appstack, "spec"), *b;
    int64_t best = 0, na, max_age, days, born;
    size_t i;

    days = st_iget(spec, "monitoring.alerts.certificateDaysLeft", 14);
    max_age = st_iget(spec, "monitoring.alerts.backupMaxAgeHours", 26) * 3600;
    consider(st_time_at(status, "certificate.renewalTime"), now, &best);
    na = st_time_at(status, "certificate.notAfter");
    if (na > 0) {
        consider(na - days * 86400, now, &best);
        consider(na, now, &best);
    }
    born = st_time_at(appstack, "metadata.creationTimestamp");
    json_array_foreach(json_object_get(status, "backups"), i, b)
    {
        int64_t ok = st_time_at(b, "lastSuccessfulTime");
        if (ok > 0)
            consider(ok + max_age + 1, now, &best);
        else if (born > 0)
            consider(born + max_age + 1, now, &best);
    }
    if (best == 0)
        return false;
    *seconds = best - now;
    return true;
}
