/*
 * admit.c - the admission decision of admit.h: decode, evaluate with the
 * policy engine, shape the response per endpoint, audit line, metrics.
 */
#include "admit.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "appstack.h"
#include "review.h"

#define MAX_WARNINGS 64

static const struct {
    const char *path;
    enum as_admit_endpoint ep;
    const char *name;
} endpoints[] = {
    {"/validate", AS_ADMIT_VALIDATE, "validate"},
    {"/validate/enforce", AS_ADMIT_VALIDATE_ENFORCE, "validate-enforce"},
    {"/validate/advisory", AS_ADMIT_VALIDATE_ADVISORY, "validate-advisory"},
    {"/mutate", AS_ADMIT_MUTATE, "mutate"},
};

bool as_admit_endpoint_parse(const char *path, enum as_admit_endpoint *out)
{
    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
        if (strcmp(path, endpoints[i].path) == 0) {
            *out = endpoints[i].ep;
            return true;
        }
    return false;
}

const char *as_admit_endpoint_name(enum as_admit_endpoint e)
{
    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
        if (endpoints[i].ep == e)
            return endpoints[i].name;
    return "unknown";
}

int64_t as_admit_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

as_status as_admit_metrics_register(struct as_metrics *m, struct as_admit_metrics *out)
{
    static const char *const dl[] = {"webhook", "kind", "result"};
    static const char *const wl[] = {"webhook"};
    static const char *const vl[] = {"rule", "mode"};
    static const char *const fl[] = {"webhook", "family"};
    static const char *const rl[] = {"rule"};
    const struct as_metric_spec specs[] = {
        {AS_METRIC_COUNTER, "appstack_webhook_decisions_total",
         "Admission decisions by webhook, object kind and result.", dl, 3, &out->decisions},
        {AS_METRIC_HISTOGRAM, "appstack_webhook_request_duration_seconds",
         "Time from request to response, by webhook.", wl, 1, &out->latency},
        {AS_METRIC_HISTOGRAM, "appstack_webhook_policy_evaluation_seconds",
         "Time spent in the policy engine, by webhook.", wl, 1, &out->eval},
        {AS_METRIC_HISTOGRAM, "appstack_webhook_rule_family_evaluation_seconds",
         "Time spent in each policy rule family, by webhook (one decision in " AS_ADMIT_TIME_EVERY_S
         " is timed).",
         fl, 2, &out->family},
        {AS_METRIC_COUNTER, "appstack_webhook_rule_evaluation_seconds_total",
         "Time spent in each rule's own checks, in the decisions timed "
         "(one in " AS_ADMIT_TIME_EVERY_S "; work a family shares between its rules "
         "is only in the family histogram).",
         rl, 1, &out->rule_seconds},
        {AS_METRIC_COUNTER, "appstack_webhook_rule_evaluations_total",
         "Timed evaluations of each rule (divide the seconds by this for the mean).", rl, 1,
         &out->rule_evals},
        {AS_METRIC_COUNTER, "appstack_webhook_violations_total",
         "Policy violations found, by rule id and effective mode.", vl, 2, &out->violations},
    };

    return as_metrics_register(m, specs, sizeof(specs) / sizeof(specs[0]));
}

/* Appends s as a JSON string (quoted, escaped as jansson does) to out; NULL as "". */
static as_status put_json_str(struct as_buf *out, const char *s)
{
    if (s == NULL)
        s = "";
    return as_review_json_string(out, s, strlen(s));
}

/* The strictest effective mode among the result's violations ("none" when clean). */
static const char *strictest(const struct as_policy_result *res)
{
    enum as_policy_mode m = AS_POLICY_OFF;

    for (size_t i = 0; i < res->n; i++)
        if (res->v[i].mode > m)
            m = res->v[i].mode;
    return m == AS_POLICY_OFF ? "none" : as_policy_mode_name(m);
}

