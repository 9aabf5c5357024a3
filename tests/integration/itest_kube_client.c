/*
 * itest_kube_client.c - integration tests for lib/kube against a real API
 * server reached through KUBECONFIG (the local test API server in CI, or any
 * cluster): CRUD with resourceVersion conflicts, Invalid with causes, the
 * status subresource, merge/JSON patch, server-side apply conflicts, delete
 * options, list selectors and pagination over 2,000 ConfigMaps, watch resume
 * and timeouts, and discovery. Each run uses its own namespace and deletes it.
 *
 * Tests that need the local server's fault injection (/_local/...) are added
 * only when APPSTACK_LOCAL_APISERVER=1; otherwise a "SKIP <name>: <reason>"
 * line is printed and the test is not part of the suite.
 */
#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "kube/discovery.h"
#include "kube/object.h"
#include "kube/ops.h"

#include "itest_util.h"

static char ns[64];
static struct as_kube_client *kc;

#define CM (as_kube_resource_by_kind("v1", "ConfigMap"))

typedef void (*cfg_tweak)(struct as_kube_config *cfg);

/* Loads the KUBECONFIG config; NULL when there is none. */
static struct as_kube_config *load_config(void)
{
    struct as_kube_config *cfg = NULL;
    struct as_kube_config_options o = {0};
    struct as_error err = {0};

    o.no_in_cluster = true;
    if (as_kube_config_load(&o, &cfg, &err) != AS_OK) {
        fprintf(stderr, "itest_kube_client: %s\n", err.message);
        return NULL;
    }
    return cfg;
}

/* A client from KUBECONFIG with tweak applied to its config (may be NULL). */
static struct as_kube_client *tweaked_client(cfg_tweak tweak)
{
    struct as_kube_config *cfg = load_config();
    struct as_kube_client_options co = {0};
    struct as_kube_client *c = NULL;
    struct as_error err = {0};

    ck_assert_msg(cfg != NULL, "KUBECONFIG does not lead to a usable config");
    if (tweak)
        tweak(cfg);
    co.program = "itest-kube-client";
    ck_assert_msg(as_kube_client_new(cfg, &co, &c, &err) == AS_OK, "%s", err.message);
    return c;
}

static struct as_kube_client *new_client(void)
{
    return tweaked_client(NULL);
}

/* Runs once in the parent: creates the namespace of this run. */
static void suite_setup(void)
{
    struct as_kube_client *c = new_client();

    itest_ns_create(c, "itest-kube", ns, sizeof(ns));
    as_kube_client_free(c);
}

/* Runs once in the parent: deletes the namespace (and so everything in it). */
static void suite_teardown(void)
{
    struct as_kube_client *c = new_client();

    itest_ns_delete(c, "itest_kube_client", ns);
    as_kube_client_free(c);
}

static void setup(void)
{
    kc = new_client();
}

static void teardown(void)
{
    as_kube_client_free(kc);
    kc = NULL;
}

/* A ConfigMap with one data key. New reference. */
static json_t *configmap(const char *name, const char *key, const char *value)
{
    return json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                     "metadata", "name", name, "namespace", ns, "data", key, value);
}

static const char *str_at(const json_t *obj, const char *path)
{
    const char *s = json_string_value(as_json_path(obj, path));
    ck_assert_msg(s != NULL, "%s missing", path);
    return s;
}

START_TEST(create_get_update_conflict_delete)
{
    struct as_error err = {0};
    json_t *cm = configmap("crud", "k", "v1"), *created = NULL, *got = NULL, *updated = NULL;
    json_t *stale;
    struct as_kube_delete_options d = {.grace_period_seconds = -1};
    struct as_kube_api_error api;
    char rv1[64], uid[64];

    ck_assert_msg(as_kube_create(kc, CM, ns, cm, NULL, &created, &err) == AS_OK, "%s", err.message);
    snprintf(rv1, sizeof(rv1), "%s", str_at(created, "metadata.resourceVersion"));
    snprintf(uid, sizeof(uid), "%s", str_at(created, "metadata.uid"));
    ck_assert_int_eq(as_kube_create(kc, CM, ns, cm, NULL, NULL, &err), AS_E_API_ALREADY_EXISTS);
    ck_assert_int_eq(as_kube_last_api_error(&api), AS_E_API_ALREADY_EXISTS);
    ck_assert_str_eq(api.reason, "AlreadyExists");
    ck_assert_int_eq(api.http_code, 409);

    ck_assert_int_eq(as_kube_get(kc, CM, ns, "crud", &got, &err), AS_OK);
    ck_assert_str_eq(str_at(got, "data.k"), "v1");
    json_object_set_new(as_json_path(got, "data"), "k", json_string("v2"));
    ck_assert_int_eq(as_kube_update(kc, CM, ns, got, NULL, &updated, &err), AS_OK);
    ck_assert_str_ne(str_at(updated, "metadata.resourceVersion"), rv1);
    ck_assert_str_eq(str_at(updated, "data.k"), "v2");

    /* got still carries the old resourceVersion: a stale update conflicts. */
    stale = json_deep_copy(got);
    json_object_set_new(as_json_path(stale, "data"), "k", json_string("v3"));
    ck_assert_int_eq(as_kube_update(kc, CM, ns, stale, NULL, NULL, &err), AS_E_API_CONFLICT);
    ck_assert_int_eq(as_kube_last_api_error(&api), AS_E_API_CONFLICT);
    ck_assert_str_eq(api.reason, "Conflict");

    /* Preconditions: a wrong uid conflicts, the right one deletes. */
    d.precondition_uid = "00000000-0000-0000-0000-000000000000";
    ck_assert_int_eq(as_kube_delete(kc, CM, ns, "crud", &d, NULL, &err), AS_E_API_CONFLICT);
    d.precondition_uid = uid;
    ck_assert_msg(as_kube_delete(kc, CM, ns, "crud", &d, NULL, &err) == AS_OK, "%s", err.message);
    ck_assert_int_eq(as_kube_get(kc, CM, ns, "crud", NULL, &err), AS_E_API_NOT_FOUND);
    ck_assert_int_eq(as_kube_delete(kc, CM, ns, "crud", NULL, NULL, &err), AS_E_API_NOT_FOUND);
    json_decref(cm);
    json_decref(created);
    json_decref(got);
    json_decref(updated);
    json_decref(stale);
}
END_TEST

