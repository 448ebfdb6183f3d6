/* Internal to core/sim: the engine's state, calendar and output records. */
#ifndef FLEETSIM_SIM_ENGINE_H
#define FLEETSIM_SIM_ENGINE_H

#include <math.h>

#include <fleetsim/sim.h>

/* The departure calendar, one vehicle at a time: each vehicle's next departure is found
 * when it leaves on the previous one (schedule.c), so the calendar holds one entry per
 * vehicle, not one per departure of the horizon. */
struct fsim__schedule {
    size_t n_steps;
    long long start, end, step;
};

/* Where a vehicle is in its timetable: the local day and the index of its next departure. */
struct fsim__dep_cursor {
    long long day;
    size_t idx;
};

void fsim__schedule_init(const fsim_sim_input *in, struct fsim__schedule *sched);
void fsim__schedule_cursor(const fsim_sim_input *in, const struct fsim__schedule *sched, size_t v,
                           struct fsim__dep_cursor *c);
/* The step of the vehicle's next departure in the horizon (consumed), or SIZE_MAX. */
size_t fsim__schedule_next(const fsim_sim_input *in, const struct fsim__schedule *sched, size_t v,
                           struct fsim__dep_cursor *c);

typedef enum fsim__trip_status {
    FSIM__TRIP_COMPLETED,
    FSIM__TRIP_MISSED,
    FSIM__TRIP_STRANDED,
} fsim__trip_status;

typedef enum fsim__miss_reason {
    FSIM__MISS_NONE,
    FSIM__MISS_LOW_SOC,      /* below its reserve at departure */
    FSIM__MISS_STILL_DRIVING,/* previous trip not back yet */
    FSIM__MISS_STRANDED,     /* the vehicle stranded earlier */
} fsim__miss_reason;

struct fsim__trip {
    size_t vehicle;
    double depart;           /* Unix s (the step boundary it left at) */
    double arrive;           /* arrival, or the moment it stranded; = depart when missed */
    double distance_km;
    double energy_kwh;       /* battery energy used, aux included */
    double start_soc, end_soc;
    fsim__trip_status status;
    fsim__miss_reason reason;
    double stranded_lon, stranded_lat;
};

/* The rate in force at a time: price and CO2 until `until` (the next window or hour);
 * the price alone holds until `price_until`. */
struct fsim__rate {
    double price, co2_g;
    double until, price_until;
};

/* A depot's running bill (see tariff.c). */
struct fsim__bill {
    const fsim_tariff *tariff; /* NULL: nothing is priced */
    double offset_s;
    struct fsim__rate rate;
    double energy_cost, co2_g, demand_cost, fixed_cost;
    double q_start, q_kwh;     /* the current 15-minute window */
    double peak15_kw;          /* highest 15-minute mean over the horizon */
    int month;                 /* the current billing month, year·12 + month − 1 */
    double month_len_s, month_seconds, month_peak15_kw;
};

struct fsim__price_window {
    double start, end, price;
};

void fsim__tariff_rate_at(const fsim_tariff *tariff, int offset_min, double t,
                          struct fsim__rate *rate);
void fsim__bill_init(struct fsim__bill *b, const fsim_tariff *tariff, int offset_min, double t0);
/* `kwh` drawn evenly over [a, e): priced, CO2 counted, into the 15-minute windows. */
void fsim__bill_add(struct fsim__bill *b, double a, double e, double kwh);
/* The horizon is over: the last 15-minute window and billing month are closed. */
void fsim__bill_finish(struct fsim__bill *b);
/* The `cost` strategy's plan for one vehicle: the highest price it must accept to draw
 * `need_kwh` at `kw` between t and `until`, taking the cheapest windows first (earlier
 * first at one price), and in *allowed_s the time of all windows at that price or less.
 * INFINITY (and the whole time) when even every window is not enough. `scratch`/`cap`: a
 * reusable malloc'd buffer. */
double fsim__cost_threshold(const fsim_tariff *tariff, int offset_min, double t, double until,
                            double need_kwh, double kw, struct fsim__price_window **scratch,
                            size_t *cap, double *allowed_s);

/* One depot's horizon: load against its grid limit, its bill, its chargers' use. */
struct fsim__depot_out {
    double peak_kw, peak_t;    /* highest step-mean load, and when (valid when > 0) */
    double grid_kwh;
    double exceed_kwh, exceed_s, peak_over_kw;
    struct fsim__bill bill;
    double *charger_plugged_s; /* per charger (the depot's order) */
    double *charger_grid_kwh;
    int *charger_sessions;
};

struct fsim__event {
    size_t vehicle;
    size_t depot;
    size_t charger;
    double arrived;          /* joined the queue */
    double plugged;          /* got the charger */
    double start;            /* first power; = plugged if it never drew power */
    double end;
    double energy_kwh;       /* into the battery */
    double grid_kwh;         /* from the grid */
    double start_soc, end_soc;
    double peak_kw;          /* grid side */
    bool drew_power;
};

struct fsim__point {
    double t;
    size_t depot;
    double load_kw;          /* mean grid power over [t, t + interval) */
    int charging, driving, waiting;
    double mean_soc, min_soc;
    double energy_kwh;       /* cumulative grid energy at the end of the interval */
};

/* Per-vehicle energy accounts for the balance initial + charged − driven − aux = final. */
struct fsim__vehicle_account {
    double initial_kwh;
    double charged_kwh;      /* into the battery */
    double driven_kwh;       /* traction net of regen, curtailment included */
    double aux_kwh;          /* aux + HVAC while driving */
    double final_kwh;
    double min_soc;
    double end_check_kwh;    /* stored energy at the end, or when it left on the trip it is on */
    bool stranded;
};

