/* core/config: YAML text → position-keeping tree, with libyaml's event API.
 *
 * The event API (not the document API) because it lets us refuse what a config file must
 * not contain — duplicate keys, aliases, non-scalar keys, several documents — at the exact
 * line and column, with the key path, while building the tree. */
#include "cfgnode.h"

#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define MAX_DEPTH 64

typedef struct frame {
    fsim__cfg_node *node;
    const char *path;  /* key path of this container ("" at the root) */
    const char *key;   /* mappings: the key waiting for its value */
    int key_line;
    int key_column;
    bool has_key;
} frame;

typedef struct yctx {
    fsim_arena *arena;
    const char *source;
    const char *text;
    size_t len;
    frame stack[MAX_DEPTH];
    int depth;
    fsim__cfg_node *root;
    fsim_error *err;
} yctx;

static fsim_status nomem(yctx *c)
{
    return fsim_error_set(c->err, FSIM_NOMEM, c->source, 0, 0, NULL, "out of memory");
}

/* YAML 1.2 core schema for plain scalars: null, booleans and decimal numbers; anything
 * else is a string (so `yes`, `0x10` or `.inf` are strings, and fail where a number is
 * expected instead of being guessed at). */
static bool is_decimal(const char *s)
{
    const char *p = s;
    bool digits = false;
    if (*p == '+' || *p == '-')
        p++;
    while (*p >= '0' && *p <= '9') {
        p++;
        digits = true;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            p++;
            digits = true;
        }
    }
    if (!digits)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

static void type_plain_scalar(fsim__cfg_node *n)
{
    const char *s = n->text;
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    static const char *const trues[] = {"true", "True", "TRUE"};
    static const char *const falses[] = {"false", "False", "FALSE"};
    for (size_t i = 0; i < sizeof nulls / sizeof *nulls; i++)
        if (strcmp(s, nulls[i]) == 0) {
            n->kind = FSIM__CFG_NULL;
            return;
        }
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(s, trues[i]) == 0 || strcmp(s, falses[i]) == 0) {
            n->kind = FSIM__CFG_BOOL;
            n->boolean = strcmp(s, trues[i]) == 0;
            return;
        }
    }
    if (is_decimal(s)) {
        n->kind = FSIM__CFG_NUMBER;
        n->number = strtod(s, NULL); /* may be ±inf for 1e999: validation says so */
        return;
    }
    n->kind = FSIM__CFG_STRING;
}

/* The byte at a 0-based line/column (columns count characters, as libyaml's marks do). */
static int byte_at(const yctx *c, size_t line, size_t column)
{
    size_t i = 0;
    for (size_t l = 0; l < line && i < c->len; i++)
        if (c->text[i] == '\n')
            l++;
    for (size_t col = 0; col < column && i < c->len;) {
        i++;
        if (((unsigned char)c->text[i] & 0xC0) != 0x80)
            col++;
    }
    return i < c->len ? (unsigned char)c->text[i] : -1;
}

/* The 1-based line/column of a byte offset (reader errors give only an offset). */
static void offset_position(const yctx *c, size_t offset, int *line, int *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset && i < c->len; i++) {
        if (c->text[i] == '\n') {
            (*line)++;
            *column = 1;
        } else if (((unsigned char)c->text[i] & 0xC0) != 0x80) {
            (*column)++;
        }
    }
}