START_TEST(invalid_object_has_causes)
{
    struct as_error err = {0};
    struct as_kube_api_error api;
    json_t *cm = configmap("Not_A_Valid_Name", "k", "v");

    ck_assert_int_eq(as_kube_create(kc, CM, ns, cm, NULL, NULL, &err), AS_E_API_INVALID);
    ck_assert_int_eq(as_kube_last_api_error(&api), AS_E_API_INVALID);
    ck_assert_int_eq(api.http_code, 422);
    ck_assert_uint_ge(api.ncauses, 1);
    ck_assert_str_eq(api.causes[0].field, "metadata.name");
    json_decref(cm);
}
END_TEST

START_TEST(dry_run_create_persists_nothing)
{
    struct as_error err = {0};
    struct as_kube_write_options w = {.dry_run = true};
    json_t *cm = configmap("dry", "k", "v"), *out = NULL;

    ck_assert_msg(as_kube_create(kc, CM, ns, cm, &w, &out, &err) == AS_OK, "%s", err.message);
    ck_assert_str_eq(str_at(out, "metadata.name"), "dry");
    ck_assert_int_eq(as_kube_get(kc, CM, ns, "dry", NULL, &err), AS_E_API_NOT_FOUND);
    json_decref(cm);
    json_decref(out);
}
END_TEST

/* A minimal valid Deployment. New reference. */
static json_t *deployment(const char *name)
{
    return json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:i,s:{s:{s:s}},s:{s:{s:{s:s}},s:{s:[{s:s,s:s}]}}}}",
                     "apiVersion", "apps/v1", "kind", "Deployment", "metadata", "name", name,
                     "namespace", ns, "spec", "replicas", 1, "selector", "matchLabels", "app", name,
                     "template", "metadata", "labels", "app", name, "spec", "containers", "name",
                     "web", "image", "nginx:1.27");
}

typedef void (*obj_edit)(json_t *obj);

/*
 * GET, edit and PUT (to /status when status) the Deployment name, retrying on
 * Conflict as a controller would: on a real cluster the deployment controller
 * writes the status concurrently. *out is the server's reply to our write.
 */
static void edit_deployment(const char *name, obj_edit edit, bool status, json_t **out)
{
    const struct as_kube_resource *dep = as_kube_resource_by_kind("apps/v1", "Deployment");
    struct as_kube_write_options w = {.field_manager = "itest-status"};
    struct as_error err = {0};
    as_status st = AS_E_API_CONFLICT;

    for (int attempt = 0; attempt < 10 && st == AS_E_API_CONFLICT; attempt++) {
        json_t *live = NULL;
        ck_assert_msg(as_kube_get(kc, dep, ns, name, &live, &err) == AS_OK, "%s", err.message);
        edit(live);
        st = status ? as_kube_update_status(kc, dep, ns, live, &w, out, &err)
                    : as_kube_update(kc, dep, ns, live, &w, out, &err);
        json_decref(live);
    }
    ck_assert_msg(st == AS_OK, "%s", err.message);
}

/* Sets status.replicas 7 and, trying to sneak it in, spec.replicas 5. */
static void status_seven_spec_five(json_t *obj)
{
    if (!json_is_object(json_object_get(obj, "status")))
        json_object_set_new(obj, "status", json_object());
    json_object_set_new(json_object_get(obj, "status"), "replicas", json_integer(7));
    json_object_set_new(json_object_get(obj, "spec"), "replicas", json_integer(5));
}

