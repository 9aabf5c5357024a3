/*
 * metrics.c - the metrics registry of metrics.h: families in a linked list,
 * series in a per-family array (linear search: families hold few series),
 * one mutex for the whole registry (updates are a few instructions).
 */
#include "base/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const double as_metrics_latency_buckets[] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
const size_t as_metrics_latency_buckets_n =
    sizeof(as_metrics_latency_buckets) / sizeof(as_metrics_latency_buckets[0]);

struct series {
    uint64_t hash;                       /* values_hash of values: compared before the strings */
    char *values[AS_METRICS_MAX_LABELS]; /* owned */
    double value;                        /* counter / gauge; histogram sum */
    unsigned long long count;            /* histogram */
    unsigned long long buckets[AS_METRICS_MAX_BUCKETS];
};

struct as_metric_family {
    struct as_metrics *owner;
    enum as_metric_type type;
    char *name, *help;
    char *labels[AS_METRICS_MAX_LABELS];
    size_t n_labels;
    double bounds[AS_METRICS_MAX_BUCKETS];
    size_t n_bounds;
    struct series *s; /* owned array */
    size_t n, cap;
    unsigned long long dropped;
    struct as_metric_family *next;
};

struct as_metrics {
    pthread_mutex_t lock;
    struct as_metric_family *head, *tail;
};

/* Creates an empty registry. */
as_status as_metrics_new(struct as_metrics **out)
{
    struct as_metrics *m = calloc(1, sizeof(*m));

    if (m == NULL)
        return AS_E_NOMEM;
    pthread_mutex_init(&m->lock, NULL);
    *out = m;
    return AS_OK;
}

/* Frees one family and its series. */
static void family_free(struct as_metric_family *f)
{
    for (size_t i = 0; i < f->n; i++)
        for (size_t j = 0; j < f->n_labels; j++)
            free(f->s[i].values[j]);
    for (size_t j = 0; j < f->n_labels; j++)
        free(f->labels[j]);
    free(f->s);
    free(f->name);
    free(f->help);
    free(f);
}

/* Frees the registry and every family. NULL is fine. */
void as_metrics_free(struct as_metrics *m)
{
    if (m == NULL)
        return;
    for (struct as_metric_family *f = m->head, *nx; f != NULL; f = nx) {
        nx = f->next;
        family_free(f);
    }
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* True when s is a valid metric (colon allowed) or label name. */
static bool valid_name(const char *s, bool colon)
{
    if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s != '\0'; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || (colon && c == ':');
        if (!ok)
            return false;
    }
    return true;
}

/* Registers a family of any type (buckets only for histograms). */
static as_status family_new(struct as_metrics *m, enum as_metric_type type, const char *name,
                            const char *help, const char *const *labels, size_t n_labels,
                            const double *buckets, size_t n_buckets, struct as_metric_family **out)
{
    struct as_metric_family *f = NULL;
    as_status st = AS_E_INVALID_ARG;

    if (m == NULL || !valid_name(name, true) || n_labels > AS_METRICS_MAX_LABELS ||
        n_buckets > AS_METRICS_MAX_BUCKETS)
        return AS_E_INVALID_ARG;
    for (size_t i = 0; i < n_labels; i++)
        if (!valid_name(labels[i], false))
            return AS_E_INVALID_ARG;
    for (size_t i = 1; i < n_buckets; i++)
        if (!(buckets[i] > buckets[i - 1]))
            return AS_E_INVALID_ARG;
    f = calloc(1, sizeof(*f));
    if (f == NULL)
        return AS_E_NOMEM;
    f->owner = m;
    f->type = type;
    f->name = strdup(name);
    f->help = strdup(help != NULL ? help : "");
    f->n_labels = n_labels;
    st = (f->name == NULL || f->help == NULL) ? AS_E_NOMEM : AS_OK;
    for (size_t i = 0; i < n_labels && st == AS_OK; i++)
        if ((f->labels[i] = strdup(labels[i])) == NULL)
            st = AS_E_NOMEM;
    if (st != AS_OK)
        goto out;
    if (n_buckets > 0)
        memcpy(f->bounds, buckets, n_buckets * sizeof(double));
    f->n_bounds = n_buckets;
    pthread_mutex_lock(&m->lock);
    for (struct as_metric_family *g = m->head; g != NULL; g = g->next)
        if (strcmp(g->name, name) == 0)
            st = AS_E_INVALID_ARG;
    if (st == AS_OK) {
        if (m->tail != NULL)
            m->tail->next = f;
        else
            m->head = f;
        m->tail = f;
    }
    pthread_mutex_unlock(&m->lock);
out:
    if (st != AS_OK) {
        family_free(f);
        return st;
    }
    *out = f;
    return AS_OK;
}

