/* The fleet engine's main loop (see fleetsim/sim.h for the model of time and work). */
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum vstate { PARKED, WAITING, CHARGING, DRIVING, STRANDED } vstate;

/* The first 64 bytes hold what every output interval reads for every vehicle (its SoC,
 * see soc_at and snapshot), so that pass touches one cache line per vehicle. */
struct vehicle_state {
    vstate state;
    unsigned depot;        /* copy of in->vehicles[v].depot */
    double e_kwh;          /* stored energy now (DRIVING: at departure; CHARGING: at seg_t0) */
    double cap_kwh;
    double seg_t0;         /* CHARGING: start of the open segment (see below) */
    double batt_kw;        /* CHARGING: battery power of the open segment */
    const fsim_sim_route_profile *route; /* copy of in->vehicles[v].route */
    double depart_t;       /* DRIVING */
    double target_kwh;
    /* DRIVING */
    double arrive_t;       /* arrival, or the moment it strands */
    double e_after_kwh;    /* stored energy when the trip ends */
    double trip_aux_kwh, trip_driven_kwh;
    bool strands;
    size_t end_next;       /* next vehicle in the same end-of-drive bucket, or SIZE_MAX */
    size_t end_step;       /* DRIVING: the step its drive ends in */
    /* WAITING / CHARGING */
    double arrived_t;
    unsigned queue_gen;
    size_t charger;        /* CHARGING: index into the depot's chargers */
    size_t event;          /* CHARGING: id of its open session (eng->open_ev[v]) */
    /* CHARGING: the open session's running totals, kept here (next to e_kwh, which each
     * step touches anyway) and written to the event at unplug: one cache line per vehicle
     * per step instead of three */
    double sess_kwh, sess_grid_kwh, sess_peak_kw, sess_start;
    bool sess_drew;
    /* CHARGING: the session is a chain of segments of constant power. The open one started
     * at seg_t0 with e_kwh stored (e_kwh is brought up to date only when the segment
     * closes); it draws p_hold kW from the grid (batt_kw into the battery) until the target
     * is reached or the strategy's rules run again (see segment_open, hold_steps) */
    double p_hold;
    /* timetable: the step of its next departure (NONE: no more), where its timetable is,
     * and the next vehicle leaving in the same step */
    size_t next_step;
    struct fsim__dep_cursor cur;
    size_t dep_next;
    unsigned seg_gen;      /* CHARGING: counts segments, so calendar records can go stale */
    /* the output intervals' SoC statistics, kept incrementally (see snapshot) */
    long long fx_soc;      /* PARKED / WAITING / STRANDED: its SoC in fixed point */
    unsigned still_gen;    /* counts its entries into the still set: older heap entries stale */
    bool still;            /* in the still set */
    size_t drv_pos;        /* DRIVING: its index in the depot's driving list */
    bool raised;           /* CHARGING: at full power because a vehicle waits (rush_check) */
};

/* CHARGING under `cost`: the plan made at plan_t, valid until `until`: the highest price it
 * charges at, and the time at that price or less to departure. Kept apart from
 * vehicle_state, which every step touches, since only `cost` reads it. */
struct cost_plan {
    double thr, until, plan_t, allowed_s;
};

struct queue_entry {
    size_t vehicle;
    unsigned gen;
};

/* A plugged vehicle in its depot's charging list. Valid while the vehicle is CHARGING
 * with this event; stale entries (it left) are dropped by the next charging step. */
struct charge_entry {
    double key;            /* its next departure: the order peak_shaving serves in */
    size_t vehicle;
    size_t event;
};

struct depot_state {
    size_t *occupant;      /* per charger: vehicle or SIZE_MAX */
    size_t *free_heap;     /* min-heap of free charger indexes: fastest free on top */
    size_t n_free;
    struct charge_entry *charging; /* sorted by (key, vehicle); may hold stale entries */
    size_t n_charging;
    struct charge_entry *pending;  /* plugged since the last charging step, unsorted */
    size_t n_pending;
    struct charge_entry *merge_buf;
    size_t n_plugged;      /* vehicles CHARGING here now */
    double load_kw;        /* Σ p_hold of the open segments: the depot's grid load now */
    size_t n_drawing;      /* open segments with p_hold > 0 */
    /* The load is integrated exactly: it changes at instants inside a step (plug-ins at
     * arrival, unplugs at the target), so the step's energy is Σ load × time held. */
    double load_t;         /* load_kw has held since */
    double step_kwh;       /* grid energy of the current step up to load_t */
    double draw_s;         /* Σ drawing chargers × time, this step, up to load_t */
    size_t n_waiting;      /* vehicles in the queue */
    size_t n_raised;       /* plugged vehicles raised to full power for the queue */
    /* cost: the tariff's rate in force, from rate_from until rate.until */
    struct fsim__rate rate;
    double rate_from;
    struct queue_entry *queue;
    size_t q_head, q_tail, q_cap;
    int driving;
    double interval_kwh;   /* grid energy in the current output interval */
    double total_kwh;
    /* The still set: vehicles whose SoC cannot change (parked, waiting, stranded). Their SoC
     * sum (fixed point: exact, so any order of adds and removes gives the same sum) and a
     * lazy min-heap of their SoC; charging and driving vehicles are evaluated at each
     * snapshot (the chargers' occupants and the driving list). */
    long long still_fx;
    struct still_entry *still_heap;
    size_t n_still_heap, cap_still_heap;
    size_t *drv;           /* DRIVING vehicles of this depot (any order) */
    size_t n_drv;
    /* snapshot at the start of the current output interval */
    int snap_charging, snap_driving, snap_waiting;
    double snap_mean_soc, snap_min_soc;
    size_t n_vehicles;
};

struct still_entry {
    double soc;
    size_t vehicle;
    unsigned gen;
};

/* A drive ending in the current step: its arrival time and vehicle, the order they plug in. */
struct arrival {
    double t;
    size_t vehicle;
};

/* A segment that ends at a step: the calendar entry that wakes the strategy for it. Stale
 * when the vehicle unplugged or started another session meanwhile. */
struct hold_rec {
    size_t vehicle;
    size_t event;
    size_t next;           /* next record in the same step, or NONE */
    double t;              /* TARGET: the instant the target is reached */
    unsigned gen;          /* the segment it belongs to (vehicle_state.seg_gen) */
    bool target;           /* the target is reached at t; else the strategy runs again */
    size_t step;           /* the step it is filed under (set by calendar_add) */
};

/* Something that happens at an instant inside the current step: a vehicle arrives at its
 * depot, or a charging vehicle reaches its target and frees its charger. */
enum sweep_kind { SW_TARGET, SW_ARRIVAL };
struct sweep_ev {
    double t;
    enum sweep_kind kind;
    size_t vehicle;
    size_t event;          /* SW_TARGET: the session */
    unsigned gen;          /* SW_TARGET: the segment */
};

struct engine {
    const fsim_sim_input *in;
    fsim_arena *arena;
    struct fsim__schedule sched;
    struct vehicle_state *vs;
    struct depot_state *ds;
    size_t *end_head;      /* per step: first vehicle whose drive ends then */
    struct arrival *arrivals; /* n_vehicles: one step's ending drives, sorted */
    /* immediate / balanced: per step, the segments that end then (peak_shaving walks every
     * plugged vehicle each step instead: its vehicles share the depot's headroom) */
    size_t *hold_head;     /* n_steps + 1 */
    struct hold_rec *holds;
    size_t n_holds, cap_holds, free_holds;
    size_t *dep_head;      /* per step: first vehicle leaving then (linked by dep_next) */
    /* The three calendars (end_head, hold_head, dep_head) are rings of `ring` steps, so a
     * year costs what three days do: what is filed further ahead waits in a far list and
     * is filed into the ring once a day, days before its step comes. */
    size_t ring;
    size_t far_end, far_hold, far_dep;
    size_t *dep_batch;     /* n_vehicles: one step's leaving vehicles, sorted */
    struct fsim__event *open_ev; /* per vehicle: its open session */
    size_t n_events;       /* sessions so far: the next session's id */
    struct fsim__output *out;
    double start;
    double step_h;
    /* the current step, ending at t_step_end, and its instants: a min-heap by time */
    size_t step;
    double t_step_end;
    struct sweep_ev *sweep;
    size_t n_sweep, cap_sweep;
    bool in_sweep;         /* plug-ins are decided at once (not in the step's walk) */
    bool per_step;         /* peak_shaving / cost: every plugged vehicle decided each step */
    bool rush;             /* balanced / cost: a waiting vehicle raises one to full power */
    struct cost_plan *plans;            /* cost: per vehicle */
    struct fsim__price_window *windows; /* cost: scratch for fsim__cost_threshold */
    size_t cap_windows;
    double *per_vehicle;   /* per_vehicle_series: every vehicle's SoC at the interval */
};

#define NONE ((size_t)-1)

static double vehicle_soc_of_energy(const struct vehicle_state *v, double e)
{
    double soc = e / v->cap_kwh;
    return soc < 0 ? 0 : soc > 1 ? 1 : soc;
}

