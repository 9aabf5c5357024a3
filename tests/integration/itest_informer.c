/*
 * itest_informer.c - integration tests for lib/informer against an API
 * server reached through KUBECONFIG: the informer's cache and what its
 * handlers were told must equal a fresh list after every disturbance - churn
 * (paged initial list, creates/updates/deletes), stop and resume, indexes,
 * and, on the local test API server only, cut watches, forced 410 (compaction
 * while stopped and while watching), 500/429 write storms, an API server
 * restart, and bookmarks advancing the resume point. Each run creates its own
 * namespace and deletes it.
 *
 * A "mirror" built only from handler calls checks that handlers see a
 * consistent story: an add never for a known key, an update's old object is
 * the one last delivered, a delete only for a known key.
 */
#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "informer/diff.h"
#include "informer/informer.h"
#include "kube/ops.h"

#include "itest_util.h"

#define CM (as_kube_resource_by_kind("v1", "ConfigMap"))

static char ns[64];
static struct as_kube_client *kc;
static bool g_compact; /* start_informer makes compact informers (set by a test: Check forks) */
static bool g_keep_last_applied; /* and keeps kubectl's last-applied annotation */

static bool env_is(const char *name, const char *value)
{
    const char *v = getenv(name);
    return v && strcmp(v, value) == 0;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A client from KUBECONFIG (fails the test when there is none). */
static struct as_kube_client *new_client(const char *program)
{
    struct as_kube_config *cfg = NULL;
    struct as_kube_config_options o = {.no_in_cluster = true};
    struct as_kube_client_options co = {.program = program};
    struct as_kube_client *c = NULL;
    struct as_error err = {0};

    ck_assert_msg(as_kube_config_load(&o, &cfg, &err) == AS_OK, "%s", err.message);
    ck_assert_msg(as_kube_client_new(cfg, &co, &c, &err) == AS_OK, "%s", err.message);
    return c;
}

static void suite_setup(void)
{
    struct as_kube_client *c = new_client("itest-informer");

    itest_ns_create(c, "itest-inf", ns, sizeof(ns));
    as_kube_client_free(c);
}

static void suite_teardown(void)
{
    struct as_kube_client *c = new_client("itest-informer");

    itest_ns_delete(c, "itest_informer", ns);
    as_kube_client_free(c);
}

static void setup(void)
{
    kc = new_client("itest-informer");
}

static void teardown(void)
{
    as_kube_client_free(kc);
    kc = NULL;
}

/* POST/DELETE /_local/<what> on the local API server, with this program's client. */
static void local_call(const char *method, const char *what, const char *body)
{
    itest_local_call(kc, method, what, body);
}

/* ---- the handler mirror ------------------------------------------------------------------ */

struct mirror {
    pthread_mutex_t lock;
    json_t *rv; /* key -> resourceVersion, from handler calls only */
    unsigned long adds, updates, deletes, resyncs, violations;
    char violation[640];
};

static const char *rv_of(const json_t *o)
{
    const char *s = json_string_value(as_json_path(o, "metadata.resourceVersion"));
    return s ? s : "";
}

static void violation(struct mirror *m, const char *what, const char *key)
{
    m->violations++;
    snprintf(m->violation, sizeof(m->violation), "%s: %s", what, key);
}

static void m_add(json_t *obj, void *ctx)
{
    struct mirror *m = ctx;
    char key[AS_INFORMER_KEY_MAX];

    as_informer_object_key(obj, key, sizeof(key));
    pthread_mutex_lock(&m->lock);
    if (json_object_get(m->rv, key))
        violation(m, "add of a known key", key);
    json_object_set_new(m->rv, key, json_string(rv_of(obj)));
    m->adds++;
    pthread_mutex_unlock(&m->lock);
}

static void m_update(json_t *old, json_t *obj, void *ctx)
{
    struct mirror *m = ctx;
    char key[AS_INFORMER_KEY_MAX];
    const char *known;

    as_informer_object_key(obj, key, sizeof(key));
    pthread_mutex_lock(&m->lock);
    known = json_string_value(json_object_get(m->rv, key));
    if (!known || strcmp(known, rv_of(old)) != 0)
        violation(m, "update whose old object is not the last one delivered", key);
    if (old == obj)
        m->resyncs++;
    else if (strcmp(rv_of(old), rv_of(obj)) == 0)
        violation(m, "update without a new resourceVersion", key);
    else
        m->updates++;
    json_object_set_new(m->rv, key, json_string(rv_of(obj)));
    pthread_mutex_unlock(&m->lock);
}

static void m_delete(json_t *old, void *ctx)
{
    struct mirror *m = ctx;
    char key[AS_INFORMER_KEY_MAX];

    as_informer_object_key(old, key, sizeof(key));
    pthread_mutex_lock(&m->lock);
    if (!json_object_get(m->rv, key))
        violation(m, "delete of an unknown key", key);
    json_object_del(m->rv, key);
    m->deletes++;
    pthread_mutex_unlock(&m->lock);
}

static void mirror_init(struct mirror *m)
{
    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
    m->rv = json_object();
}

static void mirror_free(struct mirror *m)
{
    json_decref(m->rv);
    pthread_mutex_destroy(&m->lock);
}

/* A started informer on this run's ConfigMaps labelled itest-set=<set>. */
static struct as_informer *start_informer(const char *set, struct mirror *m, long page_size)
{
    static char selector[128];
    struct as_informer_options o = {0};
    struct as_informer_handlers h = {
        .on_add = m_add, .on_update = m_update, .on_delete = m_delete, .ctx = m};
    struct as_informer *inf = NULL;
    struct as_error err = {0};

    snprintf(selector, sizeof(selector), "itest-set=%s", set);
    o.client = kc;
    o.res = CM;
    o.ns = ns;
    o.label_selector = selector; /* copied by the informer */
    o.index_label = "tier";
    o.page_size = page_size;
    o.backoff_initial_ms = 300; /* keep the test short; the default is 1 s */
    o.backoff_max_ms = 3000;
    o.watch_timeout_seconds = 60;
    o.compact = g_compact;
    o.keep_last_applied = g_keep_last_applied;
    ck_assert_msg(as_informer_new(&o, &h, &inf, &err) == AS_OK, "%s", err.message);
    ck_assert_msg(as_informer_start(inf, &err) == AS_OK, "%s", err.message);
    return inf;
}

/* ---- writes ----------------------------------------------------------------------------- */

static as_status create_cm(const char *set, const char *name, const char *value, const char *tier)
{
    struct as_error err = {0};
    json_t *cm = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s}},s:{s:s}}", "apiVersion", "v1", "kind",
                           "ConfigMap", "metadata", "name", name, "namespace", ns, "labels",
                           "itest-set", set, "tier", tier ? tier : "none", "data", "k", value);
    as_status st = as_kube_create(kc, CM, ns, cm, NULL, NULL, &err);

    json_decref(cm);
    return st;
}

