/*
 * routes.c - routing of routes.h. Admission requests run on the thread that
 * received them, against a counted snapshot of the policy configuration, with
 * their JSON in that thread's request arena (jsonalloc.h).
 */
#include "routes.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/json.h"
#include "jsonalloc.h"
#include "tls/certs.h"

#define CT_TEXT "text/plain; charset=utf-8"
#define CT_JSON "application/json"
#define CT_PROM "text/plain; version=0.0.4; charset=utf-8"

as_status as_routes_init(struct as_routes *r)
{
    static const char *const cl[] = {"code"};
    as_status st = as_admit_metrics_register(r->metrics, &r->admit_metrics);

    pthread_mutex_init(&r->audit_lock, NULL);
    pthread_mutex_init(&r->rule_times.publish_lock, NULL);
    r->admit_metrics.rule_times = &r->rule_times;
    if (st == AS_OK)
        st = as_metrics_gauge_new(
            r->metrics, "appstack_webhook_certificate_expiry_timestamp_seconds",
            "notAfter of the serving certificate, in seconds since the epoch.", NULL, 0,
            &r->cert_expiry);
    if (st == AS_OK)
        st = as_metrics_counter_new(r->metrics, "appstack_webhook_http_errors_total",
                                    "Requests refused before admission, by HTTP status.", cl, 1,
                                    &r->http);
    return st;
}

bool as_routes_ready(struct as_routes *r, const char **why)
{
    int64_t now = (int64_t)time(NULL);

    if (!as_cert_valid_at(as_tlsstore_not_before(r->tls), as_tlsstore_not_after(r->tls), now)) {
        *why = "the serving certificate is not valid now";
        return false;
    }
    if (!as_policyset_synced(r->policies)) {
        *why = "the AppStackPolicy informers have not synced yet";
        return false;
    }
    *why = "ok";
    return true;
}

/* True when the media type (before ';') is application/json. */
static bool is_json(const char *ct)
{
    size_t n = strcspn(ct, ";");

    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

/* A plain-text error answer. */
static int fail(struct as_routes *r, int code, struct as_buf *out, const char *msg)
{
    char c[8];
    const char *v[] = {c};

    snprintf(c, sizeof(c), "%d", code);
    as_metrics_counter_add(r->http, v, 1);
    as_buf_reset(out);
    as_buf_append_str(out, msg);
    as_buf_append_str(out, "\n");
    return code;
}

/*
 * admit.h's read_object for the scale parent: the API client's JSON is not
 * the request's to release (the client may keep some), so it stays out of
 * the request arena.
 */
static as_status read_outside_arena(void *ctx, const char *group, const char *plural,
                                    const char *ns, const char *name, json_t **out)
{
    struct as_routes *r = ctx;
    as_status st;

    as_json_long_lived_begin();
    st = r->read_object(r->read_ctx, group, plural, ns, name, out);
    as_json_long_lived_end();
    return st;
}

/* An admission endpoint. */
static int admission(struct as_routes *r, enum as_admit_endpoint ep,
                     const struct as_http_request *req, struct as_buf *out, const char **ct)
{
    int64_t start = as_admit_now_ns();
    const struct as_policy_config *cfg;
    int status = 500;
    as_status st;

    if (strcmp(req->method, "POST") != 0)
        return fail(r, 405, out, "method not allowed: admission endpoints take POST");
    if (req->body_too_large)
        return fail(r, 413, out, "request body too large: the limit is 3 MiB");
    if (!is_json(req->content_type))
        return fail(r, 415, out,
                    "unsupported content type: send Content-Type: application/json with an "
                    "AdmissionReview v1");
    cfg = as_policyset_acquire(r->policies);
    struct as_admit_env env = {.cfg = cfg,
                               .metrics = r->admit_metrics,
                               .audit = r->audit,
                               .audit_lock = &r->audit_lock,
                               .read_object = r->read_object ? read_outside_arena : NULL,
                               .read_ctx = r};
    /* the review's JSON lives in this thread's request arena (jsonalloc.h) */
    as_jsonalloc_scope_begin();
    st = as_admit_handle(&env, ep, req->body, req->body_len, (int64_t)time(NULL), start, out,
                         &status);
    as_jsonalloc_scope_end();
    as_policyset_release(r->policies, cfg);
    if (st != AS_OK)
        return fail(r, 500, out, "internal error: the response could not be built");
    *ct = status == 200 ? CT_JSON : CT_TEXT;
    if (status != 200) {
        char c[8];
        const char *v[] = {c};
        snprintf(c, sizeof(c), "%d", status);
        as_metrics_counter_add(r->http, v, 1);
    }
    return status;
}

int as_routes_handle(void *ctx, const struct as_http_request *req, struct as_buf *out,
                     const char **ct)
{
    struct as_routes *r = ctx;
    enum as_admit_endpoint ep;
    const char *why;
    bool get = strcmp(req->method, "GET") == 0;

    *ct = CT_TEXT;
    if (as_admit_endpoint_parse(req->path, &ep))
        return admission(r, ep, req, out, ct);
    if (strcmp(req->path, "/healthz") == 0 || strcmp(req->path, "/readyz") == 0 ||
        strcmp(req->path, "/metrics") == 0) {
        if (!get)
            return fail(r, 405, out, "method not allowed: use GET");
        if (req->path[1] == 'h') {
            as_buf_append_str(out, "ok\n");
            return 200;
        }
        if (req->path[1] == 'r') {
            bool ok = as_routes_ready(r, &why);
            as_buf_appendf(out, "%s\n", why);
            return ok ? 200 : 503;
        }
        as_metrics_gauge_set(r->cert_expiry, NULL, (double)as_tlsstore_not_after(r->tls));
        {
            const struct as_policy_config *cfg = as_policyset_acquire(r->policies);

            as_admit_rule_times_publish(&r->admit_metrics, cfg);
            as_policyset_release(r->policies, cfg);
        }
        *ct = CT_PROM;
        return as_metrics_render(r->metrics, out) == AS_OK ? 200 : 500;
    }
    return fail(r, 404, out,
                "not found: endpoints are /validate, /validate/enforce, /validate/advisory, "
                "/mutate, /healthz, /readyz, /metrics");
}
