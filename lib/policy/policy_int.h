/*
 * policy_int.h - library-internal: the evaluation context shared by the
 * engine and the rule-family files, pod-spec location, and path helpers.
 */
#ifndef AS_POLICY_POLICY_INT_H
#define AS_POLICY_POLICY_INT_H

#include "base/json.h"
#include "policy/policy.h"

#define AS__PATH_MAX 512

struct as_policy_eval {
    const struct as_policy_config *cfg;
    const struct as_policy_request *req;
    struct as_policy_result *out;
    as_status status;  /* first internal failure (out of memory) */
    const json_t *obj; /* the object evaluated (new, or old for DELETE) */
    const char *kind;
    const char *name;
    const char *namespace;
    json_t *work; /* copy of obj the patches were applied to (owned), lazily made */
    bool may_patch;
};

/* Where the pod spec of an object lives. */
struct as__podspec {
    const json_t *spec;   /* borrowed pod spec */
    const json_t *meta;   /* borrowed pod (template) metadata, may be NULL */
    char prefix[64];      /* dotted path of the pod spec: "spec.template.spec" */
    char meta_prefix[64]; /* dotted path of the metadata: "spec.template.metadata" */
    bool windows;         /* spec.os.name == "windows" */
};

/* Fills ps for Pods and workload kinds; false for other kinds. */
bool as__podspec_find(const json_t *obj, struct as__podspec *ps);

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
const char *as__str(const json_t *obj, const char *key);
/* True when member key is JSON true. */
bool as__true(const json_t *obj, const char *key);

#endif
