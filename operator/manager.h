/*
 * manager.h - the operator's run time: informers (AppStacks, referenced
 * Secrets, the CRDs of optional APIs, one per child kind), the work queue,
 * the worker threads that reconcile, and a maintenance thread (periodic
 * resync, rediscovery of optional APIs when their CRDs come or go, queue
 * depth). Caches start at once (so a standby replica is ready to take over);
 * workers start when this replica may write (immediately, or on winning the
 * Lease).
 */
#ifndef AS_OPERATOR_MANAGER_H
#define AS_OPERATOR_MANAGER_H

#include <stdbool.h>

#include "base/metrics.h"
#include "base/status.h"
#include "kube/client.h"
#include "runtime.h"

struct as_op_manager_options {
    struct as_kube_client *client; /* borrowed */
    const char *ns;                /* NULL = all namespaces */
    const char *identity;          /* reportingInstance of Events */
    int workers;                   /* >= 1 */
    long sync_period_s;            /* resync of every AppStack; >= 1 */
    struct as_op_metrics *metrics; /* borrowed, registered (opmetrics.h) */
};

struct as_op_manager;

/* Creates the manager (nothing started). Caller owns *out. */
as_status as_op_manager_new(const struct as_op_manager_options *o, struct as_op_manager **out,
                            struct as_error *err);
/* Discovers the optional APIs and starts the informers and the maintenance thread. */
as_status as_op_manager_start(struct as_op_manager *m, struct as_error *err);
/* Starts the workers (once). Safe from the leader elector's thread. */
as_status as_op_manager_start_workers(struct as_op_manager *m, struct as_error *err);
/* True once every running informer has delivered its first list. */
bool as_op_manager_synced(struct as_op_manager *m);
/*
 * Stops the writing side: the queue takes no new keys, running reconciles
 * finish (after 5 s their requests are aborted), workers and maintenance
 * stop. The informers keep running until as_op_manager_free (shut the client
 * down first to end their watches at once). Idempotent.
 */
void as_op_manager_stop(struct as_op_manager *m);
/* Stops, then frees. NULL-safe. */
void as_op_manager_free(struct as_op_manager *m);

#endif
