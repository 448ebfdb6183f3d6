/* fleetsim-pubsub --pull: the core's pull subscriber (FLEETSIM_PUBSUB_WORKERS threads, one
 * message each at a time, ack deadlines renewed while a job runs) hands each message to
 * job.c, whose outcome becomes the ack; SIGTERM stops pulling and lets running jobs finish
 * within FLEETSIM_PUBSUB_GRACE_SECONDS, then cancels them (their messages are nacked). */
#include "worker.h"

static fsim_pubsub_verdict handle(void *user, const fsim_pubsub_message *m)
{
    ps_worker *w = user;
    ps_outcome out = ps_job_process(w, m);
    return out == PS_ACK ? FSIM_PUBSUB_ACK
                         : out == PS_NACK ? FSIM_PUBSUB_NACK : FSIM_PUBSUB_RETRY_LATER;
}

static void log_line(void *user, const char *severity, const char *message_id, const char *text)
{
    ps_log(user, severity, NULL, message_id, NULL, "%s", text);
}

int ps_pull_main(ps_worker *w)
{
    fsim_pubsub_subscriber_options so = {.subscription = w->cfg.subscription,
                                         .threads = w->cfg.workers,
                                         .ack_deadline_s = w->cfg.ack_deadline_s,
                                         .retry_later_s = w->cfg.retry_delay_s,
                                         .credentials_json = w->cfg.credentials_json,
                                         .handle = handle, .user = w,
                                         .log = log_line, .log_user = w};
    fsim_pubsub_subscriber *sub = NULL;
    fsim_error err;
    if (fsim_pubsub_subscriber_start(&so, &sub, &err) != FSIM_OK) {
        char text[1024];
        fsim_error_format(&err, text, sizeof text);
        ps_log(w, "ERROR", NULL, NULL, NULL, "could not create the Pub/Sub client: %s", text);
        return 1;
    }
    bool emulator = false;
    fsim_pubsub *client = fsim_pubsub_subscriber_client(sub);
    const char *target = fsim_pubsub_target(client, &emulator);
    const char *creds = fsim_pubsub_credentials(client);
    ps_log(w, "INFO", NULL, NULL, NULL, "pulling from \"%s\" via %s%s%s with %d workers",
           w->cfg.subscription, target, emulator ? " (emulator)" : ", tokens from ",
           creds ? creds : "", w->cfg.workers);

    int sig = ps_wait_signal();
    ps_log(w, "INFO", NULL, NULL, NULL, "signal %d: stopping (grace %d s)", sig, w->cfg.grace_s);
    atomic_store(&w->stopping, true);
    if (!fsim_pubsub_subscriber_drain(sub, w->cfg.grace_s)) {
        ps_log(w, "WARNING", NULL, NULL, NULL,
               "grace period over: cancelling running jobs (their messages are nacked)");
        atomic_store(&w->aborting, true);
    }
    fsim_pubsub_subscriber_free(sub);
    ps_log(w, "INFO", NULL, NULL, NULL, "stopped after %ld jobs", atomic_load(&w->jobs_done));
    return 0;
}
