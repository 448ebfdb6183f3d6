/* fleetsim — the wire contract: every struct that crosses a process boundary (CLI files,
 * HTTP bodies, Pub/Sub payloads, PostgreSQL JSONB) and the one JSON codec for them.
 *
 * Each struct's fields are declared ONCE, in the FSIM_WIRE_<TYPE>_FIELDS lists below. From
 * that one list come the C struct (here), and in core/wire/ the field table that drives the
 * decoder, the validator, the encoder, equality and the JSON Schema. Docs and code cannot
 * drift: change a list, and all five change with it.
 *
 * A list entry is X(kind, presence, member, "jsonKey", lo, hi, aux, "description"):
 *
 *   kind      C member(s)                              JSON
 *   STR       const char *m                            string, length (bytes) in lo..hi
 *   INT       int m                                    integer in lo..hi
 *   NUM       double m                                 finite number in lo..hi
 *   BOOL      bool m                                   true / false
 *   TIME      double m (Unix seconds, whole seconds)   RFC 3339 date-time string
 *   ENUM      fsim_<aux> m                             one of the enum's strings
 *   OBJ       fsim_<aux> m  (OPT: fsim_<aux> *m)       nested object
 *   ARR       fsim_<aux> *m; size_t n_m                array of objects, lo..hi items
 *   STRS      const char **m; size_t n_m               array of strings, lo..hi items
 *   NUMS      double *m; size_t n_m                    array of numbers (items: aux range)
 *   JSON      const char *m                            any JSON object, kept as canonical
 *                                                      compact text (keys sorted)
 *   FLAT      fsim_<aux> m                             the fields of <aux>, inlined in
 *                                                      this object (JobMessage = request…)
 *
 *   presence  REQ: the key must be present.  OPT: may be absent; then INT/NUM/BOOL/TIME/ENUM
 *             have `bool has_m` false, and pointers (STR, OBJ, ARR, STRS, NUMS, JSON) are
 *             NULL. A JSON `null` for an optional key counts as absent (the schema says so).
 *             A required array may be NULL with count 0: it encodes as []. Decoded arrays
 *             are never NULL (an empty one gets a non-NULL pointer).
 *             NUL (STR only): the key is always there, its value a string or null — for a
 *             client that tests `=== null` (SimulationPage.nextCursor); NULL encodes as
 *             null, a missing key is an error like REQ's.
 *   lo, hi    ranges as above (for NUMS: item count; the items' range comes from aux)
 *   aux       STR/STRS: a format — none, uuid, hhmm ("HH:MM" 00:00..23:59), ident (1..64
 *             bytes), text (0..4096 bytes); NUM: none or positive (> lo, not >= lo);
 *             NUMS: soc (0..1); ENUM/OBJ/ARR/FLAT: the type's suffix (fsim_<aux>).
 *
 * Memory: decoded objects live entirely in the caller's fsim_arena (strings included) and
 * die with it; nothing points into the JSON text or the cJSON tree. Encoders return malloc'd
 * text that the caller frees with free(). Structs built by hand may point anywhere; the
 * codec only reads them. */
#ifndef FLEETSIM_WIRE_H
#define FLEETSIM_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/arena.h>
#include <fleetsim/error.h>

struct cJSON; /* <cjson/cJSON.h>; only fsim_wire_decode_json takes one */

/* ---- Enums (each declared once: the C enum, its wire strings and parsers) ------------ */

#define FSIM_STRATEGY_MAP(X)                                                                \
    X(IMMEDIATE, "immediate")                                                               \
    X(BALANCED, "balanced")                                                                 \
    X(PEAK_SHAVING, "peak_shaving")                                                         \
    X(COST, "cost")

#define FSIM_RUN_STATUS_MAP(X)                                                              \
    X(QUEUED, "queued")                                                                     \
    X(RUNNING, "running")                                                                   \
    X(SUCCEEDED, "succeeded")                                                               \
    X(FAILED, "failed")                                                                     \
    X(CANCELLED, "cancelled")                                                               \
    X(IMPORTED, "imported")

#define FSIM_TRIP_STATUS_MAP(X)                                                             \
    X(COMPLETED, "completed")                                                               \
    X(MISSED, "missed")                                                                     \
    X(STRANDED, "stranded")

#define FSIM_JOB_MODE_MAP(X)                                                                \
    X(DB, "db")                                                                             \
    X(GCS, "gcs")

/* Charging strategy. Same order as sim.h's fsim_strategy_kind. */
typedef enum fsim_strategy {
#define FSIM__E(name, text) FSIM_STRAT_##name,
    FSIM_STRATEGY_MAP(FSIM__E)
#undef FSIM__E
} fsim_strategy;

/* Job / result status (the `simulations.status` column holds the same strings). */
typedef enum fsim_run_status {
#define FSIM__E(name, text) FSIM_RUN_##name,
    FSIM_RUN_STATUS_MAP(FSIM__E)
#undef FSIM__E
} fsim_run_status;

typedef enum fsim_trip_status {
#define FSIM__E(name, text) FSIM_TRIP_##name,
    FSIM_TRIP_STATUS_MAP(FSIM__E)
#undef FSIM__E
} fsim_trip_status;

/* Where a Pub/Sub worker puts the result: a PostgreSQL row or a Cloud Storage object. */
typedef enum fsim_job_mode {
#define FSIM__E(name, text) FSIM_MODE_##name,
    FSIM_JOB_MODE_MAP(FSIM__E)
#undef FSIM__E
} fsim_job_mode;

/* The wire string of a value ("peak_shaving"); "?" when out of range. */
const char *fsim_strategy_name(fsim_strategy value);
const char *fsim_run_status_name(fsim_run_status value);
const char *fsim_trip_status_name(fsim_trip_status value);
const char *fsim_job_mode_name(fsim_job_mode value);
/* Wire string → value; false (and *value untouched) when `text` is not one of them. */
bool fsim_strategy_parse(const char *text, fsim_strategy *value);
bool fsim_run_status_parse(const char *text, fsim_run_status *value);
bool fsim_trip_status_parse(const char *text, fsim_trip_status *value);
bool fsim_job_mode_parse(const char *text, fsim_job_mode *value);

/* ---- Field lists ----------------------------------------------------------------------- */

/* A point where a vehicle stranded. */
#define FSIM_WIRE_LONLAT_FIELDS(X)                                                          \
    X(NUM, REQ, lon, "lon", -180, 180, none, "longitude, degrees WGS84")                    \
    X(NUM, REQ, lat, "lat", -90, 90, none, "latitude, degrees WGS84")

#define FSIM_WIRE_CHARGER_SPEC_FIELDS(X)                                                    \
    X(STR, REQ, type, "type", 1, 64, none, "charger type, a key of chargers.yaml")          \
    X(INT, REQ, count, "count", 1, 10000, none, "number of chargers of this type")

/* Hourly air temperature (docs/services.md): from a weather service, or given. */
#define FSIM_WIRE_WEATHER_SPEC_FIELDS(X)                                                    \
    X(STR, OPT, source, "source", 1, 32, none,                                              \
      "\"open-meteo\": hourly temperature_2m from Open-Meteo's forecast (its archive for " \
      "past horizons); exactly one of source and hourlyTemperatureC")                        \
    X(OBJ, OPT, location, "location", 0, 0, lonlat,                                         \
      "where the weather is asked for; default: the first point of the first route "        \
      "driven from the depot")                                                              \
    X(NUMS, OPT, hourly_temperature_c, "hourlyTemperatureC", 1, 8808, celsius,              \
      "air temperature, degrees C, one value per hour from start (the last one holds)")

#define FSIM_WIRE_DEPOT_SPEC_FIELDS(X)                                                      \
    X(STR, REQ, id, "id", 1, 64, none, "depot id, referenced by vehicles[].depot; unique")  \
    X(INT, REQ, utc_offset_minutes, "utcOffsetMinutes", -840, 840, none,                    \
      "local time = UTC + this many minutes; departures are local times")                   \
    X(NUM, OPT, grid_limit_kw, "gridLimitKw", 0, 1e6, positive,                             \
      "site grid connection limit, kW; peak_shaving never exceeds it")                      \
    X(ARR, REQ, chargers, "chargers", 0, 1000, charger_spec, "chargers installed here")     \
    X(STR, OPT, tariff, "tariff", 1, 64, none,                                              \
      "electricity tariff, a key of tariffs.yaml; default: its default tariff")           \
    X(OBJ, OPT, weather, "weather", 0, 0, weather_spec,                                     \
      "this depot's hourly air temperature; default: the request's weather")

