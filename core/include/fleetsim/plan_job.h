/* fleetsim — a depot plan as a job (POST /v1/plans, docs/plan.md "As a job").
 *
 * submit (the plan built once to check it: a bad spec is FSIM_INVALID naming the part; a
 * `plans` row and its batches) → each batch claimed under a lease (by id from a Pub/Sub
 * message, or the next open one by the API's own workers), its variants run with
 * fsim_plan_run_range, its PlanBatchOutcome stored once → the transaction that stores the
 * last batch composes the PlanResult (fsim_plan_compose), the same answer `fleetsim plan`
 * gives. Every step is idempotent, so duplicate deliveries and killed workers change
 * nothing. The programs keep their transport; the life of a plan job is here. */
#ifndef FLEETSIM_PLAN_JOB_H
#define FLEETSIM_PLAN_JOB_H

#include <stdbool.h>

#include <fleetsim/arena.h>
#include <fleetsim/error.h>
#include <fleetsim/job.h>
#include <fleetsim/store.h>
#include <fleetsim/wire.h>

/* Variants per batch when the request's plan block does not say (plan.batchVariants). */
#define FSIM_PLAN_JOB_BATCH_VARIANTS 25

/* Checks `request` (borrowed) as `fleetsim plan` would — a plan block with at least one
 * `vary` spec, every spec valid, the variants within FSIM_PLAN_MAX_VARIANTS: else
 * FSIM_INVALID naming the part (`plan.vary[0]: unknown depot "south" (known: north)`) —
 * and creates the queued plan and its batches, for Pub/Sub workers when `pubsub`. id gets
 * the plan's; *batches (may be NULL) their count. */
fsim_status fsim_plan_job_submit(const fsim_services *svc, const fsim_runner_options *runner,
                                 const fsim_request *request, const char *trace_id,
                                 bool pubsub, char id[FSIM_STORE_ID_LEN], int *batches,
                                 fsim_error *err);

/* Publishes a PlanBatchMessage (attribute kind=plan-batch) for each batch of plan `plan_id`
 * not yet published, to svc->topic, and marks them published. Those that fail stay for
 * fsim_plan_job_relay. *published (may be NULL) counts those that went out. */
fsim_status fsim_plan_job_publish(const fsim_services *svc, const char *plan_id,
                                  const char *trace_id, int *published, fsim_error *err);

/* One pass of the relay: publishes the unpublished batches of the oldest Pub/Sub plan
 * created more than `min_age_s` seconds ago (a publish that failed at submit). */
void fsim_plan_job_relay(const fsim_services *svc, double min_age_s);

/* Claims batch `batch` of `plan_id` and runs it (o->policy's lease and attempts; heartbeats;
 * o->stopping). SUCCEEDED: its outcome is stored (and the plan composed when it was the
 * last) — or it already was, by an earlier delivery: *state FSIM_BATCH_DONE.
 * NOT_CLAIMED: leased elsewhere (*state RUNNING: offer it again later), or its plan is over
 * (*state PLAN_FINISHED); err->status FSIM_NOT_FOUND when no such plan or batch. FAILED: the
 * plan failed for good (its row says why). HANDED_BACK / UNRECORDED / INTERRUPTED: try again
 * later. `state` may be NULL. */
fsim_job_outcome fsim_plan_job_run_batch(const fsim_job_run_options *o, const char *plan_id,
                                         int batch, fsim_arena *arena,
                                         fsim_store_batch_state *state, fsim_error *err);

/* Claims the next open batch of a plan the API's workers run (not Pub/Sub) and runs it.
 * *ran false when there was none. */
fsim_job_outcome fsim_plan_job_run_next(const fsim_job_run_options *o, fsim_arena *arena,
                                        bool *ran, fsim_error *err);

/* A process keeps the last few plans it ran batches of (preparing a plan is the slow part,
 * the same for each of its batches); this frees them (at exit; also safe at any time no
 * batch is running). */
void fsim_plan_job_cache_clear(void);

#endif
