/* DB tests of core/store against a real PostgreSQL (run under tests/db/with_postgres.sh):
 * migrations, fleets, the job queue (create / idempotency / claim / heartbeat / finish /
 * fail / cancel / delete), the envelope round trip, keyset pagination, the pool under
 * threads, and a retry after the backend is killed. Pub/Sub jobs: never claimed by the
 * in-process workers, the outbox (delay, per-row backoff, published rows leave it), results
 * stored elsewhere (gcs mode: summary and resultUri in the row). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <fleetsim/store.h>
#include <fleetsim/util.h>
#include <fleetsim/wire.h>

#include "check.h"
#include "sql_value.h"

/* test names embed error messages; check.h cuts them at 512 bytes, which is fine */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#define EM(e) ((e).message)

static fsim_store *store;
static fsim_arena *arena;
static const char *url;

static void *load(fsim_wire_type type, const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/wire/%s", getenv("FSIM_TEST_DATA"), file);
    char *text;
    size_t len;
    fsim_error err = {0};
    void *out = NULL;
    if (fsim_read_file(path, arena, &text, &len, &err) != FSIM_OK ||
        fsim_wire_decode(type, text, len, path, 0, arena, &out, &err) != FSIM_OK) {
        printf("# could not load %s: %s\n", path, EM(err));
        exit(1);
    }
    return out;
}

static char *sql_value(const char *query, const char *param)
{
    return test_sql_value(url, arena, query, param);
}

static void test_migrate(void)
{
    fsim_error err = {0};
    int applied = -1;
    const char *dir = getenv("FSIM_MIGRATIONS_DIR");
    CHECK(fsim_store_migrate(store, dir, NULL, NULL, &applied, &err) == FSIM_OK && applied >= 1,
          "migrate an empty database (%d applied) %s", applied, EM(err));
    CHECK(fsim_store_migrate(store, dir, NULL, NULL, &applied, &err) == FSIM_OK && applied == 0,
          "migrate again is a no-op");
    bool current = false;
    CHECK(fsim_store_migrations_current(store, dir, &current, &err) == FSIM_OK && current,
          "migrations_current: all applied");
    CHECK(fsim_store_migrations_current(store, "/nonexistent", &current, &err) == FSIM_NOT_FOUND,
          "migrations_current: missing dir is an error");
}

static char fleet[FSIM_STORE_ID_LEN], fleet2[FSIM_STORE_ID_LEN];

static void test_fleets(void)
{
    fsim_error err = {0};
    bool created = false, exists = false;
    CHECK(fsim_store_create_fleet(store, "north", "CA", fleet, &created, &err) == FSIM_OK &&
              created,
          "create fleet");
    char again[FSIM_STORE_ID_LEN];
    CHECK(fsim_store_create_fleet(store, "north", NULL, again, &created, &err) == FSIM_OK &&
              !created && strcmp(again, fleet) == 0,
          "create an existing fleet name returns it");
    CHECK(fsim_store_fleet_exists(store, fleet, &exists, &err) == FSIM_OK && exists,
          "fleet exists");
    CHECK(fsim_store_fleet_exists(store, "00000000-0000-4000-8000-000000000000", &exists, &err) ==
                  FSIM_OK &&
              !exists,
          "unknown fleet does not exist");
    CHECK(fsim_store_create_fleet(store, "south", NULL, fleet2, NULL, &err) == FSIM_OK,
          "second fleet");
    sql_value("INSERT INTO state_data VALUES ('CA', now(), now(), 0.25, 200, 5, NULL)"
              " RETURNING state_code", NULL);
    fsim_state_data sd;
    bool found = false;
    CHECK(fsim_store_state_data(store, "CA", &sd, &found, &err) == FSIM_OK && found &&
              sd.electricity_usd_per_kwh == 0.25 && !sd.has_diesel_usd_per_gallon,
          "state data by code");
    CHECK(fsim_store_state_data(store, "ZZ", &sd, &found, &err) == FSIM_OK && !found,
          "unknown state code");
}

