/* backoff.c - jittered exponential backoff (see backoff.h). */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "informer/backoff.h"

long as_backoff_delay_ms(long initial_ms, long max_ms, double jitter, unsigned attempt, double r)
{
    long d = initial_ms > 0 ? initial_ms : 1;
    double j;

    for (unsigned i = 0; i < attempt && d < max_ms; i++)
        d = d > max_ms / 2 ? max_ms : d * 2;
    if (d > max_ms)
        d = max_ms;
    if (r < 0.0)
        r = 0.0;
    if (r >= 1.0)
        r = 0.999999;
    j = (double)d * (1.0 + (jitter > 0 ? jitter : 0) * r);
    return j >= (double)max_ms ? max_ms : (long)j;
}

void as_backoff_init(struct as_backoff *b, long initial_ms, long max_ms, double jitter)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    b->initial_ms = initial_ms;
    b->max_ms = max_ms;
    b->jitter = jitter;
    b->attempt = 0;
    b->seed = (unsigned)ts.tv_nsec ^ (unsigned)(uintptr_t)b;
}

long as_backoff_next(struct as_backoff *b)
{
    double r = (double)rand_r(&b->seed) / ((double)RAND_MAX + 1.0);
    long d = as_backoff_delay_ms(b->initial_ms, b->max_ms, b->jitter, b->attempt, r);

    if (b->attempt < 64)
        b->attempt++;
    return d;
}

void as_backoff_reset(struct as_backoff *b)
{
    b->attempt = 0;
}
