/* fleetsim — the PostgreSQL store: a small thread-safe connection pool, the typed
 * functions on the `simulations` JSONB envelope, migrations and the CSV importers.
 *
 * This is the one module that owns libpq. JSONB is produced and parsed only through the
 * wire codec (wire.h). Every function runs its SQL in its own transaction (or one
 * statement) and retries transient failures — connection lost (the pooled connection is
 * reset), SQLSTATE class 08, 57P01 admin shutdown, 40001 serialization failure, 40P01
 * deadlock — with capped exponential backoff, a bounded number of times. Anything else is an
 * fsim_error whose message never holds SQL text (SQLSTATE and constraint names are fine).
 *
 * Status codes: FSIM_NOT_FOUND for a missing (or soft-deleted) row or fleet,
 * FSIM_INVALID for a conflict the caller caused (idempotency key reused with another
 * body, bad input), FSIM_IO for a database that stays unreachable or fails. */
#ifndef FLEETSIM_STORE_H
#define FLEETSIM_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/arena.h>
#include <fleetsim/config.h>
#include <fleetsim/error.h>
#include <fleetsim/wire.h>

/* Text form of a uuid plus its NUL. */
#define FSIM_STORE_ID_LEN 37

typedef struct fsim_store fsim_store;

/* ---- Pool ----------------------------------------------------------------------------- */

typedef struct fsim_store_options {
    int pool_size;       /* connections, opened lazily; <= 0: 4 */
    int max_retries;     /* retries of a transient failure; < 0: 0; default (opts NULL) 5 */
    int backoff_ms;      /* first backoff, doubled each retry; <= 0: 50 */
    int max_backoff_ms;  /* cap of one backoff; <= 0: 2000 */
    int wait_ms;         /* how long a caller waits for a free connection; <= 0: 30000 */
} fsim_store_options;

/* Opens a pool on `conninfo` (libpq URI or key=value string; borrowed) and checks that
 * one connection can be made. `opts` may be NULL (defaults). */
fsim_status fsim_store_open(const char *conninfo, const fsim_store_options *opts,
                            fsim_store **out, fsim_error *err);
/* Closes every connection. The caller ensures no other thread still uses it. Accepts NULL. */
void fsim_store_close(fsim_store *store);
/* One round trip ("SELECT 1"); for readiness checks. */
fsim_status fsim_store_ping(fsim_store *store, fsim_error *err);
/* Transient failures retried since open (tests and metrics). */
long fsim_store_retry_count(const fsim_store *store);

/* ---- Migrations ----------------------------------------------------------------------- */

/* Called for each migration as it is applied (`version` "0001", `name` "init"). */
typedef void (*fsim_migrate_fn)(void *user, const char *version, const char *name,
                                double elapsed_ms);

/* Applies the files `dir`/NNNN_name.sql not yet recorded in schema_migrations, in order,
 * each in its own transaction, under a session advisory lock (concurrent runs wait, then
 * find nothing to do). An applied file whose SHA-256 changed, or that disappeared, is
 * refused (FSIM_INVALID naming the file) before anything is applied. *applied (may be
 * NULL) gets the number applied. */
fsim_status fsim_store_migrate(fsim_store *store, const char *dir, fsim_migrate_fn on_applied,
                               void *user, int *applied, fsim_error *err);
/* Whether every migration in `dir` is applied with the same checksum (for /readyz). *current
 * false with err->message saying which one is missing/changed (status still FSIM_OK). */
fsim_status fsim_store_migrations_current(fsim_store *store, const char *dir, bool *current,
                                          fsim_error *err);

/* ---- Fleets and state data -------------------------------------------------------------- */

fsim_status fsim_store_fleet_exists(fsim_store *store, const char *fleet_id, bool *exists,
                                    fsim_error *err);
/* Creates the fleet `name` (state_code: two upper-case letters or NULL), or finds the one
 * already so named (names are unique). `id` receives its uuid; *created (may be NULL) says
 * which. */
fsim_status fsim_store_create_fleet(fsim_store *store, const char *name, const char *state_code,
                                    char id[FSIM_STORE_ID_LEN], bool *created, fsim_error *err);

