/*
 * backup.c - scheduled backups of postgres (pg_dump | gzip per database) and
 * redis (redis-cli --rdb): a CronJob <stack>-<service>-backup (Forbid, 3/3
 * history, suspend) and, for the `pvc` destination, the claim
 * <stack>-<service>-backup. Dumps are named <db>-<UTC timestamp>.sql.gz /
 * redis-<UTC timestamp>.rdb; the same Job deletes the ones older than
 * retentionDays (find -mtime on the claim; by the timestamp in the name on
 * S3). For S3 the dump goes to an emptyDir in an init container and the
 * main container (aws-cli, HOME=/tmp) uploads and prunes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "render/render_int.h"

/* The dump commands of one service into b (writing to /backup). */
static void dump_script(struct r_ctx *c, const char *which, struct as_buf *b)
{
    json_t *db;
    size_t i;

    /* bash (both official postgres images have it) for pipefail: a failed pg_dump fails the Job. */
    as_buf_append_str(b, strcmp(which, "postgres") == 0 ? "set -euo pipefail\n" : "set -eu\n");
    as_buf_append_str(b, "ts=$(date -u +%Y%m%dT%H%M%SZ)\n");
    if (strcmp(which, "postgres") == 0) {
        json_array_foreach(rs_arr(rs_service(c, "postgres"), "databases"), i, db)
        {
            const char *n = rs_str(db, "name", "db");
            as_buf_appendf(
                b,
                "pg_dump -h \"$PGHOST\" -U postgres -d %s | gzip > /backup/%s-$ts.sql.gz.part\n"
                "mv /backup/%s-$ts.sql.gz.part /backup/%s-$ts.sql.gz\n",
                n, n, n, n);
        }
    } else {
        as_buf_append_str(b, "redis-cli -h \"$REDIS_HOST\" --rdb /backup/redis-$ts.rdb.part\n"
                             "mv /backup/redis-$ts.rdb.part /backup/redis-$ts.rdb\n");
    }
}

/* Env of the dump container: server address and password. */
static json_t *dump_env(struct r_ctx *c, const char *which, const char *secret)
{
    (void)c;
    if (strcmp(which, "postgres") == 0)
        return json_pack("[o,o]", r_env_value("PGHOST", secret),
                         r_env_secret("PGPASSWORD", secret, "postgres-password"));
    return json_pack("[o,o]", r_env_value("REDIS_HOST", secret),
                     r_env_secret("REDISCLI_AUTH", secret, "password"));
}

/* The S3 upload-and-prune container. */
static json_t *s3_container(const json_t *s3, int64_t days)
{
    struct as_buf b;
    json_t *ctr, *env;
    char *script;
    const char *sec = rs_str(s3, "credentialsSecret", "");

    as_buf_init(&b, 16 * 1024);
    as_buf_appendf(
        &b,
        "set -eu\n"
        "dest=\"s3://$BUCKET/$PREFIX\"\n"
        "aws --endpoint-url \"$ENDPOINT\" s3 cp --recursive /backup/ \"$dest\"\n"
        "cutoff=$(date -u -d \"-%lld days\" +%%Y%%m%%dT%%H%%M%%SZ)\n"
        "aws --endpoint-url \"$ENDPOINT\" s3 ls \"$dest\" | awk '{print $4}' | "
        "while read -r f; do\n"
        "  t=$(printf '%%s' \"$f\" | sed -n 's/.*-\\([0-9]\\{8\\}T[0-9]\\{6\\}Z\\)\\..*/\\1/p')\n"
        "  if [ -n \"$t\" ] && [ \"$t\" \\< \"$cutoff\" ]; then "
        "aws --endpoint-url \"$ENDPOINT\" s3 rm \"$dest$f\"; fi\n"
        "done\n",
        (long long)days);
    script = as_buf_steal(&b);
    env = json_pack("[o,o,o,o,o,o]", r_env_value("HOME", "/tmp"),
                    r_env_value("ENDPOINT", rs_str(s3, "endpoint", "")),
                    r_env_value("BUCKET", rs_str(s3, "bucket", "")),
                    r_env_value("PREFIX", rs_str(s3, "prefix", "")),
                    r_env_secret("AWS_ACCESS_KEY_ID", sec, "AWS_ACCESS_KEY_ID"),
                    r_env_secret("AWS_SECRET_ACCESS_KEY", sec, "AWS_SECRET_ACCESS_KEY"));
    if (env && rs_has(s3, "region"))
        json_array_append_new(env, r_env_value("AWS_DEFAULT_REGION", rs_str(s3, "region", "")));
    ctr = json_pack("{s:s, s:s, s:s, s:[s], s:[s,s], s:o, s:[{s:s, s:s}], s:o}", "name", "upload",
                    "image", R_IMG_S3, "imagePullPolicy", "IfNotPresent", "command", "sh", "args",
                    "-c", script ? script : "exit 1", "env", env, "volumeMounts", "name", "backup",
                    "mountPath", "/backup", "resources",
                    r_resources(NULL, "100m", "128Mi", "500m", "512Mi"));
    free(script);
    return ctr;
}

