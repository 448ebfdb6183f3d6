/* Unit tests for core/wire: the wire contract's codec. Round trips on every type (files in
 * tests/data/wire/), byte-stable encoding against golden files, a table of bad inputs
 * (tests/data/wire/bad_cases.txt) each with its exact path and message, the validator on
 * structs built in C, streaming, escaping, the canonical overrides text and the schema. */
#include <fleetsim/arena.h>
#include <fleetsim/error.h>
#include <fleetsim/util.h>
#include <fleetsim/wire.h>

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static char data_dir[1024];

static char *read_data(fsim_arena *arena, const char *name, size_t *len)
{
    char path[1200];
    fsim_error err;
    char *text = NULL;
    snprintf(path, sizeof path, "%s/wire/%s", data_dir, name);
    if (fsim_read_file(path, arena, &text, len, &err) != FSIM_OK) {
        printf("# %s\n", err.message);
        return NULL;
    }
    return text;
}

static const struct {
    const char *name;
    fsim_wire_type type;
} type_names[] = {
    {"request", FSIM_WIRE_REQUEST},       {"result", FSIM_WIRE_RESULT},
    {"job_status", FSIM_WIRE_JOB_STATUS}, {"job_message", FSIM_WIRE_JOB_MESSAGE},
    {"error_response", FSIM_WIRE_ERROR_RESPONSE},
    {"submit_response", FSIM_WIRE_SUBMIT_RESPONSE},
    {"simulation_page", FSIM_WIRE_SIMULATION_PAGE},
};

static fsim_wire_type type_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof type_names / sizeof *type_names; i++)
        if (strcmp(type_names[i].name, name) == 0)
            return type_names[i].type;
    return FSIM_WIRE_TYPE_COUNT;
}

/* decode → encode → decode → encode: the second text equals the first, byte for byte, the
 * objects are equal, and pretty output decodes to the same object. */
static void round_trip(fsim_wire_type type, const char *file)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    size_t len, len1 = 0, len2 = 0, lenp = 0;
    char *text = read_data(arena, file, &len);
    void *a = NULL, *b = NULL, *c = NULL;
    fsim_status st = fsim_wire_decode(type, text, len, file, 0, arena, &a, &err);
    CHECK(st == FSIM_OK && a, "%s decodes", file);
    if (st != FSIM_OK) {
        printf("# %s: %s: %s\n", err.source, err.path, err.message);
        goto out;
    }
    CHECK(fsim_wire_validate(type, a, file, &err) == FSIM_OK, "%s: decoded object validates",
          file);
    char *once = fsim_wire_encode(type, a, 0, &len1);
    CHECK(once && strlen(once) == len1, "%s encodes (%zu bytes)", file, len1);
    st = fsim_wire_decode(type, once, len1, "encoded", 0, arena, &b, &err);
    CHECK(st == FSIM_OK, "%s: its encoding decodes", file);
    char *twice = b ? fsim_wire_encode(type, b, 0, &len2) : NULL;
    CHECK(twice && len1 == len2 && memcmp(once, twice, len1) == 0,
          "%s: encode(decode(encode(x))) is byte-identical", file);
    CHECK(b && fsim_wire_equal(type, a, b), "%s: decode(encode(x)) equals x", file);
    char *pretty = fsim_wire_encode(type, a, FSIM_WIRE_PRETTY, &lenp);
    st = fsim_wire_decode(type, pretty, lenp, "pretty", 0, arena, &c, &err);
    CHECK(st == FSIM_OK && fsim_wire_equal(type, a, c), "%s: pretty output decodes equal",
          file);
    char *pretty2 = fsim_wire_encode(type, a, FSIM_WIRE_PRETTY, NULL);
    CHECK(pretty && pretty2 && strcmp(pretty, pretty2) == 0, "%s: encoding is stable", file);
    free(once);
    free(twice);
    free(pretty);
    free(pretty2);
out:
    fsim_arena_free(arena);
}

/* Golden files: the exact bytes other programs (and the web app's fixtures) will see. */
static void golden(fsim_wire_type type, const char *input, const char *expected, unsigned flags)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    size_t len, want_len;
    char *text = read_data(arena, input, &len);
    char *want = read_data(arena, expected, &want_len);
    void *obj = NULL;
    fsim_wire_decode(type, text, len, input, 0, arena, &obj, &err);
    char *got = obj ? fsim_wire_encode(type, obj, flags, NULL) : NULL;
    if (want && want_len && want[want_len - 1] == '\n')
        want[want_len - 1] = '\0'; /* the file ends in a newline, the encoder does not */
    CHECK_STR(got, want, "%s encodes exactly as %s", input, expected);
    free(got);
    fsim_arena_free(arena);
}

static void test_round_trips(void)
{
    round_trip(FSIM_WIRE_REQUEST, "request_demo.json");
    round_trip(FSIM_WIRE_REQUEST, "request_mixed.json");
    round_trip(FSIM_WIRE_RESULT, "result_full.json");
    round_trip(FSIM_WIRE_JOB_STATUS, "job_status.json");
    round_trip(FSIM_WIRE_JOB_MESSAGE, "job_message.json");
    round_trip(FSIM_WIRE_ERROR_RESPONSE, "error_response.json");
    golden(FSIM_WIRE_REQUEST, "request_demo.json", "request_demo.compact.json", 0);
    golden(FSIM_WIRE_REQUEST, "request_mixed.json", "request_mixed.pretty.json",
           FSIM_WIRE_PRETTY);
    golden(FSIM_WIRE_RESULT, "result_full.json", "result_full.pretty.json", FSIM_WIRE_PRETTY);
    golden(FSIM_WIRE_JOB_MESSAGE, "job_message.json", "job_message.compact.json", 0);
    /* the API's 202 and list page: the bytes clients saw before these were wire types */
    round_trip(FSIM_WIRE_SUBMIT_RESPONSE, "submit_response.json");
    round_trip(FSIM_WIRE_SIMULATION_PAGE, "simulation_page.json");
    round_trip(FSIM_WIRE_SIMULATION_PAGE, "simulation_page_last.json");
    golden(FSIM_WIRE_SUBMIT_RESPONSE, "submit_response.json", "submit_response.compact.json",
           0);
    golden(FSIM_WIRE_SIMULATION_PAGE, "simulation_page.json", "simulation_page.compact.json",
           0);
    golden(FSIM_WIRE_SIMULATION_PAGE, "simulation_page_last.json",
           "simulation_page_last.compact.json", 0);
    /* a log line as Cloud Logging reads it (the key with dots and a slash included) */
    round_trip(FSIM_WIRE_LOG_ENTRY, "log_entry.json");
    golden(FSIM_WIRE_LOG_ENTRY, "log_entry.json", "log_entry.compact.json", 0);
    round_trip(FSIM_WIRE_CYCLE_REPORT, "cycle_report.json");
    golden(FSIM_WIRE_CYCLE_REPORT, "cycle_report.json", "cycle_report.compact.json", 0);
}

