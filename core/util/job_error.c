/* The views of FSIM_JOB_ERROR_MAP: code, retryable, meaning. */
#include <fleetsim/job_error.h>

static const struct {
    const char *code;
    bool retryable;
    const char *meaning;
} table[] = {
#define ROW(name, code, retryable, meaning) {code, retryable, meaning},
    FSIM_JOB_ERROR_MAP(ROW)
#undef ROW
};

const char *fsim_job_error_code(fsim_job_error e)
{
    return (unsigned)e < FSIM_JOB_ERR_COUNT ? table[e].code : NULL;
}

bool fsim_job_error_retryable(fsim_job_error e)
{
    return (unsigned)e < FSIM_JOB_ERR_COUNT && table[e].retryable;
}

const char *fsim_job_error_meaning(fsim_job_error e)
{
    return (unsigned)e < FSIM_JOB_ERR_COUNT ? table[e].meaning : NULL;
}

fsim_job_error fsim_job_error_from_status(fsim_status status)
{
    switch (status) {
    case FSIM_INVALID:
    case FSIM_NOT_FOUND:
    case FSIM_USAGE:
        return FSIM_JOB_ERR_INVALID_REQUEST;
    case FSIM_IO:
    case FSIM_NOMEM:
        return FSIM_JOB_ERR_UNAVAILABLE;
    case FSIM_UNAVAILABLE:
        return FSIM_JOB_ERR_SERVICE_UNAVAILABLE;
    default:
        return FSIM_JOB_ERR_INTERNAL;
    }
}
