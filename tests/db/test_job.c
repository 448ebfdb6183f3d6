/* The job's whole life (core/job) against a real PostgreSQL, as every entry point lives it:
 * submit twice with one key → one row; claim by id and next queued; heartbeat (progress and
 * lease while running); run into each sink (files, stdout, db; gcs without a bucket fails
 * before the run with its one code); an injected transient failure → handed back and
 * retried; the last allowed attempt → failed with attempts_exhausted; a bad request →
 * invalid_request naming the field; cancellation while queued and while running.
 * Run under tests/db/with_postgres.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <fleetsim/job.h>
#include <fleetsim/util.h>

#include "check.h"
#include "sql_value.h"

#pragma GCC diagnostic ignored "-Wformat-truncation"

static fsim_store *store;
static fsim_arena *arena;
static const char *url;
static char config_dir[1024];
static char fleet[FSIM_STORE_ID_LEN];

static char *sql(const char *query, const char *param)
{
    return test_sql_value(url, arena, query, param);
}

/* The bundled demo week, in our fleet, under another name. */
static fsim_request *demo(const char *name)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/scenarios/demo.json", config_dir);
    char *text;
    size_t len;
    fsim_error err = {0};
    fsim_request *r = NULL;
    if (fsim_read_file(path, arena, &text, &len, &err) != FSIM_OK ||
        fsim_wire_decode(FSIM_WIRE_REQUEST, text, len, path, 0, arena, (void **)&r, &err) !=
            FSIM_OK) {
        printf("# could not load %s: %s\n", path, err.message);
        exit(1);
    }
    r->fleet_id = fleet;
    r->name = name;
    return r;
}

/* ---- The services and the policy a program would pass ----------------------------------- */

static int log_lines_handed_back;

static void log_line(void *user, const char *severity, const char *trace, const char *id,
                     const char *message)
{
    (void)user;
    (void)trace;
    printf("# [%s] %s: %s\n", severity, id ? id : "-", message);
    if (strstr(message, "handed back"))
        log_lines_handed_back++;
}

static fsim_services svc;
static fsim_job_policy policy = {.lease_seconds = 60, .max_attempts = 2,
                                 .max_attempts_name = "TEST_MAX_ATTEMPTS"};

/* What a day of the run does in a test: nothing, or a scripted action. */
typedef struct script {
    const char *id;
    int cancel_on_day;      /* > 0: cancel the row then (another request's DELETE) */
    int sleep_on_day;       /* > 0: let a heartbeat fall due before the next day */
    double progress_seen;   /* the row's progress read on a later day */
    bool lease_in_future;
} script;

static bool on_day(void *user, int day, int days)
{
    (void)days;
    script *s = user;
    if (s->cancel_on_day == day) {
        fsim_error err;
        fsim_store_cancel(store, s->id, NULL, &err);
    }
    if (s->sleep_on_day == day || s->cancel_on_day == day)
        usleep((useconds_t)((FSIM_JOB_HEARTBEAT_SECONDS + 0.1) * 1e6));
    if (s->sleep_on_day && day == s->sleep_on_day + 1) {
        char *p = sql("SELECT progress FROM simulations WHERE id = $1::uuid", s->id);
        s->progress_seen = p ? atof(p) : -1;
        char *l = sql("SELECT lease_expires_at > now() + interval '30 seconds'"
                      " FROM simulations WHERE id = $1::uuid", s->id);
        s->lease_in_future = l && strcmp(l, "t") == 0;
    }
    return true;
}

static fsim_job_run_options options(const char *sink, script *s)
{
    return (fsim_job_run_options){.services = &svc, .policy = &policy,
                                  .sink = fsim_sink_find(sink),
                                  .runner = {.config_dir = config_dir, .source = "test"},
                                  .progress = s ? on_day : NULL, .progress_user = s};
}

static const char *error_code(const char *id)
{
    return sql("SELECT metadata->'error'->>'code' FROM simulations WHERE id = $1::uuid", id);
}

static const char *status_of(const char *id)
{
    return sql("SELECT status FROM simulations WHERE id = $1::uuid", id);
}

/* ---- Submit and claim ------------------------------------------------------------------ */

