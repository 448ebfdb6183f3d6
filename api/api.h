/* fleetsim-api — the program's internal interfaces, grouped by the file that owns them.
 *
 * The program is a thin layer over core/: libmicrohttpd for HTTP (server.c), a route table
 * (router.c), one handler file per resource, and the service conventions each in its own
 * file (auth, request ids, access log, errors, idempotency, the worker pool). Every body
 * crosses the wire through wire.h's codec; every row through store.h. */
#ifndef FLEETSIM_API_H
#define FLEETSIM_API_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <fleetsim/arena.h>
#include <fleetsim/config.h>
#include <fleetsim/error.h>
#include <fleetsim/gcs.h>
#include <fleetsim/job.h>
#include <fleetsim/log.h>
#include <fleetsim/runner.h>
#include <fleetsim/store.h>
#include <fleetsim/wire.h>

struct MHD_Connection;
struct MHD_Daemon;
struct MHD_Response;

/* ---- Settings (main.c: read once from the environment) -------------------------------- */

typedef struct api_settings {
    const char *listen_address;   /* FLEETSIM_API_LISTEN, default 0.0.0.0 */
    int port;                     /* PORT, default 8080 */
    bool production;              /* FLEETSIM_ENV=production or K_SERVICE set */
    bool auth_none;               /* FLEETSIM_API_AUTH=none: no keys, said on purpose */
    const char *config_dir;       /* FLEETSIM_CONFIG_DIR, default "config" */
    const char *config_overrides; /* FLEETSIM_CONFIG_OVERRIDES or NULL */
    const char *database_url;     /* DATABASE_URL or NULL (then DB endpoints answer 503) */
    const char *migrations_dir;   /* FLEETSIM_MIGRATIONS_DIR, default next to config */
    const char *api_keys;         /* FLEETSIM_API_KEYS or NULL (then no key is asked for) */
    const char *cors_origins;     /* FLEETSIM_API_CORS_ORIGINS or NULL (no cross-origin) */
    const char *gcp_project;      /* GOOGLE_CLOUD_PROJECT, for trace names */
    bool docs;                    /* FLEETSIM_API_DOCS=1; off unless asked */
    const char *docs_assets;      /* FLEETSIM_API_DOCS_ASSETS or NULL (handlers_docs.c) */
    bool debug_log;               /* FLEETSIM_API_LOG_LEVEL=debug: a line per request start */
    size_t max_body_bytes;        /* FLEETSIM_API_MAX_BODY_BYTES, default 1 MiB */
    size_t max_header_bytes;      /* FLEETSIM_API_MAX_HEADER_BYTES, default 16 KiB */
    int max_connections;          /* FLEETSIM_API_MAX_CONNECTIONS, default 512 */
    int idle_timeout_s;           /* FLEETSIM_API_IDLE_TIMEOUT_SECONDS, default 30 */
    int grace_s;                  /* FLEETSIM_API_GRACE_SECONDS, default 8 */
    double sync_budget;           /* FLEETSIM_API_SYNC_MAX_VEHICLE_STEPS, default 2e6 */
    int sync_concurrency;         /* FLEETSIM_API_SYNC_CONCURRENCY, default 2 */
    int workers;                  /* FLEETSIM_API_WORKERS, default 2; 0 = none */
    int db_pool;                  /* FLEETSIM_API_DB_POOL, default workers + 8 */
    int lease_s;                  /* FLEETSIM_API_JOB_LEASE_SECONDS, default 60 */
    int max_attempts;             /* FLEETSIM_API_JOB_MAX_ATTEMPTS, default 3 */
    int poll_ms;                  /* FLEETSIM_API_JOB_POLL_MS, default 1000 */
    /* Pub/Sub publishing (publish.c) */
    const char *pubsub_topic;     /* FLEETSIM_PUBSUB_TOPIC (full or short name) or NULL:
                                     jobs run on the in-process workers */
    const char *result_mode;      /* FLEETSIM_RESULT_MODE of published jobs: "db" or "gcs" */
    const char *credentials_json; /* FLEETSIM_GCP_CREDENTIALS_JSON or NULL */
    int publish_timeout_ms;       /* FLEETSIM_API_PUBLISH_TIMEOUT_MS, default 5000 */
    int outbox_delay_s;           /* FLEETSIM_API_OUTBOX_DELAY_SECONDS, default 10 */
    int outbox_backoff_s;         /* FLEETSIM_API_OUTBOX_BACKOFF_SECONDS, default 5 */
    int outbox_poll_ms;           /* FLEETSIM_API_OUTBOX_POLL_MS, default 2000 */
    int outbox_republish_s;       /* FLEETSIM_API_OUTBOX_REPUBLISH_SECONDS, default 900; 0 off */
    int http_threads;             /* FLEETSIM_API_HTTP_THREADS, default: 2 × online CPUs */
    int handler_threads;          /* FLEETSIM_API_HANDLER_THREADS, default db_pool + sync */
    int poll_threads;             /* FLEETSIM_API_POLL_THREADS: batch reads at once, default 1 */
    long status_cache_entries;    /* FLEETSIM_API_STATUS_CACHE_ENTRIES, default 10000; 0 off */
    long status_cache_ttl_ms;     /* FLEETSIM_API_STATUS_CACHE_TTL_MS, default 1000 */
} api_settings;

