/* GET /healthz (the process answers) and GET /readyz (it can do its job: the database
 * answers and has every migration this build expects). Both are open: load balancers and
 * Cloud Run probes carry no API key. */
#include "api.h"

bool api_handle_healthz(api_request *req)
{
    return api_respond_copy(req, 200, "application/json", "{\"status\":\"ok\"}");
}

bool api_handle_readyz(api_request *req)
{
    api_server *srv = req->server;
    if (!srv->store)
        return api_error(req, 503, "not_ready", NULL, "no database is configured (DATABASE_URL)");
    fsim_error err;
    fsim_error_clear(&err);
    if (fsim_store_ping(srv->store, &err) != FSIM_OK) {
        api_log("WARNING", req->request_id, "readyz: database: %s", err.message);
        return api_error(req, 503, "not_ready", NULL, "the database is unreachable");
    }
    bool current = false;
    fsim_error_clear(&err);
    if (fsim_store_migrations_current(srv->store, srv->cfg.migrations_dir, &current, &err) !=
        FSIM_OK) {
        api_log("WARNING", req->request_id, "readyz: migrations: %s", err.message);
        return api_error(req, 503, "not_ready", NULL, "the migrations could not be checked");
    }
    if (!current)
        return api_error(req, 503, "not_ready", NULL, "database migrations are not current: %s",
                         err.message);
    return api_respond_copy(req, 200, "application/json", "{\"status\":\"ready\"}");
}