as_status as_metrics_counter_new(struct as_metrics *m, const char *name, const char *help,
                                 const char *const *labels, size_t n_labels,
                                 struct as_metric_family **out)
{
    return family_new(m, AS_METRIC_COUNTER, name, help, labels, n_labels, NULL, 0, out);
}

as_status as_metrics_gauge_new(struct as_metrics *m, const char *name, const char *help,
                               const char *const *labels, size_t n_labels,
                               struct as_metric_family **out)
{
    return family_new(m, AS_METRIC_GAUGE, name, help, labels, n_labels, NULL, 0, out);
}

as_status as_metrics_histogram_new(struct as_metrics *m, const char *name, const char *help,
                                   const char *const *labels, size_t n_labels,
                                   const double *buckets, size_t n_buckets,
                                   struct as_metric_family **out)
{
    return family_new(m, AS_METRIC_HISTOGRAM, name, help, labels, n_labels, buckets, n_buckets,
                      out);
}

/*
 * FNV-1a over the label values, each ended by a 0 byte (so ("a", "bc") and
 * ("ab", "c") differ); NULL counts as "". Series lookups compare this first:
 * rule ids share long prefixes, and a decision updates dozens of series.
 */
static uint64_t values_hash(const char *const *values, size_t n)
{
    uint64_t h = 1469598103934665603ULL;

    for (size_t j = 0; j < n; j++) {
        for (const unsigned char *c = (const unsigned char *)(values[j] ? values[j] : ""); *c; c++)
            h = (h ^ *c) * 1099511628211ULL;
        h = (h ^ 0xffu) * 1099511628211ULL;
    }
    return h;
}

/* Finds the series for values (lock held); creates it when create. NULL when absent/full. */
static struct series *series_find(struct as_metric_family *f, const char *const *values,
                                  bool create, as_status *st)
{
    struct series *s;
    uint64_t h = values_hash(values, f->n_labels);

    for (size_t i = 0; i < f->n; i++) {
        size_t j = 0;

        if (f->s[i].hash != h)
            continue;
        while (j < f->n_labels &&
               strcmp(f->s[i].values[j], values[j] != NULL ? values[j] : "") == 0)
            j++;
        if (j == f->n_labels)
            return &f->s[i];
    }
    *st = AS_E_MISSING;
    if (!create)
        return NULL;
    *st = AS_E_LIMIT;
    if (f->n >= AS_METRICS_MAX_SERIES) {
        f->dropped++;
        return NULL;
    }
    *st = AS_E_NOMEM;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 4;
        struct series *ns = realloc(f->s, cap * sizeof(*ns));
        if (ns == NULL)
            return NULL;
        f->s = ns;
        f->cap = cap;
    }
    s = &f->s[f->n];
    memset(s, 0, sizeof(*s));
    s->hash = h;
    for (size_t j = 0; j < f->n_labels; j++) {
        s->values[j] = strdup(values[j] != NULL ? values[j] : "");
        if (s->values[j] == NULL) {
            for (size_t k = 0; k < j; k++)
                free(s->values[k]);
            return NULL;
        }
    }
    f->n++;
    *st = AS_OK;
    return s;
}

/* Shared update path: op 0 add, 1 set, 2 observe. */
static as_status update(struct as_metric_family *f, const char *const *values, double v, int op,
                        enum as_metric_type want1, enum as_metric_type want2)
{
    as_status st = AS_OK;
    struct series *s;

