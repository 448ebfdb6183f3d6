/* The local sink, streaming: each row goes to its files as the engine produces it (the
 * formatting on the pool's threads, row_pool.c), so a run's memory is the fleet's state,
 * not its history. One writer per kind of row makes its CSV table, written in place (under
 * a temporary name), and its array of result.json, kept as a fragment (in memory up to
 * FRAG_MEM_MAX, then in a file). At the end the document is the encoded result (summary,
 * metadata) with each fragment spliced between its array's brackets — the same bytes the
 * in-memory encoder gives. Nothing is renamed into place until every file is complete. */
#define _GNU_SOURCE /* sync_file_range */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fleetsim/runner.h>
#include <fleetsim/util.h>

#include "runner_internal.h"

enum { K_SERIES, K_EVENTS, K_TRIPS, K_VEHICLES, N_KINDS };
enum { EARLY_WRITEBACK = 1 << 20, FRAG_MEM_MAX = 8 << 20, SMALL_PAGES_FIRST = 2 << 20 };

static const char *const csv_names[N_KINDS] = {"timeseries.csv", "charging_events.csv",
                                               "trips.csv", "vehicles.csv"};
static const char *const json_keys[N_KINDS] = {"\"timeSeriesData\":[", "\"chargingEvents\":[",
                                               "\"trips\":[", "\"vehicles\":["};
static const fsim_wire_type kind_types[N_KINDS] = {
    FSIM_WIRE_TIME_SERIES_POINT, FSIM_WIRE_CHARGING_EVENT, FSIM_WIRE_TRIP_RESULT,
    FSIM_WIRE_VEHICLE_SUMMARY};
static const unsigned kind_bits[N_KINDS] = {FSIM_SIM_OUT_SERIES, FSIM_SIM_OUT_EVENTS,
                                            FSIM_SIM_OUT_TRIPS, FSIM_SIM_OUT_VEHICLES};

struct out_file {
    char path[4200];
    int fd;
    bool early;              /* start writing back to disk as it grows (a file that stays) */
    off_t written, flushed;  /* bytes written; bytes whose write-back has been started */
};

/* One of result.json's arrays while the run goes: in memory up to FRAG_MEM_MAX (a small
 * run then never writes it twice), in a temporary file beyond. */
struct fragment {
    struct out_file file;    /* fd -1 until the first spill */
    char name[64];
    const char *dir;
    char *mem;               /* FRAG_MEM_MAX reserved, pages used as written */
    size_t len;
};

struct fsim_runner_stream {
    unsigned outputs;
    bool csv;                         /* the CSV tables too (files), or result.json alone */
    char dir[4096];
    struct out_file json;
    struct out_file table[N_KINDS];
    struct fragment frag[N_KINDS];
    fsim_wire_rows *w[N_KINDS];       /* each kind's table and fragment */
    fsim__row_pool *pool;             /* formats the rows on other threads */
    fsim_depot_summary *depots;       /* id and offset per depot, for the _local columns */
    size_t n_depots;
    fsim_sim_rows rows;
};

/* Writes to one of the run's files. Why sync_file_range: the commit's fsync then waits for
 * the last few MB, not for every byte of a file written long before (as dpkg does it). */
static void wrote(struct out_file *f, size_t len)
{
    f->written += (off_t)len;
    if (f->early && f->written - f->flushed >= EARLY_WRITEBACK) {
        sync_file_range(f->fd, f->flushed, f->written - f->flushed, SYNC_FILE_RANGE_WRITE);
        f->flushed = f->written;
    }
}

static bool write_fd(void *user, const char *data, size_t len)
{
    struct out_file *f = user;
    if (!fsim_write_all(f->fd, data, len))
        return false;
    wrote(f, len);
    return true;
}

static fsim_status open_temp(struct out_file *f, const char *dir, const char *name,
                             fsim_error *err)
{
    snprintf(f->path, sizeof f->path, "%s/.%s.%ld.tmp", dir, name, (long)getpid());
    unlink(f->path); /* a leftover of a crashed run with the same pid */
    f->fd = open(f->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f->fd < 0)
        return fsim_error_set(err, FSIM_IO, f->path, 0, 0, NULL, "could not create: %s",
                              strerror(errno));
    return FSIM_OK;
}

static void close_file(struct out_file *f, bool remove)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (remove && f->path[0])
        unlink(f->path);
}

