/* Per-vehicle totals of a run (SimulationResult.vehicles, vehicles.csv): what a planner
 * checks vehicle by vehicle — which ones miss trips, run low, or queue. Each total is the
 * vehicle's share of the summary's: summed over vehicles they give the summary's figures
 * (trips, km, kWh driven and charged, sessions, wait). */
#include <math.h>

#include "engine.h"


/* Sums the engine's trip and event records per vehicle in one pass over each (they are in
 * time order, not vehicle order), full precision first and rounded once at the end, as the
 * summary is. */
fsim_status fsim__convert_vehicles(const fsim_sim_input *in, const struct fsim__output *o,
                                   fsim_arena *arena, fsim_result *out, fsim_error *err)
{
    fsim_vehicle_summary *vs = fsim_arena_calloc(arena, in->n_vehicles + 1, sizeof *vs);
    if (!vs)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    for (size_t i = 0; i < o->n_trips; i++) {
        const struct fsim__trip *t = &o->trips[i];
        fsim_vehicle_summary *v = &vs[t->vehicle];
        switch (t->status) {
        case FSIM__TRIP_COMPLETED: v->trips_completed++; break;
        case FSIM__TRIP_MISSED: v->trips_missed++; break;
        case FSIM__TRIP_STRANDED: v->trips_stranded++; break;
        }
        if (t->status != FSIM__TRIP_MISSED) {
            v->distance_km += t->distance_km;
            v->energy_used_kwh += t->energy_kwh;
        }
    }
    for (size_t i = 0; i < o->n_events; i++) {
        const struct fsim__event *e = &o->events[i];
        vs[e->vehicle].sessions++;
        vs[e->vehicle].wait_seconds += fsim__event_wait_s(e);
    }
    for (size_t i = 0; i < in->n_vehicles; i++) {
        const fsim_sim_vehicle *sv = &in->vehicles[i];
        const struct fsim__vehicle_account *acc = &o->accounts[i];
        fsim_vehicle_summary *v = &vs[i];
        v->vehicle_id = sv->id;
        v->type = sv->type;
        v->depot = in->depots[sv->depot].id;
        v->min_soc = fsim__clamp_soc(acc->min_soc);
        v->end_soc = fsim__clamp_soc(sv->params->battery_kwh > 0
                                   ? acc->final_kwh / sv->params->battery_kwh : 0);
        v->distance_km = fsim__q6(v->distance_km);
        v->energy_used_kwh = fsim__q6(v->energy_used_kwh);
        v->charged_energy_kwh = fsim__q6(acc->charged_kwh);
        v->wait_seconds = fsim__q6(v->wait_seconds);
    }
    out->vehicles = vs;
    out->n_vehicles = in->n_vehicles;
    return FSIM_OK;
}
