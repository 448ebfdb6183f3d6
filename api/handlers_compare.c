/* POST /v1/simulations:compare — one request under every charging strategy, the summaries
 * side by side (a StrategyComparison), as `fleetsim compare --json` prints it: the same
 * core call (fsim_runner_compare_prepared). Synchronous like POST /v1/simulations:run and
 * under its limits: the size check is per strategy (the engines run in parallel, so the
 * answer takes about as long as the slowest one), and a comparison takes one of the
 * FLEETSIM_API_SYNC_CONCURRENCY slots. */
#include <stdlib.h>

#include <fleetsim/runner.h>

#include "api.h"

bool api_handle_compare(api_request *req)
{
    fsim_request *r = NULL;
    fsim_runner_options opts;
    fsim_prepared *prep = api_sync_begin(req, &r, &opts);
    if (!prep)
        return true;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_comparison *cmp = NULL;
    fsim_status st = fsim_runner_compare_prepared(r, prep, NULL, 0, &opts, req->arena, &cmp,
                                                  &err);
    api_sync_end(req);
    if (st != FSIM_OK)
        return api_error_from(req, &err);
    size_t len = 0;
    char *body = fsim_wire_encode(FSIM_WIRE_COMPARISON, cmp, 0, &len);
    if (!body)
        return api_error(req, 503, "unavailable", NULL, "out of memory");
    return api_respond(req, 200, "application/json", body, len);
}