static void test_submit_claim(void)
{
    fsim_error err = {0};
    fsim_request *r = demo("keyed");
    fsim_job_submission sub = {.request = r, .idempotency_key = "job-key-1", .trace_id = "t-1"};
    char a[FSIM_STORE_ID_LEN], b[FSIM_STORE_ID_LEN];
    fsim_store_create_outcome oa, ob;
    CHECK(fsim_job_submit(&svc, &sub, a, &oa, &err) == FSIM_OK && oa == FSIM_STORE_CREATED,
          "submit with a key: created %s", err.message);
    CHECK(fsim_job_submit(&svc, &sub, b, &ob, &err) == FSIM_OK && ob == FSIM_STORE_EXISTING &&
              strcmp(a, b) == 0,
          "submit again with the same key and request: the same id");
    char *rows = sql("SELECT count(*) FROM simulations WHERE idempotency_key = 'job-key-1'",
                     NULL);
    CHECK(rows && strcmp(rows, "1") == 0, "one key, one row (%s)", rows ? rows : "-");
    fsim_request *other = demo("keyed but other");
    fsim_job_submission sub2 = {.request = other, .idempotency_key = "job-key-1"};
    CHECK(fsim_job_submit(&svc, &sub2, b, &ob, &err) == FSIM_INVALID &&
              ob == FSIM_STORE_KEY_CONFLICT,
          "the same key with another request is refused");
    char ha[65], hb[65];
    CHECK(fsim_job_request_hash(r, ha) && fsim_job_request_hash(other, hb) &&
              strcmp(ha, hb) != 0 && strlen(ha) == 64,
          "the canonical request hash tells the two requests apart");

    fsim_store_job *job = NULL;
    CHECK(fsim_store_claim(store, a, 60, arena, &job, NULL, &err) == FSIM_OK && job &&
              job->attempts == 1 && strcmp(job->trace_id, "t-1") == 0,
          "claim by id: running, attempt 1, the trace id kept");
    fsim_run_status cur = FSIM_RUN_QUEUED;
    fsim_store_job *again = NULL;
    CHECK(fsim_store_claim(store, a, 60, arena, &again, &cur, &err) == FSIM_OK && !again &&
              cur == FSIM_RUN_RUNNING,
          "a claimed row cannot be claimed again while its lease runs");
    fsim_job_outcome o = fsim_job_run(&(fsim_job_run_options){.services = &svc,
                                                              .policy = &policy,
                                                              .sink = fsim_sink_find("db"),
                                                              .runner = {.config_dir =
                                                                             config_dir}},
                                      job, job->request, arena, NULL, &err);
    CHECK(o == FSIM_JOB_SUCCEEDED && strcmp(status_of(a), "succeeded") == 0,
          "the claimed job runs into the db sink: succeeded (%s)", fsim_job_outcome_name(o));
}

/* ---- Run: heartbeat, sinks ------------------------------------------------------------- */

