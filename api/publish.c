/* Publishing jobs to Pub/Sub (FLEETSIM_PUBSUB_TOPIC), with an outbox so none is lost.
 *
 * POST /v1/simulations writes the row first (result_mode set, published_at NULL: the row is
 * in the outbox), then publishes its JobMessage — the request, `mode` and `simulationId` —
 * and marks the row published. A row and a message cannot share a transaction, so a publish
 * that fails (Pub/Sub unreachable, topic missing, the process killed in between) only delays
 * the job: the relayer thread here takes queued rows still unpublished after
 * FLEETSIM_API_OUTBOX_DELAY_SECONDS and publishes them again, each row backing off on its
 * own (FLEETSIM_API_OUTBOX_BACKOFF_SECONDS, doubling, at most 5 minutes). Rows are taken with
 * FOR UPDATE SKIP LOCKED, so any number of API instances share the outbox. A message may go
 * out twice (a publish that timed out on our side but reached Pub/Sub, a mark that failed):
 * harmless, the worker is idempotent per row. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fleetsim/pubsub.h>
#include <fleetsim/util.h>

#include "api.h"

#define OUTBOX_BATCH 50
#define OUTBOX_MAX_BACKOFF_S 300

struct api_publisher {
    api_server *srv;
    fsim_pubsub *ps;
    fsim_arena *arena;            /* the topic name */
    const char *topic;            /* projects/P/topics/T */
    fsim_job_mode mode;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    bool have_thread;
    pthread_t relayer;
};

/* Publishes one JobMessage for row `id`. The attributes let the worker name the row and the
 * trace even when the data cannot be decoded (pubsub/job.c reads traceId, then requestId). */
static fsim_status publish(api_publisher *pub, const char *id, const fsim_request *request,
                           fsim_job_mode mode, const char *trace, fsim_error *err)
{
    fsim_job_message jm = {.request = *request, .mode = mode, .simulation_id = id};
    size_t len = 0;
    char *data = fsim_job_message_encode(&jm, 0, &len);
    if (!data)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    fsim_pubsub_attribute attrs[3] = {{"simulationId", id}, {"traceId", trace},
                                      {"requestId", trace}};
    fsim_pubsub_message m = {.data = data, .len = len, .attributes = attrs,
                             .n_attributes = trace ? 3 : 1};
    fsim_status st = fsim_pubsub_publish(pub->ps, pub->topic, &m, 1, NULL, NULL, err);
    free(data);
    return st;
}

/* After Pub/Sub took the message: out of the outbox. A failed mark only means the relayer
 * publishes it once more later. */
static void mark(api_publisher *pub, const char *id, const char *trace)
{
    fsim_error err;
    fsim_error_clear(&err);
    if (fsim_store_mark_published(pub->srv->store, id, &err) != FSIM_OK)
        api_log("WARNING", trace, "simulation %s: published, but could not record it (it may "
                                  "be published again): %s", id, err.message);
}

void api_publish_job(api_publisher *pub, const char *id, const fsim_request *request,
                     const char *trace)
{
    fsim_error err;
    fsim_error_clear(&err);
    if (publish(pub, id, request, pub->mode, trace, &err) == FSIM_OK) {
        mark(pub, id, trace);
        api_log("INFO", trace, "simulation %s: published to %s (mode %s)", id, pub->topic,
                fsim_job_mode_name(pub->mode));
        return;
    }
    api_log("WARNING", trace,
            "simulation %s: could not publish to %s, the job stays queued in the outbox and is "
            "published again within about %d s: %s",
            id, pub->topic, pub->srv->cfg.outbox_delay_s + pub->srv->cfg.outbox_backoff_s,
            err.message);
}

const char *api_publisher_mode(const api_publisher *pub)
{
    return pub ? fsim_job_mode_name(pub->mode) : NULL;
}

/* ---- The relayer ---------------------------------------------------------------------- */

static bool stopping(api_publisher *pub)
{
    pthread_mutex_lock(&pub->lock);
    bool s = pub->stop;
    pthread_mutex_unlock(&pub->lock);
    return s;
}

/* Sleeps outbox_poll_ms, or until stopped. */
static void pause_relayer(api_publisher *pub)
{
    struct timespec until = fsim_deadline_in(pub->srv->cfg.outbox_poll_ms / 1000.0);
    pthread_mutex_lock(&pub->lock);
    while (!pub->stop)
        if (pthread_cond_timedwait(&pub->wake, &pub->lock, &until) != 0)
            break;
    pthread_mutex_unlock(&pub->lock);
}

/* A row whose stored request no longer decodes cannot become a message: fail it, say why. */
static void fail_unpublishable(api_publisher *pub, const fsim_store_outbox_job *job)
{
    fsim_api_error e = {.code = "internal",
                        .message = "the stored request could not be read back to publish it",
                        .request_id = job->trace_id};
    fsim_error err;
    fsim_error_clear(&err);
    if (fsim_store_fail(pub->srv->store, job->id, &e, &err) != FSIM_OK)
        api_log("ERROR", job->trace_id, "simulation %s: could not mark it failed: %s", job->id,
                err.message);
}

