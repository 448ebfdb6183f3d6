/* Small helpers of the program. */
#include <stdlib.h>
#include <string.h>

#include "api.h"

double api_seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

bool api_need_store(api_request *req)
{
    if (req->server->store)
        return true;
    api_error(req, 503, "unavailable", NULL, "no database is configured (DATABASE_URL)");
    return false;
}

bool api_query_limit(api_request *req, long *limit)
{
    const char *text = api_query(req, "limit");
    *limit = 50;
    if (!text)
        return true;
    char *end;
    *limit = strtol(text, &end, 10);
    if (end != text && !*end && *limit >= 1 && *limit <= 1000)
        return true;
    api_error(req, 400, "invalid_query", "limit", "limit must be a whole number in 1..1000");
    return false;
}

/* 202 with a SubmitResponse: /v1/COLLECTION/{id} and its result, the first response's body
 * (status queued) every time, so a replay is byte-identical. */
bool api_respond_submitted(api_request *req, const char *collection, const char *id,
                           bool replayed)
{
    fsim_submit_response resp = {
        .id = id,
        .status = FSIM_RUN_QUEUED,
        .links = {.self = fsim_arena_sprintf(req->arena, "/v1/%s/%s", collection, id),
                  .result = fsim_arena_sprintf(req->arena, "/v1/%s/%s/result", collection, id)}};
    size_t len = 0;
    char *body = resp.links.self && resp.links.result
                     ? fsim_submit_response_encode(&resp, 0, &len)
                     : NULL;
    if (!body)
        return api_error(req, 503, "unavailable", NULL, "out of memory");
    api_add_header(req, "Location", resp.links.self);
    if (replayed)
        api_add_header(req, "Idempotent-Replayed", "true");
    return api_respond(req, 202, "application/json", body, len);
}
