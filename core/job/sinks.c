/* The table of sinks: files | db | gcs | stdout. An entry point names one; none of them
 * re-implements where a result goes. */
#include <stdio.h>
#include <string.h>

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

static fsim_status db_deliver(const fsim_job_run_options *o, const char *id, fsim_result *res,
                              char *where, size_t where_size, fsim_job_error *code,
                              fsim_error *err)
{
    snprintf(where, where_size, "the database");
    fsim_status st = fsim_store_finish(o->services->store, id, res, err);
    *code = fsim_job_error_from_status(st);
    return st;
}

/* ---- gcs: the object first (verified), the row second ------------------------------------ */

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
    {"files", false, NULL, files_deliver},
    {"db", true, db_ready, db_deliver},
    {"gcs", true, gcs_ready, gcs_deliver},
    {"stdout", false, NULL, stdout_deliver},
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
