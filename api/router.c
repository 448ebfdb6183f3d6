/* The route table: (method, path pattern) → handler, and the 404 / 405 decision. One table,
 * read top to bottom, so every endpoint of the service is visible in one place. */
#include <stdio.h>
#include <string.h>

#include "api.h"

/* INLINE: answered from memory, on the HTTP thread; the rest wait for the database or a
 * simulation, on a handler thread (handler_pool.c). */
static const api_route routes[] = {
    {"GET", "/healthz", api_handle_healthz, API_ROUTE_OPEN | API_ROUTE_INLINE, NULL},
    {"GET", "/readyz", api_handle_readyz, API_ROUTE_OPEN, NULL},
    {"GET", "/openapi.json", api_handle_openapi,
     API_ROUTE_OPEN | API_ROUTE_INLINE | API_ROUTE_THE_DOCS, NULL},
    {"GET", "/docs", api_handle_docs, API_ROUTE_OPEN | API_ROUTE_INLINE | API_ROUTE_THE_DOCS, NULL},
    {"GET", "/docs/redoc", api_handle_docs_redoc,
     API_ROUTE_OPEN | API_ROUTE_INLINE | API_ROUTE_THE_DOCS, NULL},
    {"GET", "/docs/assets/{name}", api_handle_docs_asset,
     API_ROUTE_OPEN | API_ROUTE_INLINE | API_ROUTE_THE_DOCS, NULL},
    {"GET", "/v1/config/vehicles", api_handle_config, API_ROUTE_INLINE, NULL},
    {"GET", "/v1/config/chargers", api_handle_config, API_ROUTE_INLINE, NULL},
    {"GET", "/v1/config/routes", api_handle_config, API_ROUTE_INLINE, NULL},
    {"POST", "/v1/simulations:run", api_handle_run, API_ROUTE_JSON_BODY, NULL},
    {"POST", "/v1/simulations:compare", api_handle_compare, API_ROUTE_JSON_BODY, NULL},
    {"POST", "/v1/simulations", api_handle_submit, API_ROUTE_JSON_BODY, NULL},
    {"GET", "/v1/simulations", api_handle_list, 0, NULL},
    {"GET", "/v1/simulations/{id}", api_handle_status, 0, api_handle_status_cached},
    {"DELETE", "/v1/simulations/{id}", api_handle_delete, 0, NULL},
    {"GET", "/v1/simulations/{id}/result", api_handle_result, 0, NULL},
    {"GET", "/v1/simulations/{id}/report", api_handle_report, 0, NULL},
    {"POST", "/v1/fleets", api_handle_fleet_create, API_ROUTE_JSON_BODY, NULL},
    {"GET", "/v1/fleets", api_handle_fleet_list, 0, NULL},
    {"GET", "/v1/fleets/{id}", api_handle_fleet_get, 0, NULL},
    {"POST", "/v1/plans", api_handle_plan_submit, API_ROUTE_JSON_BODY, NULL},
    {"GET", "/v1/plans/{id}", api_handle_plan_status, 0, NULL},
    {"GET", "/v1/plans/{id}/result", api_handle_plan_result, 0, NULL},
};

void api_routes_print(FILE *out)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        fprintf(out, "%s %s%s\n", routes[i].method, routes[i].pattern,
                routes[i].flags & API_ROUTE_THE_DOCS ? " (the documentation itself)" : "");
}

/* Whether `path` fits `pattern`; each {name} takes one non-empty segment, whose text (in
 * the arena) lands in params[] in order. */
static bool match(fsim_arena *arena, const char *pattern, const char *path,
                  const char *params[API_MAX_PARAMS])
{
    int np = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            size_t n = strcspn(s, "/");
            if (!close || n == 0 || np >= API_MAX_PARAMS)
                return false;
            if (params)
                params[np] = fsim_arena_strndup(arena, s, n);
            np++;
            p = close + 1;
            s += n;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *p == '\0' && *s == '\0';
}

/* The handlers that can answer several queued requests at once, by their route's handler:
 * a side table, so the route table above keeps its shape. */
static const struct {
    api_handler_fn handler;
    api_batch_fn batch;
} batches[] = {
    {api_handle_status, api_handle_status_batch},
};

api_batch_fn api_route_batch(const api_route *route)
{
    for (size_t i = 0; route && i < sizeof batches / sizeof *batches; i++)
        if (batches[i].handler == route->handler)
            return batches[i].batch;
    return NULL;
}

const api_route *api_route_find(api_request *req, int *status, const char **allow)
{
    /* HEAD is GET without a body (libmicrohttpd drops the body) */
    const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
    char methods[64] = "";
    bool path_known = false;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const api_route *r = &routes[i];
        if (!match(req->arena, r->pattern, req->path, NULL))
            continue;
        path_known = true;
        if (strcmp(r->method, method) == 0) {
            match(req->arena, r->pattern, req->path, req->params);
            return r;
        }
        if (!strstr(methods, r->method)) {
            if (methods[0])
                strncat(methods, ", ", sizeof methods - strlen(methods) - 1);
            strncat(methods, r->method, sizeof methods - strlen(methods) - 1);
            if (strcmp(r->method, "GET") == 0)
                strncat(methods, ", HEAD", sizeof methods - strlen(methods) - 1);
        }
    }
    *status = path_known ? 405 : 404;
    *allow = fsim_arena_strdup(req->arena, methods);
    return NULL;
}
