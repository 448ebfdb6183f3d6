/* Synthesizing a 1 Hz drive cycle from a route (see fleetsim/model.h).
 *
 * Algorithm. The route is cut into legs at the stops: one every 1/stopsPerKm km measured
 * from the start (k·spacing for k = 1, 2, … while more than 1 m short of the end; a stop
 * within 1 m of the end merges with the final stop), plus the final stop at the end. Each
 * leg starts and ends at rest; after every stop but the last the vehicle stands still for
 * dwellSeconds (rounded to whole seconds; the trip ends at the final stop, so no dwell there).
 *
 * Within a leg the speeds are chosen one second at a time, greedily: the next sample is the
 * highest speed v in [v_prev − brake, v_prev + accel] that keeps the future feasible:
 *   - stop: with samples at 1 s and trapezoidal distance, a leg from rest to rest covers
 *     exactly the sum of its interior samples. From v, braking at full `brake` adds at least
 *     S(v) = Σ_{k>=1, v−k·b>0} (v − k·b) more, so we need v + S(v) <= remaining distance.
 *     v + S(v) is piecewise linear and increasing, solved in closed form; once it binds, the
 *     following samples are forced to v − b, v − 2b, …, 0 and the leg ends at rest on the
 *     stop exactly (to rounding), so the trace integrates to the route length.
 *   - speed zones (runs of segments with one speed): a sample whose position is in a zone,
 *     or past a zone it skipped over, must not exceed the zone's speed; for a slower zone
 *     ahead, braking at full `brake` from v must bring the speed down to the zone's before
 *     any sample lands in it (look-ahead braking).
 *   All constraints are monotone in v (a higher v also puts the sample further on), so the
 *   largest feasible v is found directly in the common cases and by bisection otherwise.
 *   v_prev − brake is always feasible (by induction), so |Δv| stays within the limits.
 * Grade at step i (sample i−1 → i) is the distance-weighted mean of the grades of the
 * segments the vehicle covers during that second (the segment's grade when it is wholly on
 * one segment, its segment's when standing still), so the climb adds up to the elevation
 * change. Cost: O(samples × zones within braking distance) — microseconds per km. */
#include <fleetsim/geo.h>
#include <fleetsim/model.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

#define END_EPS_M 1e-9      /* remaining distance treated as zero */
#define ZONE_EPS_M 1e-6     /* margin before a slower zone, against rounding */
#define STOP_MERGE_M 1.0    /* a stop this close to the end is the final stop */
#define MAX_SAMPLES 50000000u

struct zone {
    double start, end; /* metres from the route start */
    double limit;      /* m/s */
};

/* The growing trace (malloc'd; copied into the caller's arena at the end). */
struct trace {
    double *v;
    size_t n, cap;
};

static bool trace_push(struct trace *t, double v)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        double *bigger = realloc(t->v, cap * sizeof *bigger);
        if (!bigger)
            return false;
        t->v = bigger;
        t->cap = cap;
    }
    t->v[t->n++] = v;
    return true;
}

/* Why the trace stopped growing: the length cap or memory. */
static fsim_status trace_error(const struct trace *t, fsim_error *err)
{
    if (t->n >= MAX_SAMPLES)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "route",
                              "the synthesized cycle would be longer than %u s", MAX_SAMPLES);
    return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
}

/* The largest v with v + S(v) <= r, S(v) = Σ_{k>=1, v−kb>0} (v − kb): the highest speed from
 * which full braking still stops within r metres of 1 Hz trapezoidal travel. On (Mb, (M+1)b]
 * v + S(v) = (M+1)v − b·M(M+1)/2, ranging over (b·M(M+1)/2, b·(M+1)(M+2)/2]. */
static double stop_speed(double r, double b)
{
    if (r <= 0)
        return 0;
    double x = r / b;
    double m = floor((sqrt(1.0 + 8.0 * x) - 1.0) * 0.5);
    if (m < 0)
        m = 0;
    while (m > 0 && m * (m + 1) * 0.5 >= x)
        m--;
    while ((m + 1) * (m + 2) * 0.5 < x)
        m++;
    return (r + b * m * (m + 1) * 0.5) / (m + 1);
}

/* Leg state for the zone constraints. */
struct leg {
    const struct zone *zones;
    size_t nz;
    size_t zi;        /* zone of the previous sample */
    double base;      /* position of the next sample for v = 0 */
    double stop_at;   /* end of the leg */
    double brake;
};

