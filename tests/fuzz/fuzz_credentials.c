/* Fuzz target "credentials": a service-account key as JSON (FLEETSIM_GCP_CREDENTIALS_JSON,
 * or the file GOOGLE_APPLICATION_CREDENTIALS names), read by fsim_gcp_auth_new; a key that
 * loads then signs the assertion it would send to the token endpoint (no network: the
 * exchange itself is not fuzzed). No private key is committed: the text `@PRIVATE_KEY@` in
 * an input stands for the PEM of a key made at start-up, JSON-escaped, so seeds can be
 * valid keys. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fleetsim/gcp_auth.h>

#define PLACEHOLDER "@PRIVATE_KEY@"
#define NOW 1767225600LL /* 2026-01-01T00:00:00Z */

static char *pem_json; /* the PEM with its newlines as \n */

static void setup(void)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    BIO *b = BIO_new(BIO_s_mem());
    if (!key || !b || !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL))
        abort();
    char *pem;
    long n = BIO_get_mem_data(b, &pem);
    pem_json = malloc(2 * (size_t)n + 1);
    if (!pem_json)
        abort();
    size_t w = 0;
    for (long i = 0; i < n; i++) {
        if (pem[i] == '\n') {
            pem_json[w++] = '\\';
            pem_json[w++] = 'n';
        } else {
            pem_json[w++] = pem[i];
        }
    }
    pem_json[w] = '\0';
    BIO_free(b);
    EVP_PKEY_free(key);
}

/* `text` with its first placeholder replaced by the key (malloc'd). */
static char *with_key(const char *text)
{
    const char *at = strstr(text, PLACEHOLDER);
    if (!at)
        return strdup(text);
    size_t before = (size_t)(at - text), key = strlen(pem_json);
    const char *after = at + strlen(PLACEHOLDER);
    char *out = malloc(before + key + strlen(after) + 1);
    if (!out)
        abort();
    memcpy(out, text, before);
    memcpy(out + before, pem_json, key);
    strcpy(out + before + key, after);
    return out;
}

/* Before the first input: the setup is not timed as that input's run (fuzz.h). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!pem_json)
        setup();
    char *raw = fuzz_cstr(data, size);
    char *json = with_key(raw);
    if (!json)
        abort();
    fsim_gcp_auth_options opts = {.credentials_json = json, .metadata_host = "127.0.0.1:9"};
    fsim_gcp_auth *auth = NULL;
    fsim_error err;
    if (fsim_gcp_auth_new(&opts, &auth, &err) == FSIM_OK) {
        char *assertion = NULL;
        fsim_gcp_auth_describe(auth);
        if (fsim_gcp_auth_sign_assertion(auth, NOW, &assertion, &err) == FSIM_OK)
            free(assertion);
    }
    fsim_gcp_auth_free(auth);
    free(json);
    free(raw);
    return 0;
}
