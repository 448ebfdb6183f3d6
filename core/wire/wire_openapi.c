/* The OpenAPI 3.1 document of the HTTP API (whose schema dialect is JSON Schema 2020-12, what
 * fsim_wire_schema emits): the paths are written once here, and every body schema comes from
 * the wire field lists through fsim_wire_schema — the same lists that drive the codec — so
 * the document cannot drift from the code. It lives beside the codec because it is the
 * contract in another notation; fleetsim-api serves it (GET /openapi.json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <fleetsim/wire.h>

#include "wire_internal.h"

#define REF(name) "{\"$ref\": \"#/components/schemas/" name "\"}"
#define JSON_CONTENT(schema) "{\"application/json\": {\"schema\": " schema "}}"
#define ERR(code) "\"" code "\": {\"$ref\": \"#/components/responses/Error\"}"
#define ID_PARAM                                                                            \
    "{\"name\": \"id\", \"in\": \"path\", \"required\": true, \"description\": "             \
    "\"simulation id\", \"schema\": {\"type\": \"string\", \"format\": \"uuid\"}}"

/* Everything but the wire schemas. Error responses share one component; 431 (headers over
 * FLEETSIM_API_MAX_HEADER_BYTES) is checked before routing, so every operation lists it. */
static const char *const paths_and_more[] = {
    "{"
    "\"paths\": {"
    " \"/healthz\": {\"get\": {\"operationId\": \"healthz\", \"summary\": \"the process answers\","
    "   \"security\": [], \"responses\": {\"200\": {\"description\": \"alive\", \"content\": "
    JSON_CONTENT(REF("Health")) "}, " ERR("431") "}}},"
    ,
    " \"/readyz\": {\"get\": {\"operationId\": \"readyz\", \"summary\": \"the database answers "
    "and its migrations are current\", \"security\": [], \"responses\": {\"200\": "
    "{\"description\": \"ready\", \"content\": " JSON_CONTENT(REF("Health")) "}, " ERR("431")
    ", " ERR("503") "}}},"
    ,
    " \"/v1/config/vehicles\": {\"get\": {\"operationId\": \"getVehicleConfig\", \"summary\": "
    "\"vehicle types of the effective config (vehicles.yaml + FLEETSIM_CONFIG_OVERRIDES)\", "
    "\"responses\": {\"200\": {\"description\": \"{vehicles: {type: parameters}}\", \"content\": "
    JSON_CONTENT(REF("ConfigSection")) "}, " ERR("401") ", " ERR("403") ", " ERR("431") "}}},"
    ,
    " \"/v1/config/chargers\": {\"get\": {\"operationId\": \"getChargerConfig\", \"summary\": "
    "\"charger types of the effective config\", \"responses\": {\"200\": {\"description\": "
    "\"{chargers: {type: parameters}}\", \"content\": " JSON_CONTENT(REF("ConfigSection")) "}, "
    ERR("401") ", " ERR("403") ", " ERR("431") "}}},"
    ,
    " \"/v1/config/routes\": {\"get\": {\"operationId\": \"getRoutes\", \"summary\": \"routes "
    "as a GeoJSON FeatureCollection (one Feature per route, settings as properties)\", "
    "\"responses\": {\"200\": {\"description\": \"routes\", \"content\": {\"application/geo+json\": "
    "{\"schema\": " REF("FeatureCollection") "}}}, " ERR("401") ", " ERR("403") ", "
    ERR("431") "}}},"
    ,
    " \"/v1/simulations:run\": {\"post\": {\"operationId\": \"runSimulation\", \"summary\": "
    "\"run a small simulation and return its result inline\", \"requestBody\": {\"required\": "
    "true, \"content\": " JSON_CONTENT(REF("SimulationRequest")) "}, \"responses\": {\"200\": "
    "{\"description\": \"the result\", \"content\": " JSON_CONTENT(REF("SimulationResult")) "}, "
    ERR("400") ", " ERR("401") ", " ERR("403") ", " ERR("413") ", " ERR("415") ", " ERR("422")
    ", " ERR("431") ", " ERR("503") "}}},"
    ,
    " \"/v1/simulations:compare\": {\"post\": {\"operationId\": \"compareStrategies\", "
    "\"summary\": \"run a small simulation under every charging strategy (the request's own "
    "strategy is ignored) and return their summaries side by side; same size limit as "
    "simulations:run, per strategy\", \"requestBody\": {\"required\": true, \"content\": "
    JSON_CONTENT(REF("SimulationRequest")) "}, \"responses\": {\"200\": {\"description\": "
    "\"one outcome per strategy: immediate, balanced, peak_shaving, cost\", \"content\": "
    JSON_CONTENT(REF("StrategyComparison")) "}, " ERR("400") ", " ERR("401") ", " ERR("403")
    ", " ERR("413") ", " ERR("415") ", " ERR("422") ", " ERR("431") ", " ERR("503") "}}},"
    ,
    " \"/v1/simulations\": {"
    "  \"post\": {\"operationId\": \"submitSimulation\", \"summary\": \"queue a simulation\", "
    "   \"parameters\": [{\"name\": \"Idempotency-Key\", \"in\": \"header\", \"required\": false, "
    "   \"description\": \"same key + same body: the first response again; other body: 422; "
    "while the first is still handled: 409. Kept at least 24 hours.\", \"schema\": {\"type\": "
    "\"string\", \"minLength\": 1, \"maxLength\": 255}}],"
    "   \"requestBody\": {\"required\": true, \"content\": " JSON_CONTENT(REF("SimulationRequest"))
    "}, \"responses\": {\"202\": {\"description\": \"queued\", \"headers\": {\"Location\": "
    "{\"description\": \"the status URL\", \"schema\": {\"type\": \"string\"}}}, \"content\": "
    JSON_CONTENT(REF("SubmitResponse")) "}, " ERR("400") ", " ERR("401") ", " ERR("403") ", "
    ERR("409") ", " ERR("413") ", " ERR("415") ", " ERR("422") ", " ERR("431") ", " ERR("503")
    "}},"
    "  \"get\": {\"operationId\": \"listSimulations\", \"summary\": \"a fleet's simulations "
    "(without fleetId: every fleet's), newest first, keyset-paginated\", \"parameters\": ["
    "   {\"name\": \"fleetId\", \"in\": \"query\", \"required\": false, \"schema\": {\"type\": "
    "\"string\", \"format\": \"uuid\"}},"
    "   {\"name\": \"status\", \"in\": \"query\", \"required\": false, \"schema\": {\"type\": "
    "\"string\", \"enum\": [\"queued\", \"running\", \"succeeded\", \"failed\", \"cancelled\", "
    "\"imported\"]}},"
    "   {\"name\": \"limit\", \"in\": \"query\", \"required\": false, \"schema\": {\"type\": "
    "\"integer\", \"minimum\": 1, \"maximum\": 1000, \"default\": 50}},"
    "   {\"name\": \"cursor\", \"in\": \"query\", \"required\": false, \"description\": "
    "\"nextCursor of the previous page\", \"schema\": {\"type\": \"string\"}}],"
    ,
    "   \"responses\": {\"200\": {\"description\": \"one page\", \"content\": "
    JSON_CONTENT(REF("SimulationPage")) "}, " ERR("400") ", " ERR("401") ", " ERR("403") ", "
    ERR("431") ", " ERR("503") "}}},"
    ,
    " \"/v1/simulations/{id}\": {\"parameters\": [" ID_PARAM "],"
    "  \"get\": {\"operationId\": \"getSimulation\", \"summary\": \"status, progress and times\", "
    "\"responses\": {\"200\": {\"description\": \"the status\", \"content\": "
    JSON_CONTENT(REF("JobStatus")) "}, " ERR("400") ", " ERR("401") ", " ERR("403") ", "
    ERR("404") ", " ERR("431") ", " ERR("503") "}},"
    "  \"delete\": {\"operationId\": \"deleteSimulation\", \"summary\": \"cancel if queued or "
    "running, then soft-delete (later reads: 404)\", \"responses\": {\"204\": {\"description\": "
    "\"deleted\"}, " ERR("400") ", " ERR("401") ", " ERR("403") ", " ERR("404") ", " ERR("431")
    ", " ERR("503") "}}},"
    ,
    " \"/v1/simulations/{id}/result\": {\"parameters\": [" ID_PARAM "],"
    "  \"get\": {\"operationId\": \"getSimulationResult\", \"summary\": \"the result (409 while "
    "queued or running, or when it failed or was cancelled)\", \"responses\": {\"200\": "
    "{\"description\": \"the result\", \"content\": " JSON_CONTENT(REF("SimulationResult")) "}, "
    ERR("400") ", " ERR("401") ", " ERR("403") ", " ERR("404") ", " ERR("409") ", " ERR("431")
    ", " ERR("503") "}}},"
    " \"/v1/simulations/{id}/report\": {\"parameters\": [" ID_PARAM "],"
    "  \"get\": {\"operationId\": \"getSimulationReport\", \"summary\": \"the result as one "
    "self-contained HTML page with charts (the bytes `fleetsim report` renders from the same "
    "result); 409 as for the result\", \"responses\": {\"200\": {\"description\": \"the "
    "report\", \"content\": {\"text/html\": {\"schema\": {\"type\": \"string\"}}}}, "
    ERR("400") ", " ERR("401") ", " ERR("403") ", " ERR("404") ", " ERR("409") ", " ERR("431")
    ", " ERR("503") "}}},"
    ,
    " \"/v1/fleets\": {"
    "  \"post\": {\"operationId\": \"createFleet\", \"summary\": \"create a fleet (409 when "
    "its name or the id asked for is taken)\", \"requestBody\": {\"required\": true, "
    "\"content\": " JSON_CONTENT(REF("NewFleet")) "}, \"responses\": {\"201\": {\"description\": "
    "\"created\", \"headers\": {\"Location\": {\"description\": \"the fleet's URL\", "
    "\"schema\": {\"type\": \"string\"}}}, \"content\": " JSON_CONTENT(REF("Fleet")) "}, "
    ERR("400") ", " ERR("401") ", " ERR("403") ", " ERR("409") ", " ERR("413") ", " ERR("415")
    ", " ERR("422") ", " ERR("431") ", " ERR("503") "}},"
    "  \"get\": {\"operationId\": \"listFleets\", \"summary\": \"fleets by name, paginated\", "
    "\"parameters\": ["
    "   {\"name\": \"limit\", \"in\": \"query\", \"required\": false, \"schema\": {\"type\": "
    "\"integer\", \"minimum\": 1, \"maximum\": 1000, \"default\": 50}},"
    "   {\"name\": \"cursor\", \"in\": \"query\", \"required\": false, \"description\": "
    "\"nextCursor of the previous page\", \"schema\": {\"type\": \"string\"}}],"
    "   \"responses\": {\"200\": {\"description\": \"one page\", \"content\": "
    JSON_CONTENT(REF("FleetPage")) "}, " ERR("400") ", " ERR("401") ", " ERR("403") ", "
    ERR("431") ", " ERR("503") "}}},"
    ,
    " \"/v1/fleets/{id}\": {\"parameters\": [{\"name\": \"id\", \"in\": \"path\", "
    "\"required\": true, \"description\": \"fleet id\", \"schema\": {\"type\": \"string\", "
    "\"format\": \"uuid\"}}],"
    "  \"get\": {\"operationId\": \"getFleet\", \"summary\": \"a fleet: name, state code, "
    "counts of vehicles and simulations\", \"responses\": {\"200\": {\"description\": \"the "
    "fleet\", \"content\": " JSON_CONTENT(REF("Fleet")) "}, " ERR("400") ", " ERR("401") ", "
    ERR("403") ", " ERR("404") ", " ERR("431") ", " ERR("503") "}}},"
    ,
    " \"/v1/plans\": {\"post\": {\"operationId\": \"submitPlan\", \"summary\": \"queue a "
    "depot plan (fleetsim plan as a job): the request's plan block says what to vary; its "
    "variants run in batches, on Pub/Sub workers when the API publishes, else on the API's "
    "own workers\", \"requestBody\": {\"required\": true, \"content\": "
    JSON_CONTENT(REF("SimulationRequest")) "}, \"responses\": {\"202\": {\"description\": "
    "\"queued\", \"headers\": {\"Location\": {\"description\": \"the status URL\", "
    "\"schema\": {\"type\": \"string\"}}}, \"content\": " JSON_CONTENT(REF("SubmitResponse"))
    "}, " ERR("400") ", " ERR("401") ", " ERR("403") ", " ERR("413") ", " ERR("415") ", "
    ERR("422") ", " ERR("431") ", " ERR("503") "}}},"
    ,
    " \"/v1/plans/{id}\": {\"parameters\": [{\"name\": \"id\", \"in\": \"path\", "
    "\"required\": true, \"description\": \"plan id\", \"schema\": {\"type\": \"string\", "
    "\"format\": \"uuid\"}}],"
    "  \"get\": {\"operationId\": \"getPlan\", \"summary\": \"status, batches done and "
    "times\", \"responses\": {\"200\": {\"description\": \"the status\", \"content\": "
    JSON_CONTENT(REF("PlanStatus")) "}, " ERR("400") ", " ERR("401") ", " ERR("403") ", "
    ERR("404") ", " ERR("431") ", " ERR("503") "}}},"
    " \"/v1/plans/{id}/result\": {\"parameters\": [{\"name\": \"id\", \"in\": \"path\", "
    "\"required\": true, \"description\": \"plan id\", \"schema\": {\"type\": \"string\", "
    "\"format\": \"uuid\"}}],"
    "  \"get\": {\"operationId\": \"getPlanResult\", \"summary\": \"the plan's answer, as "
    "fleetsim plan --json prints it (409 until every batch is done, or when it failed)\", "
    "\"responses\": {\"200\": {\"description\": \"the answer\", \"content\": "
    JSON_CONTENT(REF("PlanResult")) "}, " ERR("400") ", " ERR("401") ", " ERR("403") ", "
    ERR("404") ", " ERR("409") ", " ERR("431") ", " ERR("503") "}}}"
    "},"
    ,
    "\"components\": {"
    " \"securitySchemes\": {\"ApiKey\": {\"type\": \"apiKey\", \"in\": \"header\", \"name\": "
    "\"X-API-Key\"}},"
    " \"responses\": {\"Error\": {\"description\": \"the one error shape\", \"headers\": "
    "{\"X-Request-Id\": {\"description\": \"the request id (also in the body)\", \"schema\": "
    "{\"type\": \"string\"}}}, \"content\": " JSON_CONTENT(REF("ErrorResponse")) "}},"
    ,
    " \"schemas\": {"
    "  \"Health\": {\"type\": \"object\", \"required\": [\"status\"], \"properties\": "
    "{\"status\": {\"type\": \"string\", \"enum\": [\"ok\", \"ready\"]}}},"
    "  \"ConfigSection\": {\"type\": \"object\", \"description\": \"{section: {name: "
    "parameters}}, the shape of a request's overrides\", \"additionalProperties\": {\"type\": "
    "\"object\"}},"
    "  \"FeatureCollection\": {\"type\": \"object\", \"required\": [\"type\", \"features\"], "
    "\"properties\": {\"type\": {\"const\": \"FeatureCollection\"}, \"features\": {\"type\": "
    "\"array\", \"items\": {\"type\": \"object\"}}}}"
    " }"
    "}"
    "}",
};

