/* The operating-point powertrain (see fleetsim/model.h and docs/energy-model.md): what the
 * battery delivers or receives for a wheel power once the gearbox, the motor + inverter at
 * its load, regen fade, the charge curve's acceptance and the pack's resistance are counted.
 *
 *   traction (P_wheel >= 0):  P_shaft = P_wheel / η_gear
 *                             P_elec  = P_shaft / η_motor(P_shaft / motorKw)
 *   braking  (P_wheel < 0):   P_brake = P_wheel · min(1, v_avg / regenFade)   (rest: friction)
 *                             P_shaft = max(P_brake · η_gear, −motorKw)
 *                             P_elec  = max(P_shaft · η_motor(|P_shaft| / motorKw),
 *                                           −maxRegenKw, −chargeCurve(SoC))
 *   P_term = P_elec + parasiticKw (while moving) + aux/HVAC
 *   P_cell = V·I where V·I − R·I² = P_term   (the I²R loss is P_cell − P_term)
 */
#include <fleetsim/model.h>

#include <math.h>

#include "model_internal.h"

/* FASTSim's motor + controller efficiency over the fraction of rated output power: its
 * "large baseline" (motors >= 75 kW) raised by modern_diff = 0.95 − 0.94, as FASTSim does
 * (NREL FASTSim, params.py: mc_pwr_out_perc, large_baseline_eff, modern_max). */
static const double default_frac[] = {0.00, 0.02, 0.04, 0.06, 0.08, 0.10,
                                      0.20, 0.40, 0.60, 0.80, 1.00};
static const double default_eff[] = {0.84, 0.86, 0.88, 0.90, 0.91, 0.92,
                                     0.94, 0.95, 0.95, 0.94, 0.93};

/* Linear interpolation in an ascending table, the ends held: the one lookup both the motor
 * curve and the charge curve use. */
static double interp(const double *x, const double *y, size_t n, double at)
{
    if (n == 0)
        return 0.0;
    if (at <= x[0])
        return y[0];
    for (size_t i = 1; i < n; i++)
        if (at <= x[i])
            return y[i - 1] + (y[i] - y[i - 1]) * (at - x[i - 1]) / (x[i] - x[i - 1]);
    return y[n - 1];
}

double fsim_motor_efficiency(const fsim_vehicle_params *v, double load_fraction)
{
    double f = load_fraction < 0 ? 0 : load_fraction > 1 ? 1 : load_fraction;
    if (v->motor_curve_len == 0)
        return interp(default_frac, default_eff, sizeof default_frac / sizeof *default_frac, f);
    return interp(v->motor_curve_frac, v->motor_curve_eff, v->motor_curve_len, f);
}

double fsim_charge_acceptance_kw(const fsim_vehicle_params *v, double soc)
{
    return interp(v->charge_curve_soc, v->charge_curve_kw, v->charge_curve_len, soc);
}

double fsim_battery_internal_kw(double pack_voltage, double resistance_ohm, double p_term_kw)
{
    double p = p_term_kw * 1e3, vv = pack_voltage;
    if (resistance_ohm <= 0)
        return p_term_kw;
    double disc = vv * vv - 4.0 * resistance_ohm * p;
    /* the root with the smaller current: I = (V − √(V² − 4RP)) / 2R */
    double i = disc > 0 ? (vv - sqrt(disc)) / (2.0 * resistance_ohm) : vv / (2.0 * resistance_ohm);
    return vv * i * 1e-3;
}

void fsim__powertrain_init(struct fsim__powertrain *pt, const fsim_vehicle_params *v)
{
    pt->vehicle = v;
    pt->inv_gear = 1.0 / v->gearbox_efficiency;
    pt->gear = v->gearbox_efficiency;
    pt->motor_kw = v->motor_kw;
    pt->fade_mps = v->regen_fade_kph / 3.6;
    pt->regen_cap_kw = v->max_regen_kw;
    pt->parasitic_kw = v->parasitic_kw;
}

/* Electric power at the motor's inverter terminals for a wheel power: the load-dependent
 * half of the model, before the pack. `soc` sets the charge curve's cap on regen. */
double fsim__powertrain_elec_kw(const struct fsim__powertrain *pt, double p_wheel_kw,
                                double v_avg_mps, double soc)
{
    const fsim_vehicle_params *v = pt->vehicle;
    if (p_wheel_kw >= 0) {
        double shaft = p_wheel_kw * pt->inv_gear;
        return shaft / fsim_motor_efficiency(v, shaft / pt->motor_kw);
    }
    double fade = pt->fade_mps > 0 && v_avg_mps < pt->fade_mps ? v_avg_mps / pt->fade_mps : 1.0;
    double shaft = p_wheel_kw * fade * pt->gear;
    if (shaft < -pt->motor_kw)
        shaft = -pt->motor_kw;
    double elec = shaft * fsim_motor_efficiency(v, -shaft / pt->motor_kw);
    if (elec < -pt->regen_cap_kw)
        elec = -pt->regen_cap_kw;
    if (v->charge_curve_len > 0) {
        double accept = fsim_charge_acceptance_kw(v, soc);
        if (elec < -accept)
            elec = -accept;
    }
    return elec;
}
