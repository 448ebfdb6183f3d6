/* Cloud Storage JSON API client over libcurl: verified uploads, streamed downloads, bounded
 * retries with jittered exponential backoff. See fleetsim/gcs.h. */
#include <fleetsim/gcs.h>
#include <fleetsim/lazy.h>
#include <fleetsim/settings.h>
#include <fleetsim/util.h>

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "gcs_internal.h"

#define GOOGLE_STORAGE "https://storage.googleapis.com"
#define MAX_ERROR_BODY (64u * 1024u)
#define MAX_META_BODY (1u << 20)

struct fsim_gcs {
    char *base;                 /* "http://127.0.0.1:9199", "https://storage.googleapis.com" */
    char *describe;
    fsim_gcp_auth *auth;        /* NULL with an emulator */
    int max_attempts;
    double backoff_initial_s, backoff_max_s;
    long timeout_s, connect_timeout_s;
    const atomic_bool *cancel;  /* may be NULL */
    size_t resumable_threshold; /* above: resumable upload */
    size_t chunk_size;          /* a multiple of FSIM_GCS_CHUNK_QUANTUM */
};

/* ---- checksums ----------------------------------------------------------------------- */

/* Debian ships no C library for CRC-32C (only a Python one), so: the classic byte-wise
 * table of the reflected Castagnoli polynomial, built once. Results are a few MB at most;
 * speed does not matter here. */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static void crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0x82f63b78u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

uint32_t fsim_crc32c(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&crc_once, crc_init);
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = (crc >> 8) ^ crc_table[(crc ^ p[i]) & 0xff];
    return ~crc;
}

/* Cloud Storage's forms: md5Hash = base64 of the 16 digest bytes, crc32c = base64 of the
 * 4 bytes big-endian. */
static void b64(const unsigned char *data, size_t len, char *out, size_t size)
{
    if (4 * ((len + 2) / 3) + 1 > size) {
        out[0] = '\0';
        return;
    }
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
}

static void crc_b64(uint32_t crc, char out[16])
{
    unsigned char be[4] = {(unsigned char)(crc >> 24), (unsigned char)(crc >> 16),
                           (unsigned char)(crc >> 8), (unsigned char)crc};
    b64(be, 4, out, 16);
}

/* Running digests of the bytes sent or received. */
typedef struct digest {
    EVP_MD_CTX *md5;
    uint32_t crc;
} digest;

static bool digest_init(digest *d)
{
    d->crc = 0;
    d->md5 = EVP_MD_CTX_new();
    return d->md5 && EVP_DigestInit_ex(d->md5, EVP_md5(), NULL) == 1;
}

static void digest_update(digest *d, const void *data, size_t len)
{
    EVP_DigestUpdate(d->md5, data, len);
    d->crc = fsim_crc32c(d->crc, data, len);
}

static void digest_final(digest *d, char md5_out[32], char crc_out[16])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(d->md5, md, &n);
    b64(md, n, md5_out, 32);
    crc_b64(d->crc, crc_out);
}

static void digest_release(digest *d)
{
    EVP_MD_CTX_free(d->md5);
    d->md5 = NULL;
}

/* ---- small helpers ------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}


/* strlcpy: copies what fits, always terminated. */
static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static bool is_set(const char *s)
{
    return s && *s;
}

/* Bucket names (Cloud Storage's rules, the subset that matters here): 3..222 characters of
 * a-z 0-9 - _ . starting and ending with a letter or digit. Checked before any request so
 * the error is about the name, not an HTTP 400. */
static bool bucket_name_ok(const char *b)
{
    size_t n = strlen(b);
    if (n < 3 || n > 222)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-' && c != '_' && c != '.')
            return false;
        if ((i == 0 || i == n - 1) && !alnum)
            return false;
    }
    return true;
}

/* Object names: 1..1024 bytes of UTF-8 without CR or LF (Cloud Storage's rules), not "."
 * or "..". */