/* Sets status.replicas 9 and a label (a change the main resource accepts). */
static void status_nine_and_label(json_t *obj)
{
    if (!json_is_object(json_object_get(obj, "status")))
        json_object_set_new(obj, "status", json_object());
    json_object_set_new(json_object_get(obj, "status"), "replicas", json_integer(9));
    json_object_set_new(json_object_get(obj, "metadata"), "labels",
                        json_pack("{s:s}", "edited", "yes"));
}

START_TEST(status_subresource)
{
    const struct as_kube_resource *dep = as_kube_resource_by_kind("apps/v1", "Deployment");
    struct as_error err = {0};
    struct as_kube_write_options w = {.field_manager = "itest-status", .force = true};
    json_t *d = deployment("st"), *after = NULL, *got = NULL;

    ck_assert_msg(as_kube_create(kc, dep, ns, d, NULL, NULL, &err) == AS_OK, "%s", err.message);
    /* PUT /status with a spec change: only the status is taken. */
    edit_deployment("st", status_seven_spec_five, true, &after);
    ck_assert_int_eq(json_integer_value(as_json_path(after, "status.replicas")), 7);
    ck_assert_int_eq(json_integer_value(as_json_path(after, "spec.replicas")), 1);
    /* PUT on the main resource with a status change: the status is ignored. */
    edit_deployment("st", status_nine_and_label, false, &got);
    ck_assert_str_eq(json_string_value(as_json_path(got, "metadata.labels.edited")), "yes");
    ck_assert_int_ne(json_integer_value(as_json_path(got, "status.replicas")), 9);
    json_decref(got);
    got = NULL;
    /* Server-side apply to /status (forced: the controller may own the field). */
    json_decref(d);
    d = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:i}}", "apiVersion", "apps/v1", "kind", "Deployment",
                  "metadata", "name", "st", "namespace", ns, "status", "collisionCount", 3);
    ck_assert_msg(as_kube_apply_status(kc, dep, NULL, d, &w, &got, &err) == AS_OK, "%s",
                  err.message);
    ck_assert_int_eq(json_integer_value(as_json_path(got, "status.collisionCount")), 3);
    json_decref(d);
    json_decref(after);
    json_decref(got);
}
END_TEST

START_TEST(merge_and_json_patch)
{
    struct as_error err = {0};
    json_t *cm = configmap("patch", "a", "1"), *out = NULL;
    json_t *merge = json_pack("{s:{s:s,s:n}}", "data", "b", "2", "a");
    json_t *jp = json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s}]", "op", "add", "path", "/data/c", "value",
                           "3", "op", "test", "path", "/data/b", "value", "2");
    json_t *bad = json_pack("[{s:s,s:s,s:s}]", "op", "test", "path", "/data/b", "value", "nope");

    ck_assert_int_eq(as_kube_create(kc, CM, ns, cm, NULL, NULL, &err), AS_OK);
    ck_assert_msg(
        as_kube_patch(kc, CM, ns, "patch", AS_KUBE_PATCH_MERGE, merge, NULL, &out, &err) == AS_OK,
        "%s", err.message);
    ck_assert_ptr_null(as_json_path(out, "data.a"));
    ck_assert_str_eq(str_at(out, "data.b"), "2");
    json_decref(out);
    out = NULL;
    ck_assert_msg(as_kube_patch(kc, CM, ns, "patch", AS_KUBE_PATCH_JSON, jp, NULL, &out, &err) ==
                      AS_OK,
                  "%s", err.message);
    ck_assert_str_eq(str_at(out, "data.c"), "3");
    /* A failing "test" op is rejected by the server (422 Invalid or 409/400 on some versions). */
    ck_assert_int_ne(as_kube_patch(kc, CM, ns, "patch", AS_KUBE_PATCH_JSON, bad, NULL, NULL, &err),
                     AS_OK);
    json_decref(cm);
    json_decref(out);
    json_decref(merge);
    json_decref(jp);
    json_decref(bad);
}
END_TEST

START_TEST(server_side_apply_conflict_and_force)
{
    struct as_error err = {0};
    struct as_kube_write_options a = {.field_manager = "itest-a"};
    struct as_kube_write_options b = {.field_manager = "itest-b"};
    struct as_kube_api_error api;
    json_t *v1 = configmap("ssa", "k", "from-a"), *v2 = configmap("ssa", "k", "from-b");
    json_t *out = NULL;

    ck_assert_msg(as_kube_apply(kc, CM, NULL, v1, &a, &out, &err) == AS_OK, "%s", err.message);
    ck_assert_str_eq(str_at(out, "data.k"), "from-a");
    json_decref(out);
    out = NULL;
    ck_assert_int_eq(as_kube_apply(kc, CM, NULL, v2, &b, &out, &err), AS_E_API_CONFLICT);
    ck_assert_int_eq(as_kube_last_api_error(&api), AS_E_API_CONFLICT);
    ck_assert_uint_ge(api.ncauses, 1);
    ck_assert_str_eq(api.causes[0].field, ".data.k");
    b.force = true;
    ck_assert_msg(as_kube_apply(kc, CM, NULL, v2, &b, &out, &err) == AS_OK, "%s", err.message);
    ck_assert_str_eq(str_at(out, "data.k"), "from-b");
    /* apply without a field manager is refused locally. */
    ck_assert_int_eq(as_kube_apply(kc, CM, NULL, v2, NULL, NULL, &err), AS_E_INVALID_ARG);
    json_decref(v1);
    json_decref(v2);
    json_decref(out);
}
END_TEST

