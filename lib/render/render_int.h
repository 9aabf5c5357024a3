/*
 * render_int.h - library-internal declarations shared by the files of
 * lib/render: the render context, tolerant spec accessors (spec.c), names,
 * labels and metadata (meta.c), the hardened pod template (pod.c), hashing
 * and encoding (hash.c), and one builder per child kind.
 *
 * Builders run only after validate.c found no error, but they still read the
 * spec through the tolerant accessors (wrong types give the default), so no
 * input can crash them. A builder appends its objects to ctx->out with
 * r_emit(); allocation failures are recorded in ctx->st (first one wins).
 */
#ifndef AS_RENDER_INT_H
#define AS_RENDER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/status.h"
#include "render/render.h"

/* Images of the helper containers (pinned tags). */
#define R_IMG_PG_EXPORTER "quay.io/prometheuscommunity/postgres-exporter:v0.15.0"
#define R_IMG_REDIS_EXPORTER "oliver006/redis_exporter:v1.62.0"
#define R_IMG_S3 "amazon/aws-cli:2.17.0"

/* UIDs: profile default, and the official images' own users. */
#define R_UID_DEFAULT 10001
#define R_UID_PG_ALPINE 70
#define R_UID_PG_DEBIAN 999
#define R_UID_REDIS 999

struct r_ctx {
    const json_t *stack;                 /* borrowed: the AppStack */
    const json_t *spec;                  /* borrowed: its spec (an object, after validation) */
    const char *name;                    /* metadata.name */
    const char *ns;                      /* namespace or NULL */
    const char *uid;                     /* metadata.uid or NULL */
    const struct as_render_facts *facts; /* never NULL (an empty one) */
    struct as_field_errors *errors;
    json_t *out;  /* owned: objects rendered so far */
    as_status st; /* first failure while building (AS_E_NOMEM, AS_E_MISSING) */
    bool restricted;
    bool suspend;
    bool monitoring;    /* monitoring.enabled */
    bool exporters;     /* monitoring.exporters && monitoring */
    bool prom_operator; /* monitoring && facts has prometheus-operator */
};

/* ---- spec.c: tolerant accessors (absent or wrong type -> default / NULL) */
const char *rs_str(const json_t *o, const char *key, const char *dflt);
int64_t rs_int(const json_t *o, const char *key, int64_t dflt);
bool rs_bool(const json_t *o, const char *key, bool dflt);
json_t *rs_obj(const json_t *o, const char *key);
json_t *rs_arr(const json_t *o, const char *key);
bool rs_has(const json_t *o, const char *key); /* present and not null */
/* A quantity (integer or string) as text into buf[32]; dflt when absent or invalid. */
const char *rs_qty(const json_t *o, const char *key, const char *dflt, char buf[32]);
/* Element i of spec.components, or NULL; and lookup by name. */
json_t *rs_component(const struct r_ctx *c, const char *name);
/* spec.services.<which> when an object, else NULL. */
json_t *rs_service(const struct r_ctx *c, const char *which);
/* True when name is in spec.secrets.generate (gen) / fromExisting (!gen). */
json_t *rs_secret_decl(const struct r_ctx *c, const char *name, bool gen);
/* Bytes of a quantity like 256Mi/1Gi/1000 (BYTES pattern); -1 when not one. */
int64_t rs_bytes(const char *q);

/* ---- meta.c */
/* "<stack>-<suffix>" (or "<stack>" for NULL), at most max chars, a valid DNS label:
 * too long names keep a prefix and end in "-<8 hex of sha256(full)>". Caller owns. */
char *r_name(const struct r_ctx *c, const char *suffix, size_t max);
/* Recommended labels of a child; name = app name (component), role = component label. New ref. */
json_t *r_labels(const struct r_ctx *c, const char *app, const char *role);
/* Selector subset: appstack.io/stack + app.kubernetes.io/name. New ref. */
json_t *r_selector(const struct r_ctx *c, const char *app);
/* {apiVersion, kind, metadata{name, namespace, labels, ownerReferences}}. New ref (steals labels).
 */
json_t *r_object(const struct r_ctx *c, const char *api_version, const char *kind, const char *name,
                 json_t *labels);
/* Appends obj (stolen) to ctx->out; NULL records AS_E_NOMEM. */
void r_emit(struct r_ctx *c, json_t *obj);
/* Records a failure (first wins). */
void r_fail(struct r_ctx *c, as_status st);
/* Upper-cases and maps '-' to '_' into out (size n). */
void r_env_name(const char *in, char *out, size_t n);

/* ---- hash.c */
/* Lower-case hex sha256 of n bytes into out[65]. */
void r_sha256_hex(const void *data, size_t n, char out[65]);
/* sha256 hex of the canonical JSON of v (records AS_E_NOMEM in c on failure). */
void r_digest_json(struct r_ctx *c, const json_t *v, char out[65]);
/* Base64 of s; caller owns; NULL on NOMEM. */
char *r_base64(const char *s, size_t n);

