/* Unit tests for the fleet engine (core/sim): the invariants a fleet operator relies on,
 * checked on synthetic depots whose routes have hand-made energy profiles, under every
 * strategy; plus strategy behaviour, queueing, stranding and missed trips. White-box: the
 * engine's internal output also carries per-vehicle energy accounts for the balance. */
#include <fleetsim/sim.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/sim/engine.h"
#include "check.h"

static const double T0 = 1767571200.0; /* 2026-01-05T00:00:00Z */

static fsim_vehicle_params van_params(double battery_kwh)
{
    fsim_vehicle_params p = {
        .battery_kwh = battery_kwh, .mass_kg = 2800, .payload_kg = 600, .max_ac_kw = 11,
        .max_dc_kw = 100, .reserve_soc = 0.1, .charge_curve_len = 3,
        .charge_curve_soc = {0, 0.8, 1}, .charge_curve_kw = {100, 100, 20}};
    return p;
}

/* A route of `seconds` seconds using `kwh` in total at constant power (optionally the
 * middle third downhill, regenerating `regen_kwh`), over `km` kilometres. */
static void make_route(fsim_arena *a, fsim_sim_route_profile *r, fsim_route_path *path,
                       const char *id, size_t seconds, double kwh, double regen_kwh, double km)
{
    size_t n = seconds + 1;
    fsim_energy_profile e = {.n = n};
    e.cum_kwh = fsim_arena_calloc(a, n, sizeof(double));
    e.cum_km = fsim_arena_calloc(a, n, sizeof(double));
    double third = (double)seconds / 3;
    double drive_rate = (kwh + regen_kwh) / (2 * third), regen_rate = regen_kwh / third;
    for (size_t i = 1; i < n; i++) {
        bool downhill = i > third && i <= 2 * third;
        e.cum_kwh[i] = e.cum_kwh[i - 1] + (downhill ? -regen_rate : drive_rate);
        e.cum_km[i] = km * (double)i / (double)seconds;
    }
    e.totals.energy_kwh = e.cum_kwh[n - 1];
    e.totals.distance_km = km;
    static double lon[2] = {-80.0, -79.9}, lat[2] = {40.0, 40.0};
    double *seg = fsim_arena_calloc(a, 1, sizeof(double));
    *seg = km * 1000;
    *path = (fsim_route_path){.n = 2, .lon = lon, .lat = lat, .segment_m = seg,
                              .length_m = km * 1000};
    fsim_sim_route_profile_init(r, id, path, &e, 0.5, a, NULL);
}

/* The engine's output as these tests read it: its records kept in arrays (the engine
 * itself hands them on and keeps none), and the totals it ends with. */
struct test_out {
    size_t n_trips, n_events, n_points;
    struct fsim__trip *trips;
    struct fsim__event *events;
    struct fsim__point *points;
    size_t cap_trips, cap_events, cap_points;
    fsim_arena *arena;
    struct fsim__vehicle_account *accounts;
    struct fsim__depot_out *depots;
    double peak_kw, grid_kwh;
};

/* Appends one record to an arena array that doubles when full. */
static void *grow(fsim_arena *a, void *arr, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 64;
        void *bigger = fsim_arena_alloc(a, c * size);
        if (*n)
            memcpy(bigger, arr, *n * size);
        arr = bigger;
        *cap = c;
    }
    (*n)++;
    return arr;
}

static void rec_trip(void *user, const struct fsim__trip *t)
{
    struct test_out *o = user;
    o->trips = grow(o->arena, o->trips, &o->n_trips, &o->cap_trips, sizeof *t);
    memcpy(&o->trips[o->n_trips - 1], t, sizeof *t);
}

static void rec_event(void *user, const struct fsim__event *e)
{
    struct test_out *o = user;
    o->events = grow(o->arena, o->events, &o->n_events, &o->cap_events, sizeof *e);
    memcpy(&o->events[o->n_events - 1], e, sizeof *e);
}

