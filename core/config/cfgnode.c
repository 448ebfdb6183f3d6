/* core/config: the position-keeping document tree, its deep merge and its canonical JSON
 * form (see cfgnode.h). */
#include "cfgnode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/util.h>

const char *fsim__cfg_kind_name(fsim__cfg_kind kind)
{
    switch (kind) {
    case FSIM__CFG_NULL: return "null";
    case FSIM__CFG_BOOL: return "a boolean";
    case FSIM__CFG_NUMBER: return "a number";
    case FSIM__CFG_STRING: return "a string";
    case FSIM__CFG_MAP: return "a mapping";
    case FSIM__CFG_SEQ: return "a list";
    }
    return "unknown";
}

fsim__cfg_node *fsim__cfg_node_new(fsim_arena *arena, fsim__cfg_kind kind, const char *source,
                                   int line, int column)
{
    fsim__cfg_node *n = fsim_arena_alloc(arena, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->source = source;
    n->line = line;
    n->column = column;
    return n;
}

/* Arena memory cannot grow in place: double into a fresh block (the old one is waste the
 * arena frees at the end; config trees are small). */
static bool grow(fsim_arena *arena, void **array, size_t *cap, size_t len, size_t elem)
{
    if (len < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *bigger = fsim_arena_calloc(arena, ncap, elem);
    if (!bigger)
        return false;
    if (len)
        memcpy(bigger, *array, len * elem);
    *array = bigger;
    *cap = ncap;
    return true;
}

bool fsim__cfg_map_add(fsim_arena *arena, fsim__cfg_node *map, const char *key, int key_line,
                       int key_column, fsim__cfg_node *value)
{
    void *arr = map->entries;
    if (!grow(arena, &arr, &map->cap, map->len, sizeof *map->entries))
        return false;
    map->entries = arr;
    map->entries[map->len++] =
        (fsim__cfg_entry){.key = key, .key_line = key_line, .key_column = key_column, .value = value};
    return true;
}

bool fsim__cfg_seq_add(fsim_arena *arena, fsim__cfg_node *seq, fsim__cfg_node *item)
{
    void *arr = seq->items;
    if (!grow(arena, &arr, &seq->cap, seq->len, sizeof *seq->items))
        return false;
    seq->items = arr;
    seq->items[seq->len++] = item;
    return true;
}

fsim__cfg_entry *fsim__cfg_map_find(const fsim__cfg_node *map, const char *key)
{
    if (!map || map->kind != FSIM__CFG_MAP)
        return NULL;
    for (size_t i = 0; i < map->len; i++)
        if (strcmp(map->entries[i].key, key) == 0)
            return &map->entries[i];
    return NULL;
}

fsim__cfg_node *fsim__cfg_merge(fsim_arena *arena, fsim__cfg_node *base, fsim__cfg_node *over)
{
    if (!base)
        return over;
    if (!over)
        return base;
    if (base->kind != FSIM__CFG_MAP || over->kind != FSIM__CFG_MAP)
        return over;
    /* The merged mapping keeps the base's position: that is where it was declared. */
    fsim__cfg_node *m = fsim__cfg_node_new(arena, FSIM__CFG_MAP, base->source, base->line,
                                           base->column);
    if (!m)
        return NULL;
    for (size_t i = 0; i < base->len; i++) {
        const fsim__cfg_entry *e = &base->entries[i];
        if (!fsim__cfg_map_add(arena, m, e->key, e->key_line, e->key_column, e->value))
            return NULL;
    }
    for (size_t i = 0; i < over->len; i++) {
        const fsim__cfg_entry *e = &over->entries[i];
        fsim__cfg_entry *have = fsim__cfg_map_find(m, e->key);
        if (!have) {
            if (!fsim__cfg_map_add(arena, m, e->key, e->key_line, e->key_column, e->value))
                return NULL;
            continue;
        }
        fsim__cfg_node *merged = fsim__cfg_merge(arena, have->value, e->value);
        if (!merged)
            return NULL;
        if (merged == e->value) {
            /* the override won: its key position goes with its value */
            have->key_line = e->key_line;
            have->key_column = e->key_column;
        }
        have->value = merged;
    }
    return m;
}

/* ---- canonical JSON ----------------------------------------------------------------- */

typedef struct strbuf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} strbuf;

static void sb_put(strbuf *sb, const char *s, size_t n)
{
    if (!sb->failed && !fsim_buf_append(&sb->data, &sb->len, &sb->cap, s, n))
        sb->failed = true;
}

static void sb_puts(strbuf *sb, const char *s)
{
    sb_put(sb, s, strlen(s));
}

/* JSON string escaping: the two mandatory escapes and every control character as \u00XX,
 * everything else (UTF-8 included) verbatim — one spelling per string, so hashes agree. */
static void sb_put_string(strbuf *sb, const char *s)
{
    sb_put(sb, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            sb_put(sb, esc, 2);
        } else if (*p < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            sb_puts(sb, esc);
        } else {
            sb_put(sb, (const char *)p, 1);
        }
    }
    sb_put(sb, "\"", 1);
}

static int entry_cmp(const void *a, const void *b)
{
    const fsim__cfg_entry *const *x = a, *const *y = b;
    return strcmp((*x)->key, (*y)->key);
}

static void sb_put_node(strbuf *sb, const fsim__cfg_node *n)
{
    char num[FSIM_NUMBER_BUF];
    if (!n) {
        sb_puts(sb, "null");
        return;
    }
    switch (n->kind) {
    case FSIM__CFG_NULL: sb_puts(sb, "null"); break;
    case FSIM__CFG_BOOL: sb_puts(sb, n->boolean ? "true" : "false"); break;
    case FSIM__CFG_NUMBER: sb_puts(sb, fsim_format_double(n->number, num)); break;
    case FSIM__CFG_STRING: sb_put_string(sb, n->text); break;
    case FSIM__CFG_SEQ:
        sb_put(sb, "[", 1);
        for (size_t i = 0; i < n->len; i++) {
            if (i)
                sb_put(sb, ",", 1);
            sb_put_node(sb, n->items[i]);
        }
        sb_put(sb, "]", 1);
        break;
    case FSIM__CFG_MAP: {
        const fsim__cfg_entry **sorted = n->len ? malloc(n->len * sizeof *sorted) : NULL;
        if (n->len && !sorted) {
            sb->failed = true;
            return;
        }
        for (size_t i = 0; i < n->len; i++)
            sorted[i] = &n->entries[i];
        if (n->len)
            qsort(sorted, n->len, sizeof *sorted, entry_cmp);
        sb_put(sb, "{", 1);
        for (size_t i = 0; i < n->len; i++) {
            if (i)
                sb_put(sb, ",", 1);
            sb_put_string(sb, sorted[i]->key);
            sb_put(sb, ":", 1);
            sb_put_node(sb, sorted[i]->value);
        }
        sb_put(sb, "}", 1);
        free(sorted);
        break;
    }
    }
}

char *fsim__cfg_to_json(fsim_arena *arena, const fsim__cfg_node *node)
{
    strbuf sb = {0};
    char *out = NULL;
    sb_put_node(&sb, node);
    if (sb.failed)
        goto out;
    out = fsim_arena_strndup(arena, sb.data, sb.len);
out:
    free(sb.data);
    return out;
}