static bool object_name_ok(const char *o)
{
    size_t n = strlen(o);
    if (n == 0 || n > 1024 || strcmp(o, ".") == 0 || strcmp(o, "..") == 0)
        return false;
    const unsigned char *p = (const unsigned char *)o;
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if (len == 0 || i + len > n || c == '\r' || c == '\n')
            return false;
        for (size_t k = 1; k < len; k++)
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

static fsim_status check_names(const char *bucket, const char *object, const char *where,
                               fsim_error *err)
{
    if (!bucket || !bucket_name_ok(bucket))
        return fsim_error_set(err, FSIM_INVALID, where, 0, 0, "bucket",
                              "invalid bucket name \"%.230s\" (3 to 222 characters: a-z, 0-9, "
                              "'-', '_', '.')",
                              bucket ? bucket : "");
    if (!object || !object_name_ok(object))
        return fsim_error_set(err, FSIM_INVALID, where, 0, 0, "object",
                              "invalid object name (1 to 1024 bytes of UTF-8, no CR or LF)");
    return FSIM_OK;
}

static bool cancelled(const fsim_gcs *gcs)
{
    return gcs->cancel && atomic_load(gcs->cancel);
}

/* A random delay in [d/2, d] ("equal jitter"): retries of many workers spread out but still
 * back off. getrandom never blocks for a few bytes after boot. Slept in slices of at most
 * 100 ms, so a shutdown (gcs->cancel) does not wait for a long backoff. */
static void backoff_sleep(const fsim_gcs *gcs, int retry)
{
    double d = gcs->backoff_initial_s;
    for (int i = 0; i < retry && d < gcs->backoff_max_s; i++)
        d *= 2;
    if (d > gcs->backoff_max_s)
        d = gcs->backoff_max_s;
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (uint32_t)rand();
    d = d / 2 + d / 2 * ((double)r / 4294967295.0);
    while (d > 0 && !cancelled(gcs)) {
        double slice = d < 0.1 ? d : 0.1;
        struct timespec ts = {0, (long)(slice * 1e9)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
        d -= slice;
    }
}

/* libcurl's progress callback, called about once a second even while nothing moves: a
 * non-zero return aborts the transfer (CURLE_ABORTED_BY_CALLBACK). */
static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return cancelled(user) ? 1 : 0;
}

/* ---- one HTTP attempt ---------------------------------------------------------------- */

typedef struct attempt {
    long http;                       /* 0: no response */
    CURLcode rc;
    char curl_err[CURL_ERROR_SIZE];
    /* the response body when it is not streamed (metadata JSON, errors) */
    char *body;
    size_t body_len, body_cap, body_limit;
    /* streaming (download) */
    fsim_gcs_write_fn write;
    void *user;
    size_t delivered;
    bool cancelled;
    digest dg;
    /* headers of the final response */
    fsim_gcs_object hdr;
    bool have_hash_md5, have_hash_crc;
    char location[2048];             /* a resumable session's URI ("" when none) */
    long long range_end;             /* Range: bytes=0-N of a 308; -1 when absent */
} attempt;

static void attempt_reset(attempt *a)
{
    free(a->body);
    a->body = NULL;
    a->body_len = a->body_cap = 0;
    a->http = 0;
    a->rc = CURLE_OK;
    a->curl_err[0] = '\0';
    memset(&a->hdr, 0, sizeof a->hdr);
    a->hdr.size = -1;
    a->have_hash_md5 = a->have_hash_crc = false;
    a->location[0] = '\0';
    a->range_end = -1;
}

static bool buffer_append(attempt *a, const char *data, size_t n)
{
    if (a->body_len + n + 1 > a->body_limit)
        n = a->body_len + 1 < a->body_limit ? a->body_limit - a->body_len - 1 : 0;
    return fsim_buf_append(&a->body, &a->body_len, &a->body_cap, data, n);
}

/* Copies a header value (trimmed) into dst. */
static void header_value(const char *v, size_t n, char *dst, size_t size)
{
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    snprintf(dst, size, "%.*s", (int)n, v);
}

/* The last persisted byte of a resumable session from its 308's Range header,
 * "bytes=0-N" (Cloud Storage always reports a prefix): N, or -1 when the value is not of
 * that form (then nothing counts as persisted). Internal, exposed for the unit test. */
long long fsim__gcs_parse_range(const char *v)
{
    if (strncmp(v, "bytes=0-", 8) != 0)
        return -1;
    const char *p = v + 8;
    if (*p < '0' || *p > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(p, &end, 10);
    if (errno || *end != '\0' || n < 0)
        return -1;
    return n;
}

/* Keeps what we need of the response headers. A new status line (a redirect, a 100
 * Continue) starts over, so what is kept belongs to the final response. x-goog-hash may
 * come once with both values or once per value. */
static size_t on_header(char *line, size_t size, size_t nmemb, void *user)
{
    attempt *a = user;
    size_t n = size * nmemb;
    if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        memset(&a->hdr, 0, sizeof a->hdr);
        a->hdr.size = -1;
        a->have_hash_md5 = a->have_hash_crc = false;
        a->location[0] = '\0';
        a->range_end = -1;
        return n;
    }
    const char *colon = memchr(line, ':', n);
    if (!colon)
        return n;
    size_t klen = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vlen = n - klen - 1;
    char val[2048];
    header_value(v, vlen, val, sizeof val);
    if (klen == 11 && strncasecmp(line, "x-goog-hash", 11) == 0) {
        char *save = NULL;
        for (char *tok = strtok_r(val, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ')
                tok++;
            if (strncmp(tok, "md5=", 4) == 0) {
                copy_str(a->hdr.md5_base64, sizeof a->hdr.md5_base64, tok + 4);
                a->have_hash_md5 = true;
            } else if (strncmp(tok, "crc32c=", 7) == 0) {
                copy_str(a->hdr.crc32c_base64, sizeof a->hdr.crc32c_base64, tok + 7);
                a->have_hash_crc = true;
            }
        }
    } else if (klen == 14 && strncasecmp(line, "content-length", 14) == 0) {
        a->hdr.size = strtoll(val, NULL, 10);
    } else if (klen == 17 && strncasecmp(line, "x-goog-generation", 17) == 0) {
        copy_str(a->hdr.generation, sizeof a->hdr.generation, val);
    } else if (klen == 12 && strncasecmp(line, "content-type", 12) == 0) {
        copy_str(a->hdr.content_type, sizeof a->hdr.content_type, val);
    } else if (klen == 8 && strncasecmp(line, "location", 8) == 0) {
        copy_str(a->location, sizeof a->location, val);
    } else if (klen == 5 && strncasecmp(line, "range", 5) == 0) {
        a->range_end = fsim__gcs_parse_range(val);
    }
    return n;
}

/* Body bytes: a 2xx download goes to the caller (and the digests); anything else is kept,
 * bounded, for the error message or the metadata JSON. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *user_)
{
    void **ctx = user_;
    attempt *a = ctx[0];
    CURL *h = ctx[1];
    fsim_gcs_object *info = ctx[2];
    size_t n = size * nmemb;
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (a->write && code >= 200 && code < 300) {
        if (a->delivered == 0 && info)
            *info = a->hdr;
        digest_update(&a->dg, data, n);
        if (!a->write(a->user, data, n)) {
            a->cancelled = true;
            return 0;
        }
        a->delivered += n;
        return n;
    }
    return buffer_append(a, data, n) ? n : 0;
}

/* Performs one request. `upload` (may be NULL) is the POST body. Authorization comes from
 * gcs->auth unless emulated. Returns FSIM_OK when a response (any status) arrived or the
 * transport failed (a->http == 0, a->rc set): both are judged by the caller. Other statuses
 * (out of memory, a token problem) are returned as they are. */
static fsim_status perform_with(fsim_gcs *gcs, const char *method, const char *url,
                                const char *content_type, const void *upload, size_t upload_len,
                                const char *const *extra, attempt *a, fsim_gcs_object *info,
                                const char *where, fsim_error *err)
{
    if (cancelled(gcs))
        return fsim_error_set(err, FSIM_CANCELLED, where, 0, 0, NULL,
                              "stopped before completion: the process is shutting down");
    fsim_status st = FSIM_OK;
    struct curl_slist *headers = NULL;
    char *auth_header = NULL, *ctype = NULL;
    CURL *h = curl_easy_init();
    if (!h)
        return fsim_error_set(err, FSIM_NOMEM, where, 0, 0, NULL, "could not create an HTTP handle");
    attempt_reset(a);

    if (gcs->auth) {
        char token[FSIM_GCP_TOKEN_MAX];
        if ((st = fsim_gcp_auth_token(gcs->auth, token, sizeof token, err)) != FSIM_OK)
            goto out;
        auth_header = fsim_printf_alloc("Authorization: Bearer %s", token);
        memset(token, 0, sizeof token);
        if (!auth_header || !(headers = curl_slist_append(headers, auth_header)))
            goto nomem;
    }
    if (upload) {
        ctype = fsim_printf_alloc("Content-Type: %s", content_type ? content_type : "application/octet-stream");
        struct curl_slist *t;
        if (!ctype || !(t = curl_slist_append(headers, ctype)))
            goto nomem;
        headers = t;
        /* no 100-continue round trip: the body is small and retried as a whole anyway */
        if (!(t = curl_slist_append(headers, "Expect:")))
            goto nomem;
        headers = t;
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, upload_len ? upload : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)upload_len);
    }
    for (size_t i = 0; extra && extra[i]; i++) {
        struct curl_slist *t = curl_slist_append(headers, extra[i]);
        if (!t)
            goto nomem;
        headers = t;
    }
    void *ctx[3] = {a, h, info};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, gcs->timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, gcs->connect_timeout_s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, a->curl_err);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)ctx);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    /* the body as stored: no transparent decompression, the checksums are of those bytes */
    curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    if (gcs->cancel) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, gcs);
    }

    a->rc = curl_easy_perform(h);
    if (a->rc == CURLE_ABORTED_BY_CALLBACK && cancelled(gcs)) {
        st = fsim_error_set(err, FSIM_CANCELLED, where, 0, 0, NULL,
                            "stopped mid-transfer: the process is shutting down");
        goto out;
    }
    /* 0 when nothing came back; a status with a failed rc: the transfer broke mid-body */
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->http);
    goto out;