/* Adds every wire type's schema under components.schemas, from the field lists — but the
 * log line's and the CLI's cycle report (stdout is no part of the HTTP API) and a plan
 * batch's stored outcome (a row of plan_batches, never a body). */
static bool add_wire_schemas(cJSON *schemas)
{
    for (int t = 0; t < FSIM_WIRE_TYPE_COUNT; t++) {
        if (t == FSIM_WIRE_LOG_ENTRY || t == FSIM_WIRE_HTTP_REQUEST_LOG ||
            t == FSIM_WIRE_CYCLE_REPORT || t == FSIM_WIRE_PLAN_BATCH_OUTCOME)
            continue;
        char *text = fsim_wire_schema((fsim_wire_type)t, "#/components/schemas/", 0, NULL);
        cJSON *schema = text ? cJSON_Parse(text) : NULL;
        free(text);
        if (!schema)
            return false;
        cJSON_DeleteItemFromObject(schema, "$schema");
        cJSON_AddItemToObject(schemas, fsim_wire_type_name((fsim_wire_type)t), schema);
    }
    return true;
}

/* ---- Examples ------------------------------------------------------------------------ */

/* The example of `key` (wire_examples.c) parsed, or NULL when there is none. */
static cJSON *example(const char *key)
{
    for (const fsim__wire_example *e = fsim__wire_examples; e->key; e++) {
        if (strcmp(e->key, key) != 0)
            continue;
        size_t total = 1;
        for (const char *const *p = e->pieces; *p; p++)
            total += strlen(*p);
        char *text = malloc(total);
        if (!text)
            return NULL;
        text[0] = '\0';
        for (const char *const *p = e->pieces; *p; p++)
            strcat(text, *p);
        cJSON *value = cJSON_Parse(text);
        free(text);
        return value;
    }
    return NULL;
}