/* nextCursor is null on the last page, never missing: a TypeScript client tests
 * `page.nextCursor === null`, and undefined would not match. */
static void test_page_cursor_null(void)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    fsim_simulation_page page = {0};
    char *text = fsim_simulation_page_encode(&page, 0, NULL);
    CHECK_STR(text, "{\"items\":[],\"nextCursor\":null}",
              "a page built in C without a cursor encodes \"nextCursor\": null");
    CHECK(fsim_wire_validate(FSIM_WIRE_SIMULATION_PAGE, &page, "built", &err) == FSIM_OK,
          "and validates (null is a value, not a missing key)");
    void *obj = NULL;
    fsim_status st = fsim_wire_decode(FSIM_WIRE_SIMULATION_PAGE, text, strlen(text), "page", 0,
                                      arena, &obj, &err);
    const fsim_simulation_page *back = obj;
    CHECK(st == FSIM_OK && back && back->next_cursor == NULL && back->items &&
              back->n_items == 0,
          "null decodes as a NULL cursor, the empty items as a non-NULL empty array");
    free(text);
    fsim_job_status job = {.id = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
                           .fleet_id = "3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10",
                           .status = FSIM_RUN_RUNNING, .progress = 0.5,
                           .created_at = 1767564000, .updated_at = 1767564060};
    page = (fsim_simulation_page){.items = &job, .n_items = 1, .next_cursor = "abc"};
    text = fsim_simulation_page_encode(&page, 0, NULL);
    CHECK(text && strstr(text, "\"progress\":0.5,") && strstr(text, "],\"nextCursor\":\"abc\"}"),
          "a page's items are JobStatus objects, the cursor a string");
    free(text);
    fsim_submit_response sub = {.id = job.id, .status = FSIM_RUN_QUEUED,
                                .links = {.self = "/v1/simulations/x"}};
    CHECK(fsim_wire_validate(FSIM_WIRE_SUBMIT_RESPONSE, &sub, "built", &err) == FSIM_INVALID &&
              strcmp(err.path, "links.result") == 0,
          "a submit response without links.result does not validate");
    fsim_arena_free(arena);
}

/* What a consumer reads out of the demo scenario: the values, the defaults' absence, enums. */
static void test_demo_values(void)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    size_t len;
    char *text = read_data(arena, "request_demo.json", &len);
    fsim_request *r = NULL;
    CHECK(fsim_request_decode(text, len, "demo.json", 0, arena, &r, &err) == FSIM_OK && r,
          "typed decode of the demo request");
    if (!r)
        goto out;
    CHECK_STR(r->fleet_id, "3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10", "fleetId");
    CHECK(r->start == 1767571200.0 && r->days == 7 && r->step_seconds == 60 &&
              r->output_interval_seconds == 900,
          "start (Unix seconds), days, step and interval");
    CHECK(r->strategy == FSIM_STRAT_BALANCED, "strategy balanced");
    CHECK(r->has_ambient_temperature_c && r->ambient_temperature_c == -5, "ambient -5 C");
    CHECK(r->n_depots == 1 && r->depots[0].utc_offset_minutes == -300 &&
              r->depots[0].has_grid_limit_kw && r->depots[0].grid_limit_kw == 250 &&
              r->depots[0].n_chargers == 2 && r->depots[0].chargers[1].count == 1,
          "depot north with its grid limit and two charger types");
    const fsim_vehicle_group *g = &r->vehicles[0];
    CHECK(r->n_vehicles == 1 && g->has_count && g->count == 12 && g->vins == NULL &&
              g->n_departures == 1 && fsim_wire_hhmm_minutes(g->departures[0]) == 420,
          "12 cargo vans leaving at 07:00 (420 min)");
    CHECK(g->initial_soc == 0.9 && g->target_soc == 1.0 && g->has_reserve_soc &&
              g->reserve_soc == 0.1,
          "SoC targets");
    CHECK_STR(r->overrides, "{\"vehicles\":{\"cargo-van\":{\"batteryKwh\":89}}}",
              "overrides kept as canonical compact JSON");
    CHECK(r->outputs && r->outputs->has_per_vehicle_series && !r->outputs->per_vehicle_series,
          "outputs.perVehicleSeries false");
out:
    fsim_arena_free(arena);
}

/* The table of bad inputs: each names its first bad field exactly. */
static void test_bad_cases(void)
{
    fsim_arena *arena = fsim_arena_new();
    size_t len;
    char *text = read_data(arena, "bad_cases.txt", &len);
    int cases = 0;
    char *p = text ? strstr(text, "\n### ") : NULL;
    while (p) {
        char *header = p + 5;
        char *eol = strchr(header, '\n');
        if (!eol)
            break;
        *eol = '\0';
        char *body = eol + 1;
        char *next = strstr(body, "\n### ");
        size_t body_len = next ? (size_t)(next - body) + 1 : strlen(body);
        char type_name[32], where[256];
        const char *bar = strstr(header, " | ");
        if (!bar || sscanf(header, "%31s %255s", type_name, where) != 2) {
            CHECK(0, "bad case header \"%s\"", header);
            break;
        }
        const char *want = bar + 3;
        fsim_wire_type type = type_by_name(type_name);
        char *json = malloc(body_len + 1);
        memcpy(json, body, body_len);
        json[body_len] = '\0';
        void *obj = (void *)1;
        fsim_error err;
        fsim_status st = fsim_wire_decode(type, json, body_len, "case.json", 0, arena, &obj,
                                          &err);
        bool ok = st == FSIM_INVALID && obj == NULL && strstr(err.message, want) &&
                  strcmp(err.source, "case.json") == 0;
        if (where[0] == '@') {
            int line = 0, column = 0;
            sscanf(where, "@%d:%d", &line, &column);
            ok = ok && err.line == line && err.column == column && err.path[0] == '\0';
        } else {
            ok = ok && strcmp(err.path, strcmp(where, "-") == 0 ? "" : where) == 0;
        }
        CHECK(ok, "%s %s: %s", type_name, where, want);
        if (!ok)
            printf("# got status %s, %d:%d path \"%s\" message \"%s\"\n", fsim_status_name(st),
                   err.line, err.column, err.path, err.message);
        /* collecting every problem changes nothing about the first one */
        fsim_error all_err;
        fsim_error_detail *details = NULL;
        size_t n = 0;
        obj = (void *)1;
        fsim_status all_st = fsim_wire_decode_all(type, json, body_len, "case.json", 0, 0,
                                                  arena, &obj, &details, &n, &all_err);
        bool same = all_st == st && obj == NULL && n >= 1 && details &&
                    strcmp(all_err.path, err.path) == 0 &&
                    strcmp(all_err.message, err.message) == 0 && all_err.line == err.line &&
                    all_err.column == err.column &&
                    strcmp(details[0].field ? details[0].field : "", err.path) == 0 &&
                    strcmp(details[0].message, err.message) == 0;
        CHECK(same, "%s %s: all problems: the first is the same", type_name, where);
        if (!same)
            printf("# got %zu details, first \"%s\": \"%s\"; err \"%s\": \"%s\"\n", n,
                   n && details[0].field ? details[0].field : "", n ? details[0].message : "",
                   all_err.path, all_err.message);
        free(json);
        cases++;
        p = next;
    }
    CHECK(cases >= 30, "at least 30 bad cases ran (%d)", cases);
    fsim_arena_free(arena);
}

