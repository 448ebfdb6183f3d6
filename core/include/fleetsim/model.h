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
#define FSIM_MOTOR_CURVE_MAX 16
#define FSIM_GRAVITY_MPS2 9.80665

/* Defaults of the optional powertrain keys (used only when motorKw > 0); the config loader
 * fills them in for absent keys. Sources in docs/energy-model.md. */
#define FSIM_DEFAULT_GEARBOX_EFFICIENCY 0.98 /* single-speed reduction gear, two meshes */
#define FSIM_DEFAULT_PACK_VOLTAGE 350.0      /* V, nominal: 96 NMC cells in series */
#define FSIM_DEFAULT_INTERNAL_RESISTANCE 0.1 /* Ω, whole pack */
#define FSIM_DEFAULT_REGEN_FADE_KPH 30.0     /* regen fade + friction blending (fitted) */
#define FSIM_DEFAULT_PARASITIC_KW 0.2       /* pumps, inverter, BMS while moving */
#define FSIM_DEFAULT_CABIN_SET_POINT_C 21.0 /* °C */
#define FSIM_DEFAULT_HEAT_PUMP_COP 1.0      /* 1 = resistive heater */
#define FSIM_DEFAULT_AC_COP 2.5             /* cooling: heat removed per electric kW */
/* The state of charge at which fsim_energy_integrate() starts (charge acceptance caps regen). */
#define FSIM_ENERGY_DEFAULT_SOC 0.5

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
    /* The operating-point powertrain (all optional keys). motorKw == 0 keeps the constant-
     * efficiency path above (drivetrainEfficiency / regenEfficiency); motorKw > 0 replaces
     * those two with gearbox × motor(load) losses, regen fade, the charge-acceptance cap,
     * I²R in the pack and a parasitic draw (model/powertrain.c). */
    double motor_kw;                  /* motorKw: rated motor power */
    size_t motor_curve_len;           /* motorEfficiency: [[fraction of motorKw, η], ...]; */
    double motor_curve_frac[FSIM_MOTOR_CURVE_MAX]; /* 0 points = FASTSim's default curve */
    double motor_curve_eff[FSIM_MOTOR_CURVE_MAX];
    double gearbox_efficiency;        /* gearboxEfficiency */
    double pack_voltage;              /* packVoltage: nominal open-circuit voltage, V */
    double internal_resistance_ohm;   /* internalResistanceOhm: pack, Ω */
    double regen_fade_kph;            /* regenFadeKph: regen fades linearly to 0 below this */
    double parasitic_kw;              /* parasiticKw: constant powertrain draw while moving */
    /* The cabin HVAC model (all optional keys). cabinUaKwPerDegC == 0 keeps the linear
     * hvacKwPerDegC × (°C outside comfortBandC); > 0 heats or cools the cabin to its set
     * point through a heater of the given COP (model/hvac.c). */
    double cabin_ua_kw_per_degc;      /* cabinUaKwPerDegC: cabin heat loss per °C, kW */
    double cabin_set_point_c;         /* cabinSetPointC */
    double heat_pump_cop;             /* heatPumpCop: COP at 7 °C (1 = resistive) */
    double ac_cop;                    /* acCop */
    double battery_heat_kw_per_degc;  /* batteryHeatKwPerDegC: pack heating below 10 °C */
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
 * (sin θ ≈ tan θ is NOT assumed: the model converts with atan); grade[i] applies to the
 * step from sample i−1 to i. `distance_m[i]` is the distance travelled from t = 0 to t = i
 * (trapezoidal: distance_m[i] = distance_m[i−1] + (v[i−1] + v[i])/2), so distance_m[0] = 0;
 * the energy integration does not read it (it may be NULL in a hand-built cycle).
 * Arrays are owned by the arena the cycle was made in. */
typedef struct fsim_cycle {
    size_t n;
    double *speed_mps;
    double *grade;
    double *distance_m;
} fsim_cycle;

