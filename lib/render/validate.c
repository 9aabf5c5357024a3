/*
 * validate.c - the semantic validation of a (schema-valid, defaulted) spec:
 * every rule the CRD checks with CEL (same messages, each at the exact field,
 * as tests/golden/appstackcheck.py does), plus what CEL cannot check: names
 * the stack's own objects use (reserved component and secret names), env
 * variables that collide with those injected by `connections`, and volume
 * mounts that collide. Every error is appended; nothing stops at the first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

#define M_RESERVED                                                                                 \
    "the names postgres and redis are reserved for spec.services — rename the component"
#define M_PORT                                                                                      \
    "port is required for web and stateful components and not allowed for worker and cron — set " \
    "port, or remove it"
#define M_SCHEDULE                                                                                   \
    "schedule is required for type cron and allowed only for it — add a cron schedule, or change " \
    "the type"
#define M_CRON_ONLY "timeZone and concurrencyPolicy apply only to type cron — remove them"
#define M_VOLUMES                                                                                  \
    "volumes are required for type stateful and allowed only for it — use a stateful component " \
    "for data that must survive, writablePaths for scratch space"
#define M_REPL_AS "replicas and autoscaling are exclusive — remove replicas, the autoscaler owns it"
#define M_CRON_REPL "replicas and probes do not apply to type cron — remove them"
#define M_AS_TYPE "autoscaling applies only to web and worker components — remove it"
#define M_MIGRATE                                                                                   \
    "migrate applies only to web and worker components — move it to the component that owns the " \
    "schema"
#define M_METRICS                                                                                  \
    "metrics.port is required when the component has no port — set the port the metrics are "    \
    "served on"
#define M_PROBE_PORT                                                                                \
    "an HTTP or TCP probe needs a port and the component has none — set the probe's port or use " \
    "a command probe"
#define M_SELF "a component cannot connect to itself — remove that connection"
#define M_LATEST "the latest tag is not reproducible — pin a version tag or a digest"
#define M_AS_BOUNDS                                                                                \
    "minReplicas is greater than maxReplicas — lower minReplicas or raise maxReplicas"
#define M_PATH_CMD                                                                                 \
    "path and command are exclusive — keep path for an HTTP probe or command for an exec probe"
#define M_ENV_ONE                                                                                  \
    "set exactly one of value and secretKeyRef — a literal value, or a reference to a declared " \
    "secret"
#define M_DB_ONLY                                                                                  \
    "database applies only to a postgres connection — remove it or connect to postgres"
#define M_RDB_ONLY                                                                                 \
    "redisDatabase applies only to a redis connection — remove it or connect to redis"
#define M_MODE                                                                                     \
    "set tls for an Ingress or gateway for an HTTPRoute, exactly one — with a gateway the "      \
    "listener terminates TLS"
#define M_CLASS "className applies to an Ingress, not to a gateway route — remove className"
#define M_GW                                                                                       \
    "rateLimit and maxBodySize cannot be rendered for a Gateway API route — remove them or use " \
    "the Ingress form (tls instead of gateway)"
#define M_HOST "a route's host must be host or one of extraHosts — add the host to extraHosts"
#define M_TLS                                                                                      \
    "set exactly one of issuerRef, selfSigned: true and secretName — choose where the "          \
    "certificate comes from"
#define M_RATE                                                                                     \
    "set exactly one of requestsPerSecond and requestsPerMinute — pick the unit of your limit"
#define M_ROUTE                                                                                     \
    "a route names a component that does not exist or is not of type web — name a web component " \
    "of spec.components"
#define M_DEST "set exactly one of pvc and s3 — choose where the dumps are kept"
#define M_S3                                                                                        \
    "a backup's s3.credentialsSecret is not declared in spec.secrets.fromExisting — declare the " \
    "secret there"
#define M_BOTH "a name is declared both in generate and fromExisting — rename one of them"
#define M_ENV_SECRET                                                                               \
    "an env secretKeyRef names a secret not declared in spec.secrets — declare it in "           \
    "secrets.generate or secrets.fromExisting"
#define M_ENV_KEY                                                                                  \
    "an env secretKeyRef names a key that the generated secret does not have — add the key to "  \
    "secrets.generate[].keys"
#define M_FROM                                                                                     \
    "an envFrom secretRef names a secret not declared in spec.secrets — declare it in "          \
    "secrets.generate or secrets.fromExisting"
#define M_TARGET                                                                                   \
    "a connection names neither a declared service (spec.services.postgres, spec.services.redis) " \
    "nor a component with a port — declare the service or fix the name"
#define M_DB                                                                                       \
    "a connection's database is not in spec.services.postgres.databases — add the database or "  \
    "fix the name"

#define ERR(...) as_field_errors_add(c->errors, __VA_ARGS__)

static bool is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* True when the string array arr holds s. */
static bool arr_has(const json_t *arr, const char *s)
{
    json_t *x;
    size_t i;

    json_array_foreach(arr, i, x)
    {
        if (is(json_string_value(x), s))
            return true;
    }
    return false;
}

