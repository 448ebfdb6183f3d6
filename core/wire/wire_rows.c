/* A wire type's rows as text: the CSV table (the local sink's tables) and the JSON array
 * items (result.json's arrays), both from one walk of each row. Columns and keys come from
 * the type's field table, so a field added to wire.h appears in the JSON, the schema and
 * the CSV alike, under the same name in snake_case; times get a depot-local twin column.
 *
 * Why one walk for both: a week of 1,000 vehicles is 18 MB of text, and formatting it was
 * most of a whole run's CPU — each number and time was formatted twice, once per format,
 * by two walks of the field table. The table is compiled once per writer into a flat list
 * of ops (nested objects inlined between an open and a close), and each value is formatted
 * once and copied into whichever of the two texts wants it. */
#include "wire_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    BUF_CAP = 1 << 16,      /* text handed to the sink in chunks of about this */
    SLACK = 1 << 12,        /* room kept past BUF_CAP for one field (longer strings grow it) */
    CSV_STR_MAX = 4096,     /* a CSV cell's text is cut here (as the tables always were) */
    MAX_OPS = 64, MAX_DEPTH = 4,
    KEY_SIZE = FSIM__JSON_KEY_MAX + 8,
};

enum { OP_OPEN = 100, OP_CLOSE }; /* beside the fsim__kind values of scalar fields */

/* One scalar field, or the open / close of a nested object. */
struct op {
    int kind;
    const fsim__field *f;
    size_t off;               /* the member, from its object */
    bool json_null;           /* absent: JSON keeps the key, with null (a NUL field) */
    bool csv;                 /* has a CSV column */
    unsigned skip;            /* OP_OPEN: ops up to and including its OP_CLOSE */
    unsigned cells;           /* OP_OPEN: its CSV columns, empty when it is absent */
    size_t key_len;           /* of key, comma included */
    char key[KEY_SIZE];       /* ",\"name\":", zero-padded: copied whole, a fixed-size copy */
};

/* One of the two texts: buffered, handed to its sink in chunks. */
typedef struct text {
    char *buf;
    size_t len, cap;
    fsim_wire_write_fn write;
    void *user;
    bool failed;
} text;

struct fsim_wire_rows {
    struct op ops[MAX_OPS];
    size_t n_ops;
    text csv, json;           /* .write NULL: that format is not made */
    bool json_comma;          /* a row was written: the next is preceded by a comma */
    const fsim_depot_summary *depots;
    size_t n_depots;
    const fsim__field *depot_field;
    const char *last_depot;
    bool local_known;         /* the current row's depot offset, for the _local columns */
    int local_offset;
};

/* ---- Buffers -------------------------------------------------------------------------- */

static void flush(text *t)
{
    if (!t->failed && t->len && !t->write(t->user, t->buf, t->len))
        t->failed = true;
    t->len = 0;
}

/* Room for `need` more bytes: the buffer handed over first when that is past its end, and
 * grown only for a value larger than the slack (a long string). False when out of memory. */
static bool make_room(text *t, size_t need)
{
    if (t->len + need <= t->cap)
        return true;
    flush(t);
    if (need <= t->cap)
        return true;
    char *grown = realloc(t->buf, need);
    if (!grown) {
        t->failed = true;
        return false;
    }
    t->buf = grown;
    t->cap = need;
    return true;
}

static inline char *room(text *t, size_t need)
{
    if (t->len + need > t->cap && !make_room(t, need))
        return NULL;
    return t->buf + t->len;
}

/* ---- Values ----------------------------------------------------------------------------- */

/* Which bytes of a string need care: bit 0 a byte JSON escapes (controls, quote,
 * backslash), bit 1 a byte that makes a CSV cell quoted (comma, quote, CR, LF). One pass
 * for both, eight bytes a step (SWAR): ids are most of a result's strings. */
static unsigned special_bytes(const char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t json = 0, csv = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\'), c = v ^ (ones * ',');
        json |= ((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b);
        csv |= ((q - ones) & ~q) | ((c - ones) & ~c);
    }
    unsigned flags = ((json & highs) ? 1u : 0u) | ((csv & highs) ? 2u : 0u);
    for (; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == '"' || ch == '\\')
            flags |= 1;
        if (ch == ',' || ch == '"')
            flags |= 2;
    }
    /* CR and LF are controls: JSON escapes them, so the CSV looks for them only then */
    if ((flags & 1) && !(flags & 2) && (memchr(s, '\r', n) || memchr(s, '\n', n)))
        flags |= 2;
    return flags;
}

