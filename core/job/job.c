/* A job's life: submit, run with heartbeats, deliver to a sink, and the one failure policy.
 * Every entry point goes through here, so a failure of one kind stores one code whichever
 * program met it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fleetsim/util.h>

#include "job_internal.h"

void fsim__job_log(const fsim_services *s, const char *severity, const char *trace,
                   const char *id, const char *fmt, ...)
{
    if (!s || !s->log)
        return;
    char message[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    s->log(s->log_user, severity, trace, id, message);
}

static const char *const outcome_names[] = {
    [FSIM_JOB_SUCCEEDED] = "succeeded",     [FSIM_JOB_FAILED] = "failed",
    [FSIM_JOB_HANDED_BACK] = "handed back", [FSIM_JOB_STOPPED] = "stopped",
    [FSIM_JOB_INTERRUPTED] = "interrupted", [FSIM_JOB_UNRECORDED] = "unrecorded",
    [FSIM_JOB_NOT_CLAIMED] = "not claimed",
};

const char *fsim_job_outcome_name(fsim_job_outcome outcome)
{
    return (unsigned)outcome <= FSIM_JOB_NOT_CLAIMED ? outcome_names[outcome] : "?";
}

/* ---- Submit ------------------------------------------------------------------------------- */

bool fsim_job_request_hash(const fsim_request *request, char hex[65])
{
    size_t len = 0;
    char *text = fsim_request_encode(request, 0, &len);
    if (!text)
        return false;
    fsim_sha256_hex(text, len, hex);
    free(text);
    return true;
}

fsim_status fsim_job_submit(const fsim_services *svc, const fsim_job_submission *sub,
                            char id[FSIM_STORE_ID_LEN], fsim_store_create_outcome *outcome,
                            fsim_error *err)
{
    char hash[65];
    if (sub->idempotency_key && !fsim_job_request_hash(sub->request, hash))
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    fsim_store_new_simulation ns = {.request = sub->request,
                                    .idempotency_key = sub->idempotency_key,
                                    .request_hash = sub->idempotency_key ? hash : NULL,
                                    .trace_id = sub->trace_id,
                                    .result_mode = sub->result_mode,
                                    .published = sub->published};
    return fsim_store_create_simulation(svc->store, &ns, id, outcome, err);
}

/* ---- The failure policy --------------------------------------------------------------------- */

static bool transient(fsim_status st)
{
    return fsim_job_error_retryable(fsim_job_error_from_status(st));
}

fsim_job_outcome fsim_job_fail_or_retry(const fsim_services *svc, const fsim_job_policy *policy,
                                        const char *id, const char *trace_id, int attempt,
                                        fsim_job_error code, const fsim_error *why,
                                        fsim_error *err)
{
    char text[1200];
    fsim_error_format(why, text, sizeof text);
    fsim_status why_status = why->status;
    if (err != why)
        *err = *why;
    if (!id || !svc->store) {
        fsim__job_log(svc, "ERROR", trace_id, id, "job failed permanently (%s): %s%s",
                      fsim_job_error_code(code), text, id ? "" : " (no simulation row to mark)");
        return FSIM_JOB_FAILED;
    }
    bool retryable = fsim_job_error_retryable(code);
    if (retryable && attempt < policy->max_attempts) {
        fsim__job_log(svc, "WARNING", trace_id, id, "job handed back (attempt %d of %d): %s",
                      attempt, policy->max_attempts, text);
        fsim_error e;
        fsim_error_clear(&e);
        if (fsim_store_release(svc->store, id, &e) != FSIM_OK)
            fsim__job_log(svc, "WARNING", trace_id, id,
                          "could not hand the job back (claimed again once its lease ends): %s",
                          e.message);
        return FSIM_JOB_HANDED_BACK;
    }
    char message[1400];
    if (retryable) {
        code = FSIM_JOB_ERR_ATTEMPTS_EXHAUSTED;
        snprintf(message, sizeof message, "gave up after %d attempts (%s); the last one failed: %s",
                 attempt, policy->max_attempts_name ? policy->max_attempts_name : "max attempts",
                 why->message);
    } else {
        snprintf(message, sizeof message, "%s", why->message[0] ? why->message : text);
    }
    char field[sizeof why->path];
    snprintf(field, sizeof field, "%s", retryable ? "" : why->path);
    fsim_api_error ae = {.code = fsim_job_error_code(code), .message = message,
                         .field = field[0] ? field : NULL, .request_id = trace_id};
    fsim_error ferr;
    fsim_error_clear(&ferr);
    fsim_status st = fsim_store_fail(svc->store, id, &ae, &ferr);
    if (st != FSIM_OK && transient(st)) {
        fsim__job_log(svc, "WARNING", trace_id, id,
                      "could not mark the job failed (will retry): %s", ferr.message);
        *err = ferr;
        return FSIM_JOB_UNRECORDED;
    }
    fsim__job_log(svc, "ERROR", trace_id, id, "job failed permanently (%s): %s", ae.code, message);
    fsim_error_set(err, why_status, NULL, 0, 0, ae.field, "%s", message);
    return FSIM_JOB_FAILED;
}

