/* fleetsim-pubsub --pull under faults: the real binary, the pstest fake
 * (tests/fakes/with_pubsub.sh) and a real PostgreSQL (tests/db/with_postgres.sh) that this
 * test stops and starts again with pg_ctl, as tests/api/db_cases.sh does.
 *
 *   test_worker_faults PATH/TO/fleetsim-pubsub
 *
 * 1. The database goes down while messages arrive: they are nacked (the log says so) and
 *    run once it is back; every job succeeds exactly once, none is lost.
 * 2. A worker is SIGKILLed mid-job: after the ack deadline the message comes back, a second
 *    worker claims the row once its lease ran out and completes it; one result, attempts 2.
 * 3. A job that keeps failing transiently (a trigger makes storing its result fail with
 *    SQLSTATE 40001) is marked failed after FLEETSIM_PUBSUB_MAX_ATTEMPTS, with the reason.
 * 4. Two workers on one subscription split the load; each job runs once; one job published
 *    5 times while both pull runs once, every delivery settled.
 * (A 10 MB payload — failed, logged with the message id, acked, worker keeps going — is in
 * test_worker.c.) Waits are bounded polling loops, never thresholds. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#include <libpq-fe.h>

#include "check.h"
#include "harness.h"

static char logdir[] = "/tmp/fsim-ps-faults.XXXXXX";
static PGconn *sql;

/* ---- helpers -------------------------------------------------------------------------- */

/* pg_ctl stop|start on the test's server (as the postgres user when we are root). */
static bool pg_ctl(const char *action)
{
    const char *dir = getenv("FSIM_PG_DIR"), *bin = getenv("FSIM_PG_BIN");
    const char *port = getenv("PGPORT") ? getenv("PGPORT") : "5432";
    if (!dir || !bin)
        return false;
    const char *as = getuid() == 0 ? "runuser -u postgres -- " : "";
    char cmd[2048];
    if (strcmp(action, "stop") == 0)
        snprintf(cmd, sizeof cmd, "%s'%s/pg_ctl' -D '%s/data' -m fast -w stop >/dev/null 2>&1",
                 as, bin, dir);
    else
        snprintf(cmd, sizeof cmd,
                 "%s'%s/pg_ctl' -D '%s/data' -l '%s/postgres.log' -w -t 60 -s -o \"-c "
                 "listen_addresses='' -p %s -k %s -c unix_socket_permissions=0777 -c fsync=off "
                 "-c shared_buffers=32MB -c max_connections=60\" start >/dev/null 2>&1",
                 as, bin, dir, dir, port, dir);
    return system(cmd) == 0;
}

/* One SQL statement on the test's own connection (reconnecting after a restart); the first
 * value of the first row as a number, or -1. */
static long sql_long(const char *query)
{
    if (!sql || PQstatus(sql) != CONNECTION_OK) {
        PQfinish(sql);
        sql = PQconnectdb(getenv("DATABASE_URL"));
    }
    PGresult *r = PQexec(sql, query);
    long v = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    else if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        printf("# sql: %s", PQerrorMessage(sql));
    PQclear(r);
    return v;
}

static long attempts_of(const char *id)
{
    char q[160];
    snprintf(q, sizeof q, "SELECT attempts FROM simulations WHERE id = '%s'", id);
    return sql_long(q);
}

/* A topic and a pull subscription on it (ack deadline `ack` s) named faults-NAME. */
static void channel(const char *name, int ack, const char **topic, const char **sub)
{
    fsim_error err;
    *topic = fsim_arena_sprintf(arena, "projects/fsim-test/topics/faults-%s", name);
    *sub = fsim_arena_sprintf(arena, "projects/fsim-test/subscriptions/faults-%s", name);
    if (fsim_pubsub_create_topic(ps, *topic, NULL, &err) != FSIM_OK ||
        fsim_pubsub_create_subscription(ps, *sub, *topic, ack, NULL, &err) != FSIM_OK)
        printf("# channel %s: %s\n", name, err.message);
}

static char *log_path(const char *name)
{
    return fsim_arena_sprintf(arena, "%s/%s.log", logdir, name);
}

/* The request text with "name" replaced (the store keeps it in the row's name column). */
static char *renamed(const char *request, const char *name)
{
    const char *at = strstr(request, "\"pubsub test job\"");
    if (!at)
        return NULL;
    return fsim_arena_sprintf(arena, "%.*s\"%s\"%s", (int)(at - request), request, name,
                              at + strlen("\"pubsub test job\""));
}

/* The request with `days` simulated days and every vehicle count and the AC chargers × `mult`:
 * a job that runs for seconds, built through the wire codec. */
