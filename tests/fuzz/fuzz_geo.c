/* Fuzz target "geo": GeoJSON routes (fsim_geo_parse, what routes.yaml's files go through),
 * then what the simulation asks of a parsed route: a point along it. */
#include "fuzz.h"

#include <stdlib.h>

#include <fleetsim/arena.h>
#include <fleetsim/geo.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        abort();
    fsim_route_path path;
    fsim_error err;
    if (fsim_geo_parse((const char *)data, size, "fuzz.geojson", arena, &path, &err) == FSIM_OK) {
        double lon, lat;
        fsim_geo_point_at(&path, path.length_m / 2, &lon, &lat);
        fsim_geo_point_at(&path, path.length_m, &lon, &lat);
    }
    fsim_arena_free(arena);
    return 0;
}
