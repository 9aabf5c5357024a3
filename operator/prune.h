/*
 * prune.h - which owned children to delete: the live objects this AppStack
 * controls that the current render no longer wants. Pure.
 *
 * Owned means: a controller ownerReference (controller: true) whose uid is
 * the AppStack's metadata.uid. The stack label alone is not enough (objects
 * kept from an earlier AppStack of the same name under deletionPolicy Retain
 * carry the label but no reference, and must be left alone); objects
 * controlled by a child (a CronJob's Jobs, a StatefulSet's claims) are not
 * owned by the AppStack and never listed.
 *
 * Identity: API group (not version: autoscaling/v1 and /v2 name the same
 * object), kind, namespace (a desired object without one is in the
 * AppStack's namespace) and name.
 *
 * Data is kept: PersistentVolumeClaims (backup claims) and Opaque Secrets
 * (generated secrets: passwords matching retained volumes) are pruned only
 * when spec.deletionPolicy is "Delete". Objects already being deleted
 * (metadata.deletionTimestamp set) are skipped, so a second pass writes
 * nothing. Call it only after a successful render: an invalid spec must not
 * tear down what runs.
 */
#ifndef AS_OPERATOR_PRUNE_H
#define AS_OPERATOR_PRUNE_H

#include <stdbool.h>

#include <jansson.h>

#include "base/status.h"

/*
 * appstack (borrowed): the AppStack (metadata.uid, metadata.namespace,
 * spec.deletionPolicy). desired (borrowed): array of rendered objects.
 * keep (borrowed, may be NULL): array of further objects the operator made
 * itself and wants to keep (the self-signed TLS Secret). live (borrowed):
 * array of cached children (any set: foreign ones are filtered out here).
 *
 * On success *out is a new array (caller owns) of references
 * {"apiVersion","kind","namespace","name","uid"} to delete (send uid as a
 * delete precondition), sorted by kind, namespace, name, apiVersion.
 * AS_E_INVALID_ARG (err names the field) when appstack has no
 * metadata.uid or desired/live are not arrays; *out untouched.
 */
as_status as_op_prune(const json_t *appstack, const json_t *desired, const json_t *keep,
                      const json_t *live, json_t **out, struct as_error *err);

/* True when obj has a controller ownerReference with this uid. */
bool as_op_is_controlled_by(const json_t *obj, const char *uid);

/* True when obj is data kept under deletionPolicy Retain (PVC, Opaque Secret). */
bool as_op_is_data(const json_t *obj);

#endif
