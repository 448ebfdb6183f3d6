/* Unit tests for core/model: closed-form physics, the EPA cycles, the cycle CSV reader's
 * errors, and the synthesis of a drive cycle from a route. Every expected number is worked
 * out by hand in the comment above its check (g = 9.80665 m/s²). */
#include <fleetsim/geo.h>
#include <fleetsim/model.h>

#include <stdbool.h>
#include <stdlib.h>

#include "check.h"

/* A test vehicle with round numbers: m = 1800 + 200 = 2000 kg, m_eff = 2000·1.05 = 2100 kg. */
static fsim_vehicle_params test_vehicle(void)
{
    return (fsim_vehicle_params){
        .battery_kwh = 60, .mass_kg = 1800, .payload_kg = 200, .drag_coefficient = 0.3,
        .frontal_area_m2 = 2.5, .rolling_resistance = 0.01, .rotational_inertia_factor = 0.05,
        .drivetrain_efficiency = 0.9, .regen_efficiency = 0.6, .max_regen_kw = 30,
        .aux_kw = 0.5, .hvac_kw_per_degc = 0.1, .comfort_low_c = 18, .comfort_high_c = 24,
    };
}

/* The same vehicle with only inertia and gravity left (no drag, no rolling, no aux), to
 * isolate one term at a time. */
static fsim_vehicle_params bare_vehicle(void)
{
    fsim_vehicle_params v = test_vehicle();
    v.drag_coefficient = 0;
    v.rolling_resistance = 0;
    v.aux_kw = 0;
    v.hvac_kw_per_degc = 0;
    return v;
}

/* A cycle of n samples at constant speed and grade, in the arena. */
static fsim_cycle constant_cycle(fsim_arena *a, size_t n, double v, double grade)
{
    fsim_cycle c = {n, fsim_arena_calloc(a, n, sizeof(double)), fsim_arena_calloc(a, n, sizeof(double)),
                    fsim_arena_calloc(a, n, sizeof(double))};
    for (size_t i = 0; i < n; i++) {
        c.speed_mps[i] = v;
        c.grade[i] = grade;
        c.distance_m[i] = v * (double)i;
    }
    return c;
}

static fsim_energy_totals integrate(const fsim_vehicle_params *v, const fsim_cycle *c, double t_c)
{
    fsim_energy_totals t = {0};
    fsim_error err = {0}; /* printed even on success */
    fsim_status st = fsim_energy_integrate(v, c, t_c, NULL, NULL, &t, &err);
    CHECK(st == FSIM_OK, "integration succeeds (%.200s)", err.message);
    return t;
}

static void test_air_and_aux(void)
{
    /* ρ = 101325 / (287.058 · 293.15) = 1.20408 */
    CHECK_NEAR(fsim_air_density(20), 1.204, 5e-4, "air density at 20 °C is 1.204 kg/m³");
    /* ρ = 101325 / (287.058 · 268.15) = 1.31634 */
    CHECK_NEAR(fsim_air_density(-5), 1.31634, 1e-5, "air density at -5 °C is 1.3163 kg/m³");

    fsim_vehicle_params v = test_vehicle();
    /* band [18, 24]: −5 °C is 23 °C below → 0.5 + 0.1·23 = 2.8 kW */
    CHECK_NEAR(fsim_aux_power_kw(&v, -5), 2.8, 1e-12, "HVAC heats below the comfort band");
    /* 30 °C is 6 °C above → 0.5 + 0.1·6 = 1.1 kW */
    CHECK_NEAR(fsim_aux_power_kw(&v, 30), 1.1, 1e-12, "HVAC cools above the comfort band");
    CHECK_NEAR(fsim_aux_power_kw(&v, 20), 0.5, 0, "no HVAC inside the comfort band");
    CHECK_NEAR(fsim_aux_power_kw(&v, 18), 0.5, 0, "no HVAC at the band's lower edge");
    CHECK_NEAR(fsim_aux_power_kw(&v, 24), 0.5, 0, "no HVAC at the band's upper edge");
}

