/* The second level of the route cache: parsed routes on disk, so that a fresh CLI process
 * (the common case: `fleetsim run`, `fleetsim validate`) skips cJSON and GEOS — and loading
 * GEOS at all — for a route file it has seen before. An entry is named by the SHA-256 of a
 * format tag, fleetsim's version and the file's bytes, so an edited file or another fleetsim
 * never meets a stale entry. Entries are checked in full (size, header, checksum) and any
 * doubt means "parse again"; writes are atomic (temp file + rename) and never fail a run. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fleetsim/settings.h>
#include <fleetsim/util.h>

#include "geo_internal.h"

#ifndef FSIM_VERSION
#error "FSIM_VERSION must be defined (core/geo/meson.build)"
#endif

/* Part of every key: a new layout or a new fleetsim never reads an old entry. */
#define KEY_TAG "fleetsim route cache 1\n" FSIM_VERSION "\n"
#define MAGIC "FSIMRTE1"
#define FORMAT_VERSION 1u
#define FLAG_DEPOT 1u
/* More points than any real route file could give; a bigger n is a corrupt header. */
#define MAX_POINTS ((uint64_t)1 << 26)

/* The header, written as is (native byte order: the cache is per machine, and an entry from
 * a machine of the other order fails the magic and format checks). 64 bytes, no padding. */
typedef struct disk_header {
    char magic[8];
    uint32_t format;
    uint32_t flags;
    uint64_t n;
    uint64_t payload_bytes; /* 8 × (4n + 3(n − 1)) */
    double length_m;
    double depot_lon, depot_lat;
    uint64_t checksum; /* of the payload, see checksum() */
} disk_header;

_Static_assert(sizeof(disk_header) == 64, "disk_header has no padding");

static uint64_t payload_bytes(uint64_t n)
{
    return 8 * (4 * n + 3 * (n - 1));
}

/* FNV-1a over 64-bit words: catches a truncated, zeroed or garbled payload (not an attack:
 * the cache folder is the user's own). */
static uint64_t checksum(const double *words, size_t count)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < count; i++) {
        uint64_t v;
        memcpy(&v, &words[i], 8);
        h = (h ^ v) * 0x100000001b3u;
        h ^= h >> 29;
    }
    return h;
}

/* The hash of the tag and of the bytes' own hash: no copy of the file to put the tag in
 * front of it. */
void fsim__geo_disk_key(const char *data, size_t len, char hex[65])
{
    char tagged[sizeof KEY_TAG + 64];
    memcpy(tagged, KEY_TAG, sizeof KEY_TAG - 1);
    fsim_sha256_hex(data, len, tagged + sizeof KEY_TAG - 1);
    fsim_sha256_hex(tagged, sizeof tagged - 1, hex);
}

/* "<cache dir>/routes" into buf; false when there is no cache folder. */
static bool routes_dir(char *buf, size_t size)
{
    char dflt[4096];
    const char *dir = fsim_cache_dir(dflt, sizeof dflt);
    int n = dir ? snprintf(buf, size, "%s/routes", dir) : -1;
    return n > 0 && (size_t)n < size;
}

static bool entry_path(const char *key, char *buf, size_t size)
{
    char dir[4200];
    if (!routes_dir(dir, sizeof dir))
        return false;
    int n = snprintf(buf, size, "%s/%s.bin", dir, key);
    return n > 0 && (size_t)n < size;
}

/* Reads exactly `len` bytes (false on a short file or an error). */
static bool read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t got = read(fd, p, len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        p += got;
        len -= (size_t)got;
    }
    return true;
}

/* A header that could describe a route: magic, format, flags, n, sizes, finite numbers. */
static bool header_sane(const disk_header *h, off_t file_size)
{
    bool depot = h->flags & FLAG_DEPOT;
    return memcmp(h->magic, MAGIC, 8) == 0 && h->format == FORMAT_VERSION &&
           (h->flags & ~FLAG_DEPOT) == 0 && h->n >= 2 && h->n <= MAX_POINTS &&
           h->payload_bytes == payload_bytes(h->n) &&
           (uint64_t)file_size == sizeof *h + h->payload_bytes && isfinite(h->length_m) &&
           h->length_m > 0 &&
           (depot ? isfinite(h->depot_lon) && isfinite(h->depot_lat)
                  : isnan(h->depot_lon) && isnan(h->depot_lat));
}

bool fsim__geo_disk_load(const char *key, fsim_arena *arena, fsim_route_path *out)
{
    char path[4400];
    if (!entry_path(key, path, sizeof path))
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = false;
    disk_header h;
    struct stat st;
    double *payload = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !read_all(fd, &h, sizeof h) ||
        !header_sane(&h, st.st_size))
        goto out;
    /* the arena keeps this even when the checksum fails: a rare, bounded waste */
    payload = fsim_arena_alloc(arena, (size_t)h.payload_bytes);
    if (!payload || !read_all(fd, payload, (size_t)h.payload_bytes) ||
        checksum(payload, (size_t)h.payload_bytes / 8) != h.checksum)
        goto out;
    size_t n = (size_t)h.n;
    double *p = payload;
    *out = (fsim_route_path){.n = n, .length_m = h.length_m,
                             .has_depot = (h.flags & FLAG_DEPOT) != 0,
                             .depot_lon = h.depot_lon, .depot_lat = h.depot_lat};
    out->lon = p, p += n;
    out->lat = p, p += n;
    out->elevation_m = p, p += n;
    out->distance_m = p, p += n;
    out->segment_m = p, p += n - 1;
    out->grade = p, p += n - 1;
    out->speed_kph = p;
    ok = true;
out:
    close(fd);
    return ok;
}

void fsim__geo_disk_store(const char *key, const fsim_route_path *route)
{
    char dir[4200], path[4400], tmp[4400];
    size_t n = route->n;
    if (n < 2 || !route->lon || !route->lat || !route->elevation_m || !route->distance_m ||
        !route->segment_m || !route->grade || !route->speed_kph || !routes_dir(dir, sizeof dir) ||
        !entry_path(key, path, sizeof path) ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, key) >= sizeof tmp)
        return;
    if (fsim_make_dirs(dir, 0700) != 0)
        return;
    size_t bytes = (size_t)payload_bytes(n);
    double *payload = malloc(bytes);
    if (!payload)
        return;
    const double *parts[] = {route->lon, route->lat, route->elevation_m, route->distance_m,
                             route->segment_m, route->grade, route->speed_kph};
    double *p = payload;
    for (size_t i = 0; i < 7; i++) {
        size_t count = i < 4 ? n : n - 1;
        memcpy(p, parts[i], count * sizeof *p);
        p += count;
    }
    disk_header h = {.format = FORMAT_VERSION,
                     .flags = route->has_depot ? FLAG_DEPOT : 0,
                     .n = n,
                     .payload_bytes = bytes,
                     .length_m = route->length_m,
                     .depot_lon = route->has_depot ? route->depot_lon : NAN,
                     .depot_lat = route->has_depot ? route->depot_lat : NAN,
                     .checksum = checksum(payload, bytes / 8)};
    memcpy(h.magic, MAGIC, 8);
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd >= 0) {
        bool ok = fsim_write_all(fd, &h, sizeof h) && fsim_write_all(fd, payload, bytes);
        ok = close(fd) == 0 && ok;
        if (!ok || rename(tmp, path) != 0)
            unlink(tmp);
    }
    free(payload);
}
