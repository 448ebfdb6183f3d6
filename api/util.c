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