static void test_physics(void)
{
    fsim_arena *a = fsim_arena_new();
    fsim_vehicle_params full = test_vehicle(), bare = bare_vehicle();

    /* Flat road, 20 m/s for 3600 s (3601 samples), 20 °C (ρ = 1.2040848):
     *   aero  = ½·1.2040848·0.3·2.5·20³            = 3612.2543 W
     *   roll  = 0.01·2000·9.80665·20               = 3922.6600 W
     *   batt  = (3612.2543 + 3922.6600) / 0.9      = 8372.1270 W → 8.3721270 kWh in 1 h
     *   + aux 0.5 kW·1 h (inside the band)         = 8.8721270 kWh */
    fsim_cycle flat = constant_cycle(a, 3601, 20, 0);
    fsim_energy_totals t = integrate(&full, &flat, 20);
    CHECK_NEAR(t.energy_kwh, 8.8721270, 1e-6, "constant speed on a flat road: 8.872 kWh in 1 h");
    CHECK_NEAR(t.traction_kwh, 8.3721270, 1e-6, "of which traction 8.372 kWh");
    CHECK_NEAR(t.aux_kwh, 0.5, 1e-12, "and aux 0.5 kWh");
    CHECK_NEAR(t.distance_km, 72, 1e-9, "20 m/s for 1 h is 72 km");
    CHECK_NEAR(t.kwh_per_km, 8.8721270 / 72, 1e-8, "kWh/km is energy over distance");
    CHECK_NEAR(t.duration_s, 3600, 0, "3601 samples last 3600 s");

    /* Climb at 10 m/s on grade 0.05 for 100 s, gravity only:
     *   sin θ = 0.05/√1.0025 = 0.0499376
     *   P = 2000·9.80665·0.0499376·10 = 9794.4146 W; /0.9 = 10.882683 kW
     *   E = 10.882683·100/3600 = 0.30229675 kWh */
    fsim_cycle climb = constant_cycle(a, 101, 10, 0.05);
    t = integrate(&bare, &climb, 20);
    CHECK_NEAR(t.energy_kwh, 0.30229675, 1e-8, "pure climb: m·g·sin θ·v / η = 0.3023 kWh");
    CHECK_NEAR(fsim_step_battery_kw(&bare, 1.2, 10, 10, 0.05), 10.882683, 1e-6,
               "one climbing step draws 10.883 kW");

    /* Gentle descent, 20 m/s on −0.08 for 60 s:
     *   sin θ = −0.08/√1.0064 = −0.0797452
     *   P_wheel = 2000·9.80665·(−0.0797452)·20 = −31281.339 W
     *   P_batt = −31.281339·0.6 = −18.768804 kW (below the 30 kW cap)
     *   E = −18.768804·60/3600 = −0.31281340 kWh */
    fsim_cycle gentle = constant_cycle(a, 61, 20, -0.08);
    t = integrate(&bare, &gentle, 20);
    CHECK_NEAR(t.energy_kwh, -0.31281340, 1e-8, "gentle descent recovers η_regen·m·g·sin θ·v");
    CHECK_NEAR(t.regen_kwh, 0.31281340, 1e-8, "regen is reported as a positive number");

    /* Steep descent, 25 m/s on −0.2: P_wheel = −2000·9.80665·0.1961161·25 = −96162 W,
     * ·0.6 = −57.7 kW, capped at maxRegenKw = 30 kW: E = −30·60/3600 = −0.5 kWh */
    fsim_cycle steep = constant_cycle(a, 61, 25, -0.2);
    t = integrate(&bare, &steep, 20);
    CHECK_NEAR(t.energy_kwh, -0.5, 1e-12, "steep descent: regen capped at maxRegenKw (-0.5 kWh)");
    CHECK_NEAR(fsim_step_battery_kw(&bare, 1.2, 25, 25, -0.2), -30, 1e-12,
               "a braking step never exceeds the regen cap");

    /* Acceleration 0 → 20 m/s at 2 m/s² on the flat, inertia only:
     *   wheel energy = m_eff·Δ(v²)/2 = 2100·400/2 = 420000 J; /0.9 = 466667 J = 0.12962963 kWh
     * and its first step: 2100·(2² − 0²)/2 = 4200 W; /0.9 = 4.6666667 kW */
    fsim_cycle accel = constant_cycle(a, 11, 0, 0);
    for (size_t i = 0; i < 11; i++)
        accel.speed_mps[i] = 2.0 * (double)i;
    t = integrate(&bare, &accel, 20);
    CHECK_NEAR(t.energy_kwh, 0.12962963, 1e-8, "acceleration costs m_eff·Δ(v²)/2/η = 0.1296 kWh");
    CHECK_NEAR(fsim_step_battery_kw(&bare, 1.2, 0, 2, 0), 4.6666667, 1e-7,
               "the first accelerating step draws 4.667 kW");

    /* Idle for 1 h with the full vehicle: no rolling at standstill, aux only:
     *   20 °C: 0.5 kW·1 h = 0.5 kWh;  −5 °C: (0.5 + 0.1·23)·1 h = 2.8 kWh */
    fsim_cycle idle = constant_cycle(a, 3601, 0, 0.03);
    t = integrate(&full, &idle, 20);
    CHECK_NEAR(t.energy_kwh, 0.5, 1e-12, "idle: auxKw × t only (no rolling at standstill)");
    t = integrate(&full, &idle, -5);
    CHECK_NEAR(t.energy_kwh, 2.8, 1e-12, "idle in the cold: aux + heating");
    t = integrate(&full, &idle, 30);
    CHECK_NEAR(t.energy_kwh, 1.1, 1e-12, "idle in the heat: aux + cooling");

    /* bad parameters are refused, naming the field */
    fsim_vehicle_params broken = full;
    broken.drivetrain_efficiency = 0;
    fsim_error err = {0}; /* printed even on success */
    fsim_energy_totals unused;
    CHECK(fsim_energy_integrate(&broken, &flat, 20, NULL, NULL, &unused, &err) == FSIM_INVALID &&
              strcmp(err.path, "drivetrainEfficiency") == 0,
          "a zero drivetrain efficiency is refused and named");
    fsim_arena_free(a);
}