/* Names of the stack's own objects that a component may not take. */
static const char *const RESERVED_COMPONENTS[] = {"default-deny",
                                                  "postgres-backup",
                                                  "postgres-setup",
                                                  "postgres-jobs",
                                                  "redis-backup",
                                                  "redis-jobs",
                                                  NULL};

/* Variables injected by the connections of comp (names with prefixes) into names (array). */
static void injected(const struct r_ctx *c, const json_t *comp, json_t *names)
{
    json_t *x;
    size_t i;
    char buf[192], up[64];
    static const char *const pg[] = {"PGHOST",     "PGPORT",       "PGDATABASE", "PGUSER",
                                     "PGPASSWORD", "DATABASE_URL", NULL};
    static const char *const rd[] = {"REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "REDIS_URL",
                                     NULL};

    json_array_foreach(rs_arr(comp, "connections"), i, x)
    {
        const char *n = rs_str(x, "name", ""), *p = rs_str(x, "envPrefix", "");
        const char *const *list = is(n, "postgres") ? pg : is(n, "redis") ? rd : NULL;
        if (list) {
            for (; *list; list++) {
                snprintf(buf, sizeof buf, "%s%s", p, *list);
                json_array_append_new(names, json_pack("{s:s, s:I}", "n", buf, "i", (json_int_t)i));
            }
        } else {
            r_env_name(n, up, sizeof up);
            snprintf(buf, sizeof buf, "%s%s_HOST", p, up);
            json_array_append_new(names, json_pack("{s:s, s:I}", "n", buf, "i", (json_int_t)i));
            snprintf(buf, sizeof buf, "%s%s_PORT", p, up);
            json_array_append_new(names, json_pack("{s:s, s:I}", "n", buf, "i", (json_int_t)i));
        }
    }
    (void)c;
}