/* Totals of one cycle for one vehicle. Energies are at the battery, kWh. */
typedef struct fsim_energy_totals {
    double energy_kwh;      /* net: traction − regen + aux + hvac + loss */
    double traction_kwh;    /* drawn for propulsion (P_batt > 0) */
    double regen_kwh;       /* recovered (positive number) */
    double aux_kwh;         /* auxiliary + HVAC */
    double loss_kwh;        /* pack I²R + parasitic (0 on the constant-efficiency path) */
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
 * distance in °C outside the comfort band; or, with cabinUaKwPerDegC > 0, auxKw + the
 * cabin's heat flow to its set point through the heater's or the air conditioner's COP +
 * battery heating below 10 °C (model/hvac.c). */
double fsim_aux_power_kw(const fsim_vehicle_params *vehicle, double ambient_c);

/* Battery power (kW, negative while regenerating) for one 1 s step from speed v0 to v1
 * on a grade, excluding aux/HVAC. On the powertrain path (motorKw > 0) it includes the
 * parasitic draw and the step's own I²R, with regen capped by the charge curve at
 * FSIM_ENERGY_DEFAULT_SOC. Exposed for closed-form tests. */
double fsim_step_battery_kw(const fsim_vehicle_params *vehicle, double air_density, double v0_mps,
                            double v1_mps, double grade);

/* Motor + inverter efficiency at a load, |P_shaft| / motorKw (clamped to [0, 1]),
 * interpolated linearly in the vehicle's curve, or FASTSim's default when it has none. */
double fsim_motor_efficiency(const fsim_vehicle_params *vehicle, double load_fraction);

/* Power (kW) drawn from the cells' open-circuit voltage for a terminal power p_term_kw
 * (negative while charging): V·I with V·I − R·I² = P, so the I²R loss is the difference.
 * Beyond the pack's maximum power V²/4R the current is held at V/2R. */
double fsim_battery_internal_kw(double pack_voltage, double resistance_ohm, double p_term_kw);

/* The charge curve's kW at a state of charge (linear between points; the ends held). */
double fsim_charge_acceptance_kw(const fsim_vehicle_params *vehicle, double soc);

/* Integrates the model over a cycle (the discretisation is documented in model/energy.c).
 * A cycle of n samples has n − 1 one-second steps; aux + HVAC apply to every step,
 * standstill included. `profile` may be NULL (totals only, no allocation); otherwise its
 * arrays are allocated from `arena` and profile->cum_kwh[n−1] == totals->energy_kwh exactly.
 * speed_mps and grade are borrowed and required. FSIM_INVALID (naming the vehicle field,
 * e.g. `drivetrainEfficiency`) for parameters the formula cannot use. Pure, thread-safe. */
fsim_status fsim_energy_integrate(const fsim_vehicle_params *vehicle, const fsim_cycle *cycle,
                                  double ambient_c, fsim_arena *arena, fsim_energy_profile *profile,
                                  fsim_energy_totals *totals, fsim_error *err);

/* The same from a given state of charge (0..1), which only the powertrain path reads: the
 * charge curve at the running SoC caps regen. fsim_energy_integrate() starts at
 * FSIM_ENERGY_DEFAULT_SOC. */
fsim_status fsim_energy_integrate_soc(const fsim_vehicle_params *vehicle,
                                      const fsim_cycle *cycle, double ambient_c,
                                      double start_soc, fsim_arena *arena,
                                      fsim_energy_profile *profile, fsim_energy_totals *totals,
                                      fsim_error *err);

/* Reads a 1 Hz speed trace: the EPA header `cycSecs,cycMps,cycGrade,cycRoadType`, or
 * `seconds,mps[,grade]` (with or without that header; a first row whose first field is a
 * number is data). RFC 4180 via libcsv; a UTF-8 BOM and blank lines are skipped. Times
 * must start at 0 and step by exactly 1 s; speeds finite, >= 0 and <= 100 m/s; grades
 * finite and within ±0.5 (0 when there is no grade column). Errors are FSIM_INVALID
 * (FSIM_NOT_FOUND / FSIM_IO for the file) with source = path, line, column (1-based) and
 * path = the column's name: `udds.csv:3:2: cycMps: not a number: "abc"`. */
fsim_status fsim_cycle_read_csv(const char *path, fsim_arena *arena, fsim_cycle *out,
                                fsim_error *err);

struct fsim_route_path; /* fleetsim/geo.h */

/* Synthesizes the drive cycle of a route: per segment cruise at its speed (per-feature
 * speed_kph, else params->speed_kph), accelerating and braking within the limits (looking
 * ahead to be at 0 exactly at each stop and at a slower segment's speed on entering it),
 * full stops at k/stops_per_km km (k = 1, 2, …; one within 1 m of the end merges with the
 * final stop; stops_per_km 0 = none) each followed by dwell_seconds at rest (rounded; none
 * after the final stop, which ends the trip), and a final stop at the end. The trace
 * integrates to the route length (to rounding); grade[i] is the distance-weighted grade of
 * the segments covered in step i. The algorithm is documented in model/cycle_route.c.
 * Deterministic. FSIM_INVALID naming the parameter (`brakeMps2`) or the segment
 * (`segments[3]`) for unusable input. */
fsim_status fsim_cycle_from_route(const struct fsim_route_path *path,
                                  const fsim_route_params *params, fsim_arena *arena,
                                  fsim_cycle *out, fsim_error *err);

#endif
