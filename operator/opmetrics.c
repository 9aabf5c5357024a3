/*
 * opmetrics.c - registers the operator's metric families (opmetrics.h).
 */
#include "opmetrics.h"

#include <stdio.h>

as_status as_op_metrics_init(struct as_metrics *reg, struct as_op_metrics *out)
{
    static const char *const result[] = {"result"};
    static const char *const verb_code[] = {"verb", "code"};
    static const char *const verb_kind[] = {"verb", "kind"};
    static const char *const build[] = {"version", "commit"};
    const char *build_values[] = {AS_VERSION, AS_GIT_COMMIT};
    const struct as_metric_spec specs[] = {
        {AS_METRIC_COUNTER, "appstack_operator_reconcile_total",
         "Reconciles by result (success, requeue, error, invalid).", result, 1, &out->reconciles},
        {AS_METRIC_HISTOGRAM, "appstack_operator_reconcile_duration_seconds",
         "Time of one reconcile of one AppStack.", NULL, 0, &out->duration},
        {AS_METRIC_GAUGE, "appstack_operator_workqueue_depth",
         "AppStacks waiting in the work queue (ready now).", NULL, 0, &out->depth},
        {AS_METRIC_HISTOGRAM, "appstack_operator_workqueue_queue_duration_seconds",
         "Time an AppStack waited in the queue before a worker took it.", NULL, 0,
         &out->queue_latency},
        {AS_METRIC_COUNTER, "appstack_operator_api_requests_total",
         "Requests to the API server by verb (HTTP method, WATCH) and HTTP code (0: no response).",
         verb_code, 2, &out->requests},
        {AS_METRIC_GAUGE, "appstack_operator_leader",
         "1 while this replica is the leader (always 1 without --leader-elect).", NULL, 0,
         &out->leader},
        {AS_METRIC_COUNTER, "appstack_operator_child_writes_total",
         "Writes to child objects by verb (apply, create, delete) and kind.", verb_kind, 2,
         &out->writes},
        {AS_METRIC_GAUGE, "appstack_operator_build_info",
         "Version and git commit of this binary (always 1).", build, 2, &out->build},
        {AS_METRIC_GAUGE, "appstack_operator_cache_objects",
         "Objects held by the informers' caches (AppStacks, children, referenced Secrets, the "
         "optional APIs' CRDs).",
         NULL, 0, &out->cache_objects},
        {AS_METRIC_GAUGE, "appstack_operator_cache_bytes",
         "Bytes of the cache entries: identity strings and packed objects.", NULL, 0,
         &out->cache_bytes},
        {AS_METRIC_GAUGE, "appstack_operator_cache_resident_bytes",
         "Resident memory of the cache entries' slab (the pages they touch and its chunk "
         "headers).",
         NULL, 0, &out->cache_rss},
    };
    as_status st;

    out->reg = reg;
    st = as_metrics_register(reg, specs, sizeof(specs) / sizeof(specs[0]));
    if (st == AS_OK)
        as_metrics_gauge_set(out->build, build_values, 1);
    for (size_t i = 0; st == AS_OK && i < 4; i++) { /* every result shows, 0 until it happens */
        static const char *const results[] = {"success", "requeue", "error", "invalid"};
        as_metrics_counter_add(out->reconciles, &results[i], 0);
    }
    return st;
}

void as_op_metrics_on_response(const char *method, bool watch, long http_code, void *ctx)
{
    struct as_op_metrics *m = ctx;
    char code[16];
    const char *labels[2] = {watch ? "WATCH" : method, code};

    if (m == NULL || m->requests == NULL)
        return;
    snprintf(code, sizeof(code), "%ld", http_code);
    as_metrics_counter_add(m->requests, labels, 1);
}
