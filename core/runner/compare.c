/* One scenario under several charging strategies, side by side (`fleetsim compare`,
 * POST /v1/simulations:compare): the planner's trade-off between feasibility, peak, cost
 * and CO2 in one answer. The request is prepared once (config, routes, energy profiles:
 * the same for every strategy); each strategy's engine then runs on its own thread with
 * its own arena, reading the shared input and writing nothing shared. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/runner.h>

struct strategy_run {
    fsim_sim_input input;     /* the prepared input with this strategy */
    const fsim_runner_options *opts;
    fsim_arena *arena;        /* this run's own */
    fsim_result result;
    fsim_status st;
    fsim_error err;
};

static void *run_thread(void *arg)
{
    struct strategy_run *r = arg;
    r->st = fsim_sim_run(&r->input, r->arena, r->opts->progress, r->opts->progress_user,
                         &r->result, &r->err);
    return NULL;
}

/* A summary from a run's arena into the caller's: through the codec, which copies every
 * string and array (the verdict, the depots and their chargers) and checks the contract. */
static fsim_status copy_summary(const fsim_summary *from, fsim_arena *arena, fsim_summary *to,
                                fsim_error *err)
{
    void *copy = NULL;
    fsim_status st = fsim_wire_copy(FSIM_WIRE_SUMMARY, from, arena, &copy, err);
    if (st == FSIM_OK)
        *to = *(fsim_summary *)copy;
    return st;
}

fsim_status fsim_runner_compare(const fsim_request *request, const fsim_strategy *strategies,
                                size_t n_strategies, const fsim_runner_options *opts,
                                fsim_arena *arena, fsim_comparison **out, fsim_error *err)
{
    *out = NULL;
    fsim_prepared *prep;
    fsim_status st = fsim_runner_prepare(request, opts, arena, &prep, err);
    if (st != FSIM_OK)
        return st;
    return fsim_runner_compare_prepared(request, prep, strategies, n_strategies, opts, arena,
                                        out, err);
}

fsim_status fsim_runner_compare_prepared(const fsim_request *request,
                                         const fsim_prepared *prep,
                                         const fsim_strategy *strategies, size_t n_strategies,
                                         const fsim_runner_options *opts, fsim_arena *arena,
                                         fsim_comparison **out, fsim_error *err)
{
    static const fsim_strategy all[] = {FSIM_STRAT_IMMEDIATE, FSIM_STRAT_BALANCED,
                                        FSIM_STRAT_PEAK_SHAVING, FSIM_STRAT_COST};
    *out = NULL;
    if (!strategies || n_strategies == 0) {
        strategies = all;
        n_strategies = sizeof all / sizeof *all;
    }
    if (n_strategies > FSIM_RUNNER_COMPARE_MAX)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "strategies",
                              "at most %d strategies", FSIM_RUNNER_COMPARE_MAX);
    fsim_status st = FSIM_OK;
    fsim_comparison *cmp = fsim_arena_calloc(arena, 1, sizeof *cmp);
    struct strategy_run *runs = calloc(n_strategies, sizeof *runs);
    pthread_t *threads = calloc(n_strategies, sizeof *threads);
    bool *started = calloc(n_strategies, sizeof *started);
    if (cmp)
        cmp->results = fsim_arena_calloc(arena, n_strategies, sizeof *cmp->results);
    if (!cmp || !cmp->results || !runs || !threads || !started) {
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_strategies; i++) {
        runs[i].input = prep->input;
        runs[i].input.strategy = (fsim_strategy_kind)strategies[i];
        runs[i].input.per_vehicle_series = false; /* only the summary is kept */
        runs[i].input.outputs = 0;
        runs[i].input.threads = 1; /* the strategies already run side by side */
        runs[i].opts = opts;
        runs[i].st = FSIM_NOMEM;
        fsim_error_set(&runs[i].err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        if (!(runs[i].arena = fsim_arena_new()))
            continue;
        started[i] = pthread_create(&threads[i], NULL, run_thread, &runs[i]) == 0;
        if (!started[i]) /* no thread to spare: run it here */
            run_thread(&runs[i]);
    }
    for (size_t i = 0; i < n_strategies; i++)
        if (started[i])
            pthread_join(threads[i], NULL);
    /* the first failure in the caller's order, whatever order the threads finished in */
    for (size_t i = 0; i < n_strategies && st == FSIM_OK; i++) {
        if (runs[i].st != FSIM_OK) {
            st = runs[i].st;
            if (err)
                *err = runs[i].err;
            break;
        }
        cmp->results[i].strategy = strategies[i];
        st = copy_summary(&runs[i].result.summary, arena, &cmp->results[i].summary, err);
    }
    if (st == FSIM_OK) {
        cmp->n_results = n_strategies;
        cmp->name = request->name;
        *out = cmp;
    }
out:
    for (size_t i = 0; runs && i < n_strategies; i++)
        fsim_arena_free(runs[i].arena);
    free(runs);
    free(threads);
    free(started);
    return st;
}
