/* fleetsim-api — start-up, the environment, and shutdown.
 *
 * Start-up fails fast (exit 1, one clear log line) when the config does not load, the
 * database is unreachable or its migrations are not current: a server that cannot do its
 * job should never pass a readiness probe. Shutdown on SIGTERM (Cloud Run gives 10 s):
 * stop accepting, let in-flight requests finish within FLEETSIM_API_GRACE_SECONDS, cancel
 * whatever still runs after that, stop the workers, close the pool, exit 0. */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include <fleetsim/plan_job.h>
#include <fleetsim/settings.h>
#include <fleetsim/version.h>

#include "api.h"

/* ---- The environment ------------------------------------------------------------------ */

/* migrations/ next to the config directory, as `fleetsim migrate` assumes. */
static const char *default_migrations_dir(const char *config_dir)
{
    static char buf[4096];
    size_t len = strlen(config_dir);
    while (len > 1 && config_dir[len - 1] == '/')
        len--;
    const char *slash = NULL;
    for (size_t i = 0; i < len; i++)
        if (config_dir[i] == '/')
            slash = config_dir + i;
    if (!slash)
        return "migrations";
    snprintf(buf, sizeof buf, "%.*s/migrations", (int)(slash - config_dir), config_dir);
    return buf;
}

/* Every setting through the one table (<fleetsim/settings.h>): a malformed value is an exit
 * 2 naming the variable. */
