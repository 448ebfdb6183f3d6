/* fleetsim — the fleet engine (pure: no I/O, no clock, no globals).
 *
 * Time-stepped at `step_s` over the horizon; each vehicle is parked (idle, waiting for a
 * charger, or charging) or driving a trip. Work per step is proportional to the vehicles
 * whose state changes or that are charging: departures and arrivals come from a calendar
 * of step buckets, a trip's energy is applied from its route's cumulative energy profile
 * (so the outcome of a trip, completed or stranded where and when, is known the moment it
 * departs), and a driving vehicle's SoC is evaluated only when an output needs it.
 * Same input ⇒ byte-identical output. */
#ifndef FLEETSIM_SIM_H
#define FLEETSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/arena.h>
#include <fleetsim/config.h>
#include <fleetsim/error.h>
#include <fleetsim/geo.h>
#include <fleetsim/model.h>
#include <fleetsim/wire.h>

typedef enum fsim_strategy_kind {
    FSIM_STRATEGY_IMMEDIATE,
    FSIM_STRATEGY_BALANCED,
    FSIM_STRATEGY_PEAK_SHAVING,
    FSIM_STRATEGY_COST,
} fsim_strategy_kind;

/* One physical charger at a depot. */
typedef struct fsim_sim_charger {
    const char *id;   /* "north/dc-150kw/1" */
    double power_kw;
    bool dc;
    double efficiency;
    const char *type; /* "dc-150kw" */
} fsim_sim_charger;

typedef struct fsim_sim_depot {
    const char *id;
    int utc_offset_minutes;
    bool has_grid_limit;
    double grid_limit_kw;
    const fsim_tariff *tariff;        /* NULL: not priced (no tariffs.yaml) */
    size_t n_chargers;
    fsim_sim_charger *chargers; /* sorted fastest first, then by id */
    /* optional: air temperature, °C, per hour from `start` (the last holds), reported as
     * the time series' temperatureC; NULL without weather */
    const double *temperature_c;
    size_t n_temperature_hours;
} fsim_sim_depot;

/* A route as driven by one vehicle type at the run's temperature: the cumulative energy
 * profile (1 s samples) plus the prefix extremes the engine needs for O(1) SoC look-ups and
 * O(log n)-or-better strand detection. */
typedef struct fsim_sim_route_profile {
    const char *route_id;
    const fsim_route_path *path;      /* borrowed, for the position of a stranding */
    fsim_energy_profile energy;       /* cum_kwh / cum_km, n samples, t = 0..n−1 s */
    double *prefix_max_kwh;           /* max(cum_kwh[0..i]) */
    double *prefix_min_kwh;           /* min(cum_kwh[0..i]) */
    double aux_kw;                    /* aux + HVAC power while driving */
} fsim_sim_route_profile;

typedef struct fsim_sim_vehicle {
    const char *id;                   /* VIN or "<type>-<group>-<k>" */
    const char *type;
    const fsim_vehicle_params *params;
    size_t depot;                     /* index into depots */
    const fsim_sim_route_profile *route;
    size_t n_departures;
    const int *departure_minutes;     /* minutes after local midnight, ascending, unique */
    double initial_soc;
    double target_soc;
    double reserve_soc;
    /* optional: the route as driven at each hour's temperature, per hour from `start`
     * (n_route_hours of them, the last holds); a trip uses its departure hour's. NULL: route */
    const fsim_sim_route_profile *const *route_by_hour;
    size_t n_route_hours;
} fsim_sim_vehicle;

/* The kinds of rows a run produces (request.outputs; each on by default). A kind that is
 * off costs nothing: its rows are never built. */
enum {
    FSIM_SIM_OUT_SERIES = 1u << 0,   /* timeSeriesData */
    FSIM_SIM_OUT_EVENTS = 1u << 1,   /* chargingEvents */
    FSIM_SIM_OUT_TRIPS = 1u << 2,    /* trips */
    FSIM_SIM_OUT_VEHICLES = 1u << 3, /* vehicles */
    FSIM_SIM_OUT_ALL = 15u,
};