/* RFC 4180: quoted only when the text holds a comma, a quote or a line break. */
static void csv_string(text *t, const char *s, size_t n, bool plain)
{
    if (n > CSV_STR_MAX)
        n = CSV_STR_MAX;
    char *p = room(t, 2 * n + 3);
    if (!p)
        return;
    if (plain) {
        memcpy(p, s, n);
        t->len += n;
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
    t->len += (size_t)(q - p);
}

/* A JSON string, escaped as the encoder escapes (fsim__jw_string): the same bytes. */
static void json_string(text *t, const char *s, size_t n, bool plain)
{
    static const char hex[] = "0123456789abcdef";
    char *p = room(t, plain ? n + 2 : 6 * n + 2);
    if (!p)
        return;
    char *q = p;
    *q++ = '"';
    if (plain) {
        memcpy(q, s, n);
        q += n;
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c >= 0x20 && c != '"' && c != '\\') {
                *q++ = (char)c;
                continue;
            }
            *q++ = '\\';
            switch (c) {
            case '"': *q++ = '"'; break;
            case '\\': *q++ = '\\'; break;
            case '\n': *q++ = 'n'; break;
            case '\r': *q++ = 'r'; break;
            case '\t': *q++ = 't'; break;
            case '\b': *q++ = 'b'; break;
            case '\f': *q++ = 'f'; break;
            default:
                memcpy(q, "u00", 3);
                q[3] = hex[c >> 4];
                q[4] = hex[c & 15];
                q += 5;
            }
        }
    }
    *q++ = '"';
    t->len += (size_t)(q - p);
}

/* ---- Compiling the field table ---------------------------------------------------------- */

static bool is_scalar(fsim__kind k)
{
    return k == FSIM__K_STR || k == FSIM__K_INT || k == FSIM__K_NUM || k == FSIM__K_BOOL ||
           k == FSIM__K_TIME || k == FSIM__K_ENUM;
}

/* The ops of one object type. Arrays, free-form JSON and flattened fields have no CSV
 * column, and their JSON is the generic encoder's (not made here): a writer with a JSON
 * text refuses a type that has any. Returns the CSV columns, or -1 when refused. */
static int compile(fsim_wire_rows *w, int type, bool json, int depth)
{
    const fsim__type *t = &fsim__types[type];
    int columns = 0;
    for (size_t i = 0; i < t->n_fields; i++) {
        const fsim__field *f = &t->fields[i];
        const bool nested = f->kind == FSIM__K_OBJ;
        if (!is_scalar(f->kind) && !nested) {
            if (json)
                return -1;
            continue;
        }
        if (w->n_ops >= MAX_OPS - 1 || (nested && depth + 1 >= MAX_DEPTH))
            return -1;
        struct op *op = &w->ops[w->n_ops++];
        *op = (struct op){.kind = nested ? OP_OPEN : (int)f->kind, .f = f, .off = f->off,
                          .json_null = f->required && f->nullable, .csv = true};
        op->key[0] = ',';
        memcpy(op->key + 1, f->json_key, f->json_key_len);
        op->key_len = f->json_key_len + 1;
        if (!nested) {
            columns += f->kind == FSIM__K_TIME ? 2 : 1;
            continue;
        }
        const size_t open = w->n_ops - 1;
        int sub = compile(w, f->sub, json, depth + 1);
        if (sub < 0 || w->n_ops >= MAX_OPS)
            return -1;
        w->ops[w->n_ops++] = (struct op){.kind = OP_CLOSE};
        w->ops[open].skip = (unsigned)(w->n_ops - open);
        w->ops[open].cells = (unsigned)sub;
        columns += sub;
    }
    return columns;
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

static void header_cell(text *t, bool *first, const char *name, size_t n)
{
    char *p = room(t, n + 1);
    if (!p)
        return;
    if (!*first)
        *p++ = ',', t->len++;
    *first = false;
    memcpy(p, name, n);
    t->len += n;
}

/* The header: scalars by name, a time and then its `_local`, a nested object's fields
 * prefixed with its name (strandedAt.lon → stranded_at_lon). */
static void csv_header(fsim_wire_rows *w)
{
    char prefix[MAX_DEPTH][300];
    size_t prefix_len[MAX_DEPTH] = {0};
    int depth = 0;
    bool first = true;
    for (size_t i = 0; i < w->n_ops; i++) {
        const struct op *op = &w->ops[i];
        if (op->kind == OP_CLOSE) {
            depth--;
            continue;
        }
        char name[300 + 8];
        size_t n = prefix_len[depth];
        memcpy(name, prefix[depth], n);
        n += snake(op->f->key, name + n);
        if (op->kind == OP_OPEN) {
            name[n++] = '_';
            depth++;
            memcpy(prefix[depth], name, n);
            prefix_len[depth] = n;
            continue;
        }
        header_cell(&w->csv, &first, name, n);
        if (op->kind == FSIM__K_TIME) {
            memcpy(name + n, "_local", 6);
            header_cell(&w->csv, &first, name, n + 6);
        }
    }
    char *p = room(&w->csv, 1);
    if (p)
        *p = '\n', w->csv.len++;
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

static fsim_status open_text(text *t, fsim_wire_write_fn write, void *user)
{
    *t = (text){.write = write, .user = user};
    if (!write)
        return FSIM_OK;
    if (!(t->buf = malloc(BUF_CAP + SLACK)))
        return FSIM_NOMEM;
    t->cap = BUF_CAP + SLACK;
    return FSIM_OK;
}

fsim_status fsim_wire_rows_new(fsim_wire_type type, const fsim_depot_summary *depots,
                               size_t n_depots, fsim_wire_write_fn csv, void *csv_user,
                               fsim_wire_write_fn json, void *json_user, fsim_wire_rows **out,
                               fsim_error *err)
{
    *out = NULL;
    if ((unsigned)type >= FSIM_WIRE_TYPE_COUNT)
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, NULL, "unknown wire type");
    fsim_wire_rows *w = calloc(1, sizeof *w);
    if (!w)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    w->depots = depots;
    w->n_depots = n_depots;
    w->depot_field = depot_field(&fsim__types[type]);
    if (compile(w, (int)type, json != NULL, 0) < 0) {
        free(w);
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, NULL,
                              "%s has fields a row writer cannot write",
                              fsim__types[type].name);
    }
    if (open_text(&w->csv, csv, csv_user) != FSIM_OK ||
        open_text(&w->json, json, json_user) != FSIM_OK) {
        free(w->csv.buf);
        free(w);
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    }
    if (csv)
        csv_header(w);
    *out = w;
    return FSIM_OK;
}