static void test_sinks(void)
{
    fsim_error err = {0};
    /* db, through claim-next, with heartbeats */
    char id[FSIM_STORE_ID_LEN];
    fsim_job_submission sub = {.request = demo("heartbeat")};
    fsim_job_submit(&svc, &sub, id, NULL, &err);
    fsim_store_job *job = NULL;
    CHECK(fsim_store_claim_next(store, 60, policy.max_attempts, arena, &job, &err) == FSIM_OK &&
              job && strcmp(job->id, id) == 0,
          "claim next: the oldest queued row");
    script s = {.id = id, .sleep_on_day = 2};
    fsim_job_run_options o = options("db", &s);
    fsim_result *res = NULL;
    fsim_job_outcome out = fsim_job_run(&o, job, job->request, arena, &res, &err);
    CHECK(out == FSIM_JOB_SUCCEEDED, "db sink: succeeded %s", err.message);
    CHECK(s.progress_seen > 0 && s.progress_seen < 1,
          "heartbeat: the row's progress moved while running (%g)", s.progress_seen);
    CHECK(s.lease_in_future, "heartbeat: the lease was renewed to lease_seconds ahead");
    fsim_result *stored = NULL;
    CHECK(fsim_store_result(store, id, arena, &stored, &err) == FSIM_OK && stored &&
              stored->summary.trips_completed == res->summary.trips_completed &&
              stored->n_time_series_data == res->n_time_series_data,
          "db sink: the stored result is the run's");

    /* files: no row */
    char dir[] = "/tmp/fsim-job-files-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "a temporary directory");
    fsim_job_run_options of = options("files", NULL);
    of.out_dir = dir;
    out = fsim_job_run(&of, NULL, demo("files"), arena, &res, &err);
    char path[200];
    snprintf(path, sizeof path, "%s/trips.csv", dir);
    struct stat st;
    CHECK(out == FSIM_JOB_SUCCEEDED && stat(path, &st) == 0 && st.st_size > 0,
          "files sink: the result files are written %s", err.message);
    const char *names[] = {"result.json", "timeseries.csv", "charging_events.csv", "trips.csv"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);

    /* stdout: one JSON document on the stream */
    FILE *f = tmpfile();
    fsim_job_run_options os = options("stdout", NULL);
    os.out = f;
    out = fsim_job_run(&os, NULL, demo("stdout"), arena, &res, &err);
    long size = f ? ftell(f) : -1;
    char *text = NULL;
    fsim_result *back = NULL;
    if (f && size > 0 && (text = fsim_arena_alloc(arena, (size_t)size))) {
        rewind(f);
        if (fread(text, 1, (size_t)size, f) != (size_t)size)
            text = NULL;
    }
    CHECK(out == FSIM_JOB_SUCCEEDED && text &&
              fsim_wire_decode(FSIM_WIRE_RESULT, text, (size_t)size, "stdout", 0, arena,
                               (void **)&back, &err) == FSIM_OK &&
              back->summary.trips_completed == res->summary.trips_completed,
          "stdout sink: a SimulationResult the codec reads back %s", err.message);
    if (f)
        fclose(f);

    /* gcs without a bucket: refused before the run, with its one code */
    fsim_job_submission g = {.request = demo("gcs"), .result_mode = "gcs", .published = true};
    fsim_job_submit(&svc, &g, id, NULL, &err);
    fsim_store_claim(store, id, 60, arena, &job, NULL, &err);
    fsim_job_run_options og = options("gcs", NULL);
    out = job ? fsim_job_run(&og, job, job->request, arena, NULL, &err) : FSIM_JOB_SUCCEEDED;
    CHECK(out == FSIM_JOB_FAILED && strcmp(status_of(id), "failed") == 0 &&
              strcmp(error_code(id), "gcs_not_configured") == 0,
          "gcs sink without a bucket: failed, gcs_not_configured");
    CHECK(fsim_sink_find("ftp") == NULL, "an unknown sink name is not found");
}

/* ---- The failure policy ---------------------------------------------------------------- */

/* Storing a result of a row so named fails with a retryable SQLSTATE while `attempts` is
 * below the limit given (the store's own retries are off). */
static void inject(const char *name, int fail_below_attempts)
{
    char q[800];
    snprintf(q, sizeof q,
             "CREATE OR REPLACE FUNCTION fsim_test_refuse() RETURNS trigger LANGUAGE plpgsql AS"
             " $$ BEGIN IF NEW.status = 'succeeded' AND NEW.name = '%s' AND NEW.attempts < %d"
             " THEN RAISE EXCEPTION 'injected: could not serialize access'"
             " USING ERRCODE = 'serialization_failure'; END IF; RETURN NEW; END $$",
             name, fail_below_attempts);
    sql(q, NULL);
    sql("DROP TRIGGER IF EXISTS fsim_test_refuse ON simulations", NULL);
    sql("CREATE TRIGGER fsim_test_refuse BEFORE UPDATE ON simulations FOR EACH ROW "
        "EXECUTE FUNCTION fsim_test_refuse()", NULL);
}

/* Claims the next queued row and runs it into the db sink. */
static fsim_job_outcome claim_and_run(const char *expect_id, int *attempt, fsim_error *err)
{
    fsim_store_job *job = NULL;
    if (fsim_store_claim_next(store, 60, policy.max_attempts, arena, &job, err) != FSIM_OK ||
        !job || strcmp(job->id, expect_id) != 0)
        return FSIM_JOB_UNRECORDED;
    *attempt = job->attempts;
    fsim_job_run_options o = options("db", NULL);
    return fsim_job_run(&o, job, job->request, arena, NULL, err);
}

