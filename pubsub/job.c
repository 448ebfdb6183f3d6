/* One message = one job. This file is the transport only: decode the JobMessage, find or
 * create its row (under the idempotency key "pubsub:<messageId>", so a redelivery finds the
 * same row), claim it, hand it to the core's job (core/job: run, heartbeat, the db or gcs
 * sink, the one failure policy) and turn the outcome into ack / nack / retry later. A
 * finished row is acked without re-running; a row running elsewhere is offered again later. */
#include <stdio.h>
#include <string.h>

#include <fleetsim/job.h>

#include "worker.h"

typedef struct job_ctx {
    ps_worker *w;
    const char *trace;       /* from the message attributes, else the row's */
    const char *message_id;
} job_ctx;

/* The store, opened on first use: a database that is down when the worker starts is just
 * another transient failure (the message is nacked), not a crash loop. */
static fsim_store *get_store(ps_worker *w, fsim_error *err)
{
    pthread_mutex_lock(&w->store_mu);
    if (!w->store) {
        fsim_store_options so = {.pool_size = w->cfg.workers + 2, .max_retries = 3,
                                 .backoff_ms = 50, .max_backoff_ms = 500, .wait_ms = 30000};
        fsim_store *s = NULL;
        if (fsim_store_open(w->cfg.database_url, &so, &s, err) == FSIM_OK)
            w->store = s;
    }
    fsim_store *s = w->store;
    pthread_mutex_unlock(&w->store_mu);
    return s;
}

/* The core's log lines carry this message's id. */
static void log_job(void *user, const char *severity, const char *trace_id,
                    const char *simulation_id, const char *message)
{
    job_ctx *c = user;
    ps_log(c->w, severity, trace_id, c->message_id, simulation_id, "%s", message);
}

static bool aborting(void *user)
{
    return atomic_load(&((ps_worker *)user)->aborting);
}

static fsim_services services(job_ctx *c, fsim_store *store)
{
    return (fsim_services){.store = store, .gcs = c->w->gcs, .gcs_bucket = c->w->cfg.gcs_bucket,
                           .log = log_job, .log_user = c, .svc = c->w->svc};
}

static fsim_job_policy policy(const ps_worker *w)
{
    return (fsim_job_policy){.lease_seconds = w->cfg.lease_s,
                             .max_attempts = w->cfg.max_attempts,
                             .max_attempts_name = "FLEETSIM_PUBSUB_MAX_ATTEMPTS"};
}

/* What Pub/Sub is told: done (or never going to work) ⇒ ack; retry ⇒ nack. */
static ps_outcome transport_outcome(ps_worker *w, fsim_job_outcome o)
{
    switch (o) {
    case FSIM_JOB_SUCCEEDED:
        atomic_fetch_add(&w->jobs_done, 1);
        return PS_ACK;
    case FSIM_JOB_FAILED:
    case FSIM_JOB_STOPPED:
        return PS_ACK;
    default:
        return PS_NACK;
    }
}

/* A failure before the run (undecodable data, a row that is gone): the one policy decides. */
static ps_outcome fail(job_ctx *c, fsim_store *store, const char *id, fsim_job_error code,
                       const fsim_error *why)
{
    fsim_services svc = services(c, store);
    fsim_job_policy pol = policy(c->w);
    fsim_error err;
    return transport_outcome(c->w, fsim_job_fail_or_retry(&svc, &pol, id, c->trace, 1, code,
                                                          why, &err));
}

static const char *attribute_id(const fsim_pubsub_message *msg)
{
    const char *id = fsim_pubsub_attribute_get(msg, "simulationId");
    return id && strlen(id) == 36 ? id : NULL;
}

static void init_ctx(job_ctx *c, ps_worker *w, const fsim_pubsub_message *msg)
{
    *c = (job_ctx){.w = w, .message_id = msg->message_id};
    c->trace = fsim_pubsub_attribute_get(msg, "traceId");
    if (!c->trace)
        c->trace = fsim_pubsub_attribute_get(msg, "requestId");
}