static bool read_settings(api_settings *c, fsim_error *err)
{
    long port, body, header, conns, idle, grace, budget, sync, workers, pool, lease, attempts,
        poll, publish_timeout, outbox_delay, outbox_backoff, outbox_poll, outbox_republish,
        cache_entries,
        cache_ttl, http_threads, handler_threads, poll_threads;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    const char *log_level = NULL, *auth = NULL;
    if (fsim_setting_production(&c->production, err) ||
        fsim_setting_choice(FSIM_SETTING_API_AUTH, &auth, err) ||
        fsim_setting_int(FSIM_SETTING_PORT, 0, &port, err) ||
        fsim_setting_int(FSIM_SETTING_API_MAX_BODY_BYTES, 0, &body, err) ||
        fsim_setting_int(FSIM_SETTING_API_MAX_HEADER_BYTES, 0, &header, err) ||
        fsim_setting_int(FSIM_SETTING_API_MAX_CONNECTIONS, 0, &conns, err) ||
        fsim_setting_int(FSIM_SETTING_API_IDLE_TIMEOUT_SECONDS, 0, &idle, err) ||
        fsim_setting_int(FSIM_SETTING_API_GRACE_SECONDS, 0, &grace, err) ||
        fsim_setting_int(FSIM_SETTING_API_SYNC_MAX_VEHICLE_STEPS, 0, &budget, err) ||
        fsim_setting_int(FSIM_SETTING_API_SYNC_CONCURRENCY, 0, &sync, err) ||
        fsim_setting_int(FSIM_SETTING_API_WORKERS, 0, &workers, err) ||
        fsim_setting_int(FSIM_SETTING_API_DB_POOL, workers + 8, &pool, err) ||
        fsim_setting_int(FSIM_SETTING_API_JOB_LEASE_SECONDS, 0, &lease, err) ||
        fsim_setting_int(FSIM_SETTING_API_JOB_MAX_ATTEMPTS, 0, &attempts, err) ||
        fsim_setting_int(FSIM_SETTING_API_JOB_POLL_MS, 0, &poll, err) ||
        fsim_setting_int(FSIM_SETTING_API_PUBLISH_TIMEOUT_MS, 0, &publish_timeout, err) ||
        fsim_setting_int(FSIM_SETTING_API_OUTBOX_DELAY_SECONDS, 0, &outbox_delay, err) ||
        fsim_setting_int(FSIM_SETTING_API_OUTBOX_BACKOFF_SECONDS, 0, &outbox_backoff, err) ||
        fsim_setting_int(FSIM_SETTING_API_OUTBOX_POLL_MS, 0, &outbox_poll, err) ||
        fsim_setting_int(FSIM_SETTING_API_OUTBOX_REPUBLISH_SECONDS, 0, &outbox_republish, err) ||
        fsim_setting_int(FSIM_SETTING_API_STATUS_CACHE_ENTRIES, 0, &cache_entries, err) ||
        fsim_setting_int(FSIM_SETTING_API_STATUS_CACHE_TTL_MS, 0, &cache_ttl, err) ||
        /* two loops per CPU: on a shared machine a loop that loses its CPU stalls all its
         * connections, and a spare one per CPU measurably cut that (bench_api.sh) */
        fsim_setting_int(FSIM_SETTING_API_HTTP_THREADS,
                         cpus > 0 ? (cpus < 32 ? 2 * cpus : 64) : 4, &http_threads, err) ||
        fsim_setting_int(FSIM_SETTING_API_HANDLER_THREADS, pool + sync, &handler_threads, err) ||
        /* one: on 2 cores, two readers had the same throughput and a p99 several times
         * higher (bench_api.sh, benchmarks.md) */
        fsim_setting_int(FSIM_SETTING_API_POLL_THREADS, 0, &poll_threads, err) ||
        fsim_setting_bool(FSIM_SETTING_API_DOCS, &c->docs, err) ||
        fsim_setting_choice(FSIM_SETTING_API_LOG_LEVEL, &log_level, err) ||
        /* where the worker stores a published job's result; there is no per-request field */
        fsim_setting_choice(FSIM_SETTING_RESULT_MODE, &c->result_mode, err))
        return false;
    c->port = (int)port;
    c->max_body_bytes = (size_t)body;
    c->max_header_bytes = (size_t)header;
    c->max_connections = (int)conns;
    c->idle_timeout_s = (int)idle;
    c->grace_s = (int)grace;
    c->sync_budget = (double)budget;
    c->sync_concurrency = (int)sync;
    c->workers = (int)workers;
    c->db_pool = (int)pool;
    c->lease_s = (int)lease;
    c->max_attempts = (int)attempts;
    c->poll_ms = (int)poll;
    c->publish_timeout_ms = (int)publish_timeout;
    c->outbox_delay_s = (int)outbox_delay;
    c->outbox_backoff_s = (int)outbox_backoff;
    c->outbox_poll_ms = (int)outbox_poll;
    c->outbox_republish_s = (int)outbox_republish;
    c->http_threads = (int)http_threads;
    c->handler_threads = (int)handler_threads;
    c->poll_threads = (int)poll_threads;
    c->status_cache_entries = cache_entries;
    c->status_cache_ttl_ms = cache_ttl;
    c->debug_log = strcmp(log_level, "debug") == 0;
    c->listen_address = fsim_setting_text(FSIM_SETTING_API_LISTEN);
    c->auth_none = strcmp(auth, "none") == 0;
    c->config_dir = fsim_setting_text(FSIM_SETTING_CONFIG_DIR);
    c->config_overrides = fsim_setting_text(FSIM_SETTING_CONFIG_OVERRIDES);
    c->database_url = fsim_setting_text(FSIM_SETTING_DATABASE_URL);
    c->migrations_dir = fsim_setting_text(FSIM_SETTING_MIGRATIONS_DIR);
    if (!c->migrations_dir)
        c->migrations_dir = default_migrations_dir(c->config_dir);
    c->api_keys = fsim_setting_text(FSIM_SETTING_API_KEYS);
    c->cors_origins = fsim_setting_text(FSIM_SETTING_API_CORS_ORIGINS);
    c->docs_assets = fsim_setting_text(FSIM_SETTING_API_DOCS_ASSETS);
    c->gcp_project = fsim_setting_text(FSIM_SETTING_GOOGLE_CLOUD_PROJECT);
    c->pubsub_topic = fsim_setting_text(FSIM_SETTING_PUBSUB_TOPIC);
    c->credentials_json = fsim_setting_text(FSIM_SETTING_GCP_CREDENTIALS_JSON);
    if (strcmp(c->result_mode, "gcs") == 0 && !c->pubsub_topic) {
        fsim_error_set(err, FSIM_USAGE, "FLEETSIM_RESULT_MODE", 0, 0, NULL,
                       "gcs needs FLEETSIM_PUBSUB_TOPIC: only the Pub/Sub worker stores results "
                       "in Cloud Storage");
        return false;
    }
    return true;
}

/* ---- Start-up ---------------------------------------------------------------------------- */

static bool fail(const fsim_error *err, const char *what)
{
    char buf[1200];
    fsim_error_format(err, buf, sizeof buf);
    api_log("ERROR", NULL, "%s: %s", what, buf);
    return false;
}

static bool load_config(api_server *srv, fsim_error *err)
{
    if (fsim_config_load(srv->cfg.config_dir, srv->cfg.config_overrides, NULL, &srv->config,
                         err) != FSIM_OK)
        return fail(err, "could not load the configuration");
    srv->vehicles_json = fsim_config_section_json(srv->config, "vehicles");
    srv->chargers_json = fsim_config_section_json(srv->config, "chargers");
    srv->routes_geojson = fsim_runner_routes_geojson(srv->config, err);
    if (!srv->vehicles_json || !srv->chargers_json || !srv->routes_geojson)
        return fail(err, "could not prepare the configuration endpoints");
    return true;
}

/* The pool is opened here, once; a database that is down or behind on migrations stops
 * start-up rather than producing a server that fails every request. */
