/* The table of sinks: files | db | gcs | stdout. An entry point names one; none of them
 * re-implements where a result goes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "job_internal.h"

/* ---- files: result.json + the CSV files in a directory (core/runner/sink_files.c) -------- */

static fsim_status files_deliver(const fsim_job_run_options *o, const char *id, fsim_result *res,
                                 char *where, size_t where_size, fsim_job_error *code,
                                 fsim_error *err)
{
    (void)id;
    snprintf(where, where_size, "%s", o->out_dir);
    fsim_status st = fsim_runner_write_files(res, o->out_dir, err);
    *code = fsim_job_error_from_status(st);
    return st;
}

/* Streaming: the rows go to the files as the engine produces them (bounded memory). */
static fsim_status files_stream(const fsim_job_run_options *o, const char *id,
                                const fsim_request *request, const fsim_runner_options *ro,
                                fsim_arena *arena, fsim_result **res, char *where,
                                size_t where_size, fsim_job_error *code, fsim_error *err)
{
    snprintf(where, where_size, "%s", o->out_dir);
    fsim_status st = fsim_runner_run_files(request, ro, o->out_dir, true, id, arena, res, err);
    if (st == FSIM_OK && *res)
        (*res)->simulation_id = id;
    *code = fsim_job_error_from_status(st);
    return st;
}

/* ---- stdout: the SimulationResult as one JSON document on a stream ----------------------- */

static bool write_stream(void *user, const char *data, size_t len)
{
    return fwrite(data, 1, len, (FILE *)user) == len;
}

static fsim_status stdout_deliver(const fsim_job_run_options *o, const char *id,
                                  fsim_result *res, char *where, size_t where_size,
                                  fsim_job_error *code, fsim_error *err)
{
    (void)id;
    FILE *out = o->out ? o->out : stdout;
    snprintf(where, where_size, "the output stream");
    fsim_status st = fsim_wire_encode_to(FSIM_WIRE_RESULT, res, 0, write_stream, out, err);
    if (st == FSIM_OK && (fputc('\n', out) == EOF || fflush(out) != 0))
        st = fsim_error_set(err, FSIM_IO, NULL, 0, 0, NULL, "could not write the result");
    *code = fsim_job_error_from_status(st);
    return st;
}

/* ---- db: the whole result in the row's JSONB envelope -------------------------------------- */

static fsim_status db_ready(const fsim_job_run_options *o, fsim_job_error *code, fsim_error *err)
{
    *code = FSIM_JOB_ERR_INTERNAL;
    if (!o->services->store)
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, "mode",
                              "mode \"db\" needs a database (DATABASE_URL)");
    return FSIM_OK;
}

static bool count_bytes(void *user, const char *data, size_t len)
{
    (void)data;
    *(size_t *)user += len;
    return true;
}

static fsim_status db_deliver(const fsim_job_run_options *o, const char *id, fsim_result *res,
                              char *where, size_t where_size, fsim_job_error *code,
                              fsim_error *err)
{
    snprintf(where, where_size, "the database");
    /* PostgreSQL caps one jsonb value (about 255 MiB); a result bigger than the envelope
     * can hold is refused with the way out rather than failing inside the server. */
    size_t bytes = 0;
    fsim_status st0 = fsim_wire_encode_to(FSIM_WIRE_RESULT, res, 0, count_bytes, &bytes, err);
    if (st0 != FSIM_OK) {
        *code = FSIM_JOB_ERR_INTERNAL;
        return st0;
    }
    if (bytes > FSIM_JOB_DB_RESULT_MAX) {
        *code = FSIM_JOB_ERR_INVALID_REQUEST;
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "outputs",
                              "the result is %zu MiB, more than the %d MiB a database row "
                              "holds: use mode \"gcs\", or turn off outputs (chargingEvents, "
                              "trips, timeSeries, vehicles) you will not read",
                              bytes >> 20, FSIM_JOB_DB_RESULT_MAX >> 20);
    }
    fsim_status st = fsim_store_finish(o->services->store, id, res, err);
    *code = fsim_job_error_from_status(st);
    return st;
}

/* ---- gcs: the object first (verified), the row second ------------------------------------ */

/* Uploads a finished result.json from disk, mapped rather than read into the heap. */
static fsim_status upload_file(const fsim_services *s, const char *path, const char *object,
                               fsim_gcs_object *info, fsim_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return fsim_error_set(err, FSIM_IO, path, 0, 0, NULL, "could not open: %s", strerror(e));
    }
    size_t len = (size_t)sb.st_size;
    void *data = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (len && data == MAP_FAILED)
        return fsim_error_set(err, FSIM_IO, path, 0, 0, NULL, "could not map: %s",
                              strerror(errno));
    if (len)
        madvise(data, len, MADV_SEQUENTIAL);
    fsim_status st = fsim_gcs_upload(s->gcs, s->gcs_bucket, object, "application/json",
                                     len ? data : "", len, info, err);
    if (len)
        munmap(data, len);
    return st;
}