/* ---- Rows ------------------------------------------------------------------------------- */

/* The row's depot offset for the _local columns; rows of one depot come in runs (and share
 * the input's id pointer), so the table is searched only when the depot changes. */
static void row_depot(fsim_wire_rows *w, const void *row)
{
    const char *depot =
        w->depot_field ? *(const char *const *)FSIM__CAT(row, w->depot_field->off) : NULL;
    if (depot == w->last_depot)
        return;
    w->last_depot = depot;
    w->local_known = false;
    for (size_t d = 0; depot && d < w->n_depots; d++)
        if (w->depots[d].id && strcmp(w->depots[d].id, depot) == 0) {
            w->local_known = true;
            w->local_offset = w->depots[d].utc_offset_minutes;
            return;
        }
}

/* The JSON key of a field, with the comma before it unless it opens its object. */
static inline void json_key(text *t, const struct op *op, bool *comma)
{
    char *p = room(t, KEY_SIZE);
    if (!p)
        return;
    const size_t skip = *comma ? 0 : 1;
    memcpy(p, op->key + skip, KEY_SIZE - 1); /* fixed size: the key is zero-padded */
    t->len += op->key_len - skip;
    *comma = true;
}

static inline void csv_comma(text *t, bool *first)
{
    if (!*first)
        t->buf[t->len++] = ',';
    *first = false;
}

static inline void put(text *t, const char *s, size_t n)
{
    char *p = room(t, n);
    if (p) {
        memcpy(p, s, n);
        t->len += n;
    }
}

/* One value of a scalar field into both texts (c, j: NULL when not made). The CSV's comma
 * is written by the caller. */
static void put_value(fsim_wire_rows *w, const struct op *op, const void *at, text *c, text *j)
{
    char *p;
    size_t n;
    switch (op->kind) {
    case FSIM__K_STR:
    case FSIM__K_ENUM: {
        const char *s;
        if (op->kind == FSIM__K_STR) {
            s = *(const char *const *)at;
        } else {
            int v = *(const int *)at;
            s = v >= 0 && v < op->f->enum_count ? op->f->enum_names[v] : NULL;
        }
        if (!s) { /* an enum value out of range: null, an empty cell */
            if (j)
                put(j, "null", 4);
            return;
        }
        n = strlen(s);
        const unsigned special = special_bytes(s, n);
        if (c) /* a cell is cut at CSV_STR_MAX: only that much decides its quotes */
            csv_string(c, s, n,
                       n <= CSV_STR_MAX ? !(special & 2) : fsim__plain_text(s, CSV_STR_MAX, true));
        if (j)
            json_string(j, s, n, !(special & 1));
        return;
    }
    case FSIM__K_INT:
    case FSIM__K_NUM: {
        const double v = op->kind == FSIM__K_INT ? *(const int *)at : *(const double *)at;
        text *first = j ? j : c;
        if (!(p = room(first, FSIM_NUMBER_BUF)))
            return;
        n = fsim_format_number(v, p);
        first->len += n;
        if (j && c)
            put(c, p, n);
        return;
    }
    case FSIM__K_BOOL: {
        const bool v = *(const bool *)at;
        if (c)
            put(c, v ? "true" : "false", v ? 4 : 5);
        if (j)
            put(j, v ? "true" : "false", v ? 4 : 5);
        return;
    }
    case FSIM__K_TIME: {
        const double tv = *(const double *)at;
        char utc[40];
        n = fsim_time_format_n(tv, utc);
        if (j && (p = room(j, n + 2))) {
            p[0] = '"';
            memcpy(p + 1, utc, n);
            p[n + 1] = '"';
            j->len += n + 2;
        }
        if (!c)
            return;
        put(c, utc, n);
        if (!(p = room(c, 48)))
            return;
        *p++ = ',';
        c->len++;
        if (w->local_known)
            c->len += fsim_time_format_local_n(tv, w->local_offset, p);
        return;
    }
    default:
        return;
    }
}

