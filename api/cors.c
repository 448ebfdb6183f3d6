/* CORS: a browser app on another origin may call the API only from an origin listed in
 * FLEETSIM_API_CORS_ORIGINS (default none: browsers keep their same-origin rule). Every
 * answer to an allowed origin names it (server.c adds the headers); a preflight OPTIONS is
 * answered here, before the API key check, since browsers send no custom header with it. */
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "api.h"

/* What a browser app sends besides the simple headers. */
#define ALLOWED_HEADERS "Content-Type, X-API-Key, Idempotency-Key, X-Request-Id, traceparent"

const char *api_cors_origin(const api_request *req)
{
    const char *list = req->server->cfg.cors_origins;
    const char *origin = api_header(req, "Origin");
    if (!list || !origin || !*origin)
        return NULL;
    size_t olen = strlen(origin);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t len = n;
        while (len > 0 && p[len - 1] == ' ')
            len--;
        /* origins are scheme://host[:port]; scheme and host compare case-insensitively */
        if ((len == 1 && *p == '*') || (len == olen && len > 0 && strncasecmp(p, origin, len) == 0))
            return origin;
        p += n;
    }
    return NULL;
}

bool api_cors_preflight(api_request *req)
{
    int status = 0;
    const char *allow = NULL;
    api_route_find(req, &status, &allow);
    if (status == 404)
        return api_error(req, 404, "not_found", NULL, "no route for %s %s", req->method,
                         req->path);
    api_add_header(req, MHD_HTTP_HEADER_ALLOW, allow);
    const char *origin = api_header(req, "Origin");
    if (!origin || !api_header(req, "Access-Control-Request-Method"))
        return api_respond(req, 204, NULL, NULL, 0); /* a plain OPTIONS: what is allowed */
    if (!req->cors_origin)
        return api_error(req, 403, "origin_not_allowed", "Origin",
                         "the origin \"%.200s\" is not in FLEETSIM_API_CORS_ORIGINS", origin);
    api_add_header(req, "Access-Control-Allow-Methods", allow);
    api_add_header(req, "Access-Control-Allow-Headers", ALLOWED_HEADERS);
    api_add_header(req, "Access-Control-Max-Age", "600");
    return api_respond(req, 204, NULL, NULL, 0);
}
