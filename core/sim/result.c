/* The engine's output as the wire contract's SimulationResult: per-trip and per-event
 * records with names instead of indexes, and the summary a fleet operator reads first. */
#include <math.h>
#include <string.h>

#include "engine.h"

/* Every reported quantity is rounded to 6 decimals: 1 Wh/1000 for energy, 1 mW for power,
 * 1e-6 of SoC, 10 cm for positions. The engine computes in full precision (the invariants
 * hold there); 6 decimals are far below any measurement a user could compare with, make
 * files smaller and let the encoders print numbers on their fast exact path. */
static double q6(double v)
{
    return nearbyint(v * 1e6) / 1e6;
}

static double ratio(double num, double den)
{
    return den > 0 ? num / den : 0;
}

/* SoC values come from energy / capacity and can sit a rounding error outside [0, 1]. */
static double clamp_soc(double soc)
{
    return q6(soc < 0 ? 0 : soc > 1 ? 1 : soc);
}

static fsim_status convert_trips(const fsim_sim_input *in, const struct fsim__output *o,
                                 fsim_arena *arena, fsim_result *out, fsim_summary *sum,
                                 fsim_error *err)
{
    out->trips = fsim_arena_alloc(arena, (o->n_trips + 1) * sizeof *out->trips);
    if (!out->trips)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    out->n_trips = o->n_trips;
    for (size_t i = 0; i < o->n_trips; i++) {
        const struct fsim__trip *t = &o->trips[i];
        const fsim_sim_vehicle *v = &in->vehicles[t->vehicle];
        fsim_trip_result *r = &out->trips[i];
        *r = (fsim_trip_result){.vehicle_id = v->id, .route_id = v->route->route_id,
                                .depot = in->depots[v->depot].id,
                                .depart = t->depart, .distance_km = q6(t->distance_km),
                                .energy_kwh = q6(t->energy_kwh),
                                .kwh_per_km = q6(ratio(t->energy_kwh, t->distance_km)),
                                .start_soc = clamp_soc(t->start_soc),
                                .end_soc = clamp_soc(t->end_soc)};
        switch (t->status) {
        case FSIM__TRIP_COMPLETED:
            r->status = FSIM_TRIP_COMPLETED;
            r->has_arrive = true;
            r->arrive = t->arrive;
            sum->trips_completed++;
            break;
        case FSIM__TRIP_MISSED:
            r->status = FSIM_TRIP_MISSED;
            sum->trips_missed++;
            break;
        case FSIM__TRIP_STRANDED:
            r->status = FSIM_TRIP_STRANDED;
            r->stranded_at = fsim_arena_alloc(arena, sizeof *r->stranded_at);
            if (!r->stranded_at)
                return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
            *r->stranded_at = (fsim_lonlat){.lon = q6(t->stranded_lon), .lat = q6(t->stranded_lat)};
            sum->trips_stranded++;
            break;
        }
        if (t->status != FSIM__TRIP_MISSED) {
            sum->distance_km += t->distance_km;
            sum->energy_used_kwh += t->energy_kwh;
            sum->aux_energy_kwh += v->route->aux_kw * (t->arrive - t->depart) / 3600.0;
        }
    }
    return FSIM_OK;
}

static fsim_status convert_events(const fsim_sim_input *in, const struct fsim__output *o,
                                  fsim_arena *arena, fsim_result *out, fsim_summary *sum,
                                  fsim_error *err)
{
    out->charging_events = fsim_arena_alloc(arena,
                                            (o->n_events + 1) * sizeof *out->charging_events);
    if (!out->charging_events)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    out->n_charging_events = o->n_events;
    for (size_t i = 0; i < o->n_events; i++) {
        const struct fsim__event *e = &o->events[i];
        const fsim_sim_depot *d = &in->depots[e->depot];
        double wait = e->plugged - e->arrived;
        out->charging_events[i] = (fsim_charging_event){
            .vehicle_id = in->vehicles[e->vehicle].id, .depot = d->id,
            .charger_id = d->chargers[e->charger].id, .plugged_at = e->arrived,
            .start = e->start, .end = e->end, .energy_kwh = q6(e->energy_kwh),
            .grid_energy_kwh = q6(e->grid_kwh), .start_soc = clamp_soc(e->start_soc),
            .end_soc = clamp_soc(e->end_soc), .peak_kw = q6(e->peak_kw), .wait_seconds = wait};
        sum->waiting_seconds_total += wait;
        if (wait > sum->waiting_seconds_max)
            sum->waiting_seconds_max = wait;
    }
    sum->charging_events = (int)o->n_events;
    return FSIM_OK;
}

