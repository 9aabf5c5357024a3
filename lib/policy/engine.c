/*
 * engine.c - as_policy_evaluate: request-level exemptions, dispatch to the
 * rule families, and reporting (mode resolution, exceptions, message text).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

/* Namespaces that are always exempt (besides the operator's own). */
static const char *const ALWAYS_EXEMPT_NS[] = {"kube-system", "kube-node-lease", NULL};

bool as__strs_has(const struct as_policy_strs *s, const char *v)
{
    for (size_t i = 0; v && i < s->n; i++)
        if (strcmp(s->v[i], v) == 0)
            return true;
    return false;
}

bool as__str_in(const char *s, const char *const *list)
{
    for (size_t i = 0; s && list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

void as__path_add_n(char *out, size_t n, size_t *len, const char *s, size_t slen)
{
    size_t room;

    if (*len >= n)
        return;
    room = n - 1 - *len;
    if (slen > room)
        slen = room;
    memcpy(out + *len, s, slen);
    *len += slen;
    out[*len] = '\0';
}

void as__path_add(char *out, size_t n, size_t *len, const char *s)
{
    as__path_add_n(out, n, len, s, strlen(s));
}

void as__path_index(char *out, size_t n, size_t *len, size_t i)
{
    char digits[24];
    size_t d = sizeof digits;

    digits[--d] = ']';
    do {
        digits[--d] = (char)('0' + i % 10);
        i /= 10;
    } while (i > 0);
    digits[--d] = '[';
    as__path_add_n(out, n, len, digits + d, sizeof digits - d);
}

void as_policy_result_init(struct as_policy_result *r)
{
    memset(r, 0, sizeof *r);
}

void as_policy_result_free(struct as_policy_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].path);
        free(r->v[i].message);
        free(r->v[i].exception);
    }
    free(r->v);
    json_decref(r->patch);
    as_policy_result_init(r);
}

bool as_policy_result_denied(const struct as_policy_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].mode == AS_POLICY_ENFORCE)
            return true;
    return false;
}

/* Finds a rule in the built-in table or in a validator's table. */
static const struct as_policy_rule *find_rule(const struct as_policy_config *cfg, const char *id)
{
    const struct as_policy_rule *r = as_policy_rule_find(id);

    for (size_t i = 0; !r && i < cfg->n_validators; i++)
        for (size_t j = 0; !r && j < cfg->validators[i].n_rules; j++)
            if (strcmp(cfg->validators[i].rules[j].id, id) == 0)
                r = &cfg->validators[i].rules[j];
    return r;
}

enum as_policy_mode as_policy_config_mode(const struct as_policy_config *cfg,
                                          const struct as_policy_rule *rule)
{
    const char *family = as_policy_family_name(rule->family);
    enum as_policy_mode mode = rule->default_mode;
    bool by_id = false;

    if (!cfg->family_enabled[rule->family])
        return AS_POLICY_OFF;
    if (rule->family == AS_FAMILY_POD_SECURITY &&
        (cfg->pss_level == AS_PSS_NONE || cfg->pss_level == AS_PSS_PRIVILEGED ||
         rule->level > cfg->pss_level))
        return AS_POLICY_OFF;
    for (size_t i = 0; i < cfg->n_overrides; i++) {
        if (strcmp(cfg->overrides[i].name, rule->id) == 0) {
            mode = cfg->overrides[i].mode;
            by_id = true;
        } else if (!by_id && strcmp(cfg->overrides[i].name, family) == 0) {
            mode = cfg->overrides[i].mode;
        }
    }
    return mode;
}

bool as__rule_active(const struct as_policy_eval *ev, const char *rule_id)
{
    const struct as_policy_rule *r = find_rule(ev->cfg, rule_id);

    return r && as_policy_config_mode(ev->cfg, r) != AS_POLICY_OFF;
}

/* True when the exception grants rule r for the object under evaluation. */
static bool exception_grants(const struct as_policy_eval *ev, const struct as_policy_exception *ex,
                             const struct as_policy_rule *r)
{
    const struct as_jv *meta = as_jv_get(ev->obj, "metadata");

    if (ex->expires_at <= ev->req->now)
        return false;
    if (!ev->namespace || strcmp(ex->namespace, ev->namespace) != 0)
        return false;
    if (!as__strs_has(&ex->rules, r->id) &&
        !as__strs_has(&ex->rules, as_policy_family_name(r->family)))
        return false;
    if (ex->kinds.n && !as__strs_has(&ex->kinds, ev->kind))
        return false;
    if (ex->names.n && !as__strs_has(&ex->names, ev->name))
        return false;
    return !ex->selector || as_policy_selector_matches(ex->selector, as_jv_get(meta, "labels"));
}

