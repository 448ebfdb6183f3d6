/* The plan job's store (store_plans.c) against a real PostgreSQL: the exactly-once argument
 * of docs/plan.md ("As a job") checked where it lives. A plan of 12 batches; 4 threads each
 * store every batch's outcome (each in its own order: every batch 4 times, concurrently): every
 * batch is stored once (12 "stored" answers in all), exactly one finisher composes, its result
 * is what the compose callback made, and the outcome rows are the first writer's; a claim of
 * a done batch says done, of a running one running; a lease that ran out is claimed again
 * (attempts 2), and max attempts reached says exhausted. Run under with_postgres.sh. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fleetsim/store.h>
#include <fleetsim/util.h>

#include "check.h"

#pragma GCC diagnostic ignored "-Wformat-truncation"

#define BATCHES 12
#define THREADS 4

static fsim_store *store;
static char plan_id[FSIM_STORE_ID_LEN];
static atomic_int stored_total, composed_total, compose_calls;

/* The "answer": how many outcomes it saw, so the test knows it saw all of them. */
static fsim_status compose(void *user, const char *const *outcomes, size_t n, char **result,
                           fsim_error *err)
{
    (void)user;
    (void)outcomes;
    atomic_fetch_add(&compose_calls, 1);
    char text[256];
    snprintf(text, sizeof text, "{\"name\":\"composed from %zu\",\"front\":[],\"waitFront\":[],"
             "\"variants\":%d,\"evaluated\":%d,\"pruned\":0,\"infeasible\":0,\"rejected\":[],"
             "\"warnings\":[]}", n, BATCHES, BATCHES);
    *result = strdup(text);
    return *result ? FSIM_OK : fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
}

/* Stores every batch, starting at a thread's own offset. */
static void *finisher(void *arg)
{
    int t = (int)(long)arg;
    for (int k = 0; k < BATCHES; k++) {
        int b = (k * 5 + t * 3) % BATCHES;
        char outcome[64];
        snprintf(outcome, sizeof outcome, "{\"batch\":%d,\"designs\":[],\"by\":%d}", b, t);
        bool stored = false, composed = false;
        fsim_error err;
        fsim_error_clear(&err);
        if (fsim_store_plan_finish_batch(store, plan_id, b, outcome, compose, NULL, &stored,
                                         &composed, &err) != FSIM_OK)
            printf("# finish %d: %s\n", b, err.message);
        atomic_fetch_add(&stored_total, stored);
        atomic_fetch_add(&composed_total, composed);
    }
    return NULL;
}

