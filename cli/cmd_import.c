/* fleetsim import vins|state-data|simulation FILE.csv — validated CSV loads into
 * PostgreSQL, one transaction per file, upsert semantics. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/store.h>
#include <fleetsim/settings.h>

#include "cli.h"

static const char usage[] =
    "fleetsim import vins|state-data|simulation FILE.csv [--fleet F --name N] "
    "[--ignore-unknown-columns] [--dry-run] [--config DIR]";

static const char help[] =
    "  vins FILE.csv        the fleets' vehicles (creates the fleets they name)\n"
    "  state-data FILE.csv  per-state electricity prices and CO2 intensity\n"
    "  simulation FILE.csv  a simulation series as one stored result (needs --fleet, --name)\n"
    "  --fleet F            the fleet the imported simulation belongs to\n"
    "  --name N             the imported simulation's name\n"
    "  --ignore-unknown-columns  skip columns the importer does not know (default: an error)\n"
    "  --dry-run            check the file and print what would be imported; no database\n"
    "  --config DIR         the YAML config (default: $FLEETSIM_CONFIG_DIR, else config)\n"
    "The database is $DATABASE_URL (docs/database.md).\n"
    "exit codes: 0 imported, 1 runtime failure, 2 bad input or usage (the message names the\n"
    "file, line and column)\n";

int cmd_import(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"fleet", required_argument, NULL, 'f'},   {"name", required_argument, NULL, 'n'},
        {"ignore-unknown-columns", no_argument, NULL, 'i'},
        {"dry-run", no_argument, NULL, 'd'},       {"config", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    fsim_import_options o;
    memset(&o, 0, sizeof o);
    const char *config_dir = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': o.fleet = optarg; break;
        case 'n': o.name = optarg; break;
        case 'i': o.ignore_unknown_columns = true; break;
        case 'd': o.dry_run = true; break;
        case 'C': config_dir = optarg; break;
        case 'h': cli_help(usage, help); return 0;
        default:
            return cli_usage("import", usage, "unknown or incomplete option \"%s\"",
                             argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return cli_usage("import", usage, "give a kind and one CSV file");
    const char *kind = argv[optind];
    o.path = argv[optind + 1];
    if (strcmp(kind, "vins") == 0)
        o.kind = FSIM_IMPORT_VINS;
    else if (strcmp(kind, "state-data") == 0)
        o.kind = FSIM_IMPORT_STATE_DATA;
    else if (strcmp(kind, "simulation") == 0)
        o.kind = FSIM_IMPORT_SIMULATION;
    else
        return cli_usage("import", usage, "unknown kind \"%s\" (vins, state-data, simulation)",
                         kind);
    if (o.kind == FSIM_IMPORT_SIMULATION && (!o.fleet || !o.name))
        return cli_usage("import", usage, "a simulation import needs --fleet and --name");
    if (o.kind != FSIM_IMPORT_SIMULATION && (o.fleet || o.name))
        return cli_usage("import", usage, "--fleet and --name are for simulation imports");

    fsim_error err;
    fsim_error_clear(&err);
    fsim_config *config = NULL;
    fsim_store *store = NULL;
    int rc = 0;
    /* vehicle types must be known to the config */
    if (o.kind == FSIM_IMPORT_VINS &&
        cli_load_config(cli_config_dir(config_dir), NULL, &config, &err) != FSIM_OK) {
        rc = cli_fail("import", &err);
        goto out;
    }
    o.config = config;
    if (!o.dry_run) {
        const char *url = fsim_setting_text(FSIM_SETTING_DATABASE_URL);
        if (!url || !*url) {
            rc = cli_usage("import", usage, "DATABASE_URL is not set (or use --dry-run)");
            goto out;
        }
        fsim_store_options opts = {.pool_size = 1, .max_retries = 3};
        if (fsim_store_open(url, &opts, &store, &err) != FSIM_OK) {
            rc = cli_fail("import", &err);
            goto out;
        }
    }
    fsim_import_report rep;
    if (fsim_store_import_csv(store, &o, &rep, &err) != FSIM_OK) {
        rc = cli_fail("import", &err);
        goto out;
    }
    if (o.dry_run)
        printf("%s: %ld rows valid (dry run: nothing written)\n", o.path, rep.rows);
    else if (o.kind == FSIM_IMPORT_SIMULATION)
        printf("%s: %ld rows: simulation %s %s\n", o.path, rep.rows, rep.simulation_id,
               rep.inserted ? "inserted" : rep.updated ? "updated" : "unchanged");
    else
        printf("%s: %ld rows: %ld inserted, %ld updated, %ld unchanged\n", o.path, rep.rows,
               rep.inserted, rep.updated, rep.unchanged);
out:
    fsim_store_close(store);
    fsim_config_free(config);
    return rc;
}
