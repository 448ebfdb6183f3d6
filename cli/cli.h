/* fleetsim CLI — the sub-command table and helpers shared by cli/cmd_*.c. */
#ifndef FLEETSIM_CLI_H
#define FLEETSIM_CLI_H

#include <fleetsim/config.h>
#include <fleetsim/error.h>

struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

int cmd_help(int argc, char **argv);
int cmd_cycle(int argc, char **argv);
int cmd_validate(int argc, char **argv);

/* Prints "fleetsim <cmd>: <file:line:col: path: message>" on stderr and returns the exit
 * code for the error's status (2 bad input, 1 runtime failure). */
int cli_fail(const char *cmd, const fsim_error *err);
/* Prints a usage error and returns 2. */
int cli_usage(const char *cmd, const char *usage, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The config directory: --config if given, else $FLEETSIM_CONFIG_DIR, else "config". */
const char *cli_config_dir(const char *option);

/* Loads the config from `dir` with $FLEETSIM_CONFIG_OVERRIDES and the request's overrides
 * (JSON text or NULL). */
fsim_status cli_load_config(const char *dir, const char *request_overrides, fsim_config **out,
                            fsim_error *err);

/* Parses a finite number; false on junk, trailing text, or overflow. */
int cli_parse_double(const char *text, double *out);

#endif
