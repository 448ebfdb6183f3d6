/* Per-vehicle totals of a run (SimulationResult.vehicles, vehicles.csv). */
#include "engine.h"

fsim_status fsim__convert_vehicles(const fsim_sim_input *in, const struct fsim__output *o,
                                   fsim_arena *arena, fsim_result *out, fsim_error *err)
{
    (void)in;
    (void)o;
    (void)arena;
    (void)out;
    (void)err;
    return FSIM_OK; /* TODO(helper): fill out->vehicles */
}
