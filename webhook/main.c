/*
 * webhook/main.c - appstack-webhook: command line and start-up.
 *
 * The reconcile loop lands with the operator issue; today this program only
 * answers --help and --version.
 */
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("Usage: appstack-webhook [OPTIONS]\n"
          "\n"
          "Admission webhook enforcing AppStack security and resource policies.\n"
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
            printf("appstack-webhook %s (%s)\n", AS_VERSION, AS_GIT_COMMIT);
            return 0;
        }
        fprintf(stderr, "appstack-webhook: unknown option '%s'; see --help\n", argv[i]);
        return 2;
    }
    fputs("appstack-webhook: the admission server is not implemented yet\n", stderr);
    return 1;
}
