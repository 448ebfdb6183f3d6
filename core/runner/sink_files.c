/* The local sink: the result as one JSON document and three CSV tables, all or nothing. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csv.h>

#include <fleetsim/runner.h>
#include <fleetsim/util.h>

enum { F_RESULT, F_SERIES, F_EVENTS, F_TRIPS, N_FILES };
static const char *const file_names[N_FILES] = {"result.json", "timeseries.csv",
                                                "charging_events.csv", "trips.csv"};

/* ---- CSV cells: RFC 4180, quoted only when the text needs it ----------------------- */

static void put_str(FILE *f, const char *s, char sep)
{
    if (s && strpbrk(s, ",\"\r\n"))
        csv_fwrite(f, s, strlen(s));
    else if (s)
        fputs(s, f);
    putc(sep, f);
}

static void put_num(FILE *f, double v, char sep)
{
    char buf[FSIM_NUMBER_BUF];
    fputs(fsim_format_double(v, buf), f);
    putc(sep, f);
}

static void put_int(FILE *f, int v, char sep)
{
    put_num(f, v, sep); /* integers take fsim_format_double's exact fast path */
}

static void put_time(FILE *f, double t, char sep)
{
    char buf[32];
    fputs(fsim_time_format(t, buf), f);
    putc(sep, f);
}

static void write_series(FILE *f, const fsim_result *r)
{
    fputs("t,depot,load_kw,charging,driving,waiting,mean_soc,min_soc,energy_kwh\n", f);
    for (size_t i = 0; i < r->n_time_series_data; i++) {
        const fsim_time_series_point *p = &r->time_series_data[i];
        put_time(f, p->t, ',');
        put_str(f, p->depot, ',');
        put_num(f, p->load_kw, ',');
        put_int(f, p->charging, ',');
        put_int(f, p->driving, ',');
        put_int(f, p->waiting, ',');
        put_num(f, p->mean_soc, ',');
        put_num(f, p->min_soc, ',');
        put_num(f, p->energy_kwh, '\n');
    }
}

static void write_events(FILE *f, const fsim_result *r)
{
    fputs("vehicle_id,depot,charger_id,plugged_at,start,end,energy_kwh,grid_energy_kwh,"
          "start_soc,end_soc,peak_kw,wait_seconds\n", f);
    for (size_t i = 0; i < r->n_charging_events; i++) {
        const fsim_charging_event *e = &r->charging_events[i];
        put_str(f, e->vehicle_id, ',');
        put_str(f, e->depot, ',');
        put_str(f, e->charger_id, ',');
        put_time(f, e->plugged_at, ',');
        put_time(f, e->start, ',');
        put_time(f, e->end, ',');
        put_num(f, e->energy_kwh, ',');
        put_num(f, e->grid_energy_kwh, ',');
        put_num(f, e->start_soc, ',');
        put_num(f, e->end_soc, ',');
        put_num(f, e->peak_kw, ',');
        put_num(f, e->wait_seconds, '\n');
    }
}

static void write_trips(FILE *f, const fsim_result *r)
{
    fputs("vehicle_id,route_id,depart,arrive,distance_km,energy_kwh,kwh_per_km,start_soc,"
          "end_soc,status,stranded_lon,stranded_lat\n", f);
    for (size_t i = 0; i < r->n_trips; i++) {
        const fsim_trip_result *t = &r->trips[i];
        put_str(f, t->vehicle_id, ',');
        put_str(f, t->route_id, ',');
        put_time(f, t->depart, ',');
        if (t->has_arrive)
            put_time(f, t->arrive, ',');
        else
            putc(',', f);
        put_num(f, t->distance_km, ',');
        put_num(f, t->energy_kwh, ',');
        put_num(f, t->kwh_per_km, ',');
        put_num(f, t->start_soc, ',');
        put_num(f, t->end_soc, ',');
        put_str(f, fsim_trip_status_name(t->status), ',');
        if (t->stranded_at) {
            put_num(f, t->stranded_at->lon, ',');
            put_num(f, t->stranded_at->lat, '\n');
        } else {
            fputs(",\n", f);
        }
    }
}

static bool write_chunk(void *user, const char *data, size_t len)
{
    return fwrite(data, 1, len, (FILE *)user) == len;
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
    char *buf = malloc(1 << 16); /* big writes: fewer syscalls than stdio's 4 KiB */
    if (buf)
        setvbuf(f, buf, _IOFBF, 1 << 16);
    fsim_status st = FSIM_OK;
    switch (which) {
    case F_RESULT:
        st = fsim_wire_encode_to(FSIM_WIRE_RESULT, r, 0, write_chunk, f, err);
        if (st == FSIM_OK)
            putc('\n', f);
        break;
    case F_SERIES: write_series(f, r); break;
    case F_EVENTS: write_events(f, r); break;
    default: write_trips(f, r); break;
    }
    if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
        if (st == FSIM_OK)
            st = fsim_error_set(err, FSIM_IO, tmp_path, 0, 0, NULL, "could not write: %s",
                                strerror(errno));
    }
    if (fclose(f) != 0 && st == FSIM_OK)
        st = fsim_error_set(err, FSIM_IO, tmp_path, 0, 0, NULL, "could not write: %s",
                            strerror(errno));
    free(buf);
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
     * four files take about as long as the JSON alone. */
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
     * the first rename, so the four files are replaced together or not at all. */
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
