/* From a request and its --vary specs to a plan: the axes parsed and checked, the charger
 * prices copied out of the config, and the request prepared once with every varied charger
 * type at its largest count — a variant is then that input with some chargers left out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/config.h>

#include "plan_internal.h"

static fsim_status nomem(fsim_error *err)
{
    return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
}

static fsim_status warn(fsim_plan *p, const char *text, fsim_error *err)
{
    if (!text)
        return nomem(err);
    if (p->n_warnings == p->warnings_cap) {
        size_t cap = p->warnings_cap ? 2 * p->warnings_cap : 8;
        const char **w = fsim_arena_calloc(p->arena, cap, sizeof *w);
        if (!w)
            return nomem(err);
        if (p->n_warnings)
            memcpy(w, p->warnings, p->n_warnings * sizeof *w);
        p->warnings = w;
        p->warnings_cap = cap;
    }
    p->warnings[p->n_warnings++] = text;
    return FSIM_OK;
}

static bool same_axis(const fsim__plan_axis *a, const fsim__plan_axis *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == FSIM__AXIS_STRATEGY)
        return true;
    return a->depot == b->depot && (a->kind == FSIM__AXIS_GRID || strcmp(a->type, b->type) == 0);
}

static double max_value(const fsim__plan_axis *a)
{
    double m = a->values[0];
    for (size_t i = 1; i < a->n_values; i++)
        m = a->values[i] > m ? a->values[i] : m;
    return m;
}

/* Parses every spec; rejects an axis named twice and a product above the cap. */
static fsim_status parse_axes(fsim_plan *p, const char *const *vary, size_t n_vary,
                              const char *prefix, const fsim_config *cfg, const char *source,
                              fsim_error *err)
{
    if (n_vary > FSIM_PLAN_MAX_AXES)
        return fsim_error_set(err, FSIM_INVALID, source, 0, 0, prefix,
                              "%zu specs (at most %d)", n_vary, FSIM_PLAN_MAX_AXES);
    const char **names = fsim_arena_calloc(p->arena, cfg->n_chargers + 1, sizeof *names);
    p->axes = fsim_arena_calloc(p->arena, n_vary + 1, sizeof *p->axes);
    if (!names || !p->axes)
        return nomem(err);
    for (size_t i = 0; i < cfg->n_chargers; i++)
        if (!(names[i] = fsim_arena_strdup(p->arena, cfg->chargers[i].name)))
            return nomem(err);
    double variants = 1;
    for (size_t i = 0; i < n_vary; i++) {
        const char *label = fsim_arena_sprintf(p->arena, "%s[%zu]", prefix, i);
        if (!label)
            return nomem(err);
        fsim__plan_axis *a = &p->axes[i];
        fsim_status st = fsim__plan_parse_axis(vary[i], label, p->request, names,
                                               cfg->n_chargers, source, p->arena, a, err);
        if (st != FSIM_OK)
            return st;
        for (size_t j = 0; j < i; j++)
            if (same_axis(a, &p->axes[j]))
                return fsim_error_set(err, FSIM_INVALID, source, 0, 0, label,
                                      "\"%s\": varies what %s varies already", vary[i],
                                      p->axes[j].label);
        variants *= (double)a->n_values;
        p->n_axes++;
    }
    if (variants > FSIM_PLAN_MAX_VARIANTS)
        return fsim_error_set(err, FSIM_INVALID, source, 0, 0, prefix,
                              "%.0f variants (at most %d): narrow a range or take a larger "
                              "step",
                              variants, FSIM_PLAN_MAX_VARIANTS);
    p->n_variants = (size_t)variants;
    return FSIM_OK;
}

/* The request every variant is cut from: each varied type at its largest count (added to
 * the depot when the scenario has none of it), each varied grid at its largest value. */
