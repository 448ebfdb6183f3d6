/* Routing: waypoints → a road-following line, from Mapbox Directions v5 or any server that
 * answers as OSRM's /route/v1 does (Mapbox's API is OSRM's shape):
 *   GET {base}/{profile}/{lon,lat;lon,lat;…}?geometries=geojson&overview=full&steps=false
 * → {"code": "Ok", "routes": [{"geometry": {"type": "LineString", "coordinates": […]},
 *    "distance": m, "duration": s, …}], "waypoints": […]}. */
#include "svc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* "Ok" with a LineString of two points or more; "NoRoute", "NoSegment" and the like are the
 * question's fault, named in the service's words. */
static fsim_status check_route(const cJSON *body, fsim_error *err)
{
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(body, "code");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(body, "message");
    if (!cJSON_IsString(code) || strcmp(code->valuestring, "Ok") != 0)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, NULL,
                              "no route between the waypoints (%s%s%s)",
                              cJSON_IsString(code) ? code->valuestring : "no code",
                              cJSON_IsString(msg) ? ": " : "",
                              cJSON_IsString(msg) ? msg->valuestring : "");
    const cJSON *routes = cJSON_GetObjectItemCaseSensitive(body, "routes");
    const cJSON *r0 = cJSON_GetArrayItem(routes, 0);
    const cJSON *geom = cJSON_GetObjectItemCaseSensitive(r0, "geometry");
    const cJSON *coords = cJSON_GetObjectItemCaseSensitive(geom, "coordinates");
    if (!cJSON_IsArray(coords) || cJSON_GetArraySize(coords) < 2 ||
        !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r0, "distance")))
        return fsim_error_set(err, FSIM_UNAVAILABLE, NULL, 0, 0, NULL,
                              "routing service: the answer has no route geometry (ask for "
                              "geometries=geojson)");
    return FSIM_OK;
}

/* Mapbox's own host cannot answer without a token; any server speaking Mapbox's path
 * (/directions/v5/) gets the token when there is one; an OSRM server (/route/v1) never. */
static bool needs_token(const fsim_svc *s)
{
    return s->o.routing_url && strstr(s->o.routing_url, "mapbox.com") != NULL;
}

static bool sends_token(const fsim_svc *s)
{
    return s->o.routing_url && strstr(s->o.routing_url, "/directions/v5/") != NULL;
}

/* One request for at most FSIM_SVC_MAX_WAYPOINTS waypoints; its points are appended to
 * `out` (the first one skipped when it repeats the previous request's last). */
static fsim_status route_chunk(fsim_svc *s, const double (*wp)[2], size_t n, const char *hint,
                               fsim_arena *arena, fsim_svc_route *out, size_t *cap,
                               fsim_error *err)
{
    size_t len = strlen(s->o.routing_url) + strlen(s->o.routing_profile) + n * 26 + 128;
    char *url = malloc(len);
    if (!url)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    int k = snprintf(url, len, "%s/%s/", s->o.routing_url, s->o.routing_profile);
    for (size_t i = 0; i < n; i++)
        k += snprintf(url + k, len - (size_t)k, "%s%.6f,%.6f", i ? ";" : "", wp[i][0], wp[i][1]);
    snprintf(url + k, len - (size_t)k, "?geometries=geojson&overview=full&steps=false");
    cJSON *body = NULL;
    fsim_status st;
    if (needs_token(s) && !s->o.mapbox_token && !(body = fsim__cache_get(s, url))) {
        st = fsim_error_set(err, FSIM_USAGE, "MAPBOX_ACCESS_TOKEN", 0, 0, NULL,
                            "no cached route for %s and MAPBOX_ACCESS_TOKEN is not set: set it "
                            "(or FLEETSIM_ROUTING_URL to an OSRM server) and run %s",
                            url, hint ? hint : "`fleetsim routes fetch`");
        goto out;
    }
    if (!body && (st = fsim__svc_get_json(s, FSIM_SVC_ROUTING, url,
                                          sends_token(s) ? s->o.mapbox_token : NULL,
                                          check_route, hint, &body, err)) != FSIM_OK)
        goto out;
    if ((st = check_route(body, err)) != FSIM_OK)
        goto out;
    const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(body, "routes"), 0);
    const cJSON *coords = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r0, "geometry"), "coordinates");
    const cJSON *dur = cJSON_GetObjectItemCaseSensitive(r0, "duration");
    out->distance_m += cJSON_GetObjectItemCaseSensitive(r0, "distance")->valuedouble;
    out->duration_s += cJSON_IsNumber(dur) ? dur->valuedouble : 0;
    size_t m = (size_t)cJSON_GetArraySize(coords);
    if (out->n + m > *cap) {
        size_t nc = (out->n + m) * 2;
        double *lon = fsim_arena_calloc(arena, nc, sizeof *lon);
        double *lat = fsim_arena_calloc(arena, nc, sizeof *lat);
        if (!lon || !lat) {
            st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
            goto out;
        }
        if (out->n) {
            memcpy(lon, out->lon, out->n * sizeof *lon);
            memcpy(lat, out->lat, out->n * sizeof *lat);
        }
        out->lon = lon;
        out->lat = lat;
        *cap = nc;
    }
    const cJSON *pt;
    size_t i = 0;
    cJSON_ArrayForEach(pt, coords)
    {
        const cJSON *x = cJSON_GetArrayItem(pt, 0), *y = cJSON_GetArrayItem(pt, 1);
        if (!cJSON_IsNumber(x) || !cJSON_IsNumber(y)) {
            st = fsim_error_set(err, FSIM_UNAVAILABLE, url, 0, 0, NULL,
                                "routing service: coordinates[%zu] is not [lon, lat]", i);
            goto out;
        }
        i++;
        if (out->n && i == 1 && out->lon[out->n - 1] == x->valuedouble &&
            out->lat[out->n - 1] == y->valuedouble)
            continue;
        out->lon[out->n] = x->valuedouble;
        out->lat[out->n] = y->valuedouble;
        out->n++;
    }
out:
    cJSON_Delete(body);
    free(url);
    return st;
}

fsim_status fsim_svc_route_fetch(fsim_svc *s, const double (*wp)[2], size_t n,
                                 const char *hint, fsim_arena *arena, fsim_svc_route *out,
                                 fsim_error *err)
{
    *out = (fsim_svc_route){0};
    if (n < 2)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "waypoints",
                              "a route needs at least two waypoints");
    size_t cap = 0;
    /* chunks of at most 25 waypoints, each starting at the previous one's last */
    for (size_t first = 0; first + 1 < n; first += FSIM_SVC_MAX_WAYPOINTS - 1) {
        size_t m = n - first < FSIM_SVC_MAX_WAYPOINTS ? n - first : FSIM_SVC_MAX_WAYPOINTS;
        fsim_status st = route_chunk(s, wp + first, m, hint, arena, out, &cap, err);
        if (st != FSIM_OK)
            return st;
    }
    return FSIM_OK;
}
