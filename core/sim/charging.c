/* Charging limits: how fast a vehicle can take energy from a charger at a SoC. */
#include "engine.h"

/* Piecewise-linear in SoC between the curve's points; flat beyond its ends. */
static double curve_kw(const fsim_vehicle_params *v, double soc)
{
    size_t n = v->charge_curve_len;
    if (n == 0)
        return v->max_dc_kw > v->max_ac_kw ? v->max_dc_kw : v->max_ac_kw;
    if (soc <= v->charge_curve_soc[0])
        return v->charge_curve_kw[0];
    for (size_t i = 1; i < n; i++) {
        if (soc <= v->charge_curve_soc[i]) {
            double s0 = v->charge_curve_soc[i - 1], s1 = v->charge_curve_soc[i];
            double k0 = v->charge_curve_kw[i - 1], k1 = v->charge_curve_kw[i];
            return s1 > s0 ? k0 + (k1 - k0) * (soc - s0) / (s1 - s0) : k1;
        }
    }
    return v->charge_curve_kw[n - 1];
}

double fsim__charge_limit_kw(const fsim_vehicle_params *vehicle, const fsim_sim_charger *charger,
                             double soc)
{
    double p = charger->power_kw;
    double inlet = charger->dc ? vehicle->max_dc_kw : vehicle->max_ac_kw;
    if (inlet < p)
        p = inlet;
    double c = curve_kw(vehicle, soc);
    if (c < p)
        p = c;
    return p > 0 ? p : 0;
}