static as_status patch_cm(const char *name, const char *value)
{
    struct as_error err = {0};
    json_t *p = json_pack("{s:{s:s}}", "data", "k", value);
    as_status st = as_kube_patch(kc, CM, ns, name, AS_KUBE_PATCH_MERGE, p, NULL, NULL, &err);

    json_decref(p);
    return st;
}

static as_status delete_cm(const char *name)
{
    struct as_error err = {0};
    return as_kube_delete(kc, CM, ns, name, NULL, NULL, &err);
}

/*
 * What changes while an informer is stopped: SET-0..4 are deleted, SET-5..9
 * get the value "changed", and SET-first_new..first_new+2 are created with
 * value and tier.
 */
static void change_while_away(const char *set, int first_new, const char *value, const char *tier)
{
    char name[64];

    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof(name), "%s-%d", set, i);
        ck_assert_int_eq(i < 5 ? delete_cm(name) : patch_cm(name, "changed"), AS_OK);
    }
    for (int i = first_new; i < first_new + 3; i++) {
        snprintf(name, sizeof(name), "%s-%d", set, i);
        ck_assert_int_eq(create_cm(set, name, value, tier), AS_OK);
    }
}

/*
 * n random creates/patches/deletes over 40 names of set; failures (conflicts,
 * injected errors) are tolerated: the cache must match whatever happened.
 * Returns the number of writes that succeeded.
 */
