/* The in-process worker pool: FLEETSIM_API_WORKERS threads, each claiming the oldest queued
 * row (FOR UPDATE SKIP LOCKED in the store, so several instances can share one table) and
 * running it with the core's job (core/job: heartbeats, cancellation, the db sink, the one
 * failure policy). On shutdown a running job is handed back, not failed: the next instance
 * claims it again (up to FLEETSIM_API_JOB_MAX_ATTEMPTS). This file is only the threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/job.h>
#include <fleetsim/plan_job.h>
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

/* The job's log lines, in the API's log: "simulation <id>: <message>". */
static void log_job(void *user, const char *severity, const char *trace_id,
                    const char *simulation_id, const char *message)
{
    (void)user;
    if (simulation_id)
        api_log(severity, trace_id, "simulation %s: %s", simulation_id, message);
    else
        api_log(severity, trace_id, "%s", message);
}

fsim_services api_services(const api_server *srv)
{
    return (fsim_services){.store = srv->store, .gcs = srv->gcs, .log = log_job,
                           .svc = srv->svc};
}

/* Shutdown: the running jobs stop at their next simulated day and are handed back. */
static bool stopping(void *user)
{
    api_jobs *jobs = user;
    pthread_mutex_lock(&jobs->lock);
    bool s = jobs->stop;
    pthread_mutex_unlock(&jobs->lock);
    return s;
}

/* The next queued row through the core's job: claim, heartbeats, cancellation, the db sink,
 * and the one failure policy (a retryable failure is handed back, so the next claim retries
 * it). False when there was nothing to run. */
static bool run_next(api_jobs *jobs, fsim_arena *arena)
{
    api_server *srv = jobs->srv;
    fsim_services svc = api_services(srv);
    fsim_job_policy policy = {.lease_seconds = srv->cfg.lease_s,
                              .max_attempts = srv->cfg.max_attempts,
                              .max_attempts_name = "FLEETSIM_API_JOB_MAX_ATTEMPTS"};
    fsim_job_run_options o = {.services = &svc, .policy = &policy,
                              .sink = fsim_sink_find("db"),
                              .runner = {.config_dir = srv->cfg.config_dir,
                                         .env_overrides_json = srv->cfg.config_overrides,
                                         .source = "request body"},
                              .stopping = stopping, .stopping_user = jobs};
    fsim_error err;
    bool ran = false;
    fsim_job_run_next(&o, arena, &ran, &err); /* a claim that failed is logged by the core */
    if (!ran) /* then a batch of a plan that is not on Pub/Sub (<fleetsim/plan_job.h>) */
        fsim_plan_job_run_next(&o, arena, &ran, &err);
    return ran;
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
    while (!stopping(jobs)) {
        fsim_arena *arena = fsim_arena_new();
        if (!arena) {
            wait_for_work(jobs);
            continue;
        }
        bool ran = run_next(jobs, arena);
        fsim_arena_free(arena);
        if (!ran)
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