static bool write_frag(void *user, const char *data, size_t len)
{
    struct fragment *g = user;
    if (g->file.fd < 0 && g->len + len <= FRAG_MEM_MAX) {
        /* Reserved whole, never moved, in huge pages where the kernel has them: a week of
         * 1,000 vehicles faulted in 2,700 small pages here, a tenth of the run's CPU. Not
         * the first 2 MB: most arrays are smaller (the series, the vehicles), and a huge
         * page is 2 MB zeroed however little of it is written. */
        if (!g->mem) {
            void *m = mmap(NULL, FRAG_MEM_MAX, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (m == MAP_FAILED) {
                errno = ENOMEM;
                return false;
            }
            madvise((char *)m + SMALL_PAGES_FIRST, FRAG_MEM_MAX - SMALL_PAGES_FIRST,
                    MADV_HUGEPAGE); /* advice: refused is fine */
            g->mem = m;
        }
        memcpy(g->mem + g->len, data, len);
        g->len += len;
        return true;
    }
    if (g->file.fd < 0) { /* the first spill: the memory so far, then the rest, to a file */
        fsim_error ignored;
        if (open_temp(&g->file, g->dir, g->name, &ignored) != FSIM_OK ||
            !write_fd(&g->file, g->mem, g->len))
            return false;
        munmap(g->mem, FRAG_MEM_MAX);
        g->mem = NULL;
        g->len = 0;
    }
    return write_fd(&g->file, data, len);
}

static void drop_fragment(struct fragment *g)
{
    close_file(&g->file, true);
    if (g->mem)
        munmap(g->mem, FRAG_MEM_MAX);
    g->mem = NULL;
    g->len = 0;
}

static void drop_fragment_job(void *fragment)
{
    drop_fragment(fragment);
}

/* One row for its table and its fragment of result.json (formatted by the pool). */
static fsim_status add_row(fsim_runner_stream *s, int k, const void *row, fsim_error *err)
{
    if (!fsim__row_pool_add(s->pool, k, row))
        return fsim_error_set(err, errno == ENOMEM ? FSIM_NOMEM : FSIM_IO, s->dir, 0, 0, NULL,
                              "could not write: %s", strerror(errno));
    return FSIM_OK;
}

static fsim_status on_point(void *user, const fsim_time_series_point *row, fsim_error *err)
{
    return add_row(user, K_SERIES, row, err);
}

static fsim_status on_event(void *user, const fsim_charging_event *row, fsim_error *err)
{
    return add_row(user, K_EVENTS, row, err);
}

static fsim_status on_trip(void *user, const fsim_trip_result *row, fsim_error *err)
{
    return add_row(user, K_TRIPS, row, err);
}

static fsim_status on_vehicle(void *user, const fsim_vehicle_summary *row, fsim_error *err)
{
    return add_row(user, K_VEHICLES, row, err);
}

void fsim_runner_stream_abort(fsim_runner_stream *s)
{
    if (!s)
        return;
    fsim__row_pool_finish(s->pool, true);
    for (int k = 0; k < N_KINDS; k++) {
        fsim_wire_rows_finish(s->w[k], NULL);
        close_file(&s->table[k], true);
        drop_fragment(&s->frag[k]);
    }
    close_file(&s->json, true);
    free(s->depots);
    free(s);
}

fsim_status fsim_runner_stream_open(const char *dir, bool csv, const fsim_sim_input *in,
                                    fsim_runner_stream **out, fsim_error *err)
{
    *out = NULL;
    fsim_status st = fsim__runner_make_dirs(dir, err);
    if (st != FSIM_OK)
        return st;
    fsim_runner_stream *s = calloc(1, sizeof *s);
    if (!s)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    s->json.fd = -1;
    for (int k = 0; k < N_KINDS; k++)
        s->table[k].fd = s->frag[k].file.fd = -1;
    s->outputs = in->outputs;
    s->csv = csv;
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->n_depots = in->n_depots;
    s->depots = calloc(in->n_depots + 1, sizeof *s->depots);
    if (!s->depots) {
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto fail;
    }
    for (size_t d = 0; d < in->n_depots; d++)
        s->depots[d] = (fsim_depot_summary){.id = in->depots[d].id,
                                            .utc_offset_minutes = in->depots[d].utc_offset_minutes};
    for (int k = 0; k < N_KINDS; k++) {
        if (!(s->outputs & kind_bits[k]))
            continue;
        snprintf(s->frag[k].name, sizeof s->frag[k].name, "result.%d.json", k);
        s->frag[k].dir = s->dir;
        s->table[k].early = true;
        if ((csv && (st = open_temp(&s->table[k], dir, csv_names[k], err)) != FSIM_OK) ||
            (st = fsim_wire_rows_new(kind_types[k], s->depots, s->n_depots,
                                     csv ? write_fd : NULL, &s->table[k], write_frag,
                                     &s->frag[k], &s->w[k], err)) != FSIM_OK)
            goto fail;
    }
    if (!(s->pool = fsim__row_pool_new(in->threads))) {
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto fail;
    }
    static const size_t sizes[N_KINDS] = {
        sizeof(fsim_time_series_point), sizeof(fsim_charging_event), sizeof(fsim_trip_result),
        sizeof(fsim_vehicle_summary)};
    for (int k = 0; k < N_KINDS; k++)
        fsim__row_pool_kind(s->pool, k, sizes[k],
                            k == K_TRIPS ? offsetof(fsim_trip_result, stranded_at) : SIZE_MAX,
                            s->w[k]);
    s->rows = (fsim_sim_rows){s, on_point, on_event, on_trip, on_vehicle};
    *out = s;
    return FSIM_OK;
fail:
    fsim_runner_stream_abort(s);
    return st;
}

const fsim_sim_rows *fsim_runner_stream_rows(fsim_runner_stream *s)
{
    return &s->rows;
}

/* Copies a fragment into result.json: from memory, or from its file in the kernel
 * (sendfile, no copy through this process) and, where that is refused, through a buffer. */
static bool copy_fragment(const struct fragment *g, struct out_file *to)
{
    if (g->file.fd < 0)
        return write_fd(to, g->mem, g->len);
    const int from = g->file.fd;
    struct stat sb;
    if (fstat(from, &sb) != 0)
        return false;
    off_t at = 0;
    while (at < sb.st_size) {
        ssize_t n = sendfile(to->fd, from, &at, (size_t)(sb.st_size - at));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        wrote(to, (size_t)n);
    }
    if (at == sb.st_size)
        return true;
    if (lseek(from, at, SEEK_SET) != at)
        return false;
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(from, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0)
            return true;
        if (!write_fd(to, buf, (size_t)n))
            return false;
    }
}