static void rec_point(void *user, const struct fsim__point *p)
{
    struct test_out *o = user;
    o->points = grow(o->arena, o->points, &o->n_points, &o->cap_points, sizeof *p);
    memcpy(&o->points[o->n_points - 1], p, sizeof *p);
}

static fsim_status test_run(const fsim_sim_input *in, fsim_arena *arena,
                            fsim_sim_progress_fn progress, void *user, struct test_out *o,
                            fsim_error *err)
{
    memset(o, 0, sizeof *o);
    o->arena = arena;
    struct fsim__collect c;
    struct fsim__output out = {.col = &c};
    fsim_status st = fsim__collect_init(&c, in, NULL, arena, err);
    c.raw_trip = rec_trip;
    c.raw_event = rec_event;
    c.raw_point = rec_point;
    c.raw_user = o;
    if (st == FSIM_OK)
        st = fsim__engine_run(in, arena, progress, user, &out, err);
    fsim__collect_release(&c);
    o->accounts = out.accounts;
    o->depots = out.depots;
    o->peak_kw = out.peak_kw;
    o->grid_kwh = out.grid_kwh;
    return st;
}

struct fixture {
    fsim_arena *arena;
    fsim_sim_input in;
    fsim_sim_depot depot;
    fsim_sim_charger chargers[8];
    fsim_sim_vehicle vehicles[16];
    fsim_vehicle_params params;
    fsim_sim_route_profile route;
    fsim_route_path path;
    int departures[2];
};

/* One depot, `n_vehicles` vans on a 2 h route using 20 kWh, leaving 07:00 and 13:00. */
static void fixture_init(struct fixture *f, fsim_strategy_kind strategy, size_t n_vehicles,
                         size_t n_ac, size_t n_dc, double battery_kwh, double initial_soc)
{
    memset(f, 0, sizeof *f);
    f->arena = fsim_arena_new();
    f->params = van_params(battery_kwh);
    make_route(f->arena, &f->route, &f->path, "loop", 7200, 20, 2, 60);
    size_t c = 0;
    for (size_t i = 0; i < n_dc; i++)
        f->chargers[c++] = (fsim_sim_charger){fsim_arena_sprintf(f->arena, "d/dc/%zu", i + 1),
                                              50, true, 0.95, "dc"};
    for (size_t i = 0; i < n_ac; i++)
        f->chargers[c++] = (fsim_sim_charger){fsim_arena_sprintf(f->arena, "d/ac/%zu", i + 1),
                                              11, false, 0.9, "ac"};
    f->depot = (fsim_sim_depot){.id = "d", .utc_offset_minutes = -300, .has_grid_limit = true,
                                .grid_limit_kw = 40, .n_chargers = c, .chargers = f->chargers};
    f->departures[0] = 7 * 60;
    f->departures[1] = 13 * 60;
    for (size_t v = 0; v < n_vehicles; v++)
        f->vehicles[v] = (fsim_sim_vehicle){
            .id = fsim_arena_sprintf(f->arena, "van-%zu", v + 1), .type = "van",
            .params = &f->params, .depot = 0, .route = &f->route, .n_departures = 2,
            .departure_minutes = f->departures, .initial_soc = initial_soc, .target_soc = 1.0,
            .reserve_soc = 0.1};
    f->in = (fsim_sim_input){.start = T0, .days = 3, .step_s = 60, .output_interval_s = 60,
                             .strategy = strategy, .n_depots = 1, .depots = &f->depot,
                             .n_vehicles = n_vehicles, .vehicles = f->vehicles,
                             .outputs = FSIM_SIM_OUT_ALL};
}

static const char *strategy_name(fsim_strategy_kind s)
{
    return s == FSIM_STRATEGY_IMMEDIATE ? "immediate"
           : s == FSIM_STRATEGY_BALANCED     ? "balanced"
           : s == FSIM_STRATEGY_PEAK_SHAVING ? "peak_shaving"
                                             : "cost";
}

