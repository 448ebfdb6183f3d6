/* fleetsim-pubsub --push with push authentication on, the real binary against a real
 * PostgreSQL (tests/db/with_postgres.sh):
 *
 *   test_push_auth PATH/TO/fleetsim-pubsub
 *
 * The test plays Google: it makes an RSA key pair with OpenSSL now, publishes the public
 * half as a JWKS file (FLEETSIM_PUSH_JWKS) and signs push tokens with it. Every bad token —
 * none, forged signature, expired, wrong aud, wrong iss, alg none, HS256, unknown kid, a
 * valid token of another account — is refused (401, or 403 for the wrong principal) in the
 * one error shape, with a log line saying why that never holds the token, and no row is
 * written; the push subscription's own token runs the job. Bad settings stop the start. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#include <fleetsim/wire.h>

#include "check.h"
#include "harness.h"
#include "jwt_test.h"

#define AUD "https://fleetsim-pubsub-test.a.run.app/"
#define EMAIL "fleetsim-pusher@fsim-test.iam.gserviceaccount.com"

static char logdir[] = "/tmp/fsim-push-auth.XXXXXX";
static EVP_PKEY *key, *other;

/* "Bearer <RS256 token by k under kid>" with the given claims, in the arena. */
static const char *token(EVP_PKEY *k, const char *kid, const char *iss, const char *aud,
                         const char *email, long long iat)
{
    char *h = tjwt_header("RS256", kid);
    char *c = tjwt_claims(iss, aud, email, 1, iat);
    char *t = tjwt_token(h, c, k, NULL);
    char *b = tjwt_bearer(t);
    const char *out = fsim_arena_strdup(arena, b);
    free(h), free(c), free(t), free(b);
    return out;
}

static const char *token_alg(const char *alg, const char *secret, long long now)
{
    char *h = tjwt_header(alg, "k1");
    char *c = tjwt_claims(TJWT_ISS, AUD, EMAIL, 1, now);
    char *t = tjwt_token(h, c, NULL, secret);
    char *b = tjwt_bearer(t);
    const char *out = fsim_arena_strdup(arena, b);
    free(h), free(c), free(t), free(b);
    return out;
}

static size_t rows(void)
{
    fsim_store_page page;
    fsim_error err;
    if (fsim_store_list(store, fleet, NULL, 100, NULL, arena, &page, &err) != FSIM_OK)
        return 999;
    return page.n_items;
}

/* The error code of a reply in the one error shape, or NULL when it is not in it. */
static const char *error_code(const char *reply)
{
    void *out = NULL;
    fsim_error err;
    if (!reply || fsim_wire_decode(FSIM_WIRE_ERROR_RESPONSE, reply, strlen(reply), "reply", 0,
                                   arena, &out, &err) != FSIM_OK)
        return NULL;
    return ((fsim_error_response *)out)->error.code;
}

/* Runs the binary with the given settings until it exits (a bad configuration) or 10 s. */
static int run_briefly(const char *exe, const char *log, const char *const *extra)
{
    pid_t pid = start_worker_env(exe, "--push", log, 1, "worker", extra);
    int status = 0;
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(100 * 1000);
    }
    return stop_worker(pid) + 1000; /* still running: not the refusal we wanted */
}

