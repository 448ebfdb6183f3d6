/* The routing, elevation and weather clients (core/services) against the fake server
 * (tests/fakes/services/fake_services.py, started by with_fake_services.sh): the real
 * client code path, every fault of docs/services.md "Faults" → its documented error or
 * retry within a bounded time, the circuit breaker opening and closing, the cache and the
 * offline mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include <fleetsim/job_error.h>
#include <fleetsim/services.h>

#include "check.h"

static const double WP[3][2] = {{-79.96, 40.47}, {-79.9402, 40.4795}, {-79.9251, 40.4703}};
static char fake[256];
static char cache_dir[512];
static int cache_n;

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    (void)p;
    (void)u;
    return s * n;
}

/* POST /control?… on the fake */
static void control(const char *query)
{
    char url[512];
    snprintf(url, sizeof url, "%s/control?%s", fake, query);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_perform(h);
    curl_easy_cleanup(h);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A handle with a fresh, empty cache and short timings. */
static fsim_svc *svc_new(const char *token, bool offline, int attempts)
{
    char routing[300], elevation[300], forecast[300], archive[300];
    snprintf(routing, sizeof routing, "%s/directions/v5/mapbox", fake);
    snprintf(elevation, sizeof elevation, "%s/v1/elevation", fake);
    snprintf(forecast, sizeof forecast, "%s/v1/forecast", fake);
    snprintf(archive, sizeof archive, "%s/v1/archive", fake);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/%d", cache_dir, ++cache_n);
    fsim_svc_options o = {.routing_url = routing, .routing_profile = "driving",
                          .mapbox_token = token, .elevation_url = elevation,
                          .weather_url = forecast, .weather_archive_url = archive,
                          .cache_dir = dir, .offline = offline, .timeout_s = 1,
                          .max_attempts = attempts, .backoff_initial_s = 0.05,
                          .backoff_max_s = 2, .min_interval_s = -1, .breaker_failures = 3,
                          .breaker_open_s = 1};
    return fsim_svc_new(&o);
}

static fsim_status route(fsim_svc *s, fsim_error *err)
{
    fsim_arena *a = fsim_arena_new();
    fsim_svc_route r;
    fsim_error_clear(err);
    fsim_status st = fsim_svc_route_fetch(s, WP, 3, "`fleetsim routes fetch north-3wp`", a, &r,
                                          err);
    fsim_arena_free(a);
    return st;
}

int main(void)
{
    const char *url = getenv("FAKE_SERVICES_URL");
    if (!url) {
        printf("1..0 # SKIP FAKE_SERVICES_URL unset (run under with_fake_services.sh)\n");
        return 0;
    }
    snprintf(fake, sizeof fake, "%s", url);
    snprintf(cache_dir, sizeof cache_dir, "%s", getenv("FLEETSIM_CACHE_DIR"));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    fsim_error err;
    fsim_status st;
    fsim_arena *arena = fsim_arena_new();

    /* the recorded route, end to end */
    fsim_svc *s = svc_new("pk.test", false, 3);
    fsim_svc_route r;
    st = fsim_svc_route_fetch(s, WP, 3, NULL, arena, &r, &err);
    CHECK(st == FSIM_OK, "route: %.300s",
          err.message);
    CHECK(r.n == 58, "the recorded line has 58 points (%zu)", r.n);
    CHECK_NEAR(r.distance_m, 5041.5, 1e-9, "the service's distance");
    double elev[100];
    st = fsim_svc_elevation(s, r.lon, r.lat, r.n, NULL, elev, &err);
    CHECK(st == FSIM_OK,
          "elevation: %.300s", err.message);
    CHECK_NEAR(elev[0], 248.0, 1e-9, "the first point's recorded elevation");
    double temps[168];
    st = fsim_svc_weather_hourly(s, -79.96, 40.47, 1767589200 /* 2026-01-05T05Z */, 168,
                                  NULL, temps, &err);
    CHECK(st == FSIM_OK,
          "weather (archive): %.300s", err.message);
    CHECK(temps[0] != temps[12], "hourly temperatures vary (%.1f, %.1f)", temps[0], temps[12]);
    /* a second ask is answered from the cache: the fake sees no request */
    control("fault=503&n=50");
    st = route(s, &err);
    CHECK(st == FSIM_OK, "cached: answered while the service fails");
    control("reset=1");

    /* an OSRM server: the same answer at /route/v1, and the token is not sent to it */
    {
        char osrm[300];
        snprintf(osrm, sizeof osrm, "%s/route/v1", fake);
        fsim_svc_options oo = {.routing_url = osrm, .routing_profile = "driving",
                               .mapbox_token = "pk.test", .cache_dir = cache_dir,
                               .timeout_s = 2, .max_attempts = 1, .min_interval_s = -1};
        fsim_svc *os = fsim_svc_new(&oo);
        fsim_svc_route orr;
        st = fsim_svc_route_fetch(os, WP, 3, NULL, arena, &orr, &err);
        CHECK(st == FSIM_OK && orr.n == 58, "an OSRM URL answers the same route: %.300s",
              err.message);
        fsim_svc_free(os);
    }

    /* more than 25 waypoints: chained requests of at most 25 (the fake answers 422 beyond) */
    {
        double many[30][2];
        for (int i = 0; i < 30; i++)
            many[i][0] = -79.96 + 0.001 * i, many[i][1] = 40.47;
        fsim_svc_route mr;
        st = fsim_svc_route_fetch(s, (const double(*)[2])many, 30, NULL, arena, &mr, &err);
        CHECK(st == FSIM_INVALID && strstr(err.message, "NoRoute") &&
                  !strstr(err.message, "Too many"),
              "30 waypoints go as requests of at most 25: %.300s", err.message);
    }
    control("reset=1");
    fsim_svc_free(s);

    /* 401: a refused token is named, not retried */
    s = svc_new("bad-token", false, 3);
    double t0 = now_s();
    st = route(s, &err);
    CHECK(st == FSIM_USAGE && strstr(err.message, "MAPBOX_ACCESS_TOKEN"),
          "401 → usage error naming MAPBOX_ACCESS_TOKEN: %.300s", err.message);
    CHECK(now_s() - t0 < 1, "401 is not retried");
    fsim_svc_free(s);

    /* 422: Mapbox's InvalidInput, named in its words */
    s = svc_new("pk.test", false, 3);
    control("fault=422&n=1");
    st = route(s, &err);
    CHECK(st == FSIM_INVALID && strstr(err.message, "InvalidInput"),
          "422 → invalid, in the service's words: %.300s", err.message);
    /* no route: Mapbox and OSRM answer 200 {"code": "NoRoute"} */
    fsim_svc_route nr;
    const double sea[2][2] = {{-40, 30}, {-41, 31}};
    st = fsim_svc_route_fetch(s, sea, 2, NULL, arena, &nr, &err);
    CHECK(st == FSIM_INVALID &&
              strstr(err.message, "NoRoute"),
          "NoRoute → invalid: %.300s", err.message);
    fsim_svc_free(s);

    /* 429 with Retry-After: waited for, then answered */
    s = svc_new("pk.test", false, 3);
    control("fault=429&n=1&seconds=1");
    t0 = now_s();
    st = route(s, &err);
    CHECK(st == FSIM_OK, "429 then 200 → answered: %.300s", err.message);
    double waited = now_s() - t0;
    CHECK(waited >= 0.95 && waited < 3, "Retry-After: 1 was honoured (%.2f s)", waited);
    fsim_svc_free(s);

    /* 5xx: retried with backoff; a persistent one → unavailable after the attempts */
    s = svc_new("pk.test", false, 3);
    control("fault=503&n=2");
    st = route(s, &err);
    CHECK(st == FSIM_OK, "two 503s then 200 → answered after retries");
    fsim_svc_free(s);
    s = svc_new("pk.test", false, 3);
    control("fault=500&n=3");
    t0 = now_s();
    st = route(s, &err);
    CHECK(st == FSIM_UNAVAILABLE && strstr(err.message, "HTTP 500") &&
              strstr(err.message, "after 3 attempts"),
          "500 × 3 → unavailable: %.300s", err.message);
    CHECK(now_s() - t0 < 2, "within the backoff budget (%.2f s)", now_s() - t0);
    fsim_svc_free(s);

    /* a body cut short: retried; every time → unavailable */
    s = svc_new("pk.test", false, 2);
    control("fault=truncate&n=1");
    st = route(s, &err);
    CHECK(st == FSIM_OK, "truncated once, then whole → answered: %.300s", err.message);
    control("fault=truncate&n=2");
    fsim_svc_route tr;
    const double other[2][2] = {{-79.96, 40.47}, {-79.9251, 40.4703}};
    st = fsim_svc_route_fetch(s, other, 2, NULL, arena, &tr, &err);
    CHECK(st == FSIM_UNAVAILABLE,
          "truncated every time → unavailable: %.300s", err.message);
    fsim_svc_free(s);

    /* a slow answer: the 1 s deadline cuts it, no hang */
    s = svc_new("pk.test", false, 2);
    control("fault=slow&n=2&seconds=4");
    t0 = now_s();
    st = route(s, &err);
    CHECK(st == FSIM_UNAVAILABLE && strstr(err.message, "curl 28"),
          "slow → timeout → unavailable: %.300s", err.message);
    CHECK(now_s() - t0 < 3.5, "no hang: %.2f s for two 1 s attempts", now_s() - t0);
    fsim_svc_free(s);

    /* the circuit breaker: 3 failed calls open it; it fails fast; after 1 s one trial call
     * closes it again */
    s = svc_new("pk.test", false, 1);
    control("fault=503&n=3");
    for (int i = 0; i < 3; i++)
        route(s, &err);
    CHECK_STR(fsim_svc_breaker_state(s, FSIM_SVC_ROUTING), "open", "3 failures open it");
    t0 = now_s();
    st = route(s, &err);
    CHECK(st == FSIM_UNAVAILABLE && strstr(err.message, "circuit open"),
          "open: fails fast without asking: %.300s", err.message);
    CHECK(now_s() - t0 < 0.1, "fast (%.3f s)", now_s() - t0);
    CHECK_STR(fsim_svc_breaker_state(s, FSIM_SVC_ELEVATION), "closed",
              "the elevation breaker is separate");
    struct timespec ts = {1, 100000000};
    nanosleep(&ts, NULL);
    CHECK_STR(fsim_svc_breaker_state(s, FSIM_SVC_ROUTING), "half-open", "after 1 s: half-open");
    st = route(s, &err);
    CHECK(st == FSIM_OK, "the trial call succeeds: %.300s", err.message);
    CHECK_STR(fsim_svc_breaker_state(s, FSIM_SVC_ROUTING), "closed", "and closes it");
    fsim_svc_free(s);

    /* offline: the cache only; a miss names the entry and the command */
    s = svc_new("pk.test", true, 3);
    st = route(s, &err);
    CHECK(st == FSIM_NOT_FOUND && strstr(err.message, "offline") &&
              strstr(err.message, "fleetsim routes fetch north-3wp") &&
              strstr(err.source, ".json"),
          "offline miss → not found naming the entry and the command: %.100s: %.300s", err.source,
          err.message);
    fsim_svc_free(s);

    /* no token against Mapbox itself, no cache: exit 2 naming the token and the command */
    fsim_svc_options o = {.routing_url = "https://api.mapbox.com/directions/v5/mapbox",
                          .routing_profile = "driving", .cache_dir = cache_dir};
    s = fsim_svc_new(&o);
    st = route(s, &err);
    CHECK(st == FSIM_USAGE && fsim_status_exit_code(err.status) == 2 &&
              strstr(err.message, "MAPBOX_ACCESS_TOKEN") &&
              strstr(err.message, "fleetsim routes fetch"),
          "no token, no cache → usage (exit 2): %.300s", err.message);
    fsim_svc_free(s);

    /* what a job stores when a service is down: service_unavailable, handed back */
    fsim_job_error code = fsim_job_error_from_status(FSIM_UNAVAILABLE);
    CHECK_STR(fsim_job_error_code(code), "service_unavailable",
              "an outage fails a job with service_unavailable");
    CHECK(fsim_job_error_retryable(code), "which is retryable");
    CHECK(fsim_job_error_from_status(FSIM_USAGE) == FSIM_JOB_ERR_INVALID_REQUEST,
          "a refused token is the request's (invalid_request, not retried)");

    fsim_arena_free(arena);
    curl_global_cleanup();
    return check_done();
}