static bool open_store(api_server *srv, fsim_error *err)
{
    if (!srv->cfg.database_url) {
        api_log("WARNING", NULL, "DATABASE_URL is not set: only synchronous runs, config and "
                                 "health endpoints work");
        return true;
    }
    fsim_store_options so = {.pool_size = srv->cfg.db_pool, .max_retries = 3, .wait_ms = 10000};
    if (fsim_store_open(srv->cfg.database_url, &so, &srv->store, err) != FSIM_OK)
        return fail(err, "could not connect to the database");
    bool current = false;
    if (fsim_store_migrations_current(srv->store, srv->cfg.migrations_dir, &current, err) !=
        FSIM_OK)
        return fail(err, "could not check the database migrations");
    if (!current) {
        api_log("ERROR", NULL,
                "the database migrations are not current (%s): run `fleetsim migrate` first",
                err->message);
        return false;
    }
    return true;
}

/* Fail closed: in production the API serves nobody without a usable key, unless
 * FLEETSIM_API_AUTH=none says an open API is meant (IAM in front); elsewhere an open API is a
 * warning, so a developer's local run needs no key. */
static bool setup_auth(api_server *srv, fsim_error *err)
{
    const api_settings *c = &srv->cfg;
    if (c->auth_none && c->api_keys) {
        fsim_error_set(err, FSIM_USAGE, "FLEETSIM_API_AUTH", 0, 0, NULL,
                       "none, but FLEETSIM_API_KEYS is set: unset one of them");
        return false;
    }
    srv->auth = api_auth_new(c->auth_none ? NULL : c->api_keys, err);
    if (!srv->auth)
        return false;
    if (api_auth_enabled(srv->auth))
        return true;
    if (c->auth_none) {
        api_log("WARNING", NULL, "FLEETSIM_API_AUTH=none: the API serves every request without "
                                 "a key; keep it behind IAM");
        return true;
    }
    if (c->production) {
        fsim_error_set(err, FSIM_USAGE, "FLEETSIM_API_KEYS", 0, 0, NULL,
                       "no usable key in production; set a key, or FLEETSIM_API_AUTH=none to "
                       "serve without one");
        return false;
    }
    api_log("WARNING", NULL, "FLEETSIM_API_KEYS has no key: the API is open to anyone who can "
                             "reach it");
    return true;
}

static bool start(api_server *srv, fsim_error *err)
{
    if (!fsim_log_writer_start()) {
        fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "could not start a thread");
        return fail(err, "log writer");
    }
    if (!read_settings(&srv->cfg, err))
        return fail(err, "bad setting");
    if (!load_config(srv, err))
        return false;
    if (!setup_auth(srv, err))
        return fail(err, "bad setting");
    srv->idempotency = api_idempotency_new();
    if (!srv->idempotency)
        return fail(err, "out of memory");
    srv->status_cache = api_status_cache_new(srv->cfg.status_cache_entries,
                                             srv->cfg.status_cache_ttl_ms);
    if (!srv->status_cache && srv->cfg.status_cache_entries > 0)
        return fail(err, "out of memory for the status cache");
    if (srv->cfg.docs) {
        srv->openapi_json = fsim_wire_openapi(FSIM_VERSION, NULL);
        if (!srv->openapi_json) {
            fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
            return fail(err, "could not build the OpenAPI document");
        }
        srv->docs = api_docs_load(srv->cfg.docs_assets, err);
        if (!srv->docs)
            return fail(err, "could not load the documentation viewers");
        if (api_docs_folder(srv->docs))
            api_log("INFO", NULL, "documentation at /docs and /docs/redoc, viewers from %s",
                    api_docs_folder(srv->docs));
        else
            api_log("WARNING", NULL, "the documentation viewers are not installed (build with "
                    "npm, or set FLEETSIM_API_DOCS_ASSETS): /docs answers 503, /openapi.json "
                    "is served");
    }
    if (!open_store(srv, err))
        return false;
    if (srv->store && srv->cfg.workers > 0) {
        srv->jobs = api_jobs_start(srv, err);
        if (!srv->jobs)
            return fail(err, "could not start the workers");
    }
    if (srv->store && !api_publisher_start(srv, err))
        return fail(err, "could not start publishing to Pub/Sub");
    if (!api_gcs_open(srv, err))
        return fail(err, "Cloud Storage (gcs-mode results)");
    fsim_svc_options so; /* the same services as the CLI and the worker, injected */
    if (fsim_svc_options_from_settings(&so, err) != FSIM_OK)
        return fail(err, "routing, elevation and weather services");
    srv->svc = fsim_svc_new(&so);
    if (!srv->svc)
        return fail(err, "routing, elevation and weather services");
    return api_server_start(srv);
}

/* ---- Shutdown ------------------------------------------------------------------------- */

