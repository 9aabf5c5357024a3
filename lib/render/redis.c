/*
 * redis.c - Redis: the ConfigMap <stack>-redis-config (maxmemory, policy,
 * persistence, rename-command), a StatefulSet of one pod (data on the claim
 * "data" unless persistence is none, config mounted read-only, requirepass
 * given on the command line through $(REDIS_PASSWORD) expansion, so the
 * password is in no object but the Secret), a Service on 6379 (+ 9121 for
 * the exporter) and the redis_exporter sidecar when monitoring.exporters.
 * UID 999: the official redis image's redis user (alpine and Debian alike).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "render/render_int.h"

/* The image of the redis server. */
const char *r_redis_image(const struct r_ctx *c, char *buf, size_t n)
{
    const json_t *r = rs_service(c, "redis");

    if (rs_has(r, "image"))
        return rs_str(r, "image", "");
    snprintf(buf, n, "redis:%s-alpine", rs_str(r, "version", "7.4"));
    return buf;
}

/* redis.conf text. Caller owns. */
static char *redis_conf(const json_t *r)
{
    struct as_buf b;
    char qb[32];
    const char *pers = rs_str(r, "persistence", "rdb");
    int64_t maxmem = rs_bytes(rs_qty(r, "maxMemory", "256Mi", qb));
    json_t *cmds = rs_arr(r, "disabledCommands"), *cmd;
    const char *order[] = {"CONFIG", "DEBUG", "FLUSHALL", "FLUSHDB", "KEYS", "SHUTDOWN"};

    as_buf_init(&b, 64 * 1024);
    as_buf_appendf(&b,
                   "# Rendered by appstack-operator; edit the AppStack, not this file.\n"
                   "bind 0.0.0.0\nport 6379\nprotected-mode yes\ndir /data\n"
                   "maxmemory %lld\nmaxmemory-policy %s\n",
                   (long long)(maxmem < 0 ? 268435456 : maxmem),
                   rs_str(r, "evictionPolicy", "noeviction"));
    if (strcmp(pers, "rdb") == 0 || strcmp(pers, "both") == 0)
        as_buf_append_str(&b, "save 900 1\nsave 300 10\nsave 60 10000\n");
    else
        as_buf_append_str(&b, "save \"\"\n");
    if (strcmp(pers, "aof") == 0 || strcmp(pers, "both") == 0)
        as_buf_append_str(&b, "appendonly yes\nappendfsync everysec\n");
    else
        as_buf_append_str(&b, "appendonly no\n");
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        size_t j;
        json_array_foreach(cmds, j, cmd)
        {
            if (json_is_string(cmd) && strcmp(json_string_value(cmd), order[i]) == 0) {
                as_buf_appendf(&b, "rename-command %s \"\"\n", order[i]);
                break;
            }
        }
    }
    return as_buf_steal(&b);
}

/* Default memory request (maxMemory + 64Mi) and limit (2 x maxMemory), as Mi. */
static void redis_mem(const json_t *r, char req[32], char lim[32])
{
    char qb[32];
    int64_t mi = rs_bytes(rs_qty(r, "maxMemory", "256Mi", qb));

    mi = mi < 0 ? 256 : (mi + 1024 * 1024 - 1) / (1024 * 1024);
    snprintf(req, 32, "%lldMi", (long long)(mi + 64));
    snprintf(lim, 32, "%lldMi", (long long)(2 * mi < mi + 64 ? mi + 64 : 2 * mi));
}

/* The exporter sidecar. */
static json_t *exporter(const char *secret)
{
    return json_pack("{s:s, s:s, s:s, s:[o,o], s:[{s:s, s:i, s:s}], s:o}", "name", "exporter",
                     "image", R_IMG_REDIS_EXPORTER, "imagePullPolicy", "IfNotPresent", "env",
                     r_env_value("REDIS_ADDR", "redis://127.0.0.1:6379"),
                     r_env_secret("REDIS_PASSWORD", secret, "password"), "ports", "name", "metrics",
                     "containerPort", 9121, "protocol", "TCP", "resources",
                     r_resources(NULL, "10m", "32Mi", "100m", "64Mi"));
}

/* redis-cli ping probe (REDISCLI_AUTH comes from the env). */
static json_t *redis_probe(void)
{
    return json_pack("{s:{s:[s,s,s,s]}, s:i, s:i, s:i}", "exec", "command", "redis-cli", "-h",
                     "127.0.0.1", "ping", "periodSeconds", 10, "timeoutSeconds", 3,
                     "failureThreshold", 3);
}

