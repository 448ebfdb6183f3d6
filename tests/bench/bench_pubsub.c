/* Benchmark of the Pub/Sub pull worker (figures only, never pass/fail): N small jobs through
 * the real fleetsim-pubsub, the pstest fake (tests/fakes/with_pubsub.sh) and a real
 * PostgreSQL (tests/db/with_postgres.sh), as one process with one thread, two processes with
 * one thread each on the same subscription, and one process with two threads.
 *
 *   bench_pubsub PATH/TO/fleetsim-pubsub [N=1000] [DAYS=1]
 *
 * Each job is tests/data/pubsub/job.json (26 vehicles; DAYS simulated days) in a row created
 * beforehand, as the API does, then published with its simulationId in batches of 100.
 * Times: the publish call (this program's clock) and the workers' log lines "job started"
 * (claimed) and "job succeeded" (written after the commit; same machine, same clock, 1 ms
 * resolution). Printed: jobs/s over the whole run; end to end (publish → succeeded) p50 and
 * p99, which for a backlog of N is mostly queueing; run (claimed → succeeded: decoding,
 * config, simulation, storing the result) p50; and the messaging overhead per job: "gap",
 * one worker thread's time from a job's success to its next claim (ack, pull, deadline,
 * decode, claim: everything that is not the job), for processes with one thread; "idle/job",
 * the workers' time not spent in jobs, per job ((threads × wall − Σ run) / N); and the worker
 * processes' own CPU time per job (from wait4), which does not depend on how busy the
 * machine is, unlike everything else here. A last pass
 * publishes jobs one at a time to show the latency of an idle worker (publish → claimed),
 * which with pstest includes up to 0.5 s: pstest answers an empty Pull after a fixed 0.5 s
 * sleep instead of when a message arrives. */
#include <math.h>
#include <sys/resource.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "harness.h"

#define BATCH 100

static char logdir[] = "/tmp/fsim-bench-pubsub.XXXXXX";
static PGconn *sql;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of n sorted values. */
static double pct(const double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    size_t i = (size_t)ceil(q * (double)n);
    return v[i ? i - 1 : 0];
}

static long count_succeeded(const char *name)
{
    const char *p[] = {name};
    PGresult *r = PQexecParams(sql,
                               "SELECT count(*) FROM simulations WHERE name = $1 "
                               "AND status = 'succeeded'",
                               1, NULL, p, NULL, NULL, 0);
    long n = PQresultStatus(r) == PGRES_TUPLES_OK ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : -1;
    PQclear(r);
    return n;
}

/* The request with its name and number of days replaced (through the wire codec). */
static char *job_named(const char *request, const char *name, int days)
{
    fsim_request *req;
    fsim_error err;
    if (fsim_request_decode(request, strlen(request), "job", 0, arena, &req, &err) != FSIM_OK)
        return NULL;
    req->name = name;
    req->days = days;
    char *text = fsim_request_encode(req, 0, NULL);
    char *copy = text ? fsim_arena_strdup(arena, text) : NULL;
    free(text);
    return copy;
}

typedef struct figures {
    double cpu_per_job;
    double jobs_per_s, e2e_p50, e2e_p99, run_p50, claim_p50, over_p50, over_p99, over_mean;
} figures;

/* Publishes the jobs (all at once in batches, or one at a time waiting for each), runs
 * `procs` workers of `threads` threads until all succeeded, and measures. */
