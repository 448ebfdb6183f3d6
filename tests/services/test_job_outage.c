/* A job whose weather service is down (core/job with the services injected, as the API's
 * workers and the Pub/Sub worker run it): handed back while attempts remain (the code
 * service_unavailable is retryable), then, once the service answers again, claimed again
 * and succeeded — and with the service down on every attempt, failed with
 * attempts_exhausted naming the outage. Real PostgreSQL (with_postgres.sh) and the fake
 * services (with_fake_services.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include <fleetsim/job.h>
#include <fleetsim/util.h>

#include "check.h"
#include "sql_value.h"

static fsim_store *store;
static fsim_arena *arena;
static const char *url;
static char config_dir[1024];
static char fleet[FSIM_STORE_ID_LEN];
static fsim_services services;
static fsim_job_policy policy = {.lease_seconds = 60, .max_attempts = 2,
                                 .max_attempts_name = "TEST_MAX_ATTEMPTS"};

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    (void)p, (void)u;
    return s * n;
}

static void control(const char *query)
{
    char u[512];
    snprintf(u, sizeof u, "%s/control?%s", getenv("FAKE_SERVICES_URL"), query);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, u);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_perform(h);
    curl_easy_cleanup(h);
}

/* The demo week with Open-Meteo weather, in our fleet. */
static fsim_request *week(const char *name)
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
    static fsim_weather_spec w = {.source = "open-meteo"};
    r->fleet_id = fleet;
    r->name = name;
    r->weather = &w;
    r->plan = NULL;
    return r;
}

static const char *sql(const char *query, const char *id)
{
    return test_sql_value(url, arena, query, id);
}

static fsim_job_outcome claim_and_run(const char *id, fsim_error *err)
{
    fsim_store_job *job = NULL;
    if (fsim_store_claim_next(store, 60, policy.max_attempts, arena, &job, err) != FSIM_OK ||
        !job || strcmp(job->id, id) != 0)
        return FSIM_JOB_UNRECORDED;
    fsim_job_run_options o = {.services = &services, .policy = &policy,
                              .sink = fsim_sink_find("db"),
                              .runner = {.config_dir = config_dir, .source = "test"}};
    return fsim_job_run(&o, job, job->request, arena, NULL, err);
}

int main(void)
{
    url = getenv("DATABASE_URL");
    if (!url || !getenv("FAKE_SERVICES_URL")) {
        printf("1..0 # SKIP needs with_postgres.sh and with_fake_services.sh\n");
        return 0;
    }
    snprintf(config_dir, sizeof config_dir, "%s/config", getenv("FSIM_SOURCE_ROOT"));
    arena = fsim_arena_new();
    fsim_error err = {0};
    fsim_store_options so = {.pool_size = 2, .max_retries = 0};
    CHECK(fsim_store_open(url, &so, &store, &err) == FSIM_OK, "open %.300s", err.message);
    if (!store)
        return check_done();
    fsim_store_migrate(store, getenv("FSIM_MIGRATIONS_DIR"), NULL, NULL, NULL, &err);
    fsim_store_create_fleet(store, "outage fleet", NULL, fleet, NULL, &err);
    fsim_svc_options opts;
    fsim_svc_options_from_settings(&opts, &err);
    opts.max_attempts = 2;
    opts.backoff_initial_s = 0.05;
    opts.min_interval_s = -1;
    fsim_svc *svc = fsim_svc_new(&opts);
    services = (fsim_services){.store = store, .svc = svc};
    char id[FSIM_STORE_ID_LEN];

    /* down once: handed back with service_unavailable, then the retry succeeds */
    control("fault=503&n=2");
    fsim_job_submit(&services, &(fsim_job_submission){.request = week("outage once")}, id,
                    NULL, &err);
    fsim_job_outcome o = claim_and_run(id, &err);
    CHECK(o == FSIM_JOB_HANDED_BACK, "weather down: the job is handed back (%s)",
          fsim_job_outcome_name(o));
    o = claim_and_run(id, &err);
    CHECK(o == FSIM_JOB_SUCCEEDED, "the service is back: attempt 2 succeeds (%s)",
          fsim_job_outcome_name(o));
    const char *temp = sql("SELECT time_series_data->0->>'temperatureC' FROM"
                           " simulations WHERE id = $1::uuid", id);
    CHECK(temp && temp[0], "the stored result carries temperatureC (%s)", temp ? temp : "-");

    /* down every time: the last allowed attempt fails, naming the outage */
    control("reset=1");
    control("fault=503&n=100");
    fsim_request *r = week("outage always");
    r->depots[0].weather = &(fsim_weather_spec){.source = "open-meteo",
                                                .location = &(fsim_lonlat){-79.9, 40.4}};
    fsim_job_submit(&services, &(fsim_job_submission){.request = r}, id, NULL, &err);
    o = claim_and_run(id, &err);
    CHECK(o == FSIM_JOB_HANDED_BACK, "down: attempt 1 handed back");
    o = claim_and_run(id, &err);
    const char *code = sql("SELECT metadata->'error'->>'code' FROM simulations"
                           " WHERE id = $1::uuid", id);
    const char *msg = sql("SELECT metadata->'error'->>'message' FROM simulations"
                          " WHERE id = $1::uuid", id);
    CHECK(o == FSIM_JOB_FAILED && code && strcmp(code, "attempts_exhausted") == 0 && msg &&
              strstr(msg, "weather service") && strstr(msg, "503"),
          "down on the last attempt: attempts_exhausted naming the outage: %s",
          msg ? msg : "-");
    control("reset=1");
    fsim_svc_free(svc);
    fsim_store_close(store);
    fsim_arena_free(arena);
    return check_done();
}
