/* One simulation from request to result, whatever the caller does with the result. */
#include <fleetsim/runner.h>

_Static_assert((int)FSIM_STRAT_IMMEDIATE == (int)FSIM_STRATEGY_IMMEDIATE &&
                   (int)FSIM_STRAT_BALANCED == (int)FSIM_STRATEGY_BALANCED &&
                   (int)FSIM_STRAT_PEAK_SHAVING == (int)FSIM_STRATEGY_PEAK_SHAVING &&
                   (int)FSIM_STRAT_COST == (int)FSIM_STRATEGY_COST,
               "wire strategies and engine strategies must share their order");

/* Every result's provenance, the same whichever way it was run. */
static fsim_result_metadata metadata_of(const fsim_prepared *prep,
                                        const fsim_runner_options *opts)
{
    return (fsim_result_metadata){.engine_version = FSIM_VERSION,
                                  .config_hash = prep->config_hash,
                                  .warnings = prep->warnings,
                                  .n_warnings = prep->n_warnings,
                                  .trace_id = opts->trace_id};
}

fsim_status fsim_runner_run(const fsim_request *request, const fsim_runner_options *opts,
                            fsim_arena *arena, fsim_result **out, fsim_error *err)
{
    *out = NULL;
    fsim_prepared *prep;
    fsim_status st = fsim_runner_prepare(request, opts, arena, &prep, err);
    if (st != FSIM_OK)
        return st;
    prep->input.threads = opts->threads;
    fsim_result *res = fsim_arena_calloc(arena, 1, sizeof *res);
    if (!res)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    st = fsim_sim_run(&prep->input, arena, opts->progress, opts->progress_user, res, err);
    if (st != FSIM_OK)
        return st;
    res->metadata = metadata_of(prep, opts);
    *out = res;
    return FSIM_OK;
}

fsim_status fsim_runner_run_files(const fsim_request *request, const fsim_runner_options *opts,
                                  const char *dir, bool csv, const char *simulation_id,
                                  fsim_arena *arena, fsim_result **out, fsim_error *err)
{
    *out = NULL;
    fsim_prepared *prep;
    fsim_runner_stream *stream = NULL;
    fsim_status st = fsim_runner_prepare(request, opts, arena, &prep, err);
    if (st != FSIM_OK)
        return st;
    fsim_result *res = fsim_arena_calloc(arena, 1, sizeof *res);
    if (!res)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    prep->input.threads = opts->threads;
    if ((st = fsim_runner_stream_open(dir, csv, &prep->input, &stream, err)) != FSIM_OK)
        return st;
    st = fsim_sim_run_rows(&prep->input, arena, opts->progress, opts->progress_user,
                           fsim_runner_stream_rows(stream), res, err);
    if (st != FSIM_OK) {
        fsim_runner_stream_abort(stream);
        return st;
    }
    res->metadata = metadata_of(prep, opts);
    res->simulation_id = simulation_id;
    if ((st = fsim_runner_stream_commit(stream, res, err)) != FSIM_OK)
        return st;
    *out = res;
    return FSIM_OK;
}