static void test_queue(void)
{
    fsim_error err = {0};
    fsim_request *req = load(FSIM_WIRE_REQUEST, "request_demo.json");
    req->fleet_id = fleet;
    fsim_result *res = load(FSIM_WIRE_RESULT, "result_full.json");

    char id1[FSIM_STORE_ID_LEN], id2[FSIM_STORE_ID_LEN], id3[FSIM_STORE_ID_LEN];
    fsim_store_create_outcome oc;
    fsim_store_new_simulation ns = {.request = req, .trace_id = "trace-1"};
    CHECK(fsim_store_create_simulation(store, &ns, id1, &oc, &err) == FSIM_OK &&
              oc == FSIM_STORE_CREATED,
          "create a queued simulation");
    fsim_job_status *js = NULL;
    CHECK(fsim_store_status(store, id1, arena, &js, &err) == FSIM_OK && js &&
              js->status == FSIM_RUN_QUEUED && strcmp(js->fleet_id, fleet) == 0 &&
              js->name && strcmp(js->name, req->name) == 0 && js->progress == 0 &&
              !js->has_started_at,
          "status of a queued job %s", EM(err));

    fsim_store_new_simulation keyed = {.request = req, .idempotency_key = "key-1",
                                       .request_hash = "hash-a"};
    CHECK(fsim_store_create_simulation(store, &keyed, id2, &oc, &err) == FSIM_OK &&
              oc == FSIM_STORE_CREATED,
          "create with an idempotency key");
    CHECK(fsim_store_create_simulation(store, &keyed, id3, &oc, &err) == FSIM_OK &&
              oc == FSIM_STORE_EXISTING && strcmp(id2, id3) == 0,
          "same key, same body: the same job");
    keyed.request_hash = "hash-b";
    CHECK(fsim_store_create_simulation(store, &keyed, id3, &oc, &err) == FSIM_INVALID &&
              oc == FSIM_STORE_KEY_CONFLICT && strcmp(err.path, "Idempotency-Key") == 0,
          "same key, other body: conflict");

    fsim_request other = *req;
    other.fleet_id = "00000000-0000-4000-8000-000000000000";
    fsim_store_new_simulation bad = {.request = &other};
    CHECK(fsim_store_create_simulation(store, &bad, id3, NULL, &err) == FSIM_NOT_FOUND &&
              strcmp(err.path, "fleetId") == 0 && strstr(err.message, other.fleet_id),
          "unknown fleet: not found, names the fleetId (%s)", EM(err));

    /* claim: oldest first, never the same row twice */
    fsim_store_job *job = NULL, *job2 = NULL;
    CHECK(fsim_store_claim_next(store, 60, 3, arena, &job, &err) == FSIM_OK && job &&
              strcmp(job->id, id1) == 0 && job->attempts == 1 &&
              fsim_wire_equal(FSIM_WIRE_REQUEST, job->request, req) && job->trace_id &&
              strcmp(job->trace_id, "trace-1") == 0,
          "claim_next: the oldest, request intact %s", EM(err));
    CHECK(fsim_store_claim_next(store, 60, 3, arena, &job2, &err) == FSIM_OK && job2 &&
              strcmp(job2->id, id2) == 0,
          "claim_next: then the next one");
    fsim_store_job *none = NULL;
    CHECK(fsim_store_claim_next(store, 60, 3, arena, &none, &err) == FSIM_OK && !none,
          "claim_next: queue empty");
    fsim_run_status cur = FSIM_RUN_QUEUED;
    CHECK(fsim_store_claim(store, id1, 60, arena, &none, &cur, &err) == FSIM_OK && !none &&
              cur == FSIM_RUN_RUNNING,
          "claim by id: already running elsewhere");

    bool go = false;
    CHECK(fsim_store_heartbeat(store, id1, 0.5, 60, &go, &err) == FSIM_OK && go,
          "heartbeat keeps going");
    CHECK(fsim_store_status(store, id1, arena, &js, &err) == FSIM_OK &&
              js->status == FSIM_RUN_RUNNING && js->progress == 0.5 && js->has_started_at,
          "status shows progress");

    CHECK(fsim_store_finish(store, id1, res, &err) == FSIM_OK, "finish %s", EM(err));
    fsim_result *back = NULL;
    CHECK(fsim_store_result(store, id1, arena, &back, &err) == FSIM_OK && back,
          "read the result %s", EM(err));
    fsim_result expect = *res;
    expect.simulation_id = id1;
    CHECK(back && fsim_wire_equal(FSIM_WIRE_RESULT, back, &expect),
          "stored result reads back equal (decode . encode)");
    char *peak = sql_value("SELECT metadata->'summary'->>'peakKw' FROM simulations"
                           " WHERE id = $1::uuid", id1);
    CHECK_STR(peak, "150", "SQL sees metadata->'summary'->>'peakKw'");
    char *trace = sql_value("SELECT metadata->>'traceId' FROM simulations WHERE id = $1::uuid",
                            id1);
    CHECK(trace != NULL, "traceId kept in metadata");
    CHECK(fsim_store_status(store, id1, arena, &js, &err) == FSIM_OK &&
              js->status == FSIM_RUN_SUCCEEDED && js->progress == 1 && js->has_finished_at,
          "status succeeded");
    CHECK(fsim_store_claim(store, id1, 60, arena, &none, &cur, &err) == FSIM_OK && !none &&
              cur == FSIM_RUN_SUCCEEDED,
          "claim of a finished job: not claimed, says succeeded");

    /* fail */
    fsim_api_error ae = {.code = "engine_error", .message = "route not found"};
    CHECK(fsim_store_fail(store, id2, &ae, &err) == FSIM_OK, "fail a job");
    CHECK(fsim_store_status(store, id2, arena, &js, &err) == FSIM_OK &&
              js->status == FSIM_RUN_FAILED && js->error &&
              strcmp(js->error->code, "engine_error") == 0,
          "status failed carries the error");
    CHECK(fsim_store_result(store, id2, arena, &back, &err) == FSIM_INVALID &&
              strcmp(err.path, "status") == 0,
          "no result for a failed job (409)");

    /* cancel a running job: the worker learns it at its next heartbeat */
    CHECK(fsim_store_create_simulation(store, &ns, id3, NULL, &err) == FSIM_OK, "create #3");
    CHECK(fsim_store_claim(store, id3, 60, arena, &job, &cur, &err) == FSIM_OK && job &&
              strcmp(job->id, id3) == 0,
          "claim by id");
    bool cancelled = false;
    CHECK(fsim_store_cancel(store, id3, &cancelled, &err) == FSIM_OK && cancelled, "cancel");
    CHECK(fsim_store_heartbeat(store, id3, 0.7, 60, &go, &err) == FSIM_OK && !go,
          "heartbeat after cancel says stop");
    CHECK(fsim_store_finish(store, id3, res, &err) == FSIM_CANCELLED, "finish after cancel");
    CHECK(fsim_store_cancel(store, id3, &cancelled, &err) == FSIM_OK && !cancelled,
          "cancel twice: nothing to do");

    /* lease expiry: a crashed worker's job is claimed again */
    char id4[FSIM_STORE_ID_LEN];
    fsim_store_create_simulation(store, &ns, id4, NULL, &err);
    CHECK(fsim_store_claim_next(store, 1, 2, arena, &job, &err) == FSIM_OK && job &&
              strcmp(job->id, id4) == 0,
          "claim with a 1 s lease");
    usleep(1300 * 1000);
    CHECK(fsim_store_claim_next(store, 1, 2, arena, &job, &err) == FSIM_OK && job &&
              strcmp(job->id, id4) == 0 && job->attempts == 2,
          "expired lease: claimed again (attempt 2)");
    usleep(1300 * 1000);
    CHECK(fsim_store_claim_next(store, 1, 2, arena, &job, &err) == FSIM_OK && !job,
          "attempts exhausted: not claimed");
    CHECK(fsim_store_status(store, id4, arena, &js, &err) == FSIM_OK &&
              js->status == FSIM_RUN_FAILED && js->error &&
              strcmp(js->error->code, "attempts_exhausted") == 0,
          "exhausted job marked failed");

    /* soft delete */
    CHECK(fsim_store_delete(store, id3, &err) == FSIM_OK, "delete");
    CHECK(fsim_store_status(store, id3, arena, &js, &err) == FSIM_NOT_FOUND,
          "deleted job is not found");
    CHECK(fsim_store_delete(store, id3, &err) == FSIM_NOT_FOUND, "delete twice: not found");
    char *still = sql_value("SELECT count(*) FROM simulations WHERE id = $1::uuid", id3);
    CHECK_STR(still, "1", "soft delete keeps the row");

    /* a finished run (every mode ends with finish): stored as the engine made it */
    fsim_result plain = *res;
    plain.metadata.trace_id = NULL; /* then the one kept at create */
    char id5[FSIM_STORE_ID_LEN];
    fsim_store_new_simulation ns5 = {.request = req, .trace_id = "trace-5"};
    fsim_store_job *job5 = NULL;
    CHECK(fsim_store_create_simulation(store, &ns5, id5, NULL, &err) == FSIM_OK &&
              fsim_store_claim(store, id5, 60, arena, &job5, NULL, &err) == FSIM_OK && job5 &&
              fsim_store_finish(store, id5, &plain, &err) == FSIM_OK,
          "create, claim, finish %s", EM(err));
    CHECK(fsim_store_result(store, id5, arena, &back, &err) == FSIM_OK && back &&
              fsim_wire_equal(FSIM_WIRE_SUMMARY, &back->summary, &plain.summary) &&
              back->metadata.trace_id && strcmp(back->metadata.trace_id, "trace-5") == 0,
          "a finished result comes back with its summary as stored (costs included)");
    /* metadata comes back whole: a field a (newer) writer stored is read back as stored */
    sql_value("UPDATE simulations SET metadata = metadata || '{\"futureField\": {\"a\": [1, 2]}}'"
              " WHERE id = $1::uuid RETURNING id", id5);
    const char *json = NULL;
    CHECK(fsim_store_result_json(store, id5, arena, &json, &err) == FSIM_OK && json &&
              strstr(json, "\"metadata\": {") &&
              strstr(json, "\"futureField\": {\"a\": [1, 2]}") &&
              strstr(json, "\"traceId\": \"trace-5\"") && !strstr(json, "\"request\""),
          "a metadata field added to the row round-trips; the envelope's own keys stay out");
    fsim_store_new_simulation ns_other = {.request = &other};
    CHECK(fsim_store_create_simulation(store, &ns_other, id5, NULL, &err) == FSIM_NOT_FOUND &&
              strcmp(err.path, "fleetId") == 0,
          "a simulation for a missing fleet names fleetId (%s)", EM(err));
}

