/* The one error shape: every 4xx and 5xx is {"error": {code, message, field, requestId}},
 * a 422 also lists every problem found in `details` (ApiError), encoded by the wire codec
 * (ErrorResponse). Details a client must not see (SQL, file
 * paths of the server, libpq messages) go to the log line instead. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* Encodes `e` (with this request's id) and sends it with `status`. */
static bool send_error(api_request *req, int status, fsim_api_error e)
{
    e.request_id = req->request_id;
    fsim_error_response resp = {.error = e};
    size_t len = 0;
    char *body = fsim_error_response_encode(&resp, 0, &len);
    if (!body) /* out of memory: still the shape, from static text */
        return api_respond_copy(req, 503, "application/json",
                                "{\"error\":{\"code\":\"unavailable\",\"message\":\"out of "
                                "memory\"}}");
    if (status == 503)
        api_add_header(req, "Retry-After", "1");
    return api_respond(req, status, "application/json", body, len);
}

bool api_error(api_request *req, int status, const char *code, const char *field,
               const char *fmt, ...)
{
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    char field_buf[257];
    /* the contract bounds `field` at 256 bytes; paths are shorter, but never emit an
     * invalid document */
    snprintf(field_buf, sizeof field_buf, "%s", field ? field : "");
    fsim_api_error e = {.code = code, .message = message[0] ? message : "error",
                        .field = field_buf[0] ? field_buf : NULL};
    /* every 422 lists its problems, even when there is only this one */
    fsim_error_detail one = {.field = e.field, .message = e.message};
    if (status == 422) {
        e.details = &one;
        e.n_details = 1;
    }
    return send_error(req, status, e);
}

bool api_error_problems(api_request *req, const fsim_error *first,
                        const fsim_error_detail *details, size_t n)
{
    char message[1024], field_buf[257];
    const char *field = first->path[0] ? first->path : NULL;
    snprintf(field_buf, sizeof field_buf, "%s", field ? field : "");
    snprintf(message, sizeof message, "%s%s%s%s", field ? field : "", field ? ": " : "",
             first->message, n > 1 ? " (and more problems: see details)" : "");
    fsim_api_error e = {.code = "invalid_request", .message = message,
                        .field = field ? field_buf : NULL,
                        .details = (fsim_error_detail *)details, .n_details = n};
    fsim_error_detail one = {.field = e.field, .message = first->message};
    if (n == 0) {
        e.details = &one;
        e.n_details = 1;
    }
    return send_error(req, 422, e);
}

bool api_error_from(api_request *req, const fsim_error *err)
{
    const char *field = err->path[0] ? err->path : NULL;
    switch (err->status) {
    case FSIM_INVALID:
        if (err->line > 0)
            return api_error(req, 400, "invalid_json", NULL, "line %d, column %d: %s", err->line,
                             err->column, err->message);
        return api_error_problems(req, err, NULL, 0);
    case FSIM_USAGE:
        return api_error(req, 400, "bad_request", field, "%s", err->message);
    case FSIM_NOT_FOUND:
        /* a body field naming something absent (fleetId) is the request's fault */
        if (field)
            return api_error(req, 422, "invalid_request", field, "%s: %s", field,
                             err->message);
        return api_error(req, 404, "not_found", NULL, "%s", err->message);
    case FSIM_IO:
    case FSIM_NOMEM: {
        char detail[1200];
        fsim_error_format(err, detail, sizeof detail);
        api_log("ERROR", req->request_id, "%s", detail);
        return api_error(req, 503, "unavailable", NULL,
                         "the service is temporarily unavailable; retry later");
    }
    case FSIM_CANCELLED:
        return api_error(req, 503, "unavailable", NULL,
                         "the server is shutting down; retry the request");
    case FSIM_UNAVAILABLE: /* a routing, elevation or weather service (docs/services.md) */
        api_add_header(req, "Retry-After", "30");
        return api_error(req, 503, "service_unavailable", NULL, "%s", err->message);
    default: {
        char detail[1200];
        fsim_error_format(err, detail, sizeof detail);
        api_log("ERROR", req->request_id, "%s", detail);
        return api_error(req, 500, "internal", NULL, "internal error");
    }
    }
}