int main(void)
{
    fsim_error err;
    fsim_error_clear(&err);
    fsim_arena *arena = fsim_arena_new();
    fsim_store_options so = {.pool_size = THREADS + 1, .max_retries = 5};
    if (fsim_store_open(getenv("DATABASE_URL"), &so, &store, &err) != FSIM_OK ||
        fsim_store_migrate(store, getenv("FSIM_MIGRATIONS_DIR"), NULL, NULL, NULL, &err) !=
            FSIM_OK) {
        printf("Bail out! %s\n", err.message);
        return 1;
    }
    char fleet[FSIM_STORE_ID_LEN];
    fsim_store_create_fleet(store, "plan fleet", NULL, fleet, NULL, &err);
    fsim_depot_spec depot = {.id = "hub"};
    const char *dep[] = {"08:00"};
    fsim_vehicle_group vg = {.type = "compact-car", .has_count = true, .count = 1,
                             .depot = "hub", .route_id = "highway-run", .departures = dep,
                             .n_departures = 1, .initial_soc = 0.9, .target_soc = 0.9};
    const char *vary[] = {"hub.ac-7kw=0..11"};
    fsim_plan_spec ps = {.vary = vary, .n_vary = 1};
    fsim_request req = {.fleet_id = fleet, .name = "store test", .start = 1772409600, .days = 1,
                        .step_seconds = 60, .output_interval_seconds = 3600,
                        .depots = &depot, .n_depots = 1, .vehicles = &vg, .n_vehicles = 1,
                        .plan = &ps};
    fsim_store_new_plan np = {.request = &req, .variants = BATCHES, .batch_variants = 1};
    int batches = 0;
    CHECK(fsim_store_plan_create(store, &np, plan_id, &batches, &err) == FSIM_OK &&
              batches == BATCHES,
          "a plan of %d batches (%s)", BATCHES, err.message);

    /* claims: by id, a running one, a lease that ran out, attempts exhausted */
    fsim_store_plan_batch *b = NULL;
    fsim_store_batch_state st = FSIM_BATCH_DONE;
    CHECK(fsim_store_plan_claim(store, plan_id, 0, 1, 2, arena, &b, &st, &err) == FSIM_OK && b &&
              b->attempts == 1 && b->first == 0 && b->count == 1 && b->variants == BATCHES &&
              b->request && strcmp(b->request->name, "store test") == 0,
          "batch 0 claimed: attempt 1, its variant, the plan's request");
    CHECK(fsim_store_plan_claim(store, plan_id, 0, 1, 2, arena, &b, &st, &err) == FSIM_OK && !b &&
              st == FSIM_BATCH_RUNNING,
          "claimed again while leased: running elsewhere");
    sleep(2);
    CHECK(fsim_store_plan_claim(store, plan_id, 0, 1, 2, arena, &b, &st, &err) == FSIM_OK && b &&
              b->attempts == 2,
          "its lease ran out: taken over (attempt 2)");
    sleep(2);
    CHECK(fsim_store_plan_claim(store, plan_id, 0, 1, 2, arena, &b, &st, &err) == FSIM_OK && !b &&
              st == FSIM_BATCH_EXHAUSTED,
          "ran out again after 2 of 2 attempts: exhausted");
    fsim_plan_status *status = NULL;
    CHECK(fsim_store_plan_status(store, plan_id, arena, &status, &err) == FSIM_OK &&
              status->status == FSIM_RUN_RUNNING && status->batches_done == 0,
          "the plan runs, no batch done");

    /* every batch stored by 4 threads at once */
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++)
        pthread_create(&th[t], NULL, finisher, (void *)t);
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    CHECK(atomic_load(&stored_total) == BATCHES, "every batch stored once (%d stores of %d)",
          atomic_load(&stored_total), BATCHES * THREADS);
    CHECK(atomic_load(&composed_total) == 1, "exactly one finisher composed (%d)",
          atomic_load(&composed_total));
    CHECK(atomic_load(&compose_calls) >= 1, "compose ran (%d calls, retries included)",
          atomic_load(&compose_calls));
    fsim_plan_result *res = NULL;
    CHECK(fsim_store_plan_result(store, plan_id, arena, &res, &err) == FSIM_OK && res->name &&
              strcmp(res->name, "composed from 12") == 0,
          "the result is the composition of all 12 outcomes (%s)", res ? res->name : err.message);
    CHECK(fsim_store_plan_status(store, plan_id, arena, &status, &err) == FSIM_OK &&
              status->status == FSIM_RUN_SUCCEEDED && status->batches_done == BATCHES &&
              status->progress == 1 && status->has_finished_at,
          "the plan succeeded, 12 of 12 batches, progress 1");
    CHECK(fsim_store_plan_claim(store, plan_id, 3, 30, 5, arena, &b, &st, &err) == FSIM_OK && !b &&
              st == FSIM_BATCH_DONE,
          "a batch delivered again after the end: done");
    bool stored = true, composed = true;
    CHECK(fsim_store_plan_finish_batch(store, plan_id, 3, "{\"batch\":3,\"designs\":[]}",
                                       compose, NULL, &stored, &composed, &err) == FSIM_OK &&
              !stored && !composed,
          "storing it again: nothing stored, nothing composed");
    CHECK(fsim_store_plan_claim(store, plan_id, BATCHES, 30, 5, arena, &b, &st, &err) ==
              FSIM_NOT_FOUND,
          "a batch the plan does not have: not found");
    fsim_store_close(store);
    fsim_arena_free(arena);
    return check_done();
}
