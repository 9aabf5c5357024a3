/*
 * webhook/main.c - appstack-webhook: command line, start-up and the
 * maintenance thread (certificate reload / rotation). The HTTPS service loop
 * runs on the main thread; informers run on their own threads.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/yaml.h"
#include "appstack.h"
#include "certsrc.h"
#include "jobs.h"
#include "jsonalloc.h"
#include "kube/client.h"
#include "kube/kubeconfig.h"
#include "kube/ops.h"
#include "kube/resource.h"
#include "policywatch.h"
#include "routes.h"
#include "server.h"
#include "tls/certs.h"
#include "tlsstore.h"

struct opts {
    const char *listen, *kubeconfig, *context, *cert_file, *key_file;
    const char *cert_secret, *service, *webhook_configs, *policy_name, *policy_file;
    const char *operator_sa, *audit_log;
    int64_t cert_validity;
    unsigned workers; /* decision threads; 0 = on the service thread */
    bool local, no_watch;
    enum as_log_level level;
    enum as_log_format format;
};

static void usage(FILE *out)
{
    fputs(
        "NAME\n"
        "    appstack-webhook - admission webhook enforcing AppStack security and resource "
        "policies\n"
        "\n"
        "SYNOPSIS\n"
        "    appstack-webhook [--listen HOST:PORT] --tls-cert-file FILE --tls-key-file FILE "
        "[OPTIONS]\n"
        "    appstack-webhook [--listen HOST:PORT] --cert-secret NS/NAME --service NS/NAME\n"
        "                     [--webhook-config NAMES] [--cert-validity DURATION] [--local] "
        "[OPTIONS]\n"
        "\n"
        "DESCRIPTION\n"
        "    Serves Kubernetes AdmissionReview v1 requests over HTTPS (TLS 1.2 or newer,\n"
        "    HTTP/1.1 keep-alive, request bodies up to 3 MiB) and answers them with the\n"
        "    AppStack policy engine: Pod Security Standards, resources, images, exposure,\n"
        "    secret hygiene and guarded AppStack children. The rules' modes come from the\n"
        "    cluster-scoped AppStackPolicy named by --policy-name and the namespaced\n"
        "    AppStackPolicyExceptions, watched live; the built-in default applies until a\n"
        "    policy exists.\n"
        "\n"
        "ENDPOINTS\n"
        "    POST /validate            deny enforced violations, warn, audit annotations\n"
        "    POST /validate/enforce    only enforced violations (failurePolicy Fail)\n"
        "    POST /validate/advisory   only warnings and audit annotations (failurePolicy Ignore)\n"
        "    POST /mutate              JSONPatch of the mutating rules (defaults)\n"
        "    GET  /healthz             the process is serving\n"
        "    GET  /readyz              200 while the certificate is valid and policies synced\n"
        "    GET  /metrics             Prometheus text format\n"
        "\n"
        "OPTIONS\n"
        "    --listen HOST:PORT        address to serve on (default :8443)\n"
        "    --kubeconfig FILE         kubeconfig (default $KUBECONFIG, ~/.kube/config, "
        "in-cluster)\n"
        "    --context NAME            kubeconfig context (default: current-context)\n"
        "    --tls-cert-file FILE      serving certificate (PEM, chain after the leaf); re-read\n"
        "                              when the file changes, for new connections\n"
        "    --tls-key-file FILE       its private key (PEM)\n"
        "    --cert-secret NS/NAME     self-managed mode: keep a CA and serving certificate in\n"
        "                              this Secret (created once, reused on restart)\n"
        "    --service NS/NAME         the webhook Service; SANs NAME.NS.svc and\n"
        "                              NAME.NS.svc.cluster.local\n"
        "    --webhook-config NAMES    comma-separated Mutating/ValidatingWebhookConfiguration\n"
        "                              names whose caBundle is kept current\n"
        "    --cert-validity DURATION  serving certificate lifetime, e.g. 90d, 12h, 30s (default\n"
        "                              90d); re-issued at two thirds; the CA lives ten times "
        "longer\n"
        "    --local                   add the SANs 127.0.0.1 and localhost (local development)\n"
        "    --policy-name NAME        the AppStackPolicy to follow (default \"default\")\n"
        "    --policy-file FILE        use this AppStackPolicy (YAML or JSON) instead of watching\n"
        "    --no-watch                do not contact an API server for policies (offline, tests)\n"
        "    --operator-service-account system:serviceaccount:NS:NAME\n"
        "                              the operator's account, allowed to change guarded children\n"
        "                              (default " AS_POLICY_DEFAULT_OPERATOR_SA ")\n"
        "    --audit-log FILE|-        append one JSON line per decision (- = stdout)\n"
        "    --workers N               threads that decide large reviews (64 KiB and more)\n"
        "                              while the service thread keeps serving the others\n"
        "                              (default: one per CPU this process may run on, at\n"
        "                              most 4; 0 = everything on the service thread)\n"
        "    --log-level LEVEL         debug, info, warn or error (default info)\n"
        "    --log-format FORMAT       text or json (default text)\n"
        "    -h, --help                show this help and exit\n"
        "    --version                 print the version and exit\n"
        "\n"
        "EXIT STATUS\n"
        "    0 after SIGTERM/SIGINT, 1 when start-up fails, 2 on usage errors.\n"
        "\n"
        "EXAMPLES\n"
        "    appstack-webhook --listen 127.0.0.1:9443 --tls-cert-file tls.crt --tls-key-file "
        "tls.key\n"
        "    appstack-webhook --cert-secret appstack-system/appstack-webhook-tls \\\n"
        "        --service appstack-system/appstack-webhook \\\n"
        "        --webhook-config appstack-validating,appstack-mutating\n",
        out);
}

