/* GET /v1/simulations/{id}/report: the job's result as the HTML page of core/report — the
 * same bytes `fleetsim report` writes from the fetched result.json. A db-mode result comes
 * from its row; a gcs-mode one is read from its Cloud Storage object and decoded first
 * (the page needs the whole result, so it is not streamed like /result). */
#include <stdlib.h>
#include <string.h>

#include <fleetsim/gcs.h>
#include <fleetsim/report.h>
#include <fleetsim/store.h>
#include <fleetsim/util.h>

#include "api.h"

/* A result object larger than this is refused rather than held in memory for a page. */
#define REPORT_MAX_RESULT_BYTES ((size_t)1 << 30)

typedef struct download {
    char *data;
    size_t len, cap;
} download;

static bool collect(void *user, const char *data, size_t len)
{
    download *d = user;
    return d->len + len <= REPORT_MAX_RESULT_BYTES &&
           fsim_buf_append(&d->data, &d->len, &d->cap, data, len);
}

/* The gcs-mode result: its object's bytes decoded into the request's arena. */
static fsim_status gcs_result(api_request *req, const char *uri, fsim_result **res,
                              fsim_error *err)
{
    char bucket[256], object[1024];
    if (!req->server->gcs)
        return fsim_error_set(err, FSIM_IO, NULL, 0, 0, NULL,
                              "this server cannot read Cloud Storage results");
    fsim_status st = fsim_gcs_parse_uri(uri, bucket, sizeof bucket, object, sizeof object, err);
    download d = {0};
    fsim_gcs_object info;
    if (st == FSIM_OK)
        st = fsim_gcs_download(req->server->gcs, bucket, object, collect, &d, &info, err);
    if (st == FSIM_OK)
        st = fsim_result_decode(d.data ? d.data : "", d.len, uri, 0, req->arena, res, err);
    free(d.data);
    return st;
}

/* Why there is no result yet, in the result endpoint's words: 409 until it succeeded. */
static bool not_ready(api_request *req, const char *id)
{
    fsim_error err;
    fsim_error_clear(&err);
    fsim_job_status *job = NULL;
    if (fsim_store_status(req->server->store, id, req->arena, &job, &err) != FSIM_OK)
        return api_error_from(req, &err);
    if (job->status == FSIM_RUN_FAILED || job->status == FSIM_RUN_CANCELLED)
        return api_error(req, 409, job->status == FSIM_RUN_FAILED ? "simulation_failed"
                                                                 : "simulation_cancelled",
                         NULL, "the simulation %s: there is no result to report",
                         fsim_run_status_name(job->status));
    api_add_header(req, "Retry-After", "1");
    return api_error(req, 409, "not_finished", "status",
                     "the simulation is %s; poll /v1/simulations/%s until it succeeds",
                     fsim_run_status_name(job->status), id);
}

bool api_handle_report(api_request *req)
{
    const char *id = req->params[0];
    if (!fsim_uuid_valid(id))
        return api_error(req, 400, "invalid_id", "id", "\"%.64s\" is not a simulation id (a uuid)",
                         id ? id : "");
    if (!req->server->store)
        return api_error(req, 503, "unavailable", NULL, "no database is configured (DATABASE_URL)");
    fsim_error err;
    fsim_error_clear(&err);
    const char *uri = NULL;
    fsim_result *res = NULL;
    fsim_status st = fsim_store_result_uri(req->server->store, id, req->arena, &uri, &err);
    if (st == FSIM_OK)
        st = uri ? gcs_result(req, uri, &res, &err)
                 : fsim_store_result(req->server->store, id, req->arena, &res, &err);
    if (st == FSIM_NOT_FOUND)
        return api_error(req, 404, "not_found", NULL, "no simulation %s", id);
    if (st == FSIM_INVALID && !uri)
        return not_ready(req, id);
    if (st != FSIM_OK)
        return api_error_from(req, &err);
    char *html = NULL;
    size_t len = 0;
    if (fsim_report_render(res, NULL, &html, &len, &err) != FSIM_OK)
        return api_error(req, 503, "unavailable", NULL, "out of memory");
    return api_respond_negotiated(req, 200, "text/html; charset=utf-8", html, len);
}
