/* The `simulations` envelope and its job queue: typed functions over prepared statements.
 *
 * JSON goes in and out only through the wire codec: the C side encodes a request / result /
 * api error with fsim_wire_encode and hands it over as one jsonb parameter; SQL only
 * splits (->) and merges (||, jsonb_build_object) those documents into the envelope
 * columns. Reads build the wire shape in SQL and decode it with fsim_wire_decode, which
 * validates it like any other input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/job_error.h>
#include <fleetsim/util.h>

#include "store_internal.h"

/* ---- Statements --------------------------------------------------------------------------- */

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* The JobStatus of a row, as JSON text. */
#define STATUS_JSON                                                                          \
    "jsonb_build_object('id', id, 'fleetId', fleet_id, 'name', name, 'status', status,"     \
    " 'progress', progress, 'createdAt', " TS("created_at") ", 'updatedAt', "               \
    TS("updated_at") ", 'startedAt', " TS("started_at") ", 'finishedAt', "                  \
    TS("finished_at") ", 'error', metadata->'error')::text"

#define CLAIM_SET                                                                            \
    "SET status = 'running', attempts = s.attempts + 1, progress = 0,"                      \
    " lease_expires_at = now() + make_interval(secs => $1::int),"                           \
    " started_at = coalesce(s.started_at, now())"
#define CLAIM_RETURNING                                                                      \
    " RETURNING s.id, s.fleet_id, s.attempts, (s.metadata->'request')::text,"              \
    " s.metadata->>'traceId'"

enum {
    S_FLEET_EXISTS,
    S_FLEET_CREATE,
    S_STATE_DATA,
    S_SIM_PRICES,
    S_CREATE,
    S_BY_KEY,
    S_EXPIRE,
    S_CLAIM_NEXT,
    S_CLAIM_ID,
    S_CURRENT,
    S_HEARTBEAT,
    S_FINISH,
    S_FAIL,
    S_CANCEL,
    S_DELETE,
    S_STATUS,
    S_RESULT,
    S_LIST,
    S_FINISH_URI,
    S_RESULT_URI,
    S_RELEASE,
};