static void test_policy(void)
{
    fsim_error err = {0};
    char id[FSIM_STORE_ID_LEN];
    int attempt = 0;

    /* transient once: handed back, claimed again at once, succeeds */
    inject("flaky once", 2);
    fsim_job_submit(&svc, &(fsim_job_submission){.request = demo("flaky once")}, id, NULL, &err);
    int before = log_lines_handed_back;
    fsim_job_outcome o = claim_and_run(id, &attempt, &err);
    CHECK(o == FSIM_JOB_HANDED_BACK && attempt == 1 && log_lines_handed_back == before + 1,
          "injected transient failure: handed back (%s)", fsim_job_outcome_name(o));
    char *lease = sql("SELECT lease_expires_at <= now() FROM simulations WHERE id = $1::uuid", id);
    CHECK(lease && strcmp(lease, "t") == 0 && strcmp(status_of(id), "running") == 0,
          "handed back: the lease ended at once, no wait for it");
    o = claim_and_run(id, &attempt, &err);
    CHECK(o == FSIM_JOB_SUCCEEDED && attempt == 2 && strcmp(status_of(id), "succeeded") == 0,
          "retried: attempt 2 succeeds (%s)", fsim_job_outcome_name(o));

    /* transient every time: the last allowed attempt fails with the one documented code */
    inject("always flaky", 1000);
    fsim_job_submit(&svc, &(fsim_job_submission){.request = demo("always flaky")}, id, NULL,
                    &err);
    o = claim_and_run(id, &attempt, &err);
    CHECK(o == FSIM_JOB_HANDED_BACK, "always flaky: attempt 1 handed back");
    o = claim_and_run(id, &attempt, &err);
    const char *msg = sql("SELECT metadata->'error'->>'message' FROM simulations"
                          " WHERE id = $1::uuid", id);
    CHECK(o == FSIM_JOB_FAILED && attempt == 2 && strcmp(status_of(id), "failed") == 0 &&
              strcmp(error_code(id), fsim_job_error_code(FSIM_JOB_ERR_ATTEMPTS_EXHAUSTED)) == 0,
          "the last allowed attempt: failed, attempts_exhausted");
    CHECK(msg && strstr(msg, "gave up after 2 attempts (TEST_MAX_ATTEMPTS)") &&
              strstr(msg, "40001"),
          "the reason names the attempts, the setting and the last failure: %s", msg ? msg : "-");
    CHECK(fsim_job_error_retryable(FSIM_JOB_ERR_UNAVAILABLE) &&
              !fsim_job_error_retryable(FSIM_JOB_ERR_INVALID_REQUEST) &&
              !fsim_job_error_retryable(FSIM_JOB_ERR_STORAGE_FAILED),
          "the table: only unavailable is retryable");
    sql("DROP TRIGGER fsim_test_refuse ON simulations", NULL);
    sql("DROP FUNCTION fsim_test_refuse()", NULL);

    /* a request the config does not know: permanent, the field named */
    fsim_request *bad = demo("bad type");
    bad->vehicles[0].type = "hovercraft";
    fsim_job_submit(&svc, &(fsim_job_submission){.request = bad}, id, NULL, &err);
    o = claim_and_run(id, &attempt, &err);
    char *field = sql("SELECT metadata->'error'->>'field' FROM simulations WHERE id = $1::uuid",
                      id);
    CHECK(o == FSIM_JOB_FAILED && attempt == 1 && strcmp(error_code(id), "invalid_request") == 0 &&
              field && strcmp(field, "vehicles[0].type") == 0,
          "unknown vehicle type: failed at once, invalid_request, field %s", field ? field : "-");
}

/* ---- Cancellation ------------------------------------------------------------------------- */