static fsim_status parser_failure(yctx *c, const yaml_parser_t *p)
{
    const char *problem = p->problem ? p->problem : "invalid yaml";
    if (p->error == YAML_MEMORY_ERROR)
        return nomem(c);
    if (p->error == YAML_READER_ERROR) {
        int line, column;
        offset_position(c, p->problem_offset, &line, &column);
        return fsim_error_set(c->err, FSIM_INVALID, c->source, line, column, NULL, "%s", problem);
    }
    int line = (int)p->problem_mark.line + 1, column = (int)p->problem_mark.column + 1;
    if (byte_at(c, p->problem_mark.line, p->problem_mark.column) == '\t')
        return fsim_error_set(c->err, FSIM_INVALID, c->source, line, column, NULL,
                              "found a tab character where indentation was expected: yaml "
                              "indents with spaces only");
    if (p->context && (p->context_mark.line != p->problem_mark.line ||
                       p->context_mark.column != p->problem_mark.column))
        return fsim_error_set(c->err, FSIM_INVALID, c->source, line, column, NULL,
                              "%s (%s started at %d:%d)", problem, p->context,
                              (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    return fsim_error_set(c->err, FSIM_INVALID, c->source, line, column, NULL, "%s", problem);
}

static const char *child_path(yctx *c, const frame *parent, const char *key)
{
    if (parent->node->kind == FSIM__CFG_SEQ)
        return fsim_arena_sprintf(c->arena, "%s[%zu]", parent->path, parent->node->len);
    if (!parent->path[0])
        return key;
    return fsim_arena_sprintf(c->arena, "%s.%s", parent->path, key);
}

/* Hangs a finished scalar or a just-opened container onto the tree: as the root, as a
 * sequence item, as a mapping key (checked for duplicates) or as the value of the key
 * before it. Containers are then pushed to receive their children. */
static fsim_status attach(yctx *c, fsim__cfg_node *node)
{
    const char *path = "";
    if (c->depth == 0) {
        c->root = node;
    } else {
        frame *top = &c->stack[c->depth - 1];
        if (top->node->kind == FSIM__CFG_MAP && !top->has_key) {
            if (node->kind == FSIM__CFG_MAP || node->kind == FSIM__CFG_SEQ)
                return fsim_error_set(c->err, FSIM_INVALID, c->source, node->line, node->column,
                                      top->path, "mapping keys must be scalars");
            const char *kpath = child_path(c, top, node->text);
            if (!kpath)
                return nomem(c);
            const fsim__cfg_entry *dup = fsim__cfg_map_find(top->node, node->text);
            if (dup)
                return fsim_error_set(c->err, FSIM_INVALID, c->source, node->line, node->column,
                                      kpath, "duplicate key (first defined at line %d)",
                                      dup->key_line);
            top->key = node->text;
            top->key_line = node->line;
            top->key_column = node->column;
            top->has_key = true;
            return FSIM_OK;
        }
        path = child_path(c, top, top->key);
        if (!path)
            return nomem(c);
        bool ok;
        if (top->node->kind == FSIM__CFG_MAP) {
            ok = fsim__cfg_map_add(c->arena, top->node, top->key, top->key_line, top->key_column,
                                   node);
            top->has_key = false;
        } else {
            ok = fsim__cfg_seq_add(c->arena, top->node, node);
        }
        if (!ok)
            return nomem(c);
    }
    if (node->kind == FSIM__CFG_MAP || node->kind == FSIM__CFG_SEQ) {
        if (c->depth == MAX_DEPTH)
            return fsim_error_set(c->err, FSIM_INVALID, c->source, node->line, node->column,
                                  path, "nesting deeper than %d levels", MAX_DEPTH);
        c->stack[c->depth++] = (frame){.node = node, .path = path};
    }
    return FSIM_OK;
}

static bool standard_tag(const yaml_char_t *tag, const char *allowed)
{
    return !tag || strcmp((const char *)tag, allowed) == 0;
}

static fsim_status on_event(yctx *c, const yaml_event_t *ev, int *documents)
{
    int line = (int)ev->start_mark.line + 1, column = (int)ev->start_mark.column + 1;
    fsim__cfg_node *n;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*documents > 1)
            return fsim_error_set(c->err, FSIM_INVALID, c->source, line, column, NULL,
                                  "only one yaml document is allowed");
        return FSIM_OK;
    case YAML_ALIAS_EVENT:
        return fsim_error_set(c->err, FSIM_INVALID, c->source, line, column, NULL,
                              "aliases (*%s) are not supported", (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT: {
        const yaml_char_t *tag = ev->data.scalar.tag;
        if (!standard_tag(tag, YAML_STR_TAG))
            return fsim_error_set(c->err, FSIM_INVALID, c->source, line, column, NULL,
                                  "unsupported tag \"%s\"", (const char *)tag);
        n = fsim__cfg_node_new(c->arena, FSIM__CFG_STRING, c->source, line, column);
        if (!n || !(n->text = fsim_arena_strndup(c->arena, (const char *)ev->data.scalar.value,
                                                 ev->data.scalar.length)))
            return nomem(c);
        if (!tag && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            type_plain_scalar(n);
        return attach(c, n);
    }
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT: {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        const yaml_char_t *tag = map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
        if (!standard_tag(tag, map ? YAML_MAP_TAG : YAML_SEQ_TAG))
            return fsim_error_set(c->err, FSIM_INVALID, c->source, line, column, NULL,
                                  "unsupported tag \"%s\"", (const char *)tag);
        n = fsim__cfg_node_new(c->arena, map ? FSIM__CFG_MAP : FSIM__CFG_SEQ, c->source, line,
                               column);
        if (!n)
            return nomem(c);
        return attach(c, n);
    }
    case YAML_MAPPING_END_EVENT:
    case YAML_SEQUENCE_END_EVENT:
        c->depth--;
        return FSIM_OK;
    default:
        return FSIM_OK;
    }
}

fsim_status fsim__cfg_parse_yaml(fsim_arena *arena, const char *source, const char *text,
                                 size_t len, fsim__cfg_node **root, fsim_error *err)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    bool have_event = false;
    int documents = 0;
    fsim_status st = FSIM_OK;
    yctx c = {.arena = arena, .text = text, .len = len, .err = err};
    *root = NULL;
    c.source = fsim_arena_strdup(arena, source);
    if (!c.source || !yaml_parser_initialize(&parser))
        return fsim_error_set(err, FSIM_NOMEM, source, 0, 0, NULL, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    for (;;) {
        if (!yaml_parser_parse(&parser, &ev)) {
            st = parser_failure(&c, &parser);
            goto out;
        }
        have_event = true;
        st = on_event(&c, &ev, &documents);
        bool done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        have_event = false;
        if (st != FSIM_OK)
            goto out;
        if (done)
            break;
    }
    *root = c.root;
out:
    if (have_event)
        yaml_event_delete(&ev);
    yaml_parser_delete(&parser);
    return st;
}
