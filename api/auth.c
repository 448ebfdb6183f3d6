/* API keys: X-API-Key checked against FLEETSIM_API_KEYS (comma-separated, so a new key can
 * be added before an old one is removed). Keys are kept only as SHA-256 digests and compared
 * digest to digest with CRYPTO_memcmp over every configured key: the time taken depends
 * neither on where a guess first differs nor on its length, nor on which key matched. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "api.h"

#define DIGEST_LEN 32

struct api_auth {
    size_t n;
    unsigned char (*digests)[DIGEST_LEN];
    EVP_MD *sha256;           /* fetched once: EVP_sha256() looks it up again on every call */
};

static bool digest(const api_auth *auth, const char *text, size_t len,
                   unsigned char out[DIGEST_LEN])
{
    unsigned int n = 0;
    return EVP_Digest(text, len, out, &n, auth->sha256, NULL) == 1 && n == DIGEST_LEN;
}

api_auth *api_auth_new(const char *keys, fsim_error *err)
{
    api_auth *auth = calloc(1, sizeof *auth);
    if (!auth)
        goto nomem;
    if (!keys)
        return auth;
    auth->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!auth->sha256) {
        api_auth_free(auth);
        fsim_error_set(err, FSIM_INTERNAL, "FLEETSIM_API_KEYS", 0, 0, NULL,
                       "no SHA-256 in this OpenSSL");
        return NULL;
    }
    size_t max = 1;
    for (const char *p = keys; *p; p++)
        max += *p == ',';
    auth->digests = calloc(max, sizeof *auth->digests);
    if (!auth->digests)
        goto nomem;
    const char *p = keys;
    while (*p) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (b > a && b - a < API_AUTH_MIN_KEY_BYTES) {
            /* the key itself is never logged, only which one */
            fsim_error_set(err, FSIM_USAGE, "FLEETSIM_API_KEYS", 0, 0, NULL,
                           "key %zu is %zu bytes: keys need %d bytes or more", auth->n + 1,
                           (size_t)(b - a), API_AUTH_MIN_KEY_BYTES);
            api_auth_free(auth);
            return NULL;
        }
        if (b > a) {
            if (!digest(auth, a, (size_t)(b - a), auth->digests[auth->n])) {
                api_auth_free(auth);
                fsim_error_set(err, FSIM_INTERNAL, "FLEETSIM_API_KEYS", 0, 0, NULL,
                               "could not hash the API keys");
                return NULL;
            }
            auth->n++;
        }
        p = *end ? end + 1 : end;
    }
    return auth;
nomem:
    api_auth_free(auth);
    fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    return NULL;
}

void api_auth_free(api_auth *auth)
{
    if (!auth)
        return;
    free(auth->digests);
    EVP_MD_free(auth->sha256);
    free(auth);
}

bool api_auth_enabled(const api_auth *auth)
{
    return auth && auth->n > 0;
}

int api_auth_check(const api_auth *auth, const char *presented)
{
    if (!api_auth_enabled(auth))
        return 0;
    if (!presented || !*presented)
        return 401;
    unsigned char d[DIGEST_LEN];
    if (!digest(auth, presented, strlen(presented), d))
        return 403;
    int match = 0;
    for (size_t i = 0; i < auth->n; i++) /* no early exit */
        match |= CRYPTO_memcmp(d, auth->digests[i], DIGEST_LEN) == 0;
    return match ? 0 : 403;
}