/* The rules of one component at path p. */
static void component(struct r_ctx *c, const json_t *comp, const char *p)
{
    const char *name = rs_str(comp, "name", ""), *type = rs_str(comp, "type", "");
    bool cron = is(type, "cron"), stateful = is(type, "stateful"), has_port = rs_has(comp, "port");
    const json_t *as = rs_obj(comp, "autoscaling"), *probes = rs_obj(comp, "probes"), *x;
    static const char *const which[] = {"liveness", "readiness", "startup"};
    json_t *inj, *mounts;
    size_t i, j;

    if (is(name, "postgres") || is(name, "redis"))
        ERR("%s.name: " M_RESERVED, p);
    for (i = 0; RESERVED_COMPONENTS[i]; i++) {
        if (is(name, RESERVED_COMPONENTS[i]))
            ERR("%s.name: %s is used by the stack's own objects — rename the component", p, name);
    }
    if ((is(type, "web") || stateful) != has_port)
        ERR("%s.port: " M_PORT, p);
    if (cron != rs_has(comp, "schedule"))
        ERR("%s.schedule: " M_SCHEDULE, p);
    if (!cron && rs_has(comp, "timeZone"))
        ERR("%s.timeZone: " M_CRON_ONLY, p);
    if (!cron && rs_has(comp, "concurrencyPolicy"))
        ERR("%s.concurrencyPolicy: " M_CRON_ONLY, p);
    if (stateful != rs_has(comp, "volumes"))
        ERR("%s.volumes: " M_VOLUMES, p);
    if (rs_has(comp, "replicas") && rs_has(comp, "autoscaling"))
        ERR("%s.replicas: " M_REPL_AS, p);
    if (cron && rs_has(comp, "replicas"))
        ERR("%s.replicas: " M_CRON_REPL, p);
    if (cron && rs_has(comp, "probes"))
        ERR("%s.probes: " M_CRON_REPL, p);
    if (rs_has(comp, "autoscaling") && !is(type, "web") && !is(type, "worker"))
        ERR("%s.autoscaling: " M_AS_TYPE, p);
    if (rs_has(comp, "migrate") && !is(type, "web") && !is(type, "worker"))
        ERR("%s.migrate: " M_MIGRATE, p);
    if (rs_obj(comp, "metrics") && !rs_has(rs_obj(comp, "metrics"), "port") && !has_port)
        ERR("%s.metrics.port: " M_METRICS, p);
    for (i = 0; i < 3; i++) {
        const json_t *pr = rs_obj(probes, which[i]);
        if (pr && !has_port && !rs_has(pr, "command") && !rs_has(pr, "port"))
            ERR("%s.probes.%s.port: " M_PROBE_PORT, p, which[i]);
    }
    /* appstackcheck.py iterates probes in key order: liveness, readiness, startup. */
    for (i = 0; i < 3; i++) {
        const json_t *pr = rs_obj(probes, which[i]);
        if (pr && rs_has(pr, "path") && rs_has(pr, "command"))
            ERR("%s.probes.%s.command: " M_PATH_CMD, p, which[i]);
    }
    json_array_foreach(rs_arr(comp, "connections"), i, x)
    {
        if (is(rs_str(x, "name", NULL), name))
            ERR("%s.connections[%zu].name: " M_SELF, p, i);
    }
    {
        const char *img = rs_str(comp, "image", "");
        size_t n = strlen(img);
        if (n >= 7 && strcmp(img + n - 7, ":latest") == 0)
            ERR("%s.image: " M_LATEST, p);
    }
    if (as && rs_int(as, "minReplicas", 1) > rs_int(as, "maxReplicas", 1))
        ERR("%s.autoscaling.minReplicas: " M_AS_BOUNDS, p);
    json_array_foreach(rs_arr(comp, "env"), i, x)
    {
        if (rs_has(x, "value") == rs_has(x, "secretKeyRef"))
            ERR("%s.env[%zu]: " M_ENV_ONE, p, i);
    }
    json_array_foreach(rs_arr(comp, "connections"), i, x)
    {
        if (rs_has(x, "database") && !is(rs_str(x, "name", ""), "postgres"))
            ERR("%s.connections[%zu].database: " M_DB_ONLY, p, i);
        if (rs_has(x, "redisDatabase") && !is(rs_str(x, "name", ""), "redis"))
            ERR("%s.connections[%zu].redisDatabase: " M_RDB_ONLY, p, i);
    }
    /* Beyond CEL: env names that connections inject, and mount paths used twice. */
    inj = json_array();
    injected(c, comp, inj);
    json_array_foreach(rs_arr(comp, "env"), i, x)
    {
        json_t *y;
        json_array_foreach(inj, j, y)
        {
            if (is(rs_str(x, "name", ""), rs_str(y, "n", NULL))) {
                ERR("%s.env[%zu].name: %s is also injected by connections[%lld] — rename the "
                    "variable or give the connection an envPrefix",
                    p, i, rs_str(x, "name", ""), (long long)rs_int(y, "i", 0));
                break;
            }
        }
    }
    json_decref(inj);
    mounts = json_array();
    json_array_foreach(rs_arr(comp, "volumes"), i, x)
    {
        json_array_append_new(
            mounts, json_pack("{s:s, s:s}", "p", rs_str(x, "mountPath", ""), "f", "volumes"));
    }
    json_array_foreach(rs_arr(comp, "writablePaths"), i, x)
    {
        json_array_append_new(
            mounts, json_pack("{s:s, s:s}", "p", rs_str(x, "path", ""), "f", "writablePaths"));
    }
    json_array_foreach(mounts, i, x)
    {
        json_t *y;
        size_t vi = 0, idx = i;
        if (is(rs_str(x, "f", ""), "writablePaths"))
            idx = i - json_array_size(rs_arr(comp, "volumes"));
        if (is(rs_str(x, "f", ""), "volumes") && is(rs_str(x, "p", ""), "/tmp"))
            ERR("%s.volumes[%zu].mountPath: /tmp is the stack's scratch directory — mount the "
                "volume elsewhere",
                p, idx);
        json_array_foreach(mounts, vi, y)
        {
            if (vi < i && is(rs_str(x, "p", ""), rs_str(y, "p", NULL))) {
                ERR("%s.%s[%zu]: %s is mounted twice in the component — use distinct paths", p,
                    rs_str(x, "f", ""), idx, rs_str(x, "p", ""));
                break;
            }
        }
    }
    json_decref(mounts);
}

