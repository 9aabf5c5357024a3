/*
 * leader_record.h - the pure half of leader election: the Lease record
 * (coordination.k8s.io/v1 spec fields), MicroTime formatting, and the
 * decision client-go's leaderelection makes on every attempt
 * (tryAcquireOrRenew), with no I/O and no clock reads.
 *
 * Expiry is judged like client-go: by the LOCAL monotonic clock since this
 * process last saw the record change (observed_ms), plus the record's
 * leaseDurationSeconds - never by comparing the record's renewTime with the
 * local wall clock, so clock skew between nodes cannot make two leaders.
 */
#ifndef AS_OPERATOR_LEADER_RECORD_H
#define AS_OPERATOR_LEADER_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "base/status.h"

#define AS_LEASE_IDENTITY_MAX 256
#define AS_MICRO_TIME_MAX 40 /* "2006-01-02T15:04:05.000000Z" + NUL, with room */

struct as_lease_record {
    char holder[AS_LEASE_IDENTITY_MAX];   /* spec.holderIdentity; "" = free */
    long duration_seconds;                /* spec.leaseDurationSeconds */
    char acquire_time[AS_MICRO_TIME_MAX]; /* spec.acquireTime, may be "" */
    char renew_time[AS_MICRO_TIME_MAX];   /* spec.renewTime, may be "" */
    long transitions;                     /* spec.leaseTransitions */
};

/* What this process last saw of the record and when (local monotonic ms). */
struct as_leader_observed {
    bool have;
    struct as_lease_record rec;
    int64_t observed_ms;
};

enum as_leader_decision {
    AS_LEADER_CREATE,  /* no Lease: create it holding it ourselves */
    AS_LEADER_ACQUIRE, /* free or expired: take it over (update, transitions + 1) */
    AS_LEADER_RENEW,   /* ours: renew (update, keep acquireTime and transitions) */
    AS_LEADER_WAIT     /* held by another and not expired: do nothing */
};

/* Writes the identity "<host>_<pid>_<8 hex digits of rnd>" into buf ("unknown" for no host). */
void as_leader_make_identity(const char *host, long pid, unsigned rnd, char *buf, size_t size);

/* "CREATE", "ACQUIRE", "RENEW", "WAIT". Borrowed. */
const char *as_leader_decision_name(enum as_leader_decision d);

/* Formats a CLOCK_REALTIME time as MicroTime "2006-01-02T15:04:05.000000Z" (UTC). */
void as_lease_micro_time(const struct timespec *ts, char *buf, size_t size);

/*
 * Reads lease.spec into *out (absent fields: "" / 0). AS_E_TYPE naming the
 * field ("spec.leaseDurationSeconds: expected integer, got string") when a
 * field has the wrong type; AS_E_LIMIT when a string is too long.
 */
as_status as_lease_record_from_lease(const json_t *lease, struct as_lease_record *out,
                                     struct as_error *err);

/* Writes rec into lease.spec (lease is the caller's own copy; it is modified). */
as_status as_lease_record_to_lease(const struct as_lease_record *rec, json_t *lease);

/* True when every field is equal. */
bool as_lease_record_equal(const struct as_lease_record *a, const struct as_lease_record *b);

/*
 * The decision for one attempt. current is the record read from the server
 * (NULL when the Lease does not exist). obs is updated first: when current
 * differs from obs->rec (or nothing was observed yet) it becomes the
 * observed record with observed_ms = now_ms. identity is ours;
 * duration_seconds is what we write; now_micro is the wall-clock time to
 * write as renewTime (and acquireTime when acquiring). Unless the result is
 * AS_LEADER_WAIT, *next receives the record to write.
 */
enum as_leader_decision as_leader_decide(const struct as_lease_record *current,
                                         struct as_leader_observed *obs, const char *identity,
                                         long duration_seconds, int64_t now_ms,
                                         const char *now_micro, struct as_lease_record *next);

/* After a successful write of rec: it is the observed record as of now_ms. */
void as_leader_observe_written(struct as_leader_observed *obs, const struct as_lease_record *rec,
                               int64_t now_ms);

#endif
