/*
 * slim.h - what the operator's cache keeps of a child once it compared equal
 * to what the operator applies (kinds.h enum as_op_slim, cache.h
 * as_cache_slim). Pure.
 */
#ifndef AS_OPERATOR_SLIM_H
#define AS_OPERATOR_SLIM_H

#include <jansson.h>

#include "kinds.h"

/*
 * The object to keep of live (a whole child) for how, applied_hash being its
 * applied-hash annotation: {metadata: {annotations: {hash}}}, and for
 * AS_OP_SLIM_WORKLOAD also metadata.generation, spec.replicas,
 * spec.template.spec.containers reduced to each container's name and image,
 * and status (the fields status_workloads.c reads). A new reference; NULL for
 * AS_OP_SLIM_NONE or when out of memory.
 */
json_t *as_op_slim_keep(enum as_op_slim how, const json_t *live, const char *applied_hash);

#endif