static struct as_server *g_server;

static void on_signal(int sig)
{
    (void)sig;
    if (g_server != NULL)
        as_server_stop(g_server);
}

/* "90d", "12h", "30m", "45s" or plain seconds. */
static bool parse_duration(const char *s, int64_t *out)
{
    char *end = NULL;
    long long v;
    int64_t mul = 1;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || v <= 0)
        return false;
    if (*end == 'd')
        mul = 86400;
    else if (*end == 'h')
        mul = 3600;
    else if (*end == 'm')
        mul = 60;
    else if (*end == 's' || *end == '\0')
        mul = 1;
    else
        return false;
    if (*end != '\0' && end[1] != '\0')
        return false;
    if (v > INT64_MAX / mul / 20)
        return false;
    *out = (int64_t)v * mul;
    return true;
}

/* "0".."AS_JOBS_MAX_THREADS" into *out. */
static bool parse_workers(const char *s, unsigned *out)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > AS_JOBS_MAX_THREADS)
        return false;
    *out = (unsigned)v;
    return true;
}

/* Default --workers: the CPUs this process may run on (affinity), 1..4. */
static unsigned default_workers(void)
{
    cpu_set_t set;
    int n = 0;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1u : n > 4 ? 4u : (unsigned)n;
}

/* Parses argv into o. Returns 0 to go on, 1 after --help/--version, 2 on usage errors. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    enum {
        O_LISTEN = 256,
        O_KUBECONFIG,
        O_CONTEXT,
        O_CERT,
        O_KEY,
        O_SECRET,
        O_SERVICE,
        O_HOOKS,
        O_VALIDITY,
        O_LOCAL,
        O_POLICY,
        O_POLICY_FILE,
        O_NO_WATCH,
        O_OPSA,
        O_AUDIT,
        O_LEVEL,
        O_FORMAT,
        O_WORKERS,
        O_VERSION
    };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, O_LISTEN},
        {"kubeconfig", required_argument, NULL, O_KUBECONFIG},
        {"context", required_argument, NULL, O_CONTEXT},
        {"tls-cert-file", required_argument, NULL, O_CERT},
        {"tls-key-file", required_argument, NULL, O_KEY},
        {"cert-secret", required_argument, NULL, O_SECRET},
        {"service", required_argument, NULL, O_SERVICE},
        {"webhook-config", required_argument, NULL, O_HOOKS},
        {"cert-validity", required_argument, NULL, O_VALIDITY},
        {"local", no_argument, NULL, O_LOCAL},
        {"policy-name", required_argument, NULL, O_POLICY},
        {"policy-file", required_argument, NULL, O_POLICY_FILE},
        {"no-watch", no_argument, NULL, O_NO_WATCH},
        {"operator-service-account", required_argument, NULL, O_OPSA},
        {"audit-log", required_argument, NULL, O_AUDIT},
        {"log-level", required_argument, NULL, O_LEVEL},
        {"log-format", required_argument, NULL, O_FORMAT},
        {"workers", required_argument, NULL, O_WORKERS},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0},
    };
    struct as_error err = {0};
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case O_LISTEN:
            o->listen = optarg;
            break;
        case O_KUBECONFIG:
            o->kubeconfig = optarg;
            break;
        case O_CONTEXT:
            o->context = optarg;
            break;
        case O_CERT:
            o->cert_file = optarg;
            break;
        case O_KEY:
            o->key_file = optarg;
            break;
        case O_SECRET:
            o->cert_secret = optarg;
            break;
        case O_SERVICE:
            o->service = optarg;
            break;
        case O_HOOKS:
            o->webhook_configs = optarg;
            break;
        case O_LOCAL:
            o->local = true;
            break;
        case O_POLICY:
            o->policy_name = optarg;
            break;
        case O_POLICY_FILE:
            o->policy_file = optarg;
            break;
        case O_NO_WATCH:
            o->no_watch = true;
            break;
        case O_OPSA:
            o->operator_sa = optarg;
            break;
        case O_AUDIT:
            o->audit_log = optarg;
            break;
        case O_VALIDITY:
            if (!parse_duration(optarg, &o->cert_validity)) {
                fprintf(stderr,
                        "appstack-webhook: --cert-validity %s: expected a duration like "
                        "90d, 12h, 30m or 45s\n",
                        optarg);
                return 2;
            }
            break;
        case O_WORKERS:
            if (!parse_workers(optarg, &o->workers)) {
                fprintf(stderr,
                        "appstack-webhook: --workers %s: expected a number of threads from 0 "
                        "to %d\n",
                        optarg, AS_JOBS_MAX_THREADS);
                return 2;
            }
            break;
        case O_LEVEL:
            if (as_log_parse_level(optarg, &o->level, &err) != AS_OK) {
                fprintf(stderr, "appstack-webhook: %s\n", err.message);
                return 2;
            }
            break;
        case O_FORMAT:
            if (as_log_parse_format(optarg, &o->format, &err) != AS_OK) {
                fprintf(stderr, "appstack-webhook: %s\n", err.message);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 1;
        case O_VERSION:
            printf("appstack-webhook %s (%s)\n", AS_VERSION, AS_GIT_COMMIT);
            return 1;
        case ':':
            fprintf(stderr, "appstack-webhook: option '%s' needs a value; see --help\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "appstack-webhook: unknown option '%s'; see --help\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "appstack-webhook: unexpected argument '%s'; see --help\n", argv[optind]);
        return 2;
    }
    if ((o->cert_file != NULL) != (o->key_file != NULL)) {
        fputs("appstack-webhook: --tls-cert-file and --tls-key-file go together\n", stderr);
        return 2;
    }
    if (o->cert_file == NULL && o->cert_secret == NULL) {
        fputs("appstack-webhook: give --tls-cert-file/--tls-key-file, or --cert-secret for "
              "self-managed certificates; see --help\n",
              stderr);
        return 2;
    }
    if (o->cert_file != NULL && o->cert_secret != NULL) {
        fputs("appstack-webhook: --tls-cert-file and --cert-secret exclude each other\n", stderr);
        return 2;
    }
    if (o->cert_secret != NULL && o->service == NULL && !o->local) {
        fputs("appstack-webhook: --cert-secret needs --service NS/NAME (or --local) for the "
              "certificate's names\n",
              stderr);
        return 2;
    }
    return 0;
}

/* Splits "NS/NAME" into two buffers. */
static bool split_ref(const char *s, char *ns, size_t nsz, char *name, size_t namesz)
{
    const char *slash = strchr(s, '/');

    if (slash == NULL || slash == s || slash[1] == '\0' || (size_t)(slash - s) >= nsz ||
        strlen(slash + 1) >= namesz || strchr(slash + 1, '/') != NULL)
        return false;
    memcpy(ns, s, (size_t)(slash - s));
    ns[slash - s] = '\0';
    memcpy(name, slash + 1, strlen(slash + 1) + 1);
    return true;
}

