/* Fleets as a resource: POST /v1/fleets, GET /v1/fleets (by name, paged), GET
 * /v1/fleets/{id} — so a new user creates the fleet a scenario names without SQL. The rows
 * live in PostgreSQL (core/store/store_fleets.c). */
#include <string.h>

#include <fleetsim/util.h>

#include "api.h"

/* The Fleet as the body of `status`. */
static bool respond_fleet(api_request *req, int status, const fsim_fleet *f)
{
    size_t len = 0;
    char *body = fsim_wire_encode(FSIM_WIRE_FLEET, f, 0, &len);
    if (!body)
        return api_error(req, 503, "unavailable", NULL, "out of memory");
    return api_respond(req, status, "application/json", body, len);
}

/* 201 with the new fleet and its Location; 409 when the name (or the id asked for) is taken,
 * naming the fleet that has it, so a client can use that one. */
bool api_handle_fleet_create(api_request *req)
{
    fsim_new_fleet *nf = api_decode_body(req, FSIM_WIRE_NEW_FLEET);
    if (!nf || !api_need_store(req))
        return true;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_fleet *f = NULL;
    bool created = false;
    if (fsim_store_fleet_add(req->server->store, nf, req->arena, &f, &created, &err) != FSIM_OK)
        return api_error_from(req, &err);
    if (!created) {
        bool same_name = strcmp(f->name, nf->name) == 0;
        return api_error(req, 409, "fleet_exists", same_name ? "name" : "id",
                         "fleet %s already has this %s (\"%.200s\")", f->id,
                         same_name ? "name" : "id", same_name ? f->name : f->id);
    }
    api_add_header(req, "Location", fsim_arena_sprintf(req->arena, "/v1/fleets/%s", f->id));
    return respond_fleet(req, 201, f);
}

bool api_handle_fleet_get(api_request *req)
{
    const char *id = req->params[0];
    if (!fsim_uuid_valid(id))
        return api_error(req, 400, "invalid_id", "id", "\"%.64s\" is not a fleet id (a uuid)",
                         id ? id : "");
    if (!api_need_store(req))
        return true;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_fleet *f = NULL;
    if (fsim_store_fleet_get(req->server->store, id, req->arena, &f, &err) != FSIM_OK) {
        if (err.status == FSIM_NOT_FOUND)
            return api_error(req, 404, "not_found", NULL, "no fleet %s", id);
        return api_error_from(req, &err);
    }
    return respond_fleet(req, 200, f);
}

bool api_handle_fleet_list(api_request *req)
{
    const char *cursor = api_query(req, "cursor");
    long limit;
    if (!api_query_limit(req, &limit))
        return true;
    if (cursor && !*cursor)
        cursor = NULL;
    if (cursor && !fsim_uuid_valid(cursor))
        return api_error(req, 400, "invalid_query", "cursor",
                         "cursor is not a cursor this server returned");
    if (!api_need_store(req))
        return true;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_fleet_page page = {0};
    if (fsim_store_fleet_list(req->server->store, (int)limit, cursor, req->arena, &page, &err) !=
        FSIM_OK)
        return api_error_from(req, &err);
    size_t len = 0;
    char *body = fsim_wire_encode(FSIM_WIRE_FLEET_PAGE, &page, 0, &len);
    if (!body)
        return api_error(req, 503, "unavailable", NULL, "out of memory");
    return api_respond(req, 200, "application/json", body, len);
}
