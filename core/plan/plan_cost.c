/* What a design costs a year (docs/plan.md, "Cost of a design"):
 *
 *     annualCost = CRF(r, life) × (capex + install) of each charger
 *                + maintenance of each charger
 *                + CRF(r, gridLife) × the grid connection of each depot
 *                + the run's energy + demand + fixed cost × 365 / days
 *
 * The first three are known before a run (the capital bound); the last is >= 0, which is
 * what makes pruning on the bound safe. */
#include <math.h>
#include <string.h>

#include "plan_internal.h"

double fsim__plan_crf(double rate, double years)
{
    if (rate <= 0)
        return 1.0 / years;
    double g = pow(1.0 + rate, years);
    return rate * g / (g - 1.0);
}

bool fsim__plan_grid_cost(const fsim_plan *plan, double kw, double *cost)
{
    *cost = 0;
    if (plan->has_grid_cost_per_kw) {
        *cost = plan->grid_cost_per_kw * kw;
        return true;
    }
    if (!plan->grid_steps)
        return true;
    for (size_t i = 0; i < plan->n_grid_steps; i++)
        if (kw <= plan->grid_steps[i].up_to_kw) {
            *cost = plan->grid_steps[i].cost;
            return true;
        }
    return false;
}

static const fsim__plan_price *price_of(const fsim_plan *plan, const char *type)
{
    for (size_t i = 0; i < plan->n_prices; i++)
        if (strcmp(plan->prices[i].type, type) == 0)
            return &plan->prices[i];
    return NULL; /* cannot happen: fsim_plan_new priced every type of the base request */
}

void fsim__plan_capital(const fsim_plan *plan, const fsim_depot_spec *depots, size_t n_depots,
                        fsim_plan_cost *cost)
{
    memset(cost, 0, sizeof *cost);
    const double grid_crf = fsim__plan_crf(plan->discount_rate, plan->grid_lifetime_years);
    for (size_t d = 0; d < n_depots; d++) {
        for (size_t j = 0; j < depots[d].n_chargers; j++) {
            const fsim__plan_price *p = price_of(plan, depots[d].chargers[j].type);
            if (!p)
                continue;
            const double n = depots[d].chargers[j].count, upfront = n * (p->capex + p->install);
            cost->capital_outlay += upfront;
            cost->charger_capital += upfront * fsim__plan_crf(plan->discount_rate,
                                                              p->lifetime_years);
            cost->charger_maintenance += n * p->maintenance;
        }
        double grid = 0;
        if (depots[d].has_grid_limit_kw)
            fsim__plan_grid_cost(plan, depots[d].grid_limit_kw, &grid); /* checked by _new */
        cost->capital_outlay += grid;
        cost->grid_capital += grid * grid_crf;
    }
    cost->annual_cost = fsim__plan_bound_of(cost);
}

double fsim__plan_bound_of(const fsim_plan_cost *cost)
{
    return cost->charger_capital + cost->charger_maintenance + cost->grid_capital;
}

void fsim__plan_operating(const fsim_plan *plan, const fsim_summary *summary,
                          fsim_plan_cost *cost)
{
    const double year = 365.0 / plan->request->days;
    cost->currency = summary->currency;
    cost->energy_cost = summary->has_energy_cost ? summary->energy_cost * year : 0;
    cost->demand_cost = summary->has_demand_cost ? summary->demand_cost * year : 0;
    cost->fixed_cost = summary->has_fixed_cost ? summary->fixed_cost * year : 0;
    /* bound + a sum of terms >= 0: never below the bound, in floating point too, so a
     * pruned variant (bound > a found cost) is never cheaper than that cost */
    cost->annual_cost =
        fsim__plan_bound_of(cost) + (cost->energy_cost + cost->demand_cost + cost->fixed_cost);
}
