/* Fleets and their state data (prices, grid CO2). */
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