/* Writes one audit line: never object contents, only identifiers and the decision. */
static void audit_line(const struct as_admit_env *env, enum as_admit_endpoint ep,
                       const struct as_review_request *rq, const struct as_policy_result *res,
                       const char *decision, int64_t latency_us)
{
    struct as_buf b;
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    as_status st;

    if (env->audit == NULL)
        return;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    as_buf_init(&b, 64 * 1024);
    st = as_buf_appendf(&b, "{\"ts\":\"%s\",\"webhook\":\"%s\",\"uid\":", ts,
                        as_admit_endpoint_name(ep));
    const char *keys[] = {",\"operation\":", ",\"kind\":", ",\"namespace\":",
                          ",\"name\":",      ",\"user\":", ",\"decision\":"};
    const char *vals[] = {rq->operation, rq->kind, rq->namespace, rq->name, rq->username, decision};
    if (st == AS_OK)
        st = put_json_str(&b, rq->uid);
    for (size_t i = 0; i < 6 && st == AS_OK; i++) {
        st = as_buf_append_str(&b, keys[i]);
        if (st == AS_OK)
            st = put_json_str(&b, vals[i]);
    }
    if (st == AS_OK)
        st = as_buf_append_str(&b, ",\"rules\":[");
    for (size_t i = 0, k = 0; res != NULL && i < res->n && st == AS_OK; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = res->v[j].rule == res->v[i].rule;
        if (seen)
            continue;
        if (k++ > 0)
            st = as_buf_append(&b, ",", 1);
        if (st == AS_OK)
            st = put_json_str(&b, res->v[i].rule->id);
    }
    if (st == AS_OK)
        st = as_buf_appendf(&b, "],\"mode\":\"%s\",\"dryRun\":%s,\"latencyMicros\":%lld}\n",
                            res != NULL ? strictest(res) : "none", rq->dry_run ? "true" : "false",
                            (long long)latency_us);
    if (st == AS_OK) {
        if (env->audit_lock != NULL)
            pthread_mutex_lock(env->audit_lock);
        fwrite(b.data, 1, b.len, env->audit);
        fflush(env->audit);
        if (env->audit_lock != NULL)
            pthread_mutex_unlock(env->audit_lock);
    }
    as_buf_free(&b);
}

/* Collects the WARN-mode lines into warnings[] (owned strings in store). */
static as_status collect_warnings(const struct as_policy_result *res, struct as_buf *store,
                                  size_t offs[MAX_WARNINGS], size_t *n)
{
    as_status st = AS_OK;

    *n = 0;
    for (size_t i = 0; i < res->n && st == AS_OK && *n < MAX_WARNINGS; i++) {
        const struct as_policy_violation *v = &res->v[i];
        if (v->mode != AS_POLICY_WARN)
            continue;
        offs[(*n)++] = store->len;
        st = as_buf_appendf(store, "%s %s: %s", v->rule->id, v->path, v->message);
        if (st == AS_OK)
            st = as_buf_append(store, "", 1); /* keep a NUL between entries */
    }
    return st;
}

/* Builds the response for an evaluated request into out; sets *decision. */
static as_status respond(enum as_admit_endpoint ep, const struct as_review_request *rq,
                         const struct as_policy_result *res, struct as_buf *out,
                         const char **decision)
{
    struct as_buf msg, wstore, audit;
    size_t offs[MAX_WARNINGS] = {0}, nw = 0;
    const char *warnings[MAX_WARNINGS];
    json_t *ann = NULL, *defaults = NULL;
    as_status st = AS_OK;
    bool deny =
        ep != AS_ADMIT_MUTATE && ep != AS_ADMIT_VALIDATE_ADVISORY && as_policy_result_denied(res);
    bool advise = ep == AS_ADMIT_VALIDATE || ep == AS_ADMIT_VALIDATE_ADVISORY;
    struct as_review_response resp = {.uid = rq->uid, .allowed = !deny};

    as_buf_init(&msg, 256 * 1024);
    as_buf_init(&wstore, 256 * 1024);
    as_buf_init(&audit, 64 * 1024);
    if (deny) {
        st = as_policy_format(res, AS_POLICY_ENFORCE, "\n", &msg);
        resp.code = 403;
        resp.reason = "Forbidden";
        resp.message = msg.data;
    }
    if (st == AS_OK && advise)
        st = collect_warnings(res, &wstore, offs, &nw);
    for (size_t i = 0; i < nw; i++)
        warnings[i] = wstore.data + offs[i];
    resp.warnings = warnings;
    resp.n_warnings = nw;
    if (st == AS_OK && advise)
        st = as_policy_format(res, AS_POLICY_AUDIT, "; ", &audit);
    if (st == AS_OK && audit.len > 0) {
        ann = json_pack("{ss}", "policy-audit", audit.data);
        st = ann == NULL ? AS_E_NOMEM : AS_OK;
    }
    resp.audit_annotations = ann;
    if (ep == AS_ADMIT_MUTATE)
        resp.patch = res->patch;
    if (st == AS_OK && ep == AS_ADMIT_MUTATE && rq->object != NULL && as_appstack_is(rq->object) &&
        strcmp(rq->operation, "DELETE") != 0) {
        /* AppStack defaulting (family "appstack") joins the engine's patch */
        json_t *obj = as_jv_to_json(rq->object);

        defaults = res->patch != NULL ? json_copy(res->patch) : json_array();
        st =
            defaults == NULL || obj == NULL ? AS_E_NOMEM : as_appstack_default_patch(obj, defaults);
        json_decref(obj);
        resp.patch = defaults;
    }
    if (st == AS_OK)
        st = as_review_encode(&resp, out);
    *decision = deny                                                         ? "denied"
                : (ep == AS_ADMIT_MUTATE && json_array_size(resp.patch) > 0) ? "patched"
                : nw > 0                                                     ? "warned"
                                                                             : "allowed";
    json_decref(ann);
    json_decref(defaults);
    as_buf_free(&msg);
    as_buf_free(&wstore);
    as_buf_free(&audit);
    return st;
}

