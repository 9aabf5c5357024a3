/*
 * config.c - the policy configuration data model: the built-in default, and
 * parsing AppStackPolicy / AppStackPolicyException objects into it with
 * errors that name the field ("spec.modes.foo: ... — ...").
 *
 * AppStackPolicy spec (all optional):
 *   podSecurity.level        privileged | baseline | restricted (default restricted)
 *   modes                    {rule id or family: off|audit|warn|enforce}
 *   allowedRegistries        [registry or registry/path prefix]
 *   requireDigest            bool
 *   resources.maxPerContainer.{cpu,memory}, resources.maxPerPod.{cpu,memory}: quantities
 *   resources.maxLimitRequestRatio: number >= 1
 *   allowedServiceTypes      [NodePort|LoadBalancer|ClusterIP|ExternalName]
 *   exemptNamespaces, exemptUsers: [string]
 *   operatorServiceAccount   system:serviceaccount:<namespace>:<name>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

/* String member of a policy object (jansson: policies are read from the API), or NULL. */
static const char *str_member(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void strs_free(struct as_policy_strs *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

static as_status strs_push(struct as_policy_strs *s, const char *v)
{
    char **nv = realloc(s->v, (s->n + 1) * sizeof *nv);

    if (!nv)
        return AS_E_NOMEM;
    s->v = nv;
    if (!(s->v[s->n] = strdup(v)))
        return AS_E_NOMEM;
    s->n++;
    return AS_OK;
}

/* Sets the account and derives the operator namespace from it. */
static as_status set_operator_sa(struct as_policy_config *cfg, const char *sa)
{
    static const char PFX[] = "system:serviceaccount:";
    const char *ns = strncmp(sa, PFX, sizeof PFX - 1) == 0 ? sa + sizeof PFX - 1 : NULL;
    const char *colon = ns ? strchr(ns, ':') : NULL;
    char *s = strdup(sa), *n = colon ? strndup(ns, (size_t)(colon - ns)) : NULL;

    if (!s || (colon && !n)) {
        free(s);
        free(n);
        return AS_E_NOMEM;
    }
    free(cfg->operator_service_account);
    free(cfg->operator_namespace);
    cfg->operator_service_account = s;
    cfg->operator_namespace = n;
    return AS_OK;
}

as_status as_policy_config_init_default(struct as_policy_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->pss_level = AS_PSS_RESTRICTED;
    cfg->mutate = true;
    for (int i = 0; i < AS_FAMILY__COUNT; i++)
        cfg->family_enabled[i] = true;
    if (set_operator_sa(cfg, AS_POLICY_DEFAULT_OPERATOR_SA) != AS_OK) {
        as_policy_config_free(cfg);
        return AS_E_NOMEM;
    }
    return AS_OK;
}

void as_policy_exception_free(struct as_policy_exception *ex)
{
    free(ex->name);
    free(ex->namespace);
    strs_free(&ex->rules);
    strs_free(&ex->kinds);
    strs_free(&ex->names);
    json_decref(ex->selector);
    free(ex->reason);
    free(ex->ticket);
    memset(ex, 0, sizeof *ex);
}

/* Frees the parts an AppStackPolicy sets. */
static void free_policy_part(struct as_policy_config *cfg)
{
    for (size_t i = 0; i < cfg->n_overrides; i++)
        free(cfg->overrides[i].name);
    free(cfg->overrides);
    cfg->overrides = NULL;
    cfg->n_overrides = 0;
    strs_free(&cfg->allowed_registries);
    strs_free(&cfg->allowed_service_types);
    strs_free(&cfg->exempt_namespaces);
    strs_free(&cfg->exempt_users);
    free(cfg->operator_service_account);
    free(cfg->operator_namespace);
    cfg->operator_service_account = cfg->operator_namespace = NULL;
}

void as_policy_config_free(struct as_policy_config *cfg)
{
    free_policy_part(cfg);
    for (size_t i = 0; i < cfg->n_exceptions; i++)
        as_policy_exception_free(&cfg->exceptions[i]);
    free(cfg->exceptions);
    memset(cfg, 0, sizeof *cfg);
}

/* Reads an optional array of non-empty strings at obj[key] into out. */
static as_status read_strs(const json_t *obj, const char *key, const char *path,
                           struct as_policy_strs *out, struct as_error *err)
{
    const json_t *arr = json_object_get(obj, key), *v;
    size_t i;

    if (!arr || json_is_null(arr))
        return AS_OK;
    if (!json_is_array(arr))
        return as_error_set(err, AS_E_CONFIG,
                            "%s.%s: expected a list of strings, got %s — write "
                            "it as a YAML list",
                            path, key, as_json_type_name(arr));
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) == 0)
            return as_error_set(err, AS_E_CONFIG,
                                "%s.%s[%zu]: expected a non-empty string — "
                                "remove the entry or give it a value",
                                path, key, i);
        if (strs_push(out, json_string_value(v)) != AS_OK)
            return as_error_set(err, AS_E_NOMEM, "out of memory");
    }
    return AS_OK;
}

