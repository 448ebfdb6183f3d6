/* Running variants: one variant is the prepared input with the chargers it does not have
 * left out, its grid limits and strategy set — no config, no routes, no profiles again.
 * The search runs them on several threads, each run in its own arena, and (with pruning)
 * skips the variants whose capital cost alone is above a feasible design's annual cost. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"

static fsim_status nomem(fsim_error *err)
{
    return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
}

void fsim__plan_decode(const fsim_plan *plan, size_t variant, size_t *index)
{
    for (size_t a = plan->n_axes; a-- > 0;) {
        index[a] = variant % plan->axes[a].n_values;
        variant /= plan->axes[a].n_values;
    }
}

fsim_status fsim__plan_settings(const fsim_plan *plan, size_t variant, fsim_arena *arena,
                                fsim_depot_spec **depots, fsim_strategy *strategy,
                                fsim_error *err)
{
    const fsim_request *base = plan->base;
    size_t index[FSIM_PLAN_MAX_AXES + 1];
    fsim__plan_decode(plan, variant, index);
    fsim_depot_spec *out = fsim_arena_calloc(arena, base->n_depots, sizeof *out);
    if (!out)
        return nomem(err);
    *strategy = plan->request->strategy;
    for (size_t a = 0; a < plan->n_axes; a++)
        if (plan->axes[a].kind == FSIM__AXIS_STRATEGY)
            *strategy = (fsim_strategy)plan->axes[a].values[index[a]];
    for (size_t d = 0; d < base->n_depots; d++) {
        out[d] = base->depots[d];
        out[d].grid_limit_kw = plan->request->depots[d].grid_limit_kw;
        out[d].has_grid_limit_kw = plan->request->depots[d].has_grid_limit_kw;
        fsim_charger_spec *ch =
            fsim_arena_calloc(arena, base->depots[d].n_chargers + 1, sizeof *ch);
        if (!ch)
            return nomem(err);
        size_t n = 0;
        for (size_t j = 0; j < base->depots[d].n_chargers; j++) {
            ch[n] = base->depots[d].chargers[j];
            for (size_t a = 0; a < plan->n_axes; a++)
                if (plan->axes[a].kind == FSIM__AXIS_CHARGERS && plan->axes[a].depot == d &&
                    strcmp(plan->axes[a].type, ch[n].type) == 0)
                    ch[n].count = (int)plan->axes[a].values[index[a]];
            n += ch[n].count > 0;
        }
        out[d].chargers = ch;
        out[d].n_chargers = n;
        for (size_t a = 0; a < plan->n_axes; a++)
            if (plan->axes[a].kind == FSIM__AXIS_GRID && plan->axes[a].depot == d) {
                out[d].has_grid_limit_kw = true;
                out[d].grid_limit_kw = plan->axes[a].values[index[a]];
            }
    }
    *depots = out;
    return FSIM_OK;
}

/* The engine's input of a variant: the prepared chargers cut down to the variant's counts
 * (a subset of a list sorted fastest first, then by id, is still sorted so, so the engine
 * sees exactly what preparing the variant's own request would give it). */
static fsim_status variant_input(const fsim_plan *plan, size_t variant,
                                 const fsim_depot_spec *depots, fsim_strategy strategy,
                                 fsim_arena *arena, fsim_sim_input *in, fsim_error *err)
{
    size_t index[FSIM_PLAN_MAX_AXES + 1];
    fsim__plan_decode(plan, variant, index);
    *in = plan->prep->input;
    in->per_vehicle_series = false;
    in->strategy = (fsim_strategy_kind)strategy;
    in->depots = fsim_arena_calloc(arena, in->n_depots + 1, sizeof *in->depots);
    if (!in->depots)
        return nomem(err);
    for (size_t d = 0; d < in->n_depots; d++) {
        const fsim_sim_depot *from = &plan->prep->input.depots[d];
        fsim_sim_depot *to = &in->depots[d];
        *to = *from;
        to->has_grid_limit = depots[d].has_grid_limit_kw;
        to->grid_limit_kw = depots[d].grid_limit_kw;
        to->chargers = fsim_arena_calloc(arena, from->n_chargers + 1, sizeof *to->chargers);
        if (!to->chargers)
            return nomem(err);
        to->n_chargers = 0;
        for (size_t k = 0; k < from->n_chargers; k++) {
            int a = plan->charger_axis[d][k];
            if (a < 0 || plan->charger_ordinal[d][k] <= plan->axes[a].values[index[a]])
                to->chargers[to->n_chargers++] = from->chargers[k];
        }
    }
    return FSIM_OK;
}