/* Adds one evaluation's per-rule times to the accumulators (lock-free). */
static void record_rule_times(const struct as_admit_env *env, const struct as_policy_result *res)
{
    struct as_admit_rule_times *t = env->metrics.rule_times;

    if (res == NULL || t == NULL)
        return;
    for (size_t i = 0; i < AS_POLICY_BUILTIN_RULES; i++) {
        if (res->rule_ns[i] == 0)
            continue;
        atomic_fetch_add_explicit(&t->ns[i], res->rule_ns[i], memory_order_relaxed);
        atomic_fetch_add_explicit(&t->evals[i], 1, memory_order_relaxed);
    }
    for (size_t i = 0; i < AS_POLICY_TIMED_VALIDATORS; i++) {
        if (res->validator_ns[i] == 0)
            continue;
        atomic_fetch_add_explicit(&t->ns[AS_POLICY_BUILTIN_RULES + i], res->validator_ns[i],
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(&t->evals[AS_POLICY_BUILTIN_RULES + i], 1, memory_order_relaxed);
    }
}

void as_admit_rule_times_publish(const struct as_admit_metrics *m,
                                 const struct as_policy_config *cfg)
{
    struct as_admit_rule_times *t = m->rule_times;
    size_t n;
    const struct as_policy_rule *rules = as_policy_rules(&n);

    if (t == NULL)
        return;
    pthread_mutex_lock(&t->publish_lock);
    for (size_t i = 0; i < AS_ADMIT_TIMED; i++) {
        uint64_t ns = atomic_load_explicit(&t->ns[i], memory_order_relaxed);
        uint64_t evals = atomic_load_explicit(&t->evals[i], memory_order_relaxed);
        const char *id = NULL;

        if (evals == t->published_evals[i])
            continue;
        if (i < AS_POLICY_BUILTIN_RULES && i < n) {
            id = rules[i].id;
        } else if (i >= AS_POLICY_BUILTIN_RULES) {
            size_t v = i - AS_POLICY_BUILTIN_RULES;

            if (cfg != NULL && v < cfg->n_validators && cfg->validators[v].n_rules == 1)
                id = cfg->validators[v].rules[0].id;
        }
        if (id != NULL) {
            const char *rl[] = {id};

            as_metrics_counter_add(m->rule_seconds, rl, (double)(ns - t->published_ns[i]) / 1e9);
            as_metrics_counter_add(m->rule_evals, rl, (double)(evals - t->published_evals[i]));
        }
        t->published_ns[i] = ns;
        t->published_evals[i] = evals;
    }
    pthread_mutex_unlock(&t->publish_lock);
}

/* Counts metrics for one decision. */
static void record(const struct as_admit_env *env, enum as_admit_endpoint ep, const char *kind,
                   const char *decision, const struct as_policy_result *res, int64_t start_ns,
                   int64_t eval_ns)
{
    const char *wh = as_admit_endpoint_name(ep);
    const char *dl[] = {wh, kind, decision};
    const char *wl[] = {wh};

    as_metrics_counter_add(env->metrics.decisions, dl, 1);
    as_metrics_histogram_observe(env->metrics.latency, wl,
                                 (double)(as_admit_now_ns() - start_ns) / 1e9);
    if (eval_ns >= 0)
        as_metrics_histogram_observe(env->metrics.eval, wl, (double)eval_ns / 1e9);
    for (int f = 0; res != NULL && f < AS_FAMILY__COUNT; f++) {
        const char *fl[] = {wh, as_policy_family_name((enum as_policy_family)f)};
        if (res->family_ns[f] > 0)
            as_metrics_histogram_observe(env->metrics.family, fl, (double)res->family_ns[f] / 1e9);
    }
    record_rule_times(env, res);
    for (size_t i = 0; res != NULL && ep != AS_ADMIT_MUTATE && i < res->n; i++) {
        const char *vl[] = {res->v[i].rule->id, as_policy_mode_name(res->v[i].mode)};
        as_metrics_counter_add(env->metrics.violations, vl, 1);
    }
}

/* Decisions made on this thread, for timing one in AS_ADMIT_TIME_EVERY. */
static _Thread_local unsigned time_tick;

/* Decides one request (see admit.h). */
as_status as_admit_handle(const struct as_admit_env *env, enum as_admit_endpoint ep,
                          const char *body, size_t len, int64_t now, int64_t start_ns,
                          struct as_buf *out, int *http_status)
{
    struct as_review_request rq;
    struct as_policy_result res;
    struct as_error err = {0};
    const char *decision = "error";
    int64_t t0, eval_ns;
    as_status st = as_review_decode(body, len, &rq, &err);

    if (st != AS_OK) {
        const char *dl[] = {as_admit_endpoint_name(ep), "", "malformed"};
        as_metrics_counter_add(env->metrics.decisions, dl, 1);
        *http_status = st == AS_E_LIMIT ? 413 : 400;
        return as_buf_appendf(out, "malformed AdmissionReview: %s\n", err.message);
    }
    as_policy_result_init(&res);
    struct as_policy_request preq = {
        .user = *rq.username ? rq.username : NULL,
        .namespace = *rq.namespace ? rq.namespace : NULL,
        .object = rq.object,
        .old_object = rq.old_object,
        .subresource = rq.subresource,
        .dry_run = rq.dry_run,
        .now = now,
    };
    json_t *parent = NULL;
    struct as_jv_arena parent_arena;

    /* rule and family times (a clock read per rule check): one decision in AS_ADMIT_TIME_EVERY */
    preq.untimed = time_tick++ % AS_ADMIT_TIME_EVERY != 0;
    as_jv_arena_init(&parent_arena);
    as_policy_op_parse(rq.operation, &preq.op);
    if (preq.op == AS_OP_UPDATE && strcmp(rq.subresource, "scale") == 0 &&
        env->read_object != NULL) {
        preq.parent_unreadable = env->read_object(env->read_ctx, rq.resource_group, rq.resource,
                                                  rq.namespace, rq.name, &parent) != AS_OK;
        preq.parent = as_jv_from_json(&parent_arena, parent);
        if (parent != NULL && preq.parent == NULL)
            preq.parent_unreadable = true; /* out of memory: ownership unknown, refuse */
    }
    t0 = as_admit_now_ns();
    st = as_policy_evaluate(env->cfg, &preq, &res);
    eval_ns = as_admit_now_ns() - t0;
    if (st == AS_E_INVALID_ARG && preq.object == NULL) {
        /* DELETE/CONNECT without an object and nothing to check: allow */
        as_policy_result_free(&res);
        as_policy_result_init(&res);
        st = AS_OK;
    }
    if (st == AS_OK)
        st = respond(ep, &rq, &res, out, &decision);
    if (st == AS_OK) {
        *http_status = 200;
        record(env, ep, rq.kind, decision, &res, start_ns, eval_ns);
        audit_line(env, ep, &rq, &res, decision, (as_admit_now_ns() - start_ns) / 1000);
    }
    as_policy_result_free(&res);
    json_decref(parent);
    as_jv_arena_free(&parent_arena);
    as_review_request_free(&rq);
    return st;
}
