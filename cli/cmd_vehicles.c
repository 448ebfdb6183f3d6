/* fleetsim vehicles from-epa — vehicles.yaml entries derived from the EPA's published
 * dynamometer tests: a route from a test to a vehicle in minutes (docs/energy-model.md). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <fleetsim/epa.h>

#include "cli.h"

static const char usage[] = "fleetsim vehicles from-epa FILE.csv [--make M] [--model TEXT]";

/* One entry: a provenance comment, then every key with where its value comes from. */
static void print_entry(const char *file, const fsim_epa_vehicle *t)
{
    fsim_vehicle_params p;
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
    printf("    batteryKwh: %g                  # not in the test data: generic, set the car's "
           "usable capacity\n", p.battery_kwh);
    printf("    massKg: %.1f                # ETW (curb + 300 lb, the dynamometer's inertia)\n",
           p.mass_kg);
    printf("    payloadKg: 0\n");
    printf("    dragCoefficient: %.4f         # Cd = Cd*A / frontalAreaM2, Cd*A = 2*C'/rho(20 C), "
           "C' = C + 15/16*B/60 mph\n", p.drag_coefficient);
    printf("    frontalAreaM2: %g               # nominal: the C term gives only Cd*A\n",
           p.frontal_area_m2);
    printf("    rollingResistance: %.5f     # A'/(m*g), A' = A + 3/16*B*60 mph (B folded over "
           "0-60 mph)\n", p.rolling_resistance);
    printf("    rotationalInertiaFactor: %g  # generic: driven wheels and motor beyond ETW\n",
           p.rotational_inertia_factor);
    printf("    drivetrainEfficiency: %g        # unused while motorKw is set\n",
           p.drivetrain_efficiency);
    printf("    regenEfficiency: %g             # unused while motorKw is set\n",
           p.regen_efficiency);
    printf("    maxRegenKw: %.0f                 # = motorKw\n", p.max_regen_kw);
    printf("    auxKw: %g                     # generic: 12 V loads, HVAC off as on the test\n",
           p.aux_kw);
    printf("    hvacKwPerDegC: %g             # generic\n", p.hvac_kw_per_degc);
    printf("    comfortBandC: [%g, %g]\n", p.comfort_low_c, p.comfort_high_c);
    printf("    maxAcKw: %g                    # generic\n", p.max_ac_kw);
    printf("    maxDcKw: %g                   # generic\n", p.max_dc_kw);
    printf("    chargeCurve: [");
    for (size_t i = 0; i < p.charge_curve_len; i++)
        printf("%s[%g, %g]", i ? ", " : "", p.charge_curve_soc[i], p.charge_curve_kw[i]);
    printf("]   # generic\n");
    printf("    reserveSoc: %g\n", p.reserve_soc);
    printf("    motorKw: %.0f                    # generic: %g kW per tonne of ETW\n", p.motor_kw,
           FSIM_EPA_MOTOR_KW_PER_TONNE);
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
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': make = optarg; break;
        case 'M': model = optarg; break;
        case 'h': printf("usage: %s\n", usage); return 0;
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
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
        printf("usage: %s\n", usage);
        return 0;
    }
    return cli_usage("vehicles", usage, argc < 2 ? "a sub-command is required"
                                                 : "unknown sub-command \"%s\"", argv[1]);
}
