/*
 * options.c - the operator's flags: a table of names, one parser per value
 * type, and the manual page printed by --help.
 */
#include "options.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
    "NAME\n"
    "    appstack-operator - reconcile AppStack resources into running application stacks\n"
    "\n"
    "SYNOPSIS\n"
    "    appstack-operator [--kubeconfig FILE] [--context NAME] [--namespace NS]\n"
    "                      [--leader-elect [--leader-election-namespace NS]\n"
    "                      [--leader-election-id NAME]] [--workers N] [--sync-period D]\n"
    "                      [--metrics-bind-address ADDR]\n"
    "                      [--health-probe-bind-address ADDR] [--log-level LEVEL]\n"
    "                      [--log-format FORMAT]\n"
    "    appstack-operator --help | --version\n"
    "\n"
    "DESCRIPTION\n"
    "    Watches AppStack objects (appstack.io/v1alpha1) and the children they own,\n"
    "    renders each stack into Kubernetes objects (Deployments, StatefulSets,\n"
    "    Services, CronJobs, Ingress or HTTPRoute, NetworkPolicies, ...), applies\n"
    "    only what differs with server-side apply (field manager appstack-operator),\n"
    "    deletes children that are no longer wanted, and writes the stack's status\n"
    "    (Ready, Reconciling, Stalled and domain conditions) when it changed. An\n"
    "    unchanged stack costs no write request.\n"
    "\n"
    "OPTIONS\n"
    "    --kubeconfig FILE\n"
    "        Kubeconfig to use. Default: $KUBECONFIG, then ~/.kube/config, then the\n"
    "        in-cluster service account.\n"
    "    --context NAME\n"
    "        Kubeconfig context to use. Default: the file's current-context.\n"
    "    --namespace NS\n"
    "        Watch AppStacks in this namespace only. Default: all namespaces.\n"
    "    --leader-elect[=true|false]\n"
    "        Elect one active replica through a coordination.k8s.io Lease, so that\n"
    "        several replicas never write at once. Default: false.\n"
    "    --leader-election-namespace NS\n"
    "        Namespace of the Lease. Default: $POD_NAMESPACE, else appstack-system.\n"
    "    --leader-election-id NAME\n"
    "        Name of the Lease. Default: appstack-operator.\n"
    "    --sync-period DURATION\n"
    "        How often every stack is reconciled again although nothing changed\n"
    "        (90s, 10m, 10h, 1d). Such a pass writes nothing when the cluster\n"
    "        already matches. Default: 10h.\n"
    "    --workers N\n"
    "        Stacks reconciled in parallel, 1 to 64. Default: 2.\n"
    "    --metrics-bind-address ADDR\n"
    "        Address of the Prometheus /metrics endpoint, [HOST]:PORT; \"0\" turns\n"
    "        it off. Default: :8080.\n"
    "    --health-probe-bind-address ADDR\n"
    "        Address of /healthz and /readyz (ready once the caches are synced),\n"
    "        [HOST]:PORT; \"0\" turns it off. Default: :8081.\n"
    "    --log-level LEVEL\n"
    "        debug, info, warn or error. Default: info.\n"
    "    --log-format FORMAT\n"
    "        text or json (one JSON object per line). Default: text.\n"
    "    -h, --help\n"
    "        Print this manual and exit.\n"
    "    --version\n"
    "        Print the version and the git commit and exit.\n"
    "\n"
    "SIGNALS\n"
    "    SIGTERM, SIGINT\n"
    "        Stop taking new work, let the running reconciles finish, release the\n"
    "        leader Lease and exit within a few seconds.\n"
    "\n"
    "EXIT STATUS\n"
    "    0   stopped by a signal, or --help/--version\n"
    "    1   a runtime failure (cannot reach the API server, lost the Lease, ...)\n"
    "    2   a usage error (unknown flag, bad value)\n"
    "\n"
    "ENVIRONMENT\n"
    "    KUBECONFIG\n"
    "        Kubeconfig file(s) used when --kubeconfig is not given.\n"
    "    KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT\n"
    "        Set by Kubernetes in a pod; with no kubeconfig the operator then uses\n"
    "        the pod's service account token and CA.\n"
    "    GLIBC_TUNABLES\n"
    "        At start the operator runs itself again with\n"
    "        glibc.malloc.tcache_count=0 added (per-thread malloc caches pin heap\n"
    "        pages; see docs/benchmarks.md), unless the variable names\n"
    "        glibc.malloc.tcache_count already: that setting then stands.\n"
    "\n"
    "EXAMPLES\n"
    "    Run against the current kubectl context, watching one namespace:\n"
    "        appstack-operator --namespace shop --log-level debug\n"
    "    Run in a cluster with two replicas (as manifests/ does):\n"
    "        appstack-operator --leader-elect --workers 4 --log-format json\n"
    "    Wait for a stack to be ready:\n"
    "        kubectl wait --for=condition=Ready appstack/shop --timeout=5m\n";

