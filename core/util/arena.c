/* A chunked bump allocator (see fleetsim/arena.h). Chunks grow geometrically so a
 * run that allocates a lot makes few malloc calls; large requests get their own chunk. */
#include <fleetsim/arena.h>

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct chunk {
    struct chunk *next;
    size_t size;
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

/* A block the arena frees at the end (fsim_arena_adopt); the node lives in a chunk. */
struct adopted {
    struct adopted *next;
    void *block;
};

struct fsim_arena {
    struct chunk *head;
    struct adopted *adopted;
    size_t next_size;
    size_t total_used;
};

enum { FIRST_CHUNK = 4096, MAX_CHUNK = 16u << 20 };

fsim_arena *fsim_arena_new(void)
{
    fsim_arena *arena = calloc(1, sizeof *arena);
    if (arena)
        arena->next_size = FIRST_CHUNK;
    return arena;
}

void fsim_arena_free(fsim_arena *arena)
{
    if (!arena)
        return;
    for (struct adopted *a = arena->adopted; a; a = a->next)
        free(a->block); /* before the chunks, which hold the nodes */
    struct chunk *c = arena->head;
    while (c) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(arena);
}

void *fsim_arena_alloc(fsim_arena *arena, size_t size)
{
    const size_t align = alignof(max_align_t);
    if (size > SIZE_MAX - align)
        return NULL;
    size_t rounded = (size + align - 1) & ~(align - 1);
    if (rounded == 0)
        rounded = align;
    struct chunk *c = arena->head;
    if (!c || c->size - c->used < rounded) {
        size_t csize = arena->next_size;
        if (csize < rounded)
            csize = rounded;
        if (csize > SIZE_MAX - sizeof *c)
            return NULL;
        c = malloc(sizeof *c + csize);
        if (!c)
            return NULL;
        c->size = csize;
        c->used = 0;
        c->next = arena->head;
        arena->head = c;
        if (arena->next_size < MAX_CHUNK)
            arena->next_size *= 2;
    }
    void *p = c->data + c->used;
    c->used += rounded;
    arena->total_used += rounded;
    memset(p, 0, size);
    return p;
}

void *fsim_arena_calloc(fsim_arena *arena, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return fsim_arena_alloc(arena, count * size);
}

char *fsim_arena_strndup(fsim_arena *arena, const char *s, size_t n)
{
    if (!s)
        return NULL;
    size_t len = strnlen(s, n);
    char *p = fsim_arena_alloc(arena, len + 1);
    if (p)
        memcpy(p, s, len);
    return p;
}

char *fsim_arena_strdup(fsim_arena *arena, const char *s)
{
    return s ? fsim_arena_strndup(arena, s, strlen(s)) : NULL;
}

char *fsim_arena_sprintf(fsim_arena *arena, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = fsim_arena_alloc(arena, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

bool fsim_arena_adopt(fsim_arena *arena, void *p)
{
    struct adopted *a = fsim_arena_alloc(arena, sizeof *a);
    if (!a) {
        free(p);
        return false;
    }
    a->block = p;
    a->next = arena->adopted;
    arena->adopted = a;
    return true;
}

size_t fsim_arena_used(const fsim_arena *arena)
{
    return arena->total_used;
}