static fsim_status build_base(fsim_plan *p, fsim_error *err)
{
    const fsim_request *req = p->request;
    fsim_request *base = fsim_arena_alloc(p->arena, sizeof *base);
    fsim_depot_spec *depots = fsim_arena_calloc(p->arena, req->n_depots, sizeof *depots);
    if (!base || !depots)
        return nomem(err);
    *base = *req;
    base->depots = depots;
    for (size_t d = 0; d < req->n_depots; d++) {
        depots[d] = req->depots[d];
        size_t cap = req->depots[d].n_chargers + p->n_axes;
        fsim_charger_spec *ch = fsim_arena_calloc(p->arena, cap + 1, sizeof *ch);
        if (!ch)
            return nomem(err);
        size_t n = 0;
        for (size_t j = 0; j < req->depots[d].n_chargers; j++)
            ch[n++] = req->depots[d].chargers[j];
        for (size_t a = 0; a < p->n_axes; a++) {
            const fsim__plan_axis *ax = &p->axes[a];
            if (ax->depot != d || ax->kind == FSIM__AXIS_STRATEGY)
                continue;
            if (ax->kind == FSIM__AXIS_GRID) {
                depots[d].has_grid_limit_kw = true;
                depots[d].grid_limit_kw = max_value(ax);
                continue;
            }
            size_t j = 0;
            while (j < n && strcmp(ch[j].type, ax->type) != 0)
                j++;
            if (j == n)
                ch[n++] = (fsim_charger_spec){.type = ax->type};
            ch[j].count = (int)max_value(ax);
        }
        size_t kept = 0; /* a type varied over 0 only is no charger at all */
        for (size_t j = 0; j < n; j++)
            if (ch[j].count > 0)
                ch[kept++] = ch[j];
        depots[d].chargers = ch;
        depots[d].n_chargers = kept;
    }
    base->plan = NULL;
    p->base = base;
    return FSIM_OK;
}

/* Copies the price of every charger type the base request names, and says which varied
 * types have none (the plan then takes them as free). */
static fsim_status copy_prices(fsim_plan *p, const fsim_config *cfg, fsim_error *err)
{
    p->prices = fsim_arena_calloc(p->arena, cfg->n_chargers + 1, sizeof *p->prices);
    if (!p->prices)
        return nomem(err);
    for (size_t i = 0; i < cfg->n_chargers; i++) {
        const fsim_charger_type *c = &cfg->chargers[i];
        bool used = false;
        for (size_t d = 0; d < p->base->n_depots && !used; d++)
            for (size_t j = 0; j < p->base->depots[d].n_chargers && !used; j++)
                used = strcmp(p->base->depots[d].chargers[j].type, c->name) == 0;
        if (!used)
            continue;
        fsim__plan_price *pr = &p->prices[p->n_prices++];
        *pr = (fsim__plan_price){.type = fsim_arena_strdup(p->arena, c->name),
                                 .capex = c->capex_per_unit, .install = c->install_per_unit,
                                 .lifetime_years = c->lifetime_years,
                                 .maintenance = c->maintenance_per_year};
        if (!pr->type)
            return nomem(err);
        if (pr->capex + pr->install + pr->maintenance == 0) {
            fsim_status st = warn(p, fsim_arena_sprintf(p->arena,
                                                        "charger type \"%s\" has no costs in "
                                                        "chargers.yaml: the plan takes it as free",
                                                        c->name),
                                  err);
            if (st != FSIM_OK)
                return st;
        }
    }
    return FSIM_OK;
}

/* The `plan` block's cost model, and every grid size a variant can take checked against
 * the steps (a size above the last step has no price: refused before anything runs). */
static fsim_status cost_model(fsim_plan *p, const fsim_plan_spec *spec, const char *source,
                              fsim_error *err)
{
    p->discount_rate = spec && spec->has_discount_rate ? spec->discount_rate
                                                       : FSIM_PLAN_DEFAULT_DISCOUNT_RATE;
    p->grid_lifetime_years = spec && spec->has_grid_lifetime_years
                                 ? spec->grid_lifetime_years
                                 : FSIM_PLAN_DEFAULT_GRID_LIFETIME_YEARS;
    p->has_grid_cost_per_kw = spec && spec->has_grid_cost_per_kw;
    p->grid_cost_per_kw = p->has_grid_cost_per_kw ? spec->grid_cost_per_kw : 0;
    p->grid_steps = spec ? spec->grid_steps : NULL;
    p->n_grid_steps = spec && spec->grid_steps ? spec->n_grid_steps : 0;
    const bool priced = p->has_grid_cost_per_kw || p->grid_steps;
    bool grid_varied = false;
    for (size_t d = 0; d < p->request->n_depots; d++) {
        const fsim__plan_axis *ax = NULL;
        for (size_t a = 0; a < p->n_axes; a++)
            if (p->axes[a].kind == FSIM__AXIS_GRID && p->axes[a].depot == d)
                ax = &p->axes[a];
        grid_varied |= ax != NULL;
        const fsim_depot_spec *dep = &p->request->depots[d];
        double cost, kw = ax ? max_value(ax) : dep->grid_limit_kw;
        if ((ax || dep->has_grid_limit_kw) && !fsim__plan_grid_cost(p, kw, &cost)) {
            char path[80];
            if (!ax)
                snprintf(path, sizeof path, "depots[%zu].gridLimitKw", d);
            return fsim_error_set(err, FSIM_INVALID, source, 0, 0, ax ? ax->label : path,
                                  "%g kW is above the last of plan.gridSteps (%g kW): a "
                                  "connection that size has no price",
                                  kw, p->grid_steps[p->n_grid_steps - 1].up_to_kw);
        }
        if (priced && !ax && !dep->has_grid_limit_kw) {
            fsim_status st = warn(p, fsim_arena_sprintf(p->arena,
                                                        "depot \"%s\" has no gridLimitKw: its "
                                                        "grid connection is not priced",
                                                        dep->id),
                                  err);
            if (st != FSIM_OK)
                return st;
        }
    }
    if (grid_varied && !priced)
        return warn(p, fsim_arena_strdup(p->arena,
                                         "the plan block prices no grid connection "
                                         "(gridCostPerKw or gridSteps): a larger one costs "
                                         "nothing more"),
                    err);
    return FSIM_OK;
}