nomem:
    st = fsim_error_set(err, FSIM_NOMEM, where, 0, 0, NULL, "out of memory");
out:
    if (auth_header) {
        memset(auth_header, 0, strlen(auth_header));
        free(auth_header);
    }
    free(ctype);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    return st;
}

static fsim_status perform(fsim_gcs *gcs, const char *method, const char *url,
                           const char *content_type, const void *upload, size_t upload_len,
                           attempt *a, fsim_gcs_object *info, const char *where, fsim_error *err)
{
    return perform_with(gcs, method, url, content_type, upload, upload_len, NULL, a, info, where,
                        err);
}

static bool retryable_http(long code)
{
    return code == 408 || code == 429 || code >= 500;
}

/* The service's own error text: {"error": {"message": …}} (JSON API) or a short plain
 * body (the emulator's alt=media 404). */
static void error_text(const attempt *a, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!a->body || !a->body_len)
        return;
    cJSON *root = cJSON_ParseWithLength(a->body, a->body_len);
    const cJSON *e = root ? cJSON_GetObjectItemCaseSensitive(root, "error") : NULL;
    const cJSON *m = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "message") : NULL;
    if (cJSON_IsString(m))
        snprintf(buf, size, "%s", m->valuestring);
    else if (!root && a->body_len < 300)
        snprintf(buf, size, "%.*s", (int)a->body_len, a->body);
    cJSON_Delete(root);
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

/* Describes a failed attempt (transport or HTTP) into `msg`. */
static void attempt_message(const fsim_gcs *gcs, const attempt *a, char *msg, size_t size)
{
    if (a->rc != CURLE_OK && a->http == 0) {
        snprintf(msg, size, "could not reach %s: %s", gcs->base,
                 a->curl_err[0] ? a->curl_err : curl_easy_strerror(a->rc));
        return;
    }
    char text[400];
    error_text(a, text, sizeof text);
    if (a->rc != CURLE_OK)
        snprintf(msg, size, "HTTP %ld, then the transfer failed: %s", a->http,
                 a->curl_err[0] ? a->curl_err : curl_easy_strerror(a->rc));
    else
        snprintf(msg, size, "HTTP %ld%s%s", a->http, text[0] ? ": " : "", text);
}

/* A final (non-retried) HTTP error as a status and message. A 404's text tells a missing
 * bucket ("The specified bucket does not exist.") from a missing object. */
