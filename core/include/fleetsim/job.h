/* fleetsim — a simulation job's whole life, the same for every entry point.
 *
 * submit (idempotency key + the one canonical request hash) → claim (by id, or the next
 * queued row) → run (heartbeat with progress and lease, cancellation) → deliver to a sink
 * (files | db | gcs | stdout) → succeed, or fail / hand back / give up under one policy
 * (job_error.h says which codes are retryable). `fleetsim run`, the API (its workers) and
 * the Pub/Sub worker call this and keep only their transport: argv and terminal, HTTP,
 * Pub/Sub messages and acks. */
#ifndef FLEETSIM_JOB_H
#define FLEETSIM_JOB_H

#include <stdbool.h>
#include <stdio.h>

#include <fleetsim/arena.h>
#include <fleetsim/error.h>
#include <fleetsim/gcs.h>
#include <fleetsim/job_error.h>
#include <fleetsim/pubsub.h>
#include <fleetsim/runner.h>
#include <fleetsim/store.h>
#include <fleetsim/wire.h>

/* ---- Services: what a job may use, injected by the program ---------------------------- */

/* One log line: severity DEBUG | INFO | WARNING | ERROR; trace_id and simulation_id may be
 * NULL. The core never prints: the program's logger writes the line. */
typedef void (*fsim_job_log_fn)(void *user, const char *severity, const char *trace_id,
                                const char *simulation_id, const char *message);

typedef struct fsim_services {
    fsim_store *store;        /* borrowed; NULL: no database (local runs only) */
    fsim_gcs *gcs;            /* borrowed; NULL: the gcs sink is not configured */
    const char *gcs_bucket;   /* with gcs */
    fsim_pubsub *pubsub;      /* borrowed; NULL: jobs are not published */
    const char *topic;        /* with pubsub: projects/P/topics/T */
    fsim_job_log_fn log;      /* optional */
    void *log_user;
    fsim_svc *svc;            /* borrowed; NULL: no routing/elevation/weather (services.h) */
} fsim_services;

/* ---- The policy: one per program, the same rules everywhere ----------------------------- */

typedef struct fsim_job_policy {
    int lease_seconds;              /* a running row's lease, renewed by each heartbeat */
    int max_attempts;               /* claims of one job; the last failure is final */
    const char *max_attempts_name;  /* the setting that says so, quoted in the give-up reason */
} fsim_job_policy;

/* At most one heartbeat (progress, lease, "was I cancelled?") per this many seconds. */
#define FSIM_JOB_HEARTBEAT_SECONDS 1.0

/* ---- Sinks: where a result goes ---------------------------------------------------------- */

typedef struct fsim_sink fsim_sink;

/* "files", "db", "gcs" or "stdout"; NULL for an unknown name. */
const fsim_sink *fsim_sink_find(const char *name);
const char *fsim_sink_name(const fsim_sink *sink);
/* Whether the sink stores into a claimed simulation row (db, gcs) rather than locally. */
bool fsim_sink_needs_row(const fsim_sink *sink);

/* ---- Submit and claim ---------------------------------------------------------------------- */

/* The idempotency hash of a request: hex SHA-256 of its canonical encoding (the codec's
 * compact JSON), so whitespace and key order do not matter. False when out of memory. */
bool fsim_job_request_hash(const fsim_request *request, char hex[65]);

typedef struct fsim_job_submission {
    const fsim_request *request;  /* borrowed */
    const char *idempotency_key;  /* optional */
    const char *trace_id;         /* optional; metadata.traceId */
    const char *result_mode;      /* a Pub/Sub job ("db" | "gcs"); NULL: in-process/CLI job */
    bool published;               /* with result_mode: already on the topic */
} fsim_job_submission;

/* Creates the queued row (or finds the one with the same key and request): the store's
 * create with the canonical hash. */
fsim_status fsim_job_submit(const fsim_services *svc, const fsim_job_submission *sub,
                            char id[FSIM_STORE_ID_LEN], fsim_store_create_outcome *outcome,
                            fsim_error *err);

/* ---- Run ------------------------------------------------------------------------------------ */

typedef enum fsim_job_outcome {
    FSIM_JOB_SUCCEEDED,    /* delivered; a row says succeeded */
    FSIM_JOB_FAILED,       /* failed for good; the row (if any) holds the code and reason */
    FSIM_JOB_HANDED_BACK,  /* a retryable failure with attempts left: the lease ended at once,
                              the next claim retries it */
    FSIM_JOB_STOPPED,      /* the row was cancelled, deleted or taken over: nothing to do */
    FSIM_JOB_INTERRUPTED,  /* the program is stopping: handed back without counting as done */
    FSIM_JOB_UNRECORDED,   /* the failure could not be written (database down): retry later */
    FSIM_JOB_NOT_CLAIMED,  /* fsim_job_run_id: the row is running elsewhere, already finished
                              or (err->status FSIM_NOT_FOUND) absent: nothing was run */
} fsim_job_outcome;

const char *fsim_job_outcome_name(fsim_job_outcome outcome);