/* ---- Process-wide state --------------------------------------------------------------- */

typedef struct api_auth api_auth;
typedef struct api_jobs api_jobs;
typedef struct api_idempotency api_idempotency;
typedef struct api_publisher api_publisher;
typedef struct api_status_cache api_status_cache;
typedef struct api_handler_pool api_handler_pool;
typedef struct api_docs api_docs;

typedef struct api_server {
    api_settings cfg;
    fsim_config *config;          /* loaded once at start-up (config endpoints) */
    const char *vehicles_json;    /* GET /v1/config/vehicles, in config's arena */
    const char *chargers_json;
    char *routes_geojson;         /* GET /v1/config/routes (malloc'd) */
    fsim_store *store;            /* NULL without DATABASE_URL */
    api_auth *auth;
    api_jobs *jobs;
    api_idempotency *idempotency;
    api_status_cache *status_cache; /* NULL when turned off */
    api_handler_pool *handlers;   /* runs the handlers that may block (handler_pool.c) */
    char *openapi_json;           /* built at start-up when docs are on (malloc'd) */
    api_docs *docs;               /* the viewers /docs serves, when docs are on */
    struct MHD_Daemon *daemon;
    atomic_int in_flight;         /* requests between first callback and completion */
    atomic_int sync_running;      /* POST /v1/simulations:run in progress */
    atomic_bool draining;         /* SIGTERM seen: answer with Connection: close */
    atomic_bool aborting;         /* the grace period is over: cancel sync runs */
    api_publisher *publisher;     /* NULL without FLEETSIM_PUBSUB_TOPIC */
    fsim_gcs *gcs;                /* reads gcs-mode results (result_stream.c) */
    fsim_gcp_auth *gcp_auth;      /* its credentials; NULL with an emulator */
    fsim_svc *svc;                /* routing, elevation, weather (docs/services.md) */
} api_server;

/* ---- One request (server.c) ------------------------------------------------------------ */

#define API_REQUEST_ID_MAX 128
#define API_MAX_PARAMS 2
#define API_MAX_EXTRA_HEADERS 8

typedef struct api_route api_route;

/* A request header or query argument of a request given to api_serve. */
typedef struct api_header_kv {
    const char *name;
    const char *value;
} api_header_kv;

typedef struct api_request {
    api_server *server;
    struct MHD_Connection *conn;  /* NULL for a request from api_serve */
    fsim_arena *arena;            /* everything of this request; freed at completion */
    /* api_serve only: the headers (borrowed) and the query arguments (in the arena) */
    const api_header_kv *headers;
    size_t n_headers;
    api_header_kv *args;
    size_t n_args;
    char *served_body;            /* api_serve only: the body api_respond was given */
    const char *served_type;      /* the response's Content-Type, or NULL */
    const char *method;           /* borrowed from libmicrohttpd */
    const char *path;             /* the URL path, without the query */
    struct timespec started;      /* CLOCK_MONOTONIC */
    char request_id[API_REQUEST_ID_MAX + 1];
    char trace[300];              /* logging.googleapis.com/trace value or "" */
    char span[17];                /* logging.googleapis.com/spanId or "" */
    /* the body, accumulated only up to the limit */
    char *body;
    size_t body_len;
    size_t body_cap;
    bool body_too_large;
    bool body_seen;               /* the headers call has been handled */
    bool responded;               /* a response exists (made by api_respond) */
    /* the response, from api_respond until server.c queues it on the HTTP thread */
    struct MHD_Response *response;
    unsigned response_status;
    bool deferred;                /* suspended, in or waiting for the handler pool */
    struct api_request *next_queued; /* the handler pool's queue */
    /* the route and its {params} */
    const api_route *route;
    const char *params[API_MAX_PARAMS];
    /* extra response headers (Location, Allow, …) */
    const char *extra_names[API_MAX_EXTRA_HEADERS];
    const char *extra_values[API_MAX_EXTRA_HEADERS];
    int n_extra;
    /* the request's Origin when FLEETSIM_API_CORS_ORIGINS allows it (cors.c), else NULL */
    const char *cors_origin;
    /* what the access log reports */
    int status;
    size_t response_size;
} api_request;

