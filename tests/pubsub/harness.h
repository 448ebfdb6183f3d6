/* What the worker tests share (test_worker.c, test_push_auth.c, test_worker_faults.c): the
 * job files, publishing, starting and stopping the real fleetsim-pubsub with its log in a
 * file, reading that log, polling rows, posting push envelopes. Every wait is a bounded
 * polling loop, never a threshold. Each program has its own copy of the state below. */
#ifndef FLEETSIM_TEST_PUBSUB_HARNESS_H
#define FLEETSIM_TEST_PUBSUB_HARNESS_H

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fleetsim/pubsub.h>
#include <fleetsim/store.h>
#include <fleetsim/util.h>

#define PLACEHOLDER "00000000-0000-4000-8000-00000000f1ee"

static fsim_store *store;
static fsim_pubsub *ps;
static fsim_arena *arena;
static char fleet[FSIM_STORE_ID_LEN];

/* tests/data/pubsub/FILE with its fleetId replaced by the test's fleet. */
static inline char *job_text(const char *file)
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
static inline char *job_message(const char *request, const char *mode, const char *id)
{
    return fsim_arena_sprintf(arena, "{\"mode\":\"%s\"%s%s%s,%s", mode,
                              id ? ",\"simulationId\":\"" : "", id ? id : "", id ? "\"" : "",
                              strchr(request, '{') + 1);
}

/* Publishes one message (attributes traceId / simulationId when given); its id or NULL. */
static inline const char *publish_to(const char *topic, const char *data,
                                     const char *trace, const char *sim_attr)
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

/* Starts `exe mode` with stdout into `log`, pulling from subscription `sub` of project
 * fsim-test with `workers` threads; `extra` is a NULL-terminated list of "NAME=VALUE"
 * settings (may be NULL). */
static inline pid_t start_worker_env(const char *exe, const char *mode, const char *log,
                                     int workers, const char *sub, const char *const *extra)
{
    fflush(stdout); /* or the child's freopen would write our buffered lines a second time */
    pid_t pid = fork();
    if (pid == 0) {
        char w[8];
        snprintf(w, sizeof w, "%d", workers);
        setenv("FLEETSIM_PUBSUB_SUBSCRIPTION", sub, 1);
        setenv("GOOGLE_CLOUD_PROJECT", "fsim-test", 1);
        setenv("FLEETSIM_PUBSUB_WORKERS", w, 1);
        setenv("FLEETSIM_PUBSUB_RETRY_SECONDS", "1", 1);
        unsetenv("FLEETSIM_GCS_BUCKET"); /* gcs mode is tested in tests/e2e */
        setenv("PORT", "0", 1);
        char cfg[1024];
        snprintf(cfg, sizeof cfg, "%s/config", getenv("FSIM_SOURCE_ROOT"));
        setenv("FLEETSIM_CONFIG_DIR", cfg, 1);
        for (size_t i = 0; extra && extra[i]; i++)
            putenv((char *)extra[i]);
        if (!freopen(log, "w", stdout))
            _exit(127);
        dup2(STDOUT_FILENO, STDERR_FILENO); /* start-up refusals go to stderr: keep them too */
        execl(exe, exe, mode, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static inline pid_t start_worker(const char *exe, const char *mode, const char *log,
                                 int workers)
{
    return start_worker_env(exe, mode, log, workers, "worker", NULL);
}

/* SIGTERM and wait: the exit code, or 128 + the signal. */
static inline int stop_worker(pid_t pid)
{
    int status = 0;
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Lines of `log` that contain every one of the (up to 3) needles. */
static inline int count_lines(const char *log, const char *a, const char *b, const char *c)
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

/* Polls until `log` has at least `want` matching lines (at most ~120 s). */
static inline int wait_lines(const char *log, int want, const char *a, const char *b,
                             const char *c)
{
    int n = 0;
    for (int i = 0; i < 1200 && (n = count_lines(log, a, b, c)) < want; i++)
        usleep(100 * 1000);
    return n;
}

/* Polls the row until it leaves queued/running (at most ~120 s of polling). */
static inline fsim_run_status wait_final(const char *id)
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

/* A queued row holding `request_text`; its id (in the arena) or NULL. */
static inline const char *new_row(const char *request_text)
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

/* The port a push worker logged ("listening on port N"), polling its log; 0 if none. */
static inline int wait_port(const char *log)
{
    int port = 0;
    for (int i = 0; i < 300 && !port; i++) {
        FILE *f = fopen(log, "r");
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
    return port;
}

static inline size_t collect(char *p, size_t size, size_t n, void *user)
{
    char **buf = user;
    size_t have = *buf ? strlen(*buf) : 0;
    char *grown = realloc(*buf, have + size * n + 1);
    if (!grown)
        return 0;
    memcpy(grown + have, p, size * n);
    grown[have + size * n] = '\0';
    *buf = grown;
    return size * n;
}

/* METHOD / on the push worker, with an Authorization header when `authz` is set; the
 * status (0: no answer) and, when `reply` is set, the body (malloc'd). */
static inline long post_auth(int port, const char *method, const char *body,
                             const char *authz, char **reply)
{
    CURL *h = curl_easy_init();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    struct curl_slist *headers = NULL;
    char *hdr = NULL;
    if (authz) {
        hdr = fsim_arena_sprintf(arena, "Authorization: %s", authz);
        headers = curl_slist_append(headers, hdr);
    }
    char *text = NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &text);
    if (body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    long code = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    if (reply)
        *reply = text;
    else
        free(text);
    return code;
}

static inline long post(int port, const char *method, const char *body)
{
    return post_auth(port, method, body, NULL, NULL);
}

/* A push body as Pub/Sub posts it (message id `id`, attributes requestId=push-trace and
 * simulationId when given); `raw` breaks the base64 (a poison message). In the arena. */
static inline char *envelope(const char *data, const char *id, const char *sim_attr,
                             bool raw)
{
    fsim_pubsub_attribute a[2] = {{"requestId", "push-trace"}, {"simulationId", sim_attr}};
    fsim_pubsub_message m = {.data = data, .len = strlen(data), .attributes = a,
                             .n_attributes = sim_attr ? 2 : 1, .message_id = id,
                             .publish_time = 1.7e9, .delivery_attempt = 1};
    char *text = fsim_pubsub_push_encode(&m, "projects/fsim-test/subscriptions/push", NULL);
    if (raw && text) {
        char *d = strstr(text, "\"data\":\"");
        if (d)
            memcpy(d + 8, "!!", 2);
    }
    char *copy = fsim_arena_strdup(arena, text);
    free(text);
    return copy;
}

/* Migrations, a fleet: what every worker test starts from. */
static inline bool setup_store(void)
{
    fsim_error err;
    if (fsim_store_open(getenv("DATABASE_URL"), NULL, &store, &err) != FSIM_OK ||
        fsim_store_migrate(store, getenv("FSIM_MIGRATIONS_DIR"), NULL, NULL, NULL, &err) !=
            FSIM_OK ||
        fsim_store_create_fleet(store, "pubsub fleet", NULL, fleet, NULL, &err) != FSIM_OK) {
        printf("# store: %s\n", err.message);
        return false;
    }
    return true;
}

#endif
