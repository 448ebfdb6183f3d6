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

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    BUF_CAP = 1 << 16,      /* text handed to the sink in chunks of about this */
    SLACK = 1 << 15,        /* room kept past BUF_CAP for a row (longer strings grow it) */
    CSV_STR_MAX = 4096,     /* a CSV cell's text is cut here (as the tables always were) */
    MAX_OPS = 64, MAX_DEPTH = 4,
    KEY_COPY = 48,          /* bytes copied for a key (",\"name\":", at most 41) */
    KEY_SIZE = KEY_COPY + 8,
    TIME_COPY = 32,         /* bytes copied for a time (fsim_time_format_n's buffer) */
    LOCAL_COPY = 40,        /* and for a local time (fsim_time_format_local_n's) */
    SHORT_STR = 128,        /* a string up to this fits in the room made for each row */
    /* room per op: its key, and the longest of a short string escaped, a number, a time
     * with its local twin */
    OP_ROOM = KEY_COPY + 6 * SHORT_STR + 2 + 2 * 48,
};

_Static_assert(KEY_COPY >= FSIM__JSON_KEY_MAX + 1, "a key and its comma fit the copy");

enum presence { ALWAYS, HAS_FLAG, HAS_POINTER };

enum { OP_OPEN = 100, OP_CLOSE }; /* beside the fsim__kind values of scalar fields */

/* One scalar field, or the open / close of a nested object. */
struct op {
    int kind;
    const fsim__field *f;
    size_t off;               /* the member, from its object */
    enum presence presence;   /* fsim__present's answer, decided once */
    size_t has_off;           /* HAS_FLAG: the member's has_ flag */
    bool json_null;           /* absent: JSON keeps the key, with null (a NUL field) */
    unsigned skip;            /* OP_OPEN: ops up to and including its OP_CLOSE */
    unsigned cells;           /* OP_OPEN: its CSV columns, empty when it is absent */
    size_t key_len;           /* of key, comma included */
    char key[KEY_SIZE];       /* ",\"name\":", zero-padded: copied whole, a fixed-size copy */
};

/* One of the two texts: buffered and handed to its sink in chunks, or (no sink) grown to
 * hold all it is given. */
typedef struct text {
    char *buf;
    size_t len, cap;
    fsim_wire_write_fn write;
    void *user;
    bool failed;
} text;

/* What formatting carries from row to row: the depot of the rows, for the _local columns,
 * and (below) what each op's rows repeat. */
struct cursor {
    const char *last_depot;
    bool local_known;
    int local_offset;
    /* Within one batch (fsim_wire_rows_format; not across fsim_wire_rows_add calls, whose
     * rows the caller may rewrite in place): what each op's rows repeat, remembered. The
     * same string pointer is the same text there (ids, depots, routes), and times come in
     * runs (a group's departures, the sessions ending in one step). */
    bool memo;
    struct memo {
        const char *str;
        size_t str_n;
        unsigned special;
        double utc_t, local_t;    /* NaN: none yet */
        int local_offset;
        size_t utc_n, local_n;
        char utc[TIME_COPY], local[LOCAL_COPY];
    } m[MAX_OPS];
};

struct fsim_wire_rows {
    struct op ops[MAX_OPS];
    size_t n_ops;
    size_t row_room;          /* a row's bytes at most, strings longer than SHORT_STR aside */
    bool make_csv, make_json;
    text csv, json;           /* fsim_wire_rows_add's buffers before the sinks */
    bool json_comma;          /* a row was written: the next is preceded by a comma */
    struct cursor cur;        /* fsim_wire_rows_add's */
    const fsim_depot_summary *depots;
    size_t n_depots;
    const fsim__field *depot_field;
};

/* Rows formatted apart from the writer (fsim_wire_rows_format). */
struct fsim_wire_rows_text {
    text csv, json;           /* each JSON row preceded by a comma */
};

