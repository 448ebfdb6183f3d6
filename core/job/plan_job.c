/* A depot plan's life as a job: submit (the plan checked as `fleetsim plan` checks it, the
 * rows written), publish its batches, run a batch (claim under a lease, heartbeats, the
 * variants through fsim_plan_run_range, the outcome stored once) and compose the answer in
 * the transaction that stores the last batch. The exactly-once argument is in docs/plan.md
 * ("As a job"); the SQL is the store's (store_plans.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fleetsim/job_error.h>
#include <fleetsim/plan.h>
#include <fleetsim/plan_job.h>
#include <fleetsim/pubsub.h>

#include "job_internal.h"

/* Messages per Publish call, and batches looked up per pass. */
#define PUBLISH_CHUNK 100
#define PUBLISH_PASS 1000

static fsim_status nomem(fsim_error *err)
{
    return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
}

/* ---- Submit --------------------------------------------------------------------------------- */

fsim_status fsim_plan_job_submit(const fsim_services *svc, const fsim_runner_options *runner,
                                 const fsim_request *request, const char *trace_id,
                                 bool pubsub, char id[FSIM_STORE_ID_LEN], int *batches,
                                 fsim_error *err)
{
    if (!request->plan || request->plan->n_vary == 0)
        return fsim_error_set(err, FSIM_INVALID, runner->source, 0, 0, "plan.vary",
                              "a plan job needs the plan block's vary specs (what to vary)");
    fsim_plan *plan = NULL;
    fsim_status st = fsim_plan_new(request, NULL, 0, runner, &plan, err);
    if (st != FSIM_OK)
        return st;
    size_t variants = fsim_plan_variants(plan);
    fsim_plan_free(plan);
    const fsim_plan_spec *ps = request->plan;
    fsim_store_new_plan np = {
        .request = request,
        .variants = (int)variants,
        .batch_variants = ps->has_batch_variants ? ps->batch_variants
                                                 : FSIM_PLAN_JOB_BATCH_VARIANTS,
        .trace_id = trace_id,
        .pubsub = pubsub};
    st = fsim_store_plan_create(svc->store, &np, id, batches, err);
    if (st == FSIM_OK)
        fsim__job_log(svc, "INFO", trace_id, NULL, "plan %s: queued, %zu variants in %d batches%s",
                      id, variants, (np.variants + np.batch_variants - 1) / np.batch_variants,
                      pubsub ? " for Pub/Sub workers" : "");
    return st;
}

/* ---- Publish -------------------------------------------------------------------------------- */

/* Publishes batches[0..n−1] of the plan (chunks of PUBLISH_CHUNK) and marks those that went
 * out; stops at the first failure. */
static fsim_status publish_batches(const fsim_services *svc, const char *plan_id,
                                   const int *batches, size_t n, const char *trace,
                                   int *published, fsim_error *err)
{
    fsim_status st = FSIM_OK;
    for (size_t at = 0; st == FSIM_OK && at < n; at += PUBLISH_CHUNK) {
        size_t k = n - at < PUBLISH_CHUNK ? n - at : PUBLISH_CHUNK;
        fsim_pubsub_message msgs[PUBLISH_CHUNK];
        fsim_pubsub_attribute attrs[PUBLISH_CHUNK][4];
        char *data[PUBLISH_CHUNK] = {0};
        char index[PUBLISH_CHUNK][16];
        for (size_t i = 0; i < k && st == FSIM_OK; i++) {
            fsim_plan_batch_message m = {.plan_id = plan_id, .batch = batches[at + i]};
            size_t len = 0;
            if (!(data[i] = fsim_wire_encode(FSIM_WIRE_PLAN_BATCH_MESSAGE, &m, 0, &len))) {
                st = nomem(err);
                break;
            }
            snprintf(index[i], sizeof index[i], "%d", batches[at + i]);
            attrs[i][0] = (fsim_pubsub_attribute){"kind", "plan-batch"};
            attrs[i][1] = (fsim_pubsub_attribute){"planId", plan_id};
            attrs[i][2] = (fsim_pubsub_attribute){"batch", index[i]};
            attrs[i][3] = (fsim_pubsub_attribute){"traceId", trace};
            msgs[i] = (fsim_pubsub_message){.data = data[i], .len = len,
                                            .attributes = attrs[i],
                                            .n_attributes = trace ? 4 : 3};
        }
        if (st == FSIM_OK)
            st = fsim_pubsub_publish(svc->pubsub, svc->topic, msgs, k, NULL, NULL, err);
        for (size_t i = 0; i < k; i++)
            free(data[i]);
        if (st != FSIM_OK)
            break;
        if (published)
            *published += (int)k;
        fsim_error e;
        fsim_error_clear(&e);
        if (fsim_store_plan_mark_published(svc->store, plan_id, batches + at, k, &e) != FSIM_OK)
            fsim__job_log(svc, "WARNING", trace, NULL,
                          "plan %s: published, but could not record it (may go out again): %s",
                          plan_id, e.message);
    }
    return st;
}

