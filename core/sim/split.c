/* Depots in parallel. Vehicles never change depot and depots share nothing while the
 * engine runs (each has its chargers, queue, grid limit and bill), so a fleet of several
 * depots runs as one engine per depot, side by side on threads, a day at a time. After each
 * day the depots' records are merged in an order that does not depend on the threads —
 * time series interval by interval in depot order, trips by (departure, vehicle), sessions
 * by (end, depot) — and go to the one collector (the rows, the summary) as a single engine's
 * would; the fleet's load at each step is summed in depot order. So any number of threads
 * gives the same bytes, and one thread runs the same code.
 *
 * The merge is serial (one collector, one sink), so it overlaps the next day: while the
 * other threads run day k+1's engines into the second of two record buffers, the calling
 * thread merges day k from the first, then joins in on day k+1's depots. Each depot sorts
 * its own day's records on its thread, so the merge only interleaves sorted runs. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

struct vec {
    char *data;
    size_t n, cap, size;
};

static bool vec_push(struct vec *v, const void *item)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 256;
        char *grown = realloc(v->data, cap * v->size);
        if (!grown)
            return false;
        v->data = grown;
        v->cap = cap;
    }
    memcpy(v->data + v->n++ * v->size, item, v->size);
    return true;
}

/* A record's place in the merge: trips by (departure, vehicle), sessions by (end, depot),
 * then by their order in the depot. */
struct ord {
    double t;
    size_t key;                   /* trips: the vehicle; sessions: the depot */
    size_t seq;                   /* place in its depot's records */
    const void *rec;
};

/* One depot's engine and its records of the current day. */
struct depot_run {
    fsim_sim_input in;            /* this depot alone, its vehicles */
    size_t *global;               /* local vehicle → input vehicle */
    size_t depot;                 /* its index in the input */
    fsim_arena *arena;            /* the engine allocates as it runs: one arena per depot */
    struct fsim__collect col;     /* records only (raw hooks) */
    struct fsim__output out;
    struct engine *eng;
    struct vec trips[2], events[2], points[2]; /* a day's records, by the day's parity */
    struct vec order[2][2];       /* [parity][0 trips, 1 sessions]: the day's, sorted */
    double *site_kw[2];           /* a day's step loads, likewise */
    int cur;                      /* the parity the engine is writing (set by its worker) */
    bool nomem;
    fsim_status st;
    fsim_error err;
};

static void keep_trip(void *user, const struct fsim__trip *t)
{
    struct depot_run *r = user;
    r->nomem |= !vec_push(&r->trips[r->cur], t);
}

static void keep_event(void *user, const struct fsim__event *e)
{
    struct depot_run *r = user;
    r->nomem |= !vec_push(&r->events[r->cur], e);
}

static void keep_point(void *user, const struct fsim__point *p)
{
    struct depot_run *r = user;
    r->nomem |= !vec_push(&r->points[r->cur], p);
}

static int ord_cmp(const void *a, const void *b)
{
    const struct ord *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* One depot's trips and sessions of a day in merge order, sorted on the depot's own thread
 * (the sort was a third of the serial merge); the merge then only interleaves the depots. */
static bool sort_day(struct depot_run *r, int parity)
{
    for (int kind = 0; kind < 2; kind++) {
        struct vec *order = &r->order[parity][kind];
        const struct vec *v = kind == 0 ? &r->trips[parity] : &r->events[parity];
        order->n = 0;
        for (size_t i = 0; i < v->n; i++) {
            const void *rec = v->data + i * v->size;
            struct ord o = {.seq = i, .rec = rec};
            if (kind == 0) {
                const struct fsim__trip *t = rec;
                o.t = t->depart;
                o.key = r->global[t->vehicle];
            } else {
                const struct fsim__event *e = rec;
                o.t = e->end;
                o.key = r->depot;
            }
            if (!vec_push(order, &o))
                return false;
        }
        qsort(order->data, order->n, sizeof(struct ord), ord_cmp);
    }
    return true;
}

struct day_job {
    struct depot_run *runs;
    size_t n_runs;
    size_t from, to;
    bool end;                     /* close the horizon instead of steps */
    int parity;                   /* the buffers the day's records go to */
    atomic_size_t next;
};

static void *day_worker(void *arg)
{
    struct day_job *job = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&job->next, 1);
        if (i >= job->n_runs)
            return NULL;
        struct depot_run *r = &job->runs[i];
        if (r->st != FSIM_OK)
            continue;
        r->cur = job->parity;
        r->st = job->end ? fsim__engine_end(r->eng, &r->err)
                         : fsim__engine_steps(r->eng, job->from, job->to,
                                              r->site_kw[job->parity], &r->err);
        if (r->st == FSIM_OK && !r->nomem)
            r->nomem = !sort_day(r, job->parity);
        if (r->st == FSIM_OK && r->nomem)
            r->st = fsim_error_set(&r->err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    }
}