/* The ingress rules. */
static void ingress(struct r_ctx *c)
{
    const json_t *ing = rs_obj(c->spec, "ingress"), *r, *tls;
    size_t i;

    if (!ing)
        return;
    if (rs_has(ing, "gateway") == rs_has(ing, "tls"))
        ERR("spec.ingress.%s: " M_MODE, rs_has(ing, "tls") ? "tls" : "gateway");
    if (rs_has(ing, "gateway") && rs_has(ing, "className"))
        ERR("spec.ingress.className: " M_CLASS);
    json_array_foreach(rs_arr(ing, "routes"), i, r)
    {
        const char *h = rs_str(r, "host", "");
        const json_t *rate = rs_obj(r, "rateLimit"), *comp;
        if (rs_has(ing, "gateway") && rs_has(r, "rateLimit"))
            ERR("spec.ingress.routes[%zu].rateLimit: " M_GW, i);
        if (rs_has(ing, "gateway") && rs_has(r, "maxBodySize"))
            ERR("spec.ingress.routes[%zu].maxBodySize: " M_GW, i);
        if (*h && !is(h, rs_str(ing, "host", "")) && !arr_has(rs_arr(ing, "extraHosts"), h))
            ERR("spec.ingress.routes[%zu].host: " M_HOST, i);
        if (rate && rs_has(rate, "requestsPerSecond") == rs_has(rate, "requestsPerMinute"))
            ERR("spec.ingress.routes[%zu].rateLimit: " M_RATE, i);
        comp = rs_component(c, rs_str(r, "component", ""));
        if (!comp || !is(rs_str(comp, "type", ""), "web"))
            ERR("spec.ingress.routes[%zu].component: " M_ROUTE, i);
    }
    tls = rs_obj(ing, "tls");
    if (tls && rs_has(tls, "issuerRef") + rs_has(tls, "secretName") +
                       (rs_bool(tls, "selfSigned", false) ? 1 : 0) !=
                   1)
        ERR("spec.ingress.tls: " M_TLS);
}

