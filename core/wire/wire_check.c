/* The rules every value obeys, shared by the decoder (after JSON → C conversion) and the
 * validator (objects built in C), plus deep equality. One place per rule, one message. */
#include <fleetsim/util.h>

#include "wire_internal.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- Context and path ------------------------------------------------------------------- */

void fsim__ctx_init(fsim__ctx *ctx, const char *source, fsim_error *err)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->source = source;
    ctx->err = err;
    ctx->status = FSIM_INVALID;
}

static void path_append(fsim__ctx *ctx, const char *text)
{
    size_t room = sizeof ctx->path - 1 - ctx->len;
    size_t n = strlen(text);
    if (n > room)
        n = room; /* a truncated path still names the place well enough */
    memcpy(ctx->path + ctx->len, text, n);
    ctx->len += n;
    ctx->path[ctx->len] = '\0';
}

size_t fsim__path_key(fsim__ctx *ctx, const char *key)
{
    size_t old = ctx->len;
    if (ctx->len > 0)
        path_append(ctx, ".");
    path_append(ctx, key);
    return old;
}

size_t fsim__path_index(fsim__ctx *ctx, size_t index)
{
    size_t old = ctx->len;
    char buf[32];
    snprintf(buf, sizeof buf, "[%zu]", index);
    path_append(ctx, buf);
    return old;
}

void fsim__path_restore(fsim__ctx *ctx, size_t len)
{
    ctx->len = len;
    ctx->path[len] = '\0';
}

/* Records a problem at the current path: the error (the first one only, when collecting
 * every problem) and, when collecting, one more detail. */