/* ---- Run ------------------------------------------------------------------------------------- */

typedef struct run_ctx {
    const fsim_job_run_options *o;
    const fsim_store_job *job;
    struct timespec last_beat;
    bool cancelled; /* the row was cancelled, deleted or taken over */
} run_ctx;

static double since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static bool stopping(const fsim_job_run_options *o)
{
    return o->stopping && o->stopping(o->stopping_user);
}

/* Between simulated days: stop when the program stops; at most once a second renew the
 * row's lease with the progress and learn whether the row was cancelled. A heartbeat that
 * fails (a database blip) does not stop the run: the lease covers short outages. */
static bool on_day(void *user, int day, int days)
{
    run_ctx *c = user;
    const fsim_job_run_options *o = c->o;
    if (stopping(o))
        return false;
    if (c->job && since(&c->last_beat) >= FSIM_JOB_HEARTBEAT_SECONDS) {
        clock_gettime(CLOCK_MONOTONIC, &c->last_beat);
        double progress = days > 0 ? (double)day / days : 0;
        bool keep = true;
        fsim_error err;
        fsim_error_clear(&err);
        if (fsim_store_heartbeat(o->services->store, c->job->id, progress > 1 ? 1 : progress,
                                 o->policy->lease_seconds, &keep, &err) != FSIM_OK)
            fsim__job_log(o->services, "WARNING", c->job->trace_id, c->job->id, "heartbeat: %s",
                          err.message);
        else if (!keep) {
            c->cancelled = true;
            return false;
        }
    }
    return o->progress ? o->progress(o->progress_user, day, days) : true;
}

/* A cancelled run or delivery: the row's doing (stopped), or the program's (handed back). */
static fsim_job_outcome cancelled(const run_ctx *c, const char *trace, fsim_error *err)
{
    const fsim_services *s = c->o->services;
    const char *id = c->job ? c->job->id : NULL;
    if (c->cancelled || !stopping(c->o)) {
        fsim__job_log(s, "INFO", trace, id, "job cancelled, deleted or taken over: not stored");
        return id ? FSIM_JOB_STOPPED : FSIM_JOB_FAILED;
    }
    fsim__job_log(s, "WARNING", trace, id, "job interrupted by shutdown: handed back");
    if (id) {
        fsim_error e;
        fsim_error_clear(&e);
        fsim_store_release(s->store, id, &e); /* another worker may take it over now */
    }
    if (err->status == FSIM_OK)
        fsim_error_set(err, FSIM_CANCELLED, NULL, 0, 0, NULL, "interrupted by shutdown");
    return FSIM_JOB_INTERRUPTED;
}

