/* gcs mode: the Cloud Storage client the core's gcs sink uploads results with (core/job/
 * sinks.c), made once at start-up from the environment. */
#include <stdio.h>
#include <string.h>

#include "worker.h"

/* Settings are checked once, at start-up: a worker with a bad FLEETSIM_GCS_* value or an
 * unreadable key should not start, rather than fail every gcs job later. No network yet. */
bool ps_gcs_open(ps_worker *w)
{
    fsim_error err;
    fsim_error_clear(&err);
    /* SIGTERM's grace period over: the upload stops, the job is handed back (not failed) */
    fsim_gcs_options o = {.cancel = &w->aborting};
    if (fsim_gcs_open_env(&o, &w->gcs, &w->gcp_auth, &err) != FSIM_OK) {
        char line[1200];
        fsim_error_format(&err, line, sizeof line);
        fprintf(stderr, "fleetsim-pubsub: Cloud Storage for FLEETSIM_GCS_BUCKET: %s\n", line);
        return false;
    }
    ps_log(w, "INFO", NULL, NULL, NULL, "gcs-mode results go to gs://%s via %s",
           w->cfg.gcs_bucket, fsim_gcs_describe(w->gcs));
    return true;
}

void ps_gcs_close(ps_worker *w)
{
    fsim_gcs_free(w->gcs);
    fsim_gcp_auth_free(w->gcp_auth);
    w->gcs = NULL;
    w->gcp_auth = NULL;
}