static int churn(const char *set, int n, unsigned seed)
{
    char name[64], value[32];
    int ok = 0;

    for (int i = 0; i < n; i++) {
        unsigned r = (unsigned)rand_r(&seed);
        as_status st;
        snprintf(name, sizeof(name), "%s-%u", set, r % 40);
        snprintf(value, sizeof(value), "v%d", i);
        switch ((r / 40) % 3) {
        case 0:
            st = create_cm(set, name, value, (r & 1) ? "web" : "db");
            break;
        case 1:
            st = patch_cm(name, value);
            break;
        default:
            st = delete_cm(name);
            break;
        }
        ok += st == AS_OK;
    }
    return ok;
}

/* ---- exactness ---------------------------------------------------------------------------- */

/* key -> resourceVersion of objects (an array). New reference. */
static json_t *rv_map(const json_t *objects)
{
    json_t *m = json_object(), *o;
    char key[AS_INFORMER_KEY_MAX];
    size_t i;

    json_array_foreach(objects, i, o)
    {
        ck_assert_int_eq(as_informer_object_key(o, key, sizeof(key)), AS_OK);
        json_object_set_new(m, key, json_string(rv_of(o)));
    }
    return m;
}

/* True when the cache and the handler mirror both equal a fresh list of set. */
static bool exact_now(struct as_informer *inf, struct mirror *m, const char *set, char *why,
                      size_t why_size)
{
    struct as_kube_list_options lo = {0};
    struct as_error err = {0};
    char selector[128];
    json_t *list = NULL, *cached, *want, *have;
    bool same;

    snprintf(selector, sizeof(selector), "itest-set=%s", set);
    lo.label_selector = selector;
    ck_assert_msg(as_kube_list_all(kc, CM, ns, &lo, &list, &err) == AS_OK, "%s", err.message);
    want = rv_map(json_object_get(list, "items"));
    cached = as_cache_list(as_informer_cache(inf));
    have = rv_map(cached);
    pthread_mutex_lock(&m->lock);
    same = json_equal(want, have) && json_equal(want, m->rv);
    if (!same)
        snprintf(why, why_size, "server has %zu objects, cache %zu, handlers %zu",
                 json_object_size(want), json_object_size(have), json_object_size(m->rv));
    pthread_mutex_unlock(&m->lock);
    json_decref(list);
    json_decref(cached);
    json_decref(want);
    json_decref(have);
    return same;
}

/* Waits (up to timeout_s) until exact; fails the test with the last difference otherwise. */
static void assert_exact(struct as_informer *inf, struct mirror *m, const char *set, int timeout_s)
{
    long long deadline = mono_ms() + timeout_s * 1000LL;
    char why[256] = "";

    while (!exact_now(inf, m, set, why, sizeof(why))) {
        ck_assert_msg(mono_ms() < deadline, "informer %s not exact after %d s: %s", set, timeout_s,
                      why);
        usleep(200 * 1000);
    }
    ck_assert_msg(m->violations == 0, "handler story inconsistent (%lu): %s", m->violations,
                  m->violation);
}

/* ---- tests on any cluster ------------------------------------------------------------------ */

