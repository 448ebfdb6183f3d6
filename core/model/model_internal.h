/* Internal helpers shared by the model's source files (not part of the public API). */
#ifndef FLEETSIM_MODEL_INTERNAL_H
#define FLEETSIM_MODEL_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include <fleetsim/model.h>

/* distance_m[0] = 0, distance_m[i] = distance_m[i−1] + (v[i−1] + v[i]) / 2 (trapezoidal,
 * Δt = 1 s): the one definition of a cycle's distance, used by every cycle builder. */
void fsim__cycle_fill_distance(size_t n, const double *speed_mps, double *distance_m);

/* Where a CSV reader is: the physical line being fed to libcsv and the line its current
 * row began on (a quoted field may span lines). Start with {.line = 1, .at_row_start = true};
 * a row callback sets at_row_start again. */
struct fsim__csv_lines {
    int line;
    int row_start;
    bool at_row_start;
};

struct csv_parser;

/* Feeds text to an initialised libcsv parser line by line (a leading UTF-8 byte order mark
 * skipped), then finishes it; stops early
 * once *st (the reader's own status, set by its callbacks) is not FSIM_OK. Returns NULL,
 * or what was malformed (the caller names file, line and column). */
const char *fsim__csv_feed(struct csv_parser *parser, const char *p, size_t len,
                           struct fsim__csv_lines *pos, void (*on_field)(void *, size_t, void *),
                           void (*on_row)(int, void *), void *ctx, const fsim_status *st);

/* A CSV reader's error: the first one only (once *st is not FSIM_OK later calls do
 * nothing), FSIM_INVALID at path:line:column with the column's name. */
void fsim__csv_vfail(fsim_status *st, fsim_error *err, const char *path, int line, int column,
                     const char *name, const char *fmt, va_list ap);

/* The powertrain path's per-vehicle constants (model/powertrain.c), hoisted out of the loop. */
struct fsim__powertrain {
    const fsim_vehicle_params *vehicle; /* borrowed */
    double gear, inv_gear, motor_kw, fade_mps, regen_cap_kw, parasitic_kw;
};

void fsim__powertrain_init(struct fsim__powertrain *pt, const fsim_vehicle_params *v);

/* Power at the motor's inverter terminals (kW, negative while regenerating) for one step's
 * wheel power at average speed v_avg_mps; the charge curve at `soc` caps regen. */
double fsim__powertrain_elec_kw(const struct fsim__powertrain *pt, double p_wheel_kw,
                                double v_avg_mps, double soc);

#endif
