/*
 * postgres.c - PostgreSQL: a StatefulSet of one pod (PGDATA on the claim
 * "data" in a pgdata subdirectory, /var/run/postgresql and /tmp as emptyDirs,
 * so the official image runs with a read-only root filesystem), a Service on
 * 5432 (+ 9187 for the exporter), the postgres-exporter sidecar when
 * monitoring.exporters, and the setup Job <stack>-postgres-s<hash8> that
 * creates each database's role, database and extensions idempotently.
 *
 * UID: 70 for the default postgres:<v>-alpine image (its postgres user), 999
 * for a custom `image` (the Debian-based official image and its derivatives
 * such as pgvector/pgvector run as 999). Restricted profile: non-root with
 * that uid; fsGroup makes the claim writable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "render/render_int.h"

#define PG_DATA "/var/lib/postgresql/data"

/* The image of the postgres server. */
const char *r_pg_image(const struct r_ctx *c, char *buf, size_t n)
{
    const json_t *pg = rs_service(c, "postgres");

    if (rs_has(pg, "image"))
        return rs_str(pg, "image", "");
    snprintf(buf, n, "postgres:%s-alpine", rs_str(pg, "version", "16"));
    return buf;
}

/* The uid the postgres image runs as (see the file comment). */
int64_t r_pg_uid(const struct r_ctx *c)
{
    return rs_has(rs_service(c, "postgres"), "image") ? R_UID_PG_DEBIAN : R_UID_PG_ALPINE;
}

/* "-c name=value" arguments from parameters, in key order. */
static json_t *pg_args(const json_t *params)
{
    json_t *args = json_array(), *keys = r_sorted_keys(params), *k;
    size_t i;
    char buf[512];

    if (!args || !keys) {
        json_decref(args);
        json_decref(keys);
        return NULL;
    }
    json_array_foreach(keys, i, k)
    {
        const char *key = json_string_value(k);
        snprintf(buf, sizeof buf, "%s=%s", key, rs_str(params, key, ""));
        json_array_append_new(args, json_string("-c"));
        json_array_append_new(args, json_string(buf));
    }
    json_decref(keys);
    return args;
}

/* The exporter sidecar. */
static json_t *exporter(const char *secret)
{
    return json_pack("{s:s, s:s, s:s, s:[o,o,o], s:[{s:s, s:i, s:s}], s:o}", "name", "exporter",
                     "image", R_IMG_PG_EXPORTER, "imagePullPolicy", "IfNotPresent", "env",
                     r_env_value("DATA_SOURCE_URI", "127.0.0.1:5432/postgres?sslmode=disable"),
                     r_env_value("DATA_SOURCE_USER", "postgres"),
                     r_env_secret("DATA_SOURCE_PASS", secret, "postgres-password"), "ports", "name",
                     "metrics", "containerPort", 9187, "protocol", "TCP", "resources",
                     r_resources(NULL, "10m", "32Mi", "100m", "64Mi"));
}

/* pg_isready against the local server. New ref. */
static json_t *pg_probe(void)
{
    return json_pack("{s:{s:[s,s,s,s,s]}, s:i, s:i, s:i}", "exec", "command", "pg_isready", "-U",
                     "postgres", "-h", "127.0.0.1", "periodSeconds", 10, "timeoutSeconds", 5,
                     "failureThreshold", 3);
}

/* The server's pod template. */
static json_t *pg_template(struct r_ctx *c, const char *secret)
{
    const json_t *pg = rs_service(c, "postgres");
    char img[64], hex[65], hin[128];
    json_t *ctr = json_pack(
        "{s:s, s:s, s:s, s:o, s:[o,o], s:[{s:s, s:i, s:s}], s:[{s:s, s:s}, {s:s, s:s}], "
        "s:o, s:o, s:{s:{s:[s,s,s]}, s:i, s:i}}",
        "name", "postgres", "image", r_pg_image(c, img, sizeof img), "imagePullPolicy",
        "IfNotPresent", "args", pg_args(rs_obj(pg, "parameters")), "env",
        r_env_secret("POSTGRES_PASSWORD", secret, "postgres-password"),
        r_env_value("PGDATA", PG_DATA "/pgdata"), "ports", "name", "postgres", "containerPort",
        5432, "protocol", "TCP", "volumeMounts", "name", "data", "mountPath", PG_DATA, "name",
        "run", "mountPath", "/var/run/postgresql", "readinessProbe", pg_probe(), "livenessProbe",
        pg_probe(), "startupProbe", "exec", "command", "pg_isready", "-h", "127.0.0.1",
        "periodSeconds", 5, "failureThreshold", 60);
    json_t *ctrs = json_pack("[o]", ctr);
    struct r_pod p = {.app = "postgres", .role = "database", .uid = r_pg_uid(c), .grace = 60};
    char *sa = r_name(c, "postgres", 253);
    json_t *tmpl;

    p.sa = sa;
    if (ctr)
        json_object_set_new(ctr, "resources",
                            r_resources(rs_obj(pg, "resources"), "250m", "256Mi", "1", "1Gi"));
    if (ctr && json_array_size(json_object_get(ctr, "args")) == 0)
        json_object_del(ctr, "args");
    if (ctrs && c->exporters)
        json_array_append_new(ctrs, exporter(secret));
    r_secret_digest(c, secret, hex);
    snprintf(hin, sizeof hin, "{\"secret/%s\":\"%s\"}", secret, hex);
    tmpl = r_pod_template(c, &p, ctrs, json_pack("[{s:s, s:{}}]", "name", "run", "emptyDir"), hin);
    free(sa);
    return tmpl;
}

