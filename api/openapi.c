/* GET /openapi.json: the document fsim_wire_openapi builds from the wire contract
 * (core/wire/wire_openapi.c), made once at start-up; the pages that render it are
 * handlers_docs.c's. Served only when FLEETSIM_API_DOCS=1 (off by default, so off in
 * production). */
#include "api.h"

bool api_handle_openapi(api_request *req)
{
    if (!req->server->openapi_json)
        return api_error(req, 404, "not_found", NULL,
                         "the API documentation is off (set FLEETSIM_API_DOCS=1)");
    return api_respond_copy(req, 200, "application/json", req->server->openapi_json);
}
