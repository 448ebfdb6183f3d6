/* fleetsim plan — size the depot (docs/plan.md): every variant of a scenario's chargers,
 * grid connections and strategies, run on every CPU through core/plan, answered with the
 * cheapest feasible design and its cost breakdown, the Pareto fronts of annual cost against
 * peak kW and against the p95 wait, and why the infeasible ones fail; or with --json the
 * PlanResult. Writes no files. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fleetsim/plan.h>
#include <fleetsim/report.h>

#include "cli.h"

static const char usage[] = "fleetsim plan [SCENARIO.json] [--vary SPEC]... [--prune] "
                            "[--threads N] [--json] [--report[=FILE]] [--config DIR]";

static const char help[] =
    "  SCENARIO.json   a SimulationRequest, its `plan` block optional (default:\n"
    "                  <config>/scenarios/demo.json)\n"
    "  --vary SPEC     what to vary (repeat it; replaces the plan block's list):\n"
    "                    DEPOT.CHARGER=LO..HI[/STEP]  chargers of one type (0..10000)\n"
    "                    DEPOT.grid=LO..HI[/STEP]     the depot's gridLimitKw, kW\n"
    "                    strategy=all | NAME,NAME     charging strategies\n"
    "                  a value list a,b,c works too; at most 1000 values a range and\n"
    "                  100000 variants a plan\n"
    "  --prune         skip variants whose capital cost alone is above a feasible design's\n"
    "                  annual cost: the cheapest design stays exact, the fronts cover the\n"
    "                  designs run (default: the plan block's `prune`, else run them all)\n"
    "  --threads N     engines in parallel (default: every CPU)\n"
    "  --json          print the PlanResult instead of the text answer\n"
    "  --report[=FILE] also write the answer as one HTML page: the best design's cost\n"
    "                  by part, both Pareto fronts drawn, the cheapest infeasible designs\n"
    "                  and why (default FILE: plan-report.html)\n"
    "  --config DIR    the YAML config (default: $FLEETSIM_CONFIG_DIR, else config)\n"
    "exit codes: 0 a feasible design found, 1 runtime failure, 2 bad input or usage,\n"
    "3 no variant is feasible\n";

#define MAX_VARY FSIM_PLAN_MAX_AXES

struct plan_options {
    const char *scenario;
    const char *config_dir;
    const char *vary[MAX_VARY];
    size_t n_vary;
    int prune;     /* -1: the plan block's */
    int threads;
    int json;
    const char *report; /* --report: the page's path */
};

static int parse_options(int argc, char **argv, struct plan_options *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'C'}, {"vary", required_argument, NULL, 'v'},
        {"prune", no_argument, NULL, 'p'},        {"threads", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {"report", optional_argument, NULL, 'r'},
        {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->prune = -1;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cpus > 0 ? (int)cpus : 1;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'C': o->config_dir = optarg; break;
        case 'v':
            if (o->n_vary == MAX_VARY)
                return cli_usage("plan", usage, "--vary: at most %d specs", MAX_VARY);
            o->vary[o->n_vary++] = optarg;
            break;
        case 'p': o->prune = 1; break;
        case 't': {
            double n;
            if (!cli_parse_double(optarg, &n) || n < 1 || n > 1024 || n != (int)n)
                return cli_usage("plan", usage, "--threads: \"%s\" is not a whole number "
                                 "1..1024", optarg);
            o->threads = (int)n;
            break;
        }
        case 'j': o->json = 1; break;
        case 'r': o->report = optarg ? optarg : "plan-report.html"; break;
        case 'h': printf("usage: %s\n%s", usage, help); return -1;
        default: return cli_option_error("plan", usage, c, argv);
        }
    }
    if (argc - optind > 1)
        return cli_usage("plan", usage, "unexpected argument \"%s\"", argv[optind + 1]);
    o->scenario = optind < argc ? argv[optind] : NULL;
    return 0;
}

static void print_best(FILE *f, const fsim_plan_design *b)
{
    const fsim_plan_cost *c = &b->cost;
    const fsim_summary *s = &b->summary;
    const char *cur = c->currency ? c->currency : "";
    char design[1024];
    fprintf(f, "cheapest feasible design (variant %d): %s, %s\n", b->variant,
            fsim_report_design_text(design, sizeof design, b->depots, b->n_depots),
            fsim_strategy_name(b->strategy));
    fprintf(f, "  annual cost          %12.2f %s\n", c->annual_cost, cur);
    fprintf(f, "    chargers, capital  %12.2f\n", c->charger_capital);
    fprintf(f, "    chargers, upkeep   %12.2f\n", c->charger_maintenance);
    fprintf(f, "    grid connection    %12.2f\n", c->grid_capital);
    fprintf(f, "    energy             %12.2f\n", c->energy_cost);
    fprintf(f, "    demand             %12.2f\n", c->demand_cost);
    fprintf(f, "    fixed              %12.2f\n", c->fixed_cost);
    fprintf(f, "  capital outlay       %12.2f %s (chargers and grid, once)\n", c->capital_outlay,
            cur);
    fprintf(f, "  peak %.1f kW, p95 wait %.0f s, trips %d/%d\n", s->peak_kw,
            s->has_wait_seconds_p95 ? s->wait_seconds_p95 : 0.0, s->trips_completed, s->trips);
}

