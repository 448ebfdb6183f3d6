/* The longitudinal energy model (see fleetsim/model.h and DESIGN.md "Models").
 *
 * Discretisation — one step per second, from sample i−1 to sample i (Δt = 1 s), in the
 * energy-based form FASTSim and SUMO use, so that a step's wheel energy is exactly the
 * change of kinetic energy plus the work of the resistive forces over the step:
 *
 *   v0 = speed[i−1], v1 = speed[i], v_avg = (v0 + v1)/2, θ = atan(grade[i])
 *   m = massKg + payloadKg, m_eff = m·(1 + rotationalInertiaFactor)
 *   P_inertia = m_eff·(v1² − v0²) / (2·Δt)
 *   P_aero    = ½·ρ·Cd·A·(v0³ + v1³)/2
 *   P_roll    = Crr·m·g·cos θ·v_avg             (0 at standstill: v_avg = 0)
 *   P_grade   = m·g·sin θ·v_avg
 *   P_wheel   = P_inertia + P_aero + P_roll + P_grade
 *   P_batt    = P_wheel / η_drive                 when P_wheel >= 0
 *             = max(P_wheel·η_regen, −maxRegenKw)  otherwise (the cap is at the battery)
 *   P_total   = P_batt + fsim_aux_power_kw(T): auxKw + hvacKwPerDegC·(°C outside the
 *               comfort band), or the cabin model of model/hvac.c
 *   E        += P_total·Δt
 *
 * With motorKw > 0 the line P_batt above is replaced by the operating-point powertrain of
 * model/powertrain.c (gearbox, motor at its load, regen fade and caps, pack I²R, parasitic
 * draw), integrated by integrate_powertrain() below, which also tracks the state of charge.
 *
 * Aux and HVAC run for every step of the cycle, standstill included; a cycle of n samples
 * has n − 1 steps and lasts n − 1 seconds. ρ = 101325 / (287.058·(T + 273.15)).
 * cos θ and sin θ come from cos(atan g) = 1/√(1+g²), sin(atan g) = g/√(1+g²), recomputed
 * only when the grade changes from one step to the next. */
#include <fleetsim/model.h>

#include <math.h>

#include "model_internal.h"

#define SEA_LEVEL_PA 101325.0
#define R_DRY_AIR 287.058
#define KELVIN 273.15

/* Per-vehicle constants of the step formula, hoisted out of the hot loop. */
struct coeffs {
    double k_inertia;   /* m_eff / 2          (W per (m/s)²) */
    double k_aero;      /* ½ρCdA / 2          (W per (m/s)³) */
    double mg;          /* m·g */
    double crr;
    double inv_eta;     /* 1 / η_drive */
    double eta_regen;
    double regen_cap_kw;
};

/* Folds the vehicle and the air density into the step formula's constants. */
static void coeffs_init(struct coeffs *c, const fsim_vehicle_params *v, double rho)
{
    double m = v->mass_kg + v->payload_kg;
    c->k_inertia = 0.5 * m * (1.0 + v->rotational_inertia_factor);
    c->k_aero = 0.25 * rho * v->drag_coefficient * v->frontal_area_m2;
    c->mg = m * FSIM_GRAVITY_MPS2;
    c->crr = v->rolling_resistance;
    c->inv_eta = 1.0 / v->drivetrain_efficiency;
    c->eta_regen = v->regen_efficiency;
    c->regen_cap_kw = v->max_regen_kw;
}

/* The grade-dependent force per unit speed, m·g·(Crr·cos θ + sin θ), θ = atan(grade). */
static double slope_force(const struct coeffs *c, double grade)
{
    double inv = 1.0 / sqrt(1.0 + grade * grade);
    return c->mg * (c->crr * inv + grade * inv);
}

/* Wheel power (kW) of one step; `k_slope` is slope_force() of the step's grade. */
static inline double wheel_kw(const struct coeffs *c, double k_slope, double v0, double v1)
{
    double w = c->k_inertia * (v1 * v1 - v0 * v0) + c->k_aero * (v0 * v0 * v0 + v1 * v1 * v1) +
               k_slope * 0.5 * (v0 + v1);
    return w * 1e-3;
}

/* Splits wheel power into what the battery delivers (traction, >= 0) and receives
 * (regen, <= 0, capped); written as selects so the compiler emits no branch. */
