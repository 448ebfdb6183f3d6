/* The decoder: cJSON text → validated structs in the caller's arena, table-driven. It never
 * trusts the shape of its input: every node's JSON type is checked before it is read. */
#include "wire_internal.h"

#include <cjson/cJSON.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_FLAT_FIELDS = 64, JSON_MAX_DEPTH = 32 };

/* One member of an object after FLAT members are inlined: where its struct starts. */
typedef struct flat_field {
    const fsim__field *f;
    size_t base;
} flat_field;

static size_t flatten(int type, size_t base, flat_field *out, size_t n)
{
    const fsim__type *t = &fsim__types[type];
    for (size_t i = 0; i < t->n_fields && n < MAX_FLAT_FIELDS; i++) {
        const fsim__field *f = &t->fields[i];
        if (f->kind == FSIM__K_FLAT)
            n = flatten(f->sub, base + f->off, out, n);
        else
            out[n++] = (flat_field){f, base};
    }
    return n;
}

static const char *json_type_name(const cJSON *node)
{
    if (cJSON_IsNull(node))
        return "null";
    if (cJSON_IsBool(node))
        return "a boolean";
    if (cJSON_IsNumber(node))
        return "a number";
    if (cJSON_IsString(node))
        return "a string";
    if (cJSON_IsArray(node))
        return "an array";
    if (cJSON_IsObject(node))
        return "an object";
    return "an invalid value";
}

static bool want(fsim__ctx *ctx, bool ok, const char *expected, const cJSON *node)
{
    return ok ? true : fsim__fail(ctx, "must be %s (got %s)", expected, json_type_name(node));
}

/* Edit distance, for "did you mean" on unknown keys; keys are short. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1])
                              ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static bool unknown_key(fsim__ctx *ctx, const char *key, const flat_field *fields, size_t n)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(key, fields[i].f->key);
        if (d < best_d) {
            best_d = d;
            best = fields[i].f->key;
        }
    }
    if (best)
        return fsim__fail(ctx, "unknown field \"%s\" (did you mean \"%s\"?)", key, best);
    return fsim__fail(ctx, "unknown field \"%s\"", key);
}

static char *arena_str(fsim__ctx *ctx, const char *s)
{
    char *copy = fsim_arena_strdup(ctx->arena, s);
    if (!copy)
        fsim__nomem(ctx);
    return copy;
}

/* ---- Free-form JSON (overrides) ----------------------------------------------------------- */

/* Document-order pass over a free-form value: finite numbers, UTF-8 strings and keys, no
 * duplicate keys, bounded depth — so the canonical text we keep is valid everywhere. */
static bool check_free_json(fsim__ctx *ctx, const cJSON *node, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        return fsim__fail(ctx, "is nested more than %d levels deep", JSON_MAX_DEPTH);
    if (cJSON_IsNumber(node))
        return isfinite(node->valuedouble) ? true : fsim__fail(ctx, "must be a finite number");
    if (cJSON_IsString(node))
        return fsim__utf8_valid(node->valuestring) ? true
                                                   : fsim__fail(ctx, "must be valid UTF-8");
    if (!cJSON_IsArray(node) && !cJSON_IsObject(node))
        return true;
    size_t n = 0;
    for (const cJSON *c = node->child; c; c = c->next)
        n++;
    if (cJSON_IsObject(node) && n > 1) {
        const char **keys = malloc(n * sizeof *keys);
        if (!keys)
            return fsim__nomem(ctx);
        size_t i = 0, dup, first;
        for (const cJSON *c = node->child; c; c = c->next)
            keys[i++] = c->string;
        bool nomem = false;
        bool found = fsim__find_duplicate(keys, n, &dup, &first, &nomem);
        const char *name = found ? keys[dup] : NULL;
        free(keys);
        if (nomem)
            return fsim__nomem(ctx);
        if (found) {
            fsim__path_key(ctx, name);
            return fsim__fail(ctx, "duplicate field \"%s\"", name);
        }
    }
    size_t i = 0;
    for (const cJSON *c = node->child; c; c = c->next, i++) {
        size_t mark;
        if (cJSON_IsObject(node)) {
            if (!fsim__utf8_valid(c->string))
                return fsim__fail(ctx, "has a key that is not valid UTF-8");
            mark = fsim__path_key(ctx, c->string);
        } else {
            mark = fsim__path_index(ctx, i);
        }
        if (!check_free_json(ctx, c, depth + 1))
            return false;
        fsim__path_restore(ctx, mark);
    }
    return true;
}