/* The invariants of DESIGN.md / the engine issue, for one finished run. */
static void check_invariants(const struct fixture *f, const struct test_out *o,
                             const char *label)
{
    bool soc_ok = true, eff_ok = true, balance_ok = true, status_ok = true;
    double worst_balance = 0;
    for (size_t i = 0; i < o->n_trips; i++) {
        const struct fsim__trip *t = &o->trips[i];
        if (t->status != FSIM__TRIP_MISSED || t->reason != FSIM__MISS_STILL_DRIVING)
            soc_ok &= t->start_soc >= 0 && t->start_soc <= 1 && t->end_soc >= 0 &&
                      t->end_soc <= 1;
        status_ok &= t->status == FSIM__TRIP_COMPLETED || t->status == FSIM__TRIP_MISSED ||
                     t->status == FSIM__TRIP_STRANDED;
    }
    for (size_t i = 0; i < o->n_points; i++)
        soc_ok &= o->points[i].min_soc >= 0 && o->points[i].mean_soc <= 1 &&
                  o->points[i].min_soc <= o->points[i].mean_soc + 1e-12;
    for (size_t i = 0; i < o->n_events; i++) {
        const struct fsim__event *e = &o->events[i];
        const fsim_sim_charger *ch = &f->depot.chargers[e->charger];
        eff_ok &= fabs(e->grid_kwh * ch->efficiency - e->energy_kwh) <= 1e-9;
        soc_ok &= e->start_soc >= 0 && e->end_soc <= 1 + 1e-12;
    }
    for (size_t v = 0; v < f->in.n_vehicles; v++) {
        const struct fsim__vehicle_account *a = &o->accounts[v];
        double diff = a->initial_kwh + a->charged_kwh - a->driven_kwh - a->aux_kwh - a->final_kwh;
        worst_balance = fmax(worst_balance, fabs(diff));
        balance_ok &= fabs(diff) <= 1e-6;
        soc_ok &= a->min_soc >= 0 && a->final_kwh <= f->vehicles[v].params->battery_kwh + 1e-9;
    }
    /* Charger occupancy never exceeds the depot's chargers: sweep every plug-in instant. */
    int max_busy = 0;
    for (size_t i = 0; i < o->n_events; i++) {
        int busy = 0;
        for (size_t j = 0; j < o->n_events; j++)
            busy += o->events[j].plugged <= o->events[i].plugged &&
                    o->events[i].plugged < o->events[j].end;
        if (busy > max_busy)
            max_busy = busy;
    }
    bool one_charger_one_vehicle = true;
    for (size_t i = 0; i < o->n_events; i++)
        for (size_t j = i + 1; j < o->n_events; j++)
            if (o->events[i].charger == o->events[j].charger &&
                o->events[i].plugged < o->events[j].end && o->events[j].plugged < o->events[i].end)
                one_charger_one_vehicle = false;
    size_t expected_trips = 0;
    /* 3 days from Monday 00:00Z at UTC−5: local days Sun(19:00..) → Wed(..19:00). */
    for (size_t v = 0; v < f->in.n_vehicles; v++)
        expected_trips += 6;
    CHECK(soc_ok, "%s: SoC stays within [0, 1] in trips, events, series and accounts", label);
    CHECK(eff_ok, "%s: grid kWh x charger efficiency = battery kWh for every event", label);
    CHECK(balance_ok, "%s: energy balance per vehicle within 1e-6 kWh (worst %.3g)", label,
          worst_balance);
    CHECK(status_ok && o->n_trips == expected_trips,
          "%s: every scheduled trip is completed, missed or stranded exactly once (%zu)", label,
          o->n_trips);
    CHECK((size_t)max_busy <= f->depot.n_chargers && one_charger_one_vehicle,
          "%s: never more vehicles plugged than chargers (max %d of %zu), one per charger", label,
          max_busy, f->depot.n_chargers);
}

