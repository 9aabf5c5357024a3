/*
 * bench_informer.c - informer memory and request benchmark (not a test: it
 * prints figures for docs/benchmarks.md).
 *
 * 1. Creates N small ConfigMaps (default 10,000; BENCH_OBJECTS overrides) in a
 *    fresh namespace, starts an informer on them and reports the process's
 *    VmRSS growth (after malloc_trim, so freed list buffers do not count) and
 *    its ratio to the JSON size of the cached objects.
 * 2. A full resync of the unchanged informer (as_informer_resync: every
 *    object re-delivered to the handler from the cache) and counts the API
 *    requests made meanwhile from the local server's request log
 *    (GET /_local/requests; only on the local test API server).
 * 3. A forced relist (POST /_local/compact -> 410 -> relist) of the unchanged
 *    informer: requests made, handler events delivered, RSS afterwards.
 *
 * BENCH_COMPACT=1 makes the informer compact (what the operator runs: packed
 * entries, parsed on each read) instead of plain (parsed objects).
 *
 * Needs KUBECONFIG; steps 2's count and 3 need APPSTACK_LOCAL_APISERVER=1.
 * Build and run: see docs/benchmarks.md.
 */
#define _GNU_SOURCE /* malloc_trim */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "informer/informer.h"
#include "kube/ops.h"

#define CM (as_kube_resource_by_kind("v1", "ConfigMap"))
#define INFORMER_PROGRAM "bench-informer-watch"

static char ns[64];
static struct as_kube_client *kc;
static long nobjects = 10000;
static atomic_long next_index;
static atomic_ulong events_seen;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes malloc currently hands out (all arenas). */
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* VmRSS of this process in KiB (0 when unreadable). */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = 0;

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

static struct as_kube_client *client(const char *program)
{
    struct as_kube_config *cfg = NULL;
    struct as_kube_config_options o = {.no_in_cluster = true};
    struct as_kube_client_options co = {.program = program};
    struct as_kube_client *c = NULL;
    struct as_error err = {0};

    if (as_kube_config_load(&o, &cfg, &err) != AS_OK ||
        as_kube_client_new(cfg, &co, &c, &err) != AS_OK) {
        fprintf(stderr, "bench_informer: %s\n", err.message);
        exit(2);
    }
    return c;
}

/* Creator thread: creates ConfigMaps until nobjects were taken. */
static void *creator(void *p)
{
    struct as_error err = {0};
    char name[64], value[64];
    long i;

    (void)p;
    while ((i = atomic_fetch_add(&next_index, 1)) < nobjects) {
        snprintf(name, sizeof(name), "cm-%05ld", i);
        snprintf(value, sizeof(value), "value-%ld", i);
        json_t *cm = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:{s:s}}", "apiVersion", "v1", "kind",
                               "ConfigMap", "metadata", "name", name, "namespace", ns, "labels",
                               "bench", "informer", "data", "key", value);
        if (as_kube_create(kc, CM, ns, cm, NULL, NULL, &err) != AS_OK &&
            err.code != AS_E_API_ALREADY_EXISTS)
            fprintf(stderr, "create %s: %s\n", name, err.message);
        json_decref(cm);
    }
    return NULL;
}

static void count_add(json_t *o, void *c)
{
    (void)o;
    (void)c;
    atomic_fetch_add(&events_seen, 1);
}

static void count_update(json_t *a, json_t *b, void *c)
{
    (void)a;
    (void)b;
    (void)c;
    atomic_fetch_add(&events_seen, 1);
}

static void count_delete(json_t *o, void *c)
{
    count_add(o, c);
}

/* Sends a /_local request; the parsed body (new reference) or NULL. */
static json_t *local(const char *method, const char *what, const char *body)
{
    struct as_kube_request req = {0};
    struct as_kube_response resp = {0};
    struct as_error err = {0};
    char path[128];
    json_t *out = NULL;

    snprintf(path, sizeof(path), "/_local/%s", what);
    req.method = method;
    req.path = path;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    if (as_kube_request(kc, &req, &resp, &err) == AS_OK)
        as_json_parse(resp.body.data ? resp.body.data : "null", resp.body.len, 1u << 30, &out,
                      &err);
    else
        fprintf(stderr, "bench_informer: %s\n", err.message);
    as_kube_response_free(&resp);
    return out;
}

/* Requests in the local request log made by the informer's client; prints them. */
static size_t informer_requests(void)
{
    json_t *log = local("GET", "requests", NULL), *e;
    size_t i, n = 0;

    json_array_foreach(log, i, e)
    {
        const char *ua = json_string_value(json_object_get(e, "userAgent"));
        if (ua && strstr(ua, INFORMER_PROGRAM)) {
            n++;
            printf("    request: %s %s -> %lld\n", json_string_value(json_object_get(e, "method")),
                   json_string_value(json_object_get(e, "path")),
                   json_integer_value(json_object_get(e, "code")));
        }
    }
    json_decref(log);
    return n;
}

/* Total compact JSON size of the cached objects. */
static size_t cached_json_bytes(struct as_informer *inf)
{
    json_t *all = as_cache_list(as_informer_cache(inf)), *o;
    size_t i, total = 0;

    json_array_foreach(all, i, o)
    {
        char *s = as_json_dumps(o, JSON_COMPACT);
        total += s ? strlen(s) : 0;
        free(s);
    }
    json_decref(all);
    return total;
}

