/* Test helpers that play Google's part in push authentication: RSA key pairs made with
 * OpenSSL at test time (no private key is ever committed), the JWKS that publishes their
 * public halves, and ID tokens signed with them (RS256), with HS256, or not at all.
 * Used by the verifier's unit test (tests/gcs) and the push worker's test (tests/pubsub). */
#ifndef FLEETSIM_TEST_JWT_H
#define FLEETSIM_TEST_JWT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define TJWT_ISS "https://accounts.google.com"

static inline EVP_PKEY *tjwt_keygen(unsigned bits)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
}

/* base64url without padding, malloc'd. */
static inline char *tjwt_b64url(const void *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    int w = 0;
    for (int i = 0; i < n && out[i] != '='; i++)
        out[w++] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    out[w] = '\0';
    return out;
}

static inline char *tjwt_bn_b64url(const EVP_PKEY *key, const char *param)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(key, param, &bn) != 1)
        return NULL;
    int n = BN_num_bytes(bn);
    unsigned char *bin = malloc((size_t)n);
    BN_bn2bin(bn, bin);
    char *out = tjwt_b64url(bin, (size_t)n);
    free(bin);
    BN_free(bn);
    return out;
}

/* {"keys": [...]} for n keys named kids[i], as Google publishes them. malloc'd. */
static inline char *tjwt_jwks(EVP_PKEY *const *keys, const char *const *kids, size_t n)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "keys");
    for (size_t i = 0; i < n; i++) {
        cJSON *k = cJSON_CreateObject();
        char *nn = tjwt_bn_b64url(keys[i], OSSL_PKEY_PARAM_RSA_N);
        char *ee = tjwt_bn_b64url(keys[i], OSSL_PKEY_PARAM_RSA_E);
        cJSON_AddStringToObject(k, "kty", "RSA");
        cJSON_AddStringToObject(k, "use", "sig");
        cJSON_AddStringToObject(k, "alg", "RS256");
        cJSON_AddStringToObject(k, "kid", kids[i]);
        cJSON_AddStringToObject(k, "n", nn ? nn : "");
        cJSON_AddStringToObject(k, "e", ee ? ee : "");
        cJSON_AddItemToArray(arr, k);
        free(nn);
        free(ee);
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

/* The claims of a Pub/Sub push token. exp = iat + 3600. NULL strings are left out. */
static inline char *tjwt_claims(const char *iss, const char *aud, const char *email,
                                int verified, long long iat)
{
    cJSON *c = cJSON_CreateObject();
    if (iss)
        cJSON_AddStringToObject(c, "iss", iss);
    if (aud)
        cJSON_AddStringToObject(c, "aud", aud);
    cJSON_AddStringToObject(c, "azp", "1234567890");
    cJSON_AddStringToObject(c, "sub", "1234567890");
    if (email)
        cJSON_AddStringToObject(c, "email", email);
    if (verified >= 0)
        cJSON_AddBoolToObject(c, "email_verified", verified);
    cJSON_AddNumberToObject(c, "iat", (double)iat);
    cJSON_AddNumberToObject(c, "exp", (double)(iat + 3600));
    char *text = cJSON_PrintUnformatted(c);
    cJSON_Delete(c);
    return text;
}

static inline char *tjwt_header(const char *alg, const char *kid)
{
    cJSON *h = cJSON_CreateObject();
    cJSON_AddStringToObject(h, "alg", alg);
    if (kid)
        cJSON_AddStringToObject(h, "kid", kid);
    cJSON_AddStringToObject(h, "typ", "JWT");
    char *text = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    return text;
}

/* header.claims.signature. alg "RS256": signed with `key`; "HS256": HMAC-SHA256 keyed with
 * `secret` (the classic attack keys it with the public key); anything else ("none"): an
 * empty signature. malloc'd. */
static inline char *tjwt_token(const char *header, const char *claims, EVP_PKEY *key,
                               const char *secret)
{
    char *h64 = tjwt_b64url(header, strlen(header));
    char *c64 = tjwt_b64url(claims, strlen(claims));
    size_t in_len = strlen(h64) + 1 + strlen(c64);
    char *input = malloc(in_len + 1);
    snprintf(input, in_len + 1, "%s.%s", h64, c64);
    unsigned char sig[1024];
    size_t sig_len = 0;
    if (strstr(header, "\"RS256\"") && key) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        sig_len = sizeof sig;
        if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
            EVP_DigestSign(md, sig, &sig_len, (unsigned char *)input, in_len) != 1)
            sig_len = 0;
        EVP_MD_CTX_free(md);
    } else if (strstr(header, "\"HS256\"") && secret) {
        if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
                       (unsigned char *)input, in_len, sig, sizeof sig, &sig_len))
            sig_len = 0;
    }
    char *s64 = tjwt_b64url(sig, sig_len);
    size_t total = in_len + 1 + strlen(s64);
    char *jwt = malloc(total + 1);
    snprintf(jwt, total + 1, "%s.%s", input, s64);
    free(h64);
    free(c64);
    free(input);
    free(s64);
    return jwt;
}

/* "Bearer <token>", malloc'd. */
static inline char *tjwt_bearer(const char *token)
{
    size_t n = strlen(token) + 8;
    char *s = malloc(n);
    snprintf(s, n, "Bearer %s", token);
    return s;
}

/* The public key as PEM text (the HS256 attack's secret). malloc'd. */
static inline char *tjwt_public_pem(EVP_PKEY *key)
{
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(b, key);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *out = malloc((size_t)n + 1);
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    BIO_free(b);
    return out;
}

#endif
