/* From a decoded request to the engine's input: every name resolved against the config,
 * every vehicle expanded, every route's energy profile built once per vehicle type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include <fleetsim/config.h>
#include <fleetsim/geo.h>
#include <fleetsim/runner.h>

#include "runner_internal.h"

/* More than this many vehicles in one run is refused before anything is allocated. */
#define MAX_VEHICLES 1000000
#define MAX_CHARGERS 1000000
#define MAX_WARNINGS 100
/* Weather: energy profiles per whole degree from -60 to 60 °C (the wire's range). */
#define TEMP_MIN (-60)
#define TEMP_BUCKETS 121

struct prep {
    const fsim_request *req;
    const fsim_runner_options *opts;
    const fsim_config *config;
    fsim_arena *arena;
    fsim_prepared *out;
    fsim_error *err;
    /* route × vehicle-type profile cache, indexed [route * n_types + type] */
    fsim_route_path **paths;      /* per config route, loaded on first use */
    fsim_cycle **cycles;
    fsim_sim_route_profile **profiles;
    /* with weather: per depot its hourly temperatures (NULL: constant), and the profiles
     * per (route, type, whole °C) indexed [(route * n_types + type) * TEMP_BUCKETS + bucket] */
    double **temps;
    fsim_sim_route_profile **bucket_profiles;
    size_t warnings_cap;
};

static const char *source_of(const struct prep *p)
{
    return p->opts->source ? p->opts->source : "request";
}

static fsim_status nomem(struct prep *p)
{
    return fsim_error_set(p->err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
}

/* Warnings go into the result's metadata: things that are legal but probably not meant. */
static fsim_status warn(struct prep *p, const char *text)
{
    fsim_prepared *o = p->out;
    if (o->n_warnings == MAX_WARNINGS)
        return FSIM_OK;
    if (o->n_warnings == p->warnings_cap) {
        size_t cap = p->warnings_cap ? 2 * p->warnings_cap : 8;
        const char **w = fsim_arena_calloc(p->arena, cap, sizeof *w);
        if (!w || !text)
            return nomem(p);
        if (o->n_warnings)
            memcpy(w, o->warnings, o->n_warnings * sizeof *w);
        o->warnings = w;
        p->warnings_cap = cap;
    }
    if (!text)
        return nomem(p);
    o->warnings[o->n_warnings++] = text;
    return FSIM_OK;
}

/* "a, b, c" of the config's names, for "unknown …" messages that say what would work. */
static const char *known_names(fsim_arena *arena, size_t n, const char *(*name_at)(
                                   const fsim_config *, size_t), const fsim_config *config)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(name_at(config, i)) + 2;
    char *s = fsim_arena_alloc(arena, len);
    if (!s)
        return "";
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(s, ", ");
        strcat(s, name_at(config, i));
    }
    return s;
}

static const char *vehicle_name_at(const fsim_config *c, size_t i) { return c->vehicles[i].name; }
static const char *charger_name_at(const fsim_config *c, size_t i) { return c->chargers[i].name; }
static const char *route_name_at(const fsim_config *c, size_t i) { return c->routes[i].id; }
static const char *tariff_name_at(const fsim_config *c, size_t i) { return c->tariffs[i].name; }

