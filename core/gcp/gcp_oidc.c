/* Verifying Google-signed OIDC ID tokens (Pub/Sub push authentication): RS256 with OpenSSL
 * EVP against a JWKS key set fetched with libcurl and cached. See fleetsim/gcp_oidc.h. */
#include <fleetsim/gcp_oidc.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <fleetsim/arena.h>
#include <fleetsim/lazy.h>
#include <fleetsim/util.h>

#include "gcp_internal.h"

#define DEFAULT_LEEWAY_S 60
#define DEFAULT_REFETCH_S 10
#define DEFAULT_TIMEOUT_S 10
#define DEFAULT_MAX_AGE_S 300   /* a key set served without max-age */
#define MAX_MAX_AGE_S 86400     /* never trust a key set longer than a day */
#define MAX_TOKEN 16384         /* Google's ID tokens are about 1 KiB */
#define MIN_RSA_BITS 2048
#define SOURCE "Authorization"

typedef struct oidc_key {
    char *kid;
    EVP_PKEY *pkey;
} oidc_key;

struct fsim_oidc {
    char *audience;
    char *email;
    char *keys_url;             /* one of these two */
    char *keys_file;
    char *describe;
    long leeway_s, refetch_s, timeout_s;

    pthread_mutex_t lock;       /* guards everything below */
    oidc_key *keys;
    size_t n_keys;
    bool have_keys;
    double expires_at;          /* CLOCK_MONOTONIC seconds; the key set is fetched anew after */
    double last_kid_fetch;      /* when an unknown kid last caused a fetch */
    double retry_at;            /* after a failed fetch, none before this */
    char last_error[600];       /* why the last fetch failed */
    atomic_long fetches;
};

/* ---- small helpers ------------------------------------------------------------------- */

static void free_keys(oidc_key *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(keys[i].kid);
        EVP_PKEY_free(keys[i].pkey);
    }
    free(keys);
}

/* ---- the key set --------------------------------------------------------------------- */

/* A JWK's RSA modulus and exponent (base64url big-endian integers) as an EVP_PKEY, built
 * from OSSL_PARAMs as OpenSSL 3 wants; NULL when they do not make an RSA key we accept. */
static EVP_PKEY *rsa_from_jwk(const char *n64, const char *e64)
{
    unsigned char *n = NULL, *e = NULL;
    size_t nlen = 0, elen = 0;
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    if (!fsim_base64url_decode(n64, strlen(n64), &n, &nlen) ||
        !fsim_base64url_decode(e64, strlen(e64), &e, &elen) || nlen == 0 || elen == 0)
        goto out;
    bn_n = BN_bin2bn(n, (int)nlen, NULL);
    bn_e = BN_bin2bn(e, (int)elen, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (!bn_n || !bn_e || !bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) ||
        !(params = OSSL_PARAM_BLD_to_param(bld)))
        goto out;
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        goto out;
    if (EVP_PKEY_get_bits(pkey) < MIN_RSA_BITS) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    free(n);
    free(e);
    return pkey;
}

static const char *string_member(const cJSON *obj, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(m) && m->valuestring[0] ? m->valuestring : NULL;
}

/* {"keys": [{kty, kid, n, e, [use], [alg]}, …]}: the RSA signing keys usable for RS256.
 * Keys of other kinds are skipped (a JWKS may mix them); a set with none is an error. */
static fsim_status parse_jwks(const char *text, size_t len, const char *label, oidc_key **out,
                              size_t *n_out, fsim_error *err)
{
    *out = NULL;
    *n_out = 0;
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *arr = root ? cJSON_GetObjectItemCaseSensitive(root, "keys") : NULL;
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(root);
        return fsim_error_set(err, FSIM_INVALID, label, 0, 0, "keys",
                              "not a JWKS (an object with a \"keys\" array)");
    }
    int count = cJSON_GetArraySize(arr);
    oidc_key *keys = calloc(count > 0 ? (size_t)count : 1, sizeof *keys);
    size_t n = 0;
    if (!keys) {
        cJSON_Delete(root);
        return fsim_error_set(err, FSIM_NOMEM, label, 0, 0, NULL, "out of memory");
    }
    const cJSON *k;
    cJSON_ArrayForEach(k, arr)
    {
        const char *kty = string_member(k, "kty"), *kid = string_member(k, "kid");
        const char *use = string_member(k, "use"), *alg = string_member(k, "alg");
        const char *nn = string_member(k, "n"), *ee = string_member(k, "e");
        if (!kty || strcmp(kty, "RSA") != 0 || !kid || !nn || !ee ||
            (use && strcmp(use, "sig") != 0) || (alg && strcmp(alg, "RS256") != 0))
            continue;
        EVP_PKEY *pkey = rsa_from_jwk(nn, ee);
        if (!pkey)
            continue;
        if (!(keys[n].kid = fsim__strdup(kid))) {
            EVP_PKEY_free(pkey);
            break;
        }
        keys[n++].pkey = pkey;
    }
    cJSON_Delete(root);
    if (n == 0) {
        free_keys(keys, n);
        return fsim_error_set(err, FSIM_INVALID, label, 0, 0, "keys",
                              "no RSA signing key of at least %d bits for RS256", MIN_RSA_BITS);
    }
    *out = keys;
    *n_out = n;
    return FSIM_OK;
}

