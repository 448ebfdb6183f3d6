/* fleetsim — the command-line entry point. One table maps each sub-command to its
 * cmd_<name>(argc, argv) (git's builtin table); each lives in its own cli/cmd_<name>.c. */
#include <stdio.h>
#include <string.h>

#include <fleetsim/settings.h>
#include <fleetsim/version.h>

#include "cli.h"

static const struct cli_command commands[] = {
    {"run", cmd_run, "run a scenario (default: the bundled demo) and write its results"},
    {"compare", cmd_compare, "a scenario under every strategy, side by side (--json: as JSON)"},
    {"plan", cmd_plan, "size the depot: the cheapest chargers and grid that do the job"},
    {"report", cmd_report, "a result as an HTML page with charts (-o FILE; default report.html)"},
    {"routes", cmd_routes, "routes fetch [ID…]: resolve routes.yaml waypoints into GeoJSON files"},
    {"validate", cmd_validate, "check a scenario against the config; runs nothing"},
    {"cycle", cmd_cycle, "one vehicle over one speed trace or route: energy and kWh/km"},
    {"vehicles", cmd_vehicles, "vehicles from-epa FILE.csv: vehicles.yaml entries from EPA tests"},
    {"submit", cmd_submit, "send a scenario to fleetsim-api (--wait: until it is done)"},
    {"status", cmd_status, "a job's status from fleetsim-api"},
    {"fetch", cmd_fetch, "a job's result from fleetsim-api (--out DIR: the five files)"},
    {"fleet", cmd_fleet, "fleet create NAME | fleet list: fleets in fleetsim-api"},
    {"migrate", cmd_migrate, "apply the SQL migrations to $DATABASE_URL (--seed-demo)"},
    {"import", cmd_import, "import vins, state-data or a simulation series from CSV"},
    {"help", cmd_help, "show this help (COMMAND --help: that command's options)"},
    {"version", cmd_version, "the version, git revision, build type and libraries"},
};

/* `fleetsim help` lists the commands; `fleetsim help CMD` is `fleetsim CMD --help`. */
int cmd_help(int argc, char **argv)
{
    for (size_t i = 0; argc >= 2 && i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0 && commands[i].fn != cmd_help) {
            char *help_argv[] = {argv[1], "--help", NULL};
            return commands[i].fn(2, help_argv);
        }
    printf("usage: fleetsim <command> [options]   (fleetsim <command> --help: its options)\n"
           "       fleetsim --help | --version\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].summary);
    printf("\nexit codes: 0 done, 1 runtime failure, 2 bad input or usage, 3 not feasible "
           "(run --strict)\n\n");
    fsim_settings_print(stdout, "run|compare|validate|cycle|submit|status|fetch|fleet|migrate|import");
    return 0;
}

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char text[2048];
    fputs(fsim_version_text("fleetsim", NULL, 0, text, sizeof text), stdout);
    return 0;
}

/* The spellings people try first, before reading any help. */
static const char *alias(const char *arg)
{
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
        return "help";
    if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0)
        return "version";
    return arg;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cmd_help(0, NULL);
        return 2;
    }
    const char *name = alias(argv[1]);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(name, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "fleetsim: unknown command \"%s\" (see \"fleetsim help\")\n", argv[1]);
    return 2;
}
