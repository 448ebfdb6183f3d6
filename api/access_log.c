/* Logging: JSON lines on stdout in Cloud Logging's structured shape (severity, message,
 * httpRequest, logging.googleapis.com/trace, requestId), one per request and one per event.
 * Cloud Run turns each line into a log entry; locally they read fine with jq. Each line is
 * a LogEntry of the wire contract, encoded by the codec; log_writer.c puts it on stdout. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include <fleetsim/util.h>

#include "api.h"

/* One line to the log writer: `now` for events, which must not wait for the next batch. */
static void emit(const fsim_log_entry *entry, bool now)
{
    size_t len = 0;
    char *text = fsim_log_entry_encode(entry, 0, &len);
    if (text)
        api_log_write(text, len, now);
    free(text);
}

void api_log(const char *severity, const char *request_id, const char *fmt, ...)
{
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    char t[40];
    fsim_time_now_ms(t);
    fsim_log_entry entry = {.severity = severity, .time = t, .message = message,
                            .request_id = request_id};
    emit(&entry, true);
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
        .request_id = req->request_id};
    emit(&entry, false);
}
