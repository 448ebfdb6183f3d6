/* Plans as jobs: a `plans` row and its `plan_batches` (migrations/0003_plans.sql). Create,
 * claim a batch (by id for a Pub/Sub message, or the next open one for the API's workers),
 * heartbeat, hand back, store a batch's outcome once and — in the same transaction, under the
 * plan row's lock — compose the plan when it was the last; reads; the publish bookkeeping.
 * The SQL is in store_stmts.c's one table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/job_error.h>

#include "store_sim.h"

static fsim_status plan_not_found(fsim_error *err, const char *id)
{
    return fsim_error_set(err, FSIM_NOT_FOUND, NULL, 0, 0, "id", "plan \"%s\" does not exist",
                          id ? id : "");
}

/* BEGIN … COMMIT around an op's statements: a store op may run again after a transient
 * failure, so it must be all or nothing. */
static bool begin(fsim__conn *c, fsim_error *err)
{
    return fsim__command(c, "BEGIN", "begin a transaction", err);
}

static fsim_status commit(fsim__conn *c, fsim_error *err)
{
    return fsim__command(c, "COMMIT", "commit the transaction", err) ? FSIM_OK : FSIM_IO;
}

/* ---- Create ------------------------------------------------------------------------------- */

typedef struct create_ctx {
    const fsim_store_new_plan *plan;
    const char *request_json;
    int batches;
    char id[FSIM_STORE_ID_LEN];
} create_ctx;

static fsim_status create_op(fsim__conn *c, void *v, fsim_error *err)
{
    create_ctx *ctx = v;
    const fsim_store_new_plan *np = ctx->plan;
    char variants[16], per[16], batches[16];
    snprintf(variants, sizeof variants, "%d", np->variants);
    snprintf(per, sizeof per, "%d", np->batch_variants);
    snprintf(batches, sizeof batches, "%d", ctx->batches);
    if (!begin(c, err))
        return FSIM_IO;
    const char *p[] = {np->request->fleet_id, np->request->name, ctx->request_json,
                       np->trace_id, variants, per, batches, np->pubsub ? "pubsub" : NULL};
    PGresult *r = run_stmt(c, S_PLAN_CREATE, p, "create the plan", err);
    if (!r) {
        fsim_status st = err->status;
        if (st != FSIM_OK && strstr(err->message, "plans_fleet_id_fkey"))
            return fsim_error_set(err, FSIM_NOT_FOUND, NULL, 0, 0, "fleetId",
                                  "fleet \"%s\" does not exist", np->request->fleet_id);
        return st;
    }
    snprintf(ctx->id, sizeof ctx->id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    const char *pb[] = {ctx->id, per, variants, batches};
    r = run_stmt(c, S_PLAN_BATCHES, pb, "create the plan's batches", err);
    if (!r)
        return FSIM_IO;
    PQclear(r);
    return commit(c, err);
}

fsim_status fsim_store_plan_create(fsim_store *store, const fsim_store_new_plan *plan,
                                   char id[FSIM_STORE_ID_LEN], int *batches, fsim_error *err)
{
    if (!plan || !plan->request || !fsim_uuid_valid(plan->request->fleet_id))
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "fleetId", "must be a uuid");
    if (plan->variants < 1 || plan->batch_variants < 1)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, NULL, "a plan needs variants");
    create_ctx ctx = {.plan = plan,
                      .batches = (plan->variants + plan->batch_variants - 1) / plan->batch_variants};
    char *json = fsim_request_encode(plan->request, 0, NULL);
    if (!json)
        return nomem(err);
    ctx.request_json = json;
    fsim_status st = fsim__store_run(store, create_op, &ctx, err);
    free(json);
    if (st == FSIM_OK) {
        memcpy(id, ctx.id, FSIM_STORE_ID_LEN);
        if (batches)
            *batches = ctx.batches;
    }
    return st;
}