int main(void)
{
    const char *env_n = getenv("BENCH_OBJECTS");
    bool is_local =
        getenv("APPSTACK_LOCAL_APISERVER") && strcmp(getenv("APPSTACK_LOCAL_APISERVER"), "1") == 0;
    struct as_kube_client *ic;
    struct as_informer_options io = {0};
    struct as_informer_handlers h = {
        .on_add = count_add, .on_update = count_update, .on_delete = count_delete};
    struct as_informer *inf = NULL;
    struct as_informer_stats st;
    struct as_error err = {0};
    pthread_t th[4];
    json_t *nsobj;
    long rss0, rss1, rss2;
    size_t heap0, heap1;
    size_t bytes, n, reqs;
    double t0;

    if (env_n)
        nobjects = strtol(env_n, NULL, 10);
    json_object_seed(0);
    as_kube_global_init(&err);
    kc = client("bench-informer");
    ic = client(INFORMER_PROGRAM);
    snprintf(ns, sizeof(ns), "bench-inf-%ld", (long)getpid());
    nsobj = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata",
                      "name", ns);
    if (as_kube_create(kc, as_kube_resource_by_kind("v1", "Namespace"), NULL, nsobj, NULL, NULL,
                       &err) != AS_OK) {
        fprintf(stderr, "bench_informer: %s\n", err.message);
        return 2;
    }
    json_decref(nsobj);
    t0 = now_s();
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, creator, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    printf("created %ld ConfigMaps in %.1f s\n", nobjects, now_s() - t0);

    malloc_trim(0);
    rss0 = rss_kib();
    heap0 = heap_in_use();
    io.client = ic;
    io.res = CM;
    io.ns = ns;
    io.watch_timeout_seconds = 600;
    io.compact = getenv("BENCH_COMPACT") && strcmp(getenv("BENCH_COMPACT"), "1") == 0;
    printf("cache: %s\n", io.compact ? "compact (BENCH_COMPACT=1)" : "plain");
    if (as_informer_new(&io, &h, &inf, &err) != AS_OK || as_informer_start(inf, &err) != AS_OK) {
        fprintf(stderr, "bench_informer: %s\n", err.message);
        return 2;
    }
    t0 = now_s();
    as_informer_wait_synced(inf, -1);
    printf("informer synced %zu objects in %.2f s\n", as_cache_len(as_informer_cache(inf)),
           now_s() - t0);
    sleep(1);
    malloc_trim(0);
    rss1 = rss_kib();
    heap1 = heap_in_use();
    if (getenv("BENCH_MALLOC_STATS"))
        malloc_stats();
    bytes = cached_json_bytes(inf);
    printf("RSS before %ld KiB, after %ld KiB: +%ld KiB for %zu objects (%.0f bytes/object)\n",
           rss0, rss1, rss1 - rss0, as_cache_len(as_informer_cache(inf)),
           (double)(rss1 - rss0) * 1024.0 / (double)as_cache_len(as_informer_cache(inf)));
    printf("malloc'd bytes in use: +%zu KiB (%.0f bytes/object)\n", (heap1 - heap0) / 1024,
           (double)(heap1 - heap0) / (double)as_cache_len(as_informer_cache(inf)));
    printf("compact JSON of the cached objects: %zu KiB (%.0f bytes/object); RSS/JSON = %.2f\n",
           bytes / 1024, (double)bytes / (double)as_cache_len(as_informer_cache(inf)),
           (double)(rss1 - rss0) * 1024.0 / (double)bytes);

    if (is_local) {
        sleep(2); /* let the watch settle */
        json_decref(local("DELETE", "requests", NULL));
        atomic_store(&events_seen, 0);
        t0 = now_s();
        n = as_informer_resync(inf);
        printf("resync from cache: %zu objects re-delivered in %.3f s, %lu handler calls\n", n,
               now_s() - t0, atomic_load(&events_seen));
        sleep(2);
        reqs = informer_requests();
        printf("resync: informer requests during resync + 2 s: %zu (the open watch is logged "
               "only when it ends)\n",
               reqs);

        json_decref(local("DELETE", "requests", NULL));
        atomic_store(&events_seen, 0);
        as_informer_get_stats(inf, &st);
        unsigned long lists_before = st.lists;
        t0 = now_s();
        json_decref(local("POST", "compact", "{}"));
        do {
            usleep(50 * 1000);
            as_informer_get_stats(inf, &st);
        } while (st.lists == lists_before && now_s() - t0 < 120);
        printf("forced relist (410) of the unchanged informer: %.2f s, %lu handler events\n",
               now_s() - t0, atomic_load(&events_seen));
        sleep(1);
        reqs = informer_requests();
        printf("forced relist: informer requests: %zu\n", reqs);
        malloc_trim(0);
        rss2 = rss_kib();
        printf("RSS after the relist: %ld KiB (%+ld KiB)\n", rss2, rss2 - rss1);
    } else {
        printf("request counting skipped: needs the local API server's /_local/requests "
               "(APPSTACK_LOCAL_APISERVER=1)\n");
    }

    as_informer_free(inf);
    struct as_kube_delete_options d = {.propagation_policy = "Background",
                                       .grace_period_seconds = -1};
    as_kube_delete(kc, as_kube_resource_by_kind("v1", "Namespace"), NULL, ns, &d, NULL, &err);
    as_kube_client_free(ic);
    as_kube_client_free(kc);
    return 0;
}
