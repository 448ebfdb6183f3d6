/* Internal to core/runner: helpers its files share (the weather of a run, the sinks'
 * folders). */
#ifndef FLEETSIM_RUNNER_INTERNAL_H
#define FLEETSIM_RUNNER_INTERNAL_H

#include <fleetsim/error.h>
#include <fleetsim/runner.h>

/* Each depot's air temperature per hour of the horizon (request.days × 24 values) into
 * temps[d] (arena), or temps[d] = NULL for a depot without weather (the request's
 * ambientTemperatureC holds there). From the depot's `weather`, else the request's: an
 * explicit hourlyTemperatureC series, or the weather service (svc; NULL fails naming it). */
fsim_status fsim__runner_weather(const fsim_request *req, const fsim_config *cfg, fsim_svc *svc,
                                 const char *source, fsim_arena *arena, double **temps,
                                 fsim_error *err);

/* mkdir -p `dir`; FSIM_IO naming it on failure. */
fsim_status fsim__runner_make_dirs(const char *dir, fsim_error *err);

#endif