static const fsim__stmt stmts[] = {
    [S_FLEET_EXISTS] = {"SELECT 1 FROM fleets WHERE id = $1::uuid", 1},
    [S_FLEET_CREATE] = {"WITH ins AS (INSERT INTO fleets (name, state_code) VALUES ($1, $2)"
                        " ON CONFLICT (name) DO NOTHING RETURNING id)"
                        " SELECT id, true FROM ins UNION ALL"
                        " SELECT id, false FROM fleets WHERE name = $1"
                        " AND NOT EXISTS (SELECT 1 FROM ins)", 2},
    [S_STATE_DATA] = {"SELECT state_code, electricity_usd_per_kwh, grid_co2_g_per_kwh,"
                      " gasoline_usd_per_gallon, diesel_usd_per_gallon FROM state_data"
                      " WHERE state_code = $1", 1},
    [S_SIM_PRICES] = {"SELECT d.electricity_usd_per_kwh, d.grid_co2_g_per_kwh FROM simulations s"
                      " JOIN fleets f ON f.id = s.fleet_id"
                      " JOIN state_data d ON d.state_code = f.state_code WHERE s.id = $1::uuid",
                      1},
    [S_CREATE] = {"INSERT INTO simulations (fleet_id, status, name, metadata, time_series_data,"
                  " charging_events, idempotency_key, request_hash, result_mode, published_at)"
                  " VALUES ($1::uuid, 'queued', $2, jsonb_build_object('request', $3::jsonb)"
                  " || CASE WHEN $4::text IS NULL THEN '{}'::jsonb"
                  " ELSE jsonb_build_object('traceId', $4::text) END, '[]', '[]', $5, $6, $7,"
                  " CASE WHEN $8::bool THEN now() END)"
                  " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id", 8},
    [S_BY_KEY] = {"SELECT id, request_hash FROM simulations WHERE idempotency_key = $1", 1},
    [S_EXPIRE] = {"UPDATE simulations SET status = 'failed', finished_at = now(),"
                  " lease_expires_at = NULL,"
                  " metadata = metadata || jsonb_build_object('error', $2::jsonb)"
                  " WHERE status = 'running' AND deleted_at IS NULL AND result_mode IS NULL"
                  " AND lease_expires_at < now() AND attempts >= $1::int", 2},
    [S_CLAIM_NEXT] = {"UPDATE simulations s " CLAIM_SET
                      " WHERE s.id = (SELECT id FROM simulations"
                      " WHERE status IN ('queued', 'running') AND deleted_at IS NULL"
                      " AND result_mode IS NULL"
                      " AND (status = 'queued' OR (lease_expires_at < now()"
                      " AND attempts < $2::int))"
                      " ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)" CLAIM_RETURNING,
                      2},
    [S_CLAIM_ID] = {"UPDATE simulations s " CLAIM_SET
                    " WHERE s.id = $2::uuid AND s.deleted_at IS NULL AND (s.status = 'queued'"
                    " OR (s.status = 'running' AND s.lease_expires_at < now()))" CLAIM_RETURNING,
                    2},
    [S_CURRENT] = {"SELECT status FROM simulations WHERE id = $1::uuid AND deleted_at IS NULL",
                   1},
    [S_RELEASE] = {"UPDATE simulations SET lease_expires_at = now() - interval '1 second'"
                   " WHERE id = $1::uuid AND status = 'running' AND deleted_at IS NULL"
                   " RETURNING id", 1},
    [S_HEARTBEAT] = {"UPDATE simulations SET progress = $2::float8,"
                     " lease_expires_at = now() + make_interval(secs => $3::int)"
                     " WHERE id = $1::uuid AND status = 'running' AND deleted_at IS NULL"
                     " RETURNING id", 3},
    [S_FINISH] = {"UPDATE simulations s SET status = $2, progress = 1, finished_at = now(),"
                  " lease_expires_at = NULL, started_at = coalesce(s.started_at, now()),"
                  " time_series_data = r.j->'timeSeriesData',"
                  " charging_events = r.j->'chargingEvents',"
                  " metadata = s.metadata || " FSIM__RESULT_METADATA
                  " FROM (SELECT $3::jsonb AS j) r"
                  " WHERE s.id = $1::uuid AND s.deleted_at IS NULL"
                  " AND s.status IN ('queued', 'running') RETURNING s.id", 3},
    [S_FAIL] = {"UPDATE simulations SET status = 'failed', finished_at = now(),"
                " lease_expires_at = NULL,"
                " metadata = metadata || jsonb_build_object('error', $2::jsonb)"
                " WHERE id = $1::uuid AND deleted_at IS NULL"
                " AND status IN ('queued', 'running') RETURNING id", 2},
    [S_CANCEL] = {"UPDATE simulations SET status = 'cancelled', finished_at = now(),"
                  " lease_expires_at = NULL WHERE id = $1::uuid AND deleted_at IS NULL"
                  " AND status IN ('queued', 'running') RETURNING id", 1},
    [S_DELETE] = {"UPDATE simulations SET deleted_at = now()"
                  " WHERE id = $1::uuid AND deleted_at IS NULL RETURNING id", 1},
    [S_STATUS] = {"SELECT " STATUS_JSON " FROM simulations"
                  " WHERE id = $1::uuid AND deleted_at IS NULL", 1},
    /* the result's metadata is the envelope's metadata without the envelope's own keys:
     * whatever a writer stored there comes back whole (no list of metadata keys here) */
    [S_RESULT] = {"SELECT status, jsonb_build_object('simulationId', id, 'status', status,"
                  " 'summary', metadata->'summary', 'timeSeriesData', time_series_data,"
                  " 'chargingEvents', charging_events,"
                  " 'trips', coalesce(metadata->'trips', '[]'),"
                  " 'metadata', metadata - " FSIM__ENVELOPE_KEYS ","
                  " 'vehicleSeries', metadata->'vehicleSeries')::text"
                  " FROM simulations WHERE id = $1::uuid AND deleted_at IS NULL", 1},
    [S_LIST] = {"SELECT " STATUS_JSON ", (extract(epoch FROM created_at) * 1000000)::bigint, id"
                " FROM simulations WHERE fleet_id = $1::uuid AND deleted_at IS NULL"
                " AND ($2::text IS NULL OR status = $2)"
                " AND ($3::bigint IS NULL OR (created_at, id) <"
                " ('epoch'::timestamptz + $3::bigint * interval '1 microsecond', $4::uuid))"
                " ORDER BY created_at DESC, id DESC LIMIT $5::int", 5},
    /* a result stored elsewhere: the summary and provenance stay queryable in the row, the
     * bulky parts are left out (and any from an earlier run removed) */
    [S_FINISH_URI] = {"UPDATE simulations s SET status = $2, progress = 1, finished_at = now(),"
                      " lease_expires_at = NULL, started_at = coalesce(s.started_at, now()),"
                      " time_series_data = '[]', charging_events = '[]',"
                      " metadata = (s.metadata - 'trips' - 'vehicleSeries') || $4::jsonb"
                      " || jsonb_build_object('summary', $3::jsonb, 'resultUri', $5::text)"
                      " WHERE s.id = $1::uuid AND s.deleted_at IS NULL"
                      " AND s.status IN ('queued', 'running') RETURNING s.id", 5},
    [S_RESULT_URI] = {"SELECT metadata->>'resultUri' FROM simulations"
                      " WHERE id = $1::uuid AND deleted_at IS NULL", 1},
};

static PGresult *run_stmt(fsim__conn *c, int id, const char *const *params, const char *what,
                          fsim_error *err)
{
    return fsim__exec_prepared(c, stmts, id, params, what, err);
}

static fsim_status not_found(fsim_error *err, const char *id)
{
    return fsim_error_set(err, FSIM_NOT_FOUND, NULL, 0, 0, "id",
                          "simulation \"%s\" does not exist", id ? id : "");
}

static fsim_status check_id(const char *id, fsim_error *err)
{
    return fsim_uuid_valid(id) ? FSIM_OK : not_found(err, id);
}

static fsim_status nomem(fsim_error *err)
{
    return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
}

/* A foreign-key violation on simulations.fleet_id: the fleet is missing. */
static fsim_status map_fleet_fk(fsim_status st, const char *fleet_id, fsim_error *err)
{
    if (st != FSIM_OK && strstr(err->message, "simulations_fleet_id_fkey"))
        return fsim_error_set(err, FSIM_NOT_FOUND, NULL, 0, 0, "fleetId",
                              "fleet \"%s\" does not exist", fleet_id);
    return st;
}

