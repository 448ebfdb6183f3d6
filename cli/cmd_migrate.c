/* fleetsim migrate — applies migrations/NNNN_name.sql to $DATABASE_URL (CI and deploy step;
 * servers never migrate at start-up). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/store.h>
#include <fleetsim/settings.h>

#include "cli.h"

static const char usage[] = "fleetsim migrate [--dir DIR] [--check] [--seed-demo [--config DIR]]";

static const char help[] =
    "  --dir DIR   the numbered SQL files (default: migrations/ beside the config directory)\n"
    "  --check     apply nothing: exit 1 when a migration is not applied yet\n"
    "  --seed-demo then create the fleet the bundled demo scenario names (fleetId of\n"
    "              <config>/scenarios/demo.json, name \"demo\"), so the demo can be\n"
    "              submitted to fleetsim-api; nothing happens when it is there\n"
    "  --config DIR  the config of --seed-demo (default: $FLEETSIM_CONFIG_DIR, else config)\n"
    "The database is $DATABASE_URL; each file is applied once, in order, in a transaction.\n"
    "exit codes: 0 up to date, 1 runtime failure (or pending with --check), 2 bad usage\n";

static void print_applied(void *user, const char *version, const char *name, double ms)
{
    (void)user;
    printf("applied %s_%s (%.0f ms)\n", version, name, ms);
    fflush(stdout);
}

/* Default: `migrations/` next to the config directory (config/ → ./migrations,
 * /usr/share/fleetsim/config → /usr/share/fleetsim/migrations). */
static void default_dir(char *buf, size_t size)
{
    const char *config = cli_config_dir(NULL);
    size_t len = strlen(config);
    while (len > 1 && config[len - 1] == '/')
        len--;
    const char *slash = NULL;
    for (size_t i = 0; i < len; i++)
        if (config[i] == '/')
            slash = config + i;
    if (!slash)
        snprintf(buf, size, "migrations");
    else
        snprintf(buf, size, "%.*s/migrations", (int)(slash - config), config);
}

/* --seed-demo: the demo scenario's fleet, by its id, named "demo" — what the README's API
 * walk-through needs on a fresh database. */
static int seed_demo(fsim_store *store, const char *config_dir)
{
    fsim_error err;
    fsim_error_clear(&err);
    fsim_arena *arena = fsim_arena_new();
    fsim_request *req = NULL;
    fsim_fleet *f = NULL;
    bool created = false;
    int rc = 0;
    if (!arena) {
        fsim_error_set(&err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        rc = cli_fail("migrate", &err);
        goto out;
    }
    if (cli_load_request(cli_default_scenario(config_dir, arena), arena, &req, &err) != FSIM_OK) {
        rc = cli_fail("migrate", &err);
        goto out;
    }
    fsim_new_fleet nf = {.name = "demo", .id = req->fleet_id};
    if (fsim_store_fleet_add(store, &nf, arena, &f, &created, &err) != FSIM_OK) {
        rc = cli_fail("migrate", &err);
        goto out;
    }
    if (strcmp(f->id, req->fleet_id) != 0) {
        fprintf(stderr, "fleetsim migrate: --seed-demo: a fleet named \"demo\" exists with another "
                        "id (%s); the demo names %s\n", f->id, req->fleet_id);
        rc = 1;
        goto out;
    }
    printf("demo fleet %s (\"%s\") %s\n", f->id, f->name, created ? "created" : "is there");
out:
    fsim_arena_free(arena);
    return rc;
}

int cmd_migrate(int argc, char **argv)
{
    static const struct option longopts[] = {{"dir", required_argument, NULL, 'd'},
                                             {"check", no_argument, NULL, 'c'},
                                             {"seed-demo", no_argument, NULL, 's'},
                                             {"config", required_argument, NULL, 'C'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *dir = NULL;
    int check = 0, seed = 0;
    const char *config_dir = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'c': check = 1; break;
        case 's': seed = 1; break;
        case 'C': config_dir = optarg; break;
        case 'h': cli_help(usage, help); return 0;
        default:
            return cli_usage("migrate", usage, "unknown or incomplete option \"%s\"",
                             argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("migrate", usage, "unexpected argument \"%s\"", argv[optind]);
    char dflt[1024];
    if (!dir) {
        default_dir(dflt, sizeof dflt);
        dir = dflt;
    }
    const char *url = fsim_setting_text(FSIM_SETTING_DATABASE_URL);
    if (!url || !*url)
        return cli_usage("migrate", usage, "DATABASE_URL is not set");

    fsim_error err;
    fsim_error_clear(&err);
    fsim_store *store = NULL;
    fsim_store_options opts = {.pool_size = 1, .max_retries = 3};
    if (fsim_store_open(url, &opts, &store, &err) != FSIM_OK)
        return cli_fail("migrate", &err);
    int rc = 0;
    if (check) {
        bool current = false;
        if (fsim_store_migrations_current(store, dir, &current, &err) != FSIM_OK) {
            rc = cli_fail("migrate", &err);
        } else if (!current) {
            fprintf(stderr, "fleetsim migrate: not current: %s\n", err.message);
            rc = 1;
        } else {
            printf("database is up to date with %s\n", dir);
        }
    } else {
        int applied = 0;
        if (fsim_store_migrate(store, dir, print_applied, NULL, &applied, &err) != FSIM_OK)
            rc = cli_fail("migrate", &err);
        else if (applied == 0)
            printf("nothing to apply: database is up to date with %s\n", dir);
        else
            printf("%d migration%s applied\n", applied, applied == 1 ? "" : "s");
        if (rc == 0 && seed)
            rc = seed_demo(store, cli_config_dir(config_dir));
    }
    fsim_store_close(store);
    return rc;
}