/* Jobs for the Pub/Sub worker and the outbox of jobs still to publish. Backoff is checked by
 * moving next_publish_at, not by waiting. */
static void test_pubsub_jobs(void)
{
    fsim_error err = {0};
    fsim_request *req = load(FSIM_WIRE_REQUEST, "request_demo.json");
    req->fleet_id = fleet;
    char a[FSIM_STORE_ID_LEN], b[FSIM_STORE_ID_LEN], c[FSIM_STORE_ID_LEN], d[FSIM_STORE_ID_LEN];
    fsim_store_new_simulation to_publish = {.request = req, .trace_id = "trace-a",
                                            .result_mode = "db"};
    fsim_store_new_simulation from_pubsub = {.request = req, .result_mode = "gcs",
                                             .published = true};
    fsim_store_new_simulation in_process = {.request = req};
    CHECK(fsim_store_create_simulation(store, &to_publish, a, NULL, &err) == FSIM_OK &&
              fsim_store_create_simulation(store, &from_pubsub, b, NULL, &err) == FSIM_OK &&
              fsim_store_create_simulation(store, &in_process, c, NULL, &err) == FSIM_OK &&
              fsim_store_create_simulation(store, &to_publish, d, NULL, &err) == FSIM_OK,
          "create Pub/Sub jobs and an in-process one %s", EM(err));
    fsim_store_job *job = NULL;
    CHECK(fsim_store_claim_next(store, 60, 3, arena, &job, &err) == FSIM_OK && job &&
              strcmp(job->id, c) == 0,
          "claim_next: the in-process job, though the Pub/Sub ones are older");
    CHECK(fsim_store_claim_next(store, 60, 3, arena, &job, &err) == FSIM_OK && !job,
          "claim_next never takes a Pub/Sub job");

    fsim_store_outbox_job *jobs = NULL;
    size_t n = 99;
    CHECK(fsim_store_outbox_take(store, 3600, 0, 60, 300, 10, arena, &jobs, &n, &err) == FSIM_OK &&
              n == 0,
          "outbox: rows younger than the delay are left to their request");
    bool cancelled = false;
    fsim_store_cancel(store, d, &cancelled, &err);
    CHECK(fsim_store_outbox_take(store, 0, 0, 60, 300, 10, arena, &jobs, &n, &err) == FSIM_OK &&
              n == 1 && strcmp(jobs[0].id, a) == 0 && jobs[0].mode == FSIM_MODE_DB &&
              jobs[0].attempts == 1 && jobs[0].trace_id &&
              strcmp(jobs[0].trace_id, "trace-a") == 0 && jobs[0].request &&
              fsim_wire_equal(FSIM_WIRE_REQUEST, jobs[0].request, req),
          "outbox: only the unpublished queued row, with its mode, trace and request (%zu) %s",
          n, EM(err));
    CHECK(fsim_store_outbox_take(store, 0, 0, 60, 300, 10, arena, &jobs, &n, &err) == FSIM_OK &&
              n == 0,
          "outbox: a row just taken waits for its backoff");
    sql_value("UPDATE simulations SET next_publish_at = now() - interval '1 s'"
              " WHERE id = $1::uuid RETURNING 1", a);
    CHECK(fsim_store_outbox_take(store, 0, 0, 60, 300, 10, arena, &jobs, &n, &err) == FSIM_OK &&
              n == 1 && jobs[0].attempts == 2,
          "outbox: due again, attempt 2");
    char *doubled = sql_value("SELECT next_publish_at > now() + interval '100 s'"
                              " AND next_publish_at <= now() + interval '120 s'"
                              " FROM simulations WHERE id = $1::uuid", a);
    CHECK_STR(doubled, "t", "outbox: the backoff doubled (60 s, then 120 s)");
    CHECK(fsim_store_mark_published(store, a, &err) == FSIM_OK, "mark published %s", EM(err));
    sql_value("UPDATE simulations SET next_publish_at = NULL WHERE id = $1::uuid RETURNING 1", a);
    CHECK(fsim_store_outbox_take(store, 0, 0, 60, 300, 10, arena, &jobs, &n, &err) == FSIM_OK &&
              n == 0,
          "outbox: a published row has left it");
    /* republish: published long ago and still not done (its message may be lost) */
    CHECK(fsim_store_outbox_take(store, 0, 60, 60, 300, 10, arena, &jobs, &n, &err) == FSIM_OK &&
              n == 0,
          "outbox: a row published just now is not republished");
    sql_value("UPDATE simulations SET published_at = now() - interval '10 min' WHERE id = $1::uuid"
              " RETURNING 1", a);
    CHECK(fsim_store_outbox_take(store, 0, 0, 60, 300, 10, arena, &jobs, &n, &err) == FSIM_OK &&
              n == 0,
          "outbox: republish 0 never republishes");
    CHECK(fsim_store_outbox_take(store, 0, 60, 60, 300, 10, arena, &jobs, &n, &err) == FSIM_OK &&
              n == 1 && strcmp(jobs[0].id, a) == 0 && jobs[0].republish &&
              jobs[0].since_publish_s >= 590 && jobs[0].request,
          "outbox: still queued 10 min after its publish: republished (%zu) %s", n, EM(err));
    CHECK(fsim_store_mark_published(store, a, &err) == FSIM_OK, "mark republished %s", EM(err));
    sql_value("UPDATE simulations SET next_publish_at = NULL WHERE id = $1::uuid RETURNING 1", a);
    CHECK(fsim_store_outbox_take(store, 0, 60, 60, 300, 10, arena, &jobs, &n, &err) == FSIM_OK &&
              n == 0,
          "outbox: the republish delay counts from the last publish");
    sql_value("UPDATE simulations SET published_at = now() - interval '10 min', status = 'running',"
              " lease_expires_at = now() + interval '1 min' WHERE id = $1::uuid RETURNING 1", a);
    CHECK(fsim_store_outbox_take(store, 0, 60, 60, 300, 10, arena, &jobs, &n, &err) == FSIM_OK &&
              n == 0,
          "outbox: a running row under a live lease is not republished");
    sql_value("UPDATE simulations SET lease_expires_at = now() - interval '5 min'"
              " WHERE id = $1::uuid RETURNING 1", a);
    CHECK(fsim_store_outbox_take(store, 0, 60, 60, 300, 10, arena, &jobs, &n, &err) == FSIM_OK &&
              n == 1 && strcmp(jobs[0].id, a) == 0 && jobs[0].republish,
          "outbox: running under a lease that ran out long ago: republished");
    sql_value("UPDATE simulations SET status = 'queued', lease_expires_at = NULL,"
              " next_publish_at = NULL WHERE id = $1::uuid RETURNING 1", a);
    CHECK(fsim_store_mark_published(store, a, &err) == FSIM_OK, "mark published again %s", EM(err));
    CHECK(fsim_store_mark_published(store, "00000000-0000-4000-8000-000000000000", &err) ==
              FSIM_NOT_FOUND,
          "mark published: unknown row");

    /* gcs mode: the object elsewhere, the summary and a pointer in the row */
    fsim_result *res = load(FSIM_WIRE_RESULT, "result_full.json");
    fsim_result plain = *res;
    fsim_run_status cur;
    CHECK(fsim_store_claim(store, b, 60, arena, &job, &cur, &err) == FSIM_OK && job,
          "the Pub/Sub worker claims its job by id");
    const char *uri = "gs://results/simulations/x/result.json";
    CHECK(fsim_store_finish_uri(store, b, &plain, uri, &err) == FSIM_OK, "finish_uri %s", EM(err));
    const char *got = NULL;
    CHECK(fsim_store_result_uri(store, b, arena, &got, &err) == FSIM_OK && got &&
              strcmp(got, uri) == 0,
          "result_uri: where the result is");
    char *row = sql_value("SELECT concat_ws('|', status, metadata->'summary'->>'peakKw',"
                          " metadata ? 'trips', time_series_data = '[]',"
                          " metadata->>'engineVersion' IS NOT NULL) FROM simulations"
                          " WHERE id = $1::uuid", b);
    CHECK_STR(row, "succeeded|150|f|t|t",
              "the row: succeeded, summary and provenance queryable, no bulky parts");
    CHECK(fsim_store_result_uri(store, c, arena, &got, &err) == FSIM_OK && !got,
          "result_uri of a job whose result is in the row: none");
    CHECK(fsim_store_finish_uri(store, b, &plain, uri, &err) == FSIM_INVALID,
          "finish_uri twice: already succeeded");
    fsim_store_cancel(store, c, &cancelled, &err);
}

