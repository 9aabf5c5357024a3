/*
 * opmetrics.h - the operator's Prometheus metrics: registration of the
 * families in runtime.h (struct as_op_metrics) and the API client's
 * per-request hook. Names follow controller-runtime's where one exists,
 * with the appstack_operator_ prefix.
 */
#ifndef AS_OPERATOR_OPMETRICS_H
#define AS_OPERATOR_OPMETRICS_H

#include <stdbool.h>

#include "runtime.h"

/* Registers every family in reg (borrowed) and sets build_info. */
as_status as_op_metrics_init(struct as_metrics *reg, struct as_op_metrics *out);

/* as_kube_client_options.on_response: counts requests by verb (WATCH for watches) and code. */
void as_op_metrics_on_response(const char *method, bool watch, long http_code, void *ctx);

#endif
