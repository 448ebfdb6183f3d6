/* Departure calendar: each vehicle's departures in the horizon, one at a time. The engine
 * asks for a vehicle's next departure when it leaves on the previous one, so a year of a
 * large fleet's timetable is never held in memory (one cursor per vehicle). */
#include "engine.h"

#include <math.h>
#include <stdint.h>

/* Floor division that is right for negative numerators too (times before the epoch,
 * negative UTC offsets). */
static long long floor_div(long long a, long long b)
{
    long long q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void fsim__schedule_init(const fsim_sim_input *in, struct fsim__schedule *sched)
{
    sched->start = (long long)floor(in->start);
    sched->end = sched->start + (long long)in->days * 86400;
    sched->step = in->step_s;
    sched->n_steps = (size_t)((sched->end - sched->start + sched->step - 1) / sched->step);
}

/* A cursor at the vehicle's first local day that overlaps the horizon. */
void fsim__schedule_cursor(const fsim_sim_input *in, const struct fsim__schedule *sched, size_t v,
                           struct fsim__dep_cursor *c)
{
    const long long offset = (long long)in->depots[in->vehicles[v].depot].utc_offset_minutes * 60;
    c->day = floor_div(sched->start + offset, 86400);
    c->idx = 0;
}

/* Why step "at or after": departures are HH:MM and the step need not divide the minute
 * grid (a 300 s step and 07:02); a vehicle cannot leave between two steps, so it leaves at
 * the first step boundary not before its scheduled time. Departures before the start or
 * at or after the end of the horizon are skipped. */
size_t fsim__schedule_next(const fsim_sim_input *in, const struct fsim__schedule *sched, size_t v,
                           struct fsim__dep_cursor *c)
{
    const fsim_sim_vehicle *veh = &in->vehicles[v];
    if (veh->n_departures == 0)
        return SIZE_MAX;
    const long long offset = (long long)in->depots[veh->depot].utc_offset_minutes * 60;
    const long long last_day = floor_div(sched->end - 1 + offset, 86400);
    for (;;) {
        if (c->idx >= veh->n_departures) {
            c->day++;
            c->idx = 0;
        }
        if (c->day > last_day)
            return SIZE_MAX;
        long long t = c->day * 86400 + (long long)veh->departure_minutes[c->idx++] * 60 - offset;
        if (t < sched->start || t >= sched->end)
            continue;
        size_t s = (size_t)((t - sched->start + sched->step - 1) / sched->step);
        if (s < sched->n_steps)
            return s;
    }
}
