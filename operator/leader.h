/*
 * leader.h - leader election on a coordination.k8s.io/v1 Lease, following
 * client-go's leaderelection: get, then create or update with the Lease's
 * resourceVersion (optimistic concurrency: a concurrent writer gets 409 and
 * loses that round); a Lease held by another identity is taken over only
 * after this process has seen its record unchanged for leaseDurationSeconds
 * by its own monotonic clock (leader_record.h has the pure decision).
 *
 * Timing (defaults as client-go / controller-runtime): lease 15 s, renew
 * deadline 10 s, retry period 2 s (attempts are jittered up to 1.2x).
 * The leader renews every retry period; when no renewal succeeded for the
 * renew deadline it stops leading: as_leader_is_leading turns false at that
 * moment even if a request is still hanging, stopped_leading is called and
 * the elector ends (as in client-go the program should then exit). Because
 * renew deadline < lease duration, the old leader has stopped before any
 * other process may take over: two processes never both lead. Lease writes
 * carry the renew deadline as their own timeout; keep the client's request
 * timeout (used by the Lease read) below it too.
 *
 * On as_leader_stop a leader releases the Lease (holderIdentity "" and
 * leaseDurationSeconds 1, like ReleaseOnCancel) so a follower takes over at
 * once, then stopped_leading is called.
 */
#ifndef AS_OPERATOR_LEADER_H
#define AS_OPERATOR_LEADER_H

#include <stdbool.h>

#include "base/status.h"
#include "kube/client.h"

struct as_leader_callbacks {
    void (*started_leading)(void *ctx); /* on the elector thread; must return promptly */
    void (*stopped_leading)(void *ctx); /* leadership lost or released; called once */
    void *ctx;
};

struct as_leader_options {
    struct as_kube_client *client; /* borrowed; its request timeout should be < renew deadline */
    const char *ns;                /* namespace of the Lease (copied) */
    const char *name;              /* name of the Lease (copied) */
    const char *identity;          /* NULL = "<hostname>_<pid>_<random hex>" */
    long lease_duration_ms;        /* 0 = 15000; written as whole seconds (rounded up) */
    long renew_deadline_ms;        /* 0 = 10000; must be < lease duration */
    long retry_period_ms;          /* 0 = 2000; 1.2x must be < renew deadline */
    bool no_release;               /* do not release the Lease on stop */
};

struct as_leader;

/* Validates opts and creates a stopped elector. Caller owns *out (as_leader_free). */
as_status as_leader_new(const struct as_leader_options *opts, const struct as_leader_callbacks *cb,
                        struct as_leader **out, struct as_error *err);

/* Starts the elector thread ("leader-elect"). */
as_status as_leader_start(struct as_leader *le, struct as_error *err);

/* Stops the elector (releasing the Lease when leading) and waits for its thread. */
void as_leader_stop(struct as_leader *le);

/* Stops, then frees. */
void as_leader_free(struct as_leader *le);

/* True while leading: the last successful renewal is younger than the renew deadline. */
bool as_leader_is_leading(struct as_leader *le);

/* True once the elector thread has ended (lost leadership or stopped). */
bool as_leader_finished(struct as_leader *le);

/* Our identity (borrowed). */
const char *as_leader_identity(const struct as_leader *le);

#endif
