/* fleetsim run — one scenario: result files in --out (mode local) or a `simulations` row in
 * $DATABASE_URL (mode db); a summary on stdout (or the result as JSON with --json); progress
 * on a terminal for runs longer than a second. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fleetsim/store.h>

#include "cli.h"

static const char usage[] =
    "fleetsim run [SCENARIO.json] [--config DIR] [--out DIR] [--strategy NAME] [--json] "
    "[--mode local|db] [--strict] [--report]";

static const char help[] =
    "  SCENARIO.json    a SimulationRequest (default: <config>/scenarios/demo.json)\n"
    "  --config DIR     the YAML config (default: $FLEETSIM_CONFIG_DIR, else config)\n"
    "  --out DIR        where result.json, timeseries.csv, charging_events.csv, trips.csv\n"
    "                   and vehicles.csv go (default out; with --json: none unless given)\n"
    "  --strategy NAME  immediate, balanced, peak_shaving or cost (default: the scenario's)\n"
    "  --json           print the SimulationResult instead of the summary\n"
    "  --mode local|db  local: files; db: a simulations row in $DATABASE_URL\n"
    "  --strict         exit 3 when the run is not feasible (a trip missed or stranded,\n"
    "                   a depot above its grid limit, or a vehicle ending too low)\n"
    "  --report         also write report.html (charts, one self-contained page) in --out\n"
    "exit codes: 0 done (feasible or not, without --strict), 1 runtime failure, 2 bad\n"
    "input or usage, 3 not feasible with --strict\n";

struct run_options {
    const char *scenario;
    const char *config_dir;
    const char *out_dir;
    const char *strategy;
    int json;
    int db; /* --mode db: store the result in $DATABASE_URL instead of files */
    int strict; /* exit CLI_EXIT_INFEASIBLE when the run is not feasible */
    int report; /* --report: <out>/report.html */
};

static int parse_options(int argc, char **argv, struct run_options *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'C'}, {"out", required_argument, NULL, 'o'},
        {"strategy", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
        {"mode", required_argument, NULL, 'm'},   {"strict", no_argument, NULL, 'S'},
        {"report", no_argument, NULL, 'r'},       {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 'C': o->config_dir = optarg; break;
        case 'o': o->out_dir = optarg; break;
        case 's': o->strategy = optarg; break;
        case 'j': o->json = 1; break;
        case 'm':
            if (strcmp(optarg, "local") != 0 && strcmp(optarg, "db") != 0)
                return cli_usage("run", usage, "--mode: \"%s\" is not local or db", optarg);
            o->db = strcmp(optarg, "db") == 0;
            break;
        case 'S': o->strict = 1; break;
        case 'r': o->report = 1; break;
        case 'h': printf("usage: %s\n%s", usage, help); return -1;
        default:
            return cli_option_error("run", usage, c, argv);
        }
    }
    if (argc - optind > 1)
        return cli_usage("run", usage, "unexpected argument \"%s\"", argv[optind + 1]);
    o->scenario = optind < argc ? argv[optind] : NULL;
    /* --json is for a program reading stdout: it writes files only when asked to */
    if (!o->out_dir && (!o->json || o->report))
        o->out_dir = "out";
    return 0;
}

struct progress {
    struct timespec started;
    int shown;
};

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Progress only when someone is watching: a terminal, and a run already past a second. */
static bool show_progress(void *user, int day, int days)
{
    struct progress *p = user;
    if (seconds_since(&p->started) < 1.0)
        return true;
    fprintf(stderr, "\rsimulated day %d / %d", day, days);
    p->shown = 1;
    return true;
}

/* Opens $DATABASE_URL (one connection) and checks the scenario's fleet is there. */
static fsim_status open_store(const fsim_request *req, fsim_store **store, fsim_error *err)
{
    const char *url = getenv("DATABASE_URL");
    if (!url || !*url)
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, "--mode db",
                              "DATABASE_URL is not set");
    fsim_store_options so = {.pool_size = 1, .max_retries = 5};
    bool exists = false;
    fsim_status st = fsim_store_open(url, &so, store, err);
    if (st == FSIM_OK)
        st = fsim_store_fleet_exists(*store, req->fleet_id, &exists, err);
    if (st == FSIM_OK && !exists)
        st = fsim_error_set(err, FSIM_NOT_FOUND, NULL, 0, 0, "fleetId",
                            "no fleet %s in the database (create it with `fleetsim import vins`)",
                            req->fleet_id);
    return st;
}

static bool write_stdout(void *user, const char *data, size_t len)
{
    return fwrite(data, 1, len, (FILE *)user) == len;
}

int cmd_run(int argc, char **argv)
{
    struct run_options o;
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct cli_scenario sc;
    if ((rc = cli_scenario_open("run", o.scenario, o.config_dir, &sc)) != 0)
        return rc;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_arena *arena = sc.arena;
    fsim_request *req = sc.req;
    fsim_result *res;
    fsim_store *store = NULL;
    struct progress progress = {0};
    clock_gettime(CLOCK_MONOTONIC, &progress.started);
    fsim_runner_options opts = sc.opts;
    if (!o.json && isatty(STDERR_FILENO)) {
        opts.progress = show_progress;
        opts.progress_user = &progress;
    }
    if (o.strategy && !fsim_strategy_parse(o.strategy, &req->strategy)) {
        rc = cli_usage("run", usage, "--strategy: \"%s\" is not one of immediate, balanced, "
                       "peak_shaving, cost", o.strategy);
        goto out;
    }
    /* db mode: the fleet must exist before minutes of simulation are spent */
    if (o.db && open_store(req, &store, &err) != FSIM_OK)
        goto fail;
    fsim_status st = fsim_runner_run(req, &opts, arena, &res, &err);
    if (progress.shown)
        fputs("\r\033[K", stderr);
    if (st != FSIM_OK)
        goto fail;
    char id[37] = "";
    if (o.db ? fsim_store_save_result(store, req, res, NULL, id, &err) != FSIM_OK
             : o.out_dir && fsim_runner_write_files(res, o.out_dir, &err) != FSIM_OK)
        goto fail;
    fsim_report_context ctx;
    if (o.report && (cli_report_context(sc.config_dir, req, arena, &ctx, &err) != FSIM_OK ||
                     cli_write_report(fsim_arena_sprintf(arena, "%s/report.html", o.out_dir),
                                      res, &ctx, NULL, NULL, &err) != FSIM_OK))
        goto fail;
    if (o.json) {
        if (fsim_wire_encode_to(FSIM_WIRE_RESULT, res, 0, write_stdout, stdout, &err) != FSIM_OK)
            goto fail;
        putchar('\n');
    } else {
        cli_print_summary(stdout, req, res);
        if (o.db)
            printf("  %-12s simulation %s\n", "stored", id);
        else
            printf("  %-12s %s/{result.json, timeseries.csv, charging_events.csv, trips.csv, "
                   "vehicles.csv%s}\n", "written", o.out_dir, o.report ? ", report.html" : "");
    }
    rc = fflush(stdout) != 0 ? 1 : o.strict && !res->summary.feasible ? CLI_EXIT_INFEASIBLE : 0;
    goto out;
fail:
    rc = cli_fail("run", &err);
out:
    fsim_store_close(store);
    fsim_arena_free(arena);
    return rc;
}
