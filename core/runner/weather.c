/* A request's weather → each depot's hourly air temperature over the horizon, which
 * prepare turns into per-trip energy profiles and the time series reports. */
#include <stdio.h>
#include <string.h>

#include "runner_internal.h"

#include <fleetsim/geo.h>

/* Where to ask for a depot's weather: the spec's location, else the start of the first
 * route driven from the depot (its waypoints, or its file's first point). */
static fsim_status depot_location(const fsim_request *req, const fsim_config *cfg, size_t d,
                                  const fsim_weather_spec *w, fsim_arena *arena, double *lon,
                                  double *lat, fsim_error *err)
{
    if (w->location) {
        *lon = w->location->lon;
        *lat = w->location->lat;
        return FSIM_OK;
    }
    for (size_t g = 0; g < req->n_vehicles; g++) {
        if (strcmp(req->vehicles[g].depot, req->depots[d].id) != 0)
            continue;
        const fsim_route_def *r = fsim_config_route(cfg, req->vehicles[g].route_id);
        if (!r)
            continue;
        if (r->geojson_missing && r->n_waypoints) {
            *lon = r->waypoints[0][0];
            *lat = r->waypoints[0][1];
            return FSIM_OK;
        }
        fsim_route_path path;
        fsim_status st = fsim_geo_load_file(r->geojson_path, arena, &path, err);
        if (st != FSIM_OK)
            return st;
        *lon = path.lon[0];
        *lat = path.lat[0];
        return FSIM_OK;
    }
    char field[64];
    snprintf(field, sizeof field, "depots[%zu].weather.location", d);
    return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, field,
                          "depot \"%s\" drives no route: give the weather a location",
                          req->depots[d].id);
}

fsim_status fsim__runner_weather(const fsim_request *req, const fsim_config *cfg, fsim_svc *svc,
                                 const char *source, fsim_arena *arena, double **temps,
                                 fsim_error *err)
{
    const size_t hours = (size_t)req->days * 24;
    for (size_t d = 0; d < req->n_depots; d++) {
        const fsim_weather_spec *w = req->depots[d].weather ? req->depots[d].weather
                                                            : req->weather;
        temps[d] = NULL;
        if (!w)
            continue;
        double *t = fsim_arena_calloc(arena, hours, sizeof *t);
        if (!t)
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        if (w->hourly_temperature_c) {
            for (size_t h = 0; h < hours; h++)
                t[h] = w->hourly_temperature_c[h < w->n_hourly_temperature_c
                                                   ? h
                                                   : w->n_hourly_temperature_c - 1];
            temps[d] = t;
            continue;
        }
        if (!svc)
            return fsim_error_set(err, FSIM_INVALID, source, 0, 0,
                                  req->depots[d].weather ? "depots.weather" : "weather",
                                  "weather source \"%s\" needs the weather service, which "
                                  "this program was not given",
                                  w->source);
        double lon = 0, lat = 0;
        fsim_status st = depot_location(req, cfg, d, w, arena, &lon, &lat, err);
        if (st == FSIM_OK)
            st = fsim_svc_weather_hourly(svc, lon, lat, req->start, hours,
                                         "the same run without --offline (and "
                                         "FLEETSIM_OFFLINE unset)",
                                         t, err);
        if (st != FSIM_OK)
            return st;
        temps[d] = t;
    }
    return FSIM_OK;
}