/* ---- Claim, heartbeat, hand back ------------------------------------------------------------- */

typedef struct claim_ctx {
    const char *plan_id;
    int batch;
    char lease[16], max[16];
    fsim_arena *arena;
    const char *exhausted_json;   /* claim_next: the error of a plan out of attempts */
    fsim_store_plan_batch *out;
    fsim_store_batch_state state;
} claim_ctx;

/* The claimed row, and the plan's request (which also starts a queued plan). */
static fsim_status batch_from_row(fsim__conn *c, PGresult *r, claim_ctx *ctx, fsim_error *err)
{
    fsim_store_plan_batch *b = fsim_arena_calloc(ctx->arena, 1, sizeof *b);
    if (!b)
        return nomem(err);
    snprintf(b->plan_id, sizeof b->plan_id, "%s", PQgetvalue(r, 0, 0));
    b->batch = atoi(PQgetvalue(r, 0, 1));
    b->first = atoi(PQgetvalue(r, 0, 2));
    b->count = atoi(PQgetvalue(r, 0, 3));
    b->attempts = atoi(PQgetvalue(r, 0, 4));
    const char *p[] = {b->plan_id};
    PGresult *q = run_stmt(c, S_PLAN_START, p, "start the plan", err);
    if (!q)
        return FSIM_IO;
    fsim_status st = FSIM_OK;
    if (PQntuples(q) != 1 || PQgetisnull(q, 0, 0)) {
        st = fsim_error_set(err, FSIM_INTERNAL, "database", 0, 0, "metadata.request",
                            "plan \"%s\" has no request", b->plan_id);
    } else {
        const char *json = PQgetvalue(q, 0, 0);
        if (!PQgetisnull(q, 0, 1))
            b->trace_id = fsim_arena_strdup(ctx->arena, PQgetvalue(q, 0, 1));
        b->variants = atoi(PQgetvalue(q, 0, 2));
        st = fsim_request_decode(json, strlen(json), "metadata.request",
                                 FSIM_WIRE_IGNORE_UNKNOWN, ctx->arena, &b->request, err);
    }
    PQclear(q);
    if (st == FSIM_OK)
        ctx->out = b;
    return st;
}

static fsim_status claim_op(fsim__conn *c, void *v, fsim_error *err)
{
    claim_ctx *ctx = v;
    ctx->out = NULL;
    char batch[16];
    snprintf(batch, sizeof batch, "%d", ctx->batch);
    if (!begin(c, err))
        return FSIM_IO;
    const char *p[] = {ctx->lease, ctx->plan_id, batch, ctx->max};
    PGresult *r = run_stmt(c, S_PLAN_CLAIM, p, "claim the plan batch", err);
    if (!r)
        return FSIM_IO;
    fsim_status st = FSIM_OK;
    if (PQntuples(r) == 1) {
        st = batch_from_row(c, r, ctx, err);
        PQclear(r);
        return st == FSIM_OK ? commit(c, err) : st;
    }
    PQclear(r);
    const char *q[] = {ctx->plan_id, batch};
    r = run_stmt(c, S_PLAN_BATCH_STATE, q, "read the plan batch", err);
    if (!r)
        return FSIM_IO;
    if (PQntuples(r) == 0) {
        st = fsim_error_set(err, FSIM_NOT_FOUND, NULL, 0, 0, "batch",
                            "plan \"%s\" has no batch %d", ctx->plan_id, ctx->batch);
    } else {
        bool done = strcmp(PQgetvalue(r, 0, 0), "done") == 0;
        bool expired = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
        bool plan_runs = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
        ctx->state = done          ? FSIM_BATCH_DONE
                     : !plan_runs  ? FSIM_BATCH_PLAN_FINISHED
                     : expired     ? FSIM_BATCH_EXHAUSTED
                                   : FSIM_BATCH_RUNNING;
    }
    PQclear(r);
    return st == FSIM_OK ? commit(c, err) : st;
}