fsim_status fsim_plan_job_publish(const fsim_services *svc, const char *plan_id,
                                  const char *trace_id, int *published, fsim_error *err)
{
    if (published)
        *published = 0;
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        return nomem(err);
    fsim_status st;
    for (;;) {
        int *batches = NULL;
        size_t n = 0;
        st = fsim_store_plan_unpublished(svc->store, plan_id, 0, PUBLISH_PASS, arena, NULL,
                                         &batches, &n, err);
        if (st != FSIM_OK || n == 0)
            break;
        st = publish_batches(svc, plan_id, batches, n, trace_id, published, err);
        if (st != FSIM_OK || n < PUBLISH_PASS)
            break;
    }
    fsim_arena_free(arena);
    if (st == FSIM_OK)
        fsim__job_log(svc, "INFO", trace_id, NULL, "plan %s: batches published to %s", plan_id,
                      svc->topic);
    return st;
}

void fsim_plan_job_relay(const fsim_services *svc, double min_age_s)
{
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        return;
    fsim_error err;
    fsim_error_clear(&err);
    const char *plan_id = NULL;
    int *batches = NULL;
    size_t n = 0;
    int sent = 0;
    if (fsim_store_plan_unpublished(svc->store, NULL, min_age_s, PUBLISH_PASS, arena, &plan_id,
                                    &batches, &n, &err) == FSIM_OK &&
        n > 0) {
        if (publish_batches(svc, plan_id, batches, n, NULL, &sent, &err) == FSIM_OK)
            fsim__job_log(svc, "INFO", NULL, NULL, "plan %s: relayed %d batch messages", plan_id,
                          sent);
        else
            fsim__job_log(svc, "WARNING", NULL, NULL,
                          "plan %s: relaying its batches failed (tried again later): %s",
                          plan_id, err.message);
    }
    fsim_arena_free(arena);
}

/* ---- Compose: called by the store inside the last batch's transaction ----------------------- */

typedef struct compose_ctx {
    const fsim_plan *plan;
    const char *plan_id;
} compose_ctx;

/* Every batch's designs, decoded through the codec, into the one answer — the same
 * fsim_plan_compose `fleetsim plan` ends with — encoded as the codec encodes it. Pure. */
static fsim_status compose(void *user, const char *const *outcomes, size_t n, char **result,
                           fsim_error *err)
{
    compose_ctx *c = user;
    *result = NULL;
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        return nomem(err);
    fsim_plan_batch_outcome **parts = fsim_arena_calloc(arena, n ? n : 1, sizeof *parts);
    fsim_status st = parts ? FSIM_OK : nomem(err);
    size_t total = 0;
    for (size_t i = 0; st == FSIM_OK && i < n; i++) {
        void *p = NULL;
        st = fsim_wire_decode(FSIM_WIRE_PLAN_BATCH_OUTCOME, outcomes[i], strlen(outcomes[i]),
                              "plan_batches.outcome", 0, arena, &p, err);
        parts[i] = p;
        if (st == FSIM_OK)
            total += parts[i]->n_designs;
    }
    fsim_plan_design *designs =
        st == FSIM_OK ? fsim_arena_calloc(arena, total ? total : 1, sizeof *designs) : NULL;
    if (st == FSIM_OK && !designs)
        st = nomem(err);
    size_t at = 0;
    for (size_t i = 0; st == FSIM_OK && i < n; i++)
        for (size_t j = 0; j < parts[i]->n_designs; j++)
            designs[at++] = parts[i]->designs[j];
    fsim_plan_result *res = NULL;
    if (st == FSIM_OK)
        st = fsim_plan_compose(c->plan, designs, at, arena, &res, err);
    if (st == FSIM_OK && !(*result = fsim_wire_encode(FSIM_WIRE_PLAN_RESULT, res, 0, NULL)))
        st = nomem(err);
    fsim_arena_free(arena);
    return st;
}

