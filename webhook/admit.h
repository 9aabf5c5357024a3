/*
 * admit.h - one admission decision: AdmissionReview body in, HTTP status and
 * AdmissionReview response out, plus one audit-log line and metrics. No
 * network I/O (the server calls it inline on its service thread); the audit
 * line goes to a caller-supplied FILE.
 *
 * Handler order (as Gatekeeper's): decode; requests the engine exempts
 * (exempt users, exempt namespaces, the operator's account where a rule says
 * so) are allowed; evaluate; deny with every enforced violation joined,
 * warnings apart, audit-mode findings as audit annotations.
 */
#ifndef AS_WEBHOOK_ADMIT_H
#define AS_WEBHOOK_ADMIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/metrics.h"
#include "base/status.h"
#include "policy/policy.h"

/* Which endpoint: what the response may contain. */
enum as_admit_endpoint {
    AS_ADMIT_VALIDATE,          /* /validate: deny + warnings + audit annotations */
    AS_ADMIT_VALIDATE_ENFORCE,  /* /validate/enforce: only enforce-mode denials */
    AS_ADMIT_VALIDATE_ADVISORY, /* /validate/advisory: warnings + audit, always allowed */
    AS_ADMIT_MUTATE             /* /mutate: the engine's JSONPatch, always allowed */
};

/* Metric families the handler updates (borrowed from a registry; any may be NULL). */
struct as_admit_metrics {
    struct as_metric_family *decisions;    /* counter {webhook, kind, result} */
    struct as_metric_family *latency;      /* histogram {webhook} seconds */
    struct as_metric_family *eval;         /* histogram {webhook} seconds of policy evaluation */
    struct as_metric_family *violations;   /* counter {rule, mode} */
    struct as_metric_family *family;       /* histogram {webhook, family} seconds per rule family */
    struct as_metric_family *rule_seconds; /* counter {rule}: seconds in each rule's checks */
    struct as_metric_family *rule_evals;   /* counter {rule}: evaluations timed */
    struct as_admit_rule_times *rule_times; /* borrowed accumulators, or NULL: not counted */
};

/*
 * The policy engine times its rules and families (a clock read per rule check,
 * some 80 a Pod review: 5% of the webhook's CPU) for one decision in this
 * many on each thread; the rule and family metrics say so.
 */
#define AS_ADMIT_TIME_EVERY 16
#define AS_ADMIT_TIME_EVERY_S "16"

/* Built-in rules, then the first validators (policy.h's timing arrays). */
#define AS_ADMIT_TIMED (AS_POLICY_BUILTIN_RULES + AS_POLICY_TIMED_VALIDATORS)

/*
 * Per-rule times: every decision adds to these lock-free, and
 * as_admit_rule_times_publish moves them into rule_seconds / rule_evals when
 * /metrics is read. (Two registry updates per rule and decision were a tenth
 * of the CPU per review under callgrind.) Zero-initialise.
 */
struct as_admit_rule_times {
    _Atomic uint64_t ns[AS_ADMIT_TIMED], evals[AS_ADMIT_TIMED];
    pthread_mutex_t publish_lock; /* init with pthread_mutex_init */
    uint64_t published_ns[AS_ADMIT_TIMED], published_evals[AS_ADMIT_TIMED];
};

/*
 * Adds what was accumulated since the last call to the rule counters of m,
 * naming validator rules from cfg (a validator with one rule). Thread-safe.
 */
void as_admit_rule_times_publish(const struct as_admit_metrics *m,
                                 const struct as_policy_config *cfg);

/* Registers the families above in m. */
as_status as_admit_metrics_register(struct as_metrics *m, struct as_admit_metrics *out);

struct as_admit_env {
    const struct as_policy_config *cfg; /* borrowed for the call */
    struct as_admit_metrics metrics;
    FILE *audit;                 /* one JSON line per decision, or NULL */
    pthread_mutex_t *audit_lock; /* serialises audit writes, or NULL */
    /*
     * Reads the object a /scale request changes (resource group, plural,
     * namespace, name) into *out (caller owns; NULL when it does not exist), for
     * the guarded-children rule. Called on the deciding thread; must be
     * thread-safe. NULL: no reader (scales are then checked without a parent).
     */
    as_status (*read_object)(void *ctx, const char *group, const char *plural, const char *ns,
                             const char *name, json_t **out);
    void *read_ctx;
};

/* "/validate" etc. to an endpoint; false for unknown paths. */
bool as_admit_endpoint_parse(const char *path, enum as_admit_endpoint *out);
const char *as_admit_endpoint_name(enum as_admit_endpoint e);

/*
 * Decides one request. On a decodable review: *http_status = 200 and out
 * holds the AdmissionReview response. On a malformed body: 400 (413 when too
 * large) and out holds a plain-text message naming the field. now is Unix
 * seconds (exception expiry); start_ns is when the request began
 * (CLOCK_MONOTONIC), for the latency. Returns AS_E_NOMEM / AS_E_LIMIT when
 * out could not be filled (the caller answers 500).
 */
as_status as_admit_handle(const struct as_admit_env *env, enum as_admit_endpoint ep,
                          const char *body, size_t len, int64_t now, int64_t start_ns,
                          struct as_buf *out, int *http_status);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t as_admit_now_ns(void);

#endif