/* The backup CronJob (and claim) of spec.services.<which>. */
void r_build_backup(struct r_ctx *c, const char *which)
{
    const json_t *svc = rs_service(c, which), *bk = rs_obj(svc, "backup");
    const json_t *dest = rs_obj(bk, "destination"), *s3 = rs_obj(dest, "s3"), *pvc;
    int64_t days = rs_int(bk, "retentionDays", 7);
    char *secret = r_name(c, which, 63), suffix[32], *n = NULL, *script = NULL, img[64], hex[65];
    char hin[400], buf[32];
    struct as_buf b;
    json_t *dump = NULL, *ctrs, *vols, *tmpl, *init = NULL;
    struct r_pod p = {.app = NULL, .role = "backup", .grace = -1, .restart = "OnFailure"};
    bool is_pg = strcmp(which, "postgres") == 0;

    if (!svc || !rs_bool(bk, "enabled", true) || !secret)
        goto done;
    snprintf(suffix, sizeof suffix, "%s-backup", which);
    p.app = suffix;
    p.uid = is_pg ? r_pg_uid(c) : R_UID_REDIS;
    n = r_name(c, suffix, 52);
    as_buf_init(&b, 64 * 1024);
    dump_script(c, which, &b);
    if (!s3)
        as_buf_appendf(&b, "find /backup -type f -mtime +%lld -delete\n", (long long)days);
    script = as_buf_steal(&b);
    dump = json_pack("{s:s, s:s, s:s, s:[s], s:[s,s], s:o, s:[{s:s, s:s}], s:o}", "name", "dump",
                     "image",
                     is_pg ? r_pg_image(c, img, sizeof img) : r_redis_image(c, img, sizeof img),
                     "imagePullPolicy", "IfNotPresent", "command", is_pg ? "bash" : "sh", "args",
                     "-c", script ? script : "exit 1", "env", dump_env(c, which, secret),
                     "volumeMounts", "name", "backup", "mountPath", "/backup", "resources",
                     r_resources(NULL, "100m", "128Mi", "500m", "512Mi"));
    if (s3) {
        init = json_pack("[o]", dump);
        ctrs = json_pack("[o]", s3_container(s3, days));
        vols = json_pack("[{s:s, s:{s:s}}]", "name", "backup", "emptyDir", "sizeLimit", "20Gi");
    } else {
        char *claim = r_name(c, suffix, 63);
        json_t *obj;
        pvc = rs_obj(dest, "pvc");
        obj = r_object(c, "v1", "PersistentVolumeClaim", claim, r_labels(c, suffix, "backup"));
        if (obj) {
            json_t *spec =
                json_pack("{s:[s], s:{s:{s:s}}}", "accessModes", "ReadWriteOnce", "resources",
                          "requests", "storage", rs_qty(pvc, "size", "10Gi", buf));
            if (spec && rs_has(pvc, "storageClassName"))
                json_object_set_new(spec, "storageClassName",
                                    json_string(rs_str(pvc, "storageClassName", "")));
            json_object_set_new(obj, "spec", spec);
        }
        r_emit(c, obj);
        ctrs = json_pack("[o]", dump);
        vols = json_pack("[{s:s, s:{s:s}}]", "name", "backup", "persistentVolumeClaim", "claimName",
                         claim ? claim : "");
        free(claim);
    }
    r_secret_digest(c, secret, hex);
    if (s3) /* the S3 credentials are an existing Secret: its hash is a fact */
        snprintf(hin, sizeof hin, "{\"secret/%s\":\"%s\",\"secret/%s\":\"%.64s\"}", secret, hex,
                 rs_str(s3, "credentialsSecret", ""),
                 rs_str(c->facts->ref_hashes, rs_str(s3, "credentialsSecret", ""), "absent"));
    else
        snprintf(hin, sizeof hin, "{\"secret/%s\":\"%s\"}", secret, hex);
    tmpl = r_pod_template(c, &p, ctrs, vols, hin);
    if (tmpl && init) {
        json_t *ic;
        size_t i;
        json_t *ps = json_object_get(tmpl, "spec");
        /* The init container gets the same hardening and /tmp as the others. */
        json_array_foreach(init, i, ic)
        {
            json_object_set_new(ic, "volumeMounts",
                                json_pack("[{s:s, s:s}, {s:s, s:s}]", "name", "backup", "mountPath",
                                          "/backup", "name", "tmp", "mountPath", "/tmp"));
            r_harden_container(c, ic, &p);
        }
        json_object_set(ps, "initContainers", init);
    }
    json_decref(init);
    r_emit(c, r_cronjob(c, n, suffix, "backup",
                        rs_str(bk, "schedule", is_pg ? "0 2 * * *" : "30 2 * * *"), NULL, "Forbid",
                        rs_bool(bk, "suspend", false), tmpl));
done:
    free(script);
    free(secret);
    free(n);
}
