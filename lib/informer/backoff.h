/*
 * backoff.h - jittered exponential backoff for reconnect loops (informer
 * watches, leader election retries). Pure arithmetic plus a tiny per-loop
 * state; the caller does the sleeping.
 *
 * Delay for attempt n (0-based): d = min(max, initial * 2^n), then jittered
 * up by a factor in [1, 1 + jitter) and capped at max again. With initial
 * 1 s, max 30 s, jitter 0.25: 1-1.25 s, 2-2.5 s, 4-5 s, ... 30 s.
 */
#ifndef AS_INFORMER_BACKOFF_H
#define AS_INFORMER_BACKOFF_H

struct as_backoff {
    long initial_ms;
    long max_ms;
    double jitter;    /* 0.25 = up to 25% longer */
    unsigned attempt; /* failures since the last reset */
    unsigned seed;    /* rand_r state */
};

/* Pure: the delay of attempt n with r in [0, 1) as the random draw. */
long as_backoff_delay_ms(long initial_ms, long max_ms, double jitter, unsigned attempt, double r);

/* Initialises b (seeded from the clock and the address of b). */
void as_backoff_init(struct as_backoff *b, long initial_ms, long max_ms, double jitter);

/* The next delay to wait, counting one more attempt. */
long as_backoff_next(struct as_backoff *b);

/* Back to the initial delay (after a success). */
void as_backoff_reset(struct as_backoff *b);

#endif
