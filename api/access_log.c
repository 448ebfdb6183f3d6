/* The API's lines through the one logger (core/log): an access line per request (batched)
 * and event lines (written at once), in Cloud Logging's shape. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include <fleetsim/util.h>

#include "api.h"

void api_log(const char *severity, const char *request_id, const char *fmt, ...)
{
    fsim_log_ctx ctx = {.request_id = request_id};
    va_list ap;
    va_start(ap, fmt);
    fsim_logv(&ctx, severity, fmt, ap);
    va_end(ap);
}

void api_access_log(const api_request *req)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ns = (long long)(now.tv_sec - req->started.tv_sec) * 1000000000LL +
                   (now.tv_nsec - req->started.tv_nsec);
    char latency[32], t[40], size[32];
    snprintf(latency, sizeof latency, "%lld.%06llds", ns / 1000000000LL,
             ns % 1000000000LL / 1000);
    snprintf(size, sizeof size, "%zu", req->response_size);
    fsim_time_now_ms(t);
    char *msg = fsim_arena_sprintf(req->arena, "%s %s %d", req->method, req->path, req->status);
    fsim_http_request_log http = {.request_method = req->method,
                                  .request_url = req->path,
                                  .status = req->status,
                                  .response_size = size,
                                  .latency = latency,
                                  .user_agent = api_header(req, MHD_HTTP_HEADER_USER_AGENT),
                                  .protocol = "HTTP/1.1"};
    fsim_log_entry entry = {
        .severity = req->status >= 500 ? "ERROR" : req->status >= 400 ? "WARNING" : "INFO",
        .time = t,
        .message = msg ? msg : "request",
        .http_request = &http,
        .trace = req->trace[0] ? req->trace : NULL,
        .span_id = req->span[0] ? req->span : NULL,
        .request_id = req->request_id};
    fsim_log_entry_write(&entry, false);
}
