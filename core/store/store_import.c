/* CSV importers: `fleetsim import vins|state-data|simulation FILE.csv`.
 *
 * One pass over the file with libcsv (RFC 4180: quotes, embedded commas, quotes and
 * newlines, CRLF; a UTF-8 BOM is skipped). The header maps names (case-insensitive, any
 * order) to the kind's columns; every row is validated with its line number. vins and
 * state-data stream the validated rows into COPY … FROM STDIN of a temporary staging table
 * inside ONE transaction, then one INSERT … SELECT … ON CONFLICT DO UPDATE upserts them and
 * counts inserted / updated / unchanged; a bad row aborts the COPY, so nothing is written.
 * simulation builds one SimulationResult (status imported) and stores it through the codec. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>

#include <fleetsim/util.h>

#include "store_internal.h"

/* ---- Validation helpers -------------------------------------------------------------------- */

static int vin_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    static const char letters[] = "ABCDEFGHJKLMNPRSTUVWXYZ";
    static const int values[] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5,
                                 7, 9, 2, 3, 4, 5, 6, 7, 8, 9};
    const char *p = ch ? strchr(letters, ch) : NULL;
    return p ? values[p - letters] : -1;
}

const char *fsim_vin_problem(const char *vin)
{
    static const int weights[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
    if (strlen(vin) != 17)
        return "must have 17 characters";
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int v = vin_value(vin[i]);
        if (v < 0)
            return "may hold only 0-9 and A-Z except I, O and Q";
        sum += v * weights[i];
    }
    int check = sum % 11;
    char want = check == 10 ? 'X' : (char)('0' + check);
    if (vin[8] != want)
        return "check digit (9th character) does not match";
    return NULL;
}

static bool is_state_code(const char *s)
{
    static const char codes[] =
        "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE "
        "NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP ";
    if (strlen(s) != 2)
        return false;
    for (const char *p = codes; *p; p += 3)
        if (p[0] == s[0] && p[1] == s[1])
            return true;
    return false;
}

/* Decimal number only (strtod also takes hex, inf and nan: not here). */
static bool parse_number(const char *s, double *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
        return false;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q) && *q != '.' && *q != 'e' && *q != 'E' && *q != '+' &&
            *q != '-')
            return false;
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool is_ident(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20)
            return false;
    return true;
}

/* ---- A string set (key → first line), for duplicates and distinct fleets -------------------- */

typedef struct strset {
    fsim_arena *arena;
    char **keys;
    long *lines;
    size_t cap;
    size_t n;
} strset;

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* Adds key; returns 0 when added, else the line it was first seen on (-1: out of memory). */
static long strset_add(strset *set, const char *key, long line)
{
    if ((set->n + 1) * 2 > set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 1024;
        char **keys = calloc(cap, sizeof *keys);
        long *lines = calloc(cap, sizeof *lines);
        if (!keys || !lines) {
            free(keys);
            free(lines);
            return -1;
        }
        for (size_t i = 0; i < set->cap; i++) {
            if (!set->keys[i])
                continue;
            size_t j = hash_str(set->keys[i]) & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = set->keys[i];
            lines[j] = set->lines[i];
        }
        free(set->keys);
        free(set->lines);
        set->keys = keys;
        set->lines = lines;
        set->cap = cap;
    }
    size_t j = hash_str(key) & (set->cap - 1);
    while (set->keys[j]) {
        if (strcmp(set->keys[j], key) == 0)
            return set->lines[j];
        j = (j + 1) & (set->cap - 1);
    }
    set->keys[j] = fsim_arena_strdup(set->arena, key);
    if (!set->keys[j])
        return -1;
    set->lines[j] = line;
    set->n++;
    return 0;
}

static void strset_release(strset *set)
{
    free(set->keys);
    free(set->lines);
    memset(set, 0, sizeof *set);
}

/* ---- Column specifications --------------------------------------------------------------------- */

enum col_type { C_VIN, C_FLEET, C_VTYPE, C_IDENT, C_TEXT, C_INT, C_NUM, C_STATE, C_TIME };

typedef struct col_spec {
    const char *name;
    bool required;
    enum col_type type;
    double lo, hi;
} col_spec;

#define MAX_COLS 12

