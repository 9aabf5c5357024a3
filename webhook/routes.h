/*
 * routes.h - request routing for the webhook's HTTPS server: admission
 * endpoints (/validate, /validate/enforce, /validate/advisory, /mutate),
 * /healthz, /readyz, /metrics; method, content-type and size checks with
 * clear plain-text errors.
 */
#ifndef AS_WEBHOOK_ROUTES_H
#define AS_WEBHOOK_ROUTES_H

#include <pthread.h>
#include <stdio.h>

#include "admit.h"
#include "base/metrics.h"
#include "policywatch.h"
#include "server.h"
#include "tlsstore.h"

struct as_routes {
    struct as_policyset *policies; /* borrowed */
    struct as_tlsstore *tls;       /* borrowed */
    struct as_metrics *metrics;    /* borrowed */
    struct as_admit_metrics admit_metrics;
    struct as_admit_rule_times rule_times; /* admit_metrics.rule_times points here */
    struct as_metric_family *cert_expiry;  /* gauge, seconds since the epoch */
    struct as_metric_family *http;         /* counter {code} for non-admission answers */
    FILE *audit;                           /* or NULL */
    pthread_mutex_t audit_lock;
    /* admit.h's read_object hook and its context (NULL without an API client) */
    as_status (*read_object)(void *ctx, const char *group, const char *plural, const char *ns,
                             const char *name, json_t **out);
    void *read_ctx;
};

/* Registers the metric families in r->metrics. */
as_status as_routes_init(struct as_routes *r);

/* The as_http_handler for as_server (ctx = struct as_routes *). */
int as_routes_handle(void *ctx, const struct as_http_request *req, struct as_buf *out,
                     const char **content_type);

/* Ready: a certificate valid now and the policy informers synced; *why says what is missing. */
bool as_routes_ready(struct as_routes *r, const char **why);

#endif
