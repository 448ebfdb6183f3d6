/* The plans a process is running batches of, prepared once. Preparing a plan (config,
 * routes, energy profiles) is the slow part and the same for every batch of it, so a worker
 * that takes batch after batch of one plan prepares it once. A few plans are kept, each
 * with a reference count; the least recently used unreferenced one makes room. A plan is
 * safe to run from several threads at once (fsim_plan_run_range), so threads share it. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/plan.h>
#include <fleetsim/plan_job.h>

#include "job_internal.h"

#define CACHE_SLOTS 4

struct fsim__plan_ref {
    char plan_id[FSIM_STORE_ID_LEN];
    fsim_arena *arena;            /* the request the plan borrows */
    fsim_plan *plan;
    int refs;
    unsigned long used;           /* a tick of the last get */
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct fsim__plan_ref slots[CACHE_SLOTS];
static unsigned long tick;

static void slot_clear(struct fsim__plan_ref *s)
{
    fsim_plan_free(s->plan);
    fsim_arena_free(s->arena);
    memset(s, 0, sizeof *s);
}

/* A free slot, or the least recently used unreferenced one emptied; NULL when every plan
 * is in use (then the caller builds one of its own for this batch). */
static struct fsim__plan_ref *free_slot(void)
{
    struct fsim__plan_ref *pick = NULL;
    for (int i = 0; i < CACHE_SLOTS; i++) {
        if (!slots[i].plan)
            return &slots[i];
        if (slots[i].refs == 0 && (!pick || slots[i].used < pick->used))
            pick = &slots[i];
    }
    if (pick)
        slot_clear(pick);
    return pick;
}

/* Builds the plan into `s` (its own copy of the request). */
static fsim_status build(struct fsim__plan_ref *s, const char *plan_id,
                         const fsim_request *request, const fsim_runner_options *runner,
                         fsim_error *err)
{
    memset(s, 0, sizeof *s);
    s->arena = fsim_arena_new();
    void *copy = NULL;
    fsim_status st = s->arena ? fsim_wire_copy(FSIM_WIRE_REQUEST, request, s->arena, &copy, err)
                              : fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    if (st == FSIM_OK)
        st = fsim_plan_new(copy, NULL, 0, runner, &s->plan, err);
    if (st != FSIM_OK) {
        slot_clear(s);
        return st;
    }
    memcpy(s->plan_id, plan_id, FSIM_STORE_ID_LEN);
    return FSIM_OK;
}

fsim_status fsim__plan_cache_get(const char *plan_id, const fsim_request *request,
                                 const fsim_runner_options *runner, const fsim_plan **plan,
                                 fsim__plan_ref **ref, fsim_error *err)
{
    *plan = NULL;
    *ref = NULL;
    pthread_mutex_lock(&cache_mu);
    struct fsim__plan_ref *s = NULL;
    for (int i = 0; i < CACHE_SLOTS && !s; i++)
        if (slots[i].plan && strcmp(slots[i].plan_id, plan_id) == 0)
            s = &slots[i];
    fsim_status st = FSIM_OK;
    if (!s) {
        /* built under the lock: a second thread wanting the same plan waits and shares it */
        s = free_slot();
        if (!s) {
            s = calloc(1, sizeof *s);
            if (!s) {
                pthread_mutex_unlock(&cache_mu);
                return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
            }
            st = build(s, plan_id, request, runner, err);
            pthread_mutex_unlock(&cache_mu);
            if (st != FSIM_OK) {
                free(s);
                return st;
            }
            s->refs = -1; /* not in the cache: freed by its put */
            *plan = s->plan;
            *ref = s;
            return FSIM_OK;
        }
        st = build(s, plan_id, request, runner, err);
    }
    if (st == FSIM_OK) {
        s->refs++;
        s->used = ++tick;
        *plan = s->plan;
        *ref = s;
    }
    pthread_mutex_unlock(&cache_mu);
    return st;
}

void fsim__plan_cache_put(fsim__plan_ref *ref)
{
    if (!ref)
        return;
    pthread_mutex_lock(&cache_mu);
    if (ref->refs < 0) {
        slot_clear(ref);
        free(ref);
    } else {
        ref->refs--;
    }
    pthread_mutex_unlock(&cache_mu);
}

void fsim_plan_job_cache_clear(void)
{
    pthread_mutex_lock(&cache_mu);
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (slots[i].plan && slots[i].refs == 0)
            slot_clear(&slots[i]);
    pthread_mutex_unlock(&cache_mu);
}