/* A request with three problems in three places: all three, in document order, with their
 * paths; the first is the error fsim_wire_decode reports alone. */
static void test_all_problems(void)
{
    fsim_arena *arena = fsim_arena_new();
    size_t len;
    char *text = read_data(arena, "request_three_problems.json", &len);
    void *obj = (void *)1;
    fsim_error err;
    fsim_error_detail *d = NULL;
    size_t n = 0;
    fsim_status st = text ? fsim_wire_decode_all(FSIM_WIRE_REQUEST, text, len, "three.json", 0,
                                                 0, arena, &obj, &d, &n, &err)
                          : FSIM_IO;
    static const char *const want[][2] = {
        {"days", "must be between 1"},
        {"strategy", "must be one of"},
        {"vehicles[0].initialSoc", "must be between 0 and 1"},
    };
    CHECK(st == FSIM_INVALID && obj == NULL && n == 3, "three problems: three details (%zu)", n);
    for (size_t i = 0; i < 3 && i < n; i++)
        CHECK(d[i].field && strcmp(d[i].field, want[i][0]) == 0 &&
                  strstr(d[i].message, want[i][1]),
              "detail %zu: %s: %s (got %s: %s)", i, want[i][0], want[i][1],
              d[i].field ? d[i].field : "-", d[i].message);
    CHECK(strcmp(err.path, "days") == 0, "the error is the first problem (%s)", err.path);
    fsim_error one;
    obj = NULL;
    fsim_wire_decode(FSIM_WIRE_REQUEST, text ? text : "", text ? len : 0, "three.json", 0,
                     arena, &obj, &one);
    CHECK(strcmp(one.path, err.path) == 0 && strcmp(one.message, err.message) == 0,
          "fsim_wire_decode stops at the same first problem");

    /* bounded: 30 bad departures are 20 problems, and a limit below that is kept */
    char big[4096];
    size_t at = (size_t)snprintf(big, sizeof big, "%s",
                                 "{\"fleetId\": \"3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10\", "
                                 "\"vehicles\": [{\"departures\": [");
    for (int i = 0; i < 30; i++)
        at += (size_t)snprintf(big + at, sizeof big - at, "%s\"25:%02d\"", i ? ", " : "", i);
    at += (size_t)snprintf(big + at, sizeof big - at, "]}]}");
    fsim_wire_decode_all(FSIM_WIRE_REQUEST, big, at, "big", 0, 0, arena, &obj, &d, &n, &err);
    CHECK(n == FSIM_WIRE_MAX_PROBLEMS && d[19].field &&
              strcmp(d[19].field, "vehicles[0].departures[19]") == 0,
          "30 problems: the first %d reported (%zu, last %s)", FSIM_WIRE_MAX_PROBLEMS, n,
          n ? d[n - 1].field : "-");
    fsim_wire_decode_all(FSIM_WIRE_REQUEST, big, at, "big", 0, 3, arena, &obj, &d, &n, &err);
    CHECK(n == 3, "max 3: three reported (%zu)", n);
    /* malformed JSON is one problem, with line and column in the error */
    fsim_wire_decode_all(FSIM_WIRE_REQUEST, "{\"days\": }", 11, "syntax", 0, 0, arena, &obj, &d,
                         &n, &err);
    CHECK(n == 1 && err.line == 1 && d[0].field == NULL, "malformed JSON: one problem (%zu)", n);
    fsim_arena_free(arena);
}

/* Inputs that are awkward to keep in a text file: depth, NUL, bad UTF-8, sizes. */
static void expect_bad(const char *json, size_t len, const char *path, const char *fragment,
                       const char *what)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    void *obj = NULL;
    fsim_status st = fsim_wire_decode(FSIM_WIRE_REQUEST, json, len, "gen", 0, arena, &obj,
                                      &err);
    bool ok = st == FSIM_INVALID && !obj && strcmp(err.path, path) == 0 &&
              strstr(err.message, fragment);
    CHECK(ok, "%s", what);
    if (!ok)
        printf("# got %d:%d \"%s\" \"%s\"\n", err.line, err.column, err.path, err.message);
    fsim_arena_free(arena);
}

static const char base_request[] =
    "{\"fleetId\":\"3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10\",\"start\":\"2026-01-05T00:00:00Z\","
    "\"days\":7,\"stepSeconds\":60,\"outputIntervalSeconds\":900,\"strategy\":\"balanced\","
    "\"depots\":[{\"id\":\"north\",\"utcOffsetMinutes\":0,\"chargers\":[]}],"
    "\"vehicles\":[{\"type\":\"cargo-van\",\"count\":1,\"depot\":\"north\",\"routeId\":"
    "\"north-loop\",\"departures\":[\"07:00\"],\"initialSoc\":0.9,\"targetSoc\":1}]";