/* ---- Fleets and state data ------------------------------------------------------------------ */

typedef struct fleet_ctx {
    const char *id;
    const char *name;
    const char *state_code;
    bool found;
    char out_id[FSIM_STORE_ID_LEN];
    fsim_state_data *data;
} fleet_ctx;

static fsim_status fleet_exists_op(fsim__conn *c, void *v, fsim_error *err)
{
    fleet_ctx *ctx = v;
    const char *p[] = {ctx->id};
    PGresult *r = run_stmt(c, S_FLEET_EXISTS, p, "look up the fleet", err);
    if (!r)
        return FSIM_IO;
    ctx->found = PQntuples(r) > 0;
    PQclear(r);
    return FSIM_OK;
}

fsim_status fsim_store_fleet_exists(fsim_store *store, const char *fleet_id, bool *exists,
                                    fsim_error *err)
{
    fleet_ctx ctx = {.id = fleet_id};
    *exists = false;
    if (!fsim_uuid_valid(fleet_id))
        return FSIM_OK;
    fsim_status st = fsim__store_run(store, fleet_exists_op, &ctx, err);
    *exists = ctx.found;
    return st;
}

static fsim_status fleet_create_op(fsim__conn *c, void *v, fsim_error *err)
{
    fleet_ctx *ctx = v;
    const char *p[] = {ctx->name, ctx->state_code};
    /* a concurrent creator may commit between our insert and select: try again */
    for (int i = 0; i < 3; i++) {
        PGresult *r = run_stmt(c, S_FLEET_CREATE, p, "create the fleet", err);
        if (!r)
            return FSIM_IO;
        if (PQntuples(r) > 0) {
            snprintf(ctx->out_id, sizeof ctx->out_id, "%s", PQgetvalue(r, 0, 0));
            ctx->found = PQgetvalue(r, 0, 1)[0] == 't';
            PQclear(r);
            return FSIM_OK;
        }
        PQclear(r);
    }
    return fsim_error_set(err, FSIM_IO, "database", 0, 0, NULL, "could not create the fleet");
}

fsim_status fsim_store_create_fleet(fsim_store *store, const char *name, const char *state_code,
                                    char id[FSIM_STORE_ID_LEN], bool *created, fsim_error *err)
{
    if (!name || !*name || strlen(name) > 200)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "name",
                              "a fleet name has 1 to 200 bytes");
    fleet_ctx ctx = {.name = name, .state_code = state_code};
    fsim_status st = fsim__store_run(store, fleet_create_op, &ctx, err);
    if (st == FSIM_OK) {
        memcpy(id, ctx.out_id, FSIM_STORE_ID_LEN);
        if (created)
            *created = ctx.found;
    }
    return st;
}

static fsim_status state_data_op(fsim__conn *c, void *v, fsim_error *err)
{
    fleet_ctx *ctx = v;
    const char *p[] = {ctx->state_code};
    PGresult *r = run_stmt(c, S_STATE_DATA, p, "read state data", err);
    if (!r)
        return FSIM_IO;
    ctx->found = PQntuples(r) > 0;
    if (ctx->found) {
        fsim_state_data *d = ctx->data;
        memset(d, 0, sizeof *d);
        snprintf(d->state_code, sizeof d->state_code, "%s", PQgetvalue(r, 0, 0));
        d->electricity_usd_per_kwh = strtod(PQgetvalue(r, 0, 1), NULL);
        d->grid_co2_g_per_kwh = strtod(PQgetvalue(r, 0, 2), NULL);
        d->gasoline_usd_per_gallon = strtod(PQgetvalue(r, 0, 3), NULL);
        d->has_diesel_usd_per_gallon = !PQgetisnull(r, 0, 4);
        if (d->has_diesel_usd_per_gallon)
            d->diesel_usd_per_gallon = strtod(PQgetvalue(r, 0, 4), NULL);
    }
    PQclear(r);
    return FSIM_OK;
}

fsim_status fsim_store_state_data(fsim_store *store, const char *state_code,
                                  fsim_state_data *out, bool *found, fsim_error *err)
{
    fleet_ctx ctx = {.state_code = state_code, .data = out};
    fsim_status st = fsim__store_run(store, state_data_op, &ctx, err);
    *found = st == FSIM_OK && ctx.found;
    return st;
}

/* ---- Create ---------------------------------------------------------------------------------- */

typedef struct create_ctx {
    const fsim_store_new_simulation *sim;
    const char *request_json;
    char id[FSIM_STORE_ID_LEN];
    fsim_store_create_outcome outcome;
} create_ctx;