static void test_invariants_and_strategies(void)
{
    fsim_strategy_kind all[] = {FSIM_STRATEGY_IMMEDIATE, FSIM_STRATEGY_BALANCED,
                                FSIM_STRATEGY_PEAK_SHAVING, FSIM_STRATEGY_COST};
    double peak[4] = {0};
    size_t busy_steps[4] = {0};
    for (int s = 0; s < 4; s++) {
        struct fixture f;
        fixture_init(&f, all[s], 6, 4, 2, 60, 0.5);
        struct test_out o;
        fsim_error err;
        fsim_status st = test_run(&f.in, f.arena, NULL, NULL, &o, &err);
        CHECK(st == FSIM_OK, "%s: run succeeds", strategy_name(all[s]));
        if (st != FSIM_OK) {
            fsim_arena_free(f.arena);
            continue;
        }
        check_invariants(&f, &o, strategy_name(all[s]));
        peak[s] = o.peak_kw;
        for (size_t i = 0; i < o.n_points; i++)
            busy_steps[s] += o.points[i].load_kw > 1e-9;
        if (all[s] == FSIM_STRATEGY_PEAK_SHAVING || all[s] == FSIM_STRATEGY_COST) {
            double worst = 0;
            for (size_t i = 0; i < o.n_points; i++)
                worst = fmax(worst, o.points[i].load_kw);
            CHECK(worst <= f.depot.grid_limit_kw + 1e-9,
                  "%s: load never exceeds gridLimitKw at any step (max %.3f kW)",
                  strategy_name(all[s]), worst);
            CHECK(o.depots[0].exceed_kwh == 0, "%s: 0 kWh above the grid limit",
                  strategy_name(all[s]));
        }
        size_t completed = 0;
        for (size_t i = 0; i < o.n_trips; i++)
            completed += o.trips[i].status == FSIM__TRIP_COMPLETED;
        CHECK(completed == o.n_trips, "%s: this depot completes all %zu trips",
              strategy_name(all[s]), o.n_trips);

        /* Determinism: a second run gives identical records. */
        struct fixture g;
        fixture_init(&g, all[s], 6, 4, 2, 60, 0.5);
        struct test_out o2;
        test_run(&g.in, g.arena, NULL, NULL, &o2, &err);
        bool same = o.n_trips == o2.n_trips && o.n_events == o2.n_events &&
                    o.n_points == o2.n_points &&
                    memcmp(o.trips, o2.trips, o.n_trips * sizeof *o.trips) == 0 &&
                    memcmp(o.events, o2.events, o.n_events * sizeof *o.events) == 0;
        for (size_t i = 0; same && i < o.n_points; i++)
            same = o.points[i].load_kw == o2.points[i].load_kw &&
                   o.points[i].mean_soc == o2.points[i].mean_soc;
        CHECK(same, "%s: two runs give identical trips, events and series",
              strategy_name(all[s]));
        fsim_arena_free(g.arena);
        fsim_arena_free(f.arena);
    }
    CHECK(peak[2] < peak[0], "peak_shaving lowers the peak vs immediate (%.1f < %.1f kW)", peak[2],
          peak[0]);
    CHECK(peak[1] < peak[0] && busy_steps[1] > busy_steps[0],
          "balanced spreads the load: lower peak (%.1f < %.1f kW) over more steps (%zu > %zu)",
          peak[1], peak[0], busy_steps[1], busy_steps[0]);
}

/* The tight case: with fewer chargers than vans, `balanced` used to spread each charge
 * until departure and so hold its charger while vans queued behind it stranded. Now a
 * waiting van raises the soonest finisher to full power: balanced completes every trip that
 * immediate completes, with a peak no higher. */
