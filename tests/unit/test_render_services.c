/* test_render_services.c - unit tests for postgres.c, redis.c, backup.c, secret.c and env.c:
 * the data services, their Secrets (values only from facts), backups, and the connection
 * variables injected into components. */
#include "check_run.h"
#include "render_test_util.h"

static const char *const STACK =
    RT_HEADER "spec:\n  components:\n"
              "  - name: api\n    type: web\n    image: 'a/b:1'\n    port: 80\n"
              "    connections: [{name: postgres, database: app}, {name: redis, redisDatabase: 2},"
              " {name: postgres, envPrefix: OTHER_}]\n"
              "  services:\n"
              "    postgres:\n      databases: [{name: main}, {name: app, extensions: [vector]}]\n"
              "      parameters: {max_connections: '200', a_first: 'x'}\n"
              "    redis:\n      maxMemory: 512Mi\n      persistence: both\n"
              "      disabledCommands: [KEYS, FLUSHALL]\n"
              "      backup: {retentionDays: 3}\n";

/* The env entry named name in a container (borrowed) or NULL. */
static json_t *env(const json_t *ctr, const char *name)
{
    json_t *e;
    size_t i;

    json_array_foreach(json_object_get(ctr, "env"), i, e)
    {
        if (strcmp(rt_str(e, "name"), name) == 0)
            return e;
    }
    return NULL;
}

START_TEST(connections_inject_addresses_and_secret_refs)
{
    json_t *objs = rt_render(STACK, 0);
    json_t *c =
        as_json_path(rt_find(objs, "Deployment", "shop-api"), "spec.template.spec.containers[0]");

    ck_assert_str_eq(rt_str(env(c, "PGHOST"), "value"), "shop-postgres");
    ck_assert_str_eq(rt_str(env(c, "PGDATABASE"), "value"), "app");
    ck_assert_str_eq(rt_str(env(c, "PGUSER"), "value"), "app");
    ck_assert_str_eq(rt_str(env(c, "PGPASSWORD"), "valueFrom.secretKeyRef.name"), "shop-postgres");
    ck_assert_str_eq(rt_str(env(c, "PGPASSWORD"), "valueFrom.secretKeyRef.key"), "app-password");
    ck_assert_ptr_null(as_json_path(env(c, "PGPASSWORD"), "value"));
    ck_assert_str_eq(rt_str(env(c, "DATABASE_URL"), "value"),
                     "postgresql://$(PGUSER):$(PGPASSWORD)@$(PGHOST):$(PGPORT)/$(PGDATABASE)");
    ck_assert_str_eq(rt_str(env(c, "REDIS_URL"), "value"),
                     "redis://:$(REDIS_PASSWORD)@$(REDIS_HOST):$(REDIS_PORT)/2");
    ck_assert_str_eq(rt_str(env(c, "OTHER_PGDATABASE"), "value"), "main");
    ck_assert_str_eq(rt_str(env(c, "OTHER_DATABASE_URL"), "value"),
                     "postgresql://$(OTHER_PGUSER):$(OTHER_PGPASSWORD)@$(OTHER_PGHOST):"
                     "$(OTHER_PGPORT)/$(OTHER_PGDATABASE)");
    json_decref(objs);
}
END_TEST

