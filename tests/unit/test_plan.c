/* core/plan, checked on what a planner relies on:
 *   - the capital recovery factor repays the capital: CRF × the annuity's present value = 1;
 *   - tests/data/plan/hand.json, whose optimum is known by hand (one car, ac-7kw or dc-50kw,
 *     grid steps of 5, 10 and 60 kW, immediate charging): no charger strands the car, 5 kW
 *     is below what any charger draws, a dc-50kw costs far more than an ac-7kw, and the
 *     60 kW step ten times the 10 kW one — so the answer is one ac-7kw on 10 kW; the search
 *     finds it with and without pruning, on one thread and on two;
 *   - a variant runs exactly as the scenario written with its settings does (the prepared
 *     chargers cut down to the variant's counts are what preparing it would give);
 *   - annualCost is the sum of its parts, never below the capital bound, and a design's
 *     settings are the ones its variant number stands for;
 *   - bad --vary specs (tests/data/plan/bad_vary.cases) are refused naming the spec. */
#include <fleetsim/plan.h>
#include <fleetsim/util.h>

#include <stdlib.h>
#include <string.h>

#include "check.h"

static char config_dir[1024];
static char data_dir[1024];

static fsim_request *load(fsim_arena *arena, const char *path)
{
    char *text;
    size_t len;
    fsim_request *req = NULL;
    fsim_error err;
    if (fsim_read_file(path, arena, &text, &len, &err) != FSIM_OK ||
        fsim_request_decode(text, len, path, 0, arena, &req, &err) != FSIM_OK) {
        char msg[1200];
        fsim_error_format(&err, msg, sizeof msg);
        printf("# %s\n", msg);
        return NULL;
    }
    return req;
}

/* tests/data/plan/hand.json, the case known by hand. */
static fsim_request *load_hand(fsim_arena *arena)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/plan/hand.json", data_dir);
    return load(arena, path);
}

static fsim_runner_options options(void)
{
    return (fsim_runner_options){.config_dir = config_dir, .source = "test"};
}

static const fsim_charger_spec *charger(const fsim_depot_spec *d, const char *type)
{
    for (size_t j = 0; j < d->n_chargers; j++)
        if (strcmp(d->chargers[j].type, type) == 0)
            return &d->chargers[j];
    return NULL;
}

static int count_of(const fsim_depot_spec *d, const char *type)
{
    const fsim_charger_spec *c = charger(d, type);
    return c ? c->count : 0;
}

/* The capital recovery factor, through a plan of one priced charger and no grid: the
 * annual capital over the charger's life, discounted, repays its capex + install. */
static void test_crf(void)
{
    const double rates[] = {0, 0.03, 0.07, 0.15};
    fsim_arena *arena = fsim_arena_new();
    fsim_request *req = load_hand(arena);
    if (!req) {
        CHECK(0, "hand.json loads");
        fsim_arena_free(arena);
        return;
    }
    for (size_t i = 0; i < 4; i++) {
        fsim_plan_spec spec = {.has_discount_rate = true, .discount_rate = rates[i]};
        req->plan = &spec;
        const char *vary[] = {"hub.ac-7kw=1"};
        fsim_plan *plan = NULL;
        fsim_error err;
        fsim_runner_options o = options();
        if (fsim_plan_new(req, vary, 1, &o, &plan, &err) != FSIM_OK) {
            CHECK(0, "a one-charger plan builds: %.200s", err.message);
            continue;
        }
        /* ac-7kw's figures from the config itself, not from this file */
        fsim_config *cfg = NULL;
        fsim_config_load(config_dir, NULL, NULL, &cfg, &err);
        const fsim_charger_type *ct = cfg ? fsim_config_charger(cfg, "ac-7kw") : NULL;
        if (ct) {
            double pv = 0;
            for (int t = 1; t <= (int)ct->lifetime_years; t++)
                pv += 1 / pow(1 + rates[i], t);
            double capital = fsim_plan_capital_bound(plan, 0) - ct->maintenance_per_year;
            CHECK_NEAR(capital * pv, ct->capex_per_unit + ct->install_per_unit, 1e-6,
                       "rate %.2f: %g years of the annual capital repay capex + install",
                       rates[i], ct->lifetime_years);
        }
        fsim_config_free(cfg);
        fsim_plan_free(plan);
    }
    fsim_arena_free(arena);
}

