/* leader_record.c - Lease record codec and the election decision (see leader_record.h). */
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "leader_record.h"

void as_leader_make_identity(const char *host, long pid, unsigned rnd, char *buf, size_t size)
{
    snprintf(buf, size, "%s_%ld_%08x", host && *host ? host : "unknown", pid, rnd);
}

const char *as_leader_decision_name(enum as_leader_decision d)
{
    switch (d) {
    case AS_LEADER_CREATE:
        return "CREATE";
    case AS_LEADER_ACQUIRE:
        return "ACQUIRE";
    case AS_LEADER_RENEW:
        return "RENEW";
    case AS_LEADER_WAIT:
        return "WAIT";
    }
    return "UNKNOWN";
}

void as_lease_micro_time(const struct timespec *ts, char *buf, size_t size)
{
    struct tm tm;
    char base[32];
    time_t t = ts->tv_sec;

    gmtime_r(&t, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%06ldZ", base, ts->tv_nsec / 1000);
}

/* Copies optional string spec.<field> into buf. */
static as_status read_str(const json_t *lease, const char *field, char *buf, size_t size,
                          struct as_error *err)
{
    char path[64];
    const char *s = NULL;
    as_status st;

    snprintf(path, sizeof(path), "spec.%s", field);
    if ((st = as_json_opt_string(lease, path, "", &s, err)) != AS_OK)
        return st;
    if (strlen(s) >= size)
        return as_error_set(err, AS_E_LIMIT, "%s: longer than %zu characters", path, size - 1);
    memcpy(buf, s, strlen(s) + 1);
    return AS_OK;
}

as_status as_lease_record_from_lease(const json_t *lease, struct as_lease_record *out,
                                     struct as_error *err)
{
    struct as_lease_record r;
    int64_t dur = 0, tr = 0;
    as_status st;

    memset(&r, 0, sizeof(r));
    if ((st = read_str(lease, "holderIdentity", r.holder, sizeof(r.holder), err)) != AS_OK ||
        (st = read_str(lease, "acquireTime", r.acquire_time, sizeof(r.acquire_time), err)) !=
            AS_OK ||
        (st = read_str(lease, "renewTime", r.renew_time, sizeof(r.renew_time), err)) != AS_OK ||
        (st = as_json_opt_int(lease, "spec.leaseDurationSeconds", 0, &dur, err)) != AS_OK ||
        (st = as_json_opt_int(lease, "spec.leaseTransitions", 0, &tr, err)) != AS_OK)
        return st;
    r.duration_seconds = (long)dur;
    r.transitions = (long)tr;
    *out = r;
    return AS_OK;
}

as_status as_lease_record_to_lease(const struct as_lease_record *rec, json_t *lease)
{
    json_t *spec = json_pack("{s:s,s:I,s:I}", "holderIdentity", rec->holder, "leaseDurationSeconds",
                             (json_int_t)rec->duration_seconds, "leaseTransitions",
                             (json_int_t)rec->transitions);

    if (!spec)
        return AS_E_NOMEM;
    if (*rec->acquire_time)
        json_object_set_new(spec, "acquireTime", json_string(rec->acquire_time));
    if (*rec->renew_time)
        json_object_set_new(spec, "renewTime", json_string(rec->renew_time));
    return json_object_set_new(lease, "spec", spec) == 0 ? AS_OK : AS_E_NOMEM;
}

bool as_lease_record_equal(const struct as_lease_record *a, const struct as_lease_record *b)
{
    return strcmp(a->holder, b->holder) == 0 && a->duration_seconds == b->duration_seconds &&
           strcmp(a->acquire_time, b->acquire_time) == 0 &&
           strcmp(a->renew_time, b->renew_time) == 0 && a->transitions == b->transitions;
}

/* Fills next as held by identity from now. */
static void hold(struct as_lease_record *next, const char *identity, long duration_seconds,
                 const char *acquire, const char *now_micro, long transitions)
{
    memset(next, 0, sizeof(*next));
    snprintf(next->holder, sizeof(next->holder), "%s", identity);
    next->duration_seconds = duration_seconds;
    snprintf(next->acquire_time, sizeof(next->acquire_time), "%s", acquire);
    snprintf(next->renew_time, sizeof(next->renew_time), "%s", now_micro);
    next->transitions = transitions;
}

enum as_leader_decision as_leader_decide(const struct as_lease_record *current,
                                         struct as_leader_observed *obs, const char *identity,
                                         long duration_seconds, int64_t now_ms,
                                         const char *now_micro, struct as_lease_record *next)
{
    if (!current) {
        hold(next, identity, duration_seconds, now_micro, now_micro, 0);
        return AS_LEADER_CREATE;
    }
    if (!obs->have || !as_lease_record_equal(current, &obs->rec)) {
        obs->have = true;
        obs->rec = *current;
        obs->observed_ms = now_ms;
    }
    if (strcmp(current->holder, identity) == 0) {
        hold(next, identity, duration_seconds,
             *current->acquire_time ? current->acquire_time : now_micro, now_micro,
             current->transitions);
        return AS_LEADER_RENEW;
    }
    if (*current->holder && obs->observed_ms + (int64_t)current->duration_seconds * 1000 > now_ms)
        return AS_LEADER_WAIT;
    hold(next, identity, duration_seconds, now_micro, now_micro, current->transitions + 1);
    return AS_LEADER_ACQUIRE;
}

void as_leader_observe_written(struct as_leader_observed *obs, const struct as_lease_record *rec,
                               int64_t now_ms)
{
    obs->have = true;
    obs->rec = *rec;
    obs->observed_ms = now_ms;
}