/* How long a fetched key set may be used: Cache-Control max-age minus Age (RFC 9111 §4.2),
 * no-store / no-cache meaning "not at all", a default when the server says nothing. */
static double lifetime(const char *cache_control, const char *age)
{
    double life = DEFAULT_MAX_AGE_S;
    if (cache_control) {
        char lower[512];
        size_t i = 0;
        for (; cache_control[i] && i < sizeof lower - 1; i++)
            lower[i] = (char)(cache_control[i] >= 'A' && cache_control[i] <= 'Z'
                                  ? cache_control[i] + 32
                                  : cache_control[i]);
        lower[i] = '\0';
        const char *m = strstr(lower, "max-age=");
        if (strstr(lower, "no-store") || strstr(lower, "no-cache"))
            life = 0;
        else if (m)
            life = strtod(m + 8, NULL);
    }
    if (age)
        life -= strtod(age, NULL);
    if (!(life > 0))
        life = 0;
    return life > MAX_MAX_AGE_S ? MAX_MAX_AGE_S : life;
}


/* GETs the JWKS at keys_url; *life_s from its caching headers. */
static fsim_status fetch_url(const fsim_oidc *o, fsim__body_buf *body, double *life_s,
                             fsim_error *err)
{
    fsim__curl_init();
    char curl_err[CURL_ERROR_SIZE] = "";
    CURL *h = curl_easy_init();
    if (!h)
        return fsim_error_set(err, FSIM_NOMEM, o->keys_url, 0, 0, NULL,
                              "could not create an HTTP handle");
    curl_easy_setopt(h, CURLOPT_URL, o->keys_url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->timeout_s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fsim__body_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    fsim_status st = FSIM_OK;
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK) {
        st = fsim_error_set(err, FSIM_IO, o->keys_url, 0, 0, NULL,
                            "could not fetch the signing keys: %s",
                            body->too_big ? "response over 1 MiB"
                                          : curl_err[0] ? curl_err : curl_easy_strerror(rc));
    } else if (status != 200) {
        st = fsim_error_set(err, FSIM_IO, o->keys_url, 0, 0, NULL,
                            "could not fetch the signing keys: HTTP %ld", status);
    } else {
        struct curl_header *cc = NULL, *age = NULL;
        if (curl_easy_header(h, "Cache-Control", 0, CURLH_HEADER, -1, &cc) != CURLHE_OK)
            cc = NULL;
        const char *cc_value = cc ? cc->value : NULL; /* valid until the next header call */
        char cc_copy[512];
        if (cc_value) {
            snprintf(cc_copy, sizeof cc_copy, "%s", cc_value);
            cc_value = cc_copy;
        }
        if (curl_easy_header(h, "Age", 0, CURLH_HEADER, -1, &age) != CURLHE_OK)
            age = NULL;
        *life_s = lifetime(cc_value, age ? age->value : NULL);
    }
    curl_easy_cleanup(h);
    return st;
}

/* Fetches (or reads) the key set and replaces the cached one. Caller holds the lock. On
 * failure the previous set stays (a key set that cannot be refreshed is still Google's). */