static fsim_status create_op(fsim__conn *c, void *v, fsim_error *err)
{
    create_ctx *ctx = v;
    const fsim_store_new_simulation *sim = ctx->sim;
    const char *p[] = {sim->request->fleet_id, sim->request->name, ctx->request_json,
                       sim->trace_id, sim->idempotency_key,
                       sim->idempotency_key ? sim->request_hash : NULL, sim->result_mode,
                       sim->result_mode && sim->published ? "true" : "false"};
    PGresult *r = run_stmt(c, S_CREATE, p, "create the simulation", err);
    if (!r)
        return map_fleet_fk(err->status, sim->request->fleet_id, err);
    if (PQntuples(r) == 1) {
        snprintf(ctx->id, sizeof ctx->id, "%s", PQgetvalue(r, 0, 0));
        ctx->outcome = FSIM_STORE_CREATED;
        PQclear(r);
        return FSIM_OK;
    }
    PQclear(r);
    /* the key exists: same body ⇒ the first job, other body ⇒ conflict */
    const char *k[] = {sim->idempotency_key};
    r = run_stmt(c, S_BY_KEY, k, "look up the idempotency key", err);
    if (!r)
        return FSIM_IO;
    if (PQntuples(r) != 1) {
        PQclear(r);
        c->transient = true; /* deleted meanwhile: insert again */
        return fsim_error_set(err, FSIM_IO, "database", 0, 0, NULL,
                              "could not resolve the idempotency key");
    }
    snprintf(ctx->id, sizeof ctx->id, "%s", PQgetvalue(r, 0, 0));
    const char *hash = PQgetisnull(r, 0, 1) ? "" : PQgetvalue(r, 0, 1);
    bool same = strcmp(hash, sim->request_hash ? sim->request_hash : "") == 0;
    PQclear(r);
    ctx->outcome = same ? FSIM_STORE_EXISTING : FSIM_STORE_KEY_CONFLICT;
    if (!same)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "Idempotency-Key",
                              "this idempotency key was already used with a different request");
    return FSIM_OK;
}

fsim_status fsim_store_create_simulation(fsim_store *store, const fsim_store_new_simulation *sim,
                                         char id[FSIM_STORE_ID_LEN],
                                         fsim_store_create_outcome *outcome, fsim_error *err)
{
    if (!sim || !sim->request || !fsim_uuid_valid(sim->request->fleet_id))
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "fleetId", "must be a uuid");
    create_ctx ctx = {.sim = sim};
    char *json = fsim_request_encode(sim->request, 0, NULL);
    if (!json)
        return nomem(err);
    ctx.request_json = json;
    fsim_status st = fsim__store_run(store, create_op, &ctx, err);
    free(json);
    if (outcome)
        *outcome = ctx.outcome;
    if (st == FSIM_OK || ctx.outcome == FSIM_STORE_KEY_CONFLICT)
        memcpy(id, ctx.id, FSIM_STORE_ID_LEN);
    return st;
}

/* ---- Claim and heartbeat ------------------------------------------------------------------------ */

typedef struct claim_ctx {
    const char *id;
    int lease_seconds;
    int max_attempts;
    const char *exhausted_json;
    fsim_arena *arena;
    fsim_store_job *job;
    bool have_current;
    fsim_run_status current;
} claim_ctx;

static fsim_status job_from_row(PGresult *r, claim_ctx *ctx, fsim_error *err)
{
    fsim_store_job *job = fsim_arena_calloc(ctx->arena, 1, sizeof *job);
    if (!job)
        return nomem(err);
    snprintf(job->id, sizeof job->id, "%s", PQgetvalue(r, 0, 0));
    snprintf(job->fleet_id, sizeof job->fleet_id, "%s", PQgetvalue(r, 0, 1));
    job->attempts = atoi(PQgetvalue(r, 0, 2));
    if (!PQgetisnull(r, 0, 4))
        job->trace_id = fsim_arena_strdup(ctx->arena, PQgetvalue(r, 0, 4));
    if (PQgetisnull(r, 0, 3))
        return fsim_error_set(err, FSIM_INTERNAL, "database", 0, 0, "metadata.request",
                              "simulation \"%s\" has no request", job->id);
    const char *json = PQgetvalue(r, 0, 3);
    fsim_status st = fsim_request_decode(json, strlen(json), "metadata.request",
                                         FSIM_WIRE_IGNORE_UNKNOWN, ctx->arena, &job->request, err);
    if (st == FSIM_OK)
        ctx->job = job;
    return st;
}

static fsim_status claim_next_op(fsim__conn *c, void *v, fsim_error *err)
{
    claim_ctx *ctx = v;
    char lease[16], max[16];
    snprintf(lease, sizeof lease, "%d", ctx->lease_seconds);
    snprintf(max, sizeof max, "%d", ctx->max_attempts);
    const char *pe[] = {max, ctx->exhausted_json};
    PGresult *r = run_stmt(c, S_EXPIRE, pe, "expire exhausted jobs", err);
    if (!r)
        return FSIM_IO;
    PQclear(r);
    const char *p[] = {lease, max};
    r = run_stmt(c, S_CLAIM_NEXT, p, "claim a job", err);
    if (!r)
        return FSIM_IO;
    fsim_status st = PQntuples(r) == 1 ? job_from_row(r, ctx, err) : FSIM_OK;
    PQclear(r);
    return st;
}

fsim_status fsim_store_claim_next(fsim_store *store, int lease_seconds, int max_attempts,
                                  fsim_arena *arena, fsim_store_job **job, fsim_error *err)
{
    *job = NULL;
    fsim_api_error e = {.code = fsim_job_error_code(FSIM_JOB_ERR_ATTEMPTS_EXHAUSTED),
                        .message = "the job was interrupted too many times"};
    char *ej = fsim_wire_encode(FSIM_WIRE_API_ERROR, &e, 0, NULL);
    if (!ej)
        return nomem(err);
    claim_ctx ctx = {.lease_seconds = lease_seconds > 0 ? lease_seconds : 60,
                     .max_attempts = max_attempts > 0 ? max_attempts : 3,
                     .exhausted_json = ej, .arena = arena};
    fsim_status st = fsim__store_run(store, claim_next_op, &ctx, err);
    free(ej);
    *job = ctx.job;
    return st;
}

