/* The libmicrohttpd glue: one api_request per HTTP request, the body read under its limit,
 * the checks every request goes through before a handler (headers size, route, API key,
 * content type, declared length), and the response helper that adds the common headers.
 *
 * Threading: FLEETSIM_API_HTTP_THREADS threads (default: two per CPU), each an epoll loop
 * over its share of the connections, do the HTTP work and answer what needs no waiting:
 * health, docs, config, a finished job's status from the status cache, every error found
 * before the handler. A handler that may block (database, synchronous runs) runs in the
 * handler pool (handler_pool.c) while its connection is suspended. Measured against one
 * thread per connection (the previous design) under wrk at 64 connections on 2 cores: more
 * requests per second and no thread per client; see tests/bench/bench_api.sh. A connection
 * limit and an idle timeout keep slow clients from exhausting the process. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include <fleetsim/util.h>

#include "api.h"

/* ---- Accessors ------------------------------------------------------------------------- */

/* A request from api_serve has no connection: its headers and query arguments are arrays,
 * searched as libmicrohttpd searches its own (the first match; header names ignore case). */
const char *api_header(const api_request *req, const char *name)
{
    if (req->conn)
        return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
    for (size_t i = 0; i < req->n_headers; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

const char *api_query(const api_request *req, const char *name)
{
    if (req->conn)
        return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
    for (size_t i = 0; i < req->n_args; i++)
        if (strcmp(req->args[i].name, name) == 0)
            return req->args[i].value;
    return NULL;
}

void api_add_header(api_request *req, const char *name, const char *value)
{
    if (req->n_extra >= API_MAX_EXTRA_HEADERS)
        return;
    req->extra_names[req->n_extra] = name;
    req->extra_values[req->n_extra] = value;
    req->n_extra++;
}

bool api_respond(api_request *req, int status, const char *content_type, char *body,
                 size_t len)
{
    if (req->responded) { /* a handler bug; the first answer stands */
        free(body);
        return true;
    }
    if (!req->conn) { /* api_serve: the caller takes the body */
        req->status = status;
        req->response_size = len;
        req->responded = true;
        req->response_status = (unsigned)status;
        req->served_type = content_type;
        if (len > 0) {
            req->served_body = body;
        } else {
            free(body);
        }
        return true;
    }
    struct MHD_Response *resp;
    if (len == 0) {
        free(body);
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    } else {
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!resp)
            free(body);
    }
    if (!resp)
        return false;
    return api_respond_response(req, status, len > 0 ? content_type : NULL, resp, len);
}

bool api_respond_response(api_request *req, int status, const char *content_type,
                          struct MHD_Response *resp, size_t len)
{
    if (req->responded) { /* a handler bug; the first answer stands */
        MHD_destroy_response(resp);
        return true;
    }
    if (content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, "X-Request-Id", req->request_id);
    if (req->cors_origin) { /* errors too: a browser app should read why it failed */
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", req->cors_origin);
        MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                                "X-Request-Id, Location, Retry-After, Content-Encoding");
    }
    if (req->server->cfg.cors_origins) /* the answer depends on Origin */
        MHD_add_response_header(resp, "Vary", "Origin");
    /* no-store unless the handler said otherwise (the documentation's assets) */
    bool cache_control = false;
    for (int i = 0; i < req->n_extra; i++) {
        MHD_add_response_header(resp, req->extra_names[i], req->extra_values[i]);
        cache_control |= strcasecmp(req->extra_names[i], "Cache-Control") == 0;
    }
    if (!cache_control)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    /* while draining, keep-alive would let a client start new requests on old sockets */
    if (atomic_load(&req->server->draining))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    req->status = status;
    req->response_size = len;
    req->responded = true;
    req->response_status = (unsigned)status;
    req->served_type = content_type;
    if (req->conn)
        req->response = resp;
    else /* api_serve: a streamed body (results) is not read back, its status is */
        MHD_destroy_response(resp);
    return true;
}

/* On the HTTP thread, in the access handler (the only place libmicrohttpd takes it): the
 * response api_respond made. MHD_NO closes the connection. */
static enum MHD_Result queue_response(api_request *req)
{
    struct MHD_Response *resp = req->response;
    if (!resp)
        return req->responded ? MHD_YES : MHD_NO; /* already queued, or none could be made */
    req->response = NULL;
    enum MHD_Result r = MHD_queue_response(req->conn, req->response_status, resp);
    MHD_destroy_response(resp);
    return r;
}

