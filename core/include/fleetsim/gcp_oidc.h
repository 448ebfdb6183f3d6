/* fleetsim — verifying the OIDC ID tokens Google puts on Pub/Sub push requests
 * (`Authorization: Bearer <JWT>`), so a push endpoint accepts its own push subscription and
 * nobody else. The counterpart of gcp_auth.h, which signs.
 *
 * A token is accepted when all of these hold:
 *   - three base64url parts; header `alg` is "RS256" (never "none", HS256, anything else);
 *   - header `kid` names a key of the key set, and the RS256 signature verifies with it;
 *   - `iss` is "accounts.google.com" or "https://accounts.google.com";
 *   - `aud` is the configured audience (a string, or an array holding it);
 *   - `exp` is in the future and `iat` / `nbf` (when present) not, within the leeway;
 *   - `email` is the configured service account and `email_verified` is true.
 *
 * Keys: Google's JWKS (https://www.googleapis.com/oauth2/v3/certs, fetched with libcurl,
 * kept for the response's Cache-Control max-age minus its Age), or another JWKS URL, or a
 * JWKS file (tests). A token whose `kid` is not in the set makes the set be fetched again,
 * at most once per `refetch_seconds` (rotation is picked up at once; a flood of made-up
 * kids costs one fetch per interval). When the key endpoint fails, the last key set keeps
 * serving, and no other fetch is tried for `refetch_seconds` (an outage costs one slow
 * request per interval, not one per push). Only RSA keys of at least 2048 bits are used.
 *
 * fsim_oidc_verify is thread-safe. The token is never copied into an error message: `why`
 * names the header member or claim and says what is wrong with it. */
#ifndef FLEETSIM_GCP_OIDC_H
#define FLEETSIM_GCP_OIDC_H

#include <fleetsim/error.h>

/* Google's published signing keys of its OIDC ID tokens. */
#define FSIM_OIDC_GOOGLE_CERTS "https://www.googleapis.com/oauth2/v3/certs"

/* All members borrowed (copied by fsim_oidc_new). */
typedef struct fsim_oidc_options {
    const char *audience;         /* required: the push subscription's audience */
    const char *email;            /* required: the push subscription's service account */
    /* NULL or "": Google's JWKS; "http://…" or "https://…": a JWKS at that URL; anything
     * else: the path of a JWKS file (read now, read again on an unknown kid) */
    const char *keys;
    long leeway_seconds;          /* clock skew allowed on exp / iat / nbf; 0 = 60 */
    long refetch_seconds;         /* at most one fetch per this on unknown kids; 0 = 10 */
    long timeout_seconds;         /* per HTTP fetch of the keys; 0 = 10 */
} fsim_oidc_options;

typedef struct fsim_oidc fsim_oidc;

/* What the caller answers. */
typedef enum fsim_oidc_verdict {
    FSIM_OIDC_VALID,            /* let it in */
    FSIM_OIDC_UNAUTHENTICATED,  /* HTTP 401: no token, malformed, not RS256, unknown kid,
                                   bad signature, wrong iss or aud, expired, not yet valid */
    FSIM_OIDC_FORBIDDEN,        /* HTTP 403: a valid Google token of another principal */
    FSIM_OIDC_UNAVAILABLE,      /* HTTP 503: no key set could be fetched; retry later */
} fsim_oidc_verdict;

/* Checks the options (audience and email set; a key file is read and parsed now, errors
 * with `source` = the path). No network access yet. *out: fsim_oidc_free. */
fsim_status fsim_oidc_new(const fsim_oidc_options *opts, fsim_oidc **out, fsim_error *err);
/* Accepts NULL. */
void fsim_oidc_free(fsim_oidc *oidc);

/* "audience https://…, service account a@b, keys https://…": for a start-up log line.
 * Borrowed, lives with `oidc`. */
const char *fsim_oidc_describe(const fsim_oidc *oidc);

/* Verifies the value of an Authorization header (`Bearer <JWT>`; NULL when the request
 * had none) at Unix time `now`. On anything but FSIM_OIDC_VALID, `why` (may be NULL) says
 * why: `source` "Authorization", `path` the member or claim ("alg", "kid", "signature",
 * "exp", "aud", "iss", "email", …), `message` what is wrong. */
fsim_oidc_verdict fsim_oidc_verify(fsim_oidc *oidc, const char *authorization, long long now,
                                   fsim_error *why);

/* How many times the key set was fetched or read (tests, diagnostics). */
long fsim_oidc_key_fetches(const fsim_oidc *oidc);

#endif
