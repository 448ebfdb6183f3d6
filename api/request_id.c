/* x-request-id: taken from the client when it is safe to echo (1..128 visible ASCII bytes),
 * replaced — never trimmed or repaired — otherwise, so a header can never smuggle CR/LF
 * or spaces into our responses and logs. Also derives Cloud Logging's trace name and span
 * from W3C traceparent or X-Cloud-Trace-Context (core/log) when the project is known. */
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "api.h"

static bool acceptable_id(const char *id)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++, n++)
        if (*p < 0x21 || *p > 0x7e || n >= API_REQUEST_ID_MAX)
            return false;
    return n > 0;
}

/* 16 bytes from OpenSSL's generator. Drawn 256 bytes at a time into a per-thread pool: a
 * RAND_bytes call costs its locking and reseed checks whatever the size, and one per request
 * was 7% of a GET /healthz under load. The bytes are as random as before. */
static bool random_16(unsigned char out[16])
{
    static _Thread_local unsigned char pool[256];
    static _Thread_local size_t left;
    if (left < 16) {
        if (RAND_bytes(pool, sizeof pool) != 1)
            return false;
        left = sizeof pool;
    }
    left -= 16;
    memcpy(out, pool + left, 16);
    memset(pool + left, 0, 16); /* each byte is handed out once */
    return true;
}

/* 128 random bits as 32 hex digits; a counter mixed with the clock if RAND_bytes fails. */
static void make_id(char out[33])
{
    unsigned char raw[16];
    if (!random_16(raw)) {
        static _Atomic unsigned long counter;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long c = ++counter;
        memcpy(raw, &ts.tv_sec, sizeof raw / 2);
        memcpy(raw + 8, &c, sizeof raw / 2);
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[32] = '\0';
}

void api_request_id_assign(api_request *req)
{
    const char *given = api_header(req, "X-Request-Id");
    if (given && acceptable_id(given))
        snprintf(req->request_id, sizeof req->request_id, "%s", given);
    else
        make_id(req->request_id);

    req->trace[0] = req->span[0] = '\0';
    const char *project = req->server->cfg.gcp_project;
    char trace[33];
    if (project && *project &&
        fsim_log_trace_parse(api_header(req, "traceparent"),
                             api_header(req, "X-Cloud-Trace-Context"), trace, req->span))
        snprintf(req->trace, sizeof req->trace, "projects/%.100s/traces/%s", project, trace);
}