/* request.outputs as FSIM_SIM_OUT_* bits: each kind on unless the request turns it off. */
unsigned fsim_sim_outputs_of(const fsim_request_outputs *outputs);

typedef struct fsim_sim_input {
    double start;                     /* Unix seconds */
    int days;
    int step_s;
    int output_interval_s;
    fsim_strategy_kind strategy;
    bool per_vehicle_series;
    unsigned outputs;                 /* FSIM_SIM_OUT_* bits: the row kinds produced */
    int threads;                      /* depots run side by side on this many threads (0:
                                         every CPU); the result is the same for any count */
    size_t n_depots;
    fsim_sim_depot *depots;
    size_t n_vehicles;
    fsim_sim_vehicle *vehicles;
} fsim_sim_input;

/* The profile a trip of `v` departing at `t` drives: its departure hour's when the
 * temperature varies by hour (weather), else the vehicle's one route. */
static inline const fsim_sim_route_profile *fsim_sim_trip_route(const fsim_sim_input *in,
                                                                 const fsim_sim_vehicle *v,
                                                                 double t)
{
    if (!v->route_by_hour || !v->n_route_hours)
        return v->route;
    double h = (t - in->start) / 3600.0;
    size_t i = h <= 0 ? 0 : (size_t)h;
    return v->route_by_hour[i < v->n_route_hours ? i : v->n_route_hours - 1];
}

/* Fills a route profile from an energy profile (borrowed: its arrays must outlive the
 * run) and computes the prefix extremes into `arena`. */
fsim_status fsim_sim_route_profile_init(fsim_sim_route_profile *profile, const char *route_id,
                                        const fsim_route_path *path,
                                        const fsim_energy_profile *energy, double aux_kw,
                                        fsim_arena *arena, fsim_error *err);

/* Called between simulated days with (days done, days total); return false to stop the
 * run early (it then fails with FSIM_CANCELLED). */
typedef bool (*fsim_sim_progress_fn)(void *user, int day_done, int days_total);

/* Where the rows of a run go as the engine produces them, so memory holds the fleet's
 * state and not its history. Each callback gets one row (borrowed: valid during the call;
 * its strings point into the input) and may be NULL (the rows are dropped). Rows come in
 * the order the result lists them: time series interval by interval (depots in input
 * order), trips in departure order (vehicle order within a step), charging sessions in
 * the order they end (those still open at the end of the horizon last, in vehicle
 * order), vehicles in input order after the horizon. A failure stops the run with it. */
typedef struct fsim_sim_rows {
    void *user;
    fsim_status (*point)(void *user, const fsim_time_series_point *row, fsim_error *err);
    fsim_status (*event)(void *user, const fsim_charging_event *row, fsim_error *err);
    fsim_status (*trip)(void *user, const fsim_trip_result *row, fsim_error *err);
    fsim_status (*vehicle)(void *user, const fsim_vehicle_summary *row, fsim_error *err);
} fsim_sim_rows;

/* Runs the engine, hands every row of the kinds in in->outputs to `rows` and fills `out`'s
 * status, summary and (with per_vehicle_series) vehicleSeries, accumulated on the way; the
 * row arrays of `out` stay empty. fsim_sim_run is this with a sink that keeps the rows. */
fsim_status fsim_sim_run_rows(const fsim_sim_input *in, fsim_arena *arena,
                              fsim_sim_progress_fn progress, void *progress_user,
                              const fsim_sim_rows *rows, fsim_result *out, fsim_error *err);

/* Runs the engine and fills the wire result's status, summary, timeSeriesData,
 * chargingEvents, trips and (with per_vehicle_series) vehicleSeries, all allocated from
 * `arena`; strings point into `in` (ids) so `in` must outlive `out`. The caller fills
 * `metadata` and `simulation_id`. FSIM_CANCELLED when `progress` returned false. */
fsim_status fsim_sim_run(const fsim_sim_input *in, fsim_arena *arena,
                         fsim_sim_progress_fn progress, void *progress_user, fsim_result *out,
                         fsim_error *err);

#endif
