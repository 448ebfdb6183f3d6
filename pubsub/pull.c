/* fleetsim-pubsub --pull: N worker threads, each pulling one message at a time (flow control
 * = the number of threads), plus one thread that keeps extending the ack deadline of every
 * message in progress. Acks go out only after job.c has committed the result.
 *
 * Two clients: pulls go through one that SIGTERM cancels (a Pull may wait for messages),
 * acks and deadline changes through another that stays usable until the end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fleetsim/util.h>

#include "worker.h"

#define MAX_WORKERS 64

typedef struct pull_state {
    ps_worker *w;
    fsim_pubsub *puller;
    fsim_pubsub *acker;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *inflight[MAX_WORKERS];  /* ack id each worker is running, NULL when idle */
    int running;                  /* worker threads still alive */
} pull_state;

typedef struct slot {
    pull_state *s;
    int index;
} slot;

static void set_inflight(pull_state *s, int i, const char *ack_id)
{
    pthread_mutex_lock(&s->mu);
    free(s->inflight[i]);
    s->inflight[i] = ack_id ? strdup(ack_id) : NULL;
    pthread_mutex_unlock(&s->mu);
}

/* Tells Pub/Sub the outcome. A failed ack only means the message comes back later, and the
 * job's row then says it is finished: logged, not fatal. */
static void settle(pull_state *s, const fsim_pubsub_message *m, ps_outcome out)
{
    ps_worker *w = s->w;
    fsim_error err;
    fsim_status st;
    const char *sub = w->cfg.subscription;
    if (out == PS_ACK)
        st = fsim_pubsub_ack(s->acker, sub, &m->ack_id, 1, &err);
    else
        st = fsim_pubsub_modify_ack_deadline(s->acker, sub, &m->ack_id, 1,
                                             out == PS_NACK ? 0 : w->cfg.retry_delay_s, &err);
    if (st != FSIM_OK)
        ps_log(w, "WARNING", NULL, m->message_id, NULL, "could not %s the message: %s",
               out == PS_ACK ? "ack" : "nack", err.message);
}

/* Sleeps up to `seconds`, waking early when the worker stops. */
static void pause_unless_stopping(pull_state *s, double seconds)
{
    struct timespec until = fsim_deadline_in(seconds);
    pthread_mutex_lock(&s->mu);
    while (!atomic_load(&s->w->stopping))
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&s->mu);
}