static fsim_status load_keys(fsim_oidc *o, fsim_error *err)
{
    atomic_fetch_add(&o->fetches, 1);
    fsim_status st;
    fsim__body_buf body = {0};
    double life = INFINITY;
    oidc_key *keys = NULL;
    size_t n = 0;
    const char *label = o->keys_url ? o->keys_url : o->keys_file;
    if (o->keys_url) {
        st = fetch_url(o, &body, &life, err);
    } else {
        fsim_arena *arena = fsim_arena_new();
        char *text = NULL;
        size_t len = 0;
        st = arena ? fsim_read_file(o->keys_file, arena, &text, &len, err)
                   : fsim_error_set(err, FSIM_NOMEM, label, 0, 0, NULL, "out of memory");
        if (st == FSIM_OK && !(body.data = malloc(len + 1)))
            st = fsim_error_set(err, FSIM_NOMEM, label, 0, 0, NULL, "out of memory");
        if (st == FSIM_OK) {
            memcpy(body.data, text, len);
            body.data[len] = '\0';
            body.len = len;
        }
        fsim_arena_free(arena);
    }
    if (st == FSIM_OK)
        st = parse_jwks(body.data ? body.data : "", body.len, label, &keys, &n, err);
    free(body.data);
    if (st != FSIM_OK)
        return st;
    free_keys(o->keys, o->n_keys);
    o->keys = keys;
    o->n_keys = n;
    o->have_keys = true;
    o->expires_at = fsim__monotonic_now() + life;
    return FSIM_OK;
}

/* The key named `kid`, with a reference of the caller's own, or NULL. Caller holds the lock. */
static EVP_PKEY *find_key(const fsim_oidc *o, const char *kid)
{
    for (size_t i = 0; i < o->n_keys; i++)
        if (strcmp(o->keys[i].kid, kid) == 0)
            return EVP_PKEY_up_ref(o->keys[i].pkey) == 1 ? o->keys[i].pkey : NULL;
    return NULL;
}

/* One fetch of the key set under the lock; a failure is remembered, and no other fetch is
 * tried for refetch_s, so an outage of the key endpoint costs one slow request per
 * interval instead of one per push (a stale key set keeps serving meanwhile). */
static bool try_load(fsim_oidc *o, double now)
{
    fsim_error ferr;
    fsim_error_clear(&ferr);
    if (load_keys(o, &ferr) == FSIM_OK)
        return true;
    o->retry_at = now + (double)o->refetch_s;
    fsim_error_format(&ferr, o->last_error, sizeof o->last_error);
    return false;
}

/* The key for `kid`: the cached set, refreshed when it has expired, fetched again once per
 * refetch interval when the kid is unknown (Google rotates keys about every two weeks).
 * *verdict says what to answer when NULL comes back. */
static EVP_PKEY *key_for(fsim_oidc *o, const char *kid, fsim_oidc_verdict *verdict,
                         fsim_error *why)
{
    pthread_mutex_lock(&o->lock);
    double now = fsim__monotonic_now();
    bool fetched = false, failed = false;
    if ((!o->have_keys || now >= o->expires_at) && now >= o->retry_at) {
        fetched = true;
        failed = !try_load(o, now);
    }
    EVP_PKEY *key = o->have_keys ? find_key(o, kid) : NULL;
    if (!key && o->have_keys && !fetched && now >= o->retry_at &&
        now - o->last_kid_fetch >= (double)o->refetch_s) {
        o->last_kid_fetch = now;
        failed = !try_load(o, now);
        key = find_key(o, kid);
    }
    bool have = o->have_keys;
    char last_error[sizeof o->last_error];
    memcpy(last_error, o->last_error, sizeof last_error);
    pthread_mutex_unlock(&o->lock);
    if (key)
        return key;
    if (!have || failed) {
        *verdict = FSIM_OIDC_UNAVAILABLE;
        fsim_error_set(why, FSIM_IO, SOURCE, 0, 0, "kid", "no key for \"%.64s\": %s", kid,
                       last_error);
    } else {
        *verdict = FSIM_OIDC_UNAUTHENTICATED;
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, "kid",
                       "unknown key id \"%.64s\" (not among Google's signing keys)", kid);
    }
    return NULL;
}

/* ---- public API ---------------------------------------------------------------------- */