static bool decode_free_json(fsim__ctx *ctx, const cJSON *node, const char **out)
{
    if (!want(ctx, cJSON_IsObject(node), "an object", node) || !check_free_json(ctx, node, 1))
        return false;
    fsim__jw w;
    fsim__jw_init(&w, false, NULL, NULL);
    fsim__jw_cjson(&w, node, true);
    size_t len;
    char *text = fsim__jw_take(&w, &len);
    if (!text)
        return fsim__nomem(ctx);
    *out = fsim_arena_strndup(ctx->arena, text, len);
    free(text);
    return *out ? true : fsim__nomem(ctx);
}

/* ---- Structs ------------------------------------------------------------------------------ */

static bool decode_object(fsim__ctx *ctx, int type, const cJSON *node, void *obj);

static bool decode_string(fsim__ctx *ctx, const cJSON *node, const char **out)
{
    if (!want(ctx, cJSON_IsString(node), "a string", node))
        return false;
    *out = arena_str(ctx, node->valuestring);
    return *out != NULL;
}

static bool decode_number(fsim__ctx *ctx, const cJSON *node, double *out)
{
    if (!want(ctx, cJSON_IsNumber(node), "a number", node))
        return false;
    *out = node->valuedouble;
    return true;
}

static bool decode_value(fsim__ctx *ctx, const fsim__field *f, const cJSON *node, void *obj)
{
    void *p = FSIM__AT(obj, f->off);
    switch (f->kind) {
    case FSIM__K_STR:
        return decode_string(ctx, node, (const char **)p) &&
               fsim__check_str(ctx, f, *(const char **)p);
    case FSIM__K_INT: {
        double v;
        if (!decode_number(ctx, node, &v) || !fsim__check_int(ctx, f, v))
            return false;
        *(int *)p = (int)v; /* in range: checked above */
        return true;
    }
    case FSIM__K_NUM:
        return decode_number(ctx, node, (double *)p) &&
               fsim__check_num(ctx, f->lo, f->hi, f->fmt == FSIM__FMT_positive, *(double *)p);
    case FSIM__K_BOOL:
        if (!want(ctx, cJSON_IsBool(node), "true or false", node))
            return false;
        *(bool *)p = cJSON_IsTrue(node);
        return true;
    case FSIM__K_TIME: {
        double t;
        if (!want(ctx, cJSON_IsString(node), "an RFC 3339 date-time string", node))
            return false;
        if (!fsim_time_parse(node->valuestring, &t))
            return fsim__fail(ctx, "must be an RFC 3339 date-time such as "
                                   "\"2026-01-05T00:00:00Z\"");
        *(double *)p = round(t); /* whole seconds, as the encoder writes them */
        return fsim__check_time(ctx, *(double *)p);
    }
    case FSIM__K_ENUM: {
        if (!want(ctx, cJSON_IsString(node), "a string", node))
            return false;
        for (int i = 0; i < f->enum_count; i++) {
            if (strcmp(node->valuestring, f->enum_names[i]) == 0) {
                *(int *)p = i;
                return true;
            }
        }
        char list[256] = "";
        size_t len = 0;
        for (int i = 0; i < f->enum_count && len < sizeof list; i++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s\"%s\"", i ? ", " : "",
                                    f->enum_names[i]);
        return fsim__fail(ctx, "must be one of %s", list);
    }
    case FSIM__K_OBJ: {
        if (f->required)
            return decode_object(ctx, f->sub, node, p);
        void *sub = fsim_arena_alloc(ctx->arena, fsim__types[f->sub].size);
        if (!sub)
            return fsim__nomem(ctx);
        *(void **)p = sub;
        return decode_object(ctx, f->sub, node, sub);
    }
    case FSIM__K_ARR:
    case FSIM__K_STRS:
    case FSIM__K_NUMS: {
        if (!want(ctx, cJSON_IsArray(node), "an array", node))
            return false;
        size_t n = 0;
        for (const cJSON *c = node->child; c; c = c->next)
            n++;
        if ((double)n < f->lo || (double)n > f->hi) {
            char a[FSIM_NUMBER_BUF], b[FSIM_NUMBER_BUF];
            if (n < f->lo && f->lo == 1)
                return fsim__fail(ctx, "must have at least 1 item");
            if (n < f->lo)
                return fsim__fail(ctx, "must have at least %s items", fsim_format_double(f->lo, a));
            return fsim__fail(ctx, "must have at most %s items", fsim_format_double(f->hi, b));
        }
        size_t size = f->kind == FSIM__K_ARR    ? fsim__types[f->sub].size
                      : f->kind == FSIM__K_STRS ? sizeof(char *)
                                                : sizeof(double);
        /* at least one element, so that a present empty array is a non-NULL pointer */
        char *items = fsim_arena_calloc(ctx->arena, n ? n : 1, size);
        if (!items)
            return fsim__nomem(ctx);
        *(void **)p = items;
        *(size_t *)FSIM__AT(obj, f->n_off) = n;
        size_t i = 0;
        bool all_ok = true;
        for (const cJSON *c = node->child; c; c = c->next, i++) {
            size_t mark = fsim__path_index(ctx, i);
            bool ok;
            if (f->kind == FSIM__K_ARR) {
                ok = decode_object(ctx, f->sub, c, items + i * size);
            } else if (f->kind == FSIM__K_STRS) {
                const char **s = (const char **)(void *)(items + i * size);
                ok = decode_string(ctx, c, s) && fsim__check_item_str(ctx, f->fmt, *s);
            } else {
                double *v = (double *)(void *)(items + i * size);
                ok = decode_number(ctx, c, v) &&
                     fsim__check_num(ctx, fsim__fmts[f->fmt].lo, fsim__fmts[f->fmt].hi, false,
                                     *v);
            }
            if (!ok) {
                if (!fsim__keep_going(ctx))
                    return false;
                all_ok = false;
            }
            fsim__path_restore(ctx, mark);
        }
        return all_ok;
    }
    case FSIM__K_JSON:
        return decode_free_json(ctx, node, (const char **)p);
    case FSIM__K_FLAT:
        break; /* inlined by flatten() */
    }
    return fsim__fail(ctx, "internal error: unexpected field kind");
}

