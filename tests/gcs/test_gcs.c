/* core/gcs against Google's Storage emulator (STORAGE_EMULATOR_HOST, from with_storage.sh)
 * and, for faults and the authenticated path, tests/gcs/fake_google.py in front of it
 * (FSIM_FAKE_GOOGLE, from with_fake_google.sh). */
/* CHECK formats its description into a fixed buffer: a long error message may be cut there,
 * which is fine for a test label. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fleetsim/arena.h>
#include <fleetsim/gcs.h>
#include <fleetsim/util.h>
#include <fleetsim/wire.h>

#include "check.h"
#include "fake.h"

#define BUCKET "fleetsim-results"
#define SIM_ID "0b6f5f86-4c1e-4f7e-9a43-2f6a1b7c9e11"

typedef struct sink {
    char *data;
    size_t len, cap;
    size_t calls;
    const fsim_gcs_object *info;     /* to check it is filled before the first write */
    bool info_ready_at_first;
    size_t stop_after;               /* 0: never */
} sink;

static bool sink_write(void *user, const char *data, size_t len)
{
    sink *s = user;
    if (s->calls++ == 0 && s->info)
        s->info_ready_at_first = s->info->size >= 0 && s->info->md5_base64[0];
    if (s->len + len > s->cap) {
        s->cap = (s->len + len) * 2;
        s->data = realloc(s->data, s->cap);
    }
    memcpy(s->data + s->len, data, len);
    s->len += len;
    return !(s->stop_after && s->len >= s->stop_after);
}

static fsim_gcs *client(const char *host, int attempts)
{
    fsim_gcs_options o = {.emulator_host = host, .max_attempts = attempts,
                          .backoff_initial_s = 0.02, .backoff_max_s = 0.1, .timeout_s = 30};
    fsim_gcs *g = NULL;
    fsim_error err;
    if (fsim_gcs_new(&o, &g, &err) != FSIM_OK) {
        printf("Bail out! fsim_gcs_new: %s\n", err.message);
        exit(1);
    }
    return g;
}

static void test_crc32c(void)
{
    CHECK(fsim_crc32c(0, "123456789", 9) == 0xe3069283u, "crc32c check value (RFC 3720)");
    uint32_t part = fsim_crc32c(0, "1234", 4);
    CHECK(fsim_crc32c(part, "56789", 5) == 0xe3069283u, "crc32c continues across chunks");
    CHECK(fsim_crc32c(0, "", 0) == 0, "crc32c of nothing is 0");
}

/* A real result (the wire test's full result, our simulation id) up and back down. */
static void test_result_roundtrip(fsim_gcs *g)
{
    fsim_arena *arena = fsim_arena_new();
    char path[1024];
    snprintf(path, sizeof path, "%s/wire/result_full.json", env_or_die("FSIM_TEST_DATA"));
    char *text = NULL;
    size_t len = 0;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_result *res = NULL;
    if (fsim_read_file(path, arena, &text, &len, &err) != FSIM_OK ||
        fsim_result_decode(text, len, path, 0, arena, &res, &err) != FSIM_OK) {
        printf("Bail out! %s: %s\n", path, err.message);
        exit(1);
    }
    res->simulation_id = SIM_ID;
    size_t want_len = 0;
    char *want = fsim_result_encode(res, 0, &want_len);

    char uri[512] = "";
    fsim_gcs_object up;
    fsim_status st = fsim_gcs_upload_result(g, BUCKET, res, uri, sizeof uri, &up, &err);
    CHECK(st == FSIM_OK, "upload_result: %s", st ? err.message : "ok");
    CHECK_STR(uri, "gs://" BUCKET "/simulations/" SIM_ID "/result.json", "result URI");
    CHECK(up.size == (long long)want_len && up.md5_base64[0] && up.crc32c_base64[0],
          "stored size %lld = encoded %zu, with md5 and crc32c", up.size, want_len);

    char bucket[64], object[256];
    CHECK(fsim_gcs_parse_uri(uri, bucket, sizeof bucket, object, sizeof object, &err) == FSIM_OK &&
              strcmp(bucket, BUCKET) == 0 &&
              strcmp(object, "simulations/" SIM_ID "/result.json") == 0,
          "parse_uri splits bucket and object");

    fsim_gcs_object info;
    sink s = {.info = &info};
    st = fsim_gcs_download(g, bucket, object, sink_write, &s, &info, &err);
    CHECK(st == FSIM_OK, "download: %s", st ? err.message : "ok");
    CHECK(s.len == want_len && want && memcmp(s.data, want, want_len) == 0,
          "downloaded bytes are identical to the codec's encoding (%zu bytes)", s.len);
    CHECK(s.info_ready_at_first, "info (size, md5) is filled before the first write");
    CHECK_STR(info.md5_base64, up.md5_base64, "download reports the stored md5");
    CHECK(strncmp(info.content_type, "application/json", 16) == 0, "content type kept: %s",
          info.content_type);
    fsim_result *back = NULL;
    CHECK(s.data && fsim_result_decode(s.data, s.len, "download", 0, arena, &back, &err) == FSIM_OK &&
              fsim_wire_equal(FSIM_WIRE_RESULT, res, back),
          "downloaded result decodes equal to the original");

    fsim_gcs_object meta;
    st = fsim_gcs_stat(g, bucket, object, &meta, &err);
    CHECK(st == FSIM_OK && meta.size == up.size && strcmp(meta.crc32c_base64, up.crc32c_base64) == 0,
          "stat: same size and crc32c");
    free(s.data);
    free(want);
    fsim_arena_free(arena);
}