/* Stored energy at time t: a charging vehicle's open segment adds its battery power since
 * the segment began (segments are closed lazily, see segment_close). */
static double energy_now(const struct vehicle_state *v, double t)
{
    if (v->state != CHARGING || v->batt_kw <= 0)
        return v->e_kwh;
    return v->e_kwh + v->batt_kw * (t - v->seg_t0) / 3600.0;
}

/* Energy stored s seconds into a trip that left with e0: the unclamped e0 − cum(s), less
 * what regen could not store because the battery was full (reflection at the capacity:
 * the overflow so far is max(0, e0 − min cum[0..s] − cap)). */
static double trip_energy_at(const fsim_sim_route_profile *r, double e0, double cap, size_t s)
{
    double overflow = e0 - r->prefix_min_kwh[s] - cap;
    return e0 - r->energy.cum_kwh[s] - (overflow > 0 ? overflow : 0);
}

static double next_departure_t(const struct engine *eng, size_t v)
{
    const struct vehicle_state *vs = &eng->vs[v];
    if (vs->next_step != NONE)
        return eng->start + (double)vs->next_step * eng->in->step_s;
    return eng->start + (double)eng->in->days * 86400.0;
}

/* ---- The still set (see depot_state) ---------------------------------------------------- */

#define FX_ONE 1099511627776.0 /* 2^40: SoC in [0, 1] to 1e-12, sums of 8 million exact */

/* SoC is in [0, 1] (vehicle_soc_of_energy clamps): truncation after +0.5 rounds, without
 * llround's library call (it was a tenth of the engine). */
static inline long long soc_fx(double soc)
{
    return (long long)(soc * FX_ONE + 0.5);
}

static bool still_entry_live(const struct engine *eng, const struct still_entry *e)
{
    const struct vehicle_state *vs = &eng->vs[e->vehicle];
    return vs->still && vs->still_gen == e->gen;
}

static void heap_sift_up(struct still_entry *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!(h[i].soc < h[p].soc))
            break;
        struct still_entry tmp = h[i];
        h[i] = h[p];
        h[p] = tmp;
        i = p;
    }
}

static void heap_sift_down(struct still_entry *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l].soc < h[m].soc)
            m = l;
        if (r < n && h[r].soc < h[m].soc)
            m = r;
        if (m == i)
            return;
        struct still_entry tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
}

/* Drops the stale entries and rebuilds the heap: it then holds one entry per still
 * vehicle at most, so its capacity (2 × the depot's vehicles + 16) is never exceeded. */
static void still_compact(struct engine *eng, struct depot_state *d)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n_still_heap; i++)
        if (still_entry_live(eng, &d->still_heap[i]))
            d->still_heap[n++] = d->still_heap[i];
    d->n_still_heap = n;
    for (size_t i = n / 2; i-- > 0;)
        heap_sift_down(d->still_heap, n, i);
}

/* The vehicle's SoC stops changing (it parks, waits or strands). */
static void still_add(struct engine *eng, size_t v)
{
    struct vehicle_state *vs = &eng->vs[v];
    struct depot_state *d = &eng->ds[vs->depot];
    if (vs->still)
        return;
    double soc = vehicle_soc_of_energy(vs, vs->e_kwh);
    vs->still = true;
    vs->still_gen++;
    vs->fx_soc = soc_fx(soc);
    d->still_fx += vs->fx_soc;
    if (d->n_still_heap == d->cap_still_heap)
        still_compact(eng, d);
    d->still_heap[d->n_still_heap] = (struct still_entry){soc, v, vs->still_gen};
    heap_sift_up(d->still_heap, d->n_still_heap++);
}

/* The vehicle's SoC starts changing (it plugs in or leaves). */
static void still_remove(struct engine *eng, size_t v)
{
    struct vehicle_state *vs = &eng->vs[v];
    if (!vs->still)
        return;
    vs->still = false; /* its heap entry is now stale */
    eng->ds[vs->depot].still_fx -= vs->fx_soc;
}

/* The lowest SoC of the still vehicles (stale tops dropped); 2 when there are none. */
static double still_min(struct engine *eng, struct depot_state *d)
{
    while (d->n_still_heap && !still_entry_live(eng, &d->still_heap[0])) {
        d->still_heap[0] = d->still_heap[--d->n_still_heap];
        heap_sift_down(d->still_heap, d->n_still_heap, 0);
    }
    return d->n_still_heap ? d->still_heap[0].soc : 2;
}

static void driving_add(struct engine *eng, size_t v)
{
    struct vehicle_state *vs = &eng->vs[v];
    struct depot_state *d = &eng->ds[vs->depot];
    vs->drv_pos = d->n_drv;
    d->drv[d->n_drv++] = v;
}

static void driving_remove(struct engine *eng, size_t v)
{
    struct vehicle_state *vs = &eng->vs[v];
    struct depot_state *d = &eng->ds[vs->depot];
    size_t last = d->drv[--d->n_drv];
    d->drv[vs->drv_pos] = last;
    eng->vs[last].drv_pos = vs->drv_pos;
}

static void enqueue(struct engine *eng, size_t v, double t)
{
    struct vehicle_state *vs = &eng->vs[v];
    struct depot_state *d = &eng->ds[eng->in->vehicles[v].depot];
    vs->state = WAITING;
    vs->arrived_t = t;
    vs->queue_gen++;
    d->n_waiting++;
    if (d->q_tail == d->q_cap) {
        /* Compact: drop popped and stale entries (vehicles that left while waiting). At most
         * one live entry per vehicle remains, so there is room: q_cap = vehicles + 1. */
        size_t live = 0;
        for (size_t q = d->q_head; q < d->q_tail; q++) {
            const struct vehicle_state *u = &eng->vs[d->queue[q].vehicle];
            if (u->state == WAITING && u->queue_gen == d->queue[q].gen)
                d->queue[live++] = d->queue[q];
        }
        d->q_head = 0;
        d->q_tail = live;
    }
    d->queue[d->q_tail++] = (struct queue_entry){v, vs->queue_gen};
}

/* ---- Free chargers: a binary min-heap of indexes (chargers are sorted fastest first) --- */

static void free_push(struct depot_state *d, size_t c)
{
    size_t i = d->n_free++;
    while (i > 0 && d->free_heap[(i - 1) / 2] > c) {
        d->free_heap[i] = d->free_heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    d->free_heap[i] = c;
}

static size_t free_pop(struct depot_state *d)
{
    size_t top = d->free_heap[0], last = d->free_heap[--d->n_free], i = 0;
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= d->n_free)
            break;
        if (k + 1 < d->n_free && d->free_heap[k + 1] < d->free_heap[k])
            k++;
        if (d->free_heap[k] >= last)
            break;
        d->free_heap[i] = d->free_heap[k];
        i = k;
    }
    if (d->n_free)
        d->free_heap[i] = last;
    return top;
}

/* ---- The charging list ---------------------------------------------------------------
 * peak_shaving serves the earliest departure first, so the list is kept sorted by
 * (next departure, vehicle). A vehicle's key cannot change while it is plugged, so new
 * entries are batched (pending) and merged once per step, and leavers are dropped while
 * the step walks the list anyway: O(plugged + new·log new) per step, never quadratic. */

static bool entry_before(const struct charge_entry *a, const struct charge_entry *b)
{
    return a->key < b->key || (a->key == b->key && a->vehicle < b->vehicle);
}

static int entry_order(const void *a, const void *b)
{
    const struct charge_entry *x = a, *y = b;
    return entry_before(x, y) ? -1 : entry_before(y, x) ? 1 : 0;
}

static void charging_insert(struct engine *eng, struct depot_state *d, size_t v)
{
    d->pending[d->n_pending++] =
        (struct charge_entry){next_departure_t(eng, v), v, eng->vs[v].event};
}

/* ---- The depot's load, integrated exactly ------------------------------------------- */

/* Brings the depot's step energy up to time t at the load held since load_t; call before
 * the load changes at t. Instants are visited in time order within a step. */
static void load_advance(struct depot_state *d, double t)
{
    double dt = t - d->load_t;
    if (dt > 0) {
        d->step_kwh += d->load_kw * dt / 3600.0;
        d->draw_s += (double)d->n_drawing * dt;
        d->load_t = t;
    }
}

/* ---- Instants inside a step: a binary min-heap by (time, kind, vehicle) -------------- */

static bool sweep_before(const struct sweep_ev *a, const struct sweep_ev *b)
{
    if (a->t != b->t)
        return a->t < b->t;
    if (a->kind != b->kind)
        return a->kind < b->kind;
    return a->vehicle < b->vehicle;
}

