/* The in-process worker pool: FLEETSIM_API_WORKERS threads, each claiming the oldest queued
 * row (FOR UPDATE SKIP LOCKED in the store, so several instances can share one table),
 * running it with fsim_runner_run and storing the result. Between simulated days a worker
 * heartbeats (progress, lease) and learns whether the row was cancelled or deleted — then
 * it stops. On shutdown a running job is abandoned, not failed: its lease expires and the
 * next instance claims it again (up to FLEETSIM_API_JOB_MAX_ATTEMPTS). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/runner.h>
#include <fleetsim/util.h>

#include "api.h"

struct api_jobs {
    api_server *srv;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    int pending_wakeups;
    int n_threads;
    pthread_t *threads;
};

typedef struct running {
    api_jobs *jobs;
    const char *id;
} running;

static bool stopping(api_jobs *jobs)
{
    pthread_mutex_lock(&jobs->lock);
    bool s = jobs->stop;
    pthread_mutex_unlock(&jobs->lock);
    return s;
}

/* Progress between simulated days: extend the lease, and stop when the row was cancelled
 * or deleted, or the process is stopping. A heartbeat that fails (database blip) does not
 * stop the run: the result is written at the end, and the lease covers short outages. */
static bool heartbeat(void *user, int day, int days)
{
    running *r = user;
    if (stopping(r->jobs))
        return false;
    const api_settings *c = &r->jobs->srv->cfg;
    bool keep = true;
    fsim_error err;
    fsim_error_clear(&err);
    double progress = days > 0 ? (double)day / days : 0;
    if (progress > 1)
        progress = 1;
    if (fsim_store_heartbeat(r->jobs->srv->store, r->id, progress, c->lease_s, &keep, &err) !=
        FSIM_OK) {
        api_log("WARNING", NULL, "simulation %s: heartbeat: %s", r->id, err.message);
        return true;
    }
    return keep;
}

/* Records why a run failed, in the one error shape, on the row. */
static void record_failure(api_server *srv, const fsim_store_job *job, const fsim_error *run_err)
{
    bool client = run_err->status == FSIM_INVALID || run_err->status == FSIM_NOT_FOUND;
    char message[600];
    snprintf(message, sizeof message, "%s", client ? run_err->message : "internal error");
    fsim_api_error e = {.code = client ? "invalid_request" : "internal",
                        .message = message[0] ? message : "failed",
                        .field = client && run_err->path[0] ? run_err->path : NULL,
                        .request_id = job->trace_id};
    fsim_error err;
    fsim_error_clear(&err);
    if (fsim_store_fail(srv->store, job->id, &e, &err) != FSIM_OK)
        api_log("ERROR", job->trace_id, "simulation %s: could not record the failure: %s",
                job->id, err.message);
}

static void run_job(api_jobs *jobs, fsim_store_job *job, fsim_arena *arena)
{
    api_server *srv = jobs->srv;
    running r = {.jobs = jobs, .id = job->id};
    fsim_runner_options opts = {.config_dir = srv->cfg.config_dir,
                                .env_overrides_json = srv->cfg.config_overrides,
                                .source = "request body",
                                .trace_id = job->trace_id,
                                .progress = heartbeat,
                                .progress_user = &r};
    api_log("INFO", job->trace_id, "simulation %s: started (attempt %d)", job->id, job->attempts);
    fsim_error err;
    fsim_error_clear(&err);
    fsim_result *res = NULL;
    fsim_status st = fsim_runner_run(job->request, &opts, arena, &res, &err);
    if (st == FSIM_OK) {
        fsim_error_clear(&err);
        st = fsim_store_finish(srv->store, job->id, res, &err);
        if (st == FSIM_OK)
            api_log("INFO", job->trace_id, "simulation %s: succeeded", job->id);
        else if (st == FSIM_CANCELLED || st == FSIM_NOT_FOUND)
            api_log("INFO", job->trace_id, "simulation %s: cancelled or deleted while running",
                    job->id);
        else
            api_log("ERROR", job->trace_id, "simulation %s: could not store the result: %s",
                    job->id, err.message);
    } else if (st == FSIM_CANCELLED) {
        api_log("INFO", job->trace_id, "simulation %s: stopped (%s)", job->id,
                stopping(jobs) ? "shutting down; the lease will expire" : "cancelled or deleted");
    } else {
        char detail[1200];
        fsim_error_format(&err, detail, sizeof detail);
        api_log("WARNING", job->trace_id, "simulation %s: failed: %s", job->id, detail);
        record_failure(srv, job, &err);
    }
}