static inline void battery_kw(const struct coeffs *c, double p_wheel, double *traction,
                              double *regen)
{
    double pos = p_wheel > 0.0 ? p_wheel : 0.0;
    double neg = p_wheel < 0.0 ? p_wheel : 0.0;
    double r = neg * c->eta_regen;
    *traction = pos * c->inv_eta;
    *regen = r > -c->regen_cap_kw ? r : -c->regen_cap_kw;
}

double fsim_air_density(double temperature_c)
{
    return SEA_LEVEL_PA / (R_DRY_AIR * (temperature_c + KELVIN));
}

double fsim_step_battery_kw(const fsim_vehicle_params *vehicle, double air_density, double v0_mps,
                            double v1_mps, double grade)
{
    struct coeffs c;
    coeffs_init(&c, vehicle, air_density);
    double p_wheel = wheel_kw(&c, slope_force(&c, grade), v0_mps, v1_mps);
    if (vehicle->motor_kw > 0) {
        struct fsim__powertrain pt;
        fsim__powertrain_init(&pt, vehicle);
        double term = fsim__powertrain_elec_kw(&pt, p_wheel, 0.5 * (v0_mps + v1_mps),
                                               FSIM_ENERGY_DEFAULT_SOC);
        if (v0_mps > 0 || v1_mps > 0)
            term += vehicle->parasitic_kw;
        return fsim_battery_internal_kw(vehicle->pack_voltage, vehicle->internal_resistance_ohm,
                                        term);
    }
    double traction, regen;
    battery_kw(&c, p_wheel, &traction, &regen);
    return traction + regen;
}

void fsim__cycle_fill_distance(size_t n, const double *speed_mps, double *distance_m)
{
    if (n == 0)
        return;
    distance_m[0] = 0.0;
    for (size_t i = 1; i < n; i++)
        distance_m[i] = distance_m[i - 1] + 0.5 * (speed_mps[i - 1] + speed_mps[i]);
}

/* One range check of check_vehicle(): the key a message names, the value, its bounds. */
struct rule {
    const char *key;
    double value;
    double min;
    double max;
};

static fsim_status check_rules(const struct rule *rules, size_t n, fsim_error *err)
{
    for (size_t i = 0; i < n; i++) {
        double x = rules[i].value;
        if (!isfinite(x) || x < rules[i].min || x > rules[i].max)
            return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, rules[i].key,
                                  "value %g is out of range for the energy model", x);
    }
    return FSIM_OK;
}

/* A parameter set the formula cannot use (a division by zero, a NaN that would poison every
 * total) is refused once, before the loop; the config loader validates ranges in detail.
 * The powertrain and cabin keys are checked only when their model is switched on. */
static fsim_status check_vehicle(const fsim_vehicle_params *v, fsim_error *err)
{
    const struct rule rules[] = {
        {"motorKw", v->motor_kw, 0, INFINITY},
        {"cabinUaKwPerDegC", v->cabin_ua_kw_per_degc, 0, INFINITY},
        {"massKg", v->mass_kg, 1e-9, INFINITY},
        {"payloadKg", v->payload_kg, 0, INFINITY},
        {"dragCoefficient", v->drag_coefficient, 0, INFINITY},
        {"frontalAreaM2", v->frontal_area_m2, 0, INFINITY},
        {"rollingResistance", v->rolling_resistance, 0, INFINITY},
        {"rotationalInertiaFactor", v->rotational_inertia_factor, 0, INFINITY},
        {"drivetrainEfficiency", v->drivetrain_efficiency, 1e-9, 1},
        {"regenEfficiency", v->regen_efficiency, 0, 1},
        {"maxRegenKw", v->max_regen_kw, 0, INFINITY},
        {"auxKw", v->aux_kw, 0, INFINITY},
        {"hvacKwPerDegC", v->hvac_kw_per_degc, 0, INFINITY},
        {"comfortBandC[0]", v->comfort_low_c, -INFINITY, INFINITY},
        {"comfortBandC[1]", v->comfort_high_c, v->comfort_low_c, INFINITY},
    };
    const struct rule powertrain[] = {
        {"gearboxEfficiency", v->gearbox_efficiency, 1e-9, 1},
        {"packVoltage", v->pack_voltage, 1e-9, INFINITY},
        {"internalResistanceOhm", v->internal_resistance_ohm, 0, INFINITY},
        {"regenFadeKph", v->regen_fade_kph, 0, INFINITY},
        {"parasiticKw", v->parasitic_kw, 0, INFINITY},
        {"batteryKwh", v->battery_kwh, 1e-9, INFINITY},
    };
    const struct rule hvac[] = {
        {"cabinSetPointC", v->cabin_set_point_c, -INFINITY, INFINITY},
        {"heatPumpCop", v->heat_pump_cop, 1, INFINITY},
        {"acCop", v->ac_cop, 1e-9, INFINITY},
        {"batteryHeatKwPerDegC", v->battery_heat_kw_per_degc, 0, INFINITY},
    };
    fsim_status st = check_rules(rules, sizeof rules / sizeof *rules, err);
    if (st == FSIM_OK && v->cabin_ua_kw_per_degc > 0)
        st = check_rules(hvac, sizeof hvac / sizeof *hvac, err);
    if (st != FSIM_OK || !(v->motor_kw > 0))
        return st;
    st = check_rules(powertrain, sizeof powertrain / sizeof *powertrain, err);
    for (size_t i = 0; st == FSIM_OK && i < v->motor_curve_len; i++) {
        bool ascending = i == 0 || v->motor_curve_frac[i] > v->motor_curve_frac[i - 1];
        double eff = v->motor_curve_eff[i];
        if (!ascending || !isfinite(eff) || !(eff > 0 && eff <= 1))
            st = fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "motorEfficiency",
                                "point %zu is out of range for the energy model", i);
    }
    return st;
}