static void test_generated_bad(void)
{
    size_t depth = 5000;
    char *deep = malloc(depth * 2 + 1);
    for (size_t i = 0; i < depth; i++) {
        deep[i] = '[';
        deep[depth + i] = ']';
    }
    deep[2 * depth] = '\0';
    expect_bad(deep, 2 * depth, "", "invalid JSON", "5000 nested arrays: a clean syntax error");
    free(deep);

    char buf[4096];
    int n = snprintf(buf, sizeof buf, "%s,\"overrides\":", base_request);
    for (int i = 0; i < 40; i++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "{\"a\":");
    n += snprintf(buf + n, sizeof buf - (size_t)n, "1");
    for (int i = 0; i < 40; i++)
        n += snprintf(buf + n, sizeof buf - (size_t)n, "}");
    n += snprintf(buf + n, sizeof buf - (size_t)n, "}");
    expect_bad(buf, (size_t)n,
               "overrides.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a",
               "nested more than 32 levels", "deeply nested overrides are refused");

    n = snprintf(buf, sizeof buf, "%s,\"name\":\"bad \xff\xfe utf-8\"}", base_request);
    expect_bad(buf, (size_t)n, "name", "must be valid UTF-8", "invalid UTF-8 is refused");
    n = snprintf(buf, sizeof buf, "%s,\"name\":\"surrogate \xed\xa0\x80\"}", base_request);
    expect_bad(buf, (size_t)n, "name", "must be valid UTF-8", "UTF-8 surrogates are refused");

    static const char with_nul[] = "{\"days\": 7}\0{}";
    expect_bad(with_nul, sizeof with_nul - 1, "", "NUL byte", "a NUL byte inside the length");

    n = snprintf(buf, sizeof buf, "%s,\"name\":\"%0201d\"}", base_request, 0);
    expect_bad(buf, (size_t)n, "name", "must be at most 200 characters", "name length cap");

    n = snprintf(buf, sizeof buf, "%s,\"days\":1e999}", base_request);
    expect_bad(buf, (size_t)n, "days", "duplicate field", "a later duplicate is reported");

    n = snprintf(buf, sizeof buf, "%s}", base_request);
    buf[strstr(buf, "\"days\":7") - buf + 7] = ' '; /* "days": (nothing) */
    expect_bad(buf, (size_t)n, "", "invalid JSON", "missing value");

    expect_bad(NULL, 0, "", "empty document", "no input at all");
}

/* What a user reads: fsim_error_format puts file, line:column or path, and message. */
static void test_error_text(void)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    char line[600];
    void *obj = NULL;
    static const char broken[] = "{\n  \"days\": 7,\n  \"stepSeconds\" 60\n}\n";
    fsim_wire_decode(FSIM_WIRE_REQUEST, broken, sizeof broken - 1, "scenario.json", 0, arena,
                     &obj, &err);
    fsim_error_format(&err, line, sizeof line);
    CHECK_STR(line, "scenario.json:3:17: invalid JSON near \"60\"",
              "syntax error: file:line:column and what is there");
    char buf[2048];
    int n = snprintf(buf, sizeof buf, "%s}", base_request);
    char *soc = strstr(buf, "\"initialSoc\":0.9");
    memcpy(soc, "\"initialSoc\":9.0", 16);
    fsim_wire_decode(FSIM_WIRE_REQUEST, buf, (size_t)n, "request body", 0, arena, &obj, &err);
    fsim_error_format(&err, line, sizeof line);
    CHECK_STR(line, "request body: vehicles[0].initialSoc: must be between 0 and 1",
              "field error: source, path and message");
    fsim_arena_free(arena);
}

/* Lenient where it helps, strict by default. */
static void test_flags_and_nulls(void)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    char buf[4096];
    void *obj = NULL;
    int n = snprintf(buf, sizeof buf, "%s,\"futureField\":{\"x\":1},\"name\":null,"
                                      "\"outputs\":null,\"overrides\":null}",
                     base_request);
    fsim_status st = fsim_wire_decode(FSIM_WIRE_REQUEST, buf, (size_t)n, "b", 0, arena, &obj,
                                      &err);
    CHECK(st == FSIM_INVALID && strcmp(err.path, "futureField") == 0 &&
              strstr(err.message, "unknown field \"futureField\""),
          "unknown keys are refused by default, named");
    st = fsim_wire_decode(FSIM_WIRE_REQUEST, buf, (size_t)n, "b", FSIM_WIRE_IGNORE_UNKNOWN,
                          arena, &obj, &err);
    const fsim_request *r = obj;
    CHECK(st == FSIM_OK && r && !r->name && !r->outputs && !r->overrides,
          "FSIM_WIRE_IGNORE_UNKNOWN skips them; null optional fields are absent");

    n = snprintf(buf, sizeof buf,
                 "%s,\"start\":\"2026-01-05T07:30:00.6+01:00\"}", base_request);
    /* the base already has a start: use a request without it */
    char *no_start = strstr(buf, "\"start\":\"2026-01-05T00:00:00Z\",");
    memmove(no_start, no_start + 31, strlen(no_start + 31) + 1);
    st = fsim_wire_decode(FSIM_WIRE_REQUEST, buf, strlen(buf), "b", 0, arena, &obj, &err);
    r = obj;
    CHECK(st == FSIM_OK && r && r->start == 1767571200.0 + 6.5 * 3600 + 1,
          "times take any offset and round to whole seconds");
    char *enc = r ? fsim_wire_encode(FSIM_WIRE_REQUEST, r, 0, NULL) : NULL;
    CHECK(enc && strstr(enc, "\"start\":\"2026-01-05T06:30:01Z\""), "times encode as UTC Z");
    free(enc);

    cJSON *node = cJSON_Parse("{\"code\":\"not_found\",\"message\":\"no such simulation\"}");
    st = fsim_wire_decode_json(FSIM_WIRE_API_ERROR, node, "body", 0, arena, &obj, &err);
    const fsim_api_error *e = obj;
    CHECK(st == FSIM_OK && e && strcmp(e->code, "not_found") == 0 && !e->field,
          "decode from an already-parsed cJSON node");
    cJSON_Delete(node);
    node = cJSON_Parse("[1]");
    st = fsim_wire_decode_json(FSIM_WIRE_API_ERROR, node, "body", 0, arena, &obj, &err);
    CHECK(st == FSIM_INVALID && err.line == 0 && strstr(err.message, "must be an object"),
          "cJSON node of the wrong shape");
    cJSON_Delete(node);
    fsim_arena_free(arena);
}

