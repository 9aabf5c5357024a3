/*
 * runtime.h - the operator's shared run-time state, internal to operator/:
 * the client, the informers (AppStacks, referenced Secrets, one per child
 * kind), the work queue, the optional APIs found by discovery and the
 * metric families. manager.c owns and wires it; reconcile*.c read it.
 */
#ifndef AS_OPERATOR_RUNTIME_H
#define AS_OPERATOR_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "base/metrics.h"
#include "informer/informer.h"
#include "informer/workqueue.h"
#include "kinds.h"
#include "kube/client.h"
#include "kube/discovery.h"

#define AS_OP_MAX_KINDS 24
#define AS_OP_MAX_CRDS 8

/* The metric families the operator exports (opmetrics.c registers them). */
struct as_op_metrics {
    struct as_metrics *reg;                 /* borrowed */
    struct as_metric_family *reconciles;    /* counter {result} */
    struct as_metric_family *duration;      /* histogram seconds */
    struct as_metric_family *depth;         /* gauge */
    struct as_metric_family *queue_latency; /* histogram seconds: add -> get */
    struct as_metric_family *requests;      /* counter {verb, code} */
    struct as_metric_family *leader;        /* gauge */
    struct as_metric_family *writes;        /* counter {verb, kind} of children */
    struct as_metric_family *build;         /* gauge {version, commit} = 1 */
    struct as_metric_family *cache_objects; /* gauge: entries of the compact caches */
    struct as_metric_family *cache_bytes;   /* gauge: their slab slots */
    struct as_metric_family *cache_rss;     /* gauge: the slab's resident pages */
};

struct as_op_rt {
    struct as_kube_client *client;   /* borrowed */
    struct as_kube_discovery *disco; /* owned */
    const char *ns;                  /* watched namespace, NULL = all */
    const char *identity;            /* reportingInstance of Events */
    struct as_op_metrics *m;         /* borrowed */

    struct as_informer *stacks;                    /* AppStacks */
    struct as_informer *refs;                      /* Secrets labelled appstack.io/referenced */
    struct as_informer *children[AS_OP_MAX_KINDS]; /* by kinds.h index; NULL = not served */
    struct as_informer *crds[AS_OP_MAX_CRDS];      /* field-selected on the optional CRDs */
    struct as_workqueue *queue;
    atomic_uint apis;         /* AS_API_* served now */
    atomic_bool rediscover;   /* a CRD of an optional API came or went */
    pthread_mutex_t inf_lock; /* guards children[] starts (maintenance thread vs readers) */
};

/* Enqueues the AppStack that controls obj (child events). */
void as_op_enqueue_owner(struct as_op_rt *rt, const json_t *obj);
/* Enqueues every cached AppStack (optional API change, resync). */
void as_op_enqueue_all(struct as_op_rt *rt);
/* The child informer for table index i, or NULL (not served). */
struct as_informer *as_op_child_informer(struct as_op_rt *rt, size_t i);

#endif
