/* fleetsim run — one scenario: result files in --out (mode local) or a `simulations` row in
 * $DATABASE_URL (mode db); a summary on stdout (or the result as JSON with --json); progress
 * on a terminal for runs longer than a second. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fleetsim/job.h>
#include <fleetsim/settings.h>

#include "cli.h"

static const char usage[] =
    "fleetsim run [SCENARIO.json] [--config DIR] [--out DIR] [--strategy NAME] [--json] "
    "[--mode local|db|gcs] [--strict] [--report] [--offline] [--threads N]";

static const char help[] =
    "  SCENARIO.json    a SimulationRequest (default: <config>/scenarios/demo.json)\n"
    "  --config DIR     the YAML config (default: $FLEETSIM_CONFIG_DIR, else config)\n"
    "  --out DIR        where result.json, timeseries.csv, charging_events.csv, trips.csv\n"
    "                   and vehicles.csv go (default out; with --json: none unless given)\n"
    "  --strategy NAME  immediate, balanced, peak_shaving or cost (default: the scenario's)\n"
    "  --json           print the SimulationResult instead of the summary\n"
    "  --mode MODE      local: files; db: a simulations row in $DATABASE_URL; gcs: a row\n"
    "                   pointing at gs://$FLEETSIM_GCS_BUCKET/simulations/<id>/result.json\n"
    "  --strict         exit 3 when the run is not feasible (a trip missed or stranded,\n"
    "                   a depot above its grid limit, or a vehicle ending too low)\n"
    "  --report         also write report.html (charts, one self-contained page) in --out\n"
    "  --offline        weather and unfetched routes from the cache only (docs/services.md);\n"
    "                   a missing entry: exit 2 naming it (also FLEETSIM_OFFLINE=1)\n"
    "  --threads N      use N threads: depots side by side, and the files formatted while\n"
    "                   the engine runs (default: every CPU); the same bytes for any N\n"
    "exit codes: 0 done (feasible or not, without --strict), 1 runtime failure, 2 bad\n"
    "input or usage, 3 not feasible with --strict\n";

struct run_options {
    const char *scenario;
    const char *config_dir;
    const char *out_dir;
    const char *strategy;
    int json;
    const char *mode; /* "local" (files), "db" (a row in $DATABASE_URL) or "gcs" (the row
                         points at gs://$FLEETSIM_GCS_BUCKET/simulations/<id>/result.json) */
    int db;           /* db or gcs: a simulations row */
    int strict;       /* exit CLI_EXIT_INFEASIBLE when the run is not feasible */
    int report;       /* --report: <out>/report.html */
    int threads;      /* --threads: 0 = every CPU */
};

static int parse_options(int argc, char **argv, struct run_options *o)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'C'}, {"out", required_argument, NULL, 'o'},
        {"strategy", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
        {"mode", required_argument, NULL, 'm'},   {"strict", no_argument, NULL, 'S'},
        {"report", no_argument, NULL, 'r'},       {"help", no_argument, NULL, 'h'},
        {"offline", no_argument, NULL, 'O'},
        {"threads", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->mode = "local";
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'C': o->config_dir = optarg; break;
        case 'o': o->out_dir = optarg; break;
        case 's': o->strategy = optarg; break;
        case 'j': o->json = 1; break;
        case 'm':
            if (strcmp(optarg, "local") != 0 && strcmp(optarg, "db") != 0 &&
                strcmp(optarg, "gcs") != 0)
                return cli_usage("run", usage, "--mode: \"%s\" is not local, db or gcs", optarg);
            o->mode = optarg;
            o->db = strcmp(optarg, "local") != 0;
            break;
        case 'S': o->strict = 1; break;
        case 'r': o->report = 1; break;
        case 'O': cli_services_offline(); break;
        case 't': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || n < 1 || n > 256)
                return cli_usage("run", usage, "--threads: \"%s\" is not a number from 1 to 256",
                                 optarg);
            o->threads = (int)n;
            break;
        }
        case 'h': cli_help(usage, help); return -1;
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
    const char *url = fsim_setting_text(FSIM_SETTING_DATABASE_URL);
    if (!url || !*url)
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, "--mode db",
                              "DATABASE_URL is not set (db and gcs modes keep a row)");
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

/* gcs mode: the bucket and a Cloud Storage client from the environment, before the run. */
static fsim_status open_gcs(fsim_services *svc, fsim_gcp_auth **auth, fsim_error *err)
{
    svc->gcs_bucket = fsim_setting_text(FSIM_SETTING_GCS_BUCKET);
    if (!svc->gcs_bucket)
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, "--mode gcs",
                              "FLEETSIM_GCS_BUCKET is not set");
    return fsim_gcs_open_env(NULL, &svc->gcs, auth, err);
}

