/*
 * status_int.h - internal to operator/status*.c: the state of one status
 * computation and the helpers the check files share. Not for other callers.
 */
#ifndef AS_OPERATOR_STATUS_INT_H
#define AS_OPERATOR_STATUS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/buf.h"
#include "status.h"

#define MSG_MAX 32000 /* under the CRD's 32768 */
#define NAME_MAX_LEN 320

enum cond_id {
    C_READY,
    C_RECONCILING,
    C_STALLED,
    C_COMPONENTS,
    C_DATABASE,
    C_CACHE,
    C_CERTIFICATE,
    C_BACKUP,
    C_POLICY,
    C_APIS,
    C__COUNT
};

/* One condition being built; msg owned. */
struct cond {
    bool set;
    const char *status; /* "True" | "False" | "Unknown" */
    const char *reason;
    struct as_buf msg;
};

/* Workload state, worst last. */
enum wstate { W_AVAILABLE, W_ROLLING, W_UNAVAILABLE, W_ABSENT };

/* One computation: inputs borrowed, conditions and status owned. */
struct ctx {
    const json_t *stack, *spec, *desired, *live;
    const struct as_op_status_facts *f;
    const char *name;
    int64_t gen;
    bool suspended;
    struct cond c[C__COUNT];
    json_t *status; /* being built */
    bool rolling, issuing, migration_running, migration_failed;
    struct as_buf rolling_msg, migration_msg;
};

/* Typed values at a dotted path, or the default (absent or wrong type). */
int64_t st_iget(const json_t *o, const char *path, int64_t dflt);
const char *st_sget(const json_t *o, const char *path); /* borrowed or NULL */
bool st_bget(const json_t *o, const char *path, bool dflt);
/* RFC 3339 time at path as Unix seconds; 0 when absent or malformed. */
int64_t st_time_at(const json_t *o, const char *path);

/* Appends to a message; what passes its limit is cut at a UTF-8 character boundary. */
void st_madd(struct as_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A message's text, never NULL (borrowed). */
const char *st_text(const struct as_buf *b);
void st_set_cond(struct ctx *x, enum cond_id id, const char *status, const char *reason);

/* "<stack>-<suffix>" into buf; returns buf. */
const char *st_child_name(const struct ctx *x, const char *suffix, char *buf, size_t size);
/* The live child of this kind and name (borrowed) or NULL. */
const json_t *st_live_get(const struct ctx *x, const char *kind, const char *name);
/* A child's status.conditions[] entry by type (borrowed) or NULL; and its status test. */
const json_t *st_child_cond(const json_t *obj, const char *type);
bool st_child_cond_is(const json_t *obj, const char *type, const char *status);
/* The last run of a CronJob failed: scheduled after the last success, nothing active. */
bool st_cron_last_failed(const json_t *cj);

/* Sets o[k] to the string v / to the string at src's path, when not NULL. */
void st_set_str(json_t *o, const char *k, const char *v);
void st_set_time(json_t *o, const char *k, const json_t *src, const char *path);

/* The checks (status_workloads.c, status_tls.c). */
void st_check_components(struct ctx *x);
void st_check_migrations(struct ctx *x);
void st_check_service(struct ctx *x, const char *svc, enum cond_id id);
void st_check_certificate(struct ctx *x);
void st_check_backups(struct ctx *x);

#endif