/* Running sums of one integration, in kW·s (kJ). */
struct sums {
    double traction;
    double regen;
    double total;
    double distance_m;
    double loss;
};

/* The hot loop without a profile: no stores but the sums. */
static void integrate_totals(const struct coeffs *c, const double *restrict v,
                             const double *restrict grade, size_t n, double aux_kw,
                             struct sums *out)
{
    double traction = 0, regen = 0, total = 0, dist = 0;
    double cur_grade = grade[0], k_slope = slope_force(c, cur_grade);
    for (size_t i = 1; i < n; i++) {
        double g = grade[i];
        if (g != cur_grade) {
            cur_grade = g;
            k_slope = slope_force(c, g);
        }
        double v0 = v[i - 1], v1 = v[i], t, r;
        battery_kw(c, wheel_kw(c, k_slope, v0, v1), &t, &r);
        traction += t;
        regen += r;
        total += t + r + aux_kw;
        dist += 0.5 * (v0 + v1);
    }
    *out = (struct sums){traction, regen, total, dist, 0};
}

/* The same loop, also storing the cumulative kWh and km at every sample. */
static void integrate_profile(const struct coeffs *c, const double *restrict v,
                              const double *restrict grade, size_t n, double aux_kw,
                              double *restrict cum_kwh, double *restrict cum_km,
                              struct sums *out)
{
    const double per_hour = 1.0 / 3600.0;
    double traction = 0, regen = 0, total = 0, dist = 0;
    double cur_grade = grade[0], k_slope = slope_force(c, cur_grade);
    cum_kwh[0] = 0.0;
    cum_km[0] = 0.0;
    for (size_t i = 1; i < n; i++) {
        double g = grade[i];
        if (g != cur_grade) {
            cur_grade = g;
            k_slope = slope_force(c, g);
        }
        double v0 = v[i - 1], v1 = v[i], t, r;
        battery_kw(c, wheel_kw(c, k_slope, v0, v1), &t, &r);
        traction += t;
        regen += r;
        total += t + r + aux_kw;
        dist += 0.5 * (v0 + v1);
        cum_kwh[i] = total * per_hour;
        cum_km[i] = dist * 1e-3;
    }
    *out = (struct sums){traction, regen, total, dist, 0};
}

/* The powertrain path: one loop for totals and profile (cum_kwh / cum_km may be NULL),
 * since the state of charge it carries makes each step depend on the ones before. */
