/* fleetsim — vehicle energy model (pure: no I/O except the cycle CSV reader, no globals).
 *
 * Longitudinal dynamics at 1 s resolution over a drive cycle (DESIGN.md "Models"):
 *   F = m_eff·a + ½·ρ·Cd·A·v² + Crr·m·g·cos θ + m·g·sin θ,  m_eff = m·(1 + rotational factor)
 *   P_batt = P_wheel/η_drive (traction) or max(P_wheel·η_regen, −P_regen_max) (braking)
 *   P_total = P_batt + P_aux + P_hvac(T_ambient)
 * A cycle is a speed trace; it is read from CSV (EPA files, or `seconds,mps[,grade]`) or
 * synthesized from a route (accelerate, cruise at the segment speed, brake for stops, dwell). */
#ifndef FLEETSIM_MODEL_H
#define FLEETSIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/arena.h>
#include <fleetsim/error.h>

#define FSIM_CHARGE_CURVE_MAX 16
#define FSIM_GRAVITY_MPS2 9.80665

/* One vehicle type's parameters, as vehicles.yaml gives them (keys in comments). */
typedef struct fsim_vehicle_params {
    double battery_kwh;               /* batteryKwh: usable capacity */
    double mass_kg;                   /* massKg: curb + driver */
    double payload_kg;                /* payloadKg */
    double drag_coefficient;          /* dragCoefficient */
    double frontal_area_m2;           /* frontalAreaM2 */
    double rolling_resistance;        /* rollingResistance */
    double rotational_inertia_factor; /* rotationalInertiaFactor */
    double drivetrain_efficiency;     /* drivetrainEfficiency: battery -> wheel */
    double regen_efficiency;          /* regenEfficiency: wheel -> battery */
    double max_regen_kw;              /* maxRegenKw */
    double aux_kw;                    /* auxKw */
    double hvac_kw_per_degc;          /* hvacKwPerDegC */
    double comfort_low_c;             /* comfortBandC[0] */
    double comfort_high_c;            /* comfortBandC[1] */
    double max_ac_kw;                 /* maxAcKw */
    double max_dc_kw;                 /* maxDcKw */
    double reserve_soc;               /* reserveSoc */
    size_t charge_curve_len;          /* chargeCurve: [[soc, kW], ...], soc ascending */
    double charge_curve_soc[FSIM_CHARGE_CURVE_MAX];
    double charge_curve_kw[FSIM_CHARGE_CURVE_MAX];
} fsim_vehicle_params;

/* How a route is driven, as routes.yaml gives it. */
typedef struct fsim_route_params {
    double speed_kph;      /* speedKph: default cruise speed where a segment has none */
    double stops_per_km;   /* stopsPerKm: full stops (traffic, deliveries) spread evenly */
    double dwell_seconds;  /* dwellSeconds: standstill at each stop */
    double accel_mps2;     /* accelMps2: acceleration limit */
    double brake_mps2;     /* brakeMps2: braking limit */
} fsim_route_params;

/* A speed trace at 1 Hz: sample i is the state at t = i seconds. `grade` is rise/run
 * (sin θ ≈ tan θ is NOT assumed: the model converts with atan). `distance_m[i]` is the
 * distance travelled from t = 0 to t = i (trapezoidal), so distance_m[0] = 0.
 * Arrays are owned by the arena the cycle was made in. */
typedef struct fsim_cycle {
    size_t n;
    double *speed_mps;
    double *grade;
    double *distance_m;
} fsim_cycle;

/* Totals of one cycle for one vehicle. Energies are at the battery, kWh. */
typedef struct fsim_energy_totals {
    double energy_kwh;      /* net: traction − regen + aux + hvac */
    double traction_kwh;    /* drawn for propulsion (P_batt > 0) */
    double regen_kwh;       /* recovered (positive number) */
    double aux_kwh;         /* auxiliary + HVAC */
    double distance_km;
    double kwh_per_km;      /* energy_kwh / distance_km (0 when distance is 0) */
    double duration_s;
} fsim_energy_totals;

/* Cumulative battery energy over a cycle, for the engine to apply step by step:
 * cum_kwh[i] = net energy used from t = 0 to t = i, cum_km[i] likewise; both have n
 * entries (cycle.n). Owned by the arena. */
typedef struct fsim_energy_profile {
    size_t n;
    double *cum_kwh;
    double *cum_km;
    fsim_energy_totals totals;
} fsim_energy_profile;

/* Air density (kg/m³) of dry air at sea-level pressure: ρ = p / (R_specific · T);
 * 20 °C → 1.204. */
double fsim_air_density(double temperature_c);

/* HVAC + auxiliary power (kW) at an ambient temperature: auxKw + hvacKwPerDegC × the
 * distance in °C outside the comfort band. */
double fsim_aux_power_kw(const fsim_vehicle_params *vehicle, double ambient_c);

/* Battery power (kW, negative while regenerating) for one 1 s step from speed v0 to v1
 * on a grade, excluding aux/HVAC. Exposed for closed-form tests. */
double fsim_step_battery_kw(const fsim_vehicle_params *vehicle, double air_density, double v0_mps,
                            double v1_mps, double grade);

/* Integrates the model over a cycle. `profile` may be NULL (totals only, no allocation);
 * otherwise its arrays are allocated from `arena`. */
fsim_status fsim_energy_integrate(const fsim_vehicle_params *vehicle, const fsim_cycle *cycle,
                                  double ambient_c, fsim_arena *arena, fsim_energy_profile *profile,
                                  fsim_energy_totals *totals, fsim_error *err);

/* Reads a 1 Hz speed trace: the EPA header `cycSecs,cycMps,cycGrade,cycRoadType`, or
 * `seconds,mps[,grade]` (with or without that header). Times must start at 0 and step by
 * exactly 1 s; speeds finite and >= 0; grades finite and within ±0.5. Errors name
 * file:line and the column. */
fsim_status fsim_cycle_read_csv(const char *path, fsim_arena *arena, fsim_cycle *out,
                                fsim_error *err);

struct fsim_route_path; /* fleetsim/geo.h */

/* Synthesizes the drive cycle of a route: per segment cruise at its speed (per-feature
 * speed_kph, else params->speed_kph), accelerating and braking within the limits, full
 * stops spread every 1/stops_per_km km with a dwell, a final stop at the end; grade from
 * the path. Deterministic. */
fsim_status fsim_cycle_from_route(const struct fsim_route_path *path,
                                  const fsim_route_params *params, fsim_arena *arena,
                                  fsim_cycle *out, fsim_error *err);

#endif