fsim_status fsim_oidc_new(const fsim_oidc_options *opts, fsim_oidc **out, fsim_error *err)
{
    *out = NULL;
    if (!opts->audience || !*opts->audience)
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, "audience", "is not set");
    if (!opts->email || !*opts->email)
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, "email",
                              "is not set: an audience alone lets any Google account in");
    if (fsim_lazy_need(FSIM_LAZY_CURL, "the push token check", err) != FSIM_OK ||
        fsim_lazy_need(FSIM_LAZY_CRYPTO, "the push token check", err) != FSIM_OK)
        return FSIM_INTERNAL;
    fsim_oidc *o = calloc(1, sizeof *o);
    if (!o)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    pthread_mutex_init(&o->lock, NULL);
    o->leeway_s = opts->leeway_seconds > 0 ? opts->leeway_seconds : DEFAULT_LEEWAY_S;
    o->refetch_s = opts->refetch_seconds > 0 ? opts->refetch_seconds : DEFAULT_REFETCH_S;
    o->timeout_s = opts->timeout_seconds > 0 ? opts->timeout_seconds : DEFAULT_TIMEOUT_S;
    o->last_kid_fetch = -INFINITY;
    o->retry_at = -INFINITY;
    const char *keys = opts->keys && *opts->keys ? opts->keys : FSIM_OIDC_GOOGLE_CERTS;
    bool url = strncmp(keys, "https://", 8) == 0 || strncmp(keys, "http://", 7) == 0;
    o->audience = fsim__strdup(opts->audience);
    o->email = fsim__strdup(opts->email);
    if (url)
        o->keys_url = fsim__strdup(keys);
    else
        o->keys_file = fsim__strdup(keys);
    o->describe = fsim_printf_alloc("audience %s, service account %s, keys %s%s",
                                    opts->audience, opts->email, url ? "" : "file ", keys);
    fsim_status st = FSIM_OK;
    if (!o->audience || !o->email || !(o->keys_url || o->keys_file) || !o->describe) {
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    } else if (o->keys_file) {
        pthread_mutex_lock(&o->lock);
        st = load_keys(o, err); /* a bad file is a start-up error, not a 503 per request */
        pthread_mutex_unlock(&o->lock);
    }
    if (st != FSIM_OK) {
        fsim_oidc_free(o);
        return st;
    }
    *out = o;
    return FSIM_OK;
}

void fsim_oidc_free(fsim_oidc *o)
{
    if (!o)
        return;
    free_keys(o->keys, o->n_keys);
    free(o->audience);
    free(o->email);
    free(o->keys_url);
    free(o->keys_file);
    free(o->describe);
    pthread_mutex_destroy(&o->lock);
    free(o);
}

const char *fsim_oidc_describe(const fsim_oidc *o)
{
    return o->describe;
}

long fsim_oidc_key_fetches(const fsim_oidc *o)
{
    return atomic_load(&((fsim_oidc *)o)->fetches);
}