START_TEST(delete_dry_run_and_propagation)
{
    struct as_error err = {0};
    struct as_kube_delete_options d = {
        .dry_run = true, .grace_period_seconds = -1, .propagation_policy = "Foreground"};
    json_t *cm = configmap("del", "k", "v");

    ck_assert_int_eq(as_kube_create(kc, CM, ns, cm, NULL, NULL, &err), AS_OK);
    ck_assert_msg(as_kube_delete(kc, CM, ns, "del", &d, NULL, &err) == AS_OK, "%s", err.message);
    ck_assert_int_eq(as_kube_get(kc, CM, ns, "del", NULL, &err), AS_OK);
    d.dry_run = false;
    d.propagation_policy = "Background";
    ck_assert_msg(as_kube_delete(kc, CM, ns, "del", &d, NULL, &err) == AS_OK, "%s", err.message);
    ck_assert_int_eq(as_kube_get(kc, CM, ns, "del", NULL, &err), AS_E_API_NOT_FOUND);
    json_decref(cm);
}
END_TEST

#define MANY 2000

START_TEST(list_selectors_and_pagination_over_2000)
{
    struct as_error err = {0};
    struct as_kube_list_options lo = {0};
    json_t *all = NULL, *page = NULL, *seen = json_object();
    size_t i;
    json_t *it;

    for (int k = 0; k < MANY; k++) {
        char name[32];
        json_t *cm;
        snprintf(name, sizeof(name), "many-%04d", k);
        cm = configmap(name, "i", name);
        json_object_set_new(as_json_path(cm, "metadata"), "labels",
                            json_pack("{s:s,s:s}", "set", "many", "half", k % 2 ? "odd" : "even"));
        ck_assert_msg(as_kube_create(kc, CM, ns, cm, NULL, NULL, &err) == AS_OK, "%s", err.message);
        json_decref(cm);
    }
    lo.label_selector = "set=many";
    lo.limit = 150;
    ck_assert_msg(as_kube_list_all(kc, CM, ns, &lo, &all, &err) == AS_OK, "%s", err.message);
    ck_assert_uint_eq(json_array_size(json_object_get(all, "items")), MANY);
    ck_assert_ptr_nonnull(as_json_path(all, "metadata.resourceVersion"));
    for (i = 0; i < json_array_size(json_object_get(all, "items")); i++) {
        it = json_array_get(json_object_get(all, "items"), i);
        json_object_set_new(seen, str_at(it, "metadata.name"), json_true());
    }
    ck_assert_uint_eq(json_object_size(seen), MANY); /* no duplicates, none missing */
    json_decref(all);
    all = NULL;

    /* One page: limit items and a continue token. */
    ck_assert_int_eq(as_kube_list(kc, CM, ns, &lo, &page, &err), AS_OK);
    ck_assert_uint_eq(json_array_size(json_object_get(page, "items")), 150);
    ck_assert_str_ne(str_at(page, "metadata.continue"), "");
    json_decref(page);

    lo.label_selector = "set=many,half=odd";
    ck_assert_int_eq(as_kube_list_all(kc, CM, ns, &lo, &all, &err), AS_OK);
    ck_assert_uint_eq(json_array_size(json_object_get(all, "items")), MANY / 2);
    json_decref(all);
    all = NULL;
    lo.label_selector = "set in (many),half!=odd";
    ck_assert_int_eq(as_kube_list_all(kc, CM, ns, &lo, &all, &err), AS_OK);
    ck_assert_uint_eq(json_array_size(json_object_get(all, "items")), MANY / 2);
    json_decref(all);
    all = NULL;
    lo.label_selector = NULL;
    lo.field_selector = "metadata.name=many-0042";
    ck_assert_int_eq(as_kube_list_all(kc, CM, ns, &lo, &all, &err), AS_OK);
    ck_assert_uint_eq(json_array_size(json_object_get(all, "items")), 1);
    ck_assert_str_eq(str_at(json_array_get(json_object_get(all, "items"), 0), "data.i"),
                     "many-0042");
    json_decref(all);
    all = NULL;

    /* A set cancel flag stops a list before any page; a per-call timeout is honoured. */
    {
        atomic_bool stop = true;
        struct as_kube_list_options co = {.label_selector = "set=many", .limit = 10};
        co.cancel = &stop;
        ck_assert_int_eq(as_kube_list_all(kc, CM, ns, &co, &all, &err), AS_E_SHUTDOWN);
        ck_assert_ptr_null(all);
        atomic_store(&stop, false);
        co.timeout_ms = 30000;
        ck_assert_msg(as_kube_list_all(kc, CM, ns, &co, &all, &err) == AS_OK, "%s", err.message);
        ck_assert_uint_eq(json_array_size(json_object_get(all, "items")), MANY);
        json_decref(all);
    }
    json_decref(seen);
}
END_TEST