/* Waits for SIGTERM or SIGINT. Meanwhile, once a minute, gives back to the kernel what
 * glibc's per-thread arenas keep after a burst of concurrent requests (a PostgreSQL restart
 * piles requests up): a high-water mark, not a leak — the soak's heap samples showed 2 MB
 * in use and up to 8 MB held — but it read as RSS growth of a long-lived instance. */
static int wait_for_signal(const sigset_t *set)
{
    const struct timespec minute = {.tv_sec = 60};
    for (;;) {
        int sig = sigtimedwait(set, NULL, &minute);
        if (sig > 0)
            return sig;
        if (errno == EAGAIN)
            malloc_trim(0);
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Stop accepting, wait for in-flight requests up to the grace period, then cancel what is
 * left (synchronous runs stop at their next simulated day and answer 503) and stop. */
static void drain(api_server *srv)
{
    atomic_store(&srv->draining, true);
    MHD_socket listen_fd = MHD_quiesce_daemon(srv->daemon);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    api_log("INFO", NULL, "shutting down: %d request(s) in flight, grace %d s",
            atomic_load(&srv->in_flight), srv->cfg.grace_s);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (atomic_load(&srv->in_flight) > 0 && api_seconds_since(&t0) < srv->cfg.grace_s)
        sleep_ms(20);
    if (atomic_load(&srv->in_flight) > 0) {
        api_log("WARNING", NULL, "grace period over: cancelling %d request(s)",
                atomic_load(&srv->in_flight));
        atomic_store(&srv->aborting, true);
        /* what was cancelled needs a moment to end: a Cloud Storage stream notices within
         * about a second and resumes its suspended connection (MHD_stop_daemon wants none) */
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (atomic_load(&srv->in_flight) > 0 && api_seconds_since(&t0) < 2)
            sleep_ms(20);
    }
    api_jobs_stop(srv->jobs); /* running jobs stop at their next progress point */
    srv->jobs = NULL;
    /* the handlers still running finish (a sync run stops at its next simulated day) and
     * resume their connections: none is left suspended for MHD_stop_daemon */
    api_handler_pool_stop(srv->handlers);
    srv->handlers = NULL;
    MHD_stop_daemon(srv->daemon); /* closes what is left and joins the HTTP threads */
    srv->daemon = NULL;
}

static void release(api_server *srv)
{
    api_jobs_stop(srv->jobs);
    api_handler_pool_stop(srv->handlers);
    fsim_plan_job_cache_clear(); /* no plan batch runs any more */
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    api_publisher_stop(srv->publisher);
    srv->publisher = NULL;
    api_gcs_close(srv);
    fsim_svc_free(srv->svc);
    srv->svc = NULL;
    fsim_store_close(srv->store);
    api_idempotency_free(srv->idempotency);
    api_status_cache_free(srv->status_cache);
    api_auth_free(srv->auth);
    free(srv->openapi_json);
    api_docs_free(srv->docs);
    free(srv->routes_geojson);
    fsim_config_free(srv->config);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--routes") == 0) {
        api_routes_print(stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
        char text[2048];
        fsim_library_version mhd = {"libmicrohttpd", MHD_get_version()};
        fputs(fsim_version_text("fleetsim-api", &mhd, 1, text, sizeof text), stdout);
        return 0;
    }
    if (argc > 1) {
        bool help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        FILE *out = help ? stdout : stderr;
        fprintf(out, "usage: fleetsim-api [--routes | --version | --help]\n\n"
                     "The fleetsim HTTP API on $PORT (docs/api.md); settings come from the\n"
                     "environment (below), logs are JSON lines on stdout.\n"
                     "  --routes   print the route table (method, path, operation) and exit\n"
                     "  --version  the version, git revision, build type and libraries\n"
                     "  --help     this text\n"
                     "exit codes: 0 stopped by SIGTERM/SIGINT, 1 start-up or runtime failure\n"
                     "(config, database, migrations), 2 bad usage or settings\n\n");
        if (help)
            fsim_settings_print(out, "api");
        return help ? 0 : 2;
    }
    /* Every thread inherits this mask: only main's sigwait sees SIGTERM / SIGINT. A client
     * that hangs up mid-response must not kill the process: SIGPIPE is ignored. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    static api_server srv; /* zeroed; lives for the whole process */
    fsim_error err;
    fsim_error_clear(&err);
    if (!start(&srv, &err)) {
        release(&srv);
        fsim_log_writer_stop();
        return err.status == FSIM_USAGE ? 2 : 1;
    }
    int sig = wait_for_signal(&set);
    api_log("INFO", NULL, "received %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    drain(&srv);
    release(&srv);
    api_log("INFO", NULL, "stopped");
    fsim_log_writer_stop();
    return 0;
}