static void test_list(void)
{
    fsim_error err = {0};
    fsim_request *req = load(FSIM_WIRE_REQUEST, "request_demo.json");
    req->fleet_id = fleet2;
    fsim_store_new_simulation ns = {.request = req};
    char ids[25][FSIM_STORE_ID_LEN];
    for (int i = 0; i < 25; i++)
        fsim_store_create_simulation(store, &ns, ids[i], NULL, &err);
    /* same created_at for several rows: the id breaks ties */
    sql_value("UPDATE simulations SET created_at = '2026-01-01T00:00:00Z'"
              " WHERE fleet_id = $1::uuid AND id IN (SELECT id FROM simulations"
              " WHERE fleet_id = $1::uuid ORDER BY id LIMIT 6) RETURNING 1", fleet2);
    fsim_store_delete(store, ids[3], &err);
    const char *cursor = NULL;
    int pages = 0, total = 0;
    bool ordered = true;
    double last_created = 0;
    char seen[30][FSIM_STORE_ID_LEN];
    fsim_store_page page;
    do {
        if (fsim_store_list(store, fleet2, NULL, 10, cursor, arena, &page, &err) != FSIM_OK) {
            printf("# list: %s\n", EM(err));
            break;
        }
        for (size_t i = 0; i < page.n_items && total < 30; i++) {
            if (total > 0 && page.items[i].created_at > last_created)
                ordered = false;
            last_created = page.items[i].created_at;
            memcpy(seen[total++], page.items[i].id, FSIM_STORE_ID_LEN);
        }
        cursor = page.next_cursor;
        pages++;
    } while (cursor && pages < 10);
    CHECK(pages == 3 && total == 24, "keyset pages 10+10+4 (deleted left out): %d pages, %d rows",
          pages, total);
    bool dup = false;
    for (int i = 0; i < total; i++)
        for (int j = i + 1; j < total; j++)
            if (strcmp(seen[i], seen[j]) == 0)
                dup = true;
    CHECK(!dup && ordered, "no row twice across pages, newest first");
    fsim_run_status q = FSIM_RUN_SUCCEEDED;
    CHECK(fsim_store_list(store, fleet2, &q, 10, NULL, arena, &page, &err) == FSIM_OK &&
              page.n_items == 0 && !page.next_cursor,
          "status filter");
    CHECK(fsim_store_list(store, fleet2, NULL, 10, "garbage!", arena, &page, &err) ==
                  FSIM_INVALID &&
              strcmp(err.path, "cursor") == 0,
          "malformed cursor refused");
}

