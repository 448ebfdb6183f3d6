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

#include "worker.h"

static const char usage[] = "usage: fleetsim-pubsub --pull | --push\n";

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

static const char *env(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

/* An integer setting in lo..hi; a bad value is a usage error naming the variable. */
static bool env_int(const char *name, int fallback, int lo, int hi, int *out)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        *out = fallback;
        return true;
    }
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < lo || n > hi) {
        fprintf(stderr, "fleetsim-pubsub: %s: \"%s\" is not an integer between %d and %d\n",
                name, v, lo, hi);
        return false;
    }
    *out = (int)n;
    return true;
}

int main(int argc, char **argv)
{
    bool pull = argc == 2 && strcmp(argv[1], "--pull") == 0;
    bool push = argc == 2 && strcmp(argv[1], "--push") == 0;
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
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
    c->config_dir = env("FLEETSIM_CONFIG_DIR", "config");
    c->config_overrides = env("FLEETSIM_CONFIG_OVERRIDES", NULL);
    c->database_url = env("DATABASE_URL", NULL);
    c->project = env("GOOGLE_CLOUD_PROJECT", NULL);
    c->credentials_json = env("FLEETSIM_GCP_CREDENTIALS_JSON", NULL);
    c->push_audience = env("FLEETSIM_PUSH_AUDIENCE", NULL);
    c->push_service_account = env("FLEETSIM_PUSH_SERVICE_ACCOUNT", NULL);
    c->push_keys = env("FLEETSIM_PUSH_JWKS", NULL);
    const char *env_name = env("FLEETSIM_ENV", "");
    c->production = strcmp(env_name, "production") == 0;
    if (!env_int("PORT", 8080, 0, 65535, &c->port) ||
        !env_int("FLEETSIM_PUBSUB_WORKERS", 2, 1, 64, &c->workers) ||
        !env_int("FLEETSIM_PUBSUB_ACK_DEADLINE_SECONDS", 60, 2, 600, &c->ack_deadline_s) ||
        !env_int("FLEETSIM_PUBSUB_LEASE_SECONDS", 30, 2, 3600, &c->lease_s) ||
        !env_int("FLEETSIM_PUBSUB_MAX_ATTEMPTS", 5, 1, 1000, &c->max_attempts) ||
        !env_int("FLEETSIM_PUBSUB_GRACE_SECONDS", 8, 0, 3600, &c->grace_s) ||
        !env_int("FLEETSIM_PUBSUB_RETRY_SECONDS", 10, 1, 600, &c->retry_delay_s))
        return 2;
    /* an audience alone would let in a token any Google account can mint for it */
    if (!c->push_audience != !c->push_service_account) {
        fprintf(stderr, "fleetsim-pubsub: %s is set but %s is not (push authentication needs "
                        "both)\n",
                c->push_audience ? "FLEETSIM_PUSH_AUDIENCE" : "FLEETSIM_PUSH_SERVICE_ACCOUNT",
                c->push_audience ? "FLEETSIM_PUSH_SERVICE_ACCOUNT" : "FLEETSIM_PUSH_AUDIENCE");
        return 2;
    }
    if (!c->database_url) {
        fprintf(stderr, "fleetsim-pubsub: DATABASE_URL is not set (results go to PostgreSQL)\n");
        return 2;
    }
    c->gcs_bucket = env("FLEETSIM_GCS_BUCKET", NULL);
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        return 1;
    int rc;
    if (pull) {
        fsim_error err;
        if (fsim_pubsub_resource_name(getenv("FLEETSIM_PUBSUB_SUBSCRIPTION"), c->project,
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
    if (pull)
        rc = ps_pull_main(&w);
    else
        rc = ps_push_main(&w);
    fsim_store_close(w.store);
    ps_gcs_close(&w);
    pthread_mutex_destroy(&w.store_mu);
    fsim_arena_free(arena);
    return rc;
}
