/* fleetsim — a bump allocator: one arena per request, message or simulation run,
 * freed in one call at its end (h2o's per-request pool, PostgreSQL's memory contexts). */
#ifndef FLEETSIM_ARENA_H
#define FLEETSIM_ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct fsim_arena fsim_arena;

/* A new empty arena; NULL when out of memory. */
fsim_arena *fsim_arena_new(void);
/* Frees the arena and everything allocated from it. Accepts NULL. */
void fsim_arena_free(fsim_arena *arena);

/* `size` bytes aligned for any type, zero-filled; NULL when out of memory (or on
 * overflow). The memory belongs to the arena. */
void *fsim_arena_alloc(fsim_arena *arena, size_t size);
/* An array of `count` zeroed elements of `size` bytes, overflow-checked. */
void *fsim_arena_calloc(fsim_arena *arena, size_t count, size_t size);
/* Copies of strings, owned by the arena; NULL in ⇒ NULL out. */
char *fsim_arena_strdup(fsim_arena *arena, const char *s);
char *fsim_arena_strndup(fsim_arena *arena, const char *s, size_t n);
char *fsim_arena_sprintf(fsim_arena *arena, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Hands a malloc'd block to the arena: it is freed with the arena. Why: a large array
 * built with realloc (an in-memory result's rows) joins the arena without a copy. False
 * when out of memory, and then `p` has been freed already. */
bool fsim_arena_adopt(fsim_arena *arena, void *p);
/* Bytes handed out so far (for benchmarks and limits). */
size_t fsim_arena_used(const fsim_arena *arena);

#endif