/* True when name is a known rule id (built-in or a validator's) or family name. */
static bool known_rule_or_family(const struct as_policy_config *cfg, const char *name)
{
    enum as_policy_family f;

    if (as_policy_rule_find(name) || as_policy_family_parse(name, &f))
        return true;
    for (size_t i = 0; i < cfg->n_validators; i++)
        for (size_t j = 0; j < cfg->validators[i].n_rules; j++)
            if (strcmp(cfg->validators[i].rules[j].id, name) == 0)
                return true;
    return false;
}

static as_status read_modes(struct as_policy_config *tmp, const json_t *modes, struct as_error *err)
{
    const char *key;
    const json_t *v;

    if (!modes || json_is_null(modes))
        return AS_OK;
    if (!json_is_object(modes))
        return as_error_set(err, AS_E_CONFIG,
                            "spec.modes: expected a map of rule id or family "
                            "to mode, got %s",
                            as_json_type_name(modes));
    tmp->overrides = calloc(json_object_size(modes) + 1, sizeof *tmp->overrides);
    if (!tmp->overrides)
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    json_object_foreach((json_t *)modes, key, v)
    {
        struct as_policy_override *o = &tmp->overrides[tmp->n_overrides];

        if (!known_rule_or_family(tmp, key))
            return as_error_set(err, AS_E_CONFIG,
                                "spec.modes.%s: unknown rule id or family — use "
                                "a family (pod-security, resources, images, exposure, secrets, "
                                "appstack, guarded) or a rule id from the documentation",
                                key);
        if (json_is_false(v)) /* YAML 1.1 reads a bare `off` as false */
            o->mode = AS_POLICY_OFF;
        else if (!as_policy_mode_parse(json_string_value(v), &o->mode))
            return as_error_set(err, AS_E_CONFIG,
                                "spec.modes.%s: mode must be off, audit, warn "
                                "or enforce",
                                key);
        if (!(o->name = strdup(key)))
            return as_error_set(err, AS_E_NOMEM, "out of memory");
        tmp->n_overrides++;
    }
    return AS_OK;
}

/* Reads obj.cpu / obj.memory quantities at path. */
static as_status read_max(const json_t *obj, const char *path, double *cpu, double *mem,
                          struct as_error *err)
{
    static const char *const KEYS[2] = {"cpu", "memory"};
    double *outs[2] = {cpu, mem};

    if (!obj || json_is_null(obj))
        return AS_OK;
    if (!json_is_object(obj))
        return as_error_set(err, AS_E_CONFIG, "%s: expected an object with cpu and memory", path);
    for (int i = 0; i < 2; i++) {
        const json_t *v = json_object_get(obj, KEYS[i]);
        double q;

        if (!v || json_is_null(v))
            continue;
        if (!json_is_string(v) || !as_policy_quantity(json_string_value(v), &q) || q <= 0)
            return as_error_set(err, AS_E_CONFIG,
                                "%s.%s: not a positive quantity — write it "
                                "like \"500m\", \"2\" or \"4Gi\"",
                                path, KEYS[i]);
        *outs[i] = q;
    }
    return AS_OK;
}

static as_status read_resources(struct as_policy_config *tmp, const json_t *res,
                                struct as_error *err)
{
    const json_t *ratio;
    as_status st;