static const col_spec vins_cols[] = {
    {"vin", true, C_VIN, 0, 0},         {"fleet", true, C_FLEET, 0, 0},
    {"vehicle_type", true, C_VTYPE, 0, 0}, {"depot", true, C_IDENT, 0, 0},
    {"make", false, C_TEXT, 0, 0},      {"model", false, C_TEXT, 0, 0},
    {"model_year", false, C_INT, 1900, 2200},
};
static const col_spec state_cols[] = {
    {"state_code", true, C_STATE, 0, 0},
    {"electricity_usd_per_kwh", true, C_NUM, 0, 100},
    {"grid_co2_g_per_kwh", true, C_NUM, 0, 5000},
    {"gasoline_usd_per_gallon", true, C_NUM, 0, 100},
    {"diesel_usd_per_gallon", false, C_NUM, 0, 100},
};
static const col_spec sim_cols[] = {
    {"t", true, C_TIME, 0, 0},          {"depot", true, C_IDENT, 0, 0},
    {"load_kw", true, C_NUM, 0, 1e9},   {"charging", false, C_INT, 0, 2e9},
    {"driving", false, C_INT, 0, 2e9},  {"waiting", false, C_INT, 0, 2e9},
    {"mean_soc", false, C_NUM, 0, 1},   {"min_soc", false, C_NUM, 0, 1},
    {"energy_kwh", false, C_NUM, 0, 1e12},
};

/* ---- The parser state -------------------------------------------------------------------------- */

typedef struct import_state import_state;
/* Called with each validated row: values[i] is column i of the spec (NULL when absent/empty),
 * numbers[i] its parsed value. */
typedef fsim_status (*row_fn)(import_state *s, const char *const *values, const double *numbers);

struct import_state {
    const fsim_import_options *o;
    fsim_error *err;
    fsim_status st;
    fsim_arena *arena;
    const col_spec *cols;
    size_t n_cols;
    row_fn on_row;
    /* header: position in the file of each spec column, -1 when absent */
    bool have_header;
    int pos_of[MAX_COLS];
    size_t n_header;
    /* the row being read */
    char *buf;
    size_t len, cap;
    size_t *offs;
    size_t n_fields, cap_fields;
    long line;        /* line the current row starts on */
    long extra_lines; /* newlines inside its quoted fields */
    bool prev_cr;
    long rows;
    /* sinks */
    fsim__conn *conn;
    char *copy;
    size_t copy_len, copy_cap;
    strset keys;
    strset fleets;
    /* simulation */
    fsim_time_series_point *points;
    size_t n_points, cap_points;
    bool has_col[MAX_COLS];
};

