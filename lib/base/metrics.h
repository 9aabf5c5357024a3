/*
 * metrics.h - a small, thread-safe metrics registry (counters, gauges and
 * histograms with labels) and its Prometheus text exposition (format 0.0.4).
 *
 * A family is registered once with its name, help text and label names; a
 * series is one combination of label values, created on first use. The
 * number of series per family is bounded (AS_METRICS_MAX_SERIES): a new
 * combination past the bound is dropped (counted in
 * appstack_metrics_dropped_series_total) so hostile label values cannot grow
 * memory without limit. Callers should use label values from fixed sets.
 *
 * Ownership: the registry owns its families; family pointers returned by the
 * _new functions are borrowed and stay valid until as_metrics_free.
 */
#ifndef AS_BASE_METRICS_H
#define AS_BASE_METRICS_H

#include <stddef.h>

#include "base/buf.h"
#include "base/status.h"

#define AS_METRICS_MAX_LABELS 4
#define AS_METRICS_MAX_SERIES 512
#define AS_METRICS_MAX_BUCKETS 24

enum as_metric_type { AS_METRIC_COUNTER, AS_METRIC_GAUGE, AS_METRIC_HISTOGRAM };

struct as_metrics;
struct as_metric_family;

/* Creates an empty registry. Caller owns *out (as_metrics_free). */
as_status as_metrics_new(struct as_metrics **out);
void as_metrics_free(struct as_metrics *m);

/*
 * Registers a family. name must match [a-zA-Z_:][a-zA-Z0-9_:]*; labels
 * (n_labels <= AS_METRICS_MAX_LABELS) likewise without ':'. Histograms take
 * strictly increasing bucket upper bounds (n_buckets <= AS_METRICS_MAX_BUCKETS;
 * +Inf is implicit). Strings are copied. AS_E_INVALID_ARG for a bad name,
 * duplicate family or bad buckets. *out is borrowed.
 */
as_status as_metrics_counter_new(struct as_metrics *m, const char *name, const char *help,
                                 const char *const *labels, size_t n_labels,
                                 struct as_metric_family **out);
as_status as_metrics_gauge_new(struct as_metrics *m, const char *name, const char *help,
                               const char *const *labels, size_t n_labels,
                               struct as_metric_family **out);
as_status as_metrics_histogram_new(struct as_metrics *m, const char *name, const char *help,
                                   const char *const *labels, size_t n_labels,
                                   const double *buckets, size_t n_buckets,
                                   struct as_metric_family **out);

/*
 * A family to register with as_metrics_register: its type, name, help text,
 * label names (n_labels of them; NULL for none) and where the family goes.
 * Histograms get as_metrics_latency_buckets.
 */
struct as_metric_spec {
    enum as_metric_type type;
    const char *name, *help;
    const char *const *labels;
    size_t n_labels;
    struct as_metric_family **out;
};

/* Registers specs[0..n) in order; stops at the first failure and returns it. */
as_status as_metrics_register(struct as_metrics *m, const struct as_metric_spec *specs, size_t n);

/*
 * Updates the series named by values (exactly the family's label count;
 * NULL when it has none). Counters only grow (negative deltas are ignored).
 * Returns AS_E_LIMIT when the series bound is reached, AS_E_INVALID_ARG for
 * a type mismatch; metrics never fail loudly, callers may ignore the result.
 */
as_status as_metrics_counter_add(struct as_metric_family *f, const char *const *values,
                                 double delta);
as_status as_metrics_gauge_set(struct as_metric_family *f, const char *const *values, double v);
as_status as_metrics_gauge_add(struct as_metric_family *f, const char *const *values, double d);
as_status as_metrics_histogram_observe(struct as_metric_family *f, const char *const *values,
                                       double v);

/*
 * Reads one series back (tests, readiness): counter/gauge value, or a
 * histogram's count. AS_E_MISSING when that series does not exist.
 */
as_status as_metrics_value(struct as_metric_family *f, const char *const *values, double *out);

/*
 * Appends the whole registry in the Prometheus text format to out: families
 * in registration order, series in creation order, label values escaped
 * (\\, \", \n). AS_E_LIMIT when out's max is reached (out then holds a
 * prefix), AS_E_NOMEM.
 */
as_status as_metrics_render(struct as_metrics *m, struct as_buf *out);

/* Default latency buckets in seconds (100 µs .. 5 s) and their count. */
extern const double as_metrics_latency_buckets[];
extern const size_t as_metrics_latency_buckets_n;

#endif
