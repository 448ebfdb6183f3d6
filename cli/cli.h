/* fleetsim CLI — the sub-command table and helpers shared by cli/cmd_*.c. */
#ifndef FLEETSIM_CLI_H
#define FLEETSIM_CLI_H

#include <stdio.h>

#include <fleetsim/config.h>
#include <fleetsim/error.h>
#include <fleetsim/report.h>
#include <fleetsim/runner.h>
#include <fleetsim/wire.h>

struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

int cmd_help(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_cycle(int argc, char **argv);
int cmd_vehicles(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_fleet(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_routes(int argc, char **argv);

/* The routing, elevation and weather services from the settings (docs/services.md), built
 * once per process; NULL with *err when a setting is malformed. cli_services_offline()
 * before the first call: cache only (--offline). */
fsim_svc *cli_services(fsim_error *err);
void cli_services_offline(void);

/* Prints "fleetsim <cmd>: <file:line:col: path: message>" on stderr and returns the exit
 * code for the error's status (2 bad input, 1 runtime failure). */
int cli_fail(const char *cmd, const fsim_error *err);
/* Prints a usage error and returns 2. */
int cli_usage(const char *cmd, const char *usage, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* `CMD --help`: the usage line, then `help` (one line or more per option, exit codes). */
void cli_help(const char *usage, const char *help);

/* The usage error for what getopt_long (optstring ":") returned as `c`: an option missing
 * its value, or an unknown one. Returns 2. */
int cli_option_error(const char *cmd, const char *usage, int c, char **argv);

/* The config directory: --config if given, else $FLEETSIM_CONFIG_DIR, else "config". */
const char *cli_config_dir(const char *option);

/* Loads the config from `dir` with $FLEETSIM_CONFIG_OVERRIDES and the request's overrides
 * (JSON text or NULL). */
fsim_status cli_load_config(const char *dir, const char *request_overrides, fsim_config **out,
                            fsim_error *err);

/* Reads and decodes a scenario file (a SimulationRequest) into `arena`; errors name the
 * file and the field path or line:column. */
fsim_status cli_load_request(const char *path, fsim_arena *arena, fsim_request **out,
                             fsim_error *err);

/* Runner options for a local run: config dir, $FLEETSIM_CONFIG_OVERRIDES, the scenario
 * file as the error label. */
fsim_runner_options cli_runner_options(const char *config_dir, const char *scenario);

/* The default scenario: <config dir>/scenarios/demo.json. Returned in `arena`. */
const char *cli_default_scenario(const char *config_dir, fsim_arena *arena);

/* What `run` and `compare` start from: their arena, the config directory, the scenario
 * file (default: the demo) decoded, and runner options for it. */
struct cli_scenario {
    fsim_arena *arena;               /* the caller frees it */
    const char *config_dir;
    const char *path;
    fsim_request *req;
    fsim_runner_options opts;
};
/* Opens a scenario for `cmd`: 0, or the exit code after printing the error (then nothing is
 * left to free). */
int cli_scenario_open(const char *cmd, const char *scenario, const char *config_option,
                      struct cli_scenario *s);

/* The API's base URL: --api, else $FLEETSIM_API_URL, else http://127.0.0.1:8080. */
const char *cli_api_base(const char *option);

/* One request to fleetsim-api (cli/api_client.c): body NULL for none; *response (in arena)
 * is the body of a 2xx answer. A 4xx answer is FSIM_INVALID and a 5xx or no answer FSIM_IO,
 * with the API's error code, message and field in err. $FLEETSIM_API_KEY is sent. */
fsim_status cli_api_request(const char *method, const char *url, const char *body,
                            const char *idempotency_key, fsim_arena *arena, char **response,
                            long *http_status, fsim_error *err);

/* The human summary of a run (cli/summary.c). `req` may be NULL (a job known only by its
 * id): then the scenario's line is left out. */
void cli_print_summary(FILE *f, const fsim_request *req, const fsim_result *res);
/* The summary's last line for a local sink: "written  DIR/{result.json, …}". */
void cli_print_written(FILE *f, const char *dir, bool report);
/* Why a run is not feasible, for people: summary.verdict, else the missed and stranded
 * trips written into `buf`. */
const char *cli_verdict_reason(const fsim_summary *s, char *buf, size_t size);

/* Exit code of `run --strict` when the run is not feasible (summary.feasible false). */
#define CLI_EXIT_INFEASIBLE 3

/* Writes a rendered page of `len` bytes to `path` ("-": stdout); errors name the path. */
fsim_status cli_write_page(const char *path, const char *html, size_t len, fsim_error *err);
/* Renders the report of `res` (or, when `cmp` is not NULL, of the comparison) with `ctx`
 * (may be NULL) and writes it to `path` ("-": stdout); *len (may be NULL) gets its size.
 * Errors name the path (cmd_report.c). */
fsim_status cli_write_report(const char *path, const fsim_result *res,
                             const fsim_report_context *ctx, const fsim_comparison *cmp,
                             size_t *len, fsim_error *err);
/* What a report may add to a result of `req`: the request itself, the geometry of the
 * routes its groups drive and the tariffs, loaded from the config in `config_dir` (into
 * `arena`). */
fsim_status cli_report_context(const char *config_dir, const fsim_request *req,
                               fsim_arena *arena, fsim_report_context *ctx, fsim_error *err);

/* Parses a finite number; false on junk, trailing text, or overflow. */
int cli_parse_double(const char *text, double *out);

#endif
