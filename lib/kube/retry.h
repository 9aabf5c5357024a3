/*
 * retry.h - the arithmetic of being polite to the API server: Retry-After
 * parsing, jittered exponential backoff, and a token-bucket rate limiter.
 *
 * Everything here is pure (time and randomness are parameters), so it is
 * tested exactly; client.c supplies the clock and the random numbers.
 */
#ifndef AS_KUBE_RETRY_H
#define AS_KUBE_RETRY_H

#include <stdbool.h>
#include <time.h>

#include "base/status.h"

/*
 * Parses a Retry-After header value: delta-seconds ("3") or an HTTP-date
 * ("Wed, 21 Oct 2015 07:28:00 GMT", relative to now). The result is clamped
 * to [0, max_seconds]. AS_E_PARSE when value is neither form; *seconds is
 * set only on success.
 */
as_status as_kube_parse_retry_after(const char *value, time_t now, long max_seconds, long *seconds);

/*
 * Delay before retry number attempt (1 = the first retry):
 * base_ms * 2^(attempt-1), capped at max_ms, then reduced by up to
 * jitter (0..1) times itself using rand01 in [0,1): the result lies in
 * [d * (1 - jitter), d]. attempt < 1 yields 0.
 */
long as_kube_backoff_ms(int attempt, long base_ms, long max_ms, double jitter, double rand01);

/* Token bucket: qps tokens per second, at most burst stored. qps <= 0 disables it. */
struct as_kube_rate_limiter {
    double qps;
    double burst;
    double tokens;
    double last; /* time of the last update, seconds (monotonic) */
    bool started;
};

/* Initialises a full bucket. qps <= 0 or burst < 1 makes every take free. */
void as_kube_rate_init(struct as_kube_rate_limiter *r, double qps, int burst);

/*
 * Takes one token at time now (seconds, monotonic) and returns how long the
 * caller must wait before sending (0 when a token was available). Tokens are
 * reserved, so concurrent callers (serialised by the caller's lock) queue up
 * behind each other rather than all waking at once.
 */
double as_kube_rate_take(struct as_kube_rate_limiter *r, double now);

#endif