/* Sleeps until notified, stopped, or poll_ms passed (other instances may queue rows). */
static void wait_for_work(api_jobs *jobs)
{
    struct timespec until = fsim_deadline_in(jobs->srv->cfg.poll_ms / 1000.0);
    pthread_mutex_lock(&jobs->lock);
    while (!jobs->stop && jobs->pending_wakeups == 0)
        if (pthread_cond_timedwait(&jobs->wake, &jobs->lock, &until) != 0)
            break;
    if (jobs->pending_wakeups > 0)
        jobs->pending_wakeups--;
    pthread_mutex_unlock(&jobs->lock);
}

static void *worker(void *arg)
{
    api_jobs *jobs = arg;
    api_server *srv = jobs->srv;
    while (!stopping(jobs)) {
        fsim_arena *arena = fsim_arena_new();
        if (!arena) {
            wait_for_work(jobs);
            continue;
        }
        fsim_error err;
        fsim_error_clear(&err);
        fsim_store_job *job = NULL;
        if (fsim_store_claim_next(srv->store, srv->cfg.lease_s, srv->cfg.max_attempts, arena,
                                  &job, &err) != FSIM_OK) {
            api_log("WARNING", NULL, "worker: could not claim a job: %s", err.message);
            fsim_arena_free(arena);
            wait_for_work(jobs);
            continue;
        }
        if (job)
            run_job(jobs, job, arena);
        fsim_arena_free(arena);
        if (!job)
            wait_for_work(jobs);
    }
    return NULL;
}

api_jobs *api_jobs_start(api_server *srv, fsim_error *err)
{
    api_jobs *jobs = calloc(1, sizeof *jobs);
    if (!jobs)
        goto nomem;
    jobs->srv = srv;
    pthread_mutex_init(&jobs->lock, NULL);
    pthread_cond_init(&jobs->wake, NULL);
    jobs->threads = calloc((size_t)srv->cfg.workers, sizeof *jobs->threads);
    if (!jobs->threads)
        goto nomem;
    for (int i = 0; i < srv->cfg.workers; i++) {
        if (pthread_create(&jobs->threads[i], NULL, worker, jobs) != 0) {
            api_jobs_stop(jobs);
            fsim_error_set(err, FSIM_INTERNAL, NULL, 0, 0, NULL, "could not start worker %d", i);
            return NULL;
        }
        jobs->n_threads++;
    }
    return jobs;
nomem:
    api_jobs_stop(jobs);
    fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    return NULL;
}

void api_jobs_notify(api_jobs *jobs)
{
    if (!jobs)
        return;
    pthread_mutex_lock(&jobs->lock);
    if (jobs->pending_wakeups < jobs->n_threads)
        jobs->pending_wakeups++;
    pthread_cond_signal(&jobs->wake);
    pthread_mutex_unlock(&jobs->lock);
}

void api_jobs_stop(api_jobs *jobs)
{
    if (!jobs)
        return;
    pthread_mutex_lock(&jobs->lock);
    jobs->stop = true;
    pthread_cond_broadcast(&jobs->wake);
    pthread_mutex_unlock(&jobs->lock);
    for (int i = 0; i < jobs->n_threads; i++)
        pthread_join(jobs->threads[i], NULL);
    pthread_cond_destroy(&jobs->wake);
    pthread_mutex_destroy(&jobs->lock);
    free(jobs->threads);
    free(jobs);
}