fsim_status fsim_store_plan_claim(fsim_store *store, const char *plan_id, int batch,
                                  int lease_seconds, int max_attempts, fsim_arena *arena,
                                  fsim_store_plan_batch **out, fsim_store_batch_state *state,
                                  fsim_error *err)
{
    *out = NULL;
    if (!fsim_uuid_valid(plan_id))
        return plan_not_found(err, plan_id);
    claim_ctx ctx = {.plan_id = plan_id, .batch = batch, .arena = arena};
    snprintf(ctx.lease, sizeof ctx.lease, "%d", lease_seconds);
    snprintf(ctx.max, sizeof ctx.max, "%d", max_attempts);
    fsim_status st = fsim__store_run(store, claim_op, &ctx, err);
    *out = ctx.out;
    if (state)
        *state = ctx.state;
    return st;
}

static fsim_status claim_next_op(fsim__conn *c, void *v, fsim_error *err)
{
    claim_ctx *ctx = v;
    ctx->out = NULL;
    if (!begin(c, err))
        return FSIM_IO;
    const char *pe[] = {ctx->max, ctx->exhausted_json};
    PGresult *r = run_stmt(c, S_PLAN_EXPIRE, pe, "expire exhausted plans", err);
    if (!r)
        return FSIM_IO;
    PQclear(r);
    const char *p[] = {ctx->lease, ctx->max};
    r = run_stmt(c, S_PLAN_CLAIM_NEXT, p, "claim a plan batch", err);
    if (!r)
        return FSIM_IO;
    fsim_status st = PQntuples(r) == 1 ? batch_from_row(c, r, ctx, err) : FSIM_OK;
    PQclear(r);
    return st == FSIM_OK ? commit(c, err) : st;
}

fsim_status fsim_store_plan_claim_next(fsim_store *store, int lease_seconds, int max_attempts,
                                       fsim_arena *arena, fsim_store_plan_batch **out,
                                       fsim_error *err)
{
    fsim_api_error e = {.code = fsim_job_error_code(FSIM_JOB_ERR_ATTEMPTS_EXHAUSTED),
                        .message = "a batch of the plan was interrupted too many times"};
    char *ej = fsim_wire_encode(FSIM_WIRE_API_ERROR, &e, 0, NULL);
    if (!ej)
        return nomem(err);
    claim_ctx ctx = {.arena = arena, .exhausted_json = ej};
    snprintf(ctx.lease, sizeof ctx.lease, "%d", lease_seconds);
    snprintf(ctx.max, sizeof ctx.max, "%d", max_attempts);
    fsim_status st = fsim__store_run(store, claim_next_op, &ctx, err);
    free(ej);
    *out = ctx.out;
    return st;
}

typedef struct batch_ctx {
    const char *plan_id;
    char batch[16];
    char lease[16];
    bool flag;
    /* finish */
    const char *outcome;
    fsim_store_plan_compose_fn compose;
    void *user;
    bool composed;
} batch_ctx;

static fsim_status heartbeat_op(fsim__conn *c, void *v, fsim_error *err)
{
    batch_ctx *ctx = v;
    const char *p[] = {ctx->plan_id, ctx->batch, ctx->lease};
    PGresult *r = run_stmt(c, S_PLAN_HEARTBEAT, p, "renew the plan batch's lease", err);
    if (!r)
        return FSIM_IO;
    ctx->flag = PQntuples(r) == 1;
    PQclear(r);
    return FSIM_OK;
}

fsim_status fsim_store_plan_heartbeat(fsim_store *store, const char *plan_id, int batch,
                                      int lease_seconds, bool *keep_going, fsim_error *err)
{
    batch_ctx ctx = {.plan_id = plan_id};
    snprintf(ctx.batch, sizeof ctx.batch, "%d", batch);
    snprintf(ctx.lease, sizeof ctx.lease, "%d", lease_seconds);
    fsim_status st = fsim__store_run(store, heartbeat_op, &ctx, err);
    *keep_going = st != FSIM_OK || ctx.flag; /* a database hiccup is not a cancellation */
    return st;
}

