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
    /* WAITING / CHARGING */
    double arrived_t;
    unsigned queue_gen;
    size_t charger;        /* CHARGING: index into the depot's chargers */
    size_t event;          /* CHARGING: index of its open event */
    /* CHARGING: the open session's running totals, kept here (next to e_kwh, which each
     * step touches anyway) and written to the event at unplug: one cache line per vehicle
     * per step instead of three */
    double sess_kwh, sess_grid_kwh, sess_peak_kw, sess_start;
    bool sess_drew;
    /* CHARGING: the session is a chain of segments of constant power. The open one started
     * at seg_t0 with e_kwh stored (e_kwh is brought up to date only when the segment
     * closes); it draws p_hold kW from the grid (batt_kw into the battery) until step
     * hold_until, when the strategy's rules run again (see hold_steps) */
    double p_hold;
    size_t hold_until;
    /* schedule cursor: its next departure id */
    size_t next_dep;
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
    struct queue_entry *queue;
    size_t q_head, q_tail, q_cap;
    int driving;
    double interval_kwh;   /* grid energy in the current output interval */
    double total_kwh;
    double step_kw;
    /* snapshot at the start of the current output interval */
    int snap_charging, snap_driving, snap_waiting;
    double snap_mean_soc, snap_min_soc;
    size_t n_vehicles;
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
    double *dep_time;      /* departure id → Unix s */
    struct fsim__output *out;
    double start;
    double step_h;
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
    if (vs->next_dep < eng->sched.vehicle_first[v + 1])
        return eng->dep_time[vs->next_dep];
    return eng->start + (double)eng->in->days * 86400.0;
}

static void enqueue(struct engine *eng, size_t v, double t)
{
    struct vehicle_state *vs = &eng->vs[v];
    struct depot_state *d = &eng->ds[eng->in->vehicles[v].depot];
    vs->state = WAITING;
    vs->arrived_t = t;
    vs->queue_gen++;
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
    d->n_plugged++;
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
    struct fsim__event *ev = &eng->out->events[vs->event];
    ev->end = t;
    ev->end_soc = vehicle_soc_of_energy(vs, vs->e_kwh);
    ev->energy_kwh = vs->sess_kwh;
    ev->grid_kwh = vs->sess_grid_kwh;
    ev->peak_kw = vs->sess_peak_kw;
    ev->drew_power = vs->sess_drew;
    ev->start = vs->sess_drew ? vs->sess_start : ev->plugged;
    eng->out->accounts[v].charged_kwh += vs->sess_kwh;
    eng->out->plugged_seconds += t - ev->plugged;
    d->occupant[vs->charger] = NONE;
    free_push(d, vs->charger);
    d->n_plugged--;
    vs->state = PARKED; /* its list entry is now stale */
}

/* Gives free chargers to waiting vehicles, first come first served; each takes the fastest
 * free charger (chargers are sorted fastest first). */
static fsim_status assign_chargers(struct engine *eng, size_t di, double t, fsim_error *err)
{
    struct depot_state *d = &eng->ds[di];
    const fsim_sim_depot *dep = &eng->in->depots[di];
    while (d->n_free > 0 && d->q_head < d->q_tail) {
        struct queue_entry qe = d->queue[d->q_head++];
        struct vehicle_state *vs = &eng->vs[qe.vehicle];
        if (vs->state != WAITING || vs->queue_gen != qe.gen)
            continue; /* left the queue (departed) since */
        if (eng->out->n_events == eng->out->cap_events) /* sized for the most there can be */
            return fsim_error_set(err, FSIM_INTERNAL, NULL, 0, 0, NULL,
                                  "more charging events than plug-ins possible");
        size_t c = free_pop(d);
        d->occupant[c] = qe.vehicle;
        vs->state = CHARGING;
        vs->charger = c;
        vs->event = eng->out->n_events++;
        vs->sess_kwh = vs->sess_grid_kwh = vs->sess_peak_kw = vs->sess_start = 0;
        vs->sess_drew = false;
        vs->seg_t0 = t;
        vs->p_hold = vs->batt_kw = 0;
        vs->hold_until = NONE; /* no segment yet: the strategy runs in this step's charging */
        eng->out->events[vs->event] = (struct fsim__event){
            .vehicle = qe.vehicle, .depot = di, .charger = c, .arrived = vs->arrived_t,
            .plugged = t, .start = t, .end = t,
            .start_soc = vehicle_soc_of_energy(vs, vs->e_kwh)};
        charging_insert(eng, d, qe.vehicle);
        (void)dep;
    }
    return FSIM_OK;
}

