/* fleetsim cycle — one vehicle over one speed trace (a CSV file or a route's synthesized
 * cycle): the check of the energy model against published references. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include <fleetsim/geo.h>
#include <fleetsim/model.h>
#include <fleetsim/util.h>
#include <fleetsim/wire.h>

#include "cli.h"

static const char usage[] =
    "fleetsim cycle --vehicle TYPE (--cycle FILE.csv | --route ID) [--config DIR] "
    "[--temperature C] [--charger TYPE] [--json]";

static const char help[] =
    "  --vehicle TYPE     a vehicle type of vehicles.yaml (cargo-van, transit-bus, ...)\n"
    "  --cycle FILE.csv   a 1 Hz speed trace: EPA cycSecs,cycMps,cycGrade,cycRoadType or\n"
    "                     plain seconds,mps[,grade]\n"
    "  --route ID         a route of routes.yaml, driven as its synthesized cycle\n"
    "  --config DIR       the YAML config (default: $FLEETSIM_CONFIG_DIR, else config)\n"
    "  --temperature C    the ambient temperature, -60 to 60 (default 20): cabin and battery\n"
    "  --charger TYPE     also print wallEnergyKwh: the energy through that charger\n"
    "  --json             print the figures as JSON instead of a table\n"
    "exit codes: 0 done, 1 runtime failure, 2 bad input or usage\n";

struct cycle_options {
    const char *vehicle;
    const char *cycle_file;
    const char *route;
    const char *config_dir;
    const char *charger; /* --charger: also report the wall-plug energy through it */
    double temperature_c;
    int json;
};

static int parse_options(int argc, char **argv, struct cycle_options *o)
{
    static const struct option longopts[] = {
        {"vehicle", required_argument, NULL, 'v'}, {"cycle", required_argument, NULL, 'c'},
        {"route", required_argument, NULL, 'r'},   {"config", required_argument, NULL, 'C'},
        {"temperature", required_argument, NULL, 't'}, {"json", no_argument, NULL, 'j'},
        {"charger", required_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->temperature_c = 20;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'v': o->vehicle = optarg; break;
        case 'c': o->cycle_file = optarg; break;
        case 'r': o->route = optarg; break;
        case 'C': o->config_dir = optarg; break;
        case 'g': o->charger = optarg; break;
        case 'j': o->json = 1; break;
        case 't':
            if (!cli_parse_double(optarg, &o->temperature_c) || o->temperature_c < -60 ||
                o->temperature_c > 60)
                return cli_usage("cycle", usage,
                                 "--temperature: \"%s\" is not a temperature between -60 and 60",
                                 optarg);
            break;
        case 'h': cli_help(usage, help); return -1;
        default:
            return cli_option_error("cycle", usage, c, argv);
        }
    }
    if (optind < argc)
        return cli_usage("cycle", usage, "unexpected argument \"%s\"", argv[optind]);
    if (!o->vehicle)
        return cli_usage("cycle", usage, "--vehicle is required");
    if (!o->cycle_file == !o->route)
        return cli_usage("cycle", usage, "give exactly one of --cycle and --route");
    return 0;
}

/* The battery figures, then the powertrain's own losses and the wall-plug energy when
 * they apply (columns are added, never reordered, so scripts reading a column keep working). */
static void print_table(const struct cycle_options *o, const char *cycle_name,
                        const fsim_energy_totals *t, const fsim_charger_type *charger)
{
    printf("%-14s %-28s %8s %9s %9s %9s %9s %9s %9s %9s", "vehicle", "cycle", "time s",
           "dist km", "kWh", "kWh/km", "traction", "regen", "aux", "loss");
    if (charger)
        printf(" %9s", "wall kWh");
    printf("\n%-14s %-28s %8.0f %9.3f %9.3f %9.4f %9.3f %9.3f %9.3f %9.3f", o->vehicle,
           cycle_name, t->duration_s, t->distance_km, t->energy_kwh, t->kwh_per_km,
           t->traction_kwh, t->regen_kwh, t->aux_kwh, t->loss_kwh);
    if (charger)
        printf(" %9.3f", t->energy_kwh / charger->efficiency);
    printf("\n");
}

