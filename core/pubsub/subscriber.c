/* A pull subscriber: N threads, each pulling one message at a time (flow control = the
 * number of threads) and handing it to the caller's handler, plus one thread that keeps
 * extending the ack deadline of every message in progress, so a handler longer than the
 * subscription's deadline is not redelivered elsewhere. The verdict is settled only after
 * the handler returns (ack, nack, or "again after retry_later_s").
 *
 * Two clients: pulls go through one that stopping cancels (a Pull may wait for messages),
 * acks and deadline changes through another that stays usable until the end. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fleetsim/pubsub.h>
#include <fleetsim/util.h>

#define MAX_THREADS 64

typedef struct slot {
    fsim_pubsub_subscriber *s;
    int index;
} slot;

struct fsim_pubsub_subscriber {
    fsim_pubsub_subscriber_options o;
    fsim_pubsub *puller;
    fsim_pubsub *acker;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;
    char *inflight[MAX_THREADS];  /* ack id each thread is handling, NULL when idle */
    int running;                  /* pulling threads still alive */
    int started;
    pthread_t threads[MAX_THREADS];
    slot slots[MAX_THREADS];
    bool have_extender;
    pthread_t extender;
};

static void slog(fsim_pubsub_subscriber *s, const char *severity, const char *message_id,
                 const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void slog(fsim_pubsub_subscriber *s, const char *severity, const char *message_id,
                 const char *fmt, ...)
{
    if (!s->o.log)
        return;
    char text[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    s->o.log(s->o.log_user, severity, message_id, text);
}

static bool stopping(fsim_pubsub_subscriber *s)
{
    pthread_mutex_lock(&s->mu);
    bool st = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return st;
}

static void set_inflight(fsim_pubsub_subscriber *s, int i, const char *ack_id)
{
    pthread_mutex_lock(&s->mu);
    free(s->inflight[i]);
    s->inflight[i] = ack_id ? strdup(ack_id) : NULL;
    pthread_mutex_unlock(&s->mu);
}

/* Tells Pub/Sub the verdict. A failed ack only means the message comes back later: logged,
 * not fatal. */
static void settle(fsim_pubsub_subscriber *s, const fsim_pubsub_message *m,
                   fsim_pubsub_verdict v)
{
    fsim_error err;
    fsim_status st;
    const char *sub = s->o.subscription;
    if (v == FSIM_PUBSUB_ACK)
        st = fsim_pubsub_ack(s->acker, sub, &m->ack_id, 1, &err);
    else
        st = fsim_pubsub_modify_ack_deadline(s->acker, sub, &m->ack_id, 1,
                                             v == FSIM_PUBSUB_NACK ? 0 : s->o.retry_later_s,
                                             &err);
    if (st != FSIM_OK)
        slog(s, "WARNING", m->message_id, "could not %s the message: %s",
             v == FSIM_PUBSUB_ACK ? "ack" : "nack", err.message);
}

/* Sleeps up to `seconds`, waking early when stopping. */
static void pause_unless_stopping(fsim_pubsub_subscriber *s, double seconds)
{
    struct timespec until = fsim_deadline_in(seconds);
    pthread_mutex_lock(&s->mu);
    while (!s->stopping)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&s->mu);
}

static void *pull_thread(void *arg)
{
    slot *sl = arg;
    fsim_pubsub_subscriber *s = sl->s;
    const char *sub = s->o.subscription;
    while (!stopping(s)) {
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
            slog(s, fsim_pubsub_transient(st) ? "WARNING" : "ERROR", NULL,
                 "pull from \"%s\" failed: %s", sub, err.message);
            fsim_arena_free(arena);
            pause_unless_stopping(s, 1.0);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            const fsim_pubsub_message *m = &msgs[i];
            if (stopping(s)) {
                settle(s, m, FSIM_PUBSUB_NACK);
                continue;
            }
            /* own the message for a full ack deadline before a long handler starts */
            set_inflight(s, sl->index, m->ack_id);
            fsim_pubsub_modify_ack_deadline(s->acker, sub, &m->ack_id, 1, s->o.ack_deadline_s,
                                            &err);
            fsim_pubsub_verdict v = s->o.handle(s->o.user, m);
            set_inflight(s, sl->index, NULL);
            settle(s, m, v);
        }
        fsim_arena_free(arena);
    }
    pthread_mutex_lock(&s->mu);
    s->running--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Renews the deadline of every message in progress three times per deadline. */
static void *extender_thread(void *arg)
{
    fsim_pubsub_subscriber *s = arg;
    double every = s->o.ack_deadline_s / 3.0;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        bool done = s->running == 0;
        char *ids[MAX_THREADS];
        size_t n = 0;
        for (int i = 0; i < s->o.threads; i++)
            if (s->inflight[i])
                ids[n++] = strdup(s->inflight[i]);
        pthread_mutex_unlock(&s->mu);
        if (done) {
            for (size_t i = 0; i < n; i++)
                free(ids[i]);
            break;
        }
        fsim_error err;
        if (n && fsim_pubsub_modify_ack_deadline(s->acker, s->o.subscription,
                                                 (const char *const *)ids, n,
                                                 s->o.ack_deadline_s, &err) != FSIM_OK)
            slog(s, "WARNING", NULL, "could not extend ack deadlines: %s", err.message);
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

fsim_status fsim_pubsub_subscriber_start(const fsim_pubsub_subscriber_options *opts,
                                         fsim_pubsub_subscriber **out, fsim_error *err)
{
    *out = NULL;
    if (opts->threads < 1 || opts->threads > MAX_THREADS || !opts->handle)
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, "threads",
                              "a subscriber needs a handler and 1..%d threads", MAX_THREADS);
    fsim_pubsub_subscriber *s = calloc(1, sizeof *s);
    if (!s)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    s->o = *opts;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    fsim_pubsub_options po = {.credentials_json = opts->credentials_json, .timeout_ms = 30000};
    fsim_status st = fsim_pubsub_open(&po, &s->puller, err);
    if (st == FSIM_OK)
        st = fsim_pubsub_open(&po, &s->acker, err);
    if (st != FSIM_OK) {
        fsim_pubsub_subscriber_free(s);
        return st;
    }
    for (int i = 0; i < opts->threads; i++) {
        s->slots[i] = (slot){.s = s, .index = i};
        pthread_mutex_lock(&s->mu);
        s->running++;
        pthread_mutex_unlock(&s->mu);
        if (pthread_create(&s->threads[i], NULL, pull_thread, &s->slots[i]) != 0) {
            pthread_mutex_lock(&s->mu);
            s->running--;
            pthread_mutex_unlock(&s->mu);
            break;
        }
        s->started++;
    }
    s->have_extender = pthread_create(&s->extender, NULL, extender_thread, s) == 0;
    *out = s;
    return FSIM_OK;
}

fsim_pubsub *fsim_pubsub_subscriber_client(const fsim_pubsub_subscriber *s)
{
    return s->puller;
}

bool fsim_pubsub_subscriber_drain(fsim_pubsub_subscriber *s, int grace_s)
{
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    fsim_pubsub_cancel_all(s->puller);
    pthread_mutex_lock(&s->mu);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += grace_s;
    while (s->running > 0)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT)
            break;
    bool done = s->running == 0;
    pthread_mutex_unlock(&s->mu);
    return done;
}

void fsim_pubsub_subscriber_free(fsim_pubsub_subscriber *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_mutex_unlock(&s->mu);
    if (s->puller)
        fsim_pubsub_cancel_all(s->puller);
    for (int i = 0; i < s->started; i++)
        pthread_join(s->threads[i], NULL);
    if (s->have_extender) {
        pthread_mutex_lock(&s->mu);
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->extender, NULL);
    }
    fsim_pubsub_close(s->puller);
    fsim_pubsub_close(s->acker);
    for (int i = 0; i < MAX_THREADS; i++)
        free(s->inflight[i]);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
