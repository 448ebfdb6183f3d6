/* Unit tests for the operating-point powertrain of core/model (model/powertrain.c) and the
 * cabin HVAC model (model/hvac.c): each loss term against its closed form, worked out in the comment above the check
 * (g = 9.80665 m/s², ρ = 1.2 kg/m³ where a step is evaluated directly). */
#include <fleetsim/model.h>

#include <math.h>
#include <stdlib.h>

#include "check.h"

#define G FSIM_GRAVITY_MPS2

/* m = 1800 + 200 = 2000 kg, m_eff = 2100 kg; a 100 kW motor whose efficiency is the line
 * η(f) = 0.80 + 0.10·f, a 0.95 gearbox; no pack resistance, parasitic, aux or HVAC unless a
 * test sets them; regen fades below 18 km/h = 5 m/s. */
static fsim_vehicle_params test_vehicle(void)
{
    return (fsim_vehicle_params){
        .battery_kwh = 60, .mass_kg = 1800, .payload_kg = 200, .drag_coefficient = 0.3,
        .frontal_area_m2 = 2.5, .rolling_resistance = 0.01, .rotational_inertia_factor = 0.05,
        .drivetrain_efficiency = 0.9, .regen_efficiency = 0.6, .max_regen_kw = 500,
        .comfort_low_c = 18, .comfort_high_c = 24,
        .motor_kw = 100, .motor_curve_len = 2, .motor_curve_frac = {0, 1},
        .motor_curve_eff = {0.80, 0.90}, .gearbox_efficiency = 0.95, .pack_voltage = 400,
        .internal_resistance_ohm = 0, .regen_fade_kph = 18, .parasitic_kw = 0,
    };
}

/* Battery kW on a flat road at constant speed v by the closed form:
 * wheel = ½ρCdA·v³ + Crr·m·g·v, shaft = wheel / 0.95, η = 0.80 + 0.10·shaft/100. */
static double flat_closed_form(double rho, double v)
{
    double wheel_kw = (0.5 * rho * 0.3 * 2.5 * v * v * v + 0.01 * 2000 * G * v) * 1e-3;
    double shaft = wheel_kw / 0.95;
    return shaft / (0.80 + 0.10 * shaft / 100);
}

static fsim_cycle constant_cycle(size_t n, double v, double grade)
{
    fsim_cycle c = {n, calloc(n, sizeof(double)), calloc(n, sizeof(double)), NULL};
    for (size_t i = 0; i < n; i++) {
        c.speed_mps[i] = v;
        c.grade[i] = grade;
    }
    return c;
}

static void free_cycle(fsim_cycle *c)
{
    free(c->speed_mps);
    free(c->grade);
}