static const char *data_dir(void)
{
    const char *d = getenv("FSIM_TEST_DATA");
    return d ? d : "tests/data";
}

static void test_epa_cycles(void)
{
    /* published cycle lengths: UDDS 11.99 km, HWFET 16.51 km, US06 12.89 km */
    const struct {
        const char *file;
        double km;
        size_t n;
    } cases[] = {{"udds.csv", 11.99, 1370}, {"hwfet.csv", 16.51, 766}, {"us06.csv", 12.89, 601}};
    fsim_vehicle_params v = test_vehicle();
    for (size_t i = 0; i < 3; i++) {
        fsim_arena *a = fsim_arena_new();
        char path[1024];
        snprintf(path, sizeof path, "%s/cycles/%s", data_dir(), cases[i].file);
        fsim_cycle c = {0};
        fsim_error err = {0}; /* printed even on success */
        fsim_status st = fsim_cycle_read_csv(path, a, &c, &err);
        CHECK(st == FSIM_OK, "%s reads (%.200s)", cases[i].file, err.message);
        CHECK(c.n == cases[i].n, "%s has %zu samples (1 Hz from 0 s)", cases[i].file, cases[i].n);
        if (st != FSIM_OK || c.n < 2) {
            fsim_arena_free(a);
            continue;
        }
        CHECK_NEAR(c.distance_m[c.n - 1] / 1000, cases[i].km, 0.01, "%s is %.2f km", cases[i].file,
                   cases[i].km);

        /* the profile: monotone where the step's P_total >= 0, each step adding P_total/3600,
         * and ending at the totals */
        fsim_energy_profile prof;
        fsim_energy_totals tot, tot_only;
        st = fsim_energy_integrate(&v, &c, -5, a, &prof, &tot, &err);
        CHECK(st == FSIM_OK && prof.n == c.n, "%s integrates with a profile", cases[i].file);
        fsim_energy_integrate(&v, &c, -5, NULL, NULL, &tot_only, &err);
        double rho = fsim_air_density(-5), aux = fsim_aux_power_kw(&v, -5);
        bool monotone = true, steps_match = true;
        for (size_t k = 1; k < c.n; k++) {
            double p = fsim_step_battery_kw(&v, rho, c.speed_mps[k - 1], c.speed_mps[k], c.grade[k]) +
                       aux;
            double d = prof.cum_kwh[k] - prof.cum_kwh[k - 1];
            if (p >= 0 && d < 0)
                monotone = false;
            if (fabs(d - p / 3600) > 1e-9)
                steps_match = false;
        }
        CHECK(monotone, "%s: cum_kwh never falls while P_total >= 0", cases[i].file);
        CHECK(steps_match, "%s: each step adds P_total/3600 kWh", cases[i].file);
        CHECK(prof.cum_kwh[c.n - 1] == tot.energy_kwh, "%s: the profile ends at the total",
              cases[i].file);
        CHECK(tot_only.energy_kwh == tot.energy_kwh, "%s: same total with or without a profile",
              cases[i].file);
        CHECK_NEAR(prof.cum_km[c.n - 1], tot.distance_km, 1e-12, "%s: cum_km ends at the distance",
                   cases[i].file);
        CHECK_NEAR(tot.energy_kwh, tot.traction_kwh - tot.regen_kwh + tot.aux_kwh, 1e-9,
                   "%s: net = traction − regen + aux", cases[i].file);
        fsim_arena_free(a);
    }
}

