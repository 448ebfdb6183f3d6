/* Reading the EPA Test Car List CSV into tested configurations, and deriving a vehicle for
 * the energy model from one (fleetsim/epa.h, docs/energy-model.md).
 *
 * The file has one row per test. A configuration is the rows that agree on make, model,
 * test weight and the three road-load coefficients; its city and highway results are the
 * means of its UDDS and HWFET rows. The results are filed as MPGe, except that some makers
 * filed kWh/100 mi under the same unit: a configuration whose city and highway means are
 * both below 60 is read as kWh/100 mi (no EV here comes near 60 MPGe). */
#include <fleetsim/epa.h>

#include <csv.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fleetsim/util.h>

#include "model_internal.h"

#define LB_KG 0.45359237
#define LBF_N 4.4482216152605
#define MPH_MPS 0.44704
#define MAX_FIELD 256

enum col { C_MAKE, C_MODEL, C_ETW, C_PROC, C_FE, C_A, C_B, C_C, C_COUNT };
static const char *const col_names[C_COUNT] = {
    "Represented Test Veh Make",     "Represented Test Veh Model",
    "Equivalent Test Weight (lbs.)", "Test Procedure Description",
    "RND_ADJ_FE",                    "Target Coef A (lbf)",
    "Target Coef B (lbf/mph)",       "Target Coef C (lbf/mph**2)",
};

/* One UDDS or HWFET row. */
struct row {
    char make[MAX_FIELD], model[MAX_FIELD];
    double etw, fe, a, b, c;
    bool city;
    int line;
};

/* State shared by libcsv's callbacks. */
struct reader {
    const char *path;
    fsim_error *err;
    fsim_status st;
    struct fsim__csv_lines pos;
    int row_line;
    size_t field;
    bool header_done;
    int col_of[C_COUNT];        /* column index of each needed column, -1 until seen */
    enum col role[64];          /* role of each column index (C_COUNT = ignored) */
    size_t ncols;
    char text[C_COUNT][MAX_FIELD]; /* the current row's needed fields */
    int text_col[C_COUNT];
    struct row *rows;
    size_t n, cap;
};

static void fail(struct reader *r, int col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Records the first error only, at the current row's line and the column (0-based `col`,
 * −1 for none), naming the column. */
static void fail(struct reader *r, int col, const char *fmt, ...)
{
    const char *name = NULL;
    if (col >= 0 && (size_t)col < sizeof r->role / sizeof *r->role && r->role[col] != C_COUNT)
        name = col_names[r->role[col]];
    va_list ap;
    va_start(ap, fmt);
    fsim__csv_vfail(&r->st, r->err, r->path, r->row_line, col + 1, name, fmt, ap);
    va_end(ap);
}

static void on_field(void *data, size_t len, void *ctx)
{
    struct reader *r = ctx;
    if (r->st != FSIM_OK)
        return;
    const char *s = data ? data : "";
    if (r->field == 0)
        r->row_line = r->pos.line;
    size_t col = r->field++;
    if (col >= sizeof r->role / sizeof *r->role) {
        fail(r, (int)col, "too many columns (at most 64)");
        return;
    }
    if (!r->header_done) {
        r->role[col] = C_COUNT;
        for (int k = 0; k < C_COUNT; k++)
            if (strcmp(s, col_names[k]) == 0) {
                r->role[col] = (enum col)k;
                r->col_of[k] = (int)col;
            }
        return;
    }
    if (col >= r->ncols) {
        fail(r, (int)col, "too many fields: the header has %zu", r->ncols);
        return;
    }
    enum col k = r->role[col];
    if (k == C_COUNT)
        return;
    if (len >= MAX_FIELD) {
        fail(r, (int)col, "field longer than %d bytes", MAX_FIELD - 1);
        return;
    }
    memcpy(r->text[k], s, len);
    r->text[k][len] = '\0';
    r->text_col[k] = (int)col;
}

/* A needed number of the current row: the whole field, finite, and > 0 where `positive`. */
static double row_number(struct reader *r, enum col k, bool positive)
{
    const char *s = r->text[k];
    char *end = NULL;
    double x = strtod(s, &end);
    if (!s[0])
        fail(r, r->text_col[k], "empty field");
    else if (*end || !isfinite(x))
        fail(r, r->text_col[k], "not a number: \"%.40s\"", s);
    else if (positive && !(x > 0))
        fail(r, r->text_col[k], "must be > 0, got %g", x);
    return x;
}

/* End of a row: the header is checked for every needed column; a data row that is a city
 * or highway test is parsed and kept, any other procedure skipped. */
