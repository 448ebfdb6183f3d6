/* The CLI as a client of fleetsim-api (libcurl): one request, its status and body, and the
 * API's error shape turned into an fsim_error. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include <fleetsim/settings.h>
#include <fleetsim/version.h>

#include "cli.h"

struct body {
    char *data;
    size_t len;
};

static size_t collect(char *ptr, size_t size, size_t n, void *user)
{
    struct body *b = user;
    size_t add = size * n;
    char *grown = realloc(b->data, b->len + add + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, ptr, add);
    b->len += add;
    grown[b->len] = '\0';
    b->data = grown;
    return add;
}

const char *cli_api_base(const char *option)
{
    if (option)
        return option;
    return fsim_setting_text(FSIM_SETTING_API_URL);
}

/* Why the status is checked here: every 4xx/5xx body is the API's one error shape, so the
 * user sees its code, message and field instead of raw JSON. 4xx → bad input (exit 2),
 * 5xx or no answer → runtime failure (exit 1). */
fsim_status cli_api_request(const char *method, const char *url, const char *body,
                            const char *idempotency_key, fsim_arena *arena, char **response,
                            long *http_status, fsim_error *err)
{
    CURL *curl = curl_easy_init();
    if (!curl)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    char line[600];
    const char *key = fsim_setting_text(FSIM_SETTING_API_KEY);
    if (key && *key) {
        snprintf(line, sizeof line, "X-API-Key: %s", key);
        headers = curl_slist_append(headers, line);
    }
    if (idempotency_key) {
        snprintf(line, sizeof line, "Idempotency-Key: %s", idempotency_key);
        headers = curl_slist_append(headers, line);
    }
    struct body b = {0};
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
    /* the server's access log says which client (and which version of it) asked */
    char agent[64];
    snprintf(agent, sizeof agent, "fleetsim/%s", fsim_version());
    curl_easy_setopt(curl, CURLOPT_USERAGENT, agent);
    if (body)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    fsim_status st = FSIM_OK;
    if (rc != CURLE_OK) {
        st = fsim_error_set(err, FSIM_IO, url, 0, 0, NULL, "could not reach the API: %s",
                            curl_easy_strerror(rc));
    } else if (status >= 400) {
        fsim_error_response *e = NULL;
        void *p = NULL;
        fsim_error tmp;
        if (b.data && fsim_wire_decode(FSIM_WIRE_ERROR_RESPONSE, b.data, b.len, url,
                                       FSIM_WIRE_IGNORE_UNKNOWN, arena, &p, &tmp) == FSIM_OK)
            e = p;
        st = fsim_error_set(err, status < 500 ? FSIM_INVALID : FSIM_IO, NULL, 0, 0,
                            e && e->error.field ? e->error.field : NULL, "HTTP %ld %s: %s",
                            status, e ? e->error.code : "error",
                            e ? e->error.message : "(no error body)");
    }
    *http_status = status;
    *response = b.data && st == FSIM_OK ? fsim_arena_strndup(arena, b.data, b.len) : NULL;
    free(b.data);
    return st;
}