/* Whether a next sample at speed v respects every speed zone (see the file comment). */
static bool zones_ok(const struct leg *g, double v)
{
    double s = g->base + 0.5 * v;
    double reach = v + v * v / (2.0 * g->brake);
    for (size_t k = g->zi; k < g->nz; k++) {
        const struct zone *z = &g->zones[k];
        if (z->start > s + reach || z->start >= g->stop_at)
            break;
        if (v <= z->limit)
            continue;
        if (s >= z->start - ZONE_EPS_M)
            return false;
        double i = ceil((v - z->limit) / g->brake) - 1.0;
        if (s + i * v - 0.5 * g->brake * i * i >= z->start - ZONE_EPS_M)
            return false;
    }
    return true;
}

static fsim_status check_inputs(const fsim_route_path *path, const fsim_route_params *p,
                                fsim_error *err)
{
    const struct {
        const char *key;
        double value, min, max;
    } rules[] = {
        {"speedKph", p->speed_kph, 1e-3, 360},
        {"stopsPerKm", p->stops_per_km, 0, 1000},
        {"dwellSeconds", p->dwell_seconds, 0, 86400},
        {"accelMps2", p->accel_mps2, 1e-3, 50},
        {"brakeMps2", p->brake_mps2, 1e-3, 50},
    };
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
        double x = rules[i].value;
        if (!isfinite(x) || x < rules[i].min || x > rules[i].max)
            return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, rules[i].key,
                                  "must be between %g and %g, got %g", rules[i].min,
                                  rules[i].max, x);
    }
    if (!path || path->n < 2 || !path->segment_m || !path->grade || !path->speed_kph)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "route",
                              "a route needs at least two points");
    /* the segment's path ("segments[i]") is formatted only for an error: a route has
     * thousands of segments */
    char where[64];
    for (size_t i = 0; i + 1 < path->n; i++) {
        double len = path->segment_m[i], kph = path->speed_kph[i];
        const bool bad_len = !isfinite(len) || len < 0, bad_grade = !isfinite(path->grade[i]),
                   bad_kph = !isnan(kph) && !(kph >= 1e-3 && kph <= 360);
        if (!bad_len && !bad_grade && !bad_kph)
            continue;
        snprintf(where, sizeof where, "segments[%zu]", i);
        if (bad_len)
            return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, where,
                                  "length must be finite and >= 0, got %g", len);
        if (bad_grade)
            return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, where, "grade is not finite");
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, where,
                              "speed_kph must be between 0.001 and 360, got %g", kph);
    }
    return FSIM_OK;
}

/* Drives one leg from rest at `leg->base` to rest at `leg->stop_at`, appending the samples
 * after the starting one. */
static bool drive_leg(struct leg *g, double accel, double brake, struct trace *t)
{
    const double dist = g->stop_at - g->base;
    const double start = g->base;
    double sum = 0.0; /* interior samples so far = distance covered up to the last half step */
    double v_prev = 0.0, s_prev = start;
    for (;;) {
        double r = dist - sum;
        if (r <= END_EPS_M)
            return trace_push(t, 0.0);
        while (g->zi + 1 < g->nz && g->zones[g->zi].end <= s_prev)
            g->zi++;
        g->base = start + sum;
        double lo = v_prev > brake ? v_prev - brake : 0.0;
        double top = v_prev + accel;
        if (top + top * top / (2.0 * brake) > r) {
            double vs = stop_speed(r, brake);
            top = vs < top ? vs : top;
        }
        if (!zones_ok(g, top)) {
            double cap = g->zones[g->zi].limit;
            if (cap < top && cap > lo && zones_ok(g, cap)) {
                top = cap;
            } else {
                double ok = lo, bad = cap < top ? cap : top;
                if (zones_ok(g, bad))
                    ok = bad;
                else
                    for (int it = 0; it < 50 && bad - ok > 1e-12; it++) {
                        double mid = 0.5 * (ok + bad);
                        if (zones_ok(g, mid))
                            ok = mid;
                        else
                            bad = mid;
                    }
                top = ok;
            }
        }
        double v = top > lo ? top : lo;
        if (t->n >= MAX_SAMPLES || !trace_push(t, v))
            return false;
        s_prev = start + sum + 0.5 * v;
        sum += v;
        v_prev = v;
    }
}