static fsim_status sweep_push(struct engine *eng, struct sweep_ev ev, fsim_error *err)
{
    if (eng->n_sweep == eng->cap_sweep) {
        size_t cap = eng->cap_sweep ? 2 * eng->cap_sweep : 256;
        struct sweep_ev *bigger = fsim_arena_alloc(eng->arena, cap * sizeof *bigger);
        if (!bigger)
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        if (eng->n_sweep)
            memcpy(bigger, eng->sweep, eng->n_sweep * sizeof *bigger);
        eng->sweep = bigger;
        eng->cap_sweep = cap;
    }
    size_t i = eng->n_sweep++;
    while (i > 0 && sweep_before(&ev, &eng->sweep[(i - 1) / 2])) {
        eng->sweep[i] = eng->sweep[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    eng->sweep[i] = ev;
    return FSIM_OK;
}

static struct sweep_ev sweep_pop(struct engine *eng)
{
    struct sweep_ev top = eng->sweep[0], last = eng->sweep[--eng->n_sweep];
    size_t i = 0;
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= eng->n_sweep)
            break;
        if (k + 1 < eng->n_sweep && sweep_before(&eng->sweep[k + 1], &eng->sweep[k]))
            k++;
        if (!sweep_before(&eng->sweep[k], &last))
            break;
        eng->sweep[i] = eng->sweep[k];
        i = k;
    }
    if (eng->n_sweep)
        eng->sweep[i] = last;
    return top;
}

static void merge_pending(struct depot_state *d)
{
    if (d->n_pending == 0)
        return;
    qsort(d->pending, d->n_pending, sizeof *d->pending, entry_order);
    size_t i = 0, j = 0, k = 0;
    while (i < d->n_charging || j < d->n_pending) {
        if (j == d->n_pending ||
            (i < d->n_charging && entry_before(&d->charging[i], &d->pending[j])))
            d->merge_buf[k++] = d->charging[i++];
        else
            d->merge_buf[k++] = d->pending[j++];
    }
    struct charge_entry *t = d->charging;
    d->charging = d->merge_buf;
    d->merge_buf = t;
    d->n_charging = k;
    d->n_pending = 0;
}

/* Brings a charging vehicle's energy and session totals up to time t and ends its open
 * segment: its power leaves the depot's load. Closing twice at the same t is harmless. */
static void segment_close(struct engine *eng, size_t v, double t)
{
    struct vehicle_state *vs = &eng->vs[v];
    struct depot_state *d = &eng->ds[eng->in->vehicles[v].depot];
    if (vs->p_hold > 0) {
        load_advance(d, t);
        double h = (t - vs->seg_t0) / 3600.0;
        double batt = vs->batt_kw * h;
        vs->e_kwh += batt;
        vs->sess_kwh += batt;
        vs->sess_grid_kwh += vs->p_hold * h;
        d->load_kw -= vs->p_hold;
        if (--d->n_drawing == 0)
            d->load_kw = 0; /* the running sum starts afresh: no rounding drift kept */
    }
    vs->p_hold = vs->batt_kw = 0;
    vs->seg_t0 = t;
}

/* Ends a vehicle's charging session at time t: closes its event, frees the charger. */
static void unplug(struct engine *eng, size_t v, double t)
{
    segment_close(eng, v, t);
    struct vehicle_state *vs = &eng->vs[v];
    struct depot_state *d = &eng->ds[eng->in->vehicles[v].depot];
    struct fsim__event *ev = &eng->open_ev[v];
    ev->end = t;
    ev->end_soc = vehicle_soc_of_energy(vs, vs->e_kwh);
    ev->energy_kwh = vs->sess_kwh;
    ev->grid_kwh = vs->sess_grid_kwh;
    ev->peak_kw = vs->sess_peak_kw;
    ev->drew_power = vs->sess_drew;
    ev->start = vs->sess_drew ? vs->sess_start : ev->plugged;
    eng->out->accounts[v].charged_kwh += vs->sess_kwh;
    eng->out->plugged_seconds += t - ev->plugged;
    struct fsim__depot_out *dout = &eng->out->depots[eng->in->vehicles[v].depot];
    dout->charger_plugged_s[vs->charger] += t - ev->plugged;
    dout->charger_grid_kwh[vs->charger] += vs->sess_grid_kwh;
    dout->charger_sessions[vs->charger]++;
    if (vs->raised) {
        vs->raised = false;
        d->n_raised--;
    }
    d->occupant[vs->charger] = NONE;
    free_push(d, vs->charger);
    d->n_plugged--;
    vs->state = PARKED; /* its list entry is now stale */
    still_add(eng, v);
    eng->out->n_events++;
    fsim__collect_event(eng->out->col, ev);
}

static fsim_status decide(struct engine *eng, size_t v, double t, fsim_error *err);

/* Gives free chargers to waiting vehicles at time t, first come first served; each takes
 * the fastest free charger (chargers are sorted fastest first). At a step boundary the new
 * sessions are decided by the step's walk (peak_shaving and cost share the headroom in
 * order of departure); inside a step, at once. */
static fsim_status assign_chargers(struct engine *eng, size_t di, double t, fsim_error *err)
{
    struct depot_state *d = &eng->ds[di];
    while (d->n_free > 0 && d->q_head < d->q_tail) {
        struct queue_entry qe = d->queue[d->q_head++];
        struct vehicle_state *vs = &eng->vs[qe.vehicle];
        if (vs->state != WAITING || vs->queue_gen != qe.gen)
            continue; /* left the queue (departed) since */
        d->n_waiting--;
        size_t c = free_pop(d);
        d->occupant[c] = qe.vehicle;
        vs->state = CHARGING;
        still_remove(eng, qe.vehicle);
        vs->charger = c;
        vs->event = eng->n_events++;
        vs->sess_kwh = vs->sess_grid_kwh = vs->sess_peak_kw = vs->sess_start = 0;
        vs->sess_drew = false;
        vs->seg_t0 = t;
        vs->p_hold = vs->batt_kw = 0;
        if (eng->plans)
            eng->plans[qe.vehicle].until = -INFINITY;
        vs->raised = false;
        eng->open_ev[qe.vehicle] = (struct fsim__event){
            .vehicle = qe.vehicle, .depot = di, .charger = c, .arrived = vs->arrived_t,
            .plugged = t, .start = t, .end = t,
            .start_soc = vehicle_soc_of_energy(vs, vs->e_kwh)};
        d->n_plugged++;
        if (!eng->in_sweep || eng->per_step)
            charging_insert(eng, d, qe.vehicle);
        if (eng->in_sweep) {
            fsim_status st = decide(eng, qe.vehicle, t, err);
            if (st != FSIM_OK)
                return st;
        }
    }
    return FSIM_OK;
}

/* For how many steps power p (grid kW) stays exactly what the step-by-step rules would
 * give again, so the loop can reuse it: the cost of a step then stays a few loads and adds
 * per plugged vehicle, and the rules run only where something changes.
 * Why it is exact: p is the least of the charger/inlet limit (constant), the charge curve
 * (constant on a flat stretch) and balanced's even rate need ÷ time left (constant while it
 * binds: both shrink in step); reaching the target is an instant of its own (segment_open).
 * So p holds until the SoC reaches the point where the curve falls below p and (balanced)
 * until the step before departure. peak_shaving and cost share the depot's headroom
 * between vehicles: always 1 step. Conservative by a step at each bound. */
static size_t hold_steps(const struct engine *eng, const struct vehicle_state *vs,
                         const fsim_vehicle_params *params, double efficiency, double p,
                         double key, double t)
{
    if (eng->per_step || p <= 0)
        return 1;
    const double batt_per_step = p * efficiency * eng->step_h;
    double room_kwh = INFINITY; /* energy before p must change */
    const double soc = vs->e_kwh / vs->cap_kwh;
    const size_t n = params->charge_curve_len;
    for (size_t i = 0; i < n; i++) {
        if (params->charge_curve_soc[i] <= soc || params->charge_curve_kw[i] >= p)
            continue;
        /* the first curve point beyond the SoC below p: the curve crosses p in [i−1, i] */
        double s_cross = params->charge_curve_soc[i];
        if (i > 0 && params->charge_curve_kw[i - 1] > params->charge_curve_kw[i]) {
            double s0 = params->charge_curve_soc[i - 1], k0 = params->charge_curve_kw[i - 1];
            double s1 = params->charge_curve_soc[i], k1 = params->charge_curve_kw[i];
            s_cross = s0 + (p - k0) * (s1 - s0) / (k1 - k0);
        }
        room_kwh = (s_cross - soc) * vs->cap_kwh;
        break;
    }
    double steps = (double)eng->sched.n_steps;
    if (room_kwh < INFINITY)
        steps = fmin(steps, floor(room_kwh / batt_per_step) - 1);
    if (eng->in->strategy == FSIM_STRATEGY_BALANCED) {
        double to_departure = floor((key - t) / eng->in->step_s) - 1;
        if (to_departure < steps)
            steps = to_departure;
    }
    return steps >= 1 ? (size_t)steps : 1;
}

/* The `cost` strategy: charge only while the price now is one of the cheapest that still
 * bring the vehicle to its target by its next departure, and then at the even rate over
 * those cheap windows (as balanced does over the whole stay), so the cheap hours do not
 * become the month's demand peak. The plan is made again when the price changes, at
 * plug-in, and after the grid limit held the vehicle back. */
