/* Unit tests for the on-disk level of the route cache (core/geo/geo_disk.c): a second
 * process — here, the in-memory level emptied — gets the parsed route back bit for bit
 * without parsing; an edited file gets its own entry; a damaged entry is ignored and
 * rewritten; and a cache folder that cannot exist costs nothing but the cache. Parses are
 * counted by a test hook in geo_cache.c, so "without parsing" is observed, not assumed. */
#define _GNU_SOURCE
#include <fleetsim/arena.h>
#include <fleetsim/error.h>
#include <fleetsim/geo.h>

#include "geo_internal.h"

#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char tmp[] = "/tmp/fsim-geo-disk-XXXXXX";
static char cache_dir[256], route_file[256];

static bool arrays_equal(const double *x, const double *y, size_t n)
{
    return x && y && memcmp(x, y, n * sizeof *x) == 0;
}

/* Every field and every element, compared as bytes (NaN speeds included). */
static bool same_route(const fsim_route_path *x, const fsim_route_path *y)
{
    size_t n = x->n, m = n - 1;
    return n >= 2 && x->n == y->n && memcmp(&x->length_m, &y->length_m, 8) == 0 &&
           x->has_depot == y->has_depot && memcmp(&x->depot_lon, &y->depot_lon, 8) == 0 &&
           memcmp(&x->depot_lat, &y->depot_lat, 8) == 0 && arrays_equal(x->lon, y->lon, n) &&
           arrays_equal(x->lat, y->lat, n) && arrays_equal(x->elevation_m, y->elevation_m, n) &&
           arrays_equal(x->distance_m, y->distance_m, n) &&
           arrays_equal(x->segment_m, y->segment_m, m) && arrays_equal(x->grade, y->grade, m) &&
           arrays_equal(x->speed_kph, y->speed_kph, m);
}

/* Files in <cache_dir>/routes, temporary ones included (a leftover would count). */
static int entries(void)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/routes", cache_dir);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[size] = '\0';
        *len = (size_t)size;
    }
    return buf;
}