const char *as_op_options_help(void)
{
    return help_text;
}

void as_op_options_defaults(struct as_op_options *o)
{
    memset(o, 0, sizeof(*o));
    o->workers = AS_OP_WORKERS_DEFAULT;
    o->lease_name = "appstack-operator";
    o->sync_period_s = AS_OP_SYNC_PERIOD_DEFAULT;
    o->metrics_addr = ":8080";
    o->health_addr = ":8081";
    o->log_level = AS_LOG_INFO;
    o->log_format = AS_LOG_TEXT;
}

as_status as_op_check_bind_address(const char *flag, const char *addr, struct as_error *err)
{
    const char *colon, *p;
    long port;
    char *end;

    if (strcmp(addr, "0") == 0)
        return AS_OK;
    colon = strrchr(addr, ':');
    if (!colon)
        goto bad;
    if (addr[0] == '[' && (colon == addr || colon[-1] != ']'))
        goto bad;
    for (p = addr; p < colon; p++)
        if (*p == ' ' || (addr[0] != '[' && *p == ':'))
            goto bad;
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 || port < 1 || port > 65535)
        goto bad;
    return AS_OK;
bad:
    return as_error_set(err, AS_E_INVALID_ARG,
                        "%s: \"%s\" is not an address — use [HOST]:PORT with PORT 1..65535 "
                        "(e.g. :8080, 127.0.0.1:8080, [::1]:8080) or 0 to turn it off",
                        flag, addr);
}

as_status as_op_parse_duration(const char *flag, const char *v, long *out, struct as_error *err)
{
    char *end = NULL;
    long n, mul = 1;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno == 0 && end != v && n > 0) {
        if (*end == 's' || *end == '\0')
            mul = 1;
        else if (*end == 'm')
            mul = 60;
        else if (*end == 'h')
            mul = 3600;
        else if (*end == 'd')
            mul = 86400;
        else
            mul = 0;
        if (mul > 0 && (*end == '\0' || end[1] == '\0') && n <= 30L * 86400L / mul) {
            *out = n * mul;
            return AS_OK;
        }
    }
    return as_error_set(err, AS_E_INVALID_ARG,
                        "%s: \"%s\" is not a duration — use a number with s, m, h or d "
                        "(e.g. 90s, 10m, 10h), from 1s to 30d",
                        flag, v);
}

static as_status parse_workers(const char *v, int *out, struct as_error *err)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (v[0] == '\0' || *end != '\0' || errno != 0 || n < AS_OP_WORKERS_MIN ||
        n > AS_OP_WORKERS_MAX)
        return as_error_set(err, AS_E_INVALID_ARG,
                            "--workers: \"%s\" is not between %d and %d — give the number of "
                            "stacks to reconcile in parallel",
                            v, AS_OP_WORKERS_MIN, AS_OP_WORKERS_MAX);
    *out = (int)n;
    return AS_OK;
}

static as_status parse_bool(const char *flag, const char *v, bool *out, struct as_error *err)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *out = true;
        return AS_OK;
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *out = false;
        return AS_OK;
    }
    return as_error_set(err, AS_E_INVALID_ARG, "%s: \"%s\" is not a boolean — use true or false",
                        flag, v);
}

/* A DNS label (RFC 1123), as namespace names are. */
static as_status parse_namespace(const char *flag, const char *v, const char **out,
                                 struct as_error *err)
{
    size_t n = strlen(v);

    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0 && i < n - 1);
        if (!ok)
            n = 0;
    }
    if (n == 0 || n > 63)
        return as_error_set(
            err, AS_E_INVALID_ARG,
            "%s: \"%s\" is not a namespace name — use lower-case "
            "letters, digits and '-', at most 63 characters%s",
            flag, v,
            strcmp(flag, "--namespace") == 0 ? " (omit the flag to watch all namespaces)" : "");
    *out = v;
    return AS_OK;
}

enum flag_id {
    F_KUBECONFIG,
    F_CONTEXT,
    F_NAMESPACE,
    F_LEADER,
    F_LEASE_NS,
    F_LEASE_NAME,
    F_SYNC,
    F_WORKERS,
    F_METRICS,
    F_HEALTH,
    F_LEVEL,
    F_FORMAT,
    F_HELP,
    F_VERSION
};