#define FSIM_WIRE_VEHICLE_GROUP_FIELDS(X)                                                   \
    X(STR, REQ, type, "type", 1, 64, none, "vehicle type, a key of vehicles.yaml")          \
    X(INT, OPT, count, "count", 1, 100000, none,                                            \
      "number of identical vehicles; exactly one of count and vins")                        \
    X(STRS, OPT, vins, "vins", 1, 100000, ident,                                            \
      "one vehicle per VIN, unique across the request; exactly one of count and vins")      \
    X(STR, REQ, depot, "depot", 1, 64, none, "home depot, one of depots[].id")              \
    X(STR, REQ, route_id, "routeId", 1, 64, none, "route driven, a key of routes.yaml")     \
    X(STRS, REQ, departures, "departures", 1, 1440, hhmm,                                   \
      "daily departures, local \"HH:MM\", unique")                                          \
    X(NUM, REQ, initial_soc, "initialSoc", 0, 1, none, "state of charge at start, 0..1")    \
    X(NUM, REQ, target_soc, "targetSoc", 0, 1, none, "charging stops at this SoC, 0..1")   \
    X(NUM, OPT, reserve_soc, "reserveSoc", 0, 1, none,                                      \
      "minimum SoC to depart, <= targetSoc; default: the vehicle type's")

#define FSIM_WIRE_REQUEST_OUTPUTS_FIELDS(X)                                                 \
    X(BOOL, OPT, per_vehicle_series, "perVehicleSeries", 0, 0, none,                        \
      "add each vehicle's SoC series (vehicleSeries) to the result; default false")         \
    X(BOOL, OPT, time_series, "timeSeries", 0, 0, none,                                     \
      "timeSeriesData and timeseries.csv; default true")                                    \
    X(BOOL, OPT, charging_events, "chargingEvents", 0, 0, none,                             \
      "chargingEvents and charging_events.csv; default true (a 100,000-vehicle year of "   \
      "sessions is tens of GB)")                                                            \
    X(BOOL, OPT, trips, "trips", 0, 0, none, "trips and trips.csv; default true")           \
    X(BOOL, OPT, vehicles, "vehicles", 0, 0, none, "vehicles and vehicles.csv; default true")

/* `fleetsim plan` (docs/plan.md): a grid connection's one-time cost by size class. */
#define FSIM_WIRE_GRID_STEP_FIELDS(X)                                                       \
    X(NUM, REQ, up_to_kw, "upToKw", 0, 1e6, positive,                                       \
      "a connection of up to this many kW of gridLimitKw ...")                              \
    X(NUM, REQ, cost, "cost", 0, 1e12, none, "... costs this much, once")

/* A scenario's `plan` block: what `fleetsim plan` varies and how it prices a design. A run
 * ignores it. Money is in the tariffs' currency. */
#define FSIM_WIRE_PLAN_SPEC_FIELDS(X)                                                       \
    X(STRS, OPT, vary, "vary", 1, 64, text,                                                 \
      "what to vary, as --vary: DEPOT.CHARGER=LO..HI[/STEP], DEPOT.grid=LO..HI[/STEP] (kW), " \
      "strategy=all or a list")                                                             \
    X(NUM, OPT, discount_rate, "discountRate", 0, 1, none,                                  \
      "per year, for the capital recovery factor; default 0.07")                            \
    X(NUM, OPT, grid_cost_per_kw, "gridCostPerKw", 0, 1e9, none,                            \
      "one-time cost per kW of each depot's gridLimitKw; not with gridSteps")               \
    X(ARR, OPT, grid_steps, "gridSteps", 1, 100, grid_step,                                 \
      "one-time cost of a connection: the first step, by ascending upToKw, that holds "     \
      "gridLimitKw; not with gridCostPerKw")                                                \
    X(NUM, OPT, grid_lifetime_years, "gridLifetimeYears", 0, 200, positive,                 \
      "capital recovery period of a grid connection; default 25")                           \
    X(BOOL, OPT, prune, "prune", 0, 0, none,                                                \
      "branch and bound on the capital cost: the cheapest design stays exact, the fronts "  \
      "cover the designs run; default false")                                               \
    X(INT, OPT, batch_variants, "batchVariants", 1, 10000, none,                            \
      "a plan job (POST /v1/plans): variants per batch, the unit a worker runs and stores; " \
      "default 25; fleetsim plan ignores it")

#define FSIM_WIRE_REQUEST_FIELDS(X)                                                         \
    X(STR, REQ, fleet_id, "fleetId", 36, 36, uuid, "fleet the simulation belongs to")       \
    X(STR, OPT, name, "name", 1, 200, none, "a label for people")                          \
    X(TIME, REQ, start, "start", 0, 0, none, "start of the horizon, RFC 3339")              \
    X(INT, REQ, days, "days", 1, 366, none, "length of the horizon in days")                \
    X(INT, REQ, step_seconds, "stepSeconds", 1, 3600, none, "simulation time step")         \
    X(INT, REQ, output_interval_seconds, "outputIntervalSeconds", 1, 86400, none,           \
      "time-series interval, a positive multiple of stepSeconds")                           \
    X(ENUM, REQ, strategy, "strategy", 0, 0, strategy, "charging strategy")                 \
    X(NUM, OPT, ambient_temperature_c, "ambientTemperatureC", -60, 60, none,                \
      "outside air temperature, degrees C; default 20")                                     \
    X(OBJ, OPT, weather, "weather", 0, 0, weather_spec,                                     \
      "hourly air temperature of every depot without its own; absent: ambientTemperatureC") \
    X(ARR, REQ, depots, "depots", 1, 100, depot_spec, "depots, ids unique")                 \
    X(ARR, REQ, vehicles, "vehicles", 1, 10000, vehicle_group, "vehicle groups")            \
    X(JSON, OPT, overrides, "overrides", 0, 0, none,                                        \
      "deep-merged over the YAML config, same keys (vehicles, chargers, routes)")           \
    X(OBJ, OPT, outputs, "outputs", 0, 0, request_outputs, "optional outputs")          \
    X(OBJ, OPT, plan, "plan", 0, 0, plan_spec,                                              \
      "fleetsim plan's search and cost model (docs/plan.md); a run ignores it")

/* One charger type at one depot (utilization per type). */
#define FSIM_WIRE_CHARGER_TYPE_SUMMARY_FIELDS(X)                                            \
    X(STR, REQ, type, "type", 1, 64, none, "charger type")                                  \
    X(INT, REQ, count, "count", 0, 2000000000, none, "chargers of this type")               \
    X(NUM, REQ, power_kw, "powerKw", 0, 1e6, none, "rated power of one charger")            \
    X(INT, REQ, sessions, "sessions", 0, 2000000000, none, "charging sessions")             \
    X(NUM, REQ, energy_kwh, "energyKwh", 0, 1e12, none, "grid energy delivered")            \
    X(NUM, REQ, time_utilization, "timeUtilization", 0, 1, none, "share of time occupied")  \
    X(NUM, REQ, energy_utilization, "energyUtilization", 0, 1, none,                        \
      "energyKwh / (count x powerKw x horizon)")

/* One depot's load against its grid connection, its costs and its chargers. */
#define FSIM_WIRE_DEPOT_SUMMARY_FIELDS(X)                                                   \
    X(STR, REQ, id, "id", 1, 64, none, "depot id")                                          \
    X(INT, REQ, utc_offset_minutes, "utcOffsetMinutes", -840, 840, none,                    \
      "its local time = UTC + this (the CSV files' local times)")                           \
    X(NUM, REQ, peak_kw, "peakKw", 0, 1e9, none, "highest load (mean over a step)")         \
    X(TIME, OPT, peak_at, "peakAt", 0, 0, none, "when peakKw happened")                     \
    X(NUM, OPT, grid_limit_kw, "gridLimitKw", 0, 1e6, none, "its grid connection limit")    \
    X(NUM, REQ, grid_exceeded_kwh, "gridExceededKwh", 0, 1e15, none, "energy above the limit") \
    X(NUM, REQ, grid_exceeded_minutes, "gridExceededMinutes", 0, 1e15, none,                \
      "time above the limit")                                                               \
    X(NUM, REQ, grid_peak_over_kw, "gridPeakOverKw", 0, 1e9, none, "worst excess")          \
    X(NUM, REQ, grid_energy_kwh, "gridEnergyKwh", 0, 1e12, none, "energy drawn")            \
    X(STR, REQ, tariff, "tariff", 1, 64, none, "the tariff priced")                         \
    X(NUM, REQ, peak_15min_kw, "peak15MinKw", 0, 1e9, none,                                 \
      "highest 15-minute mean load (what the demand charge bills)")                         \
    X(NUM, REQ, energy_cost, "energyCost", 0, 1e15, none, "energy charges")                 \
    X(NUM, REQ, demand_cost, "demandCost", 0, 1e15, none, "demand charges, prorated")       \
    X(NUM, REQ, fixed_cost, "fixedCost", 0, 1e15, none, "fixed charges, prorated")          \
    X(NUM, REQ, total_cost, "totalCost", 0, 1e15, none, "energy + demand + fixed")          \
    X(NUM, REQ, co2_kg, "co2Kg", 0, 1e15, none, "grid CO2")                                 \
    X(NUM, REQ, charger_time_utilization, "chargerTimeUtilization", 0, 1, none,             \
      "share of charger time occupied")                                                     \
    X(NUM, REQ, charger_energy_utilization, "chargerEnergyUtilization", 0, 1, none,         \
      "energy delivered / (rated power x horizon)")                                         \
    X(ARR, REQ, chargers, "chargers", 0, 1000, charger_type_summary, "per charger type")