/* Reads the status of a row that an UPDATE did not match: NOT_FOUND or its status. */
static fsim_status read_current(fsim__conn *c, const char *id, claim_ctx *ctx, fsim_error *err)
{
    const char *p[] = {id};
    PGresult *r = run_stmt(c, S_CURRENT, p, "read the simulation", err);
    if (!r)
        return FSIM_IO;
    fsim_status st = FSIM_OK;
    if (PQntuples(r) == 0)
        st = not_found(err, id);
    else
        ctx->have_current = fsim_run_status_parse(PQgetvalue(r, 0, 0), &ctx->current);
    PQclear(r);
    return st;
}

static fsim_status claim_op(fsim__conn *c, void *v, fsim_error *err)
{
    claim_ctx *ctx = v;
    char lease[16];
    snprintf(lease, sizeof lease, "%d", ctx->lease_seconds);
    const char *p[] = {lease, ctx->id};
    PGresult *r = run_stmt(c, S_CLAIM_ID, p, "claim the job", err);
    if (!r)
        return FSIM_IO;
    fsim_status st;
    if (PQntuples(r) == 1) {
        st = job_from_row(r, ctx, err);
        ctx->have_current = true;
        ctx->current = FSIM_RUN_RUNNING;
    } else {
        st = read_current(c, ctx->id, ctx, err);
    }
    PQclear(r);
    return st;
}

fsim_status fsim_store_claim(fsim_store *store, const char *id, int lease_seconds,
                             fsim_arena *arena, fsim_store_job **job, fsim_run_status *current,
                             fsim_error *err)
{
    *job = NULL;
    if (check_id(id, err) != FSIM_OK)
        return FSIM_NOT_FOUND;
    claim_ctx ctx = {.id = id, .lease_seconds = lease_seconds > 0 ? lease_seconds : 60,
                     .arena = arena};
    fsim_status st = fsim__store_run(store, claim_op, &ctx, err);
    *job = ctx.job;
    if (current && ctx.have_current)
        *current = ctx.current;
    return st;
}

typedef struct update_ctx {
    const char *id;
    const char *p1;
    const char *p2;
    const char *p3;
    int stmt;
    bool matched;
    claim_ctx cur;
} update_ctx;

/* One UPDATE … RETURNING id; when it matches nothing, reads why (absent ⇒ NOT_FOUND). */
static fsim_status update_op(fsim__conn *c, void *v, fsim_error *err)
{
    update_ctx *ctx = v;
    const char *p[] = {ctx->id, ctx->p1, ctx->p2, ctx->p3};
    PGresult *r = run_stmt(c, ctx->stmt, p, "update the simulation", err);
    if (!r)
        return FSIM_IO;
    ctx->matched = PQntuples(r) > 0;
    PQclear(r);
    if (ctx->matched)
        return FSIM_OK;
    return read_current(c, ctx->id, &ctx->cur, err);
}

fsim_status fsim_store_heartbeat(fsim_store *store, const char *id, double progress,
                                 int lease_seconds, bool *keep_going, fsim_error *err)
{
    *keep_going = false;
    if (check_id(id, err) != FSIM_OK)
        return FSIM_NOT_FOUND;
    char prog[FSIM_NUMBER_BUF], lease[16];
    fsim_format_double(isfinite(progress) ? fmin(fmax(progress, 0), 1) : 0, prog);
    snprintf(lease, sizeof lease, "%d", lease_seconds > 0 ? lease_seconds : 60);
    update_ctx ctx = {.id = id, .p1 = prog, .p2 = lease, .stmt = S_HEARTBEAT};
    fsim_status st = fsim__store_run(store, update_op, &ctx, err);
    if (st == FSIM_NOT_FOUND) { /* deleted: the worker just stops */
        fsim_error_clear(err);
        return FSIM_OK;
    }
    *keep_going = st == FSIM_OK && ctx.matched;
    return st;
}

/* A worker that cannot finish a claimed job now (a transient failure) hands it back: its
 * lease ends at once, so the retry (a redelivered message) can claim the row right away
 * instead of finding it "running elsewhere" until the lease runs out. */
fsim_status fsim_store_release(fsim_store *store, const char *id, fsim_error *err)
{
    if (check_id(id, err) != FSIM_OK)
        return FSIM_NOT_FOUND;
    update_ctx ctx = {.id = id, .stmt = S_RELEASE};
    fsim_status st = fsim__store_run(store, update_op, &ctx, err);
    if (st == FSIM_NOT_FOUND) { /* deleted meanwhile: nothing to hand back */
        fsim_error_clear(err);
        return FSIM_OK;
    }
    return st;
}

/* ---- Finish, fail, cancel, delete, save ------------------------------------------------------ */

typedef struct prices {
    bool found;
    double usd_per_kwh;
    double co2_g_per_kwh;
} prices;

static fsim_status read_prices(fsim__conn *c, int stmt, const char *key, prices *out,
                               fsim_error *err)
{
    const char *p[] = {key};
    PGresult *r = run_stmt(c, stmt, p, "read state data", err);
    if (!r)
        return FSIM_IO;
    out->found = PQntuples(r) > 0;
    if (out->found) {
        out->usd_per_kwh = strtod(PQgetvalue(r, 0, 0), NULL);
        out->co2_g_per_kwh = strtod(PQgetvalue(r, 0, 1), NULL);
    }
    PQclear(r);
    return FSIM_OK;
}