static double cost_power(struct engine *eng, size_t v, double p, double key, double t)
{
    struct vehicle_state *vs = &eng->vs[v];
    struct cost_plan *plan = &eng->plans[v];
    const fsim_sim_depot *dep = &eng->in->depots[vs->depot];
    if (!dep->tariff || p <= 0)
        return p;
    const fsim_sim_charger *ch = &dep->chargers[vs->charger];
    /* 10 % to spare: re-planned at every price change, a shortfall is caught up early */
    double need_grid = (vs->target_kwh - vs->e_kwh) / ch->efficiency * 1.1;
    struct depot_state *d = &eng->ds[vs->depot];
    if (t < d->rate_from || t >= d->rate.until) { /* every vehicle of a depot asks each step */
        fsim__tariff_rate_at(dep->tariff, dep->utc_offset_minutes, t, &d->rate);
        d->rate_from = t;
    }
    const struct fsim__rate now = d->rate;
    if (t >= plan->until) {
        /* plan with the mean of the power now and at the target: the curve tapers */
        const fsim_vehicle_params *params = eng->in->vehicles[v].params;
        double at_target = fsim__charge_limit_kw(params, ch, vs->target_kwh / vs->cap_kwh);
        plan->thr = fsim__cost_threshold(dep->tariff, dep->utc_offset_minutes, t, key,
                                         need_grid, 0.5 * (p + at_target), &eng->windows,
                                         &eng->cap_windows, &plan->allowed_s);
        plan->plan_t = t;
        plan->until = now.price_until;
    }
    if (now.price > plan->thr)
        return 0;
    double left_h = (plan->allowed_s - (t - plan->plan_t)) / 3600.0;
    if (left_h < eng->step_h)
        left_h = eng->step_h;
    double even = need_grid / left_h;
    return even < p ? even : p;
}

/* The strategy's power for a plugged vehicle at t (grid kW), before the grid limit's share
 * of the headroom (peak_shaving, cost): the least of the charger, the vehicle's inlet and
 * charge curve, and (balanced, while nobody waits for a charger) the even rate to the next
 * departure at `key`; cost: that or nothing by the price. Uses the vehicle's energy as of
 * its last closed segment. */
static double strategy_power(struct engine *eng, size_t v, double key, double t)
{
    const fsim_sim_input *in = eng->in;
    const struct vehicle_state *vs = &eng->vs[v];
    const fsim_sim_charger *ch = &in->depots[vs->depot].chargers[vs->charger];
    double need_batt = vs->target_kwh - vs->e_kwh;
    if (need_batt <= 0)
        return 0;
    double p = fsim__charge_limit_kw(in->vehicles[v].params, ch, vs->e_kwh / vs->cap_kwh);
    if (vs->raised)
        return p > 0 ? p : 0; /* a vehicle waits for a charger: see rush_check */
    if (in->strategy == FSIM_STRATEGY_BALANCED) {
        double hours_left = (key - t) / 3600.0;
        if (hours_left < eng->step_h)
            hours_left = eng->step_h;
        double even = need_batt / ch->efficiency / hours_left;
        if (even < p)
            p = even;
    }
    if (in->strategy == FSIM_STRATEGY_COST)
        p = cost_power(eng, v, p, key, t);
    return p > 0 ? p : 0;
}

/* A step's place in the calendar rings (ring is a power of two). */
static inline size_t slot(const struct engine *eng, size_t step)
{
    return step & (eng->ring - 1);
}

/* A calendar record: the vehicle's segment is looked at again at the start of `step`. */
static fsim_status calendar_add(struct engine *eng, size_t step, struct hold_rec rec,
                                fsim_error *err)
{
    if (eng->free_holds == NONE && eng->n_holds == eng->cap_holds) {
        size_t cap = eng->cap_holds ? 2 * eng->cap_holds : 1024;
        struct hold_rec *bigger = fsim_arena_calloc(eng->arena, cap, sizeof *bigger);
        if (!bigger)
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        if (eng->n_holds)
            memcpy(bigger, eng->holds, eng->n_holds * sizeof *bigger);
        eng->holds = bigger;
        eng->cap_holds = cap;
    }
    size_t r;
    if (eng->free_holds != NONE) {
        r = eng->free_holds;
        eng->free_holds = eng->holds[r].next;
    } else {
        r = eng->n_holds++;
    }
    rec.step = step;
    if (step - eng->step >= eng->ring) {
        rec.next = eng->far_hold;
        eng->holds[r] = rec;
        eng->far_hold = r;
        return FSIM_OK;
    }
    rec.next = eng->hold_head[slot(eng, step)];
    eng->holds[r] = rec;
    eng->hold_head[slot(eng, step)] = r;
    return FSIM_OK;
}

/* Starts a segment of power p at t: the depot's load takes it, the session's peak and
 * first-power time follow. It ends at the exact instant the target is reached — an instant
 * of this step's sweep, or a calendar record for a later step — or, if that comes later,
 * when the strategy runs again: step + k (immediate / balanced), the next step (peak_shaving,
 * cost). */
static fsim_status segment_open(struct engine *eng, size_t v, size_t step, double t, double p,
                                size_t k, fsim_error *err)
{
    struct vehicle_state *vs = &eng->vs[v];
    struct depot_state *d = &eng->ds[vs->depot];
    const fsim_sim_charger *ch = &eng->in->depots[vs->depot].chargers[vs->charger];
    load_advance(d, t);
    vs->seg_gen++;
    vs->seg_t0 = t;
    vs->p_hold = p;
    vs->batt_kw = p * ch->efficiency;
    if (p > 0) {
        d->load_kw += p;
        d->n_drawing++;
        if (!vs->sess_drew) {
            vs->sess_drew = true;
            vs->sess_start = t;
        }
        if (p > vs->sess_peak_kw)
            vs->sess_peak_kw = p;
    }
    const double step_s = eng->in->step_s;
    double hold_end = eng->per_step ? eng->t_step_end : eng->start + (double)(step + k) * step_s;
    double t_target = INFINITY;
    if (vs->batt_kw > 0)
        t_target = t + (vs->target_kwh - vs->e_kwh) / vs->batt_kw * 3600.0;
    if (t_target < hold_end) {
        if (t_target < eng->t_step_end)
            return sweep_push(eng, (struct sweep_ev){t_target, SW_TARGET, v, vs->event,
                                                     vs->seg_gen}, err);
        size_t s_target = (size_t)floor((t_target - eng->start) / step_s);
        if (s_target >= eng->sched.n_steps)
            return FSIM_OK; /* beyond the horizon: closed by the end of the run */
        return calendar_add(eng, s_target,
                            (struct hold_rec){v, vs->event, NONE, t_target, vs->seg_gen, true, 0},
                            err);
    }
    if (eng->per_step || step + k >= eng->sched.n_steps)
        return FSIM_OK; /* walked every step anyway / closed by the end of the run */
    return calendar_add(eng, step + k,
                        (struct hold_rec){v, vs->event, NONE, 0, vs->seg_gen, false, 0}, err);
}

/* A plugged vehicle without an open segment gets one now, at t (inside a step: plug-ins
 * and balanced's rush). peak_shaving and cost take at most the headroom left under the
 * grid limit at this instant; the load can only fall until the step ends. */
static fsim_status decide(struct engine *eng, size_t v, double t, fsim_error *err)
{
    const fsim_sim_input *in = eng->in;
    struct vehicle_state *vs = &eng->vs[v];
    const fsim_sim_depot *dep = &in->depots[vs->depot];
    struct depot_state *d = &eng->ds[vs->depot];
    double key = next_departure_t(eng, v);
    double p = strategy_power(eng, v, key, t);
    size_t k = 1;
    if (eng->per_step) {
        if (dep->has_grid_limit && p > dep->grid_limit_kw - d->load_kw) {
            double room = dep->grid_limit_kw - d->load_kw;
            p = room > 0 ? room : 0;
            if (eng->plans)
                eng->plans[v].until = -INFINITY; /* held back: plan again next step */
        }
    } else {
        k = hold_steps(eng, vs, in->vehicles[v].params, dep->chargers[vs->charger].efficiency,
                       p, key, t);
    }
    return segment_open(eng, v, eng->step, t, p, k, err);
}

/* balanced and cost never hold a charger below full power while a vehicle waits for one:
 * for each waiting vehicle, the plugged vehicle that can finish soonest at full power is
 * raised to it (and stays raised until it unplugs), so a charger frees up as early as under
 * immediate, while the others keep their even rate or cheap windows (raising them all at
 * once would stack their full powers into a peak above immediate's). */
static fsim_status rush_check(struct engine *eng, size_t di, double t, fsim_error *err)
{
    const fsim_sim_input *in = eng->in;
    struct depot_state *d = &eng->ds[di];
    if (!eng->rush)
        return FSIM_OK;
    const fsim_sim_depot *dep = &in->depots[di];
    while (d->n_raised < d->n_waiting) {
        size_t best = NONE;
        double best_h = INFINITY;
        for (size_t c = 0; c < dep->n_chargers; c++) {
            size_t v = d->occupant[c];
            if (v == NONE || eng->vs[v].state != CHARGING || eng->vs[v].raised)
                continue;
            const struct vehicle_state *vs = &eng->vs[v];
            double e = energy_now(vs, t);
            double full = fsim__charge_limit_kw(in->vehicles[v].params, &dep->chargers[c],
                                                e / vs->cap_kwh) * dep->chargers[c].efficiency;
            double h = full > 0 ? (vs->target_kwh - e) / full : INFINITY;
            if (h < best_h || best == NONE) {
                best_h = h;
                best = v;
            }
        }
        if (best == NONE)
            break;
        eng->vs[best].raised = true;
        d->n_raised++;
        segment_close(eng, best, t);
        fsim_status st = decide(eng, best, t, err);
        if (st != FSIM_OK)
            return st;
    }
    return FSIM_OK;
}