#define FSIM_WIRE_SUMMARY_FIELDS(X)                                                         \
    X(INT, REQ, vehicles, "vehicles", 0, 2000000000, none, "vehicles simulated")            \
    X(INT, REQ, trips, "trips", 0, 2000000000, none, "trips scheduled")                     \
    X(INT, REQ, trips_completed, "tripsCompleted", 0, 2000000000, none, "trips completed")  \
    X(INT, REQ, trips_missed, "tripsMissed", 0, 2000000000, none,                           \
      "trips not started (below reserve, or still away)")                                   \
    X(INT, REQ, trips_stranded, "tripsStranded", 0, 2000000000, none,                       \
      "trips that ran out of energy")                                                       \
    X(INT, REQ, vehicles_stranded, "vehiclesStranded", 0, 2000000000, none,                 \
      "vehicles that ran out of energy")                                                    \
    X(BOOL, REQ, feasible, "feasible", 0, 0, none, "every scheduled trip completed")        \
    X(NUM, REQ, distance_km, "distanceKm", 0, 1e12, none, "distance driven")                \
    X(NUM, REQ, energy_used_kwh, "energyUsedKwh", -1e12, 1e12, none,                        \
      "battery energy used driving, auxiliaries and HVAC included")                         \
    X(NUM, REQ, aux_energy_kwh, "auxEnergyKwh", 0, 1e12, none,                              \
      "part of energyUsedKwh spent on auxiliaries and HVAC")                                \
    X(NUM, REQ, charged_energy_kwh, "chargedEnergyKwh", 0, 1e12, none,                      \
      "energy delivered into batteries")                                                    \
    X(NUM, REQ, grid_energy_kwh, "gridEnergyKwh", 0, 1e12, none,                            \
      "energy drawn from the grid (charger losses included)")                               \
    X(NUM, REQ, peak_kw, "peakKw", 0, 1e9, none, "highest site load over all depots")       \
    X(TIME, OPT, peak_at, "peakAt", 0, 0, none, "when peakKw happened")                     \
    X(NUM, REQ, min_soc, "minSoc", 0, 1, none, "lowest SoC of any vehicle")                 \
    X(NUM, REQ, kwh_per_km, "kwhPerKm", -1e6, 1e6, none, "energyUsedKwh / distanceKm")      \
    X(NUM, REQ, charger_utilization, "chargerUtilization", 0, 1, none,                      \
      "share of charger time spent delivering power")                                       \
    X(INT, REQ, charging_events, "chargingEvents", 0, 2000000000, none, "charging sessions") \
    X(NUM, REQ, waiting_seconds_total, "waitingSecondsTotal", 0, 1e15, none,                \
      "time vehicles queued for a charger, summed")                                         \
    X(NUM, REQ, waiting_seconds_max, "waitingSecondsMax", 0, 1e15, none,                    \
      "longest single wait for a charger")                                                  \
    X(NUM, OPT, energy_cost, "energyCost", 0, 1e15, none,                                   \
      "grid energy priced by each depot's tariff (time of use), in currency")               \
    X(NUM, OPT, co2_kg, "co2Kg", 0, 1e15, none, "grid CO2 of gridEnergyKwh by hour, kg")    \
    X(BOOL, OPT, trips_ok, "tripsOk", 0, 0, none, "verdict part 1: no trip missed or stranded") \
    X(BOOL, OPT, grid_ok, "gridOk", 0, 0, none,                                             \
      "verdict part 2: no depot above its gridLimitKw in any step")                         \
    X(BOOL, OPT, energy_ok, "energyOk", 0, 0, none,                                         \
      "verdict part 3: no vehicle ends the horizon below min(initialSoc, targetSoc)")       \
    X(STR, OPT, verdict, "verdict", 1, 4096, none,                                          \
      "the verdict for people: feasible, or the first failing part and where")              \
    X(NUM, OPT, grid_exceeded_kwh, "gridExceededKwh", 0, 1e15, none,                        \
      "energy drawn above the depots' grid limits")                                         \
    X(NUM, OPT, grid_exceeded_minutes, "gridExceededMinutes", 0, 1e15, none,                \
      "time any depot was above its grid limit (summed over depots)")                       \
    X(NUM, OPT, grid_peak_over_kw, "gridPeakOverKw", 0, 1e9, none,                          \
      "worst excess of a depot's load over its grid limit")                                 \
    X(INT, OPT, sessions_waited, "sessionsWaited", 0, 2000000000, none,                     \
      "charging sessions that queued for a charger")                                        \
    X(NUM, OPT, wait_seconds_p50, "waitSecondsP50", 0, 1e15, none,                          \
      "median wait of the sessions that waited")                                            \
    X(NUM, OPT, wait_seconds_p95, "waitSecondsP95", 0, 1e15, none,                          \
      "95th percentile wait of the sessions that waited")                                   \
    X(NUM, OPT, charger_time_utilization, "chargerTimeUtilization", 0, 1, none,             \
      "share of charger time occupied by a vehicle")                                        \
    X(NUM, OPT, charger_energy_utilization, "chargerEnergyUtilization", 0, 1, none,         \
      "grid energy delivered / (rated power x horizon)")                                    \
    X(NUM, OPT, demand_cost, "demandCost", 0, 1e15, none,                                   \
      "demand charges on each billing month's highest 15-minute load, prorated")            \
    X(NUM, OPT, fixed_cost, "fixedCost", 0, 1e15, none, "fixed monthly charges, prorated")   \
    X(NUM, OPT, total_cost, "totalCost", 0, 1e15, none, "energy + demand + fixed cost")      \
    X(NUM, OPT, cost_per_km, "costPerKm", 0, 1e15, none, "totalCost / distanceKm")           \
    X(STR, OPT, currency, "currency", 1, 16, none, "ISO 4217 code of every cost")            \
    X(ARR, OPT, depots, "depots", 0, 100, depot_summary, "per depot")

#define FSIM_WIRE_TIME_SERIES_POINT_FIELDS(X)                                               \
    X(TIME, REQ, t, "t", 0, 0, none, "start of the output interval")                        \
    X(STR, REQ, depot, "depot", 1, 64, none, "depot id")                                    \
    X(NUM, REQ, load_kw, "loadKw", 0, 1e9, none, "mean site load over the interval")        \
    X(INT, REQ, charging, "charging", 0, 2000000000, none, "vehicles charging")             \
    X(INT, REQ, driving, "driving", 0, 2000000000, none, "vehicles driving")                \
    X(INT, REQ, waiting, "waiting", 0, 2000000000, none, "vehicles queued for a charger")   \
    X(NUM, REQ, mean_soc, "meanSoc", 0, 1, none, "mean SoC of the depot's vehicles")        \
    X(NUM, REQ, min_soc, "minSoc", 0, 1, none, "lowest SoC of the depot's vehicles")        \
    X(NUM, REQ, energy_kwh, "energyKwh", 0, 1e12, none, "cumulative grid energy")          \
    X(NUM, OPT, temperature_c, "temperatureC", -60, 60, none,                               \
      "air temperature at the depot at t, degrees C (when the request has weather)")

#define FSIM_WIRE_CHARGING_EVENT_FIELDS(X)                                                  \
    X(STR, REQ, vehicle_id, "vehicleId", 1, 128, none, "VIN or generated id")               \
    X(STR, REQ, depot, "depot", 1, 64, none, "depot id")                                    \
    X(STR, REQ, charger_id, "chargerId", 1, 200, none, "charger, e.g. north/dc-150kw/1")    \
    X(TIME, REQ, plugged_at, "pluggedAt", 0, 0, none, "arrival at the charger queue")      \
    X(TIME, REQ, start, "start", 0, 0, none, "power starts, >= pluggedAt")                  \
    X(TIME, REQ, end, "end", 0, 0, none, "unplugged, >= start")                             \
    X(NUM, REQ, energy_kwh, "energyKwh", 0, 1e9, none, "energy into the battery")           \
    X(NUM, REQ, grid_energy_kwh, "gridEnergyKwh", 0, 1e9, none, "energy from the grid")     \
    X(NUM, REQ, start_soc, "startSoc", 0, 1, none, "SoC at start")                          \
    X(NUM, REQ, end_soc, "endSoc", 0, 1, none, "SoC at end")                                \
    X(NUM, REQ, peak_kw, "peakKw", 0, 1e6, none, "highest grid power in the session")       \
    X(NUM, REQ, wait_seconds, "waitSeconds", 0, 1e12, none, "time queued before start")

#define FSIM_WIRE_TRIP_RESULT_FIELDS(X)                                                     \
    X(STR, REQ, vehicle_id, "vehicleId", 1, 128, none, "VIN or generated id")               \
    X(STR, REQ, route_id, "routeId", 1, 64, none, "route")                                  \
    X(TIME, REQ, depart, "depart", 0, 0, none, "departure (scheduled time when missed)")    \
    X(TIME, OPT, arrive, "arrive", 0, 0, none, "arrival; absent when missed or stranded")  \
    X(NUM, REQ, distance_km, "distanceKm", 0, 1e9, none, "distance driven")                 \
    X(NUM, REQ, energy_kwh, "energyKwh", -1e9, 1e9, none, "battery energy used")            \
    X(NUM, REQ, kwh_per_km, "kwhPerKm", -1e6, 1e6, none, "energyKwh / distanceKm")          \
    X(NUM, REQ, start_soc, "startSoc", 0, 1, none, "SoC at departure")                      \
    X(NUM, REQ, end_soc, "endSoc", 0, 1, none, "SoC at arrival or stranding")               \
    X(ENUM, REQ, status, "status", 0, 0, trip_status, "outcome")                            \
    X(OBJ, OPT, stranded_at, "strandedAt", 0, 0, lonlat,                                    \
      "where the vehicle ran out of energy; only when stranded")                            \
    X(STR, OPT, depot, "depot", 1, 64, none, "the vehicle's home depot")

