/* The in-memory result: the row sink that keeps every row, for the callers that need the
 * whole SimulationResult at once (the db envelope, compare, plan, report, --json). It is
 * one sink among others, so a streamed run and an in-memory one share every line of the
 * engine and of the summary, and a test compares their bytes. */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

struct rows_vec {
    char *data;
    size_t n, cap, size;
};

struct memory_sink {
    struct rows_vec v[4]; /* series, events, trips, vehicles */
    fsim_arena *arena;
};

/* Appends one row (copied: the engine's rows are borrowed for the call only). */
static fsim_status push(struct rows_vec *v, const void *row, fsim_error *err)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 256;
        char *grown = realloc(v->data, cap * v->size);
        if (!grown)
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        v->data = grown;
        v->cap = cap;
    }
    memcpy(v->data + v->n * v->size, row, v->size);
    v->n++;
    return FSIM_OK;
}

static fsim_status keep_point(void *user, const fsim_time_series_point *row, fsim_error *err)
{
    return push(&((struct memory_sink *)user)->v[0], row, err);
}

static fsim_status keep_event(void *user, const fsim_charging_event *row, fsim_error *err)
{
    return push(&((struct memory_sink *)user)->v[1], row, err);
}

/* A trip's strandedAt points at the engine's stack: the kept row gets a copy in the arena. */
static fsim_status keep_trip(void *user, const fsim_trip_result *row, fsim_error *err)
{
    struct memory_sink *s = user;
    fsim_trip_result r = *row;
    if (row->stranded_at) {
        fsim_lonlat *at = fsim_arena_alloc(s->arena, sizeof *at);
        if (!at)
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        *at = *row->stranded_at;
        r.stranded_at = at;
    }
    return push(&s->v[2], &r, err);
}

static fsim_status keep_vehicle(void *user, const fsim_vehicle_summary *row, fsim_error *err)
{
    return push(&((struct memory_sink *)user)->v[3], row, err);
}

/* The rows handed to the arena as they are, shrunk to their count plus one zeroed row (the
 * array is never NULL), not copied: a month of 10,000 vehicles is about 165 MB of rows,
 * and copying them was a tenth of the run, all of it on one thread after the engines. */
static void *settle(struct rows_vec *v, fsim_arena *arena, size_t *n)
{
    *n = v->n;
    char *a = realloc(v->data, (v->n + 1) * v->size);
    if (!a)
        return NULL; /* v->data is still the caller's to free */
    v->data = NULL;
    memset(a + v->n * v->size, 0, v->size);
    return fsim_arena_adopt(arena, a) ? a : NULL;
}

unsigned fsim_sim_outputs_of(const fsim_request_outputs *o)
{
    unsigned bits = FSIM_SIM_OUT_ALL;
    if (o && o->has_time_series && !o->time_series)
        bits &= ~(unsigned)FSIM_SIM_OUT_SERIES;
    if (o && o->has_charging_events && !o->charging_events)
        bits &= ~(unsigned)FSIM_SIM_OUT_EVENTS;
    if (o && o->has_trips && !o->trips)
        bits &= ~(unsigned)FSIM_SIM_OUT_TRIPS;
    if (o && o->has_vehicles && !o->vehicles)
        bits &= ~(unsigned)FSIM_SIM_OUT_VEHICLES;
    return bits;
}

fsim_status fsim_sim_run(const fsim_sim_input *in, fsim_arena *arena,
                         fsim_sim_progress_fn progress, void *progress_user, fsim_result *out,
                         fsim_error *err)
{
    struct memory_sink s = {{{.size = sizeof(fsim_time_series_point)},
                             {.size = sizeof(fsim_charging_event)},
                             {.size = sizeof(fsim_trip_result)},
                             {.size = sizeof(fsim_vehicle_summary)}},
                            arena};
    const fsim_sim_rows rows = {&s, keep_point, keep_event, keep_trip, keep_vehicle};
    fsim_status st = fsim_sim_run_rows(in, arena, progress, progress_user, &rows, out, err);
    if (st == FSIM_OK) {
        out->time_series_data = settle(&s.v[0], arena, &out->n_time_series_data);
        out->charging_events = settle(&s.v[1], arena, &out->n_charging_events);
        out->trips = settle(&s.v[2], arena, &out->n_trips);
        if (in->outputs & FSIM_SIM_OUT_VEHICLES)
            out->vehicles = settle(&s.v[3], arena, &out->n_vehicles);
        if (!out->time_series_data || !out->charging_events || !out->trips ||
            ((in->outputs & FSIM_SIM_OUT_VEHICLES) && !out->vehicles))
            st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    }
    for (int i = 0; i < 4; i++)
        free(s.v[i].data);
    return st;
}
