/* The job endpoints: submit (POST /v1/simulations), status, result, list and delete. Rows
 * live in PostgreSQL through store.h; the in-process worker pool (jobs.c) runs them, or, with
 * FLEETSIM_PUBSUB_TOPIC, the Pub/Sub worker (publish.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/runner.h>

#include <fleetsim/util.h>

#include "api.h"

/* The {id} of the path, checked as a uuid before any query. */
static const char *path_id(api_request *req)
{
    const char *id = req->params[0];
    if (fsim_uuid_valid(id))
        return id;
    api_error(req, 400, "invalid_id", "id", "\"%.64s\" is not a simulation id (a uuid)",
              id ? id : "");
    return NULL;
}

/* ---- POST /v1/simulations -------------------------------------------------------------- */

bool api_handle_submit(api_request *req)
{
    api_server *srv = req->server;
    const char *key = api_header(req, "Idempotency-Key");
    const char *problem = key ? api_idempotency_key_problem(key) : NULL;
    if (problem)
        return api_error(req, 400, "invalid_idempotency_key", "Idempotency-Key", "%s", problem);
    fsim_request *r = api_decode_request(req);
    if (!r || !api_need_store(req))
        return true;
    /* names the config does not know are a 422 now, not a failed job later */
    fsim_runner_options opts = api_runner_options(req);
    fsim_error err;
    fsim_error_clear(&err);
    fsim_prepared *prep = NULL;
    if (fsim_runner_prepare(r, &opts, req->arena, &prep, &err) != FSIM_OK)
        return api_error_from(req, &err);
    if (key && !api_idempotency_begin(srv->idempotency, key))
        return api_error(req, 409, "idempotency_key_in_use", "Idempotency-Key",
                         "a request with this idempotency key is still being handled; retry "
                         "later");
    fsim_job_submission sub = {.request = r, .idempotency_key = key,
                               .trace_id = req->request_id,
                               .result_mode = api_publisher_mode(srv->publisher)};
    fsim_services svc = api_services(srv);
    char id[FSIM_STORE_ID_LEN] = "";
    fsim_store_create_outcome outcome = FSIM_STORE_CREATED;
    fsim_error_clear(&err);
    fsim_status st = fsim_job_submit(&svc, &sub, id, &outcome, &err);
    if (key)
        api_idempotency_end(srv->idempotency, key);
    if (outcome == FSIM_STORE_KEY_CONFLICT)
        return api_error(req, 422, "idempotency_key_reused", "Idempotency-Key",
                         "this idempotency key was already used with a different request");
    if (st != FSIM_OK)
        return api_error_from(req, &err);
    if (outcome == FSIM_STORE_CREATED && srv->publisher)
        api_publish_job(srv->publisher, id, r, req->request_id); /* 202 even if it fails */
    else if (outcome == FSIM_STORE_CREATED)
        api_jobs_notify(srv->jobs);
    return api_respond_submitted(req, "simulations", id, outcome == FSIM_STORE_EXISTING);
}

/* ---- GET /v1/simulations/{id} ---------------------------------------------------------- */

/* The route's fast path, on the HTTP thread: a finished job's status can only change by
 * being deleted, so it is served from the status cache (status_cache.c) when it is there.
 * false: api_handle_status reads the row (and renews the cache). */
bool api_handle_status_cached(api_request *req)
{
    const char *id = req->params[0];
    char *body = NULL;
    size_t len = 0;
    if (!req->server->store || !fsim_uuid_valid(id) ||
        !api_status_cache_get(req->server->status_cache, id, &body, &len))
        return false;
    return api_respond(req, 200, "application/json", body, len);
}

/* The answer to one status poll from its read (st, job: what fsim_store_status gave, with
 * the cache's epoch taken before the read): a final status is kept for the next polls;
 * anything still moving is never kept. */