    if (!res || json_is_null(res))
        return AS_OK;
    if (!json_is_object(res))
        return as_error_set(err, AS_E_CONFIG, "spec.resources: expected an object");
    st = read_max(json_object_get(res, "maxPerContainer"), "spec.resources.maxPerContainer",
                  &tmp->max_container_cpu, &tmp->max_container_memory, err);
    if (st == AS_OK)
        st = read_max(json_object_get(res, "maxPerPod"), "spec.resources.maxPerPod",
                      &tmp->max_pod_cpu, &tmp->max_pod_memory, err);
    if (st != AS_OK)
        return st;
    ratio = json_object_get(res, "maxLimitRequestRatio");
    if (ratio && !json_is_null(ratio)) {
        if (!json_is_number(ratio) || json_number_value(ratio) < 1)
            return as_error_set(err, AS_E_CONFIG,
                                "spec.resources.maxLimitRequestRatio: must be "
                                "a number of at least 1 — for example 2 allows limits of twice "
                                "the request");
        tmp->max_limit_request_ratio = json_number_value(ratio);
    }
    return AS_OK;
}

/* Parses spec into tmp (a default-initialised config sharing cfg's validators). */
static as_status parse_policy(struct as_policy_config *tmp, const json_t *spec,
                              struct as_error *err)
{
    static const char *const SVC_TYPES[] = {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName",
                                            NULL};
    const json_t *ps = json_object_get(spec, "podSecurity"), *v;
    const char *level = str_member(ps, "level"), *sa;
    as_status st;

    if (ps && !json_is_null(ps) &&
        (!json_is_object(ps) || (json_object_get(ps, "level") && !level)))
        return as_error_set(err, AS_E_CONFIG, "spec.podSecurity.level: expected a string");
    if (level && !as_pss_level_parse(level, &tmp->pss_level))
        return as_error_set(err, AS_E_CONFIG,
                            "spec.podSecurity.level: \"%s\" is not a level — "
                            "use privileged, baseline or restricted",
                            level);
    if ((st = read_modes(tmp, json_object_get(spec, "modes"), err)) != AS_OK)
        return st;
    if ((st = read_strs(spec, "allowedRegistries", "spec", &tmp->allowed_registries, err)) ||
        (st = read_strs(spec, "allowedServiceTypes", "spec", &tmp->allowed_service_types, err)) ||
        (st = read_strs(spec, "exemptNamespaces", "spec", &tmp->exempt_namespaces, err)) ||
        (st = read_strs(spec, "exemptUsers", "spec", &tmp->exempt_users, err)))
        return st;
    for (size_t i = 0; i < tmp->allowed_service_types.n; i++)
        if (!as__str_in(tmp->allowed_service_types.v[i], SVC_TYPES))
            return as_error_set(err, AS_E_CONFIG,
                                "spec.allowedServiceTypes[%zu]: \"%s\" is not a "
                                "Service type — use NodePort or LoadBalancer",
                                i, tmp->allowed_service_types.v[i]);
    v = json_object_get(spec, "requireDigest");
    if (v && !json_is_null(v) && !json_is_boolean(v))
        return as_error_set(err, AS_E_CONFIG, "spec.requireDigest: expected true or false");
    tmp->require_digest = json_is_true(v);
    if ((st = read_resources(tmp, json_object_get(spec, "resources"), err)) != AS_OK)
        return st;
    v = json_object_get(spec, "operatorServiceAccount");
    if (v && !json_is_null(v)) {
        sa = json_string_value(v);
        if (!sa || strncmp(sa, "system:serviceaccount:", 22) != 0 || !strchr(sa + 22, ':') ||
            sa[22] == ':' || strchr(sa + 22, ':')[1] == '\0')
            return as_error_set(err, AS_E_CONFIG,
                                "spec.operatorServiceAccount: must read "
                                "system:serviceaccount:<namespace>:<name>");
        if (set_operator_sa(tmp, sa) != AS_OK)
            return as_error_set(err, AS_E_NOMEM, "out of memory");
    }
    return AS_OK;
}