/* Fleets as a resource (the API's /v1/fleets, `fleetsim migrate --seed-demo`). */
/* The fleet `id` with its counts, in `arena`; FSIM_NOT_FOUND (path "id") when absent. */
fsim_status fsim_store_fleet_get(fsim_store *store, const char *id, fsim_arena *arena,
                                 fsim_fleet **out, fsim_error *err);
/* Fleets by name, `limit` (1..1000) per page: `cursor` NULL for the first page, else a
 * previous page's next_cursor (a malformed one: FSIM_INVALID, path "cursor"). Items in
 * `arena`. */
fsim_status fsim_store_fleet_list(fsim_store *store, int limit, const char *cursor,
                                  fsim_arena *arena, fsim_fleet_page *page, fsim_error *err);
/* Creates the fleet `nf` (borrowed; its id when given, else a new one), or finds the one
 * that already has its name or id: *created says which, *out (in `arena`) is that fleet.
 * FSIM_INVALID naming the field for a bad stateCode, id or name. */
fsim_status fsim_store_fleet_add(fsim_store *store, const fsim_new_fleet *nf, fsim_arena *arena,
                                 fsim_fleet **out, bool *created, fsim_error *err);

typedef struct fsim_state_data {
    char state_code[3];
    double electricity_usd_per_kwh;
    double grid_co2_g_per_kwh;
    double gasoline_usd_per_gallon;
    bool has_diesel_usd_per_gallon;
    double diesel_usd_per_gallon;
} fsim_state_data;

/* *found false when there is no row for `state_code`. */
fsim_status fsim_store_state_data(fsim_store *store, const char *state_code,
                                  fsim_state_data *out, bool *found, fsim_error *err);
/* The state data of a fleet's state; *found false when the fleet has no state or its state
 * no data. */
fsim_status fsim_store_fleet_state_data(fsim_store *store, const char *fleet_id,
                                        fsim_state_data *out, bool *found, fsim_error *err);

/* ---- Simulations: the job queue --------------------------------------------------------- */

typedef struct fsim_store_new_simulation {
    const fsim_request *request;  /* borrowed; its fleet_id is the row's fleet */
    const char *idempotency_key;  /* optional (NULL) */
    const char *request_hash;     /* with a key: e.g. hex SHA-256 of the body */
    const char *trace_id;         /* optional; kept in metadata.traceId */
    /* A Pub/Sub job: "db" or "gcs", where the worker will store the result (the column
     * result_mode). NULL: a job for the in-process workers — fsim_store_claim_next takes only
     * those, so a Pub/Sub job never runs in the API process. */
    const char *result_mode;
    /* With result_mode: true when the job is on the topic already (a row the Pub/Sub worker
     * creates from a message); false puts the row in the outbox (fsim_store_outbox_take)
     * until fsim_store_mark_published. */
    bool published;
} fsim_store_new_simulation;

typedef enum fsim_store_create_outcome {
    FSIM_STORE_CREATED,       /* a new queued row */
    FSIM_STORE_EXISTING,      /* same idempotency key and hash: the first row's id */
    FSIM_STORE_KEY_CONFLICT,  /* same key, other hash (HTTP 422); returns FSIM_INVALID */
} fsim_store_create_outcome;

/* Inserts a `queued` simulation. FSIM_NOT_FOUND (path "fleetId") when the fleet does not
 * exist. `outcome` may be NULL. */
fsim_status fsim_store_create_simulation(fsim_store *store, const fsim_store_new_simulation *sim,
                                         char id[FSIM_STORE_ID_LEN],
                                         fsim_store_create_outcome *outcome, fsim_error *err);

/* A claimed job: the row is `running` with a lease until now + lease_seconds. */
typedef struct fsim_store_job {
    char id[FSIM_STORE_ID_LEN];
    char fleet_id[FSIM_STORE_ID_LEN];
    int attempts;             /* including this one */
    fsim_request *request;    /* decoded into the caller's arena */
    const char *trace_id;     /* in the arena; NULL when none */
} fsim_store_job;