/* Searches hand.json and checks the answer worked out by hand (the file's comment). */
static void test_hand(bool prune, int threads)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_request *req = load_hand(arena);
    fsim_plan *plan = NULL;
    fsim_plan_result *r = NULL;
    fsim_error err;
    fsim_runner_options o = options();
    fsim_plan_search_options so = {.threads = threads, .prune = prune};
    if (!req || fsim_plan_new(req, NULL, 0, &o, &plan, &err) != FSIM_OK ||
        fsim_plan_search(plan, &so, arena, &r, &err) != FSIM_OK) {
        CHECK(0, "hand.json plans (%.200s)", req ? err.message : "no request");
        goto out;
    }
    CHECK(r->variants == 18, "prune %d, %d threads: 3 x 2 x 3 = 18 variants (%d)", prune,
          threads, r->variants);
    CHECK(r->evaluated + r->pruned == r->variants && (prune || r->pruned == 0),
          "every variant is run or pruned, and none is pruned without --prune");
    CHECK(r->best != NULL, "a feasible design is found");
    if (r->best) {
        const fsim_depot_spec *hub = &r->best->depots[0];
        CHECK(count_of(hub, "ac-7kw") == 1 && count_of(hub, "dc-50kw") == 0 &&
                  hub->has_grid_limit_kw && hub->grid_limit_kw == 10,
              "prune %d, %d threads: the optimum by hand, one ac-7kw on a 10 kW connection",
              prune, threads);
        CHECK(r->best->summary.feasible, "the best design is feasible");
    }
    CHECK(r->n_front >= 1 && r->best && r->front[0].variant == r->best->variant,
          "the cheapest design opens the front");
    bool why = true;
    for (size_t i = 0; i < r->n_rejected; i++)
        why &= r->rejected[i].verdict && r->rejected[i].verdict[0];
    CHECK(why && r->n_rejected == (size_t)r->infeasible && r->infeasible > 0,
          "every infeasible design says why");
    if (prune)
        CHECK(r->pruned > 0, "pruning skips some variants here (%d)", r->pruned);
out:
    fsim_plan_free(plan);
    fsim_arena_free(arena);
}

/* A variant's summary equals that of the scenario written with the variant's settings,
 * run on its own; its cost is the sum of its parts and at least its bound. */
static void test_variant_is_its_scenario(void)
{
    fsim_arena *arena = fsim_arena_new();
    char path[1200];
    snprintf(path, sizeof path, "%s/scenarios/demo.json", config_dir);
    fsim_request *req = load(arena, path);
    const char *vary[] = {"north.ac-19kw=12,20", "north.dc-150kw=0..2", "north.grid=300",
                          "strategy=cost,immediate"};
    fsim_plan *plan = NULL;
    fsim_error err;
    fsim_runner_options o = options();
    if (!req || fsim_plan_new(req, vary, 4, &o, &plan, &err) != FSIM_OK) {
        CHECK(0, "the demo plans (%.200s)", req ? err.message : "no request");
        goto out;
    }
    CHECK(fsim_plan_variants(plan) == 12, "2 x 3 x 1 x 2 = 12 variants");
    const size_t picks[] = {0, 5, 11};
    for (size_t i = 0; i < 3; i++) {
        fsim_plan_design d;
        if (fsim_plan_run_range(plan, picks[i], 1, arena, &d, &err) != FSIM_OK) {
            CHECK(0, "variant %zu runs (%.200s)", picks[i], err.message);
            continue;
        }
        fsim_request own = *req;
        own.depots = d.depots;
        own.n_depots = d.n_depots;
        own.strategy = d.strategy;
        own.plan = NULL;
        fsim_result *res = NULL;
        if (fsim_runner_run(&own, &o, arena, &res, &err) != FSIM_OK) {
            CHECK(0, "variant %zu's own scenario runs (%.200s)", picks[i], err.message);
            continue;
        }
        CHECK(fsim_wire_equal(FSIM_WIRE_SUMMARY, &d.summary, &res->summary),
              "variant %zu (%s, %d dc-150kw) runs exactly as its own scenario", picks[i],
              fsim_strategy_name(d.strategy), count_of(&d.depots[0], "dc-150kw"));
        const fsim_plan_cost *c = &d.cost;
        CHECK_NEAR(c->annual_cost,
                   c->charger_capital + c->charger_maintenance + c->grid_capital +
                       c->energy_cost + c->demand_cost + c->fixed_cost,
                   1e-6, "variant %zu: annualCost is the sum of its parts", picks[i]);
        CHECK(c->annual_cost >= fsim_plan_capital_bound(plan, picks[i]),
              "variant %zu: annualCost is at least its capital bound", picks[i]);
        CHECK_NEAR(c->energy_cost, res->summary.energy_cost * 365.0 / req->days, 1e-6,
                   "variant %zu: the run's energy cost, scaled to a year", picks[i]);
    }
    /* the last axis varies fastest: variant 1 differs from 0 in strategy only */
    fsim_plan_design two[2];
    if (fsim_plan_run_range(plan, 0, 2, arena, two, &err) == FSIM_OK)
        CHECK(two[0].strategy == FSIM_STRAT_COST && two[1].strategy == FSIM_STRAT_IMMEDIATE &&
                  count_of(&two[0].depots[0], "ac-19kw") == 12 &&
                  count_of(&two[1].depots[0], "ac-19kw") == 12 &&
                  two[0].depots[0].grid_limit_kw == 300,
              "variants number the specs' values in order, the last spec fastest");
    CHECK(fsim_plan_run_range(plan, 11, 2, arena, two, &err) == FSIM_INVALID,
          "a range past the last variant is refused");
out:
    fsim_plan_free(plan);
    fsim_arena_free(arena);
}

