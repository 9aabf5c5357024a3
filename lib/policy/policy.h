/*
 * policy.h - the policy engine: a rule table and a pure evaluation of one
 * Kubernetes object (plus, for UPDATE/DELETE, the old object) against a
 * policy configuration. No I/O, no clock: the caller passes the time.
 *
 * Families and their files:
 *   pod-security  pod_security.c  Pod Security Standards baseline + restricted
 *   resources     resources.c     requests/limits, maxima, limit/request ratio
 *   images        images.c        registries, :latest/untagged, digest pinning
 *   exposure      exposure.c      Ingress TLS, Service types
 *   secrets       secrets.c       literal env values under credential-like names
 *   appstack      (not here)      AppStack semantic validation: plugged in through
 *                                 struct as_policy_validator by the renderer's validator
 *   guarded       guarded.c       children of an AppStack changed only by the operator
 *
 * The rule table (id, family, default mode, description, remedy) is data in
 * rules.c; `as_policy_rules()` returns it.
 *
 * Mutating rules (they only fill unset fields, never override explicit values;
 * active only at pod-security level restricted, never for a Pod UPDATE):
 *   pss-restricted-seccomp              pod securityContext.seccompProfile.type RuntimeDefault
 *   pss-restricted-privilege-escalation container securityContext.allowPrivilegeEscalation false
 *   pss-restricted-capabilities         container securityContext.capabilities.drop gets ALL
 * Violations are reported for the object as given; the patch (RFC 6902 array)
 * is what the mutating webhook returns. Applying it makes those rules pass.
 */
#ifndef AS_POLICY_POLICY_H
#define AS_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/jv.h"
#include "base/status.h"

/* Ordered: a higher mode is stricter. OFF disables a rule. */
enum as_policy_mode { AS_POLICY_OFF, AS_POLICY_AUDIT, AS_POLICY_WARN, AS_POLICY_ENFORCE };

enum as_policy_family {
    AS_FAMILY_POD_SECURITY,
    AS_FAMILY_RESOURCES,
    AS_FAMILY_IMAGES,
    AS_FAMILY_EXPOSURE,
    AS_FAMILY_SECRETS,
    AS_FAMILY_APPSTACK,
    AS_FAMILY_GUARDED,
    AS_FAMILY__COUNT
};

/* Pod Security Standards level. PRIVILEGED turns every pod-security rule off. */
enum as_pss_level { AS_PSS_NONE, AS_PSS_PRIVILEGED, AS_PSS_BASELINE, AS_PSS_RESTRICTED };

enum as_policy_op { AS_OP_CREATE, AS_OP_UPDATE, AS_OP_DELETE, AS_OP_CONNECT };

/* One row of the rule table. All strings static. */
struct as_policy_rule {
    const char *id;
    enum as_policy_family family;
    enum as_policy_mode default_mode;
    enum as_pss_level level; /* pod-security rules: the lowest level that includes it */
    bool mutating;
    const char *description; /* one line */
    const char *remedy;      /* how to fix, appended to every message after " — " */
};

/* The built-in table (borrowed, static) and its length. */
const struct as_policy_rule *as_policy_rules(size_t *count);

/* Looks a rule up by id in the built-in table. Borrowed; NULL when unknown. */
const struct as_policy_rule *as_policy_rule_find(const char *id);

/* "pod-security", "resources", ... and back. _parse returns false for unknown names. */
const char *as_policy_family_name(enum as_policy_family f);
bool as_policy_family_parse(const char *s, enum as_policy_family *out);
/* "off", "audit", "warn", "enforce" and back. */
const char *as_policy_mode_name(enum as_policy_mode m);
bool as_policy_mode_parse(const char *s, enum as_policy_mode *out);
/* AdmissionReview operation names "CREATE", "UPDATE", "DELETE", "CONNECT". */
bool as_policy_op_parse(const char *s, enum as_policy_op *out);
/* "privileged", "baseline", "restricted" and back ("none" for AS_PSS_NONE). */
const char *as_pss_level_name(enum as_pss_level l);
bool as_pss_level_parse(const char *s, enum as_pss_level *out);

/* A list of owned strings. */
struct as_policy_strs {
    char **v;
    size_t n;
};

/* A mode override for a rule id or a family name. */
struct as_policy_override {
    char *name; /* owned */
    enum as_policy_mode mode;
};