/* Fastest first, then by id: the order in which an arriving vehicle is offered chargers. */
static int charger_order(const void *a, const void *b)
{
    const fsim_sim_charger *x = a, *y = b;
    if (x->power_kw != y->power_kw)
        return x->power_kw > y->power_kw ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* "<prefix><k>": the id of a charger ("<depot>/<type>/<k>") or of a vehicle of a group
 * without VINs ("<type>-<group>-<k>"), the prefix made once and the number appended, where
 * a snprintf per charger and per vehicle was a tenth of preparing a 1,000-vehicle run. */
static const char *numbered_id(fsim_arena *arena, const char *prefix, size_t k)
{
    char digits[24];
    int nd = 0;
    for (; k; k /= 10)
        digits[nd++] = (char)('0' + k % 10);
    size_t plen = strlen(prefix);
    char *id = fsim_arena_alloc(arena, plen + (size_t)nd + 1);
    if (!id)
        return NULL;
    memcpy(id, prefix, plen);
    for (int i = 0; i < nd; i++)
        id[plen + i] = digits[nd - 1 - i];
    id[plen + nd] = '\0';
    return id;
}

static fsim_status build_depots(struct prep *p)
{
    const fsim_request *req = p->req;
    fsim_sim_input *in = &p->out->input;
    in->n_depots = req->n_depots;
    in->depots = fsim_arena_calloc(p->arena, req->n_depots + 1, sizeof *in->depots);
    if (!in->depots)
        return nomem(p);
    size_t total = 0;
    for (size_t d = 0; d < req->n_depots; d++) {
        const fsim_depot_spec *spec = &req->depots[d];
        size_t n = 0;
        for (size_t j = 0; j < spec->n_chargers; j++) {
            const char *type = spec->chargers[j].type;
            if (!fsim_config_charger(p->config, type)) {
                char path[96];
                snprintf(path, sizeof path, "depots[%zu].chargers[%zu].type", d, j);
                return fsim_error_set(p->err, FSIM_INVALID, source_of(p), 0, 0, path,
                                      "unknown charger type \"%s\" (known: %s)", type,
                                      known_names(p->arena, p->config->n_chargers,
                                                  charger_name_at, p->config));
            }
            n += (size_t)spec->chargers[j].count;
        }
        total += n;
        if (total > MAX_CHARGERS)
            return fsim_error_set(p->err, FSIM_INVALID, source_of(p), 0, 0, "depots",
                                  "more than %d chargers in total", MAX_CHARGERS);
        fsim_sim_depot *dep = &in->depots[d];
        *dep = (fsim_sim_depot){.id = spec->id, .utc_offset_minutes = spec->utc_offset_minutes,
                                .has_grid_limit = spec->has_grid_limit_kw,
                                .grid_limit_kw = spec->grid_limit_kw, .n_chargers = n};
        if (spec->tariff) {
            dep->tariff = fsim_config_tariff(p->config, spec->tariff);
            if (!dep->tariff) {
                char path[64];
                snprintf(path, sizeof path, "depots[%zu].tariff", d);
                return fsim_error_set(p->err, FSIM_INVALID, source_of(p), 0, 0, path,
                                      "unknown tariff \"%s\" (known: %s)", spec->tariff,
                                      known_names(p->arena, p->config->n_tariffs,
                                                  tariff_name_at, p->config));
            }
        } else if (p->opts->fallback_tariff) {
            dep->tariff = p->opts->fallback_tariff;
        } else {
            dep->tariff = fsim_config_tariff(p->config, "default");
        }
        if (dep->tariff) { /* the config is freed after prepare: copy it, name included */
            fsim_tariff *copy = fsim_arena_alloc(p->arena, sizeof *copy);
            if (!copy)
                return nomem(p);
            *copy = *dep->tariff;
            copy->name = fsim_arena_strdup(p->arena, dep->tariff->name);
            copy->currency = fsim_arena_strdup(p->arena, dep->tariff->currency);
            if (!copy->name || !copy->currency)
                return nomem(p);
            dep->tariff = copy;
        }
        dep->chargers = fsim_arena_calloc(p->arena, n + 1, sizeof *dep->chargers);
        if (!dep->chargers)
            return nomem(p);
        size_t k = 0;
        for (size_t j = 0; j < spec->n_chargers; j++) {
            const fsim_charger_type *ct = fsim_config_charger(p->config, spec->chargers[j].type);
            const char *type = fsim_arena_strdup(p->arena, ct->name); /* outlives the config */
            const char *prefix = fsim_arena_sprintf(p->arena, "%s/%s/", spec->id, ct->name);
            if (!type || !prefix)
                return nomem(p);
            for (int c = 1; c <= spec->chargers[j].count; c++) {
                const char *id = numbered_id(p->arena, prefix, (size_t)c);
                if (!id)
                    return nomem(p);
                dep->chargers[k++] = (fsim_sim_charger){.id = id, .type = type,
                                                        .power_kw = ct->power_kw,
                                                        .dc = ct->current == FSIM_CURRENT_DC,
                                                        .efficiency = ct->efficiency};
            }
        }
        qsort(dep->chargers, n, sizeof *dep->chargers, charger_order);
        if (n == 0) {
            fsim_status st = warn(p, fsim_arena_sprintf(
                                         p->arena, "depots[%zu]: depot \"%s\" has no chargers",
                                         d, spec->id));
            if (st != FSIM_OK)
                return st;
        }
    }
    return FSIM_OK;
}

static size_t depot_index(const fsim_request *req, const char *id)
{
    for (size_t d = 0; d < req->n_depots; d++)
        if (strcmp(req->depots[d].id, id) == 0)
            return d;
    return req->n_depots; /* cannot happen: the wire codec checked it */
}

/* A route's geometry: its file; a route given as waypoints whose file was never fetched is
 * resolved by the injected services (their cache first), else the run fails naming the
 * command that fetches it. Runs never ask a service for a route that has a file. */
static fsim_status load_route_path(struct prep *p, const fsim_route_def *route,
                                   fsim_route_path *path)
{
    if (!route->geojson_missing)
        return fsim_geo_load_file(route->geojson_path, p->arena, path, p->err);
    if (!p->opts->services)
        return fsim_error_set(p->err, FSIM_NOT_FOUND, route->geojson_path, 0, 0, NULL,
                              "route \"%s\" has waypoints but no file yet: run `fleetsim "
                              "routes fetch %s` and review the GeoJSON it writes",
                              route->id, route->id);
    char *text = NULL;
    fsim_status st = fsim_runner_route_fetch(route, p->opts->services, NULL, &text, NULL,
                                             p->err);
    if (st == FSIM_OK)
        st = fsim_geo_parse(text, strlen(text), route->geojson_path, p->arena, path, p->err);
    free(text);
    return st;
}

/* The profile of route r driven by vehicle type t: GeoJSON and drive cycle once per route,
 * energy integration once per (route, type) — per (route, type, whole °C) with weather
 * (bucket ≥ 0: that temperature, TEMP_MIN + bucket °C). */
static fsim_status route_profile_at(struct prep *p, size_t r, size_t t, int bucket,
                                    const fsim_sim_route_profile **out)
{
    const fsim_config *cfg = p->config;
    const size_t slot = r * cfg->n_vehicles + t;
    fsim_sim_route_profile **cache =
        bucket < 0 ? &p->profiles[slot]
                   : &p->bucket_profiles[slot * TEMP_BUCKETS + (size_t)bucket];
    if (*cache) {
        *out = *cache;
        return FSIM_OK;
    }
    const fsim_route_def *route = &cfg->routes[r];
    fsim_status st;
    if (!p->paths[r]) {
        fsim_route_path *path = fsim_arena_calloc(p->arena, 1, sizeof *path);
        fsim_cycle *cycle = fsim_arena_calloc(p->arena, 1, sizeof *cycle);
        if (!path || !cycle)
            return nomem(p);
        if ((st = load_route_path(p, route, path)) != FSIM_OK ||
            (st = fsim_cycle_from_route(path, &route->params, p->arena, cycle, p->err)) != FSIM_OK)
            return st;
        p->paths[r] = path;
        p->cycles[r] = cycle;
    }
    const fsim_vehicle_params *params = &cfg->vehicles[t].params;
    const double ambient =
        bucket >= 0                       ? (double)(TEMP_MIN + bucket)
        : p->req->has_ambient_temperature_c ? p->req->ambient_temperature_c
                                            : 20.0;
    fsim_energy_profile energy;
    fsim_energy_totals totals;
    fsim_sim_route_profile *prof = fsim_arena_calloc(p->arena, 1, sizeof *prof);
    const char *route_id = fsim_arena_strdup(p->arena, route->id);
    if (!prof || !route_id)
        return nomem(p);
    if ((st = fsim_energy_integrate(params, p->cycles[r], ambient, p->arena, &energy, &totals,
                                    p->err)) != FSIM_OK ||
        (st = fsim_sim_route_profile_init(prof, route_id, p->paths[r], &energy,
                                          fsim_aux_power_kw(params, ambient), p->arena,
                                          p->err)) != FSIM_OK)
        return st;
    *cache = prof;
    *out = prof;
    return FSIM_OK;
}

static fsim_status route_profile(struct prep *p, size_t r, size_t t,
                                 const fsim_sim_route_profile **out)
{
    return route_profile_at(p, r, t, -1, out);
}

/* With weather at the group's depot: the route per hour of the horizon at that hour's
 * temperature (whole degrees), so each trip's HVAC and air density are its hour's. */
static fsim_status route_by_hour(struct prep *p, size_t r, size_t t, const double *temps,
                                 const fsim_sim_route_profile *const **out, size_t *n_out)
{
    const size_t hours = (size_t)p->req->days * 24;
    const fsim_sim_route_profile **by = fsim_arena_calloc(p->arena, hours, sizeof *by);
    if (!by)
        return nomem(p);
    for (size_t h = 0; h < hours; h++) {
        long c = lround(temps[h]);
        int bucket = (int)(c < TEMP_MIN ? 0 : c > TEMP_MIN + TEMP_BUCKETS - 1
                                                  ? TEMP_BUCKETS - 1
                                                  : c - TEMP_MIN);
        fsim_status st = route_profile_at(p, r, t, bucket, &by[h]);
        if (st != FSIM_OK)
            return st;
    }
    *out = by;
    *n_out = hours;
    return FSIM_OK;
}

static int minutes_order(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Warnings a planner wants to see: a route longer than the gap between two departures
 * (the later trip will be missed), a group whose route belongs to another depot. */
static fsim_status warn_group(struct prep *p, size_t g, const fsim_route_def *route,
                              const fsim_sim_route_profile *prof, const int *minutes, size_t n)
{
    const fsim_vehicle_group *grp = &p->req->vehicles[g];
    fsim_status st = FSIM_OK;
    if (route->depot && strcmp(route->depot, grp->depot) != 0)
        st = warn(p, fsim_arena_sprintf(p->arena,
                                        "vehicles[%zu].routeId: route \"%s\" belongs to depot "
                                        "\"%s\", the group is at \"%s\"",
                                        g, route->id, route->depot, grp->depot));
    double trip_min = (double)(prof->energy.n - 1) / 60.0;
    for (size_t i = 0; st == FSIM_OK && i < n; i++) {
        int gap = i + 1 < n ? minutes[i + 1] - minutes[i] : minutes[0] + 1440 - minutes[i];
        if (trip_min > gap) {
            st = warn(p, fsim_arena_sprintf(
                             p->arena,
                             "vehicles[%zu].departures: route \"%s\" takes %.0f min but "
                             "departures are %d min apart; the next trip will be missed",
                             g, route->id, trip_min, gap));
            break;
        }
    }
    return st;
}

static fsim_status build_vehicles(struct prep *p)
{
    const fsim_request *req = p->req;
    const fsim_config *cfg = p->config;
    fsim_sim_input *in = &p->out->input;
    size_t total = 0;
    for (size_t g = 0; g < req->n_vehicles; g++) {
        const fsim_vehicle_group *grp = &req->vehicles[g];
        total += grp->vins ? grp->n_vins : (size_t)grp->count;
        if (total > MAX_VEHICLES)
            return fsim_error_set(p->err, FSIM_INVALID, source_of(p), 0, 0, "vehicles",
                                  "more than %d vehicles in total", MAX_VEHICLES);
    }
    in->vehicles = fsim_arena_calloc(p->arena, total + 1, sizeof *in->vehicles);
    if (!in->vehicles)
        return nomem(p);
    char path[64];
    for (size_t g = 0; g < req->n_vehicles; g++) {
        const fsim_vehicle_group *grp = &req->vehicles[g];
        const fsim_vehicle_type *vt = fsim_config_vehicle(cfg, grp->type);
        if (!vt) {
            snprintf(path, sizeof path, "vehicles[%zu].type", g);
            return fsim_error_set(p->err, FSIM_INVALID, source_of(p), 0, 0, path,
                                  "unknown vehicle type \"%s\" (known: %s)", grp->type,
                                  known_names(p->arena, cfg->n_vehicles, vehicle_name_at, cfg));
        }
        const fsim_route_def *route = fsim_config_route(cfg, grp->route_id);
        if (!route) {
            snprintf(path, sizeof path, "vehicles[%zu].routeId", g);
            return fsim_error_set(p->err, FSIM_INVALID, source_of(p), 0, 0, path,
                                  "unknown route \"%s\" (known: %s)", grp->route_id,
                                  known_names(p->arena, cfg->n_routes, route_name_at, cfg));
        }
        double reserve = grp->has_reserve_soc ? grp->reserve_soc : vt->params.reserve_soc;
        if (reserve > grp->target_soc) {
            snprintf(path, sizeof path, "vehicles[%zu].targetSoc", g);
            return fsim_error_set(p->err, FSIM_INVALID, source_of(p), 0, 0, path,
                                  "must be at least the reserve SoC of \"%s\" (%g)", vt->name,
                                  reserve);
        }
        const size_t t = (size_t)(vt - cfg->vehicles), r = (size_t)(route - cfg->routes);
        const fsim_sim_route_profile *prof = NULL;
        fsim_status st = route_profile(p, r, t, &prof);
        if (st != FSIM_OK)
            return st;
        int *minutes = fsim_arena_calloc(p->arena, grp->n_departures + 1, sizeof *minutes);
        const char *type = fsim_arena_strdup(p->arena, vt->name);
        fsim_vehicle_params *params = fsim_arena_alloc(p->arena, sizeof *params);
        if (!minutes || !type || !params)
            return nomem(p);
        *params = vt->params; /* the config is freed after prepare */
        for (size_t i = 0; i < grp->n_departures; i++)
            minutes[i] = fsim_wire_hhmm_minutes(grp->departures[i]);
        qsort(minutes, grp->n_departures, sizeof *minutes, minutes_order);
        if ((st = warn_group(p, g, route, prof, minutes, grp->n_departures)) != FSIM_OK)
            return st;
        const fsim_sim_route_profile *const *by_hour = NULL;
        size_t n_hours = 0;
        const double *temps = p->temps[depot_index(req, grp->depot)];
        if (temps && (st = route_by_hour(p, r, t, temps, &by_hour, &n_hours)) != FSIM_OK)
            return st;
        size_t n = grp->vins ? grp->n_vins : (size_t)grp->count;
        const char *prefix = fsim_arena_sprintf(p->arena, "%s-%zu-", vt->name, g + 1);
        if (!prefix)
            return nomem(p);
        for (size_t k = 0; k < n; k++) {
            const char *id = grp->vins ? grp->vins[k] : numbered_id(p->arena, prefix, k + 1);
            if (!id)
                return nomem(p);
            in->vehicles[in->n_vehicles++] = (fsim_sim_vehicle){
                .id = id, .type = type, .params = params,
                .depot = depot_index(req, grp->depot), .route = prof,
                .n_departures = grp->n_departures, .departure_minutes = minutes,
                .initial_soc = grp->initial_soc, .target_soc = grp->target_soc,
                .reserve_soc = reserve, .route_by_hour = by_hour, .n_route_hours = n_hours};
        }
    }
    return FSIM_OK;
}

fsim_status fsim_runner_prepare(const fsim_request *request, const fsim_runner_options *opts,
                                fsim_arena *arena, fsim_prepared **out, fsim_error *err)
{
    *out = NULL;
    fsim_config *config = NULL;
    fsim_status st = fsim_config_load(opts->config_dir, opts->env_overrides_json,
                                      request->overrides, &config, err);
    if (st != FSIM_OK) {
        /* The loader saw the request's overrides as a re-encoded text: its line and column
         * point nowhere the user can look. Name the scenario and the field path instead. */
        if (err && strcmp(err->source, "overrides") == 0) {
            char path[sizeof err->path], message[sizeof err->message];
            snprintf(path, sizeof path, "overrides%s%.*s", err->path[0] ? "." : "",
                     (int)sizeof path - 12, err->path);
            memcpy(message, err->message, sizeof message);
            fsim_error_set(err, st, opts->source ? opts->source : "request", 0, 0, path, "%s",
                           message);
        }
        return st;
    }
    struct prep p = {.req = request, .opts = opts, .config = config, .arena = arena,
                     .err = err};
    p.out = fsim_arena_calloc(arena, 1, sizeof *p.out);
    size_t slots = config->n_routes * config->n_vehicles + 1;
    p.paths = fsim_arena_calloc(arena, config->n_routes + 1, sizeof *p.paths);
    p.cycles = fsim_arena_calloc(arena, config->n_routes + 1, sizeof *p.cycles);
    p.profiles = fsim_arena_calloc(arena, slots, sizeof *p.profiles);
    p.temps = fsim_arena_calloc(arena, request->n_depots + 1, sizeof *p.temps);
    bool weather = request->weather != NULL;
    for (size_t d = 0; d < request->n_depots; d++)
        weather = weather || request->depots[d].weather != NULL;
    p.bucket_profiles =
        weather ? fsim_arena_calloc(arena, slots * TEMP_BUCKETS, sizeof *p.bucket_profiles)
                : NULL;
    if (!p.out || !p.paths || !p.cycles || !p.profiles || !p.temps ||
        (weather && !p.bucket_profiles)) {
        st = nomem(&p);
        goto out;
    }
    if (86400 % request->step_seconds != 0) {
        st = fsim_error_set(err, FSIM_INVALID, source_of(&p), 0, 0, "stepSeconds",
                            "must divide a day (86400 s) evenly");
        goto out;
    }
    fsim_sim_input *in = &p.out->input;
    *in = (fsim_sim_input){
        .start = request->start, .days = request->days, .step_s = request->step_seconds,
        .output_interval_s = request->output_interval_seconds,
        .strategy = (fsim_strategy_kind)request->strategy,
        .per_vehicle_series = request->outputs && request->outputs->has_per_vehicle_series &&
                              request->outputs->per_vehicle_series,
        .outputs = fsim_sim_outputs_of(request->outputs)};
    if (weather &&
        (st = fsim__runner_weather(request, config, opts->services, source_of(&p), arena,
                                   p.temps, err)) != FSIM_OK)
        goto out;
    if ((st = build_depots(&p)) != FSIM_OK || (st = build_vehicles(&p)) != FSIM_OK)
        goto out;
    for (size_t d = 0; d < in->n_depots; d++)
        if (p.temps[d]) {
            in->depots[d].temperature_c = p.temps[d];
            in->depots[d].n_temperature_hours = (size_t)request->days * 24;
        }
    p.out->config_hash = fsim_arena_strdup(arena, config->hash);
    if (!p.out->config_hash) {
        st = nomem(&p);
        goto out;
    }
    p.out->vehicle_steps = (double)in->n_vehicles * (double)request->days *
                           (86400.0 / request->step_seconds);
    *out = p.out;
out:
    fsim_config_free(config);
    return st;
}