static bool run_config(const char *exe, const char *key, const char *base, int days, int n,
                       int procs, int threads, bool one_by_one, figures *f)
{
    fsim_error err;
    const char *topic = fsim_arena_sprintf(arena, "projects/fsim-test/topics/bench-%s", key);
    const char *sub_short = fsim_arena_sprintf(arena, "bench-%s", key);
    const char *sub = fsim_arena_sprintf(arena, "projects/fsim-test/subscriptions/%s", sub_short);
    if (fsim_pubsub_create_topic(ps, topic, NULL, &err) != FSIM_OK ||
        fsim_pubsub_create_subscription(ps, sub, topic, 60, NULL, &err) != FSIM_OK) {
        printf("# %s: %s\n", key, err.message);
        return false;
    }
    /* the rows carry the config's name: the queries below find them by it */
    const char *name = fsim_arena_sprintf(arena, "bench %s", key);
    const char *request = job_named(base, name, days);
    const char **ids = fsim_arena_calloc(arena, (size_t)n, sizeof *ids);
    double *published = fsim_arena_calloc(arena, (size_t)n, sizeof *published);
    for (int i = 0; i < n; i++)
        if (!request || !(ids[i] = new_row(request)))
            return false;
    pid_t pids[8];
    for (int k = 0; k < procs; k++) {
        const char *log = fsim_arena_sprintf(arena, "%s/%s-%d.log", logdir, key, k);
        pids[k] = start_worker_env(exe, "--pull", log, threads, sub_short, NULL);
        wait_lines(log, 1, "pulling from", NULL, NULL);
    }
    double t0 = now_s();
    fsim_pubsub_message *msgs = fsim_arena_calloc(arena, BATCH, sizeof *msgs);
    for (int i = 0; i < n;) {
        int b = one_by_one ? 1 : (n - i < BATCH ? n - i : BATCH);
        for (int k = 0; k < b; k++) {
            const char *data = job_message(request, "db", ids[i + k]);
            msgs[k] = (fsim_pubsub_message){.data = data, .len = strlen(data)};
        }
        double t = now_s();
        const char **mids;
        if (fsim_pubsub_publish(ps, topic, msgs, (size_t)b, arena, &mids, &err) != FSIM_OK) {
            printf("# publish: %s\n", err.message);
            return false;
        }
        for (int k = 0; k < b; k++)
            published[i + k] = t;
        i += b;
        if (one_by_one)
            wait_final(ids[i - 1]);
    }
    for (int i = 0; i < 12000 && count_succeeded(name) < n; i++)
        usleep(50 * 1000);
    double cpu = 0; /* the workers' own CPU time (user + system), whatever the machine's load */
    for (int k = 0; k < procs; k++) {
        struct rusage ru;
        int status;
        kill(pids[k], SIGTERM);
        if (wait4(pids[k], &status, 0, &ru) == pids[k])
            cpu += (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    }

    /* every time from the workers' own log lines ("job started", "job succeeded": written
     * after the commit), in the order each process wrote them */
    double *started = fsim_arena_calloc(arena, (size_t)n, sizeof *started);
    double *done = fsim_arena_calloc(arena, (size_t)n, sizeof *done);
    double *gap = fsim_arena_calloc(arena, (size_t)n, sizeof *gap);
    size_t n_gap = 0;
    for (int k = 0; k < procs; k++) {
        const char *log = fsim_arena_sprintf(arena, "%s/%s-%d.log", logdir, key, k);
        FILE *in = fopen(log, "r");
        char line[8192];
        double last_done = NAN;
        while (in && fgets(line, sizeof line, in)) {
            cJSON *j = cJSON_Parse(line);
            const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "message");
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "time");
            const cJSON *sid = cJSON_GetObjectItemCaseSensitive(j, "simulationId");
            double when;
            int i = -1;
            if (cJSON_IsString(msg) && cJSON_IsString(t) && cJSON_IsString(sid) &&
                fsim_time_parse(t->valuestring, &when))
                for (int x = 0; x < n && i < 0; x++)
                    if (strcmp(ids[x], sid->valuestring) == 0)
                        i = x;
            if (i >= 0 && strncmp(msg->valuestring, "job started", 11) == 0) {
                started[i] = when;
                if (threads == 1 && !isnan(last_done))
                    gap[n_gap++] = when - last_done;
            } else if (i >= 0 && strncmp(msg->valuestring, "job succeeded", 13) == 0) {
                done[i] = last_done = when;
            }
            cJSON_Delete(j);
        }
        if (in)
            fclose(in);
    }
    double *e2e = fsim_arena_calloc(arena, (size_t)n, sizeof *e2e);
    double *run = fsim_arena_calloc(arena, (size_t)n, sizeof *run);
    double *claim = fsim_arena_calloc(arena, (size_t)n, sizeof *claim);
    double last = 0, busy = 0;
    for (int i = 0; i < n; i++) {
        if (started[i] == 0 || done[i] == 0) {
            printf("# %s: job %s has no start or success line\n", key, ids[i]);
            return false;
        }
        e2e[i] = done[i] - published[i];
        run[i] = done[i] - started[i];
        claim[i] = started[i] - published[i];
        busy += run[i];
        if (done[i] > last)
            last = done[i];
    }
    double wall = last - t0;
    qsort(e2e, (size_t)n, sizeof *e2e, cmp_double);
    qsort(run, (size_t)n, sizeof *run, cmp_double);
    qsort(claim, (size_t)n, sizeof *claim, cmp_double);
    qsort(gap, n_gap, sizeof *gap, cmp_double);
    *f = (figures){.cpu_per_job = cpu / n,
                   .jobs_per_s = n / wall,
                   .e2e_p50 = pct(e2e, (size_t)n, 0.5),
                   .e2e_p99 = pct(e2e, (size_t)n, 0.99),
                   .run_p50 = pct(run, (size_t)n, 0.5),
                   .claim_p50 = pct(claim, (size_t)n, 0.5),
                   .over_p50 = n_gap ? pct(gap, n_gap, 0.5) : NAN,
                   .over_p99 = n_gap ? pct(gap, n_gap, 0.99) : NAN,
                   .over_mean = ((double)(procs * threads) * wall - busy) / n};
    return true;
}

