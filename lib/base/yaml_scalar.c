/*
 * yaml_scalar.c - typing of plain YAML scalars, as go-yaml v2 does it
 * (resolve.go): a lookup table for null, booleans, .inf/.nan and "<<";
 * then, for text starting with a digit or sign, Go's ParseInt/ParseUint in
 * base 0 (0x, 0o, 0b and leading-0 octal) after removing underscores, then
 * a YAML-style float; text starting with '.' may be a float. Everything
 * else is a string (including timestamps).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/yaml_scalar.h"

struct word {
    const char *text;
    enum as__yaml_kind kind;
    int b;
};

/* go-yaml v2's resolveMapList. */
static const struct word words[] = {
    {"y", AS__YAML_BOOL, 1},          {"Y", AS__YAML_BOOL, 1},
    {"yes", AS__YAML_BOOL, 1},        {"Yes", AS__YAML_BOOL, 1},
    {"YES", AS__YAML_BOOL, 1},        {"true", AS__YAML_BOOL, 1},
    {"True", AS__YAML_BOOL, 1},       {"TRUE", AS__YAML_BOOL, 1},
    {"on", AS__YAML_BOOL, 1},         {"On", AS__YAML_BOOL, 1},
    {"ON", AS__YAML_BOOL, 1},         {"n", AS__YAML_BOOL, 0},
    {"N", AS__YAML_BOOL, 0},          {"no", AS__YAML_BOOL, 0},
    {"No", AS__YAML_BOOL, 0},         {"NO", AS__YAML_BOOL, 0},
    {"false", AS__YAML_BOOL, 0},      {"False", AS__YAML_BOOL, 0},
    {"FALSE", AS__YAML_BOOL, 0},      {"off", AS__YAML_BOOL, 0},
    {"Off", AS__YAML_BOOL, 0},        {"OFF", AS__YAML_BOOL, 0},
    {"", AS__YAML_NULL, 0},           {"~", AS__YAML_NULL, 0},
    {"null", AS__YAML_NULL, 0},       {"Null", AS__YAML_NULL, 0},
    {"NULL", AS__YAML_NULL, 0},       {".nan", AS__YAML_NONFINITE, 0},
    {".NaN", AS__YAML_NONFINITE, 0},  {".NAN", AS__YAML_NONFINITE, 0},
    {".inf", AS__YAML_NONFINITE, 0},  {".Inf", AS__YAML_NONFINITE, 0},
    {".INF", AS__YAML_NONFINITE, 0},  {"+.inf", AS__YAML_NONFINITE, 0},
    {"+.Inf", AS__YAML_NONFINITE, 0}, {"+.INF", AS__YAML_NONFINITE, 0},
    {"-.inf", AS__YAML_NONFINITE, 0}, {"-.Inf", AS__YAML_NONFINITE, 0},
    {"-.INF", AS__YAML_NONFINITE, 0}, {"<<", AS__YAML_MERGE, 0},
};

/* Looks s up in the word table; 1 and out filled when found. */
static int lookup_word(const char *s, size_t n, struct as__yaml_scalar *out)
{
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i].text) == n && memcmp(words[i].text, s, n) == 0) {
            out->kind = words[i].kind;
            out->b = words[i].b;
            return 1;
        }
    }
    return 0;
}

/* Value of c as a digit in bases up to 36, or 99. */
static unsigned digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return (unsigned)(c - '0');
    if (c >= 'a' && c <= 'z')
        return (unsigned)(c - 'a' + 10);
    if (c >= 'A' && c <= 'Z')
        return (unsigned)(c - 'A' + 10);
    return 99;
}

/* Picks the base from a Go base-0 prefix; advances *s. */
static unsigned detect_base(const char **s, size_t *n)
{
    const char *p = *s;

    if (*n == 0 || p[0] != '0')
        return 10;
    if (*n >= 3 && (p[1] == 'x' || p[1] == 'X')) {
        *s += 2, *n -= 2;
        return 16;
    }
    if (*n >= 3 && (p[1] == 'o' || p[1] == 'O')) {
        *s += 2, *n -= 2;
        return 8;
    }
    if (*n >= 3 && (p[1] == 'b' || p[1] == 'B')) {
        *s += 2, *n -= 2;
        return 2;
    }
    *s += 1, *n -= 1;
    return 8;
}