/* Streaming: result.json is written to a private temporary folder as the rows come (the
 * CSV tables are not made: gcs mode stores result.json alone), uploaded from disk, then
 * removed; the row is finished as ever. Memory stays the fleet's, whatever the horizon. */
static fsim_status gcs_stream(const fsim_job_run_options *o, const char *id,
                              const fsim_request *request, const fsim_runner_options *ro,
                              fsim_arena *arena, fsim_result **res, char *where,
                              size_t where_size, fsim_job_error *code, fsim_error *err)
{
    const fsim_services *s = o->services;
    char object[128], uri[1024], dir[4096], path[4200];
    fsim_status st = fsim_gcs_result_object(id, object, sizeof object, err);
    *code = FSIM_JOB_ERR_INTERNAL;
    if (st != FSIM_OK)
        return st;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/fleetsim-gcs-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return fsim_error_set(err, FSIM_IO, dir, 0, 0, NULL, "could not create: %s",
                              strerror(errno));
    snprintf(path, sizeof path, "%s/result.json", dir);
    st = fsim_runner_run_files(request, ro, dir, false, id, arena, res, err);
    if (st != FSIM_OK) {
        *code = fsim_job_error_from_status(st);
        goto out;
    }
    (*res)->simulation_id = id;
    fsim_gcs_object info = {.attempts = 0};
    fsim_error e;
    fsim_error_clear(&e);
    st = upload_file(s, path, object, &info, &e);
    if (st == FSIM_CANCELLED) { /* the program is stopping */
        st = fsim_error_set(err, st, NULL, 0, 0, NULL, "upload interrupted: %s", e.message);
        goto out;
    }
    if (st != FSIM_OK) {
        *code = FSIM_JOB_ERR_STORAGE_FAILED;
        st = fsim_error_set(err, st, NULL, 0, 0, NULL, "could not store the result in %s: %s",
                            e.source[0] ? e.source : "Cloud Storage", e.message);
        goto out;
    }
    snprintf(uri, sizeof uri, "gs://%s/%s", s->gcs_bucket, object);
    snprintf(where, where_size, "%s (uploaded in %d attempt%s)", uri, info.attempts,
             info.attempts == 1 ? "" : "s");
    st = fsim_store_finish_uri(s->store, id, *res, uri, err);
    *code = fsim_job_error_from_status(st);
out:
    unlink(path);
    rmdir(dir);
    return st;
}

static fsim_status gcs_ready(const fsim_job_run_options *o, fsim_job_error *code, fsim_error *err)
{
    *code = FSIM_JOB_ERR_GCS_NOT_CONFIGURED;
    if (!o->services->gcs || !o->services->gcs_bucket)
        return fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, "mode",
                              "mode \"gcs\" needs a bucket: FLEETSIM_GCS_BUCKET is not set on "
                              "this worker");
    return db_ready(o, code, err);
}

/* A row never says "succeeded" without its verified object. An upload that still fails after
 * the client's retry budget is storage_failed (permanent: a retry would re-run the whole
 * simulation only to meet the same outage); a database problem is retryable as ever (the
 * next attempt writes the object again). */
static fsim_status gcs_deliver(const fsim_job_run_options *o, const char *id, fsim_result *res,
                               char *where, size_t where_size, fsim_job_error *code,
                               fsim_error *err)
{
    const fsim_services *s = o->services;
    fsim_status st;
    char uri[1024];
    fsim_gcs_object info = {.attempts = 0};
    fsim_error e;
    fsim_error_clear(&e);
    st = fsim_gcs_upload_result(s->gcs, s->gcs_bucket, res, uri, sizeof uri, &info, &e);
    if (st == FSIM_CANCELLED) /* the program is stopping */
        return fsim_error_set(err, st, NULL, 0, 0, NULL, "upload interrupted: %s", e.message);
    if (st != FSIM_OK) {
        *code = FSIM_JOB_ERR_STORAGE_FAILED;
        /* the client names the object in `source`; the row's error has only a message */
        return fsim_error_set(err, st, NULL, 0, 0, NULL, "could not store the result in %s: %s",
                              e.source[0] ? e.source : "Cloud Storage", e.message);
    }
    snprintf(where, where_size, "%s (uploaded in %d attempt%s)", uri, info.attempts,
             info.attempts == 1 ? "" : "s");
    st = fsim_store_finish_uri(s->store, id, res, uri, err);
    *code = fsim_job_error_from_status(st);
    return st;
}

static const fsim_sink sinks[] = {
    {"files", false, NULL, files_deliver, files_stream},
    {"db", true, db_ready, db_deliver, NULL},
    {"gcs", true, gcs_ready, gcs_deliver, gcs_stream},
    {"stdout", false, NULL, stdout_deliver, NULL},
};

const fsim_sink *fsim_sink_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof sinks / sizeof sinks[0]; i++)
        if (strcmp(sinks[i].name, name) == 0)
            return &sinks[i];
    return NULL;
}

const char *fsim_sink_name(const fsim_sink *sink)
{
    return sink->name;
}

bool fsim_sink_needs_row(const fsim_sink *sink)
{
    return sink->needs_row;
}