/* For how many steps power p (grid kW) stays exactly what the step-by-step rules would
 * give again, so the loop can reuse it: the cost of a step then stays a few loads and adds
 * per plugged vehicle, and the rules run only where something changes.
 * Why it is exact: p is the least of the charger/inlet limit (constant), the charge curve
 * (constant on a flat stretch), balanced's even rate need ÷ time left (constant while it
 * binds: both shrink in step) and the rest to the target (only in the last step). So p
 * holds until the SoC reaches the point where the curve falls below p, until the step
 * before the target would be overshot, and (balanced) until the step before departure.
 * peak_shaving shares the depot's headroom between vehicles: always 1 step. Conservative
 * by a step at each bound; 1 when nothing can be said. */
static size_t hold_steps(const struct engine *eng, const struct vehicle_state *vs,
                         const fsim_vehicle_params *params, double efficiency, double p,
                         double key, double t)
{
    if (eng->in->strategy == FSIM_STRATEGY_PEAK_SHAVING || p <= 0)
        return 1;
    const double batt_per_step = p * efficiency * eng->step_h;
    double room_kwh = vs->target_kwh - vs->e_kwh; /* energy before p must change */
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
        double to_cross = (s_cross - soc) * vs->cap_kwh;
        if (to_cross < room_kwh)
            room_kwh = to_cross;
        break;
    }
    double steps = floor(room_kwh / batt_per_step) - 1;
    if (eng->in->strategy == FSIM_STRATEGY_BALANCED) {
        double to_departure = floor((key - t) / eng->in->step_s) - 1;
        if (to_departure < steps)
            steps = to_departure;
    }
    return steps >= 1 ? (size_t)steps : 1;
}

/* The strategy's power for a plugged vehicle now (grid kW), before peak_shaving's share of
 * the headroom: the least of the charger, the vehicle's inlet and charge curve, what is
 * left to the target within this step and (balanced) the even rate to the next departure
 * at `key`. Uses the vehicle's energy as of its last closed segment. */
static double strategy_power(const struct engine *eng, size_t v, double key, double t)
{
    const fsim_sim_input *in = eng->in;
    const struct vehicle_state *vs = &eng->vs[v];
    const fsim_sim_charger *ch = &in->depots[in->vehicles[v].depot].chargers[vs->charger];
    const double dt_h = eng->step_h;
    double need_batt = vs->target_kwh - vs->e_kwh;
    double p = fsim__charge_limit_kw(in->vehicles[v].params, ch, vs->e_kwh / vs->cap_kwh);
    double p_to_target = need_batt / (ch->efficiency * dt_h);
    if (p_to_target < p)
        p = p_to_target;
    if (in->strategy == FSIM_STRATEGY_BALANCED) {
        double hours_left = (key - t) / 3600.0;
        if (hours_left < dt_h)
            hours_left = dt_h;
        double even = need_batt / ch->efficiency / hours_left;
        if (even < p)
            p = even;
    }
    return p > 0 ? p : 0;
}

/* Starts a segment of power p for k steps: the depot's load takes it, the session's peak
 * and first-power time follow, and (immediate / balanced) the calendar wakes the strategy
 * for this vehicle again at step + k. */
