/* core/config internal: the small document tree that YAML and JSON override texts are
 * both turned into, so they can be deep-merged and validated in one place while every
 * node remembers the file (or label), line and column it came from. Not a public header. */
#ifndef FLEETSIM_CONFIG_CFGNODE_H
#define FLEETSIM_CONFIG_CFGNODE_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/arena.h>
#include <fleetsim/error.h>

typedef enum fsim__cfg_kind {
    FSIM__CFG_NULL,
    FSIM__CFG_BOOL,
    FSIM__CFG_NUMBER,
    FSIM__CFG_STRING,
    FSIM__CFG_MAP,
    FSIM__CFG_SEQ,
} fsim__cfg_kind;

typedef struct fsim__cfg_node fsim__cfg_node;

/* One key of a mapping. The key's position is in the value's source. */
typedef struct fsim__cfg_entry {
    const char *key;
    int key_line;
    int key_column;
    fsim__cfg_node *value;
} fsim__cfg_entry;

/* Everything belongs to the arena the node was made in. */
struct fsim__cfg_node {
    fsim__cfg_kind kind;
    const char *source; /* file path or "FLEETSIM_CONFIG_OVERRIDES" / "overrides" */
    int line;           /* 1-based; 0 when unknown */
    int column;
    const char *text;   /* scalars: the text as written */
    double number;      /* FSIM__CFG_NUMBER */
    bool boolean;       /* FSIM__CFG_BOOL */
    size_t len;         /* entries (MAP) or items (SEQ) */
    size_t cap;
    fsim__cfg_entry *entries;
    fsim__cfg_node **items;
};

/* "a number", "a string", "a mapping", ... for messages. */
const char *fsim__cfg_kind_name(fsim__cfg_kind kind);

fsim__cfg_node *fsim__cfg_node_new(fsim_arena *arena, fsim__cfg_kind kind, const char *source,
                                   int line, int column);
/* Appends; false when out of memory. Duplicate keys are the caller's concern. */
bool fsim__cfg_map_add(fsim_arena *arena, fsim__cfg_node *map, const char *key, int key_line,
                       int key_column, fsim__cfg_node *value);
bool fsim__cfg_seq_add(fsim_arena *arena, fsim__cfg_node *seq, fsim__cfg_node *item);
/* The entry for `key` in a mapping, or NULL. */
fsim__cfg_entry *fsim__cfg_map_find(const fsim__cfg_node *map, const char *key);

/* Deep merge: mappings merge key by key (recursively), anything else in `over` replaces
 * what `base` has. Neither input is modified; unchanged subtrees are shared. NULL when out
 * of memory. */
fsim__cfg_node *fsim__cfg_merge(fsim_arena *arena, fsim__cfg_node *base, fsim__cfg_node *over);

/* Canonical JSON (keys sorted bytewise, numbers via fsim_format_double, no whitespace),
 * owned by the arena; NULL when out of memory. */
char *fsim__cfg_to_json(fsim_arena *arena, const fsim__cfg_node *node);

/* Parsers: the whole text into a tree whose nodes name `source` (copied into the arena).
 * *root is NULL for an empty YAML stream. Errors carry source:line:column. */
fsim_status fsim__cfg_parse_yaml(fsim_arena *arena, const char *source, const char *text,
                                 size_t len, fsim__cfg_node **root, fsim_error *err);
fsim_status fsim__cfg_parse_json(fsim_arena *arena, const char *source, const char *text,
                                 fsim__cfg_node **root, fsim_error *err);

#endif