static void test_cancel(void)
{
    fsim_error err = {0};
    char id[FSIM_STORE_ID_LEN];
    fsim_job_submit(&svc, &(fsim_job_submission){.request = demo("cancel queued")}, id, NULL,
                    &err);
    bool cancelled = false;
    fsim_store_job *job = NULL;
    CHECK(fsim_store_cancel(store, id, &cancelled, &err) == FSIM_OK && cancelled &&
              fsim_store_claim(store, id, 60, arena, &job, NULL, &err) == FSIM_OK && !job,
          "cancelled while queued: never claimed");

    fsim_job_submit(&svc, &(fsim_job_submission){.request = demo("cancel running")}, id, NULL,
                    &err);
    fsim_store_claim(store, id, 60, arena, &job, NULL, &err);
    script s = {.id = id, .cancel_on_day = 1};
    fsim_job_run_options o = options("db", &s);
    fsim_job_outcome out = job ? fsim_job_run(&o, job, job->request, arena, NULL, &err)
                               : FSIM_JOB_FAILED;
    char *series = sql("SELECT jsonb_array_length(time_series_data) FROM simulations"
                       " WHERE id = $1::uuid", id);
    CHECK(out == FSIM_JOB_STOPPED && strcmp(status_of(id), "cancelled") == 0 && series &&
              strcmp(series, "0") == 0,
          "cancelled while running: stops at the next heartbeat, nothing stored (%s)",
          fsim_job_outcome_name(out));
}

/* How the programs run a row: the worker and the CLI by id, the API's workers the next one;
 * the claim is the core's, so the three cannot claim differently. */
static void test_run_by_id_and_next(void)
{
    fsim_error err = {0};
    char id[FSIM_STORE_ID_LEN];
    fsim_job_run_options o = options("db", NULL);
    fsim_job_submit(&svc, &(fsim_job_submission){.request = demo("by id")}, id, NULL, &err);
    fsim_job_outcome out = fsim_job_run_id(&o, id, arena, NULL, NULL, &err);
    CHECK(out == FSIM_JOB_SUCCEEDED && strcmp(status_of(id), "succeeded") == 0,
          "run by id: claimed, run, stored (%s)", fsim_job_outcome_name(out));
    fsim_run_status current = FSIM_RUN_QUEUED;
    out = fsim_job_run_id(&o, id, arena, NULL, &current, &err);
    CHECK(out == FSIM_JOB_NOT_CLAIMED && current == FSIM_RUN_SUCCEEDED,
          "run by id again: not claimed, the row says succeeded (nothing re-run)");
    out = fsim_job_run_id(&o, "00000000-0000-4000-8000-000000000000", arena, NULL, NULL, &err);
    CHECK(out == FSIM_JOB_NOT_CLAIMED && err.status == FSIM_NOT_FOUND,
          "run by id of an unknown row: not claimed, not found");

    fsim_job_submit(&svc, &(fsim_job_submission){.request = demo("next")}, id, NULL, &err);
    bool ran = true;
    int runs = 0;
    while (ran && runs < 50) { /* earlier tests may have left rows queued: drain them all */
        out = fsim_job_run_next(&o, arena, &ran, &err);
        runs += ran;
    }
    CHECK(runs >= 1 && !ran && out == FSIM_JOB_SUCCEEDED &&
              strcmp(status_of(id), "succeeded") == 0,
          "run next: the queued row is claimed and run; then nothing is left (%d runs)", runs);
}

int main(void)
{
    url = getenv("DATABASE_URL");
    if (!url) {
        printf("1..0 # SKIP DATABASE_URL not set (run under with_postgres.sh)\n");
        return 0;
    }
    snprintf(config_dir, sizeof config_dir, "%s/config", getenv("FSIM_SOURCE_ROOT"));
    arena = fsim_arena_new();
    fsim_error err = {0};
    fsim_store_options so = {.pool_size = 2, .max_retries = 0};
    CHECK(fsim_store_open(url, &so, &store, &err) == FSIM_OK, "open %s", err.message);
    if (!store)
        return check_done();
    CHECK(fsim_store_migrate(store, getenv("FSIM_MIGRATIONS_DIR"), NULL, NULL, NULL, &err) ==
              FSIM_OK,
          "migrate %s", err.message);
    fsim_store_create_fleet(store, "job fleet", NULL, fleet, NULL, &err);
    svc = (fsim_services){.store = store, .log = log_line};
    test_submit_claim();
    test_sinks();
    test_policy();
    test_cancel();
    test_run_by_id_and_next();
    fsim_store_close(store);
    fsim_arena_free(arena);
    return check_done();
}
