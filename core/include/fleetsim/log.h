/* fleetsim — the one logger: JSON lines on stdout in Cloud Logging's structured shape
 * (severity, time, message, logging.googleapis.com/trace and spanId, requestId, messageId,
 * simulationId, httpRequest), each a LogEntry of the wire contract encoded by the codec.
 *
 * One writer for the process: synchronous until fsim_log_writer_start, then lines that may
 * wait (access lines) are batched and written every 20 ms in one write(2), while event
 * lines (`now`) flush everything before them, in order, at once. The core never logs on its
 * own: programs pass a logger to it (fsim_services.log) that ends here. */
#ifndef FLEETSIM_LOG_H
#define FLEETSIM_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/wire.h>

/* ---- The writer ----------------------------------------------------------------------------- */

/* Adds one line (without its newline; borrowed). `now`: write it and everything before it at
 * once; else it may wait for the next batch (when the batching thread runs). */
void fsim_log_write(const char *line, size_t len, bool now);
/* Starts batching (a flusher thread). False when the thread cannot start. */
bool fsim_log_writer_start(void);
/* Writes what is pending and stops batching (lines are synchronous again). */
void fsim_log_writer_stop(void);

/* ---- Lines ---------------------------------------------------------------------------------- */

/* What a line is about; every member optional (NULL). */
typedef struct fsim_log_ctx {
    const char *project;        /* GOOGLE_CLOUD_PROJECT: the trace becomes projects/P/traces/T */
    const char *trace_id;       /* the trace (32 hex digits, or a request id) */
    const char *span_id;        /* 16 hex digits */
    const char *request_id;
    const char *message_id;     /* a Pub/Sub message */
    const char *simulation_id;
} fsim_log_ctx;

/* The encoded line (malloc'd, no newline) of `message` at `severity` (DEBUG, INFO, WARNING,
 * ERROR) about `ctx` (may be NULL); NULL when out of memory. */
char *fsim_log_line(const fsim_log_ctx *ctx, const char *severity, const char *message,
                    size_t *len);
/* Formats and writes one event line (written at once). */
void fsim_log(const fsim_log_ctx *ctx, const char *severity, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void fsim_logv(const fsim_log_ctx *ctx, const char *severity, const char *fmt, va_list ap);
/* Encodes and writes a LogEntry the caller built (an access line with httpRequest). */
void fsim_log_entry_write(const fsim_log_entry *entry, bool now);

/* ---- Trace context --------------------------------------------------------------------------- */

/* The trace and span of a request from its headers (either may be NULL): W3C `traceparent`
 * (00-TRACE-SPAN-FLAGS) first, else Google's `X-Cloud-Trace-Context` (TRACE/SPAN;o=1, the
 * span in decimal). trace gets 32 lower-case hex digits, span 16 ("" when not given). False
 * when neither header carries a valid trace. */
bool fsim_log_trace_parse(const char *traceparent, const char *cloud_trace_context,
                          char trace[33], char span[17]);

#endif