/* Which axis counts each prepared charger, and its ordinal among its type: the runner's
 * ids are DEPOT/TYPE/N, N from 1. */
static fsim_status index_chargers(fsim_plan *p, fsim_error *err)
{
    const fsim_sim_input *in = &p->prep->input;
    p->charger_axis = fsim_arena_calloc(p->arena, in->n_depots + 1, sizeof *p->charger_axis);
    p->charger_ordinal = fsim_arena_calloc(p->arena, in->n_depots + 1,
                                           sizeof *p->charger_ordinal);
    if (!p->charger_axis || !p->charger_ordinal)
        return nomem(err);
    for (size_t d = 0; d < in->n_depots; d++) {
        const fsim_sim_depot *dep = &in->depots[d];
        int *axis = fsim_arena_calloc(p->arena, dep->n_chargers + 1, sizeof *axis);
        int *ord = fsim_arena_calloc(p->arena, dep->n_chargers + 1, sizeof *ord);
        if (!axis || !ord)
            return nomem(err);
        for (size_t k = 0; k < dep->n_chargers; k++) {
            axis[k] = -1;
            for (size_t a = 0; a < p->n_axes; a++)
                if (p->axes[a].kind == FSIM__AXIS_CHARGERS && p->axes[a].depot == d &&
                    strcmp(p->axes[a].type, dep->chargers[k].type) == 0)
                    axis[k] = (int)a;
            const char *slash = strrchr(dep->chargers[k].id, '/');
            ord[k] = slash ? atoi(slash + 1) : 0;
        }
        p->charger_axis[d] = axis;
        p->charger_ordinal[d] = ord;
    }
    return FSIM_OK;
}

fsim_status fsim_plan_new(const fsim_request *request, const char *const *vary, size_t n_vary,
                          const fsim_runner_options *opts, fsim_plan **out, fsim_error *err)
{
    *out = NULL;
    fsim_config *cfg = NULL;
    fsim_plan *p = NULL;
    fsim_arena *arena = fsim_arena_new();
    fsim_status st = FSIM_OK;
    if (!arena || !(p = fsim_arena_calloc(arena, 1, sizeof *p))) {
        st = nomem(err);
        goto out;
    }
    p->arena = arena;
    p->request = request;
    const fsim_plan_spec *spec = request->plan;
    const char *source = opts->source ? opts->source : "request";
    const char *prefix = "--vary";
    if (n_vary == 0 && spec && spec->vary) {
        vary = spec->vary;
        n_vary = spec->n_vary;
        prefix = "plan.vary";
    }
    if ((st = fsim_config_load(opts->config_dir, opts->env_overrides_json, request->overrides,
                               &cfg, err)) != FSIM_OK ||
        (st = parse_axes(p, vary, n_vary, prefix, cfg, source, err)) != FSIM_OK ||
        (st = build_base(p, err)) != FSIM_OK || (st = copy_prices(p, cfg, err)) != FSIM_OK ||
        (st = cost_model(p, spec, source, err)) != FSIM_OK ||
        (st = fsim_runner_prepare(p->base, opts, arena, &p->prep, err)) != FSIM_OK ||
        (st = index_chargers(p, err)) != FSIM_OK)
        goto out;
    *out = p;
out:
    fsim_config_free(cfg);
    if (st != FSIM_OK)
        fsim_arena_free(arena);
    return st;
}

void fsim_plan_free(fsim_plan *plan)
{
    if (plan)
        fsim_arena_free(plan->arena);
}

size_t fsim_plan_variants(const fsim_plan *plan)
{
    return plan->n_variants;
}

const char *const *fsim_plan_warnings(const fsim_plan *plan, size_t *n)
{
    *n = plan->n_warnings;
    return plan->warnings;
}
