/* Unit tests for core/geo: haversine, GeoJSON shapes (lines, multi-lines, polygon loops,
 * feature collections with speeds and a depot area), grade smoothing, positions along a
 * path, the three bundled routes, and every kind of bad input with the place it names. */
#define _GNU_SOURCE
#include <fleetsim/arena.h>
#include <fleetsim/error.h>
#include <fleetsim/geo.h>

#include <ftw.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static char data_dir[1024];
static char source_root[1024];

/* 1° of arc on the mean sphere: 2πR / 360. */
static const double DEGREE_M = FSIM_GEO_EARTH_RADIUS_M * 3.14159265358979323846 / 180.0;

static fsim_status load(fsim_arena *a, const char *name, fsim_route_path *p, fsim_error *err)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/geo/%s", data_dir, name);
    fsim_error_clear(err);
    return fsim_geo_load_file(path, a, p, err);
}

static fsim_status parse(fsim_arena *a, const char *text, fsim_route_path *p, fsim_error *err)
{
    fsim_error_clear(err);
    return fsim_geo_parse(text, strlen(text), "inline.geojson", a, p, err);
}

static void test_haversine(void)
{
    CHECK_NEAR(fsim_geo_haversine_m(0, 0, 0, 1), 111195.08, 0.01,
               "one degree of latitude is 111.195 km");
    CHECK_NEAR(fsim_geo_haversine_m(-79.96, 40.0, -79.96, 41.0), DEGREE_M, 1e-6,
               "one degree of latitude is the same at 40 N");
    CHECK_NEAR(fsim_geo_haversine_m(0, 0, 1, 0), DEGREE_M, 1e-6,
               "one degree of longitude on the equator");
    CHECK_NEAR(fsim_geo_haversine_m(0, 60, 1, 60), DEGREE_M * 0.5, 1.0,
               "one degree of longitude at 60 N is about half");
    /* Rosetta Code's haversine task: Nashville BNA (36°7.2'N 86°40.2'W) to Los Angeles LAX
     * (33°56.4'N 118°24.0'W) is 2887.2599506 km with R = 6372.8 km; scaled to our radius. */
    double bna_lax = fsim_geo_haversine_m(-(86 + 40.2 / 60), 36 + 7.2 / 60, -(118 + 24.0 / 60),
                                          33 + 56.4 / 60);
    CHECK_NEAR(bna_lax, 2887259.9506 * FSIM_GEO_EARTH_RADIUS_M / 6372800.0, 0.5,
               "Nashville to Los Angeles matches the published great-circle distance");
    CHECK_NEAR(fsim_geo_haversine_m(179.5, 0, -179.5, 0), DEGREE_M, 1e-6,
               "across the antimeridian the short way");
    CHECK_NEAR(fsim_geo_haversine_m(0, 0, 180, 0), 180 * DEGREE_M, 1e-6,
               "antipodes are half the circumference apart");
}

static void test_line(fsim_arena *a)
{
    fsim_route_path p;
    fsim_error err;
    CHECK(load(a, "line.geojson", &p, &err) == FSIM_OK, "bare LineString loads");
    if (err.message[0])
        printf("# %s\n", err.message);
    CHECK(p.n == 3, "a repeated position is dropped (zero-length segment), n = %zu", p.n);
    CHECK_NEAR(p.length_m, DEGREE_M, 1e-6, "length of a 1-degree meridian line");
    CHECK_NEAR(p.segment_m[0], DEGREE_M / 2, 1e-6, "first segment is half a degree");
    CHECK_NEAR(p.distance_m[2], p.length_m, 1e-9, "cumulative distance ends at the length");
    CHECK(p.elevation_m[1] == 0.0 && p.grade[0] == 0.0, "2-D positions have elevation 0, grade 0");
    CHECK(isnan(p.speed_kph[0]), "no speed_kph gives NaN (route default)");
    CHECK(!p.has_depot && isnan(p.depot_lon), "no depot area");

    double lon, lat;
    fsim_geo_point_at(&p, DEGREE_M / 4, &lon, &lat);
    CHECK(lon == 0.0 && fabs(lat - 0.25) < 1e-9, "point_at a quarter of the way: lat %g", lat);
    fsim_geo_point_at(&p, -5, &lon, &lat);
    CHECK(lon == 0.0 && lat == 0.0, "point_at before the start clamps to the start");
    fsim_geo_point_at(&p, 1e9, &lon, &lat);
    CHECK(lon == 0.0 && lat == 1.0, "point_at past the end clamps to the end");
    fsim_route_path by_hand = p;
    by_hand.distance_m = NULL;
    fsim_geo_point_at(&by_hand, DEGREE_M * 0.75, &lon, &lat);
    CHECK(fabs(lat - 0.75) < 1e-9, "point_at without cumulative distances sums segments");
    fsim_geo_point_at(NULL, 10, &lon, &lat);
    CHECK(isnan(lon) && isnan(lat), "point_at on no path is NaN");
}