/* ---- Buffers -------------------------------------------------------------------------- */

static void flush(text *t)
{
    if (!t->failed && t->len && !t->write(t->user, t->buf, t->len))
        t->failed = true;
    t->len = 0;
}

/* Room for `need` more bytes: with a sink and `may_flush` (at the start of a row), what is
 * buffered is handed over first; where that is not enough, or not allowed (in the middle
 * of a row, whose cells point into the buffer), the buffer grows. False when out of
 * memory. */
static bool make_room(text *t, size_t need, bool may_flush)
{
    if (t->len + need <= t->cap)
        return true;
    if (may_flush && t->write) {
        flush(t);
        if (need <= t->cap)
            return true;
    }
    size_t cap = t->cap ? t->cap : BUF_CAP;
    while (cap < t->len + need)
        cap *= 2;
    char *grown = realloc(t->buf, cap);
    if (!grown) {
        t->failed = true;
        return false;
    }
    t->buf = grown;
    t->cap = cap;
    return true;
}

static inline char *room(text *t, size_t need)
{
    if (t->len + need > t->cap && !make_room(t, need, true))
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
    /* words of eight, the last one overlapping the one before (n >= 8): a byte checked
     * twice changes nothing */
    for (size_t at = 0; n >= 8; at = at + 16 <= n ? at + 8 : n - 8) {
        uint64_t v;
        memcpy(&v, s + at, 8);
        uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\'), c = v ^ (ones * ',');
        json |= ((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b);
        csv |= ((q - ones) & ~q) | ((c - ones) & ~c);
        if (at + 8 == n) {
            i = n;
            break;
        }
    }
    unsigned flags = ((json & highs) ? 1u : 0u) | ((csv & highs) ? 2u : 0u);
    for (; i < n; i++) { /* shorter than a word */
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

/* RFC 4180: quoted only when the text holds a comma, a quote or a line break; cut at
 * CSV_STR_MAX. Room for 2 n + 2 bytes is the caller's. */
static char *csv_string(char *p, const char *s, size_t n, bool plain)
{
    if (n > CSV_STR_MAX)
        n = CSV_STR_MAX;
    if (plain) {
        memcpy(p, s, n);
        return p + n;
    }
    *p++ = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            *p++ = '"';
        *p++ = s[i];
    }
    *p++ = '"';
    return p;
}

/* A JSON string, escaped as the encoder escapes (fsim__jw_string): the same bytes. Room
 * for 6 n + 2 bytes is the caller's. */
static char *json_string(char *p, const char *s, size_t n, bool plain)
{
    static const char hex[] = "0123456789abcdef";
    *p++ = '"';
    if (plain) {
        memcpy(p, s, n);
        p += n;
        *p++ = '"';
        return p;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *p++ = (char)c;
            continue;
        }
        *p++ = '\\';
        switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        default:
            memcpy(p, "u00", 3);
            p[3] = hex[c >> 4];
            p[4] = hex[c & 15];
            p += 5;
        }
    }
    *p++ = '"';
    return p;
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
                          .has_off = f->has_off, .json_null = f->required && f->nullable};
        op->presence = f->has_off != FSIM__NO_OFF ? HAS_FLAG
                       : f->kind == FSIM__K_STR || (nested && !f->required) ? HAS_POINTER
                                                                           : ALWAYS;
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
    w->make_csv = csv != NULL;
    w->make_json = json != NULL;
    const bool compiled = compile(w, (int)type, json != NULL, 0) >= 0;
    w->row_room = (w->n_ops + 1) * OP_ROOM;
    if (!compiled) {
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
static void row_depot(const fsim_wire_rows *w, struct cursor *cur, const void *row)
{
    const char *depot =
        w->depot_field ? *(const char *const *)FSIM__CAT(row, w->depot_field->off) : NULL;
    if (depot == cur->last_depot)
        return;
    cur->last_depot = depot;
    cur->local_known = false;
    for (size_t d = 0; depot && d < w->n_depots; d++)
        if (w->depots[d].id && strcmp(w->depots[d].id, depot) == 0) {
            cur->local_known = true;
            cur->local_offset = w->depots[d].utc_offset_minutes;
            return;
        }
}

/* Whether the member holds a value (fsim__present, decided once per op). */
static inline bool op_present(const struct op *op, const char *obj)
{
    switch (op->presence) {
    case HAS_FLAG: return *(const bool *)(obj + op->has_off);
    case HAS_POINTER: return *(const void *const *)(obj + op->off) != NULL;
    default: return true;
    }
}

/* The JSON key of a field, with the comma before it unless it opens its object. */
static inline char *json_key(char *p, const struct op *op, bool *keyed)
{
    const size_t skip = *keyed ? 0 : 1;
    memcpy(p, op->key + skip, KEY_COPY); /* fixed size: the key is zero-padded */
    *keyed = true;
    return p + op->key_len - skip;
}

static inline char *csv_comma(char *p, bool *first)
{
    if (!*first)
        *p++ = ',';
    *first = false;
    return p;
}

/* Room for `need` more bytes in a text that is made (NULL: not made), at the start of a
 * row (what is buffered may be handed over) or, `grow`, in its middle. */
static inline bool reserve(text *t, size_t need)
{
    return !t || t->len + need <= t->cap || make_room(t, need, true);
}

static inline bool grow(text *t, size_t need)
{
    return !t || t->len + need <= t->cap || make_room(t, need, false);
}

/* A string's length and the bytes it must escape or quote for (special_bytes): from the
 * op's memo when it is the same pointer (see struct cursor). */
static inline void string_facts(struct cursor *cur, size_t op, const char *s, size_t *n,
                                unsigned *special)
{
    struct memo *m = &cur->m[op];
    if (cur->memo && m->str == s) {
        *n = m->str_n;
        *special = m->special;
        return;
    }
    *n = strlen(s);
    *special = special_bytes(s, *n);
    if (cur->memo)
        m->str = s, m->str_n = *n, m->special = *special;
}

/* A time's UTC text at p (room made for TIME_COPY bytes): from the op's memo when it is
 * the same instant. */
static inline size_t utc_text(struct cursor *cur, size_t op, double t, char *p)
{
    struct memo *m = &cur->m[op];
    if (cur->memo && m->utc_t == t) {
        memcpy(p, m->utc, TIME_COPY);
        return m->utc_n;
    }
    const size_t n = fsim_time_format_n(t, p);
    if (cur->memo)
        m->utc_t = t, m->utc_n = n, memcpy(m->utc, p, TIME_COPY);
    return n;
}

/* The same instant in the row's depot's local time (LOCAL_COPY bytes of room). */
static inline size_t local_text(struct cursor *cur, size_t op, double t, char *p)
{
    struct memo *m = &cur->m[op];
    if (cur->memo && m->local_t == t && m->local_offset == cur->local_offset) {
        memcpy(p, m->local, LOCAL_COPY);
        return m->local_n;
    }
    const size_t n = fsim_time_format_local_n(t, cur->local_offset, p);
    if (cur->memo)
        m->local_t = t, m->local_offset = cur->local_offset, m->local_n = n,
        memcpy(m->local, p, LOCAL_COPY);
    return n;
}

/* A CSV cell of a row made beside its JSON: the value's text in the JSON (or the raw
 * string when the JSON's is escaped), copied once the JSON row is done. */
struct cell {
    enum { CELL_EMPTY, CELL_TEXT, CELL_RAW, CELL_QUOTED, CELL_TIME } how;
    size_t at;                /* CELL_TEXT, CELL_TIME: offset of the text in the JSON */
    const char *raw;          /* CELL_RAW, CELL_QUOTED: the string */
    size_t n;
    double t;                 /* CELL_TIME: the instant, for its local twin */
    size_t op;                /* CELL_TIME: its op, for the memo */
};

/* A short text into the CSV: one fixed-size copy (the bytes past it are overwritten next;
 * the room is made, and the source is the JSON buffer, also with room to spare). */
static inline char *copy_short(char *to, const char *from, size_t n)
{
    if (n <= 32)
        memcpy(to, from, 32);
    else
        memcpy(to, from, n);
    return to + n;
}

/* The CSV row from the cells of a row made beside its JSON. */
static char *csv_from_cells(char *cp, const struct cell *cells, size_t n_cells,
                            const char *json, struct cursor *cur)
{
    for (size_t i = 0; i < n_cells; i++) {
        if (i)
            *cp++ = ',';
        const struct cell *cell = &cells[i];
        switch (cell->how) {
        case CELL_TEXT:
            cp = copy_short(cp, json + cell->at, cell->n);
            break;
        case CELL_RAW:
            cp = csv_string(cp, cell->raw, cell->n, true);
            break;
        case CELL_QUOTED:
            cp = csv_string(cp, cell->raw, cell->n, false);
            break;
        case CELL_TIME:
            cp = copy_short(cp, json + cell->at, cell->n);
            *cp++ = ',';
            if (cur->local_known)
                cp += local_text(cur, cell->op, cell->t, cp);
            i++; /* its _local cell */
            break;
        case CELL_EMPTY:
            break;
        }
    }
    return cp;
}

/* One row into the texts (c, j: NULL when not made; MAKE_C / MAKE_J say which, constants
 * in each of the three copies the compiler makes); `comma`: a JSON row came before. The
 * texts' ends are kept in local pointers, and room is made once per row (strings longer
 * than SHORT_STR aside): bounds checks and reloads were most of the cost. With both texts
 * the JSON row is made first and the CSV row after it from its pieces: a value's bytes
 * copied into the CSV right after they were written stalled the CPU on each (a load
 * waiting for the stores it overlaps); a row later they are long in cache. */
static inline __attribute__((always_inline)) void
format_row_as(const fsim_wire_rows *w, struct cursor *cur, const void *row, text *c, text *j,
              bool comma, const bool MAKE_C, const bool MAKE_J)
{
    const bool CELLS = MAKE_C && MAKE_J;
    const size_t bound = w->row_room;
    if ((MAKE_C && !reserve(c, bound)) || (MAKE_J && !reserve(j, bound)))
        return;
    if (MAKE_C)
        row_depot(w, cur, row);
    char *cp = MAKE_C ? c->buf + c->len : NULL, *jp = MAKE_J ? j->buf + j->len : NULL;
    if (MAKE_J) {
        *jp = ',';
        jp += comma;
        *jp++ = '{';
    }
    struct cell cells[2 * MAX_OPS];
    size_t n_cells = 0;
    bool first_cell = true;
    /* the objects being written: where each starts, and whether it has a key yet */
    const char *base[MAX_DEPTH] = {row};
    bool keyed[MAX_DEPTH] = {false};
    int depth = 0;
    for (size_t i = 0; i < w->n_ops; i++) {
        const struct op *op = &w->ops[i];
        if (op->kind == OP_CLOSE) {
            if (MAKE_J)
                *jp++ = '}';
            depth--;
            continue;
        }
        const char *obj = base[depth];
        const bool present = obj && op_present(op, obj);
        const char *at = obj ? obj + op->off : NULL;
        if (!present) { /* absent: empty cells (a time's two, an object's all), no key */
            const unsigned empty = op->kind == OP_OPEN ? op->cells
                                   : op->kind == FSIM__K_TIME ? 2 : 1;
            for (unsigned k = 0; k < empty; k++)
                if (CELLS)
                    cells[n_cells++].how = CELL_EMPTY;
                else if (MAKE_C)
                    cp = csv_comma(cp, &first_cell);
            if (MAKE_J && op->json_null) { /* or the key with null */
                jp = json_key(jp, op, &keyed[depth]);
                memcpy(jp, "null", 4), jp += 4;
            }
            if (op->kind == OP_OPEN)
                i += op->skip - 1;
            continue;
        }
        if (MAKE_J)
            jp = json_key(jp, op, &keyed[depth]);
        if (op->kind == OP_OPEN) { /* present: a required one inline, else pointed to */
            if (MAKE_J)
                *jp++ = '{';
            base[++depth] = op->f->required ? at : *(const char *const *)(const void *)at;
            keyed[depth] = false;
            continue;
        }
        struct cell *cell = CELLS ? &cells[n_cells++] : NULL;
        if (CELLS)
            cell->how = CELL_EMPTY;
        else if (MAKE_C)
            cp = csv_comma(cp, &first_cell);
        switch (op->kind) {
        case FSIM__K_STR:
        case FSIM__K_ENUM: {
            const char *s;
            if (op->kind == FSIM__K_STR) {
                s = *(const char *const *)(const void *)at;
            } else {
                int v = *(const int *)(const void *)at;
                s = v >= 0 && v < op->f->enum_count ? op->f->enum_names[v] : NULL;
            }
            if (!s) { /* an enum value out of range: null, an empty cell */
                if (MAKE_J)
                    memcpy(jp, "null", 4), jp += 4;
                break;
            }
            size_t n;
            unsigned special;
            string_facts(cur, i, s, &n, &special);
            if (n > SHORT_STR) { /* beyond the row's room: grown here, the ends reloaded */
                if (MAKE_C)
                    c->len = (size_t)(cp - c->buf);
                if (MAKE_J)
                    j->len = (size_t)(jp - j->buf);
                if ((MAKE_C && !grow(c, 2 * n + bound)) || (MAKE_J && !grow(j, 6 * n + bound)))
                    return;
                cp = MAKE_C ? c->buf + c->len : NULL;
                jp = MAKE_J ? j->buf + j->len : NULL;
            }
            /* a CSV cell is cut at CSV_STR_MAX: only that much decides its quotes */
            const bool csv_plain = n <= CSV_STR_MAX ? !(special & 2)
                                                    : fsim__plain_text(s, CSV_STR_MAX, true);
            /* the JSON's bytes are the string's unless it escapes some (or the cell is cut) */
            if (CELLS)
                *cell = (struct cell){.how = !csv_plain                       ? CELL_QUOTED
                                             : special || n > CSV_STR_MAX ? CELL_RAW
                                                                              : CELL_TEXT,
                                      .at = (size_t)(jp + 1 - j->buf), .raw = s, .n = n};
            else if (MAKE_C)
                cp = csv_string(cp, s, n, csv_plain);
            if (MAKE_J)
                jp = json_string(jp, s, n, !(special & 1));
            break;
        }
        case FSIM__K_INT:
        case FSIM__K_NUM: {
            const double v = op->kind == FSIM__K_INT ? *(const int *)(const void *)at
                                                     : *(const double *)(const void *)at;
            if (!MAKE_J) {
                cp += fsim_format_number(v, cp);
                break;
            }
            const size_t n = fsim_format_number(v, jp);
            if (CELLS)
                cell->how = CELL_TEXT, cell->at = (size_t)(jp - j->buf), cell->n = n;
            jp += n;
            break;
        }
        case FSIM__K_BOOL: {
            const bool v = *(const bool *)(const void *)at;
            if (!MAKE_J) {
                memcpy(cp, v ? "true" : "false", 5), cp += v ? 4 : 5;
                break;
            }
            if (CELLS)
                *cell = (struct cell){.how = CELL_TEXT, .at = (size_t)(jp - j->buf), .n = v ? 4 : 5};
            memcpy(jp, v ? "true" : "false", 5), jp += v ? 4 : 5;
            break;
        }
        case FSIM__K_TIME: {
            const double tv = *(const double *)(const void *)at;
            if (!MAKE_J) {
                cp += utc_text(cur, i, tv, cp);
                *cp++ = ',';
                if (cur->local_known)
                    cp += local_text(cur, i, tv, cp);
                break;
            }
            *jp = '"';
            const size_t n = utc_text(cur, i, tv, jp + 1);
            if (CELLS) {
                *cell = (struct cell){.how = CELL_TIME, .at = (size_t)(jp + 1 - j->buf), .n = n,
                                      .t = tv, .op = i};
                n_cells++; /* its _local, made with it */
            }
            jp[n + 1] = '"';
            jp += n + 2;
            break;
        }
        default:
            break;
        }
    }
    if (MAKE_J) {
        *jp++ = '}';
        j->len = (size_t)(jp - j->buf);
    }
    if (CELLS)
        cp = csv_from_cells(cp, cells, n_cells, j->buf, cur);
    if (MAKE_C) {
        *cp++ = '\n';
        c->len = (size_t)(cp - c->buf);
    }
}

static void format_row(const fsim_wire_rows *w, struct cursor *cur, const void *row, text *c,
                       text *j, bool comma)
{
    if (c && j)
        format_row_as(w, cur, row, c, j, comma, true, true);
    else if (c)
        format_row_as(w, cur, row, c, NULL, comma, true, false);
    else if (j)
        format_row_as(w, cur, row, NULL, j, comma, false, true);
}

bool fsim_wire_rows_add(fsim_wire_rows *w, const void *row)
{
    text *c = w->make_csv ? &w->csv : NULL, *j = w->make_json ? &w->json : NULL;
    if ((c && c->failed) || (j && j->failed))
        return false;
    if (c && c->len > BUF_CAP)
        flush(c);
    if (j && j->len > BUF_CAP)
        flush(j);
    format_row(w, &w->cur, row, c, j, w->json_comma);
    w->json_comma = true;
    return !((c && c->failed) || (j && j->failed));
}

fsim_wire_rows_text *fsim_wire_rows_text_new(void)
{
    return calloc(1, sizeof(fsim_wire_rows_text));
}

void fsim_wire_rows_text_free(fsim_wire_rows_text *t)
{
    if (!t)
        return;
    free(t->csv.buf);
    free(t->json.buf);
    free(t);
}

bool fsim_wire_rows_format(const fsim_wire_rows *w, const void *rows, size_t n, size_t size,
                           fsim_wire_rows_text *t)
{
    t->csv.len = t->json.len = 0;
    t->csv.failed = t->json.failed = false;
    text *c = w->make_csv ? &t->csv : NULL, *j = w->make_json ? &t->json : NULL;
    struct cursor cur = {.memo = true};
    for (size_t i = 0; i < w->n_ops; i++)
        cur.m[i].utc_t = cur.m[i].local_t = NAN;
    for (size_t r = 0; r < n; r++)
        format_row(w, &cur, (const char *)rows + r * size, c, j, true);
    return !t->csv.failed && !t->json.failed;
}

bool fsim_wire_rows_put(fsim_wire_rows *w, const fsim_wire_rows_text *t)
{
    text *texts[2] = {&w->csv, &w->json};
    const text *from[2] = {&t->csv, &t->json};
    const bool make[2] = {w->make_csv, w->make_json};
    for (int i = 0; i < 2; i++) {
        if (!make[i] || from[i]->len == 0)
            continue;
        text *to = texts[i];
        /* the first row written drops its comma */
        const size_t skip = i == 1 && !w->json_comma ? 1 : 0;
        flush(to); /* what fsim_wire_rows_add buffered comes first */
        if (!to->failed && !to->write(to->user, from[i]->buf + skip, from[i]->len - skip))
            to->failed = true;
        if (i == 1)
            w->json_comma = true;
    }
    return !w->csv.failed && !w->json.failed;
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
