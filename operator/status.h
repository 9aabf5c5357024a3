/*
 * status.h - the AppStack's status, computed from the stack, the rendered
 * objects, the cached children and a few facts only the I/O layer knows.
 * Pure: "now" is an input; nothing is read from the clock or the network.
 * Follows kstatus and docs/api.md ("Status and conditions"):
 *
 * - observedGeneration = metadata.generation (also on every condition).
 * - Conditions, in this order (domain conditions only when they apply):
 *   Ready, Reconciling, Stalled, ComponentsAvailable, DatabaseReady,
 *   CacheReady, CertificateReady, BackupHealthy, PolicyCompliant,
 *   OptionalAPIsAvailable. Reasons are exactly those of docs/api.md.
 *   lastTransitionTime is taken from old_status for a condition whose
 *   status did not change, else it is now; so an unchanged stack gives an
 *   identical status and as_op_status_changed() says "no write". Conditions
 *   of other types in old_status are dropped (the operator owns status).
 * - Stalled=True (first match wins): InvalidSpec (render failed with
 *   AS_E_CONFIG; the message lists every field error; running objects are
 *   kept), SecretMissing (facts.missing_secrets, or the tls.secretName
 *   Secret is absent), ApplyRejected (facts.apply_error), APIMissing
 *   (ingress.gateway without Gateway API), MigrationFailed (a migration Job
 *   failed). While stalled, Reconciling is False.
 * - Reconciling=True (first match wins): Progressing (facts.applied > 0, a
 *   desired object is not in the cache yet, or generated secrets are being
 *   made), MigrationRunning, RollingOut (a Deployment/StatefulSet whose
 *   controller lags its generation, has fewer updated replicas than desired,
 *   still runs old pods, or is rolling out new pods not yet available),
 *   WaitingForCertificate (CertificateReady is Issuing).
 * - Component availability: Deployment: status.observedGeneration >=
 *   generation, updatedReplicas == replicas == status.replicas and
 *   availableReplicas >= replicas; StatefulSet: observed generation current,
 *   currentRevision == updateRevision, updatedReplicas and readyReplicas >=
 *   replicas; CronJob: the last run did not fail (a lastScheduleTime later
 *   than lastSuccessfulTime with no active Job means it failed).
 * - DatabaseReady/CacheReady: the <stack>-postgres / <stack>-redis
 *   StatefulSet is available (absent or rolling: Provisioning; else
 *   NotReady) and, for postgres, the setup Job completed.
 * - CertificateReady (Ingress mode with tls): cert-manager Certificate
 *   <stack>-tls (Ready condition and status.notAfter) for issuerRef; the
 *   TLS Secret facts for selfSigned and secretName. Valid when notAfter is
 *   more than monitoring.alerts.certificateDaysLeft (default 14) days away;
 *   Expiring within that; Expired after it. Self-signed renewalTime is
 *   notBefore + 2/3 of the lifetime.
 * - BackupHealthy (services with backup.enabled): from the CronJob
 *   <stack>-<service>-backup: Fresh when lastSuccessfulTime is younger than
 *   monitoring.alerts.backupMaxAgeHours (default 26); Failed when the last
 *   run failed; Stale when older; Unknown NoBackupYet when there was no
 *   success yet and the CronJob (or the stack) is younger than that age;
 *   Suspended (spec.suspend or backup.suspend).
 * - Ready=True when nothing is stalled, suspended or reconciling and
 *   ComponentsAvailable, DatabaseReady, CacheReady, CertificateReady are True
 *   and BackupHealthy is not Stale/Failed. NoBackupYet (a new stack) and a
 *   deliberately suspended backup do not make Ready False; nor do
 *   PolicyCompliant and OptionalAPIsAvailable (reported, not blocking).
 * - Other fields: components[] (name, type, image, replicas, readyReplicas,
 *   updatedReplicas; cron: lastScheduleTime, lastSuccessfulTime), url
 *   (https://<ingress.host>), certificate {secretName, notAfter,
 *   renewalTime}, backups[] {service, lastScheduleTime, lastSuccessfulTime},
 *   policy {compliant, violations, message} (when evaluated), inventory[]
 *   (the desired objects' apiVersion, kind, namespace, name, sorted in that
 *   order, at most 512 - the CRD's limit; kept from old_status when the
 *   render failed).
 * - Never a secret value: only named fields of the children are read (no
 *   Secret data, no env values); messages come from field errors, names and
 *   counts.
 */
#ifndef AS_OPERATOR_STATUS_H
#define AS_OPERATOR_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/status.h"
#include "render/render.h"

/* The certificate in the TLS Secret (selfSigned / secretName modes), read by the I/O layer. */
struct as_op_cert_facts {
    bool present;       /* the Secret exists and holds a parsable certificate */
    int64_t not_before; /* Unix seconds */
    int64_t not_after;  /* Unix seconds */
};

/* The admission policy engine's verdict on the rendered objects. */
struct as_op_policy_facts {
    bool evaluated; /* false: no PolicyCompliant condition, no status.policy */
    bool compliant;
    int violations;
    const char *message; /* borrowed; "rule-id path: message" lines; may be NULL */
};

struct as_op_status_facts {
    int64_t now;                                 /* Unix seconds */
    unsigned apis;                               /* AS_API_* present in the cluster */
    as_status render_result;                     /* what as_render returned */
    const struct as_field_errors *render_errors; /* borrowed; its errors when not AS_OK */
    struct as_op_cert_facts tls;
    struct as_op_policy_facts policy;
    const char *missing_secrets; /* borrowed: "secret a (key k); secret b" or NULL */
    const char *apply_error;     /* borrowed: why an apply was refused, or NULL */
    size_t applied;              /* objects applied or deleted in this pass */
};

/*
 * Computes the new status. appstack (borrowed) is the AppStack; desired
 * (borrowed, NULL when the render failed) the rendered objects; live
 * (borrowed, NULL = none) an array of the cached children of every kind the
 * stack renders (with apiVersion and kind set, as the informer stores
 * them); old_status (borrowed, NULL = appstack's .status) the status to keep
 * lastTransitionTimes from. On success *out is a new object (caller owns).
 * AS_E_INVALID_ARG when appstack has no metadata.name or facts is NULL;
 * AS_E_NOMEM. *out untouched on failure.
 */
as_status as_op_compute_status(const json_t *appstack, const json_t *desired, const json_t *live,
                               const struct as_op_status_facts *facts, const json_t *old_status,
                               json_t **out, struct as_error *err);

/* True when new_status differs from old_status in any way (exact JSON equality; NULLs equal). */
bool as_op_status_changed(const json_t *old_status, const json_t *new_status);

/*
 * The next time the status could change with no event: the self-signed
 * certificate's renewalTime, the certificate crossing certificateDaysLeft
 * and notAfter, a backup turning stale (lastSuccessfulTime +
 * backupMaxAgeHours), the end of the first backup window (creation +
 * backupMaxAgeHours). Times already past are ignored. Returns true and
 * *seconds (>= 1, from now) when there is one; false ("none") otherwise.
 */
bool as_op_next_deadline(const json_t *appstack, const json_t *status, int64_t now,
                         int64_t *seconds);

/* A condition of status by type (borrowed) or NULL. */
const json_t *as_op_condition(const json_t *status, const char *type);

#endif
