/* fleetsim submit | status | fetch — the CLI as a client of fleetsim-api: submit a scenario
 * (optionally waiting for it with backoff: then the run's summary, as `fleetsim run` prints
 * it, or exit 1 with the job's error), read a job's status, fetch its result (JSON on
 * stdout, or the five files with --out). The API address: --api, $FLEETSIM_API_URL, else
 * http://127.0.0.1:8080; its key: $FLEETSIM_API_KEY. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"

struct client_options {
    const char *api;
    const char *out;
    const char *key;
    int wait;
    int json; /* --json: the JobStatus as JSON, not the summary */
    const char *arg;
};

/* What every client command's --help ends with: where the API is, and what exit says. */
#define CLIENT_HELP_TAIL                                                                      \
    "  --api URL          fleetsim-api's base URL (default: $FLEETSIM_API_URL, else\n"        \
    "                     http://127.0.0.1:8080); the key is $FLEETSIM_API_KEY\n"              \
    "exit codes: 0 done, 1 the job failed or the API failed (5xx, no answer), 2 bad input\n" \
    "or usage (4xx: the API's code, message and field are printed)\n"

static int parse(const char *cmd, const char *usage, const char *help, int argc, char **argv,
                 struct client_options *o)
{
    static const struct option longopts[] = {
        {"api", required_argument, NULL, 'a'}, {"out", required_argument, NULL, 'o'},
        {"wait", no_argument, NULL, 'w'},      {"idempotency-key", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'a': o->api = optarg; break;
        case 'o': o->out = optarg; break;
        case 'w': o->wait = 1; break;
        case 'j': o->json = 1; break;
        case 'k': o->key = optarg; break;
        case 'h': cli_help(usage, help); return -1;
        default: return cli_option_error(cmd, usage, c, argv);
        }
    }
    if (argc - optind != 1)
        return cli_usage(cmd, usage, argc - optind ? "one argument expected" : "missing argument");
    o->arg = argv[optind];
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Polls a job until it is no longer queued or running: 200 ms, doubling to 5 s. */
static fsim_status wait_done(const char *base, const char *id, fsim_arena *arena,
                             fsim_job_status **job, fsim_error *err)
{
    char url[1200];
    snprintf(url, sizeof url, "%s/v1/simulations/%s", base, id);
    for (long delay = 200;; delay = delay * 2 > 5000 ? 5000 : delay * 2) {
        char *text;
        long http;
        void *p = NULL;
        fsim_status st = cli_api_request("GET", url, NULL, NULL, arena, &text, &http, err);
        if (st == FSIM_OK)
            st = fsim_wire_decode(FSIM_WIRE_JOB_STATUS, text, strlen(text), url,
                                  FSIM_WIRE_IGNORE_UNKNOWN, arena, &p, err);
        if (st != FSIM_OK)
            return st;
        *job = p;
        if ((*job)->status != FSIM_RUN_QUEUED && (*job)->status != FSIM_RUN_RUNNING)
            return FSIM_OK;
        sleep_ms(delay);
    }
}

static int print_status(const fsim_job_status *job)
{
    char *text = fsim_job_status_encode(job, FSIM_WIRE_PRETTY, NULL);
    if (text)
        puts(text);
    free(text);
    return job->status == FSIM_RUN_FAILED || job->status == FSIM_RUN_CANCELLED ? 1 : 0;
}

/* A finished job as `fleetsim run` reports a run: a failed or cancelled job is exit 1 with
 * its error on stderr; a succeeded one prints the summary of its result (fetched), so
 * "submit --wait" of an infeasible scenario says "feasible NO" just as a local run does.
 * `req` may be NULL (status --wait knows the job by its id only). */
static int report_done(const char *cmd, const char *base, const fsim_job_status *job,
                       const fsim_request *req, fsim_arena *arena)
{
    fsim_error err;
    fsim_error_clear(&err);
    if (job->status != FSIM_RUN_SUCCEEDED) {
        const fsim_api_error *e = job->error;
        fprintf(stderr, "fleetsim %s: simulation %s %s%s%s%s%s%s\n", cmd, job->id,
                fsim_run_status_name(job->status), e ? ": " : "", e ? e->code : "",
                e ? ": " : "", e ? e->message : "",
                e && e->field ? fsim_arena_sprintf(arena, " (field %s)", e->field) : "");
        return 1;
    }
    char url[1200], *text;
    long http;
    fsim_result *res;
    snprintf(url, sizeof url, "%s/v1/simulations/%s/result", base, job->id);
    if (cli_api_request("GET", url, NULL, NULL, arena, &text, &http, &err) != FSIM_OK ||
        fsim_result_decode(text, strlen(text), url, FSIM_WIRE_IGNORE_UNKNOWN, arena, &res,
                           &err) != FSIM_OK)
        return cli_fail(cmd, &err);
    if (!req)
        printf("%s\n", job->name ? job->name : "simulation");
    cli_print_summary(stdout, req, res);
    printf("  %-12s simulation %s (fleetsim fetch %s --out DIR: the files)\n", "stored",
           job->id, job->id);
    return fflush(stdout) != 0 ? 1 : 0;
}

int cmd_submit(int argc, char **argv)
{
    static const char usage[] = "fleetsim submit SCENARIO.json [--api URL] [--wait] [--json] "
                                "[--idempotency-key KEY]";
    static const char help[] =
        "  SCENARIO.json      a SimulationRequest, checked locally before it is sent\n"
        "  --wait             poll (0.2 s doubling to 5 s) until the job is done, then print\n"
        "                     the run's summary as `fleetsim run` does (exit 1 when the job\n"
        "                     failed; its error on stderr)\n"
        "  --json             with --wait: print the final JobStatus as JSON instead\n"
        "  --idempotency-key KEY  the same key again returns the first job instead of a new one\n"
        CLIENT_HELP_TAIL;
    struct client_options o;
    int rc = parse("submit", usage, help, argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    fsim_error_clear(&err);
    fsim_request *req;
    char *body = NULL, *text;
    long http;
    char url[1200];
    const char *base = cli_api_base(o.api);
    snprintf(url, sizeof url, "%s/v1/simulations", base);
    /* checked and re-encoded locally: a bad file is reported with its own name and line */
    if (cli_load_request(o.arg, arena, &req, &err) != FSIM_OK ||
        !(body = fsim_request_encode(req, 0, NULL)) ||
        cli_api_request("POST", url, body, o.key, arena, &text, &http, &err) != FSIM_OK) {
        if (!err.message[0])
            fsim_error_set(&err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        rc = cli_fail("submit", &err);
        goto out;
    }
    /* a newer server may add keys; an answer without a valid id is still an error */
    fsim_submit_response *sub;
    if (fsim_submit_response_decode(text, strlen(text), url, FSIM_WIRE_IGNORE_UNKNOWN, arena,
                                    &sub, &err) != FSIM_OK) {
        rc = cli_fail("submit", &err);
        goto out;
    }
    if (!o.wait) {
        printf("%s\n", sub->id);
        goto out;
    }
    fsim_job_status *job;
    if (wait_done(base, sub->id, arena, &job, &err) != FSIM_OK) {
        rc = cli_fail("submit", &err);
        goto out;
    }
    rc = o.json ? print_status(job) : report_done("submit", base, job, req, arena);
out:
    free(body);
    fsim_arena_free(arena);
    return rc;
}

int cmd_status(int argc, char **argv)
{
    static const char usage[] = "fleetsim status ID [--api URL] [--wait] [--json]";
    static const char help[] =
        "  ID                 the job's id, as `fleetsim submit` printed it\n"
        "  --wait             poll (0.2 s doubling to 5 s) until the job is done, then print\n"
        "                     the run's summary as `fleetsim run` does (exit 1 when the job\n"
        "                     failed; its error on stderr)\n"
        "  --json             print the JobStatus as JSON (without --wait: always)\n"
        CLIENT_HELP_TAIL;
    struct client_options o;
    int rc = parse("status", usage, help, argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    fsim_error_clear(&err);
    fsim_job_status *job = NULL;
    const char *base = cli_api_base(o.api);
    fsim_status st;
    if (o.wait) {
        st = wait_done(base, o.arg, arena, &job, &err);
    } else {
        char url[1200], *text;
        long http;
        void *p = NULL;
        snprintf(url, sizeof url, "%s/v1/simulations/%s", base, o.arg);
        st = cli_api_request("GET", url, NULL, NULL, arena, &text, &http, &err);
        if (st == FSIM_OK)
            st = fsim_wire_decode(FSIM_WIRE_JOB_STATUS, text, strlen(text), url,
                                  FSIM_WIRE_IGNORE_UNKNOWN, arena, &p, &err);
        job = p;
    }
    if (st != FSIM_OK)
        rc = cli_fail("status", &err);
    else if (o.wait && !o.json)
        rc = report_done("status", base, job, NULL, arena);
    else
        rc = print_status(job);
    fsim_arena_free(arena);
    return rc;
}

int cmd_fetch(int argc, char **argv)
{
    static const char usage[] = "fleetsim fetch ID [--api URL] [--out DIR]";
    static const char help[] =
        "  ID                 the job's id, as `fleetsim submit` printed it\n"
        "  --out DIR          write result.json, timeseries.csv, charging_events.csv,\n"
        "                     trips.csv and vehicles.csv there (default: the result's JSON\n"
        "                     on stdout)\n"
        CLIENT_HELP_TAIL;
    struct client_options o;
    int rc = parse("fetch", usage, help, argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    fsim_error_clear(&err);
    char url[1200], *text;
    long http;
    fsim_result *res = NULL;
    snprintf(url, sizeof url, "%s/v1/simulations/%s/result", cli_api_base(o.api), o.arg);
    fsim_status st = cli_api_request("GET", url, NULL, NULL, arena, &text, &http, &err);
    if (st == FSIM_OK)
        st = fsim_result_decode(text, strlen(text), url, FSIM_WIRE_IGNORE_UNKNOWN, arena, &res,
                                &err);
    if (st == FSIM_OK && o.out)
        st = fsim_runner_write_files(res, o.out, &err);
    if (st != FSIM_OK) {
        rc = cli_fail("fetch", &err);
    } else if (!o.out) {
        fputs(text, stdout);
        putchar('\n');
    } else {
        cli_print_written(stdout, o.out, false);
    }
    fsim_arena_free(arena);
    return rc;
}