ps_outcome ps_job_process(ps_worker *w, const fsim_pubsub_message *msg)
{
    job_ctx c;
    init_ctx(&c, w, msg);
    ps_outcome out = PS_NACK;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        return PS_NACK;
    char source[160];
    snprintf(source, sizeof source, "message %s", msg->message_id ? msg->message_id : "?");

    /* An id in the attributes lets even an undecodable message fail its row. */
    fsim_job_message *jm = NULL;
    fsim_status st = fsim_job_message_decode(msg->data, msg->len, source, 0, arena, &jm, &err);
    const char *id = jm && jm->simulation_id ? jm->simulation_id : attribute_id(msg);

    fsim_store *store = get_store(w, &err);
    if (!store) {
        ps_log(w, "WARNING", c.trace, c.message_id, id,
               "database unavailable, message nacked: %s", err.message);
        goto done;
    }
    const char *kind = fsim_pubsub_attribute_get(msg, "kind");
    if (kind && strcmp(kind, "plan-batch") == 0) { /* a batch of a plan job: plan_batch.c */
        out = ps_plan_batch_process(w, msg, store);
        goto done;
    }
    fsim_services svc = services(&c, store);
    if (st != FSIM_OK) {
        out = fail(&c, store, id, FSIM_JOB_ERR_INVALID_MESSAGE, &err);
        goto done;
    }

    /* The row: given, or created once per message id. */
    char new_id[FSIM_STORE_ID_LEN] = "";
    if (!id) {
        fsim_job_submission sub = {.request = &jm->request,
                                   .idempotency_key =
                                       fsim_arena_sprintf(arena, "pubsub:%s", msg->message_id),
                                   .trace_id = c.trace,
                                   .result_mode = fsim_job_mode_name(jm->mode),
                                   .published = true};
        st = fsim_job_submit(&svc, &sub, new_id, NULL, &err);
        fsim_job_error code = fsim_job_error_from_status(st);
        if (st != FSIM_OK && fsim_job_error_retryable(code)) {
            ps_log(w, "WARNING", c.trace, c.message_id, NULL,
                   "could not create the simulation row, message nacked: %s", err.message);
            goto done; /* no row yet: the redelivery creates it */
        }
        if (st != FSIM_OK) {
            out = fail(&c, store, NULL, code, &err);
            goto done;
        }
        id = new_id;
    }

    fsim_job_policy pol = policy(w);
    fsim_job_run_options o = {.services = &svc, .policy = &pol,
                              .sink = fsim_sink_find(fsim_job_mode_name(jm->mode)),
                              .runner = {.config_dir = w->cfg.config_dir,
                                         .env_overrides_json = w->cfg.config_overrides,
                                         .source = source, .trace_id = c.trace},
                              .stopping = aborting, .stopping_user = w};
    fsim_run_status current = FSIM_RUN_QUEUED;
    fsim_job_outcome ran = fsim_job_run_id(&o, id, arena, NULL, &current, &err);
    if (ran == FSIM_JOB_NOT_CLAIMED && err.status == FSIM_NOT_FOUND) {
        out = fail(&c, store, NULL, FSIM_JOB_ERR_NOT_FOUND, &err);
    } else if (ran == FSIM_JOB_NOT_CLAIMED) {
        bool elsewhere = current == FSIM_RUN_RUNNING || current == FSIM_RUN_QUEUED;
        if (elsewhere)
            ps_log(w, "INFO", c.trace, c.message_id, id,
                   "job is running elsewhere; offered again in %d s", w->cfg.retry_delay_s);
        else
            ps_log(w, "INFO", c.trace, c.message_id, id,
                   "job already %s: acked without re-running", fsim_run_status_name(current));
        out = elsewhere ? PS_RETRY_LATER : PS_ACK;
    } else {
        out = transport_outcome(w, ran);
        if (out == PS_NACK) /* the claim failed, or the job was handed back: say so */
            ps_log(w, "WARNING", c.trace, c.message_id, id, "job %s, message nacked: %s",
                   fsim_job_outcome_name(ran), err.message);
    }
done:
    fsim_arena_free(arena);
    return out;
}

ps_outcome ps_job_reject(ps_worker *w, const fsim_pubsub_message *msg, const fsim_error *why)
{
    job_ctx c;
    init_ctx(&c, w, msg);
    const char *id = attribute_id(msg);
    fsim_error err;
    fsim_store *store = id ? get_store(w, &err) : NULL;
    if (id && !store) {
        ps_log(w, "WARNING", c.trace, c.message_id, id,
               "database unavailable, message nacked: %s", err.message);
        return PS_NACK;
    }
    return fail(&c, store, id, FSIM_JOB_ERR_INVALID_MESSAGE, why);
}