/* Gives each media type of `content` without an example one: the operation's own
 * ("<operationId>.<what>"), else its schema's ("SimulationResult"). */
static void add_examples(cJSON *content, const char *op_id, const char *what)
{
    cJSON *media;
    cJSON_ArrayForEach(media, content) {
        if (cJSON_GetObjectItemCaseSensitive(media, "example"))
            continue;
        char key[160];
        snprintf(key, sizeof key, "%s.%s", op_id ? op_id : "", what);
        cJSON *value = example(key);
        const cJSON *ref = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(media, "schema"), "$ref");
        const char *slash = cJSON_IsString(ref) ? strrchr(ref->valuestring, '/') : NULL;
        if (!value && slash)
            value = example(slash + 1);
        if (value)
            cJSON_AddItemToObject(media, "example", value);
    }
}

/* Every request body and response with content gets its example: taken from a real run
 * (core/wire/examples/, checked against the schemas and a fresh run by
 * tests/api/openapi_examples.sh), so a reader sees what the service really sends. */
static void add_all_examples(cJSON *paths, cJSON *components)
{
    cJSON *item, *op;
    cJSON_ArrayForEach(item, paths) {
        cJSON_ArrayForEach(op, item) {
            if (!cJSON_IsObject(op) || strcmp(op->string, "parameters") == 0)
                continue;
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(op, "operationId");
            const char *op_id = cJSON_IsString(id) ? id->valuestring : NULL;
            add_examples(cJSON_GetObjectItemCaseSensitive(
                             cJSON_GetObjectItemCaseSensitive(op, "requestBody"), "content"),
                         op_id, "request");
            cJSON *response;
            cJSON_ArrayForEach(response, cJSON_GetObjectItemCaseSensitive(op, "responses"))
                add_examples(cJSON_GetObjectItemCaseSensitive(response, "content"), op_id,
                             response->string);
        }
    }
    cJSON *response;
    cJSON_ArrayForEach(response, cJSON_GetObjectItemCaseSensitive(components, "responses"))
        add_examples(cJSON_GetObjectItemCaseSensitive(response, "content"), NULL,
                     response->string);
}