/* Claims the oldest queued job — or a running one whose lease expired, if it has had fewer
 * than `max_attempts` attempts (those past it are marked failed) — with FOR UPDATE SKIP
 * LOCKED, so concurrent workers never get the same row. *job NULL when there is none. */
fsim_status fsim_store_claim_next(fsim_store *store, int lease_seconds, int max_attempts,
                                  fsim_arena *arena, fsim_store_job **job, fsim_error *err);
/* Claims the given row if it is queued or its lease expired. *job NULL when it cannot be
 * claimed; then *current (may be NULL) says why (running elsewhere, or already finished:
 * a Pub/Sub redelivery is then acked without re-running). FSIM_NOT_FOUND when absent. */
fsim_status fsim_store_claim(fsim_store *store, const char *id, int lease_seconds,
                             fsim_arena *arena, fsim_store_job **job, fsim_run_status *current,
                             fsim_error *err);
/* Records progress (0..1) and extends the lease of a running job. *keep_going false when
 * the row was cancelled, deleted, or is no longer running: the worker should stop. */
fsim_status fsim_store_heartbeat(fsim_store *store, const char *id, double progress,
                                 int lease_seconds, bool *keep_going, fsim_error *err);
/* Hands back a running job this worker claimed but cannot finish now (transient failure):
 * its lease ends at once, so the next claim needs no wait. Its attempts stay counted. No-op
 * (FSIM_OK) when the row is no longer running. */
fsim_status fsim_store_release(fsim_store *store, const char *id, fsim_error *err);
/* Stores a finished run: status from result->status (normally succeeded), progress 1,
 * finished_at, `time_series_data`, `charging_events`, and into `metadata` summary, trips,
 * engineVersion, configHash, warnings, traceId (the result's, else the one kept at create)
 * and vehicleSeries (the summary's cost and CO2 are the engine's: a fleet's state data
 * prices its runs as a tariff, see fsim_store_fleet_state_data). FSIM_NOT_FOUND when the row is gone or deleted;
 * FSIM_CANCELLED when it was cancelled meanwhile (nothing written). */
fsim_status fsim_store_finish(fsim_store *store, const char *id, const fsim_result *result,
                              fsim_error *err);
/* Stores a finished run whose whole result lives elsewhere (a gcs-mode object at `uri`,
 * "gs://bucket/simulations/<id>/result.json", already uploaded and verified): status from
 * the result, progress 1, finished_at, and into `metadata` the summary, engineVersion, configHash, warnings, traceId and
 * resultUri. The bulky parts (time series, charging events, trips, vehicleSeries) stay out of
 * the row. Same statuses as fsim_store_finish. */
fsim_status fsim_store_finish_uri(fsim_store *store, const char *id, const fsim_result *result,
                                  const char *uri, fsim_error *err);
/* Marks a job failed with `error` (kept as metadata.error). */
fsim_status fsim_store_fail(fsim_store *store, const char *id, const fsim_api_error *error,
                            fsim_error *err);
/* Cancels a queued or running job. *cancelled (may be NULL) false when it had already
 * finished. FSIM_NOT_FOUND when absent. */
fsim_status fsim_store_cancel(fsim_store *store, const char *id, bool *cancelled,
                              fsim_error *err);
/* Soft delete: sets deleted_at; every read then leaves the row out. FSIM_NOT_FOUND when
 * absent or already deleted. */
fsim_status fsim_store_delete(fsim_store *store, const char *id, fsim_error *err);

/* ---- Simulations: reads ------------------------------------------------------------------ */

/* The job's status (error included when failed), decoded into `arena`. */
fsim_status fsim_store_status(fsim_store *store, const char *id, fsim_arena *arena,
                              fsim_job_status **out, fsim_error *err);
/* The statuses of n jobs in one database round trip (the API's polls that arrive together):
 * out[i] is ids[i]'s status decoded into arenas[i], or NULL when that job does not exist (or
 * its id is no uuid). ids, arenas and out are borrowed; a failure is the whole read's. */
fsim_status fsim_store_status_many(fsim_store *store, const char *const *ids, size_t n,
                                   fsim_arena *const *arenas, fsim_job_status **out,
                                   fsim_error *err);