struct seen_events {
    int n;
    int bookmarks;
    char types[16][16];
    char rv[64];
    int stop_after;
};

static as_status record(enum as_kube_watch_type t, json_t *obj, void *p)
{
    struct seen_events *s = p;
    const char *rv = json_string_value(as_json_path(obj, "metadata.resourceVersion"));

    if (rv)
        snprintf(s->rv, sizeof(s->rv), "%s", rv);
    if (t == AS_KUBE_WATCH_BOOKMARK) {
        s->bookmarks++;
        return AS_OK;
    }
    snprintf(s->types[s->n % 16], sizeof(s->types[0]), "%s", as_kube_watch_type_name(t));
    s->n++;
    return s->stop_after && s->n >= s->stop_after ? AS_E_SHUTDOWN : AS_OK;
}

START_TEST(watch_resume_from_resource_version)
{
    struct as_error err = {0};
    struct as_kube_watch_options wo = {0};
    struct seen_events ev = {0};
    json_t *cm = configmap("w1", "k", "1"), *created = NULL, *patch;
    char rv0[64];

    ck_assert_int_eq(as_kube_create(kc, CM, ns, cm, NULL, &created, &err), AS_OK);
    snprintf(rv0, sizeof(rv0), "%s", str_at(created, "metadata.resourceVersion"));
    patch = json_pack("{s:{s:s}}", "data", "k", "2");
    ck_assert_int_eq(as_kube_patch(kc, CM, ns, "w1", AS_KUBE_PATCH_MERGE, patch, NULL, NULL, &err),
                     AS_OK);
    /* Resuming after the create delivers exactly the modification. */
    wo.resource_version = rv0;
    wo.field_selector = "metadata.name=w1";
    wo.timeout_seconds = 10;
    ev.stop_after = 1;
    ck_assert_int_eq(as_kube_watch(kc, CM, ns, &wo, record, &ev, &err), AS_E_SHUTDOWN);
    ck_assert_int_eq(ev.n, 1);
    ck_assert_str_eq(ev.types[0], "MODIFIED");
    /* Resuming from the modification with a short server timeout: nothing new, a clean end. */
    snprintf(rv0, sizeof(rv0), "%s", ev.rv);
    memset(&ev, 0, sizeof(ev));
    wo.resource_version = rv0;
    wo.timeout_seconds = 2;
    ck_assert_msg(as_kube_watch(kc, CM, ns, &wo, record, &ev, &err) == AS_OK, "%s", err.message);
    ck_assert_int_eq(ev.n, 0);
    json_decref(cm);
    json_decref(created);
    json_decref(patch);
}
END_TEST

START_TEST(connections_are_reused)
{
    struct as_error err = {0};
    struct as_kube_client_stats before, after;

    ck_assert_int_eq(as_kube_get(kc, CM, ns, "warm-up", NULL, &err), AS_E_API_NOT_FOUND);
    as_kube_client_stats(kc, &before);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(as_kube_get(kc, CM, ns, "absent", NULL, &err), AS_E_API_NOT_FOUND);
    as_kube_client_stats(kc, &after);
    ck_assert_uint_eq(after.requests - before.requests, 10);
    ck_assert_uint_eq(after.connects - before.connects, 0); /* all on the kept-alive connection */
}
END_TEST

START_TEST(discovery_finds_builtins)
{
    struct as_kube_discovery *d = NULL;
    struct as_error err = {0};
    struct as_kube_resource r;
    bool b = false;

    ck_assert_int_eq(as_kube_discovery_new(kc, &d, &err), AS_OK);
    ck_assert_msg(as_kube_discovery_refresh(d, &err) == AS_OK, "%s", err.message);
    ck_assert_int_eq(as_kube_discovery_has_resource(d, "", "v1", "configmaps", &b, &err), AS_OK);
    ck_assert(b);
    ck_assert_int_eq(as_kube_discovery_has_resource(d, "apps", "v1", "deployments", &b, &err),
                     AS_OK);
    ck_assert(b);
    ck_assert_int_eq(
        as_kube_discovery_has_resource(d, "nonexistent.example.com", "v1", "things", &b, &err),
        AS_OK);
    ck_assert(!b);
    ck_assert_msg(as_kube_discovery_find_kind(d, "apps", "Deployment", &r, &err) == AS_OK, "%s",
                  err.message);
    ck_assert_str_eq(r.plural, "deployments");
    ck_assert(r.namespaced);
    ck_assert(r.has_status);
    ck_assert_int_eq(as_kube_discovery_find_kind(d, "", "Namespace", &r, &err), AS_OK);
    ck_assert(!r.namespaced);
    as_kube_discovery_free(d);
}
END_TEST