static void test_balanced_hands_chargers_over(void)
{
    size_t done[2] = {0}, failed[2] = {0};
    double peak[2] = {0};
    fsim_strategy_kind kinds[2] = {FSIM_STRATEGY_IMMEDIATE, FSIM_STRATEGY_BALANCED};
    for (int k = 0; k < 2; k++) {
        struct fixture f;
        fixture_init(&f, kinds[k], 6, 3, 1, 60, 0.5);
        f.depot.has_grid_limit = false;
        struct test_out o;
        fsim_error err;
        test_run(&f.in, f.arena, NULL, NULL, &o, &err);
        for (size_t i = 0; i < o.n_trips; i++) {
            done[k] += o.trips[i].status == FSIM__TRIP_COMPLETED;
            failed[k] += o.trips[i].status != FSIM__TRIP_COMPLETED;
        }
        peak[k] = o.peak_kw;
        fsim_arena_free(f.arena);
    }
    CHECK(failed[0] == 0 && done[0] == 36, "4 chargers, 6 vans: immediate completes all 36 trips");
    CHECK(failed[1] == 0 && done[1] == 36,
          "4 chargers, 6 vans: balanced completes them too (%zu missed or stranded)", failed[1]);
    CHECK(peak[1] <= peak[0] + 1e-9, "balanced peak %.3f kW <= immediate's %.3f kW", peak[1],
          peak[0]);
}

static void test_queueing(void)
{
    struct fixture f;
    fixture_init(&f, FSIM_STRATEGY_IMMEDIATE, 5, 1, 0, 60, 0.3);
    struct test_out o;
    fsim_error err;
    CHECK(test_run(&f.in, f.arena, NULL, NULL, &o, &err) == FSIM_OK, "queue: run");
    double max_wait = 0;
    bool fifo = true;
    for (size_t i = 0; i < o.n_events; i++) {
        max_wait = fmax(max_wait, o.events[i].plugged - o.events[i].arrived);
        for (size_t j = 0; j < o.n_events; j++)
            if (o.events[j].arrived < o.events[i].arrived &&
                o.events[j].plugged > o.events[i].plugged)
                fifo = false;
    }
    CHECK(max_wait >= 3600, "five vans on one 11 kW charger wait for it (longest wait %.0f s)",
          max_wait);
    CHECK(fifo, "the queue is first come, first served");
    check_invariants(&f, &o, "one charger");
    fsim_arena_free(f.arena);
}

static void test_stranded_and_missed(void)
{
    struct fixture f;
    /* 15 kWh battery at 100 %, no chargers, a 20 kWh route: strands on the first trip. */
    fixture_init(&f, FSIM_STRATEGY_IMMEDIATE, 1, 0, 0, 15, 1.0);
    struct test_out o;
    fsim_error err;
    CHECK(test_run(&f.in, f.arena, NULL, NULL, &o, &err) == FSIM_OK, "strand: run");
    const struct fsim__trip *t = &o.trips[0];
    CHECK(t->status == FSIM__TRIP_STRANDED && t->end_soc == 0,
          "a van that cannot finish its trip is stranded with an empty battery");
    CHECK(t->arrive > t->depart && t->arrive < t->depart + 7200,
          "it strands during the trip, not at its end (after %.0f s)", t->arrive - t->depart);
    CHECK(t->stranded_lon > -80.0 && t->stranded_lon < -79.9 && t->stranded_lat == 40.0,
          "the place it stranded lies on the route (%.4f, %.4f)", t->stranded_lon,
          t->stranded_lat);
    bool rest_missed = true;
    for (size_t i = 1; i < o.n_trips; i++)
        rest_missed &= o.trips[i].status == FSIM__TRIP_MISSED &&
                       o.trips[i].reason == FSIM__MISS_STRANDED;
    CHECK(rest_missed && o.accounts[0].stranded, "its later trips are missed: stranded for good");
    check_invariants(&f, &o, "stranded");
    fsim_arena_free(f.arena);

    /* Below its reserve with no charger: every trip is missed, the battery untouched. */
    fixture_init(&f, FSIM_STRATEGY_IMMEDIATE, 1, 0, 0, 60, 0.05);
    CHECK(test_run(&f.in, f.arena, NULL, NULL, &o, &err) == FSIM_OK, "missed: run");
    bool all_missed = true;
    for (size_t i = 0; i < o.n_trips; i++)
        all_missed &= o.trips[i].status == FSIM__TRIP_MISSED &&
                      o.trips[i].reason == FSIM__MISS_LOW_SOC;
    CHECK(all_missed && o.accounts[0].final_kwh == 3.0,
          "a van below its reserve misses every trip and keeps its 3 kWh");
    fsim_arena_free(f.arena);
}