START_TEST(paged_list_then_watch_stays_exact_and_stops_promptly)
{
    struct mirror m;
    struct as_informer *inf;
    struct as_informer_stats s;
    char name[64];
    long long t0;

    mirror_init(&m);
    for (int i = 0; i < 30; i++) {
        snprintf(name, sizeof(name), "basic-%d", i);
        ck_assert_int_eq(create_cm("basic", name, "v", NULL), AS_OK);
    }
    inf = start_informer("basic", &m, 7); /* 5 pages */
    ck_assert(as_informer_wait_synced(inf, 20000));
    ck_assert(as_informer_has_synced(inf));
    ck_assert_uint_eq(as_cache_len(as_informer_cache(inf)), 30);
    ck_assert_uint_eq(m.adds, 30);
    assert_exact(inf, &m, "basic", 10);
    churn("basic", 60, 7);
    assert_exact(inf, &m, "basic", 20);
    ck_assert_uint_gt(m.updates + m.deletes, 0);
    json_t *one = as_informer_get(inf, ns, "basic-0");
    if (one) /* churn may have deleted it */
        ck_assert_str_eq(json_string_value(as_json_path(one, "metadata.name")), "basic-0");
    json_decref(one);
    /* resync re-delivers every cached object as UPDATE(obj, obj). */
    ck_assert_uint_eq(as_informer_resync(inf), as_cache_len(as_informer_cache(inf)));
    ck_assert_uint_eq(m.resyncs, as_cache_len(as_informer_cache(inf)));
    as_informer_get_stats(inf, &s);
    ck_assert_uint_eq(s.lists, 1);
    ck_assert_uint_ge(s.watches, 1);
    ck_assert_str_ne(s.resource_version, "");
    /* The watch is blocked waiting for events: stop must interrupt it. */
    usleep(300 * 1000);
    t0 = mono_ms();
    as_informer_stop(inf);
    ck_assert_int_lt(mono_ms() - t0, 3000);
    as_informer_free(inf);
    mirror_free(&m);
}
END_TEST

START_TEST(stop_then_start_resumes_and_catches_up)
{
    struct mirror m;
    struct as_informer *inf;
    struct as_error err = {0};

    mirror_init(&m);
    churn("resume", 40, 11);
    inf = start_informer("resume", &m, 0);
    ck_assert(as_informer_wait_synced(inf, 20000));
    assert_exact(inf, &m, "resume", 10);
    as_informer_stop(inf);
    churn("resume", 40, 12); /* missed while stopped */
    ck_assert_msg(as_informer_start(inf, &err) == AS_OK, "%s", err.message);
    assert_exact(inf, &m, "resume", 20);
    as_informer_free(inf);
    mirror_free(&m);
}
END_TEST

START_TEST(indexes_by_controller_owner_and_label)
{
    struct mirror m;
    struct as_informer *inf;
    struct as_error err = {0};
    json_t *owner = NULL, *cm, *arr;
    const char *uid;
    char name[64];

    mirror_init(&m);
    ck_assert_int_eq(create_cm("idx", "idx-owner", "v", "web"), AS_OK);
    ck_assert_int_eq(as_kube_get(kc, CM, ns, "idx-owner", &owner, &err), AS_OK);
    uid = json_string_value(as_json_path(owner, "metadata.uid"));
    ck_assert_ptr_nonnull(uid);
    inf = start_informer("idx", &m, 0);
    ck_assert(as_informer_wait_synced(inf, 20000));
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "idx-child-%d", i);
        cm = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s,s:s},s:[{s:s,s:s,s:s,s:s,s:b}]}}", "apiVersion",
                       "v1", "kind", "ConfigMap", "metadata", "name", name, "namespace", ns,
                       "labels", "itest-set", "idx", "tier", "db", "ownerReferences", "apiVersion",
                       "v1", "kind", "ConfigMap", "name", "idx-owner", "uid", uid, "controller", 1);
        ck_assert_msg(as_kube_create(kc, CM, ns, cm, NULL, NULL, &err) == AS_OK, "%s", err.message);
        json_decref(cm);
    }
    assert_exact(inf, &m, "idx", 10);
    arr = as_cache_by_owner(as_informer_cache(inf), uid);
    ck_assert_uint_eq(json_array_size(arr), 3);
    json_decref(arr);
    arr = as_cache_by_label(as_informer_cache(inf), "db");
    ck_assert_uint_eq(json_array_size(arr), 3);
    json_decref(arr);
    arr = as_cache_by_label(as_informer_cache(inf), "web");
    ck_assert_uint_eq(json_array_size(arr), 1);
    json_decref(arr);
    as_informer_free(inf);
    json_decref(owner);
    mirror_free(&m);
}
END_TEST

