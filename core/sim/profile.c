/* Route profiles: the cumulative energy of a route for one vehicle type, with the prefix
 * extremes that let the engine decide a trip's outcome without walking it second by second. */
#include "engine.h"

fsim_status fsim_sim_route_profile_init(fsim_sim_route_profile *profile, const char *route_id,
                                        const fsim_route_path *path,
                                        const fsim_energy_profile *energy, double aux_kw,
                                        fsim_arena *arena, fsim_error *err)
{
    const size_t n = energy->n;
    if (n < 2)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, route_id,
                              "route cycle has fewer than two samples");
    profile->route_id = route_id;
    profile->path = path;
    profile->energy = *energy;
    profile->aux_kw = aux_kw;
    profile->prefix_max_kwh = fsim_arena_calloc(arena, n, sizeof(double));
    profile->prefix_min_kwh = fsim_arena_calloc(arena, n, sizeof(double));
    if (!profile->prefix_max_kwh || !profile->prefix_min_kwh)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    double hi = energy->cum_kwh[0], lo = energy->cum_kwh[0];
    for (size_t i = 0; i < n; i++) {
        double e = energy->cum_kwh[i];
        hi = e > hi ? e : hi;
        lo = e < lo ? e : lo;
        profile->prefix_max_kwh[i] = hi;
        profile->prefix_min_kwh[i] = lo;
    }
    return FSIM_OK;
}
