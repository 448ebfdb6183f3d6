/* The engine's output as the wire contract's SimulationResult: per-trip and per-event
 * records with names instead of indexes, and the summary a fleet operator reads first. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fleetsim/util.h>

#include "engine.h"


/* Money to the cent, CO2 to the gram. */
static double q2(double v)
{
    return nearbyint(v * 100) / 100;
}

static double q3(double v)
{
    return nearbyint(v * 1000) / 1000;
}

static double ratio(double num, double den)
{
    return den > 0 ? num / den : 0;
}


/* ---- The rows on their way out ---------------------------------------------------------- */

static void sink_result(struct fsim__collect *c, fsim_status st)
{
    if (st != FSIM_OK && c->st == FSIM_OK)
        c->st = st;
}

/* A trip: counted into the summary and its vehicle, remembered when it is the first that
 * did not complete (the verdict names it), then handed to the sink as a TripResult. */
void fsim__collect_trip(struct fsim__collect *c, const struct fsim__trip *t)
{
    const fsim_sim_input *in = c->in;
    const fsim_sim_vehicle *v = &in->vehicles[t->vehicle];
    fsim_summary *sum = &c->sum;
    if (c->raw_trip)
        c->raw_trip(c->raw_user, t);
    if (c->raw_only)
        return;
    fsim_vehicle_summary *vs = &c->veh[t->vehicle];
    sum->trips++;
    switch (t->status) {
    case FSIM__TRIP_COMPLETED: sum->trips_completed++; vs->trips_completed++; break;
    case FSIM__TRIP_MISSED: sum->trips_missed++; vs->trips_missed++; break;
    case FSIM__TRIP_STRANDED: sum->trips_stranded++; vs->trips_stranded++; break;
    }
    if (t->status != FSIM__TRIP_MISSED) {
        sum->distance_km += t->distance_km;
        sum->energy_used_kwh += t->energy_kwh;
        sum->aux_energy_kwh += fsim_sim_trip_route(in, v, t->depart)->aux_kw *
                               (t->arrive - t->depart) / 3600.0;
        vs->distance_km += t->distance_km;
        vs->energy_used_kwh += t->energy_kwh;
    }
    if (t->status != FSIM__TRIP_COMPLETED && !c->bad_trip) {
        c->bad_trip = true;
        c->bad_vehicle = t->vehicle;
        c->bad_depart = t->depart;
        c->bad_status = t->status;
        c->bad_reason = t->reason;
    }
    if (!(in->outputs & FSIM_SIM_OUT_TRIPS) || !c->rows->trip || c->st != FSIM_OK)
        return;
    fsim_lonlat at;
    fsim_trip_result r = {.vehicle_id = v->id, .route_id = v->route->route_id,
                          .depot = in->depots[v->depot].id,
                          .depart = t->depart, .distance_km = fsim__q6(t->distance_km),
                          .energy_kwh = fsim__q6(t->energy_kwh),
                          .kwh_per_km = fsim__q6(ratio(t->energy_kwh, t->distance_km)),
                          .start_soc = fsim__clamp_soc(t->start_soc),
                          .end_soc = fsim__clamp_soc(t->end_soc)};
    switch (t->status) {
    case FSIM__TRIP_COMPLETED:
        r.status = FSIM_TRIP_COMPLETED;
        r.has_arrive = true;
        r.arrive = t->arrive;
        break;
    case FSIM__TRIP_MISSED:
        r.status = FSIM_TRIP_MISSED;
        break;
    case FSIM__TRIP_STRANDED:
        r.status = FSIM_TRIP_STRANDED;
        at = (fsim_lonlat){.lon = fsim__q6(t->stranded_lon), .lat = fsim__q6(t->stranded_lat)};
        r.stranded_at = &at;
        break;
    }
    sink_result(c, c->rows->trip(c->rows->user, &r, c->err));
}

/* A session: its wait into the summary (a histogram: the percentiles are exact without
 * keeping every wait) and its vehicle, then to the sink as a ChargingEvent. */