static fsim_status final_http_error(const fsim_gcs *gcs, const attempt *a, const char *bucket,
                                    const char *where, fsim_error *err)
{
    char text[400], msg[600];
    error_text(a, text, sizeof text);
    if (a->http == 404) {
        if (strstr(text, "bucket") || strstr(text, "Bucket"))
            return fsim_error_set(err, FSIM_NOT_FOUND, where, 0, 0, NULL,
                                  "bucket \"%s\" does not exist", bucket);
        return fsim_error_set(err, FSIM_NOT_FOUND, where, 0, 0, NULL, "object not found");
    }
    attempt_message(gcs, a, msg, sizeof msg);
    if (a->http == 401 || a->http == 403)
        return fsim_error_set(err, FSIM_IO, where, 0, 0, NULL,
                              "access denied (%s); check the service account's roles on the bucket",
                              msg);
    return fsim_error_set(err, a->http == 400 ? FSIM_INVALID : FSIM_IO, where, 0, 0, NULL, "%s",
                          msg);
}

/* ---- client -------------------------------------------------------------------------- */

fsim_status fsim_gcs_options_from_env(fsim_gcs_options *opts, fsim_error *err)
{
    memset(opts, 0, sizeof *opts);
    opts->emulator_host = fsim_setting_text(FSIM_SETTING_STORAGE_EMULATOR_HOST);
    long attempts = 0, timeout = 0;
    fsim_status st = fsim_setting_int(FSIM_SETTING_GCS_MAX_ATTEMPTS, 0, &attempts, err);
    if (st == FSIM_OK)
        st = fsim_setting_int(FSIM_SETTING_GCS_TIMEOUT_SECONDS, 0, &timeout, err);
    opts->max_attempts = (int)attempts;
    opts->timeout_s = timeout;
    return st;
}

fsim_status fsim_gcs_open_env(const fsim_gcs_options *defaults, fsim_gcs **out,
                              fsim_gcp_auth **auth, fsim_error *err)
{
    *out = NULL;
    *auth = NULL;
    fsim_gcs_options o;
    fsim_status st = fsim_gcs_options_from_env(&o, err);
    if (st != FSIM_OK)
        return st;
    if (defaults) {
        int attempts = o.max_attempts;
        long timeout = o.timeout_s;
        const char *emulator = o.emulator_host;
        o = *defaults;
        o.emulator_host = emulator;
        if (attempts)
            o.max_attempts = attempts;
        if (timeout)
            o.timeout_s = timeout;
    }
    if (!is_set(o.emulator_host)) {
        fsim_gcp_auth_options ao;
        fsim_gcp_auth_options_from_env(&ao);
        st = fsim_gcp_auth_new(&ao, auth, err);
        if (st != FSIM_OK)
            return st;
        o.auth = *auth;
    }
    st = fsim_gcs_new(&o, out, err);
    if (st != FSIM_OK) {
        fsim_gcp_auth_free(*auth);
        *auth = NULL;
    }
    return st;
}

fsim_status fsim_gcs_new(const fsim_gcs_options *opts, fsim_gcs **out, fsim_error *err)
{
    *out = NULL;
    if (fsim_lazy_need(FSIM_LAZY_CURL, "Cloud Storage", err) != FSIM_OK ||
        fsim_lazy_need(FSIM_LAZY_CRYPTO, "Cloud Storage", err) != FSIM_OK)
        return FSIM_INTERNAL;
    pthread_once(&curl_once, curl_init_once);
    if (!is_set(opts->emulator_host) && !opts->auth)
        return fsim_error_set(err, FSIM_INVALID, "Cloud Storage", 0, 0, NULL,
                              "no credentials: set STORAGE_EMULATOR_HOST for a local emulator, "
                              "or give a service account (see docs/environment.md)");
    fsim_gcs *gcs = calloc(1, sizeof *gcs);
    if (!gcs)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    if (is_set(opts->emulator_host)) {
        const char *h = opts->emulator_host;
        gcs->base = fsim_printf_alloc("%s%s", strstr(h, "://") ? "" : "http://", h);
    } else {
        gcs->base = fsim_printf_alloc("%s", is_set(opts->endpoint) ? opts->endpoint : GOOGLE_STORAGE);
        gcs->auth = opts->auth;
    }
    if (gcs->base) {
        size_t n = strlen(gcs->base);
        while (n > 0 && gcs->base[n - 1] == '/')
            gcs->base[--n] = '\0';
        gcs->describe = gcs->auth ? fsim_printf_alloc("%s (%s)", gcs->base, fsim_gcp_auth_describe(gcs->auth))
                                  : fsim_printf_alloc("%s (emulator, no auth)", gcs->base);
    }
    if (!gcs->base || !gcs->describe) {
        fsim_gcs_free(gcs);
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    }
    gcs->max_attempts = opts->max_attempts > 0 ? opts->max_attempts : 5;
    gcs->backoff_initial_s = opts->backoff_initial_s > 0 ? opts->backoff_initial_s : 0.5;
    gcs->backoff_max_s = opts->backoff_max_s > 0 ? opts->backoff_max_s : 16;
    gcs->timeout_s = opts->timeout_s > 0 ? opts->timeout_s : 120;
    gcs->connect_timeout_s = opts->connect_timeout_s > 0 ? opts->connect_timeout_s : 10;
    gcs->cancel = opts->cancel;
    gcs->resumable_threshold = opts->resumable_threshold > 0 ? opts->resumable_threshold
                                                             : FSIM_GCS_RESUMABLE_THRESHOLD;
    size_t chunk = opts->chunk_size > 0 ? opts->chunk_size : FSIM_GCS_CHUNK_SIZE;
    chunk -= chunk % FSIM_GCS_CHUNK_QUANTUM;
    gcs->chunk_size = chunk > 0 ? chunk : FSIM_GCS_CHUNK_QUANTUM;
    *out = gcs;
    return FSIM_OK;
}