bool api_respond_copy(api_request *req, int status, const char *content_type, const char *text)
{
    size_t len = strlen(text);
    char *copy = malloc(len + 1);
    if (!copy)
        return false;
    memcpy(copy, text, len + 1);
    return api_respond(req, status, content_type, copy, len);
}

/* ---- The checks before a handler -------------------------------------------------------- */

static enum MHD_Result add_header_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    size_t *total = cls;
    *total += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

static size_t header_bytes(const api_request *req)
{
    size_t total = 0;
    if (req->conn)
        MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_header_size, &total);
    for (size_t i = 0; i < req->n_headers; i++)
        add_header_size(&total, MHD_HEADER_KIND, req->headers[i].name, req->headers[i].value);
    return total;
}

/* application/json, optionally with parameters (charset=utf-8); nothing else is JSON. */
static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ')
        ct++;
    static const char json[] = "application/json";
    if (strncasecmp(ct, json, sizeof json - 1) != 0)
        return false;
    ct += sizeof json - 1;
    while (*ct == ' ')
        ct++;
    return *ct == '\0' || *ct == ';';
}

/* Everything decided from the request line and headers alone; answers and returns false
 * when the request stops here. Order: size of headers, route, API key, content type,
 * declared body length — so a client learns the most basic problem first. */
static bool precheck(api_request *req)
{
    api_server *srv = req->server;
    size_t bytes = header_bytes(req);
    if (bytes > srv->cfg.max_header_bytes) {
        api_error(req, 431, "headers_too_large", NULL,
                  "request headers are %zu bytes; the limit is %zu", bytes,
                  srv->cfg.max_header_bytes);
        return false;
    }
    req->cors_origin = api_cors_origin(req);
    if (strcmp(req->method, "OPTIONS") == 0) {
        api_cors_preflight(req);
        return false;
    }
    int status = 0;
    const char *allow = NULL;
    req->route = api_route_find(req, &status, &allow);
    if (!req->route) {
        if (status == 405) {
            api_add_header(req, MHD_HTTP_HEADER_ALLOW, allow);
            api_error(req, 405, "method_not_allowed", NULL,
                      "%s is not allowed on %s (allowed: %s)", req->method, req->path, allow);
        } else {
            api_error(req, 404, "not_found", NULL, "no route for %s %s", req->method, req->path);
        }
        return false;
    }
    if (!(req->route->flags & API_ROUTE_OPEN) && api_auth_enabled(srv->auth)) {
        int denied = api_auth_check(srv->auth, api_header(req, "X-API-Key"));
        if (denied == 401) {
            api_add_header(req, "WWW-Authenticate", "ApiKey header=\"X-API-Key\"");
            api_error(req, 401, "unauthenticated", "X-API-Key",
                      "an API key is required in the X-API-Key header");
            return false;
        }
        if (denied) {
            api_error(req, 403, "forbidden", "X-API-Key", "the API key is not valid");
            return false;
        }
    }
    if (req->route->flags & API_ROUTE_JSON_BODY) {
        const char *ct = api_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!is_json_type(ct)) {
            api_error(req, 415, "unsupported_media_type", "Content-Type",
                      "the body must be application/json%s%.100s%s", ct ? " (got \"" : "",
                      ct ? ct : "", ct ? "\")" : "");
            return false;
        }
    }
    const char *cl = api_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        if (end != cl && *end == '\0' && n > srv->cfg.max_body_bytes) {
            api_error(req, 413, "payload_too_large", NULL,
                      "the body is %llu bytes; the limit is %zu", n, srv->cfg.max_body_bytes);
            return false;
        }
    }
    return true;
}

/* ---- The libmicrohttpd callbacks ------------------------------------------------------- */

/* Keeps at most max_body_bytes: past it the rest is read and dropped, and the request ends
 * with 413 — the limit holds for chunked bodies that declare no length. */
static void take_body(api_request *req, const char *data, size_t size)
{
    size_t limit = req->server->cfg.max_body_bytes;
    if (req->body_too_large)
        return;
    if (req->body_len + size > limit) {
        req->body_too_large = true;
        free(req->body);
        req->body = NULL;
        req->body_len = req->body_cap = 0;
        return;
    }
    if (!fsim_buf_append(&req->body, &req->body_len, &req->body_cap, data, size))
        req->body_too_large = true; /* out of memory: answered as 413, nothing better to say */
}

