/* Reading a 1 Hz speed trace from CSV with libcsv (RFC 4180: quotes, CRLF, BOM).
 *
 * Accepted shapes: the EPA files as published (`cycSecs,cycMps,cycGrade,cycRoadType`; the
 * road type is ignored) and the plain `seconds,mps[,grade]`, with or without that header.
 * Whether the first row is a header is decided by whether its first field is a number.
 * Every error names file:line, the column number and the column's name. */
#include <fleetsim/model.h>

#include <csv.h>
#include <stdarg.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fleetsim/util.h>

#include "model_internal.h"

#define MAX_SPEED_MPS 100.0
#define MAX_GRADE 0.5
#define MAX_COLUMNS 8
#define NAME_LEN 32

enum role { ROLE_TIME, ROLE_SPEED, ROLE_GRADE, ROLE_IGNORE, ROLE_COUNT };

/* Header names per role, EPA spelling first. */
static const struct {
    const char *name;
    enum role role;
} known_columns[] = {
    {"cycSecs", ROLE_TIME},  {"seconds", ROLE_TIME}, {"cycMps", ROLE_SPEED},
    {"mps", ROLE_SPEED},     {"cycGrade", ROLE_GRADE}, {"grade", ROLE_GRADE},
    {"cycRoadType", ROLE_IGNORE},
};

/* State shared by libcsv's field and row callbacks. */
struct reader {
    const char *path;
    fsim_error *err;
    fsim_status st;
    struct fsim__csv_lines pos; /* physical line being fed, where the current row began */
    int row_line;      /* line on which the current row started */
    int header_line;   /* 0 when the file has no header */
    bool decided;      /* header or not is known */
    size_t field;      /* index of the next field in the current row */
    bool first_empty;  /* the row's first field was empty */
    size_t ncols;      /* fields per row; 0 = not known yet (headerless, first row) */
    size_t time_col;   /* index of the time column */
    enum role roles[MAX_COLUMNS];
    char names[MAX_COLUMNS][NAME_LEN];
    double values[ROLE_COUNT];
    size_t n, cap;
    double *speed;
    double *grade;
};

