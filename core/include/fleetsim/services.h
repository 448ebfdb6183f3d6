/* fleetsim — the outside services a run or `fleetsim routes fetch` may ask: routing
 * (waypoints → a road-following line; Mapbox Directions v5 or OSRM), elevation (points →
 * metres; Open-Meteo) and weather (a place and a horizon → hourly air temperature;
 * Open-Meteo forecast and archive). docs/services.md.
 *
 * One handle (struct fsim_svc) holds the three services' base URLs, the HTTP client's
 * timeouts, retries and one circuit breaker per service, and the on-disk cache. Every
 * answer is cached content-addressed (SHA-256 of the request without credentials); with
 * `offline` the cache is the only source. The programs build the handle from the settings
 * (fsim_svc_options_from_settings) and inject it — CLI, API and worker alike — through
 * fsim_runner_options.services / fsim_services.svc. The handle is thread-safe.
 *
 * Errors (fsim_error.status):
 *   FSIM_USAGE        credentials missing or refused (401/403): names MAPBOX_ACCESS_TOKEN
 *   FSIM_INVALID      the service says the question has no answer (no route, bad input)
 *   FSIM_NOT_FOUND    offline and not in the cache: names the cache entry
 *   FSIM_UNAVAILABLE  no answer within the retries (5xx, 429, timeout, truncated body), or
 *                     the circuit breaker is open — retryable (job code service_unavailable) */
#ifndef FLEETSIM_SERVICES_H
#define FLEETSIM_SERVICES_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/arena.h>
#include <fleetsim/error.h>

/* Mapbox Directions: at most 25 coordinates per request; more are routed in chained
 * requests that share their end points. */
#define FSIM_SVC_MAX_WAYPOINTS 25
/* Open-Meteo elevation: at most 100 coordinates per request. */
#define FSIM_SVC_ELEVATION_BATCH 100

typedef enum fsim_svc_kind {
    FSIM_SVC_ROUTING,
    FSIM_SVC_ELEVATION,
    FSIM_SVC_WEATHER,
    FSIM_SVC_COUNT
} fsim_svc_kind;

typedef struct fsim_svc_options {
    const char *routing_url;       /* ".../directions/v5/mapbox" or OSRM's ".../route/v1" */
    const char *routing_profile;   /* "driving", "driving-traffic" */
    const char *mapbox_token;      /* NULL: none (an OSRM server needs none) */
    const char *elevation_url;
    const char *weather_url;       /* forecast */
    const char *weather_archive_url;
    const char *cache_dir;         /* NULL: no cache (then offline finds nothing) */
    bool offline;
    long timeout_s;                /* per attempt, whole request */
    int max_attempts;
    double backoff_initial_s;      /* doubling; default 0.5 */
    double backoff_max_s;          /* default 8; also caps a Retry-After */
    double min_interval_s;         /* per service between requests (rate limit); default 0.2 */
    int breaker_failures;          /* consecutive failed calls that open a breaker; default 5 */
    double breaker_open_s;         /* how long it stays open before one trial; default 30 */
} fsim_svc_options;

/* The options from the settings (FLEETSIM_ROUTING_URL, MAPBOX_ACCESS_TOKEN, …). The strings
 * are borrowed from the environment. FSIM_USAGE naming the variable when one is malformed. */
fsim_status fsim_svc_options_from_settings(fsim_svc_options *opts, fsim_error *err);

typedef struct fsim_svc fsim_svc;

/* NULL when out of memory. `opts` is copied (strings included). */
fsim_svc *fsim_svc_new(const fsim_svc_options *opts);
void fsim_svc_free(fsim_svc *svc); /* accepts NULL */
bool fsim_svc_offline(const fsim_svc *svc);

/* Circuit breaker of one service: "closed", "open" or "half-open" (tests, logs). */
const char *fsim_svc_breaker_state(fsim_svc *svc, fsim_svc_kind kind);

/* ---- Routing ------------------------------------------------------------------------------ */

typedef struct fsim_svc_route {
    size_t n;                      /* points of the line */
    double *lon, *lat;             /* in the caller's arena */
    double distance_m;             /* the service's own length of the route */
    double duration_s;
} fsim_svc_route;

/* Waypoints (n_waypoints ≥ 2, lon/lat pairs) → the road-following line, from the cache or
 * the service. `hint` (may be NULL) is the command that would fetch it ("`fleetsim routes
 * fetch ID`"), quoted in the offline and no-token errors; the same for the calls below. */
fsim_status fsim_svc_route_fetch(fsim_svc *svc, const double (*waypoints)[2],
                                 size_t n_waypoints, const char *hint, fsim_arena *arena,
                                 fsim_svc_route *out, fsim_error *err);

/* ---- Elevation ---------------------------------------------------------------------------- */

/* Metres above sea level of n points (lon[i], lat[i]) into out_m[n]. */
fsim_status fsim_svc_elevation(fsim_svc *svc, const double *lon, const double *lat, size_t n,
                               const char *hint, double *out_m, fsim_error *err);

/* ---- Weather ------------------------------------------------------------------------------ */

/* Hourly air temperature (°C, 2 m) at (lon, lat) for `hours` hours from `start` (Unix s,
 * truncated to the hour) into out_c[hours]. A horizon that ends more than five days before
 * today is asked of the archive, any other of the forecast. */
fsim_status fsim_svc_weather_hourly(fsim_svc *svc, double lon, double lat, double start,
                                    size_t hours, const char *hint, double *out_c,
                                    fsim_error *err);

#endif
