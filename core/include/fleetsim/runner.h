/* fleetsim — the simulation runner: request + config → routes → energy profiles → engine →
 * a SimulationResult, and the local sink that writes it as files. Mode-aware callers (the
 * CLI, the HTTP server, the Pub/Sub worker) differ only in where the result goes. */
#ifndef FLEETSIM_RUNNER_H
#define FLEETSIM_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/arena.h>
#include <fleetsim/config.h>
#include <fleetsim/error.h>
#include <fleetsim/services.h>
#include <fleetsim/sim.h>
#include <fleetsim/wire.h>

typedef struct fsim_runner_options {
    const char *config_dir;          /* the YAML config directory */
    const char *env_overrides_json;  /* $FLEETSIM_CONFIG_OVERRIDES (the core reads no env) */
    const char *source;              /* label for errors: the scenario file, "request body" */
    const char *trace_id;            /* optional: copied into metadata.traceId */
    fsim_sim_progress_fn progress;   /* optional, between simulated days */
    void *progress_user;
    /* optional: prices a depot that names no tariff instead of tariffs.yaml's "default" —
     * the fleet's state data in the database, as a flat tariff (fsim_tariff_flat) */
    const fsim_tariff *fallback_tariff;
    /* optional, borrowed: the routing, elevation and weather services (docs/services.md),
     * asked for a request's `weather` and for a route whose file was never fetched; NULL:
     * such a request fails naming what is missing */
    fsim_svc *services;
    /* depots run side by side on this many threads (0: every CPU); the same result for
     * any count (fsim_sim_input.threads) */
    int threads;
} fsim_runner_options;

/* A request checked against the config and turned into the engine's input. */
typedef struct fsim_prepared {
    fsim_sim_input input;
    const char *config_hash;         /* hex SHA-256 of the effective config */
    size_t n_warnings;
    const char **warnings;
    double vehicle_steps;            /* vehicles × steps: the size of the job */
} fsim_prepared;

/* Loads the config (with both override layers), resolves every name of the request and
 * synthesizes each route's drive cycle and energy profile (once per route × vehicle
 * type). Everything lands in `arena`. Errors carry opts->source and the request's field
 * path (`vehicles[1].type: unknown vehicle type "van" (known: cargo-van, …)`), or the
 * config file / GeoJSON place for config problems. The request must have been decoded or
 * validated by the wire codec. Runs nothing: `fleetsim validate` is this call. */
fsim_status fsim_runner_prepare(const fsim_request *request, const fsim_runner_options *opts,
                                fsim_arena *arena, fsim_prepared **out, fsim_error *err);

/* Prepares and runs; the result (metadata filled) lives in `arena`. */
fsim_status fsim_runner_run(const fsim_request *request, const fsim_runner_options *opts,
                            fsim_arena *arena, fsim_result **out, fsim_error *err);

/* At most this many strategies in one comparison (StrategyComparison.results). */
#define FSIM_RUNNER_COMPARE_MAX 16

/* Runs `request` under each of `strategies` (n_strategies of them, in that order; NULL or 0:
 * every strategy, in the enum's order) and returns their summaries side by side, named
 * after the request (its own `strategy` is ignored). The request is prepared once; the
 * engines run in parallel, one thread and one arena each, so opts->progress may be called
 * from several threads at once. The comparison lives in `arena`. Errors: the preparation's
 * (as fsim_runner_prepare), else the first failing strategy's in the given order. */
fsim_status fsim_runner_compare(const fsim_request *request, const fsim_strategy *strategies,
                                size_t n_strategies, const fsim_runner_options *opts,
                                fsim_arena *arena, fsim_comparison **out, fsim_error *err);
/* The same for a request already prepared (borrowed, not modified) by fsim_runner_prepare
 * from `request`: for a caller that checks the job's size before running it. */
fsim_status fsim_runner_compare_prepared(const fsim_request *request,
                                         const fsim_prepared *prep,
                                         const fsim_strategy *strategies, size_t n_strategies,
                                         const fsim_runner_options *opts, fsim_arena *arena,
                                         fsim_comparison **out, fsim_error *err);

/* The local sink: writes result.json, timeseries.csv, charging_events.csv, trips.csv and
 * vehicles.csv into `dir` (created if missing). The CSV columns are the wire types' fields
 * (fsim_wire_csv_write), times in UTC and in the depot's local time (from
 * summary.depots[].utcOffsetMinutes; empty without it). Each file is written under a
 * temporary name and only renamed into place once all five are complete, so a failure
 * leaves none of them. */
fsim_status fsim_runner_write_files(const fsim_result *result, const char *dir,
                                    fsim_error *err);

/* A route given as waypoints (routes.yaml) resolved by the routing and elevation services
 * (or their cache) into GeoJSON text with elevation: what `fleetsim routes fetch` writes to
 * route->geojson_path. `source_label` (may be NULL) goes into the file's properties.
 * *geojson is malloc'd; *service_distance_m (may be NULL) is the service's own length. */
fsim_status fsim_runner_route_fetch(const fsim_route_def *route, fsim_svc *svc,
                                    const char *source_label, char **geojson,
                                    double *service_distance_m, fsim_error *err);
/* The local sink, streaming (bounded memory): the engine's rows go to the files as they
 * are produced. Open it in `dir` (created if missing) for the row kinds in in->outputs —
 * with `csv`, each kind's CSV table too, else result.json alone and without a final newline,
 * the bytes of the encoded result (gcs mode) —, run the
 * engine with its rows (fsim_sim_run_rows), then commit with the run's result (summary,
 * metadata: its row arrays are ignored): result.json is the bytes fsim_runner_write_files
 * gives for the same run kept in memory, the tables likewise. Everything is written under
 * temporary names and renamed into place only at commit, once all files are complete
 * (a table whose kind is off is removed, so no stale one stays beside the new files):
 * a failed or killed run leaves none. commit and abort free the stream. */
typedef struct fsim_runner_stream fsim_runner_stream;
fsim_status fsim_runner_stream_open(const char *dir, bool csv, const fsim_sim_input *in,
                                    fsim_runner_stream **out, fsim_error *err);
const fsim_sim_rows *fsim_runner_stream_rows(fsim_runner_stream *s);
fsim_status fsim_runner_stream_commit(fsim_runner_stream *s, const fsim_result *result,
                                      fsim_error *err);
void fsim_runner_stream_abort(fsim_runner_stream *s);

/* Prepares, runs and streams into `dir` as above (simulation_id, borrowed, may be NULL: the
 * result's simulationId); *out (in `arena`) is the result without
 * its rows (status, summary, metadata, vehicleSeries): what a caller prints or stores in a
 * row beside the files. */
fsim_status fsim_runner_run_files(const fsim_request *request, const fsim_runner_options *opts,
                                  const char *dir, bool csv, const char *simulation_id,
                                  fsim_arena *arena, fsim_result **out, fsim_error *err);

/* Every route of `config` as a GeoJSON FeatureCollection: one LineString Feature per route
 * (coordinates with elevation), properties = its routes.yaml settings (but the server-side
 * file path) plus id and lengthKm. malloc'd JSON; NULL with *err when a route file does not
 * load or memory runs out. */
char *fsim_runner_routes_geojson(const fsim_config *config, fsim_error *err);

#endif
