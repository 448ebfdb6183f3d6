/* fleetsim-pubsub — the program's internal interfaces, grouped by the file that owns them.
 *
 * A thin layer over core/: the Pub/Sub client and push decoder (pubsub.h), the runner
 * (runner.h) and the store (store.h). One message = one job, processed by job.c whether it
 * came from a pull (pull.c) or a push (push.c). */
#ifndef FLEETSIM_PUBSUB_WORKER_H
#define FLEETSIM_PUBSUB_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <fleetsim/gcs.h>
#include <fleetsim/pubsub.h>
#include <fleetsim/services.h>
#include <fleetsim/store.h>

/* ---- Settings (main.c: read once from the environment) -------------------------------- */

typedef struct ps_settings {
    const char *config_dir;       /* FLEETSIM_CONFIG_DIR, default "config" */
    const char *config_overrides; /* FLEETSIM_CONFIG_OVERRIDES or NULL */
    const char *database_url;     /* DATABASE_URL (required) */
    const char *project;          /* GOOGLE_CLOUD_PROJECT or NULL */
    const char *subscription;     /* --pull: full name of FLEETSIM_PUBSUB_SUBSCRIPTION */
    const char *credentials_json; /* FLEETSIM_GCP_CREDENTIALS_JSON or NULL */
    const char *push_audience;    /* --push: FLEETSIM_PUSH_AUDIENCE; NULL: no token check */
    const char *push_service_account; /* FLEETSIM_PUSH_SERVICE_ACCOUNT (with the audience) */
    const char *push_keys;        /* FLEETSIM_PUSH_JWKS: JWKS URL or file; NULL: Google's */
    bool production;              /* FLEETSIM_ENV=production or K_SERVICE set */
    bool push_auth_none;          /* FLEETSIM_PUSH_AUTH=none: an open endpoint, on purpose */
    int port;                     /* --push: PORT, default 8080 */
    int workers;                  /* FLEETSIM_PUBSUB_WORKERS, default 2 */
    int ack_deadline_s;           /* FLEETSIM_PUBSUB_ACK_DEADLINE_SECONDS, default 60 */
    int lease_s;                  /* FLEETSIM_PUBSUB_LEASE_SECONDS, default 30 */
    int max_attempts;             /* FLEETSIM_PUBSUB_MAX_ATTEMPTS, default 5 */
    int grace_s;                  /* FLEETSIM_PUBSUB_GRACE_SECONDS, default 8 */
    int retry_delay_s;            /* FLEETSIM_PUBSUB_RETRY_SECONDS, default 10: a job running
                                     elsewhere is offered again after this long */
    const char *gcs_bucket;       /* FLEETSIM_GCS_BUCKET or NULL (then gcs-mode jobs fail) */
} ps_settings;

/* ---- Process-wide state ------------------------------------------------------------------ */

typedef struct ps_worker {
    ps_settings cfg;
    pthread_mutex_t store_mu;     /* guards opening the store */
    fsim_store *store;            /* opened lazily: a database down at start-up is transient */
    atomic_bool stopping;         /* SIGTERM: take no new message */
    atomic_bool aborting;         /* grace period over: cancel running jobs */
    atomic_long jobs_done;        /* runs stored (tests, logs) */
    fsim_gcs *gcs;                /* gcs mode: opened at start-up when a bucket is set */
    fsim_gcp_auth *gcp_auth;      /* its credentials (NULL with an emulator) */
    fsim_svc *svc;                /* routing, elevation, weather (docs/services.md) */
} ps_worker;

/* ---- Logging (log.c): JSON lines on stdout in Cloud Logging's shape --------------------- */

/* severity: DEBUG INFO WARNING ERROR. trace_id / message_id / simulation_id may be NULL. */
void ps_log(const ps_worker *w, const char *severity, const char *trace_id,
            const char *message_id, const char *simulation_id, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* ---- One job (job.c) --------------------------------------------------------------------- */

typedef enum ps_outcome {
    PS_ACK,          /* done, or will never succeed: do not deliver again */
    PS_NACK,         /* transient failure: deliver again soon */
    PS_RETRY_LATER,  /* the job is running elsewhere: deliver again after retry_delay_s */
} ps_outcome;

/* Runs the job a message carries and stores its result; says what to tell Pub/Sub. Never
 * acks a job before its result (or its failure) is committed. */
ps_outcome ps_job_process(ps_worker *w, const fsim_pubsub_message *msg);
/* A message of kind plan-batch (plan_batch.c): runs that batch of a plan job through the
 * core (<fleetsim/plan_job.h>); a duplicate is acked, a batch leased elsewhere retried later. */
ps_outcome ps_plan_batch_process(ps_worker *w, const fsim_pubsub_message *msg,
                                 fsim_store *store);
/* A message whose payload could not even be extracted (push data not base64): fails the row
 * named by its simulationId attribute, if any, logs with the message id; always PS_ACK unless
 * the database is down. */
ps_outcome ps_job_reject(ps_worker *w, const fsim_pubsub_message *msg, const fsim_error *why);

/* ---- gcs mode (result_gcs.c) --------------------------------------------------------------- */

/* Creates the Cloud Storage client for gcs-mode results (STORAGE_EMULATOR_HOST, else Google
 * credentials from the environment; FLEETSIM_GCS_MAX_ATTEMPTS / _TIMEOUT_SECONDS). False
 * with a line on stderr when a setting is wrong (exit 2). */
bool ps_gcs_open(ps_worker *w);
void ps_gcs_close(ps_worker *w);

/* ---- Entry points (pull.c, push.c): return the process exit code ------------------------ */

int ps_pull_main(ps_worker *w);
int ps_push_main(ps_worker *w);

/* Blocks SIGTERM/SIGINT in the calling thread (call before creating threads) and waits for
 * one of them (main.c). */
void ps_block_signals(void);
int ps_wait_signal(void);

#endif