/* ---- Run a batch ------------------------------------------------------------------------------ */

static double since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The plan fails for good, with `code` and the reason; the row says so. */
static fsim_job_outcome fail_plan(const fsim_services *svc, const fsim_store_plan_batch *b,
                                  const char *plan_id, fsim_job_error code, const char *field,
                                  const char *message, fsim_error *err)
{
    const char *trace = b ? b->trace_id : NULL;
    fsim_api_error ae = {.code = fsim_job_error_code(code), .message = message,
                         .field = field && *field ? field : NULL, .request_id = trace};
    fsim_error e;
    fsim_error_clear(&e);
    if (fsim_store_plan_fail(svc->store, plan_id, &ae, &e) != FSIM_OK) {
        fsim__job_log(svc, "WARNING", trace, NULL,
                      "plan %s: could not mark it failed (will retry): %s", plan_id, e.message);
        *err = e;
        return FSIM_JOB_UNRECORDED;
    }
    fsim__job_log(svc, "ERROR", trace, NULL, "plan %s: failed (%s): %s", plan_id, ae.code,
                  message);
    fsim_error_set(err, FSIM_INVALID, NULL, 0, 0, ae.field, "%s", message);
    return FSIM_JOB_FAILED;
}

/* A transient failure: the batch goes back (its lease ends at once) for the next delivery. */
static fsim_job_outcome hand_back(const fsim_services *svc, const fsim_store_plan_batch *b,
                                  const char *why)
{
    fsim__job_log(svc, "WARNING", b->trace_id, NULL,
                  "plan %s: batch %d handed back (attempt %d): %s", b->plan_id, b->batch,
                  b->attempts, why);
    fsim_error e;
    fsim_error_clear(&e);
    fsim_store_plan_release(svc->store, b->plan_id, b->batch, &e);
    return FSIM_JOB_HANDED_BACK;
}

static bool stopping(const fsim_job_run_options *o)
{
    return o->stopping && o->stopping(o->stopping_user);
}

/* Runs the claimed batch `b` variant by variant (a heartbeat at most once a second between
 * them), stores its outcome, composes when it was the last. */
static fsim_job_outcome run_claimed(const fsim_job_run_options *o, const fsim_store_plan_batch *b,
                                    fsim_arena *arena, fsim_error *err)
{
    const fsim_services *svc = o->services;
    const fsim_plan *plan = NULL;
    fsim__plan_ref *ref = NULL;
    char text[1200];
    fsim_status st = fsim__plan_cache_get(b->plan_id, b->request, &o->runner, &plan, &ref, err);
    if (st == FSIM_NOMEM)
        return hand_back(svc, b, err->message);
    if (st != FSIM_OK) { /* the config changed under a queued plan: it cannot run here */
        fsim_error_format(err, text, sizeof text);
        return fail_plan(svc, b, b->plan_id, fsim_job_error_from_status(st), err->path, text,
                         err);
    }
    fsim_job_outcome out = FSIM_JOB_SUCCEEDED;
    fsim_plan_design *designs = fsim_arena_calloc(arena, (size_t)b->count, sizeof *designs);
    if (!designs) {
        out = hand_back(svc, b, "out of memory");
        goto done;
    }
    struct timespec beat;
    clock_gettime(CLOCK_MONOTONIC, &beat);
    for (int i = 0; i < b->count; i++) {
        if (stopping(o)) {
            hand_back(svc, b, "interrupted by shutdown");
            fsim_error_set(err, FSIM_CANCELLED, NULL, 0, 0, NULL, "interrupted by shutdown");
            out = FSIM_JOB_INTERRUPTED;
            goto done;
        }
        st = fsim_plan_run_range(plan, (size_t)(b->first + i), 1, arena, &designs[i], err);
        if (st == FSIM_NOMEM) {
            out = hand_back(svc, b, err->message);
            goto done;
        }
        if (st != FSIM_OK) {
            fsim_error_format(err, text, sizeof text);
            out = fail_plan(svc, b, b->plan_id, FSIM_JOB_ERR_INTERNAL, NULL, text, err);
            goto done;
        }
        if (since(&beat) >= FSIM_JOB_HEARTBEAT_SECONDS) {
            clock_gettime(CLOCK_MONOTONIC, &beat);
            bool keep = true;
            fsim_error e;
            fsim_error_clear(&e);
            fsim_store_plan_heartbeat(svc->store, b->plan_id, b->batch,
                                      o->policy->lease_seconds, &keep, &e);
            if (!keep) {
                fsim__job_log(svc, "INFO", b->trace_id, NULL,
                              "plan %s: batch %d taken over or its plan ended: not stored",
                              b->plan_id, b->batch);
                out = FSIM_JOB_STOPPED;
                goto done;
            }
        }
    }
    fsim_plan_batch_outcome oc = {.batch = b->batch, .designs = designs,
                                  .n_designs = (size_t)b->count};
    char *json = fsim_wire_encode(FSIM_WIRE_PLAN_BATCH_OUTCOME, &oc, 0, NULL);
    if (!json) {
        out = hand_back(svc, b, "out of memory");
        goto done;
    }
    compose_ctx cc = {.plan = plan, .plan_id = b->plan_id};
    bool stored = false, composed = false;
    st = fsim_store_plan_finish_batch(svc->store, b->plan_id, b->batch, json, compose, &cc,
                                      &stored, &composed, err);
    free(json);
    if (st != FSIM_OK && fsim_job_error_retryable(fsim_job_error_from_status(st))) {
        out = hand_back(svc, b, err->message);
    } else if (st != FSIM_OK) {
        fsim_error_format(err, text, sizeof text);
        out = fail_plan(svc, b, b->plan_id, fsim_job_error_from_status(st), NULL, text, err);
    } else {
        fsim__job_log(svc, "INFO", b->trace_id, NULL,
                      "plan %s: batch %d (variants %d..%d) %s%s", b->plan_id, b->batch,
                      b->first, b->first + b->count - 1,
                      stored ? "stored" : "was stored already: nothing changed",
                      composed ? "; the last one: plan composed, succeeded" : "");
    }
done:
    fsim__plan_cache_put(ref);
    return out;
}