double fsim_plan_capital_bound(const fsim_plan *plan, size_t variant)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_depot_spec *depots;
    fsim_strategy strategy;
    fsim_plan_cost cost;
    double bound = 0;
    if (arena && fsim__plan_settings(plan, variant, arena, &depots, &strategy, NULL) == FSIM_OK) {
        fsim__plan_capital(plan, depots, plan->base->n_depots, &cost);
        bound = fsim__plan_bound_of(&cost);
    }
    fsim_arena_free(arena);
    return bound;
}

/* One variant, run and priced; the design points into `arena` and the plan. */
static fsim_status run_one(const fsim_plan *plan, size_t variant, fsim_arena *arena,
                           fsim_plan_design *out, fsim_error *err)
{
    memset(out, 0, sizeof *out);
    fsim_sim_input in;
    fsim_result res;
    fsim_status st = fsim__plan_settings(plan, variant, arena, &out->depots, &out->strategy, err);
    if (st == FSIM_OK)
        st = variant_input(plan, variant, out->depots, out->strategy, arena, &in, err);
    if (st == FSIM_OK)
        st = fsim_sim_run(&in, arena, NULL, NULL, &res, err);
    if (st != FSIM_OK)
        return st;
    out->variant = (int)variant;
    out->n_depots = plan->base->n_depots;
    out->summary = res.summary;
    fsim__plan_capital(plan, out->depots, out->n_depots, &out->cost);
    fsim__plan_operating(plan, &out->summary, &out->cost);
    return FSIM_OK;
}

fsim_status fsim_plan_run_range(const fsim_plan *plan, size_t first, size_t count,
                                fsim_arena *arena, fsim_plan_design *out, fsim_error *err)
{
    if (first > plan->n_variants || count > plan->n_variants - first)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "variants",
                              "variants %zu..%zu are not in a plan of %zu", first,
                              first + count - 1, plan->n_variants);
    for (size_t i = 0; i < count; i++) {
        fsim_status st = run_one(plan, first + i, arena, &out[i], err);
        if (st != FSIM_OK)
            return st;
    }
    return FSIM_OK;
}

/* ---- the search ------------------------------------------------------------------------- */

struct search {
    const fsim_plan *plan;
    bool prune;
    size_t *order;          /* variants by ascending bound, then index */
    double *bound;
    fsim_arena *arena;      /* the caller's: designs are copied in under `lock` */
    fsim_plan_design *designs;
    bool *ran;
    pthread_mutex_t lock;
    size_t next;            /* position in `order` of the next variant to take */
    double best;            /* the least annualCost of a feasible design so far */
    fsim_status st;
    fsim_error err;
};

struct keyed {
    double bound;
    size_t variant;
};

static int by_bound(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    if (x->bound != y->bound)
        return x->bound < y->bound ? -1 : 1;
    return (x->variant > y->variant) - (x->variant < y->variant);
}

/* Takes variants in bound order until none is left, an error stops everyone, or (pruning)
 * the next bound is above the best feasible cost: every later bound is at least as high, so
 * no later variant can cost less than that design — each costs its bound plus a run's
 * costs, which are never negative. `best` only falls, so a variant skipped now would have
 * been skipped later too; whatever order the threads finish in, `best` is exact. */