    if (f == NULL || (f->type != want1 && f->type != want2) || isnan(v))
        return AS_E_INVALID_ARG;
    for (size_t j = 0; j < f->n_labels; j++)
        if (values == NULL || values[j] == NULL)
            return AS_E_INVALID_ARG;
    pthread_mutex_lock(&f->owner->lock);
    s = series_find(f, values, true, &st);
    if (s != NULL) {
        st = AS_OK;
        if (op == 0)
            s->value += v;
        else if (op == 1)
            s->value = v;
        else {
            s->value += v;
            s->count++;
            for (size_t i = 0; i < f->n_bounds; i++)
                if (v <= f->bounds[i])
                    s->buckets[i]++;
        }
    }
    pthread_mutex_unlock(&f->owner->lock);
    return st;
}

as_status as_metrics_counter_add(struct as_metric_family *f, const char *const *values,
                                 double delta)
{
    return update(f, values, delta < 0 ? 0 : delta, 0, AS_METRIC_COUNTER, AS_METRIC_COUNTER);
}

as_status as_metrics_gauge_set(struct as_metric_family *f, const char *const *values, double v)
{
    return update(f, values, v, 1, AS_METRIC_GAUGE, AS_METRIC_GAUGE);
}

as_status as_metrics_gauge_add(struct as_metric_family *f, const char *const *values, double d)
{
    return update(f, values, d, 0, AS_METRIC_GAUGE, AS_METRIC_GAUGE);
}

as_status as_metrics_histogram_observe(struct as_metric_family *f, const char *const *values,
                                       double v)
{
    return update(f, values, v, 2, AS_METRIC_HISTOGRAM, AS_METRIC_HISTOGRAM);
}

/* Reads a series' value (histogram: count). */
as_status as_metrics_value(struct as_metric_family *f, const char *const *values, double *out)
{
    as_status st = AS_OK;
    struct series *s;

    if (f == NULL)
        return AS_E_INVALID_ARG;
    for (size_t j = 0; j < f->n_labels; j++)
        if (values == NULL || values[j] == NULL)
            return AS_E_INVALID_ARG;
    pthread_mutex_lock(&f->owner->lock);
    s = series_find(f, values, false, &st);
    if (s != NULL) {
        *out = f->type == AS_METRIC_HISTOGRAM ? (double)s->count : s->value;
        st = AS_OK;
    }
    pthread_mutex_unlock(&f->owner->lock);
    return st;
}

/* Appends v escaped for a label value (or, with help, for HELP text: no quote escaping). */
static as_status put_escaped(struct as_buf *out, const char *v, bool help)
{
    as_status st = AS_OK;

    for (; *v != '\0' && st == AS_OK; v++) {
        if (*v == '\\')
            st = as_buf_append(out, "\\\\", 2);
        else if (*v == '\n')
            st = as_buf_append(out, "\\n", 2);
        else if (*v == '"' && !help)
            st = as_buf_append(out, "\\\"", 2);
        else
            st = as_buf_append(out, v, 1);
    }
    return st;
}

/* The shortest %g text of v that reads back as v (into buf[32]). */
static const char *shortest(double v, char buf[32])
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, 32, "%.0f", v);
        return buf;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, 32, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

/* Appends a number as Prometheus writes it (+Inf, -Inf, NaN, shortest round-trip otherwise). */
static as_status put_num(struct as_buf *out, double v)
{
    char buf[32];

    if (isinf(v))
        return as_buf_append_str(out, v > 0 ? "+Inf" : "-Inf");
    if (v == floor(v) && fabs(v) < 1e15)
        return as_buf_appendf(out, "%.0f", v);
    return as_buf_append_str(out, shortest(v, buf));
}

/* Appends {a="x",b="y"[,le="..."]} (nothing when empty). */
static as_status put_labels(struct as_buf *out, const struct as_metric_family *f,
                            const struct series *s, const char *le)
{
    as_status st = AS_OK;

    if (f->n_labels == 0 && le == NULL)
        return AS_OK;
    st = as_buf_append(out, "{", 1);
    for (size_t j = 0; j < f->n_labels && st == AS_OK; j++) {
        st = as_buf_appendf(out, "%s%s=\"", j ? "," : "", f->labels[j]);
        if (st == AS_OK)
            st = put_escaped(out, s->values[j], false);
        if (st == AS_OK)
            st = as_buf_append(out, "\"", 1);
    }
    if (st == AS_OK && le != NULL)
        st = as_buf_appendf(out, "%sle=\"%s\"", f->n_labels ? "," : "", le);
    if (st == AS_OK)
        st = as_buf_append(out, "}", 1);
    return st;
}