fsim_job_outcome fsim_plan_job_run_batch(const fsim_job_run_options *o, const char *plan_id,
                                         int batch, fsim_arena *arena,
                                         fsim_store_batch_state *state, fsim_error *err)
{
    const fsim_services *svc = o->services;
    fsim_store_plan_batch *b = NULL;
    fsim_store_batch_state why = FSIM_BATCH_RUNNING;
    fsim_status st = fsim_store_plan_claim(svc->store, plan_id, batch, o->policy->lease_seconds,
                                           o->policy->max_attempts, arena, &b, &why, err);
    if (state)
        *state = why;
    if (st == FSIM_NOT_FOUND)
        return FSIM_JOB_NOT_CLAIMED;
    if (st != FSIM_OK)
        return fsim_job_error_retryable(fsim_job_error_from_status(st)) ? FSIM_JOB_UNRECORDED
                                                                        : FSIM_JOB_FAILED;
    if (b)
        return run_claimed(o, b, arena, err);
    if (why == FSIM_BATCH_DONE) {
        fsim__job_log(svc, "INFO", NULL, NULL,
                      "plan %s: batch %d was stored already: nothing to do", plan_id, batch);
        return FSIM_JOB_SUCCEEDED;
    }
    if (why == FSIM_BATCH_EXHAUSTED) {
        char message[400];
        snprintf(message, sizeof message,
                 "batch %d: gave up after %d attempts (%s); its workers stopped before storing it",
                 batch, o->policy->max_attempts,
                 o->policy->max_attempts_name ? o->policy->max_attempts_name : "max attempts");
        return fail_plan(svc, NULL, plan_id, FSIM_JOB_ERR_ATTEMPTS_EXHAUSTED, NULL, message,
                         err);
    }
    return FSIM_JOB_NOT_CLAIMED;
}

fsim_job_outcome fsim_plan_job_run_next(const fsim_job_run_options *o, fsim_arena *arena,
                                        bool *ran, fsim_error *err)
{
    *ran = false;
    fsim_store_plan_batch *b = NULL;
    fsim_status st = fsim_store_plan_claim_next(o->services->store, o->policy->lease_seconds,
                                                o->policy->max_attempts, arena, &b, err);
    if (st != FSIM_OK) {
        fsim__job_log(o->services, "WARNING", NULL, NULL, "could not claim a plan batch: %s",
                      err->message);
        return FSIM_JOB_UNRECORDED;
    }
    if (!b)
        return FSIM_JOB_SUCCEEDED;
    *ran = true;
    return run_claimed(o, b, arena, err);
}
