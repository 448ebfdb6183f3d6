/* The Pub/Sub client's real-service path, offline: a TLS channel whose every call carries
 * `authorization: Bearer <token>` from core/gcp (fsim_gcp_auth), against the pstest fake
 * serving TLS and refusing calls without a token it knows (tests/fakes/with_pubsub.sh with
 * FSIM_PUBSUB_FAKE_TLS=1), with tokens from tests/gcs/fake_google.py's token endpoint (a
 * service-account key made at test time) and metadata server. Bad keys fail at open, naming
 * the variable; a token endpoint that refuses the key fails the call with its reason. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#include <stdlib.h>
#include <string.h>

#include <fleetsim/pubsub.h>

#include "check.h"
#include "fake.h"

static const char *topic = "projects/fsim-test/topics/tls";
static const char *sub = "projects/fsim-test/subscriptions/tls";

static fsim_pubsub *open_with(const fsim_gcp_auth_options *ao, fsim_error *err)
{
    fsim_pubsub_options po = {.emulator_host = "", /* the real-service path, even if set */
                              .endpoint = env_or_die("FSIM_PUBSUB_TLS_HOST"),
                              .auth = ao,
                              .timeout_ms = 15000};
    fsim_pubsub *ps = NULL;
    return fsim_pubsub_open(&po, &ps, err) == FSIM_OK ? ps : NULL;
}

static fsim_status publish_one(fsim_pubsub *ps, const char *text, fsim_arena *arena,
                               fsim_error *err)
{
    fsim_pubsub_message m = {.data = text, .len = strlen(text)};
    const char **ids;
    return fsim_pubsub_publish(ps, topic, &m, 1, arena, &ids, err);
}