/* ---- pod.c: hardened pod templates */
struct r_pod {
    const char *app;     /* app label value (component name, "postgres", ...) */
    const char *role;    /* component label value */
    const char *sa;      /* service account name or NULL (default SA) */
    int64_t uid;         /* 0: profile default */
    int64_t gid;         /* 0: = uid */
    bool image_user;     /* baseline: keep the image's user when uid == 0 */
    int64_t grace;       /* terminationGracePeriodSeconds, <0 default */
    const char *restart; /* restartPolicy or NULL */
    json_t *annotations; /* stolen, may be NULL */
};
/* Securing one container (borrowed, edited in place) to the profile. */
void r_harden_container(const struct r_ctx *c, json_t *ctr, const struct r_pod *p);
/* Resources object {requests{cpu,memory},limits{cpu,memory}} from spec (may be NULL) and defaults.
 */
json_t *r_resources(const json_t *spec_res, const char *rcpu, const char *rmem, const char *lcpu,
                    const char *lmem);
/* Pod template {metadata{labels, annotations}, spec} from containers and volumes (both stolen);
 * adds the /tmp emptyDir to every container, hardens them, adds config-hash annotation
 * computed from hash_input (borrowed string, may be NULL). */
json_t *r_pod_template(struct r_ctx *c, const struct r_pod *p, json_t *containers, json_t *volumes,
                       const char *hash_input);
/* The config-hash input for a set of secret names (generated/existing) used by a pod. */
char *r_hash_input_for_component(struct r_ctx *c, const json_t *comp);
/* Hash of a rendered secret by its child name, from ctx->out; "absent" when not rendered. */
void r_secret_digest(struct r_ctx *c, const char *child_name, char out[65]);

/* ---- builders */
void r_validate(struct r_ctx *c); /* validate.c: every error into c->errors */
void r_build_secrets(struct r_ctx *c);
void r_build_serviceaccounts(struct r_ctx *c);
void r_build_component(struct r_ctx *c, const json_t *comp);
json_t *r_component_env(struct r_ctx *c, const json_t *comp); /* env.c; new array */
json_t *r_component_container(struct r_ctx *c, const json_t *comp, json_t **volumes_out);
json_t *r_component_template(struct r_ctx *c, const json_t *comp);
void r_build_deployment(struct r_ctx *c, const json_t *comp);
void r_build_statefulset(struct r_ctx *c, const json_t *comp);
void r_build_cronjob(struct r_ctx *c, const json_t *comp);
void r_build_migration(struct r_ctx *c, const json_t *comp);
void r_build_service(struct r_ctx *c, const json_t *comp);
void r_build_hpa(struct r_ctx *c, const json_t *comp);
void r_build_pdb(struct r_ctx *c, const char *app, int64_t replicas);
void r_build_postgres(struct r_ctx *c);
void r_build_redis(struct r_ctx *c);
void r_build_backup(struct r_ctx *c, const char *which);
void r_build_ingress(struct r_ctx *c);
void r_build_httproute(struct r_ctx *c);
void r_build_certificate(struct r_ctx *c);
void r_build_networkpolicies(struct r_ctx *c);
void r_build_monitoring(struct r_ctx *c);
void r_build_servicemonitor(struct r_ctx *c, const char *app, const char *port_name,
                            const char *path, const char *interval);
void r_build_prometheusrule(struct r_ctx *c);
void r_build_dashboard(struct r_ctx *c);

/* Shared object helpers (statefulset.c, cronjob.c, service.c, job.c); templates and ports stolen.
 */
json_t *r_claim_template(const struct r_ctx *c, const char *app, const char *role,
                         const char *vname, const char *size, const char *storage_class);
json_t *r_statefulset(struct r_ctx *c, const char *app, const char *role, int64_t replicas,
                      json_t *tmpl, json_t *claims);
json_t *r_cronjob(struct r_ctx *c, const char *name, const char *app, const char *role,
                  const char *schedule, const char *tz, const char *policy, bool suspend,
                  json_t *tmpl);
json_t *r_service(struct r_ctx *c, const char *name, const char *app, const char *role,
                  json_t *ports, bool headless);
json_t *r_service_port(const char *name, int64_t port);
json_t *r_job(struct r_ctx *c, const char *name, const char *app, const char *role, int64_t backoff,
              int64_t deadline, json_t *tmpl);
json_t *r_needed_secrets(struct r_ctx *c);
json_t *r_security_headers(const struct r_ctx *c, const char *cache);
char *r_tls_secret_name(const struct r_ctx *c);
json_t *r_monitor_labels(const struct r_ctx *c, const char *app, const char *role);
/* {"name": n, "valueFrom": {"secretKeyRef": {...}}} / {"name", "value"}. New refs. */
json_t *r_env_secret(const char *name, const char *secret, const char *key);
json_t *r_env_value(const char *name, const char *value);
/* Keys of an object, sorted (new array of strings). */
json_t *r_sorted_keys(const json_t *o);
/* The image and uid of a data service. */
const char *r_pg_image(const struct r_ctx *c, char *buf, size_t n);
int64_t r_pg_uid(const struct r_ctx *c);
const char *r_redis_image(const struct r_ctx *c, char *buf, size_t n);
/* app label of a component's migration pods ("<name>.migrate") into out[48]. */
void r_migration_app(struct r_ctx *c, const json_t *comp, char out[48]);

/* Replicas a component runs (after suspend/autoscaling: -1 when the HPA owns it). */
int64_t r_replicas(const struct r_ctx *c, const json_t *comp);

#endif
