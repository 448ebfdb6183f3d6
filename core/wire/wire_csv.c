/* The CSV view of a wire type (the local sink's tables): columns and cells both walk the
 * type's field table, so a field added to wire.h appears in the JSON, the schema and the
 * CSV alike, under the same name in snake_case. Times get a depot-local twin column. */
#include "wire_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BUF_CAP = 1 << 16, CELL_MAX = 2 * 4096 + 128 };

typedef struct csv_writer {
    char buf[BUF_CAP + CELL_MAX];
    size_t len;
    bool first;               /* no comma before the row's first cell */
    bool failed;
    fsim_wire_write_fn write;
    void *user;
    /* the current row's depot offset, for the _local columns */
    bool local_known;
    int local_offset;
} csv_writer;

static void flush(csv_writer *w)
{
    if (!w->failed && w->len && !w->write(w->user, w->buf, w->len))
        w->failed = true;
    w->len = 0;
}

/* Room for one cell (strings are at most 4096 bytes, doubled when quoted). */
static inline char *cell(csv_writer *w)
{
    if (w->len > BUF_CAP)
        flush(w);
    if (!w->first)
        w->buf[w->len++] = ',';
    w->first = false;
    return w->buf + w->len;
}

static void put_text(csv_writer *w, const char *s, size_t n)
{
    memcpy(cell(w), s, n);
    w->len += n;
}

/* RFC 4180: quoted only when the text holds a comma, a quote or a line break. */
static void put_str(csv_writer *w, const char *s)
{
    char *p = cell(w);
    size_t n = strlen(s);
    if (n > 4096)
        n = 4096;
    if (fsim__plain_text(s, n, true)) {
        memcpy(p, s, n);
        w->len += n;
        return;
    }
    char *q = p;
    *q++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            *q++ = '"';
        *q++ = s[i];
    }
    *q++ = '"';
    w->len += (size_t)(q - p);
}

static void put_num(csv_writer *w, double v)
{
    char *p = cell(w);
    w->len += fsim_format_number(v, p);
}

static void put_empty(csv_writer *w)
{
    cell(w);
}

/* camelCase → snake_case: an underscore before each capital that follows a lowercase
 * letter or a digit ("pluggedAt" → plugged_at, "kwhPerKm" → kwh_per_km). */