static char *bigger(const char *request, int days, int mult)
{
    fsim_request *req;
    fsim_error err;
    if (fsim_request_decode(request, strlen(request), "job", 0, arena, &req, &err) != FSIM_OK)
        return NULL;
    req->days = days;
    for (size_t i = 0; i < req->n_vehicles; i++)
        req->vehicles[i].count *= mult;
    for (size_t i = 0; i < req->n_depots; i++)
        req->depots[i].chargers[0].count *= mult;
    char *text = fsim_request_encode(req, 0, NULL);
    char *copy = text ? fsim_arena_strdup(arena, text) : NULL;
    free(text);
    return copy;
}

/* Rows of the fleet named `name` (created by the worker from id-less messages). */
static long rows_named(const char *name)
{
    char q[256];
    snprintf(q, sizeof q, "SELECT count(*) FROM simulations WHERE name = '%s'", name);
    return sql_long(q);
}

/* ---- 1. the database goes down while messages arrive -------------------------------- */

static void database_down(const char *exe, const char *request)
{
    const char *topic, *sub;
    channel("db", 10, &topic, &sub);
    const char *log = log_path("db-down");
    const char *env[] = {"FLEETSIM_PUBSUB_LEASE_SECONDS=3", NULL};
    pid_t w = start_worker_env(exe, "--pull", log, 2, "faults-db", env);
    /* warm up: the worker's store is open before the outage */
    const char *warm = new_row(request);
    publish_to(topic, job_message(request, "db", warm), NULL, NULL);
    CHECK(warm && wait_final(warm) == FSIM_RUN_SUCCEEDED, "db outage: the worker is running");

    const char *with_id[2] = {new_row(request), new_row(request)};
    const char *named = renamed(request, "outage job");
    CHECK(pg_ctl("stop"), "db outage: PostgreSQL stopped");
    const char *mids[4];
    for (int i = 0; i < 2; i++)
        mids[i] = publish_to(topic, job_message(request, "db", with_id[i]), "outage", NULL);
    for (int i = 2; i < 4; i++)
        mids[i] = publish_to(topic, job_message(named, "db", NULL), "outage", NULL);
    int nacked = 0;
    for (int i = 0; i < 4; i++)
        nacked += mids[i] && wait_lines(log, 1, mids[i], "nacked", NULL) >= 1;
    CHECK(nacked == 4, "db outage: all 4 messages nacked, the log says so (%d)", nacked);
    CHECK(count_lines(log, "job succeeded", "outage", NULL) == 0, "db outage: nothing ran");
    int during = count_lines(log, "nacked", NULL, NULL);
    CHECK(pg_ctl("start"), "db outage: PostgreSQL started again");
    int ok = 0;
    for (int i = 0; i < 2; i++)
        ok += wait_final(with_id[i]) == FSIM_RUN_SUCCEEDED;
    CHECK(ok == 2, "db outage: both jobs with a row succeeded after the restart");
    int created = 0;
    for (int i = 0; i < 1200 && created < 2; i++, usleep(100 * 1000))
        created = (int)sql_long("SELECT count(*) FROM simulations WHERE name = 'outage job' "
                                "AND status = 'succeeded'");
    CHECK(created == 2 && rows_named("outage job") == 2,
          "db outage: both id-less messages created one row each and succeeded (%d)", created);
    CHECK(count_lines(log, "job succeeded", "outage", NULL) == 4,
          "db outage: 4 runs for 4 jobs, no duplicate (%d)",
          count_lines(log, "job succeeded", "outage", NULL));
    CHECK(attempts_of(with_id[0]) == 1 && attempts_of(with_id[1]) == 1 &&
              sql_long("SELECT max(attempts) FROM simulations WHERE name = 'outage job'") == 1,
          "db outage: each job claimed exactly once");
    printf("# %d nack lines while the database was down\n", during);
    CHECK(stop_worker(w) == 0, "db outage: worker exits 0 on SIGTERM");
    fsim_pubsub_message *left;
    size_t n_left = 99;
    fsim_error err;
    CHECK(fsim_pubsub_pull(ps, sub, 100, false, arena, &left, &n_left, &err) == FSIM_OK &&
              n_left == 0,
          "db outage: every message acked in the end");
}

/* ---- 2. SIGKILL mid-job ------------------------------------------------------------------ */

