/*
 * diff.h - "does this child need a server-side apply?": the comparison of a
 * rendered (desired) object with the live object from the informer cache,
 * on the fields the operator owns only. This is what makes steady state cost
 * nothing: an unchanged stack over an unchanged cluster compares equal, so no
 * apply is sent, although the API server has added defaults and other
 * controllers have added fields of their own.
 *
 * The rule: live must carry every field of desired with an equal value
 * ("desired is a subset of live"). Exactly:
 *
 * - Top level: apiVersion, kind and status of desired are not compared (list
 *   items from the API server carry no apiVersion/kind; the caller matched
 *   the kind already; status is not applied).
 * - metadata: the fields the server owns (uid, resourceVersion, generation,
 *   creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds,
 *   managedFields, selfLink) are ignored; labels and annotations are maps,
 *   so only the keys desired sets are compared and foreign keys (another
 *   tool's annotation) are tolerated; ownerReferences are keyed by uid.
 * - Objects (maps): every key of desired must be in live with a matching
 *   value, recursively; keys only live has (server defaults such as a
 *   Service's clusterIP, a container's terminationMessagePath, a probe's
 *   successThreshold, a Deployment's progressDeadlineSeconds) are tolerated.
 * - Keyed lists (the list-map keys of server-side apply): containers,
 *   initContainers, ephemeralContainers, env, volumes, imagePullSecrets,
 *   resourceClaims (name); volumeMounts (mountPath); volumeDevices
 *   (devicePath); conditions (type); ownerReferences (uid); hostAliases
 *   (ip); topologySpreadConstraints (topologyKey, whenUnsatisfiable); a
 *   container's ports (containerPort, protocol); a Service's spec.ports
 *   (port, protocol). A missing protocol counts as "TCP" (the server's
 *   default). Each desired element must match the live element with the
 *   same key (subset, recursively), and the matched live elements must be in
 *   desired's relative order (env order matters for $(VAR) expansion).
 *   Extra live elements are tolerated (an injected sidecar, a volume added
 *   by a mutating webhook).
 * - Every other list is atomic: same length, element i of desired a subset
 *   of element i of live when elements are objects (the server defaults
 *   fields inside them, e.g. protocol TCP in a NetworkPolicy port, or a
 *   volumeClaimTemplate's volumeMode and status), equal when they are
 *   scalars (args, command, policyTypes, capabilities.drop). An extra
 *   element in live is a difference (a hand-added NetworkPolicy rule is
 *   reverted).
 * - Scalars: equal JSON values; numbers compare by value (1 == 1.0).
 *   Quantities are compared by value when the key is cpu, memory, storage,
 *   ephemeral-storage or sizeLimit, or the parent is requests/limits
 *   ("1000m" == "1", "1024Mi" == "1Gi"), because the server stores them in
 *   canonical form.
 * - Absent in live: matches when desired's value is null, "", {} or []
 *   (the server drops empty values marked omitempty, e.g. a NetworkPolicy's
 *   `ingress: []`). false and 0 do NOT match an absent field (a removed
 *   `automountServiceAccountToken: false` is a difference), except for the
 *   non-pointer omitempty fields that the server drops when zero:
 *   initialDelaySeconds, publishNotReadyAddresses, paused, hostNetwork,
 *   hostPID, hostIPC, stdin, stdinOnce, tty.
 *
 * Fields removed from the spec: a subset check cannot see that live still
 * carries a field desired no longer has (an env var taken out of the
 * AppStack). as_op_stamp() therefore writes a hash of the whole desired
 * object into the annotation appstack.io/applied-hash before comparing and
 * applying; any change of desired, removals included, changes the hash, so
 * the annotation differs and the object is applied (server-side apply then
 * drops the fields the operator no longer sends). Steady state is unaffected:
 * the same desired object gives the same hash.
 *
 * Known limit: a Secret rendered with stringData never compares equal (the
 * server converts it to data; the renderer writes data).
 */
#ifndef AS_OPERATOR_DIFF_H
#define AS_OPERATOR_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/status.h"

/*
 * True when live (borrowed; NULL = the object does not exist) does not
 * already carry every field of desired (borrowed) with an equal value, by the
 * rules above. When where is not NULL and the result is true, where receives
 * the path of the first difference, e.g.
 * "spec.template.spec.containers[name=web].image" (truncated to where_size);
 * "(absent)" when live is NULL. Pure; never fails.
 */
bool as_op_needs_apply(const json_t *desired, const json_t *live, char *where, size_t where_size);

#define AS_OP_APPLIED_HASH_ANNOTATION "appstack.io/applied-hash"

/*
 * Sets metadata.annotations["appstack.io/applied-hash"] of obj (edited in
 * place; must be an object) to 16 hex digits of the SHA-256 of obj's
 * canonical JSON without that annotation. Idempotent. AS_E_INVALID_ARG when
 * obj is not an object or metadata is not an object; AS_E_NOMEM.
 */
as_status as_op_stamp(json_t *obj);

/*
 * Compares two Kubernetes quantities ("500m", "0.5", "1Gi", "1e3") by value.
 * False when either does not parse.
 */
bool as_op_quantity_equal(const char *a, const char *b);

#endif
