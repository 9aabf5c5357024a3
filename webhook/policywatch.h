/*
 * policywatch.h - the live policy configuration: the built-in default until
 * an AppStackPolicy exists, rebuilt (no restart) whenever the followed
 * AppStackPolicy or any AppStackPolicyException changes, seen through two
 * informers (lib/informer).
 *
 * Readers take a counted reference (as_policyset_acquire / _release), so a
 * rebuild never frees a configuration a request is still using.
 */
#ifndef AS_WEBHOOK_POLICYWATCH_H
#define AS_WEBHOOK_POLICYWATCH_H

#include <stdbool.h>

#include "base/status.h"
#include "kube/client.h"
#include "policy/policy.h"

struct as_policyset;

/* A configuration snapshot (counted). */
struct as_policy_snapshot {
    struct as_policy_config cfg;
    int refs; /* guarded by the set's lock */
};

/*
 * Creates the set with the built-in default. policy_name is the AppStackPolicy
 * followed; operator_sa (may be NULL) overrides the default operator account;
 * validators (borrowed, may be NULL) are added to every configuration.
 */
as_status as_policyset_new(const char *policy_name, const char *operator_sa,
                           const struct as_policy_validator *validators, size_t n_validators,
                           struct as_policyset **out, struct as_error *err);

/* Starts the informers on client (borrowed; must outlive the set). */
as_status as_policyset_watch(struct as_policyset *ps, struct as_kube_client *client,
                             struct as_error *err);

/*
 * Uses policy (an AppStackPolicy object, copied) instead of watching
 * (--policy-file). AS_E_CONFIG with err naming the field when it is invalid.
 */
as_status as_policyset_use_policy(struct as_policyset *ps, const json_t *policy,
                                  struct as_error *err);

/* True when not watching (default only) or both informers have synced. */
bool as_policyset_synced(struct as_policyset *ps);

/* Takes / drops a reference to the current snapshot. */
const struct as_policy_config *as_policyset_acquire(struct as_policyset *ps);
void as_policyset_release(struct as_policyset *ps, const struct as_policy_config *cfg);

/* How many configurations were built (1 = only the default). */
unsigned long as_policyset_generation(struct as_policyset *ps);

/* Stops the informers and frees everything (no reader may hold a snapshot). */
void as_policyset_free(struct as_policyset *ps);

#endif