static void *worker_thread(void *arg)
{
    slot *sl = arg;
    pull_state *s = sl->s;
    ps_worker *w = s->w;
    const char *sub = w->cfg.subscription;
    while (!atomic_load(&w->stopping)) {
        fsim_arena *arena = fsim_arena_new();
        if (!arena)
            break;
        fsim_pubsub_message *msgs = NULL;
        size_t n = 0;
        fsim_error err;
        fsim_status st = fsim_pubsub_pull(s->puller, sub, 1, true, arena, &msgs, &n, &err);
        if (st == FSIM_CANCELLED) {
            fsim_arena_free(arena);
            break;
        }
        if (st != FSIM_OK) {
            ps_log(w, fsim_pubsub_transient(st) ? "WARNING" : "ERROR", NULL, NULL, NULL,
                   "pull from \"%s\" failed: %s", sub, err.message);
            fsim_arena_free(arena);
            pause_unless_stopping(s, 1.0);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            const fsim_pubsub_message *m = &msgs[i];
            if (atomic_load(&w->stopping)) {
                settle(s, m, PS_NACK);
                continue;
            }
            /* own the message for a full ack deadline before a long job starts */
            set_inflight(s, sl->index, m->ack_id);
            fsim_pubsub_modify_ack_deadline(s->acker, sub, &m->ack_id, 1, w->cfg.ack_deadline_s,
                                            &err);
            ps_outcome out = ps_job_process(w, m);
            set_inflight(s, sl->index, NULL);
            settle(s, m, out);
        }
        fsim_arena_free(arena);
    }
    pthread_mutex_lock(&s->mu);
    s->running--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Renews the deadline of every message in progress a few times per deadline, so a job
 * longer than the subscription's ack deadline is not redelivered to another worker. */
static void *extender_thread(void *arg)
{
    pull_state *s = arg;
    ps_worker *w = s->w;
    double every = w->cfg.ack_deadline_s / 3.0;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        bool done = s->running == 0;
        char *ids[MAX_WORKERS];
        size_t n = 0;
        for (int i = 0; i < w->cfg.workers; i++)
            if (s->inflight[i])
                ids[n++] = strdup(s->inflight[i]);
        pthread_mutex_unlock(&s->mu);
        if (done) {
            for (size_t i = 0; i < n; i++)
                free(ids[i]);
            break;
        }
        fsim_error err;
        if (n && fsim_pubsub_modify_ack_deadline(s->acker, w->cfg.subscription,
                                                 (const char *const *)ids, n,
                                                 w->cfg.ack_deadline_s, &err) != FSIM_OK)
            ps_log(w, "WARNING", NULL, NULL, NULL, "could not extend ack deadlines: %s",
                   err.message);
        for (size_t i = 0; i < n; i++)
            free(ids[i]);
        struct timespec until = fsim_deadline_in(every);
        pthread_mutex_lock(&s->mu);
        if (s->running > 0)
            pthread_cond_timedwait(&s->cv, &s->mu, &until);
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

int ps_pull_main(ps_worker *w)
{
    int rc = 1;
    pull_state s = {.w = w};
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    fsim_error err;
    fsim_pubsub_options po = {.credentials_json = w->cfg.credentials_json, .timeout_ms = 30000};
    if (fsim_pubsub_open(&po, &s.puller, &err) != FSIM_OK ||
        fsim_pubsub_open(&po, &s.acker, &err) != FSIM_OK) {
        char text[1024];
        fsim_error_format(&err, text, sizeof text);
        ps_log(w, "ERROR", NULL, NULL, NULL, "could not create the Pub/Sub client: %s", text);
        goto out;
    }
    bool emulator = false;
    const char *target = fsim_pubsub_target(s.puller, &emulator);
    const char *creds = fsim_pubsub_credentials(s.puller);
    ps_log(w, "INFO", NULL, NULL, NULL, "pulling from \"%s\" via %s%s%s with %d workers",
           w->cfg.subscription, target, emulator ? " (emulator)" : ", tokens from ",
           creds ? creds : "", w->cfg.workers);

    pthread_t threads[MAX_WORKERS], extender;
    slot slots[MAX_WORKERS];
    int started = 0;
    for (int i = 0; i < w->cfg.workers; i++) {
        slots[i] = (slot){.s = &s, .index = i};
        pthread_mutex_lock(&s.mu);
        s.running++;
        pthread_mutex_unlock(&s.mu);
        if (pthread_create(&threads[i], NULL, worker_thread, &slots[i]) != 0) {
            pthread_mutex_lock(&s.mu);
            s.running--;
            pthread_mutex_unlock(&s.mu);
            break;
        }
        started++;
    }
    bool have_extender = pthread_create(&extender, NULL, extender_thread, &s) == 0;

    int sig = ps_wait_signal();
    ps_log(w, "INFO", NULL, NULL, NULL, "signal %d: stopping (grace %d s)", sig, w->cfg.grace_s);
    atomic_store(&w->stopping, true);
    fsim_pubsub_cancel_all(s.puller);
    pthread_mutex_lock(&s.mu);
    pthread_cond_broadcast(&s.cv);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += w->cfg.grace_s;
    while (s.running > 0)
        if (pthread_cond_timedwait(&s.cv, &s.mu, &until) == ETIMEDOUT)
            break;
    bool late = s.running > 0;
    pthread_mutex_unlock(&s.mu);
    if (late) {
        ps_log(w, "WARNING", NULL, NULL, NULL,
               "grace period over: cancelling running jobs (their messages are nacked)");
        atomic_store(&w->aborting, true);
    }
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    if (have_extender) {
        pthread_mutex_lock(&s.mu);
        pthread_cond_broadcast(&s.cv);
        pthread_mutex_unlock(&s.mu);
        pthread_join(extender, NULL);
    }
    ps_log(w, "INFO", NULL, NULL, NULL, "stopped after %ld jobs", atomic_load(&w->jobs_done));
    rc = 0;
out:
    fsim_pubsub_close(s.puller);
    fsim_pubsub_close(s.acker);
    for (int i = 0; i < MAX_WORKERS; i++)
        free(s.inflight[i]);
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.mu);
    return rc;
}
