/* Reads: a job's status, its result (the stored JSON whole), where a result lives, and a
 * fleet's simulations page by page. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
