/*
 * policy_int.h - library-internal: the evaluation context shared by the
 * engine and the rule-family files, pod-spec location, and path helpers.
 */
#ifndef AS_POLICY_POLICY_INT_H
#define AS_POLICY_POLICY_INT_H

#include "base/json.h"
#include "base/jv.h"
#include "policy/policy.h"

#define AS__PATH_MAX 512

struct as_policy_eval {
    const struct as_policy_config *cfg;
    const struct as_policy_request *req;
    struct as_policy_result *out;
    as_status status;        /* first internal failure (out of memory) */
    const struct as_jv *obj; /* the object evaluated (new, or old for DELETE) */
    const char *kind;
    const char *name;
    const char *namespace;
    json_t *work; /* jansson copy of obj the patches were applied to (owned), lazily made */
    bool may_patch;
    uint64_t (*clock)(void); /* cfg->clock_ns when this evaluation is timed, else NULL */
};

/*
 * Indices of the built-in rules in the rule table (rules.c fills the table with
 * designated initialisers, so an index always names its row).
 */
enum as__rule_ix {
    AS_R_PSS_BASELINE_HOST_PROCESS,
    AS_R_PSS_BASELINE_HOST_NAMESPACES,
    AS_R_PSS_BASELINE_PRIVILEGED,
    AS_R_PSS_BASELINE_CAPABILITIES,
    AS_R_PSS_BASELINE_HOST_PATH,
    AS_R_PSS_BASELINE_HOST_PORTS,
    AS_R_PSS_BASELINE_HOST_PROBES,
    AS_R_PSS_BASELINE_APPARMOR,
    AS_R_PSS_BASELINE_SELINUX,
    AS_R_PSS_BASELINE_PROC_MOUNT,
    AS_R_PSS_BASELINE_SECCOMP,
    AS_R_PSS_BASELINE_SYSCTLS,
    AS_R_PSS_RESTRICTED_VOLUME_TYPES,
    AS_R_PSS_RESTRICTED_PRIVILEGE_ESCALATION,
    AS_R_PSS_RESTRICTED_RUN_AS_NON_ROOT,
    AS_R_PSS_RESTRICTED_RUN_AS_USER,
    AS_R_PSS_RESTRICTED_SECCOMP,
    AS_R_PSS_RESTRICTED_CAPABILITIES,
    AS_R_RES_REQUESTS_REQUIRED,
    AS_R_RES_LIMITS_REQUIRED,
    AS_R_RES_CONTAINER_MAX,
    AS_R_RES_POD_MAX,
    AS_R_RES_LIMIT_REQUEST_RATIO,
    AS_R_IMG_ALLOWED_REGISTRIES,
    AS_R_IMG_NO_LATEST,
    AS_R_IMG_REQUIRE_DIGEST,
    AS_R_EXP_INGRESS_TLS,
    AS_R_EXP_SERVICE_TYPE,
    AS_R_SEC_LITERAL_CREDENTIAL_ENV,
    AS_R_GRD_OWNED_BY_APPSTACK,
    AS_R__COUNT
};
_Static_assert(AS_R__COUNT == AS_POLICY_BUILTIN_RULES, "AS_POLICY_BUILTIN_RULES is out of date");

/*
 * Per-rule timing around one rule's own checks: t0 = as__clock(ev), then
 * as__rule_time(ev, AS_R_..., t0), which returns the time it read so that
 * checks in a row chain (t = as__rule_time(ev, AS_R_..., t)). Both cost
 * nothing when the evaluation is not timed (ev->clock); a rule checked in
 * several places adds up.
 */
static inline uint64_t as__clock(const struct as_policy_eval *ev)
{
    return ev->clock ? ev->clock() : 0;
}

static inline uint64_t as__rule_time(struct as_policy_eval *ev, enum as__rule_ix rule, uint64_t t0)
{
    uint64_t now;

    if (!ev->clock)
        return 0;
    now = ev->clock();
    ev->out->rule_ns[rule] += now - t0;
    return now;
}

/* Where the pod spec of an object lives. */
struct as__podspec {
    const struct as_jv *spec; /* borrowed pod spec */
    const struct as_jv *meta; /* borrowed pod (template) metadata, may be NULL */
    char prefix[64];          /* dotted path of the pod spec: "spec.template.spec" */
    char meta_prefix[64];     /* dotted path of the metadata: "spec.template.metadata" */
    bool windows;             /* spec.os.name == "windows" */
};

/* Fills ps for Pods and workload kinds; false for other kinds. */
bool as__podspec_find(const struct as_jv *obj, struct as__podspec *ps);

/* Container lists of a pod spec, in evaluation order. */
extern const char *const as__container_lists[3];

/* True when rule_id is active for this evaluation (known, family enabled, level, mode). */
bool as__rule_active(const struct as_policy_eval *ev, const char *rule_id);

/* as_policy_report with a va_list. */
void as__report(struct as_policy_eval *ev, const char *rule_id, const char *path, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

/*
 * Adds `value` (stolen) at dotted path in the working copy if that path is
 * unset, creating missing parents, and records the RFC 6902 "add" op. A path
 * ending in "[-]" appends to an existing array. No-op when patches are not allowed.
 */
void as__patch_add(struct as_policy_eval *ev, const char *path, json_t *value);

/*
 * Appends s to the path in out (n bytes, *len bytes used), truncating as
 * snprintf would, and NUL-terminates it: the first call with *len == 0
 * starts the string. as__path_index appends "[i]". For the paths built on
 * every pod, where snprintf's format parsing is most of the cost.
 */
void as__path_add(char *out, size_t n, size_t *len, const char *s);
void as__path_add_n(char *out, size_t n, size_t *len, const char *s, size_t slen);
void as__path_index(char *out, size_t n, size_t *len, size_t i);

/* Small string-list helpers. */
bool as__strs_has(const struct as_policy_strs *s, const char *v);
bool as__str_in(const char *s, const char *const *list);

/* The family checks. */
void as__check_pod_security(struct as_policy_eval *ev);
void as__check_resources(struct as_policy_eval *ev);
void as__check_images(struct as_policy_eval *ev);
void as__check_exposure(struct as_policy_eval *ev);
void as__check_secrets(struct as_policy_eval *ev);
void as__check_guarded(struct as_policy_eval *ev);

/* Convenience: string member or NULL. */
static inline const char *as__str(const struct as_jv *obj, const char *key)
{
    return as_jv_str(as_jv_get(obj, key));
}
/* True when member key is JSON true. */
static inline bool as__true(const struct as_jv *obj, const char *key)
{
    return as_jv_is_true(as_jv_get(obj, key));
}

#endif