static bool spill(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

/* The entry path for the route file's current bytes. */
static bool entry_of(const char *file, char *path, size_t size)
{
    size_t len;
    char *text = slurp(file, &len), key[65];
    bool ok = text != NULL;
    if (ok)
        fsim__geo_disk_key(text, len, key);
    free(text);
    return ok && (size_t)snprintf(path, size, "%s/routes/%s.bin", cache_dir, key) < size;
}

/* A load as a new process would do it: the in-memory level empty. */
static fsim_status fresh_load(fsim_arena *a, fsim_route_path *p)
{
    fsim_error err;
    fsim_error_clear(&err);
    fsim__geo_cache_forget();
    fsim_status st = fsim_geo_load_file(route_file, a, p, &err);
    if (st != FSIM_OK)
        printf("# %s\n", err.message);
    return st;
}

static void test_hit(fsim_arena *a, fsim_route_path *parsed)
{
    unsigned long before = fsim__geo_cache_parses();
    CHECK(fresh_load(a, parsed) == FSIM_OK && fsim__geo_cache_parses() == before + 1,
          "first load parses");
    CHECK(entries() == 1, "and writes exactly one entry (%d)", entries());
    char entry[400];
    struct stat st;
    CHECK(entry_of(route_file, entry, sizeof entry) && stat(entry, &st) == 0 &&
              (st.st_mode & 0777) == 0600,
          "named by the file's SHA-256, mode 0600");

    fsim_route_path cached;
    CHECK(fresh_load(a, &cached) == FSIM_OK && fsim__geo_cache_parses() == before + 1,
          "a fresh process's load does not parse");
    CHECK(same_route(parsed, &cached) && parsed->lon != cached.lon,
          "and gets every array equal byte for byte, in its own arena");
    fsim_error err;
    fsim_route_path again;
    CHECK(fsim_geo_load_file(route_file, a, &again, &err) == FSIM_OK &&
              fsim__geo_cache_parses() == before + 1 && same_route(parsed, &again),
          "the in-memory level serves the next load");
}

static void test_edited(fsim_arena *a, const fsim_route_path *original)
{
    size_t len;
    char *text = slurp(route_file, &len);
    char *at = text ? strstr(text, "40.470398") : NULL;
    if (!at) {
        CHECK(0, "the bundled route has the coordinate to edit");
        free(text);
        return;
    }
    memcpy(at, "40.470498", 9);
    spill(route_file, text, len);
    unsigned long before = fsim__geo_cache_parses();
    fsim_route_path p;
    bool loaded = fresh_load(a, &p) == FSIM_OK;
    CHECK(loaded && fsim__geo_cache_parses() == before + 1, "an edited file is parsed again");
    CHECK(loaded && p.n == original->n && p.lat[1] == 40.470498 &&
              original->lat[1] == 40.470398,
          "with the new geometry (lat[1] %.6f)", loaded ? p.lat[1] : NAN);
    CHECK(entries() == 2, "under a second entry (%d)", entries());
    memcpy(at, "40.470398", 9);
    spill(route_file, text, len);
    free(text);
    CHECK(fresh_load(a, &p) == FSIM_OK && fsim__geo_cache_parses() == before + 1 &&
              same_route(&p, original),
          "the file edited back is served from its old entry");
}

/* Damages the entry with `damage`, then: still the right route, parsed, the entry rewritten
 * valid (the next fresh load does not parse). */
static void check_damaged(fsim_arena *a, const fsim_route_path *original, const char *what,
                          void (*damage)(const char *entry))
{
    char entry[400];
    struct stat good, st;
    if (!entry_of(route_file, entry, sizeof entry) || stat(entry, &good) != 0) {
        CHECK(0, "%s: the entry exists", what);
        return;
    }
    damage(entry);
    unsigned long before = fsim__geo_cache_parses();
    fsim_route_path p;
    CHECK(fresh_load(a, &p) == FSIM_OK && same_route(&p, original) &&
              fsim__geo_cache_parses() == before + 1,
          "%s entry: ignored, the file parsed, the right route", what);
    bool there = stat(entry, &st) == 0;
    CHECK(there && st.st_size == good.st_size && entries() == 2,
          "%s entry: rewritten whole (%lld bytes)", what, there ? (long long)st.st_size : -1LL);
    CHECK(fresh_load(a, &p) == FSIM_OK && same_route(&p, original) &&
              fsim__geo_cache_parses() == before + 1,
          "%s entry: the rewritten one serves the next process", what);
}

static void truncate_half(const char *entry)
{
    struct stat st;
    if (stat(entry, &st) == 0 && truncate(entry, st.st_size / 2) != 0)
        perror("truncate");
}

static void garble_all(const char *entry)
{
    struct stat st;
    if (stat(entry, &st) != 0)
        return;
    char *junk = malloc((size_t)st.st_size);
    if (!junk)
        return;
    for (off_t i = 0; i < st.st_size; i++)
        junk[i] = (char)(i * 131 + 7);
    spill(entry, junk, (size_t)st.st_size);
    free(junk);
}

/* A valid header, one payload byte flipped: only the checksum can tell. */
static void flip_payload_byte(const char *entry)
{
    size_t len;
    char *data = slurp(entry, &len);
    if (!data)
        return;
    data[len / 2] ^= 0x10;
    spill(entry, data, len);
    free(data);
}

static void test_unwritable(fsim_arena *a, const fsim_route_path *original)
{
    char file[300], dir[320];
    snprintf(file, sizeof file, "%s/a-file", tmp);
    snprintf(dir, sizeof dir, "%s/x", file);
    spill(file, "", 0);
    setenv("FLEETSIM_CACHE_DIR", dir, 1);
    unsigned long before = fsim__geo_cache_parses();
    fsim_route_path p;
    CHECK(fresh_load(a, &p) == FSIM_OK && same_route(&p, original) &&
              fsim__geo_cache_parses() == before + 1,
          "a cache folder under a regular file: the route loads all the same");
    unsetenv("FLEETSIM_CACHE_DIR");
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    CHECK(fresh_load(a, &p) == FSIM_OK && same_route(&p, original) &&
              fsim__geo_cache_parses() == before + 2,
          "no cache folder at all (no HOME): the route loads all the same");
    setenv("FLEETSIM_CACHE_DIR", cache_dir, 1);
}

static void test_errors_not_cached(fsim_arena *a)
{
    char bad[300];
    snprintf(bad, sizeof bad, "%s/bad.geojson", tmp);
    const char *text = "{\"type\":\"LineString\",\"coordinates\":[[0,0],[0,95]]}";
    spill(bad, text, strlen(text));
    int before_entries = entries();
    unsigned long before = fsim__geo_cache_parses();
    fsim_route_path p;
    fsim_error err;
    for (int i = 0; i < 2; i++) {
        fsim__geo_cache_forget();
        fsim_error_clear(&err);
        CHECK(fsim_geo_load_file(bad, a, &p, &err) == FSIM_INVALID &&
                  strcmp(err.path, "coordinates[1][1]") == 0,
              "a bad file fails with its error (load %d)", i + 1);
    }
    CHECK(fsim__geo_cache_parses() == before + 2 && entries() == before_entries,
          "and is parsed each time, never cached");
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int main(void)
{
    const char *r = getenv("FSIM_SOURCE_ROOT");
    char source[1200];
    snprintf(source, sizeof source, "%s/config/routes/north-loop.geojson", r ? r : ".");
    if (!mkdtemp(tmp))
        return 1;
    snprintf(cache_dir, sizeof cache_dir, "%s/cache/fleetsim", tmp); /* made by the first store */
    snprintf(route_file, sizeof route_file, "%s/north-loop.geojson", tmp);
    setenv("FLEETSIM_CACHE_DIR", cache_dir, 1);
    size_t len;
    char *text = slurp(source, &len);
    fsim_arena *a = fsim_arena_new();
    if (!text || !a || !spill(route_file, text, len))
        return 1;
    free(text);

    fsim_route_path parsed;
    test_hit(a, &parsed);
    test_edited(a, &parsed);
    check_damaged(a, &parsed, "a truncated", truncate_half);
    check_damaged(a, &parsed, "a garbage", garble_all);
    check_damaged(a, &parsed, "a bit-flipped", flip_payload_byte);
    test_errors_not_cached(a);
    test_unwritable(a, &parsed);

    fsim__geo_cache_forget();
    fsim_arena_free(a);
    nftw(tmp, remove_one, 8, FTW_DEPTH | FTW_PHYS);
    return check_done();
}