as_status as_policy_config_apply_policy(struct as_policy_config *cfg, const json_t *policy,
                                        struct as_error *err)
{
    struct as_policy_config tmp;
    const char *kind = str_member(policy, "kind");
    const json_t *spec = json_object_get(policy, "spec");
    as_status st;

    if (!kind || strcmp(kind, "AppStackPolicy") != 0)
        return as_error_set(err, AS_E_CONFIG, "kind: expected AppStackPolicy, got %s",
                            kind ? kind : "nothing");
    if (spec && !json_is_null(spec) && !json_is_object(spec))
        return as_error_set(err, AS_E_CONFIG, "spec: expected an object, got %s",
                            as_json_type_name(spec));
    if ((st = as_policy_config_init_default(&tmp)) != AS_OK)
        return as_error_set(err, st, "out of memory");
    tmp.validators = cfg->validators;
    tmp.n_validators = cfg->n_validators;
    st = parse_policy(&tmp, spec, err);
    if (st != AS_OK) {
        as_policy_config_free(&tmp);
        return st;
    }
    free_policy_part(cfg);
    cfg->pss_level = tmp.pss_level;
    cfg->overrides = tmp.overrides;
    cfg->n_overrides = tmp.n_overrides;
    cfg->allowed_registries = tmp.allowed_registries;
    cfg->require_digest = tmp.require_digest;
    cfg->max_container_cpu = tmp.max_container_cpu;
    cfg->max_container_memory = tmp.max_container_memory;
    cfg->max_pod_cpu = tmp.max_pod_cpu;
    cfg->max_pod_memory = tmp.max_pod_memory;
    cfg->max_limit_request_ratio = tmp.max_limit_request_ratio;
    cfg->allowed_service_types = tmp.allowed_service_types;
    cfg->exempt_namespaces = tmp.exempt_namespaces;
    cfg->exempt_users = tmp.exempt_users;
    cfg->operator_service_account = tmp.operator_service_account;
    cfg->operator_namespace = tmp.operator_namespace;
    return AS_OK;
}

/* Validates a label selector's shape. */
static as_status check_selector(const json_t *sel, struct as_error *err)
{
    static const char *const OPS[] = {"In", "NotIn", "Exists", "DoesNotExist", NULL};
    const json_t *ml = json_object_get(sel, "matchLabels"), *me, *e, *v;
    const char *key;
    size_t i;

    if (!json_is_object(sel))
        return as_error_set(err, AS_E_CONFIG, "spec.match.labelSelector: expected an object");
    if (ml && !json_is_object(ml))
        return as_error_set(err, AS_E_CONFIG,
                            "spec.match.labelSelector.matchLabels: expected "
                            "a map of label to value");
    json_object_foreach((json_t *)ml, key, v) if (!json_is_string(v)) return as_error_set(
        err, AS_E_CONFIG,
        "spec.match.labelSelector.matchLabels.%s: "
        "expected a string value — quote it",
        key);
    me = json_object_get(sel, "matchExpressions");
    if (me && !json_is_array(me))
        return as_error_set(err, AS_E_CONFIG,
                            "spec.match.labelSelector.matchExpressions: "
                            "expected a list");
    json_array_foreach(me, i, e)
    {
        const char *op = str_member(e, "operator");
        const json_t *vals = json_object_get(e, "values");
        bool needs = op && (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0);

        if (!str_member(e, "key") || !op || !as__str_in(op, OPS))
            return as_error_set(err, AS_E_CONFIG,
                                "spec.match.labelSelector.matchExpressions[%zu]"
                                ": needs a key and an operator In, NotIn, Exists or DoesNotExist",
                                i);
        if (needs != (json_is_array(vals) && json_array_size(vals) > 0))
            return as_error_set(err, AS_E_CONFIG,
                                "spec.match.labelSelector.matchExpressions[%zu]"
                                ".values: %s",
                                i,
                                needs ? "In and NotIn need at least one value"
                                      : "Exists and DoesNotExist take no values");
    }
    return AS_OK;
}

/* Reads a required non-empty string at obj[key] into *out (owned). */
static as_status req_string(const json_t *obj, const char *key, const char *path, char **out,
                            struct as_error *err)
{
    const char *s = str_member(obj, key);