static void *search_thread(void *arg)
{
    struct search *s = arg;
    const fsim_plan *plan = s->plan;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        if (s->st != FSIM_OK || s->next >= plan->n_variants) {
            pthread_mutex_unlock(&s->lock);
            break;
        }
        size_t v = s->order[s->next];
        if (s->prune && s->bound[v] > s->best) {
            s->next = plan->n_variants;
            pthread_mutex_unlock(&s->lock);
            break;
        }
        s->next++;
        pthread_mutex_unlock(&s->lock);

        fsim_error err;
        fsim_plan_design d;
        void *copy = NULL;
        fsim_arena *scratch = fsim_arena_new();
        fsim_status st = scratch ? run_one(plan, v, scratch, &d, &err) : nomem(&err);
        pthread_mutex_lock(&s->lock);
        if (st == FSIM_OK)
            st = fsim_wire_copy(FSIM_WIRE_PLAN_DESIGN, &d, s->arena, &copy, &err);
        if (st == FSIM_OK) {
            s->designs[v] = *(fsim_plan_design *)copy;
            s->ran[v] = true;
            if (d.summary.feasible && d.cost.annual_cost < s->best)
                s->best = d.cost.annual_cost;
        } else if (s->st == FSIM_OK) {
            s->st = st;
            s->err = err;
        }
        pthread_mutex_unlock(&s->lock);
        fsim_arena_free(scratch);
    }
    return NULL;
}

fsim_status fsim_plan_search(const fsim_plan *plan, const fsim_plan_search_options *opts,
                             fsim_arena *arena, fsim_plan_result **out, fsim_error *err)
{
    *out = NULL;
    const size_t n = plan->n_variants;
    int threads = opts && opts->threads > 1 ? opts->threads : 1;
    if ((size_t)threads > n)
        threads = (int)n;
    struct search s = {.plan = plan, .prune = opts && opts->prune, .arena = arena,
                       .best = 1e300, .st = FSIM_OK};
    fsim_status st = FSIM_OK;
    fsim_plan_design *ran_designs = NULL;
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    bool *started = calloc((size_t)threads, sizeof *started);
    s.order = calloc(n, sizeof *s.order);
    s.bound = calloc(n, sizeof *s.bound);
    s.ran = calloc(n, sizeof *s.ran);
    s.designs = calloc(n, sizeof *s.designs);
    if (!tids || !started || !s.order || !s.bound || !s.ran || !s.designs) {
        st = nomem(err);
        goto out;
    }
    struct keyed *keys = calloc(n, sizeof *keys);
    if (!keys) {
        st = nomem(err);
        goto out;
    }
    for (size_t v = 0; v < n; v++)
        keys[v] = (struct keyed){fsim_plan_capital_bound(plan, v), v};
    qsort(keys, n, sizeof *keys, by_bound);
    for (size_t i = 0; i < n; i++) {
        s.order[i] = keys[i].variant;
        s.bound[keys[i].variant] = keys[i].bound;
    }
    free(keys);
    pthread_mutex_init(&s.lock, NULL);
    for (int t = 0; t < threads; t++)
        started[t] = pthread_create(&tids[t], NULL, search_thread, &s) == 0;
    bool any = false;
    for (int t = 0; t < threads; t++)
        any |= started[t];
    if (!any) /* no thread to spare: search here */
        search_thread(&s);
    for (int t = 0; t < threads; t++)
        if (started[t])
            pthread_join(tids[t], NULL);
    pthread_mutex_destroy(&s.lock);
    if (s.st != FSIM_OK) {
        st = s.st;
        if (err)
            *err = s.err;
        goto out;
    }
    size_t k = 0;
    ran_designs = fsim_arena_calloc(arena, n + 1, sizeof *ran_designs);
    if (!ran_designs) {
        st = nomem(err);
        goto out;
    }
    for (size_t v = 0; v < n; v++)
        if (s.ran[v])
            ran_designs[k++] = s.designs[v];
    st = fsim_plan_compose(plan, ran_designs, k, arena, out, err);
out:
    free(tids);
    free(started);
    free(s.order);
    free(s.bound);
    free(s.ran);
    free(s.designs);
    return st;
}