/* Everything the running program holds. */
struct app {
    struct opts o;
    struct as_kube_client *client;
    struct as_policyset *policies;
    struct as_tlsstore *tls;
    struct as_metrics *metrics;
    struct as_routes routes;
    struct as_certsrc_options cs;
    char secret_ns[254], secret_name[254], sans_buf[2][600];
    const char *sans[4];
    char *hooks_copy;
    const char *hooks[16];
    char *cert_pem, *key_pem; /* initial material for lws */
    atomic_bool stop;
    pthread_t maint;
    bool maint_started;
    int64_t interval;
};

/* Self-managed: ensure the Secret, inject the bundle, install the certificate. */
static as_status self_managed_round(struct app *a, bool first, struct as_error *err)
{
    struct as_certsrc_material m = {0};
    as_status st = as_certsrc_ensure(a->client, &a->cs, (int64_t)time(NULL), &m, err);

    if (st == AS_OK && a->cs.n_webhook_configs > 0)
        st = as_certsrc_inject(a->client, &a->cs, m.bundle.data, m.bundle.len, err);
    if (st == AS_OK)
        st = as_tlsstore_set_pem(a->tls, m.cert.data, m.cert.len, m.key.data, m.key.len, err);
    if (st == AS_OK && first) {
        a->cert_pem = strdup(m.cert.data);
        a->key_pem = strdup(m.key.data);
        if (a->cert_pem == NULL || a->key_pem == NULL)
            st = AS_E_NOMEM;
    }
    as_certsrc_material_free(&m);
    return st;
}

