/* fleetsim-pubsub, the real binary, against the real peers: the pstest fake
 * (tests/fakes/with_pubsub.sh) and a throw-away PostgreSQL (tests/db/with_postgres.sh).
 *
 *   test_worker PATH/TO/fleetsim-pubsub
 *
 * Pull mode: a message from the web app (no simulationId) creates its row and succeeds, with
 * the trace id in the logs and the row; a message for an existing row; the same message
 * published 5 times to 2 workers ⇒ one run, every delivery settled; poison messages ⇒ failed
 * rows with the reason, the worker keeps going; a gcs job on a worker without a bucket fails
 * naming FLEETSIM_GCS_BUCKET; SIGTERM ⇒ exit 0. Push mode: envelopes
 * posted as Pub/Sub would, 2xx = ack. Waits are bounded polling loops, never thresholds. */
#include "check.h"
#include "harness.h"

static const char *topic = "projects/fsim-test/topics/jobs";
static const char *subscription = "projects/fsim-test/subscriptions/worker";
static char logdir[] = "/tmp/fsim-ps-test.XXXXXX";

static const char *publish(const char *data, const char *trace, const char *sim_attr)
{
    return publish_to(topic, data, trace, sim_attr);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !getenv("DATABASE_URL") || !getenv("PUBSUB_EMULATOR_HOST")) {
        printf("1..0 # SKIP needs the worker binary, DATABASE_URL and PUBSUB_EMULATOR_HOST\n");
        return 0;
    }
    const char *exe = argv[1];
    arena = fsim_arena_new();
    fsim_error err;
    if (!mkdtemp(logdir))
        return 1;
    char pull_log[512], push_log[512];
    snprintf(pull_log, sizeof pull_log, "%s/pull.log", logdir);
    snprintf(push_log, sizeof push_log, "%s/push.log", logdir);

    CHECK(setup_store(), "store opens, migrations applied, fleet created");
    CHECK(fsim_pubsub_open(NULL, &ps, &err) == FSIM_OK, "client opens");
    CHECK(fsim_pubsub_create_topic(ps, topic, NULL, &err) == FSIM_OK &&
              fsim_pubsub_create_subscription(ps, subscription, topic, 10, NULL, &err) ==
                  FSIM_OK,
          "topic and subscription");
    const char *request = job_text("job.json");
    const char *bad_vehicle = job_text("job-unknown-vehicle.json");
    if (!request || !bad_vehicle)
        return check_done();

    /* ---- pull: two workers ---- */
    pid_t w = start_worker(exe, "--pull", pull_log, 2);

    /* 1. from the web app: no simulationId ⇒ the worker creates the row */
    const char *m1 = publish(job_message(request, "db", NULL), "trace-e2e-1", NULL);
    CHECK(wait_lines(pull_log, 1, "job succeeded", "trace-e2e-1", NULL) == 1,
          "message without simulationId: job succeeded, log line carries the trace id");
    fsim_store_page page;
    const char *created_id = NULL;
    if (fsim_store_list(store, fleet, NULL, 10, NULL, arena, &page, &err) == FSIM_OK &&
        page.n_items == 1)
        created_id = page.items[0].id;
    CHECK(created_id != NULL, "exactly one row was created for it");
    if (created_id) {
        fsim_result *res = NULL;
        CHECK(fsim_store_result(store, created_id, arena, &res, &err) == FSIM_OK && res &&
                  res->summary.trips > 0,
              "its result is stored");
        CHECK(res && res->metadata.trace_id && strcmp(res->metadata.trace_id, "trace-e2e-1") == 0,
              "the row's metadata keeps the trace id");
    }
    CHECK(m1 && count_lines(pull_log, "\"messageId\"", m1, "job started") == 1,
          "log lines name the message id");
    CHECK(count_lines(pull_log, "logging.googleapis.com/trace",
                      "projects/fsim-test/traces/trace-e2e-1", NULL) >= 2,
          "trace in Cloud Logging's field, as a full trace name");

    /* 2. for an existing row (the API's path), published 5 times: one run */
    const char *id2 = new_row(request);
    CHECK(id2 != NULL, "a queued row");
    const char *msg2 = job_message(request, "db", id2);
    for (int i = 0; i < 5; i++)
        publish(msg2, "trace-dup", NULL);
    CHECK(wait_final(id2) == FSIM_RUN_SUCCEEDED, "duplicated job succeeded");
    int settled = 0;
    for (int i = 0; i < 1200 && settled < 5; i++, usleep(100 * 1000))
        settled = count_lines(pull_log, id2, "job succeeded", NULL) +
                  count_lines(pull_log, id2, "already succeeded", NULL);
    CHECK(settled == 5, "all 5 deliveries settled: 1 run + 4 acked as already succeeded (%d)",
          settled);
    CHECK(count_lines(pull_log, id2, "job succeeded", NULL) == 1 &&
              count_lines(pull_log, id2, "job started", NULL) == 1,
          "5 deliveries ⇒ one run (%d started)", count_lines(pull_log, id2, "job started", NULL));

    /* 3. poison messages: failed rows with the reason, or a log line with the message id */
    const char *id3 = new_row(bad_vehicle); /* the row holds the request the worker runs */
    publish(job_message(bad_vehicle, "db", id3), "trace-poison", NULL);
    CHECK(wait_final(id3) == FSIM_RUN_FAILED, "unknown vehicle type ⇒ failed");
    fsim_job_status *js;
    if (fsim_store_status(store, id3, arena, &js, &err) == FSIM_OK)
        CHECK(js->error && js->error->field && strstr(js->error->field, "vehicles[0].type") &&
                  strstr(js->error->message, "flying-van"),
              "reason names the field: %s: %s", js->error ? js->error->field : "-",
              js->error ? js->error->message : "-");
    const char *id4 = new_row(request);
    publish("this is not JSON", NULL, id4);
    CHECK(wait_final(id4) == FSIM_RUN_FAILED,
          "not JSON, row named by the simulationId attribute ⇒ failed");
    const char *id5 = new_row(request);
    publish(fsim_arena_sprintf(arena, "{\"mode\":\"db\",\"simulationId\":\"%s\",\"days\":\"x\"}",
                               id5),
            NULL, id5);
    CHECK(wait_final(id5) == FSIM_RUN_FAILED, "wrong shape ⇒ failed");
    const char *id6 = new_row(request);
    publish(job_message(request, "gcs", id6), NULL, NULL);
    CHECK(wait_final(id6) == FSIM_RUN_FAILED,
          "mode gcs on a worker without FLEETSIM_GCS_BUCKET ⇒ failed, not run");
    if (fsim_store_status(store, id6, arena, &js, &err) == FSIM_OK)
        CHECK(js->error && js->error->field && strcmp(js->error->field, "mode") == 0 &&
                  strstr(js->error->message, "FLEETSIM_GCS_BUCKET") &&
                  strcmp(js->error->code, "gcs_not_configured") == 0,
              "the reason names the field mode and the variable: %s: %s",
              js->error ? js->error->code : "-", js->error ? js->error->message : "-");
    CHECK(count_lines(pull_log, id6, "job started", NULL) == 0,
          "the gcs job was never run (no result could be kept)");
    const char *m7 = publish("[1,2,3]", NULL, NULL);
    CHECK(m7 &&
              wait_lines(pull_log, 1, m7, "failed permanently", "no simulation row to mark") == 1,
          "no job id ⇒ logged with the message id, acked");
    char *big = malloc(10u * 1000u * 1000u + 1);
    memset(big, 'x', 10u * 1000u * 1000u);
    big[10u * 1000u * 1000u] = '\0';
    const char *m8 = publish(big, NULL, NULL);
    free(big);
    CHECK(m8 && wait_lines(pull_log, 1, m8, "failed permanently", NULL) == 1,
          "10 MB payload ⇒ rejected, acked");
    const char *id9 = new_row(request);
    publish(job_message(request, "db", id9), NULL, NULL);
    CHECK(wait_final(id9) == FSIM_RUN_SUCCEEDED, "the worker keeps going after poison messages");

    CHECK(stop_worker(w) == 0, "SIGTERM ⇒ pull worker exits 0");
    CHECK(count_lines(pull_log, "stopped after", NULL, NULL) == 1, "it says so");
    fsim_pubsub_message *left;
    size_t n_left = 99;
    CHECK(fsim_pubsub_pull(ps, subscription, 100, false, arena, &left, &n_left, &err) == FSIM_OK &&
              n_left == 0,
          "every delivery was acked (nothing left on the subscription)");

    /* ---- push ---- */
    pid_t p = start_worker(exe, "--push", push_log, 2);
    int port = wait_port(push_log);
    CHECK(port > 0, "push endpoint listening (port %d)", port);
    const char *id10 = new_row(request);
    const char *env10 = envelope(job_message(request, "db", id10), "push-1", NULL, false);
    CHECK(post(port, "POST", env10) == 200, "push envelope ⇒ 200 (ack)");
    CHECK(wait_final(id10) == FSIM_RUN_SUCCEEDED, "pushed job succeeded");
    CHECK(post(port, "POST", env10) == 200, "the same push again ⇒ 200 without re-running");
    CHECK(count_lines(push_log, id10, "job started", NULL) == 1, "one run");
    const char *id11 = new_row(request);
    CHECK(post(port, "POST", envelope("x", "push-2", id11, true)) == 200,
          "data not base64 ⇒ acked");
    CHECK(wait_final(id11) == FSIM_RUN_FAILED, "and its row failed");
    char *reply = NULL;
    long code = post_auth(port, "POST", "{\"nope\":1}", NULL, &reply);
    void *shape = NULL;
    CHECK(code == 400 && reply &&
              fsim_wire_decode(FSIM_WIRE_ERROR_RESPONSE, reply, strlen(reply), "reply", 0, arena,
                               &shape, &err) == FSIM_OK &&
              strcmp(((fsim_error_response *)shape)->error.code, "invalid_envelope") == 0,
          "not an envelope ⇒ 400 in the one error shape: %s", reply ? reply : "-");
    free(reply);
    CHECK(count_lines(push_log, "push authentication is OFF", "INFO", NULL) == 1,
          "without FLEETSIM_PUSH_AUDIENCE the endpoint is open and says so at start-up");
    CHECK(post(port, "GET", NULL) == 405, "GET / ⇒ 405");
    CHECK(count_lines(push_log, "push-trace", "requestId", NULL) >= 1,
          "push logs carry the requestId attribute");
    CHECK(stop_worker(p) == 0, "SIGTERM ⇒ push endpoint exits 0");

    fsim_pubsub_close(ps);
    fsim_store_close(store);
    fsim_arena_free(arena);
    if (check__failed == 0) {
        unlink(pull_log);
        unlink(push_log);
        rmdir(logdir);
    } else {
        printf("# worker logs kept in %s\n", logdir);
    }
    return check_done();
}
