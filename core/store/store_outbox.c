/* The Pub/Sub outbox on the `simulations` table (migrations/0002_pubsub_outbox.sql).
 *
 * Why an outbox: the API writes a job's row, then publishes its JobMessage; the two cannot
 * share a transaction, so a publish that fails (Pub/Sub down, topic missing, the process
 * killed in between) would lose the job. The row is written first with result_mode set and
 * published_at NULL; a successful publish sets published_at; a relayer re-publishes rows
 * still unpublished after a while, and again rows published long ago that are still not done
 * (Pub/Sub lost the message). Duplicates are harmless: the worker is idempotent.
 *
 * Two statements, run rarely (a relayer pass every few seconds, one mark per submit): plain
 * parameterized statements, not prepared ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/util.h>

#include "store_internal.h"

/* Takes due rows and pushes each one's next turn out by its backoff in the same statement,
 * so the rows stay reserved for this relayer until then (the exponent is capped: 2^30 s is
 * far past any sane cap). Two kinds of row: never published (older than $1 s), and — when
 * $5 > 0 — published more than $5 s ago yet still queued, or running under a lease that ran
 * out more than $5 s ago: Pub/Sub should have delivered them long since, so their message may
 * be gone. Both are among the active rows (status queued or running, not deleted), which the
 * partial index simulations_active_idx covers: the scan is the backlog, not the table.
 * Oldest first: RETURNING alone has no order. */
static const char take_sql[] =
    "WITH taken AS (UPDATE simulations s SET publish_attempts = s.publish_attempts + 1,"
    " next_publish_at = now() + make_interval(secs => least($2::float8"
    " * power(2, least(s.publish_attempts, 30)), $3::float8))"
    " WHERE s.id IN (SELECT id FROM simulations"
    " WHERE status IN ('queued', 'running') AND deleted_at IS NULL AND result_mode IS NOT NULL"
    " AND (next_publish_at IS NULL OR next_publish_at <= now())"
    " AND ((published_at IS NULL AND status = 'queued'"
    " AND created_at < now() - make_interval(secs => $1::float8))"
    " OR ($5::float8 > 0 AND published_at < now() - make_interval(secs => $5::float8)"
    " AND (status = 'queued'"
    " OR lease_expires_at < now() - make_interval(secs => $5::float8))))"
    " ORDER BY created_at LIMIT $4::int FOR UPDATE SKIP LOCKED)"
    " RETURNING s.id, s.result_mode, s.publish_attempts, (s.metadata->'request')::text AS request,"
    " s.metadata->>'traceId' AS trace_id, s.created_at,"
    " extract(epoch FROM now() - s.published_at) AS since_publish)"
    " SELECT id, result_mode, publish_attempts, request, trace_id, since_publish FROM taken"
    " ORDER BY created_at, id";

/* now(), not the first time: a republished row's delay counts from its last publish */
static const char mark_sql[] =
    "UPDATE simulations SET published_at = now() WHERE id = $1::uuid RETURNING id";

typedef struct take_ctx {
    const char *params[5];
    fsim_arena *arena;
    fsim_store_outbox_job *jobs;
    size_t n;
} take_ctx;

/* One row of take_sql's result into `job`. A stored request that no longer decodes (never
 * expected: the API validated it) leaves job->request NULL for the caller to fail the row,
 * rather than stalling the whole outbox on it. */
