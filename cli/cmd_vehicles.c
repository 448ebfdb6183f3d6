/* fleetsim vehicles from-epa — vehicles.yaml entries derived from the EPA's published
 * dynamometer tests: a route from a test to a vehicle in minutes (docs/energy-model.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <fleetsim/epa.h>

#include "cli.h"

static const char usage[] = "fleetsim vehicles from-epa FILE.csv [--make M] [--model TEXT]";

static const char help[] =
    "  from-epa FILE.csv  vehicles.yaml entries from the EPA Test Car List (test weight,\n"
    "                     road load, results), each commented with its provenance\n"
    "  --make M           only this make (case-insensitive)\n"
    "  --model TEXT       only models containing TEXT (case-insensitive)\n"
    "exit codes: 0 printed, 1 runtime failure, 2 bad input or usage\n";

/* One "key: value" line, its comment aligned, so the entries read like config/vehicles.yaml. */
static void key(const char *name, const char *value, const char *comment)
{
    char line[160];
    snprintf(line, sizeof line, "    %s: %s", name, value);
    if (comment)
        printf("%-40s # %s\n", line, comment);
    else
        printf("%s\n", line);
}

/* x with `decimals` digits after the point, or as %g when decimals < 0. */
static const char *num(char *buf, size_t size, int decimals, double x)
{
    if (decimals < 0)
        snprintf(buf, size, "%g", x);
    else
        snprintf(buf, size, "%.*f", decimals, x);
    return buf;
}

/* One entry: a provenance comment, then every key with where its value comes from. */
static void print_entry(const char *file, const fsim_epa_vehicle *t)
{
    fsim_vehicle_params p;
    char b[128], curve[160] = "[";
    fsim_epa_vehicle_params(t, &p);
    printf("\n  # %s %s, %s line %d: ETW %.0f lb, road load A %g lbf, B %g lbf/mph, "
           "C %g lbf/mph2;\n",
           t->make, t->model, file, t->line, t->etw_lb, t->a_lbf, t->b_lbf_per_mph,
           t->c_lbf_per_mph2);
    printf("  # unadjusted wall-plug city (UDDS) %.2f and highway (HWFET) %.2f kWh/100 mi "
           "(mean of %d and %d tests, filed as %s)\n",
           100 * t->city_kwh_per_mi, 100 * t->highway_kwh_per_mi, t->n_city, t->n_highway,
           t->filed_kwh_per_100mi ? "kWh/100 mi" : "MPGe");
    printf("  %s:\n", t->id);
    key("batteryKwh", num(b, sizeof b, -1, p.battery_kwh),
        "not in the test data: generic, set the car's usable capacity");
    key("massKg", num(b, sizeof b, 1, p.mass_kg), "ETW: curb + 300 lb, the dyno's inertia");
    key("payloadKg", "0", NULL);
    key("dragCoefficient", num(b, sizeof b, 4, p.drag_coefficient),
        "Cd*A / frontalAreaM2; Cd*A = 2*C'/rho(20 C), C' = C + 15/16*B/(60 mph)");
    key("frontalAreaM2", num(b, sizeof b, -1, p.frontal_area_m2),
        "nominal: the C term gives only Cd*A");
    key("rollingResistance", num(b, sizeof b, 5, p.rolling_resistance),
        "A'/(m*g); A' = A + 3/16*B*(60 mph): B folded over 0-60 mph");
    key("rotationalInertiaFactor", num(b, sizeof b, -1, p.rotational_inertia_factor),
        "generic: driven wheels and motor beyond ETW");
    key("drivetrainEfficiency", num(b, sizeof b, -1, p.drivetrain_efficiency),
        "unused while motorKw is set");
    key("regenEfficiency", num(b, sizeof b, -1, p.regen_efficiency),
        "unused while motorKw is set");
    key("maxRegenKw", num(b, sizeof b, 0, p.max_regen_kw), "= motorKw");
    key("auxKw", num(b, sizeof b, -1, p.aux_kw), "generic: 12 V loads, climate off as tested");
    key("hvacKwPerDegC", num(b, sizeof b, -1, p.hvac_kw_per_degc), "generic");
    snprintf(b, sizeof b, "[%g, %g]", p.comfort_low_c, p.comfort_high_c);
    key("comfortBandC", b, "generic");
    key("maxAcKw", num(b, sizeof b, -1, p.max_ac_kw), "generic");
    key("maxDcKw", num(b, sizeof b, -1, p.max_dc_kw), "generic");
    for (size_t i = 0; i < p.charge_curve_len; i++) {
        size_t len = strlen(curve);
        snprintf(curve + len, sizeof curve - len, "%s[%g, %g]", i ? ", " : "",
                 p.charge_curve_soc[i], p.charge_curve_kw[i]);
    }
    strncat(curve, "]", sizeof curve - strlen(curve) - 1);
    key("chargeCurve", curve, "generic");
    key("reserveSoc", num(b, sizeof b, -1, p.reserve_soc), NULL);
    snprintf(b, sizeof b, "generic: %g kW per tonne of ETW", FSIM_EPA_MOTOR_KW_PER_TONNE);
    char v[32];
    key("motorKw", num(v, sizeof v, 0, p.motor_kw), b);
    printf("    # motorEfficiency, gearboxEfficiency, packVoltage, internalResistanceOhm,\n"
           "    # regenFadeKph, parasiticKw: the defaults (docs/energy-model.md)\n");
}

static int from_epa(int argc, char **argv)
{
    static const struct option longopts[] = {{"make", required_argument, NULL, 'm'},
                                             {"model", required_argument, NULL, 'M'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *make = NULL, *model = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': make = optarg; break;
        case 'M': model = optarg; break;
        case 'h': cli_help(usage, help); return 0;
        default: return cli_option_error("vehicles", usage, c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage("vehicles", usage, "FILE.csv is required");
    if (optind + 1 < argc)
        return cli_usage("vehicles", usage, "unexpected argument \"%s\"", argv[optind + 1]);
    const char *file = argv[optind];

    int rc = 0;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_arena *arena = fsim_arena_new();
    fsim_epa_vehicle *list = NULL;
    size_t n = 0;
    if (!arena) {
        fsim_error_set(&err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        rc = cli_fail("vehicles", &err);
        goto out;
    }
    if (fsim_epa_read_csv(file, make, model, arena, &list, &n, &err) != FSIM_OK) {
        rc = cli_fail("vehicles", &err);
        goto out;
    }
    if (n == 0) {
        fsim_error_set(&err, FSIM_NOT_FOUND, file, 0, 0, NULL,
                       "no configuration with both a city and a highway result%s",
                       make || model ? " matches --make/--model" : "");
        rc = cli_fail("vehicles", &err);
        goto out;
    }
    printf("# Derived by `fleetsim vehicles from-epa` from %s (the EPA Test Car List:\n"
           "# test weight, coast-down road load, unadjusted results). Generic powertrain\n"
           "# constants, the same for every vehicle; see docs/energy-model.md.\n"
           "vehicles:\n", file);
    for (size_t i = 0; i < n; i++)
        print_entry(file, &list[i]);
out:
    fsim_arena_free(arena);
    return rc;
}

int cmd_vehicles(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "from-epa") == 0)
        return from_epa(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
                      strcmp(argv[1], "help") == 0)) {
        cli_help(usage, help);
        return 0;
    }
    return cli_usage("vehicles", usage, argc < 2 ? "a sub-command is required"
                                                 : "unknown sub-command \"%s\"", argv[1]);
}