static void print_row(const char *label, const figures *f)
{
    printf("%-24s %7.1f %8.0f %8.0f %7.1f %8.1f %7.1f %7.1f %8.2f\n", label, f->jobs_per_s,
           f->e2e_p50 * 1e3, f->e2e_p99 * 1e3, f->run_p50 * 1e3, f->over_mean * 1e3,
           f->over_p50 * 1e3, f->over_p99 * 1e3, f->cpu_per_job * 1e3);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !getenv("DATABASE_URL") || !getenv("PUBSUB_EMULATOR_HOST")) {
        printf("bench_pubsub: needs the worker binary, with_postgres.sh and with_pubsub.sh\n");
        return 77;
    }
    const char *exe = argv[1];
    int n = argc > 2 ? atoi(argv[2]) : 1000;
    int days = argc > 3 ? atoi(argv[3]) : 1;
    arena = fsim_arena_new();
    fsim_error err;
    if (!mkdtemp(logdir) || !setup_store() || fsim_pubsub_open(NULL, &ps, &err) != FSIM_OK)
        return 1;
    sql = PQconnectdb(getenv("DATABASE_URL"));
    const char *base = job_text("job.json");
    if (!base || PQstatus(sql) != CONNECTION_OK)
        return 1;

    printf("Pub/Sub pull worker: %d jobs of tests/data/pubsub/job.json (26 vehicles, %d day%s),"
           " pstest fake, PostgreSQL 15, %ld CPUs\n",
           n, days, days == 1 ? "" : "s", sysconf(_SC_NPROCESSORS_ONLN));
    printf("%-24s %7s %8s %8s %7s %8s %7s %7s %8s\n", "workers", "jobs/s", "e2e p50", "e2e p99",
           "run p50", "idle/job", "gap p50", "gap p99", "CPU/job");
    printf("%-24s %7s %8s %8s %7s %8s %7s %7s %8s\n", "", "", "ms", "ms", "ms", "ms", "ms", "ms",
           "ms");
    figures one, two, threads2, seq;
    bool ok1 = run_config(exe, "one", base, days, n, 1, 1, false, &one);
    if (ok1)
        print_row("1 process x 1 thread", &one);
    bool ok2 = run_config(exe, "two", base, days, n, 2, 1, false, &two);
    if (ok2)
        print_row("2 processes x 1 thread", &two);
    bool ok3 = run_config(exe, "threads", base, days, n, 1, 2, false, &threads2);
    if (ok3)
        print_row("1 process x 2 threads", &threads2);
    if (ok1 && ok2)
        printf("two processes / one: %.2fx", two.jobs_per_s / one.jobs_per_s);
    if (ok1 && ok3)
        printf("; two threads / one: %.2fx", threads2.jobs_per_s / one.jobs_per_s);
    printf("\n(idle/job: the workers' time not spent in jobs, per job; gap: one thread's "
           "success → its next claim; CPU/job: the worker processes' own CPU time per job — "
           "PostgreSQL and the fake use more, on the same cores)\n");
    int n_seq = n < 20 ? n : 20;
    if (run_config(exe, "seq", base, days, n_seq, 1, 1, true, &seq))
        printf("one at a time (%d jobs, idle worker): publish → claimed p50 %.1f ms, "
               "publish → succeeded p50 %.1f ms (pstest sleeps 0.5 s in an empty Pull)\n",
               n_seq, seq.claim_p50 * 1e3, seq.e2e_p50 * 1e3);

    PQfinish(sql);
    fsim_pubsub_close(ps);
    fsim_store_close(store);
    fsim_arena_free(arena);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", logdir);
    return system(cmd) == 0 ? 0 : 1;
}
