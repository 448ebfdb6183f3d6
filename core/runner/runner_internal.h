/* core/runner's private helpers shared by its sinks. */
#ifndef FLEETSIM_RUNNER_INTERNAL_H
#define FLEETSIM_RUNNER_INTERNAL_H

#include <fleetsim/error.h>

/* mkdir -p `dir`; FSIM_IO naming it on failure. */
fsim_status fsim__runner_make_dirs(const char *dir, fsim_error *err);

#endif
