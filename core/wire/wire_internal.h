/* Private to core/wire: the field table derived from wire.h's lists, the error context
 * shared by decoder and validator, and the JSON text writer shared by encoder and schema. */
#ifndef FLEETSIM_WIRE_INTERNAL_H
#define FLEETSIM_WIRE_INTERNAL_H

#include <fleetsim/util.h>
#include <fleetsim/wire.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Field table ------------------------------------------------------------------------ */

typedef enum fsim__kind {
    FSIM__K_STR, FSIM__K_INT, FSIM__K_NUM, FSIM__K_BOOL, FSIM__K_TIME, FSIM__K_ENUM,
    FSIM__K_OBJ, FSIM__K_ARR, FSIM__K_STRS, FSIM__K_NUMS, FSIM__K_JSON, FSIM__K_FLAT,
} fsim__kind;

/* String / number formats named by a list entry's `aux`. */
typedef enum fsim__fmt {
    FSIM__FMT_none, FSIM__FMT_uuid, FSIM__FMT_hhmm, FSIM__FMT_ident, FSIM__FMT_text,
    FSIM__FMT_positive, FSIM__FMT_soc, FSIM__FMT_celsius,
} fsim__fmt;

#define FSIM__NO_OFF SIZE_MAX
#define FSIM__JSON_KEY_MAX 40

typedef struct fsim__field {
    fsim__kind kind;
    bool required;            /* the key must be there (REQ, NUL) */
    bool nullable;            /* JSON null stands for an absent value (OPT, NUL) */
    const char *key;          /* NULL for FLAT */
    /* "\"key\":", as the compact encoder writes it ("" for FLAT), zero-padded so that it is
     * copied whole, a fixed-size copy the compiler inlines (keys are at most 32 bytes) */
    char json_key[FSIM__JSON_KEY_MAX];
    size_t json_key_len;
    size_t off;               /* the member */
    size_t has_off;           /* `bool has_m`, or FSIM__NO_OFF */
    size_t n_off;             /* `size_t n_m`, or FSIM__NO_OFF */
    double lo, hi;
    fsim__fmt fmt;
    const char *const *enum_names;
    int enum_count;
    int sub;                  /* fsim_wire_type of OBJ / ARR / FLAT */
    const char *doc;
} fsim__field;

struct fsim__ctx;
/* Cross-field rules of a type, run after its fields passed; `ctx` path is the object's. */
typedef bool (*fsim__check_fn)(struct fsim__ctx *ctx, const void *obj);

typedef struct fsim__type {
    const char *name;
    size_t size;
    const fsim__field *fields;
    size_t n_fields;
    fsim__check_fn check;     /* NULL when none */
} fsim__type;

extern const fsim__type fsim__types[FSIM_WIRE_TYPE_COUNT];

typedef struct fsim__fmt_info {
    size_t min_len, max_len;  /* for STRS items (STR fields use lo/hi as well) */
    double lo, hi;            /* for NUMS items */
} fsim__fmt_info;

extern const fsim__fmt_info fsim__fmts[];

/* ---- Error context --------------------------------------------------------------------- */

typedef struct fsim__ctx {
    char path[256];
    size_t len;
    const char *source;
    fsim_error *err;
    fsim_arena *arena;        /* NULL when validating */
    unsigned flags;
    fsim_status status;       /* FSIM_INVALID, or FSIM_NOMEM */
    /* fsim_wire_decode_all: every problem goes here (in `arena`), `err` keeps the first */
    fsim_error_detail *problems;  /* NULL: stop at the first problem */
    size_t n_problems, max_problems;
} fsim__ctx;

