/* Per-trip temperature (docs/services.md "Weather"): a winter week with an explicit hourly
 * series, run through the real runner and engine. Each trip's energy is the energy model's
 * at its departure hour's temperature (whole degrees): a night trip's HVAC load is higher
 * than an afternoon trip's by what fsim_aux_power_kw says, and the time series reports the
 * temperature. No service is asked (the series is given). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/config.h>
#include <fleetsim/geo.h>
#include <fleetsim/model.h>
#include <fleetsim/runner.h>
#include <fleetsim/wire.h>

#include "check.h"

#define HOURS (7 * 24)
#define START 1767589200.0 /* 2026-01-05T05:00:00Z */

/* The fixture's January at the north depot (tests/fakes/services/make_fixtures.py): a day-
 * night swing of ±5 °C around −3 °C, coldest at 08:00 UTC, warmest at 20:00 UTC. */
static double temp_at(size_t h)
{
    double utc_h = fmod(5.0 + (double)h, 24.0);
    double day = 5.0 + floor((5.0 + (double)h) / 24.0);
    return round((-3.0 + 5.0 * sin(2 * M_PI * (utc_h - 14) / 24) + 1.5 * sin(day / 3.0)) * 10) /
           10;
}

static char *request_json(bool weather)
{
    size_t cap = 16384;
    char *s = malloc(cap);
    int k = snprintf(s, cap,
                     "{\"fleetId\": \"3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10\", \"start\": "
                     "\"2026-01-05T05:00:00Z\", \"days\": 7, \"stepSeconds\": 60, "
                     "\"outputIntervalSeconds\": 900, \"strategy\": \"balanced\", "
                     "\"ambientTemperatureC\": -5, \"depots\": [{\"id\": \"north\", "
                     "\"utcOffsetMinutes\": -300, \"chargers\": [{\"type\": \"dc-150kw\", "
                     "\"count\": 4}]}], \"vehicles\": [{\"type\": \"transit-bus\", \"count\": "
                     "2, \"depot\": \"north\", \"routeId\": \"north-loop\", \"departures\": "
                     "[\"05:30\", \"16:00\"], \"initialSoc\": 0.95, \"targetSoc\": 1.0}]");
    if (weather) {
        k += snprintf(s + k, cap - (size_t)k, ", \"weather\": {\"hourlyTemperatureC\": [");
        for (size_t h = 0; h < HOURS; h++)
            k += snprintf(s + k, cap - (size_t)k, "%s%.1f", h ? ", " : "", temp_at(h));
        k += snprintf(s + k, cap - (size_t)k, "]}");
    }
    snprintf(s + k, cap - (size_t)k, "}");
    return s;
}

static fsim_result *run(const char *config_dir, bool weather, fsim_arena *arena)
{
    char *json = request_json(weather);
    fsim_request *req = NULL;
    fsim_result *res = NULL;
    fsim_error err;
    fsim_runner_options opts = {.config_dir = config_dir, .source = "winter-week"};
    if (fsim_wire_decode(FSIM_WIRE_REQUEST, json, strlen(json), "winter-week", 0, arena,
                         (void **)&req, &err) != FSIM_OK ||
        fsim_runner_run(req, &opts, arena, &res, &err) != FSIM_OK)
        printf("# %s: %s\n", err.path, err.message);
    free(json);
    return res;
}