/* A write the pool's threads could not make (e: its errno, 0 none), as the run's error. */
static fsim_status pool_error(const fsim_runner_stream *s, int e, fsim_error *err)
{
    if (!e)
        return FSIM_OK;
    return fsim_error_set(err, e == ENOMEM ? FSIM_NOMEM : FSIM_IO, s->dir, 0, 0, NULL,
                          "could not write: %s", strerror(e));
}

/* A kind's rows all written (the calling thread formats meanwhile) and its writer flushed
 * and freed: its table is complete, and its fragment ready to copy. */
static fsim_status finish_kind(fsim_runner_stream *s, int k, fsim_error *err)
{
    fsim_status st = pool_error(s, fsim__row_pool_wait_kind(s->pool, k), err);
    if (st != FSIM_OK)
        return st;
    st = fsim_wire_rows_finish(s->w[k], err);
    s->w[k] = NULL;
    if (st != FSIM_OK)
        return fsim_error_set(err, FSIM_IO, s->dir, 0, 0, NULL, "could not write: %s",
                              strerror(errno));
    return FSIM_OK;
}

/* result.json: the encoded result with its arrays empty, each array's rows spliced in from
 * its fragment, as soon as its kind is written: the copy (10 MB for a week of 1,000
 * vehicles) overlaps the pool's formatting of the kinds after it. The markers are found in
 * order after the summary: the summary's strings are escaped, so a key with its quotes
 * cannot occur inside them. */