static fsim_status convert_series(const fsim_sim_input *in, const struct fsim__output *o,
                                  fsim_arena *arena, fsim_result *out, fsim_error *err)
{
    out->time_series_data = fsim_arena_alloc(arena,
                                             (o->n_points + 1) * sizeof *out->time_series_data);
    if (!out->time_series_data)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    out->n_time_series_data = o->n_points;
    for (size_t i = 0; i < o->n_points; i++) {
        const struct fsim__point *p = &o->points[i];
        out->time_series_data[i] = (fsim_time_series_point){
            .t = p->t, .depot = in->depots[p->depot].id, .load_kw = q6(p->load_kw),
            .charging = p->charging, .driving = p->driving, .waiting = p->waiting,
            .mean_soc = clamp_soc(p->mean_soc), .min_soc = clamp_soc(p->min_soc),
            .energy_kwh = q6(p->energy_kwh)};
    }
    if (!in->per_vehicle_series)
        return FSIM_OK;
    /* Points come interval by interval, one per depot, each interval sharing one array of
     * every vehicle's SoC: vehicle v's series is column v of those arrays. */
    const size_t n_intervals = in->n_depots ? o->n_points / in->n_depots : 0;
    out->vehicle_series = fsim_arena_calloc(arena, in->n_vehicles + 1,
                                            sizeof *out->vehicle_series);
    if (!out->vehicle_series)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    out->n_vehicle_series = in->n_vehicles;
    for (size_t v = 0; v < in->n_vehicles; v++) {
        double *soc = fsim_arena_calloc(arena, n_intervals + 1, sizeof *soc);
        if (!soc)
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        for (size_t k = 0; k < n_intervals; k++)
            soc[k] = clamp_soc(o->points[k * in->n_depots].vehicle_soc[v]);
        out->vehicle_series[v] = (fsim_vehicle_series){
            .vehicle_id = in->vehicles[v].id, .depot = in->depots[in->vehicles[v].depot].id,
            .start = in->start, .interval_seconds = in->output_interval_s, .soc = soc,
            .n_soc = n_intervals};
    }
    return FSIM_OK;
}

fsim_status fsim_sim_run(const fsim_sim_input *in, fsim_arena *arena,
                         fsim_sim_progress_fn progress, void *progress_user, fsim_result *out,
                         fsim_error *err)
{
    struct fsim__output o;
    fsim_status st = fsim__engine_run(in, arena, progress, progress_user, &o, err);
    if (st != FSIM_OK)
        return st;
    memset(out, 0, sizeof *out);
    out->status = FSIM_RUN_SUCCEEDED;
    fsim_summary *sum = &out->summary;
    sum->vehicles = (int)in->n_vehicles;
    sum->trips = (int)o.n_trips;
    if ((st = convert_trips(in, &o, arena, out, sum, err)) != FSIM_OK ||
        (st = convert_events(in, &o, arena, out, sum, err)) != FSIM_OK ||
        (st = convert_series(in, &o, arena, out, err)) != FSIM_OK ||
        (st = fsim__convert_vehicles(in, &o, arena, out, err)) != FSIM_OK)
        return st;
    sum->min_soc = in->n_vehicles ? 1 : 0;
    for (size_t v = 0; v < in->n_vehicles; v++) {
        sum->vehicles_stranded += o.accounts[v].stranded;
        sum->min_soc = fmin(sum->min_soc, clamp_soc(o.accounts[v].min_soc));
    }
    sum->feasible = sum->trips_missed == 0 && sum->trips_stranded == 0;
    sum->kwh_per_km = q6(ratio(sum->energy_used_kwh, sum->distance_km));
    sum->distance_km = q6(sum->distance_km);
    sum->energy_used_kwh = q6(sum->energy_used_kwh);
    sum->aux_energy_kwh = q6(sum->aux_energy_kwh);
    sum->charged_energy_kwh = q6(o.charged_kwh);
    sum->grid_energy_kwh = q6(o.grid_kwh);
    sum->peak_kw = q6(o.peak_kw);
    sum->has_peak_at = o.peak_kw > 0;
    sum->peak_at = o.peak_kw > 0 ? o.peak_t : 0;
    sum->charger_utilization =
        q6(fmin(1, ratio(o.delivering_seconds, (double)o.n_chargers * o.horizon_s)));
    return FSIM_OK;
}