void fsim__ctx_init(fsim__ctx *ctx, const char *source, fsim_error *err);
/* Appends ".key" (or "key" at the root) / "[i]"; both return the length to restore. */
size_t fsim__path_key(fsim__ctx *ctx, const char *key);
size_t fsim__path_index(fsim__ctx *ctx, size_t index);
void fsim__path_restore(fsim__ctx *ctx, size_t len);
/* Records the error at the current path; always returns false. */
bool fsim__fail(fsim__ctx *ctx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
bool fsim__nomem(fsim__ctx *ctx);
/* After a problem: true when the decoder should go on to the next value (all-problems mode,
 * room for more, memory left). */
bool fsim__keep_going(const fsim__ctx *ctx);

/* Shared checks of one value (decoder after conversion, validator on structs). */
bool fsim__check_str(fsim__ctx *ctx, const fsim__field *f, const char *s);
bool fsim__check_item_str(fsim__ctx *ctx, fsim__fmt fmt, const char *s);
bool fsim__check_int(fsim__ctx *ctx, const fsim__field *f, double v);
bool fsim__check_num(fsim__ctx *ctx, double lo, double hi, bool positive, double v);
bool fsim__check_time(fsim__ctx *ctx, double t);
bool fsim__utf8_valid(const char *s);

/* The first later duplicate among `n` strings (document order): returns true and sets
 * *dup (the later index) and *first (its earlier twin). Uses malloc'd scratch. */
bool fsim__find_duplicate(const char *const *strings, size_t n, size_t *dup, size_t *first,
                          bool *nomem);

/* Member access. */
#define FSIM__AT(obj, off) ((void *)((char *)(obj) + (off)))
#define FSIM__CAT(obj, off) ((const void *)((const char *)(obj) + (off)))
/* Whether the member holds a value: its has_ flag, else a non-NULL pointer (inline: the
 * encoders ask it of every field of every row). */
static inline bool fsim__present(const fsim__field *f, const void *obj)
{
    if (f->has_off != FSIM__NO_OFF)
        return *(const bool *)FSIM__CAT(obj, f->has_off);
    switch (f->kind) {
    case FSIM__K_STR:
    case FSIM__K_JSON:
        return *(void *const *)FSIM__CAT(obj, f->off) != NULL;
    case FSIM__K_ARR: /* a required array with a NULL pointer is an empty array */
    case FSIM__K_STRS:
    case FSIM__K_NUMS:
    case FSIM__K_OBJ:
        return f->required || *(void *const *)FSIM__CAT(obj, f->off) != NULL;
    default:
        return true;
    }
}

/* Whether n bytes of text hold none of the bytes a JSON string escapes (controls, quote,
 * backslash) — or, with `csv`, none that make a CSV cell quoted (comma, quote, CR, LF).
 * Eight bytes a step (SWAR): ids and names are most of a result's strings, and nearly none
 * holds such a byte. */
static inline bool fsim__plain_text(const char *s, size_t n, bool csv)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        __builtin_memcpy(&v, s + i, 8);
        uint64_t q = v ^ (ones * '"'), hit;
        if (csv) {
            uint64_t c = v ^ (ones * ','), r = v ^ (ones * '\r'), l = v ^ (ones * '\n');
            hit = ((q - ones) & ~q) | ((c - ones) & ~c) | ((r - ones) & ~r) | ((l - ones) & ~l);
        } else {
            uint64_t b = v ^ (ones * '\\');
            hit = ((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b);
        }
        if (hit & highs)
            return false;
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (csv ? (c == ',' || c == '"' || c == '\r' || c == '\n')
                : (c < 0x20 || c == '"' || c == '\\'))
            return false;
    }
    return true;
}

/* ---- JSON writer ------------------------------------------------------------------------ */

enum { FSIM__JW_MAX_DEPTH = 128 };

typedef struct fsim__jw {
    char *buf;
    size_t len, cap;
    bool failed;              /* out of memory or the sink refused */
    bool pretty;
    bool after_key;
    int depth;
    bool nonempty[FSIM__JW_MAX_DEPTH];
    fsim_wire_write_fn sink;  /* NULL: accumulate everything */
    void *user;
} fsim__jw;

void fsim__jw_init(fsim__jw *w, bool pretty, fsim_wire_write_fn sink, void *user);
void fsim__jw_release(fsim__jw *w);
/* Hands the NUL-terminated text over (caller frees); NULL when the writer failed. */
char *fsim__jw_take(fsim__jw *w, size_t *len);
/* Flushes what is buffered to the sink; false when it failed. */
bool fsim__jw_flush(fsim__jw *w);
void fsim__jw_begin(fsim__jw *w, char open);
void fsim__jw_end(fsim__jw *w, char close);
void fsim__jw_key(fsim__jw *w, const char *key);
void fsim__jw_string(fsim__jw *w, const char *s);
void fsim__jw_number(fsim__jw *w, double v);
void fsim__jw_bool(fsim__jw *w, bool v);
void fsim__jw_null(fsim__jw *w);
void fsim__jw_raw(fsim__jw *w, const char *text);
/* Writes one object of field-table type `type` as a value (the encoder's own walk). */
void fsim__jw_object(fsim__jw *w, int type, const void *obj);
/* Writes a cJSON value (numbers shortest round-trip); object keys sorted when `sort`. */
void fsim__jw_cjson(fsim__jw *w, const struct cJSON *node, bool sort);

/* The OpenAPI document's examples (wire_examples.c, generated by core/wire/examples/embed.py
 * from core/wire/examples/ (one .json each)): `key` is the file name without .json — an operation's
 * "<operationId>.request" / "<operationId>.<status>", else a schema name; `pieces` is the
 * compact JSON in pieces, NULL-terminated. The table ends with {NULL, NULL}. */
typedef struct fsim__wire_example {
    const char *key;
    const char *const *pieces;
} fsim__wire_example;
extern const fsim__wire_example fsim__wire_examples[];

#endif