/* ---- tests needing the local API server's fault injection -------------------------------- */

START_TEST(local_cut_watches_stay_exact)
{
    struct mirror m;
    struct as_informer *inf;
    struct as_informer_stats s;
    long long end;
    unsigned seed = 21;

    mirror_init(&m);
    churn("cut", 30, 20);
    /* The server reads watchCutSeconds when a watch opens: set it before the first one. */
    local_call("POST", "faults", "{\"watchCutSeconds\":0.7}");
    inf = start_informer("cut", &m, 0);
    ck_assert(as_informer_wait_synced(inf, 20000));
    end = mono_ms() + 6000;
    while (mono_ms() < end) {
        churn("cut", 5, seed++);
        usleep(100 * 1000);
    }
    local_call("DELETE", "faults", NULL);
    churn("cut", 5, seed++);
    assert_exact(inf, &m, "cut", 20);
    as_informer_get_stats(inf, &s);
    ck_assert_uint_ge(s.watches, 4); /* the watch really was cut and resumed */
    as_informer_free(inf);
    mirror_free(&m);
}
END_TEST

START_TEST(local_410_while_stopped_relists_and_delivers_deletes)
{
    struct mirror m;
    struct as_informer *inf;
    struct as_informer_stats s;
    struct as_error err = {0};
    char name[64];
    unsigned long deletes_before;

    mirror_init(&m);
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "gone-%d", i);
        ck_assert_int_eq(create_cm("gone", name, "v", NULL), AS_OK);
    }
    inf = start_informer("gone", &m, 0);
    ck_assert(as_informer_wait_synced(inf, 20000));
    assert_exact(inf, &m, "gone", 10);
    as_informer_stop(inf);
    deletes_before = m.deletes;
    /* While it is away: 5 vanish, 5 change, 3 appear, 1 is deleted and created again. */
    change_while_away("gone", 20, "v", NULL);
    ck_assert_int_eq(delete_cm("gone-10"), AS_OK);
    ck_assert_int_eq(create_cm("gone", "gone-10", "again", NULL), AS_OK);
    local_call("POST", "compact", "{}");
    ck_assert_msg(as_informer_start(inf, &err) == AS_OK, "%s", err.message);
    assert_exact(inf, &m, "gone", 20);
    as_informer_get_stats(inf, &s);
    ck_assert_uint_ge(s.expired, 1);
    ck_assert_uint_ge(s.lists, 2);
    /* 5 vanished + the re-created one's old incarnation. */
    ck_assert_uint_eq(m.deletes - deletes_before, 6);
    as_informer_free(inf);
    mirror_free(&m);
}
END_TEST

START_TEST(local_410_while_watching_relists)
{
    struct mirror m;
    struct as_informer *inf;
    struct as_informer_stats s;

    mirror_init(&m);
    churn("live410", 30, 31);
    inf = start_informer("live410", &m, 0);
    ck_assert(as_informer_wait_synced(inf, 20000));
    churn("live410", 20, 32);
    local_call("POST", "compact", "{}");
    churn("live410", 20, 33);
    local_call("POST", "compact", "{}");
    assert_exact(inf, &m, "live410", 20);
    as_informer_get_stats(inf, &s);
    ck_assert_uint_ge(s.expired, 1);
    as_informer_free(inf);
    mirror_free(&m);
}
END_TEST

