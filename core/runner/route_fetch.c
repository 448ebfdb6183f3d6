/* A route given as waypoints → its reviewable GeoJSON: the routing service's line with the
 * elevation service's heights as third coordinates, one position per line so a reviewer's
 * diff reads as the road. The text depends only on the answers (no timestamps), so a rerun
 * from the cache writes the same bytes. Used by `fleetsim routes fetch` (to a file) and by
 * prepare for a route whose file was never fetched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include <fleetsim/geo.h>
#include <fleetsim/runner.h>
#include <fleetsim/services.h>

/* A routing service's overview line has a vertex where the road bends, so a straight road
 * can be one segment kilometres long; elevation is sampled at least this often along it,
 * so a hill between two bends still gives a grade (the DEM is 90 m, grades are smoothed
 * over ±50 m: FSIM_GEO_GRADE_HALF_WINDOW_M). */
#define ELEVATION_SPACING_M 100.0

struct text {
    char *s;
    size_t len, cap;
    bool nomem;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void add(struct text *t, const char *fmt, ...)
{
    if (t->nomem)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n >= 0 && t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 65536;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        char *s = realloc(t->s, cap);
        if (n < 0 || !s) {
            t->nomem = true;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
}

/* Points every ELEVATION_SPACING_M or closer: each longer segment split evenly (linear in
 * lon/lat, which changes a segment's length by far less than a millimetre at this scale). */
static fsim_status densify(const fsim_svc_route *in, fsim_arena *arena, fsim_svc_route *out,
                           fsim_error *err)
{
    size_t n = 1;
    for (size_t i = 1; i < in->n; i++)
        n += (size_t)ceil(fsim_geo_haversine_m(in->lon[i - 1], in->lat[i - 1], in->lon[i],
                                               in->lat[i]) / ELEVATION_SPACING_M) + 1;
    *out = *in;
    out->lon = fsim_arena_calloc(arena, n, sizeof(double));
    out->lat = fsim_arena_calloc(arena, n, sizeof(double));
    if (!out->lon || !out->lat)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    out->n = 0;
    for (size_t i = 0; i < in->n; i++) {
        if (i) {
            double d = fsim_geo_haversine_m(in->lon[i - 1], in->lat[i - 1], in->lon[i],
                                            in->lat[i]);
            size_t m = (size_t)ceil(d / ELEVATION_SPACING_M);
            for (size_t k = 1; k < m; k++) {
                out->lon[out->n] = in->lon[i - 1] + (in->lon[i] - in->lon[i - 1]) * (double)k /
                                                        (double)m;
                out->lat[out->n] = in->lat[i - 1] + (in->lat[i] - in->lat[i - 1]) * (double)k /
                                                        (double)m;
                out->n++;
            }
        }
        out->lon[out->n] = in->lon[i];
        out->lat[out->n] = in->lat[i];
        out->n++;
    }
    return FSIM_OK;
}

/* The text of a JSON string (route ids and URLs: no control characters expected). */
static void add_str(struct text *t, const char *s)
{
    add(t, "\"");
    for (; *s; s++)
        add(t, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
    add(t, "\"");
}

fsim_status fsim_runner_route_fetch(const fsim_route_def *route, fsim_svc *svc,
                                    const char *source_label, char **geojson,
                                    double *service_distance_m, fsim_error *err)
{
    *geojson = NULL;
    char hint[160];
    snprintf(hint, sizeof hint, "`fleetsim routes fetch %s`", route->id);
    if (!route->n_waypoints)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, route->id,
                              "route \"%s\" has no waypoints to fetch", route->id);
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    fsim_svc_route line, r;
    fsim_status st = fsim_svc_route_fetch(svc, (const double(*)[2])route->waypoints,
                                          route->n_waypoints, hint, arena, &line, err);
    if (st == FSIM_OK)
        st = densify(&line, arena, &r, err);
    double *elev = st == FSIM_OK ? fsim_arena_calloc(arena, r.n, sizeof *elev) : NULL;
    if (st == FSIM_OK && !elev)
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    if (st == FSIM_OK)
        st = fsim_svc_elevation(svc, r.lon, r.lat, r.n, hint, elev, err);
    if (st != FSIM_OK)
        goto out;
    struct text t = {0};
    add(&t, "{\"type\": \"FeatureCollection\",\n \"name\": ");
    add_str(&t, route->id);
    add(&t, ",\n \"generator\": \"fleetsim routes fetch\",\n \"features\": [\n  {\"type\": "
            "\"Feature\", \"properties\": {\"name\": ");
    add_str(&t, route->id);
    add(&t, ", \"source\": ");
    add_str(&t, source_label ? source_label : "routing service");
    add(&t, ", \"distanceM\": %.1f, \"durationS\": %.1f,\n   \"waypoints\": [", r.distance_m,
        r.duration_s);
    for (size_t i = 0; i < route->n_waypoints; i++)
        add(&t, "%s[%.6f, %.6f]", i ? ", " : "", route->waypoints[i][0],
            route->waypoints[i][1]);
    add(&t, "]},\n   \"geometry\": {\"type\": \"LineString\", \"coordinates\": [\n");
    for (size_t i = 0; i < r.n; i++)
        add(&t, "    [%.6f, %.6f, %.1f]%s\n", r.lon[i], r.lat[i], elev[i],
            i + 1 < r.n ? "," : "");
    add(&t, "   ]}}\n ]}\n");
    if (t.nomem) {
        free(t.s);
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto out;
    }
    *geojson = t.s;
    if (service_distance_m)
        *service_distance_m = r.distance_m;
out:
    fsim_arena_free(arena);
    return st;
}
