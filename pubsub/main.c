/* fleetsim-pubsub — the Pub/Sub entry point: runs simulation jobs delivered by Cloud Pub/Sub
 * and stores their results in PostgreSQL (mode "db") or Cloud Storage (mode "gcs").
 *
 *   fleetsim-pubsub --pull   pull from $FLEETSIM_PUBSUB_SUBSCRIPTION (gRPC)
 *   fleetsim-pubsub --push   HTTP on $PORT for a push subscription
 *
 * Settings come from the environment (docs/environment.md); logs are JSON lines on stdout.
 * Exit codes: 0 stopped by SIGTERM/SIGINT, 1 runtime failure, 2 bad usage or settings. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include <fleetsim/plan_job.h>
#include <fleetsim/settings.h>
#include <fleetsim/version.h>

#include "worker.h"

static const char usage[] = "usage: fleetsim-pubsub --pull | --push | --version | --help\n";

static const char help[] =
    "\nRuns simulation jobs delivered by Cloud Pub/Sub (docs/pubsub.md); settings come from\n"
    "the environment (below), logs are JSON lines on stdout.\n"
    "  --pull     pull from $FLEETSIM_PUBSUB_SUBSCRIPTION (gRPC)\n"
    "  --push     HTTP on $PORT for a push subscription (OIDC-verified when configured)\n"
    "  --version  the version, git revision, build type and libraries\n"
    "  --help     this text\n"
    "exit codes: 0 stopped by SIGTERM/SIGINT, 1 runtime failure, 2 bad usage or settings\n\n";

static sigset_t stop_signals;

void ps_block_signals(void)
{
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int ps_wait_signal(void)
{
    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0)
        ;
    return sig;
}

/* An integer setting through the one table; a bad value is an error naming the variable. */
static bool int_setting(fsim_setting_id id, int *out)
{
    long n = 0;
    fsim_error err;
    if (fsim_setting_int(id, 0, &n, &err) != FSIM_OK) {
        fprintf(stderr, "fleetsim-pubsub: %s: %s\n", err.source, err.message);
        return false;
    }
    *out = (int)n;
    return true;
}

/* Fail closed: --push in production checks every token unless FLEETSIM_PUSH_AUTH=none says
 * an open endpoint is meant (Cloud Run IAM in front). False, with the reason on stderr, when
 * the settings do not allow a start. */