/* `conn` NULL: a request from api_serve, with its headers given (borrowed for its life). */
static api_request *request_new(api_server *srv, struct MHD_Connection *conn, const char *url,
                                const char *method, const api_header_kv *headers,
                                size_t n_headers)
{
    api_request *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->arena = fsim_arena_new();
    if (!req->arena) {
        free(req);
        return NULL;
    }
    req->server = srv;
    req->conn = conn;
    req->headers = headers;
    req->n_headers = n_headers;
    req->method = fsim_arena_strdup(req->arena, method);
    req->path = fsim_arena_strdup(req->arena, url);
    clock_gettime(CLOCK_MONOTONIC, &req->started);
    atomic_fetch_add(&srv->in_flight, 1);
    api_request_id_assign(req);
    return req;
}

/* ---- One request's steps, shared by libmicrohttpd's callbacks and api_serve -------------- */

/* Headers are in: the checks that need no body. False when they answered. */
static bool request_headers(api_request *req)
{
    if (req->server->cfg.debug_log)
        api_log("DEBUG", req->request_id, "request started: %s %s", req->method, req->path);
    return precheck(req);
}

/* The body is in: false when it answered (over the limit). */
static bool request_body_done(api_request *req)
{
    if (!req->body_too_large)
        return true;
    api_error(req, 413, "payload_too_large", NULL, "the body is larger than %zu bytes",
              req->server->cfg.max_body_bytes);
    return false;
}

/* Whatever can answer without blocking: an inline handler, or the route's fast path (a
 * cached status). False: the handler must run (it may block). */
static bool answer_now(api_request *req)
{
    const api_route *route = req->route;
    return (route->flags & API_ROUTE_INLINE) ? (route->handler(req), true)
                                             : route->fast && route->fast(req);
}

/* A handler that returned without answering is a bug; the client still gets an answer. */
static void ensure_answered(api_request *req)
{
    if (!req->responded)
        api_error(req, 500, "internal", NULL, "the request could not be answered");
}

/* The end of a request: the access line, then everything it owned. */
static void request_free(api_request *req)
{
    if (!req->responded)
        req->status = 499; /* the client went away (nginx's convention) */
    if (req->response) /* made but never queued: the connection died first */
        MHD_destroy_response(req->response);
    api_access_log(req);
    free(req->served_body);
    free(req->body);
    fsim_arena_free(req->arena);
    atomic_fetch_sub(&req->server->in_flight, 1);
    free(req);
}

/* ---- The libmicrohttpd callbacks ------------------------------------------------------- */

/* A handler thread's turn (handler_pool.c): the handler leaves its response in req, and the
 * connection is resumed; libmicrohttpd then calls on_request, which queues it. req must not
 * be touched after the resume: the connection may complete (and free it) at once. */
static void run_deferred(api_request *req)
{
    req->route->handler(req);
    ensure_answered(req);
    MHD_resume_connection(req->conn);
}

/* run_deferred for requests the pool took together (a route's batch handler): each is
 * answered, then each connection resumed. */
static void run_deferred_batch(api_request **reqs, size_t n)
{
    api_route_batch(reqs[0]->route)(reqs, n);
    for (size_t i = 0; i < n; i++)
        if (!reqs[i]->responded)
            api_error(reqs[i], 500, "internal", NULL, "the request could not be answered");
    for (size_t i = 0; i < n; i++)
        MHD_resume_connection(reqs[i]->conn);
}

/* The request is complete: answer on this thread when that cannot block, else suspend the
 * connection and hand the handler to the pool. */