/* SimulationResult.vehicles: one row per vehicle whose figures add up to the summary's, on
 * a depot where vans queue for too few chargers and some trips are missed. */
static void test_vehicle_totals(void)
{
    struct fixture f;
    fixture_init(&f, FSIM_STRATEGY_IMMEDIATE, 6, 1, 0, 30, 0.9);
    fsim_result res;
    fsim_error err;
    CHECK(fsim_sim_run(&f.in, f.arena, NULL, NULL, &res, &err) == FSIM_OK, "vehicles: run");
    const fsim_summary *s = &res.summary;
    CHECK(res.n_vehicles == 6 && res.vehicles, "one VehicleSummary per vehicle (%zu)",
          res.n_vehicles);
    int completed = 0, missed = 0, stranded = 0, sessions = 0;
    double km = 0, driven = 0, charged = 0, wait = 0, min_soc = 1;
    bool named = true, soc_ok = true;
    for (size_t v = 0; v < res.n_vehicles; v++) {
        const fsim_vehicle_summary *vs = &res.vehicles[v];
        named &= strcmp(vs->vehicle_id, f.vehicles[v].id) == 0 &&
                 strcmp(vs->type, "van") == 0 && strcmp(vs->depot, "d") == 0;
        soc_ok &= vs->min_soc >= 0 && vs->min_soc <= vs->end_soc && vs->end_soc <= 1;
        completed += vs->trips_completed;
        missed += vs->trips_missed;
        stranded += vs->trips_stranded;
        sessions += vs->sessions;
        km += vs->distance_km;
        driven += vs->energy_used_kwh;
        charged += vs->charged_energy_kwh;
        wait += vs->wait_seconds;
        min_soc = fmin(min_soc, vs->min_soc);
    }
    CHECK(named, "each row names its vehicle, type and depot, in vehicle order");
    CHECK(soc_ok, "per vehicle: 0 <= minSoc <= endSoc <= 1");
    CHECK(s->trips_missed + s->trips_stranded > 0 && s->waiting_seconds_total > 0,
          "the fixture has failed trips (%d) and queues (%.0f s)", s->trips_missed + s->trips_stranded,
          s->waiting_seconds_total);
    CHECK(completed == s->trips_completed && missed == s->trips_missed &&
              stranded == s->trips_stranded,
          "trips completed / missed / stranded sum to the summary's (%d/%d/%d)", completed,
          missed, stranded);
    CHECK(sessions == s->charging_events, "sessions sum to the summary's %d", sessions);
    CHECK_NEAR(km, s->distance_km, 1e-5, "km sum to the summary's");
    CHECK_NEAR(driven, s->energy_used_kwh, 1e-5, "kWh driven sum to the summary's");
    CHECK_NEAR(charged, s->charged_energy_kwh, 1e-5, "kWh charged sum to the summary's");
    CHECK_NEAR(wait, s->waiting_seconds_total, 1e-5, "waits sum to the summary's");
    CHECK(min_soc == s->min_soc, "the lowest minSoc is the summary's (%g)", min_soc);
    fsim_arena_free(f.arena);
}


static void test_regen_never_overfills(void)
{
    struct fixture f;
    fixture_init(&f, FSIM_STRATEGY_IMMEDIATE, 1, 1, 0, 60, 1.0);
    /* A full battery, and a downhill that regenerates more than the climb before it used:
     * what regen cannot store is curtailed, never stored above capacity. */
    make_route(f.arena, &f.route, &f.path, "hill", 3600, -1, 5, 20);
    struct test_out o;
    fsim_error err;
    CHECK(test_run(&f.in, f.arena, NULL, NULL, &o, &err) == FSIM_OK, "regen: run");
    check_invariants(&f, &o, "downhill on a full battery");
    fsim_arena_free(f.arena);
}