/* Keys in document order (unknown, duplicate, each value), then missing required keys in
 * declaration order, then the cross-field rules of inlined types and of this type. When
 * collecting every problem (fsim_wire_decode_all), a bad key or value does not stop the
 * object, but its cross-field rules run only when all its fields were good: they read
 * members a failed field left unset. */
static bool decode_object(fsim__ctx *ctx, int type, const cJSON *node, void *obj)
{
    if (!want(ctx, cJSON_IsObject(node), "an object", node))
        return false;
    flat_field fields[MAX_FLAT_FIELDS];
    size_t n = flatten(type, 0, fields, 0);
    bool seen[MAX_FLAT_FIELDS] = {false};
    bool all_ok = true;
    for (const cJSON *c = node->child; c; c = c->next) {
        const char *key = c->string ? c->string : "";
        size_t k = 0;
        while (k < n && strcmp(fields[k].f->key, key) != 0)
            k++;
        size_t mark = fsim__path_key(ctx, key);
        bool ok = true;
        if (k == n) {
            if (!(ctx->flags & FSIM_WIRE_IGNORE_UNKNOWN))
                ok = unknown_key(ctx, key, fields, n);
        } else if (seen[k]) {
            ok = fsim__fail(ctx, "duplicate field \"%s\"", key);
        } else {
            seen[k] = true;
            if (!cJSON_IsNull(c) || !fields[k].f->nullable) {
                void *base = FSIM__AT(obj, fields[k].base);
                ok = decode_value(ctx, fields[k].f, c, base);
                if (ok && fields[k].f->has_off != FSIM__NO_OFF)
                    *(bool *)FSIM__AT(base, fields[k].f->has_off) = true;
            }
        }
        if (!ok) {
            if (!fsim__keep_going(ctx))
                return false;
            all_ok = false;
        }
        fsim__path_restore(ctx, mark);
    }
    for (size_t k = 0; k < n; k++) {
        if (fields[k].f->required && !seen[k]) {
            size_t mark = fsim__path_key(ctx, fields[k].f->key);
            fsim__fail(ctx, "is required");
            if (!fsim__keep_going(ctx))
                return false;
            all_ok = false;
            fsim__path_restore(ctx, mark);
        }
    }
    if (!all_ok)
        return false;
    const fsim__type *t = &fsim__types[type];
    for (size_t i = 0; i < t->n_fields; i++) {
        const fsim__field *f = &t->fields[i];
        if (f->kind != FSIM__K_FLAT || !fsim__types[f->sub].check)
            continue;
        if (!fsim__types[f->sub].check(ctx, FSIM__AT(obj, f->off)))
            return false;
    }
    return t->check ? t->check(ctx, obj) : true;
}

/* The one decoding entry: `problems` NULL stops at the first problem; otherwise up to `max`
 * problems are listed there (an arena array the caller allocated). */
static fsim_status decode_node(fsim_wire_type type, const cJSON *node, const char *source,
                               unsigned flags, fsim_error_detail *problems, size_t max,
                               size_t *n_problems, fsim_arena *arena, void **out,
                               fsim_error *err)
{
    if (!node)
        return fsim_error_set(err, FSIM_INVALID, source, 0, 0, NULL, "no JSON document");
    fsim__ctx ctx;
    fsim__ctx_init(&ctx, source, err);
    ctx.arena = arena;
    ctx.flags = flags;
    ctx.problems = problems;
    ctx.max_problems = max;
    void *obj = fsim_arena_alloc(arena, fsim__types[type].size);
    bool ok = obj ? decode_object(&ctx, (int)type, node, obj) : fsim__nomem(&ctx);
    if (n_problems)
        *n_problems = ctx.n_problems;
    if (!ok)
        return ctx.status;
    *out = obj;
    return FSIM_OK;
}