static void test_motor_at_two_loads(void)
{
    fsim_vehicle_params v = test_vehicle();
    /* 10 m/s: wheel = 450 + 1961.33 W = 2.41133 kW, shaft 2.53825 kW, η 0.802538,
     * battery 3.16277 kW */
    double low = flat_closed_form(1.2, 10), high = flat_closed_form(1.2, 30);
    CHECK_NEAR(low, 3.16277, 1e-5, "the closed form itself at 10 m/s");
    CHECK_NEAR(fsim_step_battery_kw(&v, 1.2, 10, 10, 0), low, 1e-9,
               "flat road at 10 m/s: wheel power / gearbox / motor efficiency at its load");
    /* 30 m/s: wheel = 12150 + 5883.99 W = 18.034 kW, shaft 18.9832 kW, η 0.818983 */
    CHECK_NEAR(fsim_step_battery_kw(&v, 1.2, 30, 30, 0), high, 1e-9,
               "flat road at 30 m/s: the same formula at a higher load");
    double wheel_low = (450 + 0.01 * 2000 * G * 10) * 1e-3;
    double wheel_high = (0.5 * 1.2 * 0.75 * 27000 + 0.01 * 2000 * G * 30) * 1e-3;
    CHECK(wheel_high / high > wheel_low / low + 0.01,
          "the drivetrain is more efficient at the higher load (%.4f vs %.4f)",
          wheel_high / high, wheel_low / low);

    /* FASTSim's default curve (no motorEfficiency): table points and a midpoint */
    v.motor_curve_len = 0;
    CHECK_NEAR(fsim_motor_efficiency(&v, 0.2), 0.94, 1e-12, "default curve at 20 %% load");
    CHECK_NEAR(fsim_motor_efficiency(&v, 0.05), 0.89, 1e-12,
               "default curve halfway between 4 %% (0.88) and 6 %% (0.90)");
    CHECK_NEAR(fsim_motor_efficiency(&v, 3.0), 0.93, 1e-12, "beyond rated power: the last point");

    /* Integrated over 601 samples at 10 m/s with a 0.4 kW parasitic draw and 0.5 kW aux:
     * 600 s × (3.16277 + 0.4 + 0.5) kW, of which loss = 600 s × 0.4 kW */
    v = test_vehicle();
    v.parasitic_kw = 0.4;
    v.aux_kw = 0.5;
    fsim_cycle c = constant_cycle(601, 10, 0);
    fsim_energy_totals t;
    fsim_error err = {0}; /* printed even on success */
    CHECK(fsim_energy_integrate(&v, &c, 20, NULL, NULL, &t, &err) == FSIM_OK,
          "integration succeeds (%.200s)", err.message);
    double rho20 = fsim_air_density(20);
    CHECK_NEAR(t.energy_kwh, 600 * (flat_closed_form(rho20, 10) + 0.4 + 0.5) / 3600, 1e-9,
               "a cycle's energy is traction + parasitic + aux step by step");
    CHECK_NEAR(t.loss_kwh, 600 * 0.4 / 3600, 1e-12, "the parasitic draw is booked as loss");
    CHECK_NEAR(t.traction_kwh + t.aux_kwh + t.loss_kwh - t.regen_kwh, t.energy_kwh, 1e-12,
               "traction − regen + aux + loss adds up to the net energy");
    free_cycle(&c);

    /* standing still: no parasitic draw (the motor does not turn) */
    CHECK_NEAR(fsim_step_battery_kw(&v, 1.2, 0, 0, 0), 0, 0, "no parasitic draw at rest");
}

