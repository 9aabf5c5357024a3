/*
 * cli/main.c - appstackctl: global options and the dispatch to subcommands
 * (render in cli/render.c; check, audit and status land with their issues).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "render_cmd.h"

static void usage(FILE *out)
{
    fputs("Usage: appstackctl COMMAND [OPTIONS]\n"
          "       appstackctl --help | --version\n"
          "\n"
          "Renders, checks and audits AppStacks from a terminal or CI.\n"
          "\n"
          "Commands:\n"
          "  render   render an AppStack file offline into the Kubernetes objects the\n"
          "           operator would apply (appstackctl render --help)\n"
          "  check    evaluate manifests against the admission policies offline\n"
          "           (appstackctl check --help)\n"
          "  audit    evaluate a live cluster's objects against the policies\n"
          "           (not implemented yet: issue 6)\n"
          "  status   show the status of an AppStack and its children\n"
          "           (not implemented yet: issue 5)\n"
          "\n"
          "Options:\n"
          "  -h, --help      show this help and exit\n"
          "      --version   print the version and exit\n"
          "\n"
          "Exit status: 0 success, 1 the input is invalid or violates a policy, 2 usage\n"
          "or input errors.\n",
          out);
}

/* A subcommand that has not landed yet. */
static int not_yet(const char *cmd, int issue)
{
    fprintf(stderr, "appstackctl %s: not implemented yet (issue %d)\n", cmd, issue);
    return 2;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;

    if (!cmd) {
        usage(stderr);
        return 2;
    }
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("appstackctl %s (%s)\n", AS_VERSION, AS_GIT_COMMIT);
        return 0;
    }
    if (strcmp(cmd, "render") == 0)
        return as_cli_render(argc - 1, argv + 1);
    if (strcmp(cmd, "check") == 0)
        return as_cli_check(argc - 1, argv + 1);
    if (strcmp(cmd, "audit") == 0)
        return not_yet("audit", 6);
    if (strcmp(cmd, "status") == 0)
        return not_yet("status", 5);
    fprintf(stderr, "appstackctl: unknown command '%s'; see appstackctl --help\n", cmd);
    return 2;
}
