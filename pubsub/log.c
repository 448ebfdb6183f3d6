/* Logging: JSON lines on stdout in Cloud Logging's structured shape (severity, message,
 * time, logging.googleapis.com/trace, requestId, plus the message and simulation ids). Cloud
 * Run turns each line into a log entry; locally they read fine with jq. Each line is a
 * LogEntry of the wire contract, encoded by the codec, as the API's are. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <fleetsim/util.h>
#include <fleetsim/wire.h>

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
    char t[40];
    /* Cloud Logging links a line to a trace by its full resource name */
    char trace[512];
    if (trace_id && w && w->cfg.project)
        snprintf(trace, sizeof trace, "projects/%s/traces/%s", w->cfg.project, trace_id);
    else if (trace_id)
        snprintf(trace, sizeof trace, "%s", trace_id);
    fsim_log_entry entry = {.severity = severity, .time = fsim_time_now_ms(t),
                            .message = message, .trace = trace_id ? trace : NULL,
                            .request_id = trace_id, .message_id = message_id,
                            .simulation_id = simulation_id};
    size_t len = 0;
    char *text = fsim_log_entry_encode(&entry, 0, &len);
    if (text) {
        flockfile(stdout);
        fwrite(text, 1, len, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        funlockfile(stdout);
    }
    free(text);
}