int main(void)
{
    if (!getenv("FSIM_PUBSUB_TLS_HOST") || !getenv("FSIM_FAKE_GOOGLE")) {
        printf("1..0 # SKIP run under with_fake_google.sh and FSIM_PUBSUB_FAKE_TLS=1 "
               "with_pubsub.sh\n");
        return 0;
    }
    /* trust the fake's certificate: gRPC reads this once, before its first channel */
    setenv("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", env_or_die("FSIM_PUBSUB_TLS_CA"), 1);
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    char token_uri[512];
    snprintf(token_uri, sizeof token_uri, "%s/token", env_or_die("FSIM_FAKE_GOOGLE"));
    char *key = key_json(env_or_die("FSIM_TEST_KEY_PEM"), token_uri);

    /* ---- a service-account key: token exchange at the fake endpoint, then TLS calls ---- */
    fsim_gcp_auth_options ao = {.credentials_json = key};
    fsim_pubsub *ps = open_with(&ao, &err);
    CHECK(ps != NULL, "TLS client with a service-account key opens: %s", ps ? "" : err.message);
    if (!ps)
        return check_done();
    bool emulator = true;
    const char *target = fsim_pubsub_target(ps, &emulator);
    CHECK(!emulator && strcmp(target, getenv("FSIM_PUBSUB_TLS_HOST")) == 0,
          "the channel is the real-service kind (TLS) to %s", target);
    const char *creds = fsim_pubsub_credentials(ps);
    CHECK(creds && strstr(creds, "service-account key") &&
              strstr(creds, getenv("FSIM_TEST_SA_EMAIL")),
          "credentials come from the shared helper: %s", creds ? creds : "-");
    fsim_error_clear(&err);
    bool made = fsim_pubsub_create_topic(ps, topic, NULL, &err) == FSIM_OK &&
                fsim_pubsub_create_subscription(ps, sub, topic, 10, NULL, &err) == FSIM_OK;
    CHECK(made, "CreateTopic, CreateSubscription over TLS with the bearer token %s",
          err.message);
    int published = 0;
    for (int i = 0; i < 3; i++)
        published += publish_one(ps, "{\"tls\":true}", arena, &err) == FSIM_OK;
    CHECK(published == 3, "three Publish calls accepted (the fake wants Bearer tok-…)");
    fsim_pubsub_message *msgs;
    size_t n = 0;
    size_t got = 0;
    for (int i = 0; i < 20 && got < 3; i++) {
        if (fsim_pubsub_pull(ps, sub, 10, true, arena, &msgs, &n, &err) != FSIM_OK)
            break;
        for (size_t k = 0; k < n; k++)
            fsim_pubsub_ack(ps, sub, &msgs[k].ack_id, 1, &err);
        got += n;
    }
    CHECK(got == 3, "Pull and Acknowledge over TLS: the three messages came back (%zu)", got);
    CHECK(fake_stat("token_requests") == 1 && fake_stat("issued") == 1,
          "one token exchange for every call so far (the plugin reads the shared cache)");
    fsim_pubsub_close(ps);

    /* ---- the metadata server (Cloud Run) ---- */
    fsim_gcp_auth_options meta = {.metadata_host = env_or_die("FSIM_FAKE_GOOGLE")};
    ps = open_with(&meta, &err);
    fsim_status st = ps ? publish_one(ps, "{\"meta\":true}", arena, &err) : FSIM_INTERNAL;
    CHECK(st == FSIM_OK && fake_stat("metadata_requests") == 1,
          "tokens from the metadata server: Publish accepted (%s)", st ? err.message : "ok");
    creds = ps ? fsim_pubsub_credentials(ps) : NULL;
    CHECK(creds && strstr(creds, "metadata server"), "it says so: %s", creds ? creds : "-");
    fsim_pubsub_close(ps);

    /* ---- failures ---- */
    char *wrong = key_json(env_or_die("FSIM_TEST_OTHER_KEY_PEM"), token_uri);
    fsim_gcp_auth_options wrong_ao = {.credentials_json = wrong};
    ps = open_with(&wrong_ao, &err);
    st = ps ? publish_one(ps, "{}", arena, &err) : FSIM_INTERNAL;
    CHECK(ps && st != FSIM_OK && strstr(err.message, "Invalid JWT Signature") &&
              !strstr(err.message, "PRIVATE KEY"),
          "a key the token endpoint refuses: the call fails with its reason (%s: %s)",
          fsim_status_name(st), err.message);
    fsim_pubsub_close(ps);
    free(wrong);

    fsim_gcp_auth_options down = {.metadata_host = "127.0.0.1:9"};
    ps = open_with(&down, &err);
    st = ps ? publish_one(ps, "{}", arena, &err) : FSIM_INTERNAL;
    CHECK(ps && fsim_pubsub_transient(st) && strstr(err.message, "127.0.0.1:9"),
          "no metadata server: a transient failure naming it (%s: %s)", fsim_status_name(st),
          err.message);
    fsim_pubsub_close(ps);

    fsim_gcp_auth_options bad = {.credentials_json = "{\"type\": \"service_account\", "
                                                     "\"client_email\": \"a@b\", "
                                                     "\"private_key\": \"not a key\"}"};
    ps = open_with(&bad, &err);
    CHECK(!ps && strcmp(err.source, "FLEETSIM_GCP_CREDENTIALS_JSON") == 0 &&
              strcmp(err.path, "private_key") == 0,
          "a bad key fails at open, naming the variable and the field (%s: %s: %s)", err.source,
          err.path, err.message);
    fsim_pubsub_close(ps);
    fsim_gcp_auth_options nofile = {.credentials_file = "/nonexistent/key.json"};
    ps = open_with(&nofile, &err);
    CHECK(!ps && strstr(err.source, "GOOGLE_APPLICATION_CREDENTIALS") &&
              strstr(err.source, "/nonexistent/key.json"),
          "a missing key file fails at open, naming the variable and the path (%s)", err.source);
    fsim_pubsub_close(ps);

    free(key);
    fsim_arena_free(arena);
    return check_done();
}