/* One base64url part of the token parsed as a JSON object; NULL when it is not one. */
static cJSON *json_part(const char *part, size_t len)
{
    unsigned char *bin;
    size_t n;
    if (!fsim_base64url_decode(part, len, &bin, &n))
        return NULL;
    cJSON *obj = cJSON_ParseWithLength((const char *)bin, n);
    free(bin);
    if (obj && !cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

/* `aud` is a string in Google's tokens; RFC 7519 also allows an array of them. */
static bool audience_matches(const cJSON *aud, const char *want)
{
    if (cJSON_IsString(aud))
        return strcmp(aud->valuestring, want) == 0;
    if (!cJSON_IsArray(aud))
        return false;
    const cJSON *a;
    cJSON_ArrayForEach(a, aud)
    {
        if (cJSON_IsString(a) && strcmp(a->valuestring, want) == 0)
            return true;
    }
    return false;
}

/* The claims of a token whose signature verified: issuer, audience, time, then principal. */
static fsim_oidc_verdict check_claims(const fsim_oidc *o, const cJSON *claims, long long now,
                                      fsim_error *why)
{
    const cJSON *iss = cJSON_GetObjectItemCaseSensitive(claims, "iss");
    if (!cJSON_IsString(iss) || (strcmp(iss->valuestring, "accounts.google.com") != 0 &&
                                 strcmp(iss->valuestring, "https://accounts.google.com") != 0)) {
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, "iss", "\"%.100s\" is not Google",
                       cJSON_IsString(iss) ? iss->valuestring : "(missing)");
        return FSIM_OIDC_UNAUTHENTICATED;
    }
    const cJSON *aud = cJSON_GetObjectItemCaseSensitive(claims, "aud");
    if (!audience_matches(aud, o->audience)) {
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, "aud",
                       "\"%.100s\" is not this endpoint's audience",
                       cJSON_IsString(aud) ? aud->valuestring : "(missing or not a string)");
        return FSIM_OIDC_UNAUTHENTICATED;
    }
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(claims, "exp");
    if (!cJSON_IsNumber(exp)) {
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, "exp", "missing");
        return FSIM_OIDC_UNAUTHENTICATED;
    }
    if ((double)now > exp->valuedouble + (double)o->leeway_s) {
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, "exp",
                       "the token expired %.0f s ago", (double)now - exp->valuedouble);
        return FSIM_OIDC_UNAUTHENTICATED;
    }
    const char *early[] = {"iat", "nbf"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(claims, early[i]);
        if (t && (!cJSON_IsNumber(t) || t->valuedouble > (double)(now + o->leeway_s))) {
            fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, early[i],
                           "the token is not valid yet (or %s is not a number)", early[i]);
            return FSIM_OIDC_UNAUTHENTICATED;
        }
    }
    const cJSON *email = cJSON_GetObjectItemCaseSensitive(claims, "email");
    if (!cJSON_IsString(email) || strcmp(email->valuestring, o->email) != 0) {
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, "email",
                       "\"%.100s\" is not the push service account",
                       cJSON_IsString(email) ? email->valuestring : "(missing)");
        return FSIM_OIDC_FORBIDDEN;
    }
    const cJSON *verified = cJSON_GetObjectItemCaseSensitive(claims, "email_verified");
    if (!cJSON_IsTrue(verified) &&
        !(cJSON_IsString(verified) && strcmp(verified->valuestring, "true") == 0)) {
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, "email_verified", "is not true");
        return FSIM_OIDC_FORBIDDEN;
    }
    return FSIM_OIDC_VALID;
}

/* Header, then signature, then claims: nothing in the claims is believed before the
 * signature has verified with one of Google's keys. */
fsim_oidc_verdict fsim_oidc_verify(fsim_oidc *o, const char *authorization, long long now,
                                   fsim_error *why)
{
    fsim_error_clear(why);
    fsim_oidc_verdict verdict = FSIM_OIDC_UNAUTHENTICATED;
    cJSON *header = NULL, *claims = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *md = NULL;

    const char *p = authorization;
    while (p && (*p == ' ' || *p == '\t'))
        p++;
    if (!p || !*p) {
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, NULL, "no bearer token");
        goto out;
    }
    if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t')) {
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, NULL, "not a Bearer token");
        goto out;
    }
    const char *token = p + 7;
    while (*token == ' ' || *token == '\t')
        token++;
    size_t len = strlen(token);
    while (len > 0 && (token[len - 1] == ' ' || token[len - 1] == '\t'))
        len--;
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (len == 0 || len > MAX_TOKEN || !d1 || !d2 ||
        memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token))) {
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, NULL,
                       "the bearer token is not a JWT (three base64url parts)");
        goto out;
    }
    if (!(header = json_part(token, (size_t)(d1 - token)))) {
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, "header", "not base64url JSON");
        goto out;
    }
    const char *alg = string_member(header, "alg");
    if (!alg || strcmp(alg, "RS256") != 0) {
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, "alg", "\"%.20s\" is not RS256",
                       alg ? alg : "(missing)");
        goto out;
    }
    const char *kid = string_member(header, "kid");
    if (!kid || strlen(kid) > 256) {
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, "kid", "missing or too long");
        goto out;
    }
    if (!(claims = json_part(d1 + 1, (size_t)(d2 - d1 - 1)))) {
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, "payload", "not base64url JSON");
        goto out;
    }
    if (!fsim_base64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token), &sig, &sig_len) ||
        sig_len == 0) {
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, "signature", "not base64url");
        goto out;
    }
    if (!(key = key_for(o, kid, &verdict, why)))
        goto out;
    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)token,
                         (size_t)(d2 - token)) != 1) {
        ERR_clear_error();
        verdict = FSIM_OIDC_UNAUTHENTICATED;
        fsim_error_set(why, FSIM_INVALID, SOURCE, 0, 0, "signature",
                       "does not verify with Google's key \"%.64s\"", kid);
        goto out;
    }
    verdict = check_claims(o, claims, now, why);
out:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    free(sig);
    cJSON_Delete(header);
    cJSON_Delete(claims);
    return verdict;
}