/* The summary gains cost and CO2 from the state's data, unless it has them. */
static void apply_prices(fsim_summary *s, const prices *pr)
{
    if (pr->found && !s->has_energy_cost) {
        s->has_energy_cost = true;
        s->energy_cost = s->grid_energy_kwh * pr->usd_per_kwh;
    }
    if (pr->found && !s->has_co2_kg) {
        s->has_co2_kg = true;
        s->co2_kg = s->grid_energy_kwh * pr->co2_g_per_kwh / 1000.0;
    }
}

/* The result as stored: with apply_prices. Returns malloc'd JSON. */
static char *encode_for_storage(const fsim_result *result, const prices *pr)
{
    fsim_result copy = *result;
    apply_prices(&copy.summary, pr);
    return fsim_result_encode(&copy, 0, NULL);
}

typedef struct finish_ctx {
    const char *id;
    const fsim_result *result;
    const char *uri;              /* fsim_store_finish_uri */
    bool matched;
    claim_ctx cur;
} finish_ctx;

/* After a finishing UPDATE (its result `r`, cleared here): FSIM_OK when it matched a
 * running row, else why not — cancelled meanwhile, or already finished by someone else. */
static fsim_status finished_or_why(fsim__conn *c, finish_ctx *ctx, PGresult *r,
                                   fsim_error *err)
{
    ctx->matched = PQntuples(r) > 0;
    PQclear(r);
    if (ctx->matched)
        return FSIM_OK;
    fsim_status st = read_current(c, ctx->id, &ctx->cur, err);
    if (st != FSIM_OK)
        return st;
    if (ctx->cur.current == FSIM_RUN_CANCELLED)
        return fsim_error_set(err, FSIM_CANCELLED, NULL, 0, 0, "id",
                              "simulation \"%s\" was cancelled", ctx->id);
    return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "status",
                          "simulation \"%s\" is already %s", ctx->id,
                          fsim_run_status_name(ctx->cur.current));
}

static fsim_status finish_op(fsim__conn *c, void *v, fsim_error *err)
{
    finish_ctx *ctx = v;
    prices pr = {0};
    if (read_prices(c, S_SIM_PRICES, ctx->id, &pr, err) != FSIM_OK)
        return FSIM_IO;
    char *json = encode_for_storage(ctx->result, &pr);
    if (!json)
        return nomem(err);
    const char *p[] = {ctx->id, fsim_run_status_name(ctx->result->status), json};
    PGresult *r = run_stmt(c, S_FINISH, p, "store the result", err);
    free(json);
    if (!r)
        return err->status;
    return finished_or_why(c, ctx, r, err);
}

fsim_status fsim_store_finish(fsim_store *store, const char *id, const fsim_result *result,
                              fsim_error *err)
{
    if (check_id(id, err) != FSIM_OK)
        return FSIM_NOT_FOUND;
    finish_ctx ctx = {.id = id, .result = result};
    return fsim__store_run(store, finish_op, &ctx, err);
}

/* Like finish_op, for a result stored elsewhere: only the summary and the provenance are
 * encoded (not the whole result, which may be large), and resultUri points at the rest. */
static fsim_status finish_uri_op(fsim__conn *c, void *v, fsim_error *err)
{
    finish_ctx *ctx = v;
    prices pr = {0};
    if (read_prices(c, S_SIM_PRICES, ctx->id, &pr, err) != FSIM_OK)
        return FSIM_IO;
    fsim_summary summary = ctx->result->summary;
    apply_prices(&summary, &pr);
    char *sj = fsim_wire_encode(FSIM_WIRE_SUMMARY, &summary, 0, NULL);
    char *mj = fsim_wire_encode(FSIM_WIRE_RESULT_METADATA, &ctx->result->metadata, 0, NULL);
    if (!sj || !mj) {
        free(sj);
        free(mj);
        return nomem(err);
    }
    const char *p[] = {ctx->id, fsim_run_status_name(ctx->result->status), sj, mj, ctx->uri};
    PGresult *r = run_stmt(c, S_FINISH_URI, p, "store the result", err);
    free(sj);
    free(mj);
    if (!r)
        return err->status;
    return finished_or_why(c, ctx, r, err);
}

fsim_status fsim_store_finish_uri(fsim_store *store, const char *id, const fsim_result *result,
                                  const char *uri, fsim_error *err)
{
    if (check_id(id, err) != FSIM_OK)
        return FSIM_NOT_FOUND;
    if (!uri || !*uri)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "resultUri", "must not be empty");
    finish_ctx ctx = {.id = id, .result = result, .uri = uri};
    return fsim__store_run(store, finish_uri_op, &ctx, err);
}

typedef struct prices_ctx {
    const char *id;
    prices pr;
} prices_ctx;

static fsim_status prices_op(fsim__conn *c, void *v, fsim_error *err)
{
    prices_ctx *ctx = v;
    return read_prices(c, S_SIM_PRICES, ctx->id, &ctx->pr, err);
}

fsim_status fsim_store_apply_prices(fsim_store *store, const char *id, fsim_result *result,
                                    fsim_error *err)
{
    if (check_id(id, err) != FSIM_OK)
        return FSIM_NOT_FOUND;
    prices_ctx ctx = {.id = id};
    fsim_status st = fsim__store_run(store, prices_op, &ctx, err);
    if (st == FSIM_OK)
        apply_prices(&result->summary, &ctx.pr);
    return st;
}