/* A day (or the end) on up to `threads` threads: day_start starts the extra threads on it,
 * day_finish makes the calling thread one of them and waits for all. In between, the
 * calling thread is free to merge the previous day. */
struct day_run {
    struct day_job job;
    pthread_t tid[64];
    size_t started;
};

static void day_start(struct day_run *dr, struct depot_run *runs, size_t n, size_t from,
                      size_t to, bool end, int parity, int threads)
{
    dr->job = (struct day_job){.runs = runs, .n_runs = n, .from = from, .to = to, .end = end,
                               .parity = parity};
    atomic_init(&dr->job.next, 0);
    size_t extra = threads > 1 ? (size_t)threads - 1 : 0;
    if (extra > n - 1)
        extra = n - 1;
    if (extra > 64)
        extra = 64;
    for (dr->started = 0; dr->started < extra; dr->started++)
        if (pthread_create(&dr->tid[dr->started], NULL, day_worker, &dr->job) != 0)
            break;
}

static void day_finish(struct day_run *dr)
{
    day_worker(&dr->job);
    for (size_t i = 0; i < dr->started; i++)
        pthread_join(dr->tid[i], NULL);
}

/* The merge's heap of depots, by the record each is at: heads[d] indexes runs[d]'s order. */
struct merge_heap {
    size_t *at;                   /* depot indices, a binary min-heap */
    size_t n;
    size_t *heads;
    const struct depot_run *runs;
    int parity, kind;             /* which of each depot's sorted records */
};

static const struct ord *head_of(const struct merge_heap *h, size_t d)
{
    const struct vec *v = &h->runs[d].order[h->parity][h->kind];
    return (const struct ord *)(const void *)v->data + h->heads[d];
}

static bool heap_less(const struct merge_heap *h, size_t i, size_t j)
{
    return ord_cmp(head_of(h, h->at[i]), head_of(h, h->at[j])) < 0;
}

static void heap_down(struct merge_heap *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < h->n && heap_less(h, l, m))
            m = l;
        if (l + 1 < h->n && heap_less(h, l + 1, m))
            m = l + 1;
        if (m == i)
            return;
        size_t tmp = h->at[i];
        h->at[i] = h->at[m];
        h->at[m] = tmp;
        i = m;
    }
}

/* The day's records of every depot to the collector, in the thread-independent order: the
 * depots' sorted records interleaved through a heap, which gives the order one sort of all
 * of them would (the order is total: no two records compare equal). */
static bool merge_day(struct depot_run *runs, size_t n, int parity, struct fsim__collect *col,
                      struct vec *scratch)
{
    /* time series: the k-th point of each depot, depots in order */
    size_t n_points = runs[0].points[parity].n;
    for (size_t k = 0; k < n_points; k++)
        for (size_t d = 0; d < n; d++) {
            struct fsim__point p = ((struct fsim__point *)runs[d].points[parity].data)[k];
            p.depot = runs[d].depot;
            fsim__collect_point(col, &p);
        }
    scratch->n = 0;
    for (size_t d = 0; d < 2 * n; d++)
        if (!vec_push(scratch, &d))
            return false;
    for (int kind = 0; kind < 2; kind++) {
        struct merge_heap h = {.at = (size_t *)(void *)scratch->data,
                               .heads = (size_t *)(void *)scratch->data + n,
                               .runs = runs, .parity = parity, .kind = kind};
        for (size_t d = 0; d < n; d++) {
            h.heads[d] = 0;
            if (runs[d].order[parity][kind].n)
                h.at[h.n++] = d;
        }
        for (size_t i = h.n; i-- > 0;)
            heap_down(&h, i);
        while (h.n) {
            const size_t d = h.at[0];
            const struct ord *o = head_of(&h, d);
            if (kind == 0) {
                struct fsim__trip t = *(const struct fsim__trip *)o->rec;
                t.vehicle = o->key;
                fsim__collect_trip(col, &t);
            } else {
                struct fsim__event e = *(const struct fsim__event *)o->rec;
                e.vehicle = runs[d].global[e.vehicle];
                e.depot = runs[d].depot;
                fsim__collect_event(col, &e);
            }
            if (++h.heads[d] == runs[d].order[parity][kind].n)
                h.at[0] = h.at[--h.n];
            heap_down(&h, 0);
        }
    }
    for (size_t d = 0; d < n; d++)
        runs[d].trips[parity].n = runs[d].events[parity].n = runs[d].points[parity].n = 0;
    return true;
}

