/* fleetsim — route geometry from GeoJSON, on the GEOS C API (the one place for geometry).
 *
 * Accepts a Feature, a FeatureCollection or a bare geometry; takes coordinates from
 * LineString, MultiLineString (parts joined in order) and Polygon (exterior ring).
 * Segment lengths are geodesic (haversine on the WGS84 mean radius); grade comes from the
 * third coordinate (elevation, metres), smoothed; a feature's `speed_kph` property applies
 * to the segments that feature contributes.
 *
 * What forms the path:
 * - LineString and MultiLineString features, in file order. A part that starts where the
 *   previous one ended does not repeat that point; a part that starts elsewhere is joined
 *   to it by a straight connecting segment, which takes the later feature's speed.
 * - A Polygon's exterior ring, only when the file holds no lines and exactly one Polygon that
 *   is not a depot area (a loop around a geofence). A Polygon beside lines is an error unless
 *   its properties say `"role": "depot"`.
 * - A Polygon feature with `"role": "depot"` (at most one) is the depot area, not the path:
 *   its centroid is exposed, and the path must start within FSIM_GEO_DEPOT_RADIUS_M of it.
 * Consecutive points closer than 1 mm (zero-length segments) are dropped.
 *
 * Grade: elevations are first smoothed by a moving average over distance — the mean of the
 * piecewise-linear elevation profile over a window of ±FSIM_GEO_GRADE_HALF_WINDOW_M around
 * each point, the window shrinking symmetrically near the ends — and the smoothed values are
 * differenced per segment (rise over horizontal run). A constant slope is recovered exactly;
 * survey noise and DEM steps of a few metres no longer produce spikes.
 *
 * Validation (errors name the source and a path such as
 * `features[2].geometry.coordinates[5]`): JSON syntax (line:column), object shapes, empty
 * geometries, positions (an array of 2 or 3 finite numbers, lon in [−180, 180], lat in
 * [−90, 90], elevation in [−1000, 10000] m, all path positions of the same dimension),
 * coordinate nesting depth, Polygon rings (closed, ≥ 4 positions, valid per GEOS),
 * `speed_kph` (a number in (0, 200]), and a path of at least two distinct points.
 * Unsupported: Point, MultiPoint, MultiPolygon, GeometryCollection, features without geometry. */
#ifndef FLEETSIM_GEO_H
#define FLEETSIM_GEO_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/arena.h>
#include <fleetsim/error.h>

/* Half-width of the elevation smoothing window (the window is twice this). */
#define FSIM_GEO_GRADE_HALF_WINDOW_M 50.0
/* How far from the depot area the route may start. */
#define FSIM_GEO_DEPOT_RADIUS_M 500.0
/* Earth's mean radius (IUGG R1 for WGS84), used by the haversine formula. */
#define FSIM_GEO_EARTH_RADIUS_M 6371008.8

/* A route as a polyline of n points and n−1 segments. All arrays are owned by the arena
 * the path was loaded into. speed_kph[i] is NaN where the feature gave no speed.
 * Code that builds a path by hand may leave distance_m NULL and the depot fields zero. */
typedef struct fsim_route_path {
    size_t n;            /* points (>= 2) */
    double *lon;         /* degrees */
    double *lat;         /* degrees */
    double *elevation_m; /* 0 where the GeoJSON had no third coordinate */
    double *segment_m;   /* n−1 geodesic segment lengths */
    double *grade;       /* n−1 smoothed grades (rise/run) */
    double *speed_kph;   /* n−1 per-segment speeds, NaN = route default */
    double length_m;     /* sum of segment_m */
    double *distance_m;  /* n distances from the first point along the path (0 first) */
    bool has_depot;      /* the file had a Polygon feature with "role": "depot" */
    double depot_lon;    /* the depot area's centroid, degrees; NaN without a depot */
    double depot_lat;
} fsim_route_path;

/* Parses GeoJSON text (`len` bytes; need not be NUL-terminated). `source` names it in
 * errors (a file name; may be NULL). On success *out is filled and its arrays belong to
 * `arena`; on failure *out is zeroed and `err` says what and where. */
fsim_status fsim_geo_parse(const char *geojson, size_t len, const char *source, fsim_arena *arena,
                           fsim_route_path *out, fsim_error *err);

/* Reads and parses a GeoJSON file; errors name `path` as their source. Parsed routes are
 * kept process-wide per (path, inode, size, mtime), so a long-lived process parses each
 * file once, and on disk under `<cache folder>/routes/` per the file's contents (see
 * fsim_cache_dir), so a new process skips the parse of a file seen before; a cache that
 * cannot be read or written is passed over silently. Thread-safe. */
fsim_status fsim_geo_load_file(const char *path, fsim_arena *arena, fsim_route_path *out,
                               fsim_error *err);

/* Great-circle distance in metres between two WGS84 points (haversine, R = 6371008.8 m). */
double fsim_geo_haversine_m(double lon1, double lat1, double lon2, double lat2);

/* Position at `distance_m` along the path (clamped to its ends), for reporting where a
 * vehicle stranded. Interpolates linearly within a segment. Uses path->distance_m when set,
 * else sums segment_m. An empty path (or NULL) gives NaN. */
void fsim_geo_point_at(const fsim_route_path *path, double distance_m, double *lon, double *lat);

#endif