static void killed_mid_job(const char *exe, const char *request)
{
    const char *topic, *sub;
    channel("kill", 3, &topic, &sub);
    const char *env[] = {"FLEETSIM_PUBSUB_LEASE_SECONDS=3",
                         "FLEETSIM_PUBSUB_ACK_DEADLINE_SECONDS=3", NULL};
    const char *log_a = log_path("kill-a"), *log_b = log_path("kill-b");
    const char *big = bigger(request, 30, 10);
    const char *id = big ? new_row(big) : NULL;
    CHECK(id != NULL, "kill: a job that runs for seconds (30 days, 10× the fleet)");
    if (!id)
        return;
    pid_t a = start_worker_env(exe, "--pull", log_a, 1, "faults-kill", env);
    publish_to(topic, job_message(big, "db", id), "kill", NULL);
    CHECK(wait_lines(log_a, 1, "job started (attempt 1)", id, NULL) == 1,
          "kill: worker A started the job");
    kill(a, SIGKILL); /* the job runs for seconds: this is mid-job */
    int status = 0;
    waitpid(a, &status, 0);
    fsim_job_status *js = NULL;
    fsim_error err;
    if (fsim_store_status(store, id, arena, &js, &err) != FSIM_OK)
        js = NULL;
    CHECK(WIFSIGNALED(status) && js && js->status == FSIM_RUN_RUNNING,
          "kill: worker A SIGKILLed mid-job (the row is still running)");
    CHECK(count_lines(log_a, "job succeeded", NULL, NULL) == 0, "kill: A finished nothing");

    pid_t b = start_worker_env(exe, "--pull", log_b, 1, "faults-kill", env);
    CHECK(wait_final(id) == FSIM_RUN_SUCCEEDED, "kill: the job succeeded after all");
    /* the row can turn succeeded before B's log line is written: wait for the line */
    CHECK(count_lines(log_b, "job started (attempt 2)", id, NULL) == 1 &&
              wait_lines(log_b, 1, "job succeeded", id, NULL) == 1,
          "kill: worker B got the redelivered message and completed the job (attempt 2)");
    CHECK(attempts_of(id) == 2, "kill: the row says 2 attempts (%ld)", attempts_of(id));
    fsim_result *res = NULL;
    fsim_status rst = fsim_store_result(store, id, arena, &res, &err);
    CHECK(rst == FSIM_OK && res && res->summary.vehicles == 260,
          "kill: one complete result stored (%d vehicles)", res ? res->summary.vehicles : -1);
    CHECK(stop_worker(b) == 0, "kill: worker B exits 0 on SIGTERM");
    fsim_pubsub_message *left;
    size_t n_left = 99;
    CHECK(fsim_pubsub_pull(ps, sub, 100, false, arena, &left, &n_left, &err) == FSIM_OK &&
              n_left == 0,
          "kill: the message was acked once done");
}

/* ---- 3. a job that keeps failing transiently -------------------------------------------- */

static void keeps_failing(const char *exe, const char *request)
{
    const char *topic, *sub;
    channel("flaky", 10, &topic, &sub);
    /* storing this job's result always fails with a retryable SQLSTATE */
    sql_long("CREATE FUNCTION fsim_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
             "IF NEW.status = 'succeeded' AND NEW.name = 'always flaky' THEN "
             "RAISE EXCEPTION 'injected: could not serialize access' "
             "USING ERRCODE = 'serialization_failure'; END IF; RETURN NEW; END $$");
    sql_long("CREATE TRIGGER fsim_test_refuse BEFORE UPDATE ON simulations FOR EACH ROW "
             "EXECUTE FUNCTION fsim_test_refuse()");
    const char *flaky = renamed(request, "always flaky");
    const char *id = flaky ? new_row(flaky) : NULL;
    const char *log = log_path("flaky");
    const char *env[] = {"FLEETSIM_PUBSUB_MAX_ATTEMPTS=3", "FLEETSIM_PUBSUB_LEASE_SECONDS=30",
                         NULL};
    pid_t w = start_worker_env(exe, "--pull", log, 1, "faults-flaky", env);
    publish_to(topic, job_message(flaky, "db", id), "flaky", NULL);
    CHECK(id && wait_final(id) == FSIM_RUN_FAILED, "flaky: the job ends failed");
    fsim_job_status *js = NULL;
    fsim_error err;
    if (id && fsim_store_status(store, id, arena, &js, &err) != FSIM_OK)
        js = NULL;
    CHECK(js && js->error && strcmp(js->error->code, "attempts_exhausted") == 0 &&
              strstr(js->error->message, "gave up after 3 attempts") &&
              strstr(js->error->message, "could not store the result") &&
              strstr(js->error->message, "40001"),
          "flaky: the reason says 3 attempts and what failed: %s",
          js && js->error ? js->error->message : "-");
    CHECK(id && attempts_of(id) == 3, "flaky: exactly FLEETSIM_PUBSUB_MAX_ATTEMPTS claims (%ld)",
          id ? attempts_of(id) : -1);
    CHECK(count_lines(log, "handed back (attempt 1 of 3)", id, NULL) == 1 &&
              count_lines(log, "handed back (attempt 2 of 3)", id, NULL) == 1 &&
              count_lines(log, "failed permanently", "gave up after 3 attempts", id) == 1,
          "flaky: the log tells the story: handed back twice, then failed");
    CHECK(count_lines(log, "running elsewhere", id, NULL) == 0,
          "flaky: a retry claims the handed-back row at once (no wait for the 30 s lease)");
    sql_long("DROP TRIGGER fsim_test_refuse ON simulations");
    sql_long("DROP FUNCTION fsim_test_refuse()");
    CHECK(stop_worker(w) == 0, "flaky: worker exits 0 on SIGTERM");
}

