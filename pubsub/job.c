/* One message = one job: decode the JobMessage, find or create its row, claim it, run it,
 * store the result (mode "db": in the row; "gcs": in Cloud Storage, verified, then a pointer
 * in the row), and only then say "ack". At-least-once delivery makes every step
 * idempotent: a finished row is acked without re-running, a row running elsewhere is offered
 * again later, a message without simulationId creates its row under the idempotency key
 * "pubsub:<messageId>" (so a redelivery finds the same row). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include <fleetsim/runner.h>

#include "worker.h"

typedef struct job_ctx {
    ps_worker *w;
    const char *trace;       /* from the message attributes, else the row's */
    const char *message_id;
    const char *id;          /* the row, once known */
    struct timespec last_beat;
    bool stop;               /* the row was cancelled or taken over */
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

/* Hex SHA-256 of the payload: the idempotency hash of a row created from a message. */
static void sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static double since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Between simulated days: renew the row's lease (at most once a second) and stop when the
 * row was cancelled or the worker's grace period is over. */
static bool on_progress(void *user, int day, int days)
{
    job_ctx *c = user;
    if (atomic_load(&c->w->aborting))
        return false;
    if (since(&c->last_beat) >= 1.0) {
        clock_gettime(CLOCK_MONOTONIC, &c->last_beat);
        bool keep = true;
        fsim_error err;
        if (fsim_store_heartbeat(c->w->store, c->id, days ? (double)day / days : 0,
                                 c->w->cfg.lease_s, &keep, &err) == FSIM_OK && !keep) {
            c->stop = true;
            return false;
        }
    }
    return true;
}

/* A permanent failure: record it on the row when there is one, log it, ack. */
static ps_outcome fail_permanently(job_ctx *c, fsim_store *store, const fsim_error *e,
                                   const char *code)
{
    char text[1024];
    fsim_error_format(e, text, sizeof text);
    if (c->id && store) {
        fsim_api_error ae = {.code = code, .message = e->message[0] ? e->message : text,
                             .field = e->path[0] ? e->path : NULL, .request_id = c->trace};
        fsim_error ferr;
        fsim_status st = fsim_store_fail(store, c->id, &ae, &ferr);
        if (fsim_pubsub_transient(st)) {
            ps_log(c->w, "WARNING", c->trace, c->message_id, c->id,
                   "could not mark the job failed (will retry): %s", ferr.message);
            return PS_NACK;
        }
    }
    ps_log(c->w, "ERROR", c->trace, c->message_id, c->id, "job failed permanently: %s%s", text,
           c->id ? "" : " (no simulation row to mark: message acked)");
    return PS_ACK;
}

/* A claimed job that could not finish now (the run or the database failed transiently):
 * handed back at once (its lease ended, so the redelivery can claim it without waiting) and
 * nacked; on its last allowed attempt it is failed for good instead, with the reason. */
static ps_outcome retry_or_give_up(job_ctx *c, fsim_store *store, int attempt, const char *what,
                                   const fsim_error *why)
{
    ps_worker *w = c->w;
    if (attempt >= w->cfg.max_attempts) {
        fsim_error e;
        fsim_error_set(&e, FSIM_INVALID, NULL, 0, 0, NULL,
                       "gave up after %d attempts (FLEETSIM_PUBSUB_MAX_ATTEMPTS); the last one "
                       "failed: %s",
                       attempt, why->message);
        return fail_permanently(c, store, &e, "too_many_attempts");
    }
    ps_log(w, "WARNING", c->trace, c->message_id, c->id, "%s, nacked (attempt %d of %d): %s",
           what, attempt, w->cfg.max_attempts, why->message);
    fsim_error err;
    if (fsim_store_release(store, c->id, &err) != FSIM_OK)
        ps_log(w, "WARNING", c->trace, c->message_id, c->id,
               "could not hand the job back (retried once its lease ends): %s", err.message);
    return PS_NACK;
}

/* gcs mode, after a successful run: the object first (verified), the row second, so a row
 * never says "succeeded" without its object. An upload that fails after the client's retry
 * budget fails the job (acked): redelivery would re-run the whole simulation only to meet
 * the same outage, and the row says why. A database problem is transient as ever (handed back
 * and nacked; the object is simply written again by the next attempt). */
