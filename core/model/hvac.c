/* Auxiliary and climate power (see fleetsim/model.h, docs/energy-model.md).
 *
 * Two models. The linear one (cabinUaKwPerDegC = 0, every bundled type): auxKw plus
 * hvacKwPerDegC per °C the ambient lies outside comfortBandC. The cabin one: the cabin
 * loses UA·(T_set − T_ambient) kW to the outside (a gain when negative), which the heater
 * replaces at its COP or the air conditioner removes at acCop; a heat pump's COP falls
 * linearly from heatPumpCop at 7 °C to 1 (resistive) at −20 °C, where heat pumps hand over
 * to their resistive back-up; and the pack is kept warm below 10 °C at
 * batteryHeatKwPerDegC per °C of the shortfall. */
#include <fleetsim/model.h>

#define COP_RATED_C 7.0     /* heat pumps are rated at 7 °C (EN 14511) */
#define COP_FLOOR_C (-20.0) /* and treated as resistive from here down */
#define PACK_WARM_C 10.0    /* below this the pack is heated */

/* The heater's COP at an ambient temperature: 1 for a resistive heater. */
static double heating_cop(const fsim_vehicle_params *v, double ambient_c)
{
    double share = (ambient_c - COP_FLOOR_C) / (COP_RATED_C - COP_FLOOR_C);
    share = share < 0 ? 0 : share > 1 ? 1 : share;
    return 1.0 + (v->heat_pump_cop - 1.0) * share;
}

double fsim_aux_power_kw(const fsim_vehicle_params *v, double ambient_c)
{
    if (!(v->cabin_ua_kw_per_degc > 0)) {
        double below = ambient_c < v->comfort_low_c ? v->comfort_low_c - ambient_c : 0.0;
        double above = ambient_c > v->comfort_high_c ? ambient_c - v->comfort_high_c : 0.0;
        return v->aux_kw + v->hvac_kw_per_degc * (below + above);
    }
    double heat = v->cabin_ua_kw_per_degc * (v->cabin_set_point_c - ambient_c);
    double climate = heat > 0 ? heat / heating_cop(v, ambient_c) : -heat / v->ac_cop;
    double pack = ambient_c < PACK_WARM_C ? v->battery_heat_kw_per_degc * (PACK_WARM_C - ambient_c)
                                          : 0.0;
    return v->aux_kw + climate + pack;
}
