/* fleetsim validate — checks a scenario against the config (names, ranges, routes that
 * load and synthesize) and runs nothing. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage[] = "fleetsim validate [SCENARIO.json] [--config DIR]";

static const char help[] =
    "  SCENARIO.json  a SimulationRequest (default: <config>/scenarios/demo.json)\n"
    "  --config DIR   the YAML config (default: $FLEETSIM_CONFIG_DIR, else config)\n"
    "Checks the contract and the config (vehicle types, routes, chargers, depots, route\n"
    "geometry), prints the scenario's size and warnings; runs nothing.\n"
    "exit codes: 0 valid, 1 runtime failure, 2 not valid or bad usage\n";

int cmd_validate(int argc, char **argv)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'C'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *config_opt = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'C': config_opt = optarg; break;
        case 'h': cli_help(usage, help); return 0;
        default:
            return cli_option_error("validate", usage, c, argv);
        }
    }
    if (argc - optind > 1)
        return cli_usage("validate", usage, "unexpected argument \"%s\"", argv[optind + 1]);

    const char *config_dir = cli_config_dir(config_opt);
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    fsim_error_clear(&err);
    int rc = 0;
    if (!arena) {
        fsim_error_set(&err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        return cli_fail("validate", &err);
    }
    const char *scenario = optind < argc ? argv[optind] : cli_default_scenario(config_dir, arena);
    fsim_request *req;
    fsim_prepared *prep;
    fsim_runner_options opts = cli_runner_options(config_dir, scenario);
    if (cli_load_request(scenario, arena, &req, &err) != FSIM_OK ||
        fsim_runner_prepare(req, &opts, arena, &prep, &err) != FSIM_OK) {
        rc = cli_fail("validate", &err);
        goto out;
    }
    printf("%s: ok: %zu vehicles at %zu depots, %d days of %d s steps (%.0f vehicle-steps), "
           "config %.12s\n",
           scenario, prep->input.n_vehicles, prep->input.n_depots, req->days,
           req->step_seconds, prep->vehicle_steps, prep->config_hash);
    for (size_t i = 0; i < prep->n_warnings; i++)
        printf("warning: %s\n", prep->warnings[i]);
out:
    fsim_arena_free(arena);
    return rc;
}
