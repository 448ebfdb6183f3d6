/* fleetsim — route geometry from GeoJSON, on the GEOS C API (the one place for geometry).
 *
 * Accepts a Feature, a FeatureCollection or a bare geometry; takes coordinates from
 * LineString, MultiLineString (parts joined in order) and Polygon (exterior ring).
 * Segment lengths are geodesic (haversine on the WGS84 mean radius); grade comes from the
 * third coordinate (elevation, metres), smoothed; a feature's `speed_kph` property applies
 * to the segments that feature contributes. */
#ifndef FLEETSIM_GEO_H
#define FLEETSIM_GEO_H

#include <stddef.h>

#include <fleetsim/arena.h>
#include <fleetsim/error.h>

/* A route as a polyline of n points and n−1 segments. All arrays are owned by the arena
 * the path was loaded into. speed_kph[i] is NaN where the feature gave no speed. */
typedef struct fsim_route_path {
    size_t n;            /* points (>= 2) */
    double *lon;         /* degrees */
    double *lat;         /* degrees */
    double *elevation_m; /* 0 where the GeoJSON had no third coordinate */
    double *segment_m;   /* n−1 geodesic segment lengths */
    double *grade;       /* n−1 smoothed grades (rise/run) */
    double *speed_kph;   /* n−1 per-segment speeds, NaN = route default */
    double length_m;     /* sum of segment_m */
} fsim_route_path;

/* Parses GeoJSON text. `source` names it in errors (a file name). */
fsim_status fsim_geo_parse(const char *geojson, size_t len, const char *source, fsim_arena *arena,
                           fsim_route_path *out, fsim_error *err);

/* Reads and parses a GeoJSON file. */
fsim_status fsim_geo_load_file(const char *path, fsim_arena *arena, fsim_route_path *out,
                               fsim_error *err);

/* Great-circle distance in metres between two WGS84 points (haversine, R = 6371008.8 m). */
double fsim_geo_haversine_m(double lon1, double lat1, double lon2, double lat2);

/* Position at `distance_m` along the path (clamped to its ends), for reporting where a
 * vehicle stranded. */
void fsim_geo_point_at(const fsim_route_path *path, double distance_m, double *lon, double *lat);

#endif