/* The rows on their way out (result.c): each is converted to its wire type, counted into
 * the summary and its vehicle's totals, and handed to the sink, so nothing of the history
 * stays in memory but what the summary needs (a histogram of waits). */
struct fsim__collect {
    const fsim_sim_input *in;
    const fsim_sim_rows *rows;
    fsim_status st;          /* the sink's first failure, sticky: the engine stops on it */
    fsim_error *err;
    fsim_summary sum;
    fsim_vehicle_summary *veh; /* per vehicle, full precision until the end */
    unsigned *wait_hist;     /* sessions that waited w s, w < FSIM__WAIT_HIST */
    double *wait_long;       /* the rarer longer waits */
    size_t n_wait_long, cap_wait_long;
    size_t n_waited;
    /* the verdict names the first trip not completed */
    bool bad_trip;
    size_t bad_vehicle;
    double bad_depart;
    fsim__trip_status bad_status;
    fsim__miss_reason bad_reason;
    /* per_vehicle_series: soc[v][k] */
    double **series;
    size_t n_intervals, k_interval;
    /* optional (tests): the engine's own records as they go out */
    void (*raw_trip)(void *user, const struct fsim__trip *t);
    void (*raw_event)(void *user, const struct fsim__event *e);
    void (*raw_point)(void *user, const struct fsim__point *p);
    void *raw_user;
    bool raw_only;           /* records only: no rows, no summary (one depot of a split run) */
};

/* A collector for a run of `in` with `rows` (NULL: none); release frees what init took. */
fsim_status fsim__collect_init(struct fsim__collect *c, const fsim_sim_input *in,
                               const fsim_sim_rows *rows, fsim_arena *arena, fsim_error *err);
void fsim__collect_release(struct fsim__collect *c);

enum { FSIM__WAIT_HIST = 1 << 18 }; /* 3 days in seconds */

void fsim__collect_trip(struct fsim__collect *c, const struct fsim__trip *t);
void fsim__collect_event(struct fsim__collect *c, const struct fsim__event *e);
void fsim__collect_point(struct fsim__collect *c, const struct fsim__point *p);
/* per_vehicle_series: every vehicle's SoC at the start of the next output interval. */
void fsim__collect_series(struct fsim__collect *c, const double *vehicle_soc);

struct fsim__output {
    size_t n_trips;
    size_t n_events;
    struct fsim__collect *col;
    struct fsim__vehicle_account *accounts; /* n_vehicles */
    double peak_kw;          /* max over steps of the summed mean load of all depots */
    double peak_t;           /* start of the first step at peak_kw (valid when peak_kw > 0) */
    struct fsim__depot_out *depots; /* n_depots */
    double grid_kwh, charged_kwh;
    double plugged_seconds;  /* Σ over chargers of time occupied */
    double delivering_seconds; /* Σ over chargers of time drawing power */
    size_t n_chargers;
    double horizon_s;
};

/* Runs the engine; the output's arrays are allocated from `arena`. */
fsim_status fsim__engine_run(const fsim_sim_input *in, fsim_arena *arena,
                             fsim_sim_progress_fn progress, void *progress_user,
                             struct fsim__output *out, fsim_error *err);

/* The same run in pieces, for a caller that runs several engines side by side (one per
 * depot, see split.c): begin, steps [from, to) day by day (site_kw, optional: each step's
 * load summed over the engine's depots), end (the horizon closed); release after a
 * failure. */
struct engine;
fsim_status fsim__engine_begin(const fsim_sim_input *in, fsim_arena *arena,
                               struct fsim__output *out, struct engine **eng, fsim_error *err);
size_t fsim__engine_steps_total(const struct engine *eng);
fsim_status fsim__engine_steps(struct engine *eng, size_t from, size_t to, double *site_kw,
                               fsim_error *err);
fsim_status fsim__engine_end(struct engine *eng, fsim_error *err);
void fsim__engine_release(struct engine *eng);

/* A run of several depots as one engine per depot on up to `threads` threads (split.c):
 * the same collector calls and totals for any number of threads. */
fsim_status fsim__split_run(const fsim_sim_input *in, fsim_arena *arena,
                            fsim_sim_progress_fn progress, void *progress_user,
                            struct fsim__output *out, int threads, fsim_error *err);

/* Every reported quantity is rounded to 6 decimals: 1 Wh/1000 for energy, 1 mW for power,
 * 1e-6 of SoC, 10 cm for positions. The engine computes in full precision (the invariants
 * hold there); 6 decimals are far below any measurement a user could compare with, make
 * files smaller and let the encoders print numbers on their fast exact path. */
static inline double fsim__q6(double v)
{
    return nearbyint(v * 1e6) / 1e6;
}

/* SoC values come from energy / capacity and can sit a rounding error outside [0, 1]. */
static inline double fsim__clamp_soc(double soc)
{
    return fsim__q6(soc < 0 ? 0 : soc > 1 ? 1 : soc);
}

/* A session's wait as reported: the engine keeps instants exact (a target is reached
 * mid-second), the result reports whole seconds and waits that agree with them. */
static inline double fsim__event_wait_s(const struct fsim__event *e)
{
    return nearbyint(e->plugged) - nearbyint(e->arrived);
}

/* SimulationResult.vehicles: one VehicleSummary per vehicle, to the sink. */
fsim_status fsim__emit_vehicles(const fsim_sim_input *in, const struct fsim__output *o,
                                fsim_error *err);

/* Max charging power (kW, grid side) of a vehicle on a charger at a SoC: the lowest of the
 * charger, the vehicle's AC or DC limit and its charge curve at that SoC. */
double fsim__charge_limit_kw(const fsim_vehicle_params *vehicle, const fsim_sim_charger *charger,
                             double soc);

#endif