/* The largest result the db sink stores in a row's JSONB envelope: PostgreSQL caps a jsonb
 * value at 255 MiB (its varlena limit), and the row keeps the request and metadata too.
 * Bigger results are refused (invalid_request on `outputs`) with a pointer to mode gcs. */
#define FSIM_JOB_DB_RESULT_MAX (200 << 20)

typedef struct fsim_job_run_options {
    const fsim_services *services;
    const fsim_job_policy *policy;
    const fsim_sink *sink;
    const char *out_dir;          /* files: the directory */
    FILE *out;                    /* stdout: the stream (stdout when NULL) */
    fsim_runner_options runner;   /* config, overrides, source, trace id; `progress` is the
                                     job's own, `progress_user` ignored */
    /* optional: the program is stopping (checked between simulated days) */
    bool (*stopping)(void *user);
    void *stopping_user;
    /* optional: called between simulated days after the heartbeat (a terminal's progress) */
    fsim_sim_progress_fn progress;
    void *progress_user;
    /* the caller needs every row in *result (a report, --json): the files and gcs sinks
     * then deliver from memory instead of streaming the rows as they are produced */
    bool whole_result;
} fsim_job_run_options;

/* Runs `request` and delivers its result to the sink. With `job` (a claimed row; the sink
 * must need a row) the row's life follows: heartbeats, then succeeded, or the failure under
 * the policy (fsim_job_fail_or_retry). Without a row (files, stdout) nothing is recorded.
 * *result (may be NULL) gets the result in `arena` when it was made. `err` says why on any
 * outcome but SUCCEEDED. */
fsim_job_outcome fsim_job_run(const fsim_job_run_options *o, const fsim_store_job *job,
                              const fsim_request *request, fsim_arena *arena,
                              fsim_result **result, fsim_error *err);

/* Claims row `id` (queued, or its lease expired) under o->policy's lease and runs it as
 * fsim_job_run does: how a program runs a row it was told about (a Pub/Sub message, the
 * CLI's own row). FSIM_JOB_NOT_CLAIMED when it cannot be claimed — *current (may be NULL)
 * then says why (running elsewhere, or finished), or err->status is FSIM_NOT_FOUND when
 * the row is absent; FSIM_JOB_UNRECORDED when the database did not answer. */
fsim_job_outcome fsim_job_run_id(const fsim_job_run_options *o, const char *id,
                                 fsim_arena *arena, fsim_result **result,
                                 fsim_run_status *current, fsim_error *err);

/* Claims the oldest queued row (or one whose lease expired, within o->policy's attempts)
 * and runs it: the API's in-process workers. *ran false when there was none (then
 * FSIM_JOB_SUCCEEDED), or when the claim failed (FSIM_JOB_UNRECORDED, `err` says why). */
fsim_job_outcome fsim_job_run_next(const fsim_job_run_options *o, fsim_arena *arena,
                                   bool *ran, fsim_error *err);

/* Delivers a result that is already made to o->sink (no row: files or stdout), e.g. the
 * CLI's --json on stdout after the files. */
fsim_status fsim_job_deliver(const fsim_job_run_options *o, fsim_result *result,
                             fsim_error *err);

/* The one failure policy, for failures met outside fsim_job_run too (a message that does not
 * decode, a row that is gone): a retryable `code` hands the row back while attempts remain
 * (`attempt` < max_attempts), else the row fails — with `attempts_exhausted` when the code
 * was retryable, with `code` otherwise. `id` NULL: nothing to record (FAILED). */
fsim_job_outcome fsim_job_fail_or_retry(const fsim_services *svc, const fsim_job_policy *policy,
                                        const char *id, const char *trace_id, int attempt,
                                        fsim_job_error code, const fsim_error *why,
                                        fsim_error *err);

/* ---- Publishing to the Pub/Sub worker, and the outbox --------------------------------------- */

/* Publishes the JobMessage of row `id` (submitted with a result_mode) to svc->topic and
 * marks the row published. On failure the row stays in the outbox (fsim_job_relay_outbox
 * publishes it later); the caller says so. */
fsim_status fsim_job_publish(const fsim_services *svc, const char *id,
                             const fsim_request *request, fsim_job_mode mode, const char *trace,
                             fsim_error *err);

typedef struct fsim_job_outbox_policy {
    double delay_s;        /* rows younger than this are left to the request that made them */
    double republish_s;    /* a row still queued this long after its publish (or running
                              under a lease that ran out this long ago) is published again:
                              its message may be lost; 0: never */
    double backoff_s;      /* a row's first retry delay, doubled per attempt */
    double max_backoff_s;  /* at most this */
    int batch;             /* rows per pass */
} fsim_job_outbox_policy;

/* One pass over the outbox: publishes the rows that are due (never published, or published
 * and not done after policy->republish_s), oldest first, each in the mode stored on it; stops at the first failure (the rest wait for their own backoff) or when
 * `stopping` (optional) says so. Logs what it did. */
void fsim_job_relay_outbox(const fsim_services *svc, const fsim_job_outbox_policy *policy,
                           bool (*stopping)(void *user), void *user);

#endif
