/* Pruning never changes the answer, on the bundled scenarios: for a --vary set on each of
 * demo.json, tight.json and large.json, the branch-and-bound search (--prune) finds the same
 * cheapest design as running every variant, byte for byte; and the exhaustive answer is the
 * same on one thread and on two (the threads finish in any order). */
#include <fleetsim/plan.h>
#include <fleetsim/util.h>

#include <stdlib.h>
#include <string.h>

#include "../unit/check.h"

static char config_dir[1024];

static fsim_plan_result *search(const fsim_plan *plan, bool prune, int threads,
                                fsim_arena *arena)
{
    fsim_plan_search_options so = {.threads = threads, .prune = prune};
    fsim_plan_result *r = NULL;
    fsim_error err;
    if (fsim_plan_search(plan, &so, arena, &r, &err) != FSIM_OK)
        printf("# search failed: %.300s\n", err.message);
    return r;
}

static void compare(const char *scenario, const char *const *vary, size_t n_vary)
{
    fsim_arena *arena = fsim_arena_new();
    char path[1200];
    snprintf(path, sizeof path, "%s/scenarios/%s", config_dir, scenario);
    char *text;
    size_t len;
    fsim_request *req = NULL;
    fsim_plan *plan = NULL;
    fsim_error err;
    fsim_runner_options o = {.config_dir = config_dir, .source = scenario};
    if (fsim_read_file(path, arena, &text, &len, &err) != FSIM_OK ||
        fsim_request_decode(text, len, path, 0, arena, &req, &err) != FSIM_OK ||
        fsim_plan_new(req, vary, n_vary, &o, &plan, &err) != FSIM_OK) {
        CHECK(0, "%s plans (%.300s)", scenario, err.message);
        goto out;
    }
    fsim_plan_result *all = search(plan, false, 2, arena);
    fsim_plan_result *one = search(plan, false, 1, arena);
    fsim_plan_result *pruned = search(plan, true, 2, arena);
    if (!all || !one || !pruned) {
        CHECK(0, "%s: every search runs", scenario);
        goto out;
    }
    CHECK(all->evaluated == all->variants && all->pruned == 0,
          "%s: the exhaustive search runs all %d variants", scenario, all->variants);
    CHECK(fsim_wire_equal(FSIM_WIRE_PLAN_RESULT, all, one),
          "%s: the exhaustive answer is the same on one thread and on two", scenario);
    CHECK(all->best != NULL, "%s: some variant is feasible", scenario);
    CHECK((!all->best && !pruned->best) ||
              (all->best && pruned->best &&
               fsim_wire_equal(FSIM_WIRE_PLAN_DESIGN, all->best, pruned->best)),
          "%s: pruning (%d of %d variants run) finds the same cheapest design (variant %d)",
          scenario, pruned->evaluated, pruned->variants, all->best ? all->best->variant : -1);
    CHECK(pruned->evaluated + pruned->pruned == pruned->variants && pruned->pruned > 0,
          "%s: every variant is run or pruned, and %d are pruned", scenario, pruned->pruned);
out:
    fsim_plan_free(plan);
    fsim_arena_free(arena);
}

int main(void)
{
    const char *root = getenv("FSIM_SOURCE_ROOT");
    snprintf(config_dir, sizeof config_dir, "%s/config", root ? root : ".");
    /* each set reaches designs whose capital alone is above the answer (many dc-350kw), so
     * that pruning has something to skip: the capital bound bites where capital weighs */
    const char *demo[] = {"north.ac-19kw=8,16", "north.dc-350kw=0..8/2", "north.grid=200,400",
                          "strategy=balanced,cost"};
    const char *tight[] = {"north.ac-19kw=8,16", "north.dc-350kw=0..8/2", "strategy=all"};
    const char *large[] = {"north.dc-150kw=120,160", "north.dc-350kw=0,200",
                           "strategy=balanced"};
    compare("demo.json", demo, 4);
    compare("tight.json", tight, 3);
    compare("large.json", large, 3);
    return check_done();
}
