/*
 * operator/main.c - appstack-operator: command line and start-up.
 *
 * Parses the flags (options.h) and sets up logging. The reconcile loop
 * (informers, work queue, apply, prune, status) is not wired yet: after
 * validating the flags the program says so and exits 1.
 */
#include <stdio.h>

#include "base/log.h"
#include "options.h"

int main(int argc, char **argv)
{
    struct as_op_options opts;
    struct as_error err;

    if (as_op_options_parse(argc, argv, &opts, &err) != AS_OK) {
        fprintf(stderr, "appstack-operator: %s\n", err.message);
        return 2;
    }
    if (opts.help) {
        fputs(as_op_options_help(), stdout);
        return 0;
    }
    if (opts.version) {
        printf("appstack-operator %s (%s)\n", AS_VERSION, AS_GIT_COMMIT);
        return 0;
    }
    as_log_setup(opts.log_level, opts.log_format);
    fputs("appstack-operator: the reconcile loop is not implemented yet\n", stderr);
    return 1;
}