static fsim_status row_error(import_state *s, long line, const char *column, const char *fmt,
                             ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* FILE.csv:LINE: column: message */
static fsim_status row_error(import_state *s, long line, const char *column, const char *fmt,
                             ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->st = fsim_error_set(s->err, FSIM_INVALID, s->o->path, (int)line, 0, column, "%s", msg);
    return s->st;
}

static void on_field(void *data, size_t len, void *user)
{
    import_state *s = user;
    if (s->st != FSIM_OK)
        return;
    if (s->n_fields == s->cap_fields) {
        s->cap_fields = s->cap_fields ? s->cap_fields * 2 : 16;
        s->offs = realloc(s->offs, s->cap_fields * sizeof *s->offs);
    }
    if (s->len + len + 1 > s->cap) {
        while (s->len + len + 1 > s->cap)
            s->cap = s->cap ? s->cap * 2 : 4096;
        s->buf = realloc(s->buf, s->cap);
    }
    if (!s->offs || !s->buf) {
        s->st = fsim_error_set(s->err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        return;
    }
    s->offs[s->n_fields++] = s->len;
    if (len)
        memcpy(s->buf + s->len, data, len);
    for (size_t i = 0; i < len; i++)
        if (((const char *)data)[i] == '\n')
            s->extra_lines++;
    s->len += len;
    s->buf[s->len++] = '\0';
}

static void on_header(import_state *s)
{
    for (size_t i = 0; i < s->n_cols; i++)
        s->pos_of[i] = -1;
    s->n_header = s->n_fields;
    for (size_t f = 0; f < s->n_fields; f++) {
        char *name = s->buf + s->offs[f];
        for (char *p = name; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        size_t i;
        for (i = 0; i < s->n_cols; i++)
            if (strcmp(s->cols[i].name, name) == 0)
                break;
        if (i == s->n_cols) {
            if (s->o->ignore_unknown_columns)
                continue;
            char expected[400] = "";
            for (size_t k = 0; k < s->n_cols; k++)
                snprintf(expected + strlen(expected), sizeof expected - strlen(expected), "%s%s",
                         k ? ", " : "", s->cols[k].name);
            row_error(s, s->line, name[0] ? name : "(empty)",
                      "unknown column (expected: %s; or use --ignore-unknown-columns)", expected);
            return;
        }
        if (s->pos_of[i] >= 0) {
            row_error(s, s->line, name, "%s", "column appears twice in the header");
            return;
        }
        s->pos_of[i] = (int)f;
        s->has_col[i] = true;
    }
    for (size_t i = 0; i < s->n_cols; i++)
        if (s->cols[i].required && s->pos_of[i] < 0) {
            row_error(s, s->line, s->cols[i].name, "%s", "missing column");
            return;
        }
    s->have_header = true;
}

static void on_data_row(import_state *s)
{
    if (s->n_fields != s->n_header) {
        char msg[80];
        snprintf(msg, sizeof msg, "row has %zu fields, the header has %zu", s->n_fields,
                 s->n_header);
        row_error(s, s->line, NULL, "%s", msg);
        return;
    }
    const char *values[MAX_COLS];
    double numbers[MAX_COLS];
    for (size_t i = 0; i < s->n_cols; i++) {
        const col_spec *c = &s->cols[i];
        values[i] = NULL;
        numbers[i] = 0;
        if (s->pos_of[i] < 0)
            continue;
        char *v = s->buf + s->offs[s->pos_of[i]];
        if (!*v) {
            if (c->required) {
                row_error(s, s->line, c->name, "%s", "is required");
                return;
            }
            continue;
        }
        const char *problem = NULL;
        switch (c->type) {
        case C_VIN:
            for (char *p = v; *p; p++)
                *p = (char)toupper((unsigned char)*p);
            problem = fsim_vin_problem(v);
            break;
        case C_STATE:
            for (char *p = v; *p; p++)
                *p = (char)toupper((unsigned char)*p);
            if (!is_state_code(v))
                problem = "must be a US state or territory code such as CA";
            break;
        case C_FLEET:
            if (strlen(v) > 200)
                problem = "a fleet name or uuid has at most 200 bytes";
            break;
        case C_VTYPE:
            if (!is_ident(v))
                problem = "must have 1 to 64 characters";
            else if (s->o->config && !fsim_config_vehicle(s->o->config, v))
                problem = "is not a vehicle type of the config (vehicles.yaml)";
            break;
        case C_IDENT:
            if (!is_ident(v))
                problem = "must have 1 to 64 characters";
            break;
        case C_TEXT:
            if (strlen(v) > 200)
                problem = "has more than 200 bytes";
            break;
        case C_INT:
        case C_NUM:
            if (!parse_number(v, &numbers[i]))
                problem = "must be a number";
            else if (c->type == C_INT && numbers[i] != floor(numbers[i]))
                problem = "must be a whole number";
            else if (numbers[i] < c->lo || numbers[i] > c->hi) {
                char msg[120], lo[FSIM_NUMBER_BUF], hi[FSIM_NUMBER_BUF];
                snprintf(msg, sizeof msg, "must be between %s and %s",
                         fsim_format_double(c->lo, lo), fsim_format_double(c->hi, hi));
                row_error(s, s->line, c->name, "%s", msg);
                return;
            }
            break;
        case C_TIME:
            if (!fsim_time_parse(v, &numbers[i]))
                problem = "must be an RFC 3339 date-time such as 2026-01-05T00:00:00Z";
            break;
        }
        if (problem) {
            row_error(s, s->line, c->name, "%s", problem);
            return;
        }
        values[i] = v;
    }
    s->rows++;
    s->on_row(s, values, numbers);
}

static void on_row_end(int c, void *user)
{
    import_state *s = user;
    if (s->st == FSIM_OK) {
        if (s->n_fields == 0) {
            /* an empty record: a blank line, or the LF of a CRLF */
            if (!(c == '\n' && s->prev_cr))
                s->line++;
            s->prev_cr = c == '\r';
            return;
        }
        if (!s->have_header)
            on_header(s);
        else
            on_data_row(s);
    }
    s->line += 1 + s->extra_lines;
    s->extra_lines = 0;
    s->prev_cr = c == '\r';
    s->n_fields = 0;
    s->len = 0;
}

/* Parses the whole file, calling on_row for every valid row; stops at the first error. */
static fsim_status parse_file(import_state *s)
{
    FILE *f = fopen(s->o->path, "rb");
    if (!f)
        return s->st = fsim_error_set(s->err, FSIM_NOT_FOUND, s->o->path, 0, 0, NULL,
                                      "could not open the file");
    struct csv_parser p;
    csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL);
    static char chunk[1 << 16];
    size_t n;
    bool first = true;
    s->line = 1;
    while (s->st == FSIM_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        const char *data = chunk;
        if (first && n >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
            data += 3;
            n -= 3;
        }
        first = false;
        if (csv_parse(&p, data, n, on_field, on_row_end, s) != n && s->st == FSIM_OK)
            row_error(s, s->line + s->extra_lines, NULL, "malformed CSV: %s",
                      csv_strerror(csv_error(&p)));
    }
    if (s->st == FSIM_OK && ferror(f))
        row_error(s, s->line, NULL, "%s", "could not read the file");
    if (s->st == FSIM_OK && csv_fini(&p, on_field, on_row_end, s) != 0)
        row_error(s, s->line, NULL, "malformed CSV: %s (an unterminated quote?)",
                  csv_strerror(csv_error(&p)));
    csv_free(&p);
    fclose(f);
    if (s->st == FSIM_OK && !s->have_header)
        row_error(s, 1, NULL, "%s", "the file is empty: a header row is required");
    else if (s->st == FSIM_OK && s->rows == 0) /* nothing to import is a mistake, not a no-op */
        row_error(s, 0, NULL, "%s", "no data rows: the file has a header and nothing else");
    return s->st;
}

/* ---- COPY sink (vins, state-data) ----------------------------------------------------------------- */

static bool copy_flush(import_state *s)
{
    if (s->copy_len && s->conn && PQputCopyData(s->conn->pg, s->copy, (int)s->copy_len) != 1) {
        fsim__fail_result(s->conn, NULL, "send rows to the database", s->err);
        s->st = FSIM_IO;
        return false;
    }
    s->copy_len = 0;
    return true;
}

/* Appends one COPY text field (escaped; NULL as \N) and the separator. */
static void copy_field(import_state *s, const char *v, bool last)
{
    size_t need = (v ? strlen(v) * 2 : 2) + 2;
    if (s->copy_len + need > s->copy_cap) {
        if (!copy_flush(s))
            return;
        if (need > s->copy_cap) {
            s->copy_cap = need + (1 << 16);
            s->copy = realloc(s->copy, s->copy_cap);
        }
    }
    char *o = s->copy + s->copy_len;
    if (!v) {
        *o++ = '\\';
        *o++ = 'N';
    } else {
        for (const char *p = v; *p; p++) {
            switch (*p) {
            case '\\': *o++ = '\\'; *o++ = '\\'; break;
            case '\t': *o++ = '\\'; *o++ = 't'; break;
            case '\n': *o++ = '\\'; *o++ = 'n'; break;
            case '\r': *o++ = '\\'; *o++ = 'r'; break;
            default: *o++ = *p;
            }
        }
    }
    *o++ = last ? '\n' : '\t';
    s->copy_len = (size_t)(o - s->copy);
}

static fsim_status dup_check(import_state *s, const char *key, const char *column)
{
    long first = strset_add(&s->keys, key, s->line);
    if (first < 0)
        return s->st = fsim_error_set(s->err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    if (first > 0) {
        char msg[64];
        snprintf(msg, sizeof msg, "duplicate of line %ld", first);
        return row_error(s, s->line, column, "%s", msg);
    }
    return FSIM_OK;
}

static fsim_status vins_row(import_state *s, const char *const *v, const double *num)
{
    (void)num;
    if (dup_check(s, v[0], "vin") != FSIM_OK)
        return s->st;
    if (strset_add(&s->fleets, v[1], s->line) < 0)
        return s->st = fsim_error_set(s->err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    char line[24], year[24];
    snprintf(line, sizeof line, "%ld", s->line);
    if (v[6])
        snprintf(year, sizeof year, "%.0f", num[6]);
    copy_field(s, line, false);
    for (int i = 0; i < 6; i++)
        copy_field(s, v[i], false);
    copy_field(s, v[6] ? year : NULL, true);
    return s->st;
}

static fsim_status state_row(import_state *s, const char *const *v, const double *num)
{
    if (dup_check(s, v[0], "state_code") != FSIM_OK)
        return s->st;
    char line[24], b[4][FSIM_NUMBER_BUF];
    snprintf(line, sizeof line, "%ld", s->line);
    copy_field(s, line, false);
    copy_field(s, v[0], false);
    for (int i = 1; i <= 4; i++)
        copy_field(s, v[i] ? fsim_format_double(num[i], b[i - 1]) : NULL, i == 4);
    return s->st;
}

/* A dry run's row: checked as an import checks it, duplicates included, nothing copied. */
static fsim_status dry_row(import_state *s, const char *const *v, const double *num)
{
    (void)num;
    return dup_check(s, v[0], s->o->kind == FSIM_IMPORT_VINS ? "vin" : "state_code");
}

static const char vins_stage_sql[] =
    "CREATE TEMP TABLE fsim_stage (line bigint, vin text, fleet text, vehicle_type text,"
    " depot text, make text, model text, model_year integer) ON COMMIT DROP;"
    "CREATE TEMP TABLE fsim_fleet_map (key text PRIMARY KEY, id uuid NOT NULL) ON COMMIT DROP";
static const char vins_upsert_sql[] =
    "WITH up AS (INSERT INTO vehicles AS v (fleet_id, vin, vehicle_type, depot, make, model,"
    " model_year)"
    " SELECT m.id, s.vin, s.vehicle_type, s.depot, s.make, s.model, s.model_year"
    " FROM fsim_stage s JOIN fsim_fleet_map m ON m.key = s.fleet ORDER BY s.vin"
    " ON CONFLICT (vin) DO UPDATE SET fleet_id = EXCLUDED.fleet_id,"
    " vehicle_type = EXCLUDED.vehicle_type, depot = EXCLUDED.depot, make = EXCLUDED.make,"
    " model = EXCLUDED.model, model_year = EXCLUDED.model_year"
    " WHERE (v.fleet_id, v.vehicle_type, v.depot, v.make, v.model, v.model_year)"
    " IS DISTINCT FROM (EXCLUDED.fleet_id, EXCLUDED.vehicle_type, EXCLUDED.depot,"
    " EXCLUDED.make, EXCLUDED.model, EXCLUDED.model_year)"
    " RETURNING (xmax = 0) AS inserted)"
    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up";

static const char state_stage_sql[] =
    "CREATE TEMP TABLE fsim_stage (line bigint, state_code text, e float8, co2 float8,"
    " gas float8, diesel float8) ON COMMIT DROP";
static const char state_upsert_sql[] =
    "WITH up AS (INSERT INTO state_data AS d (state_code, electricity_usd_per_kwh,"
    " grid_co2_g_per_kwh, gasoline_usd_per_gallon, diesel_usd_per_gallon)"
    " SELECT state_code, e, co2, gas, diesel FROM fsim_stage ORDER BY state_code"
    " ON CONFLICT (state_code) DO UPDATE SET"
    " electricity_usd_per_kwh = EXCLUDED.electricity_usd_per_kwh,"
    " grid_co2_g_per_kwh = EXCLUDED.grid_co2_g_per_kwh,"
    " gasoline_usd_per_gallon = EXCLUDED.gasoline_usd_per_gallon,"
    " diesel_usd_per_gallon = EXCLUDED.diesel_usd_per_gallon"
    " WHERE (d.electricity_usd_per_kwh, d.grid_co2_g_per_kwh, d.gasoline_usd_per_gallon,"
    " d.diesel_usd_per_gallon) IS DISTINCT FROM (EXCLUDED.electricity_usd_per_kwh,"
    " EXCLUDED.grid_co2_g_per_kwh, EXCLUDED.gasoline_usd_per_gallon,"
    " EXCLUDED.diesel_usd_per_gallon)"
    " RETURNING (xmax = 0) AS inserted)"
    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up";

typedef struct import_ctx {
    const fsim_import_options *o;
    fsim_import_report *report;
    /* simulation */
    const char *result_json;
    const fsim_result *result;
} import_ctx;

static void reset_state(import_state *s, const fsim_import_options *o, fsim_error *err)
{
    fsim_arena *arena = s->arena;
    strset_release(&s->keys);
    strset_release(&s->fleets);
    fsim_arena_free(arena);
    free(s->buf);
    free(s->offs);
    free(s->copy);
    memset(s, 0, sizeof *s);
    s->o = o;
    s->err = err;
    if (o) {
        s->arena = fsim_arena_new();
        s->keys.arena = s->arena;
        s->fleets.arena = s->arena;
    }
}

/* After the COPY: every distinct fleet value becomes a row of fsim_fleet_map — a uuid must
 * name an existing fleet (else the line of its first use is the error), a name is created
 * when new. */
static fsim_status map_fleets(import_state *s)
{
    for (size_t i = 0; i < s->fleets.cap; i++) {
        const char *key = s->fleets.keys[i];
        if (!key)
            continue;
        long line = s->fleets.lines[i];
        PGresult *r;
        if (fsim_uuid_valid(key)) {
            const char *p[] = {key};
            r = fsim__exec(s->conn, "INSERT INTO fsim_fleet_map SELECT $1, id FROM fleets"
                                    " WHERE id = $1::text::uuid RETURNING id", 1, p,
                           "look up a fleet", s->err);
            if (r && PQntuples(r) == 0) {
                PQclear(r);
                return row_error(s, line, "fleet", "fleet \"%s\" does not exist", key);
            }
        } else {
            const char *p[] = {key};
            r = fsim__exec(s->conn,
                           "WITH ins AS (INSERT INTO fleets (name) VALUES ($1)"
                           " ON CONFLICT (name) DO NOTHING RETURNING id)"
                           " INSERT INTO fsim_fleet_map SELECT $1, id FROM"
                           " (SELECT id FROM ins UNION ALL SELECT id FROM fleets WHERE name = $1)"
                           " x LIMIT 1 RETURNING id", 1, p, "create a fleet", s->err);
            if (r && PQntuples(r) == 0) { /* created by a concurrent import just now */
                PQclear(r);
                s->conn->transient = true;
                return s->st = fsim_error_set(s->err, FSIM_IO, "database", 0, 0, NULL,
                                              "could not resolve fleet \"%s\"", key);
            }
        }
        if (!r)
            return s->st = FSIM_IO;
        PQclear(r);
    }
    return FSIM_OK;
}

static fsim_status copy_import_op(fsim__conn *c, void *v, fsim_error *err)
{
    import_ctx *ctx = v;
    const fsim_import_options *o = ctx->o;
    import_state s = {0};
    reset_state(&s, o, err);
    bool vins = o->kind == FSIM_IMPORT_VINS;
    s.cols = vins ? vins_cols : state_cols;
    s.n_cols = vins ? sizeof vins_cols / sizeof *vins_cols : sizeof state_cols / sizeof *state_cols;
    s.on_row = vins ? vins_row : state_row;
    s.conn = c;
    s.copy_cap = 1 << 16;
    s.copy = malloc(s.copy_cap);
    fsim_status st = FSIM_IO;
    if (!s.arena || !s.copy) {
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto out;
    }
    /* work_mem for this transaction only: the upsert sorts the staged rows by key and counts
     * its RETURNING rows; at the default 4 MB both spill to temporary files on disk for a
     * large file (a million VINs: ~100 MB), which made the import ~1.4x a raw COPY */
    if (!fsim__command(c, "BEGIN", "begin the import", err) ||
        !fsim__command(c, "SET LOCAL work_mem = '256MB'", "size the import's memory", err) ||
        !fsim__command(c, vins ? vins_stage_sql : state_stage_sql, "create the staging table",
                       err))
        goto out;
    PGresult *r = PQexec(c->pg, vins ? "COPY fsim_stage FROM STDIN" :
                                       "COPY fsim_stage FROM STDIN");
    if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
        fsim__fail_result(c, r, "start the COPY", err);
        PQclear(r);
        goto out;
    }
    PQclear(r);
    st = parse_file(&s);
    if (st == FSIM_OK)
        copy_flush(&s);
    st = s.st;
    if (PQputCopyEnd(c->pg, st == FSIM_OK ? NULL : "import aborted: bad row") != 1 &&
        st == FSIM_OK) {
        st = fsim__fail_result(c, NULL, "finish the COPY", err);
        goto out;
    }
    while ((r = PQgetResult(c->pg)) != NULL) {
        if (st == FSIM_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
            st = fsim__fail_result(c, r, "load the rows", err);
        PQclear(r);
    }
    if (st != FSIM_OK)
        goto out;
    if (vins && (st = map_fleets(&s)) != FSIM_OK)
        goto out;
    if (vins)
        fsim__command(c, "ANALYZE fsim_stage", "analyze the staging table", err);
    st = FSIM_IO;
    r = fsim__exec(c, vins ? vins_upsert_sql : state_upsert_sql, 0, NULL,
                   vins ? "upsert the vehicles" : "upsert the state data", err);
    if (!r)
        goto out;
    ctx->report->rows = s.rows;
    ctx->report->inserted = atol(PQgetvalue(r, 0, 0));
    ctx->report->updated = atol(PQgetvalue(r, 0, 1));
    ctx->report->unchanged = s.rows - ctx->report->inserted - ctx->report->updated;
    PQclear(r);
    if (fsim__command(c, "COMMIT", "commit the import", err))
        st = FSIM_OK;
out:
    reset_state(&s, NULL, NULL);
    return st;
}

/* ---- simulation ----------------------------------------------------------------------------------- */

static fsim_status sim_row(import_state *s, const char *const *v, const double *num)
{
    if (s->n_points == s->cap_points) {
        size_t cap = s->cap_points ? s->cap_points * 2 : 256;
        fsim_time_series_point *p = fsim_arena_calloc(s->arena, cap, sizeof *p);
        if (!p)
            return s->st = fsim_error_set(s->err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        if (s->n_points)
            memcpy(p, s->points, s->n_points * sizeof *p);
        s->points = p;
        s->cap_points = cap;
    }
    char key[128];
    snprintf(key, sizeof key, "%.0f|%s", round(num[0]), v[1]);
    if (dup_check(s, key, "t") != FSIM_OK)
        return s->st;
    fsim_time_series_point *p = &s->points[s->n_points++];
    p->t = round(num[0]);
    p->depot = fsim_arena_strdup(s->arena, v[1]);
    p->load_kw = num[2];
    p->charging = (int)num[3];
    p->driving = (int)num[4];
    p->waiting = (int)num[5];
    p->mean_soc = num[6];
    p->min_soc = num[7];
    p->energy_kwh = num[8];
    return s->st;
}

static int cmp_point(const void *a, const void *b)
{
    const fsim_time_series_point *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return strcmp(x->depot, y->depot);
}

/* The summary of an imported series: peak load, grid energy (per depot, cumulative),
 * lowest SoC; the counts a series cannot know stay 0. energy_kwh absent: integrated from
 * load_kw over the gap to the previous point of the same depot. */
static void summarize(import_state *s, fsim_result *res)
{
    qsort(s->points, s->n_points, sizeof *s->points, cmp_point);
    bool has_energy = s->has_col[8], has_min = s->has_col[7];
    const char *depots[256];
    double last_t[256], cum[256];
    size_t n_depots = 0;
    fsim_summary *sum = &res->summary;
    sum->min_soc = has_min ? 1 : 0;
    sum->feasible = true;
    for (size_t i = 0; i < s->n_points; i++) {
        fsim_time_series_point *p = &s->points[i];
        size_t d;
        for (d = 0; d < n_depots; d++)
            if (strcmp(depots[d], p->depot) == 0)
                break;
        if (d == n_depots && n_depots < 256) {
            depots[n_depots] = p->depot;
            last_t[n_depots] = p->t;
            cum[n_depots++] = 0;
        }
        if (d < 256) {
            if (!has_energy) {
                cum[d] += p->load_kw * (p->t - last_t[d]) / 3600.0;
                p->energy_kwh = cum[d];
            } else if (p->energy_kwh > cum[d]) {
                cum[d] = p->energy_kwh;
            }
            last_t[d] = p->t;
        }
        if (!sum->has_peak_at || p->load_kw > sum->peak_kw) {
            sum->peak_kw = p->load_kw;
            sum->has_peak_at = true;
            sum->peak_at = p->t;
        }
        if (has_min && p->min_soc < sum->min_soc)
            sum->min_soc = p->min_soc;
    }
    for (size_t d = 0; d < n_depots; d++)
        sum->grid_energy_kwh += cum[d];
    res->status = FSIM_RUN_IMPORTED;
    res->time_series_data = s->points;
    res->n_time_series_data = s->n_points;
}

static fsim_status sim_import_op(fsim__conn *c, void *v, fsim_error *err)
{
    import_ctx *ctx = v;
    const fsim_import_options *o = ctx->o;
    const char *p1[] = {o->fleet};
    PGresult *r = fsim__exec(c,
                             fsim_uuid_valid(o->fleet) ? "SELECT id, state_code FROM fleets WHERE id = $1::uuid"
                                                     : "SELECT id, state_code FROM fleets WHERE name = $1",
                             1, p1, "look up the fleet", err);
    if (!r)
        return FSIM_IO;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return fsim_error_set(err, FSIM_NOT_FOUND, "--fleet", 0, 0, NULL,
                              "fleet \"%s\" does not exist", o->fleet);
    }
    char fleet_id[FSIM_STORE_ID_LEN];
    snprintf(fleet_id, sizeof fleet_id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    const char *pf[] = {fleet_id};
    r = fsim__exec(c, "SELECT d.electricity_usd_per_kwh, d.grid_co2_g_per_kwh FROM fleets f"
                      " JOIN state_data d ON d.state_code = f.state_code WHERE f.id = $1::uuid",
                   1, pf, "read state data", err);
    if (!r)
        return FSIM_IO;
    fsim_result res = *ctx->result;
    if (PQntuples(r) > 0) {
        res.summary.has_energy_cost = true;
        res.summary.energy_cost = res.summary.grid_energy_kwh * strtod(PQgetvalue(r, 0, 0), NULL);
        res.summary.has_co2_kg = true;
        res.summary.co2_kg = res.summary.grid_energy_kwh * strtod(PQgetvalue(r, 0, 1), NULL) / 1e3;
    }
    PQclear(r);
    char *json = fsim_result_encode(&res, 0, NULL);
    if (!json)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    const char *p[] = {fleet_id, o->name, json};
    r = fsim__exec(c,
                   "WITH up AS (INSERT INTO simulations AS s (fleet_id, status, name, progress,"
                   " started_at, finished_at, metadata, time_series_data, charging_events)"
                   " SELECT $1::uuid, 'imported', $2, 1, now(), now(),"
                   " " FSIM__RESULT_METADATA ", r.j->'timeSeriesData', r.j->'chargingEvents'"
                   " FROM (SELECT $3::jsonb AS j) r"
                   " ON CONFLICT (fleet_id, name) WHERE status = 'imported' AND deleted_at IS NULL"
                   " DO UPDATE SET metadata = EXCLUDED.metadata,"
                   " time_series_data = EXCLUDED.time_series_data, finished_at = now()"
                   " WHERE s.metadata IS DISTINCT FROM EXCLUDED.metadata"
                   " OR s.time_series_data IS DISTINCT FROM EXCLUDED.time_series_data"
                   " RETURNING id, (xmax = 0) AS inserted)"
                   " SELECT id, inserted FROM up UNION ALL SELECT id, NULL FROM simulations"
                   " WHERE fleet_id = $1::uuid AND name = $2 AND status = 'imported'"
                   " AND deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM up)",
                   3, p, "store the imported simulation", err);
    free(json);
    if (!r)
        return err->status;
    if (PQntuples(r) == 0) {
        PQclear(r);
        c->transient = true;
        return fsim_error_set(err, FSIM_IO, "database", 0, 0, NULL,
                              "could not store the imported simulation");
    }
    snprintf(ctx->report->simulation_id, FSIM_STORE_ID_LEN, "%s", PQgetvalue(r, 0, 0));
    const char *ins = PQgetvalue(r, 0, 1);
    ctx->report->inserted = ins[0] == 't';
    ctx->report->updated = ins[0] == 'f';
    ctx->report->unchanged = PQgetisnull(r, 0, 1);
    PQclear(r);
    return FSIM_OK;
}

/* ---- Entry point -------------------------------------------------------------------------------- */

fsim_status fsim_store_import_csv(fsim_store *store, const fsim_import_options *o,
                                  fsim_import_report *report, fsim_error *err)
{
    memset(report, 0, sizeof *report);
    fsim_error_clear(err);
    if (o->kind == FSIM_IMPORT_SIMULATION && (!o->fleet || !*o->fleet || !o->name || !*o->name))
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, NULL,
                              "a simulation import needs --fleet and --name");
    if (o->kind == FSIM_IMPORT_SIMULATION && strlen(o->name) > 200)
        return fsim_error_set(err, FSIM_USAGE, "--name", 0, 0, NULL, "has more than 200 bytes");
    if (!o->dry_run && !store)
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, NULL, "no database");
    import_ctx ctx = {.o = o, .report = report};
    if (o->kind != FSIM_IMPORT_SIMULATION) {
        if (!o->dry_run)
            return fsim__store_run(store, copy_import_op, &ctx, err);
        import_state s = {0};
        reset_state(&s, o, err);
        bool vins = o->kind == FSIM_IMPORT_VINS;
        s.cols = vins ? vins_cols : state_cols;
        s.n_cols = vins ? sizeof vins_cols / sizeof *vins_cols : sizeof state_cols / sizeof *state_cols;
        s.on_row = dry_row;
        fsim_status st = parse_file(&s);
        report->rows = s.rows;
        reset_state(&s, NULL, NULL);
        return st;
    }
    /* simulation: read everything, build the result, then store it in one transaction */
    import_state s = {0};
    reset_state(&s, o, err);
    s.cols = sim_cols;
    s.n_cols = sizeof sim_cols / sizeof *sim_cols;
    s.on_row = sim_row;
    fsim_status st = s.arena ? parse_file(&s)
                             : fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    fsim_result res;
    memset(&res, 0, sizeof res);
    char hash[65] = "";
    if (st == FSIM_OK) {
        summarize(&s, &res);
        char *data = NULL;
        size_t len = 0;
        if (fsim_read_file(o->path, s.arena, &data, &len, err) == FSIM_OK)
            fsim_sha256_hex(data, len, hash);
        res.metadata.engine_version = "import";
        res.metadata.config_hash = hash;
        res.metadata.warnings = NULL;
        res.metadata.n_warnings = 0;
        st = fsim_wire_validate(FSIM_WIRE_RESULT, &res, o->path, err);
        report->rows = s.rows;
    }
    if (st == FSIM_OK && !o->dry_run) {
        ctx.result = &res;
        st = fsim__store_run(store, sim_import_op, &ctx, err);
    }
    reset_state(&s, NULL, NULL);
    return st;
}