static void roundtrip(fsim_gcs *g, const char *object, const char *data, size_t len,
                      const char *what)
{
    fsim_error err;
    fsim_error_clear(&err);
    fsim_gcs_object up;
    fsim_status st = fsim_gcs_upload(g, BUCKET, object, "text/plain", data, len, &up, &err);
    sink s = {0};
    fsim_status st2 = st ? st : fsim_gcs_download(g, BUCKET, object, sink_write, &s, NULL, &err);
    CHECK(st == FSIM_OK && st2 == FSIM_OK && s.len == len && (len == 0 || memcmp(s.data, data, len) == 0),
          "%s: upload and download byte-identical (%s)", what, st || st2 ? err.message : "ok");
    free(s.data);
}

static void test_names_and_sizes(fsim_gcs *g)
{
    const char *names[] = {
        "simulations/with space/result.json",
        "a+b&c=d?e#f%25g;h,i:j@k!l$m'n(o)p*q[r]s~t",
        "unicode/\xc3\xbc\xc3\xb1\xc3\xaf\xc3\xa7\xc3\xb8" "d\xc3\xa9/\xe2\x82\xac.json",
        "double//slash/../dots/./x.json",
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char what[200];
        snprintf(what, sizeof what, "object name \"%s\"", names[i]);
        char body[300];
        int n = snprintf(body, sizeof body, "{\"name\": \"%zu\"}", i);
        roundtrip(g, names[i], body, (size_t)n, what);
    }
    roundtrip(g, "empty.json", "", 0, "empty object");
    size_t big = 3u << 20;
    char *data = malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (char)('a' + (i * 7919) % 26);
    roundtrip(g, "big/3MiB.txt", data, big, "3 MiB object");

    /* streamed in several chunks, and a receiver that stops early */
    sink s = {.stop_after = 100000};
    fsim_error err;
    fsim_error_clear(&err);
    fsim_status st = fsim_gcs_download(g, BUCKET, "big/3MiB.txt", sink_write, &s, NULL, &err);
    CHECK(st == FSIM_CANCELLED && s.len >= 100000 && s.len < big,
          "a receiver returning false stops the download: %s", err.message);
    free(s.data);
    free(data);
}

