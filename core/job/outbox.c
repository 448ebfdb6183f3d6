/* Publishing Pub/Sub jobs, and the outbox that makes sure none is lost.
 *
 * A job for the Pub/Sub worker is a row written first (result_mode set, published_at NULL:
 * the row is in the outbox), then its JobMessage — the request, `mode` and `simulationId` —
 * is published and the row marked published. A row and a message cannot share a
 * transaction, so a publish that fails only delays the job: fsim_job_relay_outbox takes
 * queued rows still unpublished after a delay and publishes them again, each row backing off
 * on its own. Rows are taken with FOR UPDATE SKIP LOCKED, so any number of relayers share
 * the outbox. A message may go out twice (a publish that timed out on our side but reached
 * Pub/Sub, a mark that failed): harmless, the worker runs each row once.
 *
 * Accepted by Pub/Sub is not yet delivered: a message can still be lost after the publish (a
 * subscription deleted and made again, a message past its retention, an emulator restarted
 * — the soak's stranded jobs). So a row still queued `republish_s` after its publish, or
 * running under a lease that ran out that long ago, is published again by the same pass;
 * the worker's claim makes the extra message harmless, and the row's next republish counts
 * from this one. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "job_internal.h"

/* Publishes one JobMessage for row `id`. The attributes let the worker name the row and the
 * trace even when the data cannot be decoded (the worker reads traceId, then requestId). */
static fsim_status publish(const fsim_services *svc, const char *id,
                           const fsim_request *request, fsim_job_mode mode, const char *trace,
                           fsim_error *err)
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
    fsim_status st = fsim_pubsub_publish(svc->pubsub, svc->topic, &m, 1, NULL, NULL, err);
    free(data);
    return st;
}

/* After Pub/Sub took the message: out of the outbox. A failed mark only means the relayer
 * publishes it once more later. */
static void mark(const fsim_services *svc, const char *id, const char *trace)
{
    fsim_error err;
    fsim_error_clear(&err);
    if (fsim_store_mark_published(svc->store, id, &err) != FSIM_OK)
        fsim__job_log(svc, "WARNING", trace, id,
                      "published, but could not record it (it may be published again): %s",
                      err.message);
}

fsim_status fsim_job_publish(const fsim_services *svc, const char *id,
                             const fsim_request *request, fsim_job_mode mode, const char *trace,
                             fsim_error *err)
{
    fsim_status st = publish(svc, id, request, mode, trace, err);
    if (st == FSIM_OK) {
        mark(svc, id, trace);
        fsim__job_log(svc, "INFO", trace, id, "published to %s (mode %s)", svc->topic,
                      fsim_job_mode_name(mode));
    }
    return st;
}

/* A row whose stored request no longer decodes cannot become a message: fail it, say why. */
static void fail_unpublishable(const fsim_services *svc, const fsim_store_outbox_job *job)
{
    fsim_api_error e = {.code = fsim_job_error_code(FSIM_JOB_ERR_INTERNAL),
                        .message = "the stored request could not be read back to publish it",
                        .request_id = job->trace_id};
    fsim_error err;
    fsim_error_clear(&err);
    if (fsim_store_fail(svc->store, job->id, &e, &err) != FSIM_OK)
        fsim__job_log(svc, "ERROR", job->trace_id, job->id, "could not mark it failed: %s",
                      err.message);
}

void fsim_job_relay_outbox(const fsim_services *svc, const fsim_job_outbox_policy *p,
                           bool (*stopping)(void *user), void *user)
{
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        return;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_store_outbox_job *jobs = NULL;
    size_t n = 0;
    if (fsim_store_outbox_take(svc->store, p->delay_s, p->republish_s, p->backoff_s,
                               p->max_backoff_s, p->batch, arena, &jobs, &n, &err) != FSIM_OK) {
        fsim__job_log(svc, "WARNING", NULL, NULL, "outbox: could not read it: %s", err.message);
        goto out;
    }
    for (size_t i = 0; i < n && !(stopping && stopping(user)); i++) {
        const fsim_store_outbox_job *job = &jobs[i];
        if (!job->request) {
            fail_unpublishable(svc, job);
            continue;
        }
        /* the message says the row's mode, whatever the relayer's setting is now */
        fsim_error_clear(&err);
        if (publish(svc, job->id, job->request, job->mode, job->trace_id, &err) == FSIM_OK) {
            mark(svc, job->id, job->trace_id);
            if (job->republish)
                fsim__job_log(svc, "INFO", job->trace_id, job->id,
                              "republished to %s: not done %.0f s after its last publish, so "
                              "its message may be lost (attempt %d)",
                              svc->topic, job->since_publish_s, job->attempts);
            else
                fsim__job_log(svc, "INFO", job->trace_id, job->id,
                              "published to %s from the outbox (attempt %d)", svc->topic,
                              job->attempts);
            continue;
        }
        /* the rest of the batch waits for its own backoff: Pub/Sub is most likely down for
         * all of them, and each try could take a whole publish timeout */
        double next = p->backoff_s;
        for (int k = 1; k < job->attempts && next < p->max_backoff_s; k++)
            next *= 2;
        fsim__job_log(svc, "WARNING", job->trace_id, job->id,
                      "outbox publish attempt %d failed, next in %.0f s: %s", job->attempts,
                      next < p->max_backoff_s ? next : p->max_backoff_s, err.message);
        break;
    }
out:
    fsim_arena_free(arena);
}
