/* Path arithmetic: haversine lengths, the point list, elevation smoothing and grades, and
 * positions along a path. Everything here is O(n) in the number of points. */
#include "geo_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEG_TO_RAD (3.14159265358979323846 / 180.0)

double fsim_geo_haversine_m(double lon1, double lat1, double lon2, double lat2)
{
    double p1 = lat1 * DEG_TO_RAD, p2 = lat2 * DEG_TO_RAD;
    double sdp = sin(0.5 * (p2 - p1));
    double sdl = sin(0.5 * (lon2 - lon1) * DEG_TO_RAD);
    double a = sdp * sdp + cos(p1) * cos(p2) * sdl * sdl;
    if (a > 1.0)
        a = 1.0;
    return 2.0 * FSIM_GEO_EARTH_RADIUS_M * asin(sqrt(a));
}

/* ------------------------------------------------------------------------------------------
 * The point list */

static bool points_grow(fsim__geo_points *p)
{
    size_t cap = p->cap ? 2 * p->cap : 256;
    double **arrays[] = {&p->lon, &p->lat, &p->ele, &p->seg_m, &p->kph};
    for (size_t k = 0; k < sizeof arrays / sizeof *arrays; k++) {
        double *grown = realloc(*arrays[k], cap * sizeof **arrays[k]);
        if (!grown)
            return false; /* the arrays already grown stay valid; cap is unchanged */
        *arrays[k] = grown;
    }
    p->cap = cap;
    return true;
}

bool fsim__geo_points_push(fsim__geo_points *p, double lon, double lat, double ele, double kph)
{
    double seg = 0.0;
    if (p->n > 0) {
        seg = fsim_geo_haversine_m(p->lon[p->n - 1], p->lat[p->n - 1], lon, lat);
        if (seg < FSIM__GEO_MIN_SEGMENT_M)
            return true;
    }
    if (p->n == p->cap && !points_grow(p))
        return false;
    p->lon[p->n] = lon;
    p->lat[p->n] = lat;
    p->ele[p->n] = ele;
    p->seg_m[p->n] = seg;
    p->kph[p->n] = kph;
    p->n++;
    return true;
}