static fsim_status release_op(fsim__conn *c, void *v, fsim_error *err)
{
    batch_ctx *ctx = v;
    const char *p[] = {ctx->plan_id, ctx->batch};
    PGresult *r = run_stmt(c, S_PLAN_RELEASE, p, "hand the plan batch back", err);
    PQclear(r);
    return r ? FSIM_OK : FSIM_IO;
}

fsim_status fsim_store_plan_release(fsim_store *store, const char *plan_id, int batch,
                                    fsim_error *err)
{
    batch_ctx ctx = {.plan_id = plan_id};
    snprintf(ctx.batch, sizeof ctx.batch, "%d", batch);
    return fsim__store_run(store, release_op, &ctx, err);
}

/* ---- Finish a batch; the last one composes ---------------------------------------------------- */

/* Every batch's outcome, handed to the caller's compose; its result stored on the plan. */
static fsim_status compose_in(fsim__conn *c, batch_ctx *ctx, fsim_error *err)
{
    const char *p[] = {ctx->plan_id};
    PGresult *r = run_stmt(c, S_PLAN_OUTCOMES, p, "read the plan's batches", err);
    if (!r)
        return FSIM_IO;
    size_t n = (size_t)PQntuples(r);
    const char **texts = calloc(n ? n : 1, sizeof *texts);
    char *result = NULL;
    fsim_status st = texts ? FSIM_OK : nomem(err);
    for (size_t i = 0; st == FSIM_OK && i < n; i++) {
        if (PQgetisnull(r, (int)i, 0))
            st = fsim_error_set(err, FSIM_INTERNAL, "database", 0, 0, NULL,
                                "plan \"%s\": batch %zu has no outcome", ctx->plan_id, i);
        texts[i] = PQgetvalue(r, (int)i, 0);
    }
    if (st == FSIM_OK)
        st = ctx->compose(ctx->user, texts, n, &result, err);
    free(texts);
    PQclear(r);
    if (st != FSIM_OK)
        goto out;
    const char *ps[] = {ctx->plan_id, result};
    r = run_stmt(c, S_PLAN_SUCCEED, ps, "store the plan's result", err);
    if (!r) {
        st = FSIM_IO;
        goto out;
    }
    ctx->composed = PQntuples(r) == 1;
    PQclear(r);
out:
    free(result);
    return st;
}

static fsim_status finish_op(fsim__conn *c, void *v, fsim_error *err)
{
    batch_ctx *ctx = v;
    ctx->flag = ctx->composed = false;
    if (!begin(c, err))
        return FSIM_IO;
    const char *p[] = {ctx->plan_id};
    PGresult *r = run_stmt(c, S_PLAN_LOCK, p, "lock the plan", err);
    if (!r)
        return FSIM_IO;
    bool exists = PQntuples(r) == 1;
    PQclear(r);
    if (!exists)
        return plan_not_found(err, ctx->plan_id);
    const char *pd[] = {ctx->plan_id, ctx->batch, ctx->outcome};
    r = run_stmt(c, S_PLAN_BATCH_DONE, pd, "store the plan batch", err);
    if (!r)
        return FSIM_IO;
    ctx->flag = PQntuples(r) == 1;
    PQclear(r);
    if (!ctx->flag) /* stored before: a duplicate changes nothing */
        return commit(c, err);
    r = run_stmt(c, S_PLAN_COUNT_OFF, p, "count the batch off", err);
    if (!r)
        return FSIM_IO;
    int remaining = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (remaining == 0) {
        fsim_status st = compose_in(c, ctx, err);
        if (st != FSIM_OK)
            return st;
    }
    return commit(c, err);
}