static void test_regen_fade_and_caps(void)
{
    fsim_vehicle_params v = test_vehicle();
    v.drag_coefficient = 0;
    v.rolling_resistance = 0;
    /* 20 → 19 m/s (above the 5 m/s fade): wheel = ½·2100·(19² − 20²) = −40.95 kW,
     * shaft = −40.95·0.95 = −38.9025 kW, η = 0.80 + 0.10·0.389025 = 0.8389025 */
    double full = -38.9025 * 0.8389025;
    CHECK_NEAR(fsim_step_battery_kw(&v, 1.2, 20, 19, 0), full, 1e-9,
               "braking above the fade speed recovers through gearbox and motor");
    /* 2 → 1 m/s: v_avg 1.5 m/s is 0.3 of 5 m/s; wheel = ½·2100·(1 − 4) = −3.15 kW,
     * motor share −0.945 kW, shaft −0.89775 kW, η = 0.80 + 0.10·0.0089775 */
    double faded = -0.89775 * (0.80 + 0.10 * 0.0089775);
    CHECK_NEAR(fsim_step_battery_kw(&v, 1.2, 2, 1, 0), faded, 1e-12,
               "below the fade speed regen falls in proportion to speed (the rest is friction)");
    /* fade 0 km/h: no fade at all */
    v.regen_fade_kph = 0;
    CHECK_NEAR(fsim_step_battery_kw(&v, 1.2, 2, 1, 0), -3.15 * 0.95 * (0.80 + 0.10 * 0.029925),
               1e-12, "regenFadeKph 0 recovers down to standstill");

    /* motor rating: a 20 kW motor takes at most 20 kW at the shaft, η(1) = 0.90 */
    v = test_vehicle();
    v.drag_coefficient = 0;
    v.rolling_resistance = 0;
    v.motor_kw = 20;
    CHECK_NEAR(fsim_step_battery_kw(&v, 1.2, 20, 19, 0), -20 * 0.90, 1e-12,
               "regen is capped by the motor's rating");
    /* charge acceptance: a flat 10 kW curve caps at the battery */
    v.motor_kw = 100;
    v.charge_curve_len = 2;
    v.charge_curve_soc[0] = 0, v.charge_curve_soc[1] = 1;
    v.charge_curve_kw[0] = 10, v.charge_curve_kw[1] = 10;
    CHECK_NEAR(fsim_step_battery_kw(&v, 1.2, 20, 19, 0), -10, 1e-12,
               "regen is capped by the charge curve's acceptance");

    /* A long downhill at 20 m/s, grade −5 %: a curve that accepts 40 kW up to SoC 0.9 and
     * nothing at 1. From SoC 1 the battery takes no regen at all; from 0.5 it does. */
    v.charge_curve_len = 3;
    v.charge_curve_soc[1] = 0.9, v.charge_curve_soc[2] = 1;
    v.charge_curve_kw[0] = 40, v.charge_curve_kw[1] = 40, v.charge_curve_kw[2] = 0;
    fsim_cycle c = constant_cycle(61, 20, -0.05);
    fsim_energy_totals full_soc, half_soc;
    fsim_error err = {0}; /* printed even on success */
    CHECK(fsim_energy_integrate_soc(&v, &c, 20, 1.0, NULL, NULL, &full_soc, &err) == FSIM_OK,
          "integration from a full battery succeeds");
    CHECK(fsim_energy_integrate_soc(&v, &c, 20, 0.5, NULL, NULL, &half_soc, &err) == FSIM_OK,
          "integration from half succeeds");
    CHECK_NEAR(full_soc.regen_kwh, 0, 0, "a full battery accepts no regen");
    CHECK(half_soc.regen_kwh > 0.1, "a half-full battery recovers the downhill (%.3f kWh)",
          half_soc.regen_kwh);
    CHECK(fsim_energy_integrate_soc(&v, &c, 20, 1.5, NULL, NULL, &half_soc, &err) ==
              FSIM_INVALID, "a state of charge above 1 is refused");
    free_cycle(&c);
}

static void test_pack_resistance(void)
{
    /* 400 V, 0.1 Ω, I = 100 A: terminals get V·I − I²R = 40000 − 1000 = 39 kW, the cells
     * give 40 kW; the I²R loss is 1 kW */
    CHECK_NEAR(fsim_battery_internal_kw(400, 0.1, 39), 40, 1e-9,
               "discharging 39 kW at 100 A draws 40 kW from the cells (1 kW I²R)");
    /* charging at I = −50 A: V·I − I²R = −20000 − 250 = −20.25 kW at the terminals; the
     * cells store 20 kW */
    CHECK_NEAR(fsim_battery_internal_kw(400, 0.1, -20.25), -20, 1e-9,
               "charging 20.25 kW at 50 A stores 20 kW (0.25 kW I²R)");
    CHECK_NEAR(fsim_battery_internal_kw(400, 0, 39), 39, 0, "no resistance, no loss");
    /* beyond V²/4R = 400 kW the current is held at V/2R = 2000 A: 800 kW from the cells */
    CHECK_NEAR(fsim_battery_internal_kw(400, 0.1, 500), 800, 1e-9,
               "beyond the pack's maximum power the current is held at V/2R");

    /* A cycle whose terminal power is 39 kW every step: 0.95·η·... is avoided by setting
     * the motor curve and gearbox to 1 and the load by the grade: wheel = m·g·sin θ·v. */
    fsim_vehicle_params v = test_vehicle();
    v.drag_coefficient = 0;
    v.rolling_resistance = 0;
    v.gearbox_efficiency = 1;
    v.motor_curve_eff[0] = 1, v.motor_curve_eff[1] = 1;
    v.internal_resistance_ohm = 0.1;
    /* grade g: 2000·9.80665·g/√(1+g²)·v = 39 kW at v = 10 m/s */
    double s = 39000.0 / (2000 * G * 10), grade = s / sqrt(1 - s * s);
    fsim_cycle c = constant_cycle(361, 10, grade);
    fsim_energy_totals t;
    fsim_error err = {0}; /* printed even on success */
    CHECK(fsim_energy_integrate(&v, &c, 20, NULL, NULL, &t, &err) == FSIM_OK,
          "integration succeeds (%.200s)", err.message);
    CHECK_NEAR(t.traction_kwh, 360 * 39.0 / 3600, 1e-9, "the motor delivers 39 kW for 360 s");
    CHECK_NEAR(t.loss_kwh, 360 * 1.0 / 3600, 1e-9, "the pack loses I²R = 1 kW for 360 s");
    CHECK_NEAR(t.energy_kwh, 4.0, 1e-9, "the cells give 40 kW for 360 s = 4 kWh");
    free_cycle(&c);
}