static void test_errors(fsim_gcs *g, fsim_gcs *via_fake)
{
    fsim_error err;
    sink s = {0};
    fsim_error_clear(&err);
    fsim_status st = fsim_gcs_download(g, BUCKET, "simulations/none/result.json", sink_write, &s,
                                       NULL, &err);
    CHECK(st == FSIM_NOT_FOUND && strcmp(err.source, "gs://" BUCKET "/simulations/none/result.json") == 0 &&
              strstr(err.message, "object not found") && s.len == 0,
          "missing object: FSIM_NOT_FOUND: %s: %s", err.source, err.message);
    fsim_error_clear(&err);
    st = fsim_gcs_stat(g, BUCKET, "nope.json", NULL, &err);
    CHECK(st == FSIM_NOT_FOUND && strstr(err.source, "nope.json"), "stat of a missing object: %s",
          err.message);
    fsim_error_clear(&err);
    st = fsim_gcs_upload(via_fake, "fsim-missing-bucket", "x.json", NULL, "{}", 2, NULL, &err);
    CHECK(st == FSIM_NOT_FOUND && strstr(err.message, "bucket \"fsim-missing-bucket\" does not exist") &&
              strstr(err.source, "gs://fsim-missing-bucket/x.json"),
          "missing bucket: FSIM_NOT_FOUND naming it: %s: %s", err.source, err.message);
    fsim_error_clear(&err);
    st = fsim_gcs_upload(g, "Bad_Bucket!", "x.json", NULL, "{}", 2, NULL, &err);
    CHECK(st == FSIM_INVALID && strstr(err.message, "Bad_Bucket!") && strcmp(err.path, "bucket") == 0,
          "invalid bucket name: FSIM_INVALID before any request: %s", err.message);
    fsim_error_clear(&err);
    st = fsim_gcs_upload(g, BUCKET, "line\nbreak", NULL, "{}", 2, NULL, &err);
    CHECK(st == FSIM_INVALID && strcmp(err.path, "object") == 0, "object name with LF: %s",
          err.message);
    char id[64];
    CHECK(fsim_gcs_result_object("not-an-id", id, sizeof id, &err) == FSIM_INVALID,
          "result object name needs a simulation id");
    fsim_gcs_options none = {0};
    fsim_gcs *g2 = NULL;
    CHECK(fsim_gcs_new(&none, &g2, &err) == FSIM_INVALID && strstr(err.message, "STORAGE_EMULATOR_HOST"),
          "no emulator and no credentials: a clear error: %s", err.message);
}

/* 503 twice, then the emulator answers: the upload retries and succeeds. 503 forever: it
 * gives up after max_attempts with the last reason. */
static void test_retries(fsim_gcs *via_fake)
{
    fsim_error err;
    fsim_error_clear(&err);
    fake_control("reset=1");
    fake_control("fail=2&status=503");
    fsim_gcs_object up = {.attempts = 0};
    fsim_status st = fsim_gcs_upload(via_fake, BUCKET, "retry/a.json", "application/json",
                                     "{\"a\":1}", 7, &up, &err);
    CHECK(st == FSIM_OK, "upload after two 503s succeeds: %s", st ? err.message : "ok");
    CHECK(up.attempts == 3, "and says it took 3 attempts (%d)", up.attempts);
    CHECK(fake_stat("failed") == 2 && fake_stat("proxied") == 1,
          "the fake answered 503 twice, then proxied once (failed=%ld proxied=%ld)",
          fake_stat("failed"), fake_stat("proxied"));

    fake_control("reset=1");
    fake_control("fail=1&status=429");
    sink s = {0};
    st = fsim_gcs_download(via_fake, BUCKET, "retry/a.json", sink_write, &s, NULL, &err);
    CHECK(st == FSIM_OK && s.len == 7 && fake_stat("failed") == 1,
          "download after a 429 succeeds, bytes once: %s", st ? err.message : "ok");
    free(s.data);

    fake_control("reset=1");
    fake_control("fail=100&status=503");
    fsim_error_clear(&err);
    st = fsim_gcs_upload(via_fake, BUCKET, "retry/b.json", NULL, "{}", 2, NULL, &err);
    CHECK(st == FSIM_IO && strstr(err.message, "gave up after 4 attempts") &&
              strstr(err.message, "HTTP 503") && strstr(err.message, "Backend Error") &&
              fake_stat("failed") == 4,
          "503 forever: 4 attempts, then FSIM_IO with the reason: %s", err.message);
    fake_control("reset=1");
    fake_control("fail=1&status=403");
    fsim_error_clear(&err);
    st = fsim_gcs_upload(via_fake, BUCKET, "retry/c.json", NULL, "{}", 2, NULL, &err);
    CHECK(st == FSIM_IO && strstr(err.message, "access denied") && fake_stat("failed") == 1,
          "403 is not retried: %s", err.message);
    fake_control("reset=1");

    /* the stored checksum disagrees once: retried, then verified */
    fake_control("corrupt=1");
    fsim_error_clear(&err);
    st = fsim_gcs_upload(via_fake, BUCKET, "retry/d.json", NULL, "{\"d\":4}", 7, NULL, &err);
    CHECK(st == FSIM_OK && fake_stat("corrupted") == 1 && fake_stat("proxied") == 2,
          "a checksum mismatch is retried (corrupted=%ld proxied=%ld): %s", fake_stat("corrupted"),
          fake_stat("proxied"), st ? err.message : "ok");
    fake_control("corrupt=100");
    fsim_error_clear(&err);
    st = fsim_gcs_upload(via_fake, BUCKET, "retry/e.json", NULL, "{}", 2, NULL, &err);
    CHECK(st == FSIM_IO && strstr(err.message, "checksum mismatch"),
          "a checksum that never matches fails: %s", err.message);
    fake_control("reset=1");
    CHECK(fake_stat("with_auth") == 0, "the emulator path sends no Authorization header");
}

