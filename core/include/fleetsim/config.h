/* fleetsim — the YAML configuration (vehicles.yaml, chargers.yaml, routes.yaml and the
 * optional tariffs.yaml), with
 * JSON overrides deep-merged over it, every value validated with file:line:column.
 *
 * Load order: YAML files from the config directory, then the JSON object from
 * FLEETSIM_CONFIG_OVERRIDES (the caller passes getenv's value: the config module reads no
 * environment), then a request's `overrides` object. Overrides use the same keys as the
 * YAML (`{"vehicles": {"cargo-van": {"batteryKwh": 89}}}`); a new name adds an entry,
 * which must then be complete. */
#ifndef FLEETSIM_CONFIG_H
#define FLEETSIM_CONFIG_H

#include <stddef.h>

#include <fleetsim/arena.h>
#include <fleetsim/error.h>
#include <fleetsim/model.h>

typedef enum fsim_current { FSIM_CURRENT_AC, FSIM_CURRENT_DC } fsim_current;

typedef struct fsim_vehicle_type {
    const char *name;
    fsim_vehicle_params params;
} fsim_vehicle_type;

typedef struct fsim_charger_type {
    const char *name;
    double power_kw;   /* powerKw */
    fsim_current current; /* current: ac | dc */
    double efficiency; /* efficiency: grid -> battery, (0, 1] */
    /* What one charger of this type costs (optional keys; `fleetsim plan` prices designs
     * with them, docs/plan.md). Money in the tariffs' currency. */
    double capex_per_unit;       /* capexPerUnit: hardware, per charger; default 0 */
    double install_per_unit;     /* installPerUnit: labour, materials, permits; default 0 */
    double lifetime_years;       /* lifetimeYears: capital recovery period; default 10 */
    double maintenance_per_year; /* maintenancePerYear: per charger; default 0 */
} fsim_charger_type;

/* lifetimeYears of a charger type whose chargers.yaml entry names none. */
#define FSIM_DEFAULT_CHARGER_LIFETIME_YEARS 10.0

typedef struct fsim_route_def {
    const char *id;
    const char *geojson_path; /* resolved: relative paths are relative to the config dir */
    const char *depot;        /* depot id this route starts and ends at */
    fsim_route_params params;
    /* `waypoints: [[lon, lat], …]` (docs/services.md): the route is resolved by the routing
     * service; `fleetsim routes fetch` writes it to geojson_path (default
     * routes/<id>.geojson), which then wins. geojson_missing: that file is not there yet. */
    size_t n_waypoints;
    double (*waypoints)[2];
    bool geojson_missing;
} fsim_route_def;

/* One time-of-use window: from this minute after local midnight until the next window's. */
typedef struct fsim_tariff_window {
    int from_minute;
    double price;      /* per kWh drawn from the grid, in the tariff's currency */
} fsim_tariff_window;

#define FSIM_TARIFF_WINDOWS_MAX 48

/* An electricity tariff (tariffs.yaml): energy prices by depot-local time of use, weekday
 * and weekend; a demand charge on each billing month's highest 15-minute mean load; a fixed
 * monthly charge; and the grid's CO2 intensity by local hour. */
typedef struct fsim_tariff {
    const char *name;
    const char *currency;           /* ISO 4217, e.g. "USD" */
    size_t n_weekday, n_weekend;
    fsim_tariff_window weekday[FSIM_TARIFF_WINDOWS_MAX]; /* from 00:00, ascending */
    fsim_tariff_window weekend[FSIM_TARIFF_WINDOWS_MAX];
    double demand_charge_per_kw;    /* per kW per billing month */
    double fixed_charge_per_month;
    double co2_g_per_kwh[24];       /* by local hour of day */
} fsim_tariff;

/* Everything loaded; all memory belongs to `arena` (freed by fsim_config_free). Entries are
 * sorted by name so iteration order never depends on the YAML's order of keys. */
typedef struct fsim_config {
    fsim_arena *arena;
    size_t n_vehicles;
    fsim_vehicle_type *vehicles;
    size_t n_chargers;
    fsim_charger_type *chargers;
    size_t n_routes;
    fsim_route_def *routes;
    size_t n_tariffs;                /* tariffs.yaml is optional: 0 without it */
    fsim_tariff *tariffs;
    char hash[65]; /* hex SHA-256 of the merged configuration in canonical JSON */
} fsim_config;

/* Loads and validates. `dir` is the config directory; `env_overrides_json` and
 * `request_overrides_json` are JSON object texts or NULL (empty or blank texts count as
 * none). On failure *out is NULL and err names the file (or "FLEETSIM_CONFIG_OVERRIDES" /
 * "overrides"), line, column and the key path (`vehicles.cargo-van.batteryKwh: must be > 0`);
 * status FSIM_NOT_FOUND for a missing YAML file, FSIM_INVALID for any bad content.
 *
 * Merge: mappings merge key by key, anything else (numbers, strings, lists such as
 * chargeCurve) replaces; null does not delete. Only the merged result is validated.
 * Rules: numbers must be YAML/JSON numbers (a quoted "68" or `true` is an error); unknown
 * and duplicate keys are errors; names are [A-Za-z0-9][A-Za-z0-9._-]{0,63}; a route's
 * `geojson` is resolved against `dir` unless absolute and must be an existing file.
 * `hash` covers the merged values (geojson as written, not resolved), so it does not
 * depend on YAML formatting or on where the config dir is. */
fsim_status fsim_config_load(const char *dir, const char *env_overrides_json,
                             const char *request_overrides_json, fsim_config **out,
                             fsim_error *err);
/* Accepts NULL. */
void fsim_config_free(fsim_config *config);

/* Lookups by name; NULL when absent. Borrowed pointers into the config. */
const fsim_vehicle_type *fsim_config_vehicle(const fsim_config *config, const char *name);
const fsim_charger_type *fsim_config_charger(const fsim_config *config, const char *name);
const fsim_route_def *fsim_config_route(const fsim_config *config, const char *id);
/* One price at every hour, CO2 likewise, no demand or fixed charge: what a state's
 * electricity price and grid intensity amount to (`fleetsim import state-data`). The name
 * and currency are borrowed. */
fsim_tariff fsim_tariff_flat(const char *name, const char *currency, double price,
                             double co2_g_per_kwh);

/* A depot without a `tariff` is priced by the one named "default", when there is one. */
const fsim_tariff *fsim_config_tariff(const fsim_config *config, const char *name);

/* The merged configuration as canonical JSON (sorted keys, shortest round-trip numbers),
 * e.g. for GET /v1/config/vehicles. `section` is "vehicles", "chargers" or "routes"; the
 * text is `{"<section>": {...}}`, the shape overrides take, so it can be fed back as one.
 * NULL for another section. The string belongs to the config's arena. */
const char *fsim_config_section_json(const fsim_config *config, const char *section);

#endif
