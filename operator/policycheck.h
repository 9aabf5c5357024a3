/*
 * policycheck.h - the PolicyCompliant condition: the rendered objects of a
 * stack evaluated by the admission policy engine (lib/policy) with its
 * built-in defaults at the stack's profile (spec.profile: restricted or
 * baseline), as the webhook would see the operator's own writes. Pure.
 */
#ifndef AS_OPERATOR_POLICYCHECK_H
#define AS_OPERATOR_POLICYCHECK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "status.h"

#define AS_OP_POLICY_MESSAGE_MAX 1024

/*
 * Evaluates every object of desired (borrowed) for appstack (borrowed) at
 * time now. Fills *out (evaluated, compliant = no enforce- or warn-mode
 * violation, violations = their count) and msg with up to a few
 * "rule-id path: message" lines joined by "; " (out->message points to msg).
 * Never fails: an object the engine cannot evaluate is skipped.
 */
void as_op_policy_check(const json_t *appstack, const json_t *desired, int64_t now,
                        struct as_op_policy_facts *out, char msg[AS_OP_POLICY_MESSAGE_MAX]);

#endif