/* The stored result, rebuilt from the envelope and decoded through the wire codec into
 * `arena`; simulationId is the row's id. FSIM_INVALID with path "status" when the job has
 * no result yet (queued, running, failed, cancelled: HTTP 409). */
fsim_status fsim_store_result(fsim_store *store, const char *id, fsim_arena *arena,
                              fsim_result **out, fsim_error *err);

/* The same result as JSON text (in `arena`), as stored: the metadata object comes back whole,
 * whatever keys its writer stored. Same statuses as fsim_store_result. */
fsim_status fsim_store_result_json(fsim_store *store, const char *id, fsim_arena *arena,
                                   const char **json, fsim_error *err);

/* Where a finished row's result lives: *uri gets metadata.resultUri (in `arena`), or NULL
 * when the result is in the row itself or there is none (yet). FSIM_NOT_FOUND when the row
 * is absent or deleted. */
fsim_status fsim_store_result_uri(fsim_store *store, const char *id, fsim_arena *arena,
                                  const char **uri, fsim_error *err);

typedef struct fsim_store_page {
    fsim_job_status *items;   /* n_items of them, in the arena */
    size_t n_items;
    const char *next_cursor;  /* opaque; NULL on the last page */
} fsim_store_page;

/* A fleet's simulations (every fleet's when fleet_id is NULL), newest first (created_at
 * desc, id desc), keyset-paginated:
 * `cursor` NULL for the first page, else a previous page's next_cursor (a malformed one is
 * FSIM_INVALID with path "cursor"). `status` NULL for all. limit 1..1000. */
fsim_status fsim_store_list(fsim_store *store, const char *fleet_id, const fsim_run_status *status,
                            int limit, const char *cursor, fsim_arena *arena,
                            fsim_store_page *page, fsim_error *err);

/* ---- Simulations: the Pub/Sub outbox ------------------------------------------------------ */

/* A Pub/Sub job to publish: queued and not known to be published, or published long ago and
 * still not done (Pub/Sub may have lost the message: published again). */
typedef struct fsim_store_outbox_job {
    char id[FSIM_STORE_ID_LEN];
    fsim_job_mode mode;           /* the row's result_mode */
    int attempts;                 /* outbox publish attempts, this one included */
    bool republish;               /* published before: this is a republish */
    double since_publish_s;       /* with republish: seconds since its last publish */
    fsim_request *request;        /* decoded into the caller's arena */
    const char *trace_id;         /* in the arena; NULL when none */
} fsim_store_outbox_job;

/* Takes up to `max` rows of the outbox, oldest first, result_mode set and not deleted:
 *  - queued, published_at NULL, created more than `min_age_s` seconds ago (younger rows are
 *    left to the request that created them);
 *  - with `republish_s` > 0, also rows published more than `republish_s` seconds ago that
 *    are still queued, or running with a lease that ran out more than `republish_s` seconds
 *    ago (its worker is gone): their message may be lost (a Pub/Sub fake restarted, a
 *    subscription recreated), so they are published again — a duplicate is harmless, the
 *    worker's claim runs a row once;
 * and due. Each taken row is due again only after min(backoff_s · 2^(attempts − 1),
 * max_backoff_s) seconds, so a relayer that fails backs off per row, and concurrent relayers
 * (FOR UPDATE SKIP LOCKED) never take the same row at once. *jobs in `arena`, *n of them. */
fsim_status fsim_store_outbox_take(fsim_store *store, double min_age_s, double republish_s,
                                   double backoff_s, double max_backoff_s, int max,
                                   fsim_arena *arena, fsim_store_outbox_job **jobs, size_t *n,
                                   fsim_error *err);
/* Records that a JobMessage of the row was accepted by Pub/Sub just now (published_at, the
 * time the republish delay counts from): it leaves the outbox. FSIM_NOT_FOUND when the row
 * is absent. */
fsim_status fsim_store_mark_published(fsim_store *store, const char *id, fsim_error *err);

/* ---- Plans: a depot plan as a job (store_plans.c, docs/plan.md "As a job") ------------------ */

