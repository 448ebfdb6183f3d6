/* Per-call credentials for the real Pub/Sub service: a gRPC metadata-credentials plugin that
 * adds `authorization: Bearer <token>` with the token from core/gcp (fsim_gcp_auth: a
 * service-account key or the metadata server), so the Pub/Sub client, the Cloud Storage
 * client and everything else share one credentials helper and one token cache.
 *
 * gRPC requires get_metadata not to block: a cached token is answered synchronously; when a
 * token must be fetched (about once an hour) a short-lived thread fetches it and hands it to
 * gRPC's callback. The plugin state is reference-counted, so gRPC may drop the credentials
 * while such a thread still runs. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/string_util.h>

#include "pubsub_internal.h"

typedef struct plugin_state {
    fsim_gcp_auth *auth;
    atomic_int refs;
} plugin_state;

typedef struct fetch_job {
    plugin_state *state;
    grpc_credentials_plugin_metadata_cb cb;
    void *user_data;
} fetch_job;

static void state_unref(plugin_state *st)
{
    if (atomic_fetch_sub(&st->refs, 1) == 1) {
        fsim_gcp_auth_free(st->auth);
        free(st);
    }
}

/* gRPC status for a token failure: an unreachable endpoint may recover (UNAVAILABLE); a key
 * or an answer that is wrong will not (UNAUTHENTICATED). */
static grpc_status_code token_status(fsim_status st)
{
    return st == FSIM_IO ? GRPC_STATUS_UNAVAILABLE : GRPC_STATUS_UNAUTHENTICATED;
}

/* The slow path, off gRPC's thread: fetch (or wait for another caller's fetch of) the
 * token, then hand it, or the reason there is none, to gRPC. */
static void *fetch_thread(void *arg)
{
    fetch_job *job = arg;
    char token[FSIM_GCP_TOKEN_MAX];
    fsim_error err;
    fsim_status st = fsim_gcp_auth_token(job->state->auth, token, sizeof token, &err);
    if (st == FSIM_OK) {
        char bearer[FSIM_GCP_TOKEN_MAX + 8];
        snprintf(bearer, sizeof bearer, "Bearer %s", token);
        grpc_metadata md = {.key = grpc_slice_from_static_string("authorization"),
                            .value = grpc_slice_from_copied_string(bearer)};
        job->cb(job->user_data, &md, 1, GRPC_STATUS_OK, NULL);
        grpc_slice_unref(md.value);
        memset(bearer, 0, sizeof bearer);
    } else {
        char text[1024];
        fsim_error_format(&err, text, sizeof text);
        job->cb(job->user_data, NULL, 0, token_status(st), text);
    }
    memset(token, 0, sizeof token);
    state_unref(job->state);
    free(job);
    return NULL;
}

/* gRPC asks before every call: a cached token answers at once (returns 1); otherwise a
 * thread fetches it and calls `cb` (returns 0). */
static int get_metadata(void *state, grpc_auth_metadata_context context,
                        grpc_credentials_plugin_metadata_cb cb, void *user_data,
                        grpc_metadata creds_md[GRPC_METADATA_CREDENTIALS_PLUGIN_SYNC_MAX],
                        size_t *num_creds_md, grpc_status_code *status,
                        const char **error_details)
{
    plugin_state *st = state;
    char token[FSIM_GCP_TOKEN_MAX];
    if (fsim_gcp_auth_cached_token(st->auth, token, sizeof token)) {
        char bearer[FSIM_GCP_TOKEN_MAX + 8];
        snprintf(bearer, sizeof bearer, "Bearer %s", token);
        creds_md[0].key = grpc_slice_from_static_string("authorization");
        creds_md[0].value = grpc_slice_from_copied_string(bearer);
        *num_creds_md = 1;
        *status = GRPC_STATUS_OK;
        *error_details = NULL;
        memset(bearer, 0, sizeof bearer);
        memset(token, 0, sizeof token);
        return 1;
    }
    fetch_job *job = malloc(sizeof *job);
    pthread_t th;
    pthread_attr_t attr;
    if (job) {
        *job = (fetch_job){.state = st, .cb = cb, .user_data = user_data};
        atomic_fetch_add(&st->refs, 1);
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&th, &attr, fetch_thread, job);
        pthread_attr_destroy(&attr);
        if (rc == 0)
            return 0; /* the thread calls cb */
        state_unref(st);
        free(job);
    }
    *num_creds_md = 0;
    *status = GRPC_STATUS_UNAVAILABLE;
    *error_details = gpr_strdup("could not start a thread to fetch a Google access token");
    return 1;
}

static char *debug_string(void *state)
{
    return gpr_strdup(fsim_gcp_auth_describe(((plugin_state *)state)->auth));
}

static void destroy(void *state)
{
    state_unref(state);
}

grpc_call_credentials *fsim__pubsub_call_credentials(fsim_gcp_auth *auth)
{
    plugin_state *st = calloc(1, sizeof *st);
    if (!st) {
        fsim_gcp_auth_free(auth);
        return NULL;
    }
    st->auth = auth;
    atomic_init(&st->refs, 1);
    grpc_metadata_credentials_plugin plugin = {.get_metadata = get_metadata,
                                               .debug_string = debug_string,
                                               .destroy = destroy,
                                               .state = st,
                                               .type = "fleetsim.gcp_auth"};
    return grpc_metadata_credentials_create_from_plugin(plugin, GRPC_PRIVACY_AND_INTEGRITY,
                                                        NULL);
}