/* One maintenance step: reload the files, or rotate when due. */
static void maintain(struct app *a)
{
    struct as_error err = {0};
    bool changed = false;

    if (a->o.cert_file != NULL) {
        if (as_tlsstore_reload_files(a->tls, a->o.cert_file, a->o.key_file, &changed, &err) !=
            AS_OK)
            as_log_error("certificate reload failed; the previous certificate stays in use",
                         "error", err.message, NULL);
        else if (changed)
            as_log_info("serving certificate reloaded", "file", a->o.cert_file, NULL);
        return;
    }
    if (as_cert_should_rotate(as_tlsstore_not_before(a->tls), as_tlsstore_not_after(a->tls),
                              (int64_t)time(NULL))) {
        if (self_managed_round(a, false, &err) != AS_OK)
            as_log_error("certificate rotation failed; retrying", "error", err.message, NULL);
        else
            as_log_info("serving certificate rotated", NULL);
    }
}

static void *maint_main(void *arg)
{
    struct app *a = arg;

    while (!atomic_load(&a->stop)) {
        for (int64_t i = 0; i < a->interval * 10 && !atomic_load(&a->stop); i++) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (!atomic_load(&a->stop))
            maintain(a);
    }
    return NULL;
}

/* Loads --policy-file into the policy set. */
static as_status load_policy_file(struct app *a, struct as_error *err)
{
    FILE *f = fopen(a->o.policy_file, "rb");
    struct as_buf b;
    char chunk[8192];
    size_t n;
    json_t *doc = NULL;
    as_status st = AS_OK;

    if (f == NULL)
        return as_error_set(err, AS_E_IO, "--policy-file %s: %s", a->o.policy_file,
                            strerror(errno));
    as_buf_init(&b, 1024 * 1024);
    while (st == AS_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        st = as_buf_append(&b, chunk, n);
    fclose(f);
    if (st == AS_OK)
        st = as_yaml_to_json_one(b.data != NULL ? b.data : "", b.len, &doc, err);
    if (st == AS_OK)
        st = as_policyset_use_policy(a->policies, doc, err);
    if (st != AS_OK)
        as_error_prefix(err, "--policy-file %s", a->o.policy_file);
    json_decref(doc);
    as_buf_free(&b);
    return st;
}

/* Creates the API client (needed for watching and self-managed certificates). */
static as_status make_client(struct app *a, struct as_error *err)
{
    struct as_kube_config_options co = {.kubeconfig = a->o.kubeconfig, .context = a->o.context};
    struct as_kube_client_options cl = {.program = "appstack-webhook"};
    struct as_kube_config *cfg = NULL;
    as_status st = as_kube_global_init(err);

    if (st == AS_OK)
        st = as_kube_config_load(&co, &cfg, err);
    if (st == AS_OK)
        st = as_kube_client_new(cfg, &cl, &a->client, err);
    return st;
}

/*
 * admit.h's read_object hook (ctx: the API client): GETs the object a /scale
 * request changes. A kind the client does not know, or a missing object, is
 * no parent (nothing the operator made); other failures make the guarded
 * rule refuse the scale, and are logged.
 */
static as_status read_scaled_object(void *ctx, const char *group, const char *plural,
                                    const char *ns, const char *name, json_t **out)
{
    const struct as_kube_resource *res = as_kube_resource_by_plural(group, plural);
    struct as_error err = {0};
    as_status st;

    *out = NULL;
    if (res == NULL)
        return AS_OK;
    st = as_kube_get(ctx, res, ns, name, out, &err);
    if (st == AS_E_API_NOT_FOUND) {
        *out = NULL;
        return AS_OK;
    }
    if (st != AS_OK)
        as_log_warn("reading a scaled object failed: its /scale is refused until it can be read",
                    "resource", plural, "namespace", ns, "name", name, "error", err.message, NULL);
    return st;
}

/* Fills the self-managed certificate options from the flags. */
static as_status setup_certsrc(struct app *a, struct as_error *err)
{
    char sns[254], sname[254];
    size_t n = 0;

    if (!split_ref(a->o.cert_secret, a->secret_ns, sizeof(a->secret_ns), a->secret_name,
                   sizeof(a->secret_name)))
        return as_error_set(err, AS_E_INVALID_ARG, "--cert-secret %s: expected NAMESPACE/NAME",
                            a->o.cert_secret);
    if (a->o.service != NULL) {
        if (!split_ref(a->o.service, sns, sizeof(sns), sname, sizeof(sname)))
            return as_error_set(err, AS_E_INVALID_ARG, "--service %s: expected NAMESPACE/NAME",
                                a->o.service);
        snprintf(a->sans_buf[0], sizeof(a->sans_buf[0]), "%s.%s.svc", sname, sns);
        snprintf(a->sans_buf[1], sizeof(a->sans_buf[1]), "%s.%s.svc.cluster.local", sname, sns);
        a->sans[n++] = a->sans_buf[0];
        a->sans[n++] = a->sans_buf[1];
    }
    if (a->o.local) {
        a->sans[n++] = "localhost";
        a->sans[n++] = "127.0.0.1";
    }
    a->cs.secret_ns = a->secret_ns;
    a->cs.secret_name = a->secret_name;
    a->cs.sans = a->sans;
    a->cs.n_sans = n;
    a->cs.validity = a->o.cert_validity;
    if (a->o.webhook_configs != NULL) {
        char *save = NULL, *tok;
        a->hooks_copy = strdup(a->o.webhook_configs);
        if (a->hooks_copy == NULL)
            return AS_E_NOMEM;
        for (tok = strtok_r(a->hooks_copy, ",", &save); tok != NULL && a->cs.n_webhook_configs < 16;
             tok = strtok_r(NULL, ",", &save))
            a->hooks[a->cs.n_webhook_configs++] = tok;
        a->cs.webhook_configs = a->hooks;
    }
    return AS_OK;
}

/* Reads the first certificate for lws (file mode). */
static as_status initial_files(struct app *a, struct as_error *err)
{
    bool changed = false;
    FILE *f;
    struct as_buf b[2];
    const char *paths[2] = {a->o.cert_file, a->o.key_file};
    char chunk[4096];
    size_t n;
    as_status st = as_tlsstore_reload_files(a->tls, a->o.cert_file, a->o.key_file, &changed, err);

    for (int i = 0; i < 2 && st == AS_OK; i++) {
        as_buf_init(&b[i], 1024 * 1024);
        f = fopen(paths[i], "rb");
        if (f == NULL) {
            as_buf_free(&b[i]);
            return as_error_set(err, AS_E_IO, "%s: %s", paths[i], strerror(errno));
        }
        while (st == AS_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
            st = as_buf_append(&b[i], chunk, n);
        fclose(f);
        if (i == 0)
            a->cert_pem = as_buf_steal(&b[0]);
        else
            a->key_pem = as_buf_steal(&b[1]);
        as_buf_wipe_free(&b[i]);
    }
    as_memwipe(chunk, sizeof(chunk));
    return st;
}

/* Start-up; returns the process exit status. */
static int run(struct app *a)
{
    struct as_error err = {0};
    struct as_server_options so = {0};
    char host[256];
    int port = 0;
    as_status st;

    st = as_server_parse_listen(a->o.listen, host, sizeof(host), &port, &err);
    if (st == AS_OK)
        st = as_metrics_new(&a->metrics);
    if (st == AS_OK)
        st = as_tlsstore_new(&a->tls);
    if (st == AS_OK)
        st = as_policyset_new(a->o.policy_name, a->o.operator_sa, as_appstack_validator(), 1,
                              &a->policies, &err);
    if (st == AS_OK && a->o.policy_file != NULL)
        st = load_policy_file(a, &err);
    if (st == AS_OK && (a->o.cert_secret != NULL || (!a->o.no_watch && a->o.policy_file == NULL)))
        st = make_client(a, &err);
    if (st == AS_OK && a->client != NULL && !a->o.no_watch && a->o.policy_file == NULL)
        st = as_policyset_watch(a->policies, a->client, &err);
    if (st == AS_OK && a->o.cert_secret != NULL) {
        st = setup_certsrc(a, &err);
        if (st == AS_OK)
            st = self_managed_round(a, true, &err);
    } else if (st == AS_OK) {
        st = initial_files(a, &err);
    }
    if (st == AS_OK && a->o.audit_log != NULL) {
        a->routes.audit = strcmp(a->o.audit_log, "-") == 0 ? stdout : fopen(a->o.audit_log, "a");
        if (a->routes.audit == NULL)
            st = as_error_set(&err, AS_E_IO, "--audit-log %s: %s", a->o.audit_log, strerror(errno));
    }
    a->routes.policies = a->policies;
    a->routes.tls = a->tls;
    a->routes.metrics = a->metrics;
    if (a->client != NULL) {
        a->routes.read_object = read_scaled_object;
        a->routes.read_ctx = a->client;
    }
    if (st == AS_OK)
        st = as_routes_init(&a->routes);
    so.host = host;
    so.port = port;
    so.tls = a->tls;
    so.initial_cert_pem = a->cert_pem;
    so.initial_key_pem = a->key_pem;
    so.handler = as_routes_handle;
    so.handler_ctx = &a->routes;
    so.workers = a->o.workers;
    if (st == AS_OK)
        st = as_server_new(&so, &g_server, &err);
    if (a->key_pem != NULL) {
        as_memwipe(a->key_pem, strlen(a->key_pem));
        free(a->key_pem);
        a->key_pem = NULL;
    }
    if (st != AS_OK) {
        as_log_error("appstack-webhook failed to start", "error",
                     err.message[0] ? err.message : as_status_message(st), NULL);
        return 1;
    }
    /* files: a stat every 2 s; self-managed: often enough to rotate at 2/3 of the lifetime */
    a->interval = a->o.cert_file != NULL ? 2 : a->o.cert_validity / 20;
    if (a->interval < 1)
        a->interval = 1;
    if (a->interval > 10)
        a->interval = 10;
    if (pthread_create(&a->maint, NULL, maint_main, a) == 0)
        a->maint_started = true;
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    as_log_info("appstack-webhook serving", "listen", a->o.listen, "version", AS_VERSION, NULL);
    as_server_run(g_server);
    as_log_info("appstack-webhook stopping", NULL);
    return 0;
}

/* Frees what run() made, in reverse order. */
static void teardown(struct app *a)
{
    atomic_store(&a->stop, true);
    if (a->maint_started)
        pthread_join(a->maint, NULL);
    if (a->client != NULL)
        as_kube_client_shutdown(a->client);
    as_server_free(g_server);
    g_server = NULL;
    as_policyset_free(a->policies);
    as_kube_client_free(a->client);
    as_tlsstore_free(a->tls);
    as_metrics_free(a->metrics);
    if (a->routes.audit != NULL && a->routes.audit != stdout)
        fclose(a->routes.audit);
    free(a->hooks_copy);
    free(a->cert_pem);
}

int main(int argc, char **argv)
{
    static struct app a;
    int rc;

    a.o.listen = ":8443";
    a.o.policy_name = "default";
    a.o.cert_validity = 90 * 86400;
    a.o.level = AS_LOG_INFO;
    a.o.format = AS_LOG_TEXT;
    a.o.workers = default_workers();
    rc = parse_args(argc, argv, &a.o);
    if (rc != 0)
        return rc == 1 ? 0 : 2;
    as_log_setup(a.o.level, a.o.format);
    /* Few arenas, and 1 MiB review bodies go back to the kernel when freed
     * instead of raising the heap's high-water mark (RSS target, bench). */
    mallopt(M_ARENA_MAX, 2);
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024); /* a fixed mmap threshold pins this too */
    as_jsonalloc_install(); /* before the first JSON value: reviews allocate through it */
    json_object_seed(0);
    rc = run(&a);
    teardown(&a);
    return rc;
}
