/* fleetsim submit | status | fetch — the CLI as a client of fleetsim-api: submit a scenario
 * (optionally waiting for it with backoff), read a job's status, fetch its result (JSON on
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
    const char *arg;
};

static int parse(const char *cmd, const char *usage, int argc, char **argv,
                 struct client_options *o)
{
    static const struct option longopts[] = {
        {"api", required_argument, NULL, 'a'}, {"out", required_argument, NULL, 'o'},
        {"wait", no_argument, NULL, 'w'},      {"idempotency-key", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case 'a': o->api = optarg; break;
        case 'o': o->out = optarg; break;
        case 'w': o->wait = 1; break;
        case 'k': o->key = optarg; break;
        case 'h': printf("usage: %s\n", usage); return -1;
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

int cmd_submit(int argc, char **argv)
{
    static const char usage[] = "fleetsim submit SCENARIO.json [--api URL] [--wait] "
                                "[--idempotency-key KEY]";
    struct client_options o;
    int rc = parse("submit", usage, argc, argv, &o);
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
    rc = print_status(job);
out:
    free(body);
    fsim_arena_free(arena);
    return rc;
}

int cmd_status(int argc, char **argv)
{
    static const char usage[] = "fleetsim status ID [--api URL] [--wait]";
    struct client_options o;
    int rc = parse("status", usage, argc, argv, &o);
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
    rc = st == FSIM_OK ? print_status(job) : cli_fail("status", &err);
    fsim_arena_free(arena);
    return rc;
}

int cmd_fetch(int argc, char **argv)
{
    static const char usage[] = "fleetsim fetch ID [--api URL] [--out DIR]";
    struct client_options o;
    int rc = parse("fetch", usage, argc, argv, &o);
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
    }
    fsim_arena_free(arena);
    return rc;
}
