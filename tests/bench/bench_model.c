/* Benchmark of the energy model's hot path and of route synthesis (figures, no thresholds).
 *
 * Integrates a cargo van like the bundled one over UDDS (FSIM_TEST_DATA/cycles/udds.csv),
 * on the constant-efficiency and on the operating-point powertrain,
 * for about a second of wall time and prints the rate in cycle-seconds per second, then
 * synthesizes a 150 km route of 25 m segments repeatedly and prints km per second. */
#include <fleetsim/geo.h>
#include <fleetsim/model.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* config/vehicles.yaml's cargo-van */
static const fsim_vehicle_params cargo_van = {
    .battery_kwh = 68, .mass_kg = 2800, .payload_kg = 600, .drag_coefficient = 0.42,
    .frontal_area_m2 = 4.9, .rolling_resistance = 0.009, .rotational_inertia_factor = 0.05,
    .drivetrain_efficiency = 0.88, .regen_efficiency = 0.65, .max_regen_kw = 80, .aux_kw = 0.6,
    .hvac_kw_per_degc = 0.12, .comfort_low_c = 16, .comfort_high_c = 24, .max_ac_kw = 11.3,
    .max_dc_kw = 115, .reserve_soc = 0.1,
};

/* The same van on the operating-point powertrain (a 198 kW motor, the default curve, pack
 * and losses), to see what the per-step table lookups and the pack's square root cost. */
static fsim_vehicle_params powertrain_van(void)
{
    fsim_vehicle_params v = cargo_van;
    v.motor_kw = 198;
    v.gearbox_efficiency = FSIM_DEFAULT_GEARBOX_EFFICIENCY;
    v.pack_voltage = FSIM_DEFAULT_PACK_VOLTAGE;
    v.internal_resistance_ohm = FSIM_DEFAULT_INTERNAL_RESISTANCE;
    v.regen_fade_kph = FSIM_DEFAULT_REGEN_FADE_KPH;
    v.parasitic_kw = FSIM_DEFAULT_PARASITIC_KW;
    return v;
}

static int bench_integration(fsim_arena *arena, const fsim_vehicle_params *van, const char *what)
{
    const char *dir = getenv("FSIM_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof path, "%s/cycles/udds.csv", dir ? dir : "tests/data");
    fsim_cycle cycle;
    fsim_error err;
    if (fsim_cycle_read_csv(path, arena, &cycle, &err) != FSIM_OK) {
        char msg[800];
        fsim_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "bench_model: %s\n", msg);
        return 1;
    }
    fsim_energy_totals totals;
    double sink = 0, start = now_s(), elapsed = 0;
    long runs = 0;
    while (elapsed < 1.0) {
        for (int i = 0; i < 100; i++) {
            /* vary the temperature so the call cannot be hoisted */
            fsim_energy_integrate(van, &cycle, (double)(runs % 40) - 10, NULL, NULL, &totals,
                                  &err);
            sink += totals.energy_kwh;
            runs++;
        }
        elapsed = now_s() - start;
    }
    double steps = (double)runs * (double)(cycle.n - 1);
    fsim_energy_integrate(van, &cycle, 20, NULL, NULL, &totals, &err);
    printf("energy integration, %s: %.0f cycle-seconds/s (%ld UDDS runs in %.2f s; cargo van at "
           "20 °C: %.3f kWh, %.3f km, %.4f kWh/km; checksum %.1f)\n",
           what, steps / elapsed, runs, elapsed, totals.energy_kwh, totals.distance_km,
           totals.kwh_per_km, sink);
    return 0;
}

static int bench_synthesis(void)
{
    enum { NSEG = 6000 }; /* 150 km of 25 m segments */
    static double seg[NSEG], grade[NSEG], kph[NSEG], zeros[NSEG + 1];
    for (size_t i = 0; i < NSEG; i++) {
        seg[i] = 25;
        grade[i] = 0.03 * sin((double)i * 0.01);
        kph[i] = (i / 200) % 4 == 3 ? 30 : NAN;
    }
    fsim_route_path path = {.n = NSEG + 1, .lon = zeros, .lat = zeros, .elevation_m = zeros,
                            .segment_m = seg, .grade = grade, .speed_kph = kph,
                            .length_m = 25.0 * NSEG};
    fsim_route_params params = {.speed_kph = 60, .stops_per_km = 1, .dwell_seconds = 20,
                                .accel_mps2 = 1.2, .brake_mps2 = 1.8};
    fsim_error err;
    fsim_cycle cycle = {0};
    double start = now_s(), elapsed = 0;
    long runs = 0;
    while (elapsed < 1.0) {
        fsim_arena *scratch = fsim_arena_new();
        if (!scratch || fsim_cycle_from_route(&path, &params, scratch, &cycle, &err) != FSIM_OK) {
            fprintf(stderr, "bench_model: synthesis failed: %s\n", err.message);
            fsim_arena_free(scratch);
            return 1;
        }
        fsim_arena_free(scratch);
        runs++;
        elapsed = now_s() - start;
    }
    double km = (double)runs * path.length_m / 1000;
    printf("route synthesis: %.0f km/s (%.2f us per km; %ld runs of a 150 km route in %.2f s)\n",
           km / elapsed, elapsed / km * 1e6, runs, elapsed);
    return 0;
}

int main(void)
{
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        return 1;
    fsim_vehicle_params pt = powertrain_van();
    int rc = bench_integration(arena, &cargo_van, "constant efficiency");
    if (rc == 0)
        rc = bench_integration(arena, &pt, "operating-point powertrain");
    if (rc == 0)
        rc = bench_synthesis();
    fsim_arena_free(arena);
    return rc;
}