char *fsim_wire_openapi(const char *version, size_t *len)
{
    cJSON *doc = cJSON_CreateObject();
    /* the pieces keep each literal under the 4095 bytes C compilers must support */
    size_t total = 1;
    for (size_t i = 0; i < sizeof paths_and_more / sizeof *paths_and_more; i++)
        total += strlen(paths_and_more[i]);
    char *text = malloc(total);
    cJSON *rest = NULL;
    char *out = NULL;
    if (text) {
        text[0] = '\0';
        for (size_t i = 0; i < sizeof paths_and_more / sizeof *paths_and_more; i++)
            strcat(text, paths_and_more[i]);
        rest = cJSON_Parse(text);
        free(text);
    }
    if (!doc || !rest)
        goto out;
    cJSON_AddStringToObject(doc, "openapi", "3.1.0");
    cJSON *info = cJSON_AddObjectToObject(doc, "info");
    if (!info)
        goto out;
    cJSON_AddStringToObject(info, "title", "fleetsim API");
    cJSON_AddStringToObject(info, "version", version);
    cJSON_AddStringToObject(info, "description",
                            "Fleet electric-vehicle simulation: small jobs run inline, long "
                            "ones by submit / poll / fetch. Every error is "
                            "{\"error\": {code, message, field, requestId}}.");
    cJSON *license = cJSON_AddObjectToObject(info, "license");
    if (license) {
        cJSON_AddStringToObject(license, "name", "proprietary");
        cJSON_AddStringToObject(license, "identifier", "LicenseRef-proprietary");
    }
    cJSON *servers = cJSON_AddArrayToObject(doc, "servers");
    cJSON *server = cJSON_CreateObject();
    if (servers && server) {
        cJSON_AddStringToObject(server, "url", "/");
        cJSON_AddItemToArray(servers, server);
        server = NULL;
    }
    cJSON_Delete(server);
    cJSON *security = cJSON_AddArrayToObject(doc, "security");
    cJSON *req = cJSON_CreateObject();
    if (security && req) {
        cJSON_AddArrayToObject(req, "ApiKey");
        cJSON_AddItemToArray(security, req);
        req = NULL;
    }
    cJSON_Delete(req);
    cJSON *paths = cJSON_DetachItemFromObject(rest, "paths");
    cJSON *components = cJSON_DetachItemFromObject(rest, "components");
    cJSON_AddItemToObject(doc, "paths", paths);
    cJSON_AddItemToObject(doc, "components", components);
    if (!add_wire_schemas(cJSON_GetObjectItemCaseSensitive(components, "schemas")))
        goto out;
    add_all_examples(paths, components);
    out = cJSON_PrintUnformatted(doc);
    if (out && len)
        *len = strlen(out);
out:
    cJSON_Delete(rest);
    cJSON_Delete(doc);
    return out;
}

