/*
 * env.c - the environment of a component's container: the variables injected
 * by `connections` first (addresses as values, passwords as secretKeyRefs,
 * URLs through Kubernetes' $(VAR) expansion, so no password is ever written
 * in a pod spec), then the component's own `env`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

/* Appends {name: prefix+name, value}. */
static void add_value(json_t *env, const char *prefix, const char *name, const char *value)
{
    char full[192];

    snprintf(full, sizeof full, "%s%s", prefix, name);
    json_array_append_new(env, json_pack("{s:s, s:s}", "name", full, "value", value));
}

/* Appends {name: prefix+name, valueFrom.secretKeyRef{secret, key}}. */
static void add_secret_ref(json_t *env, const char *prefix, const char *name, const char *secret,
                           const char *key)
{
    char full[192];

    snprintf(full, sizeof full, "%s%s", prefix, name);
    json_array_append_new(env, json_pack("{s:s, s:{s:{s:s, s:s}}}", "name", full, "valueFrom",
                                         "secretKeyRef", "name", secret, "key", key));
}

/* PG* and DATABASE_URL for a postgres connection. */
static void postgres_env(struct r_ctx *c, json_t *env, const json_t *x, const char *p)
{
    json_t *pg = rs_service(c, "postgres");
    const char *db = rs_str(x, "database",
                            rs_str(json_array_get(rs_arr(pg, "databases"), 0), "name", "postgres"));
    char *host = r_name(c, "postgres", 63), key[96], url[512];

    if (!host) {
        r_fail(c, AS_E_NOMEM);
        return;
    }
    snprintf(key, sizeof key, "%s-password", db);
    add_value(env, p, "PGHOST", host);
    add_value(env, p, "PGPORT", "5432");
    add_value(env, p, "PGDATABASE", db);
    add_value(env, p, "PGUSER", db);
    add_secret_ref(env, p, "PGPASSWORD", host, key);
    snprintf(url, sizeof url,
             "postgresql://$(%sPGUSER):$(%sPGPASSWORD)@$(%sPGHOST):$(%sPGPORT)/"
             "$(%sPGDATABASE)",
             p, p, p, p, p);
    add_value(env, p, "DATABASE_URL", url);
    free(host);
}

/* REDIS_* for a redis connection. */
static void redis_env(struct r_ctx *c, json_t *env, const json_t *x, const char *p)
{
    char *host = r_name(c, "redis", 63), url[512];

    if (!host) {
        r_fail(c, AS_E_NOMEM);
        return;
    }
    add_value(env, p, "REDIS_HOST", host);
    add_value(env, p, "REDIS_PORT", "6379");
    add_secret_ref(env, p, "REDIS_PASSWORD", host, "password");
    snprintf(url, sizeof url, "redis://:$(%sREDIS_PASSWORD)@$(%sREDIS_HOST):$(%sREDIS_PORT)/%lld",
             p, p, p, (long long)rs_int(x, "redisDatabase", 0));
    add_value(env, p, "REDIS_URL", url);
    free(host);
}

/* <NAME>_HOST and <NAME>_PORT for a connection to another component. */
static void component_env(struct r_ctx *c, json_t *env, const char *name, const char *p)
{
    json_t *target = rs_component(c, name);
    char up[64], var[96], port[16], *host = r_name(c, name, 63);

    if (!host) {
        r_fail(c, AS_E_NOMEM);
        return;
    }
    r_env_name(name, up, sizeof up);
    snprintf(var, sizeof var, "%s_HOST", up);
    add_value(env, p, var, host);
    snprintf(var, sizeof var, "%s_PORT", up);
    snprintf(port, sizeof port, "%lld", (long long)rs_int(target, "port", 0));
    add_value(env, p, var, port);
    free(host);
}

/* The container env of comp (new array; NULL on NOMEM). */
json_t *r_component_env(struct r_ctx *c, const json_t *comp)
{
    json_t *env = json_array(), *x;
    size_t i;

    if (!env)
        return NULL;
    json_array_foreach(rs_arr(comp, "connections"), i, x)
    {
        const char *n = rs_str(x, "name", ""), *p = rs_str(x, "envPrefix", "");
        if (strcmp(n, "postgres") == 0)
            postgres_env(c, env, x, p);
        else if (strcmp(n, "redis") == 0)
            redis_env(c, env, x, p);
        else
            component_env(c, env, n, p);
    }
    json_array_foreach(rs_arr(comp, "env"), i, x)
    {
        const char *n = rs_str(x, "name", "");
        json_t *ref = rs_obj(x, "secretKeyRef");
        if (ref) {
            const char *s = rs_str(ref, "name", "");
            char *child = rs_secret_decl(c, s, true) ? r_name(c, s, 253) : strdup(s);
            if (!child) {
                r_fail(c, AS_E_NOMEM);
                continue;
            }
            add_secret_ref(env, "", n, child, rs_str(ref, "key", ""));
            free(child);
        } else {
            add_value(env, "", n, rs_str(x, "value", ""));
        }
    }
    return env;
}

/* {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}. New ref. */
json_t *r_env_secret(const char *name, const char *secret, const char *key)
{
    return json_pack("{s:s, s:{s:{s:s, s:s}}}", "name", name, "valueFrom", "secretKeyRef", "name",
                     secret, "key", key);
}

/* {"name": name, "value": value}. New ref. */
json_t *r_env_value(const char *name, const char *value)
{
    return json_pack("{s:s, s:s}", "name", name, "value", value);
}