/* Structs built in C: the validator applies the decoder's rules; the encoder escapes. */
static void test_built_in_c(void)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    const char *departures[] = {"07:00", "16:30"};
    const char *vins[] = {"VIN-A", "VIN-B"};
    fsim_charger_spec chargers[] = {{.type = "dc-150kw", .count = 2}};
    fsim_depot_spec depot = {.id = "north", .utc_offset_minutes = 60, .chargers = chargers,
                             .n_chargers = 1};
    fsim_vehicle_group group = {.type = "pickup", .vins = vins, .n_vins = 2, .depot = "north",
                                .route_id = "suburban-loop", .departures = departures,
                                .n_departures = 2, .initial_soc = 0.5, .target_soc = 0.9};
    fsim_request req = {.fleet_id = "3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10",
                        .name = "quote \" backslash \\ newline \n tab \t bell \x07 é ✓",
                        .start = 1767571200, .days = 2, .step_seconds = 60,
                        .output_interval_seconds = 600, .strategy = FSIM_STRAT_IMMEDIATE,
                        .depots = &depot, .n_depots = 1, .vehicles = &group, .n_vehicles = 1,
                        .overrides = "{\"vehicles\":{\"pickup\":{\"auxKw\":0.5}}}"};
    CHECK(fsim_wire_validate(FSIM_WIRE_REQUEST, &req, "built", &err) == FSIM_OK,
          "a request built in C validates");
    size_t len;
    char *text = fsim_request_encode(&req, 0, &len);
    CHECK(text && strstr(text, "\"name\":\"quote \\\" backslash \\\\ newline \\n tab \\t bell "
                               "\\u0007 é ✓\""),
          "strings are escaped (quote, backslash, control characters), UTF-8 kept");
    void *back = NULL;
    CHECK(fsim_wire_decode(FSIM_WIRE_REQUEST, text, len, "enc", 0, arena, &back, &err) ==
                  FSIM_OK &&
              fsim_wire_equal(FSIM_WIRE_REQUEST, &req, back),
          "and decode back to an equal struct");
    free(text);

    group.initial_soc = 1.5;
    CHECK(fsim_wire_validate(FSIM_WIRE_REQUEST, &req, "built", &err) == FSIM_INVALID &&
              strcmp(err.path, "vehicles[0].initialSoc") == 0 &&
              strcmp(err.message, "must be between 0 and 1") == 0,
          "validator: vehicles[0].initialSoc: must be between 0 and 1");
    group.initial_soc = 0.5;
    group.has_count = true;
    group.count = 3;
    CHECK(fsim_wire_validate(FSIM_WIRE_REQUEST, &req, "built", &err) == FSIM_INVALID &&
              strcmp(err.path, "vehicles[0].vins") == 0,
          "validator: count and vins together");
    group.has_count = false;
    req.fleet_id = NULL;
    CHECK(fsim_wire_validate(FSIM_WIRE_REQUEST, &req, "built", &err) == FSIM_INVALID &&
              strcmp(err.path, "fleetId") == 0 && strcmp(err.message, "is required") == 0,
          "validator: a NULL required string is missing");
    req.fleet_id = "3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10";
    req.strategy = (fsim_strategy)7;
    CHECK(fsim_wire_validate(FSIM_WIRE_REQUEST, &req, "built", &err) == FSIM_INVALID &&
              strcmp(err.path, "strategy") == 0,
          "validator: enum out of range");
    fsim_arena_free(arena);
}

/* Overrides: any object, canonical (sorted keys, shortest numbers) so equal objects give
 * equal text (idempotency keys hash it). */
static void test_overrides_canonical(void)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    char buf[2048];
    void *obj = NULL;
    int n = snprintf(buf, sizeof buf,
                     "%s,\"overrides\":{\"z\":{\"b\":1.50,\"a\":[1e2,true,null,\"x\\u00e9\"]},"
                     "\"a\":-0.10}}",
                     base_request);
    fsim_status st = fsim_wire_decode(FSIM_WIRE_REQUEST, buf, (size_t)n, "b", 0, arena, &obj,
                                      &err);
    const fsim_request *r = obj;
    CHECK_STR(st == FSIM_OK ? r->overrides : err.message,
              "{\"a\":-0.1,\"z\":{\"a\":[100,true,null,\"xé\"],\"b\":1.5}}",
              "overrides canonical: keys sorted, numbers shortest, arrays in order");
    char *pretty = st == FSIM_OK ? fsim_wire_encode(FSIM_WIRE_REQUEST, r, FSIM_WIRE_PRETTY,
                                                    NULL)
                                 : NULL;
    CHECK(pretty && strstr(pretty, "  \"overrides\": {\n    \"a\": -0.1,\n    \"z\": {\n"),
          "pretty output indents overrides too");
    free(pretty);
    fsim_arena_free(arena);
}

struct sink {
    char *data;
    size_t len;
    int calls;
    int fail_after;
};

static bool sink_write(void *user, const char *data, size_t len)
{
    struct sink *s = user;
    if (s->fail_after && s->calls >= s->fail_after)
        return false;
    s->calls++;
    char *grown = realloc(s->data, s->len + len + 1);
    if (!grown)
        return false;
    s->data = grown;
    memcpy(s->data + s->len, data, len);
    s->len += len;
    s->data[s->len] = '\0';
    return true;
}

/* A big result (20,000 trips) streams in chunks and equals the one-piece text. */
static void test_large_stream(void)
{
    fsim_arena *arena = fsim_arena_new();
    size_t n = 20000;
    fsim_trip_result *trips = fsim_arena_calloc(arena, n, sizeof *trips);
    for (size_t i = 0; i < n; i++) {
        trips[i] = (fsim_trip_result){.vehicle_id = fsim_arena_sprintf(arena, "van-%zu", i),
                                      .route_id = "north-loop",
                                      .depart = 1767596400.0 + 86400.0 * (double)(i % 30),
                                      .has_arrive = true,
                                      .arrive = 1767596400.0 + 86400.0 * (double)(i % 30) + 7200,
                                      .distance_km = 40.0 + (double)i / 7.0,
                                      .energy_kwh = 16.0 + (double)i / 13.0,
                                      .kwh_per_km = 0.4,
                                      .start_soc = 0.9,
                                      .end_soc = 0.5,
                                      .status = FSIM_TRIP_COMPLETED};
    }
    const char *warnings[] = {"none"};
    fsim_result res = {.status = FSIM_RUN_SUCCEEDED, .trips = trips, .n_trips = n,
                       .metadata = {.engine_version = "0.1.0", .config_hash = "abc",
                                    .warnings = warnings, .n_warnings = 1}};
    res.summary.trips = (int)n;
    size_t len = 0;
    char *whole = fsim_result_encode(&res, 0, &len);
    struct sink s = {0};
    fsim_error err;
    CHECK(fsim_wire_encode_to(FSIM_WIRE_RESULT, &res, 0, sink_write, &s, &err) == FSIM_OK,
          "streaming encode succeeds");
    CHECK(whole && s.len == len && memcmp(whole, s.data, len) == 0 && s.calls > 10,
          "streamed text (%d chunks) equals the one-piece text (%zu bytes)", s.calls, len);
    void *back = NULL;
    fsim_status st = fsim_wire_decode(FSIM_WIRE_RESULT, whole, len, "big", 0, arena, &back,
                                      &err);
    CHECK(st == FSIM_OK && fsim_wire_equal(FSIM_WIRE_RESULT, &res, back),
          "20,000 trips decode back equal");
    if (st != FSIM_OK)
        printf("# %s: %s\n", err.path, err.message);
    free(s.data);
    struct sink failing = {.fail_after = 2};
    CHECK(fsim_wire_encode_to(FSIM_WIRE_RESULT, &res, 0, sink_write, &failing, &err) ==
              FSIM_IO,
          "a failing writer stops the encoder with FSIM_IO");
    free(failing.data);
    free(whole);
    fsim_arena_free(arena);
}

