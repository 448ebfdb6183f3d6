/* core/log: the trace context of a request (W3C traceparent, X-Cloud-Trace-Context) and the
 * shape of a line (Cloud Logging's field names, the trace as a resource name). */
#include <stdlib.h>
#include <string.h>

#include <fleetsim/log.h>

#include "check.h"

static void test_trace_parse(void)
{
    char t[33], s[17];
    CHECK(fsim_log_trace_parse("00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01", NULL,
                               t, s) &&
              strcmp(t, "4bf92f3577b34da6a3ce929d0e0e4736") == 0 &&
              strcmp(s, "00f067aa0ba902b7") == 0,
          "traceparent: trace and span, lower-cased");
    CHECK(fsim_log_trace_parse(NULL, "0123456789abcdef0123456789abcdef/1;o=1", t, s) &&
              strcmp(t, "0123456789abcdef0123456789abcdef") == 0 &&
              strcmp(s, "0000000000000001") == 0,
          "X-Cloud-Trace-Context: the decimal span as 16 hex digits");
    CHECK(fsim_log_trace_parse(NULL, "0123456789abcdef0123456789abcdef", t, s) && s[0] == '\0',
          "X-Cloud-Trace-Context without a span");
    CHECK(fsim_log_trace_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                               "0123456789abcdef0123456789abcdef/1", t, s) &&
              strncmp(t, "4bf9", 4) == 0,
          "both headers: traceparent wins");
    CHECK(fsim_log_trace_parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                               "0123456789abcdef0123456789abcdef/7", t, s) &&
              strncmp(t, "0123", 4) == 0 && strcmp(s, "0000000000000007") == 0,
          "an all-zero traceparent is invalid: the other header is used");
    CHECK(!fsim_log_trace_parse("garbage", "xyz/1", t, s) && t[0] == '\0',
          "neither header valid: no trace");
    CHECK(!fsim_log_trace_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", NULL, t,
                                s),
          "a truncated traceparent is refused");
}

static void test_line(void)
{
    fsim_log_ctx ctx = {.project = "proj-1", .trace_id = "4bf92f3577b34da6a3ce929d0e0e4736",
                        .span_id = "00f067aa0ba902b7", .request_id = "req-1",
                        .simulation_id = "3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10"};
    size_t len = 0;
    char *line = fsim_log_line(&ctx, "WARNING", "it happened", &len);
    CHECK(line && len == strlen(line) && !strchr(line, '\n'), "one line, no newline");
    CHECK(line && strstr(line, "\"severity\":\"WARNING\"") && strstr(line, "\"message\":\"it happened\""),
          "severity and message");
    CHECK(line && strstr(line, "\"logging.googleapis.com/trace\":"
                               "\"projects/proj-1/traces/4bf92f3577b34da6a3ce929d0e0e4736\""),
          "the trace as Cloud Logging's resource name");
    CHECK(line && strstr(line, "\"logging.googleapis.com/spanId\":\"00f067aa0ba902b7\""),
          "the span id");
    CHECK(line && strstr(line, "\"requestId\":\"req-1\"") &&
              strstr(line, "\"simulationId\":\"3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10\""),
          "request and simulation ids");
    free(line);
    line = fsim_log_line(NULL, "INFO", "bare", &len);
    CHECK(line && !strstr(line, "trace") && !strstr(line, "requestId"),
          "no context: no trace, no ids");
    free(line);
}

int main(void)
{
    test_trace_parse();
    test_line();
    return check_done();
}