/* One AppStackPolicyException, parsed (everything owned). */
struct as_policy_exception {
    char *name;
    char *namespace;
    struct as_policy_strs rules; /* rule ids or family names */
    struct as_policy_strs kinds; /* empty: any kind */
    struct as_policy_strs names; /* empty: any name */
    json_t *selector;            /* label selector (owned reference) or NULL: any labels */
    char *reason;
    char *ticket;
    int64_t expires_at; /* Unix seconds */
};

struct as_policy_eval; /* evaluation in progress (opaque) */

/*
 * Extra validators (family "appstack" lives in lib/render's validator): each
 * declares its rules (static table) and a check called for every evaluated
 * request; it reports through as_policy_report(). A validator's rules take part
 * in modes, overrides and exceptions exactly like built-in ones.
 */
typedef void (*as_policy_check_fn)(struct as_policy_eval *ev, const struct as_jv *object,
                                   void *ctx);
struct as_policy_validator {
    const struct as_policy_rule *rules;
    size_t n_rules;
    as_policy_check_fn check;
    void *ctx;
};

/* The engine configuration. Init with as_policy_config_init_default, free with _free. */
struct as_policy_config {
    enum as_pss_level pss_level;          /* default restricted */
    struct as_policy_override *overrides; /* owned array */
    size_t n_overrides;
    bool family_enabled[AS_FAMILY__COUNT];    /* all true by default (`check --rules`) */
    struct as_policy_strs allowed_registries; /* empty: any registry */
    bool require_digest;
    double max_container_cpu, max_container_memory; /* cores / bytes; 0 = no maximum */
    double max_pod_cpu, max_pod_memory;
    double max_limit_request_ratio;              /* 0 = no bound */
    struct as_policy_strs allowed_service_types; /* NodePort/LoadBalancer allowed if listed */
    struct as_policy_strs exempt_namespaces;     /* besides the always-exempt ones */
    struct as_policy_strs exempt_users;
    char *operator_service_account; /* "system:serviceaccount:NS:NAME" */
    char *operator_namespace;       /* derived from the account; always exempt */
    bool mutate;                    /* produce patches (default true) */
    struct as_policy_exception *exceptions;
    size_t n_exceptions;
    const struct as_policy_validator *validators; /* borrowed */
    size_t n_validators;
    /* Optional monotonic clock (ns) for per-family and per-rule timing in the result; NULL:
     * no timing. Injected so the engine itself reads no clock. */
    uint64_t (*clock_ns)(void);
};

#define AS_POLICY_DEFAULT_OPERATOR_SA "system:serviceaccount:appstack-system:appstack-operator"
/* The renderer marks workloads whose replicas an HPA owns with this annotation. */
#define AS_POLICY_REPLICAS_ANNOTATION "appstack.io/replicas-managed-by"

/* Fills cfg with the built-in defaults (the policy used before any object exists). */
as_status as_policy_config_init_default(struct as_policy_config *cfg);
void as_policy_config_free(struct as_policy_config *cfg);

/*
 * Applies an AppStackPolicy object (appstack.io/v1alpha1, kind AppStackPolicy)
 * on top of cfg. AS_E_CONFIG with "spec.x: what is wrong — what to do" for a
 * bad field; cfg is then unchanged.
 */
as_status as_policy_config_apply_policy(struct as_policy_config *cfg, const json_t *policy,
                                        struct as_error *err);

/* Parses an AppStackPolicyException object into *out (caller frees with _exception_free). */
as_status as_policy_exception_parse(const json_t *obj, struct as_policy_exception *out,
                                    struct as_error *err);
void as_policy_exception_free(struct as_policy_exception *ex);
/* Parses obj and appends it to cfg->exceptions. */
as_status as_policy_config_add_exception(struct as_policy_config *cfg, const json_t *obj,
                                         struct as_error *err);

/* The mode a rule has under cfg (rule-id override > family override > default). */
enum as_policy_mode as_policy_config_mode(const struct as_policy_config *cfg,
                                          const struct as_policy_rule *rule);

/*
 * An admission request, all borrowed. Objects are read-only trees (base/jv.h):
 * the webhook reads reviews straight into one; callers holding jansson values
 * convert with as_jv_from_json.
 */