/* Grade of each step: distance-weighted mean over the segments covered in that second. */
static void fill_grades(const fsim_route_path *path, const double *seg_end, size_t n,
                        const double *d, double *grade)
{
    size_t nseg = path->n - 1, si = 0;
    while (si + 1 < nseg && seg_end[si] <= 0.0)
        si++;
    grade[0] = path->grade[si];
    for (size_t i = 1; i < n; i++) {
        double x0 = d[i - 1], x1 = d[i];
        while (si + 1 < nseg && seg_end[si] <= x0)
            si++;
        if (x1 - x0 <= 1e-9) {
            grade[i] = path->grade[si];
            continue;
        }
        double acc = 0.0, lo = x0;
        for (size_t k = si;; k++) {
            bool last = k + 1 >= nseg;
            double hi = last || seg_end[k] > x1 ? x1 : seg_end[k];
            if (hi > lo)
                acc += path->grade[k] * (hi - lo);
            if (last || hi >= x1)
                break;
            lo = hi;
        }
        grade[i] = acc / (x1 - x0);
    }
}

fsim_status fsim_cycle_from_route(const struct fsim_route_path *path,
                                  const fsim_route_params *params, fsim_arena *arena,
                                  fsim_cycle *out, fsim_error *err)
{
    if (!params || !arena || !out)
        return fsim_error_set(err, FSIM_INTERNAL, NULL, 0, 0, NULL,
                              "route synthesis called without its inputs");
    fsim_status st = check_inputs(path, params, err);
    if (st != FSIM_OK)
        return st;

    struct trace t = {0};
    size_t nseg = path->n - 1;
    double *seg_end = malloc(nseg * sizeof *seg_end);
    struct zone *zones = malloc(nseg * sizeof *zones);
    if (!seg_end || !zones) {
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto out;
    }

    /* zones: runs of non-empty segments with one speed limit */
    size_t nz = 0;
    double acc = 0.0, default_mps = params->speed_kph / 3.6;
    for (size_t i = 0; i < nseg; i++) {
        double start = acc;
        acc += path->segment_m[i];
        seg_end[i] = acc;
        if (path->segment_m[i] <= 0)
            continue;
        double kph = path->speed_kph[i];
        double limit = isnan(kph) ? default_mps : kph / 3.6;
        if (nz > 0 && zones[nz - 1].limit == limit) {
            zones[nz - 1].end = acc;
        } else {
            zones[nz++] = (struct zone){start, acc, limit};
        }
    }
    const double length = acc;
    if (nz == 0 || !(length > 0)) {
        st = fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "route", "the route has zero length");
        goto out;
    }
    zones[nz - 1].end = INFINITY; /* rounding past the end stays in the last zone */

    const double spacing = params->stops_per_km > 0 ? 1000.0 / params->stops_per_km : INFINITY;
    const size_t dwell = (size_t)llround(params->dwell_seconds);
    struct leg g = {.zones = zones, .nz = nz, .zi = 0, .base = 0.0, .brake = params->brake_mps2};
    if (!trace_push(&t, 0.0)) {
        st = trace_error(&t, err);
        goto out;
    }
    for (size_t k = 1;; k++) {
        double stop = (double)k * spacing;
        bool final = !(stop < length - STOP_MERGE_M);
        g.base = k == 1 ? 0.0 : (double)(k - 1) * spacing;
        g.stop_at = final ? length : stop;
        if (!drive_leg(&g, params->accel_mps2, params->brake_mps2, &t)) {
            st = trace_error(&t, err);
            goto out;
        }
        if (final)
            break;
        for (size_t i = 0; i < dwell; i++)
            if (t.n >= MAX_SAMPLES || !trace_push(&t, 0.0)) {
                st = trace_error(&t, err);
                goto out;
            }
    }

    double *speed = fsim_arena_calloc(arena, t.n, sizeof *speed);
    double *grade = fsim_arena_calloc(arena, t.n, sizeof *grade);
    double *distance = fsim_arena_calloc(arena, t.n, sizeof *distance);
    if (!speed || !grade || !distance) {
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto out;
    }
    memcpy(speed, t.v, t.n * sizeof *speed);
    fsim__cycle_fill_distance(t.n, speed, distance);
    fill_grades(path, seg_end, t.n, distance, grade);
    out->n = t.n;
    out->speed_mps = speed;
    out->grade = grade;
    out->distance_m = distance;
out:
    free(t.v);
    free(zones);
    free(seg_end);
    return st;
}