static void test_csv_good(void)
{
    fsim_arena *a = fsim_arena_new();
    char path[1024];
    fsim_cycle c = {0};
    fsim_error err = {0}; /* printed even on success */

    /* BOM, CRLF, a quoted number, no newline at the end: speeds 0, 1.5, 3 →
     * distance (0 + 1.5)/2 + (1.5 + 3)/2 = 3 m */
    snprintf(path, sizeof path, "%s/model/bom_crlf_quoted.csv", data_dir());
    fsim_status st = fsim_cycle_read_csv(path, a, &c, &err);
    CHECK(st == FSIM_OK && c.n == 3, "BOM, CRLF and quotes are read (%.200s)", err.message);
    if (st == FSIM_OK && c.n == 3) {
        CHECK_NEAR(c.distance_m[2], 3.0, 1e-12, "trapezoidal distance of 0, 1.5, 3 m/s is 3 m");
        CHECK_NEAR(c.grade[1], 0.01, 0, "the grade column is read");
    }

    /* no header, two columns, a blank line skipped: speeds 0, 2, 2 → 1 + 2 = 3 m, flat */
    snprintf(path, sizeof path, "%s/model/plain_no_header.csv", data_dir());
    st = fsim_cycle_read_csv(path, a, &c, &err);
    CHECK(st == FSIM_OK && c.n == 3, "a headerless seconds,mps file is read (%.200s)", err.message);
    if (st == FSIM_OK && c.n == 3)
        CHECK(c.distance_m[2] == 3.0 && c.grade[2] == 0.0, "headerless: 3 m on the flat");
    fsim_arena_free(a);
}