/* ---- 4. two workers split the load -------------------------------------------------------- */

static void two_workers(const char *exe, const char *request)
{
    const char *topic, *sub;
    channel("split", 10, &topic, &sub);
    enum { N = 24 };
    const char *ids[N];
    for (int i = 0; i < N; i++)
        ids[i] = new_row(request);
    const char *log_a = log_path("split-a"), *log_b = log_path("split-b");
    pid_t a = start_worker_env(exe, "--pull", log_a, 1, "faults-split", NULL);
    pid_t b = start_worker_env(exe, "--pull", log_b, 1, "faults-split", NULL);
    wait_lines(log_a, 1, "pulling from", NULL, NULL);
    wait_lines(log_b, 1, "pulling from", NULL, NULL);
    for (int i = 0; i < N; i++)
        publish_to(topic, job_message(request, "db", ids[i]), "split", NULL);
    int ok = 0, once = 0;
    for (int i = 0; i < N; i++)
        ok += ids[i] && wait_final(ids[i]) == FSIM_RUN_SUCCEEDED;
    for (int i = 0; i < N; i++)
        once += ids[i] && count_lines(log_a, "job started", ids[i], NULL) +
                                  count_lines(log_b, "job started", ids[i], NULL) ==
                              1;
    int by_a = count_lines(log_a, "job succeeded", NULL, NULL);
    int by_b = count_lines(log_b, "job succeeded", NULL, NULL);
    CHECK(ok == N, "split: all %d jobs succeeded (%d)", N, ok);
    CHECK(once == N, "split: each job ran exactly once across both workers (%d)", once);
    CHECK(by_a > 0 && by_b > 0 && by_a + by_b == N, "split: both workers ran some (%d + %d)",
          by_a, by_b);
    int single = 0;
    for (int i = 0; i < N; i++)
        single += ids[i] && attempts_of(ids[i]) == 1;
    CHECK(single == N, "split: every row claimed once (%d)", single);

    /* one job published 5 times while both workers pull: deliveries race to the two
     * processes; one run, and every delivery settles (run, or acked as already done) */
    const char *dup = new_row(request);
    for (int i = 0; i < 5; i++)
        publish_to(topic, job_message(request, "db", dup), "split-dup", NULL);
    CHECK(dup && wait_final(dup) == FSIM_RUN_SUCCEEDED, "duplicates: the job succeeded");
    int settled = 0;
    for (int i = 0; i < 1200 && settled < 5; i++, usleep(100 * 1000))
        settled = count_lines(log_a, dup, "job succeeded", NULL) +
                  count_lines(log_b, dup, "job succeeded", NULL) +
                  count_lines(log_a, dup, "already succeeded", NULL) +
                  count_lines(log_b, dup, "already succeeded", NULL);
    int runs = count_lines(log_a, dup, "job started", NULL) +
               count_lines(log_b, dup, "job started", NULL);
    CHECK(settled == 5 && runs == 1 && attempts_of(dup) == 1,
          "duplicates: 5 deliveries to 2 workers ⇒ one run, all settled (%d settled, %d runs, "
          "workers a %d / b %d lines)",
          settled, runs, count_lines(log_a, dup, NULL, NULL), count_lines(log_b, dup, NULL, NULL));
    CHECK(stop_worker(a) == 0 && stop_worker(b) == 0, "split: both exit 0 on SIGTERM");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !getenv("DATABASE_URL") || !getenv("PUBSUB_EMULATOR_HOST") ||
        !getenv("FSIM_PG_DIR")) {
        printf("1..0 # SKIP needs the worker binary, with_postgres.sh and with_pubsub.sh\n");
        return 0;
    }
    const char *exe = argv[1];
    arena = fsim_arena_new();
    fsim_error err;
    if (!mkdtemp(logdir))
        return 1;
    CHECK(setup_store(), "store opens, migrations applied, fleet created");
    CHECK(fsim_pubsub_open(NULL, &ps, &err) == FSIM_OK, "client opens");
    const char *request = job_text("job.json");
    if (!request || !ps)
        return check_done();

    database_down(exe, request);
    killed_mid_job(exe, request);
    keeps_failing(exe, request);
    two_workers(exe, request);

    PQfinish(sql);
    fsim_pubsub_close(ps);
    fsim_store_close(store);
    fsim_arena_free(arena);
    if (check__failed == 0) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", logdir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", logdir);
    } else {
        printf("# worker logs kept in %s\n", logdir);
    }
    return check_done();
}
