/* core/config: JSON override text → the same position-keeping tree as the YAML.
 *
 * cJSON parses and validates; it keeps no positions, so a second pass walks the (already
 * valid) text alongside cJSON's tree, in document order, only to note where each key and
 * value starts. That pass is a cursor, not a parser: it never decides what is valid. */
#include "cfgnode.h"

#include <string.h>

#include <fleetsim/util.h>

#include <cjson/cJSON.h>

typedef struct cursor {
    const char *p;
    int line;
    int column;
} cursor;

typedef struct jctx {
    fsim_arena *arena;
    const char *source;
    fsim_error *err;
} jctx;

static void advance(cursor *c)
{
    if (!*c->p)
        return;
    if (*c->p == '\n') {
        c->line++;
        c->column = 1;
    } else if (((unsigned char)c->p[1] & 0xC0) != 0x80) {
        c->column++; /* count characters, not UTF-8 continuation bytes */
    }
    c->p++;
}

/* cJSON skips every byte <= 32 as whitespace; do the same. */
static void skip_ws(cursor *c)
{
    while (*c->p && (unsigned char)*c->p <= 32)
        advance(c);
}

static void skip_string(cursor *c)
{
    advance(c); /* opening quote */
    while (*c->p && *c->p != '"') {
        if (*c->p == '\\')
            advance(c);
        advance(c);
    }
    advance(c); /* closing quote */
}

static void skip_token(cursor *c)
{
    while (*c->p && !strchr(",]}:", *c->p) && (unsigned char)*c->p > 32)
        advance(c);
}

static fsim_status nomem(const jctx *j)
{
    return fsim_error_set(j->err, FSIM_NOMEM, j->source, 0, 0, NULL, "out of memory");
}

static fsim_status convert(const jctx *j, cursor *c, const cJSON *item, const char *path,
                           fsim__cfg_node **out)
{
    skip_ws(c);
    fsim__cfg_node *n = fsim__cfg_node_new(j->arena, FSIM__CFG_NULL, j->source, c->line, c->column);
    if (!n)
        return nomem(j);
    *out = n;
    if (cJSON_IsObject(item) || cJSON_IsArray(item)) {
        bool object = cJSON_IsObject(item);
        n->kind = object ? FSIM__CFG_MAP : FSIM__CFG_SEQ;
        advance(c); /* { or [ */
        size_t index = 0;
        for (const cJSON *child = item->child; child; child = child->next, index++) {
            const char *cpath;
            int key_line = 0, key_column = 0;
            if (object) {
                skip_ws(c);
                key_line = c->line;
                key_column = c->column;
                skip_string(c);
                skip_ws(c);
                advance(c); /* : */
                cpath = path[0] ? fsim_arena_sprintf(j->arena, "%s.%s", path, child->string)
                                : child->string;
            } else {
                cpath = fsim_arena_sprintf(j->arena, "%s[%zu]", path, index);
            }
            if (!cpath)
                return nomem(j);
            fsim__cfg_node *value;
            fsim_status st = convert(j, c, child, cpath, &value);
            if (st != FSIM_OK)
                return st;
            if (object) {
                const fsim__cfg_entry *dup = fsim__cfg_map_find(n, child->string);
                if (dup)
                    return fsim_error_set(j->err, FSIM_INVALID, j->source, key_line, key_column,
                                          cpath, "duplicate key (first defined at %d:%d)",
                                          dup->key_line, dup->key_column);
                const char *key = fsim_arena_strdup(j->arena, child->string);
                if (!key || !fsim__cfg_map_add(j->arena, n, key, key_line, key_column, value))
                    return nomem(j);
            } else if (!fsim__cfg_seq_add(j->arena, n, value)) {
                return nomem(j);
            }
            skip_ws(c);
            if (*c->p == ',')
                advance(c);
        }
        skip_ws(c);
        advance(c); /* } or ] */
        return FSIM_OK;
    }
    if (cJSON_IsString(item)) {
        n->kind = FSIM__CFG_STRING;
        n->text = fsim_arena_strdup(j->arena, item->valuestring);
        skip_string(c);
        return n->text ? FSIM_OK : nomem(j);
    }
    const char *start = c->p;
    skip_token(c);
    n->text = fsim_arena_strndup(j->arena, start, (size_t)(c->p - start));
    if (!n->text)
        return nomem(j);
    if (cJSON_IsNumber(item)) {
        n->kind = FSIM__CFG_NUMBER;
        n->number = item->valuedouble;
    } else if (cJSON_IsBool(item)) {
        n->kind = FSIM__CFG_BOOL;
        n->boolean = cJSON_IsTrue(item);
    }
    return FSIM_OK;
}

fsim_status fsim__cfg_parse_json(fsim_arena *arena, const char *source, const char *text,
                                 fsim__cfg_node **root, fsim_error *err)
{
    fsim_status st = FSIM_OK;
    const char *end = NULL;
    jctx j = {.arena = arena, .source = fsim_arena_strdup(arena, source), .err = err};
    cursor c = {.p = text, .line = 1, .column = 1};
    *root = NULL;
    if (!j.source)
        return fsim_error_set(err, FSIM_NOMEM, source, 0, 0, NULL, "out of memory");
    cJSON *doc = cJSON_ParseWithOpts(text, &end, 1);
    if (strncmp(c.p, "\xEF\xBB\xBF", 3) == 0) /* cJSON skips a UTF-8 BOM too */
        c.p += 3;
    if (!doc) {
        size_t len = strlen(text);
        size_t offset = end && end >= text ? (size_t)(end - text) : len;
        st = fsim_json_syntax_error(text, len, offset, j.source, err);
        goto out;
    }
    st = convert(&j, &c, doc, "", root);
out:
    cJSON_Delete(doc);
    return st;
}