int main(void)
{
    const char *root = getenv("FSIM_SOURCE_ROOT");
    char config_dir[512];
    snprintf(config_dir, sizeof config_dir, "%s/config", root ? root : ".");
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    fsim_result *w = run(config_dir, true, arena);
    fsim_result *c = run(config_dir, false, arena);
    CHECK(w && c, "both runs succeed");
    if (!w || !c)
        return check_done();

    /* the model, independently: the route's cycle integrated at a temperature */
    fsim_config *cfg = NULL;
    fsim_config_load(config_dir, NULL, NULL, &cfg, &err);
    const fsim_vehicle_type *bus = fsim_config_vehicle(cfg, "transit-bus");
    const fsim_route_def *route = fsim_config_route(cfg, "north-loop");
    fsim_route_path path;
    fsim_cycle cycle;
    fsim_geo_load_file(route->geojson_path, arena, &path, &err);
    fsim_cycle_from_route(&path, &route->params, arena, &cycle, &err);

    size_t checked = 0, night = 0, day = 0;
    double night_kwh = 0, day_kwh = 0, night_c = 0, day_c = 0;
    bool all_match = true;
    for (size_t i = 0; i < w->n_trips; i++) {
        const fsim_trip_result *t = &w->trips[i];
        if (t->status != FSIM_TRIP_COMPLETED)
            continue;
        size_t h = (size_t)((t->depart - START) / 3600.0);
        double temp = (double)lround(temp_at(h));
        fsim_energy_profile prof;
        fsim_energy_totals tot;
        fsim_energy_integrate(&bus->params, &cycle, temp, arena, &prof, &tot, &err);
        double expect = prof.cum_kwh[prof.n - 1];
        if (fabs(t->energy_kwh - expect) > 2e-6) {
            all_match = false;
            printf("# trip %zu at %.0f °C: %.6f kWh, the model says %.6f\n", i, temp,
                   t->energy_kwh, expect);
        }
        checked++;
        bool is_night = fmod((t->depart - START) / 3600.0 + 5.0, 24.0) < 12; /* 10:30 UTC */
        if (is_night) {
            night++, night_kwh += t->energy_kwh, night_c += temp;
        } else {
            day++, day_kwh += t->energy_kwh, day_c += temp;
        }
    }
    CHECK(checked >= 20 && all_match,
          "each of %zu trips uses the model's energy at its departure hour's temperature",
          checked);
    night_kwh /= (double)night, day_kwh /= (double)day, night_c /= (double)night,
        day_c /= (double)day;
    double hvac_night = fsim_aux_power_kw(&bus->params, night_c);
    double hvac_day = fsim_aux_power_kw(&bus->params, day_c);
    printf("# early trips: %.1f °C, %.3f kWh, HVAC %.2f kW; afternoon: %.1f °C, %.3f kWh, "
           "HVAC %.2f kW\n",
           night_c, night_kwh, hvac_night, day_c, day_kwh, hvac_day);
    CHECK(night_c < day_c && hvac_night > hvac_day, "the 05:30 trips are colder: more HVAC");
    CHECK(night_kwh > day_kwh, "and use more energy than the 16:00 trips (%.3f > %.3f kWh)",
          night_kwh, day_kwh);
    double trip_h = (double)(cycle.n - 1) / 3600.0;
    CHECK(night_kwh - day_kwh > 0.8 * (hvac_night - hvac_day) * trip_h,
          "the difference is mostly the HVAC's (%.3f kWh, HVAC alone %.3f)",
          night_kwh - day_kwh, (hvac_night - hvac_day) * trip_h);

    /* the week is warmer than the constant −5 °C at the trips' hours: less energy */
    double mean = 0;
    for (size_t i = 0; i < w->n_trips; i++)
        mean += temp_at((size_t)((w->trips[i].depart - START) / 3600.0)) / (double)w->n_trips;
    CHECK(mean > -5 && w->summary.energy_used_kwh < c->summary.energy_used_kwh,
          "trips at %.1f °C on average use less than at a constant -5 °C (%.3f < %.3f kWh)",
          mean, w->summary.energy_used_kwh, c->summary.energy_used_kwh);

    /* the time series carries the temperature; without weather it does not */
    bool has = w->n_time_series_data > 0, right = true;
    for (size_t i = 0; i < w->n_time_series_data; i++) {
        const fsim_time_series_point *p = &w->time_series_data[i];
        has = has && p->has_temperature_c;
        right = right && p->temperature_c == temp_at((size_t)((p->t - START) / 3600.0));
    }
    CHECK(has && right, "every time-series point has its hour's temperatureC");
    CHECK(c->n_time_series_data && !c->time_series_data[0].has_temperature_c,
          "a run without weather has no temperatureC");
    char *enc = fsim_wire_encode(FSIM_WIRE_RESULT, w, 0, NULL);
    CHECK(enc && strstr(enc, "\"temperatureC\":"), "result.json carries temperatureC");
    free(enc);
    /* the contract: one source per weather block; a depot's own wins over the request's */
    static const char *const bad[][2] = {
        {"{\"source\": \"open-meteo\", \"hourlyTemperatureC\": [1]}", "together"},
        {"{}", "needs \"source\" or \"hourlyTemperatureC\""},
        {"{\"source\": \"met-office\"}", "unknown weather source"},
        {"{\"hourlyTemperatureC\": [99]}", "between"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *base = request_json(false), json[16384];
        snprintf(json, sizeof json, "%.*s, \"weather\": %s}", (int)strlen(base) - 1, base,
                 bad[i][0]);
        free(base);
        void *out;
        fsim_status st = fsim_wire_decode(FSIM_WIRE_REQUEST, json, strlen(json), "t", 0, arena,
                                          &out, &err);
        CHECK(st == FSIM_INVALID && strstr(err.message, bad[i][1]),
              "weather %s is refused: %.200s: %.200s", bad[i][0], err.path, err.message);
    }
    {
        char *base = request_json(true), json[16384];
        const char *at = strstr(base, "\"chargers\"");
        snprintf(json, sizeof json, "%.*s\"weather\": {\"hourlyTemperatureC\": [10]}, %s",
                 (int)(at - base), base, at);
        free(base);
        fsim_request *req;
        fsim_result *res = NULL;
        fsim_runner_options opts = {.config_dir = config_dir, .source = "depot-weather"};
        fsim_status st = fsim_wire_decode(FSIM_WIRE_REQUEST, json, strlen(json), "t", 0, arena,
                                          (void **)&req, &err);
        if (st == FSIM_OK)
            st = fsim_runner_run(req, &opts, arena, &res, &err);
        CHECK(st == FSIM_OK && res->n_time_series_data &&
                  res->time_series_data[0].temperature_c == 10 &&
                  res->time_series_data[res->n_time_series_data - 1].temperature_c == 10,
              "a depot's own series (10 °C, its last value held) wins: %.200s", err.message);
    }

    fsim_config_free(cfg);
    fsim_arena_free(arena);
    return check_done();
}