static size_t snake(const char *key, char *out)
{
    size_t n = 0;
    for (size_t i = 0; key[i]; i++) {
        char c = key[i];
        if (c >= 'A' && c <= 'Z') {
            char prev = i ? key[i - 1] : 'A';
            if ((prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9'))
                out[n++] = '_';
            c = (char)(c - 'A' + 'a');
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return n;
}

static bool is_column(const fsim__field *f)
{
    switch (f->kind) {
    case FSIM__K_STR: case FSIM__K_INT: case FSIM__K_NUM: case FSIM__K_BOOL:
    case FSIM__K_TIME: case FSIM__K_ENUM: case FSIM__K_OBJ:
        return true;
    default:
        return false;
    }
}

/* The header: scalars by name, a time and then its `_local`, a nested object's fields
 * prefixed with its name (strandedAt.lon → stranded_at_lon); arrays have no column. */
static void put_header(csv_writer *w, const fsim__type *t, const char *prefix)
{
    for (size_t i = 0; i < t->n_fields; i++) {
        const fsim__field *f = &t->fields[i];
        if (!is_column(f) || !f->key)
            continue;
        char name[300];
        size_t n = (size_t)snprintf(name, sizeof name, "%s", prefix);
        n += snake(f->key, name + n);
        if (f->kind == FSIM__K_OBJ) {
            name[n++] = '_';
            name[n] = '\0';
            put_header(w, &fsim__types[f->sub], name);
            continue;
        }
        put_text(w, name, n);
        if (f->kind == FSIM__K_TIME) {
            put_text(w, name, n);
            memcpy(w->buf + w->len, "_local", 6);
            w->len += 6;
        }
    }
}

/* One object's cells, in the header's order; `obj` NULL (an absent nested object) gives
 * empty cells. */
static void put_cells(csv_writer *w, const fsim__type *t, const void *obj)
{
    for (size_t i = 0; i < t->n_fields; i++) {
        const fsim__field *f = &t->fields[i];
        if (!is_column(f) || !f->key)
            continue;
        const bool present = obj && fsim__present(f, obj);
        const void *at = obj ? FSIM__CAT(obj, f->off) : NULL;
        switch (f->kind) {
        case FSIM__K_STR:
            if (present)
                put_str(w, *(const char *const *)at);
            else
                put_empty(w);
            break;
        case FSIM__K_INT:
            if (present)
                put_num(w, *(const int *)at);
            else
                put_empty(w);
            break;
        case FSIM__K_NUM:
            if (present)
                put_num(w, *(const double *)at);
            else
                put_empty(w);
            break;
        case FSIM__K_BOOL:
            if (present)
                put_text(w, *(const bool *)at ? "true" : "false", *(const bool *)at ? 4 : 5);
            else
                put_empty(w);
            break;
        case FSIM__K_ENUM: {
            int v = present ? *(const int *)at : -1;
            if (v >= 0 && v < f->enum_count)
                put_str(w, f->enum_names[v]);
            else
                put_empty(w);
            break;
        }
        case FSIM__K_TIME:
            if (present) {
                double tv = *(const double *)at;
                char *p = cell(w); /* before adding: cell() may flush and move w->len */
                w->len += fsim_time_format_n(tv, p);
                if (w->local_known) {
                    p = cell(w);
                    w->len += fsim_time_format_local_n(tv, w->local_offset, p);
                } else {
                    put_empty(w);
                }
            } else {
                put_empty(w);
                put_empty(w);
            }
            break;
        case FSIM__K_OBJ: {
            const void *sub = !present ? NULL
                              : f->required ? at : *(const void *const *)at;
            put_cells(w, &fsim__types[f->sub], sub);
            break;
        }
        default:
            break;
        }
    }
}

static void end_row(csv_writer *w)
{
    w->buf[w->len++] = '\n';
    w->first = true;
}

/* The depot a row belongs to: its top-level string field "depot", if the type has one. */
static const fsim__field *depot_field(const fsim__type *t)
{
    for (size_t i = 0; i < t->n_fields; i++)
        if (t->fields[i].kind == FSIM__K_STR && t->fields[i].key &&
            strcmp(t->fields[i].key, "depot") == 0)
            return &t->fields[i];
    return NULL;
}

/* The row's depot offset for the _local columns; rows of one depot come in runs (and share
 * the input's id pointer), so the table is searched only when the depot changes. */
static void row_depot(csv_writer *w, const fsim__field *df, const void *row,
                      const fsim_depot_summary *depots, size_t n_depots, const char **last)
{
    const char *depot = df ? *(const char *const *)FSIM__CAT(row, df->off) : NULL;
    if (depot == *last)
        return;
    *last = depot;
    w->local_known = false;
    for (size_t d = 0; depot && d < n_depots; d++)
        if (depots[d].id && strcmp(depots[d].id, depot) == 0) {
            w->local_known = true;
            w->local_offset = depots[d].utc_offset_minutes;
            return;
        }
}

fsim_status fsim_wire_csv_write(fsim_wire_type type, const void *rows, size_t n_rows,
                                const fsim_depot_summary *depots, size_t n_depots,
                                fsim_wire_write_fn write, void *user, fsim_error *err)
{
    fsim_wire_rows *w;
    fsim_status st = fsim_wire_rows_new(type, FSIM_WIRE_ROWS_CSV, depots, n_depots, write, user,
                                        &w, err);
    if (st != FSIM_OK)
        return st;
    const size_t size = fsim__types[type].size;
    for (size_t r = 0; r < n_rows; r++)
        if (!fsim_wire_rows_add(w, (const char *)rows + r * size))
            break;
    return fsim_wire_rows_finish(w, err);
}

/* ---- Row by row ------------------------------------------------------------------------- */

struct fsim_wire_rows {
    int type;
    fsim_wire_rows_format format;
    const fsim_depot_summary *depots;
    size_t n_depots;
    const fsim__field *depot_field;
    const char *last_depot;
    csv_writer *csv;
    fsim__jw jw;
};

fsim_status fsim_wire_rows_new(fsim_wire_type type, fsim_wire_rows_format format,
                               const fsim_depot_summary *depots, size_t n_depots,
                               fsim_wire_write_fn write, void *user, fsim_wire_rows **out,
                               fsim_error *err)
{
    *out = NULL;
    if ((unsigned)type >= FSIM_WIRE_TYPE_COUNT)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, NULL, "unknown wire type");
    fsim_wire_rows *w = calloc(1, sizeof *w);
    if (!w)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    const fsim__type *t = &fsim__types[type];
    *w = (fsim_wire_rows){.type = (int)type, .format = format, .depots = depots,
                          .n_depots = n_depots, .depot_field = depot_field(t)};
    if (format == FSIM_WIRE_ROWS_CSV) {
        if (!(w->csv = malloc(sizeof *w->csv))) {
            free(w);
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        }
        *w->csv = (csv_writer){.first = true, .write = write, .user = user};
        put_header(w->csv, t, "");
        end_row(w->csv);
    } else {
        /* inside an array: the encoder's separators, the bracket itself left out */
        fsim__jw_init(&w->jw, false, write, user);
        fsim__jw_begin(&w->jw, '[');
        w->jw.len = 0;
    }
    *out = w;
    return FSIM_OK;
}

bool fsim_wire_rows_add(fsim_wire_rows *w, const void *row)
{
    if (w->format == FSIM_WIRE_ROWS_JSON) {
        fsim__jw_object(&w->jw, w->type, row);
        return !w->jw.failed;
    }
    csv_writer *c = w->csv;
    if (c->failed)
        return false;
    row_depot(c, w->depot_field, row, w->depots, w->n_depots, &w->last_depot);
    put_cells(c, &fsim__types[w->type], row);
    end_row(c);
    return !c->failed;
}

fsim_status fsim_wire_rows_finish(fsim_wire_rows *w, fsim_error *err)
{
    if (!w)
        return FSIM_OK;
    bool failed;
    if (w->format == FSIM_WIRE_ROWS_JSON) {
        failed = !fsim__jw_flush(&w->jw);
        fsim__jw_release(&w->jw);
    } else {
        flush(w->csv);
        failed = w->csv->failed;
        free(w->csv);
    }
    free(w);
    return failed ? fsim_error_set(err, FSIM_IO, NULL, 0, 0, NULL, "could not write")
                  : FSIM_OK;
}