    if (!s || !*s)
        return as_error_set(err, AS_E_CONFIG, "%s: required — set it", path);
    if (!(*out = strdup(s)))
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    return AS_OK;
}

static as_status parse_exception(const json_t *obj, struct as_policy_exception *ex,
                                 struct as_error *err)
{
    const json_t *meta = json_object_get(obj, "metadata"), *spec = json_object_get(obj, "spec");
    const json_t *match, *sel;
    const char *kind = str_member(obj, "kind"), *exp;
    as_status st;

    if (!kind || strcmp(kind, "AppStackPolicyException") != 0)
        return as_error_set(err, AS_E_CONFIG, "kind: expected AppStackPolicyException");
    if (!json_is_object(spec))
        return as_error_set(err, AS_E_CONFIG,
                            "spec: required — set rules, reason, ticket and "
                            "expiresAt");
    if ((st = req_string(meta, "name", "metadata.name", &ex->name, err)) ||
        (st = req_string(meta, "namespace", "metadata.namespace", &ex->namespace, err)) ||
        (st = req_string(spec, "reason", "spec.reason", &ex->reason, err)) ||
        (st = req_string(spec, "ticket", "spec.ticket", &ex->ticket, err)) ||
        (st = read_strs(spec, "rules", "spec", &ex->rules, err)))
        return st;
    if (ex->rules.n == 0)
        return as_error_set(err, AS_E_CONFIG,
                            "spec.rules: required — list the rule ids (or "
                            "families) this exception grants");
    for (size_t i = 0; i < ex->rules.n; i++) {
        enum as_policy_family f;

        if (!as_policy_rule_find(ex->rules.v[i]) && !as_policy_family_parse(ex->rules.v[i], &f) &&
            strncmp(ex->rules.v[i], "app-", 4) != 0)
            return as_error_set(err, AS_E_CONFIG,
                                "spec.rules[%zu]: unknown rule \"%s\" — use a "
                                "rule id as printed in a denial",
                                i, ex->rules.v[i]);
    }
    exp = str_member(spec, "expiresAt");
    if (!exp || !as_policy_rfc3339(exp, &ex->expires_at))
        return as_error_set(err, AS_E_CONFIG,
                            "spec.expiresAt: required RFC 3339 time — write it "
                            "like 2026-12-31T23:59:59Z");
    match = json_object_get(spec, "match");
    if (match && !json_is_null(match) && !json_is_object(match))
        return as_error_set(err, AS_E_CONFIG, "spec.match: expected an object");
    if ((st = read_strs(match, "kinds", "spec.match", &ex->kinds, err)) ||
        (st = read_strs(match, "names", "spec.match", &ex->names, err)))
        return st;
    sel = json_object_get(match, "labelSelector");
    if (sel && !json_is_null(sel)) {
        if ((st = check_selector(sel, err)) != AS_OK)
            return st;
        ex->selector = json_deep_copy(sel);
        if (!ex->selector)
            return as_error_set(err, AS_E_NOMEM, "out of memory");
    }
    return AS_OK;
}

as_status as_policy_exception_parse(const json_t *obj, struct as_policy_exception *out,
                                    struct as_error *err)
{
    struct as_policy_exception ex;
    as_status st;

    memset(&ex, 0, sizeof ex);
    st = parse_exception(obj, &ex, err);
    if (st != AS_OK) {
        as_policy_exception_free(&ex);
        return st;
    }
    *out = ex;
    return AS_OK;
}

as_status as_policy_config_add_exception(struct as_policy_config *cfg, const json_t *obj,
                                         struct as_error *err)
{
    struct as_policy_exception ex, *nv;
    as_status st = as_policy_exception_parse(obj, &ex, err);

    if (st != AS_OK)
        return st;
    nv = realloc(cfg->exceptions, (cfg->n_exceptions + 1) * sizeof *nv);
    if (!nv) {
        as_policy_exception_free(&ex);
        return as_error_set(err, AS_E_NOMEM, "out of memory");
    }
    cfg->exceptions = nv;
    cfg->exceptions[cfg->n_exceptions++] = ex;
    return AS_OK;
}