#define FSIM_WIRE_VEHICLE_SERIES_FIELDS(X)                                                  \
    X(STR, REQ, vehicle_id, "vehicleId", 1, 128, none, "VIN or generated id")               \
    X(STR, REQ, depot, "depot", 1, 64, none, "home depot")                                  \
    X(TIME, REQ, start, "start", 0, 0, none, "time of soc[0]")                              \
    X(INT, REQ, interval_seconds, "intervalSeconds", 1, 86400, none, "spacing of samples") \
    X(NUMS, REQ, soc, "soc", 0, 100000000, soc, "SoC samples, 0..1")

/* One vehicle's horizon: what a planner checks per vehicle (vehicles.csv). */
#define FSIM_WIRE_VEHICLE_SUMMARY_FIELDS(X)                                                 \
    X(STR, REQ, vehicle_id, "vehicleId", 1, 128, none, "VIN or generated id")               \
    X(STR, REQ, type, "type", 1, 64, none, "vehicle type")                                  \
    X(STR, REQ, depot, "depot", 1, 64, none, "home depot")                                  \
    X(INT, REQ, trips_completed, "tripsCompleted", 0, 2000000000, none, "trips completed")  \
    X(INT, REQ, trips_missed, "tripsMissed", 0, 2000000000, none, "trips missed")           \
    X(INT, REQ, trips_stranded, "tripsStranded", 0, 2000000000, none, "trips stranded")     \
    X(NUM, REQ, min_soc, "minSoc", 0, 1, none, "lowest SoC")                                \
    X(NUM, REQ, end_soc, "endSoc", 0, 1, none, "SoC at the end of the horizon")             \
    X(NUM, REQ, distance_km, "distanceKm", 0, 1e12, none, "distance driven")                \
    X(NUM, REQ, energy_used_kwh, "energyUsedKwh", -1e12, 1e12, none, "battery energy driven") \
    X(NUM, REQ, charged_energy_kwh, "chargedEnergyKwh", 0, 1e12, none, "energy into the battery") \
    X(INT, REQ, sessions, "sessions", 0, 2000000000, none, "charging sessions")             \
    X(NUM, REQ, wait_seconds, "waitSeconds", 0, 1e15, none, "time queued for a charger, summed")

#define FSIM_WIRE_RESULT_METADATA_FIELDS(X)                                                 \
    X(STR, REQ, engine_version, "engineVersion", 1, 64, none, "fleetsim version")           \
    X(STR, REQ, config_hash, "configHash", 1, 128, none,                                    \
      "hash of the effective config (overrides applied)")                                   \
    X(STRS, REQ, warnings, "warnings", 0, 10000, text, "things a user should know")        \
    X(STR, OPT, trace_id, "traceId", 1, 256, none, "request / trace id that started it")

/* The row arrays hold up to 2,000,000,000 rows: the summary counts them in 32-bit integers
 * (trips, chargingEvents). A streamed run writes them row by row, so memory does not bound
 * them; a 100,000-vehicle year with four trips a day is 146 million trips. */
#define FSIM_WIRE_RESULT_FIELDS(X)                                                          \
    X(STR, OPT, simulation_id, "simulationId", 36, 36, uuid, "absent for local CLI runs")   \
    X(ENUM, REQ, status, "status", 0, 0, run_status, "succeeded unless the run failed")     \
    X(OBJ, REQ, summary, "summary", 0, 0, summary, "totals")                                \
    X(ARR, REQ, time_series_data, "timeSeriesData", 0, 2000000000, time_series_point,        \
      "per depot per output interval")                                                      \
    X(ARR, REQ, charging_events, "chargingEvents", 0, 2000000000, charging_event,            \
      "every charging session")                                                             \
    X(ARR, REQ, trips, "trips", 0, 2000000000, trip_result, "every scheduled trip")           \
    X(OBJ, REQ, metadata, "metadata", 0, 0, result_metadata, "provenance")                  \
    X(ARR, OPT, vehicle_series, "vehicleSeries", 0, 100000000, vehicle_series,              \
      "per-vehicle SoC, when outputs.perVehicleSeries")                                     \
    X(ARR, OPT, vehicles, "vehicles", 0, 2000000000, vehicle_summary, "per vehicle totals")

/* `fleetsim compare` and POST /v1/simulations:compare: one scenario under each strategy. */
#define FSIM_WIRE_STRATEGY_OUTCOME_FIELDS(X)                                                \
    X(ENUM, REQ, strategy, "strategy", 0, 0, strategy, "the strategy run")                  \
    X(OBJ, REQ, summary, "summary", 0, 0, summary, "its summary")

#define FSIM_WIRE_COMPARISON_FIELDS(X)                                                      \
    X(STR, OPT, name, "name", 1, 200, none, "the scenario's name")                          \
    X(ARR, REQ, results, "results", 1, 16, strategy_outcome, "one per strategy, in order")

/* At most this many problems of one request are reported (ApiError.details). */
#define FSIM_WIRE_MAX_PROBLEMS 20

/* One problem of a request: a 422 lists every one it found (ApiError.details). */
#define FSIM_WIRE_ERROR_DETAIL_FIELDS(X)                                                    \
    X(STR, OPT, field, "field", 0, 256, none, "JSON path of the offending field")           \
    X(STR, REQ, message, "message", 1, 4096, none, "what is wrong with it")

#define FSIM_WIRE_API_ERROR_FIELDS(X)                                                       \
    X(STR, REQ, code, "code", 1, 64, none, "machine-readable, e.g. invalid_request")        \
    X(STR, REQ, message, "message", 1, 4096, none, "for people")                            \
    X(STR, OPT, field, "field", 0, 256, none, "JSON path of the offending field")           \
    X(STR, OPT, request_id, "requestId", 1, 256, none, "x-request-id of the request")       \
    X(ARR, OPT, details, "details", 0, 20, error_detail,                                    \
      "422: every problem found, in document order (at most 20); the first is also field")

#define FSIM_WIRE_JOB_STATUS_FIELDS(X)                                                      \
    X(STR, REQ, id, "id", 36, 36, uuid, "simulation id")                                    \
    X(STR, REQ, fleet_id, "fleetId", 36, 36, uuid, "fleet")                                 \
    X(STR, OPT, name, "name", 1, 200, none, "the request's name")                          \
    X(ENUM, REQ, status, "status", 0, 0, run_status, "where the job is")                    \
    X(NUM, REQ, progress, "progress", 0, 1, none, "share done, 0..1")                       \
    X(TIME, REQ, created_at, "createdAt", 0, 0, none, "submitted")                          \
    X(TIME, REQ, updated_at, "updatedAt", 0, 0, none, "last change")                        \
    X(TIME, OPT, started_at, "startedAt", 0, 0, none, "a worker started it")                \
    X(TIME, OPT, finished_at, "finishedAt", 0, 0, none, "succeeded, failed or cancelled")  \
    X(OBJ, OPT, error, "error", 0, 0, api_error, "why it failed")

#define FSIM_WIRE_JOB_MESSAGE_FIELDS(X)                                                     \
    X(FLAT, REQ, request, NULL, 0, 0, request, "every SimulationRequest field, inline")     \
    X(ENUM, REQ, mode, "mode", 0, 0, job_mode, "where the worker stores the result")        \
    X(STR, OPT, simulation_id, "simulationId", 36, 36, uuid,                                \
      "the row to update; absent: the worker creates it (deduplicated by message id)")

#define FSIM_WIRE_ERROR_RESPONSE_FIELDS(X)                                                  \
    X(OBJ, REQ, error, "error", 0, 0, api_error, "what went wrong")

/* The 202 of POST /v1/simulations (a replay with the same Idempotency-Key repeats it). */
#define FSIM_WIRE_SUBMIT_LINKS_FIELDS(X)                                                    \
    X(STR, REQ, self, "self", 1, 256, none, "the job's status: poll it")                    \
    X(STR, REQ, result, "result", 1, 256, none, "the job's result, once it succeeded")

#define FSIM_WIRE_SUBMIT_RESPONSE_FIELDS(X)                                                 \
    X(STR, REQ, id, "id", 36, 36, uuid, "simulation id")                                    \
    X(ENUM, REQ, status, "status", 0, 0, run_status,                                        \
      "queued: the status when it was submitted")                                          \
    X(OBJ, REQ, links, "links", 0, 0, submit_links, "where to poll and fetch")

/* One page of GET /v1/simulations. */
#define FSIM_WIRE_SIMULATION_PAGE_FIELDS(X)                                                 \
    X(ARR, REQ, items, "items", 0, 1000, job_status, "newest first")                        \
    X(STR, NUL, next_cursor, "nextCursor", 1, 256, none,                                    \
      "pass it back as cursor for the next page; null on the last page")