static bool answer_status(api_request *req, const char *id, uint64_t epoch, fsim_status st,
                          const fsim_job_status *job, const fsim_error *err)
{
    api_status_cache *cache = req->server->status_cache;
    size_t len = 0;
    char *body = st == FSIM_OK ? fsim_job_status_encode(job, 0, &len) : NULL;
    if (body && (job->status == FSIM_RUN_SUCCEEDED || job->status == FSIM_RUN_FAILED))
        api_status_cache_put(cache, id, body, len, epoch);
    else
        api_status_cache_forget(cache, id);
    if (st != FSIM_OK) {
        if (err->status == FSIM_NOT_FOUND)
            return api_error(req, 404, "not_found", NULL, "no simulation %s", id);
        return api_error_from(req, err);
    }
    if (!body)
        return api_error(req, 503, "unavailable", NULL, "out of memory");
    return api_respond(req, 200, "application/json", body, len);
}

/* Not in the cache (or expired): the row decides. */
bool api_handle_status(api_request *req)
{
    const char *id = path_id(req);
    if (!id || !api_need_store(req))
        return true;
    uint64_t epoch = api_status_cache_epoch(req->server->status_cache);
    fsim_error err;
    fsim_error_clear(&err);
    fsim_job_status *job = NULL;
    fsim_status st = fsim_store_status(req->server->store, id, req->arena, &job, &err);
    return answer_status(req, id, epoch, st, job, &err);
}

/* The polls the handler pool found queued together (handler_pool.c): one read for all of
 * them, each answered exactly as api_handle_status would. */
void api_handle_status_batch(api_request **reqs, size_t n)
{
    const char *ids[API_BATCH_MAX];
    fsim_arena *arenas[API_BATCH_MAX];
    fsim_job_status *jobs[API_BATCH_MAX];
    api_request *valid[API_BATCH_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n && i < API_BATCH_MAX; i++) {
        const char *id = path_id(reqs[i]); /* else answered: 400 */
        if (!id || !api_need_store(reqs[i]))
            continue;
        valid[k] = reqs[i];
        ids[k] = id;
        arenas[k++] = reqs[i]->arena;
    }
    if (k == 0)
        return;
    api_server *srv = valid[0]->server;
    uint64_t epoch = api_status_cache_epoch(srv->status_cache);
    fsim_error err;
    fsim_error_clear(&err);
    fsim_status st = fsim_store_status_many(srv->store, ids, k, arenas, jobs, &err);
    if (st != FSIM_OK && st != FSIM_IO && k > 1) {
        /* a row that does not decode fails the whole read: then each poll reads its own
         * row, so only the polls of that row see the error */
        for (size_t i = 0; i < k; i++)
            api_handle_status(valid[i]);
        return;
    }
    for (size_t i = 0; i < k; i++) {
        fsim_error missing;
        fsim_error_clear(&missing);
        if (st == FSIM_OK && !jobs[i]) { /* what fsim_store_status says of a missing row */
            fsim_error_set(&missing, FSIM_NOT_FOUND, NULL, 0, 0, "id",
                           "simulation \"%s\" does not exist", ids[i]);
            answer_status(valid[i], ids[i], epoch, FSIM_NOT_FOUND, NULL, &missing);
        } else {
            answer_status(valid[i], ids[i], epoch, st, jobs[i], &err);
        }
    }
}

/* ---- GET /v1/simulations/{id}/result --------------------------------------------------- */

/* No result: why, as 409 — not finished yet, failed (with the job's own error), cancelled. */
static bool no_result(api_request *req, const char *id)
{
    fsim_error err;
    fsim_error_clear(&err);
    fsim_job_status *job = NULL;
    if (fsim_store_status(req->server->store, id, req->arena, &job, &err) != FSIM_OK) {
        if (err.status == FSIM_NOT_FOUND)
            return api_error(req, 404, "not_found", NULL, "no simulation %s", id);
        return api_error_from(req, &err);
    }
    switch (job->status) {
    case FSIM_RUN_FAILED:
        return api_error(req, 409, "simulation_failed", job->error ? job->error->field : NULL,
                         "the simulation failed: %s",
                         job->error ? job->error->message : "no reason recorded");
    case FSIM_RUN_CANCELLED:
        return api_error(req, 409, "simulation_cancelled", NULL, "the simulation was cancelled");
    default:
        api_add_header(req, "Retry-After", "1");
        return api_error(req, 409, "not_finished", "status",
                         "the simulation is %s (progress %.0f%%); poll %s until it succeeds",
                         fsim_run_status_name(job->status), job->progress * 100,
                         fsim_arena_sprintf(req->arena, "/v1/simulations/%s", id));
    }
}