/* The server's pod template. */
static json_t *redis_template(struct r_ctx *c, const char *secret, const char *cm, bool pvc)
{
    const json_t *r = rs_service(c, "redis");
    char img[64], req[32], lim[32], s_hex[65], c_hex[65], hin[320], *sa = r_name(c, "redis", 253);
    json_t *ctr, *ctrs, *vols, *tmpl;
    struct r_pod p = {.app = "redis", .role = "cache", .sa = sa, .uid = R_UID_REDIS, .grace = 30};

    redis_mem(r, req, lim);
    ctr = json_pack("{s:s, s:s, s:s, s:[s], s:[s,s,s], s:[o,o], s:[{s:s, s:i, s:s}], "
                    "s:[{s:s, s:s}, {s:s, s:s, s:b}], s:o, s:o, s:o}",
                    "name", "redis", "image", r_redis_image(c, img, sizeof img), "imagePullPolicy",
                    "IfNotPresent", "command", "redis-server", "args", "/etc/redis/redis.conf",
                    "--requirepass", "$(REDIS_PASSWORD)", "env",
                    r_env_secret("REDIS_PASSWORD", secret, "password"),
                    r_env_secret("REDISCLI_AUTH", secret, "password"), "ports", "name", "redis",
                    "containerPort", 6379, "protocol", "TCP", "volumeMounts", "name", "data",
                    "mountPath", "/data", "name", "config", "mountPath", "/etc/redis", "readOnly",
                    1, "resources", r_resources(rs_obj(r, "resources"), "100m", req, "500m", lim),
                    "readinessProbe", redis_probe(), "livenessProbe", redis_probe());
    ctrs = json_pack("[o]", ctr);
    if (ctrs && c->exporters)
        json_array_append_new(ctrs, exporter(secret));
    vols = json_pack("[{s:s, s:{s:s}}]", "name", "config", "configMap", "name", cm);
    if (vols && !pvc)
        json_array_append_new(vols, json_pack("{s:s, s:{}}", "name", "data", "emptyDir"));
    r_secret_digest(c, secret, s_hex);
    r_secret_digest(c, cm, c_hex);
    snprintf(hin, sizeof hin, "{\"configmap/%s\":\"%s\",\"secret/%s\":\"%s\"}", cm, c_hex, secret,
             s_hex);
    tmpl = r_pod_template(c, &p, ctrs, vols, hin);
    free(sa);
    return tmpl;
}

/* Every object of spec.services.redis except its Secret and backups. */
void r_build_redis(struct r_ctx *c)
{
    const json_t *r = rs_service(c, "redis"), *st = rs_obj(r, "storage");
    char *secret = r_name(c, "redis", 63), *cm = r_name(c, "redis-config", 253), *conf, buf[32];
    bool pvc = strcmp(rs_str(r, "persistence", "rdb"), "none") != 0;
    json_t *obj, *claims, *ports;

    if (!r)
        goto done;
    conf = redis_conf(r);
    if (!secret || !cm || !conf) {
        free(conf);
        r_fail(c, AS_E_NOMEM);
        goto done;
    }
    obj = r_object(c, "v1", "ConfigMap", cm, r_labels(c, "redis", "cache"));
    if (obj)
        json_object_set_new(obj, "data", json_pack("{s:s}", "redis.conf", conf));
    free(conf);
    r_emit(c, obj);
    claims = json_array();
    if (pvc && claims)
        json_array_append_new(claims, r_claim_template(c, "redis", "cache", "data",
                                                       rs_qty(st, "size", "1Gi", buf),
                                                       rs_str(st, "storageClassName", NULL)));
    r_emit(c, r_statefulset(c, "redis", "cache", c->suspend ? 0 : 1,
                            redis_template(c, secret, cm, pvc), claims));
    ports = json_pack("[o]", r_service_port("redis", 6379));
    if (ports && c->exporters)
        json_array_append_new(ports, r_service_port("metrics", 9121));
    r_emit(c, r_service(c, secret, "redis", "cache", ports, false));
    if (c->prom_operator && c->exporters)
        r_build_servicemonitor(c, "redis", "metrics", "/metrics", "30s");
done:
    free(secret);
    free(cm);
}
