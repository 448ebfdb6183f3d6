/* Benchmark of a whole run (figures, no thresholds): config → routes → engine → the five
 * result files, on config/scenarios/large.json scaled to N vehicles and D days.
 *
 *   bench_engine VEHICLES DAYS [OUT_DIR|-] [STRATEGY|-] [stream|memory] [OUTPUTS] [DEPOTS] [THREADS]
 *
 * With OUT_DIR the files are streamed as the engine produces the rows (the default, what
 * `fleetsim run` does; "engine" then includes writing the rows and "files" is the commit:
 * result.json assembled, fsync, rename), or with `memory` written from the whole result
 * kept in memory afterwards. OUTPUTS: the row kinds to produce, letters of "setv" (series,
 * events, trips, vehicles; default all), e.g. "sv" for a year of a big fleet. DEPOTS
 * (default 1): the scenario's depot and its vehicle groups copied that many times
 * ("north-1", …), the vehicles shared evenly among them. THREADS: depots run side by side
 * on that many threads (default 0: every CPU).
 *
 * The scenario's vehicle groups and chargers are multiplied by VEHICLES / (its vehicle
 * count), so the depot keeps its mix. Prints wall times (prepare, engine, files), the
 * engine's vehicle-steps per second and the process's peak RSS. One run per process, so
 * the RSS is that run's. */
