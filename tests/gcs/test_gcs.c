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
#include "../../core/gcs/gcs_internal.h"

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

/* ---- resumable uploads -------------------------------------------------------------- */

/* The 308's Range header, as the client reads it. */
static void test_range_parse(void)
{
    CHECK(fsim__gcs_parse_range("bytes=0-262143") == 262143, "Range bytes=0-262143: 262143");
    CHECK(fsim__gcs_parse_range("bytes=0-0") == 0, "Range bytes=0-0: one byte persisted");
    CHECK(fsim__gcs_parse_range("bytes=0-") == -1 && fsim__gcs_parse_range("bytes=5-9") == -1 &&
              fsim__gcs_parse_range("bytes=0-12x") == -1 && fsim__gcs_parse_range("") == -1 &&
              fsim__gcs_parse_range("bytes=0--1") == -1 &&
              fsim__gcs_parse_range("bytes=0-99999999999999999999") == -1,
          "malformed or non-prefix Range values count as nothing persisted");
}

static fsim_gcs *small_chunks(const char *host, int attempts)
{
    fsim_gcs_options o = {.emulator_host = host, .max_attempts = attempts,
                          .backoff_initial_s = 0.02, .backoff_max_s = 0.1, .timeout_s = 30,
                          .resumable_threshold = 512u << 10,
                          .chunk_size = 300000 /* rounded down to 256 KiB */};
    fsim_gcs *g = NULL;
    fsim_error err;
    if (fsim_gcs_new(&o, &g, &err) != FSIM_OK) {
        printf("Bail out! fsim_gcs_new: %s\n", err.message);
        exit(1);
    }
    return g;
}

/* Uploads `data` through `g`, downloads it through `plain`: byte-identical (the download
 * checks x-goog-hash), the stored size and checksums those of `data`. */
static void resumable_roundtrip(fsim_gcs *g, fsim_gcs *plain, const char *object,
                                const char *data, size_t len, const char *what,
                                fsim_gcs_object *up)
{
    fsim_error err;
    fsim_error_clear(&err);
    memset(up, 0, sizeof *up);
    fsim_status st = fsim_gcs_upload(g, BUCKET, object, "application/json", data, len, up, &err);
    sink s = {0};
    fsim_status st2 = st ? st : fsim_gcs_download(plain, BUCKET, object, sink_write, &s, NULL, &err);
    CHECK(st == FSIM_OK && st2 == FSIM_OK && s.len == len && memcmp(s.data, data, len) == 0 &&
              up->size == (long long)len,
          "%s: uploaded, stored size %lld, downloaded byte-identical (%s)", what, up->size,
          st || st2 ? err.message : "ok");
    free(s.data);
}

