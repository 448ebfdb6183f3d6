/* fsim_geo_load_file, with a process-wide cache of parsed routes. A long-lived process (the
 * Pub/Sub worker, the API's job workers) prepares every job from the same route files, and
 * parsing them (JSON, GEOS, grade smoothing) was about 60 % of a small job's CPU. A file is
 * parsed once per (path, device, inode, size, mtime): an edited or replaced file is parsed
 * again. Hits copy the arrays into the caller's arena, so callers see no difference.
 *
 * Behind it is a second level on disk (geo_disk.c) for fresh processes: on a miss here the
 * file is read and hashed, and an entry under the cache folder serves it without parsing. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <fleetsim/geo.h>
#include <fleetsim/util.h>

#include "geo_internal.h"

#define CACHE_SLOTS 64

typedef struct entry {
    char *path;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    fsim_route_path route; /* arrays in `arena` */
    fsim_arena *arena;
} entry;

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static entry cache[CACHE_SLOTS];
static size_t next_slot; /* round robin once full */
static unsigned long parses; /* for tests: GeoJSON parses done here (under cache_mu) */

static bool same_file(const entry *e, const char *path, const struct stat *st)
{
    return e->path && strcmp(e->path, path) == 0 && e->dev == st->st_dev &&
           e->ino == st->st_ino && e->size == st->st_size &&
           e->mtime.tv_sec == st->st_mtim.tv_sec && e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static double *copy_doubles(fsim_arena *arena, const double *src, size_t n)
{
    if (!src)
        return NULL;
    double *d = fsim_arena_alloc(arena, n * sizeof *d);
    if (d)
        memcpy(d, src, n * sizeof *d);
    return d;
}

/* A copy of `src` whose arrays live in `arena`; false when out of memory. */
static bool copy_route(fsim_arena *arena, const fsim_route_path *src, fsim_route_path *dst)
{
    *dst = *src;
    size_t n = src->n, s = src->n ? src->n - 1 : 0;
    dst->lon = copy_doubles(arena, src->lon, n);
    dst->lat = copy_doubles(arena, src->lat, n);
    dst->elevation_m = copy_doubles(arena, src->elevation_m, n);
    dst->distance_m = copy_doubles(arena, src->distance_m, n);
    dst->segment_m = copy_doubles(arena, src->segment_m, s);
    dst->grade = copy_doubles(arena, src->grade, s);
    dst->speed_kph = copy_doubles(arena, src->speed_kph, s);
    return dst->lon && dst->lat && dst->elevation_m && dst->segment_m && dst->grade &&
           dst->speed_kph && (dst->distance_m || !src->distance_m);
}

/* Keeps a parsed route for the next caller (best effort: out of memory just skips it). */
static void remember(const char *path, const struct stat *st, const fsim_route_path *route)
{
    fsim_arena *arena = fsim_arena_new();
    char *p = strdup(path);
    fsim_route_path copy;
    if (!arena || !p || !copy_route(arena, route, &copy)) {
        fsim_arena_free(arena);
        free(p);
        return;
    }
    pthread_mutex_lock(&cache_mu);
    entry *e = &cache[next_slot];
    next_slot = (next_slot + 1) % CACHE_SLOTS;
    free(e->path);
    fsim_arena_free(e->arena);
    *e = (entry){.path = p, .dev = st->st_dev, .ino = st->st_ino, .size = st->st_size,
                 .mtime = st->st_mtim, .route = copy, .arena = arena};
    pthread_mutex_unlock(&cache_mu);
}

void fsim__geo_cache_forget(void)
{
    pthread_mutex_lock(&cache_mu);
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        free(cache[i].path);
        fsim_arena_free(cache[i].arena);
        cache[i] = (entry){0};
    }
    next_slot = 0;
    pthread_mutex_unlock(&cache_mu);
}

unsigned long fsim__geo_cache_parses(void)
{
    pthread_mutex_lock(&cache_mu);
    unsigned long n = parses;
    pthread_mutex_unlock(&cache_mu);
    return n;
}

/* Memory first (same file, unchanged), then disk (same bytes), then the parse, which fills
 * both levels. Errors are never cached: a bad file is parsed, and reported, every time. */
fsim_status fsim_geo_load_file(const char *path, fsim_arena *arena, fsim_route_path *out,
                               fsim_error *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    struct stat st;
    bool cacheable = out && stat(path, &st) == 0;
    if (cacheable) {
        bool hit = false, copied = false;
        pthread_mutex_lock(&cache_mu);
        for (size_t i = 0; i < CACHE_SLOTS && !hit; i++)
            if (same_file(&cache[i], path, &st)) {
                hit = true;
                copied = copy_route(arena, &cache[i].route, out);
            }
        pthread_mutex_unlock(&cache_mu);
        if (hit && copied)
            return FSIM_OK;
        if (hit)
            return fsim_error_set(err, FSIM_NOMEM, path, 0, 0, NULL, "out of memory");
    }
    char *data = NULL;
    size_t len = 0;
    char key[65];
    fsim_status s = fsim_read_file(path, arena, &data, &len, err);
    if (s != FSIM_OK)
        return s;
    fsim__geo_disk_key(data, len, key);
    if (out && fsim__geo_disk_load(key, arena, out)) {
        if (cacheable)
            remember(path, &st, out);
        return FSIM_OK;
    }
    pthread_mutex_lock(&cache_mu);
    parses++;
    pthread_mutex_unlock(&cache_mu);
    s = fsim_geo_parse(data, len, path, arena, out, err);
    if (s == FSIM_OK && cacheable)
        remember(path, &st, out);
    if (s == FSIM_OK)
        fsim__geo_disk_store(key, out);
    return s;
}
