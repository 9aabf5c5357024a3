/*
 * secret.c - the Secrets the stack generates and owns: spec.secrets.generate
 * (<stack>-<name>), the postgres superuser and per-database passwords
 * (<stack>-postgres: postgres-password, <db>-password) and the redis
 * password (<stack>-redis: password). Values never come from here: they are
 * facts (the operator generated them once); a missing one is AS_E_MISSING.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render/render_int.h"

/* Adds secret -> key -> {length, encoding} to needed. */
static void need(json_t *needed, const char *secret, const char *key, int64_t length,
                 const char *encoding)
{
    json_t *s = json_object_get(needed, secret);

    if (!s) {
        s = json_object();
        if (json_object_set_new(needed, secret, s) != 0)
            return;
    }
    json_object_set_new(
        s, key, json_pack("{s:I, s:s}", "length", (json_int_t)length, "encoding", encoding));
}

/* Every generated value the spec needs: {"<secret>": {"<key>": {length, encoding}}}. New ref. */
json_t *r_needed_secrets(struct r_ctx *c)
{
    json_t *needed = json_object(), *g, *k, *pg = rs_service(c, "postgres");
    size_t i, j;
    char key[96];

    if (!needed)
        return NULL;
    json_array_foreach(rs_arr(rs_obj(c->spec, "secrets"), "generate"), i, g)
    {
        char *n = r_name(c, rs_str(g, "name", "secret"), 253);
        if (!n)
            continue;
        json_array_foreach(rs_arr(g, "keys"), j, k)
        {
            if (json_is_string(k))
                need(needed, n, json_string_value(k), rs_int(g, "length", 32),
                     rs_str(g, "encoding", "hex"));
        }
        free(n);
    }
    if (pg) {
        char *n = r_name(c, "postgres", 253);
        if (n) {
            need(needed, n, "postgres-password", 24, "alphanumeric");
            json_array_foreach(rs_arr(pg, "databases"), j, k)
            {
                snprintf(key, sizeof key, "%s-password", rs_str(k, "name", "db"));
                need(needed, n, key, 24, "alphanumeric");
            }
            free(n);
        }
    }
    if (rs_service(c, "redis")) {
        char *n = r_name(c, "redis", 253);
        if (n)
            need(needed, n, "password", 24, "alphanumeric");
        free(n);
    }
    return needed;
}

/* The role label of a generated secret. */
static const char *secret_app(struct r_ctx *c, const char *child, const char **role)
{
    json_t *g;
    size_t i;

    *role = "secret";
    json_array_foreach(rs_arr(rs_obj(c->spec, "secrets"), "generate"), i, g)
    {
        char *n = r_name(c, rs_str(g, "name", ""), 253);
        bool same = n && strcmp(n, child) == 0;
        free(n);
        if (same)
            return rs_str(g, "name", "secret");
    }
    if (strstr(child, "postgres")) {
        *role = "database";
        return "postgres";
    }
    *role = "cache";
    return "redis";
}

/* One Secret from its needed keys and the facts. */
static void one(struct r_ctx *c, const char *child, const json_t *keys)
{
    const json_t *have = rs_obj(c->facts->secrets, child);
    const char *key, *role, *app = secret_app(c, child, &role);
    json_t *data = json_object(), *spec_v, *obj;

    if (!data) {
        r_fail(c, AS_E_NOMEM);
        return;
    }
    json_object_foreach((json_t *)keys, key, spec_v)
    {
        const char *v = rs_str(have, key, NULL);
        char *b64;
        if (!v) {
            as_field_errors_add(c->errors,
                                "secret %s, key %s: no value in the facts — the operator "
                                "generates generated secrets before rendering (appstackctl "
                                "render uses placeholders)",
                                child, key);
            r_fail(c, AS_E_MISSING);
            continue;
        }
        b64 = r_base64(v, strlen(v));
        if (!b64 || json_object_set_new(data, key, json_string(b64)) != 0)
            r_fail(c, AS_E_NOMEM);
        free(b64);
    }
    obj = r_object(c, "v1", "Secret", child, r_labels(c, app, role));
    if (obj) {
        json_object_set_new(obj, "type", json_string("Opaque"));
        json_object_set_new(obj, "data", data);
        data = NULL;
    }
    json_decref(data);
    r_emit(c, obj);
}

/* Every generated Secret of the stack. */
void r_build_secrets(struct r_ctx *c)
{
    json_t *needed = r_needed_secrets(c), *keys;
    const char *child;

    if (!needed) {
        r_fail(c, AS_E_NOMEM);
        return;
    }
    json_object_foreach(needed, child, keys)
    {
        one(c, child, keys);
    }
    json_decref(needed);
}