static ps_outcome store_gcs(job_ctx *c, fsim_store *store, int attempt, fsim_result *res)
{
    fsim_error err;
    fsim_error_clear(&err);
    /* the object says what the row says: cost and CO2 from the fleet's state data */
    fsim_status st = fsim_store_apply_prices(store, c->id, res, &err);
    if (st != FSIM_OK)
        return retry_or_give_up(c, store, attempt, "could not read the fleet's state data", &err);
    char uri[1200];
    int attempts = 0;
    st = ps_gcs_upload_result(c->w, res, uri, sizeof uri, &attempts, &err);
    if (st == FSIM_CANCELLED) {
        ps_log(c->w, "WARNING", c->trace, c->message_id, c->id,
               "upload interrupted by shutdown: nacked (%s)", err.message);
        fsim_store_release(store, c->id, &err); /* another worker may take it over now */
        return PS_NACK;
    }
    if (st != FSIM_OK)
        return fail_permanently(c, store, &err, "storage_failed");
    st = fsim_store_finish_uri(store, c->id, res, uri, &err);
    if (st == FSIM_OK) {
        atomic_fetch_add(&c->w->jobs_done, 1);
        ps_log(c->w, "INFO", c->trace, c->message_id, c->id,
               "job succeeded: result in %s (uploaded in %d attempt%s)", uri, attempts,
               attempts == 1 ? "" : "s");
        return PS_ACK;
    }
    if (st == FSIM_CANCELLED || st == FSIM_NOT_FOUND) {
        ps_log(c->w, "INFO", c->trace, c->message_id, c->id,
               "job result not recorded (%s): acked; %s is left behind", err.message, uri);
        return PS_ACK;
    }
    return retry_or_give_up(c, store, attempt, "could not record the result", &err);
}