static void integrate_powertrain(const struct coeffs *c, const fsim_vehicle_params *veh,
                                 const double *v, const double *grade, size_t n,
                                 double aux_kw, double soc, double *cum_kwh, double *cum_km,
                                 struct sums *out)
{
    const double per_hour = 1.0 / 3600.0;
    struct fsim__powertrain pt;
    fsim__powertrain_init(&pt, veh);
    double traction = 0, regen = 0, total = 0, dist = 0, loss = 0;
    double cur_grade = grade[0], k_slope = slope_force(c, cur_grade);
    double soc_per_kws = per_hour / veh->battery_kwh;
    if (cum_kwh) {
        cum_kwh[0] = 0.0;
        cum_km[0] = 0.0;
    }
    for (size_t i = 1; i < n; i++) {
        if (grade[i] != cur_grade) {
            cur_grade = grade[i];
            k_slope = slope_force(c, cur_grade);
        }
        double v0 = v[i - 1], v1 = v[i], v_avg = 0.5 * (v0 + v1);
        double elec = fsim__powertrain_elec_kw(&pt, wheel_kw(c, k_slope, v0, v1), v_avg, soc);
        double parasitic = v0 > 0 || v1 > 0 ? pt.parasitic_kw : 0.0;
        double term = elec + parasitic + aux_kw;
        double cell = fsim_battery_internal_kw(veh->pack_voltage, veh->internal_resistance_ohm,
                                               term);
        if (elec > 0)
            traction += elec;
        else
            regen += elec;
        loss += cell - term + parasitic;
        total += cell;
        dist += v_avg;
        soc -= cell * soc_per_kws;
        if (cum_kwh) {
            cum_kwh[i] = total * per_hour;
            cum_km[i] = dist * 1e-3;
        }
    }
    *out = (struct sums){traction, regen, total, dist, loss};
}

fsim_status fsim_energy_integrate(const fsim_vehicle_params *vehicle, const fsim_cycle *cycle,
                                  double ambient_c, fsim_arena *arena, fsim_energy_profile *profile,
                                  fsim_energy_totals *totals, fsim_error *err)
{
    return fsim_energy_integrate_soc(vehicle, cycle, ambient_c, FSIM_ENERGY_DEFAULT_SOC, arena,
                                     profile, totals, err);
}

fsim_status fsim_energy_integrate_soc(const fsim_vehicle_params *vehicle,
                                      const fsim_cycle *cycle, double ambient_c,
                                      double start_soc, fsim_arena *arena,
                                      fsim_energy_profile *profile, fsim_energy_totals *totals,
                                      fsim_error *err)
{
    if (!vehicle || !cycle || !totals || (profile && !arena))
        return fsim_error_set(err, FSIM_INTERNAL, NULL, 0, 0, NULL,
                              "energy integration called without its inputs");
    if (cycle->n == 0 || !cycle->speed_mps || !cycle->grade)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, NULL, "cannot integrate an empty cycle");
    if (!isfinite(ambient_c) || ambient_c <= -KELVIN)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "ambientTemperatureC",
                              "temperature %g °C is not physical", ambient_c);
    if (!isfinite(start_soc) || start_soc < 0 || start_soc > 1)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "soc",
                              "state of charge %g is not between 0 and 1", start_soc);
    fsim_status st = check_vehicle(vehicle, err);
    if (st != FSIM_OK)
        return st;

    struct coeffs c;
    coeffs_init(&c, vehicle, fsim_air_density(ambient_c));
    double aux_kw = fsim_aux_power_kw(vehicle, ambient_c);
    size_t n = cycle->n;
    struct sums s;
    double *cum_kwh = NULL, *cum_km = NULL;
    if (profile) {
        cum_kwh = fsim_arena_calloc(arena, n, sizeof *cum_kwh);
        cum_km = fsim_arena_calloc(arena, n, sizeof *cum_km);
        if (!cum_kwh || !cum_km)
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        profile->n = n;
        profile->cum_kwh = cum_kwh;
        profile->cum_km = cum_km;
    }
    if (vehicle->motor_kw > 0)
        integrate_powertrain(&c, vehicle, cycle->speed_mps, cycle->grade, n, aux_kw, start_soc,
                             cum_kwh, cum_km, &s);
    else if (profile)
        integrate_profile(&c, cycle->speed_mps, cycle->grade, n, aux_kw, cum_kwh, cum_km, &s);
    else
        integrate_totals(&c, cycle->speed_mps, cycle->grade, n, aux_kw, &s);

    const double per_hour = 1.0 / 3600.0;
    fsim_energy_totals t = {0};
    t.energy_kwh = s.total * per_hour;
    t.traction_kwh = s.traction * per_hour;
    t.regen_kwh = 0.0 - s.regen * per_hour; /* +0 rather than -0 when nothing is recovered */
    t.duration_s = (double)(n - 1);
    t.aux_kwh = aux_kw * t.duration_s * per_hour;
    t.loss_kwh = s.loss * per_hour;
    t.distance_km = s.distance_m * 1e-3;
    t.kwh_per_km = t.distance_km > 0 ? t.energy_kwh / t.distance_km : 0.0;
    *totals = t;
    if (profile)
        profile->totals = t;
    return FSIM_OK;
}