/* A vehicle whose segment just closed: at its target it leaves the charger (free for the
 * queue in this very step); true if it is still charging. */
static bool settle(struct engine *eng, size_t v, double t)
{
    struct vehicle_state *vs = &eng->vs[v];
    if (vs->target_kwh - vs->e_kwh > 1e-9 * vs->cap_kwh)
        return true;
    unplug(eng, v, t);
    return false;
}

/* Start of a step, before the queue is served: the segments whose strategy runs again now
 * are closed (peak_shaving, cost: every plugged vehicle's; otherwise the calendar's), and
 * the targets reached inside this step join its sweep. */
static fsim_status expire_segments(struct engine *eng, size_t step, double t, fsim_error *err)
{
    const fsim_sim_input *in = eng->in;
    if (eng->per_step) {
        for (size_t di = 0; di < in->n_depots; di++) {
            struct depot_state *d = &eng->ds[di];
            merge_pending(d);
            for (size_t i = 0; i < d->n_charging; i++) {
                const struct charge_entry *e = &d->charging[i];
                struct vehicle_state *vs = &eng->vs[e->vehicle];
                if (vs->state != CHARGING || vs->event != e->event || vs->p_hold <= 0)
                    continue; /* a segment at no power has nothing to bring up to date */
                segment_close(eng, e->vehicle, t);
                settle(eng, e->vehicle, t);
            }
        }
        return FSIM_OK;
    }
    size_t r = eng->hold_head[slot(eng, step)];
    eng->hold_head[slot(eng, step)] = NONE;
    while (r != NONE) {
        const struct hold_rec rec = eng->holds[r];
        struct vehicle_state *vs = &eng->vs[rec.vehicle];
        eng->holds[r].next = eng->free_holds;
        eng->free_holds = r;
        r = rec.next;
        if (vs->state != CHARGING || vs->event != rec.event || vs->seg_gen != rec.gen)
            continue; /* stale: unplugged, a newer session or a newer segment */
        if (rec.target) {
            fsim_status st = sweep_push(
                eng, (struct sweep_ev){rec.t, SW_TARGET, rec.vehicle, rec.event, rec.gen}, err);
            if (st != FSIM_OK)
                return st;
            continue;
        }
        segment_close(eng, rec.vehicle, t);
        if (settle(eng, rec.vehicle, t)) {
            struct depot_state *d = &eng->ds[vs->depot];
            d->pending[d->n_pending++] = (struct charge_entry){
                next_departure_t(eng, rec.vehicle), rec.vehicle, vs->event};
        }
    }
    return FSIM_OK;
}

/* The step boundary's decisions at a depot, after the queue was served: the strategy runs
 * for the vehicles without an open segment (just plugged, or theirs ended) — for
 * peak_shaving and cost, for every plugged vehicle in order of departure, each taking what
 * the headroom under the grid limit leaves. */
static fsim_status boundary_decide(struct engine *eng, size_t di, size_t step, double t,
                                   fsim_error *err)
{
    const fsim_sim_input *in = eng->in;
    const fsim_sim_depot *dep = &in->depots[di];
    struct depot_state *d = &eng->ds[di];
    fsim_status st = FSIM_OK;
    if (eng->per_step) {
        double headroom = dep->has_grid_limit ? dep->grid_limit_kw : INFINITY;
        merge_pending(d);
        size_t kept = 0;
        for (size_t i = 0; i < d->n_charging && st == FSIM_OK; i++) {
            const struct charge_entry entry = d->charging[i];
            struct vehicle_state *vs = &eng->vs[entry.vehicle];
            if (vs->state != CHARGING || vs->event != entry.event)
                continue; /* left since: drop the stale entry */
            double want = strategy_power(eng, entry.vehicle, entry.key, t);
            double p = want;
            if (p > headroom)
                p = headroom > 0 ? headroom : 0;
            if (p < want - 1e-9 && eng->plans)
                eng->plans[entry.vehicle].until = -INFINITY; /* held back: plan again */
            headroom -= p;
            d->charging[kept++] = entry;
            if (p <= 0 && vs->p_hold <= 0)
                continue; /* still nothing: its segment at no power goes on */
            st = segment_open(eng, entry.vehicle, step, t, p, 1, err);
        }
        d->n_charging = kept;
    } else {
        for (size_t i = 0; i < d->n_pending && st == FSIM_OK; i++) {
            const struct charge_entry entry = d->pending[i];
            const size_t v = entry.vehicle;
            const struct vehicle_state *vs = &eng->vs[v];
            if (vs->state != CHARGING || vs->event != entry.event)
                continue;
            double p = strategy_power(eng, v, entry.key, t);
            size_t k = hold_steps(eng, vs, in->vehicles[v].params,
                                  dep->chargers[vs->charger].efficiency, p, entry.key, t);
            st = segment_open(eng, v, step, t, p, k, err);
        }
        d->n_pending = 0;
    }
    if (st != FSIM_OK)
        return st;
    return rush_check(eng, di, t, err);
}

static void end_drive(struct engine *eng, size_t v);

/* The instants inside the step, in time order: arrivals queue (and take a free charger at
 * once), targets reached free their charger for the queue. */
static fsim_status run_sweep(struct engine *eng, fsim_error *err)
{
    fsim_status st = FSIM_OK;
    eng->in_sweep = true;
    while (eng->n_sweep && st == FSIM_OK) {
        struct sweep_ev ev = sweep_pop(eng);
        struct vehicle_state *vs = &eng->vs[ev.vehicle];
        if (ev.kind == SW_ARRIVAL) {
            end_drive(eng, ev.vehicle);
        } else {
            if (vs->state != CHARGING || vs->event != ev.event || vs->seg_gen != ev.gen)
                continue; /* stale: a newer segment, or it left */
            segment_close(eng, ev.vehicle, ev.t);
            /* at the target by construction; a rounding hair above it would make the next
             * trip's regen look like it overfills a full battery (depart's slow path) */
            double over = vs->e_kwh - vs->target_kwh;
            if (over > 0) {
                vs->e_kwh -= over;
                vs->sess_kwh -= over;
            }
            unplug(eng, ev.vehicle, ev.t);
        }
        st = assign_chargers(eng, vs->depot, ev.t, err);
        if (st == FSIM_OK)
            st = rush_check(eng, vs->depot, ev.t, err);
    }
    eng->in_sweep = false;
    return st;
}

/* The end of a step at a depot: its energy (the load integrated over the step), its mean
 * load against the grid limit, the bill. Returns the step's mean load. */
static double close_step(struct engine *eng, size_t di, double t0, double t1)
{
    struct depot_state *d = &eng->ds[di];
    struct fsim__depot_out *o = &eng->out->depots[di];
    const fsim_sim_depot *dep = &eng->in->depots[di];
    load_advance(d, t1);
    double kwh = d->step_kwh;
    d->step_kwh = 0;
    eng->out->delivering_seconds += d->draw_s;
    d->draw_s = 0;
    d->interval_kwh += kwh;
    d->total_kwh += kwh;
    double kw = kwh / eng->step_h;
    if (kw > o->peak_kw) {
        o->peak_kw = kw;
        o->peak_t = t0;
    }
    /* 1 W of slack: peak_shaving's sums of shares may round a hair above the limit */
    if (dep->has_grid_limit && kw > dep->grid_limit_kw + 1e-3) {
        double over = kw - dep->grid_limit_kw;
        o->exceed_kwh += over * eng->step_h;
        o->exceed_s += t1 - t0;
        if (over > o->peak_over_kw)
            o->peak_over_kw = over;
    }
    fsim__bill_add(&o->bill, t0, t1, kwh);
    return kw;
}

/* A departure: the trip is missed (below reserve, still out, stranded) or starts, and its
 * whole outcome — arrival or the second it runs dry — is decided now from the profile. */