static const struct {
    const char *name;
    enum flag_id id;
    bool takes_value; /* false: a switch (--leader-elect accepts =VALUE) */
} flags[] = {
    {"--kubeconfig", F_KUBECONFIG, true},
    {"--context", F_CONTEXT, true},
    {"--namespace", F_NAMESPACE, true},
    {"--leader-elect", F_LEADER, false},
    {"--leader-election-namespace", F_LEASE_NS, true},
    {"--leader-election-id", F_LEASE_NAME, true},
    {"--sync-period", F_SYNC, true},
    {"--workers", F_WORKERS, true},
    {"--metrics-bind-address", F_METRICS, true},
    {"--health-probe-bind-address", F_HEALTH, true},
    {"--log-level", F_LEVEL, true},
    {"--log-format", F_FORMAT, true},
    {"--help", F_HELP, false},
    {"-h", F_HELP, false},
    {"--version", F_VERSION, false},
};

/* Applies one flag with its value (NULL for a bare switch). */
static as_status apply(struct as_op_options *o, enum flag_id id, const char *name, const char *v,
                       struct as_error *err)
{
    switch (id) {
    case F_KUBECONFIG:
    case F_CONTEXT:
        if (v[0] == '\0')
            return as_error_set(err, AS_E_INVALID_ARG, "%s: the value is empty — %s", name,
                                id == F_KUBECONFIG ? "give a file path" : "give a context name");
        if (id == F_KUBECONFIG)
            o->kubeconfig = v;
        else
            o->context = v;
        return AS_OK;
    case F_NAMESPACE:
        return parse_namespace(name, v, &o->ns, err);
    case F_LEADER:
        if (!v) {
            o->leader_elect = true;
            return AS_OK;
        }
        return parse_bool(name, v, &o->leader_elect, err);
    case F_LEASE_NS:
        return parse_namespace(name, v, &o->lease_ns, err);
    case F_LEASE_NAME:
        if (v[0] == '\0' || strlen(v) > 253 ||
            strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-.") != strlen(v))
            return as_error_set(err, AS_E_INVALID_ARG,
                                "%s: \"%s\" is not a valid Lease name — use lower-case letters, "
                                "digits, '-' and '.'",
                                name, v);
        o->lease_name = v;
        return AS_OK;
    case F_SYNC:
        return as_op_parse_duration(name, v, &o->sync_period_s, err);
    case F_WORKERS:
        return parse_workers(v, &o->workers, err);
    case F_METRICS:
    case F_HEALTH:
        if (as_op_check_bind_address(name, v, err) != AS_OK)
            return AS_E_INVALID_ARG;
        if (id == F_METRICS)
            o->metrics_addr = v;
        else
            o->health_addr = v;
        return AS_OK;
    case F_LEVEL:
        return as_log_parse_level(v, &o->log_level, err);
    case F_FORMAT:
        return as_log_parse_format(v, &o->log_format, err);
    case F_HELP:
    case F_VERSION:
        if (v)
            return as_error_set(err, AS_E_INVALID_ARG, "%s: takes no value", name);
        if (id == F_HELP)
            o->help = true;
        else
            o->version = true;
        return AS_OK;
    }
    return AS_E_INVALID_ARG;
}

as_status as_op_options_parse(int argc, char **argv, struct as_op_options *out,
                              struct as_error *err)
{
    struct as_op_options o;

    as_op_options_defaults(&o);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *eq = strchr(arg, '='), *value = NULL;
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        size_t f, nflags = sizeof(flags) / sizeof(flags[0]);
        as_status st;

        for (f = 0; f < nflags; f++)
            if (strlen(flags[f].name) == nlen && strncmp(arg, flags[f].name, nlen) == 0)
                break;
        if (f == nflags)
            return as_error_set(err, AS_E_INVALID_ARG,
                                "%s: unknown %s — see appstack-operator --help", arg,
                                arg[0] == '-' ? "option" : "argument (the operator takes none)");
        if (eq)
            value = eq + 1;
        else if (flags[f].takes_value) {
            if (i + 1 >= argc)
                return as_error_set(err, AS_E_INVALID_ARG, "%s: needs a value — see --help",
                                    flags[f].name);
            value = argv[++i];
        }
        st = apply(&o, flags[f].id, flags[f].name, value, err);
        if (st != AS_OK)
            return st;
        if (o.help || o.version)
            break;
    }
    *out = o;
    return AS_OK;
}