fsim_status fsim_store_plan_finish_batch(fsim_store *store, const char *plan_id, int batch,
                                         const char *outcome_json,
                                         fsim_store_plan_compose_fn compose, void *user,
                                         bool *stored, bool *composed, fsim_error *err)
{
    batch_ctx ctx = {.plan_id = plan_id, .outcome = outcome_json, .compose = compose,
                     .user = user};
    snprintf(ctx.batch, sizeof ctx.batch, "%d", batch);
    fsim_status st = fsim__store_run(store, finish_op, &ctx, err);
    if (stored)
        *stored = st == FSIM_OK && ctx.flag;
    if (composed)
        *composed = st == FSIM_OK && ctx.composed;
    return st;
}

static fsim_status fail_op(fsim__conn *c, void *v, fsim_error *err)
{
    batch_ctx *ctx = v;
    const char *p[] = {ctx->plan_id, ctx->outcome};
    PGresult *r = run_stmt(c, S_PLAN_FAIL, p, "mark the plan failed", err);
    PQclear(r);
    return r ? FSIM_OK : FSIM_IO;
}

fsim_status fsim_store_plan_fail(fsim_store *store, const char *plan_id,
                                 const fsim_api_error *error, fsim_error *err)
{
    char *json = fsim_wire_encode(FSIM_WIRE_API_ERROR, error, 0, NULL);
    if (!json)
        return nomem(err);
    batch_ctx ctx = {.plan_id = plan_id, .outcome = json};
    fsim_status st = fsim__store_run(store, fail_op, &ctx, err);
    free(json);
    return st;
}

/* ---- Reads ----------------------------------------------------------------------------------- */

typedef struct read_ctx {
    const char *id;
    fsim_arena *arena;
    void *out;
} read_ctx;

static fsim_status status_op(fsim__conn *c, void *v, fsim_error *err)
{
    read_ctx *ctx = v;
    const char *p[] = {ctx->id};
    PGresult *r = run_stmt(c, S_PLAN_STATUS, p, "read the plan", err);
    if (!r)
        return FSIM_IO;
    fsim_status st;
    if (PQntuples(r) == 0) {
        st = plan_not_found(err, ctx->id);
    } else {
        const char *json = PQgetvalue(r, 0, 0);
        st = fsim_wire_decode(FSIM_WIRE_PLAN_STATUS, json, strlen(json), "plans row", 0,
                              ctx->arena, &ctx->out, err);
    }
    PQclear(r);
    return st;
}

fsim_status fsim_store_plan_status(fsim_store *store, const char *plan_id, fsim_arena *arena,
                                   fsim_plan_status **out, fsim_error *err)
{
    *out = NULL;
    if (!fsim_uuid_valid(plan_id))
        return plan_not_found(err, plan_id);
    read_ctx ctx = {.id = plan_id, .arena = arena};
    fsim_status st = fsim__store_run(store, status_op, &ctx, err);
    *out = ctx.out;
    return st;
}

/* The stored result goes back through the codec: JSONB keeps neither the key order nor the
 * number spelling, the codec restores both (fleetsim plan --json's bytes). */
static fsim_status result_op(fsim__conn *c, void *v, fsim_error *err)
{
    read_ctx *ctx = v;
    const char *p[] = {ctx->id};
    PGresult *r = run_stmt(c, S_PLAN_RESULT, p, "read the plan's result", err);
    if (!r)
        return FSIM_IO;
    fsim_status st;
    if (PQntuples(r) == 0) {
        st = plan_not_found(err, ctx->id);
    } else if (PQgetisnull(r, 0, 1)) {
        st = fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "status", "plan is %s",
                            PQgetvalue(r, 0, 0));
    } else {
        const char *json = PQgetvalue(r, 0, 1);
        st = fsim_wire_decode(FSIM_WIRE_PLAN_RESULT, json, strlen(json), "plans row", 0,
                              ctx->arena, &ctx->out, err);
    }
    PQclear(r);
    return st;
}