/* A field as it may be quoted in a message: at most 24 bytes, non-printables as '?'. */
static void quote_field(const char *data, size_t len, char out[32])
{
    size_t k = 0;
    for (size_t i = 0; i < len && k < 24; i++)
        out[k++] = (data[i] >= 0x20 && data[i] < 0x7f) ? data[i] : '?';
    if (len > 24) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

/* Records the first error only (later callbacks see r->st != OK and do nothing), on the
 * current row's line, naming the column by number and by name. */
static void fail(struct reader *r, size_t column, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void fail(struct reader *r, size_t column, const char *fmt, ...)
{
    const char *name = column < MAX_COLUMNS && r->names[column][0] ? r->names[column] : NULL;
    va_list ap;
    va_start(ap, fmt);
    fsim__csv_vfail(&r->st, r->err, r->path, r->row_line, (int)column + 1, name, fmt, ap);
    va_end(ap);
}

/* A whole field as a number: strtod must consume every byte (no trailing junk, no NUL). */
/* A CSV syntax error (libcsv's strict mode) at the field being read: the row's first line,
 * the field's number and its column name, as every other error of this reader. */
static fsim_status syntax_error(struct reader *r, const char *what)
{
    const char *name = r->field < MAX_COLUMNS && r->names[r->field][0] ? r->names[r->field]
                                                                       : NULL;
    return fsim_error_set(r->err, FSIM_INVALID, r->path, r->pos.row_start, (int)r->field + 1, name,
                          "malformed CSV: %s", what);
}

static bool parse_number(const char *data, size_t len, double *out)
{
    if (len == 0)
        return false;
    char *end = NULL;
    *out = strtod(data, &end);
    return end == data + len;
}

/* Headerless files are `seconds,mps[,grade]` in that order. */
static void set_default_names(struct reader *r)
{
    static const char *const plain[] = {"seconds", "mps", "grade"};
    for (size_t i = 0; i < 3; i++) {
        r->roles[i] = (enum role)i;
        snprintf(r->names[i], NAME_LEN, "%s", plain[i]);
    }
}

/* Maps one header name to its role; unknown or repeated names are errors. */
static void header_field(struct reader *r, const char *data, size_t len)
{
    size_t col = r->field;
    if (col >= MAX_COLUMNS) {
        fail(r, col, "too many columns in the header (at most %d)", MAX_COLUMNS);
        return;
    }
    char text[32];
    quote_field(data, len, text);
    for (size_t i = 0; i < sizeof known_columns / sizeof *known_columns; i++) {
        if (strlen(known_columns[i].name) == len && strncasecmp(known_columns[i].name, data, len) == 0) {
            enum role role = known_columns[i].role;
            for (size_t j = 0; j < col; j++)
                if (role != ROLE_IGNORE && r->roles[j] == role) {
                    fail(r, col, "duplicate column \"%s\"", text);
                    return;
                }
            r->roles[col] = role;
            if (role == ROLE_TIME)
                r->time_col = col;
            snprintf(r->names[col], NAME_LEN, "%s", known_columns[i].name);
            return;
        }
    }
    fail(r, col,
         "unknown column \"%s\"; expected cycSecs,cycMps,cycGrade,cycRoadType or "
         "seconds,mps[,grade]",
         text);
}

/* Parses and range-checks one data field into r->values by the column's role. */
static void data_field(struct reader *r, const char *data, size_t len)
{
    size_t col = r->field;
    size_t limit = r->ncols ? r->ncols : 3;
    if (col >= limit) {
        fail(r, col, "too many fields: expected %zu", limit);
        return;
    }
    enum role role = r->roles[col];
    if (role == ROLE_IGNORE)
        return;
    char text[32];
    quote_field(data, len, text);
    double x;
    if (len == 0) {
        if (col > 0)
            fail(r, col, "empty field");
        return; /* an empty first field is judged at the row's end: blank lines are skipped */
    }
    if (!parse_number(data, len, &x)) {
        fail(r, col, "not a number: \"%s\"", text);
        return;
    }
    if (!isfinite(x)) {
        fail(r, col, "must be a finite number, got \"%s\"", text);
        return;
    }
    if (role == ROLE_SPEED && x < 0)
        fail(r, col, "speed must be >= 0, got %g", x);
    else if (role == ROLE_SPEED && x > MAX_SPEED_MPS)
        fail(r, col, "speed %g m/s is above 100 m/s", x);
    else if (role == ROLE_GRADE && fabs(x) > MAX_GRADE)
        fail(r, col, "grade must be between -0.5 and 0.5, got %g", x);
    r->values[role] = x;
}

/* libcsv's per-field callback. */
static void on_field(void *data, size_t len, void *ctx)
{
    struct reader *r = ctx;
    if (r->st != FSIM_OK)
        return;
    const char *s = data ? data : "";
    if (!data)
        len = 0;
    if (r->field == 0) {
        r->row_line = r->pos.line;
        r->first_empty = len == 0;
        r->values[ROLE_GRADE] = 0.0;
    }
    if (!r->decided) {
        double x;
        r->decided = true;
        if (!(r->first_empty) && !parse_number(s, len, &x)) {
            r->header_line = r->row_line;
            r->ncols = 0;
        } else {
            set_default_names(r);
        }
    }
    if (r->header_line == r->row_line && r->header_line != 0)
        header_field(r, s, len);
    else
        data_field(r, s, len);
    r->field++;
}

/* libcsv's end-of-row callback: checks the row is complete and its time is the next second. */
static void on_row(int c, void *ctx)
{
    (void)c;
    struct reader *r = ctx;
    size_t fields = r->field;
    r->field = 0;
    r->pos.at_row_start = true;
    if (r->st != FSIM_OK || fields == 0)
        return;
    if (fields == 1 && r->first_empty) {
        /* a blank (whitespace-only) line */
        if (r->n == 0 && r->header_line == 0)
            r->decided = false;
        return;
    }
    if (r->first_empty) {
        fail(r, 0, "empty field");
        return;
    }
    if (r->header_line == r->row_line && r->header_line != 0) {
        bool have[ROLE_COUNT] = {false};
        for (size_t i = 0; i < fields; i++)
            have[r->roles[i]] = true;
        if (!have[ROLE_TIME] || !have[ROLE_SPEED]) {
            const char *missing = have[ROLE_TIME] ? "speed (cycMps or mps)" : "time (cycSecs or seconds)";
            fail(r, 0, "header has no %s column", missing);
        }
        r->ncols = fields;
        return;
    }
    if (r->ncols == 0)
        r->ncols = fields; /* headerless: the first row says whether there is a grade */
    if (fields < r->ncols || fields < 2) {
        fail(r, fields, "missing field \"%s\"", r->names[fields]);
        return;
    }
    double t = r->values[ROLE_TIME];
    double expected = (double)r->n;
    if (r->n == 0 && t != 0)
        fail(r, r->time_col, "time must start at 0, got %g", t);
    else if (t != expected && t <= expected - 1)
        fail(r, r->time_col, "time does not increase: expected %g, got %g", expected, t);
    else if (t != expected)
        fail(r, r->time_col, "time must step by exactly 1 s: expected %g, got %g", expected, t);
    if (r->st != FSIM_OK)
        return;
    if (r->n >= r->cap) {
        r->st = fsim_error_set(r->err, FSIM_INTERNAL, r->path, r->row_line, 0, NULL,
                               "more rows than lines");
        return;
    }
    r->speed[r->n] = r->values[ROLE_SPEED];
    r->grade[r->n] = r->values[ROLE_GRADE];
    r->n++;
}

fsim_status fsim_cycle_read_csv(const char *path, fsim_arena *arena, fsim_cycle *out,
                                fsim_error *err)
{
    fsim_status st = FSIM_OK;
    struct csv_parser parser;
    bool parser_ready = false;
    fsim_arena *scratch = fsim_arena_new();
    if (!scratch)
        return fsim_error_set(err, FSIM_NOMEM, path, 0, 0, NULL, "out of memory");

    char *text = NULL;
    size_t len = 0;
    st = fsim_read_file(path, scratch, &text, &len, err);
    if (st != FSIM_OK)
        goto out;
    const char *p = text;

    /* every row takes at least one line: the line count bounds the number of samples */
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += p[i] == '\n' || p[i] == '\r';

    struct reader r = {.path = path, .err = err, .st = FSIM_OK, .cap = lines,
                       .pos = {.line = 1, .at_row_start = true}};
    r.speed = fsim_arena_calloc(arena, lines, sizeof *r.speed);
    r.grade = fsim_arena_calloc(arena, lines, sizeof *r.grade);
    if (!r.speed || !r.grade) {
        st = fsim_error_set(err, FSIM_NOMEM, path, 0, 0, NULL, "out of memory");
        goto out;
    }
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        st = fsim_error_set(err, FSIM_NOMEM, path, 0, 0, NULL, "out of memory");
        goto out;
    }
    parser_ready = true;

    const char *bad = fsim__csv_feed(&parser, p, len, &r.pos, on_field, on_row, &r, &r.st);
    if (bad) {
        st = syntax_error(&r, bad);
        goto out;
    }
    if (r.st != FSIM_OK) {
        st = r.st;
        goto out;
    }
    if (r.n == 0) {
        if (r.header_line)
            st = fsim_error_set(err, FSIM_INVALID, path, r.header_line, 0, NULL,
                                "no samples after the header");
        else
            st = fsim_error_set(err, FSIM_INVALID, path, 1, 0, NULL, "empty file: no samples");
        goto out;
    }
    if (r.n == 1) {
        /* one sample is no motion at all: energy and distance would be silently zero */
        st = fsim_error_set(err, FSIM_INVALID, path, r.row_line, 0, NULL,
                            "a cycle needs at least two samples (one second); this has one");
        goto out;
    }

    double *distance = fsim_arena_calloc(arena, r.n, sizeof *distance);
    if (!distance) {
        st = fsim_error_set(err, FSIM_NOMEM, path, 0, 0, NULL, "out of memory");
        goto out;
    }
    fsim__cycle_fill_distance(r.n, r.speed, distance);
    out->n = r.n;
    out->speed_mps = r.speed;
    out->grade = r.grade;
    out->distance_m = distance;
out:
    if (parser_ready)
        csv_free(&parser);
    fsim_arena_free(scratch);
    return st;
}