/* The shell script of the setup Job: wait, then per database role, database, extensions. */
static char *setup_script(const json_t *pg)
{
    json_t *db, *ext;
    size_t i, j;
    char *out;
    size_t cap = 4096 + 1024 * json_array_size(rs_arr(pg, "databases")) * 4, len = 0;

    out = malloc(cap);
    if (!out)
        return NULL;
    len += (size_t)snprintf(out + len, cap - len,
                            "set -eu\n"
                            "until pg_isready -h \"$PGHOST\" -U postgres; do sleep 2; done\n");
    json_array_foreach(rs_arr(pg, "databases"), i, db)
    {
        const char *n = rs_str(db, "name", "db");
        if (len >= cap)
            break;
        len += (size_t)snprintf(
            out + len, cap - len,
            "psql -v ON_ERROR_STOP=1 -d postgres -v name=%s -v pw=\"$DB_PASSWORD_%zu\" <<'SQL'\n"
            "SELECT format('CREATE ROLE %%I LOGIN', :'name') WHERE NOT EXISTS "
            "(SELECT FROM pg_roles WHERE rolname = :'name')\\gexec\n"
            "SELECT format('ALTER ROLE %%I LOGIN PASSWORD %%L', :'name', :'pw')\\gexec\n"
            "SELECT format('CREATE DATABASE %%I OWNER %%I', :'name', :'name') WHERE NOT EXISTS "
            "(SELECT FROM pg_database WHERE datname = :'name')\\gexec\n"
            "SQL\n",
            n, i);
        json_array_foreach(rs_arr(db, "extensions"), j, ext)
        {
            if (len >= cap)
                break;
            len += (size_t)snprintf(out + len, cap - len,
                                    "psql -v ON_ERROR_STOP=1 -d %s -c 'CREATE EXTENSION IF NOT "
                                    "EXISTS \"%s\"'\n",
                                    n, json_is_string(ext) ? json_string_value(ext) : "");
        }
    }
    if (len >= cap) {
        free(out);
        return NULL;
    }
    return out;
}

/* The setup Job <stack>-postgres-s<hash8>, named after a hash of its whole spec (databases,
 * extensions, image, and the passwords through the config-hash annotation): a Job's pod
 * template is immutable, and a changed one must run again. */
static void setup_job(struct r_ctx *c, const char *secret)
{
    const json_t *pg = rs_service(c, "postgres");
    char *script = setup_script(pg), hex[65], sdig[65], suffix[40], img[64], *n, *sa;
    json_t *env =
        json_pack("[o,o,o]", r_env_value("PGHOST", secret), r_env_value("PGUSER", "postgres"),
                  r_env_secret("PGPASSWORD", secret, "postgres-password"));
    json_t *db, *ctr, *tmpl, *job;
    size_t i;
    struct r_pod p = {.app = "postgres-setup",
                      .role = "database",
                      .uid = r_pg_uid(c),
                      .grace = -1,
                      .restart = "Never"};

    json_array_foreach(rs_arr(pg, "databases"), i, db)
    {
        char var[48], k[96];
        snprintf(var, sizeof var, "DB_PASSWORD_%zu", i);
        snprintf(k, sizeof k, "%s-password", rs_str(db, "name", "db"));
        json_array_append_new(env, r_env_secret(var, secret, k));
    }
    r_secret_digest(c, secret, sdig);
    sa = r_name(c, "postgres", 253);
    p.sa = sa;
    ctr = json_pack("{s:s, s:s, s:s, s:[s,s], s:[s], s:o, s:o}", "name", "setup", "image",
                    r_pg_image(c, img, sizeof img), "imagePullPolicy", "IfNotPresent", "command",
                    "sh", "-c", "args", script ? script : "exit 1", "env", env, "resources",
                    r_resources(NULL, "100m", "128Mi", "500m", "512Mi"));
    tmpl = r_pod_template(c, &p, ctr ? json_pack("[o]", ctr) : NULL, json_array(), sdig);
    job = r_job(c, "pending", "postgres-setup", "database", 6, 1800, tmpl);
    r_digest_json(c, json_object_get(job, "spec"), hex);
    snprintf(suffix, sizeof suffix, "postgres-s%.8s", hex);
    n = r_name(c, suffix, 63);
    if (job && n)
        json_object_set_new(json_object_get(job, "metadata"), "name", json_string(n));
    r_emit(c, job);
    free(script);
    free(n);
    free(sa);
}

/* Every object of spec.services.postgres except its Secret and backups. */
void r_build_postgres(struct r_ctx *c)
{
    const json_t *pg = rs_service(c, "postgres"), *st = rs_obj(pg, "storage");
    char *secret, buf[32];
    json_t *ports, *claims;

    if (!pg)
        return;
    secret = r_name(c, "postgres", 63);
    if (!secret) {
        r_fail(c, AS_E_NOMEM);
        return;
    }
    claims = json_pack("[o]", r_claim_template(c, "postgres", "database", "data",
                                               rs_qty(st, "size", "10Gi", buf),
                                               rs_str(st, "storageClassName", NULL)));
    r_emit(c, r_statefulset(c, "postgres", "database", c->suspend ? 0 : 1, pg_template(c, secret),
                            claims));
    ports = json_pack("[o]", r_service_port("postgres", 5432));
    if (ports && c->exporters)
        json_array_append_new(ports, r_service_port("metrics", 9187));
    r_emit(c, r_service(c, secret, "postgres", "database", ports, false));
    if (!c->suspend)
        setup_job(c, secret);
    if (c->prom_operator && c->exporters)
        r_build_servicemonitor(c, "postgres", "metrics", "/metrics", "30s");
    free(secret);
}
