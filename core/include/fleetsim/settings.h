/* fleetsim — every environment variable the programs read, declared once.
 *
 * FSIM_SETTINGS_MAP says for each variable its name, type, value range or choices, the
 * default a reader gets, who reads it, the default as the documentation shows it and what it
 * means. The programs read their settings through fsim_setting_*() — which validate against
 * the table, so a malformed value is an error naming the variable (exit 2) — `--help` lists
 * them (fsim_settings_print) and docs/environment.md's table is this table
 * (fsim_settings_markdown; tests/unit/test_settings.c fails when they differ). */
#ifndef FLEETSIM_SETTINGS_H
#define FLEETSIM_SETTINGS_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include <fleetsim/error.h>

/* X(ID, "NAME", TYPE, "value when unset" or NULL, lo, hi, "choice|choice" or NULL,
 *   "used by", "default as documented", "meaning")
 * TYPE: TEXT (any non-empty string), INT (a whole number in lo..hi), BOOL ("0" or "1"),
 * CHOICE (one of the choices). An empty value counts as unset. */
#define FSIM_SETTINGS_MAP(X) \
    X(CONFIG_DIR, "FLEETSIM_CONFIG_DIR", TEXT, "config", 0, 0, NULL,\
      "all", "`config` (images: `/usr/share/fleetsim/config`)",\
      "base folder of the YAML config (`--config` wins in the CLI)") \
    X(CONFIG_OVERRIDES, "FLEETSIM_CONFIG_OVERRIDES", TEXT, NULL, 0, 0, NULL,\
      "all", "—",\
      "JSON object deep-merged over the YAML config") \
    X(MIGRATIONS_DIR, "FLEETSIM_MIGRATIONS_DIR", TEXT, NULL, 0, 0, NULL,\
      "`fleetsim migrate`, api", "`migrations/` beside the config dir (images: `/usr/share/fleetsim/migrations`)",\
      "what `migrate` applies and what start-up and `/readyz` compare the database with") \
    X(DATABASE_URL, "DATABASE_URL", TEXT, NULL, 0, 0, NULL,\
      "`migrate`, `import`, `run --mode db/gcs`, api, pubsub", "—",\
      "libpq URI or conninfo; unset in the API: only sync runs, config and health work (the rest `503`)") \
    X(PORT, "PORT", INT, "8080", 0, 65535, NULL,\
      "api, pubsub `--push`", "`8080`",\
      "listen port (Cloud Run sets it; `0`: any free port, logged at start-up)") \
    X(ENV, "FLEETSIM_ENV", CHOICE, NULL, 0, 0, "production|development",\
      "api, pubsub", "—",\
      "`production`: nothing is turned on by default (docs stay off) and the programs fail closed: the API needs a key, the push endpoint its audience (set in both images)") \
    X(K_SERVICE, "K_SERVICE", TEXT, NULL, 0, 0, NULL,\
      "api, pubsub", "—",\
      "set by Cloud Run: counts as `FLEETSIM_ENV=production`") \
    X(GOOGLE_CLOUD_PROJECT, "GOOGLE_CLOUD_PROJECT", TEXT, NULL, 0, 0, NULL,\
      "api, pubsub", "—",\
      "project of short topic / subscription names and of `logging.googleapis.com/trace`") \
    X(API_URL, "FLEETSIM_API_URL", TEXT, "http://127.0.0.1:8080", 0, 0, NULL,\
      "`fleetsim submit / status / fetch / fleet`", "`http://127.0.0.1:8080`",\
      "the API to talk to (`--api` wins)") \
    X(API_KEY, "FLEETSIM_API_KEY", TEXT, NULL, 0, 0, NULL,\
      "`fleetsim submit / status / fetch / fleet`", "—",\
      "the key sent as `X-API-Key`") \
    X(API_LISTEN, "FLEETSIM_API_LISTEN", TEXT, "0.0.0.0", 0, 0, NULL,\
      "api", "`0.0.0.0`",\
      "listen address (IPv4 or IPv6 literal; tests use `127.0.0.1`)") \
    X(API_KEYS, "FLEETSIM_API_KEYS", TEXT, NULL, 0, 0, NULL,\
      "api", "—",\
      "comma-separated accepted keys (`X-API-Key`, 16 bytes or more each), several for rotation; none in production: exit 2 unless `FLEETSIM_API_AUTH=none`") \
    X(API_AUTH, "FLEETSIM_API_AUTH", CHOICE, "keys", 0, 0, "keys|none",\
      "api", "`keys`",\
      "`none`: serve without keys even in production (a start-up WARNING; keep the API behind IAM)") \
    X(API_CORS_ORIGINS, "FLEETSIM_API_CORS_ORIGINS", TEXT, NULL, 0, 0, NULL,\
      "api", "— (none)",\
      "comma-separated origins (`https://app.example.com`) a browser app may call the API from; `*` any; preflight `OPTIONS` answered for them") \
    X(API_DOCS, "FLEETSIM_API_DOCS", BOOL, "0", 0, 1, NULL,\
      "api", "`0`",\
      "`1` serves `/openapi.json`, `/docs` (Swagger UI) and `/docs/redoc` (Redoc)") \
    X(API_DOCS_ASSETS, "FLEETSIM_API_DOCS_ASSETS", TEXT, NULL, 0, 0, NULL,\
      "api", "`docs-assets/` beside the binary, else `../share/fleetsim/docs-assets/` from it (images: `/usr/share/fleetsim/docs-assets`)",\
      "folder of the pinned Swagger UI and Redoc files `/docs` serves (`api/docs-assets/install.sh`); set but unreadable stops start-up") \
    X(API_MAX_BODY_BYTES, "FLEETSIM_API_MAX_BODY_BYTES", INT, "1048576", 1, 1073741824, NULL,\
      "api", "`1048576`",\
      "request body limit (`413` beyond)") \
    X(API_MAX_HEADER_BYTES, "FLEETSIM_API_MAX_HEADER_BYTES", INT, "16384", 1024, 1048576, NULL,\
      "api", "`16384`",\
      "request header block limit (`431` beyond)") \
    X(API_MAX_CONNECTIONS, "FLEETSIM_API_MAX_CONNECTIONS", INT, "512", 1, 100000, NULL,\
      "api", "`512`",\
      "concurrent connections (libmicrohttpd shares them out evenly among the HTTP threads)") \
    X(API_IDLE_TIMEOUT_SECONDS, "FLEETSIM_API_IDLE_TIMEOUT_SECONDS", INT, "30", 1, 3600, NULL,\
      "api", "`30`",\
      "an idle connection is closed after this") \
    X(API_GRACE_SECONDS, "FLEETSIM_API_GRACE_SECONDS", INT, "8", 0, 3600, NULL,\
      "api", "`8`",\
      "how long SIGTERM waits for in-flight requests") \
    X(API_SYNC_MAX_VEHICLE_STEPS, "FLEETSIM_API_SYNC_MAX_VEHICLE_STEPS", INT, "2000000", 0, LONG_MAX, NULL,\
      "api", "`2000000`",\
      "size budget of `POST /v1/simulations:run` (vehicles × steps)") \
    X(API_SYNC_CONCURRENCY, "FLEETSIM_API_SYNC_CONCURRENCY", INT, "2", 1, 1024, NULL,\
      "api", "`2`",\
      "synchronous runs at once (`503 busy` beyond)") \
    X(API_WORKERS, "FLEETSIM_API_WORKERS", INT, "2", 0, 256, NULL,\
      "api", "`2`",\
      "in-process job workers (`0`: none; another instance or the Pub/Sub worker runs the jobs)") \
    X(API_DB_POOL, "FLEETSIM_API_DB_POOL", INT, NULL, 1, 1024, NULL,\
      "api", "workers + 8",\
      "database connections") \
    X(API_JOB_LEASE_SECONDS, "FLEETSIM_API_JOB_LEASE_SECONDS", INT, "60", 5, 86400, NULL,\
      "api", "`60`",\
      "a running job's lease, renewed every simulated day") \
    X(API_JOB_MAX_ATTEMPTS, "FLEETSIM_API_JOB_MAX_ATTEMPTS", INT, "3", 1, 100, NULL,\
      "api", "`3`",\
      "claims of a job (interrupted, or handed back after a retryable failure) before it fails with `attempts_exhausted`") \
    X(API_JOB_POLL_MS, "FLEETSIM_API_JOB_POLL_MS", INT, "1000", 10, 600000, NULL,\
      "api", "`1000`",\
      "how often an idle worker looks for queued rows") \
    X(API_HTTP_THREADS, "FLEETSIM_API_HTTP_THREADS", INT, NULL, 1, 256, NULL,\
      "api", "2 × online CPUs",\
      "threads serving connections (epoll loops; they never block)") \
    X(API_HANDLER_THREADS, "FLEETSIM_API_HANDLER_THREADS", INT, NULL, 1, 1024, NULL,\
      "api", "pool + sync concurrency",\
      "threads running the handlers that wait (database, synchronous runs)") \
    X(API_POLL_THREADS, "FLEETSIM_API_POLL_THREADS", INT, "1", 1, 1024, NULL,\
      "api", "`1`",\
      "of the handler threads, how many read status polls (`GET /v1/simulations/{id}` not answered from the cache) at once; each reads every poll queued, up to 64, with one statement, so polls that arrive meanwhile make the next read larger instead of waking more threads") \
    X(API_STATUS_CACHE_ENTRIES, "FLEETSIM_API_STATUS_CACHE_ENTRIES", INT, "10000", 0, 10000000, NULL,\
      "api", "`10000`",\
      "finished jobs whose status is kept in memory (`0`: no cache)") \
    X(API_STATUS_CACHE_TTL_MS, "FLEETSIM_API_STATUS_CACHE_TTL_MS", INT, "1000", 1, 3600000, NULL,\
      "api", "`1000`",\
      "how long a kept status is served before the database is asked again: a delete made by another instance goes unseen here for at most this (twice this while the database is slow to answer)") \
    X(API_LOG_LEVEL, "FLEETSIM_API_LOG_LEVEL", CHOICE, "info", 0, 0, "info|debug",\
      "api", "`info`",\
      "`debug` adds a line when each request starts") \
    X(PUBSUB_TOPIC, "FLEETSIM_PUBSUB_TOPIC", TEXT, NULL, 0, 0, NULL,\
      "api", "—",\
      "publish jobs to this topic (full or short name); unset: the in-process workers run them; the outbox re-publishes what failed") \
    X(RESULT_MODE, "FLEETSIM_RESULT_MODE", CHOICE, "db", 0, 0, "db|gcs",\
      "api", "`db`",\
      "`mode` of published jobs: `db` (result in the row) or `gcs` (result in Cloud Storage; needs a topic)") \
    X(API_PUBLISH_TIMEOUT_MS, "FLEETSIM_API_PUBLISH_TIMEOUT_MS", INT, "5000", 100, 600000, NULL,\
      "api", "`5000`",\
      "deadline of one Publish call") \
    X(API_OUTBOX_DELAY_SECONDS, "FLEETSIM_API_OUTBOX_DELAY_SECONDS", INT, "10", 0, 86400, NULL,\
      "api", "`10`",\
      "an unpublished row younger than this is left to the request that made it") \
    X(API_OUTBOX_BACKOFF_SECONDS, "FLEETSIM_API_OUTBOX_BACKOFF_SECONDS", INT, "5", 1, 3600, NULL,\
      "api", "`5`",\
      "the outbox's first retry delay per row, doubling, at most 300 s") \
    X(API_OUTBOX_POLL_MS, "FLEETSIM_API_OUTBOX_POLL_MS", INT, "2000", 10, 600000, NULL,\
      "api", "`2000`",\
      "how often the relayer looks at the outbox") \
    X(API_OUTBOX_REPUBLISH_SECONDS, "FLEETSIM_API_OUTBOX_REPUBLISH_SECONDS", INT, "900", 0, 604800, NULL,\
      "api", "`900`",\
      "a published job still queued this long after its last publish (or running under a lease that ran out this long ago) is published again, in case Pub/Sub lost its message; the extra message is harmless (the worker claims a row once); `0`: never") \
    X(PUBSUB_SUBSCRIPTION, "FLEETSIM_PUBSUB_SUBSCRIPTION", TEXT, NULL, 0, 0, NULL,\
      "pubsub `--pull`", "—",\
      "full name `projects/P/subscriptions/S`, or a short name completed with `GOOGLE_CLOUD_PROJECT`") \
    X(PUBSUB_WORKERS, "FLEETSIM_PUBSUB_WORKERS", INT, "2", 1, 64, NULL,\
      "pubsub", "`2`",\
      "concurrent jobs (threads)") \
    X(PUBSUB_ACK_DEADLINE_SECONDS, "FLEETSIM_PUBSUB_ACK_DEADLINE_SECONDS", INT, "60", 2, 600, NULL,\
      "pubsub `--pull`", "`60`",\
      "deadline kept on a running job's message, 2..600") \
    X(PUBSUB_LEASE_SECONDS, "FLEETSIM_PUBSUB_LEASE_SECONDS", INT, "30", 2, 3600, NULL,\
      "pubsub", "`30`",\
      "the row's lease, renewed while running") \
    X(PUBSUB_MAX_ATTEMPTS, "FLEETSIM_PUBSUB_MAX_ATTEMPTS", INT, "5", 1, 1000, NULL,\
      "pubsub", "`5`",\
      "claims of a job before it fails with `attempts_exhausted`") \
    X(PUBSUB_GRACE_SECONDS, "FLEETSIM_PUBSUB_GRACE_SECONDS", INT, "8", 0, 3600, NULL,\
      "pubsub", "`8`",\
      "SIGTERM: time for running jobs to finish") \
    X(PUBSUB_RETRY_SECONDS, "FLEETSIM_PUBSUB_RETRY_SECONDS", INT, "10", 1, 600, NULL,\
      "pubsub", "`10`",\
      "a job running elsewhere is offered again after this") \
    X(PUSH_AUDIENCE, "FLEETSIM_PUSH_AUDIENCE", TEXT, NULL, 0, 0, NULL,\
      "pubsub `--push`", "— (open)",\
      "the push subscription's token audience; set ⇒ every POST needs a valid Google OIDC token (unset in production: exit 2 unless `FLEETSIM_PUSH_AUTH=none`)") \
    X(PUSH_AUTH, "FLEETSIM_PUSH_AUTH", CHOICE, "oidc", 0, 0, "oidc|none",\
      "pubsub `--push`", "`oidc`",\
      "`none`: an open push endpoint even in production (a start-up WARNING; keep it behind Cloud Run IAM)") \
    X(PUSH_SERVICE_ACCOUNT, "FLEETSIM_PUSH_SERVICE_ACCOUNT", TEXT, NULL, 0, 0, NULL,\
      "pubsub `--push`", "—",\
      "the push subscription's service account: the token's `email` (required with the audience)") \
    X(PUSH_JWKS, "FLEETSIM_PUSH_JWKS", TEXT, NULL, 0, 0, NULL,\
      "pubsub `--push`", "Google's keys",\
      "signing keys instead: a JWKS `http(s)://` URL or a JWKS file (tests)") \
    X(GCS_BUCKET, "FLEETSIM_GCS_BUCKET", TEXT, NULL, 0, 0, NULL,\
      "pubsub, `run --mode gcs`", "—",\
      "bucket of gcs-mode results (`gs://BUCKET/simulations/<id>/result.json`); unset: gcs jobs fail (`gcs_not_configured`); the API reads the row's `resultUri`") \
    X(GCS_MAX_ATTEMPTS, "FLEETSIM_GCS_MAX_ATTEMPTS", INT, NULL, 1, 100, NULL,\
      "pubsub, api, `run --mode gcs`", "pubsub and CLI `5`, api `3`",\
      "Cloud Storage tries per upload / download (a resumable upload, above 8 MiB: tries " \
      "since its last persisted chunk)") \
    X(GCS_TIMEOUT_SECONDS, "FLEETSIM_GCS_TIMEOUT_SECONDS", INT, NULL, 1, 3600, NULL,\
      "pubsub, api, `run --mode gcs`", "pubsub and CLI `120`, api `30`",\
      "seconds per try (per request: one chunk of a resumable upload)") \
    X(GOOGLE_APPLICATION_CREDENTIALS, "GOOGLE_APPLICATION_CREDENTIALS", TEXT, NULL, 0, 0, NULL,\
      "api, pubsub, `run --mode gcs`", "— (metadata server)",\
      "service-account key file path; Pub/Sub and Cloud Storage tokens come from the same helper (`core/gcp`)") \
    X(GCP_CREDENTIALS_JSON, "FLEETSIM_GCP_CREDENTIALS_JSON", TEXT, NULL, 0, 0, NULL,\
      "api, pubsub, `run --mode gcs`", "—",\
      "the same key as a JSON string (wins over the file)") \
    X(GCE_METADATA_HOST, "GCE_METADATA_HOST", TEXT, "metadata.google.internal", 0, 0, NULL,\
      "api, pubsub, `run --mode gcs`", "`metadata.google.internal`",\
      "`host:port` of the metadata server (tests)") \
    X(PUBSUB_EMULATOR_HOST, "PUBSUB_EMULATOR_HOST", TEXT, NULL, 0, 0, NULL,\
      "api, pubsub", "—",\
      "`host:port` of a local Pub/Sub (insecure channel, no auth; Google's convention)") \
    X(STORAGE_EMULATOR_HOST, "STORAGE_EMULATOR_HOST", TEXT, NULL, 0, 0, NULL,\
      "api, pubsub, `run --mode gcs`", "—",\
      "`host:port` or `http://host:port` of a local Storage emulator (plain HTTP, no auth)") \
    X(MAPBOX_ACCESS_TOKEN, "MAPBOX_ACCESS_TOKEN", TEXT, NULL, 0, 0, NULL,\
      "`routes fetch`, `run`, api, pubsub", "—",\
      "the Mapbox token sent as `access_token` to the routing service (not needed by an OSRM server; never cached or logged)") \
    X(ROUTING_URL, "FLEETSIM_ROUTING_URL", TEXT, "https://api.mapbox.com/directions/v5/mapbox", 0, 0, NULL,\
      "`routes fetch`, `run`, api, pubsub", "`https://api.mapbox.com/directions/v5/mapbox`",\
      "base URL of the routing service: Mapbox Directions v5, or an OSRM server's `http://host:5000/route/v1` (docs/services.md)") \
    X(ROUTING_PROFILE, "FLEETSIM_ROUTING_PROFILE", CHOICE, "driving", 0, 0, "driving|driving-traffic",\
      "`routes fetch`, `run`, api, pubsub", "`driving`",\
      "routing profile; `driving-traffic` (Mapbox only) routes with live traffic") \
    X(ELEVATION_URL, "FLEETSIM_ELEVATION_URL", TEXT, "https://api.open-meteo.com/v1/elevation", 0, 0, NULL,\
      "`routes fetch`, `run`, api, pubsub", "`https://api.open-meteo.com/v1/elevation`",\
      "Open-Meteo's elevation API (or a server answering the same way)") \
    X(WEATHER_URL, "FLEETSIM_WEATHER_URL", TEXT, "https://api.open-meteo.com/v1/forecast", 0, 0, NULL,\
      "`run`, api, pubsub", "`https://api.open-meteo.com/v1/forecast`",\
      "Open-Meteo's forecast API, asked for hourly `temperature_2m`") \
    X(WEATHER_ARCHIVE_URL, "FLEETSIM_WEATHER_ARCHIVE_URL", TEXT, "https://archive-api.open-meteo.com/v1/archive", 0, 0, NULL,\
      "`run`, api, pubsub", "`https://archive-api.open-meteo.com/v1/archive`",\
      "Open-Meteo's historical archive API, used for horizons that end before today") \
    X(CACHE_DIR, "FLEETSIM_CACHE_DIR", TEXT, NULL, 0, 0, NULL,\
      "`routes fetch`, `run`, api, pubsub", "`$XDG_CACHE_HOME/fleetsim`, else `~/.cache/fleetsim`",\
      "where every service answer (`<sha256 of the request>.json`) and every parsed route file (`routes/<sha256>.bin`, any command that reads routes) is kept, content-addressed") \
    X(OFFLINE, "FLEETSIM_OFFLINE", BOOL, "0", 0, 1, NULL,\
      "`routes fetch`, `run`, api, pubsub", "`0` (tests: `1`)",\
      "`1`: services answer from the cache only; a missing entry fails with exit 2 naming it (as `--offline`)") \
    X(SERVICE_TIMEOUT_SECONDS, "FLEETSIM_SERVICE_TIMEOUT_SECONDS", INT, "20", 1, 600, NULL,\
      "`routes fetch`, `run`, api, pubsub", "`20`",\
      "whole-request deadline of one call to a routing, elevation or weather service") \
    X(SERVICE_MAX_ATTEMPTS, "FLEETSIM_SERVICE_MAX_ATTEMPTS", INT, "4", 1, 20, NULL,\
      "`routes fetch`, `run`, api, pubsub", "`4`",\
      "tries per call (429 honours `Retry-After`, 5xx and timeouts back off 0.5 s doubling, at most 8 s)")

