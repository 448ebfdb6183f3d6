/* fleetsim — the report a person reads: a SimulationResult (or a StrategyComparison, or a
 * PlanResult) in, one self-contained HTML page out (inline SVG and CSS, no script, no
 * external request).
 *
 * Pure: no I/O, no clock, no locale, no randomness — the same input gives the same bytes in
 * every program (`fleetsim report`, `fleetsim run --report`, GET /v1/simulations/{id}/report).
 * Long series are reduced to at most FSIM_REPORT_MAX_POINTS points per line (each point the
 * min / mean / max of its bucket), and the page says which ones were. */
#ifndef FLEETSIM_REPORT_H
#define FLEETSIM_REPORT_H

#include <stddef.h>

#include <fleetsim/config.h>
#include <fleetsim/error.h>
#include <fleetsim/wire.h>

/* At most this many points per drawn line; longer series are bucketed. */
#define FSIM_REPORT_MAX_POINTS 800

/* A route's geometry, drawn under the stranding points (borrowed): n points, degrees WGS84. */
typedef struct fsim_report_route {
    const char *id;
    size_t n;
    const double *lon, *lat;
} fsim_report_route;

/* What a caller may know beside the result; every member optional, all borrowed. A result
 * alone carries neither: the page then says what it cannot show. */
typedef struct fsim_report_context {
    /* the scenario the result came from: adds its name, strategy, step and vehicle groups,
     * and marks each group's reserve and target SoC */
    const fsim_request *request;
    /* the routes driven, to draw under the stranding points */
    const fsim_report_route *routes;
    size_t n_routes;
    /* the tariffs the depots name (summary.depots[].tariff), for cost and CO2 by
     * time-of-use window */
    const fsim_tariff *tariffs;
    size_t n_tariffs;
} fsim_report_context;

/* Renders the report of `result` (borrowed, required) with `ctx` (may be NULL). On success
 * *html is malloc'd NUL-terminated text (free() it) and *len (may be NULL) its length.
 * FSIM_NOMEM when out of memory, FSIM_INVALID when `result` is NULL (err filled). */
fsim_status fsim_report_render(const fsim_result *result, const fsim_report_context *ctx,
                               char **html, size_t *len, fsim_error *err);

/* The same for a comparison of strategies (borrowed): one page, the strategies side by side.
 * `request` (may be NULL) adds the scenario's parameters and grid limits. */
fsim_status fsim_report_render_comparison(const fsim_comparison *cmp,
                                          const fsim_request *request, char **html,
                                          size_t *len, fsim_error *err);

/* The page of a depot plan (`fleetsim plan --report`): the cheapest feasible design and its
 * annual cost by part, the Pareto fronts of annual cost against site peak and against the
 * p95 wait (charts and tables), and the cheapest infeasible designs with their reasons. */
fsim_status fsim_report_render_plan(const fsim_plan_result *plan, char **html, size_t *len,
                                    fsim_error *err);

/* A design's settings as one line of text into buf (cut at size), returned:
 * "north: 4 dc-150kw + 2 ac-22kw, grid 400 kW; south: …". */
char *fsim_report_design_text(char *buf, size_t size, const fsim_depot_spec *depots,
                              size_t n_depots);

#endif