fsim_status fsim_store_plan_result(fsim_store *store, const char *plan_id, fsim_arena *arena,
                                   fsim_plan_result **out, fsim_error *err)
{
    *out = NULL;
    if (!fsim_uuid_valid(plan_id))
        return plan_not_found(err, plan_id);
    read_ctx ctx = {.id = plan_id, .arena = arena};
    fsim_status st = fsim__store_run(store, result_op, &ctx, err);
    *out = ctx.out;
    return st;
}

/* ---- Publishing bookkeeping ------------------------------------------------------------------- */

typedef struct unpublished_ctx {
    const char *plan_id;
    char age[32], max[16];
    fsim_arena *arena;
    const char *plan_out;
    int *batches;
    size_t n;
} unpublished_ctx;

static fsim_status unpublished_op(fsim__conn *c, void *v, fsim_error *err)
{
    unpublished_ctx *ctx = v;
    const char *p[] = {ctx->plan_id, ctx->age, ctx->max};
    PGresult *r = run_stmt(c, S_PLAN_UNPUBLISHED, p, "find unpublished plan batches", err);
    if (!r)
        return FSIM_IO;
    int rows = PQntuples(r);
    ctx->n = 0;
    ctx->batches = fsim_arena_calloc(ctx->arena, rows ? (size_t)rows : 1, sizeof *ctx->batches);
    if (!ctx->batches) {
        PQclear(r);
        return nomem(err);
    }
    /* one plan per answer: the first row's */
    for (int i = 0; i < rows; i++) {
        if (!ctx->plan_out)
            ctx->plan_out = fsim_arena_strdup(ctx->arena, PQgetvalue(r, i, 0));
        if (ctx->plan_out && strcmp(ctx->plan_out, PQgetvalue(r, i, 0)) == 0)
            ctx->batches[ctx->n++] = atoi(PQgetvalue(r, i, 1));
    }
    PQclear(r);
    return FSIM_OK;
}

fsim_status fsim_store_plan_unpublished(fsim_store *store, const char *plan_id,
                                        double min_age_s, int max, fsim_arena *arena,
                                        const char **plan_id_out, int **batches, size_t *n,
                                        fsim_error *err)
{
    unpublished_ctx ctx = {.plan_id = plan_id, .arena = arena};
    snprintf(ctx.age, sizeof ctx.age, "%.3f", min_age_s);
    snprintf(ctx.max, sizeof ctx.max, "%d", max);
    fsim_status st = fsim__store_run(store, unpublished_op, &ctx, err);
    *batches = ctx.batches;
    *n = st == FSIM_OK ? ctx.n : 0;
    if (plan_id_out)
        *plan_id_out = ctx.plan_out;
    return st;
}

typedef struct mark_ctx {
    const char *plan_id;
    const char *list;
} mark_ctx;

static fsim_status mark_op(fsim__conn *c, void *v, fsim_error *err)
{
    mark_ctx *ctx = v;
    const char *p[] = {ctx->plan_id, ctx->list};
    PGresult *r = run_stmt(c, S_PLAN_MARK_PUBLISHED, p, "mark plan batches published", err);
    PQclear(r);
    return r ? FSIM_OK : FSIM_IO;
}

fsim_status fsim_store_plan_mark_published(fsim_store *store, const char *plan_id,
                                           const int *batches, size_t n, fsim_error *err)
{
    if (n == 0)
        return FSIM_OK;
    char *list = malloc(n * 12 + 3);
    if (!list)
        return nomem(err);
    size_t at = 0;
    list[at++] = '{';
    for (size_t i = 0; i < n; i++)
        at += (size_t)sprintf(list + at, i ? ",%d" : "%d", batches[i]);
    list[at++] = '}';
    list[at] = '\0';
    mark_ctx ctx = {.plan_id = plan_id, .list = list};
    fsim_status st = fsim__store_run(store, mark_op, &ctx, err);
    free(list);
    return st;
}