START_TEST(local_500_and_429_storms_stay_exact)
{
    struct mirror m;
    struct as_informer *inf;
    int ok500, ok429;

    mirror_init(&m);
    churn("storm", 30, 41);
    local_call("POST", "faults", "{\"watchCutSeconds\":1.5}");
    inf = start_informer("storm", &m, 0);
    ck_assert(as_informer_wait_synced(inf, 20000));
    local_call("POST", "faults", "{\"writeErrorRate\":0.5,\"writeErrorCode\":500,\"seed\":7}");
    ok500 = churn("storm", 60, 42);
    local_call("POST", "faults",
               "{\"writeErrorRate\":0.5,\"writeErrorCode\":429,\"retryAfterSeconds\":0}");
    ok429 = churn("storm", 20, 43);
    local_call("DELETE", "faults", NULL);
    assert_exact(inf, &m, "storm", 20);
    ck_assert_int_lt(ok500, 60); /* the storm really failed some writes */
    ck_assert_int_gt(ok500 + ok429, 0);
    as_informer_free(inf);
    mirror_free(&m);
}
END_TEST

START_TEST(local_bookmarks_advance_the_resume_point)
{
    struct mirror m;
    struct as_informer *inf;
    struct as_informer_stats s;
    long long t0;
    long rv0;

    mirror_init(&m);
    ck_assert_int_eq(create_cm("bm", "bm-0", "v", NULL), AS_OK);
    inf = start_informer("bm", &m, 0);
    ck_assert(as_informer_wait_synced(inf, 20000));
    as_informer_get_stats(inf, &s);
    rv0 = strtol(s.resource_version, NULL, 10);
    /* Writes the selector filters out move the server's version, not our events. */
    ck_assert_int_eq(create_cm("other", "bm-other", "v", NULL), AS_OK);
    t0 = mono_ms();
    do { /* the local server sends a bookmark every 5 s */
        usleep(200 * 1000);
        as_informer_get_stats(inf, &s);
    } while (s.bookmarks == 0 && mono_ms() - t0 < 15000);
    ck_assert_uint_ge(s.bookmarks, 1);
    ck_assert_int_gt(strtol(s.resource_version, NULL, 10), rv0);
    ck_assert_uint_eq(s.events, 0);
    ck_assert_uint_eq(s.watches, 1);
    as_informer_free(inf);
    mirror_free(&m);
}
END_TEST

/* Runs hack/local-apiserver <verb> (same APPSTACK_APISERVER_DIR as the running server). */
static void apiserver(const char *verb)
{
    char cmd[256];

    ck_assert_msg(access("hack/local-apiserver", X_OK) == 0,
                  "hack/local-apiserver not found: run from the repository root");
    snprintf(cmd, sizeof(cmd), "hack/local-apiserver %s >/dev/null", verb);
    ck_assert_msg(system(cmd) == 0, "hack/local-apiserver %s failed", verb);
}

START_TEST(local_apiserver_restart_cache_equals_fresh_list)
{
    struct mirror m;
    struct as_informer *inf;
    struct as_informer_stats s;
    struct as_error err = {0};

    mirror_init(&m);
    churn("restart", 40, 51);
    inf = start_informer("restart", &m, 0);
    ck_assert(as_informer_wait_synced(inf, 20000));
    assert_exact(inf, &m, "restart", 10);
    /* 1: the informer rides through a restart. */
    apiserver("stop");
    sleep(1);
    apiserver("start");
    churn("restart", 20, 52);
    assert_exact(inf, &m, "restart", 40);
    /* 2: changes it missed while stopped, then a restart (history is lost: 410 or resume). */
    as_informer_stop(inf);
    churn("restart", 30, 53);
    apiserver("stop");
    apiserver("start");
    ck_assert_msg(as_informer_start(inf, &err) == AS_OK, "%s", err.message);
    assert_exact(inf, &m, "restart", 40);
    as_informer_get_stats(inf, &s);
    ck_assert_uint_ge(s.watch_failures + s.expired, 1);
    as_informer_free(inf);
    mirror_free(&m);
}
END_TEST