typedef struct fsim_store_new_plan {
    const fsim_request *request;  /* borrowed; its `plan` block says what varies */
    int variants;                 /* the plan's variants, 1.. */
    int batch_variants;           /* variants per batch, 1.. */
    const char *trace_id;         /* optional; metadata.traceId */
    bool pubsub;                  /* batches go to Pub/Sub workers; else the API's own */
} fsim_store_new_plan;

/* Inserts a `queued` plan and its batches (ceil(variants / batch_variants) of them, batch i
 * holding variants i·batch_variants ..) in one transaction. FSIM_NOT_FOUND (path "fleetId")
 * when the fleet does not exist. *batches (may be NULL) gets the count. */
fsim_status fsim_store_plan_create(fsim_store *store, const fsim_store_new_plan *plan,
                                   char id[FSIM_STORE_ID_LEN], int *batches, fsim_error *err);

/* A claimed batch: the batch row is `running` with a lease until now + lease_seconds. */
typedef struct fsim_store_plan_batch {
    char plan_id[FSIM_STORE_ID_LEN];
    int batch;
    int first;                /* its first variant */
    int count;                /* its variants */
    int attempts;             /* claims of this batch, this one included */
    int variants;             /* the plan's */
    fsim_request *request;    /* the plan's, decoded into the caller's arena */
    const char *trace_id;     /* in the arena; NULL when none */
} fsim_store_plan_batch;

/* Why a batch could not be claimed. */
typedef enum fsim_store_batch_state {
    FSIM_BATCH_RUNNING,       /* leased elsewhere: offer it again later */
    FSIM_BATCH_DONE,          /* its outcome is stored: nothing to do */
    FSIM_BATCH_PLAN_FINISHED, /* the plan succeeded, failed, was cancelled or deleted */
    FSIM_BATCH_EXHAUSTED,     /* its lease ran out max_attempts times: the plan should fail */
} fsim_store_batch_state;

/* Claims batch `batch` of plan `plan_id` if it is queued, or running with an expired lease
 * and fewer than `max_attempts` claims, and the plan is still queued or running (which
 * then says running). *out NULL when it cannot be claimed; *state says why. FSIM_NOT_FOUND
 * when the plan or batch does not exist. */
fsim_status fsim_store_plan_claim(fsim_store *store, const char *plan_id, int batch,
                                  int lease_seconds, int max_attempts, fsim_arena *arena,
                                  fsim_store_plan_batch **out, fsim_store_batch_state *state,
                                  fsim_error *err);
/* Claims the first open batch of the oldest plan the API's workers run (not Pub/Sub),
 * FOR UPDATE SKIP LOCKED; *out NULL when there is none. First fails (attempts_exhausted)
 * such plans with a batch whose lease ran out after max_attempts claims. */
fsim_status fsim_store_plan_claim_next(fsim_store *store, int lease_seconds, int max_attempts,
                                       fsim_arena *arena, fsim_store_plan_batch **out,
                                       fsim_error *err);
/* Extends a running batch's lease. *keep_going false when the batch is no longer running
 * or its plan no longer queued or running: stop. */
fsim_status fsim_store_plan_heartbeat(fsim_store *store, const char *plan_id, int batch,
                                      int lease_seconds, bool *keep_going, fsim_error *err);
/* Hands a running batch back (its lease ends at once). No-op when not running. */
fsim_status fsim_store_plan_release(fsim_store *store, const char *plan_id, int batch,
                                    fsim_error *err);

/* Composes the plan's result from every batch's stored outcome (`outcomes[i]`: batch i's
 * PlanBatchOutcome as JSON text, borrowed): *result gets malloc'd PlanResult JSON (the
 * store frees it). Called inside the finishing transaction; may be called again when that
 * transaction is retried, so it must be a pure function of its input. */
typedef fsim_status (*fsim_store_plan_compose_fn)(void *user, const char *const *outcomes,
                                                  size_t n, char **result, fsim_error *err);

