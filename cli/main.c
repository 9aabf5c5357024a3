/*
 * cli/main.c - appstackctl: command line and start-up.
 *
 * The reconcile loop lands with the operator issue; today this program only
 * answers --help and --version.
 */
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("Usage: appstackctl [OPTIONS]\n"
          "\n"
          "Renders, checks and audits AppStacks from a terminal or CI.\n"
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
            printf("appstackctl %s (%s)\n", AS_VERSION, AS_GIT_COMMIT);
            return 0;
        }
        fprintf(stderr, "appstackctl: unknown option '%s'; see --help\n", argv[i]);
        return 2;
    }
    fputs("appstackctl: no command given; see --help\n", stderr);
    return 1;
}