fsim_job_outcome fsim_job_run(const fsim_job_run_options *o, const fsim_store_job *job,
                              const fsim_request *request, fsim_arena *arena,
                              fsim_result **result, fsim_error *err)
{
    const fsim_services *s = o->services;
    run_ctx c = {.o = o, .job = job};
    const char *id = job ? job->id : NULL;
    const char *trace = o->runner.trace_id ? o->runner.trace_id : job ? job->trace_id : NULL;
    int attempt = job ? job->attempts : 1;
    if (result)
        *result = NULL;
    fsim_error_clear(err);
    if (o->sink->needs_row != (job != NULL)) {
        fsim_error_set(err, FSIM_INTERNAL, NULL, 0, 0, NULL, "sink \"%s\" %s a claimed row",
                       o->sink->name, job ? "cannot store into" : "needs");
        return FSIM_JOB_FAILED;
    }
    /* a job whose worker died on its last allowed attempt */
    if (job && job->attempts > o->policy->max_attempts) {
        fsim_error why;
        fsim_error_set(&why, FSIM_IO, NULL, 0, 0, NULL,
                       "it ended without a result (the worker stopped or lost the database)");
        return fsim_job_fail_or_retry(s, o->policy, id, trace, job->attempts - 1,
                                      FSIM_JOB_ERR_UNAVAILABLE, &why, err);
    }
    fsim_job_error code = FSIM_JOB_ERR_INTERNAL;
    /* before the run: a sink that cannot deliver should not cost a simulation */
    if (o->sink->ready && o->sink->ready(o, &code, err) != FSIM_OK)
        return fsim_job_fail_or_retry(s, o->policy, id, trace, attempt, code, err, err);
    if (job)
        fsim__job_log(s, "INFO", trace, id, "job started (attempt %d)", attempt);
    clock_gettime(CLOCK_MONOTONIC, &c.last_beat);
    fsim_runner_options ro = o->runner;
    if (!ro.services)
        ro.services = s->svc; /* the program's routing, elevation and weather services */
    /* A fleet whose state has imported state data: its depots without a tariff of their own
     * are priced by it (a flat tariff) rather than by the config's default. */
    fsim_state_data sd;
    bool priced = false;
    fsim_tariff flat;
    char flat_name[16];
    if (s->store && request->fleet_id &&
        fsim_store_fleet_state_data(s->store, request->fleet_id, &sd, &priced, err) != FSIM_OK)
        return fsim_job_fail_or_retry(s, o->policy, id, trace, attempt,
                                      fsim_job_error_from_status(err->status), err, err);
    if (priced) {
        snprintf(flat_name, sizeof flat_name, "state-%s", sd.state_code);
        flat = fsim_tariff_flat(flat_name, "USD", sd.electricity_usd_per_kwh,
                                sd.grid_co2_g_per_kwh);
        ro.fallback_tariff = &flat;
    }
    ro.trace_id = trace;
    ro.progress = on_day;
    ro.progress_user = &c;
    fsim_result *res = NULL;
    fsim_status st;
    if (o->sink->stream && !o->whole_result) {
        /* run and delivery in one: the rows go out as the engine makes them */
        char where[1200] = "";
        code = FSIM_JOB_ERR_INTERNAL;
        st = o->sink->stream(o, id, request, &ro, arena, &res, where, sizeof where, &code,
                             err);
        if (st == FSIM_CANCELLED || (job && st == FSIM_NOT_FOUND))
            return cancelled(&c, trace, err);
        if (st != FSIM_OK)
            return fsim_job_fail_or_retry(s, o->policy, id, trace, attempt, code, err, err);
        if (result)
            *result = res;
        if (job)
            fsim__job_log(s, "INFO", trace, id, "job succeeded: result in %s", where);
        return FSIM_JOB_SUCCEEDED;
    }
    st = fsim_runner_run(request, &ro, arena, &res, err);
    if (st == FSIM_CANCELLED)
        return cancelled(&c, trace, err);
    if (st != FSIM_OK)
        return fsim_job_fail_or_retry(s, o->policy, id, trace, attempt,
                                      fsim_job_error_from_status(st), err, err);
    res->simulation_id = id;
    if (result)
        *result = res;
    char where[1200] = "";
    fsim_error_clear(err);
    st = o->sink->deliver(o, id, res, where, sizeof where, &code, err);
    if (st == FSIM_CANCELLED || (job && st == FSIM_NOT_FOUND))
        return cancelled(&c, trace, err);
    if (st != FSIM_OK)
        return fsim_job_fail_or_retry(s, o->policy, id, trace, attempt, code, err, err);
    if (job)
        fsim__job_log(s, "INFO", trace, id, "job succeeded: result in %s", where);
    return FSIM_JOB_SUCCEEDED;
}

fsim_job_outcome fsim_job_run_id(const fsim_job_run_options *o, const char *id,
                                 fsim_arena *arena, fsim_result **result,
                                 fsim_run_status *current, fsim_error *err)
{
    fsim_store_job *job = NULL;
    if (result)
        *result = NULL;
    fsim_error_clear(err);
    fsim_status st = fsim_store_claim(o->services->store, id, o->policy->lease_seconds, arena,
                                      &job, current, err);
    if (st == FSIM_NOT_FOUND)
        return FSIM_JOB_NOT_CLAIMED;
    if (st != FSIM_OK) {
        fsim__job_log(o->services, "WARNING", o->runner.trace_id, id,
                      "could not claim the job, to be retried: %s", err->message);
        return FSIM_JOB_UNRECORDED;
    }
    if (!job)
        return FSIM_JOB_NOT_CLAIMED;
    return fsim_job_run(o, job, job->request, arena, result, err);
}

fsim_job_outcome fsim_job_run_next(const fsim_job_run_options *o, fsim_arena *arena,
                                   bool *ran, fsim_error *err)
{
    fsim_store_job *job = NULL;
    *ran = false;
    fsim_error_clear(err);
    if (fsim_store_claim_next(o->services->store, o->policy->lease_seconds,
                              o->policy->max_attempts, arena, &job, err) != FSIM_OK) {
        fsim__job_log(o->services, "WARNING", NULL, NULL, "could not claim a job: %s",
                      err->message);
        return FSIM_JOB_UNRECORDED;
    }
    if (!job)
        return FSIM_JOB_SUCCEEDED;
    *ran = true;
    return fsim_job_run(o, job, job->request, arena, NULL, err);
}

fsim_status fsim_job_deliver(const fsim_job_run_options *o, fsim_result *result, fsim_error *err)
{
    if (o->sink->needs_row)
        return fsim_error_set(err, FSIM_INTERNAL, NULL, 0, 0, NULL, "sink \"%s\" needs a row",
                              o->sink->name);
    char where[1200];
    fsim_job_error code;
    return o->sink->deliver(o, NULL, result, where, sizeof where, &code, err);
}