static void leave(struct engine *eng, size_t v, double t, struct fsim__trip *trip)
{
    const fsim_sim_input *in = eng->in;
    const fsim_sim_vehicle *veh = &in->vehicles[v];
    struct vehicle_state *vs = &eng->vs[v];
    struct depot_state *d = &eng->ds[veh->depot];

    double soc = vehicle_soc_of_energy(vs, energy_now(vs, t));
    *trip = (struct fsim__trip){.vehicle = v, .depart = t, .arrive = t, .start_soc = soc,
                                .end_soc = soc, .status = FSIM__TRIP_MISSED};
    if (vs->state == DRIVING) {
        trip->reason = FSIM__MISS_STILL_DRIVING;
        trip->start_soc = trip->end_soc = NAN; /* not at the depot: no SoC to report */
        return;
    }
    if (vs->state == STRANDED) {
        trip->reason = FSIM__MISS_STRANDED;
        trip->start_soc = trip->end_soc = 0;
        return;
    }
    if (soc < veh->reserve_soc) {
        trip->reason = FSIM__MISS_LOW_SOC;
        return;
    }
    if (vs->state == CHARGING)
        unplug(eng, v, t);
    /* A WAITING vehicle simply leaves: its queue entry goes stale (generation check). */
    if (vs->state == WAITING)
        d->n_waiting--;

    const fsim_sim_route_profile *r = fsim_sim_trip_route(in, veh, t); /* per-trip weather */
    vs->route = r;
    const size_t n = r->energy.n;
    const double e0 = vs->e_kwh, cap = vs->cap_kwh;
    size_t end_s = n - 1;
    /* Fast path: the lowest the energy can go is above zero ⇒ the trip completes. */
    double overflow_end = e0 - r->prefix_min_kwh[n - 1] - cap;
    double lowest = e0 - r->prefix_max_kwh[n - 1] - (overflow_end > 0 ? overflow_end : 0);
    double min_e = lowest;
    bool strands = false;
    if (lowest < 0 || overflow_end > 0) {
        min_e = e0;
        for (size_t s = 1; s < n; s++) {
            double e = trip_energy_at(r, e0, cap, s);
            if (e < 0) {
                strands = true;
                end_s = s;
                min_e = 0;
                break;
            }
            if (e < min_e)
                min_e = e;
        }
    }
    double e_end = strands ? 0 : trip_energy_at(r, e0, cap, end_s);
    double aux = r->aux_kw * (double)end_s / 3600.0;
    still_remove(eng, v);
    vs->state = DRIVING;
    driving_add(eng, v);
    vs->depart_t = t;
    vs->e_after_kwh = e_end;
    vs->trip_aux_kwh = aux;
    vs->trip_driven_kwh = e0 - e_end - aux;
    vs->strands = strands;
    vs->arrive_t = t + (double)end_s;
    d->driving++;

    trip->arrive = t + (double)end_s;
    trip->distance_km = r->energy.cum_km[end_s];
    trip->energy_kwh = e0 - e_end;
    trip->end_soc = vehicle_soc_of_energy(vs, e_end);
    trip->status = strands ? FSIM__TRIP_STRANDED : FSIM__TRIP_COMPLETED;
    if (strands)
        fsim_geo_point_at(r->path, r->energy.cum_km[end_s] * 1000.0, &trip->stranded_lon,
                          &trip->stranded_lat);

    struct fsim__vehicle_account *acc = &eng->out->accounts[v];
    double min_soc = min_e / cap;
    if (min_soc < acc->min_soc)
        acc->min_soc = min_soc < 0 ? 0 : min_soc;

    /* The drive ends in the step that holds the arrival, at the arrival's instant; beyond
     * the horizon it simply never ends inside the run (the trip record says how it ends). */
    double rel = (trip->arrive - eng->start) / in->step_s;
    size_t end_step = (size_t)floor(rel + 1e-9);
    if (end_step < eng->sched.n_steps) {
        vs->end_step = end_step;
        if (end_step - eng->step >= eng->ring) {
            vs->end_next = eng->far_end;
            eng->far_end = v;
        } else {
            vs->end_next = eng->end_head[slot(eng, end_step)];
            eng->end_head[slot(eng, end_step)] = v;
        }
    }
}

/* A departure's trip record is complete the moment it leaves: it goes out at once. */
static void depart(struct engine *eng, size_t v, double t)
{
    struct fsim__trip trip;
    leave(eng, v, t, &trip);
    eng->out->n_trips++;
    fsim__collect_trip(eng->out->col, &trip);
}

/* The end of a drive: energy settles, the vehicle parks (and queues if it needs charge) or
 * is stranded for the rest of the run. */
static void end_drive(struct engine *eng, size_t v)
{
    struct vehicle_state *vs = &eng->vs[v];
    struct depot_state *d = &eng->ds[eng->in->vehicles[v].depot];
    struct fsim__vehicle_account *acc = &eng->out->accounts[v];
    acc->driven_kwh += vs->trip_driven_kwh;
    acc->aux_kwh += vs->trip_aux_kwh;
    vs->e_kwh = vs->e_after_kwh;
    d->driving--;
    driving_remove(eng, v);
    if (vs->strands) {
        vs->state = STRANDED;
        acc->stranded = true;
        still_add(eng, v);
        return;
    }
    vs->state = PARKED;
    still_add(eng, v);
    if (vs->e_kwh < vs->target_kwh - 1e-9)
        enqueue(eng, v, vs->arrive_t);
}

/* Ends the drives of one step in arrival order (then vehicle order), so the queue at the
 * depot is first come, first served whatever order the trips were scheduled in. */
static int arrival_order(const void *a, const void *b)
{
    const struct arrival *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->vehicle > y->vehicle) - (x->vehicle < y->vehicle);
}

static fsim_status end_drives(struct engine *eng, size_t step, double t, fsim_error *err)
{
    /* A whole fleet on one timetable arrives in the same step: sort, never insertion-sort. */
    size_t n = 0;
    for (size_t v = eng->end_head[slot(eng, step)]; v != NONE; v = eng->vs[v].end_next)
        eng->arrivals[n++] = (struct arrival){eng->vs[v].arrive_t, v};
    eng->end_head[slot(eng, step)] = NONE;
    if (n > 1)
        qsort(eng->arrivals, n, sizeof *eng->arrivals, arrival_order);
    for (size_t i = 0; i < n; i++) {
        size_t v = eng->arrivals[i].vehicle;
        eng->vs[v].end_next = NONE;
        if (eng->arrivals[i].t <= t) {
            end_drive(eng, v); /* at the boundary: before this step's departures */
            continue;
        }
        fsim_status st = sweep_push(
            eng, (struct sweep_ev){eng->arrivals[i].t, SW_ARRIVAL, v, 0, 0}, err);
        if (st != FSIM_OK)
            return st;
    }
    return FSIM_OK;
}

/* SoC of a vehicle at time t (driving vehicles are evaluated from their trip profile). */
static inline double soc_at(const struct engine *eng, size_t v, double t)
{
    const struct vehicle_state *vs = &eng->vs[v];
    if (vs->state != DRIVING)
        return vehicle_soc_of_energy(vs, energy_now(vs, t));
    const fsim_sim_route_profile *r = vs->route;
    double s = t - vs->depart_t;
    size_t si = s <= 0 ? 0 : (size_t)s;
    if (si >= r->energy.n)
        si = r->energy.n - 1;
    double e = trip_energy_at(r, vs->e_kwh, vs->cap_kwh, si);
    return vehicle_soc_of_energy(vs, e < 0 ? 0 : e);
}

/* The state an output interval reports at its start: counts and SoC statistics per depot.
 * Why incremental: walking every vehicle every interval was half the engine's time on a
 * large fleet. A vehicle that is parked, waiting or stranded keeps its SoC, so those are
 * summed as they come and go (the still set); only the chargers' occupants and the
 * driving vehicles are evaluated here. The sums are fixed point, so the mean is the same
 * whatever the order (the per-vehicle walk below gives the same bytes). */
static void snapshot(struct engine *eng, double t, double *per_vehicle)
{
    const fsim_sim_input *in = eng->in;
    for (size_t di = 0; di < in->n_depots; di++) {
        struct depot_state *d = &eng->ds[di];
        d->snap_charging = (int)d->n_plugged;
        d->snap_driving = d->driving;
        d->snap_waiting = (int)d->n_waiting;
        d->snap_mean_soc = 0;
        d->snap_min_soc = d->n_vehicles ? 1 : 0;
    }
    if (per_vehicle) {
        /* vehicleSeries needs every vehicle's SoC anyway */
        long long *sum = calloc(in->n_depots + 1, sizeof *sum);
        for (size_t v = 0; v < in->n_vehicles; v++) {
            double soc = soc_at(eng, v, t);
            struct depot_state *d = &eng->ds[eng->vs[v].depot];
            if (sum)
                sum[eng->vs[v].depot] += soc_fx(soc);
            if (soc < d->snap_min_soc)
                d->snap_min_soc = soc;
            per_vehicle[v] = soc;
        }
        for (size_t di = 0; di < in->n_depots; di++)
            if (eng->ds[di].n_vehicles && sum)
                eng->ds[di].snap_mean_soc =
                    (double)sum[di] / FX_ONE / (double)eng->ds[di].n_vehicles;
        free(sum);
        return;
    }
    for (size_t di = 0; di < in->n_depots; di++) {
        struct depot_state *d = &eng->ds[di];
        const size_t nc = in->depots[di].n_chargers;
        long long sum = d->still_fx;
        double mn = still_min(eng, d);
        for (size_t c = 0; c < nc; c++) {
            size_t v = d->occupant[c];
            if (v == NONE)
                continue;
            double soc = soc_at(eng, v, t);
            sum += soc_fx(soc);
            mn = soc < mn ? soc : mn;
        }
        for (size_t i = 0; i < d->n_drv; i++) {
            double soc = soc_at(eng, d->drv[i], t);
            sum += soc_fx(soc);
            mn = soc < mn ? soc : mn;
        }
        if (mn < d->snap_min_soc)
            d->snap_min_soc = mn;
        if (d->n_vehicles)
            d->snap_mean_soc = (double)sum / FX_ONE / (double)d->n_vehicles;
    }
}

