/* Logging: JSON lines on stdout in Cloud Logging's structured shape (severity, message,
 * time, logging.googleapis.com/trace, requestId, plus the message and simulation ids). Cloud
 * Run turns each line into a log entry; locally they read fine with jq. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "worker.h"

/* One line, written with the stream locked so lines from threads never interleave. */
void ps_log(const ps_worker *w, const char *severity, const char *trace_id,
            const char *message_id, const char *simulation_id, const char *fmt, ...)
{
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char t[40];
    size_t n = strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(t + n, sizeof t - n, ".%03ldZ", ts.tv_nsec / 1000000);

    cJSON *line = cJSON_CreateObject();
    if (!line)
        return;
    cJSON_AddStringToObject(line, "severity", severity);
    cJSON_AddStringToObject(line, "time", t);
    cJSON_AddStringToObject(line, "message", message);
    if (trace_id) {
        /* Cloud Logging links a line to a trace by its full resource name */
        char trace[512];
        if (w && w->cfg.project)
            snprintf(trace, sizeof trace, "projects/%s/traces/%s", w->cfg.project, trace_id);
        else
            snprintf(trace, sizeof trace, "%s", trace_id);
        cJSON_AddStringToObject(line, "logging.googleapis.com/trace", trace);
        cJSON_AddStringToObject(line, "requestId", trace_id);
    }
    if (message_id)
        cJSON_AddStringToObject(line, "messageId", message_id);
    if (simulation_id)
        cJSON_AddStringToObject(line, "simulationId", simulation_id);
    char *text = cJSON_PrintUnformatted(line);
    if (text) {
        flockfile(stdout);
        fputs(text, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        funlockfile(stdout);
    }
    free(text);
    cJSON_Delete(line);
}