fsim_status fsim_store_fail(fsim_store *store, const char *id, const fsim_api_error *error,
                            fsim_error *err)
{
    if (check_id(id, err) != FSIM_OK)
        return FSIM_NOT_FOUND;
    char *json = fsim_wire_encode(FSIM_WIRE_API_ERROR, error, 0, NULL);
    if (!json)
        return nomem(err);
    update_ctx ctx = {.id = id, .p1 = json, .stmt = S_FAIL};
    fsim_status st = fsim__store_run(store, update_op, &ctx, err);
    free(json);
    if (st == FSIM_OK && !ctx.matched)
        st = fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "status",
                            "simulation \"%s\" is already %s", id,
                            fsim_run_status_name(ctx.cur.current));
    return st;
}

fsim_status fsim_store_cancel(fsim_store *store, const char *id, bool *cancelled,
                              fsim_error *err)
{
    if (check_id(id, err) != FSIM_OK)
        return FSIM_NOT_FOUND;
    update_ctx ctx = {.id = id, .stmt = S_CANCEL};
    fsim_status st = fsim__store_run(store, update_op, &ctx, err);
    if (cancelled)
        *cancelled = st == FSIM_OK && ctx.matched;
    return st;
}

static fsim_status delete_op(fsim__conn *c, void *v, fsim_error *err)
{
    update_ctx *ctx = v;
    const char *p[] = {ctx->id};
    PGresult *r = run_stmt(c, S_DELETE, p, "delete the simulation", err);
    if (!r)
        return FSIM_IO;
    ctx->matched = PQntuples(r) > 0;
    PQclear(r);
    return ctx->matched ? FSIM_OK : not_found(err, ctx->id);
}

fsim_status fsim_store_delete(fsim_store *store, const char *id, fsim_error *err)
{
    if (check_id(id, err) != FSIM_OK)
        return FSIM_NOT_FOUND;
    update_ctx ctx = {.id = id};
    return fsim__store_run(store, delete_op, &ctx, err);
}

/* ---- Reads ---------------------------------------------------------------------------------- */

typedef struct read_ctx {
    const char *id;
    fsim_arena *arena;
    void *out;
    const char *json;             /* result: the SimulationResult as stored */
    /* list */
    const char *fleet_id;
    const char *status;
    const char *cursor_micros;
    const char *cursor_id;
    int limit;
    fsim_store_page *page;
} read_ctx;

static fsim_status status_op(fsim__conn *c, void *v, fsim_error *err)
{
    read_ctx *ctx = v;
    const char *p[] = {ctx->id};
    PGresult *r = run_stmt(c, S_STATUS, p, "read the simulation", err);
    if (!r)
        return FSIM_IO;
    fsim_status st;
    if (PQntuples(r) == 0) {
        st = not_found(err, ctx->id);
    } else {
        const char *json = PQgetvalue(r, 0, 0);
        st = fsim_wire_decode(FSIM_WIRE_JOB_STATUS, json, strlen(json), "simulations row", 0,
                              ctx->arena, &ctx->out, err);
    }
    PQclear(r);
    return st;
}

fsim_status fsim_store_status(fsim_store *store, const char *id, fsim_arena *arena,
                              fsim_job_status **out, fsim_error *err)
{
    *out = NULL;
    if (check_id(id, err) != FSIM_OK)
        return FSIM_NOT_FOUND;
    read_ctx ctx = {.id = id, .arena = arena};
    fsim_status st = fsim__store_run(store, status_op, &ctx, err);
    *out = ctx.out;
    return st;
}

static fsim_status result_op(fsim__conn *c, void *v, fsim_error *err)
{
    read_ctx *ctx = v;
    const char *p[] = {ctx->id};
    PGresult *r = run_stmt(c, S_RESULT, p, "read the result", err);
    if (!r)
        return FSIM_IO;
    fsim_status st;
    const char *status = PQntuples(r) ? PQgetvalue(r, 0, 0) : "";
    if (PQntuples(r) == 0) {
        st = not_found(err, ctx->id);
    } else if (strcmp(status, "succeeded") != 0 && strcmp(status, "imported") != 0) {
        st = fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "status",
                            "simulation \"%s\" has no result: it is %s", ctx->id, status);
    } else {
        ctx->json = fsim_arena_strdup(ctx->arena, PQgetvalue(r, 0, 1));
        st = ctx->json ? FSIM_OK : nomem(err);
    }
    PQclear(r);
    return st;
}

fsim_status fsim_store_result_json(fsim_store *store, const char *id, fsim_arena *arena,
                                   const char **json, fsim_error *err)
{
    *json = NULL;
    if (check_id(id, err) != FSIM_OK)
        return FSIM_NOT_FOUND;
    read_ctx ctx = {.id = id, .arena = arena};
    fsim_status st = fsim__store_run(store, result_op, &ctx, err);
    *json = ctx.json;
    return st;
}

fsim_status fsim_store_result(fsim_store *store, const char *id, fsim_arena *arena,
                              fsim_result **out, fsim_error *err)
{
    *out = NULL;
    const char *json = NULL;
    fsim_status st = fsim_store_result_json(store, id, arena, &json, err);
    if (st != FSIM_OK)
        return st;
    void *res = NULL;
    st = fsim_wire_decode(FSIM_WIRE_RESULT, json, strlen(json), "simulations row", 0, arena,
                          &res, err);
    *out = res;
    return st;
}