/* Services and secrets rules. */
static void services_and_secrets(struct r_ctx *c)
{
    static const char *const svcs[] = {"postgres", "redis"};
    const json_t *sec = rs_obj(c->spec, "secrets"), *x;
    size_t i;

    for (i = 0; i < 2; i++) {
        const json_t *svc = rs_service(c, svcs[i]);
        const json_t *d = rs_obj(rs_obj(svc, "backup"), "destination"), *s3 = rs_obj(d, "s3");
        if (!svc)
            continue;
        if (d && rs_has(d, "pvc") == rs_has(d, "s3"))
            ERR("spec.services.%s.backup.destination: " M_DEST, svcs[i]);
        if (s3 && !rs_secret_decl(c, rs_str(s3, "credentialsSecret", ""), false))
            ERR("spec.services.%s.backup.destination.s3.credentialsSecret: " M_S3, svcs[i]);
    }
    json_array_foreach(rs_arr(sec, "fromExisting"), i, x)
    {
        if (rs_secret_decl(c, rs_str(x, "name", ""), true))
            ERR("spec.secrets.fromExisting[%zu].name: " M_BOTH, i);
    }
    json_array_foreach(rs_arr(sec, "generate"), i, x)
    {
        const char *n = rs_str(x, "name", "");
        if (is(n, "postgres") || is(n, "redis") || is(n, "tls"))
            ERR("spec.secrets.generate[%zu].name: the Secret <stack>-%s is the stack's own — "
                "rename the secret",
                i, n);
    }
}

/* Secret references and connection targets of every component. */
static void references(struct r_ctx *c)
{
    const json_t *comp, *x, *pg = rs_service(c, "postgres");
    size_t i, j;
    char p[64];

    json_array_foreach(rs_arr(c->spec, "components"), i, comp)
    {
        snprintf(p, sizeof p, "spec.components[%zu]", i);
        json_array_foreach(rs_arr(comp, "env"), j, x)
        {
            const json_t *ref = rs_obj(x, "secretKeyRef"), *g;
            const char *sn = rs_str(ref, "name", "");
            if (!ref)
                continue;
            g = rs_secret_decl(c, sn, true);
            if (!g && !rs_secret_decl(c, sn, false))
                ERR("%s.env[%zu].secretKeyRef.name: " M_ENV_SECRET, p, j);
            else if (g && !arr_has(rs_arr(g, "keys"), rs_str(ref, "key", "")))
                ERR("%s.env[%zu].secretKeyRef.key: " M_ENV_KEY, p, j);
        }
        json_array_foreach(rs_arr(comp, "envFrom"), j, x)
        {
            const char *sn = rs_str(x, "secretRef", "");
            if (!rs_secret_decl(c, sn, true) && !rs_secret_decl(c, sn, false))
                ERR("%s.envFrom[%zu].secretRef: " M_FROM, p, j);
        }
        json_array_foreach(rs_arr(comp, "connections"), j, x)
        {
            const char *n = rs_str(x, "name", "");
            const json_t *t = rs_component(c, n), *db;
            bool found = false;
            size_t k;
            if (!(is(n, "postgres") && pg) && !(is(n, "redis") && rs_service(c, "redis")) &&
                !(t && rs_has(t, "port")))
                ERR("%s.connections[%zu].name: " M_TARGET, p, j);
            if (rs_has(x, "database")) {
                json_array_foreach(rs_arr(pg, "databases"), k, db)
                {
                    if (is(rs_str(db, "name", ""), rs_str(x, "database", NULL)))
                        found = true;
                }
                if (!found)
                    ERR("%s.connections[%zu].database: " M_DB, p, j);
            }
        }
    }
}

/* Every semantic rule. */
void r_validate(struct r_ctx *c)
{
    const json_t *comp;
    size_t i;
    char p[64];

    json_array_foreach(rs_arr(c->spec, "components"), i, comp)
    {
        snprintf(p, sizeof p, "spec.components[%zu]", i);
        component(c, comp, p);
    }
    ingress(c);
    services_and_secrets(c);
    references(c);
}