/* The depots' totals into the fleet's output, as one engine over all depots gives them. */
static fsim_status combine(const fsim_sim_input *in, struct depot_run *runs, size_t n,
                           fsim_arena *arena, struct fsim__output *out, fsim_error *err)
{
    for (size_t d = 0; d < n; d++) {
        struct depot_run *r = &runs[d];
        struct fsim__depot_out *o = &out->depots[d];
        *o = r->out.depots[0];
        size_t nc = in->depots[d].n_chargers;
        o->charger_plugged_s = fsim_arena_calloc(arena, nc + 1, sizeof *o->charger_plugged_s);
        o->charger_grid_kwh = fsim_arena_calloc(arena, nc + 1, sizeof *o->charger_grid_kwh);
        o->charger_sessions = fsim_arena_calloc(arena, nc + 1, sizeof *o->charger_sessions);
        if (!o->charger_plugged_s || !o->charger_grid_kwh || !o->charger_sessions)
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        memcpy(o->charger_plugged_s, r->out.depots[0].charger_plugged_s, nc * sizeof(double));
        memcpy(o->charger_grid_kwh, r->out.depots[0].charger_grid_kwh, nc * sizeof(double));
        memcpy(o->charger_sessions, r->out.depots[0].charger_sessions, nc * sizeof(int));
        for (size_t v = 0; v < r->in.n_vehicles; v++)
            out->accounts[r->global[v]] = r->out.accounts[v];
        out->n_trips += r->out.n_trips;
        out->n_events += r->out.n_events;
        out->plugged_seconds += r->out.plugged_seconds;
        out->delivering_seconds += r->out.delivering_seconds;
        out->n_chargers += r->out.n_chargers;
        out->grid_kwh += r->out.grid_kwh;
    }
    for (size_t v = 0; v < in->n_vehicles; v++)
        out->charged_kwh += out->accounts[v].charged_kwh;
    out->horizon_s = (double)in->days * 86400.0;
    return FSIM_OK;
}

/* A day that ran and is not merged yet. */
struct pending {
    bool none;                    /* nothing yet (before the first day) */
    size_t from, to;
    bool end;
    int parity;
};

/* Day `p` to the fleet: its loads summed in depot order (the peak), its records merged
 * into the collector, the progress told (false: cancelled). */
static fsim_status finish_day(const fsim_sim_input *in, struct depot_run *runs, size_t nd,
                              const struct pending *p, size_t steps_per_day,
                              struct fsim__collect *col, struct vec *scratch,
                              struct fsim__output *out, fsim_sim_progress_fn progress,
                              void *progress_user, fsim_error *err)
{
    if (p->none)
        return FSIM_OK;
    for (size_t s = p->from; !p->end && s < p->to; s++) {
        double site_kw = 0;
        for (size_t d = 0; d < nd; d++)
            site_kw += runs[d].site_kw[p->parity][s - p->from];
        if (site_kw > out->peak_kw) {
            out->peak_kw = site_kw;
            out->peak_t = in->start + (double)s * in->step_s;
        }
    }
    if (!merge_day(runs, nd, p->parity, col, scratch))
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    if (col->st != FSIM_OK)
        return col->st;
    if (!p->end && progress && p->to % steps_per_day == 0 &&
        !progress(progress_user, (int)(p->to / steps_per_day), in->days))
        return fsim_error_set(err, FSIM_CANCELLED, NULL, 0, 0, NULL, "run cancelled");
    return FSIM_OK;
}