static fsim_status write_json(fsim_runner_stream *s, const fsim_result *res, fsim_error *err)
{
    fsim_result shell = *res;
    fsim_vehicle_summary none;
    shell.time_series_data = NULL, shell.n_time_series_data = 0;
    shell.charging_events = NULL, shell.n_charging_events = 0;
    shell.trips = NULL, shell.n_trips = 0;
    shell.vehicles = (s->outputs & FSIM_SIM_OUT_VEHICLES) ? &none : NULL;
    shell.n_vehicles = 0;
    size_t len;
    char *text = fsim_wire_encode(FSIM_WIRE_RESULT, &shell, 0, &len);
    if (!text)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    s->json.early = s->csv; /* the gcs object is uploaded from it, then removed */
    fsim_status st = open_temp(&s->json, s->dir, "result.json", err);
    const char *at = text;
    for (int k = 0; k < N_KINDS && st == FSIM_OK; k++) {
        if (!(s->outputs & kind_bits[k]))
            continue; /* an output that is off: its array stays empty (or absent) */
        const char *m = strstr(at, json_keys[k]);
        if (!m) {
            st = fsim_error_set(err, FSIM_INTERNAL, NULL, 0, 0, NULL, "no %s in the result",
                                json_keys[k]);
            break;
        }
        m += strlen(json_keys[k]);
        if (!write_fd(&s->json, at, (size_t)(m - at))) {
            st = fsim_error_set(err, FSIM_IO, s->json.path, 0, 0, NULL, "could not write: %s",
                                strerror(errno));
            break;
        }
        if ((st = finish_kind(s, k, err)) != FSIM_OK)
            break;
        if (!copy_fragment(&s->frag[k], &s->json))
            st = fsim_error_set(err, FSIM_IO, s->json.path, 0, 0, NULL, "could not write: %s",
                                strerror(errno));
        else /* its memory freed by an idle thread while this one goes on */
            fsim__row_pool_defer(s->pool, drop_fragment_job, &s->frag[k]);
        at = m;
    }
    /* a file in a folder ends its line (as fsim_runner_write_files); the gcs object is the
     * encoded result alone, as the in-memory upload sends it */
    if (st == FSIM_OK && (!write_fd(&s->json, at, len - (size_t)(at - text)) ||
                          (s->csv && !write_fd(&s->json, "\n", 1))))
        st = fsim_error_set(err, FSIM_IO, s->json.path, 0, 0, NULL, "could not write: %s",
                            strerror(errno));
    free(text);
    return st;
}

static void close_replaced_tables(void *fds)
{
    for (int i = 1; i <= N_KINDS; i++)
        if (((int *)fds)[i] >= 0)
            close(((int *)fds)[i]);
}

fsim_status fsim_runner_stream_commit(fsim_runner_stream *s, const fsim_result *res,
                                      fsim_error *err)
{
    fsim_status st = write_json(s, res, err);
    if (st != FSIM_OK) {
        /* the rest is dropped, and the first error stays the one reported */
        fsim__row_pool_finish(s->pool, true);
        s->pool = NULL;
    }
    /* Past write_json every kind is written (it waited for each, and a failed write is its
     * error): the pool has only the arrays' memory left to free, which its thread does
     * while this one syncs and renames. */
    /* the bytes on disk before any name changes */
    struct out_file *files[N_KINDS + 1] = {&s->json, &s->table[0], &s->table[1], &s->table[2],
                                           &s->table[3]};
    for (int i = 0; i <= N_KINDS && st == FSIM_OK; i++)
        if (files[i]->fd >= 0 && fsync(files[i]->fd) != 0)
            st = fsim_error_set(err, FSIM_IO, files[i]->path, 0, 0, NULL, "could not write: %s",
                                strerror(errno));
    const char *finals[N_KINDS + 1] = {"result.json", csv_names[0], csv_names[1], csv_names[2],
                                       csv_names[3]};
    char final[N_KINDS + 1][4200];
    struct stat target;
    int replaced[N_KINDS + 1]; /* the files the renames replace, held open (see below) */
    for (int i = 0; i <= N_KINDS; i++) {
        snprintf(final[i], sizeof final[i], "%s/%s", s->dir, finals[i]);
        replaced[i] = -1;
        if (st != FSIM_OK || lstat(final[i], &target) != 0)
            continue;
        if (S_ISDIR(target.st_mode))
            st = fsim_error_set(err, FSIM_IO, NULL, 0, 0, NULL,
                                "could not replace \"%s\": it is a folder", final[i]);
        else if (S_ISREG(target.st_mode))
            replaced[i] = open(final[i], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
    for (int i = 0; i <= N_KINDS && st == FSIM_OK; i++) {
        close_file(files[i], false);
        if (files[i]->path[0] && rename(files[i]->path, final[i]) != 0)
            st = fsim_error_set(err, FSIM_IO, NULL, 0, 0, NULL,
                                "could not rename \"%s\" to \"%s\": %s", files[i]->path,
                                final[i], strerror(errno));
        else if (!files[i]->path[0] && s->csv)
            unlink(final[i]); /* a table this run does not write: no stale one beside it */
        files[i]->path[0] = '\0';
    }
    /* A replaced file's pages are freed when it is closed, not in its rename: the tables'
     * on the pool's thread, result.json's on this one, side by side (freeing the previous
     * run's 18 MB was most of the renames' time). */
    fsim__row_pool_defer(s->pool, close_replaced_tables, replaced);
    if (replaced[0] >= 0)
        close(replaced[0]);
    fsim__row_pool_finish(s->pool, st != FSIM_OK);
    s->pool = NULL;
    fsim_runner_stream_abort(s); /* what is left: temp files of a failure */
    return st;
}
