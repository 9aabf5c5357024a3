/*
 * operator/main.c - appstack-operator: start-up and shutdown.
 *
 * Parses the flags (options.h), makes the API client (with this process's
 * identity in the User-Agent and a request counter), registers the metrics,
 * serves /metrics, /healthz and /readyz (lib/httpd), starts the manager's
 * caches, and starts the workers at once or, with --leader-elect, when this
 * replica wins the Lease. SIGTERM/SIGINT: drain, release the Lease, exit 0.
 * Losing the Lease exits 1 (a restart begins again as a standby, as
 * controller-runtime does).
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "allocator.h"
#include "base/log.h"
#include "base/metrics.h"
#include "httpd/httpd.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "leader.h"
#include "manager.h"
#include "opmetrics.h"
#include "options.h"
#include "render/render.h"

#define METRICS_MAX (4u * 1024u * 1024u)

struct app {
    struct as_op_options o;
    char identity[160];
    struct as_kube_client *client;
    struct as_metrics *reg;
    struct as_op_metrics m;
    struct as_op_manager *mgr;
    struct as_leader *leader;
    struct as_httpd *metrics_srv, *health_srv;
    atomic_bool lost;
};

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* "<hostname>_<pid>_<8 hex>": unique per process, as client-go's leader identities. */
static void make_identity(char *buf, size_t size)
{
    char host[64] = "unknown";
    unsigned char r[4] = {0};

    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    RAND_bytes(r, sizeof(r));
    snprintf(buf, size, "%s_%ld_%02x%02x%02x%02x", host, (long)getpid(), r[0], r[1], r[2], r[3]);
}

/* /metrics on the metrics address; /healthz and /readyz on the probe address. */
static void serve(const char *method, const char *path, struct as_httpd_response *resp, void *ctx)
{
    struct app *a = ctx;

    (void)method;
    resp->content_type = "text/plain; charset=utf-8";
    if (strcmp(path, "/metrics") == 0) {
        resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
        if (as_metrics_render(a->reg, &resp->body) != AS_OK)
            resp->status = 500;
    } else if (strcmp(path, "/healthz") == 0 || strcmp(path, "/livez") == 0) {
        as_buf_append_str(&resp->body, "ok\n");
    } else if (strcmp(path, "/readyz") == 0) {
        bool ready = a->mgr != NULL && as_op_manager_synced(a->mgr);
        resp->status = ready ? 200 : 503;
        as_buf_append_str(&resp->body, ready ? "ok\n" : "informers not synced\n");
    } else {
        resp->status = 404;
        as_buf_append_str(&resp->body, "not found\n");
    }
}

static as_status start_http(struct app *a, const char *flag, const char *addr,
                            struct as_httpd **out, struct as_error *err)
{
    struct as_httpd_options ho = {.n_addrs = 1, .handler = serve, .ctx = a};
    const char *addrs[1] = {addr}, *names[1] = {flag};

    if (strcmp(addr, "0") == 0)
        return AS_OK;
    ho.addrs = addrs;
    ho.names = names;
    return as_httpd_start(&ho, out, err);
}

static void started_leading(void *ctx)
{
    struct app *a = ctx;
    struct as_error err = {0};

    as_log_info("became the leader", "identity", a->identity, NULL);
    as_metrics_gauge_set(a->m.leader, NULL, 1);
    if (as_op_manager_start_workers(a->mgr, &err) != AS_OK) {
        as_log_error("cannot start the workers", "error", err.message, NULL);
        atomic_store(&a->lost, true);
    }
}

static void stopped_leading(void *ctx)
{
    struct app *a = ctx;

    as_metrics_gauge_set(a->m.leader, NULL, 0);
    atomic_store(&a->lost, true);
}

static as_status make_client(struct app *a, struct as_error *err)
{
    struct as_kube_config_options co = {.kubeconfig = a->o.kubeconfig, .context = a->o.context};
    struct as_kube_client_options cl = {.program = "appstack-operator",
                                        .user_agent_comment = a->identity,
                                        .request_timeout_ms = 30000,
                                        .on_response = as_op_metrics_on_response,
                                        .on_response_ctx = &a->m};
    struct as_kube_config *cfg = NULL;
    as_status st = as_kube_global_init(err);

    if (st == AS_OK)
        st = as_kube_config_load(&co, &cfg, err);
    if (st == AS_OK)
        st = as_kube_client_new(cfg, &cl, &a->client, err);
    return st;
}