void fsim__geo_points_release(fsim__geo_points *p)
{
    if (!p)
        return;
    free(p->lon);
    free(p->lat);
    free(p->ele);
    free(p->seg_m);
    free(p->kph);
    memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------------------------------------
 * Grade */

/* Integral of the piecewise-linear elevation from distance 0 to x, with x in segment j
 * (dist[j] <= x <= dist[j+1]); cum[j] is the integral up to dist[j]. */
static double integral_at(const double *dist, const double *ele, const double *cum, size_t j,
                          double x)
{
    double len = dist[j + 1] - dist[j];
    double u = x - dist[j];
    double slope = (ele[j + 1] - ele[j]) / len;
    return cum[j] + u * (ele[j] + 0.5 * u * slope);
}

/* Moves segment index *j forward until x lies in segment *j (x is non-decreasing across
 * calls, which makes the whole smoothing pass linear). */
static void advance(const double *dist, size_t nseg, size_t *j, double x)
{
    while (*j + 1 < nseg && dist[*j + 1] < x)
        (*j)++;
}

/* Why a window mean and not a point filter: points are unevenly spaced (50 m in town, 200 m
 * on a highway), so averaging the profile over distance weighs each metre of road equally.
 * The window is symmetric (half-width min(h, d, L − d)) so a straight slope stays exact at
 * the ends too. Both window edges only move forward, hence two pointers and O(n). */
void fsim__geo_smooth_grades(size_t n, const double *dist, const double *ele, double half_window,
                             double *grade)
{
    if (n < 2)
        return;
    size_t nseg = n - 1;
    double *cum = malloc(n * sizeof *cum);
    double *smooth = malloc(n * sizeof *smooth);
    if (!cum || !smooth) {
        /* Unsmoothed grades rather than none: the caller has no error path for this. */
        for (size_t i = 0; i < nseg; i++)
            grade[i] = (ele[i + 1] - ele[i]) / (dist[i + 1] - dist[i]);
        goto out;
    }
    cum[0] = 0.0;
    for (size_t i = 0; i < nseg; i++)
        cum[i + 1] = cum[i] + 0.5 * (ele[i] + ele[i + 1]) * (dist[i + 1] - dist[i]);
    double total = dist[nseg];
    size_t ja = 0, jb = 0;
    for (size_t i = 0; i < n; i++) {
        double d = dist[i];
        double w = half_window;
        if (d < w)
            w = d;
        if (total - d < w)
            w = total - d;
        if (!(w > 1e-6)) {
            smooth[i] = ele[i];
            continue;
        }
        double a = d - w, b = d + w;
        advance(dist, nseg, &ja, a);
        advance(dist, nseg, &jb, b);
        smooth[i] = (integral_at(dist, ele, cum, jb, b) - integral_at(dist, ele, cum, ja, a)) /
                    (b - a);
    }
    for (size_t i = 0; i < nseg; i++)
        grade[i] = (smooth[i + 1] - smooth[i]) / (dist[i + 1] - dist[i]);
out:
    free(cum);
    free(smooth);
}

/* ------------------------------------------------------------------------------------------
 * The path */

fsim_status fsim__geo_build_path(const fsim__geo_points *p, fsim_arena *arena,
                                 fsim_route_path *out, fsim_error *err)
{
    size_t n = p->n;
    fsim_route_path r = {0};
    r.n = n;
    r.lon = fsim_arena_calloc(arena, n, sizeof *r.lon);
    r.lat = fsim_arena_calloc(arena, n, sizeof *r.lat);
    r.elevation_m = fsim_arena_calloc(arena, n, sizeof *r.elevation_m);
    r.distance_m = fsim_arena_calloc(arena, n, sizeof *r.distance_m);
    r.segment_m = fsim_arena_calloc(arena, n - 1, sizeof *r.segment_m);
    r.grade = fsim_arena_calloc(arena, n - 1, sizeof *r.grade);
    r.speed_kph = fsim_arena_calloc(arena, n - 1, sizeof *r.speed_kph);
    if (!r.lon || !r.lat || !r.elevation_m || !r.distance_m || !r.segment_m || !r.grade ||
        !r.speed_kph)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    memcpy(r.lon, p->lon, n * sizeof *r.lon);
    memcpy(r.lat, p->lat, n * sizeof *r.lat);
    memcpy(r.elevation_m, p->ele, n * sizeof *r.elevation_m);
    double d = 0.0;
    for (size_t i = 1; i < n; i++) {
        r.segment_m[i - 1] = p->seg_m[i];
        r.speed_kph[i - 1] = p->kph[i];
        d += p->seg_m[i];
        r.distance_m[i] = d;
    }
    r.length_m = d;
    fsim__geo_smooth_grades(n, r.distance_m, r.elevation_m, FSIM_GEO_GRADE_HALF_WINDOW_M,
                            r.grade);
    r.depot_lon = r.depot_lat = NAN;
    *out = r;
    return FSIM_OK;
}

/* Linear interpolation in degrees, taking the short way across the antimeridian. */
static void lerp_lonlat(double lon0, double lat0, double lon1, double lat1, double t,
                        double *lon, double *lat)
{
    double dl = lon1 - lon0;
    if (dl > 180.0)
        dl -= 360.0;
    else if (dl < -180.0)
        dl += 360.0;
    double x = lon0 + t * dl;
    if (x > 180.0)
        x -= 360.0;
    else if (x < -180.0)
        x += 360.0;
    *lon = x;
    *lat = lat0 + t * (lat1 - lat0);
}

void fsim_geo_point_at(const fsim_route_path *path, double distance_m, double *lon, double *lat)
{
    double x = NAN, y = NAN;
    if (!path || path->n == 0 || !path->lon || !path->lat)
        goto out;
    x = path->lon[0];
    y = path->lat[0];
    if (path->n == 1 || !(distance_m > 0.0)) /* also NaN */
        goto out;
    size_t nseg = path->n - 1;
    size_t j;
    double start;
    if (path->distance_m) {
        if (distance_m >= path->distance_m[nseg]) {
            x = path->lon[nseg];
            y = path->lat[nseg];
            goto out;
        }
        size_t lo = 0, hi = nseg; /* find the last j with distance_m[j] <= distance */
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (path->distance_m[mid] <= distance_m)
                lo = mid;
            else
                hi = mid;
        }
        j = lo;
        start = path->distance_m[j];
    } else {
        start = 0.0;
        for (j = 0; j < nseg && start + path->segment_m[j] <= distance_m; j++)
            start += path->segment_m[j];
        if (j == nseg) {
            x = path->lon[nseg];
            y = path->lat[nseg];
            goto out;
        }
    }
    double len = path->segment_m ? path->segment_m[j] : 0.0;
    double t = len > 0.0 ? (distance_m - start) / len : 0.0;
    if (t > 1.0)
        t = 1.0;
    lerp_lonlat(path->lon[j], path->lat[j], path->lon[j + 1], path->lat[j + 1], t, &x, &y);
out:
    if (lon)
        *lon = x;
    if (lat)
        *lat = y;
}
