/* One message = one batch of a plan job (attribute kind=plan-batch; docs/plan.md "As a
 * job"). The transport only: decode the PlanBatchMessage, hand the batch to the core
 * (<fleetsim/plan_job.h>: claim under a lease, run its variants, store the outcome once, the
 * last batch composes the plan) and turn the outcome into ack / nack / retry later. A batch
 * stored already (a duplicate delivery) is acked; one leased elsewhere is offered again. */
#include <stdio.h>
#include <string.h>

#include <fleetsim/plan_job.h>

#include "worker.h"

typedef struct batch_ctx {
    ps_worker *w;
    const char *trace;
    const char *message_id;
} batch_ctx;

static void log_batch(void *user, const char *severity, const char *trace_id,
                      const char *simulation_id, const char *message)
{
    batch_ctx *c = user;
    ps_log(c->w, severity, trace_id ? trace_id : c->trace, c->message_id, simulation_id, "%s",
           message);
}

static bool aborting(void *user)
{
    return atomic_load(&((ps_worker *)user)->aborting);
}

ps_outcome ps_plan_batch_process(ps_worker *w, const fsim_pubsub_message *msg, fsim_store *store)
{
    batch_ctx c = {.w = w, .message_id = msg->message_id,
                   .trace = fsim_pubsub_attribute_get(msg, "traceId")};
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        return PS_NACK;
    char source[160];
    snprintf(source, sizeof source, "message %s", msg->message_id ? msg->message_id : "?");
    fsim_error err;
    fsim_error_clear(&err);
    ps_outcome out = PS_NACK;
    void *p = NULL;
    if (fsim_wire_decode(FSIM_WIRE_PLAN_BATCH_MESSAGE, msg->data, msg->len, source, 0, arena, &p,
                         &err) != FSIM_OK) {
        char text[1200];
        fsim_error_format(&err, text, sizeof text);
        ps_log(w, "ERROR", c.trace, c.message_id, NULL,
               "plan batch message does not decode, acked: %s", text);
        out = PS_ACK; /* a redelivery would not decode either */
        goto done;
    }
    const fsim_plan_batch_message *m = p;
    fsim_services svc = {.store = store, .log = log_batch, .log_user = &c};
    fsim_job_policy pol = {.lease_seconds = w->cfg.lease_s, .max_attempts = w->cfg.max_attempts,
                           .max_attempts_name = "FLEETSIM_PUBSUB_MAX_ATTEMPTS"};
    fsim_job_run_options o = {.services = &svc, .policy = &pol,
                              .runner = {.config_dir = w->cfg.config_dir,
                                         .env_overrides_json = w->cfg.config_overrides,
                                         .source = source, .trace_id = c.trace},
                              .stopping = aborting, .stopping_user = w};
    fsim_store_batch_state state = FSIM_BATCH_RUNNING;
    fsim_job_outcome ran = fsim_plan_job_run_batch(&o, m->plan_id, m->batch, arena, &state, &err);
    switch (ran) {
    case FSIM_JOB_SUCCEEDED:
        atomic_fetch_add(&w->jobs_done, 1);
        out = PS_ACK;
        break;
    case FSIM_JOB_FAILED:
    case FSIM_JOB_STOPPED:
        out = PS_ACK;
        break;
    case FSIM_JOB_NOT_CLAIMED:
        if (err.status == FSIM_NOT_FOUND) {
            ps_log(w, "WARNING", c.trace, c.message_id, NULL,
                   "plan %s batch %d does not exist, acked: %s", m->plan_id, m->batch,
                   err.message);
            out = PS_ACK;
        } else if (state == FSIM_BATCH_RUNNING) {
            ps_log(w, "INFO", c.trace, c.message_id, NULL,
                   "plan %s: batch %d is running elsewhere; offered again in %d s", m->plan_id,
                   m->batch, w->cfg.retry_delay_s);
            out = PS_RETRY_LATER;
        } else {
            ps_log(w, "INFO", c.trace, c.message_id, NULL,
                   "plan %s is over: batch %d acked without running", m->plan_id, m->batch);
            out = PS_ACK;
        }
        break;
    default:
        ps_log(w, "WARNING", c.trace, c.message_id, NULL, "plan %s: batch %d %s, message nacked: %s",
               m->plan_id, m->batch, fsim_job_outcome_name(ran), err.message);
        out = PS_NACK;
    }
done:
    fsim_arena_free(arena);
    return out;
}