static void print_front(FILE *f, const char *title, const fsim_plan_design *front, size_t n)
{
    fprintf(f, "\nPareto front, annual cost vs %s (%zu design%s):\n", title, n,
            n == 1 ? "" : "s");
    fprintf(f, "  %14s %9s %9s  %-12s %s\n", "annual cost", "peak kW", "p95 wait", "strategy",
            "design");
    for (size_t i = 0; i < n; i++) {
        const fsim_plan_design *d = &front[i];
        char design[1024];
        fprintf(f, "  %14.2f %9.1f %7.0f s  %-12s %s\n", d->cost.annual_cost,
                d->summary.peak_kw,
                d->summary.has_wait_seconds_p95 ? d->summary.wait_seconds_p95 : 0.0,
                fsim_strategy_name(d->strategy),
                fsim_report_design_text(design, sizeof design, d->depots, d->n_depots));
    }
}

/* Infeasible designs: how many, and the first few by variant with their verdicts. */
static void print_rejected(FILE *f, const fsim_plan_result *r)
{
    enum { SHOWN = 8 };
    if (r->n_rejected == 0)
        return;
    fprintf(f, "\ninfeasible: %d design%s (the first %d by variant; --json lists every one)\n",
            r->infeasible, r->infeasible == 1 ? "" : "s",
            r->n_rejected < SHOWN ? (int)r->n_rejected : SHOWN);
    for (size_t i = 0; i < r->n_rejected && i < SHOWN; i++) {
        char design[1024];
        fprintf(f, "  variant %d (%s, %s): %s\n", r->rejected[i].variant,
                fsim_report_design_text(design, sizeof design, r->rejected[i].depots,
                              r->rejected[i].n_depots),
                fsim_strategy_name(r->rejected[i].strategy), r->rejected[i].verdict);
    }
}

static void print_answer(FILE *f, const fsim_plan_result *r, int threads, double seconds)
{
    fprintf(f, "plan %s%s%s: %d variants, %d run, %d pruned, %d infeasible "
            "(%d thread%s, %.2f s, %.1f variants/s)\n",
            r->name ? "\"" : "", r->name ? r->name : "", r->name ? "\"" : "", r->variants,
            r->evaluated, r->pruned, r->infeasible, threads, threads == 1 ? "" : "s", seconds,
            seconds > 0 ? r->evaluated / seconds : 0.0);
    for (size_t i = 0; i < r->n_warnings; i++)
        fprintf(f, "warning: %s\n", r->warnings[i]);
    fputc('\n', f);
    if (r->best)
        print_best(f, r->best);
    else
        fprintf(f, "no feasible design among the variants run\n");
    print_front(f, "peak kW", r->front, r->n_front);
    print_front(f, "p95 wait", r->wait_front, r->n_wait_front);
    print_rejected(f, r);
}

static fsim_status write_page(const char *path, const fsim_plan_result *res, fsim_error *err)
{
    char *html;
    size_t len;
    fsim_status st = fsim_report_render_plan(res, &html, &len, err);
    if (st == FSIM_OK)
        st = cli_write_page(path, html, len, err);
    free(html);
    return st;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int cmd_plan(int argc, char **argv)
{
    struct plan_options o;
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct cli_scenario sc;
    if ((rc = cli_scenario_open("plan", o.scenario, o.config_dir, &sc)) != 0)
        return rc;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_plan *plan = NULL;
    fsim_plan_result *res;
    char *text = NULL;
    const double t0 = now_seconds();
    if (fsim_plan_new(sc.req, o.vary, o.n_vary, &sc.opts, &plan, &err) != FSIM_OK) {
        rc = cli_fail("plan", &err);
        goto out;
    }
    fsim_plan_search_options so = {
        .threads = o.threads,
        .prune = o.prune >= 0 ? o.prune
                              : (sc.req->plan && sc.req->plan->has_prune && sc.req->plan->prune)};
    if (fsim_plan_search(plan, &so, sc.arena, &res, &err) != FSIM_OK) {
        rc = cli_fail("plan", &err);
        goto out;
    }
    const double seconds = now_seconds() - t0;
    if (o.report && write_page(o.report, res, &err) != FSIM_OK) {
        rc = cli_fail("plan", &err);
        goto out;
    }
    if (o.json) {
        if (!(text = fsim_wire_encode(FSIM_WIRE_PLAN_RESULT, res, 0, NULL))) {
            fsim_error_set(&err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
            rc = cli_fail("plan", &err);
            goto out;
        }
        puts(text);
    } else {
        print_answer(stdout, res, o.threads, seconds);
    }
    rc = fflush(stdout) != 0 ? 1 : res->best ? 0 : CLI_EXIT_INFEASIBLE;
out:
    free(text);
    fsim_plan_free(plan);
    fsim_arena_free(sc.arena);
    return rc;
}
