/* The job queue: create (idempotency), claim, heartbeat, hand back, finish, fail, cancel,
 * delete. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/job_error.h>
#include <fleetsim/util.h>

#include "store_sim.h"

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
    char *json = fsim_result_encode(ctx->result, 0, NULL);
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
    char *sj = fsim_wire_encode(FSIM_WIRE_SUMMARY, &ctx->result->summary, 0, NULL);
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

