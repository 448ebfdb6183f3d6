/* Publishing jobs to Pub/Sub (FLEETSIM_PUBSUB_TOPIC): the client, the topic and the relayer
 * thread. What publishing and the outbox do is the core's (core/job/outbox.c): POST
 * /v1/simulations writes the row, then fsim_job_publish; the relayer thread here runs
 * fsim_job_relay_outbox every FLEETSIM_API_OUTBOX_POLL_MS, so a job whose publish failed is
 * published after FLEETSIM_API_OUTBOX_DELAY_SECONDS, each row backing off on its own
 * (FLEETSIM_API_OUTBOX_BACKOFF_SECONDS, doubling, at most 5 minutes), and a job still
 * queued FLEETSIM_API_OUTBOX_REPUBLISH_SECONDS after its publish is published again (its
 * message may be lost; the worker runs a row once whatever it receives). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fleetsim/plan_job.h>
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

/* The job services with this publisher's client and topic. */
static fsim_services services(const api_publisher *pub)
{
    fsim_services svc = api_services(pub->srv);
    svc.pubsub = pub->ps;
    svc.topic = pub->topic;
    return svc;
}

void api_publish_job(api_publisher *pub, const char *id, const fsim_request *request,
                     const char *trace)
{
    fsim_error err;
    fsim_error_clear(&err);
    fsim_services svc = services(pub);
    if (fsim_job_publish(&svc, id, request, pub->mode, trace, &err) != FSIM_OK)
        api_log("WARNING", trace,
                "simulation %s: could not publish to %s, the job stays queued in the outbox and "
                "is published again within about %d s: %s",
                id, pub->topic, pub->srv->cfg.outbox_delay_s + pub->srv->cfg.outbox_backoff_s,
                err.message);
}

fsim_services api_plan_services(const api_server *srv)
{
    return srv->publisher ? services(srv->publisher) : api_services(srv);
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

static bool stopping_cb(void *user)
{
    return stopping(user);
}

static void *relayer(void *arg)
{
    api_publisher *pub = arg;
    const api_settings *c = &pub->srv->cfg;
    fsim_job_outbox_policy policy = {.delay_s = c->outbox_delay_s,
                                     .republish_s = c->outbox_republish_s,
                                     .backoff_s = c->outbox_backoff_s,
                                     .max_backoff_s = OUTBOX_MAX_BACKOFF_S,
                                     .batch = OUTBOX_BATCH};
    fsim_services svc = services(pub);
    while (!stopping(pub)) {
        fsim_job_relay_outbox(&svc, &policy, stopping_cb, pub);
        fsim_plan_job_relay(&svc, c->outbox_delay_s); /* plan batches whose publish failed */
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
            "unpublished jobs after %d s, and jobs still queued %d s after their publish%s",
            pub->topic, target, emulator ? " (emulator)" : "", fsim_job_mode_name(pub->mode),
            c->outbox_delay_s, c->outbox_republish_s,
            c->outbox_republish_s ? "" : " (0: never)");
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