static as_status start_leader(struct app *a, struct as_error *err)
{
    const char *ns = a->o.lease_ns != NULL ? a->o.lease_ns : getenv("POD_NAMESPACE");
    struct as_leader_options lo = {.client = a->client,
                                   .ns = ns != NULL && ns[0] != '\0' ? ns : "appstack-system",
                                   .name = a->o.lease_name,
                                   .identity = a->identity};
    struct as_leader_callbacks cb = {started_leading, stopped_leading, a};
    as_status st = as_leader_new(&lo, &cb, &a->leader, err);

    if (st == AS_OK)
        st = as_leader_start(a->leader, err);
    return st;
}

/* Start-up; returns the exit status. */
static int run(struct app *a)
{
    struct as_error err = {0};
    struct as_op_manager_options mo = {0};
    as_status st = as_metrics_new(&a->reg);

    if (st == AS_OK)
        st = as_op_metrics_init(a->reg, &a->m);
    if (st == AS_OK)
        st = make_client(a, &err);
    mo.client = a->client;
    mo.ns = a->o.ns;
    mo.identity = a->identity;
    mo.workers = a->o.workers;
    mo.sync_period_s = a->o.sync_period_s;
    mo.metrics = &a->m;
    as_render_preload(); /* a fixed cost, paid before the threads' allocations start */
    if (st == AS_OK)     /* before the servers: their thread reads a->mgr */
        st = as_op_manager_new(&mo, &a->mgr, &err);
    if (st == AS_OK)
        st = start_http(a, "--metrics-bind-address", a->o.metrics_addr, &a->metrics_srv, &err);
    if (st == AS_OK)
        st = start_http(a, "--health-probe-bind-address", a->o.health_addr, &a->health_srv, &err);
    if (st == AS_OK)
        st = as_op_manager_start(a->mgr, &err);
    if (st == AS_OK && a->o.leader_elect) {
        as_metrics_gauge_set(a->m.leader, NULL, 0); /* a standby until the Lease is won */
        st = start_leader(a, &err);
    } else if (st == AS_OK) {
        as_metrics_gauge_set(a->m.leader, NULL, 1);
        st = as_op_manager_start_workers(a->mgr, &err);
    }
    if (st != AS_OK) {
        as_log_error("appstack-operator failed to start", "error",
                     err.message[0] ? err.message : as_status_message(st), NULL);
        return 1;
    }
    as_log_info("appstack-operator running", "version", AS_VERSION, "identity", a->identity,
                "namespace", a->o.ns ? a->o.ns : "(all)", "GLIBC_TUNABLES",
                getenv("GLIBC_TUNABLES") ? getenv("GLIBC_TUNABLES") : "", NULL);
    while (!g_stop && !atomic_load(&a->lost)) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&a->lost) && !g_stop) {
        /* another replica may lead soon: abort every request now, write nothing more */
        as_kube_client_shutdown(a->client);
        as_log_error("lost the leader Lease; exiting", NULL);
        return 1;
    }
    as_log_info("appstack-operator stopping", NULL);
    return 0;
}

/* Stops in order: workers (drain), Lease (released), informers, servers, client. */
static void teardown(struct app *a)
{
    as_op_manager_stop(a->mgr);
    as_log_debug("workers stopped", NULL);
    as_leader_free(a->leader);
    as_kube_client_shutdown(a->client);
    as_op_manager_free(a->mgr);
    as_log_debug("informers stopped", NULL);
    as_httpd_stop(a->metrics_srv);
    as_httpd_stop(a->health_srv);
    as_kube_client_free(a->client);
    as_metrics_free(a->reg);
}

int main(int argc, char **argv)
{
    static struct app a;
    struct as_error err = {0};
    struct sigaction sa;
    int rc;

    if (as_op_options_parse(argc, argv, &a.o, &err) != AS_OK) {
        fprintf(stderr, "appstack-operator: %s\n", err.message);
        return 2;
    }
    if (a.o.help) {
        fputs(as_op_options_help(), stdout);
        return 0;
    }
    if (a.o.version) {
        printf("appstack-operator %s (%s)\n", AS_VERSION, AS_GIT_COMMIT);
        return 0;
    }
    as_op_allocator_setup(argv); /* may run the program again, with the same argv */
    as_log_setup(a.o.log_level, a.o.log_format);
    json_object_seed(0);
    make_identity(a.identity, sizeof(a.identity));
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = run(&a);
    teardown(&a);
    return rc;
}
