/* POST /v1/simulations:compare — one request under every charging strategy, the summaries
 * side by side (a StrategyComparison), as `fleetsim compare --json` prints it: the same
 * core call (fsim_runner_compare_prepared). Synchronous like POST /v1/simulations:run and
 * under its limits: the size check is per strategy (the engines run in parallel, so the
 * answer takes about as long as the slowest one), and a comparison takes one of the
 * FLEETSIM_API_SYNC_CONCURRENCY slots. */
#include <stdlib.h>

#include <fleetsim/runner.h>

#include "api.h"

/* Between simulated days, from any of the comparison's threads: stop once shutdown's
 * grace period is over. */
static bool keep_comparing(void *user, int day, int days)
{
    (void)day;
    (void)days;
    return !atomic_load(&((api_server *)user)->aborting);
}

bool api_handle_compare(api_request *req)
{
    api_server *srv = req->server;
    fsim_request *r = api_decode_request(req);
    if (!r)
        return true;
    fsim_runner_options opts = api_runner_options(req);
    fsim_error err;
    fsim_error_clear(&err);
    fsim_prepared *prep = NULL;
    if (fsim_runner_prepare(r, &opts, req->arena, &prep, &err) != FSIM_OK)
        return api_error_from(req, &err);
    if (prep->vehicle_steps > srv->cfg.sync_budget) {
        api_add_header(req, "Link", "</v1/simulations>; rel=\"submit\"");
        return api_error(req, 413, "job_too_large", NULL,
                         "this job is %.0f vehicle-steps (vehicles x steps); synchronous "
                         "comparisons take at most %.0f: submit each strategy with "
                         "POST /v1/simulations",
                         prep->vehicle_steps, srv->cfg.sync_budget);
    }
    if (atomic_fetch_add(&srv->sync_running, 1) >= srv->cfg.sync_concurrency) {
        atomic_fetch_sub(&srv->sync_running, 1);
        return api_error(req, 503, "busy", NULL,
                         "%d synchronous runs are in progress; retry shortly",
                         srv->cfg.sync_concurrency);
    }
    opts.progress = keep_comparing;
    opts.progress_user = srv;
    fsim_comparison *cmp = NULL;
    fsim_status st = fsim_runner_compare_prepared(r, prep, NULL, 0, &opts, req->arena, &cmp,
                                                  &err);
    atomic_fetch_sub(&srv->sync_running, 1);
    if (st != FSIM_OK)
        return api_error_from(req, &err);
    size_t len = 0;
    char *body = fsim_wire_encode(FSIM_WIRE_COMPARISON, cmp, 0, &len);
    if (!body)
        return api_error(req, 503, "unavailable", NULL, "out of memory");
    return api_respond(req, 200, "application/json", body, len);
}