/* The value of data.k of the cached ConfigMap name, or "" (a copy: the object is freed). */
static void cached_value(struct as_informer *inf, const char *name, char *out, size_t size)
{
    char key[256];
    json_t *o;

    snprintf(key, sizeof(key), "%s/%s", ns, name);
    o = as_cache_get(as_informer_cache(inf), key);
    snprintf(out, size, "%s", o ? json_string_value(as_json_path(o, "data.k")) : "");
    json_decref(o);
}

START_TEST(local_compact_cache_lists_in_pages_and_relists_after_410)
{
    struct mirror m;
    struct as_informer *inf;
    struct as_informer_stats s;
    struct as_error err = {0};
    char name[64], value[64];
    json_t *arr;

    g_compact = true; /* what the operator runs: packed entries, staged list pages */
    mirror_init(&m);
    for (int i = 0; i < 30; i++) {
        snprintf(name, sizeof(name), "cpt-%d", i);
        ck_assert_int_eq(create_cm("cpt", name, "v", i % 3 == 0 ? "db" : "web"), AS_OK);
    }
    inf = start_informer("cpt", &m, 7); /* 5 pages */
    ck_assert(as_informer_wait_synced(inf, 20000));
    assert_exact(inf, &m, "cpt", 10);
    cached_value(inf, "cpt-29", value, sizeof(value));
    ck_assert_str_eq(value, "v"); /* whole bodies, unpacked */
    arr = as_cache_by_label(as_informer_cache(inf), "db");
    ck_assert_uint_eq(json_array_size(arr), 10);
    json_decref(arr);
    as_informer_stop(inf);
    /* while it is away: 5 vanish, 5 change, 3 appear; then the server forgets the history */
    change_while_away("cpt", 30, "new", "db");
    local_call("POST", "compact", "{}");
    ck_assert_msg(as_informer_start(inf, &err) == AS_OK, "%s", err.message);
    assert_exact(inf, &m, "cpt", 20);
    as_informer_get_stats(inf, &s);
    ck_assert_uint_ge(s.expired, 1);
    cached_value(inf, "cpt-7", value, sizeof(value));
    ck_assert_str_eq(value, "changed");
    cached_value(inf, "cpt-31", value, sizeof(value));
    ck_assert_str_eq(value, "new");
    cached_value(inf, "cpt-20", value, sizeof(value)); /* unchanged: its entry was kept */
    ck_assert_str_eq(value, "v");
    arr = as_cache_by_label(as_informer_cache(inf), "db"); /* 0,3 gone; 30-32 new */
    ck_assert_uint_eq(json_array_size(arr), 11);
    json_decref(arr);
    as_informer_free(inf);
    mirror_free(&m);
}
END_TEST

/* Creates ConfigMap name in set with the annotations ann (a JSON object text). */
static void create_annotated_cm(const char *set, const char *name, const char *ann)
{
    struct as_error err = {0};
    json_t *cm =
        json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s},s:o},s:{s:s}}", "apiVersion", "v1", "kind",
                  "ConfigMap", "metadata", "name", name, "namespace", ns, "labels", "itest-set",
                  set, "annotations", json_loads(ann, 0, NULL), "data", "k", "v");

    ck_assert_msg(as_kube_create(kc, CM, ns, cm, NULL, NULL, &err) == AS_OK, "%s", err.message);
    json_decref(cm);
}

/* The cached ConfigMap name (new ref; the test fails when it is not cached). */
static json_t *cached_cm(struct as_informer *inf, const char *name)
{
    char key[256];
    json_t *o;

    snprintf(key, sizeof(key), "%s/%s", ns, name);
    o = as_cache_get(as_informer_cache(inf), key);
    ck_assert_msg(o != NULL, "%s is not cached", key);
    return o;
}

