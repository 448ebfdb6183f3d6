/* fleetsim — a Cloud Storage client (the GCS JSON API over libcurl) for `gcs`-mode results:
 * the worker uploads `simulations/<id>/result.json`, the API streams it back.
 *
 *   upload    POST {base}/upload/storage/v1/b/{bucket}/o?uploadType=media&name={object}
 *             (objects up to `resumable_threshold`, 8 MiB: one request), or resumable:
 *             POST …?uploadType=resumable&name={object} → a session URI (Location), then
 *             PUT chunks of `chunk_size` (8 MiB) with Content-Range: bytes a-b/total; 308
 *             and its Range header say what is persisted, the next chunk starts there
 *   download  GET  {base}/storage/v1/b/{bucket}/o/{object}?alt=media
 *   stat      GET  {base}/storage/v1/b/{bucket}/o/{object}
 * with the object name percent-encoded (a `/` too). An upload is verified: the md5Hash and
 * crc32c that Cloud Storage reports for the stored object must equal those of the bytes we
 * sent, or the attempt counts as failed. A download checks the bytes against x-goog-hash.
 *
 * Retries: HTTP 408, 429 and 5xx, transport failures (refused, reset, timeout) and checksum
 * mismatches are retried with exponential backoff and full jitter (delay drawn from
 * [base·2^k / 2, base·2^k], capped), at most `max_attempts` tries in all; then the last
 * error is returned. A download is retried only while none of its bytes have reached the
 * caller. Other 4xx are final at once. A resumable upload spends the budget on attempts
 * without progress (each persisted chunk starts it afresh): after a failed chunk it asks
 * the session what it holds (PUT, a Content-Range of `*` over the total) and goes on from there; a
 * session answering 404 or 410 has expired and a new one starts from byte 0.
 *
 * Endpoint: with `emulator_host` (STORAGE_EMULATOR_HOST: `host:port` or `http://host:port`)
 * every request goes there in plain HTTP without credentials, as Google's client libraries
 * do; otherwise to https://storage.googleapis.com with a bearer token from `auth`.
 *
 * Errors name the object as `gs://bucket/name` in `err->source` and say what happened:
 * `object not found` (FSIM_NOT_FOUND), `bucket does not exist` (FSIM_NOT_FOUND), `HTTP 403:
 * …` (FSIM_IO), `gave up after 5 attempts: HTTP 503 …` (FSIM_IO), bad names (FSIM_INVALID).
 * Thread-safe: one fsim_gcs may serve many threads at once. */
#ifndef FLEETSIM_GCS_H
#define FLEETSIM_GCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include <fleetsim/error.h>
#include <fleetsim/gcp_auth.h>
#include <fleetsim/wire.h>

typedef struct fsim_gcs_options {
    const char *emulator_host;    /* STORAGE_EMULATOR_HOST; NULL/"" = the real service */
    const char *endpoint;         /* base URL when not emulated; NULL = Google's. For tests
                                     of the authenticated path against a local server */
    fsim_gcp_auth *auth;          /* borrowed, must outlive the client; required unless
                                     emulator_host is set (ignored then) */
    int max_attempts;             /* tries per operation, >= 1; 0 = 5 */
    double backoff_initial_s;     /* first retry delay (upper bound); 0 = 0.5 s */
    double backoff_max_s;         /* cap of one delay; 0 = 16 s */
    long timeout_s;               /* whole-request limit per attempt; 0 = 120 s */
    long connect_timeout_s;       /* 0 = 10 s */
    const atomic_bool *cancel;    /* optional process-wide stop (a shutdown's grace period is
                                     over): a running transfer aborts within about a second,
                                     no retry follows, the operation returns FSIM_CANCELLED */
    size_t resumable_threshold;   /* uploads larger than this many bytes go resumable, in
                                     chunks; 0 = FSIM_GCS_RESUMABLE_THRESHOLD */
    size_t chunk_size;            /* bytes per chunk of a resumable upload, rounded down to a
                                     multiple of 256 KiB (at least 256 KiB); 0 =
                                     FSIM_GCS_CHUNK_SIZE. Tests force small chunks */
} fsim_gcs_options;

#define FSIM_GCS_RESUMABLE_THRESHOLD ((size_t)8 << 20)
#define FSIM_GCS_CHUNK_SIZE ((size_t)8 << 20)
#define FSIM_GCS_CHUNK_QUANTUM ((size_t)256 << 10)

typedef struct fsim_gcs fsim_gcs;