static void dep_file(struct engine *eng, size_t v);

static fsim_status engine_init(struct engine *eng, const fsim_sim_input *in, fsim_arena *arena,
                               struct fsim__output *out, fsim_error *err)
{
    memset(eng, 0, sizeof *eng);
    struct fsim__collect *col = out->col; /* the caller's */
    memset(out, 0, sizeof *out);
    out->col = col;
    eng->in = in;
    eng->arena = arena;
    eng->out = out;
    eng->start = in->start;
    eng->step_h = in->step_s / 3600.0;
    eng->per_step = in->strategy == FSIM_STRATEGY_PEAK_SHAVING ||
                    in->strategy == FSIM_STRATEGY_COST;
    eng->rush = in->strategy == FSIM_STRATEGY_BALANCED || in->strategy == FSIM_STRATEGY_COST;
    fsim__schedule_init(in, &eng->sched);
    const size_t nv = in->n_vehicles, nd = in->n_depots;
    eng->vs = fsim_arena_calloc(arena, nv ? nv : 1, sizeof *eng->vs);
    if (in->strategy == FSIM_STRATEGY_COST &&
        !(eng->plans = fsim_arena_calloc(arena, nv ? nv : 1, sizeof *eng->plans)))
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    eng->ds = fsim_arena_calloc(arena, nd ? nd : 1, sizeof *eng->ds);
    /* three days of steps (or the horizon, if shorter), rounded up to a power of two: a
     * step's slot is then a mask, not a division (each was tens of cycles, on every
     * calendar record): see engine.ring */
    size_t want = 3 * (size_t)(86400 / in->step_s);
    if (want > eng->sched.n_steps + 1)
        want = eng->sched.n_steps + 1;
    for (eng->ring = 1; eng->ring < want; eng->ring *= 2)
        ;
    eng->far_end = eng->far_hold = eng->far_dep = NONE;
    eng->end_head = fsim_arena_calloc(arena, eng->ring, sizeof *eng->end_head);
    eng->arrivals = fsim_arena_calloc(arena, nv ? nv : 1, sizeof *eng->arrivals);
    eng->hold_head = fsim_arena_calloc(arena, eng->ring, sizeof *eng->hold_head);
    eng->free_holds = NONE;
    eng->dep_head = fsim_arena_calloc(arena, eng->ring, sizeof *eng->dep_head);
    eng->dep_batch = fsim_arena_calloc(arena, nv ? nv : 1, sizeof *eng->dep_batch);
    eng->open_ev = fsim_arena_calloc(arena, nv ? nv : 1, sizeof *eng->open_ev);
    out->accounts = fsim_arena_calloc(arena, nv ? nv : 1, sizeof *out->accounts);
    out->depots = fsim_arena_calloc(arena, nd ? nd : 1, sizeof *out->depots);
    if (!eng->vs || !eng->ds || !eng->end_head || !eng->arrivals || !eng->hold_head ||
        !eng->dep_head || !eng->dep_batch || !eng->open_ev || !out->accounts || !out->depots)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    out->horizon_s = (double)in->days * 86400.0;
    for (size_t s = 0; s < eng->ring; s++)
        eng->end_head[s] = eng->hold_head[s] = eng->dep_head[s] = NONE;

    for (size_t di = 0; di < nd; di++) {
        struct depot_state *d = &eng->ds[di];
        const fsim_sim_depot *dep = &in->depots[di];
        size_t nc = dep->n_chargers;
        out->n_chargers += nc;
        /* Between two charging steps the list holds at most nc live entries plus the stale
         * ones of the vehicles that left, and pending at most nc: 2·nc bounds both. */
        d->occupant = fsim_arena_calloc(arena, nc + 1, sizeof *d->occupant);
        d->free_heap = fsim_arena_calloc(arena, nc + 1, sizeof *d->free_heap);
        d->charging = fsim_arena_calloc(arena, 2 * nc + 1, sizeof *d->charging);
        d->pending = fsim_arena_calloc(arena, 2 * nc + 1, sizeof *d->pending);
        d->merge_buf = fsim_arena_calloc(arena, 2 * nc + 1, sizeof *d->merge_buf);
        if (!d->occupant || !d->free_heap || !d->charging || !d->pending || !d->merge_buf)
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        for (size_t c = 0; c < nc; c++) {
            d->occupant[c] = NONE;
            d->free_heap[c] = c; /* ascending: already a heap */
        }
        d->n_free = nc;
        d->load_t = in->start;
        struct fsim__depot_out *o = &out->depots[di];
        o->charger_plugged_s = fsim_arena_calloc(arena, nc + 1, sizeof *o->charger_plugged_s);
        o->charger_grid_kwh = fsim_arena_calloc(arena, nc + 1, sizeof *o->charger_grid_kwh);
        o->charger_sessions = fsim_arena_calloc(arena, nc + 1, sizeof *o->charger_sessions);
        if (!o->charger_plugged_s || !o->charger_grid_kwh || !o->charger_sessions)
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        fsim__bill_init(&o->bill, dep->tariff, dep->utc_offset_minutes, in->start);
    }
    for (size_t v = 0; v < nv; v++)
        eng->ds[in->vehicles[v].depot].n_vehicles++;
    for (size_t di = 0; di < nd; di++) {
        struct depot_state *d = &eng->ds[di];
        /* Each vehicle queues at most once per arrival, i.e. per trip, plus once at start. */
        d->q_cap = d->n_vehicles + 1;
        d->queue = fsim_arena_calloc(arena, d->q_cap, sizeof *d->queue);
        d->cap_still_heap = 2 * d->n_vehicles + 16;
        d->still_heap = fsim_arena_alloc(arena, d->cap_still_heap * sizeof *d->still_heap);
        d->drv = fsim_arena_alloc(arena, (d->n_vehicles + 1) * sizeof *d->drv);
        if (!d->queue || !d->still_heap || !d->drv)
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    }
    for (size_t v = 0; v < nv; v++) {
        const fsim_sim_vehicle *veh = &in->vehicles[v];
        struct vehicle_state *vs = &eng->vs[v];
        vs->cap_kwh = veh->params->battery_kwh;
        vs->depot = (unsigned)veh->depot;
        vs->route = veh->route;
        vs->e_kwh = veh->initial_soc * vs->cap_kwh;
        vs->target_kwh = veh->target_soc * vs->cap_kwh;
        vs->state = PARKED;
        still_add(eng, v);
        vs->end_next = NONE;
        fsim__schedule_cursor(in, &eng->sched, v, &vs->cur);
        vs->next_step = fsim__schedule_next(in, &eng->sched, v, &vs->cur);
        if (vs->next_step != NONE)
            dep_file(eng, v);
        out->accounts[v].initial_kwh = vs->e_kwh;
        out->accounts[v].min_soc = veh->initial_soc;
    }
    return FSIM_OK;
}

/* Files a vehicle under the step of its next departure (the far list beyond the ring). */
static void dep_file(struct engine *eng, size_t v)
{
    struct vehicle_state *vs = &eng->vs[v];
    if (vs->next_step - eng->step >= eng->ring) {
        vs->dep_next = eng->far_dep;
        eng->far_dep = v;
        return;
    }
    vs->dep_next = eng->dep_head[slot(eng, vs->next_step)];
    eng->dep_head[slot(eng, vs->next_step)] = v;
}

/* Once a day: what the far lists hold for the next `ring` steps moves into the ring. */
static void refile_far(struct engine *eng)
{
    size_t v = eng->far_dep, keep = NONE;
    eng->far_dep = NONE;
    while (v != NONE) {
        size_t next = eng->vs[v].dep_next;
        if (eng->vs[v].next_step - eng->step < eng->ring) {
            dep_file(eng, v);
        } else {
            eng->vs[v].dep_next = keep;
            keep = v;
        }
        v = next;
    }
    eng->far_dep = keep;
    v = eng->far_end, keep = NONE;
    eng->far_end = NONE;
    while (v != NONE) {
        struct vehicle_state *vs = &eng->vs[v];
        size_t next = vs->end_next;
        if (vs->end_step - eng->step < eng->ring) {
            vs->end_next = eng->end_head[slot(eng, vs->end_step)];
            eng->end_head[slot(eng, vs->end_step)] = v;
        } else {
            vs->end_next = keep;
            keep = v;
        }
        v = next;
    }
    eng->far_end = keep;
    size_t r = eng->far_hold;
    keep = NONE;
    eng->far_hold = NONE;
    while (r != NONE) {
        struct hold_rec *h = &eng->holds[r];
        size_t next = h->next;
        if (h->step - eng->step < eng->ring) {
            h->next = eng->hold_head[slot(eng, h->step)];
            eng->hold_head[slot(eng, h->step)] = r;
        } else {
            h->next = keep;
            keep = r;
        }
        r = next;
    }
    eng->far_hold = keep;
}

