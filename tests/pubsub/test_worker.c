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
#include <curl/curl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fleetsim/pubsub.h>
#include <fleetsim/store.h>
#include <fleetsim/util.h>

#include "check.h"

#define PLACEHOLDER "00000000-0000-4000-8000-00000000f1ee"

static const char *topic = "projects/fsim-test/topics/jobs";
static const char *subscription = "projects/fsim-test/subscriptions/worker";
static char logdir[] = "/tmp/fsim-ps-test.XXXXXX";

static fsim_store *store;
static fsim_pubsub *ps;
static fsim_arena *arena;
static char fleet[FSIM_STORE_ID_LEN];

/* The job file with its fleetId replaced by the test's fleet. */
static char *job_text(const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/pubsub/%s", getenv("FSIM_TEST_DATA"), file);
    char *text;
    fsim_error err;
    if (fsim_read_file(path, arena, &text, NULL, &err) != FSIM_OK)
        return NULL;
    char *p = strstr(text, PLACEHOLDER);
    if (p)
        memcpy(p, fleet, 36);
    return text;
}

/* The same text with `"mode": …` and optionally "simulationId" added after the first brace. */
static char *job_message(const char *request, const char *mode, const char *id)
{
    return fsim_arena_sprintf(arena, "{\"mode\":\"%s\"%s%s%s,%s", mode, id ? ",\"simulationId\":\"" : "",
                              id ? id : "", id ? "\"" : "", strchr(request, '{') + 1);
}

static const char *publish(const char *data, const char *trace, const char *sim_attr)
{
    fsim_pubsub_attribute attrs[2];
    size_t n = 0;
    if (trace)
        attrs[n++] = (fsim_pubsub_attribute){"traceId", trace};
    if (sim_attr)
        attrs[n++] = (fsim_pubsub_attribute){"simulationId", sim_attr};
    fsim_pubsub_message m = {.data = data, .len = strlen(data), .attributes = attrs,
                             .n_attributes = n};
    const char **ids = NULL;
    fsim_error err;
    if (fsim_pubsub_publish(ps, topic, &m, 1, arena, &ids, &err) != FSIM_OK) {
        printf("# publish: %s\n", err.message);
        return NULL;
    }
    return ids[0];
}

static pid_t start_worker(const char *exe, const char *mode, const char *log, int workers)
{
    pid_t pid = fork();
    if (pid == 0) {
        char w[8];
        snprintf(w, sizeof w, "%d", workers);
        setenv("FLEETSIM_PUBSUB_SUBSCRIPTION", "worker", 1);
        setenv("GOOGLE_CLOUD_PROJECT", "fsim-test", 1);
        setenv("FLEETSIM_PUBSUB_WORKERS", w, 1);
        setenv("FLEETSIM_PUBSUB_RETRY_SECONDS", "1", 1);
        setenv("PORT", "0", 1);
        unsetenv("FLEETSIM_GCS_BUCKET"); /* gcs mode is tested in tests/e2e */
        char cfg[1024];
        snprintf(cfg, sizeof cfg, "%s/config", getenv("FSIM_SOURCE_ROOT"));
        setenv("FLEETSIM_CONFIG_DIR", cfg, 1);
        if (!freopen(log, "w", stdout))
            _exit(127);
        execl(exe, exe, mode, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int stop_worker(pid_t pid)
{
    int status = 0;
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Lines of `log` that contain every one of the (up to 3) needles. */
static int count_lines(const char *log, const char *a, const char *b, const char *c)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return 0;
    char line[8192];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, a) && (!b || strstr(line, b)) && (!c || strstr(line, c)))
            n++;
    fclose(f);
    return n;
}

/* Polls the row until it leaves queued/running (at most ~120 s of polling). */
static fsim_run_status wait_final(const char *id)
{
    for (int i = 0; i < 1200; i++) {
        fsim_job_status *js;
        fsim_error err;
        if (fsim_store_status(store, id, arena, &js, &err) == FSIM_OK &&
            js->status != FSIM_RUN_QUEUED && js->status != FSIM_RUN_RUNNING)
            return js->status;
        usleep(100 * 1000);
    }
    return FSIM_RUN_RUNNING;
}

/* Polls until `log` has at least `want` matching lines. */
static int wait_lines(const char *log, int want, const char *a, const char *b, const char *c)
{
    int n = 0;
    for (int i = 0; i < 1200 && (n = count_lines(log, a, b, c)) < want; i++)
        usleep(100 * 1000);
    return n;
}

static const char *new_row(const char *request_text)
{
    fsim_request *req;
    fsim_error err;
    if (fsim_request_decode(request_text, strlen(request_text), "job", 0, arena, &req, &err) !=
        FSIM_OK)
        return NULL;
    fsim_store_new_simulation ns = {.request = req};
    char *id = fsim_arena_alloc(arena, FSIM_STORE_ID_LEN);
    return fsim_store_create_simulation(store, &ns, id, NULL, &err) == FSIM_OK ? id : NULL;
}

static size_t sink(char *p, size_t size, size_t n, void *user)
{
    return size * n;
}

static long post(int port, const char *method, const char *body)
{
    CURL *h = curl_easy_init();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    if (body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    long code = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    return code;
}

static char *envelope(const char *data, const char *id, const char *sim_attr, bool raw)
{
    fsim_pubsub_attribute a[2] = {{"requestId", "push-trace"}, {"simulationId", sim_attr}};
    fsim_pubsub_message m = {.data = data, .len = strlen(data), .attributes = a,
                             .n_attributes = sim_attr ? 2 : 1, .message_id = id,
                             .publish_time = 1.7e9, .delivery_attempt = 1};
    char *text = fsim_pubsub_push_encode(&m, "projects/fsim-test/subscriptions/push", NULL);
    if (raw && text) { /* break the base64: a poison message */
        char *d = strstr(text, "\"data\":\"");
        if (d)
            memcpy(d + 8, "!!", 2);
    }
    char *copy = fsim_arena_strdup(arena, text);
    free(text);
    return copy;
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

    CHECK(fsim_store_open(getenv("DATABASE_URL"), NULL, &store, &err) == FSIM_OK, "store opens");
    CHECK(fsim_store_migrate(store, getenv("FSIM_MIGRATIONS_DIR"), NULL, NULL, NULL, &err) ==
              FSIM_OK,
          "migrations applied: %.200s", err.message);
    CHECK(fsim_store_create_fleet(store, "pubsub fleet", NULL, fleet, NULL, &err) == FSIM_OK,
          "fleet created");
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
    CHECK(m7 && wait_lines(pull_log, 1, m7, "failed permanently", "acked") == 1,
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
    int port = 0;
    for (int i = 0; i < 300 && !port; i++) {
        FILE *f = fopen(push_log, "r");
        char line[4096];
        while (f && fgets(line, sizeof line, f)) {
            char *at = strstr(line, "listening on port ");
            if (at)
                port = atoi(at + 18);
        }
        if (f)
            fclose(f);
        if (!port)
            usleep(50 * 1000);
    }
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
    CHECK(post(port, "POST", "{\"nope\":1}") == 400, "not an envelope ⇒ 400");
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
