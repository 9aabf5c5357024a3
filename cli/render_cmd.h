/*
 * cli/render_cmd.h - `appstackctl render`: an AppStack file to the manifests the
 * operator would apply, offline.
 */
#ifndef AS_CLI_RENDER_CMD_H
#define AS_CLI_RENDER_CMD_H

/* Runs the subcommand (argv[0] is "render"). Returns the exit code: 0, 1 (invalid AppStack),
 * 2 (usage or unreadable input). */
int as_cli_render(int argc, char **argv);

/* The placeholder value of every generated secret without --generate-secrets. */
#define AS_CLI_RENDER_PLACEHOLDER "appstackctl-render-placeholder"

#endif