/* One pass: publish what is due, oldest first. On a failure the rest of the batch waits for
 * its own backoff: Pub/Sub is most likely down for all of them, and each try could take a
 * whole publish timeout. */
static void relay_once(api_publisher *pub)
{
    api_server *srv = pub->srv;
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        return;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_store_outbox_job *jobs = NULL;
    size_t n = 0;
    if (fsim_store_outbox_take(srv->store, srv->cfg.outbox_delay_s, srv->cfg.outbox_backoff_s,
                               OUTBOX_MAX_BACKOFF_S, OUTBOX_BATCH, arena, &jobs, &n,
                               &err) != FSIM_OK) {
        api_log("WARNING", NULL, "outbox: could not read it: %s", err.message);
        goto out;
    }
    for (size_t i = 0; i < n && !stopping(pub); i++) {
        const fsim_store_outbox_job *job = &jobs[i];
        if (!job->request) {
            fail_unpublishable(pub, job);
            continue;
        }
        /* the message says the row's mode, whatever this instance's setting is now */
        fsim_error_clear(&err);
        if (publish(pub, job->id, job->request, job->mode, job->trace_id, &err) == FSIM_OK) {
            mark(pub, job->id, job->trace_id);
            api_log("INFO", job->trace_id,
                    "simulation %s: published to %s from the outbox (attempt %d)", job->id,
                    pub->topic, job->attempts);
            continue;
        }
        double next = srv->cfg.outbox_backoff_s;
        for (int k = 1; k < job->attempts && next < OUTBOX_MAX_BACKOFF_S; k++)
            next *= 2;
        api_log("WARNING", job->trace_id,
                "simulation %s: outbox publish attempt %d failed, next in %.0f s: %s", job->id,
                job->attempts, next < OUTBOX_MAX_BACKOFF_S ? next : OUTBOX_MAX_BACKOFF_S,
                err.message);
        break;
    }
out:
    fsim_arena_free(arena);
}

static void *relayer(void *arg)
{
    api_publisher *pub = arg;
    while (!stopping(pub)) {
        relay_once(pub);
        pause_relayer(pub);
    }
    return NULL;
}

/* ---- Start and stop --------------------------------------------------------------------- */

bool api_publisher_start(api_server *srv, fsim_error *err)
{
    const api_settings *c = &srv->cfg;
    if (!c->pubsub_topic)
        return true;
    api_publisher *pub = calloc(1, sizeof *pub);
    if (!pub || !(pub->arena = fsim_arena_new())) {
        free(pub);
        fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        return false;
    }
    pub->srv = srv;
    pthread_mutex_init(&pub->lock, NULL);
    pthread_cond_init(&pub->wake, NULL);
    fsim_job_mode_parse(c->result_mode, &pub->mode); /* checked with the settings */
    fsim_pubsub_options po = {.credentials_json = c->credentials_json,
                              .timeout_ms = c->publish_timeout_ms};
    if (fsim_pubsub_resource_name(c->pubsub_topic, c->gcp_project, "topics",
                                  "FLEETSIM_PUBSUB_TOPIC", pub->arena, &pub->topic,
                                  err) != FSIM_OK ||
        fsim_pubsub_open(&po, &pub->ps, err) != FSIM_OK) {
        api_publisher_stop(pub);
        return false;
    }
    if (pthread_create(&pub->relayer, NULL, relayer, pub) != 0) {
        api_publisher_stop(pub);
        fsim_error_set(err, FSIM_INTERNAL, NULL, 0, 0, NULL, "could not start the outbox relayer");
        return false;
    }
    pub->have_thread = true;
    bool emulator = false;
    const char *target = fsim_pubsub_target(pub->ps, &emulator);
    api_log("INFO", NULL,
            "jobs are published to %s via %s%s (result mode %s); the outbox re-publishes "
            "unpublished jobs after %d s",
            pub->topic, target, emulator ? " (emulator)" : "", fsim_job_mode_name(pub->mode),
            c->outbox_delay_s);
    srv->publisher = pub;
    return true;
}

void api_publisher_stop(api_publisher *pub)
{
    if (!pub)
        return;
    pthread_mutex_lock(&pub->lock);
    pub->stop = true;
    pthread_cond_broadcast(&pub->wake);
    pthread_mutex_unlock(&pub->lock);
    if (pub->ps)
        fsim_pubsub_cancel_all(pub->ps); /* a publish in flight returns at once */
    if (pub->have_thread)
        pthread_join(pub->relayer, NULL);
    fsim_pubsub_close(pub->ps);
    pthread_cond_destroy(&pub->wake);
    pthread_mutex_destroy(&pub->lock);
    fsim_arena_free(pub->arena);
    free(pub);
}