static bool push_auth_settings(ps_settings *c, bool push)
{
    fsim_error err;
    const char *mode = NULL;
    if (fsim_setting_production(&c->production, &err) != FSIM_OK ||
        fsim_setting_choice(FSIM_SETTING_PUSH_AUTH, &mode, &err) != FSIM_OK) {
        fprintf(stderr, "fleetsim-pubsub: %s: %s\n", err.source, err.message);
        return false;
    }
    c->push_auth_none = strcmp(mode, "none") == 0;
    /* an audience alone would let in a token any Google account can mint for it */
    if (!c->push_audience != !c->push_service_account) {
        fprintf(stderr, "fleetsim-pubsub: %s is set but %s is not (push authentication needs "
                        "both)\n",
                c->push_audience ? "FLEETSIM_PUSH_AUDIENCE" : "FLEETSIM_PUSH_SERVICE_ACCOUNT",
                c->push_audience ? "FLEETSIM_PUSH_SERVICE_ACCOUNT" : "FLEETSIM_PUSH_AUDIENCE");
        return false;
    }
    if (c->push_auth_none && c->push_audience) {
        fputs("fleetsim-pubsub: FLEETSIM_PUSH_AUTH: none, but FLEETSIM_PUSH_AUDIENCE is set: "
              "unset one of them\n", stderr);
        return false;
    }
    if (push && c->production && !c->push_audience && !c->push_auth_none) {
        fputs("fleetsim-pubsub: FLEETSIM_PUSH_AUDIENCE: not set in production (push "
              "authentication needs it and FLEETSIM_PUSH_SERVICE_ACCOUNT); set "
              "FLEETSIM_PUSH_AUTH=none to run an open endpoint behind IAM\n", stderr);
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    bool pull = argc == 2 && strcmp(argv[1], "--pull") == 0;
    bool push = argc == 2 && strcmp(argv[1], "--push") == 0;
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        fputs(help, stdout);
        fsim_settings_print(stdout, "pubsub");
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
        char text[2048];
        fsim_library_version mhd = {"libmicrohttpd", MHD_get_version()};
        fputs(fsim_version_text("fleetsim-pubsub", &mhd, 1, text, sizeof text), stdout);
        return 0;
    }
    if (!pull && !push) {
        fputs(usage, stderr);
        return 2;
    }
    /* before any thread exists (gRPC's included), so every thread inherits the mask */
    ps_block_signals();

    static ps_worker w;
    pthread_mutex_init(&w.store_mu, NULL);
    ps_settings *c = &w.cfg;
    c->config_dir = fsim_setting_text(FSIM_SETTING_CONFIG_DIR);
    c->config_overrides = fsim_setting_text(FSIM_SETTING_CONFIG_OVERRIDES);
    c->database_url = fsim_setting_text(FSIM_SETTING_DATABASE_URL);
    c->project = fsim_setting_text(FSIM_SETTING_GOOGLE_CLOUD_PROJECT);
    c->credentials_json = fsim_setting_text(FSIM_SETTING_GCP_CREDENTIALS_JSON);
    c->push_audience = fsim_setting_text(FSIM_SETTING_PUSH_AUDIENCE);
    c->push_service_account = fsim_setting_text(FSIM_SETTING_PUSH_SERVICE_ACCOUNT);
    c->push_keys = fsim_setting_text(FSIM_SETTING_PUSH_JWKS);
    if (!int_setting(FSIM_SETTING_PORT, &c->port) ||
        !int_setting(FSIM_SETTING_PUBSUB_WORKERS, &c->workers) ||
        !int_setting(FSIM_SETTING_PUBSUB_ACK_DEADLINE_SECONDS, &c->ack_deadline_s) ||
        !int_setting(FSIM_SETTING_PUBSUB_LEASE_SECONDS, &c->lease_s) ||
        !int_setting(FSIM_SETTING_PUBSUB_MAX_ATTEMPTS, &c->max_attempts) ||
        !int_setting(FSIM_SETTING_PUBSUB_GRACE_SECONDS, &c->grace_s) ||
        !int_setting(FSIM_SETTING_PUBSUB_RETRY_SECONDS, &c->retry_delay_s))
        return 2;
    if (!push_auth_settings(c, push))
        return 2;
    if (!c->database_url) {
        fprintf(stderr, "fleetsim-pubsub: DATABASE_URL is not set (results go to PostgreSQL)\n");
        return 2;
    }
    c->gcs_bucket = fsim_setting_text(FSIM_SETTING_GCS_BUCKET);
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        return 1;
    int rc;
    if (pull) {
        fsim_error err;
        if (fsim_pubsub_resource_name(fsim_setting_text(FSIM_SETTING_PUBSUB_SUBSCRIPTION),
                                      c->project,
                                      "subscriptions", "FLEETSIM_PUBSUB_SUBSCRIPTION", arena,
                                      &c->subscription, &err) != FSIM_OK) {
            fprintf(stderr, "fleetsim-pubsub: %s: %s\n", err.path, err.message);
            fsim_arena_free(arena);
            return 2;
        }
    }
    if (c->gcs_bucket && !ps_gcs_open(&w)) {
        fsim_arena_free(arena);
        return 2;
    }
    fsim_svc_options so; /* the same services as the CLI and the API, injected */
    fsim_error serr;
    fsim_error_clear(&serr);
    if (fsim_svc_options_from_settings(&so, &serr) != FSIM_OK ||
        !(w.svc = fsim_svc_new(&so))) {
        fprintf(stderr, "fleetsim-pubsub: %s: %s\n", serr.source, serr.message);
        ps_gcs_close(&w);
        fsim_arena_free(arena);
        return 2;
    }
    if (pull)
        rc = ps_pull_main(&w);
    else
        rc = ps_push_main(&w);
    fsim_plan_job_cache_clear(); /* no plan batch runs any more */
    fsim_store_close(w.store);
    ps_gcs_close(&w);
    fsim_svc_free(w.svc);
    pthread_mutex_destroy(&w.store_mu);
    fsim_arena_free(arena);
    return rc;
}
