/* fleetsim — the report a person reads: a SimulationResult (or a StrategyComparison) in,
 * one self-contained HTML page out (inline SVG and CSS, no script, no external request).
 *
 * Pure: no I/O, no clock, no locale, no randomness — the same input gives the same bytes in
 * every program (`fleetsim report`, `fleetsim run --report`, GET /v1/simulations/{id}/report).
 * Long series are reduced to at most FSIM_REPORT_MAX_POINTS points per line (each point the
 * min / mean / max of its bucket), and the page says which ones were. */
#ifndef FLEETSIM_REPORT_H
#define FLEETSIM_REPORT_H

#include <stddef.h>

#include <fleetsim/error.h>
#include <fleetsim/wire.h>

/* At most this many points per drawn line; longer series are bucketed. */
#define FSIM_REPORT_MAX_POINTS 800

/* Renders the report of `result` (borrowed, required). `request` (borrowed, may be NULL) is
 * the scenario the result came from: with it the page also shows the scenario's name,
 * strategy, step and vehicle groups, and marks each group's reserve and target SoC; a
 * result alone carries none of them (the page says so). On success *html is malloc'd
 * NUL-terminated text (free() it) and *len its length. FSIM_NOMEM when out of memory,
 * FSIM_INVALID when `result` is NULL (err filled). */
fsim_status fsim_report_render(const fsim_result *result, const fsim_request *request,
                               char **html, size_t *len, fsim_error *err);

/* The same for a comparison of strategies (borrowed): one page, the strategies side by side.
 * `request` (may be NULL) adds the scenario's parameters and grid limits. */
fsim_status fsim_report_render_comparison(const fsim_comparison *cmp,
                                          const fsim_request *request, char **html,
                                          size_t *len, fsim_error *err);

#endif
