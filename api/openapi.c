/* GET /openapi.json and GET /docs: the document fsim_wire_openapi builds from the wire
 * contract (core/wire/wire_openapi.c), made once at start-up, and a page that renders it.
 * Served only when FLEETSIM_API_DOCS=1 (off by default, so off in production). */
#include "api.h"

/* A page that renders /openapi.json with Redoc (loaded from its CDN by the browser). */
const char api_docs_html[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<title>fleetsim API</title>\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "</head>\n<body>\n<redoc spec-url=\"/openapi.json\"></redoc>\n"
    "<script src=\"https://cdn.redoc.ly/redoc/v2.1.5/bundles/redoc.standalone.js\"></script>\n"
    "</body>\n</html>\n";

bool api_handle_openapi(api_request *req)
{
    if (!req->server->openapi_json)
        return api_error(req, 404, "not_found", NULL,
                         "the API documentation is off (set FLEETSIM_API_DOCS=1)");
    return api_respond_copy(req, 200, "application/json", req->server->openapi_json);
}

bool api_handle_docs(api_request *req)
{
    if (!req->server->openapi_json)
        return api_error(req, 404, "not_found", NULL,
                         "the API documentation is off (set FLEETSIM_API_DOCS=1)");
    return api_respond_copy(req, 200, "text/html; charset=utf-8", api_docs_html);
}
