/* fleetsim compare — one scenario under every charging strategy (in parallel, through
 * fsim_runner_compare, as POST /v1/simulations:compare), printed as one table a planner
 * reads across: is it feasible, did the trips happen, the peak and the grid excess, the
 * cost, the CO2 and the waits; or with --json the StrategyComparison. Writes no files but
 * the page of --report. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/util.h>

#include "cli.h"

static const char usage[] =
    "fleetsim compare [SCENARIO.json] [--config DIR] [--strategies NAME,NAME...] [--json] "
    "[--report[=FILE]]";

static const char help[] =
    "  SCENARIO.json      a SimulationRequest (default: <config>/scenarios/demo.json)\n"
    "  --config DIR       the YAML config (default: $FLEETSIM_CONFIG_DIR, else config)\n"
    "  --strategies LIST  comma-separated, in the table's order (default: immediate,\n"
    "                     balanced, peak_shaving, cost)\n"
    "  --json             print the StrategyComparison instead of the table\n"
    "  --report[=FILE]    also write the strategies side by side as one HTML page\n"
    "                     (default FILE: compare-report.html)\n"
    "exit codes: 0 done, 1 runtime failure, 2 bad input or usage\n";

struct compare_options {
    const char *scenario;
    const char *config_dir;
    int json;
    const char *report; /* --report: the page's path */
    fsim_strategy strategies[FSIM_RUNNER_COMPARE_MAX];
    size_t n_strategies;
};

/* "balanced,cost" → the strategies in that order; each known and named once. */
static int parse_strategies(const char *list, struct compare_options *o)
{
    char buf[256];
    if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf)
        return cli_usage("compare", usage, "--strategies: too long");
    char *save = NULL;
    for (char *name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        fsim_strategy s;
        if (!fsim_strategy_parse(name, &s))
            return cli_usage("compare", usage,
                             "--strategies: \"%s\" is not one of immediate, balanced, "
                             "peak_shaving, cost", name);
        for (size_t i = 0; i < o->n_strategies; i++)
            if (o->strategies[i] == s)
                return cli_usage("compare", usage, "--strategies: \"%s\" is named twice",
                                 name);
        o->strategies[o->n_strategies++] = s; /* 4 names at most, each once */
    }
    if (o->n_strategies == 0)
        return cli_usage("compare", usage, "--strategies: no strategy named");
    return 0;
}

static int parse_options(int argc, char **argv, struct compare_options *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'C'}, {"strategies", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {"report", optional_argument, NULL, 'r'}, {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    int c, rc;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'C': o->config_dir = optarg; break;
        case 's':
            o->n_strategies = 0;
            if ((rc = parse_strategies(optarg, o)) != 0)
                return rc;
            break;
        case 'j': o->json = 1; break;
        case 'r': o->report = optarg ? optarg : "compare-report.html"; break;
        case 'h': cli_help(usage, help); return -1;
        default: return cli_option_error("compare", usage, c, argv);
        }
    }
    if (argc - optind > 1)
        return cli_usage("compare", usage, "unexpected argument \"%s\"", argv[optind + 1]);
    o->scenario = optind < argc ? argv[optind] : NULL;
    return 0;
}

/* A number cell with `decimals` decimals and a unit, or "-" when the summary does not
 * carry the figure. */
static const char *cell(char *buf, size_t size, bool has, int decimals, double v,
                        const char *unit)
{
    if (!has)
        return "-";
    snprintf(buf, size, "%.*f%s", decimals, v, unit);
    return buf;
}

static void print_table(FILE *f, const fsim_request *req, const fsim_comparison *cmp)
{
    char t0[32];
    fprintf(f, "%s: %d day%s from %s, %zu strategies\n", req->name ? req->name : "scenario",
            req->days, req->days == 1 ? "" : "s", fsim_time_format(req->start, t0),
            cmp->n_results);
    fprintf(f, "  %-13s %-8s %11s %9s %13s %14s %10s %9s  %s\n", "strategy", "feasible",
            "trips", "peak kW", "grid over kWh", "total cost", "CO2 kg", "p95 wait",
            "why not");
    for (size_t i = 0; i < cmp->n_results; i++) {
        const fsim_summary *s = &cmp->results[i].summary;
        char trips[32], over[32], cost[48], co2[32], p95[32], reason[160];
        snprintf(trips, sizeof trips, "%d/%d", s->trips_completed, s->trips);
        if (s->has_total_cost)
            snprintf(cost, sizeof cost, "%.2f %s", s->total_cost, s->currency ? s->currency : "");
        else
            snprintf(cost, sizeof cost, "-");
        fprintf(f, "  %-13s %-8s %11s %9.1f %13s %14s %10s %9s",
                fsim_strategy_name(cmp->results[i].strategy), s->feasible ? "yes" : "NO",
                trips, s->peak_kw,
                cell(over, sizeof over, s->has_grid_exceeded_kwh, 1, s->grid_exceeded_kwh, ""),
                cost, cell(co2, sizeof co2, s->has_co2_kg, 3, s->co2_kg, ""),
                cell(p95, sizeof p95, s->has_wait_seconds_p95, 0, s->wait_seconds_p95, " s"));
        if (!s->feasible)
            fprintf(f, "  %s", cli_verdict_reason(s, reason, sizeof reason));
        fputc('\n', f);
    }
}

int cmd_compare(int argc, char **argv)
{
    struct compare_options o;
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct cli_scenario sc;
    if ((rc = cli_scenario_open("compare", o.scenario, o.config_dir, &sc)) != 0)
        return rc;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_comparison *cmp;
    char *text = NULL;
    if (fsim_runner_compare(sc.req, o.strategies, o.n_strategies, &sc.opts, sc.arena, &cmp,
                            &err) != FSIM_OK) {
        rc = cli_fail("compare", &err);
        goto out;
    }
    const fsim_report_context ctx = {.request = sc.req};
    if (o.report && cli_write_report(o.report, NULL, &ctx, cmp, NULL, &err) != FSIM_OK) {
        rc = cli_fail("compare", &err);
        goto out;
    }
    if (o.json) {
        if (!(text = fsim_wire_encode(FSIM_WIRE_COMPARISON, cmp, 0, NULL))) {
            fsim_error_set(&err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
            rc = cli_fail("compare", &err);
            goto out;
        }
        puts(text);
    } else {
        print_table(stdout, sc.req, cmp);
    }
    rc = fflush(stdout) == 0 ? 0 : 1;
out:
    free(text);
    fsim_arena_free(sc.arena);
    return rc;
}