/* Event-exact plug-in: one van returns at second k of a 5-minute step to a free charger. */
static void test_plug_in_at_arrival(void)
{
    static const size_t offsets[] = {0, 1, 17, 59, 137, 299};
    bool all_zero = true;
    for (size_t i = 0; i < sizeof offsets / sizeof *offsets; i++) {
        struct fixture f;
        fixture_init(&f, FSIM_STRATEGY_IMMEDIATE, 1, 1, 0, 60, 1.0);
        f.in.step_s = f.in.output_interval_s = 300;
        f.depot.has_grid_limit = false;
        make_route(f.arena, &f.route, &f.path, "loop", 3600 + offsets[i], 20, 2, 60);
        struct test_out o;
        fsim_error err;
        test_run(&f.in, f.arena, NULL, NULL, &o, &err);
        const struct fsim__event *e = o.n_events ? &o.events[0] : NULL;
        double arrive = T0 + 13 * 3600 + (double)offsets[i]; /* 07:00 at UTC−5, +1 h */
        bool ok = e && e->arrived == arrive && e->plugged == arrive && e->start == arrive;
        if (!ok)
            printf("# offset %zu s: arrived %.3f plugged %.3f (expected %.3f)\n", offsets[i],
                   e ? e->arrived - T0 : -1, e ? e->plugged - T0 : -1, arrive - T0);
        all_zero &= ok;
        fsim_arena_free(f.arena);
    }
    CHECK(all_zero, "a van arriving at any second of a step to a free charger waits 0 s and "
                    "draws power from its arrival");
}

/* Two vans, one charger, arriving together mid-step: the second plugs in the instant the
 * first reaches its target, so it waits exactly the first's session. And a session that
 * starts mid-step stores exactly power × efficiency × time (closed form). */
static void test_exact_sessions(void)
{
    struct fixture f;
    fixture_init(&f, FSIM_STRATEGY_IMMEDIATE, 2, 1, 0, 60, 1.0);
    f.in.step_s = f.in.output_interval_s = 300;
    f.in.days = 1;
    f.depot.has_grid_limit = false;
    make_route(f.arena, &f.route, &f.path, "loop", 3600 + 137, 20, 2, 60);
    struct test_out o;
    fsim_error err;
    CHECK(test_run(&f.in, f.arena, NULL, NULL, &o, &err) == FSIM_OK, "exact: run");
    const struct fsim__event *a = NULL, *b = NULL;
    for (size_t i = 0; i < o.n_events; i++) {
        if (o.events[i].arrived != T0 + 13 * 3600 + 137)
            continue;
        if (!a)
            a = &o.events[i];
        else if (!b)
            b = &o.events[i];
    }
    CHECK(a && b, "both vans queue at 08:02:17 local");
    if (!a || !b) {
        fsim_arena_free(f.arena);
        return;
    }
    CHECK(a->plugged == a->arrived && b->plugged == a->end,
          "the second plugs in the instant the first unplugs (%.3f s after its arrival)",
          b->plugged - b->arrived);
    CHECK_NEAR(b->plugged - b->arrived, a->end - a->plugged, 1e-9,
               "the second waits exactly the first's session");
    /* 11 kW AC at 0.9 on a flat stretch of the curve: closed form */
    double need = a->energy_kwh, p = 11, eff = 0.9;
    CHECK_NEAR(a->energy_kwh, (1.0 - a->start_soc) * 60, 1e-9, "the session fills to the target");
    CHECK_NEAR(a->end - a->plugged, need / (p * eff) * 3600, 1e-6,
               "a mid-step session lasts need / (P × efficiency) exactly");
    CHECK_NEAR(a->grid_kwh, p * (a->end - a->plugged) / 3600, 1e-9,
               "and draws P × its duration from the grid");
    /* The time series sees the partial steps: the depot's energy is the sessions' energy. */
    double sessions = 0;
    for (size_t i = 0; i < o.n_events; i++)
        sessions += o.events[i].grid_kwh;
    CHECK_NEAR(o.grid_kwh, sessions, 1e-9, "the depot's grid energy equals its sessions' (%.6f kWh)",
               sessions);
    double first_step = 0;
    for (size_t i = 0; i < o.n_points; i++)
        if (o.points[i].t == T0 + 13 * 3600)
            first_step = o.points[i].load_kw;
    CHECK_NEAR(first_step, p * (300.0 - 137) / 300, 1e-9,
               "the step of the plug-in averages P over the part after arrival (%.4f kW)",
               first_step);
    fsim_arena_free(f.arena);
}