typedef enum fsim_setting_id {
#define FSIM__SETTING_ENUM(id, name, type, value, lo, hi, choices, used_by, doc_default, meaning) \
    FSIM_SETTING_##id,
    FSIM_SETTINGS_MAP(FSIM__SETTING_ENUM)
#undef FSIM__SETTING_ENUM
        FSIM_SETTING_COUNT
} fsim_setting_id;

/* "FLEETSIM_API_DOCS", ... */
const char *fsim_setting_name(fsim_setting_id id);

/* The variable's text, or its table default (may be NULL) when unset or empty. Any TYPE. */
const char *fsim_setting_text(fsim_setting_id id);
/* An INT setting; `fallback` when unset and the table has no default (a default computed by
 * the caller, e.g. from the CPU count). FSIM_USAGE naming the variable when malformed or out
 * of its range. */
fsim_status fsim_setting_int(fsim_setting_id id, long fallback, long *out, fsim_error *err);
/* A BOOL setting: "1" true, "0" false, unset the table default; anything else FSIM_USAGE. */
fsim_status fsim_setting_bool(fsim_setting_id id, bool *out, fsim_error *err);
/* A CHOICE setting: the value (or the default) when it is one of the choices, else
 * FSIM_USAGE naming the variable and the choices. */
fsim_status fsim_setting_choice(fsim_setting_id id, const char **out, fsim_error *err);

/* The cache folder (cachedir.c): FLEETSIM_CACHE_DIR when set, else
 * `$XDG_CACHE_HOME/fleetsim`, else `$HOME/.cache/fleetsim`; NULL when none of them is set.
 * The result is the variable's text or `buf` (`size` bytes), so borrowed either way. */
const char *fsim_cache_dir(char *buf, size_t size);

/* Whether the program runs in production: FLEETSIM_ENV=production, or K_SERVICE set (Cloud
 * Run). FSIM_USAGE naming FLEETSIM_ENV when it is not one of its choices, so a typo such as
 * "prod" cannot turn the fail-closed checks off. */
fsim_status fsim_setting_production(bool *out, fsim_error *err);

/* For --help: "  NAME  meaning (default …)" for every variable whose `used by` mentions
 * one of `programs` ("api", "pubsub", or CLI commands such as "run|migrate", separated by
 * '|'); variables used by "all" are always listed. */
void fsim_settings_print(FILE *out, const char *programs);
/* docs/environment.md's table: header row and one row per variable. malloc'd; NULL when out
 * of memory. */
char *fsim_settings_markdown(void);

#endif
