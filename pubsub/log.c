/* The worker's lines through the one logger (core/log): JSON lines on stdout in Cloud
 * Logging's shape, written at once, carrying the message and simulation ids and the trace
 * (logging.googleapis.com/trace under GOOGLE_CLOUD_PROJECT). */
#include <stdarg.h>

#include <fleetsim/log.h>

#include "worker.h"

void ps_log(const ps_worker *w, const char *severity, const char *trace_id,
            const char *message_id, const char *simulation_id, const char *fmt, ...)
{
    fsim_log_ctx ctx = {.project = w ? w->cfg.project : NULL, .trace_id = trace_id,
                        .request_id = trace_id, .message_id = message_id,
                        .simulation_id = simulation_id};
    va_list ap;
    va_start(ap, fmt);
    fsim_logv(&ctx, severity, fmt, ap);
    va_end(ap);
}