fsim_status fsim__split_run(const fsim_sim_input *in, fsim_arena *arena,
                            fsim_sim_progress_fn progress, void *progress_user,
                            struct fsim__output *out, int threads, fsim_error *err)
{
    const size_t nd = in->n_depots, nv = in->n_vehicles;
    struct fsim__collect *col = out->col;
    fsim_status st = FSIM_OK;
    struct vec scratch = {.size = sizeof(size_t)}; /* the merge's heap and heads */
    struct depot_run *runs = calloc(nd, sizeof *runs);
    size_t *global = malloc((nv + 1) * sizeof *global);
    fsim_sim_vehicle *vehicles = malloc((nv + 1) * sizeof *vehicles);
    size_t *count = calloc(nd + 1, sizeof *count);
    out->accounts = fsim_arena_calloc(arena, nv + 1, sizeof *out->accounts);
    out->depots = fsim_arena_calloc(arena, nd + 1, sizeof *out->depots);
    if (!runs || !global || !vehicles || !count || !out->accounts || !out->depots) {
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto out;
    }
    /* each depot's vehicles, in input order, one block per depot */
    for (size_t v = 0; v < nv; v++)
        count[in->vehicles[v].depot]++;
    for (size_t d = 0, at = 0; d < nd; d++) {
        runs[d].global = global + at;
        runs[d].in = *in;
        runs[d].in.vehicles = vehicles + at;
        runs[d].in.n_vehicles = 0;
        runs[d].in.depots = &in->depots[d];
        runs[d].in.n_depots = 1;
        runs[d].depot = d;
        at += count[d];
    }
    for (size_t v = 0; v < nv; v++) {
        struct depot_run *r = &runs[in->vehicles[v].depot];
        r->global[r->in.n_vehicles] = v;
        fsim_sim_vehicle *sv = (fsim_sim_vehicle *)&r->in.vehicles[r->in.n_vehicles++];
        *sv = in->vehicles[v];
        sv->depot = 0;
    }
    const size_t steps_per_day = (size_t)(86400 / in->step_s);
    for (size_t d = 0; d < nd && st == FSIM_OK; d++) {
        struct depot_run *r = &runs[d];
        for (int b = 0; b < 2; b++) {
            r->trips[b].size = sizeof(struct fsim__trip);
            r->events[b].size = sizeof(struct fsim__event);
            r->points[b].size = sizeof(struct fsim__point);
            r->order[b][0].size = r->order[b][1].size = sizeof(struct ord);
        }
        r->col = (struct fsim__collect){.in = &r->in, .raw_only = true, .raw_trip = keep_trip,
                                        .raw_event = keep_event, .raw_point = keep_point,
                                        .raw_user = r, .err = &r->err};
        if (col->series) { /* each depot writes its vehicles' columns of the one series */
            r->col.series = fsim_arena_calloc(arena, r->in.n_vehicles + 1, sizeof *r->col.series);
            if (!r->col.series) {
                st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
                break;
            }
            for (size_t v = 0; v < r->in.n_vehicles; v++)
                r->col.series[v] = col->series[r->global[v]];
            r->col.n_intervals = col->n_intervals;
        }
        r->out.col = &r->col;
        r->arena = fsim_arena_new();
        r->site_kw[0] = malloc(steps_per_day * sizeof *r->site_kw[0]);
        r->site_kw[1] = malloc(steps_per_day * sizeof *r->site_kw[1]);
        if (!r->arena || !r->site_kw[0] || !r->site_kw[1])
            st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        else
            st = fsim__engine_begin(&r->in, r->arena, &r->out, &r->eng, err);
    }
    const size_t n_steps = st == FSIM_OK ? fsim__engine_steps_total(runs[0].eng) : 0;
    /* day k runs (parity k & 1) while day k−1 is merged; the end closes the horizon as one
     * more "day" */
    struct day_run dr;
    struct pending prev = {.none = true};
    for (size_t from = 0, day = 0; st == FSIM_OK; day++) {
        const bool end = from >= n_steps;
        const size_t to = end ? from : from + steps_per_day < n_steps ? from + steps_per_day
                                                                      : n_steps;
        day_start(&dr, runs, nd, from, to, end, (int)(day & 1), threads);
        st = finish_day(in, runs, nd, &prev, steps_per_day, col, &scratch, out, progress,
                        progress_user, err);
        day_finish(&dr);
        for (size_t d = 0; d < nd && st == FSIM_OK; d++)
            if (runs[d].st != FSIM_OK) {
                st = runs[d].st;
                *err = runs[d].err;
            }
        prev = (struct pending){.from = from, .to = to, .end = end, .parity = (int)(day & 1)};
        if (end)
            break;
        from = to;
    }
    if (st == FSIM_OK)
        st = finish_day(in, runs, nd, &prev, steps_per_day, col, &scratch, out, progress,
                        progress_user, err);
    if (st == FSIM_OK)
        st = combine(in, runs, nd, arena, out, err);
    if (st == FSIM_OK && col->series)
        col->k_interval = runs[0].col.k_interval;
out:
    for (size_t d = 0; runs && d < nd; d++) {
        fsim__engine_release(runs[d].eng);
        for (int b = 0; b < 2; b++) {
            free(runs[d].trips[b].data);
            free(runs[d].events[b].data);
            free(runs[d].points[b].data);
            free(runs[d].order[b][0].data);
            free(runs[d].order[b][1].data);
            free(runs[d].site_kw[b]);
        }
        fsim_arena_free(runs[d].arena);
    }
    free(scratch.data);
    free(runs);
    free(global);
    free(vehicles);
    free(count);
    return st;
}
