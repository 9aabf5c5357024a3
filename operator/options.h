/*
 * options.h - appstack-operator's command line: the flags of the operator
 * issue parsed into one struct, with errors that name the flag and say what
 * to do, and the --help text (a manual page). Pure: no I/O, no environment
 * reads (main.c prints and exits).
 */
#ifndef AS_OPERATOR_OPTIONS_H
#define AS_OPERATOR_OPTIONS_H

#include <stdbool.h>

#include "base/log.h"
#include "base/status.h"

#define AS_OP_WORKERS_MIN 1
#define AS_OP_WORKERS_MAX 64
#define AS_OP_WORKERS_DEFAULT 2
#define AS_OP_SYNC_PERIOD_DEFAULT (10L * 3600L)

struct as_op_options {
    const char *kubeconfig; /* --kubeconfig; borrowed from argv; NULL = $KUBECONFIG, ~/.kube/config
                               or in-cluster */
    const char *context;    /* --context; NULL = the kubeconfig's current-context */
    const char *ns;         /* --namespace; NULL = all namespaces */
    bool leader_elect;      /* --leader-elect[=true|false]; default false */
    const char *lease_ns;   /* --leader-election-namespace; NULL = $POD_NAMESPACE (main.c)
                               or "appstack-system" */
    const char *lease_name; /* --leader-election-id; default "appstack-operator" */
    long sync_period_s;     /* --sync-period DURATION; default 10h (as controller-runtime) */
    int workers;            /* --workers N, 1..64; default 2 */
    const char *metrics_addr;      /* --metrics-bind-address; default ":8080"; "0" = off */
    const char *health_addr;       /* --health-probe-bind-address; default ":8081"; "0" = off */
    enum as_log_level log_level;   /* --log-level; default info */
    enum as_log_format log_format; /* --log-format; default text */
    bool help;                     /* -h/--help given: print as_op_options_help(), exit 0 */
    bool version;                  /* --version given: print the version, exit 0 */
};

/* Fills o with the defaults above. */
void as_op_options_defaults(struct as_op_options *o);

/*
 * Parses argv[1..argc-1] into *out (strings borrowed from argv). Forms:
 * "--flag value" and "--flag=value"; --leader-elect alone means true.
 * On error AS_E_INVALID_ARG, err says which flag and what to do
 * ("--workers: \"0\" is not between 1 and 64 — ..."), and *out is untouched.
 * --help and --version stop the parsing (later arguments are not checked).
 */
as_status as_op_options_parse(int argc, char **argv, struct as_op_options *out,
                              struct as_error *err);

/*
 * Checks a bind address: "0" (disabled), ":PORT", "HOST:PORT" or
 * "[IPV6]:PORT" with PORT 1..65535. flag names the option in the message.
 */
as_status as_op_check_bind_address(const char *flag, const char *addr, struct as_error *err);

/* "90s", "10m", "10h", "1d" or plain seconds -> seconds (1 s .. 30 d). Pure. */
as_status as_op_parse_duration(const char *flag, const char *v, long *out, struct as_error *err);

/* The --help text (a manual page: SYNOPSIS ... EXAMPLES). Static, borrowed. */
const char *as_op_options_help(void);

#endif
