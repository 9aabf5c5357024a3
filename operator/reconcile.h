/*
 * reconcile.h - one reconcile of one AppStack key ("namespace/name"): the
 * level-based loop of operator/README.md over the informers' caches (I/O:
 * writes go to the API server, reads come from the caches).
 *
 * Outcomes, as controller-runtime's: done (forget the key), requeue after a
 * delay (a deadline: certificate renewal, backup freshness, a referenced
 * Secret still missing), or retry with the queue's per-key backoff (a write
 * failed or the cache lags behind our own writes).
 */
#ifndef AS_OPERATOR_RECONCILE_H
#define AS_OPERATOR_RECONCILE_H

#include "runtime.h"

enum as_op_outcome { AS_OP_DONE, AS_OP_REQUEUE_AFTER, AS_OP_RETRY };

struct as_op_result {
    enum as_op_outcome outcome;
    long after_ms;      /* AS_OP_REQUEUE_AFTER */
    const char *result; /* metric label: "success", "requeue", "error", "invalid" */
};

/* Reconciles key. Never fails: problems become the outcome, status, Events and logs. */
void as_op_reconcile(struct as_op_rt *rt, const char *key, struct as_op_result *out);

#endif
