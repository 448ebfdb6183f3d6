/* Every configured route as a GeoJSON FeatureCollection a map can draw (what GET
 * /v1/config/routes serves): one LineString Feature per route, with elevation, and its
 * routes.yaml settings plus id and lengthKm as properties. Here, not in the API, because it
 * joins the config (core/config) with the geometry (core/geo), as preparing a run does. */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include <fleetsim/config.h>
#include <fleetsim/geo.h>
#include <fleetsim/runner.h>

static fsim_status waypoint_path(const fsim_route_def *route, fsim_arena *arena,
                                 fsim_route_path *path, fsim_error *err)
{
    const size_t n = route->n_waypoints;
    *path = (fsim_route_path){.n = n};
    path->lon = fsim_arena_calloc(arena, n, sizeof(double));
    path->lat = fsim_arena_calloc(arena, n, sizeof(double));
    path->elevation_m = fsim_arena_calloc(arena, n, sizeof(double));
    if (!path->lon || !path->lat || !path->elevation_m)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        path->lon[i] = route->waypoints[i][0];
        path->lat[i] = route->waypoints[i][1];
        if (i)
            path->length_m += fsim_geo_haversine_m(path->lon[i - 1], path->lat[i - 1],
                                                   path->lon[i], path->lat[i]);
    }
    return FSIM_OK;
}

/* One route as a Feature: LineString of its path (with elevation), properties = its
 * routes.yaml entry plus id and lengthKm. */
static cJSON *route_feature(const fsim_route_def *route, const cJSON *props_src,
                            fsim_arena *arena, fsim_error *err)
{
    fsim_route_path path;
    if (route->geojson_missing) {
        /* waypoints not fetched yet (docs/services.md): the straight line through them */
        if (waypoint_path(route, arena, &path, err) != FSIM_OK)
            return NULL;
    } else if (fsim_geo_load_file(route->geojson_path, arena, &path, err) != FSIM_OK) {
        return NULL;
    }
    cJSON *f = cJSON_CreateObject();
    if (f) {
        cJSON_AddStringToObject(f, "type", "Feature");
        cJSON_AddStringToObject(f, "id", route->id);
    }
    cJSON *geom = cJSON_AddObjectToObject(f, "geometry");
    cJSON *coords = cJSON_CreateArray();
    cJSON *props = props_src ? cJSON_Duplicate(props_src, true) : cJSON_CreateObject();
    if (!f || !geom || !coords || !props) {
        cJSON_Delete(coords);
        cJSON_Delete(props);
        cJSON_Delete(f);
        fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        return NULL;
    }
    cJSON_AddStringToObject(geom, "type", "LineString");
    for (size_t i = 0; i < path.n; i++) {
        double xyz[3] = {path.lon[i], path.lat[i], path.elevation_m[i]};
        cJSON_AddItemToArray(coords, cJSON_CreateDoubleArray(xyz, 3));
    }
    cJSON_AddItemToObject(geom, "coordinates", coords);
    cJSON_DeleteItemFromObject(props, "geojson"); /* a server path, of no use to a client */
    cJSON_AddStringToObject(props, "id", route->id);
    cJSON_AddNumberToObject(props, "lengthKm", path.length_m / 1000.0);
    if (route->geojson_missing)
        cJSON_AddBoolToObject(props, "fetched", false); /* waypoints only: routes fetch */
    cJSON_AddItemToObject(f, "properties", props);
    return f;
}

char *fsim_runner_routes_geojson(const fsim_config *config, fsim_error *err)
{
    char *out = NULL;
    fsim_arena *arena = fsim_arena_new();
    const char *section = fsim_config_section_json(config, "routes");
    cJSON *parsed = section ? cJSON_Parse(section) : NULL;
    cJSON *fc = cJSON_CreateObject();
    cJSON *features = cJSON_CreateArray();
    if (!arena || !parsed || !fc || !features) {
        cJSON_Delete(features);
        fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto out;
    }
    cJSON_AddStringToObject(fc, "type", "FeatureCollection");
    cJSON_AddItemToObject(fc, "features", features);
    const cJSON *all = cJSON_GetObjectItemCaseSensitive(parsed, "routes");
    for (size_t i = 0; i < config->n_routes; i++) {
        const fsim_route_def *r = &config->routes[i];
        cJSON *f = route_feature(r, cJSON_GetObjectItemCaseSensitive(all, r->id), arena, err);
        if (!f)
            goto out;
        cJSON_AddItemToArray(features, f);
    }
    out = cJSON_PrintUnformatted(fc);
    if (!out)
        fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
out:
    cJSON_Delete(fc);
    cJSON_Delete(parsed);
    fsim_arena_free(arena);
    return out;
}
