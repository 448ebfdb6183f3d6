/* fleetsim — Google Cloud credentials: OAuth2 access tokens for the Cloud Storage client
 * (core/gcs) and the Pub/Sub client (core/pubsub). One place, shared by both.
 *
 * Where a token comes from, in this order (Google's "application default credentials",
 * minus the gcloud user file):
 *   1. a service-account key given as a JSON string (FLEETSIM_GCP_CREDENTIALS_JSON);
 *   2. a service-account key file (GOOGLE_APPLICATION_CREDENTIALS);
 *   3. the metadata server (Cloud Run, GCE, GKE): GET
 *      http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token
 *      with `Metadata-Flavor: Google`. GCE_METADATA_HOST (`host:port` or `http://host:port`)
 *      replaces metadata.google.internal, as in Google's client libraries.
 * For a key, the token comes from an RS256-signed JWT (iss = client_email, scope, aud =
 * token_uri, iat, exp = iat + 1 h) exchanged at the key's token_uri (the OAuth2
 * jwt-bearer grant).
 *
 * Tokens are cached until shortly before they expire (5 minutes, or half the lifetime of a
 * shorter-lived token); fsim_gcp_auth_token is thread-safe and concurrent callers share one
 * refresh. No secret (private key, assertion, token) ever appears in an error message. */
#ifndef FLEETSIM_GCP_AUTH_H
#define FLEETSIM_GCP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/error.h>

/* The scope requested for key-based tokens when none is given. */
#define FSIM_GCP_SCOPE_CLOUD_PLATFORM "https://www.googleapis.com/auth/cloud-platform"
/* Room for an access token (Google's are a few hundred bytes; 4 KiB is generous). */
#define FSIM_GCP_TOKEN_MAX 4096

typedef enum fsim_gcp_auth_kind {
    FSIM_GCP_AUTH_KEY_JSON,     /* key from a JSON string */
    FSIM_GCP_AUTH_KEY_FILE,     /* key from a file */
    FSIM_GCP_AUTH_METADATA,     /* the metadata server */
} fsim_gcp_auth_kind;

/* All members borrowed (copied by fsim_gcp_auth_new); NULL or "" = not set. */
typedef struct fsim_gcp_auth_options {
    const char *credentials_json;   /* the key as JSON text (FLEETSIM_GCP_CREDENTIALS_JSON) */
    const char *credentials_file;   /* path of a key file (GOOGLE_APPLICATION_CREDENTIALS) */
    const char *metadata_host;      /* GCE_METADATA_HOST; default metadata.google.internal */
    const char *scope;              /* space-separated; default cloud-platform */
    long timeout_seconds;           /* per HTTP request to the token endpoint; 0 = 30 */
} fsim_gcp_auth_options;

typedef struct fsim_gcp_auth fsim_gcp_auth;

/* Fills `opts` from FLEETSIM_GCP_CREDENTIALS_JSON, GOOGLE_APPLICATION_CREDENTIALS and
 * GCE_METADATA_HOST (pointers into the environment: valid while it is unchanged). The one
 * function of this module that reads the environment; the programs call it. */
void fsim_gcp_auth_options_from_env(fsim_gcp_auth_options *opts);

/* Chooses the source (see above) and, for a key, reads and checks it now: a malformed key
 * fails here, with `err->source` naming the variable ("FLEETSIM_GCP_CREDENTIALS_JSON" or
 * "GOOGLE_APPLICATION_CREDENTIALS (/path/key.json)") and `err->path` the field
 * ("private_key"). No network access yet. *out is a new object (fsim_gcp_auth_free). */
fsim_status fsim_gcp_auth_new(const fsim_gcp_auth_options *opts, fsim_gcp_auth **out,
                              fsim_error *err);
/* Accepts NULL. */
void fsim_gcp_auth_free(fsim_gcp_auth *auth);

fsim_gcp_auth_kind fsim_gcp_auth_get_kind(const fsim_gcp_auth *auth);
/* "service-account key (FLEETSIM_GCP_CREDENTIALS_JSON, client@p.iam.gserviceaccount.com)",
 * "metadata server (http://…)": for a start-up log line. Borrowed, lives with `auth`. */
const char *fsim_gcp_auth_describe(const fsim_gcp_auth *auth);

/* Copies a valid access token (NUL-terminated) into `token` (`size` bytes, at least
 * FSIM_GCP_TOKEN_MAX is safe), fetching a new one when the cached one is missing or about to
 * expire. Thread-safe. Errors: FSIM_IO when the endpoint cannot be reached or answers an
 * error (the message has the HTTP status and the endpoint's own error text, never the
 * assertion), FSIM_INVALID when its answer is not a token. */
fsim_status fsim_gcp_auth_token(fsim_gcp_auth *auth, char *token, size_t size, fsim_error *err);

/* The cached token, without waiting or any I/O: true (and a copy in `token`) when a token
 * that is not about to expire is cached and the cache is not being refreshed right now. For
 * callers that must not block (a gRPC credentials plugin), which call fsim_gcp_auth_token
 * from a thread of their own otherwise. */
bool fsim_gcp_auth_cached_token(fsim_gcp_auth *auth, char *token, size_t size);

/* Forgets the cached token (e.g. after a 401 from a service): the next call fetches anew. */
void fsim_gcp_auth_invalidate(fsim_gcp_auth *auth);

/* Builds and signs the JWT assertion a key-based source sends to its token endpoint, with
 * `now` as iat (Unix seconds). For tests and diagnostics; FSIM_INVALID for a metadata
 * source. Returns malloc'd text in *assertion (the caller frees it; it is a credential). */
fsim_status fsim_gcp_auth_sign_assertion(fsim_gcp_auth *auth, long long now, char **assertion,
                                         fsim_error *err);

#endif
