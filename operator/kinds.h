/*
 * kinds.h - the kinds of child object an AppStack owns, in the renderer's
 * order, with the optional API (AS_API_* of render.h) each one needs and the
 * CustomResourceDefinition that brings it. The operator runs one
 * label-selected informer per kind whose API the cluster serves. Pure data.
 */
#ifndef AS_OPERATOR_KINDS_H
#define AS_OPERATOR_KINDS_H

#include <stdbool.h>
#include <stddef.h>

#include "kube/resource.h"

/*
 * How much of a child the cache keeps once it compared equal to what the
 * operator applies (reconcile_write.c, cache.h as_cache_slim). The status
 * reads workloads, Jobs, CronJobs and Certificates; the secrets code reads
 * Secrets; pruning reads Secret types and claims.
 */
enum as_op_slim {
    AS_OP_SLIM_NONE,     /* the whole object: more of it is read */
    AS_OP_SLIM_IDENTITY, /* its identity and applied hash: nothing more is read */
    AS_OP_SLIM_WORKLOAD, /* also what the status reads of a Deployment or StatefulSet:
                            metadata.generation, spec.replicas, the containers' names and
                            images, and status */
};

struct as_op_kind {
    const char *api_version; /* "apps/v1" */
    const char *kind;        /* "Deployment" */
    unsigned needs_api;      /* AS_API_* bit, 0 = always served */
    const char *crd;         /* CRD name that brings the kind, or NULL */
    enum as_op_slim slim;    /* what its cache entry keeps once it compares equal */
};

/* The table (static) and its length. */
const struct as_op_kind *as_op_kinds(size_t *n);

/* Index of apiVersion/kind in the table, or -1. */
int as_op_kind_index(const char *api_version, const char *kind);

/* The resource (resource.h) of table entry i; NULL only if the table and resource.c disagree. */
const struct as_kube_resource *as_op_kind_resource(size_t i);

/* What the cache keeps of table entry i once compared (AS_OP_SLIM_NONE past the end). */
enum as_op_slim as_op_kind_slim(size_t i);

/* The AS_API_* bit a CRD name brings (0 when it is none of ours). */
unsigned as_op_kind_api_of_crd(const char *crd_name);

/* The label every child carries (selector of the child informers). */
#define AS_OP_STACK_LABEL "appstack.io/stack"
/* The label the operator puts on Secrets a stack reads (secrets.fromExisting). */
#define AS_OP_REFERENCED_LABEL "appstack.io/referenced"
/* The finalizer that handles data on deletion (docs/api.md, deletionPolicy). */
#define AS_OP_FINALIZER "appstack.io/data"
/* Field manager of every write. */
#define AS_OP_FIELD_MANAGER "appstack-operator"

#endif
