/* The answer from the designs that ran (each variant counted once, however often it came): the cheapest feasible one, the Pareto fronts of
 * annual cost against peak load and against the p95 wait, and every infeasible design with
 * its verdict. Only feasible designs are on a front: one that fails the job is no trade-off.
 * Ties go to the lower variant, so the answer never depends on which thread ran what. */
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"

static fsim_status nomem(fsim_error *err)
{
    return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
}

static double peak_of(const fsim_plan_design *d)
{
    return d->summary.peak_kw;
}

static double wait_of(const fsim_plan_design *d)
{
    return d->summary.has_wait_seconds_p95 ? d->summary.wait_seconds_p95 : 0;
}

/* By annual cost, then the other objective, then variant: the sweep order of a front. */
static int cost_then(const void *a, const void *b, double (*key)(const fsim_plan_design *))
{
    const fsim_plan_design *x = *(const fsim_plan_design *const *)a;
    const fsim_plan_design *y = *(const fsim_plan_design *const *)b;
    if (x->cost.annual_cost != y->cost.annual_cost)
        return x->cost.annual_cost < y->cost.annual_cost ? -1 : 1;
    double kx = key(x), ky = key(y);
    if (kx != ky)
        return kx < ky ? -1 : 1;
    return (x->variant > y->variant) - (x->variant < y->variant);
}

static int by_cost_peak(const void *a, const void *b) { return cost_then(a, b, peak_of); }
static int by_cost_wait(const void *a, const void *b) { return cost_then(a, b, wait_of); }

/* The designs no other beats on both cost and key(): sweep by ascending cost and keep each
 * one whose key is below every cheaper design's. `sorted` holds the feasible designs. */
static fsim_status front(const fsim_plan_design **sorted, size_t n,
                         double (*key)(const fsim_plan_design *),
                         int (*order)(const void *, const void *), fsim_arena *arena,
                         fsim_plan_design **out, size_t *n_out, fsim_error *err)
{
    qsort(sorted, n, sizeof *sorted, order);
    *out = fsim_arena_calloc(arena, n + 1, sizeof **out);
    if (!*out)
        return nomem(err);
    *n_out = 0;
    for (size_t i = 0; i < n; i++)
        if (*n_out == 0 || key(sorted[i]) < key(&(*out)[*n_out - 1]))
            (*out)[(*n_out)++] = *sorted[i];
    return FSIM_OK;
}

/* The plan's warnings, and one for each range whose end the best design sits on: the
 * optimum may lie beyond it (a count of 0 is no edge: there is nothing below it). */
static fsim_status warnings(const fsim_plan *plan, const fsim_plan_design *best,
                            fsim_arena *arena, fsim_plan_result *r, fsim_error *err)
{
    r->warnings = fsim_arena_calloc(arena, plan->n_warnings + plan->n_axes + 1,
                                    sizeof *r->warnings);
    if (!r->warnings)
        return nomem(err);
    for (size_t i = 0; i < plan->n_warnings; i++)
        r->warnings[r->n_warnings++] = plan->warnings[i];
    size_t index[FSIM_PLAN_MAX_AXES + 1];
    if (best)
        fsim__plan_decode(plan, (size_t)best->variant, index);
    for (size_t a = 0; best && a < plan->n_axes; a++) {
        const fsim__plan_axis *ax = &plan->axes[a];
        if (ax->kind == FSIM__AXIS_STRATEGY || ax->n_values < 2)
            continue;
        double v = ax->values[index[a]], lo = v, hi = v;
        for (size_t k = 0; k < ax->n_values; k++) {
            lo = ax->values[k] < lo ? ax->values[k] : lo;
            hi = ax->values[k] > hi ? ax->values[k] : hi;
        }
        if ((v == lo && v > 0) || v == hi) {
            const char *w = fsim_arena_sprintf(arena,
                                               "%s: the best design takes its %s value (%g); "
                                               "the optimum may lie beyond, widen the range",
                                               ax->label, v == hi ? "highest" : "lowest", v);
            if (!w)
                return nomem(err);
            r->warnings[r->n_warnings++] = w;
        }
    }
    return FSIM_OK;
}

static int design_by_variant(const void *a, const void *b)
{
    const fsim_plan_design *x = *(const fsim_plan_design *const *)a;
    const fsim_plan_design *y = *(const fsim_plan_design *const *)b;
    return (x->variant > y->variant) - (x->variant < y->variant);
}

fsim_status fsim_plan_compose(const fsim_plan *plan, const fsim_plan_design *designs, size_t n,
                              fsim_arena *arena, fsim_plan_result **out, fsim_error *err)
{
    *out = NULL;
    fsim_status st = FSIM_OK;
    fsim_plan_result *r = fsim_arena_calloc(arena, 1, sizeof *r);
    const fsim_plan_design **ok = calloc(n + 1, sizeof *ok);
    const fsim_plan_design **all = calloc(n + 1, sizeof *all);
    if (r)
        r->rejected = fsim_arena_calloc(arena, n + 1, sizeof *r->rejected);
    if (!r || !ok || !all || !r->rejected) {
        st = nomem(err);
        goto out;
    }
    /* by variant, each once: a batch delivered twice holds the same designs twice */
    for (size_t i = 0; i < n; i++)
        all[i] = &designs[i];
    qsort(all, n, sizeof *all, design_by_variant);
    size_t n_ok = 0, unique = 0;
    for (size_t i = 0; i < n; i++) {
        const fsim_plan_design *d = all[i];
        if (i > 0 && d->variant == all[i - 1]->variant)
            continue;
        unique++;
        if (d->summary.feasible) {
            ok[n_ok++] = d;
            continue;
        }
        r->rejected[r->n_rejected++] = (fsim_plan_rejection){
            .variant = d->variant, .strategy = d->strategy, .depots = d->depots,
            .n_depots = d->n_depots, .annual_cost = d->cost.annual_cost,
            .verdict = d->summary.verdict ? d->summary.verdict : "not feasible"};
    }
    if ((st = front(ok, n_ok, wait_of, by_cost_wait, arena, &r->wait_front, &r->n_wait_front,
                    err)) != FSIM_OK ||
        (st = front(ok, n_ok, peak_of, by_cost_peak, arena, &r->front, &r->n_front, err)) !=
            FSIM_OK)
        goto out;
    /* the cheapest, ties to the lower variant (not to the lower peak) */
    const fsim_plan_design *best = NULL;
    for (size_t i = 0; i < n_ok; i++)
        if (!best || ok[i]->cost.annual_cost < best->cost.annual_cost ||
            (ok[i]->cost.annual_cost == best->cost.annual_cost &&
             ok[i]->variant < best->variant))
            best = ok[i];
    if (best) {
        r->best = fsim_arena_alloc(arena, sizeof *r->best);
        if (!r->best) {
            st = nomem(err);
            goto out;
        }
        *r->best = *best;
    }
    r->name = plan->request->name;
    r->variants = (int)plan->n_variants;
    r->evaluated = (int)unique;
    r->pruned = (int)(plan->n_variants - unique);
    r->infeasible = (int)r->n_rejected;
    if ((st = warnings(plan, r->best, arena, r, err)) != FSIM_OK)
        goto out;
    *out = r;
out:
    free(ok);
    free(all);
    return st;
}