static const cJSON *get(const cJSON *node, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(node, key);
}

/* The schema comes from the same table: check the parts a client generator relies on. */
static void test_schema(void)
{
    size_t len;
    char *text = fsim_wire_schema(FSIM_WIRE_REQUEST, NULL, FSIM_WIRE_PRETTY, &len);
    cJSON *s = text ? cJSON_Parse(text) : NULL;
    CHECK(s != NULL, "request schema is valid JSON (%zu bytes)", len);
    CHECK_STR(cJSON_GetStringValue(get(s, "$schema")),
              "https://json-schema.org/draft/2020-12/schema", "draft 2020-12");
    const cJSON *props = get(s, "properties");
    CHECK(cJSON_GetArraySize(props) == 14, "14 request properties (plan and weather included)");
    const cJSON *req = get(s, "required");
    bool has_fleet = false, has_name = false;
    for (const cJSON *c = req ? req->child : NULL; c; c = c->next) {
        has_fleet |= strcmp(c->valuestring, "fleetId") == 0;
        has_name |= strcmp(c->valuestring, "name") == 0;
    }
    CHECK(has_fleet && !has_name, "fleetId required, name optional");
    const cJSON *vg = get(get(s, "$defs"), "VehicleGroup");
    const cJSON *soc = get(get(vg, "properties"), "initialSoc");
    CHECK(cJSON_GetNumberValue(get(soc, "minimum")) == 0 &&
              cJSON_GetNumberValue(get(soc, "maximum")) == 1,
          "initialSoc: minimum 0, maximum 1");
    CHECK(cJSON_GetArraySize(get(vg, "oneOf")) == 2, "VehicleGroup: count XOR vins as oneOf");
    CHECK_STR(cJSON_GetStringValue(get(get(get(get(vg, "properties"), "departures"), "items"),
                                       "pattern")),
              "^([01][0-9]|2[0-3]):[0-5][0-9]$", "departures: HH:MM pattern");
    CHECK(get(get(props, "strategy"), "enum") &&
              cJSON_GetArraySize(get(get(props, "strategy"), "enum")) == 4,
          "strategy: 4 enum values");
    cJSON_Delete(s);
    free(text);

    text = fsim_wire_schema(FSIM_WIRE_JOB_MESSAGE, "#/components/schemas/", 0, NULL);
    s = text ? cJSON_Parse(text) : NULL;
    props = get(s, "properties");
    CHECK(get(props, "fleetId") && get(props, "mode") && !get(s, "$defs") &&
              cJSON_GetArraySize(props) == 16,
          "JobMessage: the request's fields inline plus mode and simulationId");
    CHECK_STR(cJSON_GetStringValue(get(get(get(props, "depots"), "items"), "$ref")),
              "#/components/schemas/DepotSpec", "references use the caller's prefix");
    cJSON_Delete(s);
    free(text);

    /* every key the full result encodes is a schema property: docs and code agree */
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    size_t n;
    char *full = read_data(arena, "result_full.json", &n);
    void *obj = NULL;
    fsim_wire_decode(FSIM_WIRE_RESULT, full, n, "full", 0, arena, &obj, &err);
    char *enc = obj ? fsim_wire_encode(FSIM_WIRE_RESULT, obj, 0, NULL) : NULL;
    cJSON *doc = enc ? cJSON_Parse(enc) : NULL;
    text = fsim_wire_schema(FSIM_WIRE_RESULT, NULL, 0, NULL);
    s = text ? cJSON_Parse(text) : NULL;
    int missing = 0, keys = 0;
    for (const cJSON *c = doc ? doc->child : NULL; c; c = c->next, keys++)
        missing += get(get(s, "properties"), c->string) == NULL;
    CHECK(keys == 8 && missing == 0, "all %d result keys are in the schema", keys);
    const cJSON *trip = get(get(s, "$defs"), "TripResult");
    CHECK(get(get(trip, "properties"), "strandedAt") != NULL, "TripResult has strandedAt");
    cJSON_Delete(doc);
    cJSON_Delete(s);
    free(text);
    free(enc);
    fsim_arena_free(arena);

    text = fsim_wire_schema(FSIM_WIRE_SIMULATION_PAGE, "#/components/schemas/", 0, NULL);
    s = text ? cJSON_Parse(text) : NULL;
    const cJSON *cursor = get(get(s, "properties"), "nextCursor");
    bool cursor_required = false;
    for (const cJSON *c = get(s, "required") ? get(s, "required")->child : NULL; c; c = c->next)
        cursor_required |= strcmp(c->valuestring, "nextCursor") == 0;
    CHECK(cursor_required && cJSON_GetArraySize(get(cursor, "type")) == 2 &&
              strcmp(cJSON_GetStringValue(cJSON_GetArrayItem(get(cursor, "type"), 1)), "null") ==
                  0,
          "SimulationPage: nextCursor required, string or null");
    CHECK_STR(cJSON_GetStringValue(get(get(get(s, "properties"), "items"), "items") ?
                                       get(get(get(get(s, "properties"), "items"), "items"),
                                           "$ref")
                                                                                     : NULL),
              "#/components/schemas/JobStatus", "SimulationPage: items are JobStatus");
    cJSON_Delete(s);
    free(text);
}