/* Fleets as a resource: POST /v1/fleets (NewFleet), GET /v1/fleets/{id} (Fleet), GET
 * /v1/fleets (FleetPage, by name). A simulation names its fleet by id (fleetId). */
#define FSIM_WIRE_NEW_FLEET_FIELDS(X)                                                       \
    X(STR, REQ, name, "name", 1, 200, none, "unique among fleets")                          \
    X(STR, OPT, state_code, "stateCode", 2, 2, none,                                        \
      "US state (two capitals) whose electricity price and grid CO2 price its runs")        \
    X(STR, OPT, id, "id", 36, 36, uuid, "the id to give it (default: a new one)")

#define FSIM_WIRE_FLEET_FIELDS(X)                                                           \
    X(STR, REQ, id, "id", 36, 36, uuid, "fleet id: a simulation's fleetId")                 \
    X(STR, REQ, name, "name", 1, 200, none, "unique among fleets")                          \
    X(STR, OPT, state_code, "stateCode", 2, 2, none, "US state of its tariff data")         \
    X(INT, REQ, vehicles, "vehicles", 0, 2000000000, none, "vehicles (fleetsim import vins)") \
    X(INT, REQ, simulations, "simulations", 0, 2000000000, none, "simulations, not deleted") \
    X(TIME, REQ, created_at, "createdAt", 0, 0, none, "created")

#define FSIM_WIRE_FLEET_PAGE_FIELDS(X)                                                      \
    X(ARR, REQ, items, "items", 0, 1000, fleet, "by name")                                  \
    X(STR, NUL, next_cursor, "nextCursor", 1, 256, none,                                    \
      "pass it back as cursor for the next page; null on the last page")

/* A log line on stdout in Cloud Logging's structured shape (Cloud Run turns each into a log
 * entry); httpRequest is Cloud Logging's own HttpRequest, int64s as decimal strings. Not
 * part of the HTTP API (its OpenAPI document leaves these two out). */
#define FSIM_WIRE_HTTP_REQUEST_LOG_FIELDS(X)                                                \
    X(STR, REQ, request_method, "requestMethod", 1, 16, none, "GET, POST, ...")             \
    X(STR, REQ, request_url, "requestUrl", 1, 65536, none, "the path, without the query")  \
    X(INT, REQ, status, "status", 0, 999, none, "HTTP status (499: the client went away)") \
    X(STR, REQ, response_size, "responseSize", 1, 20, none, "body bytes, decimal")          \
    X(STR, REQ, latency, "latency", 2, 32, none, "seconds with a trailing s: \"0.000812s\"") \
    X(STR, OPT, user_agent, "userAgent", 0, 65536, none, "the User-Agent header")          \
    X(STR, REQ, protocol, "protocol", 1, 16, none, "HTTP/1.1")

#define FSIM_WIRE_LOG_ENTRY_FIELDS(X)                                                       \
    X(STR, REQ, severity, "severity", 1, 16, none, "DEBUG, INFO, WARNING or ERROR")         \
    X(STR, REQ, time, "time", 1, 40, none, "RFC 3339 UTC with milliseconds")                \
    X(STR, REQ, message, "message", 0, 65536, none, "for people")                           \
    X(OBJ, OPT, http_request, "httpRequest", 0, 0, http_request_log, "an access line's")    \
    X(STR, OPT, trace, "logging.googleapis.com/trace", 1, 512, none,                        \
      "projects/PROJECT/traces/TRACE_ID: links the line to its trace")                     \
    X(STR, OPT, span_id, "logging.googleapis.com/spanId", 16, 16, none,                     \
      "the span within the trace (16 hex digits)")                                          \
    X(STR, OPT, request_id, "requestId", 1, 256, none, "the request's x-request-id")        \
    X(STR, OPT, message_id, "messageId", 1, 256, none, "the Pub/Sub message")               \
    X(STR, OPT, simulation_id, "simulationId", 36, 36, uuid, "the simulation")

/* `fleetsim cycle --json`: one drive cycle driven by one vehicle type (the energy model on
 * its own). Not part of the HTTP API (its OpenAPI document leaves it out). */
#define FSIM_WIRE_CYCLE_REPORT_FIELDS(X)                                                    \
    X(STR, REQ, vehicle, "vehicle", 1, 256, none, "vehicle type id")                        \
    X(STR, REQ, cycle, "cycle", 1, 4096, none, "the cycle's name or CSV path")              \
    X(NUM, REQ, temperature_c, "temperatureC", -60, 60, none, "ambient temperature, °C")     \
    X(NUM, REQ, duration_seconds, "durationSeconds", 0, 1e9, none, "cycle length, s")       \
    X(NUM, REQ, distance_km, "distanceKm", 0, 1e9, none, "distance driven, km")             \
    X(NUM, REQ, energy_kwh, "energyKwh", -1e9, 1e9, none, "net battery energy, kWh")        \
    X(NUM, REQ, kwh_per_km, "kwhPerKm", -1e9, 1e9, none, "energyKwh / distanceKm")          \
    X(NUM, REQ, traction_kwh, "tractionKwh", 0, 1e9, none, "drawn for traction, kWh")       \
    X(NUM, REQ, regen_kwh, "regenKwh", 0, 1e9, none, "recovered by regenerative braking")   \
    X(NUM, REQ, aux_kwh, "auxKwh", 0, 1e9, none, "auxiliaries and HVAC, kWh")              \
    X(NUM, OPT, wall_energy_kwh, "wallEnergyKwh", -1e9, 1e9, none,                          \
      "energyKwh through the --charger's efficiency: the wall-plug figure, kWh")

/* `fleetsim plan`'s answer (docs/plan.md). Every cost is per year but capitalOutlay, in
 * the tariffs' currency; a run's costs are scaled to a year by 365 / days. */
#define FSIM_WIRE_PLAN_COST_FIELDS(X)                                                       \
    X(STR, OPT, currency, "currency", 1, 16, none, "ISO 4217, the tariffs'; absent unpriced") \
    X(NUM, REQ, capital_outlay, "capitalOutlay", 0, 1e15, none,                             \
      "one-time: the chargers' capex and installation and the grid connections")            \
    X(NUM, REQ, charger_capital, "chargerCapital", 0, 1e15, none,                           \
      "capital recovery of the chargers' capex and installation")                           \
    X(NUM, REQ, charger_maintenance, "chargerMaintenance", 0, 1e15, none,                   \
      "the chargers' maintenance")                                                          \
    X(NUM, REQ, grid_capital, "gridCapital", 0, 1e15, none,                                 \
      "capital recovery of the grid connections")                                           \
    X(NUM, REQ, energy_cost, "energyCost", 0, 1e15, none, "the run's energyCost, a year of it") \
    X(NUM, REQ, demand_cost, "demandCost", 0, 1e15, none, "the run's demandCost, a year of it") \
    X(NUM, REQ, fixed_cost, "fixedCost", 0, 1e15, none, "the run's fixedCost, a year of it")  \
    X(NUM, REQ, annual_cost, "annualCost", 0, 1e15, none, "the sum of the parts per year")

/* One design: its settings in the scenario's shape, its run's summary, its cost. */
#define FSIM_WIRE_PLAN_DESIGN_FIELDS(X)                                                     \
    X(INT, REQ, variant, "variant", 0, 2000000000, none, "its index among the plan's variants") \
    X(ENUM, REQ, strategy, "strategy", 0, 0, strategy, "charging strategy")                 \
    X(ARR, REQ, depots, "depots", 1, 100, depot_spec,                                       \
      "every depot as designed: chargers and gridLimitKw, ready for a scenario")            \
    X(OBJ, REQ, cost, "cost", 0, 0, plan_cost, "what it costs")                             \
    X(OBJ, REQ, summary, "summary", 0, 0, summary, "its run's summary")

/* An infeasible design and why (its summary's verdict). */
#define FSIM_WIRE_PLAN_REJECTION_FIELDS(X)                                                  \
    X(INT, REQ, variant, "variant", 0, 2000000000, none, "its index among the plan's variants") \
    X(ENUM, REQ, strategy, "strategy", 0, 0, strategy, "charging strategy")                 \
    X(ARR, REQ, depots, "depots", 1, 100, depot_spec, "every depot as designed")            \
    X(NUM, REQ, annual_cost, "annualCost", 0, 1e15, none, "what it would cost a year")       \
    X(STR, REQ, verdict, "verdict", 1, 4096, none, "why it fails: summary.verdict")