void fsim_gcs_free(fsim_gcs *gcs)
{
    if (!gcs)
        return;
    free(gcs->base);
    free(gcs->describe);
    free(gcs);
}

const char *fsim_gcs_describe(const fsim_gcs *gcs)
{
    return gcs->describe;
}

/* {base}/{prefix}/b/{bucket}/o[/{object}]{suffix} with both names percent-encoded. */
static char *object_url(const fsim_gcs *gcs, const char *prefix, const char *bucket,
                        const char *object, bool object_in_path, const char *suffix)
{
    char *eb = curl_easy_escape(NULL, bucket, 0);
    char *eo = curl_easy_escape(NULL, object, 0);
    char *url = NULL;
    if (eb && eo)
        url = object_in_path ? fsim_printf_alloc("%s%s/b/%s/o/%s%s", gcs->base, prefix, eb, eo, suffix)
                             : fsim_printf_alloc("%s%s/b/%s/o%s%s", gcs->base, prefix, eb, suffix, eo);
    curl_free(eb);
    curl_free(eo);
    return url;
}

/* Reads md5Hash, crc32c, size, generation, contentType from object metadata JSON. */
static bool parse_metadata(const attempt *a, fsim_gcs_object *o)
{
    memset(o, 0, sizeof *o);
    o->size = -1;
    cJSON *root = a->body ? cJSON_ParseWithLength(a->body, a->body_len) : NULL;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return false;
    }
    const cJSON *v;
    if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(root, "md5Hash")))
        copy_str(o->md5_base64, sizeof o->md5_base64, v->valuestring);
    if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(root, "crc32c")))
        copy_str(o->crc32c_base64, sizeof o->crc32c_base64, v->valuestring);
    if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(root, "size")))
        o->size = strtoll(v->valuestring, NULL, 10);
    if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(root, "generation")))
        copy_str(o->generation, sizeof o->generation, v->valuestring);
    if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(root, "contentType")))
        copy_str(o->content_type, sizeof o->content_type, v->valuestring);
    cJSON_Delete(root);
    return true;
}

/* What follows an attempt that did not deliver: a 401 once ⇒ a fresh token and an immediate
 * retry that does not count; another HTTP status that retrying cannot fix ⇒ the final error;
 * otherwise `last` says why (callers that got a 2xx with a bad body set it themselves) and,
 * attempts left, a backoff before the next one. One policy for upload, download and stat. */
typedef enum { NEXT_RETRY, NEXT_GIVE_UP, NEXT_FINAL } next_step;

static next_step retry_or_stop(fsim_gcs *gcs, const attempt *a, const char *bucket,
                               const char *where, int *tries, bool *reauthed, char *last,
                               size_t last_size, fsim_status *st, fsim_error *err)
{
    if (!(a->rc == CURLE_OK && a->http >= 200 && a->http < 300)) {
        if (a->http == 401 && gcs->auth && !*reauthed) {
            /* a token revoked or expired early: fetch a new one, once */
            fsim_gcp_auth_invalidate(gcs->auth);
            *reauthed = true;
            attempt_message(gcs, a, last, last_size);
            (*tries)--;
            return NEXT_RETRY;
        }
        if (a->rc == CURLE_OK && !retryable_http(a->http)) {
            *st = final_http_error(gcs, a, bucket, where, err);
            return NEXT_FINAL;
        }
        attempt_message(gcs, a, last, last_size);
    }
    if (*tries >= gcs->max_attempts)
        return NEXT_GIVE_UP;
    backoff_sleep(gcs, *tries - 1);
    return NEXT_RETRY;
}

/* ---- operations ---------------------------------------------------------------------- */

/* The stored object's metadata (a 2xx body) against the digests of what we sent: VERIFY_OK
 * fills `info` (may be NULL) with it and the upload's `attempts`; VERIFY_RETRY says why in `last` (a bad body, a checksum mismatch: another
 * attempt may fix it); VERIFY_FINAL has set the error (nothing to compare with). */
typedef enum { VERIFY_OK, VERIFY_RETRY, VERIFY_FINAL } verify_result;

static verify_result verify_stored(const attempt *a, const char *want_md5, const char *want_crc,
                                   fsim_gcs_object *info, int attempts, char *last,
                                   size_t last_size, const char *where, fsim_status *st,
                                   fsim_error *err)
{
    fsim_gcs_object stored;
    fsim_gcs_object *got = &stored;
    if (!parse_metadata(a, got)) {
        snprintf(last, last_size, "HTTP %ld with a body that is not object metadata", a->http);
        return VERIFY_RETRY;
    }
    if (!got->md5_base64[0] && !got->crc32c_base64[0]) {
        *st = fsim_error_set(err, FSIM_IO, where, 0, 0, NULL,
                             "the upload was answered without md5Hash or crc32c: cannot "
                             "verify what was stored");
        return VERIFY_FINAL;
    }
    if ((got->md5_base64[0] && strcmp(got->md5_base64, want_md5) != 0) ||
        (got->crc32c_base64[0] && strcmp(got->crc32c_base64, want_crc) != 0)) {
        snprintf(last, last_size,
                 "checksum mismatch: sent md5 %s crc32c %s, stored md5 %s crc32c %s", want_md5,
                 want_crc, got->md5_base64[0] ? got->md5_base64 : "-",
                 got->crc32c_base64[0] ? got->crc32c_base64 : "-");
        return VERIFY_RETRY;
    }
    if (info) {
        *info = stored;
        info->attempts = attempts;
    }
    return VERIFY_OK;
}