/* ---- the pool under threads -------------------------------------------------------------- */

static char shared_id[FSIM_STORE_ID_LEN];
static int thread_failures;
static pthread_mutex_t fail_mu = PTHREAD_MUTEX_INITIALIZER;

static void *hammer(void *arg)
{
    (void)arg;
    fsim_arena *a = fsim_arena_new();
    for (int i = 0; i < 25; i++) {
        fsim_error err = {0};
        fsim_job_status *js;
        if (fsim_store_status(store, shared_id, a, &js, &err) != FSIM_OK) {
            pthread_mutex_lock(&fail_mu);
            thread_failures++;
            pthread_mutex_unlock(&fail_mu);
        }
    }
    fsim_arena_free(a);
    return NULL;
}

static void test_threads(void)
{
    fsim_error err = {0};
    fsim_request *req = load(FSIM_WIRE_REQUEST, "request_demo.json");
    req->fleet_id = fleet;
    fsim_store_new_simulation ns = {.request = req};
    fsim_store_create_simulation(store, &ns, shared_id, NULL, &err);
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    CHECK(thread_failures == 0, "8 threads x 25 calls on a pool of 3: no failure");
}

/* ---- retry after the backend is killed ---------------------------------------------------- */

static void test_retry(void)
{
    fsim_error err = {0};
    char conninfo[2048];
    snprintf(conninfo, sizeof conninfo, "%s%sapplication_name=fsim_retry_test", url,
             strchr(url, '?') ? "&" : "?");
    fsim_store *s2 = NULL;
    fsim_store_options o = {.pool_size = 1, .max_retries = 4, .backoff_ms = 20};
    CHECK(fsim_store_open(conninfo, &o, &s2, &err) == FSIM_OK, "open a second pool");
    fsim_job_status *js;
    CHECK(fsim_store_status(s2, shared_id, arena, &js, &err) == FSIM_OK, "status before");
    char *killed = sql_value("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                             " WHERE application_name = 'fsim_retry_test'", NULL);
    CHECK_STR(killed, "1", "killed the pooled backend");
    usleep(100 * 1000);
    long before = fsim_store_retry_count(s2);
    CHECK(fsim_store_status(s2, shared_id, arena, &js, &err) == FSIM_OK,
          "the next call still succeeds %s", EM(err));
    CHECK(fsim_store_retry_count(s2) > before, "... after a retry (%ld)",
          fsim_store_retry_count(s2) - before);
    fsim_store_close(s2);

    /* a database that is not there: bounded retries, then a clear error */
    fsim_store_options quick = {.pool_size = 1, .max_retries = 2, .backoff_ms = 5};
    CHECK(fsim_store_open("postgresql:///nodb?host=/nonexistent-dir", &quick, &s2, &err) ==
                  FSIM_IO &&
              strstr(err.message, "could not connect"),
          "unreachable database: clear error (%s)", EM(err));
}

int main(void)
{
    url = getenv("DATABASE_URL");
    if (!url) {
        printf("1..0 # SKIP DATABASE_URL not set (run under with_postgres.sh)\n");
        return 0;
    }
    arena = fsim_arena_new();
    fsim_error err = {0};
    fsim_store_options o = {.pool_size = 3, .max_retries = 3};
    CHECK(fsim_store_open(url, &o, &store, &err) == FSIM_OK, "open %s", EM(err));
    if (!store)
        return check_done();
    test_migrate();
    test_fleets();
    test_queue();
    test_pubsub_jobs();
    test_list();
    test_threads();
    test_retry();
    fsim_store_close(store);
    fsim_arena_free(arena);
    return check_done();
}
