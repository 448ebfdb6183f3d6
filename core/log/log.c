/* Log lines: a LogEntry from what a line is about, and the trace context of a request. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/log.h>
#include <fleetsim/util.h>

char *fsim_log_line(const fsim_log_ctx *ctx, const char *severity, const char *message,
                    size_t *len)
{
    static const fsim_log_ctx none;
    if (!ctx)
        ctx = &none;
    char t[40];
    /* Cloud Logging links a line to a trace by its full resource name */
    char trace[512];
    if (ctx->trace_id && ctx->project && *ctx->project)
        snprintf(trace, sizeof trace, "projects/%s/traces/%s", ctx->project, ctx->trace_id);
    else if (ctx->trace_id)
        snprintf(trace, sizeof trace, "%s", ctx->trace_id);
    fsim_log_entry entry = {.severity = severity, .time = fsim_time_now_ms(t),
                            .message = message, .trace = ctx->trace_id ? trace : NULL,
                            .span_id = ctx->span_id && *ctx->span_id ? ctx->span_id : NULL,
                            .request_id = ctx->request_id, .message_id = ctx->message_id,
                            .simulation_id = ctx->simulation_id};
    return fsim_log_entry_encode(&entry, 0, len);
}

void fsim_logv(const fsim_log_ctx *ctx, const char *severity, const char *fmt, va_list ap)
{
    char message[2048];
    vsnprintf(message, sizeof message, fmt, ap);
    size_t len = 0;
    char *line = fsim_log_line(ctx, severity, message, &len);
    if (line)
        fsim_log_write(line, len, true);
    free(line);
}

void fsim_log(const fsim_log_ctx *ctx, const char *severity, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fsim_logv(ctx, severity, fmt, ap);
    va_end(ap);
}

void fsim_log_entry_write(const fsim_log_entry *entry, bool now)
{
    size_t len = 0;
    char *text = fsim_log_entry_encode(entry, 0, &len);
    if (text)
        fsim_log_write(text, len, now);
    free(text);
}

/* ---- Trace context ---------------------------------------------------------------------------- */

/* `n` hex digits at `s`, not all zero (both W3C and Google treat all-zero ids as invalid). */
static bool hex_id(const char *s, size_t n)
{
    bool nonzero = false;
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)s[i]))
            return false;
        nonzero |= s[i] != '0';
    }
    return nonzero;
}

static void lower(char *dst, const char *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[n] = '\0';
}

/* W3C Trace Context: version 00, "00-" 32 hex "-" 16 hex "-" 2 hex. */
static bool from_traceparent(const char *h, char trace[33], char span[17])
{
    if (strlen(h) < 55 || strncmp(h, "00-", 3) != 0 || h[35] != '-' || h[52] != '-' ||
        !hex_id(h + 3, 32) || !hex_id(h + 36, 16) || !isxdigit((unsigned char)h[53]) ||
        !isxdigit((unsigned char)h[54]) || (h[55] && h[55] != '-'))
        return false;
    lower(trace, h + 3, 32);
    lower(span, h + 36, 16);
    return true;
}

/* X-Cloud-Trace-Context: TRACE_ID[/SPAN_ID][;o=OPTIONS], the span a decimal uint64. */
static bool from_cloud_context(const char *h, char trace[33], char span[17])
{
    if (strspn(h, "0123456789abcdefABCDEF") != 32 || !hex_id(h, 32))
        return false;
    lower(trace, h, 32);
    span[0] = '\0';
    if (h[32] == '/' && isdigit((unsigned char)h[33])) {
        char *end;
        errno = 0;
        uintmax_t v = strtoumax(h + 33, &end, 10);
        if (!errno && v > 0 && v <= UINT64_MAX && (*end == '\0' || *end == ';'))
            snprintf(span, 17, "%016" PRIx64, (uint64_t)v);
    }
    return true;
}

bool fsim_log_trace_parse(const char *traceparent, const char *cloud_trace_context,
                          char trace[33], char span[17])
{
    trace[0] = span[0] = '\0';
    if (traceparent && from_traceparent(traceparent, trace, span))
        return true;
    return cloud_trace_context && from_cloud_context(cloud_trace_context, trace, span);
}
