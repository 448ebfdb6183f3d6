/* Reads: a job's status, its result (the stored JSON whole), where a result lives, and a
 * fleet's simulations page by page. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fleetsim/job_error.h>
#include <fleetsim/util.h>

#include "store_sim.h"

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

/* ---- A status from binary columns (S_STATUS) ---------------------------------------------- */

/* PostgreSQL's binary forms, big-endian: float8, int64 (timestamptz: microseconds since
 * 2000-01-01 UTC), uuid (16 bytes). */
static uint64_t be64(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | (unsigned char)p[i];
    return v;
}

static bool bin_float8(const PGresult *r, int row, int col, double *out)
{
    if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8)
        return false;
    uint64_t bits = be64(PQgetvalue(r, row, col));
    memcpy(out, &bits, sizeof *out);
    return true;
}

/* Unix seconds, whole: what the JSON read gave (to_char to the second, then parsed). */
static bool bin_time(const PGresult *r, int row, int col, double *out)
{
    if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8)
        return false;
    int64_t us = (int64_t)be64(PQgetvalue(r, row, col));
    int64_t secs = us / 1000000 - (us % 1000000 < 0); /* floor */
    *out = (double)(secs + 946684800);
    return true;
}

/* The 16 bytes of a uuid as its 36 characters (lowercase, as PostgreSQL prints it). */
static void uuid_text(const unsigned char *b, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
}

static const char *bin_uuid(const PGresult *r, int row, int col, fsim_arena *arena)
{
    if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 16)
        return NULL;
    char *out = fsim_arena_alloc(arena, 37);
    if (out)
        uuid_text((const unsigned char *)PQgetvalue(r, row, col), out);
    return out;
}

/* Why: the status is the most frequent read (every poll of a job), so its row comes as
 * plain binary columns instead of a JSON document built by the server and parsed here; the
 * struct is then checked exactly as the decoder checks a JobStatus. Same values as the JSON
 * read gave: times to the second, progress to 15 significant digits (float8 → jsonb). */
static fsim_status status_from_row(const PGresult *r, int row, fsim_arena *arena,
                                   fsim_job_status **out,
                                   fsim_error *err)
{
    fsim_job_status *job = fsim_arena_calloc(arena, 1, sizeof *job);
    if (!job)
        return nomem(err);
    job->id = bin_uuid(r, row, 0, arena);
    job->fleet_id = bin_uuid(r, row, 1, arena);
    if (!PQgetisnull(r, row, 2) && !(job->name = fsim_arena_strdup(arena, PQgetvalue(r, row, 2))))
        return nomem(err);
    const char *status = PQgetisnull(r, row, 3) ? "" : PQgetvalue(r, row, 3);
    char digits[32];
    if (!job->id || !job->fleet_id || !fsim_run_status_parse(status, &job->status) ||
        !bin_float8(r, row, 4, &job->progress) || !bin_time(r, row, 5, &job->created_at) ||
        !bin_time(r, row, 6, &job->updated_at))
        return fsim_error_set(err, FSIM_INVALID, "simulations row", 0, 0, NULL,
                              "the row is not a JobStatus (status \"%.32s\")", status);
    snprintf(digits, sizeof digits, "%.15g", job->progress);
    job->progress = strtod(digits, NULL);
    job->has_started_at = bin_time(r, row, 7, &job->started_at);
    job->has_finished_at = bin_time(r, row, 8, &job->finished_at);
    if (!PQgetisnull(r, row, 9)) { /* jsonb: a version byte (1), then the text */
        const char *e = PQgetvalue(r, row, 9);
        int len = PQgetlength(r, row, 9);
        void *error = NULL;
        if (len < 1 || e[0] != 1)
            return fsim_error_set(err, FSIM_INVALID, "simulations row", 0, 0, "error",
                                  "unknown jsonb format %d", len ? e[0] : -1);
        if (!(len == 5 && memcmp(e + 1, "null", 4) == 0)) {
            fsim_status st = fsim_wire_decode(FSIM_WIRE_API_ERROR, e + 1, (size_t)len - 1,
                                              "simulations row", 0, arena, &error, err);
            if (st != FSIM_OK)
                return st;
        }
        job->error = error;
    }
    fsim_status st = fsim_wire_validate(FSIM_WIRE_JOB_STATUS, job, "simulations row", err);
    *out = job;
    return st;
}

