/*
 * cli/check.h - `appstackctl check`: offline policy evaluation of manifests.
 */
#ifndef AS_CLI_CHECK_H
#define AS_CLI_CHECK_H

/*
 * Runs the check command. argv[0] is "check" (the command name), the rest are
 * its options. Prints to stdout/stderr; returns the exit status: 0 nothing
 * enforced is violated, 1 something is, 2 usage, read, parse or policy errors.
 */
int as_cli_check(int argc, char **argv);

#endif