void fsim__collect_event(struct fsim__collect *c, const struct fsim__event *e)
{
    const fsim_sim_input *in = c->in;
    fsim_summary *sum = &c->sum;
    double wait = fsim__event_wait_s(e);
    if (c->raw_event)
        c->raw_event(c->raw_user, e);
    if (c->raw_only)
        return;
    sum->charging_events++;
    sum->waiting_seconds_total += wait;
    if (wait > sum->waiting_seconds_max)
        sum->waiting_seconds_max = wait;
    c->veh[e->vehicle].sessions++;
    c->veh[e->vehicle].wait_seconds += wait;
    if (wait > 0) {
        c->n_waited++;
        if (wait < FSIM__WAIT_HIST) {
            c->wait_hist[(size_t)wait]++;
        } else {
            if (c->n_wait_long == c->cap_wait_long) {
                size_t cap = c->cap_wait_long ? 2 * c->cap_wait_long : 64;
                double *grown = realloc(c->wait_long, cap * sizeof *grown);
                if (!grown) {
                    sink_result(c, fsim_error_set(c->err, FSIM_NOMEM, NULL, 0, 0, NULL,
                                                  "out of memory"));
                    return;
                }
                c->wait_long = grown;
                c->cap_wait_long = cap;
            }
            c->wait_long[c->n_wait_long++] = wait;
        }
    }
    if (!(in->outputs & FSIM_SIM_OUT_EVENTS) || !c->rows->event || c->st != FSIM_OK)
        return;
    const fsim_sim_depot *d = &in->depots[e->depot];
    fsim_charging_event r = {
        .vehicle_id = in->vehicles[e->vehicle].id, .depot = d->id,
        .charger_id = d->chargers[e->charger].id, .plugged_at = nearbyint(e->arrived),
        .start = nearbyint(e->start), .end = nearbyint(e->end),
        .energy_kwh = fsim__q6(e->energy_kwh), .grid_energy_kwh = fsim__q6(e->grid_kwh),
        .start_soc = fsim__clamp_soc(e->start_soc), .end_soc = fsim__clamp_soc(e->end_soc),
        .peak_kw = fsim__q6(e->peak_kw), .wait_seconds = wait};
    sink_result(c, c->rows->event(c->rows->user, &r, c->err));
}

void fsim__collect_point(struct fsim__collect *c, const struct fsim__point *p)
{
    const fsim_sim_input *in = c->in;
    if (c->raw_point)
        c->raw_point(c->raw_user, p);
    if (c->raw_only)
        return;
    if (!(in->outputs & FSIM_SIM_OUT_SERIES) || !c->rows->point || c->st != FSIM_OK)
        return;
    fsim_time_series_point r = {
        .t = p->t, .depot = in->depots[p->depot].id, .load_kw = fsim__q6(p->load_kw),
        .charging = p->charging, .driving = p->driving, .waiting = p->waiting,
        .mean_soc = fsim__clamp_soc(p->mean_soc), .min_soc = fsim__clamp_soc(p->min_soc),
        .energy_kwh = fsim__q6(p->energy_kwh)};
    const fsim_sim_depot *dep = &in->depots[p->depot];
    if (dep->temperature_c && dep->n_temperature_hours) {
        double h = (p->t - in->start) / 3600.0;
        size_t k = h <= 0 ? 0 : (size_t)h;
        r.has_temperature_c = true;
        r.temperature_c =
            dep->temperature_c[k < dep->n_temperature_hours ? k : dep->n_temperature_hours - 1];
    }
    sink_result(c, c->rows->point(c->rows->user, &r, c->err));
}

/* vehicleSeries is every vehicle's SoC at every interval: it is the one output whose size
 * is the history's by definition, so it stays in memory (off by default). */
void fsim__collect_series(struct fsim__collect *c, const double *vehicle_soc)
{
    if (!c->series || c->k_interval >= c->n_intervals)
        return;
    for (size_t v = 0; v < c->in->n_vehicles; v++)
        c->series[v][c->k_interval] = fsim__clamp_soc(vehicle_soc[v]);
    c->k_interval++;
}