static void wrong_token(struct as_kube_config *cfg)
{
    free(cfg->token);
    cfg->token = strdup("not-a-valid-token");
    free(cfg->token_file);
    cfg->token_file = NULL;
}

START_TEST(wrong_token_is_unauthorized)
{
    struct as_kube_client *c = tweaked_client(wrong_token);
    struct as_error err = {0};

    ck_assert_int_eq(
        as_kube_get(c, as_kube_resource_by_kind("v1", "Namespace"), NULL, "default", NULL, &err),
        AS_E_API_UNAUTHORIZED);
    as_kube_client_free(c);
}
END_TEST

static void system_ca(struct as_kube_config *cfg)
{
    free(cfg->ca_pem);
    cfg->ca_pem = NULL;
    cfg->ca_pem_len = 0;
}

START_TEST(untrusted_server_certificate_is_tls_error)
{
    struct as_kube_client *c = tweaked_client(system_ca);
    struct as_error err = {0};

    ck_assert_int_eq(
        as_kube_get(c, as_kube_resource_by_kind("v1", "Namespace"), NULL, "default", NULL, &err),
        AS_E_TLS);
    as_kube_client_free(c);
}
END_TEST

/* --- local API server only (fault injection, its certificate, its request log) --- */

static void name_localhost(struct as_kube_config *cfg)
{
    free(cfg->tls_server_name);
    cfg->tls_server_name = strdup("localhost");
}

static void name_wrong(struct as_kube_config *cfg)
{
    free(cfg->tls_server_name);
    cfg->tls_server_name = strdup("not-in-the-certificate.example");
}

START_TEST(local_watch_delivers_bookmarks)
{
    /* The local server sends a bookmark every 5 s by default (--bookmark-interval). */
    struct as_error err = {0};
    struct as_kube_watch_options wo = {.timeout_seconds = 7};
    struct seen_events ev = {0};
    json_t *list = NULL;

    ck_assert_int_eq(as_kube_list(kc, CM, ns, NULL, &list, &err), AS_OK);
    wo.resource_version = as_kube_obj_resource_version(list);
    ck_assert_msg(as_kube_watch(kc, CM, ns, &wo, record, &ev, &err) == AS_OK, "%s", err.message);
    ck_assert_int_ge(ev.bookmarks, 1);
    ck_assert_str_ne(ev.rv, "");
    json_decref(list);
}
END_TEST

START_TEST(local_tls_server_name)
{
    /* The local server's certificate names 127.0.0.1 and localhost only. */
    struct as_kube_client *c = tweaked_client(name_localhost);
    struct as_error err = {0};

    ck_assert_msg(as_kube_get(c, as_kube_resource_by_kind("v1", "Namespace"), NULL, "default", NULL,
                              &err) == AS_OK,
                  "%s", err.message);
    as_kube_client_free(c);
    c = tweaked_client(name_wrong);
    ck_assert_int_eq(
        as_kube_get(c, as_kube_resource_by_kind("v1", "Namespace"), NULL, "default", NULL, &err),
        AS_E_TLS);
    as_kube_client_free(c);
}
END_TEST

START_TEST(local_request_log_names_user_agent)
{
    struct as_kube_request req = {0};
    struct as_kube_response resp = {0};
    struct as_error err = {0};
    json_t *log = NULL;
    size_t found = 0;
    char ua[128], probe[128];

    ck_assert_int_eq(as_kube_get(kc, CM, ns, "ua-probe", NULL, &err), AS_E_API_NOT_FOUND);
    req.method = "GET";
    req.path = "/_local/requests";
    ck_assert_msg(as_kube_request(kc, &req, &resp, &err) == AS_OK, "%s", err.message);
    ck_assert_int_eq(as_json_parse(resp.body.data, resp.body.len, resp.body.max, &log, &err),
                     AS_OK);
    snprintf(ua, sizeof(ua), "itest-kube-client/%s (linux/", AS_VERSION);
    snprintf(probe, sizeof(probe), "/namespaces/%s/configmaps/ua-probe", ns);
    for (size_t i = 0; i < json_array_size(log); i++) {
        const json_t *e = json_array_get(log, i);
        const char *path = json_string_value(json_object_get(e, "path"));
        const char *agent = json_string_value(json_object_get(e, "userAgent"));
        if (path && strstr(path, probe) && agent && strncmp(agent, ua, strlen(ua)) == 0 &&
            strlen(agent) > 10 && strcmp(agent + strlen(agent) - 10, ") appstack") == 0)
            found++;
    }
    ck_assert_uint_eq(found, 1);
    json_decref(log);
    as_kube_response_free(&resp);
}
END_TEST