/* The cabin HVAC model: heat flow UA·(set point − ambient) through the heater's COP. */
static void test_cabin_hvac(void)
{
    fsim_vehicle_params v = test_vehicle();
    v.aux_kw = 0.3;
    v.cabin_ua_kw_per_degc = 0.15;
    v.cabin_set_point_c = 21;
    v.heat_pump_cop = 1;
    v.ac_cop = 2.5;
    /* resistive at −6.7 °C: 0.3 + 0.15·27.7 = 4.455 kW */
    CHECK_NEAR(fsim_aux_power_kw(&v, -6.7), 4.455, 1e-12, "a resistive heater at -6.7 °C");
    /* cooling at 35 °C: 0.3 + 0.15·14 / 2.5 = 1.14 kW */
    CHECK_NEAR(fsim_aux_power_kw(&v, 35), 1.14, 1e-12, "air conditioning at 35 °C");
    CHECK_NEAR(fsim_aux_power_kw(&v, 21), 0.3, 0, "nothing at the set point");
    /* a heat pump of COP 3 at 7 °C: 0.3 + 0.15·14 / 3 = 1.0 kW; at −6.7 °C its COP is
     * 1 + 2·13.3/27 = 1.985185, so 0.3 + 4.155/1.985185 = 2.393004 kW; at −25 °C it is
     * resistive: 0.3 + 0.15·46 = 7.2 kW */
    v.heat_pump_cop = 3;
    CHECK_NEAR(fsim_aux_power_kw(&v, 7), 1.0, 1e-12, "a heat pump at its rated 7 °C");
    CHECK_NEAR(fsim_aux_power_kw(&v, -6.7), 0.3 + 4.155 / (1 + 2 * 13.3 / 27), 1e-12,
               "a heat pump at -6.7 °C, its COP fallen linearly toward -20 °C");
    CHECK_NEAR(fsim_aux_power_kw(&v, -25), 7.2, 1e-12, "below -20 °C a heat pump is resistive");
    /* the pack kept warm: 0.05 kW/°C × (10 − (−6.7)) = 0.835 kW more */
    v.battery_heat_kw_per_degc = 0.05;
    CHECK_NEAR(fsim_aux_power_kw(&v, -6.7), 0.3 + 4.155 / (1 + 2 * 13.3 / 27) + 0.835, 1e-12,
               "battery heating below 10 °C");
    CHECK_NEAR(fsim_aux_power_kw(&v, 12), 0.3 + 0.15 * 9 / 3, 1e-12, "no battery heating at 12 °C");
}

/* A vehicle without motorKw is the constant-efficiency model whatever the new keys say. */
static void test_constant_path_unchanged(void)
{
    fsim_vehicle_params v = test_vehicle();
    v.motor_kw = 0;
    v.drag_coefficient = 0;
    v.rolling_resistance = 0;
    /* 10 m/s up 5 %: 2000·g·0.05/√1.0025·10 W / 0.9 */
    CHECK_NEAR(fsim_step_battery_kw(&v, 1.2, 10, 10, 0.05),
               2000 * G * 0.05 / sqrt(1.0025) * 10 * 1e-3 / 0.9, 1e-9,
               "motorKw 0: wheel power / drivetrainEfficiency, as before");
}

int main(void)
{
    test_motor_at_two_loads();
    test_regen_fade_and_caps();
    test_pack_resistance();
    test_constant_path_unchanged();
    test_cabin_hvac();
    return check_done();
}