/* db and gcs modes: the job's life as the API and the worker live it — a row is submitted,
 * claimed and run through the core's job with the db or gcs sink, so a failure stores the
 * same code there. One attempt: a retryable failure gives up at once (attempts_exhausted).
 * The row is submitted as an already published job of its mode, so neither the API's
 * in-process workers nor its outbox ever take it: only this process claims it, by id. */
static fsim_job_outcome run_in_db(fsim_job_run_options *o, const fsim_request *req,
                                  fsim_arena *arena, fsim_result **res, char id[37],
                                  fsim_error *err)
{
    fsim_job_submission sub = {.request = req, .result_mode = fsim_sink_name(o->sink),
                               .published = true};
    if (fsim_job_submit(o->services, &sub, id, NULL, err) != FSIM_OK)
        return FSIM_JOB_FAILED;
    fsim_job_outcome out = fsim_job_run_id(o, id, arena, res, NULL, err);
    if (out == FSIM_JOB_NOT_CLAIMED && err->status == FSIM_OK)
        fsim_error_set(err, FSIM_INTERNAL, NULL, 0, 0, NULL, "simulation %s was taken", id);
    return out;
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
    fsim_services svc = {0};
    fsim_gcp_auth *gcp_auth = NULL;
    struct progress progress = {0};
    clock_gettime(CLOCK_MONOTONIC, &progress.started);
    fsim_runner_options opts = sc.opts;
    opts.threads = o.threads;
    if (!o.json && isatty(STDERR_FILENO)) {
        opts.progress = show_progress;
        opts.progress_user = &progress;
    }
    if (o.strategy && !fsim_strategy_parse(o.strategy, &req->strategy)) {
        rc = cli_usage("run", usage, "--strategy: \"%s\" is not one of immediate, balanced, "
                       "peak_shaving, cost", o.strategy);
        goto out;
    }
    /* db and gcs: the fleet (and the bucket) must be there before minutes of simulation */
    if (o.db && open_store(req, &store, &err) != FSIM_OK)
        goto fail;
    svc.store = store;
    if (strcmp(o.mode, "gcs") == 0 && open_gcs(&svc, &gcp_auth, &err) != FSIM_OK)
        goto fail;
    /* --json without --out: the result goes to stdout only */
    const char *sink = o.db ? o.mode : o.out_dir ? "files" : "stdout";
    fsim_job_policy policy = {.lease_seconds = 60, .max_attempts = 1,
                              .max_attempts_name = "one attempt in the CLI"};
    fsim_job_run_options jo = {.services = &svc, .policy = &policy,
                               .sink = fsim_sink_find(sink),
                               .out_dir = o.out_dir, .runner = opts,
                               .progress = opts.progress, .progress_user = opts.progress_user,
                               /* the report and --json read every row: kept in memory */
                               .whole_result = o.report || o.json};
    char id[37] = "";
    fsim_job_outcome outcome = o.db ? run_in_db(&jo, req, arena, &res, id, &err)
                                    : fsim_job_run(&jo, NULL, req, arena, &res, &err);
    if (progress.shown)
        fputs("\r\033[K", stderr);
    if (outcome != FSIM_JOB_SUCCEEDED)
        goto fail;
    fsim_report_context ctx;
    if (o.report && (cli_report_context(sc.config_dir, req, arena, &ctx, &err) != FSIM_OK ||
                     cli_write_report(fsim_arena_sprintf(arena, "%s/report.html", o.out_dir),
                                      res, &ctx, NULL, NULL, &err) != FSIM_OK))
        goto fail;
    if (o.json) {
        jo.sink = fsim_sink_find("stdout");
        if (strcmp(sink, "stdout") != 0 && fsim_job_deliver(&jo, res, &err) != FSIM_OK)
            goto fail;
    } else {
        cli_print_summary(stdout, req, res);
        if (o.db)
            printf("  %-12s simulation %s%s\n", "stored", id,
                   svc.gcs ? " (result in Cloud Storage)" : "");
        else
            cli_print_written(stdout, o.out_dir, o.report);
    }
    rc = fflush(stdout) != 0 ? 1 : o.strict && !res->summary.feasible ? CLI_EXIT_INFEASIBLE : 0;
    goto out;
fail:
    rc = cli_fail("run", &err);
out:
    fsim_gcs_free(svc.gcs);
    fsim_gcp_auth_free(gcp_auth);
    fsim_store_close(store);
    fsim_arena_free(arena);
    return rc;
}