ps_outcome ps_job_process(ps_worker *w, const fsim_pubsub_message *msg)
{
    job_ctx c = {.w = w, .message_id = msg->message_id};
    c.trace = fsim_pubsub_attribute_get(msg, "traceId");
    if (!c.trace)
        c.trace = fsim_pubsub_attribute_get(msg, "requestId");
    ps_outcome out = PS_NACK;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        return PS_NACK;
    char source[160];
    snprintf(source, sizeof source, "message %s", msg->message_id ? msg->message_id : "?");

    /* An id in the attributes lets even an undecodable message fail its row. */
    const char *attr_id = fsim_pubsub_attribute_get(msg, "simulationId");
    fsim_job_message *jm = NULL;
    fsim_status st = fsim_job_message_decode(msg->data, msg->len, source, 0, arena, &jm, &err);
    if (jm && jm->simulation_id)
        c.id = jm->simulation_id;
    else if (attr_id && strlen(attr_id) == 36)
        c.id = attr_id;

    fsim_store *store = get_store(w, &err);
    if (!store) {
        ps_log(w, "WARNING", c.trace, c.message_id, c.id,
               "database unavailable, message nacked: %s", err.message);
        goto done;
    }
    if (st != FSIM_OK) {
        out = fail_permanently(&c, store, &err, "invalid_message");
        goto done;
    }

    /* The row: given, or created once per message id. */
    char id[FSIM_STORE_ID_LEN] = "";
    if (!c.id) {
        char hash[65];
        sha256_hex(msg->data, msg->len, hash);
        const char *key = fsim_arena_sprintf(arena, "pubsub:%s", msg->message_id);
        fsim_store_new_simulation ns = {.request = &jm->request, .idempotency_key = key,
                                        .request_hash = hash, .trace_id = c.trace,
                                        .result_mode = fsim_job_mode_name(jm->mode),
                                        .published = true};
        fsim_store_create_outcome oc;
        st = fsim_store_create_simulation(store, &ns, id, &oc, &err);
        if (st != FSIM_OK) {
            if (fsim_pubsub_transient(st) || st == FSIM_NOMEM) {
                ps_log(w, "WARNING", c.trace, c.message_id, NULL,
                       "could not create the simulation row, message nacked: %s", err.message);
                goto done;
            }
            out = fail_permanently(&c, store, &err, "invalid_request");
            goto done;
        }
        c.id = id;
    }

    fsim_store_job *job = NULL;
    fsim_run_status current = FSIM_RUN_QUEUED;
    st = fsim_store_claim(store, c.id, w->cfg.lease_s, arena, &job, &current, &err);
    if (st != FSIM_OK) {
        if (fsim_pubsub_transient(st) || st == FSIM_NOMEM) {
            ps_log(w, "WARNING", c.trace, c.message_id, c.id,
                   "could not claim the job, message nacked: %s", err.message);
            goto done;
        }
        out = fail_permanently(&c, NULL, &err, "not_found");
        goto done;
    }
    if (!job) {
        if (current == FSIM_RUN_RUNNING || current == FSIM_RUN_QUEUED) {
            ps_log(w, "INFO", c.trace, c.message_id, c.id,
                   "job is running elsewhere; offered again in %d s", w->cfg.retry_delay_s);
            out = PS_RETRY_LATER;
        } else {
            ps_log(w, "INFO", c.trace, c.message_id, c.id,
                   "job already %s: acked without re-running", fsim_run_status_name(current));
            out = PS_ACK;
        }
        goto done;
    }
    if (!c.trace)
        c.trace = job->trace_id;
    if (job->attempts > w->cfg.max_attempts) {
        fsim_error_set(&err, FSIM_INVALID, NULL, 0, 0, NULL,
                       "gave up after %d attempts (FLEETSIM_PUBSUB_MAX_ATTEMPTS); the last one "
                       "ended without a result (the worker stopped or lost the database)",
                       job->attempts - 1);
        out = fail_permanently(&c, store, &err, "too_many_attempts");
        goto done;
    }
    /* before the run: a worker that cannot store the result should not spend the time */
    if (jm->mode == FSIM_MODE_GCS && !w->gcs) {
        fsim_error_set(&err, FSIM_INVALID, NULL, 0, 0, "mode",
                       "mode \"gcs\" needs a bucket: FLEETSIM_GCS_BUCKET is not set on this "
                       "worker");
        out = fail_permanently(&c, store, &err, "gcs_not_configured");
        goto done;
    }

    ps_log(w, "INFO", c.trace, c.message_id, c.id, "job started (attempt %d)", job->attempts);
    clock_gettime(CLOCK_MONOTONIC, &c.last_beat);
    fsim_runner_options ro = {.config_dir = w->cfg.config_dir,
                              .env_overrides_json = w->cfg.config_overrides,
                              .source = source, .trace_id = c.trace,
                              .progress = on_progress, .progress_user = &c};
    fsim_result *res = NULL;
    st = fsim_runner_run(job->request, &ro, arena, &res, &err);
    if (st == FSIM_CANCELLED) {
        ps_log(w, c.stop ? "INFO" : "WARNING", c.trace, c.message_id, c.id,
               c.stop ? "job cancelled or taken over: acked" : "job interrupted by shutdown: nacked");
        out = c.stop ? PS_ACK : PS_NACK;
        if (!c.stop) /* another worker may take it over now, not when the lease runs out */
            fsim_store_release(store, c.id, &err);
        goto done;
    }
    if (st == FSIM_INVALID || st == FSIM_NOT_FOUND || st == FSIM_USAGE) {
        out = fail_permanently(&c, store, &err, "invalid_request");
        goto done;
    }
    if (st != FSIM_OK) {
        out = retry_or_give_up(&c, store, job->attempts, "job run failed", &err);
        goto done;
    }
    res->simulation_id = c.id;
    if (jm->mode == FSIM_MODE_GCS) {
        out = store_gcs(&c, store, job->attempts, res);
        goto done;
    }
    st = fsim_store_finish(store, c.id, res, &err);
    if (st == FSIM_OK) {
        atomic_fetch_add(&w->jobs_done, 1);
        ps_log(w, "INFO", c.trace, c.message_id, c.id, "job succeeded");
        out = PS_ACK;
    } else if (st == FSIM_CANCELLED || st == FSIM_NOT_FOUND) {
        ps_log(w, "INFO", c.trace, c.message_id, c.id, "job result not stored (%s): acked",
               err.message);
        out = PS_ACK;
    } else {
        out = retry_or_give_up(&c, store, job->attempts, "could not store the result", &err);
    }
done:
    fsim_arena_free(arena);
    return out;
}

ps_outcome ps_job_reject(ps_worker *w, const fsim_pubsub_message *msg, const fsim_error *why)
{
    job_ctx c = {.w = w, .message_id = msg->message_id};
    c.trace = fsim_pubsub_attribute_get(msg, "traceId");
    if (!c.trace)
        c.trace = fsim_pubsub_attribute_get(msg, "requestId");
    const char *attr_id = fsim_pubsub_attribute_get(msg, "simulationId");
    if (attr_id && strlen(attr_id) == 36)
        c.id = attr_id;
    fsim_error err;
    fsim_store *store = c.id ? get_store(w, &err) : NULL;
    if (c.id && !store) {
        ps_log(w, "WARNING", c.trace, c.message_id, c.id,
               "database unavailable, message nacked: %s", err.message);
        return PS_NACK;
    }
    return fail_permanently(&c, store, why, "invalid_message");
}
