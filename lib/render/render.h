/*
 * render.h - the renderer: one AppStack in, the ordered list of desired
 * child objects out, or every field error found. Pure: no I/O, no clock, no
 * randomness; the same AppStack and facts always give byte-identical output
 * (as_json_dump_canonical / as_json_to_yaml sort keys).
 *
 * What only the cluster knows comes in as facts (struct as_render_facts).
 * The operator gathers them; `appstackctl render` supplies placeholders.
 */
#ifndef AS_RENDER_RENDER_H
#define AS_RENDER_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/status.h"

/* Optional APIs present in the cluster (bit flags for as_render_facts.apis). */
#define AS_API_CERT_MANAGER 0x1u /* cert-manager.io/v1 Certificate */
#define AS_API_PROMETHEUS_OPERATOR                                                                 \
    0x2u                    /* monitoring.coreos.com/v1 ServiceMonitor, PrometheusRule */
#define AS_API_GATEWAY 0x4u /* gateway.networking.k8s.io/v1 HTTPRoute */

/*
 * Facts. Every pointer is borrowed and may be NULL (= empty).
 *
 * secrets: the values of the generated Secrets that already exist or that the
 *   operator has just generated, by Secret name (the child's name, e.g.
 *   "shop-postgres", "shop-app") then key: {"shop-app": {"jwt": "…"}}. Values are
 *   the plain text (the renderer base64-encodes them). A generated Secret the
 *   spec needs whose name or key is absent makes as_render fail with
 *   AS_E_MISSING and one error per missing value naming the Secret and key:
 *   the renderer never invents values. The names and keys needed are listed by
 *   as_render_needed_secrets().
 * ref_hashes: hex digests of the Secrets the stack reads but does not own
 *   (secrets.fromExisting, by their own name): {"twinme-llm": "ab12…"}. An
 *   absent entry hashes as "absent", so a pod rolls when the Secret appears.
 * namespace: used when the AppStack has no metadata.namespace; when both are
 *   absent the children carry no namespace (kubectl's current namespace).
 * apis: AS_API_* bits.
 */
struct as_render_facts {
    const json_t *secrets;
    const json_t *ref_hashes;
    const char *namespace;
    unsigned apis;
};

/*
 * A list of field errors, each "spec.path: problem — what to do". Storage is
 * owned by the list; init before use, free after. At most AS_FIELD_ERRORS_MAX
 * are kept (a final "…more errors" line says when some were dropped).
 */
#define AS_FIELD_ERRORS_MAX 200
struct as_field_errors {
    char **items; /* owned strings */
    size_t count;
    size_t cap;
    size_t dropped; /* errors past the maximum, counted not kept */
};

void as_field_errors_init(struct as_field_errors *e);
void as_field_errors_free(struct as_field_errors *e);
/* Appends one formatted message. AS_E_NOMEM when out of memory (the error is then lost). */
as_status as_field_errors_add(struct as_field_errors *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Renders appstack (borrowed; any JSON value, validated here) with facts
 * (borrowed; NULL means no facts at all).
 *
 * Returns AS_OK and *objects_out = a new JSON array of objects (caller owns),
 * ordered by kind rank (ServiceAccount, Secret, ConfigMap,
 * PersistentVolumeClaim, Service, Deployment, StatefulSet, Job, CronJob,
 * HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicy, Ingress,
 * HTTPRoute, Certificate, ServiceMonitor, PrometheusRule) then name.
 * Returns AS_E_CONFIG when the AppStack is invalid, AS_E_MISSING when a
 * generated secret value is absent from facts: errors (must be initialised,
 * may already hold entries) then has every problem found, and *objects_out is
 * untouched. AS_E_NOMEM on allocation failure. Never a partial render.
 *
 * ownerReferences: a controller reference to the AppStack is set when its
 * metadata.uid is present (always, in the operator); offline input without
 * a uid gets none. The operator's own namespace is not needed: flows from
 * outside the stack come from spec.networkPolicy.
 *
 * Reentrant and thread-safe: nothing is shared between calls except the
 * embedded schema, parsed once per process (pthread_once) and only read.
 * Defaults of the CRD schema are applied to a private copy; appstack is never
 * modified. AS_E_INVALID_ARG when objects_out or errors is NULL.
 */
as_status as_render(const json_t *appstack, const struct as_render_facts *facts,
                    json_t **objects_out, struct as_field_errors *errors);

/*
 * Parses the embedded schema now instead of on the first call that needs it
 * (once per process, thread-safe). A long-running program calls it before
 * its threads start, so the schema's many small allocations sit together
 * rather than scattered among a first reconcile's short-lived ones.
 */
void as_render_preload(void);

/*
 * Lists the generated Secret values the spec needs, as a new object
 * {"<secret name>": {"<key>": {"length": N, "encoding": "hex|base64|alphanumeric"}}}
 * (caller owns), so the operator (or the CLI) can make the missing ones before
 * rendering. Returns AS_E_CONFIG with errors when the AppStack is invalid.
 */
as_status as_render_needed_secrets(const json_t *appstack, json_t **needed_out,
                                   struct as_field_errors *errors);

/*
 * Validates appstack exactly as as_render does (document shape, the CRD
 * schema, every semantic rule) without rendering: AS_OK, or AS_E_CONFIG with
 * every problem appended to errors. For the webhook's `appstack` rules.
 */
as_status as_render_validate(const json_t *appstack, struct as_field_errors *errors);

/*
 * A copy of appstack with the CRD schema's defaults filled in (what the API
 * server stores), in *defaulted_out (caller owns). Wrong types are left as
 * they are (validate first). AS_E_INVALID_ARG when appstack has no object
 * spec. For the webhook's defaulting and for `appstackctl` users.
 */
as_status as_render_defaults(const json_t *appstack, json_t **defaulted_out);

#endif