static void on_row(int c, void *ctx)
{
    (void)c;
    struct reader *r = ctx;
    size_t fields = r->field;
    r->field = 0;
    r->pos.at_row_start = true;
    if (r->st != FSIM_OK || fields == 0)
        return;
    if (!r->header_done) {
        for (int k = 0; k < C_COUNT; k++)
            if (r->col_of[k] < 0) {
                fail(r, -1, "header has no column \"%s\"", col_names[k]);
                return;
            }
        r->header_done = true;
        r->ncols = fields;
        return;
    }
    for (int k = 0; k < C_COUNT; k++)
        if ((size_t)r->col_of[k] >= fields)
            r->text[k][0] = '\0'; /* not in this (short) row */
    if (fields < r->ncols) {
        fail(r, (int)fields, "missing field: the header has %zu", r->ncols);
        return;
    }
    const char *proc = r->text[C_PROC];
    bool city = strcmp(proc, "Charge Depleting UDDS") == 0;
    if (!city && strcmp(proc, "Charge Depleting Highway") != 0)
        return;
    struct row w = {.city = city, .line = r->row_line};
    w.etw = row_number(r, C_ETW, true);
    w.fe = row_number(r, C_FE, true);
    w.a = row_number(r, C_A, false);
    w.b = row_number(r, C_B, false);
    w.c = row_number(r, C_C, true);
    if (r->st != FSIM_OK)
        return;
    if (!r->text[C_MAKE][0] || !r->text[C_MODEL][0]) {
        enum col k = r->text[C_MAKE][0] ? C_MODEL : C_MAKE;
        fail(r, r->col_of[k], "empty field");
        return;
    }
    memcpy(w.make, r->text[C_MAKE], sizeof w.make);
    memcpy(w.model, r->text[C_MODEL], sizeof w.model);
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        struct row *grown = realloc(r->rows, cap * sizeof *grown);
        if (!grown) {
            r->st = fsim_error_set(r->err, FSIM_NOMEM, r->path, 0, 0, NULL, "out of memory");
            return;
        }
        r->rows = grown;
        r->cap = cap;
    }
    r->rows[r->n++] = w;
}

static bool same_config(const struct row *x, const struct row *y)
{
    return strcasecmp(x->make, y->make) == 0 && strcmp(x->model, y->model) == 0 &&
           x->etw == y->etw && x->a == y->a && x->b == y->b && x->c == y->c;
}

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}

/* make-model-etw in lower case, every run of other characters one '-', at most 64 bytes
 * (a config name's limit); a repeat of an earlier id gets "-2", "-3", … */
static const char *make_id(fsim_arena *arena, const fsim_epa_vehicle *done, size_t n_done,
                           const struct row *w)
{
    char base[2 * MAX_FIELD + 2], slug[64];
    snprintf(base, sizeof base, "%s %s", w->make, w->model);
    size_t k = 0;
    for (const char *p = base; *p && k < 48; p++) {
        if (isalnum((unsigned char)*p))
            slug[k++] = (char)tolower((unsigned char)*p);
        else if (k > 0 && slug[k - 1] != '-')
            slug[k++] = '-';
    }
    while (k > 0 && slug[k - 1] == '-')
        k--;
    slug[k] = '\0';
    for (int suffix = 1;; suffix++) {
        char *id = suffix == 1 ? fsim_arena_sprintf(arena, "%s-%.0f", slug, w->etw)
                               : fsim_arena_sprintf(arena, "%s-%.0f-%d", slug, w->etw, suffix);
        bool taken = false;
        for (size_t i = 0; id && i < n_done && !taken; i++)
            taken = strcmp(done[i].id, id) == 0;
        if (!taken)
            return id;
    }
}