/* A tariff computed by hand: one 40 kW session from 06:47 to 07:17 crossing the 07:00
 * price step (0.10 → 0.30 per kWh), CO2 100 + hour g/kWh, a demand charge of 10 per kW on
 * the highest 15-minute mean (07:00–07:15 at 40 kW) and 31 a month, both for 1 day of
 * January (1/31 of the month). */
static void test_tariff_by_hand(void)
{
    struct fixture f;
    fixture_init(&f, FSIM_STRATEGY_IMMEDIATE, 1, 0, 1, 100, 0.8);
    static fsim_tariff tariff = {.name = "test", .currency = "EUR", .n_weekday = 2,
                                 .weekday = {{0, 0.10}, {7 * 60, 0.30}}, .n_weekend = 1,
                                 .weekend = {{0, 0.05}}, .demand_charge_per_kw = 10,
                                 .fixed_charge_per_month = 31};
    for (int h = 0; h < 24; h++)
        tariff.co2_g_per_kwh[h] = 100 + h;
    f.chargers[0] = (fsim_sim_charger){"d/dc/1", 40, true, 1.0, "dc"};
    f.depot = (fsim_sim_depot){.id = "d", .utc_offset_minutes = 0, .tariff = &tariff,
                               .n_chargers = 1, .chargers = f.chargers};
    static const int departure = 5 * 60 + 45;
    for (size_t v = 0; v < 1; v++) {
        f.vehicles[v].n_departures = 1;
        f.vehicles[v].departure_minutes = &departure;
        f.vehicles[v].target_soc = 0.8;
    }
    f.in.days = 1;
    f.in.step_s = f.in.output_interval_s = 300;
    /* a 62 min trip using 20 kWh: back at 06:47 (mid-step) with 60 kWh, 20 kWh to the target */
    make_route(f.arena, &f.route, &f.path, "loop", 3720, 20, 0, 60);
    fsim_result res;
    fsim_error err;
    CHECK(fsim_sim_run(&f.in, f.arena, NULL, NULL, &res, &err) == FSIM_OK, "tariff: run");
    const fsim_summary *s = &res.summary;
    CHECK(res.n_charging_events == 1 && s->has_energy_cost, "tariff: one session, priced");
    CHECK_NEAR(s->energy_cost, 4.27, 1e-9, "energy: 13 min × 40 kW at 0.10 + 17 min at 0.30 = 4.27");
    CHECK_NEAR(s->co2_kg, 2.131, 1e-9, "CO2: 8.667 kWh × 106 g + 11.333 kWh × 107 g = 2.131 kg");
    CHECK(s->n_depots == 1 && fabs(s->depots[0].peak_15min_kw - 40) < 1e-6,
          "demand: the highest 15-minute mean is 07:00-07:15 at 40 kW");
    CHECK_NEAR(s->demand_cost, 12.90, 1e-9, "demand: 40 kW × 10 × 1/31 of January = 12.90");
    CHECK_NEAR(s->fixed_cost, 1.00, 1e-9, "fixed: 31 × 1/31 = 1.00");
    CHECK_NEAR(s->total_cost, 18.17, 1e-9, "total 4.27 + 12.90 + 1.00 = 18.17");
    CHECK(s->currency && strcmp(s->currency, "EUR") == 0, "in the tariff's currency");
    fsim_arena_free(f.arena);
}

int main(void)
{
    test_invariants_and_strategies();
    test_balanced_hands_chargers_over();
    test_queueing();
    test_stranded_and_missed();
    test_vehicle_totals();
    test_regen_never_overfills();
    test_plug_in_at_arrival();
    test_exact_sessions();
    test_tariff_by_hand();
    return check_done();
}