static int size_order(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* The step's departures in vehicle order (a vehicle's several departures in one step one
 * after the other), each vehicle then filed under the step of its next departure. */
static void departures(struct engine *eng, size_t step, double t)
{
    size_t n = 0;
    for (size_t v = eng->dep_head[slot(eng, step)]; v != NONE; v = eng->vs[v].dep_next)
        eng->dep_batch[n++] = v;
    eng->dep_head[slot(eng, step)] = NONE;
    if (n > 1)
        qsort(eng->dep_batch, n, sizeof *eng->dep_batch, size_order);
    for (size_t i = 0; i < n; i++) {
        size_t v = eng->dep_batch[i];
        struct vehicle_state *vs = &eng->vs[v];
        while (vs->next_step == step) {
            vs->next_step = fsim__schedule_next(eng->in, &eng->sched, v, &vs->cur);
            depart(eng, v, t);
        }
        if (vs->next_step != NONE)
            dep_file(eng, v);
    }
}

fsim_status fsim__engine_begin(const fsim_sim_input *in, fsim_arena *arena,
                               struct fsim__output *out, struct engine **engp, fsim_error *err)
{
    struct engine *eng = fsim_arena_alloc(arena, sizeof *eng);
    if (!eng)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    fsim_status st = engine_init(eng, in, arena, out, err);
    if (st != FSIM_OK)
        return st;
    if (in->per_vehicle_series &&
        !(eng->per_vehicle = fsim_arena_calloc(arena, in->n_vehicles + 1, sizeof *eng->per_vehicle)))
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    *engp = eng;
    return FSIM_OK;
}

size_t fsim__engine_steps_total(const struct engine *eng)
{
    return eng->sched.n_steps;
}

/* Steps [from, to): everything of a step, its rows handed on. site_kw (optional): each
 * step's load summed over the depots, for a caller that combines engines. */
fsim_status fsim__engine_steps(struct engine *engp, size_t from, size_t to, double *site_kw_out,
                               fsim_error *err)
{
    struct engine *eng = engp;
    const fsim_sim_input *in = eng->in;
    struct fsim__output *out = eng->out;
    const size_t per_interval = (size_t)(in->output_interval_s / in->step_s);
    const size_t per_day = (size_t)(86400 / in->step_s);
    double *per_vehicle = eng->per_vehicle;
    fsim_status st = FSIM_OK;
    /* the step's place in its output interval and in its day, counted rather than divided
     * out (a 64-bit division each, every step) */
    size_t in_interval = from % per_interval, in_day = from % per_day;
    for (size_t step = from; step < to && st == FSIM_OK; step++,
                in_interval = in_interval + 1 == per_interval ? 0 : in_interval + 1,
                in_day = in_day + 1 == per_day ? 0 : in_day + 1) {
        const double t = in->start + (double)step * in->step_s;
        eng->step = step;
        eng->t_step_end = t + in->step_s;
        if (in_day == 0)
            refile_far(eng);
        /* 1. drives that end at the boundary (the later ones join the sweep); 2. departures;
         * 3. segments whose strategy runs again; 4. queue → free chargers */
        st = end_drives(eng, step, t, err);
        if (st == FSIM_OK)
            departures(eng, step, t);
        if (st == FSIM_OK)
            st = expire_segments(eng, step, t, err);
        for (size_t v = 0; step == 0 && v < in->n_vehicles; v++)
            if (eng->vs[v].state == PARKED && eng->vs[v].e_kwh < eng->vs[v].target_kwh - 1e-9)
                enqueue(eng, v, t);
        for (size_t di = 0; di < in->n_depots && st == FSIM_OK; di++)
            st = assign_chargers(eng, di, t, err);
        if (st != FSIM_OK)
            break;
        if (in_interval == 0) {
            snapshot(eng, t, per_vehicle);
            if (per_vehicle)
                fsim__collect_series(out->col, per_vehicle);
        }
        /* 5. the strategy at the boundary; 6. the instants inside the step */
        for (size_t di = 0; di < in->n_depots && st == FSIM_OK; di++)
            st = boundary_decide(eng, di, step, t, err);
        if (st == FSIM_OK)
            st = run_sweep(eng, err);
        if (st != FSIM_OK)
            break;
        /* 7. the step's energy, load and bill */
        double site_kw = 0;
        for (size_t di = 0; di < in->n_depots; di++)
            site_kw += close_step(eng, di, t, eng->t_step_end);
        if (site_kw > out->peak_kw) {
            out->peak_kw = site_kw;
            out->peak_t = t;
        }
        if (site_kw_out)
            site_kw_out[step - from] = site_kw;
        /* 8. close the output interval */
        if (in_interval + 1 == per_interval || step + 1 == eng->sched.n_steps) {
            size_t steps_in = in_interval + 1;
            double t0 = in->start + (double)(step + 1 - steps_in) * in->step_s;
            for (size_t di = 0; di < in->n_depots; di++) {
                struct depot_state *d = &eng->ds[di];
                fsim__collect_point(out->col, &(struct fsim__point){
                    .t = t0, .depot = di,
                    .load_kw = d->interval_kwh / ((double)steps_in * eng->step_h),
                    .charging = d->snap_charging, .driving = d->snap_driving,
                    .waiting = d->snap_waiting, .mean_soc = d->snap_mean_soc,
                    .min_soc = d->snap_min_soc, .energy_kwh = d->total_kwh});
                d->interval_kwh = 0;
            }
        }
        if (st == FSIM_OK && out->col->st != FSIM_OK)
            st = out->col->st; /* the sink failed: its error is in err already */
    }
    return st;
}

/* Closes what is still open at the end of the horizon. */
fsim_status fsim__engine_end(struct engine *engp, fsim_error *err)
{
    struct engine *eng = engp;
    const fsim_sim_input *in = eng->in;
    struct fsim__output *out = eng->out;
    free(eng->windows);
    eng->windows = NULL;
    (void)err;
    const double end_t = in->start + (double)eng->sched.n_steps * in->step_s;
    for (size_t v = 0; v < in->n_vehicles; v++) {
        struct vehicle_state *vs = &eng->vs[v];
        struct fsim__vehicle_account *acc = &out->accounts[v];
        if (vs->state == CHARGING)
            unplug(eng, v, end_t);
        double e = vs->e_kwh;
        if (vs->state == DRIVING) {
            /* Mid-trip at the end: account the part driven so far. */
            const fsim_sim_route_profile *r = vs->route;
            double s = end_t - vs->depart_t;
            size_t si = s <= 0 ? 0 : (size_t)s;
            if (si >= r->energy.n)
                si = r->energy.n - 1;
            e = trip_energy_at(r, vs->e_kwh, vs->cap_kwh, si);
            if (e < 0)
                e = 0;
            double aux = r->aux_kw * (double)si / 3600.0;
            acc->aux_kwh += aux;
            acc->driven_kwh += vs->e_kwh - e - aux;
        }
        acc->final_kwh = e;
        /* on the road at the end: judged by what it left with (see the energy verdict) */
        acc->end_check_kwh = vs->state == DRIVING ? vs->e_kwh : e;
        double soc = e / vs->cap_kwh;
        if (soc < acc->min_soc)
            acc->min_soc = soc;
        out->charged_kwh += acc->charged_kwh;
    }
    if (out->col->st != FSIM_OK)
        return out->col->st;
    for (size_t di = 0; di < in->n_depots; di++) {
        out->grid_kwh += eng->ds[di].total_kwh;
        out->depots[di].grid_kwh = eng->ds[di].total_kwh;
        fsim__bill_finish(&out->depots[di].bill);
    }
    return FSIM_OK;
}

/* Releases what the engine holds outside its arena (after a failure before _end). */
void fsim__engine_release(struct engine *eng)
{
    if (eng) {
        free(eng->windows);
        eng->windows = NULL;
    }
}

fsim_status fsim__engine_run(const fsim_sim_input *in, fsim_arena *arena,
                             fsim_sim_progress_fn progress, void *progress_user,
                             struct fsim__output *out, fsim_error *err)
{
    struct engine *eng = NULL;
    fsim_status st = fsim__engine_begin(in, arena, out, &eng, err);
    if (st != FSIM_OK)
        return st;
    const size_t steps_per_day = (size_t)(86400 / in->step_s);
    const size_t n_steps = eng->sched.n_steps;
    for (size_t from = 0; from < n_steps && st == FSIM_OK; from += steps_per_day) {
        size_t to = from + steps_per_day < n_steps ? from + steps_per_day : n_steps;
        st = fsim__engine_steps(eng, from, to, NULL, err);
        if (st == FSIM_OK && progress && to % steps_per_day == 0 &&
            !progress(progress_user, (int)(to / steps_per_day), in->days))
            st = fsim_error_set(err, FSIM_CANCELLED, NULL, 0, 0, NULL, "run cancelled");
    }
    if (st != FSIM_OK) {
        fsim__engine_release(eng);
        return st;
    }
    return fsim__engine_end(eng, err);
}