#define FSIM_WIRE_PLAN_RESULT_FIELDS(X)                                                     \
    X(STR, OPT, name, "name", 1, 200, none, "the scenario's name")                          \
    X(OBJ, OPT, best, "best", 0, 0, plan_design,                                            \
      "the feasible design of least annualCost (then lowest variant); absent when none is") \
    X(ARR, REQ, front, "front", 0, 100000000, plan_design,                                  \
      "feasible designs no other beats on both annualCost and summary.peakKw, by annualCost") \
    X(ARR, REQ, wait_front, "waitFront", 0, 100000000, plan_design,                         \
      "the same against summary.waitSecondsP95 (0 when nothing waited)")                    \
    X(INT, REQ, variants, "variants", 0, 2000000000, none, "designs in the plan")           \
    X(INT, REQ, evaluated, "evaluated", 0, 2000000000, none, "designs run")                 \
    X(INT, REQ, pruned, "pruned", 0, 2000000000, none,                                      \
      "designs not run: their capital cost alone is above a feasible design's annualCost")  \
    X(INT, REQ, infeasible, "infeasible", 0, 2000000000, none, "designs run and infeasible") \
    X(ARR, REQ, rejected, "rejected", 0, 100000000, plan_rejection,                         \
      "every infeasible design and why, by variant")                                        \
    X(STRS, REQ, warnings, "warnings", 0, 10000, text, "things a planner should know")

/* A plan as a job (POST /v1/plans, docs/plan.md "As a job"): the request is a
 * SimulationRequest whose `plan` block says what to vary; the answer is the PlanResult. */
#define FSIM_WIRE_PLAN_STATUS_FIELDS(X)                                                     \
    X(STR, REQ, id, "id", 36, 36, uuid, "plan id")                                          \
    X(STR, REQ, fleet_id, "fleetId", 36, 36, uuid, "fleet")                                 \
    X(STR, OPT, name, "name", 1, 200, none, "the request's name")                          \
    X(ENUM, REQ, status, "status", 0, 0, run_status, "where the plan is")                   \
    X(NUM, REQ, progress, "progress", 0, 1, none, "share of the batches done, 0..1")        \
    X(INT, REQ, variants, "variants", 1, 2000000000, none, "designs in the plan")           \
    X(INT, REQ, batches, "batches", 1, 2000000000, none, "batches of variants")             \
    X(INT, REQ, batches_done, "batchesDone", 0, 2000000000, none, "batches stored")         \
    X(TIME, REQ, created_at, "createdAt", 0, 0, none, "submitted")                          \
    X(TIME, REQ, updated_at, "updatedAt", 0, 0, none, "last change")                        \
    X(TIME, OPT, started_at, "startedAt", 0, 0, none, "a worker started its first batch")   \
    X(TIME, OPT, finished_at, "finishedAt", 0, 0, none, "succeeded or failed")              \
    X(OBJ, OPT, error, "error", 0, 0, api_error, "why it failed")

/* The Pub/Sub message of one batch of a plan job: the plan's row holds the request, so the
 * message only names the batch (the row is authoritative, like a JobMessage's). */
#define FSIM_WIRE_PLAN_BATCH_MESSAGE_FIELDS(X)                                              \
    X(STR, REQ, plan_id, "planId", 36, 36, uuid, "the plan")                                \
    X(INT, REQ, batch, "batch", 0, 2000000000, none, "the batch's index")

/* What one batch of a plan job stored (plan_batches.outcome): its designs, by variant. */
#define FSIM_WIRE_PLAN_BATCH_OUTCOME_FIELDS(X)                                              \
    X(INT, REQ, batch, "batch", 0, 2000000000, none, "the batch's index")                   \
    X(ARR, REQ, designs, "designs", 0, 100000, plan_design, "the batch's designs, by variant")

/* Every type: X(ENUM_SUFFIX, c_suffix, "SchemaName"), dependencies first. */
#define FSIM_WIRE_TYPES(X)                                                                  \
    X(LONLAT, lonlat, "LonLat")                                                             \
    X(CHARGER_SPEC, charger_spec, "ChargerSpec")                                            \
    X(WEATHER_SPEC, weather_spec, "WeatherSpec")                                            \
    X(DEPOT_SPEC, depot_spec, "DepotSpec")                                                  \
    X(VEHICLE_GROUP, vehicle_group, "VehicleGroup")                                         \
    X(REQUEST_OUTPUTS, request_outputs, "RequestOutputs")                                   \
    X(GRID_STEP, grid_step, "GridStep")                                                     \
    X(PLAN_SPEC, plan_spec, "PlanSpec")                                                     \
    X(REQUEST, request, "SimulationRequest")                                                \
    X(CHARGER_TYPE_SUMMARY, charger_type_summary, "ChargerTypeSummary")                     \
    X(DEPOT_SUMMARY, depot_summary, "DepotSummary")                                         \
    X(SUMMARY, summary, "Summary")                                                          \
    X(TIME_SERIES_POINT, time_series_point, "TimeSeriesPoint")                              \
    X(CHARGING_EVENT, charging_event, "ChargingEvent")                                      \
    X(TRIP_RESULT, trip_result, "TripResult")                                               \
    X(VEHICLE_SERIES, vehicle_series, "VehicleSeries")                                      \
    X(VEHICLE_SUMMARY, vehicle_summary, "VehicleSummary")                                   \
    X(RESULT_METADATA, result_metadata, "ResultMetadata")                                   \
    X(RESULT, result, "SimulationResult")                                                   \
    X(STRATEGY_OUTCOME, strategy_outcome, "StrategyOutcome")                                \
    X(COMPARISON, comparison, "StrategyComparison")                                         \
    X(ERROR_DETAIL, error_detail, "ErrorDetail")                                            \
    X(API_ERROR, api_error, "ApiError")                                                     \
    X(JOB_STATUS, job_status, "JobStatus")                                                  \
    X(JOB_MESSAGE, job_message, "JobMessage")                                               \
    X(ERROR_RESPONSE, error_response, "ErrorResponse")                                      \
    X(SUBMIT_LINKS, submit_links, "SubmitLinks")                                            \
    X(SUBMIT_RESPONSE, submit_response, "SubmitResponse")                                   \
    X(SIMULATION_PAGE, simulation_page, "SimulationPage")                                   \
    X(NEW_FLEET, new_fleet, "NewFleet")                                                     \
    X(FLEET, fleet, "Fleet")                                                                \
    X(FLEET_PAGE, fleet_page, "FleetPage")                                                  \
    X(HTTP_REQUEST_LOG, http_request_log, "HttpRequestLog")                                 \
    X(LOG_ENTRY, log_entry, "LogEntry")                                                     \
    X(CYCLE_REPORT, cycle_report, "CycleReport")                                            \
    X(PLAN_COST, plan_cost, "PlanCost")                                                     \
    X(PLAN_DESIGN, plan_design, "PlanDesign")                                               \
    X(PLAN_REJECTION, plan_rejection, "PlanRejection")                                      \
    X(PLAN_RESULT, plan_result, "PlanResult")                                              \
    X(PLAN_STATUS, plan_status, "PlanStatus")                                              \
    X(PLAN_BATCH_MESSAGE, plan_batch_message, "PlanBatchMessage")                          \
    X(PLAN_BATCH_OUTCOME, plan_batch_outcome, "PlanBatchOutcome")

/* ---- The structs, derived from the lists ----------------------------------------------- */

#define FSIM__WM_STR_REQ(m, aux) const char *m;
#define FSIM__WM_STR_OPT(m, aux) const char *m;
#define FSIM__WM_STR_NUL(m, aux) const char *m;
#define FSIM__WM_INT_REQ(m, aux) int m;
#define FSIM__WM_INT_OPT(m, aux) bool has_##m; int m;
#define FSIM__WM_NUM_REQ(m, aux) double m;
#define FSIM__WM_NUM_OPT(m, aux) bool has_##m; double m;
#define FSIM__WM_BOOL_REQ(m, aux) bool m;
#define FSIM__WM_BOOL_OPT(m, aux) bool has_##m; bool m;
#define FSIM__WM_TIME_REQ(m, aux) double m;
#define FSIM__WM_TIME_OPT(m, aux) bool has_##m; double m;
#define FSIM__WM_ENUM_REQ(m, aux) fsim_##aux m;
#define FSIM__WM_ENUM_OPT(m, aux) bool has_##m; fsim_##aux m;
#define FSIM__WM_OBJ_REQ(m, aux) fsim_##aux m;
#define FSIM__WM_OBJ_OPT(m, aux) fsim_##aux *m;
#define FSIM__WM_ARR_REQ(m, aux) fsim_##aux *m; size_t n_##m;
#define FSIM__WM_ARR_OPT(m, aux) fsim_##aux *m; size_t n_##m;
#define FSIM__WM_STRS_REQ(m, aux) const char **m; size_t n_##m;
#define FSIM__WM_STRS_OPT(m, aux) const char **m; size_t n_##m;
#define FSIM__WM_NUMS_REQ(m, aux) double *m; size_t n_##m;
#define FSIM__WM_NUMS_OPT(m, aux) double *m; size_t n_##m;
#define FSIM__WM_JSON_REQ(m, aux) const char *m;
#define FSIM__WM_JSON_OPT(m, aux) const char *m;
#define FSIM__WM_FLAT_REQ(m, aux) fsim_##aux m;
#define FSIM__WIRE_MEMBER(kind, pres, m, key, lo, hi, aux, doc) FSIM__WM_##kind##_##pres(m, aux)

