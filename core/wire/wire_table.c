/* The field table: wire.h's field lists expanded a second time, into descriptors that the
 * decoder, validator, encoder, equality and schema walk. Also the enums' strings and the
 * cross-field rules no single field can express. */
#include "wire_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- Enums ------------------------------------------------------------------------------ */

#define NAME(name, text) text,
static const char *const names_strategy[] = {FSIM_STRATEGY_MAP(NAME)};
static const char *const names_run_status[] = {FSIM_RUN_STATUS_MAP(NAME)};
static const char *const names_trip_status[] = {FSIM_TRIP_STATUS_MAP(NAME)};
static const char *const names_job_mode[] = {FSIM_JOB_MODE_MAP(NAME)};
#undef NAME

_Static_assert(sizeof(fsim_strategy) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(fsim_run_status) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(fsim_trip_status) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(fsim_job_mode) == sizeof(int), "enums are stored as int");

#define COUNT(a) (sizeof(a) / sizeof *(a))

static int enum_lookup(const char *const *names, size_t n, const char *text)
{
    for (size_t i = 0; text && i < n; i++)
        if (strcmp(names[i], text) == 0)
            return (int)i;
    return -1;
}

#define ENUM_FUNCS(suffix)                                                                  \
    const char *fsim_##suffix##_name(fsim_##suffix value)                                  \
    {                                                                                       \
        return (unsigned)value < COUNT(names_##suffix) ? names_##suffix[value] : "?";       \
    }                                                                                       \
    bool fsim_##suffix##_parse(const char *text, fsim_##suffix *value)                      \
    {                                                                                       \
        int i = enum_lookup(names_##suffix, COUNT(names_##suffix), text);                   \
        if (i < 0)                                                                          \
            return false;                                                                   \
        *value = (fsim_##suffix)i;                                                          \
        return true;                                                                        \
    }
ENUM_FUNCS(strategy)
ENUM_FUNCS(run_status)
ENUM_FUNCS(trip_status)
ENUM_FUNCS(job_mode)

/* ---- Formats ---------------------------------------------------------------------------- */

const fsim__fmt_info fsim__fmts[] = {
    [FSIM__FMT_none] = {0, 4096, -1e308, 1e308},
    [FSIM__FMT_uuid] = {36, 36, 0, 0},
    [FSIM__FMT_hhmm] = {5, 5, 0, 0},
    [FSIM__FMT_ident] = {1, 64, 0, 0},
    [FSIM__FMT_text] = {0, 4096, 0, 0},
    [FSIM__FMT_positive] = {0, 0, 0, 0},
    [FSIM__FMT_soc] = {0, 0, 0, 1},
    [FSIM__FMT_celsius] = {0, 0, -60, 60},
};

int fsim_wire_hhmm_minutes(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    return h <= 23 && m <= 59 ? h * 60 + m : -1;
}

/* ---- Descriptors ------------------------------------------------------------------------ */

enum {
#define X(upper, lower, schema_name) T_##lower = FSIM_WIRE_##upper,
    FSIM_WIRE_TYPES(X)
#undef X
};

#define PRES_REQ .required = true, .nullable = false
#define PRES_OPT .required = false, .nullable = true
#define PRES_NUL .required = true, .nullable = true

#define OFFS_PLAIN(T, m) .has_off = FSIM__NO_OFF, .n_off = FSIM__NO_OFF
#define OFFS_HAS(T, m) .has_off = offsetof(T, has_##m), .n_off = FSIM__NO_OFF
#define OFFS_N(T, m) .has_off = FSIM__NO_OFF, .n_off = offsetof(T, n_##m)
#define OFFS_STR_REQ OFFS_PLAIN
#define OFFS_STR_OPT OFFS_PLAIN
#define OFFS_STR_NUL OFFS_PLAIN
#define OFFS_INT_REQ OFFS_PLAIN
#define OFFS_INT_OPT OFFS_HAS
#define OFFS_NUM_REQ OFFS_PLAIN
#define OFFS_NUM_OPT OFFS_HAS
#define OFFS_BOOL_REQ OFFS_PLAIN
#define OFFS_BOOL_OPT OFFS_HAS
#define OFFS_TIME_REQ OFFS_PLAIN
#define OFFS_TIME_OPT OFFS_HAS
#define OFFS_ENUM_REQ OFFS_PLAIN
#define OFFS_ENUM_OPT OFFS_HAS
#define OFFS_OBJ_REQ OFFS_PLAIN
#define OFFS_OBJ_OPT OFFS_PLAIN
#define OFFS_ARR_REQ OFFS_N
#define OFFS_ARR_OPT OFFS_N
#define OFFS_STRS_REQ OFFS_N
#define OFFS_STRS_OPT OFFS_N
#define OFFS_NUMS_REQ OFFS_N
#define OFFS_NUMS_OPT OFFS_N
#define OFFS_JSON_REQ OFFS_PLAIN
#define OFFS_JSON_OPT OFFS_PLAIN
#define OFFS_FLAT_REQ OFFS_PLAIN

#define AUX_FMT(a) .fmt = FSIM__FMT_##a
#define AUX_STR AUX_FMT
#define AUX_STRS AUX_FMT
#define AUX_INT AUX_FMT
#define AUX_NUM AUX_FMT
#define AUX_NUMS AUX_FMT
#define AUX_BOOL AUX_FMT
#define AUX_TIME AUX_FMT
#define AUX_JSON AUX_FMT
#define AUX_ENUM(a) .enum_names = names_##a, .enum_count = (int)COUNT(names_##a)
#define AUX_OBJ(a) .sub = T_##a
#define AUX_ARR(a) .sub = T_##a
#define AUX_FLAT(a) .sub = T_##a

/* The compact encoder's key text, made at compile time (a FLAT field has none); a key too
 * long for the array is a compiler warning (an error in the -Werror builds, CI's). */
#define JKEY(key_) .json_key = "\"" key_ "\":", .json_key_len = sizeof("\"" key_ "\":") - 1
#define JKEY_STR JKEY
#define JKEY_INT JKEY
#define JKEY_NUM JKEY
#define JKEY_BOOL JKEY
#define JKEY_TIME JKEY
#define JKEY_ENUM JKEY
#define JKEY_OBJ JKEY
#define JKEY_ARR JKEY
#define JKEY_STRS JKEY
#define JKEY_NUMS JKEY
#define JKEY_JSON JKEY
#define JKEY_FLAT(key_) .json_key = ""

#define FIELD(kind_, pres, m, key_, lo_, hi_, aux, doc_)                                    \
    {.kind = FSIM__K_##kind_, PRES_##pres, .key = key_, JKEY_##kind_(key_),                 \
     .off = offsetof(CUR, m),                                                               \
     OFFS_##kind_##_##pres(CUR, m), .lo = lo_, .hi = hi_, AUX_##kind_(aux), .doc = doc_},

#define CUR fsim_lonlat
static const fsim__field fields_lonlat[] = {FSIM_WIRE_LONLAT_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_charger_spec
static const fsim__field fields_charger_spec[] = {FSIM_WIRE_CHARGER_SPEC_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_weather_spec
static const fsim__field fields_weather_spec[] = {FSIM_WIRE_WEATHER_SPEC_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_depot_spec
static const fsim__field fields_depot_spec[] = {FSIM_WIRE_DEPOT_SPEC_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_vehicle_group
static const fsim__field fields_vehicle_group[] = {FSIM_WIRE_VEHICLE_GROUP_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_request_outputs
static const fsim__field fields_request_outputs[] = {FSIM_WIRE_REQUEST_OUTPUTS_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_grid_step
static const fsim__field fields_grid_step[] = {FSIM_WIRE_GRID_STEP_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_plan_spec
static const fsim__field fields_plan_spec[] = {FSIM_WIRE_PLAN_SPEC_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_request
static const fsim__field fields_request[] = {FSIM_WIRE_REQUEST_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_charger_type_summary
static const fsim__field fields_charger_type_summary[] = {
    FSIM_WIRE_CHARGER_TYPE_SUMMARY_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_depot_summary
static const fsim__field fields_depot_summary[] = {FSIM_WIRE_DEPOT_SUMMARY_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_summary
static const fsim__field fields_summary[] = {FSIM_WIRE_SUMMARY_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_time_series_point
static const fsim__field fields_time_series_point[] = {
    FSIM_WIRE_TIME_SERIES_POINT_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_charging_event
static const fsim__field fields_charging_event[] = {FSIM_WIRE_CHARGING_EVENT_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_trip_result
static const fsim__field fields_trip_result[] = {FSIM_WIRE_TRIP_RESULT_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_vehicle_series
static const fsim__field fields_vehicle_series[] = {FSIM_WIRE_VEHICLE_SERIES_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_vehicle_summary
static const fsim__field fields_vehicle_summary[] = {FSIM_WIRE_VEHICLE_SUMMARY_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_result_metadata
static const fsim__field fields_result_metadata[] = {FSIM_WIRE_RESULT_METADATA_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_result
static const fsim__field fields_result[] = {FSIM_WIRE_RESULT_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_strategy_outcome
static const fsim__field fields_strategy_outcome[] = {FSIM_WIRE_STRATEGY_OUTCOME_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_comparison
static const fsim__field fields_comparison[] = {FSIM_WIRE_COMPARISON_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_error_detail
static const fsim__field fields_error_detail[] = {FSIM_WIRE_ERROR_DETAIL_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_api_error
static const fsim__field fields_api_error[] = {FSIM_WIRE_API_ERROR_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_job_status
static const fsim__field fields_job_status[] = {FSIM_WIRE_JOB_STATUS_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_job_message
static const fsim__field fields_job_message[] = {FSIM_WIRE_JOB_MESSAGE_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_error_response
static const fsim__field fields_error_response[] = {FSIM_WIRE_ERROR_RESPONSE_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_submit_links
static const fsim__field fields_submit_links[] = {FSIM_WIRE_SUBMIT_LINKS_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_submit_response
static const fsim__field fields_submit_response[] = {FSIM_WIRE_SUBMIT_RESPONSE_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_simulation_page
static const fsim__field fields_simulation_page[] = {FSIM_WIRE_SIMULATION_PAGE_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_new_fleet
static const fsim__field fields_new_fleet[] = {FSIM_WIRE_NEW_FLEET_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_fleet
static const fsim__field fields_fleet[] = {FSIM_WIRE_FLEET_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_fleet_page
static const fsim__field fields_fleet_page[] = {FSIM_WIRE_FLEET_PAGE_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_http_request_log
static const fsim__field fields_http_request_log[] = {FSIM_WIRE_HTTP_REQUEST_LOG_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_log_entry
static const fsim__field fields_log_entry[] = {FSIM_WIRE_LOG_ENTRY_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_cycle_report
static const fsim__field fields_cycle_report[] = {FSIM_WIRE_CYCLE_REPORT_FIELDS(FIELD)};
#undef CUR

#define CUR fsim_plan_cost
static const fsim__field fields_plan_cost[] = {FSIM_WIRE_PLAN_COST_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_plan_design
static const fsim__field fields_plan_design[] = {FSIM_WIRE_PLAN_DESIGN_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_plan_rejection
static const fsim__field fields_plan_rejection[] = {FSIM_WIRE_PLAN_REJECTION_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_plan_result
static const fsim__field fields_plan_result[] = {FSIM_WIRE_PLAN_RESULT_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_plan_status
static const fsim__field fields_plan_status[] = {FSIM_WIRE_PLAN_STATUS_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_plan_batch_message
static const fsim__field fields_plan_batch_message[] = {
    FSIM_WIRE_PLAN_BATCH_MESSAGE_FIELDS(FIELD)};
#undef CUR
#define CUR fsim_plan_batch_outcome
static const fsim__field fields_plan_batch_outcome[] = {
    FSIM_WIRE_PLAN_BATCH_OUTCOME_FIELDS(FIELD)};
#undef CUR

/* ---- Cross-field rules ------------------------------------------------------------------ */

/* Reports strings[dup] as a duplicate of strings[first]; `what` names the thing. Pushes
 * `key[dup]` (and `.sub`) onto the path. */
static bool check_unique(fsim__ctx *ctx, const char *const *strings, size_t n, const char *key,
                         const char *what)
{
    size_t dup, first;
    bool nomem = false;
    if (!fsim__find_duplicate(strings, n, &dup, &first, &nomem))
        return nomem ? fsim__nomem(ctx) : true;
    fsim__path_key(ctx, key);
    fsim__path_index(ctx, dup);
    return fsim__fail(ctx, "duplicate %s \"%s\" (also %s[%zu])", what, strings[dup], key, first);
}

/* Charger types once per depot: two entries of one type would be one entry with a sum. */
static bool check_depot_spec(fsim__ctx *ctx, const void *obj)
{
    const fsim_depot_spec *d = obj;
    const char *stack[64];
    const char **types = d->n_chargers <= 64 ? stack : malloc(d->n_chargers * sizeof *types);
    if (!types)
        return fsim__nomem(ctx);
    for (size_t i = 0; i < d->n_chargers; i++)
        types[i] = d->chargers[i].type;
    size_t dup, first;
    bool nomem = false, ok = true;
    if (fsim__find_duplicate(types, d->n_chargers, &dup, &first, &nomem)) {
        fsim__path_key(ctx, "chargers");
        fsim__path_index(ctx, dup);
        fsim__path_key(ctx, "type");
        ok = fsim__fail(ctx, "duplicate charger type \"%s\" (also chargers[%zu])", types[dup],
                        first);
    } else if (nomem) {
        ok = fsim__nomem(ctx);
    }
    if (types != stack)
        free(types);
    return ok;
}

/* A weather block names where its temperatures come from: a service or the series. */
static bool check_weather_spec(fsim__ctx *ctx, const void *obj)
{
    const fsim_weather_spec *w = obj;
    if (w->source && w->hourly_temperature_c) {
        fsim__path_key(ctx, "hourlyTemperatureC");
        return fsim__fail(ctx, "cannot be given together with \"source\"");
    }
    if (!w->source && !w->hourly_temperature_c)
        return fsim__fail(ctx, "needs \"source\" or \"hourlyTemperatureC\"");
    if (w->source && strcmp(w->source, "open-meteo") != 0) {
        fsim__path_key(ctx, "source");
        return fsim__fail(ctx, "unknown weather source \"%s\" (known: open-meteo)", w->source);
    }
    return true;
}

static bool check_vehicle_group(fsim__ctx *ctx, const void *obj)
{
    const fsim_vehicle_group *g = obj;
    if (g->has_count && g->vins) {
        fsim__path_key(ctx, "vins");
        return fsim__fail(ctx, "cannot be given together with \"count\"");
    }
    if (!g->has_count && !g->vins)
        return fsim__fail(ctx, "needs \"count\" or \"vins\"");
    if (g->vins && !check_unique(ctx, g->vins, g->n_vins, "vins", "VIN"))
        return false;
    if (!check_unique(ctx, g->departures, g->n_departures, "departures", "departure"))
        return false;
    if (g->has_reserve_soc && g->reserve_soc > g->target_soc) {
        char buf[FSIM_NUMBER_BUF];
        fsim__path_key(ctx, "reserveSoc");
        return fsim__fail(ctx, "must not exceed targetSoc (%s)",
                          fsim_format_double(g->target_soc, buf));
    }
    return true;
}

struct vin_ref {
    const char *vin;
    size_t group, index;
};

static int vin_ref_cmp(const void *pa, const void *pb)
{
    const struct vin_ref *a = pa, *b = pb;
    int c = strcmp(a->vin, b->vin);
    if (c)
        return c;
    if (a->group != b->group)
        return a->group < b->group ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* A VIN is one vehicle: it may appear once in the whole request, not once per group. */
static bool check_vins_across(fsim__ctx *ctx, const fsim_request *r)
{
    size_t total = 0;
    for (size_t g = 0; g < r->n_vehicles; g++)
        total += r->vehicles[g].vins ? r->vehicles[g].n_vins : 0;
    if (total < 2)
        return true;
    struct vin_ref *refs = malloc(total * sizeof *refs);
    if (!refs)
        return fsim__nomem(ctx);
    size_t k = 0;
    for (size_t g = 0; g < r->n_vehicles; g++)
        for (size_t i = 0; r->vehicles[g].vins && i < r->vehicles[g].n_vins; i++)
            refs[k++] = (struct vin_ref){r->vehicles[g].vins[i], g, i};
    qsort(refs, total, sizeof *refs, vin_ref_cmp);
    const struct vin_ref *dup = NULL, *first = NULL;
    size_t run = 0;
    for (size_t i = 1; i < total; i++) {
        if (strcmp(refs[i].vin, refs[run].vin) != 0) {
            run = i;
            continue;
        }
        /* the earliest second occurrence, in document order */
        if (i == run + 1 && (!dup || refs[i].group < dup->group ||
                             (refs[i].group == dup->group && refs[i].index < dup->index))) {
            dup = &refs[i];
            first = &refs[run];
        }
    }
    bool ok = true;
    if (dup) {
        fsim__path_key(ctx, "vehicles");
        fsim__path_index(ctx, dup->group);
        fsim__path_key(ctx, "vins");
        fsim__path_index(ctx, dup->index);
        ok = fsim__fail(ctx, "duplicate VIN \"%s\" (also vehicles[%zu].vins[%zu])", dup->vin,
                        first->group, first->index);
    }
    free(refs);
    return ok;
}

static bool check_request(fsim__ctx *ctx, const void *obj)
{
    const fsim_request *r = obj;
    if (r->output_interval_seconds % r->step_seconds != 0) {
        fsim__path_key(ctx, "outputIntervalSeconds");
        return fsim__fail(ctx, "must be a positive multiple of stepSeconds (%d)",
                          r->step_seconds);
    }
    const char *stack[64];
    const char **ids = r->n_depots <= 64 ? stack : malloc(r->n_depots * sizeof *ids);
    if (!ids)
        return fsim__nomem(ctx);
    for (size_t i = 0; i < r->n_depots; i++)
        ids[i] = r->depots[i].id;
    bool ok = true;
    size_t dup, first;
    bool nomem = false;
    if (fsim__find_duplicate(ids, r->n_depots, &dup, &first, &nomem)) {
        fsim__path_key(ctx, "depots");
        fsim__path_index(ctx, dup);
        fsim__path_key(ctx, "id");
        ok = fsim__fail(ctx, "duplicate depot id \"%s\" (also depots[%zu])", ids[dup], first);
        goto out;
    }
    if (nomem) {
        ok = fsim__nomem(ctx);
        goto out;
    }
    for (size_t g = 0; g < r->n_vehicles; g++) {
        bool known = false;
        for (size_t i = 0; i < r->n_depots && !known; i++)
            known = strcmp(ids[i], r->vehicles[g].depot) == 0;
        if (!known) {
            fsim__path_key(ctx, "vehicles");
            fsim__path_index(ctx, g);
            fsim__path_key(ctx, "depot");
            ok = fsim__fail(ctx, "unknown depot \"%s\" (not in depots[].id)",
                            r->vehicles[g].depot);
            goto out;
        }
    }
    ok = check_vins_across(ctx, r);
out:
    if (ids != stack)
        free(ids);
    return ok;
}

/* One way to price a connection, and steps a reader can follow: ascending sizes. */
static bool check_plan_spec(fsim__ctx *ctx, const void *obj)
{
    const fsim_plan_spec *p = obj;
    if (p->has_grid_cost_per_kw && p->grid_steps) {
        fsim__path_key(ctx, "gridSteps");
        return fsim__fail(ctx, "cannot be given together with \"gridCostPerKw\"");
    }
    for (size_t i = 1; p->grid_steps && i < p->n_grid_steps; i++) {
        if (p->grid_steps[i].up_to_kw <= p->grid_steps[i - 1].up_to_kw) {
            char buf[FSIM_NUMBER_BUF];
            fsim__path_key(ctx, "gridSteps");
            fsim__path_index(ctx, i);
            fsim__path_key(ctx, "upToKw");
            return fsim__fail(ctx, "must be above the step before it (%s)",
                              fsim_format_double(p->grid_steps[i - 1].up_to_kw, buf));
        }
    }
    return true;
}

static bool check_charging_event(fsim__ctx *ctx, const void *obj)
{
    const fsim_charging_event *e = obj;
    if (e->start < e->plugged_at) {
        fsim__path_key(ctx, "start");
        return fsim__fail(ctx, "must not be before pluggedAt");
    }
    if (e->end < e->start) {
        fsim__path_key(ctx, "end");
        return fsim__fail(ctx, "must not be before start");
    }
    return true;
}

static bool check_trip_result(fsim__ctx *ctx, const void *obj)
{
    const fsim_trip_result *t = obj;
    if (t->has_arrive && t->arrive < t->depart) {
        fsim__path_key(ctx, "arrive");
        return fsim__fail(ctx, "must not be before depart");
    }
    if (t->stranded_at && t->status != FSIM_TRIP_STRANDED) {
        fsim__path_key(ctx, "strandedAt");
        return fsim__fail(ctx, "only allowed when status is \"stranded\"");
    }
    return true;
}

/* ---- The type table --------------------------------------------------------------------- */

#define CHECK_FN(lower)                                                                     \
    (T_##lower == T_depot_spec       ? check_depot_spec                                     \
     : T_##lower == T_vehicle_group  ? check_vehicle_group                                  \
     : T_##lower == T_weather_spec   ? check_weather_spec                                   \
     : T_##lower == T_request        ? check_request                                        \
     : T_##lower == T_plan_spec      ? check_plan_spec                                      \
     : T_##lower == T_charging_event ? check_charging_event                                 \
     : T_##lower == T_trip_result    ? check_trip_result                                    \
                                     : (fsim__check_fn)NULL)

const fsim__type fsim__types[FSIM_WIRE_TYPE_COUNT] = {
#define X(upper, lower, schema_name)                                                        \
    [FSIM_WIRE_##upper] = {schema_name, sizeof(fsim_##lower), fields_##lower,              \
                           COUNT(fields_##lower), CHECK_FN(lower)},
    FSIM_WIRE_TYPES(X)
#undef X
};

const char *fsim_wire_type_name(fsim_wire_type type)
{
    return (unsigned)type < FSIM_WIRE_TYPE_COUNT ? fsim__types[type].name : NULL;
}

size_t fsim_wire_type_size(fsim_wire_type type)
{
    return (unsigned)type < FSIM_WIRE_TYPE_COUNT ? fsim__types[type].size : 0;
}

/* ---- Duplicates ------------------------------------------------------------------------- */

struct str_ref {
    const char *s;
    size_t index;
};

static int str_ref_cmp(const void *pa, const void *pb)
{
    const struct str_ref *a = pa, *b = pb;
    int c = strcmp(a->s, b->s);
    return c ? c : (a->index < b->index ? -1 : a->index > b->index);
}

/* Sorting, not pairwise comparison: 100,000 VINs must not cost 5·10⁹ strcmp calls. */
bool fsim__find_duplicate(const char *const *strings, size_t n, size_t *dup, size_t *first,
                          bool *nomem)
{
    if (n < 2)
        return false;
    struct str_ref *refs = malloc(n * sizeof *refs);
    if (!refs) {
        *nomem = true;
        return false;
    }
    for (size_t i = 0; i < n; i++)
        refs[i] = (struct str_ref){strings[i] ? strings[i] : "", i};
    qsort(refs, n, sizeof *refs, str_ref_cmp);
    bool found = false;
    size_t run = 0;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(refs[i].s, refs[run].s) != 0) {
            run = i;
        } else if (i == run + 1 && (!found || refs[i].index < *dup)) {
            found = true;
            *dup = refs[i].index;
            *first = refs[run].index;
        }
    }
    free(refs);
    return found;
}
