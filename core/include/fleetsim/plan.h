/* fleetsim — the depot planner (`fleetsim plan`, docs/plan.md): a scenario and what to vary
 * (charger counts per depot and type, grid connections, strategies) become a numbered list
 * of variants; each variant is one run of the engine, priced per year (capital recovery of
 * chargers and grid connection, maintenance, the run's energy, demand and fixed costs); the
 * answer is the cheapest feasible design and the Pareto fronts of cost against peak load and
 * against the p95 wait.
 *
 * The pieces are separate so that a search can be split across processes: a plan is a pure
 * function of (request, vary specs, config), so any process that builds the same plan sees
 * the same numbered variants; fsim_plan_run_range runs variants first..first+count−1 into
 * PlanDesign objects (the wire contract's, so they can travel and be stored), and
 * fsim_plan_compose turns all of them, from wherever they ran, into the PlanResult. */
#ifndef FLEETSIM_PLAN_H
#define FLEETSIM_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/arena.h>
#include <fleetsim/error.h>
#include <fleetsim/runner.h>
#include <fleetsim/wire.h>

/* Caps, checked before anything runs (a bad spec is FSIM_INVALID: exit 2, 422). */
#define FSIM_PLAN_MAX_VALUES 1000      /* values of one --vary range */
#define FSIM_PLAN_MAX_VARIANTS 100000  /* variants of one plan: the product of the ranges */
#define FSIM_PLAN_MAX_AXES 64          /* --vary specs of one plan */

/* Defaults of the scenario's `plan` block. */
#define FSIM_PLAN_DEFAULT_DISCOUNT_RATE 0.07
#define FSIM_PLAN_DEFAULT_GRID_LIFETIME_YEARS 25.0

typedef struct fsim_plan fsim_plan;

/* Builds the plan of `request` (borrowed: it must outlive the plan): its `plan` block,
 * with `vary` (n_vary specs, borrowed) in place of the block's own list when n_vary > 0.
 * Loads the config once for the charger costs and prepares the request once, with every
 * varied charger type at its largest count (routes and energy profiles are the same for
 * every variant). Errors are FSIM_INVALID naming the part: `--vary[1]` (or
 * `plan.vary[1]`): unknown depot, unknown charger type, an empty range, a range of more
 * than FSIM_PLAN_MAX_VALUES values, more than FSIM_PLAN_MAX_VARIANTS variants; or the
 * preparation's error. The plan owns its memory; free it with fsim_plan_free. */
fsim_status fsim_plan_new(const fsim_request *request, const char *const *vary, size_t n_vary,
                          const fsim_runner_options *opts, fsim_plan **out, fsim_error *err);
/* Accepts NULL. */
void fsim_plan_free(fsim_plan *plan);

/* How many variants the plan has (at least 1: no spec is the scenario as it is). */
size_t fsim_plan_variants(const fsim_plan *plan);
/* Things a planner should know (a varied charger type without costs, …); borrowed. */
const char *const *fsim_plan_warnings(const fsim_plan *plan, size_t *n);

/* The capital part of variant i's annualCost (capital recovery + maintenance), known
 * without running it: a lower bound of its annualCost, since a run's costs are >= 0. */
double fsim_plan_capital_bound(const fsim_plan *plan, size_t variant);

/* Runs variants first .. first+count−1 one after the other on the calling thread, into
 * out[0 .. count−1] (the caller's array); everything they point to lives in `arena`. A pure
 * function of the plan: the same variant gives the same design on any thread or process.
 * Safe to call from several threads at once with different arenas. */
fsim_status fsim_plan_run_range(const fsim_plan *plan, size_t first, size_t count,
                                fsim_arena *arena, fsim_plan_design *out, fsim_error *err);

typedef struct fsim_plan_search_options {
    int threads;   /* engines in parallel; < 1: 1 */
    bool prune;    /* branch and bound on the capital cost (docs/plan.md); else every variant */
} fsim_plan_search_options;

/* Runs the plan on `threads` threads (variants by ascending capital bound; with `prune`,
 * those whose bound is above the annualCost of a feasible design already found are not
 * run — which never changes `best`) and composes the answer into `arena`. */
fsim_status fsim_plan_search(const fsim_plan *plan, const fsim_plan_search_options *opts,
                             fsim_arena *arena, fsim_plan_result **out, fsim_error *err);

/* The answer from the designs that ran (n of them, any order, a variant given twice counted
 * once — a batch delivered twice changes nothing; borrowed), out of the plan's
 * fsim_plan_variants(): best, fronts, rejections, counts. The result points into `designs`
 * and lives in `arena`. */
fsim_status fsim_plan_compose(const fsim_plan *plan, const fsim_plan_design *designs, size_t n,
                              fsim_arena *arena, fsim_plan_result **out, fsim_error *err);

#endif