/* Go's strconv.ParseUint(s, 0, 64): 0 ok, -1 syntax error, -2 out of range. */
static int go_parse_uint(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base;

    if (n == 0)
        return -1;
    base = detect_base(&s, &n);
    for (size_t i = 0; i < n; i++) {
        unsigned d = digit_value(s[i]);
        if (d >= base)
            return -1;
        if (v > (UINT64_MAX - d) / base)
            return -2;
        v = v * base + d;
    }
    *out = v;
    return 0;
}

/* Go's strconv.ParseInt(s, 0, 64): 0 ok, -1 syntax error, -2 out of range. */
static int go_parse_int(const char *s, size_t n, int64_t *out)
{
    int neg = 0, rc;
    uint64_t u = 0;

    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s++, n--;
    }
    rc = go_parse_uint(s, n, &u);
    if (rc != 0)
        return rc;
    if (!neg && u > (uint64_t)INT64_MAX)
        return -2;
    if (neg && u > (uint64_t)INT64_MAX + 1u)
        return -2;
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return 0;
}

/* Counts leading decimal digits of s[0..n). */
static size_t count_digits(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* Matches ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ (go-yaml's yamlStyleFloat). */
static int yaml_style_float(const char *s, size_t n)
{
    size_t i = 0, d;

    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < n && s[i] == '.') {
        d = count_digits(s + i + 1, n - i - 1);
        if (d == 0)
            return 0;
        i += 1 + d;
    } else {
        d = count_digits(s + i, n - i);
        if (d == 0)
            return 0;
        i += d;
        if (i < n && s[i] == '.')
            i += 1 + count_digits(s + i + 1, n - i - 1);
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        d = count_digits(s + i, n - i);
        if (d == 0)
            return 0;
        i += d;
    }
    return i == n;
}

/* strtod of a validated decimal (NUL-terminated); 0 when it overflows to infinity. */
static int parse_float(const char *s, double *out)
{
    double d;

    errno = 0;
    d = strtod(s, NULL);
    if (errno == ERANGE && isinf(d))
        return 0;
    *out = d;
    return 1;
}

/* The digit/sign case: int, big unsigned (as float), YAML float, or string. */
static void resolve_number(const char *plain, size_t n, struct as__yaml_scalar *out)
{
    uint64_t u;

    if (go_parse_int(plain, n, &out->i) == 0) {
        out->kind = AS__YAML_INT;
        return;
    }
    if (go_parse_uint(plain, n, &u) == 0) {
        out->kind = AS__YAML_FLOAT; /* above INT64_MAX: JSON here holds it as a number */
        out->d = (double)u;
        return;
    }
    if (yaml_style_float(plain, n) && parse_float(plain, &out->d))
        out->kind = AS__YAML_FLOAT;
}

/* Copies s without underscores into a new NUL-terminated string; NULL when out of memory. */
static char *strip_underscores(const char *s, size_t n, size_t *out_n)
{
    char *p = malloc(n + 1);
    size_t j = 0;

    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_')
            p[j++] = s[i];
    p[j] = '\0';
    *out_n = j;
    return p;
}

/* The '.' case: a float such as ".5" or ".5e3" (Go ParseFloat, no underscores). */
static void resolve_dot(const char *s, size_t n, struct as__yaml_scalar *out)
{
    char tmp[64];

    if (n >= sizeof(tmp) || memchr(s, '\0', n) || !yaml_style_float(s, n))
        return;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (parse_float(tmp, &out->d))
        out->kind = AS__YAML_FLOAT;
}

void as__yaml_resolve(const char *s, size_t n, struct as__yaml_scalar *out)
{
    char *plain;
    size_t pn;

    memset(out, 0, sizeof(*out));
    out->kind = AS__YAML_STR;
    if (lookup_word(s, n, out))
        return;
    if (n == 0 || memchr(s, '\0', n))
        return;
    if (s[0] == '.') {
        resolve_dot(s, n, out);
        return;
    }
    if (!(s[0] == '+' || s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
        return;
    plain = strip_underscores(s, n, &pn);
    if (plain)
        resolve_number(plain, pn, out);
    free(plain);
}

void as__yaml_format_real(double d, int force_point, char out[40])
{
    if (d == floor(d) && fabs(d) < 1e15) {
        snprintf(out, 40, "%.0f", d);
    } else {
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(out, 40, "%.*g", prec, d);
            if (strtod(out, NULL) == d)
                break;
        }
    }
    if (force_point && !strpbrk(out, ".eEn"))
        strncat(out, ".0", 39 - strlen(out));
}