static int double_order(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The k-th smallest (0-based) wait of those that waited: from the histogram, else from the
 * sorted long waits. */
static double wait_rank(const struct fsim__collect *c, size_t k)
{
    size_t seen = 0;
    for (size_t w = 1; w < FSIM__WAIT_HIST; w++) {
        seen += c->wait_hist[w];
        if (seen > k)
            return (double)w;
    }
    return c->wait_long[k - seen];
}

/* Waits of the sessions that waited at all (arrival to plug-in, exact to the second):
 * how many, and their median and 95th percentile (nearest rank). */
static void wait_percentiles(struct fsim__collect *c, fsim_summary *sum)
{
    size_t n = c->n_waited;
    if (c->n_wait_long > 1)
        qsort(c->wait_long, c->n_wait_long, sizeof *c->wait_long, double_order);
    sum->has_sessions_waited = sum->has_wait_seconds_p50 = sum->has_wait_seconds_p95 = true;
    sum->sessions_waited = (int)n;
    sum->wait_seconds_p50 = n ? fsim__q6(wait_rank(c, (size_t)ceil(0.50 * (double)n) - 1)) : 0;
    sum->wait_seconds_p95 = n ? fsim__q6(wait_rank(c, (size_t)ceil(0.95 * (double)n) - 1)) : 0;
}

/* Per depot: load against the grid limit, the bill, the chargers by type; and the site's
 * totals of each. Costs are summed over depots only when they share one currency. */
static fsim_status convert_depots(const fsim_sim_input *in, const struct fsim__output *o,
                                  fsim_arena *arena, fsim_summary *sum, fsim_error *err)
{
    sum->depots = fsim_arena_calloc(arena, in->n_depots + 1, sizeof *sum->depots);
    if (!sum->depots)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    sum->n_depots = in->n_depots;
    double rated_kwh = 0, occupied_s = 0, energy = 0, demand = 0, fixed = 0, co2_g = 0;
    const char *currency = NULL;
    bool priced = false, one_currency = true;
    for (size_t di = 0; di < in->n_depots; di++) {
        const fsim_sim_depot *dep = &in->depots[di];
        const struct fsim__depot_out *d = &o->depots[di];
        fsim_depot_summary *ds = &sum->depots[di];
        /* chargers by type: sorted fastest first, so one type's chargers sit together */
        size_t n_types = 0;
        ds->chargers = fsim_arena_calloc(arena, dep->n_chargers + 1, sizeof *ds->chargers);
        if (!ds->chargers)
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        double dep_rated_kwh = 0, dep_occupied_s = 0;
        for (size_t c = 0; c < dep->n_chargers; c++) {
            const fsim_sim_charger *ch = &dep->chargers[c];
            fsim_charger_type_summary *ts = NULL;
            for (size_t k = 0; k < n_types && !ts; k++)
                if (strcmp(ds->chargers[k].type, ch->type) == 0)
                    ts = &ds->chargers[k];
            if (!ts) {
                ts = &ds->chargers[n_types++];
                *ts = (fsim_charger_type_summary){.type = ch->type, .power_kw = ch->power_kw};
            }
            ts->count++;
            ts->sessions += d->charger_sessions[c];
            ts->energy_kwh += d->charger_grid_kwh[c];
            ts->time_utilization += d->charger_plugged_s[c];
            dep_rated_kwh += ch->power_kw * o->horizon_s / 3600.0;
            dep_occupied_s += d->charger_plugged_s[c];
        }
        for (size_t k = 0; k < n_types; k++) {
            fsim_charger_type_summary *ts = &ds->chargers[k];
            double rated = ts->count * ts->power_kw * o->horizon_s / 3600.0;
            ts->energy_utilization = fsim__q6(fmin(1, ratio(ts->energy_kwh, rated)));
            ts->time_utilization = fsim__q6(fmin(1, ratio(ts->time_utilization,
                                                    ts->count * o->horizon_s)));
            ts->energy_kwh = fsim__q6(ts->energy_kwh);
        }
        ds->n_chargers = n_types;
        const struct fsim__bill *b = &d->bill;
        *ds = (fsim_depot_summary){
            .id = dep->id, .utc_offset_minutes = dep->utc_offset_minutes,
            .peak_kw = fsim__q6(d->peak_kw), .has_peak_at = d->peak_kw > 0, .peak_at = d->peak_t,
            .has_grid_limit_kw = dep->has_grid_limit, .grid_limit_kw = dep->grid_limit_kw,
            .grid_exceeded_kwh = fsim__q6(d->exceed_kwh), .grid_exceeded_minutes = fsim__q6(d->exceed_s / 60),
            .grid_peak_over_kw = fsim__q6(d->peak_over_kw), .grid_energy_kwh = fsim__q6(d->grid_kwh),
            .tariff = b->tariff ? b->tariff->name : "none", .peak_15min_kw = fsim__q6(b->peak15_kw),
            .energy_cost = q2(b->energy_cost), .demand_cost = q2(b->demand_cost),
            .fixed_cost = q2(b->fixed_cost),
            .total_cost = q2(b->energy_cost + b->demand_cost + b->fixed_cost),
            .co2_kg = q3(b->co2_g / 1000),
            .charger_time_utilization = fsim__q6(fmin(1, ratio(dep_occupied_s,
                                                         dep->n_chargers * o->horizon_s))),
            .charger_energy_utilization = fsim__q6(fmin(1, ratio(d->grid_kwh, dep_rated_kwh))),
            .chargers = ds->chargers, .n_chargers = n_types};
        sum->grid_exceeded_kwh += d->exceed_kwh;
        sum->grid_exceeded_minutes += d->exceed_s / 60;
        sum->grid_peak_over_kw = fmax(sum->grid_peak_over_kw, d->peak_over_kw);
        rated_kwh += dep_rated_kwh;
        occupied_s += dep_occupied_s;
        if (b->tariff) {
            if (currency && strcmp(currency, b->tariff->currency) != 0)
                one_currency = false;
            currency = b->tariff->currency;
            priced = true;
            energy += b->energy_cost;
            demand += b->demand_cost;
            fixed += b->fixed_cost;
            co2_g += b->co2_g;
        }
    }
    sum->has_grid_exceeded_kwh = sum->has_grid_exceeded_minutes = true;
    sum->has_grid_peak_over_kw = true;
    sum->grid_exceeded_kwh = fsim__q6(sum->grid_exceeded_kwh);
    sum->grid_exceeded_minutes = fsim__q6(sum->grid_exceeded_minutes);
    sum->grid_peak_over_kw = fsim__q6(sum->grid_peak_over_kw);
    sum->has_charger_time_utilization = sum->has_charger_energy_utilization = true;
    sum->charger_time_utilization = fsim__q6(fmin(1, ratio(occupied_s, o->n_chargers * o->horizon_s)));
    sum->charger_energy_utilization = fsim__q6(fmin(1, ratio(o->grid_kwh, rated_kwh)));
    if (priced) {
        sum->has_co2_kg = true;
        sum->co2_kg = q3(co2_g / 1000);
    }
    if (priced && one_currency) {
        sum->has_energy_cost = sum->has_demand_cost = sum->has_fixed_cost = true;
        sum->has_total_cost = sum->has_cost_per_km = true;
        sum->currency = currency;
        sum->energy_cost = q2(energy);
        sum->demand_cost = q2(demand);
        sum->fixed_cost = q2(fixed);
        sum->total_cost = q2(energy + demand + fixed);
        sum->cost_per_km = fsim__q6(ratio(energy + demand + fixed, sum->distance_km));
    }
    return FSIM_OK;
}

static const char *miss_reason(fsim__miss_reason r)
{
    switch (r) {
    case FSIM__MISS_LOW_SOC:
        return "below its reserve SoC";
    case FSIM__MISS_STILL_DRIVING:
        return "still out on its previous trip";
    case FSIM__MISS_STRANDED:
        return "stranded earlier";
    default:
        return "ran out of energy";
    }
}

/* The verdict in three parts, and a sentence that names the first part that fails and
 * where. Energy: no vehicle ends the horizon (or leaves on its last trip) below the lower
 * of its initial and target SoC; requiring every departure at targetSoc would be stricter
 * than the job: a midday turnaround need not refill a bus, and each trip's own needs are
 * the trips part already. What the trips part cannot see is a fleet that completes this
 * horizon by running its batteries down, and so could not repeat it. */
static fsim_status verdict(const fsim_sim_input *in, const struct fsim__output *o,
                           fsim_arena *arena, fsim_summary *sum, fsim_error *err)
{
    char first[512] = "", also[64] = "", when[32];
    sum->has_trips_ok = sum->has_grid_ok = sum->has_energy_ok = true;
    sum->trips_ok = sum->trips_missed == 0 && sum->trips_stranded == 0;
    sum->grid_ok = sum->grid_exceeded_kwh == 0;
    size_t worst_v = SIZE_MAX;
    double worst_gap = 0;
    for (size_t v = 0; v < in->n_vehicles; v++) {
        const fsim_sim_vehicle *veh = &in->vehicles[v];
        double floor_soc = fmin(veh->initial_soc, veh->target_soc) - 0.005;
        double end_soc = o->accounts[v].end_check_kwh / veh->params->battery_kwh;
        if (end_soc < floor_soc && floor_soc - end_soc > worst_gap) {
            worst_gap = floor_soc - end_soc;
            worst_v = v;
        }
    }
    sum->energy_ok = worst_v == SIZE_MAX;
    sum->feasible = sum->trips_ok && sum->grid_ok && sum->energy_ok;
    if (!sum->trips_ok) {
        const struct fsim__collect *c = o->col;
        snprintf(first, sizeof first, "%d of %d trips missed and %d stranded (first: %s at %s, %s)",
                 sum->trips_missed, sum->trips, sum->trips_stranded,
                 in->vehicles[c->bad_vehicle].id, fsim_time_format(c->bad_depart, when),
                 c->bad_status == FSIM__TRIP_STRANDED ? "ran out of energy"
                                                      : miss_reason(c->bad_reason));
    }
    if (!sum->grid_ok) {
        size_t w = 0;
        for (size_t di = 1; di < in->n_depots; di++)
            if (o->depots[di].exceed_kwh > o->depots[w].exceed_kwh)
                w = di;
        char msg[256];
        snprintf(msg, sizeof msg, "depot %s above its %.0f kW limit for %.1f h (worst +%.0f kW, %.0f kWh over)",
                 in->depots[w].id, in->depots[w].grid_limit_kw, o->depots[w].exceed_s / 3600,
                 o->depots[w].peak_over_kw, o->depots[w].exceed_kwh);
        if (first[0])
            strcat(also, also[0] ? ", grid" : "grid");
        else
            snprintf(first, sizeof first, "%s", msg);
    }
    if (!sum->energy_ok) {
        const fsim_sim_vehicle *veh = &in->vehicles[worst_v];
        if (first[0])
            strcat(also, also[0] ? ", energy" : "energy");
        else
            snprintf(first, sizeof first,
                     "vehicle %s ends at %.1f %% SoC, below the %.1f %% it started with: the "
                     "schedule runs its battery down",
                     veh->id, 100 * o->accounts[worst_v].end_check_kwh / veh->params->battery_kwh,
                     100 * fmin(veh->initial_soc, veh->target_soc));
    }
    const char *text = sum->feasible
                           ? "every trip completed, every depot within its grid limit, no battery "
                             "run down"
                           : also[0] ? fsim_arena_sprintf(arena, "%s (also fails: %s)", first, also)
                                     : fsim_arena_strdup(arena, first);
    if (!text)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    sum->verdict = text;
    return FSIM_OK;
}

fsim_status fsim__collect_init(struct fsim__collect *c, const fsim_sim_input *in,
                               const fsim_sim_rows *rows, fsim_arena *arena, fsim_error *err)
{
    static const fsim_sim_rows none = {0};
    *c = (struct fsim__collect){.in = in, .rows = rows ? rows : &none, .err = err};
    c->veh = calloc(in->n_vehicles + 1, sizeof *c->veh);
    c->wait_hist = calloc(FSIM__WAIT_HIST, sizeof *c->wait_hist);
    if (!c->veh || !c->wait_hist)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    if (in->per_vehicle_series) {
        size_t steps = (size_t)in->days * (size_t)(86400 / in->step_s);
        size_t per = (size_t)(in->output_interval_s / in->step_s);
        c->n_intervals = (steps + per - 1) / per;
        c->series = fsim_arena_calloc(arena, in->n_vehicles + 1, sizeof *c->series);
        for (size_t v = 0; c->series && v < in->n_vehicles; v++)
            if (!(c->series[v] = fsim_arena_calloc(arena, c->n_intervals + 1, sizeof **c->series)))
                c->series = NULL;
        if (!c->series)
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    }
    return FSIM_OK;
}

void fsim__collect_release(struct fsim__collect *c)
{
    free(c->veh);
    free(c->wait_hist);
    free(c->wait_long);
    c->veh = NULL;
    c->wait_hist = NULL;
    c->wait_long = NULL;
}

fsim_status fsim_sim_run_rows(const fsim_sim_input *in, fsim_arena *arena,
                              fsim_sim_progress_fn progress, void *progress_user,
                              const fsim_sim_rows *rows, fsim_result *out, fsim_error *err)
{
    struct fsim__collect c;
    struct fsim__output o = {.col = &c};
    fsim_status st = fsim__collect_init(&c, in, rows, arena, err);
    if (st != FSIM_OK)
        goto out;
    /* several depots: one engine per depot, side by side (the same bytes on any number of
     * threads); one depot: the engine itself */
    int threads = in->threads > 0 ? in->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    st = in->n_depots > 1
             ? fsim__split_run(in, arena, progress, progress_user, &o, threads < 1 ? 1 : threads,
                               err)
             : fsim__engine_run(in, arena, progress, progress_user, &o, err);
    if (st != FSIM_OK)
        goto out;
    memset(out, 0, sizeof *out);
    out->status = FSIM_RUN_SUCCEEDED;
    fsim_summary *sum = &out->summary;
    *sum = c.sum;
    sum->vehicles = (int)in->n_vehicles;
    wait_percentiles(&c, sum);
    if ((st = fsim__emit_vehicles(in, &o, err)) != FSIM_OK)
        goto out;
    if (c.series) {
        out->vehicle_series = fsim_arena_calloc(arena, in->n_vehicles + 1,
                                                sizeof *out->vehicle_series);
        if (!out->vehicle_series) {
            st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
            goto out;
        }
        out->n_vehicle_series = in->n_vehicles;
        for (size_t v = 0; v < in->n_vehicles; v++)
            out->vehicle_series[v] = (fsim_vehicle_series){
                .vehicle_id = in->vehicles[v].id, .depot = in->depots[in->vehicles[v].depot].id,
                .start = in->start, .interval_seconds = in->output_interval_s,
                .soc = c.series[v], .n_soc = c.k_interval};
    }
    sum->min_soc = in->n_vehicles ? 1 : 0;
    for (size_t v = 0; v < in->n_vehicles; v++) {
        sum->vehicles_stranded += o.accounts[v].stranded;
        sum->min_soc = fmin(sum->min_soc, fsim__clamp_soc(o.accounts[v].min_soc));
    }
    sum->kwh_per_km = fsim__q6(ratio(sum->energy_used_kwh, sum->distance_km));
    sum->distance_km = fsim__q6(sum->distance_km);
    sum->energy_used_kwh = fsim__q6(sum->energy_used_kwh);
    sum->aux_energy_kwh = fsim__q6(sum->aux_energy_kwh);
    sum->charged_energy_kwh = fsim__q6(o.charged_kwh);
    sum->grid_energy_kwh = fsim__q6(o.grid_kwh);
    sum->peak_kw = fsim__q6(o.peak_kw);
    sum->has_peak_at = o.peak_kw > 0;
    sum->peak_at = o.peak_kw > 0 ? o.peak_t : 0;
    sum->charger_utilization =
        fsim__q6(fmin(1, ratio(o.delivering_seconds, (double)o.n_chargers * o.horizon_s)));
    if ((st = convert_depots(in, &o, arena, sum, err)) != FSIM_OK)
        goto out;
    st = verdict(in, &o, arena, sum, err);
out:
    fsim__collect_release(&c);
    return st;
}
