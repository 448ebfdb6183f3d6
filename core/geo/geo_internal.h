/* Internal to core/geo: the point list the GeoJSON walker fills and the path arithmetic
 * (geo_path.c) that turns it into a fsim_route_path. */
#ifndef FLEETSIM_GEO_INTERNAL_H
#define FLEETSIM_GEO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/geo.h>

/* Consecutive points closer than this are one point (a zero-length segment is dropped). */
#define FSIM__GEO_MIN_SEGMENT_M 1e-3

/* Points in path order, heap-owned (malloc), growing by doubling. seg_m[i] and kph[i]
 * describe the segment that ends at point i (unused for i = 0). */
typedef struct fsim__geo_points {
    double *lon, *lat, *ele, *seg_m, *kph;
    size_t n, cap;
} fsim__geo_points;

/* Appends a point unless it lies within FSIM__GEO_MIN_SEGMENT_M of the last one.
 * Returns false only when out of memory. */
bool fsim__geo_points_push(fsim__geo_points *p, double lon, double lat, double ele, double kph);
void fsim__geo_points_release(fsim__geo_points *p);

/* Copies the points (n >= 2) into `arena` as a route path: distances, length, smoothed
 * grades and per-segment speeds. The depot fields are left to the caller. */
fsim_status fsim__geo_build_path(const fsim__geo_points *p, fsim_arena *arena,
                                 fsim_route_path *out, fsim_error *err);

/* Smoothed grade of each of the n−1 segments from n cumulative distances (strictly
 * increasing) and n elevations; see fleetsim/geo.h for the method. */
void fsim__geo_smooth_grades(size_t n, const double *dist, const double *ele, double half_window,
                             double *grade);

/* ---- The on-disk level of the route cache (geo_disk.c) ---------------------------------- */

/* The entry name for a route file's bytes: hex SHA-256 over a format tag, FSIM_VERSION and
 * the bytes' SHA-256. */
void fsim__geo_disk_key(const char *data, size_t len, char hex[65]);
/* The route stored under `key` in the cache folder, its arrays in `arena`; false when there
 * is no entry or it is not a complete, valid one (the caller parses, and overwrites it). */
bool fsim__geo_disk_load(const char *key, fsim_arena *arena, fsim_route_path *out);
/* Stores a parsed route under `key`, atomically; any failure is ignored. */
void fsim__geo_disk_store(const char *key, const fsim_route_path *route);

/* ---- For tests (geo_cache.c) ------------------------------------------------------------- */

/* Empties the in-memory level, as a fresh process would start. */
void fsim__geo_cache_forget(void);
/* How many times fsim_geo_load_file has parsed GeoJSON since the process started. */
unsigned long fsim__geo_cache_parses(void);

#endif