static enum MHD_Result dispatch(api_request *req)
{
    api_server *srv = req->server;
    if (answer_now(req)) {
        ensure_answered(req);
        return queue_response(req);
    }
    req->deferred = true;
    MHD_suspend_connection(req->conn);
    if (api_handler_pool_submit(srv->handlers, req))
        return MHD_YES;
    /* the pool stopped (shutdown): answer here, once libmicrohttpd takes the connection back */
    api_error(req, 503, "unavailable", NULL, "the server is shutting down; retry the request");
    MHD_resume_connection(req->conn);
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    api_server *srv = cls;
    api_request *req = *con_cls;
    if (!req) {
        req = request_new(srv, conn, url, method, NULL, 0);
        if (!req)
            return MHD_NO;
        *con_cls = req;
        if (!request_headers(req)) /* it answered: queue that now, the body will be dropped */
            return queue_response(req);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!req->responded)
            take_body(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->responded) /* answered already (resumed after the pool, or an early error) */
        return queue_response(req);
    if (req->deferred)
        return MHD_YES; /* still with the pool: nothing to do yet */
    if (!request_body_done(req))
        return queue_response(req);
    return dispatch(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    api_request *req = *con_cls;
    if (!req)
        return;
    request_free(req);
    *con_cls = NULL;
}

/* ---- Without a socket ------------------------------------------------------------------- */

/* The query string into (name, value) pairs as libmicrohttpd splits them: on '&' and the
 * first '=', '+' read as a space, percent-escapes decoded. `query` is the arena's. */
static void parse_query(api_request *req, char *query)
{
    size_t n = 1;
    for (const char *p = query; *p; p++)
        n += *p == '&';
    req->args = fsim_arena_calloc(req->arena, n, sizeof *req->args);
    if (!req->args)
        return;
    for (char *next, *arg = query; arg; arg = next) {
        next = strchr(arg, '&');
        if (next)
            *next++ = '\0';
        if (!*arg)
            continue;
        char *value = strchr(arg, '=');
        if (value)
            *value++ = '\0';
        for (char *c = arg; *c; c++)
            *c = *c == '+' ? ' ' : *c;
        MHD_http_unescape(arg);
        if (value) {
            for (char *c = value; *c; c++)
                *c = *c == '+' ? ' ' : *c;
            MHD_http_unescape(value);
        }
        req->args[req->n_args].name = arg;
        req->args[req->n_args].value = value ? value : "";
        req->n_args++;
    }
}

int api_serve(api_server *srv, const char *method, const char *url, const api_header_kv *headers,
              size_t n_headers, const void *body, size_t body_len, char **response,
              size_t *response_len)
{
    *response = NULL;
    *response_len = 0;
    /* libmicrohttpd hands on the path without its query, percent-decoded */
    char *path = strdup(url);
    if (!path)
        return 0;
    char *query = strchr(path, '?');
    if (query)
        *query++ = '\0';
    MHD_http_unescape(path);
    api_request *req = request_new(srv, NULL, path, method, headers, n_headers);
    char *args = req && query ? fsim_arena_strdup(req->arena, query) : NULL;
    free(path);
    if (!req)
        return 0;
    if (args)
        parse_query(req, args);
    if (request_headers(req)) {
        if (body_len > 0)
            take_body(req, body, body_len);
        if (request_body_done(req) && !answer_now(req))
            req->route->handler(req); /* on this thread: no pool, no suspended connection */
        ensure_answered(req);
    }
    int status = (int)req->response_status;
    *response = req->served_body;
    *response_len = *response ? req->response_size : 0;
    req->served_body = NULL;
    request_free(req);
    return status;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    api_log("WARNING", NULL, "libmicrohttpd: %s", msg);
}

/* Binds the listen address (IPv4 or IPv6 literal) and starts the daemon. PORT=0 picks a
 * free port; the start-up log line says which (tests use it). */
bool api_server_start(api_server *srv)
{
    const api_settings *c = &srv->cfg;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, c->listen_address, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)c->port);
    } else if (inet_pton(AF_INET6, c->listen_address, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)c->port);
        flags |= MHD_USE_IPv6;
    } else {
        api_log("ERROR", NULL, "FLEETSIM_API_LISTEN: \"%s\" is not an IPv4 or IPv6 address",
                c->listen_address);
        return false;
    }
    /* libmicrohttpd's per-connection memory holds the header block: give it room above our
     * own header limit so that limit (431, our error shape) is what clients meet. No more:
     * libmicrohttpd 0.9.75 zeroes the whole of it after every request of a keep-alive
     * connection — at twice the limit that memset was 8 % of the API's CPU under wrk. */
    size_t memory = c->max_header_bytes + 16384;
    fsim_error err;
    fsim_error_clear(&err);
    srv->handlers = api_handler_pool_start(c->handler_threads, c->poll_threads, run_deferred,
                                           run_deferred_batch, &err);
    if (!srv->handlers) {
        api_log("ERROR", NULL, "could not start the handler pool: %s", err.message);
        return false;
    }
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)c->port, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->idle_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory, MHD_OPTION_LISTENING_ADDRESS_REUSE,
        (unsigned)1, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)c->http_threads, MHD_OPTION_END);
    if (!srv->daemon) {
        api_log("ERROR", NULL, "could not listen on %s:%d", c->listen_address, c->port);
        return false;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    api_log("INFO", NULL, "%d HTTP threads, %d handler threads (%d reading polls)",
            c->http_threads, c->handler_threads, c->poll_threads);
    api_log("INFO", NULL, "listening on %s port %u", c->listen_address,
            info ? (unsigned)info->port : (unsigned)c->port);
    return true;
}