static fsim_status job_from_row(PGresult *r, int i, fsim_arena *arena, fsim_store_outbox_job *job,
                                fsim_error *err)
{
    memset(job, 0, sizeof *job);
    snprintf(job->id, sizeof job->id, "%s", PQgetvalue(r, i, 0));
    if (!fsim_job_mode_parse(PQgetvalue(r, i, 1), &job->mode))
        job->mode = FSIM_MODE_DB; /* the column's CHECK allows only db and gcs */
    job->attempts = atoi(PQgetvalue(r, i, 2));
    if (!PQgetisnull(r, i, 5)) {
        job->republish = true;
        job->since_publish_s = strtod(PQgetvalue(r, i, 5), NULL);
    }
    if (!PQgetisnull(r, i, 4) && !(job->trace_id = fsim_arena_strdup(arena, PQgetvalue(r, i, 4))))
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    if (PQgetisnull(r, i, 3))
        return FSIM_OK;
    const char *json = PQgetvalue(r, i, 3);
    fsim_error ignored;
    fsim_status st = fsim_request_decode(json, strlen(json), "metadata.request",
                                         FSIM_WIRE_IGNORE_UNKNOWN, arena, &job->request, &ignored);
    if (st == FSIM_NOMEM)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    return FSIM_OK;
}

static fsim_status take_op(fsim__conn *c, void *v, fsim_error *err)
{
    take_ctx *ctx = v;
    ctx->n = 0;
    PGresult *r = fsim__exec(c, take_sql, 5, ctx->params, "take jobs from the outbox", err);
    if (!r)
        return FSIM_IO;
    int rows = PQntuples(r);
    fsim_status st = FSIM_OK;
    ctx->jobs = fsim_arena_calloc(ctx->arena, (size_t)rows + 1, sizeof *ctx->jobs);
    if (!ctx->jobs)
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    for (int i = 0; st == FSIM_OK && i < rows; i++) {
        st = job_from_row(r, i, ctx->arena, &ctx->jobs[ctx->n], err);
        if (st == FSIM_OK)
            ctx->n++;
    }
    PQclear(r);
    return st;
}

fsim_status fsim_store_outbox_take(fsim_store *store, double min_age_s, double republish_s,
                                   double backoff_s, double max_backoff_s, int max,
                                   fsim_arena *arena, fsim_store_outbox_job **jobs, size_t *n,
                                   fsim_error *err)
{
    *jobs = NULL;
    *n = 0;
    if (max < 1)
        return FSIM_OK;
    char age[FSIM_NUMBER_BUF], back[FSIM_NUMBER_BUF], cap[FSIM_NUMBER_BUF], lim[16],
        again[FSIM_NUMBER_BUF];
    fsim_format_double(min_age_s > 0 ? min_age_s : 0, age);
    fsim_format_double(republish_s > 0 ? republish_s : 0, again);
    fsim_format_double(backoff_s > 0 ? backoff_s : 1, back);
    fsim_format_double(max_backoff_s > 0 ? max_backoff_s : 300, cap);
    snprintf(lim, sizeof lim, "%d", max);
    take_ctx ctx = {.params = {age, back, cap, lim, again}, .arena = arena};
    fsim_status st = fsim__store_run(store, take_op, &ctx, err);
    if (st == FSIM_OK) {
        *jobs = ctx.jobs;
        *n = ctx.n;
    }
    return st;
}

typedef struct mark_ctx {
    const char *id;
    bool matched;
} mark_ctx;

static fsim_status mark_op(fsim__conn *c, void *v, fsim_error *err)
{
    mark_ctx *ctx = v;
    const char *p[] = {ctx->id};
    PGresult *r = fsim__exec(c, mark_sql, 1, p, "mark the job published", err);
    if (!r)
        return FSIM_IO;
    ctx->matched = PQntuples(r) > 0;
    PQclear(r);
    return FSIM_OK;
}

fsim_status fsim_store_mark_published(fsim_store *store, const char *id, fsim_error *err)
{
    if (!fsim_uuid_valid(id))
        return fsim_error_set(err, FSIM_NOT_FOUND, NULL, 0, 0, "id",
                              "simulation \"%s\" does not exist", id ? id : "");
    mark_ctx ctx = {.id = id};
    fsim_status st = fsim__store_run(store, mark_op, &ctx, err);
    if (st == FSIM_OK && !ctx.matched)
        st = fsim_error_set(err, FSIM_NOT_FOUND, NULL, 0, 0, "id",
                            "simulation \"%s\" does not exist", id);
    return st;
}