/* Appends one series of a histogram: buckets, +Inf, sum, count. */
static as_status put_histogram(struct as_buf *out, const struct as_metric_family *f,
                               const struct series *s)
{
    as_status st = AS_OK;
    char le[32];

    for (size_t i = 0; i <= f->n_bounds && st == AS_OK; i++) {
        if (i < f->n_bounds)
            shortest(f->bounds[i], le);
        else
            snprintf(le, sizeof(le), "+Inf");
        st = as_buf_appendf(out, "%s_bucket", f->name);
        if (st == AS_OK)
            st = put_labels(out, f, s, le);
        if (st == AS_OK)
            st = as_buf_appendf(out, " %llu\n", i < f->n_bounds ? s->buckets[i] : s->count);
    }
    if (st == AS_OK)
        st = as_buf_appendf(out, "%s_sum", f->name);
    if (st == AS_OK)
        st = put_labels(out, f, s, NULL);
    if (st == AS_OK)
        st = as_buf_append(out, " ", 1);
    if (st == AS_OK)
        st = put_num(out, s->value);
    if (st == AS_OK)
        st = as_buf_appendf(out, "\n%s_count", f->name);
    if (st == AS_OK)
        st = put_labels(out, f, s, NULL);
    if (st == AS_OK)
        st = as_buf_appendf(out, " %llu\n", s->count);
    return st;
}

/* Appends one family: HELP, TYPE, every series. */
static as_status put_family(struct as_buf *out, const struct as_metric_family *f)
{
    static const char *const types[] = {"counter", "gauge", "histogram"};
    as_status st = as_buf_appendf(out, "# HELP %s ", f->name);

    if (st == AS_OK)
        st = put_escaped(out, f->help, true);
    if (st == AS_OK)
        st = as_buf_appendf(out, "\n# TYPE %s %s\n", f->name, types[f->type]);
    for (size_t i = 0; i < f->n && st == AS_OK; i++) {
        const struct series *s = &f->s[i];
        if (f->type == AS_METRIC_HISTOGRAM) {
            st = put_histogram(out, f, s);
            continue;
        }
        st = as_buf_append_str(out, f->name);
        if (st == AS_OK)
            st = put_labels(out, f, s, NULL);
        if (st == AS_OK)
            st = as_buf_append(out, " ", 1);
        if (st == AS_OK)
            st = put_num(out, s->value);
        if (st == AS_OK)
            st = as_buf_append(out, "\n", 1);
    }
    return st;
}

/* Renders the registry in the text exposition format. */
as_status as_metrics_render(struct as_metrics *m, struct as_buf *out)
{
    as_status st = AS_OK;
    unsigned long long dropped = 0;

    pthread_mutex_lock(&m->lock);
    for (struct as_metric_family *f = m->head; f != NULL && st == AS_OK; f = f->next) {
        st = put_family(out, f);
        dropped += f->dropped;
    }
    pthread_mutex_unlock(&m->lock);
    if (st == AS_OK)
        st = as_buf_appendf(out,
                            "# HELP appstack_metrics_dropped_series_total Series not recorded "
                            "because a family reached its series bound.\n"
                            "# TYPE appstack_metrics_dropped_series_total counter\n"
                            "appstack_metrics_dropped_series_total %llu\n",
                            dropped);
    return st;
}

as_status as_metrics_register(struct as_metrics *m, const struct as_metric_spec *specs, size_t n)
{
    as_status st = AS_OK;

    for (size_t i = 0; st == AS_OK && i < n; i++) {
        const struct as_metric_spec *sp = &specs[i];
        switch (sp->type) {
        case AS_METRIC_COUNTER:
            st = as_metrics_counter_new(m, sp->name, sp->help, sp->labels, sp->n_labels, sp->out);
            break;
        case AS_METRIC_GAUGE:
            st = as_metrics_gauge_new(m, sp->name, sp->help, sp->labels, sp->n_labels, sp->out);
            break;
        case AS_METRIC_HISTOGRAM:
            st = as_metrics_histogram_new(m, sp->name, sp->help, sp->labels, sp->n_labels,
                                          as_metrics_latency_buckets, as_metrics_latency_buckets_n,
                                          sp->out);
            break;
        default:
            st = AS_E_INVALID_ARG;
        }
    }
    return st;
}
