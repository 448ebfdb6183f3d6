/* Fuzz target "oidc": the OIDC verifier of push requests (core/gcp/gcp_oidc.c). Byte 0 picks:
 *   0  the rest is a JWKS file, read by fsim_oidc_new;
 *   1  the rest is an Authorization header, checked against a key set made at start-up;
 *   2  the rest is a JWT header JSON, a NUL, and claims JSON, signed (RS256) with that key
 *      set's private key before the check — so the claims are checked, not only parsed.
 * Keys are made with OpenSSL at start-up (tests/gcs/jwt_test.h); none is committed. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include <fleetsim/gcp_oidc.h>

#include "jwt_test.h"

#define AUDIENCE "https://push.example.test/push"
#define EMAIL "push@fleetsim-test.iam.gserviceaccount.com"
#define NOW 1767225600LL /* 2026-01-01T00:00:00Z */

static EVP_PKEY *key;
static fsim_oidc *verifier;
static char *jwks_path;

/* One key pair and a verifier that trusts it (kid "k1"). */
static void setup(void)
{
    key = tjwt_keygen(2048);
    const char *kid = "k1";
    char *jwks = tjwt_jwks(&key, &kid, 1);
    char *good = fuzz_path("good-jwks.json");
    jwks_path = fuzz_path("jwks.json");
    if (!key || !jwks)
        abort();
    fuzz_write(good, jwks, strlen(jwks));
    fsim_oidc_options opts = {.audience = AUDIENCE, .email = EMAIL, .keys = good};
    fsim_error err;
    if (fsim_oidc_new(&opts, &verifier, &err) != FSIM_OK)
        abort();
    free(jwks);
    free(good);
}

/* Before the first input: the setup is not timed as that input's run (fuzz.h). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!verifier)
        setup();
    fsim_error err;
    switch (data[0] % 3) {
    case 0: {
        fuzz_write(jwks_path, data + 1, size - 1);
        fsim_oidc_options opts = {.audience = AUDIENCE, .email = EMAIL, .keys = jwks_path};
        fsim_oidc *o = NULL;
        if (fsim_oidc_new(&opts, &o, &err) == FSIM_OK)
            fsim_oidc_describe(o);
        fsim_oidc_free(o);
        break;
    }
    case 1: {
        char *authorization = fuzz_cstr(data + 1, size - 1);
        fsim_oidc_verify(verifier, authorization, NOW, &err);
        free(authorization);
        break;
    }
    default: {
        /* header \0 claims; a missing NUL leaves the claims empty */
        char *text = fuzz_cstr(data + 1, size - 1);
        const char *claims = memchr(data + 1, '\0', size - 1) ? text + strlen(text) + 1 : "";
        char *token = tjwt_token(text, claims, key, NULL);
        char *bearer = tjwt_bearer(token);
        fsim_oidc_verify(verifier, bearer, NOW, &err);
        free(bearer);
        free(token);
        free(text);
        break;
    }
    }
    return 0;
}