/* One request: objects up to the resumable threshold. */
static fsim_status upload_single(fsim_gcs *gcs, const char *bucket, const char *object,
                                 const char *content_type, const void *data, size_t len,
                                 const char *want_md5, const char *want_crc,
                                 fsim_gcs_object *info, const char *where, fsim_error *err)
{
    char last[700] = "";
    fsim_status st = FSIM_OK;
    char *url = object_url(gcs, "/upload/storage/v1", bucket, object, false,
                           "?uploadType=media&name=");
    if (!url)
        return fsim_error_set(err, FSIM_NOMEM, where, 0, 0, NULL, "out of memory");
    attempt a = {.body_limit = MAX_META_BODY};
    int tries = 0;
    bool reauthed = false;
    for (;;) {
        tries++;
        if ((st = perform(gcs, "POST", url, content_type, data ? data : "", len, &a, NULL, where,
                          err)) != FSIM_OK)
            goto out;
        if (a.rc == CURLE_OK && a.http >= 200 && a.http < 300) {
            if (verify_stored(&a, want_md5, want_crc, info, tries, last, sizeof last, where,
                              &st, err) != VERIFY_RETRY)
                goto out;
        }
        next_step next = retry_or_stop(gcs, &a, bucket, where, &tries, &reauthed, last,
                                       sizeof last, &st, err);
        if (next == NEXT_FINAL)
            goto out;
        if (next == NEXT_GIVE_UP)
            break;
    }
    st = fsim_error_set(err, FSIM_IO, where, 0, 0, NULL, "upload gave up after %d attempt%s: %s",
                        tries, tries == 1 ? "" : "s", last);
out:
    attempt_reset(&a);
    free(url);
    return st;
}

/* A resumable upload: a session (POST …uploadType=resumable, its URI in Location), then
 * chunks (PUT with Content-Range) until a 2xx carries the object's metadata. The server's
 * 308 Range, not what we sent, says where the next chunk starts. After a failed chunk the
 * next request asks the session what it holds (Content-Range: bytes *) rather than
 * guessing; a session that is gone (404, 410) is started anew from byte 0. The retry budget
 * counts attempts since the last progress (a new session or more bytes persisted), so a
 * long upload survives as many blips as it has chunks; `info->attempts` counts every
 * attempt that failed, plus one. */
static fsim_status upload_resumable(fsim_gcs *gcs, const char *bucket, const char *object,
                                    const char *content_type, const void *data, size_t len,
                                    const char *want_md5, const char *want_crc,
                                    fsim_gcs_object *info, const char *where, fsim_error *err)
{
    char last[700] = "", ctype_h[200], length_h[64], range_h[96];
    fsim_status st = FSIM_OK;
    const char *ct = content_type ? content_type : "application/octet-stream";
    char *url = object_url(gcs, "/upload/storage/v1", bucket, object, false,
                           "?uploadType=resumable&name=");
    if (!url)
        return fsim_error_set(err, FSIM_NOMEM, where, 0, 0, NULL, "out of memory");
    snprintf(ctype_h, sizeof ctype_h, "X-Upload-Content-Type: %s", ct);
    snprintf(length_h, sizeof length_h, "X-Upload-Content-Length: %zu", len);
    const char *init_headers[] = {ctype_h, length_h, NULL};
    const char *chunk_headers[] = {range_h, NULL};
    attempt a = {.body_limit = MAX_META_BODY};
    char *session = NULL;
    size_t offset = 0;          /* bytes the session holds, as it last told us */
    bool query = false;         /* the next request asks for the persisted range */
    int tries = 1, failed = 0;
    bool reauthed = false;
    for (;;) {
        size_t sent_end = offset;
        if (!session) {
            st = perform_with(gcs, "POST", url, "application/json; charset=UTF-8", "{}", 2,
                              init_headers, &a, NULL, where, err);
        } else if (query) {
            snprintf(range_h, sizeof range_h, "Content-Range: bytes */%zu", len);
            st = perform_with(gcs, "PUT", session, ct, "", 0, chunk_headers, &a, NULL, where,
                              err);
        } else {
            size_t n = len - offset < gcs->chunk_size ? len - offset : gcs->chunk_size;
            sent_end = offset + n;
            snprintf(range_h, sizeof range_h, "Content-Range: bytes %zu-%zu/%zu", offset,
                     sent_end - 1, len);
            st = perform_with(gcs, "PUT", session, ct, (const char *)data + offset, n,
                              chunk_headers, &a, NULL, where, err);
        }
        if (st != FSIM_OK)
            goto out;
        bool ok2xx = a.rc == CURLE_OK && a.http >= 200 && a.http < 300;
        bool soft = false; /* an answer we cannot use but that is no HTTP verdict: retry */
        if (!session && ok2xx) {
            if (a.location[0]) {
                if (!(session = fsim_printf_alloc("%s", a.location))) {
                    st = fsim_error_set(err, FSIM_NOMEM, where, 0, 0, NULL, "out of memory");
                    goto out;
                }
                offset = 0;
                query = false;
                tries = 1;
                continue;
            }
            snprintf(last, sizeof last,
                     "HTTP %ld to the resumable upload request without a Location header",
                     a.http);
            soft = true;
        } else if (session && a.rc == CURLE_OK && a.http == 308) {
            soft = true;
            if (a.range_end >= 0 && (unsigned long long)a.range_end >= len) {
                snprintf(last, sizeof last,
                         "the upload session reports bytes 0-%lld persisted of %zu",
                         a.range_end, len);
                free(session); /* it holds something else: start over */
                session = NULL;
            } else {
                size_t held = a.range_end >= 0 ? (size_t)a.range_end + 1 : 0;
                bool was_query = query, moved = held > offset;
                offset = held;
                query = false;
                /* after a chunk, progress; after a query, where to go on (the failure
                   that led to it was counted already) */
                if (moved || was_query) {
                    if (moved)
                        tries = 1;
                    continue;
                }
                snprintf(last, sizeof last, "HTTP 308 persisting nothing of bytes %zu-%zu",
                         offset, sent_end - 1);
            }
        } else if (session && ok2xx) {
            if (verify_stored(&a, want_md5, want_crc, info, failed + 1, last, sizeof last,
                              where, &st, err) != VERIFY_RETRY)
                goto out;
            soft = true;
            free(session); /* stored, but not what we sent: a new session, from byte 0 */
            session = NULL;
        } else if (session && a.rc == CURLE_OK && (a.http == 404 || a.http == 410)) {
            char msg[600];
            attempt_message(gcs, &a, msg, sizeof msg);
            snprintf(last, sizeof last, "%s (the upload session has expired)", msg);
            soft = true;
            free(session); /* a new one, from byte 0 */
            session = NULL;
        } else if (session) {
            query = true; /* transient (or final, judged below): where did the bytes get? */
        }
        attempt judged = a;
        if (soft) {
            judged.http = 200;
            judged.rc = CURLE_OK;
        }
        next_step next = retry_or_stop(gcs, &judged, bucket, where, &tries, &reauthed, last,
                                       sizeof last, &st, err);
        if (next == NEXT_FINAL)
            goto out;
        if (next == NEXT_GIVE_UP)
            break;
        failed++;
        tries++;
    }
    st = fsim_error_set(err, FSIM_IO, where, 0, 0, NULL,
                        "resumable upload gave up after %d attempt%s without progress (%zu of "
                        "%zu bytes persisted): %s",
                        tries, tries == 1 ? "" : "s", offset, len, last);
out:
    attempt_reset(&a);
    free(session);
    free(url);
    return st;
}