static void test_enums_and_helpers(void)
{
    fsim_run_status st = FSIM_RUN_QUEUED;
    CHECK(fsim_run_status_parse("cancelled", &st) && st == FSIM_RUN_CANCELLED,
          "run status parses");
    CHECK(!fsim_run_status_parse("Cancelled", &st) && st == FSIM_RUN_CANCELLED,
          "enum strings are case-sensitive; the value is untouched on failure");
    CHECK_STR(fsim_strategy_name(FSIM_STRAT_PEAK_SHAVING), "peak_shaving", "strategy name");
    CHECK_STR(fsim_trip_status_name(FSIM_TRIP_STRANDED), "stranded", "trip status name");
    CHECK_STR(fsim_job_mode_name((fsim_job_mode)9), "?", "out of range name");
    fsim_job_mode mode;
    CHECK(fsim_job_mode_parse("gcs", &mode) && mode == FSIM_MODE_GCS, "mode parses");
    CHECK(fsim_wire_hhmm_minutes("23:59") == 1439 && fsim_wire_hhmm_minutes("00:00") == 0 &&
              fsim_wire_hhmm_minutes("24:00") == -1 && fsim_wire_hhmm_minutes("7:00") == -1 &&
              fsim_wire_hhmm_minutes("07:60") == -1,
          "HH:MM helper");
    CHECK_STR(fsim_wire_type_name(FSIM_WIRE_RESULT), "SimulationResult", "type names");
    CHECK(fsim_wire_type_size(FSIM_WIRE_REQUEST) == sizeof(fsim_request), "type sizes");
}

struct csv_text {
    char text[4096];
    size_t len;
    int chunks;
};

static bool csv_collect(void *user, const char *data, size_t len)
{
    struct csv_text *c = user;
    if (c->len + len >= sizeof c->text)
        return false;
    memcpy(c->text + c->len, data, len);
    c->len += len;
    c->text[c->len] = '\0';
    c->chunks++;
    return true;
}

static bool csv_refuse(void *user, const char *data, size_t len)
{
    (void)user, (void)data, (void)len;
    return false;
}

/* The CSV view: columns named after the contract's keys, times in UTC and in the depot's
 * local time, nested objects flattened, quoting and absent values. */
static void test_csv(void)
{
    fsim_lonlat where = {.lon = -79.95, .lat = 40.44};
    fsim_trip_result trips[3] = {
        {.vehicle_id = "van-1", .route_id = "loop", .depart = 1767618000, .has_arrive = true,
         .arrive = 1767625200, .distance_km = 60, .energy_kwh = 20.5, .kwh_per_km = 0.341667,
         .start_soc = 0.9, .end_soc = 0.55, .status = FSIM_TRIP_COMPLETED, .depot = "north"},
        {.vehicle_id = "van, \"2\"", .route_id = "loop", .depart = 1767618000,
         .distance_km = 3.25, .energy_kwh = 7, .kwh_per_km = 2.153846, .start_soc = 0.1,
         .end_soc = 0, .status = FSIM_TRIP_STRANDED, .stranded_at = &where, .depot = "east"},
        {.vehicle_id = "van-3", .route_id = "loop", .depart = 1767618000,
         .status = FSIM_TRIP_MISSED, .depot = "nowhere"},
    };
    fsim_depot_summary depots[2] = {{.id = "north", .utc_offset_minutes = -300},
                                    {.id = "east", .utc_offset_minutes = 60}};
    struct csv_text c = {0};
    fsim_error err;
    CHECK(fsim_wire_csv_write(FSIM_WIRE_TRIP_RESULT, trips, 3, depots, 2, csv_collect, &c,
                              &err) == FSIM_OK, "csv: trips written");
    const char *expected =
        "vehicle_id,route_id,depart,depart_local,arrive,arrive_local,distance_km,energy_kwh,"
        "kwh_per_km,start_soc,end_soc,status,stranded_at_lon,stranded_at_lat,depot\n"
        "van-1,loop,2026-01-05T13:00:00Z,2026-01-05T08:00:00-05:00,2026-01-05T15:00:00Z,"
        "2026-01-05T10:00:00-05:00,60,20.5,0.341667,0.9,0.55,completed,,,north\n"
        "\"van, \"\"2\"\"\",loop,2026-01-05T13:00:00Z,2026-01-05T14:00:00+01:00,,,3.25,7,"
        "2.153846,0.1,0,stranded,-79.95,40.44,east\n"
        "van-3,loop,2026-01-05T13:00:00Z,,,,0,0,0,0,0,missed,,,nowhere\n";
    CHECK_STR(c.text, expected, "csv: header from the contract's keys; each time in UTC and "
                                "its depot's local time; a quoted id; an unknown depot leaves "
                                "the local time empty");
    struct csv_text none = {0};
    CHECK(fsim_wire_csv_write(FSIM_WIRE_TRIP_RESULT, trips, 1, NULL, 0, csv_collect, &none,
                              &err) == FSIM_OK &&
              strstr(none.text, "2026-01-05T13:00:00Z,,2026-01-05T15:00:00Z,,") != NULL,
          "csv: without depots the local columns are empty");
    fsim_vehicle_summary v = {.vehicle_id = "van-1", .type = "cargo-van", .depot = "north",
                              .trips_completed = 14, .min_soc = 0.25, .end_soc = 0.8,
                              .distance_km = 840, .energy_used_kwh = 250.5,
                              .charged_energy_kwh = 240, .sessions = 7, .wait_seconds = 90};
    struct csv_text vc = {0};
    CHECK(fsim_wire_csv_write(FSIM_WIRE_VEHICLE_SUMMARY, &v, 1, depots, 2, csv_collect, &vc,
                              &err) == FSIM_OK, "csv: vehicles written");
    CHECK_STR(vc.text,
              "vehicle_id,type,depot,trips_completed,trips_missed,trips_stranded,min_soc,"
              "end_soc,distance_km,energy_used_kwh,charged_energy_kwh,sessions,wait_seconds\n"
              "van-1,cargo-van,north,14,0,0,0.25,0.8,840,250.5,240,7,90\n",
              "csv: vehicles.csv's columns are VehicleSummary's");
    struct csv_text refused = {0};
    CHECK(fsim_wire_csv_write(FSIM_WIRE_TRIP_RESULT, trips, 3, NULL, 0, csv_refuse, &refused,
                              &err) == FSIM_IO, "csv: a refusing writer is FSIM_IO");
}

/* A growable text for the row writer's tests (results larger than csv_text). */
struct big_text {
    char *text;
    size_t len;
};

static bool big_collect(void *user, const char *data, size_t len)
{
    struct big_text *b = user;
    char *grown = realloc(b->text, b->len + len + 1);
    if (!grown)
        return false;
    b->text = grown;
    memcpy(b->text + b->len, data, len);
    b->len += len;
    b->text[b->len] = '\0';
    return true;
}

/* The encoder's JSON of `n` trips as an array's items: what the row writer must equal. */
static char *encoded_items(const fsim_trip_result *trips, size_t n)
{
    struct big_text all = {0};
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *one = fsim_wire_encode(FSIM_WIRE_TRIP_RESULT, &trips[i], 0, &len);
        if (!one || (i && !big_collect(&all, ",", 1)) || !big_collect(&all, one, len)) {
            free(one);
            free(all.text);
            return NULL;
        }
        free(one);
    }
    return all.text;
}