bool fsim__fail(fsim__ctx *ctx, const char *fmt, ...)
{
    ctx->status = FSIM_INVALID;
    if (!ctx->err)
        return false;
    char message[sizeof ctx->err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (!ctx->problems || ctx->n_problems == 0)
        fsim_error_set(ctx->err, FSIM_INVALID, ctx->source, 0, 0, ctx->path, "%s", message);
    if (ctx->problems && ctx->n_problems < ctx->max_problems) {
        fsim_error_detail *d = &ctx->problems[ctx->n_problems];
        d->field = ctx->len ? fsim_arena_strdup(ctx->arena, ctx->path) : NULL;
        d->message = fsim_arena_strdup(ctx->arena, message);
        if ((ctx->len && !d->field) || !d->message)
            return fsim__nomem(ctx);
        ctx->n_problems++;
    }
    return false;
}

bool fsim__keep_going(const fsim__ctx *ctx)
{
    return ctx->problems && ctx->status == FSIM_INVALID && ctx->n_problems < ctx->max_problems;
}

bool fsim__nomem(fsim__ctx *ctx)
{
    ctx->status = FSIM_NOMEM;
    fsim_error_set(ctx->err, FSIM_NOMEM, ctx->source, 0, 0, ctx->path, "out of memory");
    return false;
}

/* ---- Value rules ------------------------------------------------------------------------ */

/* Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF): what we encode must be JSON that
 * every other parser accepts, and cJSON passes raw bytes through unchecked. */
bool fsim__utf8_valid(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        unsigned c = *s;
        int n;
        unsigned min;
        if (c < 0x80) {
            s++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (s[i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
        s += n + 1;
    }
    return true;
}

static bool check_len(fsim__ctx *ctx, const char *s, size_t lo, size_t hi)
{
    size_t n = strlen(s);
    if (n < lo)
        return lo == 1 ? fsim__fail(ctx, "must not be empty")
                       : fsim__fail(ctx, "must be at least %zu characters", lo);
    if (n > hi)
        return fsim__fail(ctx, "must be at most %zu characters", hi);
    return true;
}

static bool check_format(fsim__ctx *ctx, fsim__fmt fmt, const char *s)
{
    if (!fsim__utf8_valid(s))
        return fsim__fail(ctx, "must be valid UTF-8");
    if (fmt == FSIM__FMT_uuid && !fsim_uuid_valid(s))
        return fsim__fail(ctx, "must be a UUID such as \"3b0c8d6e-5f0a-4c1e-9d43-2f6a1b7c9e10\"");
    if (fmt == FSIM__FMT_hhmm && fsim_wire_hhmm_minutes(s) < 0)
        return fsim__fail(ctx, "must be a time of day \"HH:MM\" between 00:00 and 23:59");
    return true;
}

bool fsim__check_str(fsim__ctx *ctx, const fsim__field *f, const char *s)
{
    return check_format(ctx, f->fmt, s) && check_len(ctx, s, (size_t)f->lo, (size_t)f->hi);
}

bool fsim__check_item_str(fsim__ctx *ctx, fsim__fmt fmt, const char *s)
{
    return check_format(ctx, fmt, s) &&
           check_len(ctx, s, fsim__fmts[fmt].min_len, fsim__fmts[fmt].max_len);
}

bool fsim__check_num(fsim__ctx *ctx, double lo, double hi, bool positive, double v)
{
    char a[FSIM_NUMBER_BUF], b[FSIM_NUMBER_BUF];
    if (!isfinite(v))
        return fsim__fail(ctx, "must be a finite number");
    if (positive && (v <= lo || v > hi))
        return fsim__fail(ctx, "must be greater than %s and at most %s",
                          fsim_format_double(lo, a), fsim_format_double(hi, b));
    if (v < lo || v > hi)
        return fsim__fail(ctx, "must be between %s and %s", fsim_format_double(lo, a),
                          fsim_format_double(hi, b));
    return true;
}

bool fsim__check_int(fsim__ctx *ctx, const fsim__field *f, double v)
{
    if (isfinite(v) && v != floor(v))
        return fsim__fail(ctx, "must be an integer");
    return fsim__check_num(ctx, f->lo, f->hi, false, v);
}

/* Years 0000..9999: what RFC 3339 can write. */
bool fsim__check_time(fsim__ctx *ctx, double t)
{
    if (!isfinite(t) || t < -62167219200.0 || t > 253402300799.0)
        return fsim__fail(ctx, "must be a time between years 0000 and 9999");
    return true;
}

/* ---- Validator -------------------------------------------------------------------------- */

static bool validate_object(fsim__ctx *ctx, int type, const void *obj);

static bool validate_value(fsim__ctx *ctx, const fsim__field *f, const void *obj)
{
    const void *p = FSIM__CAT(obj, f->off);
    switch (f->kind) {
    case FSIM__K_STR:
        return fsim__check_str(ctx, f, *(const char *const *)p);
    case FSIM__K_INT:
        return fsim__check_int(ctx, f, *(const int *)p);
    case FSIM__K_NUM:
        return fsim__check_num(ctx, f->lo, f->hi, f->fmt == FSIM__FMT_positive,
                               *(const double *)p);
    case FSIM__K_BOOL:
        return true;
    case FSIM__K_TIME:
        return fsim__check_time(ctx, *(const double *)p);
    case FSIM__K_ENUM: {
        int v = *(const int *)p;
        return v >= 0 && v < f->enum_count ? true : fsim__fail(ctx, "has no valid enum value");
    }
    case FSIM__K_OBJ:
        return validate_object(ctx, f->sub, f->required ? p : *(const void *const *)p);
    case FSIM__K_ARR:
    case FSIM__K_STRS:
    case FSIM__K_NUMS: {
        const void *items = *(const void *const *)p;
        size_t n = *(const size_t *)FSIM__CAT(obj, f->n_off);
        if (n > 0 && !items)
            return fsim__fail(ctx, "has %zu items but no array", n);
        if ((double)n < f->lo || (double)n > f->hi) {
            char a[FSIM_NUMBER_BUF], b[FSIM_NUMBER_BUF];
            return fsim__fail(ctx, "must have between %s and %s items",
                              fsim_format_double(f->lo, a), fsim_format_double(f->hi, b));
        }
        for (size_t i = 0; i < n; i++) {
            size_t mark = fsim__path_index(ctx, i);
            bool ok;
            if (f->kind == FSIM__K_ARR) {
                ok = validate_object(ctx, f->sub,
                                     (const char *)items + i * fsim__types[f->sub].size);
            } else if (f->kind == FSIM__K_STRS) {
                const char *s = ((const char *const *)items)[i];
                ok = s ? fsim__check_item_str(ctx, f->fmt, s) : fsim__fail(ctx, "is NULL");
            } else {
                ok = fsim__check_num(ctx, fsim__fmts[f->fmt].lo, fsim__fmts[f->fmt].hi, false,
                                     ((const double *)items)[i]);
            }
            if (!ok)
                return false;
            fsim__path_restore(ctx, mark);
        }
        return true;
    }
    case FSIM__K_JSON: {
        cJSON *node = cJSON_Parse(*(const char *const *)p);
        bool ok = cJSON_IsObject(node);
        cJSON_Delete(node);
        return ok ? true : fsim__fail(ctx, "must hold the text of a JSON object");
    }
    case FSIM__K_FLAT:
        return validate_object(ctx, f->sub, p);
    }
    return true;
}

static bool validate_object(fsim__ctx *ctx, int type, const void *obj)
{
    const fsim__type *t = &fsim__types[type];
    for (size_t i = 0; i < t->n_fields; i++) {
        const fsim__field *f = &t->fields[i];
        if (f->kind == FSIM__K_FLAT) {
            if (!validate_value(ctx, f, obj))
                return false;
            continue;
        }
        size_t mark = fsim__path_key(ctx, f->key);
        if (!fsim__present(f, obj)) {
            if (!f->nullable)
                return fsim__fail(ctx, "is required");
        } else if (!validate_value(ctx, f, obj)) {
            return false;
        }
        fsim__path_restore(ctx, mark);
    }
    return t->check ? t->check(ctx, obj) : true;
}

fsim_status fsim_wire_validate(fsim_wire_type type, const void *obj, const char *source,
                               fsim_error *err)
{
    fsim_error_clear(err);
    if ((unsigned)type >= FSIM_WIRE_TYPE_COUNT || !obj)
        return fsim_error_set(err, FSIM_USAGE, source, 0, 0, NULL, "no object to validate");
    fsim__ctx ctx;
    fsim__ctx_init(&ctx, source, err);
    return validate_object(&ctx, (int)type, obj) ? FSIM_OK : ctx.status;
}

/* ---- Equality --------------------------------------------------------------------------- */

static bool equal_object(int type, const void *a, const void *b);

static bool str_equal(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool num_equal(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

static bool equal_value(const fsim__field *f, const void *a, const void *b)
{
    const void *pa = FSIM__CAT(a, f->off), *pb = FSIM__CAT(b, f->off);
    switch (f->kind) {
    case FSIM__K_STR:
    case FSIM__K_JSON:
        return str_equal(*(const char *const *)pa, *(const char *const *)pb);
    case FSIM__K_INT:
    case FSIM__K_ENUM:
        return *(const int *)pa == *(const int *)pb;
    case FSIM__K_NUM:
    case FSIM__K_TIME:
        return num_equal(*(const double *)pa, *(const double *)pb);
    case FSIM__K_BOOL:
        return *(const bool *)pa == *(const bool *)pb;
    case FSIM__K_OBJ:
        if (f->required)
            return equal_object(f->sub, pa, pb);
        return equal_object(f->sub, *(const void *const *)pa, *(const void *const *)pb);
    case FSIM__K_FLAT:
        return equal_object(f->sub, pa, pb);
    case FSIM__K_ARR:
    case FSIM__K_STRS:
    case FSIM__K_NUMS: {
        size_t n = *(const size_t *)FSIM__CAT(a, f->n_off);
        if (n != *(const size_t *)FSIM__CAT(b, f->n_off))
            return false;
        const char *ia = *(const void *const *)pa, *ib = *(const void *const *)pb;
        for (size_t i = 0; i < n; i++) {
            bool same;
            if (f->kind == FSIM__K_ARR) {
                size_t size = fsim__types[f->sub].size;
                same = equal_object(f->sub, ia + i * size, ib + i * size);
            } else if (f->kind == FSIM__K_STRS) {
                same = str_equal(((const char *const *)(const void *)ia)[i],
                                 ((const char *const *)(const void *)ib)[i]);
            } else {
                same = num_equal(((const double *)(const void *)ia)[i],
                                 ((const double *)(const void *)ib)[i]);
            }
            if (!same)
                return false;
        }
        return true;
    }
    }
    return false;
}

static bool equal_object(int type, const void *a, const void *b)
{
    if (!a || !b)
        return a == b;
    const fsim__type *t = &fsim__types[type];
    for (size_t i = 0; i < t->n_fields; i++) {
        const fsim__field *f = &t->fields[i];
        bool has_a = fsim__present(f, a), has_b = fsim__present(f, b);
        if (has_a != has_b)
            return false;
        if (has_a && !equal_value(f, a, b))
            return false;
    }
    return true;
}

bool fsim_wire_equal(fsim_wire_type type, const void *a, const void *b)
{
    if ((unsigned)type >= FSIM_WIRE_TYPE_COUNT)
        return false;
    return equal_object((int)type, a, b);
}