START_TEST(cached_objects_drop_managed_fields_and_the_last_applied_annotation)
{
    struct mirror m, m2;
    struct as_informer *inf;
    json_t *a, *b, *want;

    mirror_init(&m);
    create_annotated_cm("trim", "trim-a",
                        "{\"" AS_INFORMER_LAST_APPLIED
                        "\": \"{\\\"big\\\": 1}\", \"other\": \"x\"}");
    create_annotated_cm("trim", "trim-b", "{\"" AS_INFORMER_LAST_APPLIED "\": \"{}\"}");
    inf = start_informer("trim", &m, 0);
    ck_assert(as_informer_wait_synced(inf, 20000));
    a = cached_cm(inf, "trim-a");
    b = cached_cm(inf, "trim-b");
    want = json_pack("{s:s}", "other", "x");
    ck_assert(json_equal(as_json_path(a, "metadata.annotations"), want));
    json_decref(want);
    ck_assert_ptr_null(as_json_path(b, "metadata.annotations")); /* it had only that one */
    ck_assert_ptr_null(as_json_path(a, "metadata.managedFields"));
    json_decref(a);
    json_decref(b);
    /* a watch event is trimmed as a list item is */
    ck_assert_int_eq(patch_cm("trim-b", "changed"), AS_OK);
    assert_exact(inf, &m, "trim", 10);
    b = cached_cm(inf, "trim-b");
    ck_assert_str_eq(json_string_value(as_json_path(b, "data.k")), "changed");
    ck_assert_ptr_null(as_json_path(b, "metadata.annotations"));
    json_decref(b);
    as_informer_free(inf);
    /* kept when asked */
    g_keep_last_applied = true;
    mirror_init(&m2);
    inf = start_informer("trim", &m2, 0);
    ck_assert(as_informer_wait_synced(inf, 20000));
    a = cached_cm(inf, "trim-a");
    ck_assert_ptr_nonnull(
        json_object_get(as_json_path(a, "metadata.annotations"), AS_INFORMER_LAST_APPLIED));
    json_decref(a);
    as_informer_free(inf);
    mirror_free(&m);
    mirror_free(&m2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("itest_informer");
    TCase *tc = tcase_create("cluster");
    TCase *local;
    SRunner *sr;
    int failed;

    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, paged_list_then_watch_stays_exact_and_stops_promptly);
    tcase_add_test(tc, stop_then_start_resumes_and_catches_up);
    tcase_add_test(tc, indexes_by_controller_owner_and_label);
    tcase_add_test(tc, cached_objects_drop_managed_fields_and_the_last_applied_annotation);
    suite_add_tcase(s, tc);
    if (env_is("APPSTACK_LOCAL_APISERVER", "1")) {
        local = tcase_create("local");
        tcase_add_unchecked_fixture(local, suite_setup, suite_teardown);
        tcase_add_checked_fixture(local, setup, teardown);
        tcase_set_timeout(local, 300);
        tcase_add_test(local, local_cut_watches_stay_exact);
        tcase_add_test(local, local_bookmarks_advance_the_resume_point);
        tcase_add_test(local, local_410_while_stopped_relists_and_delivers_deletes);
        tcase_add_test(local, local_410_while_watching_relists);
        tcase_add_test(local, local_500_and_429_storms_stay_exact);
        tcase_add_test(local, local_compact_cache_lists_in_pages_and_relists_after_410);
        if (getenv("APPSTACK_APISERVER_DIR"))
            tcase_add_test(local, local_apiserver_restart_cache_equals_fresh_list);
        else
            printf("SKIP local_apiserver_restart_cache_equals_fresh_list: needs "
                   "APPSTACK_APISERVER_DIR (set by tests/run.py) to restart the local API "
                   "server\n");
        suite_add_tcase(s, local);
    } else {
        static const char *const names[] = {"local_cut_watches_stay_exact",
                                            "local_bookmarks_advance_the_resume_point",
                                            "local_410_while_stopped_relists_and_delivers_deletes",
                                            "local_410_while_watching_relists",
                                            "local_500_and_429_storms_stay_exact",
                                            "local_apiserver_restart_cache_equals_fresh_list"};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            printf("SKIP %s: needs the local API server's fault injection (not available on a "
                   "real cluster)\n",
                   names[i]);
    }
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