static void test_multiline(fsim_arena *a)
{
    fsim_route_path p;
    fsim_error err;
    CHECK(load(a, "multiline.geojson", &p, &err) == FSIM_OK, "MultiLineString loads");
    if (err.message[0])
        printf("# %s\n", err.message);
    CHECK(p.n == 5, "parts joined; the shared point appears once (n = %zu)", p.n);
    double leg = 0.01 * DEGREE_M;
    CHECK_NEAR(p.segment_m[0], leg, 1e-6, "first part");
    CHECK_NEAR(p.segment_m[1], leg, 0.01, "second part continues from the first");
    CHECK_NEAR(p.segment_m[2], leg, 0.01, "a gap between parts becomes a connecting segment");
    CHECK(p.elevation_m[2] == 30 && p.elevation_m[3] == 40, "elevations follow the points");
    CHECK(p.speed_kph[0] == 50 && p.speed_kph[3] == 50,
          "the feature's speed applies to all its parts");
    double lon, lat;
    fsim_geo_point_at(&p, 2.5 * leg, &lon, &lat);
    CHECK(fabs(lon - 0.015) < 1e-4 && fabs(lat - 0.01) < 1e-9,
          "point_at in the connecting segment (%g, %g)", lon, lat);
}

static void test_polygon_loop(fsim_arena *a)
{
    fsim_route_path p;
    fsim_error err;
    CHECK(load(a, "polygon_loop.geojson", &p, &err) == FSIM_OK, "a lone Polygon loads");
    if (err.message[0])
        printf("# %s\n", err.message);
    CHECK(p.n == 5 && p.lon[4] == p.lon[0] && p.lat[4] == p.lat[0],
          "its exterior ring is a closed loop path (n = %zu)", p.n);
    CHECK_NEAR(p.length_m, 0.01 * DEGREE_M * (2 + 2 * cos(0.01 * M_PI / 180)), 0.05,
               "loop length is the ring's perimeter");
}

static void test_speeds(fsim_arena *a)
{
    fsim_route_path p;
    fsim_error err;
    CHECK(load(a, "speeds.geojson", &p, &err) == FSIM_OK, "FeatureCollection loads");
    if (err.message[0])
        printf("# %s\n", err.message);
    CHECK(p.n == 6, "three features joined (n = %zu)", p.n);
    CHECK(p.speed_kph[0] == 30 && p.speed_kph[1] == 30, "street segments at 30 km/h");
    CHECK(p.speed_kph[2] == 90, "highway segment at 90 km/h");
    CHECK(isnan(p.speed_kph[3]) && isnan(p.speed_kph[4]),
          "a feature without speed_kph (and the connector into it) use the route default");
}

static void test_grade(fsim_arena *a)
{
    fsim_route_path p;
    fsim_error err;
    CHECK(load(a, "slope.geojson", &p, &err) == FSIM_OK, "ramp loads");
    if (err.message[0])
        printf("# %s\n", err.message);
    CHECK_NEAR(p.length_m, 1000.0, 0.01, "ramp is 1 km long");
    double worst = 0;
    for (size_t i = 0; i + 1 < p.n; i++)
        worst = fmax(worst, fabs(p.grade[i] - 0.05));
    CHECK(worst < 1e-5, "a constant 5 %% slope is recovered on every segment (worst error %g)",
          worst);

    CHECK(load(a, "slope_noisy.geojson", &p, &err) == FSIM_OK, "noisy ramp loads");
    if (err.message[0])
        printf("# %s\n", err.message);
    double raw = 0, smooth = 0;
    for (size_t i = 0; i + 1 < p.n; i++) {
        if (p.distance_m[i] < FSIM_GEO_GRADE_HALF_WINDOW_M ||
            p.distance_m[i + 1] > p.length_m - FSIM_GEO_GRADE_HALF_WINDOW_M)
            continue;
        raw = fmax(raw, fabs((p.elevation_m[i + 1] - p.elevation_m[i]) / p.segment_m[i] - 0.05));
        smooth = fmax(smooth, fabs(p.grade[i] - 0.05));
    }
    CHECK(raw > 0.03, "the raw noisy profile swings by %g around 5 %%", raw);
    CHECK(smooth < 0.005, "smoothing over 100 m brings it back within 0.5 %% (error %g)", smooth);
}