/* Request header `name` (case-insensitive) or NULL. */
const char *api_header(const api_request *req, const char *name);
/* Query argument `name` or NULL. */
const char *api_query(const api_request *req, const char *name);
/* Adds a response header (both strings must live until the response is queued: the arena
 * is fine). Silently ignored past API_MAX_EXTRA_HEADERS. */
void api_add_header(api_request *req, const char *name, const char *value);
/* Makes the response: `body` (malloc'd; ownership passes) with `status` and `content_type`,
 * plus X-Request-Id, Cache-Control and the extra headers; server.c queues it once the
 * handler returns (on the HTTP thread: libmicrohttpd wants it there). The first response
 * of a request stands. Returns false when out of memory. Any thread. */
bool api_respond(api_request *req, int status, const char *content_type, char *body,
                 size_t len);
/* api_respond for a response built by the caller (e.g. a streaming one): adds the same
 * headers (Content-Type when `content_type` is not NULL), queues it and destroys the
 * caller's reference. `len` is what the access log reports. */
bool api_respond_response(api_request *req, int status, const char *content_type,
                          struct MHD_Response *resp, size_t len);
/* True when an Accept-Encoding header value accepts gzip (q > 0, by name or by "*"). */
bool api_accepts_gzip(const char *accept_encoding);
/* api_respond for a body worth compressing (results, reports; compress.c): gzip with
 * Content-Encoding when the request's Accept-Encoding allows it and the body is over 1 KiB,
 * the plain body otherwise; always Vary: Accept-Encoding. Takes `body` as api_respond. */
bool api_respond_negotiated(api_request *req, int status, const char *content_type, char *body,
                            size_t len);
/* The request's Origin header when FLEETSIM_API_CORS_ORIGINS lists it (or holds "*"),
 * else NULL (cors.c). */
const char *api_cors_origin(const api_request *req);
/* Answers OPTIONS on a known path: 204 with Allow; for a CORS preflight from an allowed
 * origin also the Access-Control-Allow-* headers, from any other origin 403. */
bool api_cors_preflight(api_request *req);
/* api_respond with a copy of a static or borrowed text. */
bool api_respond_copy(api_request *req, int status, const char *content_type,
                      const char *text);

/* Starts libmicrohttpd with the settings' limits (srv->daemon), and the handler pool. */
bool api_server_start(api_server *srv);
/* One request without a socket, through the steps a request from libmicrohttpd takes (the
 * same functions): request id, header size, route (404/405), API key, Content-Type, body
 * limit, the route's fast path or handler — the handler on this thread, not the pool.
 * `url` is the request target as sent (path, optional ?query, percent-escaped); headers are
 * borrowed. Returns the status (0 when out of memory); *response is the body (malloc'd,
 * the caller frees it; NULL for an empty or streamed one). The access line is logged as
 * for any request. For the fuzz harness (tests/fuzz/fuzz_api.c); `srv` needs no daemon. */
int api_serve(api_server *srv, const char *method, const char *url, const api_header_kv *headers,
              size_t n_headers, const void *body, size_t body_len, char **response,
              size_t *response_len);

/* ---- Handler pool (handler_pool.c) ----------------------------------------------------- */

/* At most this many requests go to one call of a route's batch handler. */
#define API_BATCH_MAX 64
/* `threads` threads calling `run` for each submitted request, in order; a request whose
 * route has a batch handler goes to `run_batch` with the requests of that route queued
 * behind it (up to API_BATCH_MAX), by at most `batch_threads` threads at once (the other
 * routes' requests are not held back by them). */
api_handler_pool *api_handler_pool_start(int threads, int batch_threads,
                                         void (*run)(api_request *req),
                                         void (*run_batch)(api_request **reqs, size_t n),
                                         fsim_error *err);
