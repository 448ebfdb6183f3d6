/* The encoder and the JSON Schema generator: both walk the field table and append text
 * directly into a growable buffer (no cJSON tree: a result with 300,000 trips would cost
 * ten times its text in nodes). Output is deterministic: declaration order, shortest
 * round-trip numbers, RFC 3339 times. */
#include "wire_internal.h"

#include <cjson/cJSON.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FLUSH_AT = 64 * 1024 };

/* ---- Writer ------------------------------------------------------------------------------ */

void fsim__jw_init(fsim__jw *w, bool pretty, fsim_wire_write_fn sink, void *user)
{
    memset(w, 0, sizeof *w);
    w->pretty = pretty;
    w->sink = sink;
    w->user = user;
}

void fsim__jw_release(fsim__jw *w)
{
    free(w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

/* Grows the buffer (room for a NUL always kept) and appends. */
static void put_slow(fsim__jw *w, const char *s, size_t n)
{
    if (w->failed)
        return;
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n + 1) {
            if (cap > SIZE_MAX / 2) {
                w->failed = true;
                return;
            }
            cap *= 2;
        }
        char *grown = realloc(w->buf, cap);
        if (!grown) {
            w->failed = true;
            return;
        }
        w->buf = grown;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

/* Appends n bytes; the common case (it fits) is a bounds check and a copy, because an
 * encoder of large results spends most of its time here. */
static inline void put(fsim__jw *w, const char *s, size_t n)
{
    if (w->len + n < w->cap) {
        memcpy(w->buf + w->len, s, n);
        w->len += n;
        return;
    }
    put_slow(w, s, n);
}

static inline void putc_(fsim__jw *w, char c)
{
    put(w, &c, 1);
}

bool fsim__jw_flush(fsim__jw *w)
{
    if (!w->sink || w->failed || w->len == 0)
        return !w->failed;
    if (!w->sink(w->user, w->buf, w->len))
        w->failed = true;
    w->len = 0;
    return !w->failed;
}

char *fsim__jw_take(fsim__jw *w, size_t *len)
{
    if (!w->failed && !w->buf)
        put(w, "", 0);
    if (w->failed) {
        fsim__jw_release(w);
        return NULL;
    }
    char *text = w->buf;
    text[w->len] = '\0'; /* put keeps room for it */
    if (len)
        *len = w->len;
    w->buf = NULL;
    w->len = w->cap = 0;
    return text;
}

static void newline(fsim__jw *w, int depth)
{
    static const char spaces[] = "                                ";
    putc_(w, '\n');
    for (int i = 0; i < depth; i++)
        put(w, spaces, 2);
}

/* Separator before a value or key: comma, newline and indentation as needed. */
static inline void sep(fsim__jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    if (w->nonempty[w->depth])
        putc_(w, ',');
    w->nonempty[w->depth] = true;
    if (w->pretty)
        newline(w, w->depth);
    if (w->sink && w->len >= FLUSH_AT)
        fsim__jw_flush(w);
}

void fsim__jw_begin(fsim__jw *w, char open)
{
    sep(w);
    putc_(w, open);
    if (w->depth + 1 >= FSIM__JW_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    w->depth++;
    w->nonempty[w->depth] = false;
}

void fsim__jw_end(fsim__jw *w, char close)
{
    if (w->depth <= 0) {
        w->failed = true;
        return;
    }
    if (w->nonempty[w->depth] && w->pretty)
        newline(w, w->depth - 1);
    w->depth--;
    putc_(w, close);
}

/* Bytes a JSON string must escape: controls, the quote and the backslash. */
static const bool needs_escape[256] = {
    [0] = true, [1] = true, [2] = true, [3] = true, [4] = true, [5] = true, [6] = true,
    [7] = true, [8] = true, [9] = true, [10] = true, [11] = true, [12] = true, [13] = true,
    [14] = true, [15] = true, [16] = true, [17] = true, [18] = true, [19] = true, [20] = true,
    [21] = true, [22] = true, [23] = true, [24] = true, [25] = true, [26] = true, [27] = true,
    [28] = true, [29] = true, [30] = true, [31] = true, ['"'] = true, ['\\'] = true};

/* Why a fast path and, behind it, a table and one copy per run: strings (ids, enum names)
 * are a fifth of a large result's encoding time, and nearly none holds a byte to escape —
 * such a string is checked eight bytes a step and copied whole. */
static void put_string(fsim__jw *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s);
    if (n < 256 && fsim__plain_text(s, n, false) && w->len + n + 2 < w->cap) {
        char *p = w->buf + w->len;
        p[0] = '"';
        memcpy(p + 1, s, n);
        p[n + 1] = '"';
        w->len += n + 2;
        return;
    }
    putc_(w, '"');
    const char *run = s;
    for (;;) {
        while (!needs_escape[(unsigned char)*s])
            s++;
        unsigned char c = (unsigned char)*s;
        if (c == 0)
            break;
        put(w, run, (size_t)(s - run));
        run = ++s;
        switch (c) {
        case '"': put(w, "\\\"", 2); break;
        case '\\': put(w, "\\\\", 2); break;
        case '\n': put(w, "\\n", 2); break;
        case '\r': put(w, "\\r", 2); break;
        case '\t': put(w, "\\t", 2); break;
        case '\b': put(w, "\\b", 2); break;
        case '\f': put(w, "\\f", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(w, u, 6);
        }
        }
    }
    put(w, run, (size_t)(s - run));
    putc_(w, '"');
}

void fsim__jw_key(fsim__jw *w, const char *key)
{
    sep(w);
    put_string(w, key); /* escaped: free-form JSON (overrides) has the user's keys */
    put(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
    w->after_key = true;
}

void fsim__jw_string(fsim__jw *w, const char *s)
{
    sep(w);
    if (s)
        put_string(w, s);
    else
        put(w, "null", 4);
}

void fsim__jw_number(fsim__jw *w, double v)
{
    sep(w);
    if (w->len + FSIM_NUMBER_BUF < w->cap) { /* formatted in place */
        w->len += fsim_format_number(v, w->buf + w->len);
        return;
    }
    char buf[FSIM_NUMBER_BUF];
    put(w, buf, fsim_format_number(v, buf));
}

/* A time as a JSON string: its digits need no escaping. */
static void jw_time(fsim__jw *w, double t)
{
    char buf[34];
    sep(w);
    buf[0] = '"';
    size_t n = fsim_time_format_n(t, buf + 1);
    buf[n + 1] = '"';
    put(w, buf, n + 2);
}

void fsim__jw_bool(fsim__jw *w, bool v)
{
    sep(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void fsim__jw_null(fsim__jw *w)
{
    sep(w);
    put(w, "null", 4);
}

void fsim__jw_raw(fsim__jw *w, const char *text)
{
    sep(w);
    put(w, text, strlen(text));
}

static int key_cmp(const void *pa, const void *pb)
{
    const cJSON *a = *(const cJSON *const *)pa, *b = *(const cJSON *const *)pb;
    return strcmp(a->string ? a->string : "", b->string ? b->string : "");
}

void fsim__jw_cjson(fsim__jw *w, const cJSON *node, bool sort)
{
    if (cJSON_IsNumber(node)) {
        fsim__jw_number(w, node->valuedouble);
    } else if (cJSON_IsString(node)) {
        fsim__jw_string(w, node->valuestring);
    } else if (cJSON_IsBool(node)) {
        fsim__jw_bool(w, cJSON_IsTrue(node));
    } else if (cJSON_IsArray(node)) {
        fsim__jw_begin(w, '[');
        for (const cJSON *c = node->child; c; c = c->next)
            fsim__jw_cjson(w, c, sort);
        fsim__jw_end(w, ']');
    } else if (cJSON_IsObject(node)) {
        size_t n = 0;
        for (const cJSON *c = node->child; c; c = c->next)
            n++;
        const cJSON **kids = malloc((n ? n : 1) * sizeof *kids);
        if (!kids) {
            w->failed = true;
            return;
        }
        n = 0;
        for (const cJSON *c = node->child; c; c = c->next)
            kids[n++] = c;
        if (sort)
            qsort(kids, n, sizeof *kids, key_cmp);
        fsim__jw_begin(w, '{');
        for (size_t i = 0; i < n; i++) {
            fsim__jw_key(w, kids[i]->string ? kids[i]->string : "");
            fsim__jw_cjson(w, kids[i], sort);
        }
        fsim__jw_end(w, '}');
        free(kids);
    } else {
        fsim__jw_null(w);
    }
}

/* ---- Encoder ----------------------------------------------------------------------------- */

static void encode_object(fsim__jw *w, int type, const void *obj);

/* A key of the field table: an identifier (nothing to escape), its text made at compile
 * time, written in one copy. */
static void key_plain(fsim__jw *w, const fsim__field *f)
{
    if (w->pretty) {
        fsim__jw_key(w, f->key);
        return;
    }
    sep(w);
    if (w->len + sizeof f->json_key < w->cap) {
        memcpy(w->buf + w->len, f->json_key, sizeof f->json_key);
        w->len += f->json_key_len;
    } else {
        put(w, f->json_key, f->json_key_len);
    }
    w->after_key = true;
}

static void encode_fields(fsim__jw *w, int type, const void *obj)
{
    const fsim__type *t = &fsim__types[type];
    for (size_t i = 0; i < t->n_fields && !w->failed; i++) {
        const fsim__field *f = &t->fields[i];
        const void *p = FSIM__CAT(obj, f->off);
        if (f->kind == FSIM__K_FLAT) {
            encode_fields(w, f->sub, p);
            continue;
        }
        if (!fsim__present(f, obj)) {
            if (f->required && f->nullable) { /* NUL: the key stays, with null */
                key_plain(w, f);
                fsim__jw_null(w);
            }
            continue;
        }
        key_plain(w, f);
        switch (f->kind) {
        case FSIM__K_STR:
            fsim__jw_string(w, *(const char *const *)p);
            break;
        case FSIM__K_INT:
            fsim__jw_number(w, *(const int *)p);
            break;
        case FSIM__K_NUM:
            fsim__jw_number(w, *(const double *)p);
            break;
        case FSIM__K_BOOL:
            fsim__jw_bool(w, *(const bool *)p);
            break;
        case FSIM__K_TIME:
            jw_time(w, *(const double *)p);
            break;
        case FSIM__K_ENUM: {
            int v = *(const int *)p;
            fsim__jw_string(w, v >= 0 && v < f->enum_count ? f->enum_names[v] : NULL);
            break;
        }
        case FSIM__K_OBJ:
            encode_object(w, f->sub, f->required ? p : *(const void *const *)p);
            break;
        case FSIM__K_ARR:
        case FSIM__K_STRS:
        case FSIM__K_NUMS: {
            const char *items = *(const void *const *)p;
            size_t n = items ? *(const size_t *)FSIM__CAT(obj, f->n_off) : 0;
            fsim__jw_begin(w, '[');
            for (size_t k = 0; k < n && !w->failed; k++) {
                if (f->kind == FSIM__K_ARR)
                    encode_object(w, f->sub, items + k * fsim__types[f->sub].size);
                else if (f->kind == FSIM__K_STRS)
                    fsim__jw_string(w, ((const char *const *)(const void *)items)[k]);
                else
                    fsim__jw_number(w, ((const double *)(const void *)items)[k]);
            }
            fsim__jw_end(w, ']');
            break;
        }
        case FSIM__K_JSON: {
            const char *text = *(const char *const *)p;
            cJSON *node = w->pretty ? cJSON_Parse(text) : NULL;
            if (node)
                fsim__jw_cjson(w, node, false); /* already canonical: keep its order */
            else
                fsim__jw_raw(w, text);
            cJSON_Delete(node);
            break;
        }
        case FSIM__K_FLAT:
            break;
        }
    }
}

static void encode_object(fsim__jw *w, int type, const void *obj)
{
    fsim__jw_begin(w, '{');
    encode_fields(w, type, obj);
    fsim__jw_end(w, '}');
}

void fsim__jw_object(fsim__jw *w, int type, const void *obj)
{
    encode_object(w, type, obj);
}

char *fsim_wire_encode(fsim_wire_type type, const void *obj, unsigned flags, size_t *len)
{
    if ((unsigned)type >= FSIM_WIRE_TYPE_COUNT || !obj)
        return NULL;
    fsim__jw w;
    fsim__jw_init(&w, flags & FSIM_WIRE_PRETTY, NULL, NULL);
    encode_object(&w, (int)type, obj);
    return fsim__jw_take(&w, len);
}

fsim_status fsim_wire_encode_to(fsim_wire_type type, const void *obj, unsigned flags,
                                fsim_wire_write_fn write, void *user, fsim_error *err)
{
    fsim_error_clear(err);
    if ((unsigned)type >= FSIM_WIRE_TYPE_COUNT || !obj || !write)
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, NULL, "bad arguments to encode");
    fsim__jw w;
    fsim__jw_init(&w, flags & FSIM_WIRE_PRETTY, write, user);
    encode_object(&w, (int)type, obj);
    fsim__jw_flush(&w);
    bool failed = w.failed;
    fsim__jw_release(&w);
    if (failed)
        return fsim_error_set(err, FSIM_IO, NULL, 0, 0, NULL,
                              "could not write the %s JSON", fsim__types[type].name);
    return FSIM_OK;
}

/* ---- JSON Schema -------------------------------------------------------------------------- */

static void schema_ref(fsim__jw *w, const char *prefix, int type)
{
    char ref[256];
    snprintf(ref, sizeof ref, "%s%s", prefix, fsim__types[type].name);
    fsim__jw_key(w, "$ref");
    fsim__jw_string(w, ref);
}

/* {"type": X} or, for an optional field, {"type": [X, "null"]}: the decoder takes null as
 * absent, and the schema must not say otherwise. */
static void schema_json_type(fsim__jw *w, const char *json_type, bool nullable)
{
    fsim__jw_key(w, "type");
    if (!nullable) {
        fsim__jw_string(w, json_type);
        return;
    }
    fsim__jw_begin(w, '[');
    fsim__jw_string(w, json_type);
    fsim__jw_string(w, "null");
    fsim__jw_end(w, ']');
}

static void schema_string_rules(fsim__jw *w, fsim__fmt fmt, size_t lo, size_t hi)
{
    if (fmt == FSIM__FMT_uuid) {
        fsim__jw_key(w, "format");
        fsim__jw_string(w, "uuid");
        fsim__jw_key(w, "pattern");
        fsim__jw_string(w, "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                           "[0-9a-fA-F]{12}$");
        return;
    }
    if (fmt == FSIM__FMT_hhmm) {
        fsim__jw_key(w, "pattern");
        fsim__jw_string(w, "^([01][0-9]|2[0-3]):[0-5][0-9]$");
        return;
    }
    if (lo > 0) {
        fsim__jw_key(w, "minLength");
        fsim__jw_number(w, (double)lo);
    }
    fsim__jw_key(w, "maxLength");
    fsim__jw_number(w, (double)hi);
}

static void schema_field(fsim__jw *w, const fsim__field *f, const char *prefix)
{
    bool nullable = f->nullable;
    fsim__jw_begin(w, '{');
    if (f->doc) {
        fsim__jw_key(w, "description");
        fsim__jw_string(w, f->doc);
    }
    switch (f->kind) {
    case FSIM__K_STR:
        schema_json_type(w, "string", nullable);
        schema_string_rules(w, f->fmt, (size_t)f->lo, (size_t)f->hi);
        break;
    case FSIM__K_INT:
    case FSIM__K_NUM:
        schema_json_type(w, f->kind == FSIM__K_INT ? "integer" : "number", nullable);
        fsim__jw_key(w, f->fmt == FSIM__FMT_positive ? "exclusiveMinimum" : "minimum");
        fsim__jw_number(w, f->lo);
        fsim__jw_key(w, "maximum");
        fsim__jw_number(w, f->hi);
        break;
    case FSIM__K_BOOL:
        schema_json_type(w, "boolean", nullable);
        break;
    case FSIM__K_TIME:
        schema_json_type(w, "string", nullable);
        fsim__jw_key(w, "format");
        fsim__jw_string(w, "date-time");
        break;
    case FSIM__K_ENUM:
        schema_json_type(w, "string", nullable);
        fsim__jw_key(w, "enum");
        fsim__jw_begin(w, '[');
        for (int i = 0; i < f->enum_count; i++)
            fsim__jw_string(w, f->enum_names[i]);
        if (nullable)
            fsim__jw_null(w);
        fsim__jw_end(w, ']');
        break;
    case FSIM__K_OBJ:
        if (nullable) {
            fsim__jw_key(w, "anyOf");
            fsim__jw_begin(w, '[');
            fsim__jw_begin(w, '{');
            schema_ref(w, prefix, f->sub);
            fsim__jw_end(w, '}');
            fsim__jw_begin(w, '{');
            fsim__jw_key(w, "type");
            fsim__jw_string(w, "null");
            fsim__jw_end(w, '}');
            fsim__jw_end(w, ']');
        } else {
            schema_ref(w, prefix, f->sub);
        }
        break;
    case FSIM__K_ARR:
    case FSIM__K_STRS:
    case FSIM__K_NUMS:
        schema_json_type(w, "array", nullable);
        if (f->lo > 0) {
            fsim__jw_key(w, "minItems");
            fsim__jw_number(w, f->lo);
        }
        fsim__jw_key(w, "maxItems");
        fsim__jw_number(w, f->hi);
        fsim__jw_key(w, "items");
        fsim__jw_begin(w, '{');
        if (f->kind == FSIM__K_ARR) {
            schema_ref(w, prefix, f->sub);
        } else if (f->kind == FSIM__K_STRS) {
            fsim__jw_key(w, "type");
            fsim__jw_string(w, "string");
            schema_string_rules(w, f->fmt, fsim__fmts[f->fmt].min_len, fsim__fmts[f->fmt].max_len);
        } else {
            fsim__jw_key(w, "type");
            fsim__jw_string(w, "number");
            fsim__jw_key(w, "minimum");
            fsim__jw_number(w, fsim__fmts[f->fmt].lo);
            fsim__jw_key(w, "maximum");
            fsim__jw_number(w, fsim__fmts[f->fmt].hi);
        }
        fsim__jw_end(w, '}');
        if (f->kind == FSIM__K_STRS && (f->fmt == FSIM__FMT_ident || f->fmt == FSIM__FMT_hhmm)) {
            fsim__jw_key(w, "uniqueItems");
            fsim__jw_bool(w, true);
        }
        break;
    case FSIM__K_JSON:
        schema_json_type(w, "object", nullable);
        break;
    case FSIM__K_FLAT:
        break;
    }
    fsim__jw_end(w, '}');
}

static void schema_properties(fsim__jw *w, int type, const char *prefix)
{
    const fsim__type *t = &fsim__types[type];
    for (size_t i = 0; i < t->n_fields; i++) {
        const fsim__field *f = &t->fields[i];
        if (f->kind == FSIM__K_FLAT) {
            schema_properties(w, f->sub, prefix);
            continue;
        }
        fsim__jw_key(w, f->key);
        schema_field(w, f, prefix);
    }
}

static void schema_required(fsim__jw *w, int type)
{
    const fsim__type *t = &fsim__types[type];
    for (size_t i = 0; i < t->n_fields; i++) {
        const fsim__field *f = &t->fields[i];
        if (f->kind == FSIM__K_FLAT)
            schema_required(w, f->sub);
        else if (f->required)
            fsim__jw_string(w, f->key);
    }
}

/* The members of one type's schema object (without braces, so a root can add more). */
static void schema_members(fsim__jw *w, int type, const char *prefix)
{
    fsim__jw_key(w, "title");
    fsim__jw_string(w, fsim__types[type].name);
    fsim__jw_key(w, "type");
    fsim__jw_string(w, "object");
    fsim__jw_key(w, "properties");
    fsim__jw_begin(w, '{');
    schema_properties(w, type, prefix);
    fsim__jw_end(w, '}');
    fsim__jw_key(w, "required");
    fsim__jw_begin(w, '[');
    schema_required(w, type);
    fsim__jw_end(w, ']');
    fsim__jw_key(w, "additionalProperties");
    fsim__jw_bool(w, false);
    if (type == FSIM_WIRE_VEHICLE_GROUP) { /* count XOR vins */
        fsim__jw_key(w, "oneOf");
        fsim__jw_begin(w, '[');
        static const char *const one_of[] = {"count", "vins"};
        for (int i = 0; i < 2; i++) {
            fsim__jw_begin(w, '{');
            fsim__jw_key(w, "required");
            fsim__jw_begin(w, '[');
            fsim__jw_string(w, one_of[i]);
            fsim__jw_end(w, ']');
            fsim__jw_end(w, '}');
        }
        fsim__jw_end(w, ']');
    }
}

static void mark_reachable(int type, bool *seen)
{
    const fsim__type *t = &fsim__types[type];
    for (size_t i = 0; i < t->n_fields; i++) {
        const fsim__field *f = &t->fields[i];
        if (f->kind != FSIM__K_OBJ && f->kind != FSIM__K_ARR && f->kind != FSIM__K_FLAT)
            continue;
        if (!seen[f->sub]) {
            seen[f->sub] = true;
            mark_reachable(f->sub, seen);
        }
    }
}

char *fsim_wire_schema(fsim_wire_type type, const char *ref_prefix, unsigned flags,
                       size_t *len)
{
    if ((unsigned)type >= FSIM_WIRE_TYPE_COUNT)
        return NULL;
    fsim__jw w;
    fsim__jw_init(&w, flags & FSIM_WIRE_PRETTY, NULL, NULL);
    fsim__jw_begin(&w, '{');
    if (ref_prefix) {
        schema_members(&w, (int)type, ref_prefix);
    } else {
        fsim__jw_key(&w, "$schema");
        fsim__jw_string(&w, "https://json-schema.org/draft/2020-12/schema");
        schema_members(&w, (int)type, "#/$defs/");
        bool seen[FSIM_WIRE_TYPE_COUNT] = {false};
        mark_reachable((int)type, seen);
        seen[type] = false;
        bool any = false;
        for (int t = 0; t < FSIM_WIRE_TYPE_COUNT; t++)
            any |= seen[t];
        if (any) {
            fsim__jw_key(&w, "$defs");
            fsim__jw_begin(&w, '{');
            for (int t = 0; t < FSIM_WIRE_TYPE_COUNT; t++) {
                if (!seen[t])
                    continue;
                fsim__jw_key(&w, fsim__types[t].name);
                fsim__jw_begin(&w, '{');
                schema_members(&w, t, "#/$defs/");
                fsim__jw_end(&w, '}');
            }
            fsim__jw_end(&w, '}');
        }
    }
    fsim__jw_end(&w, '}');
    return fsim__jw_take(&w, len);
}