static void test_depot(fsim_arena *a)
{
    fsim_route_path p;
    fsim_error err;
    CHECK(load(a, "depot.geojson", &p, &err) == FSIM_OK, "route with a depot area loads");
    if (err.message[0])
        printf("# %s\n", err.message);
    CHECK(p.has_depot, "depot area found");
    CHECK_NEAR(p.depot_lon, 10.0, 1e-9, "depot centroid longitude");
    CHECK_NEAR(p.depot_lat, 50.0, 1e-9, "depot centroid latitude");
    CHECK(p.n == 2 && p.lon[0] == 10.0005, "the depot Polygon is not part of the path");
    CHECK(p.speed_kph[0] == 40, "the line keeps its speed");
}

static void test_parse_text(fsim_arena *a)
{
    fsim_route_path p;
    fsim_error err;
    const char *text = "\xEF\xBB\xBF{\"type\": \"Feature\", \"properties\": null, \"geometry\": "
                       "{\"type\": \"LineString\", \"coordinates\": [[0, 0, 1], [0, 0.001, 2]]}}";
    CHECK(parse(a, text, &p, &err) == FSIM_OK && p.n == 2,
          "a Feature with null properties and a UTF-8 BOM parses");
    const char *doc = "{\"type\":\"LineString\",\"coordinates\":[[0,0],[0,1]]}";
    char padded[128];
    snprintf(padded, sizeof padded, "%sgarbage", doc);
    CHECK(fsim_geo_parse(padded, strlen(doc), NULL, a, &p, &err) == FSIM_OK && p.n == 2,
          "only `len` bytes are read (text after them is ignored)");
    CHECK(load(a, "no-such-file.geojson", &p, &err) == FSIM_NOT_FOUND &&
              strstr(err.source, "no-such-file.geojson"),
          "a missing file is NOT_FOUND and names the file");
}

/* The bundled routes: each loads, with length, elevation, grade and speeds in band. */
static void test_bundled(fsim_arena *a)
{
    static const struct {
        const char *id;
        double km_min, km_max, kph_min, kph_max;
    } routes[] = {
        {"north-loop", 20, 30, 30, 50},
        {"suburban-loop", 40, 60, 50, 80},
        {"highway-run", 120, 180, 30, 110},
    };
    for (size_t r = 0; r < sizeof routes / sizeof *routes; r++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/config/routes/%s.geojson", source_root, routes[r].id);
        fsim_route_path p;
        fsim_error err;
        fsim_error_clear(&err);
        fsim_status st = fsim_geo_load_file(path, a, &p, &err);
        CHECK(st == FSIM_OK, "%s loads", routes[r].id);
        if (st != FSIM_OK) {
            printf("# %s\n", err.message);
            continue;
        }
        double km = p.length_m / 1000;
        CHECK(km >= routes[r].km_min && km <= routes[r].km_max, "%s is %.1f km (%g-%g)",
              routes[r].id, km, routes[r].km_min, routes[r].km_max);
        double lo = INFINITY, hi = -INFINITY, steep = 0, kmin = INFINITY, kmax = 0, gap = 0;
        for (size_t i = 0; i < p.n; i++) {
            lo = fmin(lo, p.elevation_m[i]);
            hi = fmax(hi, p.elevation_m[i]);
        }
        for (size_t i = 0; i + 1 < p.n; i++) {
            steep = fmax(steep, fabs(p.grade[i]));
            kmin = fmin(kmin, p.speed_kph[i]);
            kmax = fmax(kmax, p.speed_kph[i]);
            gap = fmax(gap, p.segment_m[i]);
        }
        CHECK(lo >= 200 && hi <= 420 && hi - lo >= 80,
              "%s elevation %.0f-%.0f m is Pittsburgh's (rivers ~220 m, hilltops ~380 m)",
              routes[r].id, lo, hi);
        CHECK(steep > 0.02 && steep < 0.10,
              "%s steepest smoothed grade %.1f %% is hilly but < 10 %%", routes[r].id,
              steep * 100);
        CHECK(gap <= 200, "%s points at most 200 m apart (%.0f m)", routes[r].id, gap);
        CHECK(kmin >= routes[r].kph_min && kmax <= routes[r].kph_max,
              "%s every segment has a speed in %g-%g km/h (%g-%g)", routes[r].id,
              routes[r].kph_min, routes[r].kph_max, kmin, kmax);
        CHECK(p.has_depot && fabs(p.depot_lat - 40.47) < 0.005 &&
                  fabs(p.depot_lon + 79.96) < 0.005,
              "%s depot `north` centroid near 40.47 N 79.96 W (%.5f, %.5f)", routes[r].id,
              p.depot_lat, p.depot_lon);
        double back = fsim_geo_haversine_m(p.lon[p.n - 1], p.lat[p.n - 1], p.depot_lon,
                                           p.depot_lat);
        CHECK(back < FSIM_GEO_DEPOT_RADIUS_M, "%s ends back at the depot (%.0f m)", routes[r].id,
              back);
        if (strcmp(routes[r].id, "highway-run") == 0)
            CHECK(kmax >= 100 && p.speed_kph[0] <= 50 && p.speed_kph[p.n / 2] <= 50,
                  "highway-run cruises at %g km/h with urban access at both ends", kmax);
    }
}

