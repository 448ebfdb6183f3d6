/* Logging: JSON lines on stdout in Cloud Logging's structured shape (severity, message,
 * httpRequest, logging.googleapis.com/trace, requestId), one per request and one per event.
 * Cloud Run turns each line into a log entry; locally they read fine with jq. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "api.h"

/* The time as RFC 3339 with milliseconds, for people reading the lines locally. */
static void now_text(char buf[40])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 40 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* One line to the log writer (log_writer.c): `now` for events, which must not wait for the
 * next batch; access lines go out with it. */
static void emit(cJSON *line, bool now)
{
    char *text = line ? cJSON_PrintUnformatted(line) : NULL;
    if (text)
        api_log_write(text, strlen(text), now);
    free(text);
    cJSON_Delete(line);
}

void api_log(const char *severity, const char *request_id, const char *fmt, ...)
{
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    char t[40];
    now_text(t);
    cJSON *line = cJSON_CreateObject();
    if (!line)
        return;
    cJSON_AddStringToObject(line, "severity", severity);
    cJSON_AddStringToObject(line, "time", t);
    cJSON_AddStringToObject(line, "message", message);
    if (request_id)
        cJSON_AddStringToObject(line, "requestId", request_id);
    emit(line, true);
}

void api_access_log(const api_request *req)
{
    double seconds = api_seconds_since(&req->started);
    char latency[32], t[40], size[32];
    snprintf(latency, sizeof latency, "%.6fs", seconds);
    snprintf(size, sizeof size, "%zu", req->response_size);
    now_text(t);
    const char *severity = req->status >= 500 ? "ERROR" : req->status >= 400 ? "WARNING" : "INFO";
    cJSON *line = cJSON_CreateObject();
    if (!line)
        return;
    cJSON_AddStringToObject(line, "severity", severity);
    cJSON_AddStringToObject(line, "time", t);
    char *msg = fsim_arena_sprintf(req->arena, "%s %s %d", req->method, req->path, req->status);
    cJSON_AddStringToObject(line, "message", msg ? msg : "request");
    cJSON *http = cJSON_AddObjectToObject(line, "httpRequest");
    if (http) {
        cJSON_AddStringToObject(http, "requestMethod", req->method);
        cJSON_AddStringToObject(http, "requestUrl", req->path);
        cJSON_AddNumberToObject(http, "status", req->status);
        cJSON_AddStringToObject(http, "responseSize", size);
        cJSON_AddStringToObject(http, "latency", latency);
        const char *ua = api_header(req, MHD_HTTP_HEADER_USER_AGENT);
        if (ua)
            cJSON_AddStringToObject(http, "userAgent", ua);
        cJSON_AddStringToObject(http, "protocol", "HTTP/1.1");
    }
    if (req->trace[0])
        cJSON_AddStringToObject(line, "logging.googleapis.com/trace", req->trace);
    cJSON_AddStringToObject(line, "requestId", req->request_id);
    emit(line, false);
}
