/* The plan endpoints: POST /v1/plans (a depot plan as a job), GET /v1/plans/{id} (its
 * status) and GET /v1/plans/{id}/result (the PlanResult, as `fleetsim plan --json` prints
 * it). The plan's life is the core's (<fleetsim/plan_job.h>); with FLEETSIM_PUBSUB_TOPIC its
 * batches go to the Pub/Sub workers, else the API's own workers (jobs.c) run them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/plan_job.h>
#include <fleetsim/util.h>

#include "api.h"

/* The {id} of the path, checked as a uuid before any query. */
static const char *plan_path_id(api_request *req)
{
    const char *id = req->params[0];
    if (fsim_uuid_valid(id))
        return id;
    api_error(req, 400, "invalid_id", "id", "\"%.64s\" is not a plan id (a uuid)", id ? id : "");
    return NULL;
}

/* ---- POST /v1/plans ------------------------------------------------------------------- */

bool api_handle_plan_submit(api_request *req)
{
    api_server *srv = req->server;
    fsim_request *r = api_decode_request(req);
    if (!r || !api_need_store(req))
        return true;
    fsim_runner_options opts = api_runner_options(req);
    fsim_services svc = api_plan_services(srv);
    bool pubsub = svc.pubsub != NULL;
    char id[FSIM_STORE_ID_LEN] = "";
    fsim_error err;
    fsim_error_clear(&err);
    /* a bad spec — unknown depot or charger type, an empty range, a range or a plan over its
     * cap — is a 422 naming the part (plan.vary[i]), before anything is queued */
    if (fsim_plan_job_submit(&svc, &opts, r, req->request_id, pubsub, id, NULL, &err) != FSIM_OK)
        return api_error_from(req, &err);
    if (pubsub) {
        fsim_error_clear(&err);
        if (fsim_plan_job_publish(&svc, id, req->request_id, NULL, &err) != FSIM_OK)
            api_log("WARNING", req->request_id,
                    "plan %s: could not publish every batch, the rest are relayed later: %s", id,
                    err.message);
    } else {
        api_jobs_notify(srv->jobs);
    }
    return api_respond_submitted(req, "plans", id, false);
}

/* ---- GET /v1/plans/{id} --------------------------------------------------------------- */

bool api_handle_plan_status(api_request *req)
{
    const char *id = plan_path_id(req);
    if (!id || !api_need_store(req))
        return true;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_plan_status *ps = NULL;
    if (fsim_store_plan_status(req->server->store, id, req->arena, &ps, &err) != FSIM_OK) {
        if (err.status == FSIM_NOT_FOUND)
            return api_error(req, 404, "not_found", NULL, "no plan %s", id);
        return api_error_from(req, &err);
    }
    size_t len = 0;
    char *body = fsim_wire_encode(FSIM_WIRE_PLAN_STATUS, ps, 0, &len);
    if (!body)
        return api_error(req, 503, "unavailable", NULL, "out of memory");
    return api_respond(req, 200, "application/json", body, len);
}

/* ---- GET /v1/plans/{id}/result -------------------------------------------------------- */

/* No result: why, as 409 — not finished yet (with its progress), failed (with why). */
static bool no_result(api_request *req, const char *id)
{
    fsim_error err;
    fsim_error_clear(&err);
    fsim_plan_status *ps = NULL;
    if (fsim_store_plan_status(req->server->store, id, req->arena, &ps, &err) != FSIM_OK)
        return err.status == FSIM_NOT_FOUND ? api_error(req, 404, "not_found", NULL, "no plan %s", id)
                                            : api_error_from(req, &err);
    if (ps->status == FSIM_RUN_FAILED)
        return api_error(req, 409, "plan_failed", ps->error ? ps->error->field : NULL,
                         "the plan failed: %s", ps->error ? ps->error->message : "no reason recorded");
    if (ps->status == FSIM_RUN_CANCELLED)
        return api_error(req, 409, "plan_cancelled", NULL, "the plan was cancelled");
    api_add_header(req, "Retry-After", "1");
    return api_error(req, 409, "not_finished", "status",
                     "the plan is %s (%d of %d batches done); poll /v1/plans/%s until it succeeds",
                     fsim_run_status_name(ps->status), ps->batches_done, ps->batches, id);
}

bool api_handle_plan_result(api_request *req)
{
    const char *id = plan_path_id(req);
    if (!id || !api_need_store(req))
        return true;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_plan_result *res = NULL;
    if (fsim_store_plan_result(req->server->store, id, req->arena, &res, &err) != FSIM_OK) {
        if (err.status == FSIM_NOT_FOUND)
            return api_error(req, 404, "not_found", NULL, "no plan %s", id);
        if (err.status == FSIM_INVALID && strcmp(err.path, "status") == 0)
            return no_result(req, id);
        return api_error_from(req, &err);
    }
    size_t len = 0;
    char *body = fsim_wire_encode(FSIM_WIRE_PLAN_RESULT, res, 0, &len);
    if (!body)
        return api_error(req, 503, "unavailable", NULL, "out of memory");
    return api_respond_negotiated(req, 200, "application/json", body, len);
}