/* ------------------------------------------------------------------------------------------
 * Bad input: each file names its place (path, or line:column for JSON syntax) and says why. */

static void test_bad(fsim_arena *a)
{
    static const struct {
        const char *file;
        const char *path;    /* expected err.path */
        const char *message; /* substring of err.message */
        int line, column;    /* 0: not checked */
    } cases[] = {
        {"json_syntax.geojson", "", "invalid JSON: syntax error", 3, 11},
        {"json_trailing.geojson", "", "unexpected text after the document", 1, 57},
        {"empty_file.geojson", "", "empty GeoJSON document", 0, 0},
        {"not_object.geojson", "", "GeoJSON must be an object, got an array", 0, 0},
        {"no_type.geojson", "type", "missing", 0, 0},
        {"empty_linestring.geojson", "features[0].geometry.coordinates", "empty LineString", 0, 0},
        {"empty_multiline.geojson", "coordinates", "empty MultiLineString", 0, 0},
        {"nonfinite.geojson", "features[0].geometry.coordinates[1][2]", "must be a finite number",
         0, 0},
        {"lat_range.geojson", "coordinates[1][1]", "latitude must be between -90 and 90, got 95",
         0, 0},
        {"lon_range.geojson", "coordinates[1][0]",
         "longitude must be between -180 and 180, got 181", 0, 0},
        {"swapped.geojson", "coordinates[0][1]", "longitude and latitude swapped?", 0, 0},
        {"position_four.geojson", "coordinates[1]", "must have 2 or 3 numbers, got 4", 0, 0},
        {"position_string.geojson", "coordinates[1][1]", "must be a number, got a string", 0, 0},
        {"nesting_shallow.geojson", "coordinates[0]", "nested one level too shallow", 0, 0},
        {"nesting_deep.geojson", "coordinates[0]", "nested one level too deep", 0, 0},
        {"mixed_dims.geojson", "coordinates[1][0]",
         "mixes 2-D and 3-D positions: this one has 2 numbers, \"coordinates[0][0]\" has 3", 0,
         0},
        {"one_point.geojson", "coordinates", "at least two distinct points", 0, 0},
        {"single_position.geojson", "coordinates", "at least two positions, got 1", 0, 0},
        {"point.geojson", "features[1].geometry.type", "unsupported geometry type \"Point\"", 0,
         0},
        {"geometry_collection.geojson", "type",
         "unsupported geometry type \"GeometryCollection\"", 0, 0},
        {"unknown_type.geojson", "type", "unknown geometry type \"Linestring\"", 0, 0},
        {"bowtie.geojson", "coordinates", "invalid Polygon: Self-intersection", 0, 0},
        {"ring_open.geojson", "coordinates[0]", "must be closed", 0, 0},
        {"ring_short.geojson", "coordinates[0]", "at least 4 positions, got 3", 0, 0},
        {"null_geometry.geojson", "features[2].geometry", "is null", 0, 0},
        {"speed_string.geojson", "properties.speed_kph",
         "must be a number in (0, 200] km/h, got a string", 0, 0},
        {"speed_range.geojson", "features[1].properties.speed_kph", "got 250", 0, 0},
        {"speed_zero.geojson", "properties.speed_kph", "got 0", 0, 0},
        {"depot_far.geojson", "features[1].geometry.coordinates[0]",
         "the route starts 2113 m from the depot area \"features[0].geometry\"", 0, 0},
        {"two_depots.geojson", "features[1].geometry", "a second depot area", 0, 0},
        {"polygon_beside_lines.geojson", "features[1].geometry.coordinates",
         "a Polygon beside lines is ambiguous", 0, 0},
        {"depot_only.geojson", "", "holds only a depot area", 0, 0},
        {"depot_not_polygon.geojson", "geometry.type", "a depot area must be a Polygon", 0, 0},
        {"features_not_array.geojson", "features", "must be an array, got an object", 0, 0},
        {"elevation_range.geojson", "coordinates[1][2]", "elevation must be between", 0, 0},
        {"missing_coordinates.geojson", "coordinates", "missing", 0, 0},
        {"feature_not_feature.geojson", "features[0].type",
         "expected \"Feature\", got \"LineString\"", 0, 0},
        {"properties_array.geojson", "properties", "must be an object or null, got an array", 0,
         0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char name[128];
        snprintf(name, sizeof name, "bad/%s", cases[i].file);
        fsim_route_path p;
        fsim_error err;
        p.n = 99;
        fsim_status st = load(a, name, &p, &err);
        char text[1200];
        fsim_error_format(&err, text, sizeof text);
        int ok = st == FSIM_INVALID && strstr(err.source, cases[i].file) &&
                 strcmp(err.path, cases[i].path) == 0 && strstr(err.message, cases[i].message) &&
                 (!cases[i].line || (err.line == cases[i].line && err.column == cases[i].column)) &&
                 p.n == 0;
        CHECK(ok, "%s is refused at \"%s\": %s", cases[i].file, cases[i].path, cases[i].message);
        if (!ok)
            printf("# got %s: %s\n", fsim_status_name(st), text);
    }
}

static bool same_route(const fsim_route_path *x, const fsim_route_path *y)
{
    size_t n = x->n, m = x->n - 1;
    return x->n == y->n && x->length_m == y->length_m &&
           memcmp(x->lon, y->lon, n * sizeof(double)) == 0 &&
           memcmp(x->lat, y->lat, n * sizeof(double)) == 0 &&
           memcmp(x->elevation_m, y->elevation_m, n * sizeof(double)) == 0 &&
           memcmp(x->grade, y->grade, m * sizeof(double)) == 0 &&
           memcmp(x->segment_m, y->segment_m, m * sizeof(double)) == 0;
}

/* The process-wide cache of parsed files: a second load is the same route in the caller's
 * own arena (freeing the first arena does not touch it), and a file rewritten in place is
 * parsed again, never served stale. */
static void test_cache(void)
{
    char path[] = "/tmp/fsim-geo-cache-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        CHECK(0, "temp file");
        return;
    }
    fputs("{\"type\":\"LineString\",\"coordinates\":[[0,0,0],[0,0.01,10]]}", f);
    fclose(f);
    fsim_arena *a1 = fsim_arena_new(), *a2 = fsim_arena_new(), *a3 = fsim_arena_new();
    fsim_route_path p1, p2, p3;
    fsim_error err;
    CHECK(fsim_geo_load_file(path, a1, &p1, &err) == FSIM_OK, "first load parses");
    CHECK(fsim_geo_load_file(path, a2, &p2, &err) == FSIM_OK && same_route(&p1, &p2) &&
              p1.lon != p2.lon,
          "second load: the same route, in the caller's own arena");
    fsim_arena_free(a1);
    CHECK(p2.lat[1] == 0.01 && p2.elevation_m[1] == 10, "it outlives the first caller's arena");
    f = fopen(path, "w");
    if (f) {
        fputs("{\"type\":\"LineString\",\"coordinates\":[[0,0,0],[0,0.02,0],[0,0.03,5]]}", f);
        fclose(f);
    }
    fsim_status st = fsim_geo_load_file(path, a3, &p3, &err);
    CHECK(st == FSIM_OK && p3.n == 3 && p3.lat[2] == 0.03,
          "a rewritten file is parsed again (%zu points)", st == FSIM_OK ? p3.n : 0);
    remove(path);
    fsim_arena_free(a2);
    fsim_arena_free(a3);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int main(void)
{
    const char *d = getenv("FSIM_TEST_DATA");
    const char *r = getenv("FSIM_SOURCE_ROOT");
    snprintf(data_dir, sizeof data_dir, "%s", d ? d : "tests/data");
    snprintf(source_root, sizeof source_root, "%s", r ? r : ".");
    /* loads go through the route cache on disk: keep it out of the user's own */
    char cache[] = "/tmp/fsim-geo-test-cache-XXXXXX";
    if (!mkdtemp(cache))
        return 1;
    setenv("FLEETSIM_CACHE_DIR", cache, 1);
    fsim_arena *a = fsim_arena_new();
    if (!a)
        return 1;
    test_haversine();
    test_line(a);
    test_multiline(a);
    test_polygon_loop(a);
    test_speeds(a);
    test_grade(a);
    test_depot(a);
    test_parse_text(a);
    test_bundled(a);
    test_bad(a);
    test_cache();
    fsim_arena_free(a);
    nftw(cache, remove_one, 8, FTW_DEPTH | FTW_PHYS);
    return check_done();
}
