/* Internal helpers shared by the model's source files (not part of the public API). */
#ifndef FLEETSIM_MODEL_INTERNAL_H
#define FLEETSIM_MODEL_INTERNAL_H

#include <stddef.h>

/* distance_m[0] = 0, distance_m[i] = distance_m[i−1] + (v[i−1] + v[i]) / 2 (trapezoidal,
 * Δt = 1 s): the one definition of a cycle's distance, used by every cycle builder. */
void fsim__cycle_fill_distance(size_t n, const double *speed_mps, double *distance_m);

#endif