static fsim_status result_uri_op(fsim__conn *c, void *v, fsim_error *err)
{
    read_ctx *ctx = v;
    const char *p[] = {ctx->id};
    PGresult *r = run_stmt(c, S_RESULT_URI, p, "read the simulation", err);
    if (!r)
        return FSIM_IO;
    fsim_status st = FSIM_OK;
    ctx->out = NULL;
    if (PQntuples(r) == 0)
        st = not_found(err, ctx->id);
    else if (!PQgetisnull(r, 0, 0) && !(ctx->out = fsim_arena_strdup(ctx->arena, PQgetvalue(r, 0, 0))))
        st = nomem(err);
    PQclear(r);
    return st;
}

fsim_status fsim_store_result_uri(fsim_store *store, const char *id, fsim_arena *arena,
                                  const char **uri, fsim_error *err)
{
    *uri = NULL;
    if (check_id(id, err) != FSIM_OK)
        return FSIM_NOT_FOUND;
    read_ctx ctx = {.id = id, .arena = arena};
    fsim_status st = fsim__store_run(store, result_uri_op, &ctx, err);
    *uri = ctx.out;
    return st;
}

/* The cursor is base64url("<created_at µs>.<uuid>"): opaque to clients, exact for us. */
static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *cursor_encode(fsim_arena *arena, const char *micros, const char *id)
{
    char raw[128];
    int n = snprintf(raw, sizeof raw, "%s.%s", micros, id);
    char *out = fsim_arena_alloc(arena, (size_t)n * 4 / 3 + 4);
    if (!out)
        return NULL;
    size_t o = 0;
    for (int i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)raw[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)raw[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)raw[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = b64[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
    return out;
}

/* Splits a cursor into its two parts; false when it is not one of ours. */
static bool cursor_decode(const char *cursor, char micros[24], char id[FSIM_STORE_ID_LEN])
{
    char raw[128];
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (const char *p = cursor; *p; p++) {
        const char *q = strchr(b64, *p);
        if (!q || n + 1 >= sizeof raw)
            return false;
        acc = (acc << 6) | (unsigned)(q - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            raw[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    raw[n] = '\0';
    char *dot = strchr(raw, '.');
    if (!dot || dot == raw || dot - raw >= 24 || !fsim_uuid_valid(dot + 1))
        return false;
    for (char *d = raw; d < dot; d++)
        if ((*d < '0' || *d > '9') && !(d == raw && *d == '-'))
            return false;
    memcpy(micros, raw, (size_t)(dot - raw));
    micros[dot - raw] = '\0';
    memcpy(id, dot + 1, FSIM_STORE_ID_LEN);
    return true;
}

static fsim_status list_op(fsim__conn *c, void *v, fsim_error *err)
{
    read_ctx *ctx = v;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", ctx->limit + 1);
    const char *p[] = {ctx->fleet_id, ctx->status, ctx->cursor_micros, ctx->cursor_id, limit};
    PGresult *r = run_stmt(c, S_LIST, p, "list simulations", err);
    if (!r)
        return FSIM_IO;
    int rows = PQntuples(r);
    int n = rows > ctx->limit ? ctx->limit : rows;
    fsim_store_page *page = ctx->page;
    page->items = fsim_arena_calloc(ctx->arena, (size_t)n + 1, sizeof *page->items);
    page->n_items = 0;
    page->next_cursor = NULL;
    fsim_status st = page->items ? FSIM_OK : nomem(err);
    for (int i = 0; st == FSIM_OK && i < n; i++) {
        const char *json = PQgetvalue(r, i, 0);
        void *item = NULL;
        st = fsim_wire_decode(FSIM_WIRE_JOB_STATUS, json, strlen(json), "simulations row", 0,
                              ctx->arena, &item, err);
        if (st == FSIM_OK)
            page->items[page->n_items++] = *(fsim_job_status *)item;
    }
    if (st == FSIM_OK && rows > ctx->limit) {
        page->next_cursor = cursor_encode(ctx->arena, PQgetvalue(r, n - 1, 1),
                                          PQgetvalue(r, n - 1, 2));
        if (!page->next_cursor)
            st = nomem(err);
    }
    PQclear(r);
    return st;
}

fsim_status fsim_store_list(fsim_store *store, const char *fleet_id, const fsim_run_status *status,
                            int limit, const char *cursor, fsim_arena *arena,
                            fsim_store_page *page, fsim_error *err)
{
    memset(page, 0, sizeof *page);
    if (!fsim_uuid_valid(fleet_id))
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "fleetId", "must be a uuid");
    if (limit < 1 || limit > 1000)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "limit",
                              "must be between 1 and 1000");
    char micros[24], cid[FSIM_STORE_ID_LEN];
    read_ctx ctx = {.arena = arena, .fleet_id = fleet_id, .limit = limit, .page = page,
                    .status = status ? fsim_run_status_name(*status) : NULL};
    if (cursor && *cursor) {
        if (!cursor_decode(cursor, micros, cid))
            return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "cursor",
                                  "is not a cursor this server returned");
        ctx.cursor_micros = micros;
        ctx.cursor_id = cid;
    }
    return fsim__store_run(store, list_op, &ctx, err);
}
