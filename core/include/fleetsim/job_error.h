/* fleetsim — the one table of the codes a failed job stores in metadata.error.code.
 *
 * Every entry point (CLI --mode db, the API's workers, the Pub/Sub worker) fails a job
 * through core/job, which takes its code from here; the `retryable` column is the failure
 * policy: a retryable failure hands the job back while attempts remain, and on the last
 * allowed attempt the job fails with `attempts_exhausted`. docs/api.md's error table and
 * the lifecycle test read the same list. */
#ifndef FLEETSIM_JOB_ERROR_H
#define FLEETSIM_JOB_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/error.h>

/* X(NAME, "code", retryable, meaning) */
#define FSIM_JOB_ERROR_MAP(X)                                                                 \
    X(INVALID_REQUEST, "invalid_request", false,                                              \
      "the request does not fit the configuration (unknown vehicle type, route, depot); "     \
      "`field` names the field")                                                              \
    X(INVALID_MESSAGE, "invalid_message", false,                                              \
      "a Pub/Sub message whose data is not a JobMessage")                                     \
    X(NOT_FOUND, "not_found", false, "the job's simulation row does not exist")              \
    X(GCS_NOT_CONFIGURED, "gcs_not_configured", false,                                        \
      "mode gcs on a worker without FLEETSIM_GCS_BUCKET (checked before the run)")            \
    X(STORAGE_FAILED, "storage_failed", false,                                                \
      "the result could not be uploaded to Cloud Storage within the client's retry budget")   \
    X(UNAVAILABLE, "unavailable", true,                                                       \
      "the database or another service failed transiently; the job is handed back and "       \
      "claimed again")                                                                        \
    X(SERVICE_UNAVAILABLE, "service_unavailable", true,                                       \
      "a routing, elevation or weather service did not answer within its retries, or its "    \
      "circuit breaker is open; the job is handed back and claimed again")                    \
    X(INTERNAL, "internal", false, "a failure the service cannot recover from (a bug)")      \
    X(ATTEMPTS_EXHAUSTED, "attempts_exhausted", false,                                        \
      "the last allowed attempt failed with a retryable error or was interrupted")

typedef enum fsim_job_error {
#define FSIM__JOB_ERROR_ENUM(name, code, retryable, meaning) FSIM_JOB_ERR_##name,
    FSIM_JOB_ERROR_MAP(FSIM__JOB_ERROR_ENUM)
#undef FSIM__JOB_ERROR_ENUM
        FSIM_JOB_ERR_COUNT
} fsim_job_error;

/* "invalid_request", ...; NULL out of range. */
const char *fsim_job_error_code(fsim_job_error e);
/* Whether a failure with this code hands the job back (attempts permitting). */
bool fsim_job_error_retryable(fsim_job_error e);
/* One sentence for the documentation. */
const char *fsim_job_error_meaning(fsim_job_error e);
/* The code of a failure reported as `status` by the runner, the store or a sink: bad input
 * ⇒ invalid_request, I/O and memory ⇒ unavailable (retryable), an outside service that did not
 * answer ⇒ service_unavailable (retryable), the rest ⇒ internal. */
fsim_job_error fsim_job_error_from_status(fsim_status status);

#endif
