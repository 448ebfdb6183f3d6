/* POST /v1/simulations:run — the result inline, for jobs small enough to finish within a
 * request. The size is vehicles × steps from fsim_runner_prepare (the engine's cost is
 * linear in it); above FLEETSIM_API_SYNC_MAX_VEHICLE_STEPS the answer is 413 pointing at
 * POST /v1/simulations. A bounded number run at once, so a burst cannot take every core. */
#include <stdlib.h>
#include <string.h>

#include <fleetsim/runner.h>

#include "api.h"

/* Every problem of the body at once (up to FSIM_WIRE_MAX_PROBLEMS), so a client fixes a
 * request in one round trip instead of one per field. */
void *api_decode_body(api_request *req, fsim_wire_type type)
{
    fsim_error err;
    fsim_error_clear(&err);
    void *r = NULL;
    fsim_error_detail *details;
    size_t n;
    const char *body = req->body ? req->body : "";
    fsim_status st = fsim_wire_decode_all(type, body, req->body_len, "request body", 0,
                                          FSIM_WIRE_MAX_PROBLEMS, req->arena, &r, &details, &n,
                                          &err);
    if (st == FSIM_INVALID && err.line == 0) {
        api_error_problems(req, &err, details, n);
        return NULL;
    }
    if (st != FSIM_OK) {
        api_error_from(req, &err);
        return NULL;
    }
    return r;
}

fsim_request *api_decode_request(api_request *req)
{
    return api_decode_body(req, FSIM_WIRE_REQUEST);
}

fsim_runner_options api_runner_options(const api_request *req)
{
    const api_settings *c = &req->server->cfg;
    return (fsim_runner_options){.config_dir = c->config_dir,
                                 .env_overrides_json = c->config_overrides,
                                 .source = "request body",
                                 .trace_id = req->request_id,
                                 .services = req->server->svc};
}

/* Between simulated days (from any thread of a comparison): stop when shutdown's grace
 * period is over. */
static bool keep_running(void *user, int day, int days)
{
    api_server *srv = user;
    return !atomic_load(&srv->aborting);
}

fsim_prepared *api_sync_begin(api_request *req, fsim_request **request,
                              fsim_runner_options *opts)
{
    api_server *srv = req->server;
    fsim_request *r = api_decode_request(req);
    if (!r)
        return NULL;
    *opts = api_runner_options(req);
    fsim_error err;
    fsim_error_clear(&err);
    fsim_prepared *prep = NULL;
    if (fsim_runner_prepare(r, opts, req->arena, &prep, &err) != FSIM_OK) {
        api_error_from(req, &err);
        return NULL;
    }
    if (prep->vehicle_steps > srv->cfg.sync_budget) {
        api_add_header(req, "Link", "</v1/simulations>; rel=\"submit\"");
        api_error(req, 413, "job_too_large", NULL,
                  "this job is %.0f vehicle-steps (vehicles x steps); synchronous runs take at "
                  "most %.0f: submit it with POST /v1/simulations and poll "
                  "GET /v1/simulations/{id}",
                  prep->vehicle_steps, srv->cfg.sync_budget);
        return NULL;
    }
    if (atomic_fetch_add(&srv->sync_running, 1) >= srv->cfg.sync_concurrency) {
        atomic_fetch_sub(&srv->sync_running, 1);
        api_error(req, 503, "busy", NULL,
                  "%d synchronous runs are in progress; retry shortly or submit the job with "
                  "POST /v1/simulations",
                  srv->cfg.sync_concurrency);
        return NULL;
    }
    opts->progress = keep_running;
    opts->progress_user = srv;
    *request = r;
    return prep;
}

void api_sync_end(api_request *req)
{
    atomic_fetch_sub(&req->server->sync_running, 1);
}

bool api_handle_run(api_request *req)
{
    fsim_request *r = NULL;
    fsim_runner_options opts;
    fsim_prepared *prep = api_sync_begin(req, &r, &opts);
    if (!prep)
        return true;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_result *res = NULL;
    fsim_status st = fsim_runner_run(r, &opts, req->arena, &res, &err);
    api_sync_end(req);
    if (st != FSIM_OK)
        return api_error_from(req, &err);
    size_t len = 0;
    char *body = fsim_result_encode(res, 0, &len);
    if (!body)
        return api_error(req, 503, "unavailable", NULL, "out of memory");
    return api_respond(req, 200, "application/json", body, len);
}