/* The row writer makes the CSV table and the JSON items in one walk, and rows formatted
 * in batches apart (as the streaming sink's threads do) give the same bytes: strings that
 * need escaping or quoting (control bytes, quotes, commas, line breaks, a string past the
 * CSV's 4096-byte cut), absent and nested values. */
static void test_rows_writer(void)
{
    static char long_id[40000]; /* its JSON outgrows the room made for a row */
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[4500] = ','; /* past the CSV's cut: the cell is not quoted for it */
    fsim_lonlat where = {.lon = -79.95, .lat = 40.44};
    fsim_trip_result trips[6] = {
        {.vehicle_id = "van-1", .route_id = "loop", .depart = 1767618000, .has_arrive = true,
         .arrive = 1767625200, .distance_km = 60, .energy_kwh = 20.5, .kwh_per_km = 0.341667,
         .start_soc = 0.9, .end_soc = 0.55, .status = FSIM_TRIP_COMPLETED, .depot = "north"},
        {.vehicle_id = "van, \"2\"\\\t\x01", .route_id = "line\nbreak", .depart = 1767618000,
         .distance_km = 3.25, .energy_kwh = 7, .kwh_per_km = 2.153846, .start_soc = 0.1,
         .end_soc = 0, .status = FSIM_TRIP_STRANDED, .stranded_at = &where, .depot = "east"},
        {.vehicle_id = "van-3", .route_id = "cr\rloop", .depart = 1767618000.5,
         .status = FSIM_TRIP_MISSED},
        {.vehicle_id = long_id, .route_id = "a-route-id-of-thirty-two-bytes!!", .depart = -1,
         .distance_km = 1e-7, .energy_kwh = -1.5e300, .kwh_per_km = 1.0 / 3,
         .status = FSIM_TRIP_COMPLETED, .depot = "north"},
        {.vehicle_id = "v\xc3\xa9hicule", .route_id = "loop", .depart = 253402300800.0,
         .status = (fsim_trip_status)99, .depot = "east"},
        /* a quote, a comma only in the last bytes (past the last whole word of eight) */
        {.vehicle_id = "0123456789abcd\"", .route_id = "0123456789abcde,", .depart = 1767618000,
         .depot = "north"},
    };
    fsim_depot_summary depots[2] = {{.id = "north", .utc_offset_minutes = -300},
                                    {.id = "east", .utc_offset_minutes = 330}};
    fsim_error err;
    struct big_text csv = {0}, json = {0}, csv_once = {0};
    fsim_wire_rows *w;
    CHECK(fsim_wire_rows_new(FSIM_WIRE_TRIP_RESULT, depots, 2, big_collect, &csv, big_collect,
                             &json, &w, &err) == FSIM_OK, "rows: writer made");
    for (size_t i = 0; i < 6; i++)
        fsim_wire_rows_add(w, &trips[i]);
    CHECK(fsim_wire_rows_finish(w, &err) == FSIM_OK, "rows: written");
    CHECK(fsim_wire_csv_write(FSIM_WIRE_TRIP_RESULT, trips, 6, depots, 2, big_collect,
                              &csv_once, &err) == FSIM_OK, "rows: csv alone written");
    char *items = encoded_items(trips, 6);
    CHECK(items && json.text && strcmp(json.text, items) == 0,
          "rows: the JSON items are the encoder's, byte for byte");
    CHECK(csv.text && csv_once.text && strcmp(csv.text, csv_once.text) == 0,
          "rows: the CSV made beside the JSON is the CSV made alone");
    CHECK(csv.text && strstr(csv.text, "\"van, \"\"2\"\"\\\t\x01\",\"line\nbreak\",") &&
              strstr(csv.text, "\"cr\rloop\"") && strstr(csv.text, "\nxxxx") &&
              strstr(csv.text, "2026-01-05T18:30:00+05:30,,,3.25"),
          "rows: quotes doubled, a line break or CR quoted, a long id unquoted, local times");
    CHECK(csv.text && strstr(csv.text, "\n\"0123456789abcd\"\"\",\"0123456789abcde,\",") &&
              json.text && strstr(json.text, "\"0123456789abcd\\\"\""),
          "rows: a quote or a comma in a string's last bytes is seen");

    /* the same rows formatted in two batches apart, then put in order */
    struct big_text bcsv = {0}, bjson = {0};
    fsim_wire_rows_text *t1 = fsim_wire_rows_text_new(), *t2 = fsim_wire_rows_text_new();
    CHECK(fsim_wire_rows_new(FSIM_WIRE_TRIP_RESULT, depots, 2, big_collect, &bcsv, big_collect,
                             &bjson, &w, &err) == FSIM_OK &&
              t1 && t2 && fsim_wire_rows_format(w, &trips[4], 2, sizeof *trips, t2) &&
              fsim_wire_rows_format(w, trips, 4, sizeof *trips, t1) &&
              fsim_wire_rows_put(w, t1) && fsim_wire_rows_put(w, t2) &&
              fsim_wire_rows_finish(w, &err) == FSIM_OK,
          "rows: batches formatted out of order and put in order");
    CHECK(bcsv.text && bjson.text && csv.text && json.text && strcmp(bcsv.text, csv.text) == 0 &&
              strcmp(bjson.text, json.text) == 0,
          "rows: batches give the bytes of rows added one by one");
    fsim_wire_rows_text_free(t1);
    fsim_wire_rows_text_free(t2);
    CHECK(fsim_wire_rows_new(FSIM_WIRE_RESULT, NULL, 0, NULL, NULL, big_collect, &json, &w,
                             &err) == FSIM_USAGE && !w,
          "rows: a type with arrays has no JSON row writer");
    free(items);
    free(csv.text), free(json.text), free(csv_once.text), free(bcsv.text), free(bjson.text);
}

int main(void)
{
    const char *d = getenv("FSIM_TEST_DATA");
    snprintf(data_dir, sizeof data_dir, "%s", d ? d : "tests/data");
    test_round_trips();
    test_page_cursor_null();
    test_demo_values();
    test_bad_cases();
    test_all_problems();
    test_generated_bad();
    test_error_text();
    test_flags_and_nulls();
    test_built_in_c();
    test_overrides_canonical();
    test_large_stream();
    test_schema();
    test_enums_and_helpers();
    test_csv();
    test_rows_writer();
    return check_done();
}