/* E.g. FSIM_WIRE_VEHICLE_GROUP_FIELDS gives
 *     typedef struct fsim_vehicle_group {
 *         const char *type; bool has_count; int count; const char **vins; size_t n_vins;
 *         const char *depot; const char *route_id; const char **departures;
 *         size_t n_departures; double initial_soc; double target_soc;
 *         bool has_reserve_soc; double reserve_soc;
 *     } fsim_vehicle_group;
 * and FSIM_WIRE_JOB_MESSAGE_FIELDS: { fsim_request request; fsim_job_mode mode;
 * const char *simulation_id; } whose JSON has the request's keys inline. */
#define FSIM__WIRE_STRUCT(suffix, FIELDS)                                                   \
    typedef struct fsim_##suffix { FIELDS(FSIM__WIRE_MEMBER) } fsim_##suffix;

FSIM__WIRE_STRUCT(lonlat, FSIM_WIRE_LONLAT_FIELDS)
FSIM__WIRE_STRUCT(charger_spec, FSIM_WIRE_CHARGER_SPEC_FIELDS)
FSIM__WIRE_STRUCT(weather_spec, FSIM_WIRE_WEATHER_SPEC_FIELDS)
FSIM__WIRE_STRUCT(depot_spec, FSIM_WIRE_DEPOT_SPEC_FIELDS)
FSIM__WIRE_STRUCT(vehicle_group, FSIM_WIRE_VEHICLE_GROUP_FIELDS)
FSIM__WIRE_STRUCT(request_outputs, FSIM_WIRE_REQUEST_OUTPUTS_FIELDS)
FSIM__WIRE_STRUCT(grid_step, FSIM_WIRE_GRID_STEP_FIELDS)
FSIM__WIRE_STRUCT(plan_spec, FSIM_WIRE_PLAN_SPEC_FIELDS)
FSIM__WIRE_STRUCT(request, FSIM_WIRE_REQUEST_FIELDS)
FSIM__WIRE_STRUCT(charger_type_summary, FSIM_WIRE_CHARGER_TYPE_SUMMARY_FIELDS)
FSIM__WIRE_STRUCT(depot_summary, FSIM_WIRE_DEPOT_SUMMARY_FIELDS)
FSIM__WIRE_STRUCT(summary, FSIM_WIRE_SUMMARY_FIELDS)
FSIM__WIRE_STRUCT(time_series_point, FSIM_WIRE_TIME_SERIES_POINT_FIELDS)
FSIM__WIRE_STRUCT(charging_event, FSIM_WIRE_CHARGING_EVENT_FIELDS)
FSIM__WIRE_STRUCT(trip_result, FSIM_WIRE_TRIP_RESULT_FIELDS)
FSIM__WIRE_STRUCT(vehicle_series, FSIM_WIRE_VEHICLE_SERIES_FIELDS)
FSIM__WIRE_STRUCT(vehicle_summary, FSIM_WIRE_VEHICLE_SUMMARY_FIELDS)
FSIM__WIRE_STRUCT(result_metadata, FSIM_WIRE_RESULT_METADATA_FIELDS)
FSIM__WIRE_STRUCT(result, FSIM_WIRE_RESULT_FIELDS)
FSIM__WIRE_STRUCT(strategy_outcome, FSIM_WIRE_STRATEGY_OUTCOME_FIELDS)
FSIM__WIRE_STRUCT(comparison, FSIM_WIRE_COMPARISON_FIELDS)
FSIM__WIRE_STRUCT(error_detail, FSIM_WIRE_ERROR_DETAIL_FIELDS)
FSIM__WIRE_STRUCT(api_error, FSIM_WIRE_API_ERROR_FIELDS)
FSIM__WIRE_STRUCT(job_status, FSIM_WIRE_JOB_STATUS_FIELDS)
FSIM__WIRE_STRUCT(job_message, FSIM_WIRE_JOB_MESSAGE_FIELDS)
FSIM__WIRE_STRUCT(error_response, FSIM_WIRE_ERROR_RESPONSE_FIELDS)
FSIM__WIRE_STRUCT(submit_links, FSIM_WIRE_SUBMIT_LINKS_FIELDS)
FSIM__WIRE_STRUCT(submit_response, FSIM_WIRE_SUBMIT_RESPONSE_FIELDS)
FSIM__WIRE_STRUCT(simulation_page, FSIM_WIRE_SIMULATION_PAGE_FIELDS)
FSIM__WIRE_STRUCT(new_fleet, FSIM_WIRE_NEW_FLEET_FIELDS)
FSIM__WIRE_STRUCT(fleet, FSIM_WIRE_FLEET_FIELDS)
FSIM__WIRE_STRUCT(fleet_page, FSIM_WIRE_FLEET_PAGE_FIELDS)
FSIM__WIRE_STRUCT(http_request_log, FSIM_WIRE_HTTP_REQUEST_LOG_FIELDS)
FSIM__WIRE_STRUCT(log_entry, FSIM_WIRE_LOG_ENTRY_FIELDS)
FSIM__WIRE_STRUCT(cycle_report, FSIM_WIRE_CYCLE_REPORT_FIELDS)
FSIM__WIRE_STRUCT(plan_cost, FSIM_WIRE_PLAN_COST_FIELDS)
FSIM__WIRE_STRUCT(plan_design, FSIM_WIRE_PLAN_DESIGN_FIELDS)
FSIM__WIRE_STRUCT(plan_rejection, FSIM_WIRE_PLAN_REJECTION_FIELDS)
FSIM__WIRE_STRUCT(plan_result, FSIM_WIRE_PLAN_RESULT_FIELDS)
FSIM__WIRE_STRUCT(plan_status, FSIM_WIRE_PLAN_STATUS_FIELDS)
FSIM__WIRE_STRUCT(plan_batch_message, FSIM_WIRE_PLAN_BATCH_MESSAGE_FIELDS)
FSIM__WIRE_STRUCT(plan_batch_outcome, FSIM_WIRE_PLAN_BATCH_OUTCOME_FIELDS)

/* The type tag of the generic entry points: FSIM_WIRE_REQUEST ⇔ fsim_request, … */
typedef enum fsim_wire_type {
#define FSIM__E(upper, lower, schema_name) FSIM_WIRE_##upper,
    FSIM_WIRE_TYPES(FSIM__E)
#undef FSIM__E
    FSIM_WIRE_TYPE_COUNT
} fsim_wire_type;

/* ---- Generic API ------------------------------------------------------------------------- */

enum {
    /* decode: skip keys that are not in the contract instead of rejecting them */
    FSIM_WIRE_IGNORE_UNKNOWN = 1u << 0,
    /* encode / schema: 2-space indentation, one member per line (compact otherwise) */
    FSIM_WIRE_PRETTY = 1u << 1,
};

/* "SimulationRequest", …; NULL for an unknown type. */
const char *fsim_wire_type_name(fsim_wire_type type);
/* sizeof the struct of `type` (0 for an unknown type). */
size_t fsim_wire_type_size(fsim_wire_type type);

/* Parses `len` bytes of JSON text (need not be NUL-terminated) and decodes it as `type`,
 * validating every field (types, ranges, formats, enums, required keys, unknown and
 * duplicate keys, cross-field rules). On success *out points to a new object in `arena`.
 * On failure returns FSIM_INVALID (FSIM_NOMEM when out of memory), leaves *out NULL and
 * fills `err`: `source` is the caller's label (a file name, "request body"); malformed
 * JSON sets line and column (1-based, columns count characters); otherwise `path` is the
 * first offending field (`vehicles[2].initialSoc`) and `message` says what is wrong
 * (`must be between 0 and 1`). "First" = document order within an object, missing keys
 * after the keys present, cross-field rules after the fields they relate. */
fsim_status fsim_wire_decode(fsim_wire_type type, const char *json, size_t len,
                             const char *source, unsigned flags, fsim_arena *arena, void **out,
                             fsim_error *err);

/* fsim_wire_decode that does not stop at the first problem: it goes on through the whole
 * document and lists up to `max` problems (at most FSIM_WIRE_MAX_PROBLEMS; 0 means that
 * many) in *details (in `arena`; *n_details of them), each a field path and a message, in
 * the order fsim_wire_decode would meet them; `err` holds the first, exactly as
 * fsim_wire_decode reports it. Cross-field rules of an object run only when its own fields
 * had no problem. Malformed JSON is one problem (with line and column in `err`). */
fsim_status fsim_wire_decode_all(fsim_wire_type type, const char *json, size_t len,
                                 const char *source, unsigned flags, size_t max,
                                 fsim_arena *arena, void **out, fsim_error_detail **details,
                                 size_t *n_details, fsim_error *err);

/* The same from an already-parsed cJSON node (borrowed, not modified). Errors carry a path
 * but no line/column. */
fsim_status fsim_wire_decode_json(fsim_wire_type type, const struct cJSON *node,
                                  const char *source, unsigned flags, fsim_arena *arena,
                                  void **out, fsim_error *err);

/* Checks an object built in C against the same rules the decoder applies (ranges, formats,
 * required pointers, cross-field rules). FSIM_OK or FSIM_INVALID with `err` filled. */
fsim_status fsim_wire_validate(fsim_wire_type type, const void *obj, const char *source,
                               fsim_error *err);

