/* Fuzz target "api": the API's HTTP request path without a socket (api_serve in
 * api/server.c — the steps libmicrohttpd's callbacks take: request id, header size, route,
 * 404/405, API key, Content-Type, body limit, then the route's handler on this thread).
 * No database: the routes that need one answer 503, so what runs for real is everything
 * before the store — routing, auth, CORS, request ids and trace headers, the idempotency
 * key check, body decoding, the synchronous :run and :compare under a small vehicle-step
 * budget, the config, health and OpenAPI endpoints.
 *
 * The input is a request as text:
 *     METHOD SP TARGET LF
 *     Name: value LF        (any number; a CR before the LF is dropped)
 *     LF
 *     body (the rest, bytes)
 * Lines the request-line or header syntax cannot produce (no space, no colon) are skipped,
 * as libmicrohttpd would never hand them on. The answer must keep the API's promises, else
 * the harness aborts: a status 200..599, a 4xx/5xx body in the one error shape
 * ({"error": {"code", "message", …}}), a JSON body that is JSON. */
#define _GNU_SOURCE
#include "fuzz.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "api.h"

#define API_KEY "fuzz-api-key-0123456789"
#define MAX_HEADERS 64

static api_server srv;
static int devnull = -1;

/* The server as main.c sets it up, minus the database, Pub/Sub and the socket; limits
 * lowered so that inputs of a few KiB reach them (431, 413). */
static void setup(void)
{
    api_settings *c = &srv.cfg;
    c->listen_address = "127.0.0.1";
    c->config_dir = FUZZ_SOURCE_ROOT "/config";
    c->api_keys = API_KEY;
    c->cors_origins = "https://app.example.test";
    c->gcp_project = "fuzz";
    c->docs = true;
    c->max_body_bytes = 64 * 1024;
    c->max_header_bytes = 4096;
    c->max_connections = 8;
    c->grace_s = 1;
    c->sync_budget = 2e5; /* vehicle-steps: a small request runs, a larger one is a 413 */
    c->sync_concurrency = 2;
    c->result_mode = "db";
    c->status_cache_entries = 0;
    fsim_error err;
    fsim_error_clear(&err);
    if (fsim_config_load(c->config_dir, NULL, NULL, &srv.config, &err) != FSIM_OK)
        abort();
    srv.vehicles_json = fsim_config_section_json(srv.config, "vehicles");
    srv.chargers_json = fsim_config_section_json(srv.config, "chargers");
    srv.routes_geojson = fsim_runner_routes_geojson(srv.config, &err);
    srv.auth = api_auth_new(c->api_keys, &err);
    srv.idempotency = api_idempotency_new();
    srv.openapi_json = fsim_wire_openapi(FSIM_VERSION, NULL);
    if (!srv.vehicles_json || !srv.chargers_json || !srv.routes_geojson || !srv.auth ||
        !srv.idempotency || !srv.openapi_json)
        abort();
    /* the API's log lines (access lines, warnings) go to stdout: not into the fuzzer's
     * output, nor into the replay's TAP */
    devnull = open("/dev/null", O_WRONLY);
    if (devnull < 0)
        abort();
}

/* The promises every answer keeps; abort() makes a broken one a finding. */
static void check_answer(int status, const char *body, size_t len)
{
    if (status < 200 || status > 599)
        abort();
    if (status < 400 && (!body || body[0] != '{'))
        return; /* HTML docs, empty bodies; JSON bodies are checked below */
    if (!body)
        abort(); /* an error always says why */
    cJSON *json = cJSON_ParseWithLength(body, len);
    if (!json)
        abort();
    if (status >= 400) {
        cJSON *e = cJSON_GetObjectItemCaseSensitive(json, "error");
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "code")) ||
            !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "message")))
            abort();
    }
    cJSON_Delete(json);
}

/* The next line of [*p, end) without its LF (and a CR before it), NUL-terminated in place
 * (the input is a copy); NULL at the end. */
static char *next_line(char **p, char *end)
{
    if (*p >= end)
        return NULL;
    char *line = *p, *lf = memchr(line, '\n', (size_t)(end - line));
    char *stop = lf ? lf : end;
    *p = lf ? lf + 1 : end;
    if (stop > line && stop[-1] == '\r')
        stop--;
    *stop = '\0';
    return line;
}

/* Before the first input: the setup is not timed as that input's run (fuzz.h). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv.config)
        setup();
    char *copy = malloc(size + 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    copy[size] = '\0';
    char *p = copy, *end = copy + size;
    char *line = next_line(&p, end);
    char *sp = line ? strchr(line, ' ') : NULL;
    if (!sp || sp == line || sp[1] == '\0') {
        free(copy);
        return 0;
    }
    *sp = '\0';
    const char *method = line, *target = sp + 1;
    if (strchr(target, ' ')) /* "GET /x HTTP/1.1": the version is not the target */
        *strchr(target, ' ') = '\0';
    api_header_kv headers[MAX_HEADERS];
    size_t n = 0;
    while ((line = next_line(&p, end)) && line[0] != '\0') {
        char *colon = strchr(line, ':');
        if (!colon || colon == line || n == MAX_HEADERS ||
            strcspn(line, " \t") < (size_t)(colon - line)) /* no blank in a name */
            continue;
        *colon = '\0';
        char *value = colon + 1;
        value += strspn(value, " \t");
        headers[n].name = line;
        headers[n].value = value;
        n++;
    }
    char *response = NULL;
    size_t len = 0;
    fflush(stdout);
    int out = dup(STDOUT_FILENO);
    dup2(devnull, STDOUT_FILENO);
    int status = api_serve(&srv, method, target, headers, n, p, (size_t)(end - p), &response,
                           &len);
    dup2(out, STDOUT_FILENO);
    close(out);
    if (status != 0) /* 0: out of memory, nothing to check */
        check_answer(status, response, len);
    free(response);
    free(copy);
    return 0;
}