/* One CycleReport (wire.h), encoded by the codec. */
static int print_json(const struct cycle_options *o, const char *cycle_name,
                      const fsim_energy_totals *t, const fsim_charger_type *charger)
{
    fsim_cycle_report r = {.vehicle = o->vehicle, .cycle = cycle_name,
                           .temperature_c = o->temperature_c, .duration_seconds = t->duration_s,
                           .distance_km = t->distance_km, .energy_kwh = t->energy_kwh,
                           .kwh_per_km = t->kwh_per_km, .traction_kwh = t->traction_kwh,
                           .regen_kwh = t->regen_kwh, .aux_kwh = t->aux_kwh};
    if (charger) {
        r.has_wall_energy_kwh = true;
        r.wall_energy_kwh = t->energy_kwh / charger->efficiency;
    }
    size_t len = 0;
    char *text = fsim_wire_encode(FSIM_WIRE_CYCLE_REPORT, &r, 0, &len);
    if (!text)
        return 0;
    puts(text);
    free(text);
    return 1;
}

/* "unknown <what> "x" (known: a, b, c)" for an option naming a config entry, so the message
 * says what would work. `items` is a config array whose entries begin with their name (as
 * every fsim_config array does), `stride` apart. */
static void unknown_name(fsim_error *err, const char *option, const char *what, const char *name,
                         const void *items, size_t n, size_t stride)
{
    char known[512] = "";
    for (size_t i = 0; i < n; i++) {
        const char *entry = *(const char *const *)((const char *)items + i * stride);
        size_t len = strlen(known);
        snprintf(known + len, sizeof known - len, "%s%s", len ? ", " : "", entry);
    }
    fsim_error_set(err, FSIM_NOT_FOUND, NULL, 0, 0, option, "unknown %s \"%s\" (known: %s)",
                   what, name, known);
}

int cmd_cycle(int argc, char **argv)
{
    struct cycle_options o;
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;

    fsim_error err;
    fsim_error_clear(&err);
    fsim_config *config = NULL;
    fsim_arena *arena = fsim_arena_new();
    if (!arena) {
        fsim_error_set(&err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        rc = cli_fail("cycle", &err);
        goto out;
    }
    if (cli_load_config(cli_config_dir(o.config_dir), NULL, &config, &err) != FSIM_OK) {
        rc = cli_fail("cycle", &err);
        goto out;
    }
    const fsim_vehicle_type *vehicle = fsim_config_vehicle(config, o.vehicle);
    if (!vehicle) {
        unknown_name(&err, "--vehicle", "vehicle type", o.vehicle, config->vehicles,
                     config->n_vehicles, sizeof *config->vehicles);
        rc = cli_fail("cycle", &err);
        goto out;
    }
    const fsim_charger_type *charger = NULL;
    if (o.charger && !(charger = fsim_config_charger(config, o.charger))) {
        unknown_name(&err, "--charger", "charger type", o.charger, config->chargers,
                     config->n_chargers, sizeof *config->chargers);
        rc = cli_fail("cycle", &err);
        goto out;
    }
    fsim_cycle cycle;
    const char *cycle_name = o.cycle_file;
    if (o.cycle_file) {
        if (fsim_cycle_read_csv(o.cycle_file, arena, &cycle, &err) != FSIM_OK) {
            rc = cli_fail("cycle", &err);
            goto out;
        }
    } else {
        const fsim_route_def *route = fsim_config_route(config, o.route);
        fsim_route_path path;
        if (!route) {
            unknown_name(&err, "--route", "route", o.route, config->routes, config->n_routes,
                         sizeof *config->routes);
            rc = cli_fail("cycle", &err);
            goto out;
        }
        if (fsim_geo_load_file(route->geojson_path, arena, &path, &err) != FSIM_OK ||
            fsim_cycle_from_route(&path, &route->params, arena, &cycle, &err) != FSIM_OK) {
            rc = cli_fail("cycle", &err);
            goto out;
        }
        cycle_name = route->id;
    }
    fsim_energy_totals totals;
    if (fsim_energy_integrate(&vehicle->params, &cycle, o.temperature_c, NULL, NULL, &totals,
                              &err) != FSIM_OK) {
        rc = cli_fail("cycle", &err);
        goto out;
    }
    if (o.json && !print_json(&o, cycle_name, &totals, charger)) {
        fsim_error_set(&err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        rc = cli_fail("cycle", &err);
        goto out;
    }
    if (!o.json)
        print_table(&o, cycle_name, &totals, charger);
    rc = 0;
out:
    fsim_config_free(config);
    fsim_arena_free(arena);
    return rc;
}