fsim_status fsim_gcs_upload(fsim_gcs *gcs, const char *bucket, const char *object,
                            const char *content_type, const void *data, size_t len,
                            fsim_gcs_object *info, fsim_error *err)
{
    char where[1400];
    snprintf(where, sizeof where, "gs://%s/%s", bucket ? bucket : "", object ? object : "");
    fsim_status st = check_names(bucket, object, where, err);
    if (st)
        return st;
    char want_md5[32], want_crc[16];
    digest dg;
    if (!digest_init(&dg)) {
        digest_release(&dg);
        return fsim_error_set(err, FSIM_NOMEM, where, 0, 0, NULL, "out of memory");
    }
    digest_update(&dg, data, len);
    digest_final(&dg, want_md5, want_crc);
    digest_release(&dg);
    if (len > gcs->resumable_threshold)
        return upload_resumable(gcs, bucket, object, content_type, data, len, want_md5, want_crc,
                                info, where, err);
    return upload_single(gcs, bucket, object, content_type, data, len, want_md5, want_crc, info,
                         where, err);
}

fsim_status fsim_gcs_download(fsim_gcs *gcs, const char *bucket, const char *object,
                              fsim_gcs_write_fn write, void *user, fsim_gcs_object *info,
                              fsim_error *err)
{
    char where[1400];
    snprintf(where, sizeof where, "gs://%s/%s", bucket ? bucket : "", object ? object : "");
    fsim_status st = check_names(bucket, object, where, err);
    if (st)
        return st;
    char *url = object_url(gcs, "/storage/v1", bucket, object, true, "?alt=media");
    if (!url)
        return fsim_error_set(err, FSIM_NOMEM, where, 0, 0, NULL, "out of memory");
    attempt a = {.body_limit = MAX_ERROR_BODY, .write = write, .user = user};
    char last[700] = "";
    int tries = 0;
    bool reauthed = false;
    for (;;) {
        tries++;
        a.delivered = 0;
        a.cancelled = false;
        digest_release(&a.dg);
        if (!digest_init(&a.dg)) {
            st = fsim_error_set(err, FSIM_NOMEM, where, 0, 0, NULL, "out of memory");
            goto out;
        }
        if ((st = perform(gcs, "GET", url, NULL, NULL, 0, &a, info, where, err)) != FSIM_OK)
            goto out;
        if (a.cancelled) {
            st = fsim_error_set(err, FSIM_CANCELLED, where, 0, 0, NULL,
                                "the download was stopped by its receiver after %zu bytes",
                                a.delivered);
            goto out;
        }
        if (a.rc == CURLE_OK && a.http >= 200 && a.http < 300) {
            if (a.delivered == 0 && info)
                *info = a.hdr; /* an empty object: no write call happened */
            if (info)
                info->attempts = tries;
            char md5[32], crc[16];
            digest_final(&a.dg, md5, crc);
            if ((a.have_hash_md5 && strcmp(md5, a.hdr.md5_base64) != 0) ||
                (a.have_hash_crc && strcmp(crc, a.hdr.crc32c_base64) != 0)) {
                st = fsim_error_set(err, FSIM_IO, where, 0, 0, NULL,
                                    "checksum mismatch in the downloaded bytes (got md5 %s crc32c "
                                    "%s, x-goog-hash md5 %s crc32c %s)",
                                    md5, crc, a.have_hash_md5 ? a.hdr.md5_base64 : "-",
                                    a.have_hash_crc ? a.hdr.crc32c_base64 : "-");
            }
            goto out;
        }
        if (a.delivered > 0) {
            /* the caller already has part of the object: a retry would repeat bytes */
            attempt_message(gcs, &a, last, sizeof last);
            st = fsim_error_set(err, FSIM_IO, where, 0, 0, NULL,
                                "download broke off after %zu bytes: %s", a.delivered, last);
            goto out;
        }
        next_step next = retry_or_stop(gcs, &a, bucket, where, &tries, &reauthed, last,
                                       sizeof last, &st, err);
        if (next == NEXT_FINAL)
            goto out;
        if (next == NEXT_GIVE_UP)
            break;
    }
    st = fsim_error_set(err, FSIM_IO, where, 0, 0, NULL, "download gave up after %d attempt%s: %s",
                        tries, tries == 1 ? "" : "s", last);
out:
    digest_release(&a.dg);
    attempt_reset(&a);
    free(url);
    return st;
}