START_TEST(postgres_runs_read_only_with_its_volumes)
{
    json_t *objs = rt_render(STACK, 0), *st = rt_find(objs, "StatefulSet", "shop-postgres");
    json_t *c = as_json_path(st, "spec.template.spec.containers[0]");

    ck_assert_str_eq(rt_str(c, "image"), "postgres:16-alpine");
    ck_assert_int_eq(
        json_integer_value(as_json_path(st, "spec.template.spec.securityContext.runAsUser")), 70);
    ck_assert_int_eq(json_integer_value(as_json_path(st, "spec.replicas")), 1);
    ck_assert_str_eq(rt_str(env(c, "PGDATA"), "value"), "/var/lib/postgresql/data/pgdata");
    ck_assert_str_eq(rt_str(c, "args[1]"), "a_first=x"); /* parameters in key order */
    ck_assert_str_eq(rt_str(c, "args[3]"), "max_connections=200");
    ck_assert_str_eq(rt_str(c, "volumeMounts[1].mountPath"), "/var/run/postgresql");
    ck_assert(json_is_true(as_json_path(c, "securityContext.readOnlyRootFilesystem")));
    ck_assert_str_eq(rt_str(st, "spec.template.spec.containers[1].name"), "exporter");
    ck_assert_str_eq(rt_str(st, "spec.volumeClaimTemplates[0].spec.resources.requests.storage"),
                     "10Gi");
    ck_assert_str_eq(rt_str(st, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted"), "Retain");
    ck_assert_int_eq(json_integer_value(as_json_path(rt_find(objs, "Service", "shop-postgres"),
                                                     "spec.ports[0].port")),
                     5432);
    json_decref(objs);
}
END_TEST

START_TEST(postgres_setup_job_creates_roles_databases_extensions)
{
    json_t *objs = rt_render(STACK, 0), *o, *job = NULL;
    const char *script;
    size_t i;

    json_array_foreach(objs, i, o)
    {
        if (strcmp(rt_str(o, "kind"), "Job") == 0)
            job = o;
    }
    ck_assert_ptr_nonnull(job);
    ck_assert_int_eq(strncmp(rt_str(job, "metadata.name"), "shop-postgres-s", 15), 0);
    script = rt_str(job, "spec.template.spec.containers[0].args[0]");
    ck_assert_ptr_nonnull(strstr(script, "-v name=main -v pw=\"$DB_PASSWORD_0\""));
    ck_assert_ptr_nonnull(strstr(script, "CREATE ROLE %I LOGIN"));
    ck_assert_ptr_nonnull(strstr(script, "CREATE DATABASE %I OWNER %I"));
    ck_assert_ptr_nonnull(strstr(
        script, "psql -v ON_ERROR_STOP=1 -d app -c 'CREATE EXTENSION IF NOT EXISTS \"vector\"'"));
    ck_assert_ptr_null(strstr(script, "pw=pw")); /* passwords only through the env */
    json_decref(objs);
}
END_TEST

START_TEST(redis_config_follows_the_spec)
{
    json_t *objs = rt_render(STACK, 0);
    const char *conf;
    json_t *cm = rt_find(objs, "ConfigMap", "shop-redis-config");
    json_t *st = rt_find(objs, "StatefulSet", "shop-redis");

    /* the key has a dot: look it up with jansson */
    conf = json_string_value(json_object_get(json_object_get(cm, "data"), "redis.conf"));
    ck_assert_ptr_nonnull(strstr(conf, "maxmemory 536870912\n"));
    ck_assert_ptr_nonnull(strstr(conf, "maxmemory-policy noeviction\n"));
    ck_assert_ptr_nonnull(strstr(conf, "appendonly yes\nappendfsync everysec\n"));
    ck_assert_ptr_nonnull(strstr(conf, "save 900 1\n"));
    ck_assert_ptr_nonnull(strstr(conf, "rename-command FLUSHALL \"\"\nrename-command KEYS \"\"\n"));
    ck_assert_ptr_null(strstr(conf, "requirepass"));
    ck_assert_str_eq(rt_str(st, "spec.template.spec.containers[0].args[2]"), "$(REDIS_PASSWORD)");
    ck_assert_str_eq(rt_str(st, "spec.template.spec.containers[0].resources.requests.memory"),
                     "576Mi");
    ck_assert_str_eq(rt_str(st, "spec.template.spec.containers[0].resources.limits.memory"),
                     "1024Mi");
    ck_assert_int_eq(
        json_integer_value(as_json_path(st, "spec.template.spec.securityContext.runAsUser")), 999);
    json_decref(objs);
}
END_TEST

START_TEST(backups_dump_prune_and_keep_history)
{
    json_t *objs = rt_render(STACK, 0);
    json_t *pg = rt_find(objs, "CronJob", "shop-postgres-backup"),
           *rd = rt_find(objs, "CronJob", "shop-redis-backup");
    const char *s = rt_str(pg, "spec.jobTemplate.spec.template.spec.containers[0].args[1]");

    ck_assert_str_eq(rt_str(pg, "spec.schedule"), "0 2 * * *");
    ck_assert_str_eq(rt_str(rd, "spec.schedule"), "30 2 * * *");
    ck_assert_str_eq(rt_str(pg, "spec.concurrencyPolicy"), "Forbid");
    ck_assert_ptr_nonnull(strstr(s, "set -euo pipefail"));
    ck_assert_ptr_nonnull(strstr(s, "pg_dump -h \"$PGHOST\" -U postgres -d main | gzip"));
    ck_assert_ptr_nonnull(strstr(s, "-d app | gzip"));
    ck_assert_ptr_nonnull(strstr(s, "find /backup -type f -mtime +7 -delete"));
    s = rt_str(rd, "spec.jobTemplate.spec.template.spec.containers[0].args[1]");
    ck_assert_ptr_nonnull(strstr(s, "redis-cli -h \"$REDIS_HOST\" --rdb"));
    ck_assert_ptr_nonnull(strstr(s, "-mtime +3 -delete"));
    ck_assert_str_eq(rt_str(rt_find(objs, "PersistentVolumeClaim", "shop-postgres-backup"),
                            "spec.resources.requests.storage"),
                     "10Gi");
    json_decref(objs);
}
END_TEST

START_TEST(secrets_hold_exactly_the_fact_values)
{
    json_t *objs = rt_render(STACK, 0), *sec = rt_find(objs, "Secret", "shop-postgres");

    /* "pw" in base64 */
    ck_assert_str_eq(rt_str(sec, "data.postgres-password"), "cHc=");
    ck_assert_str_eq(rt_str(sec, "data.main-password"), "cHc=");
    ck_assert_str_eq(rt_str(sec, "data.app-password"), "cHc=");
    ck_assert_uint_eq(json_object_size(json_object_get(sec, "data")), 3);
    ck_assert_str_eq(rt_str(rt_find(objs, "Secret", "shop-redis"), "data.password"), "cHc=");
    json_decref(objs);
}
END_TEST

START_TEST(missing_secret_facts_are_named_not_invented)
{
    json_t *stack = rt_yaml(STACK), *objs = NULL;
    json_t *facts = json_pack("{s:{s:s}}", "shop-postgres", "postgres-password", "x");
    struct as_render_facts f = {.secrets = facts};
    struct as_field_errors e;
    bool main_named = false, redis_named = false;

    as_field_errors_init(&e);
    ck_assert_int_eq(as_render(stack, &f, &objs, &e), AS_E_MISSING);
    ck_assert_ptr_null(objs);
    for (size_t i = 0; i < e.count; i++) {
        main_named |= strstr(e.items[i], "secret shop-postgres, key main-password") != NULL;
        redis_named |= strstr(e.items[i], "secret shop-redis, key password") != NULL;
        ck_assert_ptr_null(strstr(e.items[i], "postgres-password"));
    }
    ck_assert(main_named && redis_named);
    as_field_errors_free(&e);
    json_decref(stack);
    json_decref(facts);
}
END_TEST

START_TEST(needed_secrets_list_lengths_and_encodings)
{
    json_t *stack = rt_yaml(RT_HEADER
                            "spec:\n  components: [{name: a, type: worker, image: 'a/b:1'}]\n"
                            "  secrets:\n    generate: [{name: app, keys: [k1, k2], length: 48, "
                            "encoding: base64}]\n"),
           *needed = NULL;
    struct as_field_errors e;

    as_field_errors_init(&e);
    ck_assert_int_eq(as_render_needed_secrets(stack, &needed, &e), AS_OK);
    ck_assert_uint_eq(json_object_size(needed), 1);
    ck_assert_int_eq(json_integer_value(as_json_path(needed, "shop-app.k2.length")), 48);
    ck_assert_str_eq(rt_str(needed, "shop-app.k1.encoding"), "base64");
    as_field_errors_free(&e);
    json_decref(needed);
    json_decref(stack);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("render_services");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, connections_inject_addresses_and_secret_refs);
    tcase_add_test(tc, postgres_runs_read_only_with_its_volumes);
    tcase_add_test(tc, postgres_setup_job_creates_roles_databases_extensions);
    tcase_add_test(tc, redis_config_follows_the_spec);
    tcase_add_test(tc, backups_dump_prune_and_keep_history);
    tcase_add_test(tc, secrets_hold_exactly_the_fact_values);
    tcase_add_test(tc, missing_secret_facts_are_named_not_invented);
    tcase_add_test(tc, needed_secrets_list_lengths_and_encodings);
    suite_add_tcase(s, tc);
    return as_check_run(s);
}
