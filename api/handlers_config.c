/* GET /v1/config/{vehicles,chargers,routes}: the effective configuration (YAML with
 * FLEETSIM_CONFIG_OVERRIDES merged), loaded once at start-up. Vehicles and chargers are the
 * core's canonical JSON (the shape a request's `overrides` takes); routes are the GeoJSON
 * FeatureCollection of fsim_runner_routes_geojson. */
#include <string.h>

#include "api.h"

bool api_handle_config(api_request *req)
{
    api_server *srv = req->server;
    if (strcmp(req->path, "/v1/config/vehicles") == 0)
        return api_respond_copy(req, 200, "application/json", srv->vehicles_json);
    if (strcmp(req->path, "/v1/config/chargers") == 0)
        return api_respond_copy(req, 200, "application/json", srv->chargers_json);
    return api_respond_copy(req, 200, "application/geo+json", srv->routes_geojson);
}