/* POST/DELETE /_local/<what> on the local API server, with this program's client. */
static void local_call(const char *method, const char *what, const char *body)
{
    itest_local_call(kc, method, what, body);
}

START_TEST(local_watch_gone_after_compaction)
{
    struct as_error err = {0};
    struct as_kube_watch_options wo = {0};
    struct seen_events ev = {0};
    json_t *cm = configmap("gone", "k", "1"), *created = NULL, *patch;
    char rv[64];

    ck_assert_int_eq(as_kube_create(kc, CM, ns, cm, NULL, &created, &err), AS_OK);
    snprintf(rv, sizeof(rv), "%s", str_at(created, "metadata.resourceVersion"));
    patch = json_pack("{s:{s:s}}", "data", "k", "2");
    ck_assert_int_eq(
        as_kube_patch(kc, CM, ns, "gone", AS_KUBE_PATCH_MERGE, patch, NULL, NULL, &err), AS_OK);
    local_call("POST", "compact", "{}");
    wo.resource_version = rv;
    wo.timeout_seconds = 5;
    ck_assert_int_eq(as_kube_watch(kc, CM, ns, &wo, record, &ev, &err), AS_E_API_GONE);
    ck_assert_int_eq(ev.n, 0);
    json_decref(cm);
    json_decref(created);
    json_decref(patch);
}
END_TEST

START_TEST(local_write_429_retried_then_reported)
{
    struct as_error err = {0};
    struct as_kube_client_stats before, after;
    json_t *cm = configmap("r429", "k", "v");

    local_call("POST", "faults",
               "{\"writeErrorRate\":1.0,\"writeErrorCode\":429,"
               "\"retryAfterSeconds\":1}");
    as_kube_client_stats(kc, &before);
    /* Every write gets 429: tried max_attempts (3) times, honouring Retry-After, then reported. */
    ck_assert_int_eq(as_kube_create(kc, CM, ns, cm, NULL, NULL, &err), AS_E_API_TOO_MANY_REQUESTS);
    as_kube_client_stats(kc, &after);
    ck_assert_uint_eq(after.requests - before.requests, 3);
    /* Reads are unaffected. */
    ck_assert_int_eq(as_kube_get(kc, CM, ns, "r429", NULL, &err), AS_E_API_NOT_FOUND);
    local_call("DELETE", "faults", NULL);
    ck_assert_int_eq(as_kube_create(kc, CM, ns, cm, NULL, NULL, &err), AS_OK);
    json_decref(cm);
}
END_TEST

START_TEST(local_write_500_not_retried)
{
    struct as_error err = {0};
    struct as_kube_client_stats before, after;
    json_t *cm = configmap("r500", "k", "v");

    local_call("POST", "faults", "{\"writeErrorRate\":1.0,\"writeErrorCode\":500}");
    as_kube_client_stats(kc, &before);
    ck_assert_int_eq(as_kube_create(kc, CM, ns, cm, NULL, NULL, &err), AS_E_API_INTERNAL);
    as_kube_client_stats(kc, &after);
    ck_assert_uint_eq(after.requests - before.requests, 1);
    local_call("DELETE", "faults", NULL);
    json_decref(cm);
}
END_TEST

START_TEST(local_watch_cut_ends_cleanly_or_network)
{
    struct as_error err = {0};
    struct as_kube_watch_options wo = {0};
    struct seen_events ev = {0};
    as_status st;

    local_call("POST", "faults", "{\"watchCutSeconds\":1}");
    wo.timeout_seconds = 30;
    st = as_kube_watch(kc, CM, ns, &wo, record, &ev, &err);
    local_call("DELETE", "faults", NULL);
    /* A cut connection is either a clean end (resume) or a network error, never a hang. */
    ck_assert_msg(st == AS_OK || st == AS_E_NETWORK, "%s", err.message);
}
END_TEST

/* Adds the tests that need a token or a private CA in the kubeconfig, or says why not. */
static void add_config_dependent_tests(TCase *tc)
{
    struct as_kube_config *cfg = load_config();

    if (cfg && cfg->token && !cfg->token_file)
        tcase_add_test(tc, wrong_token_is_unauthorized);
    else
        printf("SKIP wrong_token_is_unauthorized: the kubeconfig user has no bearer token\n");
    if (cfg && cfg->ca_pem)
        tcase_add_test(tc, untrusted_server_certificate_is_tls_error);
    else
        printf("SKIP untrusted_server_certificate_is_tls_error: the kubeconfig names no CA\n");
    as_kube_config_free(cfg);
}

