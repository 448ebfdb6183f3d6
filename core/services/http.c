/* The one HTTP call of the routing, elevation and weather services: cache first, then GET
 * over libcurl with a whole-request deadline, retries with backoff (429 waits Retry-After),
 * a minimum spacing between requests (rate limits) and a circuit breaker per service, so
 * an outage costs a bounded time and then fails fast instead of holding a thread. */
#include "svc_internal.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include <fleetsim/lazy.h>

#define MAX_BODY (64u << 20)

/* libcurl's global set-up, on the first request (not when the services are created: a run
 * served from the cache or without services never loads libcurl, core/lazy). */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct body {
    char *data;
    size_t len, cap;
    double retry_after; /* seconds; < 0: none */
};

static size_t on_body(char *p, size_t size, size_t n, void *user)
{
    struct body *b = user;
    size_t add = size * n;
    if (b->len + add + 1 > MAX_BODY)
        return 0;
    if (b->len + add + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 16384;
        while (cap < b->len + add + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

static size_t on_header(char *p, size_t size, size_t n, void *user)
{
    struct body *b = user;
    size_t len = size * n;
    static const char name[] = "retry-after:";
    if (len > sizeof name && strncasecmp(p, name, sizeof name - 1) == 0) {
        char buf[32];
        size_t k = len - (sizeof name - 1) < sizeof buf - 1 ? len - (sizeof name - 1)
                                                             : sizeof buf - 1;
        memcpy(buf, p + sizeof name - 1, k);
        buf[k] = '\0';
        char *end;
        double v = strtod(buf, &end);
        if (end != buf && isfinite(v) && v >= 0)
            b->retry_after = v;
    }
    return len;
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- the circuit breaker ------------------------------------------------------------------ */

/* May a call go out now? Closed: yes. Open: no, until open_s has passed; then one trial. */
static bool breaker_admit(fsim_svc *s, fsim_svc_kind kind, double *retry_in)
{
    bool ok = true;
    pthread_mutex_lock(&s->lock);
    struct fsim__breaker *b = &s->breakers[kind];
    if (b->open) {
        double left = s->o.breaker_open_s - (fsim__svc_now() - b->opened_at);
        if (left > 0 || b->trial) {
            ok = false;
            *retry_in = left > 0 ? left : 1;
        } else {
            b->trial = true;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return ok;
}

static void breaker_record(fsim_svc *s, fsim_svc_kind kind, bool success)
{
    pthread_mutex_lock(&s->lock);
    struct fsim__breaker *b = &s->breakers[kind];
    if (success) {
        b->failures = 0;
        b->open = b->trial = false;
    } else if (b->trial || ++b->failures >= s->o.breaker_failures) {
        b->open = true;
        b->trial = false;
        b->opened_at = fsim__svc_now();
    }
    pthread_mutex_unlock(&s->lock);
}

/* Mapbox allows 300 directions requests a minute: keep min_interval_s between two
 * requests to one service. */
static void rate_wait(fsim_svc *s, fsim_svc_kind kind)
{
    pthread_mutex_lock(&s->lock);
    struct fsim__breaker *b = &s->breakers[kind];
    double now = fsim__svc_now(), at = b->last_request + s->o.min_interval_s;
    double wait = b->last_request > 0 && at > now ? at - now : 0;
    b->last_request = now + wait;
    pthread_mutex_unlock(&s->lock);
    sleep_s(wait);
}

/* ---- one attempt ------------------------------------------------------------------------- */

enum outcome { DONE, RETRY, FAIL };

/* The service's own words for an error body: Mapbox {"message", "code"}, OSRM {"code",
 * "message"}, Open-Meteo {"error": true, "reason"}. */
static void error_text(const char *body, char *out, size_t size)
{
    cJSON *j = body ? cJSON_Parse(body) : NULL;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "code");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "message");
    if (!cJSON_IsString(msg))
        msg = cJSON_GetObjectItemCaseSensitive(j, "reason");
    snprintf(out, size, "%s%s%s", cJSON_IsString(code) ? code->valuestring : "",
             cJSON_IsString(code) && cJSON_IsString(msg) ? ": " : "",
             cJSON_IsString(msg) ? msg->valuestring : "");
    cJSON_Delete(j);
}

static enum outcome attempt(fsim_svc *s, fsim_svc_kind kind, const char *url, const char *token,
                            fsim__svc_check_fn check, cJSON **out, double *wait,
                            fsim_error *err)
{
    const char *name = fsim__svc_name(kind);
    struct body b = {.retry_after = -1};
    char curl_err[CURL_ERROR_SIZE] = "";
    char *full = NULL;
    enum outcome oc = RETRY;
    CURL *h = curl_easy_init();
    if (token) {
        char *esc = h ? curl_easy_escape(h, token, 0) : NULL;
        size_t len = strlen(url) + (esc ? strlen(esc) : 0) + 16;
        full = esc ? malloc(len) : NULL;
        if (full)
            snprintf(full, len, "%s%caccess_token=%s", url, strchr(url, '?') ? '&' : '?', esc);
        curl_free(esc);
    }
    if (!h || (token && !full)) {
        fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        oc = FAIL;
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_URL, full ? full : url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, s->o.timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, s->o.timeout_s < 10 ? s->o.timeout_s : 10L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &b);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "fleetsim (+docs/services.md)");
    rate_wait(s, kind);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    char why[400];
    if (rc != CURLE_OK) {
        /* timeouts, refused connections, a body cut short (CURLE_PARTIAL_FILE) */
        fsim_error_set(err, FSIM_UNAVAILABLE, url, 0, 0, NULL, "%s service: %s (curl %d)", name,
                       curl_err[0] ? curl_err : curl_easy_strerror(rc), (int)rc);
        goto out;
    }
    if (status == 429) {
        fsim_error_set(err, FSIM_UNAVAILABLE, url, 0, 0, NULL,
                       "%s service: rate limited (HTTP 429)", name);
        if (b.retry_after >= 0)
            *wait = b.retry_after;
        goto out;
    }
    if (status >= 500 || status == 408) {
        error_text(b.data, why, sizeof why);
        fsim_error_set(err, FSIM_UNAVAILABLE, url, 0, 0, NULL, "%s service: HTTP %ld%s%s", name,
                       status, why[0] ? " " : "", why);
        goto out;
    }
    oc = FAIL;
    if (status == 401 || status == 403) {
        error_text(b.data, why, sizeof why);
        fsim_error_set(err, FSIM_USAGE, url, 0, 0, NULL,
                       "%s service refused the credentials (HTTP %ld%s%s): check "
                       "MAPBOX_ACCESS_TOKEN",
                       name, status, why[0] ? " " : "", why);
        goto out;
    }
    if (status != 200) {
        error_text(b.data, why, sizeof why);
        fsim_error_set(err, FSIM_INVALID, url, 0, 0, NULL,
                       "%s service rejected the request (HTTP %ld%s%s)", name, status,
                       why[0] ? " " : "", why);
        goto out;
    }
    cJSON *j = b.data ? cJSON_ParseWithLength(b.data, b.len) : NULL;
    if (!j) {
        /* a 200 whose body does not parse was cut short or garbled on the way: ask again */
        fsim_error_set(err, FSIM_UNAVAILABLE, url, 0, 0, NULL,
                       "%s service: the answer is not complete JSON (%zu bytes)", name, b.len);
        oc = RETRY;
        goto out;
    }
    if (check && check(j, err) != FSIM_OK) {
        cJSON_Delete(j);
        goto out;
    }
    *out = j;
    oc = DONE;
out:
    free(b.data);
    free(full);
    if (h)
        curl_easy_cleanup(h);
    return oc;
}

fsim_status fsim__svc_get_json(fsim_svc *s, fsim_svc_kind kind, const char *url,
                               const char *token, fsim__svc_check_fn check, const char *hint,
                               cJSON **out, fsim_error *err)
{
    const char *name = fsim__svc_name(kind);
    fsim_error local;
    if (!err)
        err = &local;
    *out = fsim__cache_get(s, url);
    if (*out)
        return FSIM_OK;
    if (s->o.offline) {
        char path[4200];
        if (!fsim__cache_path(s, url, path, sizeof path))
            snprintf(path, sizeof path, "(no FLEETSIM_CACHE_DIR)");
        return fsim_error_set(err, FSIM_NOT_FOUND, path, 0, 0, NULL,
                              "offline: no cached %s answer for %s; fetch it with %s", name,
                              url, hint ? hint : "the same command without --offline");
    }
    if (fsim_lazy_need(FSIM_LAZY_CURL, "the routing, elevation and weather services", err) != FSIM_OK)
        return err->status;
    pthread_once(&curl_once, curl_init_once);
    double retry_in = 0;
    if (!breaker_admit(s, kind, &retry_in))
        return fsim_error_set(err, FSIM_UNAVAILABLE, url, 0, 0, NULL,
                              "%s service: circuit open after repeated failures; next try in "
                              "%.0f s",
                              name, ceil(retry_in));
    enum outcome oc = RETRY;
    double delay = s->o.backoff_initial_s;
    for (int i = 1; i <= s->o.max_attempts; i++) {
        double wait = -1;
        oc = attempt(s, kind, url, token, check, out, &wait, err);
        if (oc != RETRY || i == s->o.max_attempts)
            break;
        if (wait < 0)
            wait = delay;
        sleep_s(wait < s->o.backoff_max_s ? wait : s->o.backoff_max_s);
        delay = delay * 2 < s->o.backoff_max_s ? delay * 2 : s->o.backoff_max_s;
    }
    /* only outages count against the breaker; a refused token or a bad question does not */
    if (oc == DONE || (oc == FAIL && err->status != FSIM_UNAVAILABLE &&
                       err->status != FSIM_NOMEM))
        breaker_record(s, kind, true);
    else
        breaker_record(s, kind, false);
    if (oc != DONE) {
        if (oc == RETRY) {
            size_t used = strlen(err->message);
            snprintf(err->message + used, sizeof err->message - used, " (after %d attempts)",
                     s->o.max_attempts);
        }
        return err->status;
    }
    fsim_error tmp;
    fsim__cache_put(s, kind, url, *out, &tmp);
    return FSIM_OK;
}