fsim_status fsim_gcs_stat(fsim_gcs *gcs, const char *bucket, const char *object,
                          fsim_gcs_object *info, fsim_error *err)
{
    char where[1400];
    snprintf(where, sizeof where, "gs://%s/%s", bucket ? bucket : "", object ? object : "");
    fsim_status st = check_names(bucket, object, where, err);
    if (st)
        return st;
    char *url = object_url(gcs, "/storage/v1", bucket, object, true, "");
    if (!url)
        return fsim_error_set(err, FSIM_NOMEM, where, 0, 0, NULL, "out of memory");
    attempt a = {.body_limit = MAX_META_BODY};
    char last[700] = "";
    int tries = 0;
    bool reauthed = false;
    for (;;) {
        tries++;
        if ((st = perform(gcs, "GET", url, NULL, NULL, 0, &a, NULL, where, err)) != FSIM_OK)
            goto out;
        if (a.rc == CURLE_OK && a.http >= 200 && a.http < 300) {
            fsim_gcs_object got;
            if (!parse_metadata(&a, &got)) {
                st = fsim_error_set(err, FSIM_IO, where, 0, 0, NULL,
                                    "HTTP %ld with a body that is not object metadata", a.http);
                goto out;
            }
            if (info)
                *info = got;
            goto out;
        }
        next_step next = retry_or_stop(gcs, &a, bucket, where, &tries, &reauthed, last,
                                       sizeof last, &st, err);
        if (next == NEXT_FINAL)
            goto out;
        if (next == NEXT_GIVE_UP)
            break;
    }
    st = fsim_error_set(err, FSIM_IO, where, 0, 0, NULL, "stat gave up after %d attempt%s: %s",
                        tries, tries == 1 ? "" : "s", last);
out:
    attempt_reset(&a);
    free(url);
    return st;
}

/* ---- results ------------------------------------------------------------------------- */

fsim_status fsim_gcs_result_object(const char *simulation_id, char *buf, size_t size,
                                   fsim_error *err)
{
    if (!simulation_id || strlen(simulation_id) != 36 ||
        strspn(simulation_id, "0123456789abcdefABCDEF-") != 36)
        return fsim_error_set(err, FSIM_INVALID, "result", 0, 0, "simulationId",
                              "must be a 36-character simulation id");
    int n = snprintf(buf, size, "simulations/%s/result.json", simulation_id);
    if (n < 0 || (size_t)n >= size)
        return fsim_error_set(err, FSIM_INVALID, "result", 0, 0, NULL,
                              "object name buffer too small");
    return FSIM_OK;
}

fsim_status fsim_gcs_upload_result(fsim_gcs *gcs, const char *bucket, const fsim_result *result,
                                   char *uri, size_t uri_size, fsim_gcs_object *info,
                                   fsim_error *err)
{
    char object[128];
    fsim_status st = fsim_gcs_result_object(result->simulation_id, object, sizeof object, err);
    if (st)
        return st;
    size_t len = 0;
    char *json = fsim_result_encode(result, 0, &len);
    if (!json)
        return fsim_error_set(err, FSIM_NOMEM, "result", 0, 0, NULL,
                              "out of memory encoding the result");
    st = fsim_gcs_upload(gcs, bucket, object, "application/json", json, len, info, err);
    free(json);
    if (st == FSIM_OK && uri) {
        int n = snprintf(uri, uri_size, "gs://%s/%s", bucket, object);
        if (n < 0 || (size_t)n >= uri_size)
            st = fsim_error_set(err, FSIM_INVALID, "result", 0, 0, NULL, "uri buffer too small");
    }
    return st;
}

fsim_status fsim_gcs_parse_uri(const char *uri, char *bucket, size_t bucket_size, char *object,
                               size_t object_size, fsim_error *err)
{
    if (!uri || strncmp(uri, "gs://", 5) != 0)
        return fsim_error_set(err, FSIM_INVALID, uri ? uri : "", 0, 0, NULL,
                              "not a gs://bucket/object URI");
    const char *b = uri + 5, *slash = strchr(b, '/');
    if (!slash || slash == b || !slash[1])
        return fsim_error_set(err, FSIM_INVALID, uri, 0, 0, NULL,
                              "not a gs://bucket/object URI");
    size_t bl = (size_t)(slash - b), ol = strlen(slash + 1);
    if (bl >= bucket_size || ol >= object_size)
        return fsim_error_set(err, FSIM_INVALID, uri, 0, 0, NULL, "name too long");
    memcpy(bucket, b, bl);
    bucket[bl] = '\0';
    memcpy(object, slash + 1, ol + 1);
    return FSIM_OK;
}