/* Groups the rows into configurations with both results, in file order, filtered. */
static fsim_status group_rows(const struct reader *r, const char *make, const char *model,
                              fsim_arena *arena, fsim_epa_vehicle **out, size_t *count,
                              fsim_error *err)
{
    fsim_epa_vehicle *list = fsim_arena_calloc(arena, r->n ? r->n : 1, sizeof *list);
    bool *used = calloc(r->n ? r->n : 1, sizeof *used);
    size_t n = 0;
    fsim_status st = FSIM_OK;
    if (!list || !used) {
        st = fsim_error_set(err, FSIM_NOMEM, r->path, 0, 0, NULL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < r->n; i++) {
        const struct row *w = &r->rows[i];
        if (used[i])
            continue;
        double sum[2] = {0, 0};
        int cnt[2] = {0, 0};
        for (size_t j = i; j < r->n; j++)
            if (!used[j] && same_config(w, &r->rows[j])) {
                used[j] = true;
                sum[r->rows[j].city] += r->rows[j].fe;
                cnt[r->rows[j].city]++;
            }
        if (!cnt[0] || !cnt[1] || (make && strcasecmp(w->make, make) != 0) ||
            (model && !contains_nocase(w->model, model)))
            continue;
        fsim_epa_vehicle *v = &list[n];
        double city = sum[1] / cnt[1], hwy = sum[0] / cnt[0];
        v->filed_kwh_per_100mi = city < 60 && hwy < 60;
        v->city_kwh_per_mi = v->filed_kwh_per_100mi ? city / 100 : FSIM_EPA_KWH_PER_GALLON / city;
        v->highway_kwh_per_mi = v->filed_kwh_per_100mi ? hwy / 100 : FSIM_EPA_KWH_PER_GALLON / hwy;
        v->n_city = cnt[1];
        v->n_highway = cnt[0];
        v->make = fsim_arena_strdup(arena, w->make);
        v->model = fsim_arena_strdup(arena, w->model);
        v->id = make_id(arena, list, n, w);
        v->line = w->line;
        v->etw_lb = w->etw;
        v->a_lbf = w->a;
        v->b_lbf_per_mph = w->b;
        v->c_lbf_per_mph2 = w->c;
        if (!v->make || !v->model || !v->id) {
            st = fsim_error_set(err, FSIM_NOMEM, r->path, 0, 0, NULL, "out of memory");
            goto out;
        }
        n++;
    }
    *out = list;
    *count = n;
out:
    free(used);
    return st;
}

fsim_status fsim_epa_read_csv(const char *path, const char *make, const char *model_contains,
                              fsim_arena *arena, fsim_epa_vehicle **out, size_t *count,
                              fsim_error *err)
{
    struct csv_parser parser;
    bool parser_ready = false;
    struct reader r = {.path = path, .err = err, .st = FSIM_OK,
                       .pos = {.line = 1, .at_row_start = true}};
    for (int k = 0; k < C_COUNT; k++)
        r.col_of[k] = -1;
    fsim_arena *scratch = fsim_arena_new();
    char *text = NULL;
    size_t len = 0;
    fsim_status st = scratch ? fsim_read_file(path, scratch, &text, &len, err)
                             : fsim_error_set(err, FSIM_NOMEM, path, 0, 0, NULL, "out of memory");
    if (st != FSIM_OK)
        goto out;
    const char *p = text;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        st = fsim_error_set(err, FSIM_NOMEM, path, 0, 0, NULL, "out of memory");
        goto out;
    }
    parser_ready = true;
    const char *bad = fsim__csv_feed(&parser, p, len, &r.pos, on_field, on_row, &r, &r.st);
    if (bad) {
        st = fsim_error_set(err, FSIM_INVALID, path, r.pos.row_start, (int)r.field + 1, NULL,
                            "malformed CSV: %s", bad);
        goto out;
    }
    st = r.st;
    if (st == FSIM_OK && !r.header_done)
        st = fsim_error_set(err, FSIM_INVALID, path, 1, 0, NULL, "empty file: no header");
    if (st == FSIM_OK)
        st = group_rows(&r, make, model_contains, arena, out, count, err);
out:
    if (parser_ready)
        csv_free(&parser);
    free(r.rows);
    fsim_arena_free(scratch);
    return st;
}

/* ---- derivation --------------------------------------------------------------------- */

void fsim_epa_vehicle_params(const fsim_epa_vehicle *t, fsim_vehicle_params *out)
{
    double m = t->etw_lb * LB_KG;
    double a = t->a_lbf * LBF_N;                    /* N */
    double b = t->b_lbf_per_mph * LBF_N / MPH_MPS;  /* N per m/s */
    double c = t->c_lbf_per_mph2 * LBF_N / (MPH_MPS * MPH_MPS); /* N per (m/s)² */
    /* B·v ≈ α + β·v² in the least-squares sense over [0, V]: with x = v/V, x ≈ 3/16 + 15/16·x² */
    double vmax = FSIM_EPA_FOLD_MPH * MPH_MPS;
    double a_fold = a + b * vmax * 3.0 / 16.0;
    double c_fold = c + b / vmax * 15.0 / 16.0;
    double rho = fsim_air_density(FSIM_EPA_AIR_TEMPERATURE_C);
    double motor = FSIM_EPA_MOTOR_KW_PER_TONNE * m / 1000.0;
    *out = (fsim_vehicle_params){
        .battery_kwh = 75, .mass_kg = m, .payload_kg = 0,
        .frontal_area_m2 = FSIM_EPA_FRONTAL_AREA_M2,
        .drag_coefficient = 2.0 * c_fold / (rho * FSIM_EPA_FRONTAL_AREA_M2),
        .rolling_resistance = a_fold / (m * FSIM_GRAVITY_MPS2),
        .rotational_inertia_factor = FSIM_EPA_ROTATIONAL_FACTOR,
        .drivetrain_efficiency = 0.9, .regen_efficiency = 0.7, .max_regen_kw = motor,
        .aux_kw = FSIM_EPA_AUX_KW, .hvac_kw_per_degc = 0.1, .comfort_low_c = 16,
        .comfort_high_c = 24, .max_ac_kw = 11, .max_dc_kw = 150, .reserve_soc = 0.1,
        .charge_curve_len = 4,
        .charge_curve_soc = {0, 0.5, 0.8, 1}, .charge_curve_kw = {150, 150, 75, 15},
        .motor_kw = motor, .gearbox_efficiency = FSIM_DEFAULT_GEARBOX_EFFICIENCY,
        .pack_voltage = FSIM_DEFAULT_PACK_VOLTAGE,
        .internal_resistance_ohm = FSIM_DEFAULT_INTERNAL_RESISTANCE,
        .regen_fade_kph = FSIM_DEFAULT_REGEN_FADE_KPH, .parasitic_kw = FSIM_DEFAULT_PARASITIC_KW,
    };
}