bool api_handle_result(api_request *req)
{
    const char *id = path_id(req);
    if (!id || !api_need_store(req))
        return true;
    fsim_error err;
    fsim_error_clear(&err);
    /* a gcs-mode result: the row holds where, Cloud Storage the bytes */
    const char *uri = NULL;
    if (fsim_store_result_uri(req->server->store, id, req->arena, &uri, &err) != FSIM_OK) {
        if (err.status == FSIM_NOT_FOUND)
            return api_error(req, 404, "not_found", NULL, "no simulation %s", id);
        return api_error_from(req, &err);
    }
    if (uri)
        return api_stream_gcs_result(req, id, uri);
    fsim_result *res = NULL;
    if (fsim_store_result(req->server->store, id, req->arena, &res, &err) != FSIM_OK) {
        if (err.status == FSIM_NOT_FOUND)
            return api_error(req, 404, "not_found", NULL, "no simulation %s", id);
        if (err.status == FSIM_INVALID)
            return no_result(req, id);
        return api_error_from(req, &err);
    }
    size_t len = 0;
    char *body = fsim_result_encode(res, 0, &len);
    if (!body)
        return api_error(req, 503, "unavailable", NULL, "out of memory");
    return api_respond_negotiated(req, 200, "application/json", body, len);
}

/* ---- GET /v1/simulations?fleetId=&status=&limit=&cursor= ------------------------------- */

/* Without fleetId: every fleet's simulations, newest first, paged the same way. */

bool api_handle_list(api_request *req)
{
    const char *fleet = api_query(req, "fleetId");
    const char *status_text = api_query(req, "status");
    const char *cursor = api_query(req, "cursor");
    if (fleet && !*fleet)
        fleet = NULL;
    if (fleet && !fsim_uuid_valid(fleet))
        return api_error(req, 400, "invalid_query", "fleetId", "fleetId must be a uuid");
    fsim_run_status status;
    if (status_text && !fsim_run_status_parse(status_text, &status))
        return api_error(req, 400, "invalid_query", "status",
                         "status must be one of queued, running, succeeded, failed, cancelled, "
                         "imported");
    long limit;
    if (!api_query_limit(req, &limit))
        return true;
    if (cursor && !*cursor)
        cursor = NULL;
    if (!api_need_store(req))
        return true;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_store_page page = {0};
    if (fsim_store_list(req->server->store, fleet, status_text ? &status : NULL, (int)limit,
                        cursor, req->arena, &page, &err) != FSIM_OK) {
        if (err.status == FSIM_INVALID)
            return api_error(req, 400, "invalid_query", err.path[0] ? err.path : "cursor", "%s",
                             err.message);
        return api_error_from(req, &err);
    }
    fsim_simulation_page out = {.items = page.items, .n_items = page.n_items,
                                .next_cursor = page.next_cursor};
    size_t len = 0;
    char *body = fsim_simulation_page_encode(&out, 0, &len);
    if (!body)
        return api_error(req, 503, "unavailable", NULL, "out of memory");
    return api_respond(req, 200, "application/json", body, len);
}

/* ---- DELETE /v1/simulations/{id} ------------------------------------------------------- */

/* Cancel first (a queued job never starts; a running one stops at its next heartbeat), then
 * soft-delete: every later read is 404. */
bool api_handle_delete(api_request *req)
{
    const char *id = path_id(req);
    if (!id || !api_need_store(req))
        return true;
    fsim_error err;
    fsim_error_clear(&err);
    bool cancelled = false;
    fsim_status st = fsim_store_cancel(req->server->store, id, &cancelled, &err);
    if (st == FSIM_OK)
        st = fsim_store_delete(req->server->store, id, &err);
    /* after the row changed (or may have): later reads here must not see a cached status */
    api_status_cache_invalidate(req->server->status_cache, id);
    if (st != FSIM_OK) {
        if (err.status == FSIM_NOT_FOUND)
            return api_error(req, 404, "not_found", NULL, "no simulation %s", id);
        return api_error_from(req, &err);
    }
    return api_respond(req, 204, NULL, NULL, 0);
}