static void *raise_after_300ms(void *flag)
{
    struct timespec ts = {0, 300000000L};
    nanosleep(&ts, NULL);
    atomic_store((atomic_bool *)flag, true);
    return NULL;
}

/* Nothing listens: connection refused is retried, then reported naming the endpoint. The
 * emulator paused (SIGSTOP) past the per-attempt timeout, then resumed: the retry succeeds. */
static void test_outages(void)
{
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%d", closed_port());
    fsim_gcs *down = client(host, 3);
    fsim_error err;
    fsim_error_clear(&err);
    fsim_status st = fsim_gcs_upload(down, BUCKET, "x.json", NULL, "{}", 2, NULL, &err);
    CHECK(st == FSIM_IO && strstr(err.message, "gave up after 3 attempts") &&
              strstr(err.message, "could not reach") && strstr(err.message, host),
          "emulator down: 3 attempts then FSIM_IO: %s", err.message);
    fsim_gcs_free(down);

    const char *pid_s = getenv("FSIM_STORAGE_EMULATOR_PID");
    if (!pid_s) {
        CHECK(1, "# SKIP no emulator pid");
        return;
    }
    pid_t pid = (pid_t)atoi(pid_s);
    fsim_gcs_options o = {.emulator_host = getenv("STORAGE_EMULATOR_HOST"), .max_attempts = 2,
                          .backoff_initial_s = 0.02, .backoff_max_s = 0.05, .timeout_s = 1,
                          .connect_timeout_s = 1};
    fsim_gcs *g = NULL;
    fsim_gcs_new(&o, &g, &err);
    kill(pid, SIGSTOP);
    fsim_error_clear(&err);
    st = fsim_gcs_upload(g, BUCKET, "outage/x.json", NULL, "{}", 2, NULL, &err);
    CHECK(st == FSIM_IO && strstr(err.message, "gave up after 2 attempts"),
          "emulator paused: each attempt times out, then FSIM_IO: %s", err.message);

    /* A shutdown while the emulator hangs: with attempts of 60 s each, only the cancel flag
     * can end the upload early; it must come back as FSIM_CANCELLED, not as an I/O failure. */
    atomic_bool stop = false;
    fsim_gcs_options oc = {.emulator_host = getenv("STORAGE_EMULATOR_HOST"), .max_attempts = 5,
                           .timeout_s = 60, .cancel = &stop};
    fsim_gcs *gc = NULL;
    fsim_gcs_new(&oc, &gc, &err);
    pthread_t raiser;
    pthread_create(&raiser, NULL, raise_after_300ms, &stop);
    fsim_error_clear(&err);
    st = fsim_gcs_upload(gc, BUCKET, "outage/cancelled.json", NULL, "{}", 2, NULL, &err);
    pthread_join(raiser, NULL);
    CHECK(st == FSIM_CANCELLED && strstr(err.message, "shutting down"),
          "emulator hanging, cancel flag raised: the upload stops with FSIM_CANCELLED: %s",
          err.message);
    fsim_error_clear(&err);
    st = fsim_gcs_upload(gc, BUCKET, "outage/cancelled.json", NULL, "{}", 2, NULL, &err);
    CHECK(st == FSIM_CANCELLED, "once cancelled, no new transfer starts");
    fsim_gcs_free(gc);

    kill(pid, SIGCONT);
    fsim_error_clear(&err);
    st = fsim_gcs_upload(g, BUCKET, "outage/x.json", NULL, "{}", 2, NULL, &err);
    CHECK(st == FSIM_OK, "emulator resumed: the next upload succeeds: %s", st ? err.message : "ok");
    fsim_gcs_free(g);
}