/* What Cloud Storage says about an object (strings empty when it did not say). */
typedef struct fsim_gcs_object {
    long long size;               /* bytes; -1 when unknown */
    char md5_base64[32];          /* md5Hash */
    char crc32c_base64[16];       /* crc32c, big-endian, base64 */
    char generation[32];
    char content_type[128];
    int attempts;                 /* tries the operation took (upload; download once it
                                     has finished): logs can say an upload was retried. A
                                     resumable upload: its failed requests + 1 */
} fsim_gcs_object;

/* Called with the object's bytes, in order; return false to abort (then FSIM_CANCELLED). */
typedef bool (*fsim_gcs_write_fn)(void *user, const char *data, size_t len);

/* Reads the environment into `opts` (the rest zeroed: defaults): STORAGE_EMULATOR_HOST,
 * and the retry budget FLEETSIM_GCS_MAX_ATTEMPTS (1..100) and FLEETSIM_GCS_TIMEOUT_SECONDS
 * (per attempt, 1..3600). FSIM_USAGE naming the variable when one is set to anything but a
 * whole number in range. */
fsim_status fsim_gcs_options_from_env(fsim_gcs_options *opts, fsim_error *err);

/* The client a program uses, from the environment: fsim_gcs_options_from_env over
 * `defaults` (may be NULL; the program's retry budget, backoff, cancel flag — the
 * environment's values win), and without an emulator Google credentials from the
 * environment (core/gcp). *auth gets those credentials (NULL with an emulator): free it
 * after the client. */
fsim_status fsim_gcs_open_env(const fsim_gcs_options *defaults, fsim_gcs **out,
                              fsim_gcp_auth **auth, fsim_error *err);

/* A client. FSIM_INVALID when neither an emulator nor credentials are given. *out is new
 * (fsim_gcs_free). */
fsim_status fsim_gcs_new(const fsim_gcs_options *opts, fsim_gcs **out, fsim_error *err);
/* Accepts NULL. */
void fsim_gcs_free(fsim_gcs *gcs);
/* "http://127.0.0.1:9199 (emulator, no auth)" or "https://storage.googleapis.com". */
const char *fsim_gcs_describe(const fsim_gcs *gcs);

/* Uploads `len` bytes (borrowed) as gs://bucket/object with `content_type` (NULL =
 * application/octet-stream), verifying the stored checksums (of the whole object, also
 * when it went up in chunks); `info` (may be NULL) gets the stored object's metadata.
 * Replaces an existing object of that name. Above `resumable_threshold` bytes the upload is
 * resumable (see the top of this file): no single request carries more than `chunk_size`. */
fsim_status fsim_gcs_upload(fsim_gcs *gcs, const char *bucket, const char *object,
                            const char *content_type, const void *data, size_t len,
                            fsim_gcs_object *info, fsim_error *err);

/* Streams gs://bucket/object to `write`. `info` (may be NULL) is filled from the response
 * headers before the first call of `write` (size, checksums, generation, content type), so
 * the callback can read it. After the last byte the md5/crc32c of what was delivered must
 * match x-goog-hash, else FSIM_IO (the caller has then received bad bytes: it must drop
 * them). */
fsim_status fsim_gcs_download(fsim_gcs *gcs, const char *bucket, const char *object,
                              fsim_gcs_write_fn write, void *user, fsim_gcs_object *info,
                              fsim_error *err);

/* The object's metadata without its bytes. FSIM_NOT_FOUND when there is none. */
fsim_status fsim_gcs_stat(fsim_gcs *gcs, const char *bucket, const char *object,
                          fsim_gcs_object *info, fsim_error *err);

/* ---- results ------------------------------------------------------------------------- */

/* "simulations/<id>/result.json" into buf (FSIM_INVALID when `simulation_id` is not a
 * 36-character id or buf is too small). */
fsim_status fsim_gcs_result_object(const char *simulation_id, char *buf, size_t size,
                                   fsim_error *err);

/* Encodes `result` with the wire codec (compact, as fsim_result_encode) and uploads it as
 * gs://bucket/simulations/<result->simulation_id>/result.json. `uri` (may be NULL) gets
 * "gs://bucket/simulations/<id>/result.json" — what the row's metadata.resultUri holds. */
fsim_status fsim_gcs_upload_result(fsim_gcs *gcs, const char *bucket, const fsim_result *result,
                                   char *uri, size_t uri_size, fsim_gcs_object *info,
                                   fsim_error *err);

/* Splits "gs://bucket/name" into its parts (copied into the buffers). */
fsim_status fsim_gcs_parse_uri(const char *uri, char *bucket, size_t bucket_size, char *object,
                               size_t object_size, fsim_error *err);

/* CRC-32C (Castagnoli) of `len` bytes continuing from `crc` (start with 0): Cloud Storage's
 * checksum. Exposed for tests. */
uint32_t fsim_crc32c(uint32_t crc, const void *data, size_t len);

#endif
