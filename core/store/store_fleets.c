/* Fleets and their state data (prices, grid CO2); fleets as a resource of the API (create,
 * read, list by name). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/job_error.h>
#include <fleetsim/util.h>

#include "store_sim.h"

/* ---- Fleets and state data ------------------------------------------------------------------ */

typedef struct fleet_ctx {
    const char *id;
    const char *name;
    const char *state_code;
    const char *want_id;   /* create: the id to give it, or NULL */
    bool found;
    char out_id[FSIM_STORE_ID_LEN];
    fsim_state_data *data;
    int stmt;      /* state data by state code, or by fleet */
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
    const char *p[] = {ctx->name, ctx->state_code, ctx->want_id};
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
    const char *p[] = {ctx->stmt == S_FLEET_STATE_DATA ? ctx->id : ctx->state_code};
    PGresult *r = run_stmt(c, ctx->stmt, p, "read state data", err);
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
    fleet_ctx ctx = {.state_code = state_code, .data = out, .stmt = S_STATE_DATA};
    fsim_status st = fsim__store_run(store, state_data_op, &ctx, err);
    *found = st == FSIM_OK && ctx.found;
    return st;
}

fsim_status fsim_store_fleet_state_data(fsim_store *store, const char *fleet_id,
                                        fsim_state_data *out, bool *found, fsim_error *err)
{
    fleet_ctx ctx = {.id = fleet_id, .data = out, .stmt = S_FLEET_STATE_DATA};
    fsim_status st = fsim__store_run(store, state_data_op, &ctx, err);
    *found = st == FSIM_OK && ctx.found;
    return st;
}


/* ---- Fleets as a resource ------------------------------------------------------------------- */

typedef struct fleet_read {
    const char *id;        /* get: the fleet; list: the cursor (NULL: from the start) */
    int limit;
    fsim_arena *arena;
    fsim_fleet *fleet;
    fsim_fleet_page *page;
} fleet_read;

static fsim_status decode_fleet(const char *json, fsim_arena *arena, fsim_fleet *out,
                                fsim_error *err)
{
    void *p = NULL;
    fsim_status st = fsim_wire_decode(FSIM_WIRE_FLEET, json, strlen(json), "fleets row", 0,
                                      arena, &p, err);
    if (st == FSIM_OK)
        *out = *(fsim_fleet *)p;
    return st;
}

static fsim_status fleet_get_op(fsim__conn *c, void *v, fsim_error *err)
{
    fleet_read *ctx = v;
    const char *p[] = {ctx->id};
    PGresult *r = run_stmt(c, S_FLEET_GET, p, "read the fleet", err);
    if (!r)
        return FSIM_IO;
    fsim_status st;
    if (PQntuples(r) == 0)
        st = fsim_error_set(err, FSIM_NOT_FOUND, NULL, 0, 0, "id",
                            "fleet \"%s\" does not exist", ctx->id);
    else if (!(ctx->fleet = fsim_arena_calloc(ctx->arena, 1, sizeof *ctx->fleet)))
        st = nomem(err);
    else
        st = decode_fleet(PQgetvalue(r, 0, 0), ctx->arena, ctx->fleet, err);
    PQclear(r);
    return st;
}

fsim_status fsim_store_fleet_get(fsim_store *store, const char *id, fsim_arena *arena,
                                 fsim_fleet **out, fsim_error *err)
{
    *out = NULL;
    if (!fsim_uuid_valid(id))
        return fsim_error_set(err, FSIM_NOT_FOUND, NULL, 0, 0, "id",
                              "fleet \"%s\" does not exist", id ? id : "");
    fleet_read ctx = {.id = id, .arena = arena};
    fsim_status st = fsim__store_run(store, fleet_get_op, &ctx, err);
    if (st == FSIM_OK)
        *out = ctx.fleet;
    return st;
}

/* One more row than asked for says whether another page follows. */
static fsim_status fleet_list_op(fsim__conn *c, void *v, fsim_error *err)
{
    fleet_read *ctx = v;
    char limit[16];
    snprintf(limit, sizeof limit, "%d", ctx->limit + 1);
    const char *p[] = {ctx->id, limit};
    PGresult *r = run_stmt(c, S_FLEET_LIST, p, "list fleets", err);
    if (!r)
        return FSIM_IO;
    int rows = PQntuples(r);
    int n = rows > ctx->limit ? ctx->limit : rows;
    fsim_fleet_page *page = ctx->page;
    page->items = fsim_arena_calloc(ctx->arena, (size_t)n + 1, sizeof *page->items);
    page->n_items = 0;
    page->next_cursor = NULL;
    fsim_status st = page->items ? FSIM_OK : nomem(err);
    for (int i = 0; st == FSIM_OK && i < n; i++)
        if ((st = decode_fleet(PQgetvalue(r, i, 0), ctx->arena, &page->items[i], err)) == FSIM_OK)
            page->n_items++;
    if (st == FSIM_OK && rows > ctx->limit &&
        !(page->next_cursor = fsim_arena_strdup(ctx->arena, PQgetvalue(r, n - 1, 1))))
        st = nomem(err);
    PQclear(r);
    return st;
}

fsim_status fsim_store_fleet_list(fsim_store *store, int limit, const char *cursor,
                                  fsim_arena *arena, fsim_fleet_page *page, fsim_error *err)
{
    memset(page, 0, sizeof *page);
    if (limit < 1 || limit > 1000)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "limit",
                              "must be between 1 and 1000");
    if (cursor && *cursor && !fsim_uuid_valid(cursor))
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "cursor",
                              "is not a cursor this server returned");
    fleet_read ctx = {.id = cursor && *cursor ? cursor : NULL, .limit = limit, .arena = arena,
                      .page = page};
    return fsim__store_run(store, fleet_list_op, &ctx, err);
}

static bool state_code_valid(const char *s)
{
    return strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

fsim_status fsim_store_fleet_add(fsim_store *store, const fsim_new_fleet *nf, fsim_arena *arena,
                                 fsim_fleet **out, bool *created, fsim_error *err)
{
    *out = NULL;
    *created = false;
    if (nf->state_code && !state_code_valid(nf->state_code))
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "stateCode",
                              "must be two capital letters, a US state such as \"CA\"");
    if (nf->id && !fsim_uuid_valid(nf->id))
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "id", "must be a uuid");
    if (!nf->name || !*nf->name || strlen(nf->name) > 200)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "name",
                              "a fleet name has 1 to 200 bytes");
    fleet_ctx ctx = {.name = nf->name, .state_code = nf->state_code, .want_id = nf->id};
    fsim_status st = fsim__store_run(store, fleet_create_op, &ctx, err);
    if (st == FSIM_OK)
        st = fsim_store_fleet_get(store, ctx.out_id, arena, out, err);
    *created = st == FSIM_OK && ctx.found;
    return st;
}