int main(int argc, char **argv)
{
    if (argc < 2 || !getenv("DATABASE_URL")) {
        printf("1..0 # SKIP needs the worker binary and DATABASE_URL\n");
        return 0;
    }
    const char *exe = argv[1];
    arena = fsim_arena_new();
    if (!mkdtemp(logdir))
        return 1;
    char log[512], jwks[512], bad_log[512];
    snprintf(log, sizeof log, "%s/push.log", logdir);
    snprintf(bad_log, sizeof bad_log, "%s/bad.log", logdir);
    snprintf(jwks, sizeof jwks, "%s/jwks.json", logdir);

    key = tjwt_keygen(2048);
    other = tjwt_keygen(2048);
    {
        const char *kids[] = {"k1"};
        char *text = tjwt_jwks(&key, kids, 1);
        FILE *f = fopen(jwks, "w");
        fputs(text, f);
        fclose(f);
        free(text);
    }
    CHECK(key && other, "test key pairs made with OpenSSL");
    CHECK(setup_store(), "store opens, migrations applied, fleet created");
    const char *request = job_text("job.json");
    if (!request || !key)
        return check_done();

    /* ---- settings that must stop the start ---- */
    const char *only_aud[] = {"FLEETSIM_PUSH_AUDIENCE=" AUD, NULL};
    CHECK(run_briefly(exe, bad_log, only_aud) == 2,
          "an audience without FLEETSIM_PUSH_SERVICE_ACCOUNT ⇒ exit 2");
    char *bad_keys = fsim_arena_sprintf(arena, "FLEETSIM_PUSH_JWKS=%s/none.json", logdir);
    const char *missing[] = {"FLEETSIM_PUSH_AUDIENCE=" AUD, "FLEETSIM_PUSH_SERVICE_ACCOUNT=" EMAIL,
                             bad_keys, NULL};
    CHECK(run_briefly(exe, bad_log, missing) == 2 &&
              count_lines(bad_log, "push authentication", "none.json", NULL) == 1,
          "a key file that cannot be read ⇒ exit 2, the log names it");
    /* fail closed (issue 17): production needs the audience, or an explicit none */
    const char *prod[] = {"FLEETSIM_ENV=production", NULL};
    CHECK(run_briefly(exe, bad_log, prod) == 2 &&
              count_lines(bad_log, "FLEETSIM_PUSH_AUDIENCE", "production", NULL) == 1,
          "production without an audience ⇒ exit 2 naming FLEETSIM_PUSH_AUDIENCE");
    const char *cloud_run[] = {"K_SERVICE=fleetsim-worker", NULL};
    CHECK(run_briefly(exe, bad_log, cloud_run) == 2,
          "on Cloud Run (K_SERVICE set) without an audience ⇒ exit 2");
    const char *bad_mode[] = {"FLEETSIM_PUSH_AUTH=off", NULL};
    CHECK(run_briefly(exe, bad_log, bad_mode) == 2 &&
              count_lines(bad_log, "FLEETSIM_PUSH_AUTH", NULL, NULL) == 1,
          "FLEETSIM_PUSH_AUTH=off (not a choice) ⇒ exit 2 naming it");
    const char *prod_none[] = {"FLEETSIM_ENV=production", "FLEETSIM_PUSH_AUTH=none", NULL};
    pid_t open_pid = start_worker_env(exe, "--push", bad_log, 1, "worker", prod_none);
    CHECK(wait_lines(bad_log, 1, "push authentication is OFF", "WARNING",
                     "FLEETSIM_PUSH_AUTH=none") == 1,
          "production with FLEETSIM_PUSH_AUTH=none: starts, with a WARNING that push is open");
    stop_worker(open_pid);

    /* ---- authentication on ---- */
    char *keys_env = fsim_arena_sprintf(arena, "FLEETSIM_PUSH_JWKS=%s", jwks);
    const char *on[] = {"FLEETSIM_PUSH_AUDIENCE=" AUD, "FLEETSIM_PUSH_SERVICE_ACCOUNT=" EMAIL,
                        keys_env, NULL};
    pid_t w = start_worker_env(exe, "--push", log, 2, "worker", on);
    int port = wait_port(log);
    CHECK(port > 0, "push endpoint listening (port %d)", port);
    CHECK(count_lines(log, "push authentication on", AUD, EMAIL) == 1,
          "start-up line names the audience and the account");
    long long now = (long long)time(NULL);
    const char *body = job_message(request, "db", NULL); /* no id: a run would create a row */
    char *pem = tjwt_public_pem(key);

    struct {
        const char *label, *authz, *claim;
        long status;
    } bad[] = {
        {"no Authorization header", NULL, "no bearer token", 401},
        {"forged signature", token(other, "k1", TJWT_ISS, AUD, EMAIL, now), "signature", 401},
        {"expired", token(key, "k1", TJWT_ISS, AUD, EMAIL, now - 7200), "exp", 401},
        {"wrong audience", token(key, "k1", TJWT_ISS, "https://elsewhere/", EMAIL, now), "aud",
         401},
        {"wrong issuer", token(key, "k1", "https://evil.example", AUD, EMAIL, now), "iss", 401},
        {"alg none", token_alg("none", NULL, now), "alg", 401},
        {"HS256 keyed with the public key", token_alg("HS256", pem, now), "alg",
         401},
        {"unknown kid", token(key, "k2", TJWT_ISS, AUD, EMAIL, now), "kid", 401},
        {"valid token of another account", token(key, "k1", TJWT_ISS, AUD,
                                                  "someone@fsim-test.iam.gserviceaccount.com",
                                                  now),
         "email", 403},
    };
    size_t n_bad = sizeof bad / sizeof *bad;
    for (size_t i = 0; i < n_bad; i++) {
        char mid[32];
        snprintf(mid, sizeof mid, "bad-%zu", i);
        char *reply = NULL;
        long code = post_auth(port, "POST", envelope(body, mid, NULL, false), bad[i].authz, &reply);
        const char *ecode = error_code(reply);
        CHECK(code == bad[i].status && ecode &&
                  strcmp(ecode, bad[i].status == 403 ? "forbidden" : "unauthenticated") == 0,
              "%s ⇒ %ld in the one error shape (got %ld: %s)", bad[i].label, bad[i].status, code,
              reply ? reply : "-");
        char what[64];
        snprintf(what, sizeof what, "push refused with %ld", bad[i].status);
        CHECK(wait_lines(log, 1, what, bad[i].claim, NULL) >= 1, "%s: the log says why (%s)",
              bad[i].label, bad[i].claim);
        free(reply);
    }
    /* the tokens' signatures must appear nowhere in the log */
    int leaked = 0;
    for (size_t i = 0; i < n_bad; i++) {
        const char *dot = bad[i].authz ? strrchr(bad[i].authz, '.') : NULL;
        if (dot && strlen(dot) > 25) {
            char piece[25];
            memcpy(piece, dot + 1, 24);
            piece[24] = '\0';
            leaked += count_lines(log, piece, NULL, NULL);
        }
    }
    CHECK(leaked == 0, "no log line holds a token (%d do)", leaked);
    CHECK(rows() == 0, "nine refused pushes wrote no row (%zu)", rows());
    CHECK(post(port, "GET", NULL) == 405 && post_auth(port, "POST", "{}", NULL, NULL) == 401,
          "the token is checked before the envelope is looked at");

    /* the push subscription's own token */
    char *reply = NULL;
    long code = post_auth(port, "POST", envelope(body, "good-1", NULL, false),
                          token(key, "k1", TJWT_ISS, AUD, EMAIL, now), &reply);
    CHECK(code == 200, "the push subscription's token ⇒ 200 (got %ld: %s)", code,
          reply ? reply : "-");
    free(reply);
    fsim_store_page page;
    fsim_error err;
    const char *id = NULL;
    if (fsim_store_list(store, fleet, NULL, 10, NULL, arena, &page, &err) == FSIM_OK &&
        page.n_items == 1)
        id = page.items[0].id;
    CHECK(id && wait_final(id) == FSIM_RUN_SUCCEEDED, "its job ran and succeeded (one row)");
    CURL *h = curl_easy_init();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", port);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    char *health = NULL;
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &health);
    long hc = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &hc);
    curl_easy_cleanup(h);
    free(health);
    CHECK(hc == 200, "GET /healthz needs no token (Cloud Run's probes have none)");
    CHECK(stop_worker(w) == 0, "SIGTERM ⇒ exit 0");

    free(pem);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
    fsim_store_close(store);
    fsim_arena_free(arena);
    if (check__failed == 0) {
        unlink(log);
        unlink(bad_log);
        unlink(jwks);
        rmdir(logdir);
    } else {
        printf("# worker logs kept in %s\n", logdir);
    }
    return check_done();
}
