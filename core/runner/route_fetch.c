/* A route given as waypoints → its reviewable GeoJSON: the routing service's line with the
 * elevation service's heights as third coordinates, one position per line so a reviewer's
 * diff reads as the road. The text depends only on the answers (no timestamps), so a rerun
 * from the cache writes the same bytes. Used by `fleetsim routes fetch` (to a file) and by
 * prepare for a route whose file was never fetched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/runner.h>
#include <fleetsim/services.h>

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
    fsim_svc_route r;
    fsim_status st = fsim_svc_route_fetch(svc, (const double(*)[2])route->waypoints,
                                          route->n_waypoints, hint, arena, &r, err);
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