/* A namespaced CRD "widgets.<group>" with a status subresource. New reference. */
static json_t *widget_crd(const char *group)
{
    char name[128];

    snprintf(name, sizeof(name), "widgets.%s", group);
    return json_pack(
        "{s:s,s:s,s:{s:s},s:{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:[s]},s:[{s:s,s:b,s:b,s:{s:{}},"
        "s:{s:{s:s,s:b}}}]}}",
        "apiVersion", "apiextensions.k8s.io/v1", "kind", "CustomResourceDefinition", "metadata",
        "name", name, "spec", "group", group, "scope", "Namespaced", "names", "plural", "widgets",
        "singular", "widget", "kind", "Widget", "listKind", "WidgetList", "shortNames", "wdg",
        "versions", "name", "v1", "served", 1, "storage", 1, "subresources", "status", "schema",
        "openAPIV3Schema", "type", "object", "x-kubernetes-preserve-unknown-fields", 1);
}

START_TEST(discovery_sees_a_new_crd)
{
    const struct as_kube_resource *crd_res =
        as_kube_resource_by_kind("apiextensions.k8s.io/v1", "CustomResourceDefinition");
    struct as_kube_discovery *d = NULL;
    struct as_error err = {0};
    struct as_kube_resource r;
    char group[96], name[128];
    json_t *crd;
    bool b = true;

    snprintf(group, sizeof(group), "%s.itest.appstack.io", ns);
    snprintf(name, sizeof(name), "widgets.%s", group);
    crd = widget_crd(group);
    ck_assert_int_eq(as_kube_discovery_new(kc, &d, &err), AS_OK);
    ck_assert_int_eq(as_kube_discovery_has_resource(d, group, "v1", "widgets", &b, &err), AS_OK);
    ck_assert(!b);
    ck_assert_msg(as_kube_create(kc, crd_res, NULL, crd, NULL, NULL, &err) == AS_OK, "%s",
                  err.message);
    /* The CRD becomes served shortly after it is established; refresh until it shows. */
    for (int i = 0; i < 50 && !b; i++) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        ck_assert_msg(as_kube_discovery_refresh(d, &err) == AS_OK, "%s", err.message);
        ck_assert_int_eq(as_kube_discovery_has_resource(d, group, "v1", "widgets", &b, &err),
                         AS_OK);
        if (!b)
            nanosleep(&ts, NULL);
    }
    ck_assert(b);
    ck_assert_msg(as_kube_discovery_find_kind(d, group, "Widget", &r, &err) == AS_OK, "%s",
                  err.message);
    ck_assert_str_eq(r.plural, "widgets");
    ck_assert(r.namespaced);
    ck_assert(r.has_status);
    ck_assert_int_eq(as_kube_delete(kc, crd_res, NULL, name, NULL, NULL, &err), AS_OK);
    as_kube_discovery_free(d);
    json_decref(crd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("itest_kube_client");
    TCase *tc = tcase_create("cluster");
    TCase *local;
    bool is_local =
        getenv("APPSTACK_LOCAL_APISERVER") && strcmp(getenv("APPSTACK_LOCAL_APISERVER"), "1") == 0;
    SRunner *sr;
    int failed;

    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, create_get_update_conflict_delete);
    tcase_add_test(tc, invalid_object_has_causes);
    tcase_add_test(tc, dry_run_create_persists_nothing);
    tcase_add_test(tc, status_subresource);
    tcase_add_test(tc, merge_and_json_patch);
    tcase_add_test(tc, server_side_apply_conflict_and_force);
    tcase_add_test(tc, delete_dry_run_and_propagation);
    tcase_add_test(tc, list_selectors_and_pagination_over_2000);
    tcase_add_test(tc, watch_resume_from_resource_version);
    tcase_add_test(tc, connections_are_reused);
    tcase_add_test(tc, discovery_finds_builtins);
    tcase_add_test(tc, discovery_sees_a_new_crd);
    add_config_dependent_tests(tc);
    suite_add_tcase(s, tc);
    if (is_local) {
        local = tcase_create("local");
        tcase_add_unchecked_fixture(local, suite_setup, suite_teardown);
        tcase_add_checked_fixture(local, setup, teardown);
        tcase_set_timeout(local, 120);
        tcase_add_test(local, local_watch_gone_after_compaction);
        tcase_add_test(local, local_write_429_retried_then_reported);
        tcase_add_test(local, local_write_500_not_retried);
        tcase_add_test(local, local_watch_cut_ends_cleanly_or_network);
        tcase_add_test(local, local_watch_delivers_bookmarks);
        tcase_add_test(local, local_tls_server_name);
        tcase_add_test(local, local_request_log_names_user_agent);
        suite_add_tcase(s, local);
    } else {
        static const char *const names[] = {
            "local_watch_gone_after_compaction", "local_write_429_retried_then_reported",
            "local_write_500_not_retried", "local_watch_cut_ends_cleanly_or_network"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            printf("SKIP %s: needs the local API server's /_local fault injection "
                   "(APPSTACK_LOCAL_APISERVER=1)\n",
                   names[i]);
    }
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