static void test_resumable(fsim_gcs *plain, const char *emu, const char *fake)
{
    size_t len = 2000000; /* 8 chunks of 256 KiB, the last one short */
    char *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (char)('a' + (i * 7919 + i / 4099) % 26);
    uint32_t crc = fsim_crc32c(0, data, len);
    unsigned char be[4] = {(unsigned char)(crc >> 24), (unsigned char)(crc >> 16),
                           (unsigned char)(crc >> 8), (unsigned char)crc};
    char want_crc[16]; /* base64 of the 4 bytes, by hand: an independent check */
    static const char b64c[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    want_crc[0] = b64c[be[0] >> 2];
    want_crc[1] = b64c[((be[0] & 3) << 4) | (be[1] >> 4)];
    want_crc[2] = b64c[((be[1] & 15) << 2) | (be[2] >> 6)];
    want_crc[3] = b64c[be[2] & 63];
    want_crc[4] = b64c[be[3] >> 2];
    want_crc[5] = b64c[(be[3] & 3) << 4];
    want_crc[6] = want_crc[7] = '=';
    want_crc[8] = '\0';

    fsim_gcs *direct = small_chunks(emu, 3);
    fsim_gcs *proxied = small_chunks(fake, 4);
    fsim_gcs_object up;
    resumable_roundtrip(direct, plain, "resumable/direct.json", data, len,
                        "2 MB in 256 KiB chunks, straight to the emulator", &up);
    CHECK_STR(up.crc32c_base64, want_crc, "the stored crc32c is that of the whole object");
    CHECK(up.md5_base64[0] && up.attempts == 1, "md5 reported, one attempt (%d)", up.attempts);

    fake_control("reset=1");
    resumable_roundtrip(proxied, plain, "resumable/counted.json", data, len,
                        "2 MB through the proxy", &up);
    CHECK(fake_stat("sessions") == 1 && fake_stat("chunks") == 8 && fake_stat("queries") == 0,
          "one session, 8 chunk PUTs (chunk_size 300000 rounded down to 256 KiB), no status "
          "query (sessions=%ld chunks=%ld queries=%ld)",
          fake_stat("sessions"), fake_stat("chunks"), fake_stat("queries"));
    fake_control("reset=1");
    fsim_error err;
    fsim_error_clear(&err);
    CHECK(fsim_gcs_upload(proxied, BUCKET, "resumable/small.json", NULL, data, 512u << 10, NULL,
                          &err) == FSIM_OK &&
              fake_stat("sessions") == 0 && fake_stat("chunks") == 0 && fake_stat("proxied") == 1,
          "at the threshold (512 KiB): one request, no session (%s)",
          err.message[0] ? err.message : "ok");

    /* 503 on two chunks (not forwarded): each time the client asks what is persisted,
       then goes on */
    fake_control("reset=1");
    fake_control("fail_chunk=2&status=503");
    resumable_roundtrip(proxied, plain, "resumable/503.json", data, len, "two chunks get 503", &up);
    CHECK(fake_stat("failed") == 2 && fake_stat("queries") == 2 && fake_stat("sessions") == 1 &&
              fake_stat("chunks") == 10 && up.attempts == 3,
          "each 503 is followed by a status query, the chunk is sent again, same session "
          "(failed=%ld queries=%ld chunks=%ld attempts=%d)",
          fake_stat("failed"), fake_stat("queries"), fake_stat("chunks"), up.attempts);

    /* the interrupted case: a chunk stored, but its answer lost. The status query says the
       chunk is there: it is not sent again */
    fake_control("reset=1");
    fake_control("lose_chunk=1");
    resumable_roundtrip(proxied, plain, "resumable/lost.json", data, len,
                        "a chunk's answer lost after it was stored", &up);
    CHECK(fake_stat("lost") == 1 && fake_stat("queries") == 1 && fake_stat("chunks") == 8,
          "resumed from the persisted range, not from what it had sent: 8 chunk PUTs in all "
          "(lost=%ld queries=%ld chunks=%ld)",
          fake_stat("lost"), fake_stat("queries"), fake_stat("chunks"));

    /* half a chunk persisted: the 308's Range decides where the next chunk starts (the
       emulator refuses a chunk that leaves a gap) */
    fake_control("reset=1");
    fake_control("short_chunk=1");
    resumable_roundtrip(proxied, plain, "resumable/short.json", data, len,
                        "a chunk only half persisted", &up);
    CHECK(fake_stat("shortened") == 1 && fake_stat("chunks") == 9 && fake_stat("queries") == 0 &&
              up.attempts == 1,
          "the next chunk starts where Range says: 9 chunk PUTs, no retry counted "
          "(chunks=%ld attempts=%d)",
          fake_stat("chunks"), up.attempts);

    /* the session is gone (410): a new one, from byte 0 */
    fake_control("reset=1");
    fake_control("fail_chunk=1&status=410");
    resumable_roundtrip(proxied, plain, "resumable/410.json", data, len, "session expired (410)",
                        &up);
    CHECK(fake_stat("sessions") == 2 && fake_stat("chunks") == 9,
          "a second session, all 8 chunks again after the refused one (sessions=%ld chunks=%ld)",
          fake_stat("sessions"), fake_stat("chunks"));

    /* the stored object does not match what was sent: a new session */
    fake_control("reset=1");
    fake_control("corrupt=1");
    resumable_roundtrip(proxied, plain, "resumable/corrupt.json", data, len,
                        "stored checksum wrong once", &up);
    CHECK(fake_stat("corrupted") == 1 && fake_stat("sessions") == 2 && up.attempts == 2,
          "a checksum mismatch starts over in a new session (sessions=%ld attempts=%d)",
          fake_stat("sessions"), up.attempts);

    fake_control("reset=1");
    fake_control("fail_chunk=100&status=503");
    fsim_error_clear(&err);
    fsim_status st = fsim_gcs_upload(proxied, BUCKET, "resumable/down.json", NULL, data, len, NULL,
                                     &err);
    CHECK(st == FSIM_IO && strstr(err.message, "resumable upload gave up after 4 attempts") &&
              strstr(err.message, "HTTP 503") && strstr(err.message, "0 of 2000000 bytes"),
          "503 on every chunk: 4 attempts without progress, then FSIM_IO: %s", err.message);

    fake_control("reset=1");
    fake_control("fail_chunk=1&status=403");
    fsim_error_clear(&err);
    st = fsim_gcs_upload(proxied, BUCKET, "resumable/denied.json", NULL, data, len, NULL, &err);
    CHECK(st == FSIM_IO && strstr(err.message, "access denied") && fake_stat("chunks") == 1,
          "403 on a chunk is final: %s", err.message);
    fake_control("reset=1");
    fsim_gcs_free(direct);
    fsim_gcs_free(proxied);
    free(data);
}

/* Compares what arrives with the expected bytes without keeping it. */
typedef struct cmp_sink {
    const char *want;
    size_t len, pos;
    bool same;
} cmp_sink;

static bool cmp_write(void *user, const char *data, size_t len)
{
    cmp_sink *c = user;
    if (c->pos + len > c->len || memcmp(c->want + c->pos, data, len) != 0)
        c->same = false;
    c->pos += len;
    return true;
}

/* 200 MB: over the emulator's 130 MiB limit on one request (HTTP 413 as a single POST),
 * up in 8 MiB chunks with the default settings. */
static void test_large_object(fsim_gcs *plain, const char *emu)
{
    size_t len = 200u * 1000u * 1000u;
    char *data = malloc(len);
    if (!data) {
        CHECK(1, "# SKIP no memory for 200 MB");
        return;
    }
    for (size_t i = 0; i < len; i += 4096) {
        size_t n = len - i < 4096 ? len - i : 4096;
        memset(data + i, 'a' + (int)((i / 4096) % 26), n);
        data[i] = (char)('0' + (i / 4096) % 10);
    }
    fsim_gcs_options o = {.emulator_host = emu, .max_attempts = 2, .backoff_initial_s = 0.02,
                          .timeout_s = 120, .resumable_threshold = (size_t)1 << 40};
    fsim_gcs *single = NULL;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_gcs_new(&o, &single, &err);
    fsim_status st = fsim_gcs_upload(single, BUCKET, "large/single.json", NULL, data, len, NULL,
                                     &err);
    CHECK(st == FSIM_IO && strstr(err.message, "HTTP 413"),
          "200 MB as one request: the emulator refuses it: %s", err.message);
    fsim_gcs_free(single);

    fsim_gcs_object up;
    fsim_error_clear(&err);
    st = fsim_gcs_upload(plain, BUCKET, "large/resumable.json", "application/json", data, len,
                         &up, &err);
    CHECK(st == FSIM_OK && up.size == (long long)len,
          "200 MB with the defaults (resumable, 8 MiB chunks): stored, size %lld: %s", up.size,
          st ? err.message : "ok");
    cmp_sink c = {.want = data, .len = len, .same = true};
    fsim_error_clear(&err);
    st = fsim_gcs_download(plain, BUCKET, "large/resumable.json", cmp_write, &c, NULL, &err);
    CHECK(st == FSIM_OK && c.same && c.pos == len,
          "and it downloads byte-identical, checksums verified (%zu bytes): %s", c.pos,
          st ? err.message : "ok");
    free(data);
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
    test_range_parse();
    test_resumable(g, emu, fake);
    {
        fsim_gcs_options lo = {.emulator_host = emu, .max_attempts = 3,
                               .backoff_initial_s = 0.02, .backoff_max_s = 0.1, .timeout_s = 120};
        fsim_gcs *large = NULL;
        fsim_error lerr;
        fsim_gcs_new(&lo, &large, &lerr);
        test_large_object(large, emu);
        fsim_gcs_free(large);
    }
    test_authenticated();
    test_outages();
    fsim_gcs_free(g);
    fsim_gcs_free(g2);
    fsim_gcs_free(via_fake);
    curl_global_cleanup();
    return check_done();
}