static fsim_status status_op(fsim__conn *c, void *v, fsim_error *err)
{
    read_ctx *ctx = v;
    const char *p[] = {ctx->id};
    PGresult *r = run_stmt(c, S_STATUS, p, "read the simulation", err);
    if (!r)
        return FSIM_IO;
    fsim_status st;
    fsim_job_status *job = NULL;
    if (PQntuples(r) == 0)
        st = not_found(err, ctx->id);
    else if ((st = status_from_row(r, 0, ctx->arena, &job, err)) == FSIM_OK)
        ctx->out = job;
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

typedef struct status_many_ctx {
    const char *const *ids;
    size_t n;
    fsim_arena *const *arenas;
    fsim_job_status **out;
} status_many_ctx;

/* Why: polls that queue up together (many clients, one handler thread free) are answered
 * by one statement instead of one round trip each; each request still reads the row after
 * it arrived. */
static fsim_status status_many_op(fsim__conn *c, void *v, fsim_error *err)
{
    status_many_ctx *ctx = v;
    /* a text array literal of the ids: uuids need no quoting */
    size_t cap = ctx->n * 37 + 3, len = 0;
    char *array = malloc(cap);
    if (!array)
        return nomem(err);
    array[len++] = '{';
    for (size_t i = 0; i < ctx->n; i++) {
        if (!fsim_uuid_valid(ctx->ids[i]))
            continue;
        if (len > 1)
            array[len++] = ',';
        memcpy(array + len, ctx->ids[i], 36);
        len += 36;
    }
    array[len++] = '}';
    array[len] = '\0';
    const char *p[] = {array};
    PGresult *r = run_stmt(c, S_STATUS_MANY, p, "read the simulations", err);
    free(array);
    if (!r)
        return FSIM_IO;
    fsim_status st = FSIM_OK;
    for (size_t i = 0; i < ctx->n; i++)
        ctx->out[i] = NULL; /* a retry starts over */
    for (int row = 0; row < PQntuples(r) && st == FSIM_OK; row++) {
        char id[37];
        if (PQgetisnull(r, row, 0) || PQgetlength(r, row, 0) != 16)
            continue;
        uuid_text((const unsigned char *)PQgetvalue(r, row, 0), id);
        /* every request for this id (the same job polled by several clients) */
        for (size_t i = 0; i < ctx->n && st == FSIM_OK; i++)
            if (!ctx->out[i] && strcasecmp(ctx->ids[i], id) == 0)
                st = status_from_row(r, row, ctx->arenas[i], &ctx->out[i], err);
    }
    PQclear(r);
    return st;
}

fsim_status fsim_store_status_many(fsim_store *store, const char *const *ids, size_t n,
                                   fsim_arena *const *arenas, fsim_job_status **out,
                                   fsim_error *err)
{
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    if (n == 0)
        return FSIM_OK;
    status_many_ctx ctx = {.ids = ids, .n = n, .arenas = arenas, .out = out};
    return fsim__store_run(store, status_many_op, &ctx, err);
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
/* A page cursor: "<created_at in µs>.<id>" in base64url, opaque to clients. */
static char *cursor_encode(fsim_arena *arena, const char *micros, const char *id)
{
    char raw[128];
    int n = snprintf(raw, sizeof raw, "%s.%s", micros, id);
    char *text = fsim_base64url_encode((const unsigned char *)raw, (size_t)n);
    char *out = text ? fsim_arena_strdup(arena, text) : NULL;
    free(text);
    return out;
}

/* Splits a cursor into its two parts; false when it is not one of ours. */
static bool cursor_decode(const char *cursor, char micros[24], char id[FSIM_STORE_ID_LEN])
{
    unsigned char *bin = NULL;
    size_t n = 0;
    if (strlen(cursor) > 160 || !fsim_base64url_decode(cursor, strlen(cursor), &bin, &n))
        return false;
    char raw[128];
    bool ok = n < sizeof raw && !memchr(bin, '\0', n);
    if (ok) {
        memcpy(raw, bin, n);
        raw[n] = '\0';
    }
    free(bin);
    char *dot = ok ? strchr(raw, '.') : NULL;
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
    if (fleet_id && !fsim_uuid_valid(fleet_id))
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