/* Encodes `obj` as JSON: keys in declaration order, numbers shortest round-trip (non-finite
 * → null), times RFC 3339 UTC whole seconds, optional members omitted when absent, no
 * trailing newline. The encoder does not validate (see fsim_wire_validate) and trusts JSON
 * members (overrides) to hold valid JSON. Returns malloc'd NUL-terminated text — the
 * caller frees it with free() — and its length in *len (may be NULL); NULL when out of
 * memory (or nesting deeper than 127 levels in a hand-built overrides text). */
char *fsim_wire_encode(fsim_wire_type type, const void *obj, unsigned flags, size_t *len);

/* Streaming variant for large results: the text is handed to `write` in chunks of about
 * 64 KiB, in order; `write` returns false to abort (then FSIM_IO). */
typedef bool (*fsim_wire_write_fn)(void *user, const char *data, size_t len);
fsim_status fsim_wire_encode_to(fsim_wire_type type, const void *obj, unsigned flags,
                                fsim_wire_write_fn write, void *user, fsim_error *err);

/* The CSV table (RFC 4180) of `n_rows` objects of `type`, laid out as a C array (e.g. a
 * result's trips), derived from the same field list as the JSON: one column per scalar
 * field, named by its JSON key in snake_case (pluggedAt → plugged_at); a nested object's
 * fields prefixed with its name (strandedAt.lon → stranded_at_lon); arrays left out; absent
 * values empty. Each time is UTC (RFC 3339, Z) followed by `<name>_local`: the same instant
 * in the local time of the row's depot (its "depot" field looked up by id in `depots`,
 * borrowed), with the offset ("2026-01-05T06:00:00-05:00"); empty when `depots` is NULL or
 * lacks the row's depot. Header line first, "\n" line ends; the text goes to `write` in
 * chunks of about 64 KiB (false aborts: FSIM_IO). */
fsim_status fsim_wire_csv_write(fsim_wire_type type, const void *rows, size_t n_rows,
                                const fsim_depot_summary *depots, size_t n_depots,
                                fsim_wire_write_fn write, void *user, fsim_error *err);

/* A table written row by row, as a streaming sink produces the rows, in CSV (header first,
 * exactly the lines fsim_wire_csv_write gives for the same rows) and/or JSON (the rows as
 * the encoder writes them inside an array — compact, comma-separated — without the
 * brackets, for splicing into an encoded document): each row is walked once for both, and
 * a NULL `csv` or `json` leaves that text out. Each text goes to its function in chunks of
 * about 64 KiB. `depots` (borrowed, for the CSV's _local columns) must outlive the writer.
 * FSIM_USAGE for a type whose JSON this writer cannot make (arrays, free-form JSON). */
typedef struct fsim_wire_rows fsim_wire_rows;
fsim_status fsim_wire_rows_new(fsim_wire_type type, const fsim_depot_summary *depots,
                               size_t n_depots, fsim_wire_write_fn csv, void *csv_user,
                               fsim_wire_write_fn json, void *json_user, fsim_wire_rows **out,
                               fsim_error *err);
/* One row (an object of the writer's type, borrowed); false once a write has failed. */
bool fsim_wire_rows_add(fsim_wire_rows *w, const void *row);
/* Flushes what is buffered and frees the writer (NULL accepted): FSIM_IO when a write
 * failed. */
fsim_status fsim_wire_rows_finish(fsim_wire_rows *w, fsim_error *err);

/* For a writer fed from several threads: rows formatted into a text of their own, by any
 * thread (the writer is only read), then handed to the writer's functions by one thread at
 * a time in the rows' order — the same bytes fsim_wire_rows_add gives. _format replaces
 * the text's rows with `n` rows laid out `size` bytes apart (false: out of memory); _put
 * writes them after what the writer has written (false once a write has failed). */
typedef struct fsim_wire_rows_text fsim_wire_rows_text;
fsim_wire_rows_text *fsim_wire_rows_text_new(void);
void fsim_wire_rows_text_free(fsim_wire_rows_text *t);
bool fsim_wire_rows_format(const fsim_wire_rows *w, const void *rows, size_t n, size_t size,
                           fsim_wire_rows_text *t);
bool fsim_wire_rows_put(fsim_wire_rows *w, const fsim_wire_rows_text *t);

/* A deep copy of `obj` into `arena` (through the codec, which also checks the contract):
 * for moving a value out of an arena that is about to die. *out NULL on failure. */
fsim_status fsim_wire_copy(fsim_wire_type type, const void *obj, fsim_arena *arena, void **out,
                           fsim_error *err);

/* Deep equality of two objects of `type`: same presence, same values (numbers compared
 * exactly), same strings, same array lengths and elements. */
bool fsim_wire_equal(fsim_wire_type type, const void *a, const void *b);

/* The JSON Schema (draft 2020-12) of `type`, derived from the same field lists.
 * ref_prefix NULL: a standalone document with "$schema" and every nested type under
 * "$defs" (references "#/$defs/Name"). ref_prefix e.g. "#/components/schemas/": only this
 * type's schema, nested types referenced as ref_prefix + name (for an OpenAPI document, call
 * it for every type). Returns malloc'd text (free() it), length in *len; NULL when out of
 * memory or for an unknown type. */
char *fsim_wire_schema(fsim_wire_type type, const char *ref_prefix, unsigned flags,
                       size_t *len);

/* The OpenAPI 3.1 document of fleetsim-api, `version` as info.version: the paths, and every
 * wire type's schema (but the log line's, the cycle report's and a plan batch's stored
 * outcome) under components.schemas. malloc'd JSON, *len (may
 * be NULL) its length; NULL when out of memory. */
char *fsim_wire_openapi(const char *version, size_t *len);

/* Minutes after midnight of a valid "HH:MM" (00:00..23:59), else -1. */
int fsim_wire_hhmm_minutes(const char *hhmm);

/* ---- Typed conveniences ----------------------------------------------------------------- */

static inline fsim_status fsim_request_decode(const char *json, size_t len, const char *source,
                                              unsigned flags, fsim_arena *arena,
                                              fsim_request **out, fsim_error *err)
{
    void *p = NULL;
    fsim_status s = fsim_wire_decode(FSIM_WIRE_REQUEST, json, len, source, flags, arena, &p,
                                     err);
    *out = (fsim_request *)p;
    return s;
}

static inline fsim_status fsim_result_decode(const char *json, size_t len, const char *source,
                                             unsigned flags, fsim_arena *arena,
                                             fsim_result **out, fsim_error *err)
{
    void *p = NULL;
    fsim_status s = fsim_wire_decode(FSIM_WIRE_RESULT, json, len, source, flags, arena, &p,
                                     err);
    *out = (fsim_result *)p;
    return s;
}

static inline fsim_status fsim_job_message_decode(const char *json, size_t len,
                                                  const char *source, unsigned flags,
                                                  fsim_arena *arena, fsim_job_message **out,
                                                  fsim_error *err)
{
    void *p = NULL;
    fsim_status s = fsim_wire_decode(FSIM_WIRE_JOB_MESSAGE, json, len, source, flags, arena,
                                     &p, err);
    *out = (fsim_job_message *)p;
    return s;
}

static inline char *fsim_request_encode(const fsim_request *req, unsigned flags, size_t *len)
{
    return fsim_wire_encode(FSIM_WIRE_REQUEST, req, flags, len);
}

static inline char *fsim_result_encode(const fsim_result *res, unsigned flags, size_t *len)
{
    return fsim_wire_encode(FSIM_WIRE_RESULT, res, flags, len);
}

static inline char *fsim_job_status_encode(const fsim_job_status *job, unsigned flags,
                                           size_t *len)
{
    return fsim_wire_encode(FSIM_WIRE_JOB_STATUS, job, flags, len);
}

static inline char *fsim_job_message_encode(const fsim_job_message *msg, unsigned flags,
                                            size_t *len)
{
    return fsim_wire_encode(FSIM_WIRE_JOB_MESSAGE, msg, flags, len);
}

static inline char *fsim_submit_response_encode(const fsim_submit_response *resp,
                                                unsigned flags, size_t *len)
{
    return fsim_wire_encode(FSIM_WIRE_SUBMIT_RESPONSE, resp, flags, len);
}

static inline fsim_status fsim_submit_response_decode(const char *json, size_t len,
                                                      const char *source, unsigned flags,
                                                      fsim_arena *arena,
                                                      fsim_submit_response **out,
                                                      fsim_error *err)
{
    void *p = NULL;
    fsim_status s = fsim_wire_decode(FSIM_WIRE_SUBMIT_RESPONSE, json, len, source, flags,
                                     arena, &p, err);
    *out = (fsim_submit_response *)p;
    return s;
}

static inline char *fsim_simulation_page_encode(const fsim_simulation_page *page,
                                                unsigned flags, size_t *len)
{
    return fsim_wire_encode(FSIM_WIRE_SIMULATION_PAGE, page, flags, len);
}

static inline char *fsim_log_entry_encode(const fsim_log_entry *entry, unsigned flags,
                                          size_t *len)
{
    return fsim_wire_encode(FSIM_WIRE_LOG_ENTRY, entry, flags, len);
}

static inline char *fsim_error_response_encode(const fsim_error_response *resp, unsigned flags,
                                               size_t *len)
{
    return fsim_wire_encode(FSIM_WIRE_ERROR_RESPONSE, resp, flags, len);
}

#endif
