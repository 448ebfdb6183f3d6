/* The local sink: the result as one JSON document and four CSV tables, all or nothing.
 * The tables' columns come from the wire contract (fsim_wire_csv_write), not from here. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fleetsim/runner.h>
#include <fleetsim/util.h>

#include "runner_internal.h"

enum { F_RESULT, F_SERIES, F_EVENTS, F_TRIPS, F_VEHICLES, N_FILES };
static const char *const file_names[N_FILES] = {"result.json", "timeseries.csv",
                                                "charging_events.csv", "trips.csv",
                                                "vehicles.csv"};

static bool write_chunk(void *user, const char *data, size_t len)
{
    return fwrite(data, 1, len, (FILE *)user) == len;
}

/* One CSV file: the rows of the result's array that the file shows. */
static fsim_status write_table(FILE *f, const fsim_result *r, int which, fsim_error *err)
{
    const fsim_depot_summary *depots = r->summary.depots;
    const size_t n_depots = r->summary.n_depots;
    switch (which) {
    case F_SERIES:
        return fsim_wire_csv_write(FSIM_WIRE_TIME_SERIES_POINT, r->time_series_data,
                                   r->n_time_series_data, depots, n_depots, write_chunk, f,
                                   err);
    case F_EVENTS:
        return fsim_wire_csv_write(FSIM_WIRE_CHARGING_EVENT, r->charging_events,
                                   r->n_charging_events, depots, n_depots, write_chunk, f, err);
    case F_TRIPS:
        return fsim_wire_csv_write(FSIM_WIRE_TRIP_RESULT, r->trips, r->n_trips, depots,
                                   n_depots, write_chunk, f, err);
    default:
        return fsim_wire_csv_write(FSIM_WIRE_VEHICLE_SUMMARY, r->vehicles, r->n_vehicles,
                                   depots, n_depots, write_chunk, f, err);
    }
}

/* mkdir -p: the output folder of a run may be new, and so may its parents. */
static int make_dirs(const char *dir)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
        return ENAMETOOLONG;
    for (char *s = buf + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return errno;
        *s = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return errno;
    struct stat st;
    if (stat(buf, &st) != 0)
        return errno;
    return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

fsim_status fsim__runner_make_dirs(const char *dir, fsim_error *err)
{
    int e = make_dirs(dir);
    if (e)
        return fsim_error_set(err, FSIM_IO, NULL, 0, 0, NULL, "could not create \"%s\": %s",
                              dir, strerror(e));
    return FSIM_OK;
}

/* Writes one file under a temporary name; the caller renames it once all are written. */
static fsim_status write_temp(const fsim_result *r, int which, const char *tmp_path,
                              fsim_error *err)
{
    int fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return fsim_error_set(err, FSIM_IO, tmp_path, 0, 0, NULL, "could not create: %s",
                              strerror(e));
    }
    /* both writers hand over 64 KiB chunks: stdio's buffer would only copy them again */
    setvbuf(f, NULL, _IONBF, 0);
    fsim_status st;
    if (which == F_RESULT) {
        st = fsim_wire_encode_to(FSIM_WIRE_RESULT, r, 0, write_chunk, f, err);
        if (st == FSIM_OK && fputc('\n', f) == EOF)
            st = FSIM_IO;
    } else {
        st = write_table(f, r, which, err);
    }
    if (st == FSIM_IO) /* name the file and the system's reason */
        st = fsim_error_set(err, FSIM_IO, tmp_path, 0, 0, NULL, "could not write: %s",
                            strerror(errno));
    if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
        if (st == FSIM_OK)
            st = fsim_error_set(err, FSIM_IO, tmp_path, 0, 0, NULL, "could not write: %s",
                                strerror(errno));
    }
    if (fclose(f) != 0 && st == FSIM_OK)
        st = fsim_error_set(err, FSIM_IO, tmp_path, 0, 0, NULL, "could not write: %s",
                            strerror(errno));
    return st;
}

struct json_job {
    const fsim_result *result;
    const char *path;
    fsim_status st;
    fsim_error err;
};

static void *write_json_thread(void *arg)
{
    struct json_job *job = arg;
    job->st = write_temp(job->result, F_RESULT, job->path, &job->err);
    return NULL;
}

fsim_status fsim_runner_write_files(const fsim_result *result, const char *dir,
                                    fsim_error *err)
{
    int e = make_dirs(dir);
    if (e)
        return fsim_error_set(err, FSIM_IO, NULL, 0, 0, NULL, "could not create \"%s\": %s",
                              dir, strerror(e));
    char tmp[N_FILES][4200], final[N_FILES][4200];
    for (int i = 0; i < N_FILES; i++) {
        snprintf(final[i], sizeof final[i], "%s/%s", dir, file_names[i]);
        snprintf(tmp[i], sizeof tmp[i], "%s/.%s.%ld.tmp", dir, file_names[i], (long)getpid());
        unlink(tmp[i]); /* a leftover of a crashed run with the same pid */
    }
    /* result.json (the biggest) on a second thread while this one writes the CSVs: the
     * five files take about as long as the JSON alone. */
    struct json_job job = {.result = result, .path = tmp[F_RESULT], .st = FSIM_OK};
    pthread_t thread;
    bool threaded = pthread_create(&thread, NULL, write_json_thread, &job) == 0;
    if (!threaded)
        write_json_thread(&job);
    fsim_status st = FSIM_OK;
    for (int i = F_SERIES; i < N_FILES && st == FSIM_OK; i++)
        st = write_temp(result, i, tmp[i], err);
    if (threaded)
        pthread_join(thread, NULL);
    if (st == FSIM_OK && job.st != FSIM_OK) {
        st = job.st;
        if (err)
            *err = job.err;
    }
    /* Everything that can make a rename fail here (a folder in the way) is checked before
     * the first rename, so the five files are replaced together or not at all. */
    struct stat target;
    for (int i = 0; i < N_FILES && st == FSIM_OK; i++)
        if (lstat(final[i], &target) == 0 && S_ISDIR(target.st_mode))
            st = fsim_error_set(err, FSIM_IO, NULL, 0, 0, NULL,
                                "could not replace \"%s\": it is a folder", final[i]);
    for (int i = 0; i < N_FILES && st == FSIM_OK; i++)
        if (rename(tmp[i], final[i]) != 0)
            st = fsim_error_set(err, FSIM_IO, NULL, 0, 0, NULL,
                                "could not rename \"%s\" to \"%s\": %s", tmp[i], final[i],
                                strerror(errno));
    if (st != FSIM_OK)
        for (int i = 0; i < N_FILES; i++)
            unlink(tmp[i]);
    return st;
}
