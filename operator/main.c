/*
 * operator/main.c - appstack-operator: command line and start-up.
 *
 * The reconcile loop lands with the operator issue; today this program only
 * answers --help and --version.
 */
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("Usage: appstack-operator [OPTIONS]\n"
          "\n"
          "Reconciles AppStack resources into running application stacks.\n"
          "\n"
          "Options:\n"
          "  -h, --help      show this help and exit\n"
          "      --version   print the version and exit\n",
          out);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("appstack-operator %s (%s)\n", AS_VERSION, AS_GIT_COMMIT);
            return 0;
        }
        fprintf(stderr, "appstack-operator: unknown option '%s'; see --help\n", argv[i]);
        return 2;
    }
    fputs("appstack-operator: the reconcile loop is not implemented yet\n", stderr);
    return 1;
}