/* Stores batch `batch`'s outcome (PlanBatchOutcome JSON, borrowed) unless it is stored
 * already (*stored false: a duplicate, nothing changes), and in the same transaction, under
 * the plan row's lock, counts it off the plan's remaining batches; the transaction that takes
 * the count to 0 calls `compose` and marks the plan succeeded with its result (*composed
 * true) — so exactly one finisher composes, and a finisher killed before its commit leaves
 * nothing behind. stored / composed may be NULL. */
fsim_status fsim_store_plan_finish_batch(fsim_store *store, const char *plan_id, int batch,
                                         const char *outcome_json,
                                         fsim_store_plan_compose_fn compose, void *user,
                                         bool *stored, bool *composed, fsim_error *err);
/* Marks a queued or running plan failed with `error` (metadata.error). */
fsim_status fsim_store_plan_fail(fsim_store *store, const char *plan_id,
                                 const fsim_api_error *error, fsim_error *err);
/* The plan's status, decoded into `arena`. FSIM_NOT_FOUND when absent or deleted. */
fsim_status fsim_store_plan_status(fsim_store *store, const char *plan_id, fsim_arena *arena,
                                   fsim_plan_status **out, fsim_error *err);
/* The plan's result, decoded through the codec into `arena`. FSIM_INVALID with path
 * "status" while it has none (queued, running, failed, cancelled: HTTP 409). */
fsim_status fsim_store_plan_result(fsim_store *store, const char *plan_id, fsim_arena *arena,
                                   fsim_plan_result **out, fsim_error *err);
/* The batches of a Pub/Sub plan not yet known to be published and not done, at most `max`,
 * by index (*batches in `arena`, *n of them); with plan_id NULL, those of any plan older
 * than `min_age_s` seconds (the relay): then *plan_id_out (in `arena`) names the plan. */
fsim_status fsim_store_plan_unpublished(fsim_store *store, const char *plan_id,
                                        double min_age_s, int max, fsim_arena *arena,
                                        const char **plan_id_out, int **batches, size_t *n,
                                        fsim_error *err);
/* Records that batches[0..n−1] of the plan were accepted by Pub/Sub. */
fsim_status fsim_store_plan_mark_published(fsim_store *store, const char *plan_id,
                                           const int *batches, size_t n, fsim_error *err);

/* ---- CSV import ------------------------------------------------------------------------- */

typedef enum fsim_import_kind {
    FSIM_IMPORT_VINS,        /* vin, fleet, vehicle_type, depot [, make, model, model_year] */
    FSIM_IMPORT_STATE_DATA,  /* state_code, electricity_usd_per_kwh, grid_co2_g_per_kwh,
                                gasoline_usd_per_gallon [, diesel_usd_per_gallon] */
    FSIM_IMPORT_SIMULATION,  /* t, depot, load_kw [, charging, driving, waiting, mean_soc,
                                min_soc, energy_kwh] → one `imported` simulation */
} fsim_import_kind;

typedef struct fsim_import_options {
    fsim_import_kind kind;
    const char *path;                 /* the CSV file */
    bool ignore_unknown_columns;
    bool dry_run;                     /* validate only; the store may then be NULL */
    const fsim_config *config;        /* vins: vehicle types must be known to it (NULL: any) */
    const char *fleet;                /* simulation: fleet name or uuid (must exist) */
    const char *name;                 /* simulation: its name */
} fsim_import_options;

typedef struct fsim_import_report {
    long rows;
    long inserted;
    long updated;
    long unchanged;
    char simulation_id[FSIM_STORE_ID_LEN]; /* simulation imports */
} fsim_import_report;

/* Parses (RFC 4180: quotes, embedded commas/quotes/newlines, CRLF, UTF-8 BOM), maps the
 * header (case-insensitive, any order), validates every row, then loads the file in ONE
 * transaction with upsert semantics: any bad row ⇒ nothing written. Errors read
 * `FILE.csv:LINE: column: message` (FSIM_INVALID). */
fsim_status fsim_store_import_csv(fsim_store *store, const fsim_import_options *opts,
                                  fsim_import_report *report, fsim_error *err);

/* The North American VIN check (17 characters of [A-HJ-NPR-Z0-9], check digit at
 * position 9). Returns NULL when valid, else why not. */
const char *fsim_vin_problem(const char *vin);

#endif
