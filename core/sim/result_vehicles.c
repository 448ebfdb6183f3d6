/* Per-vehicle totals of a run (SimulationResult.vehicles, vehicles.csv): what a planner
 * checks vehicle by vehicle — which ones miss trips, run low, or queue. Each total is the
 * vehicle's share of the summary's: summed over vehicles they give the summary's figures
 * (trips, km, kWh driven and charged, sessions, wait). */
#include <math.h>

#include "engine.h"

/* The totals were summed as the trips and sessions went out (full precision, in time
 * order); here each is rounded once, as the summary is, and the rows go to the sink. */
fsim_status fsim__emit_vehicles(const fsim_sim_input *in, const struct fsim__output *o,
                                fsim_error *err)
{
    const struct fsim__collect *c = o->col;
    if (!(in->outputs & FSIM_SIM_OUT_VEHICLES) || !c->rows->vehicle)
        return FSIM_OK;
    for (size_t i = 0; i < in->n_vehicles; i++) {
        const fsim_sim_vehicle *sv = &in->vehicles[i];
        const struct fsim__vehicle_account *acc = &o->accounts[i];
        fsim_vehicle_summary v = c->veh[i];
        v.vehicle_id = sv->id;
        v.type = sv->type;
        v.depot = in->depots[sv->depot].id;
        v.min_soc = fsim__clamp_soc(acc->min_soc);
        v.end_soc = fsim__clamp_soc(sv->params->battery_kwh > 0
                                    ? acc->final_kwh / sv->params->battery_kwh : 0);
        v.distance_km = fsim__q6(v.distance_km);
        v.energy_used_kwh = fsim__q6(v.energy_used_kwh);
        v.charged_energy_kwh = fsim__q6(acc->charged_kwh);
        v.wait_seconds = fsim__q6(v.wait_seconds);
        fsim_status st = c->rows->vehicle(c->rows->user, &v, err);
        if (st != FSIM_OK)
            return st;
    }
    return FSIM_OK;
}
