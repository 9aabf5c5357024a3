/*
 * appstack.h - policy family 6 ("appstack") for the webhook: the renderer's
 * semantic validation of AppStack objects plugged into the policy engine as
 * a validator (rule app-spec-valid), and AppStack defaulting as JSON patch
 * operations for /mutate (the CRD schema's defaults, from lib/render).
 * Pure: no I/O.
 */
#ifndef AS_WEBHOOK_APPSTACK_H
#define AS_WEBHOOK_APPSTACK_H

#include <jansson.h>

#include "base/status.h"
#include "policy/policy.h"

/* The validator (static; borrowed by policy configurations). */
const struct as_policy_validator *as_appstack_validator(void);

/* True when obj is an appstack.io AppStack. */
bool as_appstack_is(const struct as_jv *obj);

/*
 * Appends to patch (an RFC 6902 array) one "add" operation for every value
 * the schema defaults that obj does not set. obj is borrowed; nothing is
 * appended for objects that are not AppStacks or have no spec.
 */
as_status as_appstack_default_patch(const json_t *obj, json_t *patch);

#endif