static void test_csv_errors(void)
{
    const struct {
        const char *file;
        const char *expect; /* after "<path>:" */
    } cases[] = {
        {"bad_number.csv", "3:2: mps: not a number: \"abc\""},
        {"missing_field.csv", "3:3: cycGrade: missing field \"cycGrade\""},
        {"negative_speed.csv", "2:2: mps: speed must be >= 0, got -1"},
        {"nonfinite_speed.csv", "3:2: mps: must be a finite number, got \"inf\""},
        {"steep_grade.csv", "3:3: grade: grade must be between -0.5 and 0.5, got 0.6"},
        {"time_gap.csv", "3:1: seconds: time must step by exactly 1 s: expected 2, got 3"},
        {"time_backwards.csv", "4:1: seconds: time does not increase: expected 2, got 1"},
        {"time_start.csv", "2:1: seconds: time must start at 0, got 5"},
        {"empty.csv", "1: empty file: no samples"},
        {"header_only.csv", "1: no samples after the header"},
        {"too_fast.csv", "2:2: mps: speed 101 m/s is above 100 m/s"},
        {"unterminated_quote.csv", "3:2: mps: malformed CSV: unterminated quote"},
        {"unknown_column.csv", "1:1: unknown column \"time\"; expected cycSecs,cycMps,cycGrade,"
                               "cycRoadType or seconds,mps[,grade]"},
        {"too_many_fields.csv", "1:4: too many fields: expected 3"},
        {"empty_field.csv", "2:2: mps: empty field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        fsim_arena *a = fsim_arena_new();
        char path[1024], want[1600], got[1600];
        snprintf(path, sizeof path, "%s/model/%s", data_dir(), cases[i].file);
        snprintf(want, sizeof want, "%s:%s", path, cases[i].expect);
        fsim_cycle c = {0};
        fsim_error err = {0}; /* printed even on success */
        fsim_status st = fsim_cycle_read_csv(path, a, &c, &err);
        fsim_error_format(&err, got, sizeof got);
        CHECK(st == FSIM_INVALID, "%s is refused as invalid input", cases[i].file);
        CHECK_STR(got, want, "%s: the error names file:line, the column and why", cases[i].file);
        fsim_arena_free(a);
    }

    /* random bytes: refused with a line number, never a crash */
    fsim_arena *a = fsim_arena_new();
    char path[1024];
    snprintf(path, sizeof path, "%s/model/garbage.csv", data_dir());
    fsim_cycle c = {0};
    fsim_error err = {0}; /* printed even on success */
    fsim_status st = fsim_cycle_read_csv(path, a, &c, &err);
    CHECK(st == FSIM_INVALID && err.line >= 1, "random bytes are refused at a line (%.200s)",
          err.message);
    snprintf(path, sizeof path, "%s/model/no_such_file.csv", data_dir());
    st = fsim_cycle_read_csv(path, a, &c, &err);
    CHECK(st == FSIM_NOT_FOUND, "a missing file is NOT_FOUND");
    fsim_arena_free(a);
}

/* ---- synthesis from a route ---------------------------------------------------------- */

/* A straight path along the equator from segment lengths, grades and speeds (NaN = default);
 * lon/lat are not used by the synthesis. */
static fsim_route_path make_path(fsim_arena *a, size_t nseg, const double *len, const double *grade,
                                 const double *kph)
{
    fsim_route_path p = {0};
    p.n = nseg + 1;
    p.lon = fsim_arena_calloc(a, p.n, sizeof(double));
    p.lat = fsim_arena_calloc(a, p.n, sizeof(double));
    p.elevation_m = fsim_arena_calloc(a, p.n, sizeof(double));
    p.segment_m = fsim_arena_calloc(a, nseg, sizeof(double));
    p.grade = fsim_arena_calloc(a, nseg, sizeof(double));
    p.speed_kph = fsim_arena_calloc(a, nseg, sizeof(double));
    for (size_t i = 0; i < nseg; i++) {
        p.segment_m[i] = len[i];
        p.grade[i] = grade[i];
        p.speed_kph[i] = kph[i];
        p.length_m += len[i];
        p.elevation_m[i + 1] = p.elevation_m[i] + len[i] * grade[i];
    }
    return p;
}

/* Index of the segment containing distance d (half-open [start, end)). */
static size_t segment_at(const fsim_route_path *p, double d)
{
    double end = 0;
    for (size_t i = 0; i + 1 < p->n; i++) {
        end += p->segment_m[i];
        if (d < end)
            return i;
    }
    return p->n - 2;
}

/* Checks every property a synthesized cycle must have; returns the number of arrivals. */
static size_t check_trace(const char *name, const fsim_route_path *p, const fsim_route_params *rp,
                          const fsim_cycle *c)
{
    bool within_speed = true, within_accel = true, non_negative = true;
    size_t arrivals = 0;
    for (size_t i = 0; i < c->n; i++) {
        double kph = p->speed_kph[segment_at(p, c->distance_m[i])];
        double limit = (isnan(kph) ? rp->speed_kph : kph) / 3.6;
        if (c->speed_mps[i] > limit + 1e-9)
            within_speed = false;
        if (c->speed_mps[i] < 0)
            non_negative = false;
        if (i > 0) {
            double dv = c->speed_mps[i] - c->speed_mps[i - 1];
            if (dv > rp->accel_mps2 + 1e-9 || -dv > rp->brake_mps2 + 1e-9)
                within_accel = false;
            if (c->speed_mps[i] == 0 && c->speed_mps[i - 1] > 0)
                arrivals++;
        }
    }
    CHECK_NEAR(c->distance_m[c->n - 1], p->length_m, p->length_m * 0.005,
               "%s: the trace integrates to the route length (within 0.5 %%)", name);
    CHECK_NEAR(c->distance_m[c->n - 1], p->length_m, 1e-6,
               "%s: ... in fact to the millimetre", name);
    CHECK(within_speed, "%s: no sample above its segment's speed", name);
    CHECK(within_accel, "%s: |Δv| within accelMps2 / brakeMps2 every second", name);
    CHECK(non_negative, "%s: no negative speed", name);
    CHECK(c->speed_mps[0] == 0 && c->speed_mps[c->n - 1] == 0, "%s: starts and ends at rest",
          name);
    return arrivals;
}

static void test_synthesis(void)
{
    fsim_arena *a = fsim_arena_new();
    fsim_error err = {0}; /* printed even on success */

    /* 5 km: 1200 m default speed climbing 2 %, 500 m at 20 km/h descending 1 %, 3300 m
     * default flat. Stops every 2 km → at 2000 and 4000 m, plus the final one at 5000 m. */
    const double len[] = {1200, 500, 3300}, grade[] = {0.02, -0.01, 0}, kph[] = {NAN, 20, NAN};
    fsim_route_path p = make_path(a, 3, len, grade, kph);
    fsim_route_params rp = {.speed_kph = 50, .stops_per_km = 0.5, .dwell_seconds = 30,
                            .accel_mps2 = 1.5, .brake_mps2 = 2.0};
    fsim_cycle c = {0};
    fsim_status st = fsim_cycle_from_route(&p, &rp, a, &c, &err);
    CHECK(st == FSIM_OK, "a 5 km route synthesizes (%.200s)", err.message);
    if (st == FSIM_OK) {
        CHECK(check_trace("5 km route", &p, &rp, &c) == 3, "5 km, a stop every 2 km: 3 stops");
        bool slow_zone = true, dwell_ok = true, grades_ok = true;
        double vmax = 0;
        size_t run = 0;
        for (size_t i = 0; i < c.n; i++) {
            double d = c.distance_m[i];
            if (d >= 1200 && d < 1700 && c.speed_mps[i] > 20 / 3.6 + 1e-9)
                slow_zone = false;
            vmax = c.speed_mps[i] > vmax ? c.speed_mps[i] : vmax;
            /* standstill runs: 31 samples (the arrival + 30 s dwell) at the two inner stops */
            if (c.speed_mps[i] == 0) {
                run++;
            } else {
                if (run > 1 && run != 31)
                    dwell_ok = false;
                run = 0;
            }
            /* a step wholly within one segment carries that segment's grade */
            if (i > 0) {
                size_t s0 = segment_at(&p, c.distance_m[i - 1]), s1 = segment_at(&p, d);
                if (s0 == s1 && d > c.distance_m[i - 1] && fabs(c.grade[i] - grade[s0]) > 1e-12)
                    grades_ok = false;
            }
        }
        CHECK(slow_zone, "never above 20 km/h between 1200 and 1700 m");
        CHECK_NEAR(vmax, 50 / 3.6, 1e-9, "cruises at the default 50 km/h where it can");
        CHECK(dwell_ok, "stands 30 s at each inner stop");
        CHECK(grades_ok, "grade at each second is the grade of the segment it is on");
        /* climb: Σ grade·Δs = 1200·0.02 + 500·(−0.01) = 19 m */
        double rise = 0;
        for (size_t i = 1; i < c.n; i++)
            rise += c.grade[i] * (c.distance_m[i] - c.distance_m[i - 1]);
        CHECK_NEAR(rise, 19, 1e-6, "the grades add up to the route's 19 m net climb");
    }

    /* a stop that would fall within 1 m of the end merges with the final stop */
    const double len2[] = {4000.5}, grade2[] = {0}, kph2[] = {NAN};
    fsim_route_path p2 = make_path(a, 1, len2, grade2, kph2);
    st = fsim_cycle_from_route(&p2, &rp, a, &c, &err);
    CHECK(st == FSIM_OK && check_trace("4000.5 m route", &p2, &rp, &c) == 2,
          "4000.5 m, a stop every 2 km: 2 stops (the one at 4000 m is the final stop)");

    /* dense stops, many small segments with varying speeds: 10 km of 25 m segments */
    enum { NSEG = 400 };
    double len3[NSEG], grade3[NSEG], kph3[NSEG];
    for (size_t i = 0; i < NSEG; i++) {
        len3[i] = 25;
        grade3[i] = (i % 7) * 0.005 - 0.015;
        kph3[i] = (i / 40) % 3 == 0 ? NAN : (i / 40) % 3 == 1 ? 30 : 70;
    }
    fsim_route_path p3 = make_path(a, NSEG, len3, grade3, kph3);
    fsim_route_params rp3 = {.speed_kph = 50, .stops_per_km = 3, .dwell_seconds = 0,
                             .accel_mps2 = 1.0, .brake_mps2 = 1.5};
    st = fsim_cycle_from_route(&p3, &rp3, a, &c, &err);
    /* 3 per km on 10 km: at 333.3, 666.7, …, 9666.7 m (29) + the final stop = 30 */
    CHECK(st == FSIM_OK && check_trace("10 km, 400 segments", &p3, &rp3, &c) == 30,
          "10 km at 3 stops/km: 30 stops");

    /* no stops at all: only the final one */
    rp3.stops_per_km = 0;
    st = fsim_cycle_from_route(&p3, &rp3, a, &c, &err);
    CHECK(st == FSIM_OK && check_trace("10 km, no stops", &p3, &rp3, &c) == 1,
          "stopsPerKm 0: only the final stop");

    /* deterministic: the same inputs give the same trace */
    fsim_cycle again = {0};
    fsim_cycle_from_route(&p3, &rp3, a, &again, &err);
    CHECK(again.n == c.n && memcmp(again.speed_mps, c.speed_mps, c.n * sizeof(double)) == 0,
          "synthesis is deterministic");

    /* bad parameters name the field */
    fsim_route_params bad = rp;
    bad.brake_mps2 = 0;
    st = fsim_cycle_from_route(&p, &bad, a, &c, &err);
    CHECK(st == FSIM_INVALID && strcmp(err.path, "brakeMps2") == 0, "brakeMps2 0 is refused");
    p.speed_kph[1] = -5;
    st = fsim_cycle_from_route(&p, &rp, a, &c, &err);
    CHECK(st == FSIM_INVALID && strcmp(err.path, "segments[1]") == 0,
          "a negative segment speed is refused, naming the segment");
    fsim_arena_free(a);
}

int main(void)
{
    test_air_and_aux();
    test_physics();
    test_epa_cycles();
    test_csv_good();
    test_csv_errors();
    test_synthesis();
    return check_done();
}
