/*
 * retry.c - Retry-After parsing, jittered exponential backoff and a token
 * bucket. Pure: the caller passes the clock and the random numbers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/retry.h"

/* Parses "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate, the only form HTTP/1.1 senders use). */
static as_status parse_http_date(const char *s, time_t *out)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char mon[4] = {0};
    int day, year, hh, mm, ss, consumed = 0;
    struct tm tm;
    const char *comma = strchr(s, ',');
    time_t t;

    if (!comma || comma - s != 3)
        return AS_E_PARSE;
    if (sscanf(comma + 1, " %2d %3s %4d %2d:%2d:%2d GMT%n", &day, mon, &year, &hh, &mm, &ss,
               &consumed) != 6 ||
        consumed == 0 || comma[1 + consumed] != '\0')
        return AS_E_PARSE;
    memset(&tm, 0, sizeof(tm));
    tm.tm_mon = -1;
    for (int i = 0; i < 12; i++)
        if (strcmp(mon, months[i]) == 0)
            tm.tm_mon = i;
    if (tm.tm_mon < 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970)
        return AS_E_PARSE;
    tm.tm_mday = day;
    tm.tm_year = year - 1900;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    t = timegm(&tm);
    if (t == (time_t)-1)
        return AS_E_PARSE;
    *out = t;
    return AS_OK;
}

as_status as_kube_parse_retry_after(const char *value, time_t now, long max_seconds, long *seconds)
{
    long v;

    if (!value)
        return AS_E_PARSE;
    while (*value == ' ' || *value == '\t')
        value++;
    if (isdigit((unsigned char)*value)) {
        char *end;
        errno = 0;
        v = strtol(value, &end, 10);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
            end++;
        if (*end != '\0')
            return AS_E_PARSE;
        if (errno == ERANGE)
            v = max_seconds;
    } else {
        time_t when;
        char tmp[64];
        size_t n = strcspn(value, "\r\n");
        if (n >= sizeof(tmp))
            return AS_E_PARSE;
        memcpy(tmp, value, n);
        tmp[n] = '\0';
        if (parse_http_date(tmp, &when) != AS_OK)
            return AS_E_PARSE;
        v = when > now ? (long)(when - now) : 0;
    }
    if (v > max_seconds)
        v = max_seconds;
    if (v < 0)
        v = 0;
    *seconds = v;
    return AS_OK;
}

long as_kube_backoff_ms(int attempt, long base_ms, long max_ms, double jitter, double rand01)
{
    double d;

    if (attempt < 1 || base_ms <= 0)
        return 0;
    d = (double)base_ms;
    for (int i = 1; i < attempt && d < (double)max_ms; i++)
        d *= 2;
    if (d > (double)max_ms)
        d = (double)max_ms;
    if (jitter < 0)
        jitter = 0;
    if (jitter > 1)
        jitter = 1;
    if (rand01 < 0)
        rand01 = 0;
    if (rand01 >= 1)
        rand01 = 0.999999;
    return (long)(d - d * jitter * rand01);
}

void as_kube_rate_init(struct as_kube_rate_limiter *r, double qps, int burst)
{
    memset(r, 0, sizeof(*r));
    r->qps = qps;
    r->burst = burst < 1 ? 1 : burst;
    r->tokens = r->burst;
}

double as_kube_rate_take(struct as_kube_rate_limiter *r, double now)
{
    double wait;

    if (r->qps <= 0)
        return 0;
    if (!r->started) {
        r->started = true;
        r->last = now;
    }
    if (now > r->last) {
        r->tokens += (now - r->last) * r->qps;
        if (r->tokens > r->burst)
            r->tokens = r->burst;
        r->last = now;
    }
    r->tokens -= 1;
    if (r->tokens >= 0)
        return 0;
    wait = -r->tokens / r->qps;
    return wait;
}
