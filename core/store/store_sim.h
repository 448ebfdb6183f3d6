/* core/store's `simulations` and `fleets` statements, shared by the files that use them:
 * store_fleets.c (fleets and state data), store_queue.c (the job queue), store_reads.c
 * (status, results, pages). The SQL is in store_stmts.c, one table. */
#ifndef FLEETSIM_STORE_SIM_H
#define FLEETSIM_STORE_SIM_H

#include <string.h>

#include <fleetsim/util.h>

#include "store_internal.h"

enum fsim__sim_stmt {
    S_FLEET_EXISTS,
    S_FLEET_CREATE,
    S_STATE_DATA,
    S_FLEET_STATE_DATA,
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
    S_FLEET_GET,
    S_FLEET_LIST,
    S_STATUS_MANY,
    /* plans (store_plans.c) */
    S_PLAN_CREATE,
    S_PLAN_BATCHES,
    S_PLAN_CLAIM,
    S_PLAN_CLAIM_NEXT,
    S_PLAN_START,
    S_PLAN_BATCH_STATE,
    S_PLAN_HEARTBEAT,
    S_PLAN_RELEASE,
    S_PLAN_LOCK,
    S_PLAN_BATCH_DONE,
    S_PLAN_COUNT_OFF,
    S_PLAN_OUTCOMES,
    S_PLAN_SUCCEED,
    S_PLAN_FAIL,
    S_PLAN_STATUS,
    S_PLAN_RESULT,
    S_PLAN_UNPUBLISHED,
    S_PLAN_MARK_PUBLISHED,
    S_PLAN_EXPIRE,
};

extern const fsim__stmt fsim__sim_stmts[];

static inline PGresult *run_stmt(fsim__conn *c, int id, const char *const *params, const char *what,
                          fsim_error *err)
{
    return fsim__exec_prepared(c, fsim__sim_stmts, id, params, what, err);
}

static inline fsim_status not_found(fsim_error *err, const char *id)
{
    return fsim_error_set(err, FSIM_NOT_FOUND, NULL, 0, 0, "id",
                          "simulation \"%s\" does not exist", id ? id : "");
}

static inline fsim_status check_id(const char *id, fsim_error *err)
{
    return fsim_uuid_valid(id) ? FSIM_OK : not_found(err, id);
}

static inline fsim_status nomem(fsim_error *err)
{
    return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
}

/* A foreign-key violation on simulations.fleet_id: the fleet is missing. */
static inline fsim_status map_fleet_fk(fsim_status st, const char *fleet_id, fsim_error *err)
{
    if (st != FSIM_OK && strstr(err->message, "simulations_fleet_id_fkey"))
        return fsim_error_set(err, FSIM_NOT_FOUND, NULL, 0, 0, "fleetId",
                              "fleet \"%s\" does not exist", fleet_id);
    return st;
}

#endif