static fsim_status segment_open(struct engine *eng, size_t v, size_t step, double t, double p,
                                size_t k, fsim_error *err)
{
    struct vehicle_state *vs = &eng->vs[v];
    struct depot_state *d = &eng->ds[eng->in->vehicles[v].depot];
    const fsim_sim_charger *ch = &eng->in->depots[eng->in->vehicles[v].depot].chargers[vs->charger];
    vs->seg_t0 = t;
    vs->p_hold = p;
    vs->batt_kw = p * ch->efficiency;
    vs->hold_until = step + k;
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
    if (eng->in->strategy == FSIM_STRATEGY_PEAK_SHAVING || step + k >= eng->sched.n_steps)
        return FSIM_OK; /* walked every step anyway / closed by the end of the run */
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
    eng->holds[r] = (struct hold_rec){v, vs->event, eng->hold_head[step + k]};
    eng->hold_head[step + k] = r;
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

/* Start of a step, before the queue is served: the segments that end now are closed.
 * peak_shaving: every plugged vehicle's (segments of one step); otherwise the calendar's. */
static void expire_segments(struct engine *eng, size_t step, double t)
{
    const fsim_sim_input *in = eng->in;
    if (in->strategy == FSIM_STRATEGY_PEAK_SHAVING) {
        for (size_t di = 0; di < in->n_depots; di++) {
            struct depot_state *d = &eng->ds[di];
            merge_pending(d);
            for (size_t i = 0; i < d->n_charging; i++) {
                const struct charge_entry *e = &d->charging[i];
                struct vehicle_state *vs = &eng->vs[e->vehicle];
                if (vs->state != CHARGING || vs->event != e->event)
                    continue;
                segment_close(eng, e->vehicle, t);
                settle(eng, e->vehicle, t);
            }
        }
        return;
    }
    size_t r = eng->hold_head[step];
    eng->hold_head[step] = NONE;
    while (r != NONE) {
        const struct hold_rec rec = eng->holds[r];
        struct vehicle_state *vs = &eng->vs[rec.vehicle];
        eng->holds[r].next = eng->free_holds;
        eng->free_holds = r;
        r = rec.next;
        if (vs->state != CHARGING || vs->event != rec.event || vs->hold_until != step)
            continue; /* stale: unplugged, or a newer session */
        segment_close(eng, rec.vehicle, t);
        if (settle(eng, rec.vehicle, t)) {
            struct depot_state *d = &eng->ds[in->vehicles[rec.vehicle].depot];
            d->pending[d->n_pending++] = (struct charge_entry){
                next_departure_t(eng, rec.vehicle), rec.vehicle, vs->event};
        }
    }
}

/* One step of charging at a depot, after the queue was served: the strategy runs for the
 * vehicles without an open segment (just plugged, or theirs ended) — for peak_shaving, for
 * every plugged vehicle in order of departure, each taking what the headroom leaves — and
 * the depot's load for the step is the sum of the open segments. */
static fsim_status charge_step(struct engine *eng, size_t di, size_t step, double t,
                               fsim_error *err)
{
    const fsim_sim_input *in = eng->in;
    const fsim_sim_depot *dep = &in->depots[di];
    struct depot_state *d = &eng->ds[di];
    fsim_status st = FSIM_OK;
    if (in->strategy == FSIM_STRATEGY_PEAK_SHAVING) {
        double headroom = dep->has_grid_limit ? dep->grid_limit_kw : INFINITY;
        merge_pending(d);
        size_t kept = 0;
        for (size_t i = 0; i < d->n_charging && st == FSIM_OK; i++) {
            const struct charge_entry entry = d->charging[i];
            const struct vehicle_state *vs = &eng->vs[entry.vehicle];
            if (vs->state != CHARGING || vs->event != entry.event)
                continue; /* left since: drop the stale entry */
            double p = strategy_power(eng, entry.vehicle, entry.key, t);
            if (p > headroom)
                p = headroom > 0 ? headroom : 0;
            headroom -= p;
            st = segment_open(eng, entry.vehicle, step, t, p, 1, err);
            d->charging[kept++] = entry;
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
    d->step_kw = d->load_kw;
    d->interval_kwh += d->load_kw * eng->step_h;
    d->total_kwh += d->load_kw * eng->step_h;
    eng->out->delivering_seconds += (double)d->n_drawing * in->step_s;
    return st;
}

/* A departure: the trip is missed (below reserve, still out, stranded) or starts, and its
 * whole outcome — arrival or the second it runs dry — is decided now from the profile. */
static void depart(struct engine *eng, size_t dep_id, double t)
{
    const fsim_sim_input *in = eng->in;
    size_t v = eng->sched.vehicle_of[dep_id];
    const fsim_sim_vehicle *veh = &in->vehicles[v];
    struct vehicle_state *vs = &eng->vs[v];
    struct depot_state *d = &eng->ds[veh->depot];
    struct fsim__trip *trip = &eng->out->trips[dep_id];
    vs->next_dep = dep_id + 1;

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

    const fsim_sim_route_profile *r = veh->route;
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
    vs->state = DRIVING;
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

    /* The drive ends at the first step boundary at or after the arrival; beyond the horizon
     * it simply never ends inside the run (the trip record already says how it ends). */
    double rel = (trip->arrive - eng->start) / in->step_s;
    size_t end_step = (size_t)ceil(rel - 1e-9);
    if (end_step < eng->sched.n_steps) {
        vs->end_next = eng->end_head[end_step];
        eng->end_head[end_step] = v;
    }
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
    if (vs->strands) {
        vs->state = STRANDED;
        acc->stranded = true;
        return;
    }
    vs->state = PARKED;
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

static void end_drives(struct engine *eng, size_t step)
{
    /* A whole fleet on one timetable arrives in the same step: sort, never insertion-sort. */
    size_t n = 0;
    for (size_t v = eng->end_head[step]; v != NONE; v = eng->vs[v].end_next)
        eng->arrivals[n++] = (struct arrival){eng->vs[v].arrive_t, v};
    if (n > 1)
        qsort(eng->arrivals, n, sizeof *eng->arrivals, arrival_order);
    for (size_t i = 0; i < n; i++) {
        eng->vs[eng->arrivals[i].vehicle].end_next = NONE;
        end_drive(eng, eng->arrivals[i].vehicle);
    }
}

/* SoC of a vehicle at time t (driving vehicles are evaluated from their trip profile). */
static double soc_at(const struct engine *eng, size_t v, double t)
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

/* The state an output interval reports at its start: counts and SoC statistics per depot. */
static void snapshot(struct engine *eng, double t, double *per_vehicle)
{
    const fsim_sim_input *in = eng->in;
    for (size_t di = 0; di < in->n_depots; di++) {
        struct depot_state *d = &eng->ds[di];
        d->snap_charging = (int)d->n_plugged;
        d->snap_driving = d->driving;
        int waiting = 0;
        for (size_t q = d->q_head; q < d->q_tail; q++) {
            const struct vehicle_state *vs = &eng->vs[d->queue[q].vehicle];
            waiting += vs->state == WAITING && vs->queue_gen == d->queue[q].gen;
        }
        d->snap_waiting = waiting;
        d->snap_mean_soc = 0;
        d->snap_min_soc = d->n_vehicles ? 1 : 0;
    }
    for (size_t v = 0; v < in->n_vehicles; v++) {
        double soc = soc_at(eng, v, t);
        struct depot_state *d = &eng->ds[eng->vs[v].depot];
        d->snap_mean_soc += soc;
        if (soc < d->snap_min_soc)
            d->snap_min_soc = soc;
        if (per_vehicle)
            per_vehicle[v] = soc;
    }
    for (size_t di = 0; di < in->n_depots; di++)
        if (eng->ds[di].n_vehicles)
            eng->ds[di].snap_mean_soc /= (double)eng->ds[di].n_vehicles;
}

static fsim_status engine_init(struct engine *eng, const fsim_sim_input *in, fsim_arena *arena,
                               struct fsim__output *out, fsim_error *err)
{
    memset(eng, 0, sizeof *eng);
    memset(out, 0, sizeof *out);
    eng->in = in;
    eng->arena = arena;
    eng->out = out;
    eng->start = in->start;
    eng->step_h = in->step_s / 3600.0;
    fsim_status st = fsim__schedule_build(in, arena, &eng->sched, err);
    if (st != FSIM_OK)
        return st;
    const size_t nv = in->n_vehicles, nd = in->n_depots;
    eng->vs = fsim_arena_calloc(arena, nv ? nv : 1, sizeof *eng->vs);
    eng->ds = fsim_arena_calloc(arena, nd ? nd : 1, sizeof *eng->ds);
    eng->end_head = fsim_arena_calloc(arena, eng->sched.n_steps + 1, sizeof *eng->end_head);
    eng->arrivals = fsim_arena_calloc(arena, nv ? nv : 1, sizeof *eng->arrivals);
    eng->hold_head = fsim_arena_calloc(arena, eng->sched.n_steps + 1, sizeof *eng->hold_head);
    eng->free_holds = NONE;
    eng->dep_time = fsim_arena_calloc(arena, eng->sched.n_departures + 1, sizeof *eng->dep_time);
    /* Big output arrays whose every element is written before it is read: not zeroed
     * (fresh pages come zeroed from the kernel already; a second pass costs as much). */
    out->trips = fsim_arena_alloc(arena, (eng->sched.n_departures + 1) * sizeof *out->trips);
    out->accounts = fsim_arena_calloc(arena, nv ? nv : 1, sizeof *out->accounts);
    out->depot_peak_kw = fsim_arena_calloc(arena, nd ? nd : 1, sizeof *out->depot_peak_kw);
    size_t per_interval = (size_t)(in->output_interval_s / in->step_s);
    size_t n_intervals = (eng->sched.n_steps + per_interval - 1) / per_interval;
    out->points = fsim_arena_alloc(arena, (n_intervals * nd + 1) * sizeof *out->points);
    /* A vehicle plugs in at most once at the start and once per arrival: sized once. */
    out->cap_events = eng->sched.n_departures + nv + 1;
    out->events = fsim_arena_alloc(arena, out->cap_events * sizeof *out->events);
    if (!eng->vs || !eng->ds || !eng->end_head || !eng->arrivals || !eng->hold_head ||
        !eng->dep_time || !out->trips || !out->events || !out->accounts || !out->depot_peak_kw ||
        !out->points)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    out->n_trips = eng->sched.n_departures;
    out->horizon_s = (double)in->days * 86400.0;
    for (size_t s = 0; s <= eng->sched.n_steps; s++)
        eng->end_head[s] = eng->hold_head[s] = NONE;
    for (size_t k = 0; k < eng->sched.n_departures; k++)
        eng->dep_time[k] = in->start + (double)eng->sched.step_of[k] * in->step_s;

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
    }
    for (size_t v = 0; v < nv; v++)
        eng->ds[in->vehicles[v].depot].n_vehicles++;
    for (size_t di = 0; di < nd; di++) {
        struct depot_state *d = &eng->ds[di];
        /* Each vehicle queues at most once per arrival, i.e. per trip, plus once at start. */
        d->q_cap = d->n_vehicles + 1;
        d->queue = fsim_arena_calloc(arena, d->q_cap, sizeof *d->queue);
        if (!d->queue)
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
        vs->next_dep = eng->sched.vehicle_first[v];
        vs->end_next = NONE;
        out->accounts[v].initial_kwh = vs->e_kwh;
        out->accounts[v].min_soc = veh->initial_soc;
    }
    return FSIM_OK;
}

fsim_status fsim__engine_run(const fsim_sim_input *in, fsim_arena *arena,
                             fsim_sim_progress_fn progress, void *progress_user,
                             struct fsim__output *out, fsim_error *err)
{
    struct engine eng;
    fsim_status st = engine_init(&eng, in, arena, out, err);
    if (st != FSIM_OK)
        return st;
    const size_t per_interval = (size_t)(in->output_interval_s / in->step_s);
    const size_t steps_per_day = (size_t)(86400 / in->step_s);
    double *per_vehicle = NULL;

    for (size_t step = 0; step < eng.sched.n_steps; step++) {
        const double t = in->start + (double)step * in->step_s;
        /* 1. drives that end now; 2. departures; 3. queue → free chargers */
        end_drives(&eng, step);
        for (size_t i = eng.sched.bucket_start[step]; i < eng.sched.bucket_start[step + 1]; i++)
            depart(&eng, eng.sched.by_step[i], t);
        expire_segments(&eng, step, t);
        for (size_t v = 0; step == 0 && v < in->n_vehicles; v++)
            if (eng.vs[v].state == PARKED && eng.vs[v].e_kwh < eng.vs[v].target_kwh - 1e-9)
                enqueue(&eng, v, t);
        for (size_t di = 0; di < in->n_depots; di++) {
            st = assign_chargers(&eng, di, t, err);
            if (st != FSIM_OK)
                return st;
        }
        if (step % per_interval == 0) {
            if (in->per_vehicle_series) {
                per_vehicle = fsim_arena_calloc(arena, in->n_vehicles + 1, sizeof *per_vehicle);
                if (!per_vehicle)
                    return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
            }
            snapshot(&eng, t, per_vehicle);
        }
        /* 4. charging */
        double site_kw = 0;
        for (size_t di = 0; di < in->n_depots; di++) {
            st = charge_step(&eng, di, step, t, err);
            if (st != FSIM_OK)
                return st;
            site_kw += eng.ds[di].step_kw;
            if (eng.ds[di].step_kw > out->depot_peak_kw[di])
                out->depot_peak_kw[di] = eng.ds[di].step_kw;
        }
        if (site_kw > out->peak_kw) {
            out->peak_kw = site_kw;
            out->peak_t = t;
        }
        /* 5. close the output interval */
        if ((step + 1) % per_interval == 0 || step + 1 == eng.sched.n_steps) {
            size_t steps_in = step % per_interval + 1;
            double t0 = in->start + (double)(step + 1 - steps_in) * in->step_s;
            for (size_t di = 0; di < in->n_depots; di++) {
                struct depot_state *d = &eng.ds[di];
                out->points[out->n_points++] = (struct fsim__point){
                    .t = t0, .depot = di,
                    .load_kw = d->interval_kwh / ((double)steps_in * eng.step_h),
                    .charging = d->snap_charging, .driving = d->snap_driving,
                    .waiting = d->snap_waiting, .mean_soc = d->snap_mean_soc,
                    .min_soc = d->snap_min_soc, .energy_kwh = d->total_kwh,
                    .vehicle_soc = per_vehicle};
                d->interval_kwh = 0;
            }
        }
        if (progress && (step + 1) % steps_per_day == 0 &&
            !progress(progress_user, (int)((step + 1) / steps_per_day), in->days))
            return fsim_error_set(err, FSIM_CANCELLED, NULL, 0, 0, NULL, "run cancelled");
    }

    /* Close what is still open at the end of the horizon. */
    const double end_t = in->start + (double)eng.sched.n_steps * in->step_s;
    for (size_t v = 0; v < in->n_vehicles; v++) {
        struct vehicle_state *vs = &eng.vs[v];
        struct fsim__vehicle_account *acc = &out->accounts[v];
        if (vs->state == CHARGING)
            unplug(&eng, v, end_t);
        double e = vs->e_kwh;
        if (vs->state == DRIVING) {
            /* Mid-trip at the end: account the part driven so far. */
            const fsim_sim_route_profile *r = in->vehicles[v].route;
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
        double soc = e / vs->cap_kwh;
        if (soc < acc->min_soc)
            acc->min_soc = soc;
        out->charged_kwh += acc->charged_kwh;
    }
    for (size_t di = 0; di < in->n_depots; di++)
        out->grid_kwh += eng.ds[di].total_kwh;
    return FSIM_OK;
}
