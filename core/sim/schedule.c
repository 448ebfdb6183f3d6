/* Departure calendar: every departure instant of every vehicle in the horizon, bucketed by
 * the step at which it happens, so the engine touches a vehicle only when it departs. */
#include "engine.h"

#include <math.h>

/* Floor division that is right for negative numerators too (times before the epoch,
 * negative UTC offsets). */
static long long floor_div(long long a, long long b)
{
    long long q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Why step "at or after": departures are HH:MM and the step need not divide the minute
 * grid (a 300 s step and 07:02); a vehicle cannot leave between two steps, so it leaves at
 * the first step boundary not before its scheduled time. */
fsim_status fsim__schedule_build(const fsim_sim_input *in, fsim_arena *arena,
                                 struct fsim__schedule *sched, fsim_error *err)
{
    const long long start = (long long)floor(in->start);
    const long long end = start + (long long)in->days * 86400;
    const long long step = in->step_s;
    sched->n_steps = (size_t)((end - start + step - 1) / step);
    sched->bucket_start = fsim_arena_calloc(arena, sched->n_steps + 1, sizeof(size_t));
    sched->vehicle_first = fsim_arena_calloc(arena, in->n_vehicles + 1, sizeof(size_t));
    if (!sched->bucket_start || !sched->vehicle_first)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");

    /* Pass 1 counts, pass 2 fills: the same loop body, so both agree by construction. */
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t *fill = NULL;
        if (pass == 1) {
            sched->n_departures = total;
            sched->step_of = fsim_arena_calloc(arena, total ? total : 1, sizeof(size_t));
            sched->by_step = fsim_arena_calloc(arena, total ? total : 1, sizeof(size_t));
            sched->vehicle_of = fsim_arena_calloc(arena, total ? total : 1, sizeof(size_t));
            fill = fsim_arena_calloc(arena, sched->n_steps + 1, sizeof(size_t));
            if (!sched->step_of || !sched->by_step || !sched->vehicle_of || !fill)
                return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
            for (size_t s = 0, acc = 0; s <= sched->n_steps; s++) {
                size_t c = sched->bucket_start[s];
                sched->bucket_start[s] = acc;
                fill[s] = acc;
                acc += c;
            }
        }
        size_t k = 0;
        for (size_t v = 0; v < in->n_vehicles; v++) {
            const fsim_sim_vehicle *veh = &in->vehicles[v];
            const long long offset = (long long)in->depots[veh->depot].utc_offset_minutes * 60;
            if (pass == 1)
                sched->vehicle_first[v] = k;
            long long first_day = floor_div(start + offset, 86400);
            long long last_day = floor_div(end - 1 + offset, 86400);
            for (long long day = first_day; day <= last_day; day++) {
                for (size_t d = 0; d < veh->n_departures; d++) {
                    long long t = day * 86400 + (long long)veh->departure_minutes[d] * 60 - offset;
                    if (t < start || t >= end)
                        continue;
                    size_t s = (size_t)((t - start + step - 1) / step);
                    if (s >= sched->n_steps)
                        continue;
                    if (pass == 0) {
                        sched->bucket_start[s]++;
                        total++;
                    } else {
                        sched->step_of[k] = s;
                        sched->vehicle_of[k] = v;
                        sched->by_step[fill[s]++] = k;
                    }
                    k++;
                }
            }
        }
        if (pass == 1)
            sched->vehicle_first[in->n_vehicles] = k;
    }
    return FSIM_OK;
}