/* Appends one violation; on allocation failure records AS_E_NOMEM in ev. */
static void add_violation(struct as_policy_eval *ev, const struct as_policy_rule *r,
                          enum as_policy_mode mode, const char *path, const char *what,
                          const char *exception)
{
    struct as_policy_result *out = ev->out;
    struct as_policy_violation *v;
    char *msg = NULL;
    size_t n = strlen(what) + strlen(r->remedy) + 8;

    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 8;
        struct as_policy_violation *nv = realloc(out->v, cap * sizeof *nv);

        if (!nv)
            goto nomem;
        out->v = nv;
        out->cap = cap;
    }
    msg = malloc(n);
    if (!msg)
        goto nomem;
    snprintf(msg, n, "%s \xe2\x80\x94 %s", what, r->remedy);
    v = &out->v[out->n];
    v->rule = r;
    v->mode = mode;
    v->message = msg;
    v->path = strdup(path);
    v->exception = exception ? strdup(exception) : NULL;
    if (!v->path || (exception && !v->exception)) {
        free(v->path);
        free(v->exception);
        goto nomem;
    }
    out->n++;
    return;
nomem:
    free(msg);
    ev->status = AS_E_NOMEM;
}

static void report_v(struct as_policy_eval *ev, const char *rule_id, const char *path,
                     const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static void report_v(struct as_policy_eval *ev, const char *rule_id, const char *path,
                     const char *fmt, va_list ap)
{
    const struct as_policy_rule *r = find_rule(ev->cfg, rule_id);
    enum as_policy_mode mode;
    const char *granted = NULL;
    char what[768];

    if (!r)
        return;
    mode = as_policy_config_mode(ev->cfg, r);
    if (mode == AS_POLICY_OFF)
        return;
    for (size_t i = 0; i < ev->cfg->n_exceptions && !granted; i++)
        if (exception_grants(ev, &ev->cfg->exceptions[i], r))
            granted = ev->cfg->exceptions[i].name;
    if (granted)
        mode = AS_POLICY_AUDIT;
    vsnprintf(what, sizeof what, fmt, ap);
    add_violation(ev, r, mode, path, what, granted);
}

void as__report(struct as_policy_eval *ev, const char *rule_id, const char *path, const char *fmt,
                ...)
{
    va_list ap;

    va_start(ap, fmt);
    report_v(ev, rule_id, path, fmt, ap);
    va_end(ap);
}

void as_policy_report(struct as_policy_eval *ev, const char *rule_id, const char *path,
                      const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report_v(ev, rule_id, path, fmt, ap);
    va_end(ap);
}

/* Returns a static reason when the whole request is exempt, else NULL. */
static const char *request_exempt(const struct as_policy_eval *ev)
{
    const struct as_policy_config *cfg = ev->cfg;
    const char *user = ev->req->user;

    if (user && as__strs_has(&cfg->exempt_users, user))
        return "user is exempt";
    if (ev->namespace) {
        if (as__str_in(ev->namespace, ALWAYS_EXEMPT_NS) ||
            as__strs_has(&cfg->exempt_namespaces, ev->namespace) ||
            (cfg->operator_namespace && strcmp(cfg->operator_namespace, ev->namespace) == 0))
            return "namespace is exempt";
    }
    return NULL;
}

/* Whether a Pod UPDATE leaves the pod spec as it was (then pod rules do not re-run). */
static bool pod_spec_unchanged(const struct as_policy_eval *ev)
{
    const struct as_jv *old = ev->req->old_object;

    return ev->req->op == AS_OP_UPDATE && old && ev->kind && strcmp(ev->kind, "Pod") == 0 &&
           as_jv_equal(as_jv_get(ev->obj, "spec"), as_jv_get(old, "spec"));
}

/* Runs one family check, timing it when this evaluation is timed. */
static void run_family(struct as_policy_eval *ev, enum as_policy_family f,
                       void (*check)(struct as_policy_eval *))
{
    uint64_t t0 = as__clock(ev);

    check(ev);
    if (ev->clock)
        ev->out->family_ns[f] += ev->clock() - t0;
}

/* A family of one rule: its time is the rule's time too. */
static void run_one_rule_family(struct as_policy_eval *ev, enum as_policy_family f,
                                enum as__rule_ix rule, void (*check)(struct as_policy_eval *))
{
    uint64_t before = ev->out->family_ns[f];

    run_family(ev, f, check);
    ev->out->rule_ns[rule] += ev->out->family_ns[f] - before;
}

as_status as_policy_evaluate(const struct as_policy_config *cfg,
                             const struct as_policy_request *req, struct as_policy_result *out)
{
    struct as_policy_eval ev;
    const struct as_jv *meta;

    memset(&ev, 0, sizeof ev);
    ev.cfg = cfg;
    ev.req = req;
    ev.out = out;
    ev.status = AS_OK;
    ev.clock = req->untimed ? NULL : cfg->clock_ns;
    ev.obj = req->op == AS_OP_DELETE ? req->old_object : req->object;
    if (!as_jv_is_object(ev.obj))
        return AS_E_INVALID_ARG;
    meta = as_jv_get(ev.obj, "metadata");
    ev.kind = as__str(ev.obj, "kind");
    ev.name = as__str(meta, "name");
    ev.namespace = req->namespace ? req->namespace : as__str(meta, "namespace");
    out->exempt_why = request_exempt(&ev);
    if (out->exempt_why)
        return AS_OK;
    ev.may_patch = cfg->mutate && req->op == AS_OP_CREATE;
    if (cfg->mutate && req->op == AS_OP_UPDATE && !(ev.kind && strcmp(ev.kind, "Pod") == 0))
        ev.may_patch = true;

    if (req->op == AS_OP_CREATE || req->op == AS_OP_UPDATE) {
        if (!pod_spec_unchanged(&ev)) {
            run_family(&ev, AS_FAMILY_POD_SECURITY, as__check_pod_security);
            run_family(&ev, AS_FAMILY_RESOURCES, as__check_resources);
            run_family(&ev, AS_FAMILY_IMAGES, as__check_images);
            run_one_rule_family(&ev, AS_FAMILY_SECRETS, AS_R_SEC_LITERAL_CREDENTIAL_ENV,
                                as__check_secrets);
        }
        run_family(&ev, AS_FAMILY_EXPOSURE, as__check_exposure);
        for (size_t i = 0; i < cfg->n_validators; i++) {
            uint64_t t0 = as__clock(&ev), dt;

            if (cfg->validators[i].check)
                cfg->validators[i].check(&ev, ev.obj, cfg->validators[i].ctx);
            if (!ev.clock)
                continue;
            dt = ev.clock() - t0;
            out->family_ns[AS_FAMILY_APPSTACK] += dt;
            if (i < AS_POLICY_TIMED_VALIDATORS)
                out->validator_ns[i] += dt;
        }
    }
    run_one_rule_family(&ev, AS_FAMILY_GUARDED, AS_R_GRD_OWNED_BY_APPSTACK, as__check_guarded);
    json_decref(ev.work);
    return ev.status;
}

as_status as_policy_evaluate_json(const struct as_policy_config *cfg, struct as_policy_request *req,
                                  const json_t *object, const json_t *old_object,
                                  const json_t *parent, struct as_policy_result *out)
{
    struct as_jv_arena arena;
    as_status st = AS_E_NOMEM;

    as_jv_arena_init(&arena);
    req->object = as_jv_from_json(&arena, object);
    req->old_object = as_jv_from_json(&arena, old_object);
    req->parent = as_jv_from_json(&arena, parent);
    if ((req->object != NULL) == (object != NULL) &&
        (req->old_object != NULL) == (old_object != NULL) &&
        (req->parent != NULL) == (parent != NULL))
        st = as_policy_evaluate(cfg, req, out);
    req->object = req->old_object = req->parent = NULL;
    as_jv_arena_free(&arena);
    return st;
}

as_status as_policy_format(const struct as_policy_result *r, enum as_policy_mode mode,
                           const char *sep, struct as_buf *out)
{
    bool first = true;
    as_status st = AS_OK;

    for (size_t i = 0; i < r->n && st == AS_OK; i++) {
        const struct as_policy_violation *v = &r->v[i];

        if (v->mode != mode)
            continue;
        st = as_buf_appendf(out, "%s%s %s: %s", first ? "" : sep, v->rule->id, v->path, v->message);
        first = false;
    }
    return st;
}