/* Not emulated: bearer tokens from a service-account key, against the fake in front of the
 * emulator with auth required. */
static void test_authenticated(void)
{
    char uri[512];
    snprintf(uri, sizeof uri, "%s/token", env_or_die("FSIM_FAKE_GOOGLE"));
    char *json = key_json(env_or_die("FSIM_TEST_KEY_PEM"), uri);
    fsim_gcp_auth_options ao = {.credentials_json = json};
    fsim_gcp_auth *auth = NULL;
    fsim_error err;
    fsim_error_clear(&err);
    if (fsim_gcp_auth_new(&ao, &auth, &err) != FSIM_OK) {
        printf("Bail out! auth: %s\n", err.message);
        exit(1);
    }
    fsim_gcs_options o = {.endpoint = env_or_die("FSIM_FAKE_GOOGLE"), .auth = auth,
                          .max_attempts = 3, .backoff_initial_s = 0.02};
    fsim_gcs *g = NULL;
    fsim_gcs_new(&o, &g, &err);
    fake_control("reset=1");
    fake_control("require_auth=1");
    fsim_status st = fsim_gcs_upload(g, BUCKET, "auth/a.json", NULL, "{\"x\":1}", 7, NULL, &err);
    sink s = {0};
    fsim_status st2 = fsim_gcs_download(g, BUCKET, "auth/a.json", sink_write, &s, NULL, &err);
    CHECK(st == FSIM_OK && st2 == FSIM_OK && s.len == 7 && fake_stat("with_auth") == 2 &&
              fake_stat("without_auth") == 0,
          "with credentials: a bearer token on every request (%s)", st || st2 ? err.message : "ok");
    CHECK(strstr(fsim_gcs_describe(g), "service-account key") != NULL, "describe: %s",
          fsim_gcs_describe(g));
    free(s.data);
    fake_control("require_auth=0");
    fake_control("reset=1");
    fsim_gcs_free(g);
    fsim_gcp_auth_free(auth);
    free(json);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *emu = env_or_die("STORAGE_EMULATOR_HOST");
    const char *fake = env_or_die("FSIM_FAKE_GOOGLE");
    test_crc32c();
    fsim_gcs *g = client(emu, 3);
    char with_scheme[300];
    snprintf(with_scheme, sizeof with_scheme, "http://%s/", emu);
    fsim_gcs *g2 = client(with_scheme, 3);
    CHECK(strstr(fsim_gcs_describe(g), "emulator, no auth") != NULL, "describe: %s",
          fsim_gcs_describe(g));
    fsim_gcs *via_fake = client(fake, 4);
    test_result_roundtrip(g);
    roundtrip(g2, "scheme/x.json", "{}", 2, "STORAGE_EMULATOR_HOST as http://host:port/");
    test_names_and_sizes(g);
    test_errors(g, via_fake);
    test_retries(via_fake);
    test_authenticated();
    test_outages();
    fsim_gcs_free(g);
    fsim_gcs_free(g2);
    fsim_gcs_free(via_fake);
    curl_global_cleanup();
    return check_done();
}