fsim_status fsim_wire_decode_json(fsim_wire_type type, const cJSON *node, const char *source,
                                  unsigned flags, fsim_arena *arena, void **out,
                                  fsim_error *err)
{
    fsim_error_clear(err);
    if (out)
        *out = NULL;
    if ((unsigned)type >= FSIM_WIRE_TYPE_COUNT || !arena || !out)
        return fsim_error_set(err, FSIM_USAGE, source, 0, 0, NULL, "bad arguments to decode");
    return decode_node(type, node, source, flags, NULL, 0, NULL, arena, out, err);
}

/* Parses the text (a NUL inside it, trailing garbage and syntax errors are reported with
 * line and column) and decodes it; see decode_node for `problems`. */
static fsim_status decode_text(fsim_wire_type type, const char *json, size_t len,
                               const char *source, unsigned flags, fsim_error_detail *problems,
                               size_t max, size_t *n_problems, fsim_arena *arena, void **out,
                               fsim_error *err)
{
    const char *nul = len ? memchr(json, '\0', len) : NULL;
    if (nul)
        return fsim_json_syntax_error(json, len, (size_t)(nul - json), source, err);
    /* cJSON wants the terminating NUL inside the length to reject trailing garbage */
    char *copy = malloc(len + 1);
    if (!copy)
        return fsim_error_set(err, FSIM_NOMEM, source, 0, 0, NULL, "out of memory");
    if (len)
        memcpy(copy, json, len);
    copy[len] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 1);
    fsim_status status;
    if (!root) {
        size_t offset = end && end >= copy ? (size_t)(end - copy) : len;
        status = fsim_json_syntax_error(copy, len, offset, source, err);
        goto out;
    }
    status = decode_node(type, root, source, flags, problems, max, n_problems, arena, out, err);
out:
    cJSON_Delete(root);
    free(copy);
    return status;
}

fsim_status fsim_wire_decode(fsim_wire_type type, const char *json, size_t len,
                             const char *source, unsigned flags, fsim_arena *arena, void **out,
                             fsim_error *err)
{
    fsim_error_clear(err);
    if (out)
        *out = NULL;
    if ((unsigned)type >= FSIM_WIRE_TYPE_COUNT || !arena || !out || (!json && len))
        return fsim_error_set(err, FSIM_USAGE, source, 0, 0, NULL, "bad arguments to decode");
    return decode_text(type, json, len, source, flags, NULL, 0, NULL, arena, out, err);
}

fsim_status fsim_wire_decode_all(fsim_wire_type type, const char *json, size_t len,
                                 const char *source, unsigned flags, size_t max,
                                 fsim_arena *arena, void **out, fsim_error_detail **details,
                                 size_t *n_details, fsim_error *err)
{
    fsim_error_clear(err);
    if (out)
        *out = NULL;
    if (details)
        *details = NULL;
    if (n_details)
        *n_details = 0;
    if ((unsigned)type >= FSIM_WIRE_TYPE_COUNT || !arena || !out || !details || !n_details ||
        (!json && len))
        return fsim_error_set(err, FSIM_USAGE, source, 0, 0, NULL, "bad arguments to decode");
    if (max == 0 || max > FSIM_WIRE_MAX_PROBLEMS)
        max = FSIM_WIRE_MAX_PROBLEMS;
    fsim_error_detail *problems = fsim_arena_calloc(arena, max, sizeof *problems);
    if (!problems)
        return fsim_error_set(err, FSIM_NOMEM, source, 0, 0, NULL, "out of memory");
    fsim_status st = decode_text(type, json, len, source, flags, problems, max, n_details,
                                 arena, out, err);
    /* malformed JSON never reached the decoder: it is the one problem */
    if (st == FSIM_INVALID && *n_details == 0) {
        problems[0] = (fsim_error_detail){.message = fsim_arena_strdup(arena, err->message)};
        if (err->path[0])
            problems[0].field = fsim_arena_strdup(arena, err->path);
        *n_details = problems[0].message ? 1 : 0;
    }
    *details = st == FSIM_OK ? NULL : problems;
    return st;
}

/* Encode then decode: the one deep copy, so no type needs a hand-written copier that could
 * miss a member added to its field list. */
fsim_status fsim_wire_copy(fsim_wire_type type, const void *obj, fsim_arena *arena, void **out,
                           fsim_error *err)
{
    *out = NULL;
    size_t len;
    char *text = fsim_wire_encode(type, obj, 0, &len);
    if (!text)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    fsim_status st = fsim_wire_decode(type, text, len, fsim_wire_type_name(type), 0, arena, out,
                                      err);
    free(text);
    return st;
}