bool fsim_wire_rows_add(fsim_wire_rows *w, const void *row)
{
    text *c = w->csv.write ? &w->csv : NULL, *j = w->json.write ? &w->json : NULL;
    if ((c && c->failed) || (j && j->failed))
        return false;
    if (c) {
        if (c->len > BUF_CAP)
            flush(c);
        row_depot(w, row);
    }
    if (j) {
        if (j->len > BUF_CAP)
            flush(j);
        if (w->json_comma)
            put(j, ",{", 2);
        else
            put(j, "{", 1);
        w->json_comma = true;
    }
    /* the objects being written: where each starts, and whether it has a key yet */
    const char *base[MAX_DEPTH] = {row};
    bool comma[MAX_DEPTH] = {false};
    int depth = 0;
    bool first_cell = true;
    for (size_t i = 0; i < w->n_ops; i++) {
        const struct op *op = &w->ops[i];
        if (op->kind == OP_CLOSE) {
            if (j)
                put(j, "}", 1);
            depth--;
            continue;
        }
        const char *obj = base[depth];
        const bool present = obj && fsim__present(op->f, obj);
        const void *at = obj ? FSIM__CAT(obj, op->off) : NULL;
        if (op->kind == OP_OPEN) {
            const char *sub = !present ? NULL
                              : op->f->required ? at : *(const char *const *)at;
            if (!sub) { /* absent: empty cells, and no key (or null) */
                for (unsigned k = 0; c && k < op->cells && room(c, 1); k++)
                    csv_comma(c, &first_cell);
                if (j && op->json_null) {
                    json_key(j, op, &comma[depth]);
                    put(j, "null", 4);
                }
                i += op->skip - 1;
                continue;
            }
            if (j) {
                json_key(j, op, &comma[depth]);
                put(j, "{", 1);
            }
            base[++depth] = sub;
            comma[depth] = false;
            continue;
        }
        if (c && room(c, 1))
            csv_comma(c, &first_cell);
        if (!present) {
            if (c && op->kind == FSIM__K_TIME && room(c, 1))
                csv_comma(c, &first_cell); /* and its _local */
            if (j && op->json_null) {
                json_key(j, op, &comma[depth]);
                put(j, "null", 4);
            }
            continue;
        }
        if (j)
            json_key(j, op, &comma[depth]);
        put_value(w, op, at, c, j);
    }
    if (c && room(c, 1))
        c->buf[c->len++] = '\n';
    if (j)
        put(j, "}", 1);
    return !((c && c->failed) || (j && j->failed));
}

fsim_status fsim_wire_rows_finish(fsim_wire_rows *w, fsim_error *err)
{
    if (!w)
        return FSIM_OK;
    bool failed = false;
    text *texts[2] = {&w->csv, &w->json};
    for (int i = 0; i < 2; i++) {
        if (!texts[i]->write)
            continue;
        flush(texts[i]);
        failed = failed || texts[i]->failed;
        free(texts[i]->buf);
    }
    free(w);
    return failed ? fsim_error_set(err, FSIM_IO, NULL, 0, 0, NULL, "could not write")
                  : FSIM_OK;
}

fsim_status fsim_wire_csv_write(fsim_wire_type type, const void *rows, size_t n_rows,
                                const fsim_depot_summary *depots, size_t n_depots,
                                fsim_wire_write_fn write, void *user, fsim_error *err)
{
    fsim_wire_rows *w;
    fsim_status st = fsim_wire_rows_new(type, depots, n_depots, write, user, NULL, NULL, &w, err);
    if (st != FSIM_OK)
        return st;
    const size_t size = fsim__types[type].size;
    for (size_t r = 0; r < n_rows; r++)
        if (!fsim_wire_rows_add(w, (const char *)rows + r * size))
            break;
    return fsim_wire_rows_finish(w, err);
}
