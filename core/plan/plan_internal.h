/* Private to core/plan: the plan's parts, shared by the spec parser, the builder, the cost
 * model, the runner and the composer. */
#ifndef FLEETSIM_PLAN_INTERNAL_H
#define FLEETSIM_PLAN_INTERNAL_H

#include <fleetsim/plan.h>

/* One --vary spec: what it varies and the values it takes, in order. */
typedef enum fsim__plan_axis_kind {
    FSIM__AXIS_CHARGERS, /* the count of one charger type at one depot */
    FSIM__AXIS_GRID,     /* one depot's gridLimitKw */
    FSIM__AXIS_STRATEGY, /* the charging strategy (values are fsim_strategy) */
} fsim__plan_axis_kind;

typedef struct fsim__plan_axis {
    fsim__plan_axis_kind kind;
    size_t depot;        /* index into the request's depots (CHARGERS, GRID) */
    const char *type;    /* the charger type (CHARGERS) */
    size_t n_values;
    double *values;
    const char *label;   /* "--vary[1]" or "plan.vary[1]", for messages */
} fsim__plan_axis;

/* What one charger type costs (chargers.yaml), copied out of the config. */
typedef struct fsim__plan_price {
    const char *type;
    double capex, install, lifetime_years, maintenance;
} fsim__plan_price;

struct fsim_plan {
    fsim_arena *arena;              /* everything below */
    const fsim_request *request;    /* the caller's, as written */
    fsim_request *base;             /* the request with each varied type at its largest count */
    fsim_prepared *prep;            /* `base` prepared: the input every variant starts from */
    size_t n_axes;
    fsim__plan_axis *axes;
    size_t n_variants;
    /* per depot of prep->input, per charger: the axis that counts it (−1: none) and its
     * ordinal among its type (north/dc-150kw/3 → 3): a variant of k keeps ordinals 1..k */
    int **charger_axis;
    int **charger_ordinal;
    size_t n_prices;
    fsim__plan_price *prices;
    /* the `plan` block's cost model */
    double discount_rate;
    double grid_lifetime_years;
    bool has_grid_cost_per_kw;
    double grid_cost_per_kw;
    const fsim_grid_step *grid_steps; /* NULL: gridCostPerKw or unpriced */
    size_t n_grid_steps;
    size_t n_warnings, warnings_cap;
    const char **warnings;
};

/* ---- plan_spec.c ------------------------------------------------------------------------ */

/* Parses `spec` (labelled `label`) against the request's depots and the config's charger
 * types (names[0..n_names−1]) into *axis; FSIM_INVALID naming the spec otherwise. */
fsim_status fsim__plan_parse_axis(const char *spec, const char *label, const fsim_request *req,
                                  const char *const *names, size_t n_names, const char *source,
                                  fsim_arena *arena, fsim__plan_axis *axis, fsim_error *err);

/* ---- plan_cost.c ------------------------------------------------------------------------ */

/* The capital recovery factor: the share of a capital sum that, paid each year for
 * `years` at `rate`, repays it with interest. */
double fsim__plan_crf(double rate, double years);
/* The one-time cost of a grid connection of `kw` (0 when the plan prices none); false when
 * `kw` is above the last of the plan's gridSteps. */
bool fsim__plan_grid_cost(const fsim_plan *plan, double kw, double *cost);
/* The capital parts of a design's cost (depots as designed): capitalOutlay, chargerCapital,
 * chargerMaintenance, gridCapital; the rest zero. */
void fsim__plan_capital(const fsim_plan *plan, const fsim_depot_spec *depots, size_t n_depots,
                        fsim_plan_cost *cost);
/* chargerCapital + chargerMaintenance + gridCapital, summed in one fixed order: the bound. */
double fsim__plan_bound_of(const fsim_plan_cost *cost);
/* Adds a run's costs, scaled to a year, and the total. annualCost >= the bound, exactly. */
void fsim__plan_operating(const fsim_plan *plan, const fsim_summary *summary,
                          fsim_plan_cost *cost);

/* ---- plan_run.c ------------------------------------------------------------------------- */

/* The value index of each axis for variant i (the last axis varies fastest). */
void fsim__plan_decode(const fsim_plan *plan, size_t variant, size_t *index);
/* Variant i's depots as designed and its strategy, into `arena`. */
fsim_status fsim__plan_settings(const fsim_plan *plan, size_t variant, fsim_arena *arena,
                                fsim_depot_spec **depots, fsim_strategy *strategy,
                                fsim_error *err);

#endif