/* Queues `req`; false once the pool is stopping (then nothing was queued). */
bool api_handler_pool_submit(api_handler_pool *pool, api_request *req);
/* Runs what is queued, then joins the threads and frees the pool. Accepts NULL. */
void api_handler_pool_stop(api_handler_pool *pool);

/* ---- Errors (errors.c): the one error shape ------------------------------------------- */

/* Responds {"error": {code, message, field, requestId}} with `status`. `field` may be NULL
 * or "" (left out). The message is printf-formatted. */
bool api_error(api_request *req, int status, const char *code, const char *field,
               const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
/* The 422 of a request with problems: `first` (the decoder's error) gives field and
 * message, `details` (n of them, borrowed; NULL/0: just `first`) every problem found. */
bool api_error_problems(api_request *req, const fsim_error *first,
                        const fsim_error_detail *details, size_t n);
/* Maps a core error to the one shape: FSIM_INVALID → 422 invalid_request (or 400
 * invalid_json when it carries a line, i.e. a syntax error), FSIM_NOT_FOUND → 404 or the
 * given 422 when the field is a body field, FSIM_IO → 503 unavailable, FSIM_NOMEM → 503,
 * anything else → 500 internal. The message never carries SQL. */
bool api_error_from(api_request *req, const fsim_error *err);

/* ---- Request ids and logging (request_id.c, access_log.c) --------------------------- */

/* Takes x-request-id when it is 1..128 visible ASCII bytes, else makes a new one; fills
 * req->request_id, and req->trace / req->span from traceparent or X-Cloud-Trace-Context
 * (core/log). Lines go through the one logger (<fleetsim/log.h>), batched for access lines. */
void api_request_id_assign(api_request *req);
/* One JSON line on stdout in Cloud Logging's shape for a finished request. */
void api_access_log(const api_request *req);
/* A free-form JSON log line (`severity` INFO, WARNING, ERROR, DEBUG). */
void api_log(const char *severity, const char *request_id, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- Auth (auth.c) -------------------------------------------------------------------- */

/* Parses the comma-separated keys; NULL `keys` or no key ⇒ an open server. */
/* The keys of FLEETSIM_API_KEYS (may be NULL: no keys); NULL with FSIM_USAGE naming the
 * variable when a key is shorter than API_AUTH_MIN_KEY_BYTES. */
#define API_AUTH_MIN_KEY_BYTES 16
api_auth *api_auth_new(const char *keys, fsim_error *err);
void api_auth_free(api_auth *auth);
bool api_auth_enabled(const api_auth *auth);
/* 0 when allowed, else 401 (no key) or 403 (wrong key). Constant time in the key. */
int api_auth_check(const api_auth *auth, const char *presented);

/* ---- Routing (router.c) --------------------------------------------------------------- */

typedef bool (*api_handler_fn)(api_request *req);
typedef void (*api_batch_fn)(api_request **reqs, size_t n);

enum {
    API_ROUTE_OPEN = 1u << 0,      /* no API key needed (health, docs) */
    API_ROUTE_JSON_BODY = 1u << 1, /* takes a JSON body: Content-Type checked */
    API_ROUTE_INLINE = 1u << 2,    /* never blocks: runs on the HTTP thread */
    API_ROUTE_THE_DOCS = 1u << 3,  /* serves the documentation, so is no operation in it */
};

struct api_route {
    const char *method;
    const char *pattern;           /* "/v1/simulations/{id}" */
    api_handler_fn handler;        /* on a handler thread unless API_ROUTE_INLINE */
    unsigned flags;
    /* optional, on the HTTP thread first: answers from memory when it can (returns true),
     * else the handler runs */
    api_handler_fn fast;
};

/* The route's batch handler, or NULL: on a handler thread instead of `handler`, it answers
 * n requests of the route that were queued together (reqs[0] the oldest), e.g. in one
 * database round trip (handler_pool.c). */
api_batch_fn api_route_batch(const api_route *route);
/* Finds the route of (method, path). NULL with *status 404, or 405 and *allow the methods
 * the path takes ("GET, DELETE"), in `req`'s arena. */
const api_route *api_route_find(api_request *req, int *status, const char **allow);
/* The route table, one "METHOD PATTERN" line each (`fleetsim-api --routes`); the routes that
 * serve the documentation itself are marked, every other one is an OpenAPI operation
 * (tests/api/routes_cases.sh checks both directions). */
void api_routes_print(FILE *out);

/* ---- Documentation pages (handlers_docs.c) ------------------------------------------- */

/* Reads the pinned Swagger UI and Redoc files (api/docs-assets/install.sh) into memory and
 * makes the two pages. `setting` (FLEETSIM_API_DOCS_ASSETS, may be NULL) names the folder;
 * without it docs-assets/ beside the binary, then ../share/fleetsim/docs-assets/ from it.
 * A set folder without the files is FSIM_USAGE naming the variable; no folder found is
 * not an error (api_docs_folder says NULL, and /docs answers 503 saying why). */
api_docs *api_docs_load(const char *setting, fsim_error *err);
/* The folder the files came from, or NULL. */
const char *api_docs_folder(const api_docs *docs);
/* Accepts NULL; only after the daemon has stopped (responses point into it). */
void api_docs_free(api_docs *docs);

/* ---- Handlers -------------------------------------------------------------------------- */

bool api_handle_healthz(api_request *req);
bool api_handle_readyz(api_request *req);
bool api_handle_config(api_request *req);
bool api_handle_openapi(api_request *req);
bool api_handle_docs(api_request *req);       /* handlers_docs.c: Swagger UI */
bool api_handle_docs_redoc(api_request *req); /* Redoc */
bool api_handle_docs_asset(api_request *req); /* /docs/assets/{name} */
bool api_handle_run(api_request *req);
bool api_handle_compare(api_request *req);
bool api_handle_submit(api_request *req);
bool api_handle_status(api_request *req);
bool api_handle_status_cached(api_request *req);
void api_handle_status_batch(api_request **reqs, size_t n);
bool api_handle_result(api_request *req);
bool api_handle_report(api_request *req); /* handlers_report.c */
bool api_handle_list(api_request *req);
bool api_handle_delete(api_request *req);
bool api_handle_fleet_create(api_request *req); /* handlers_fleets.c */
bool api_handle_fleet_list(api_request *req);
bool api_handle_fleet_get(api_request *req);
bool api_handle_plan_submit(api_request *req); /* handlers_plans.c */
bool api_handle_plan_status(api_request *req);
bool api_handle_plan_result(api_request *req);

/* Handlers that need the database: true when there is one, else it answers 503 (util.c). */
bool api_need_store(api_request *req);
/* The page size query parameter `limit` (1..1000, default 50); false after answering 400. */
bool api_query_limit(api_request *req, long *limit);
/* 202 Accepted for a queued job of /v1/COLLECTION ("simulations", "plans"): a
 * SubmitResponse with its links and a Location header; `replayed` adds
 * Idempotent-Replayed: true (util.c). */
bool api_respond_submitted(api_request *req, const char *collection, const char *id,
                           bool replayed);
/* Decodes the body as `type` into the request's arena, answering the error itself (400 with
 * line and column, or 422 listing every problem) and returning NULL on failure. */
void *api_decode_body(api_request *req, fsim_wire_type type);
/* Decodes the body as a SimulationRequest, answering the error itself (400/415/422) and
 * returning NULL on failure. */
fsim_request *api_decode_request(api_request *req);
/* Runner options for this server, with the request id as trace id. */
fsim_runner_options api_runner_options(const api_request *req);
/* The synchronous endpoints' common start (:run, :compare): decode and prepare the request,
 * refuse it over the vehicle-step budget (413, pointing at POST /v1/simulations) or when
 * every synchronous slot is taken (503), else take a slot and set the options' stop check.
 * NULL when an answer was already given; otherwise run, then api_sync_end. A comparison's
 * budget is per strategy: its engines run in parallel. */
fsim_prepared *api_sync_begin(api_request *req, fsim_request **request,
                              fsim_runner_options *opts);
void api_sync_end(api_request *req);


/* ---- OpenAPI (openapi.c) -------------------------------------------------------------- */

extern const char api_docs_html[];

/* ---- Idempotency (idempotency.c) ------------------------------------------------------- */

api_idempotency *api_idempotency_new(void);
void api_idempotency_free(api_idempotency *idem);
/* Checks an Idempotency-Key header: NULL when acceptable, else why not (400). */
const char *api_idempotency_key_problem(const char *key);
/* Marks `key` as being handled: false when another request holds it (409). */
bool api_idempotency_begin(api_idempotency *idem, const char *key);
void api_idempotency_end(api_idempotency *idem, const char *key);

/* ---- Status cache (status_cache.c): finished jobs' status bodies ---------------------- */

/* `capacity` entries (<= 0: no cache, NULL), each served for at most `ttl_ms`. NULL also
 * when out of memory; every function below accepts a NULL cache (and then does nothing). */
api_status_cache *api_status_cache_new(long capacity, long ttl_ms);
void api_status_cache_free(api_status_cache *cache);
/* Taken before reading a status from the database, handed to _put with what was read. */
uint64_t api_status_cache_epoch(api_status_cache *cache);
/* The body kept for `id`: a malloc'd copy (NUL-terminated) in *body, its length in *len.
 * false: read the database, then _put a final status or _forget the id (whatever the
 * answer — the first miss on an expired entry is the one that renews it). */
bool api_status_cache_get(api_status_cache *cache, const char *id, char **body, size_t *len);
/* Keeps a copy of `body` — only for a final status (succeeded, failed). Dropped when an
 * invalidation happened since `epoch` was taken (the read may predate a delete). */
void api_status_cache_put(api_status_cache *cache, const char *id, const char *body,
                          size_t len, uint64_t epoch);
/* Drops `id` after a read that did not end in _put (gone, not final, database error). */
void api_status_cache_forget(api_status_cache *cache, const char *id);
/* Drops `id` (after its row was deleted here) and voids every read still in flight. */
void api_status_cache_invalidate(api_status_cache *cache, const char *id);

/* ---- Worker pool (jobs.c) -------------------------------------------------------------- */

/* The services a job of this process uses (store, Cloud Storage, the API's log). */
fsim_services api_services(const api_server *srv);
/* Starts `cfg.workers` threads that claim queued rows and run them. */
api_jobs *api_jobs_start(api_server *srv, fsim_error *err);
/* Wakes a worker (a job was just queued). Accepts NULL. */
void api_jobs_notify(api_jobs *jobs);
/* Asks every worker to stop at its next progress point and joins them. Accepts NULL. */
void api_jobs_stop(api_jobs *jobs);

/* ---- Publishing to Pub/Sub, and the outbox (publish.c) ------------------------------- */

/* With FLEETSIM_PUBSUB_TOPIC: opens the Pub/Sub client and starts the outbox relayer, which
 * re-publishes queued jobs still unpublished after FLEETSIM_API_OUTBOX_DELAY_SECONDS, with
 * per-row backoff, and jobs still not done FLEETSIM_API_OUTBOX_REPUBLISH_SECONDS after their
 * publish. srv->publisher stays NULL without a topic. False (err filled) when the
 * topic cannot be named or the client not created. */
bool api_publisher_start(api_server *srv, fsim_error *err);
/* The job services with the publisher's client and topic (svc.pubsub NULL without a topic):
 * what a plan job publishes its batches with. */
fsim_services api_plan_services(const api_server *srv);
/* Stops the relayer (cancelling a publish in flight) and closes the client. Accepts NULL. */
void api_publisher_stop(api_publisher *pub);
/* "db" or "gcs" (the result_mode of new rows) when publishing; NULL otherwise. */
const char *api_publisher_mode(const api_publisher *pub);
/* Publishes the JobMessage of row `id`, just created for `request`, with `trace` as its
 * traceId / requestId attributes, and marks the row published. A failure is logged as a
 * WARNING and leaves the row to the outbox; the caller answers 202 either way. */
void api_publish_job(api_publisher *pub, const char *id, const fsim_request *request,
                     const char *trace);

/* ---- gcs-mode results (result_stream.c) ----------------------------------------------- */

/* Creates srv->gcs (STORAGE_EMULATOR_HOST, else Google credentials; FLEETSIM_GCS_* for the
 * retry budget). No network yet. False (err filled) on a bad setting or key. */
bool api_gcs_open(api_server *srv, fsim_error *err);
void api_gcs_close(api_server *srv);
/* Answers GET …/result for a row whose result is the object at `uri`: streams its bytes as
 * they arrive from Cloud Storage (application/json), or an error in the one shape — 404
 * result_missing when the object is gone, 503 storage_unavailable when Cloud Storage does
 * not answer within the retry budget. */
bool api_stream_gcs_result(api_request *req, const char *id, const char *uri);

/* ---- Small helpers (util.c) ----------------------------------------------------------- */

double api_seconds_since(const struct timespec *t0);

#endif
