/*
 * values.c - value parsers the rules and the configuration share:
 * Kubernetes quantities, RFC 3339 timestamps and label selectors.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

/* The powers of the binary (Ki..Ei) and decimal (k..E) suffixes, by letter. */
static double binary_mult(char c)
{
    switch (c) {
    case 'K':
        return 1024.0;
    case 'M':
        return 1048576.0;
    case 'G':
        return 1073741824.0;
    case 'T':
        return 1099511627776.0;
    case 'P':
        return 1125899906842624.0;
    case 'E':
        return 1152921504606846976.0;
    default:
        return 0.0;
    }
}

static double decimal_mult(char c)
{
    switch (c) {
    case 'n':
        return 1e-9;
    case 'u':
        return 1e-6;
    case 'm':
        return 1e-3;
    case 'k':
        return 1e3;
    case 'M':
        return 1e6;
    case 'G':
        return 1e9;
    case 'T':
        return 1e12;
    case 'P':
        return 1e15;
    case 'E':
        return 1e18;
    default:
        return 0.0;
    }
}

/* The multiplier of a quantity's suffix ("" included); false for an unknown one. */
static bool suffix_mult(const char *suffix, double *mult)
{
    if (suffix[0] == '\0') {
        *mult = 1.0;
        return true;
    }
    if (suffix[1] == 'i' && suffix[2] == '\0')
        *mult = binary_mult(suffix[0]);
    else if (suffix[1] == '\0')
        *mult = decimal_mult(suffix[0]);
    else
        return false;
    return *mult != 0.0;
}

/*
 * The usual form, up to 15 digits and a suffix ("250m", "512Mi", "2"): the
 * digits' value is exact in a double, so this is what strtod would give,
 * without strtod (most of a Pod's resource checks). false: not this form.
 */
static bool plain_quantity(const char *s, double *out)
{
    uint64_t v = 0;
    size_t n = 0;
    double mult;

    while (s[n] >= '0' && s[n] <= '9') {
        if (n == 15)
            return false;
        v = v * 10 + (uint64_t)(s[n] - '0');
        n++;
    }
    if (n == 0 || !suffix_mult(s + n, &mult))
        return false;
    *out = (double)v * mult;
    return true;
}

bool as_policy_quantity(const char *s, double *out)
{
    const char *p = s;
    char *end;
    double v, mult;

    if (!s || !*s)
        return false;
    if (plain_quantity(s, out))
        return true;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p) && *p != '.')
        return false;
    for (const char *q = p; *q; q++) /* strtod would accept hex, inf and nan */
        if (!isdigit((unsigned char)*q) && *q != '.' && *q != 'e' && *q != 'E' && *q != '+' &&
            *q != '-' && !isalpha((unsigned char)*q))
            return false;
    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || !isfinite(v) || (end > s && (end[-1] == 'e' || end[-1] == 'E')))
        return false;
    if (strchr(s, 'x') || strchr(s, 'X') || !suffix_mult(end, &mult))
        return false;
    *out = v * mult;
    return true;
}

/* Parses exactly n digits at s. */
static bool digits(const char *s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool as_policy_rfc3339(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    const char *p;
    static const int MDAYS[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (!s || strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &sec))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > MDAYS[mo - 1] || h > 23 || mi > 59 || sec > 60)
        return false;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return false;
    p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        p += 6;
    } else {
        return false;
    }
    if (*p)
        return false;
    *out =
        days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
    return true;
}

/* One matchExpressions entry against labels. Unknown operators never match. */
static bool expression_matches(const json_t *e, const struct as_jv *labels)
{
    const char *key = json_string_value(json_object_get(e, "key"));
    const char *op = json_string_value(json_object_get(e, "operator"));
    const char *have = as__str(labels, key ? key : "");
    const json_t *vals = json_object_get(e, "values"), *v;
    bool in = false;
    size_t i;

    if (!key || !op)
        return false;
    json_array_foreach(vals, i, v) if (have && json_is_string(v) &&
                                       strcmp(json_string_value(v), have) == 0) in = true;
    if (strcmp(op, "In") == 0)
        return in;
    if (strcmp(op, "NotIn") == 0)
        return !in;
    if (strcmp(op, "Exists") == 0)
        return have != NULL;
    if (strcmp(op, "DoesNotExist") == 0)
        return have == NULL;
    return false;
}

bool as_policy_selector_matches(const json_t *selector, const struct as_jv *labels)
{
    const char *key;
    const json_t *v, *e;
    size_t i;

    json_object_foreach((json_t *)json_object_get(selector, "matchLabels"), key, v)
    {
        const char *have = as__str(labels, key);

        if (!have || !json_is_string(v) || strcmp(have, json_string_value(v)) != 0)
            return false;
    }
    json_array_foreach(json_object_get(selector, "matchExpressions"), i,
                       e) if (!expression_matches(e, labels)) return false;
    return true;
}