struct as_policy_request {
    enum as_policy_op op;
    const char *user;               /* userInfo.username; NULL = unknown */
    const char *namespace;          /* request namespace; NULL: metadata.namespace of the object */
    const struct as_jv *object;     /* NULL for DELETE */
    const struct as_jv *old_object; /* UPDATE, DELETE */
    const char *subresource;        /* request.subResource; NULL or "" for the object itself */
    /* "scale": the object whose replicas change, as the caller read it (a Scale names no
     * owner); NULL when it does not exist or was not read. parent_unreadable: reading it
     * failed, so ownership is unknown and the guarded rule refuses the change. */
    const struct as_jv *parent;
    bool parent_unreadable;
    bool dry_run; /* carried for callers; the engine has no side effects either way */
    int64_t now;  /* Unix seconds, for exception expiry */
    /* with cfg->clock_ns: leave this evaluation untimed (a caller that times one in N) */
    bool untimed;
};

struct as_policy_violation {
    const struct as_policy_rule *rule; /* borrowed (static table or a validator's) */
    enum as_policy_mode mode;          /* effective; AUDIT when an exception granted it */
    char *path;                        /* owned, "spec.containers[0].image" */
    char *message;                     /* owned, "what is wrong — how to fix" */
    char *exception;                   /* owned name of the granting exception, or NULL */
};

/* The number of rules in the built-in table, and the most validators that are timed. */
#define AS_POLICY_BUILTIN_RULES 30
#define AS_POLICY_TIMED_VALIDATORS 8

/*
 * Timing (when cfg->clock_ns is set and the request is not untimed): family_ns covers everything a
 * family did; rule_ns[i] only the checks of built-in rule i (as_policy_rules()[i]), so work a
 * family shares between its rules (finding the pod spec, listing containers, parsing quantities or
 * image references) is in family_ns alone. validator_ns[i] is the time of cfg->validators[i] (the
 * first AS_POLICY_TIMED_VALIDATORS). Zero for what did not run.
 */
struct as_policy_result {
    struct as_policy_violation *v; /* owned */
    size_t n, cap;
    json_t *patch; /* owned RFC 6902 array, NULL when nothing to patch */
    uint64_t family_ns[AS_FAMILY__COUNT];
    uint64_t rule_ns[AS_POLICY_BUILTIN_RULES];
    uint64_t validator_ns[AS_POLICY_TIMED_VALIDATORS];
    const char *exempt_why; /* static: why the whole request was skipped, or NULL */
};

void as_policy_result_init(struct as_policy_result *r);
void as_policy_result_free(struct as_policy_result *r);

/*
 * Evaluates req under cfg into out (which must be initialised and empty).
 * Every violation of every active rule is listed, in rule-table order per
 * object walk. Returns AS_E_NOMEM or AS_E_INVALID_ARG (no object); on failure
 * out may hold a partial result and must still be freed.
 */
as_status as_policy_evaluate(const struct as_policy_config *cfg,
                             const struct as_policy_request *req, struct as_policy_result *out);

/*
 * as_policy_evaluate for callers holding jansson values (the CLI, the
 * operator, tests): object, old_object and parent (each may be NULL) are
 * converted into a private arena and set in *req for the evaluation, then
 * cleared. AS_E_NOMEM when a conversion runs out of memory.
 */
as_status as_policy_evaluate_json(const struct as_policy_config *cfg, struct as_policy_request *req,
                                  const json_t *object, const json_t *old_object,
                                  const json_t *parent, struct as_policy_result *out);

/*
 * For validators: reports a violation of rule_id at path ("what is wrong",
 * the rule's remedy is appended). Unknown ids and inactive rules are ignored.
 */
void as_policy_report(struct as_policy_eval *ev, const char *rule_id, const char *path,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* True when any violation has mode ENFORCE. */
bool as_policy_result_denied(const struct as_policy_result *r);

/*
 * Appends every violation of exactly `mode` as "rule-id path: message" lines
 * joined by sep (e.g. "\n" or "; ") to out.
 */
as_status as_policy_format(const struct as_policy_result *r, enum as_policy_mode mode,
                           const char *sep, struct as_buf *out);

/* Kubernetes quantity ("100m", "1.5Gi", "2e3") to a double in base units. */
bool as_policy_quantity(const char *s, double *out);

/* RFC 3339 date-time ("2026-01-02T03:04:05Z", offsets, fractions) to Unix seconds. */
bool as_policy_rfc3339(const char *s, int64_t *out);

/* True when labels (an object of strings, may be NULL) match a label selector. */
bool as_policy_selector_matches(const json_t *selector, const struct as_jv *labels);

#endif