#include <fleetsim/runner.h>
#include <fleetsim/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(const fsim_error *err)
{
    char msg[1200];
    fsim_error_format(err, msg, sizeof msg);
    fprintf(stderr, "bench_engine: %s\n", msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_engine VEHICLES DAYS [OUT_DIR|-] [STRATEGY]\n");
        return 2;
    }
    const int vehicles = atoi(argv[1]), days = atoi(argv[2]);
    const char *out_dir = argc > 3 && strcmp(argv[3], "-") != 0 ? argv[3] : NULL;
    const char *root = getenv("FSIM_SOURCE_ROOT");
    char config_dir[1024], scenario[1100];
    snprintf(config_dir, sizeof config_dir, "%s/config", root ? root : ".");
    snprintf(scenario, sizeof scenario, "%s/scenarios/large.json", config_dir);

    fsim_error err;
    fsim_arena *arena = fsim_arena_new();
    char *text;
    size_t len;
    fsim_request *req;
    if (fsim_read_file(scenario, arena, &text, &len, &err) != FSIM_OK ||
        fsim_request_decode(text, len, scenario, 0, arena, &req, &err) != FSIM_OK)
        return fail(&err);
    int base = 0;
    for (size_t g = 0; g < req->n_vehicles; g++)
        base += req->vehicles[g].count;
    const double scale = (double)vehicles / base;
    for (size_t g = 0; g < req->n_vehicles; g++)
        req->vehicles[g].count = (int)(req->vehicles[g].count * scale + 0.5);
    for (size_t d = 0; d < req->n_depots; d++) {
        req->depots[d].grid_limit_kw *= scale;
        for (size_t c = 0; c < req->depots[d].n_chargers; c++)
            req->depots[d].chargers[c].count = (int)(req->depots[d].chargers[c].count * scale + 0.5);
    }
    req->days = days;
    const int n_copies = argc > 7 ? atoi(argv[7]) : 1;
    if (n_copies > 1) {
        /* copies of every depot and of every group, each group's count split evenly */
        size_t nd = req->n_depots, ng = req->n_vehicles;
        fsim_depot_spec *depots = fsim_arena_calloc(arena, nd * (size_t)n_copies, sizeof *depots);
        fsim_vehicle_group *groups = fsim_arena_calloc(arena, ng * (size_t)n_copies, sizeof *groups);
        for (int k = 0; k < n_copies; k++) {
            for (size_t d = 0; d < nd; d++) {
                fsim_depot_spec *dd = &depots[(size_t)k * nd + d];
                *dd = req->depots[d];
                dd->id = fsim_arena_sprintf(arena, "%s-%d", req->depots[d].id, k + 1);
                dd->grid_limit_kw /= n_copies;
                dd->chargers = fsim_arena_calloc(arena, dd->n_chargers + 1, sizeof *dd->chargers);
                for (size_t c = 0; c < dd->n_chargers; c++) {
                    dd->chargers[c] = req->depots[d].chargers[c];
                    dd->chargers[c].count = (req->depots[d].chargers[c].count + n_copies - 1) / n_copies;
                }
            }
            for (size_t g = 0; g < ng; g++) {
                fsim_vehicle_group *gg = &groups[(size_t)k * ng + g];
                *gg = req->vehicles[g];
                gg->count = req->vehicles[g].count / n_copies +
                            (k < req->vehicles[g].count % n_copies);
                gg->depot = fsim_arena_sprintf(arena, "%s-%d", req->vehicles[g].depot, k + 1);
            }
        }
        req->depots = depots;
        req->n_depots = nd * (size_t)n_copies;
        req->vehicles = groups;
        req->n_vehicles = ng * (size_t)n_copies;
    }
    if (argc > 4 && strcmp(argv[4], "-") != 0 && !fsim_strategy_parse(argv[4], &req->strategy)) {
        fprintf(stderr, "bench_engine: unknown strategy \"%s\"\n", argv[4]);
        return 2;
    }

    const bool memory = argc > 5 && strcmp(argv[5], "memory") == 0;
    const char *kinds = argc > 6 ? argv[6] : "setv";
    fsim_runner_options opts = {.config_dir = config_dir, .source = scenario};
    fsim_prepared *prep;
    fsim_result *res = calloc(1, sizeof *res);
    double t0 = now_s();
    if (fsim_runner_prepare(req, &opts, arena, &prep, &err) != FSIM_OK)
        return fail(&err);
    double t1 = now_s();
    prep->input.outputs = (strchr(kinds, 's') ? FSIM_SIM_OUT_SERIES : 0u) |
                          (strchr(kinds, 'e') ? FSIM_SIM_OUT_EVENTS : 0u) |
                          (strchr(kinds, 't') ? FSIM_SIM_OUT_TRIPS : 0u) |
                          (strchr(kinds, 'v') ? FSIM_SIM_OUT_VEHICLES : 0u);
    prep->input.threads = argc > 8 ? atoi(argv[8]) : 0;
    fsim_runner_stream *stream = NULL;
    if (out_dir && !memory &&
        fsim_runner_stream_open(out_dir, true, &prep->input, &stream, &err) != FSIM_OK)
        return fail(&err);
    fsim_status st = stream ? fsim_sim_run_rows(&prep->input, arena, NULL, NULL,
                                                fsim_runner_stream_rows(stream), res, &err)
                            : fsim_sim_run(&prep->input, arena, NULL, NULL, res, &err);
    if (st != FSIM_OK)
        return fail(&err);
    double t2 = now_s();
    res->metadata = (fsim_result_metadata){.engine_version = "bench",
                                           .config_hash = prep->config_hash};
    if (stream && fsim_runner_stream_commit(stream, res, &err) != FSIM_OK)
        return fail(&err);
    if (out_dir && memory && fsim_runner_write_files(res, out_dir, &err) != FSIM_OK)
        return fail(&err);
    double t3 = now_s();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("run %zu vehicles x %d days, %zu depots, %d threads (%d s steps, %s, %s): prepare %.4f s, engine %.4f s, files %.4f s,"
           " total %.4f s\n",
           prep->input.n_vehicles, days, prep->input.n_depots, prep->input.threads,
           req->step_seconds,
           fsim_strategy_name(req->strategy), !out_dir ? "no files" : memory ? "files from memory" : "files streamed",
           t1 - t0, t2 - t1, t3 - t2, t3 - t0);
    printf("  %.0f vehicle-steps, %.1f M vehicle-steps/s (engine), %d trips, %d charging "
           "events, peak RSS %.0f MiB\n",
           prep->vehicle_steps, prep->vehicle_steps / (t2 - t1) / 1e6, res->summary.trips,
           res->summary.charging_events, ru.ru_maxrss / 1024.0);
    free(res);
    fsim_arena_free(arena);
    return 0;
}