/* The way a worker would split a plan: batches of variants through fsim_plan_run_range,
 * composed at the end (one batch delivered twice), give the local search's answer. */
static void test_batches(void)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_request *req = load_hand(arena);
    fsim_plan *plan = NULL;
    fsim_plan_result *local = NULL, *batched = NULL;
    fsim_error err;
    fsim_runner_options o = options();
    fsim_plan_search_options so = {.threads = 2};
    if (!req || fsim_plan_new(req, NULL, 0, &o, &plan, &err) != FSIM_OK ||
        fsim_plan_search(plan, &so, arena, &local, &err) != FSIM_OK) {
        CHECK(0, "hand.json plans (%.200s)", req ? err.message : "no request");
        goto out;
    }
    const size_t n = fsim_plan_variants(plan), batch = 5;
    fsim_plan_design *designs = fsim_arena_calloc(arena, n + batch, sizeof *designs);
    size_t k = 0;
    bool ran = designs != NULL;
    for (size_t first = n; ran && first > 0;) { /* last batch first: order does not matter */
        size_t count = first >= batch ? batch : first;
        first -= count;
        ran = fsim_plan_run_range(plan, first, count, arena, designs + k, &err) == FSIM_OK;
        k += count;
    }
    if (ran) /* the first batch again: a duplicate delivery */
        ran = fsim_plan_run_range(plan, 0, batch, arena, designs + k, &err) == FSIM_OK;
    k += batch;
    CHECK(ran && fsim_plan_compose(plan, designs, k, arena, &batched, &err) == FSIM_OK &&
              fsim_wire_equal(FSIM_WIRE_PLAN_RESULT, local, batched),
          "batches of %zu, in reverse and one twice, compose to the local search's answer",
          batch);
out:
    fsim_plan_free(plan);
    fsim_arena_free(arena);
}

/* tests/data/plan/bad_vary.cases: PATH <tab> MESSAGE PART <tab> SPEC [SPEC…] */
static void test_bad_specs(void)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_request *req = load_hand(arena);
    char path[1200];
    snprintf(path, sizeof path, "%s/plan/bad_vary.cases", data_dir);
    char *text;
    size_t len;
    fsim_error err;
    if (!req || fsim_read_file(path, arena, &text, &len, &err) != FSIM_OK) {
        CHECK(0, "bad_vary.cases and hand.json load");
        goto out;
    }
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        char *want_path = line, *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        char *want_msg = tab + 1;
        tab = strchr(want_msg, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        const char *specs[8];
        size_t n = 0;
        char *save = NULL;
        for (char *s = strtok_r(tab + 1, " ", &save); s && n < 8; s = strtok_r(NULL, " ", &save))
            specs[n++] = s;
        fsim_plan *plan = NULL;
        fsim_runner_options o = options();
        fsim_error_clear(&err);
        fsim_status st = fsim_plan_new(req, specs, n, &o, &plan, &err);
        CHECK(st == FSIM_INVALID && plan == NULL && strcmp(err.path, want_path) == 0 &&
                  strstr(err.message, want_msg) != NULL,
              "%s: refused at %s with \"%s\"", specs[0], want_path, want_msg);
        if (st != FSIM_INVALID || strstr(err.message, want_msg) == NULL)
            printf("# got %s: %s: %s\n", fsim_status_name(st), err.path, err.message);
        fsim_plan_free(plan);
    }
out:
    fsim_arena_free(arena);
}

int main(void)
{
    const char *root = getenv("FSIM_SOURCE_ROOT"), *data = getenv("FSIM_TEST_DATA");
    snprintf(config_dir, sizeof config_dir, "%s/config", root ? root : ".");
    snprintf(data_dir, sizeof data_dir, "%s", data ? data : "tests/data");
    test_crf();
    test_hand(false, 1);
    test_hand(false, 2);
    test_hand(true, 1);
    test_hand(true, 2);
    test_variant_is_its_scenario();
    test_batches();
    test_bad_specs();
    return check_done();
}
