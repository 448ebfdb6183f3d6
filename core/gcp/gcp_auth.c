/* Google Cloud credentials: service-account keys (RS256 JWT → OAuth2 token) and the metadata
 * server, with a thread-safe token cache. See fleetsim/gcp_auth.h. */
#include <fleetsim/gcp_auth.h>

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fleetsim/arena.h>
#include <fleetsim/lazy.h>
#include <fleetsim/util.h>

#include "gcp_internal.h"

#define DEFAULT_METADATA_HOST "metadata.google.internal"
#define METADATA_TOKEN_PATH "/computeMetadata/v1/instance/service-accounts/default/token"
#define DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"
#define JWT_LIFETIME_S 3600
#define REFRESH_MARGIN_S 300.0

struct fsim_gcp_auth {
    fsim_gcp_auth_kind kind;
    char *label;            /* "FLEETSIM_GCP_CREDENTIALS_JSON" or "… (path)": errors */
    char *describe;
    /* key sources */
    char *client_email;
    char *private_key_id;   /* optional: the JWT header's kid */
    char *token_uri;
    char *scope;
    EVP_PKEY *pkey;
    /* metadata source */
    char *metadata_url;
    long timeout_s;

    pthread_mutex_t lock;
    char token[FSIM_GCP_TOKEN_MAX];
    bool have_token;
    double refresh_at;      /* CLOCK_MONOTONIC seconds after which the token is refreshed */
};

/* ---- small helpers ------------------------------------------------------------------- */


static bool is_set(const char *s)
{
    return s && *s;
}

/* "host:port" or "http://host:port[/]" → "http://host:port" (malloc'd). Google's libraries
 * take GCE_METADATA_HOST / STORAGE_EMULATOR_HOST in either form. */
static char *http_base(const char *hostish)
{
    const char *scheme = strstr(hostish, "://") ? "" : "http://";
    char *url = fsim_printf_alloc("%s%s", scheme, hostish);
    if (url) {
        size_t n = strlen(url);
        while (n > 0 && url[n - 1] == '/')
            url[--n] = '\0';
    }
    return url;
}

/* ---- HTTP (a small blocking request that collects the body) -------------------------- */

/* One request: POST `form` (or GET when NULL) to `url` with optional extra header. Fills
 * the status and body (malloc'd, NUL-terminated). Transport failures → FSIM_IO naming the
 * URL (never the form: it holds the assertion). */
static fsim_status http_fetch(const fsim_gcp_auth *auth, const char *url, const char *form,
                              const char *header, long *status, fsim__body_buf *body,
                              fsim_error *err)
{
    fsim__curl_init();
    fsim_status st = FSIM_OK;
    char curl_err[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    CURL *h = curl_easy_init();
    if (!h)
        return fsim_error_set(err, FSIM_NOMEM, auth->label, 0, 0, NULL,
                              "could not create an HTTP handle");
    if (header)
        headers = curl_slist_append(headers, header);
    if (form)
        headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, auth->timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, auth->timeout_s < 10 ? auth->timeout_s : 10L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fsim__body_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (form) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
    }
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        st = fsim_error_set(err, FSIM_IO, auth->label, 0, 0, NULL,
                            "could not reach the token endpoint \"%s\": %s", url,
                            body->too_big ? "response too large"
                                          : curl_err[0] ? curl_err : curl_easy_strerror(rc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    return st;
}

/* ---- loading a key ------------------------------------------------------------------- */

/* A required string member of the key, with an error naming the variable and field. */
static fsim_status key_string(const cJSON *root, const char *name, bool required,
                              const char *label, char **out, fsim_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);
    if (!item || cJSON_IsNull(item)) {
        if (!required)
            return FSIM_OK;
        return fsim_error_set(err, FSIM_INVALID, label, 0, 0, name,
                              "missing in the service-account key");
    }
    if (!cJSON_IsString(item) || !item->valuestring[0])
        return fsim_error_set(err, FSIM_INVALID, label, 0, 0, name,
                              "must be a non-empty string");
    *out = fsim__strdup(item->valuestring);
    return *out ? FSIM_OK : fsim_error_set(err, FSIM_NOMEM, label, 0, 0, name, "out of memory");
}

/* Parses and checks a service-account key. Messages never quote the text: it is a secret,
 * so a syntax error gives only line and column. */
static fsim_status load_key(fsim_gcp_auth *auth, const char *text, size_t len, fsim_error *err)
{
    fsim_status st = FSIM_OK;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    BIO *bio = NULL;
    char *type = NULL, *pem = NULL;
    if (!root) {
        fsim_error where;
        fsim_error_clear(&where);
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        fsim_json_syntax_error(text, len, off, auth->label, &where);
        st = fsim_error_set(err, FSIM_INVALID, auth->label, where.line, where.column, NULL,
                            "service-account key is not valid JSON");
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        st = fsim_error_set(err, FSIM_INVALID, auth->label, 0, 0, NULL,
                            "service-account key must be a JSON object");
        goto out;
    }
    if ((st = key_string(root, "type", true, auth->label, &type, err)) != FSIM_OK)
        goto out;
    if (strcmp(type, "service_account") != 0) {
        st = fsim_error_set(err, FSIM_INVALID, auth->label, 0, 0, "type",
                            "must be \"service_account\" (got \"%.64s\"); user and external-account "
                            "credentials are not supported",
                            type);
        goto out;
    }
    if ((st = key_string(root, "client_email", true, auth->label, &auth->client_email, err)) ||
        (st = key_string(root, "private_key", true, auth->label, &pem, err)) ||
        (st = key_string(root, "private_key_id", false, auth->label, &auth->private_key_id,
                         err)) ||
        (st = key_string(root, "token_uri", false, auth->label, &auth->token_uri, err)))
        goto out;
    if (!auth->token_uri && !(auth->token_uri = fsim__strdup(DEFAULT_TOKEN_URI))) {
        st = fsim_error_set(err, FSIM_NOMEM, auth->label, 0, 0, NULL, "out of memory");
        goto out;
    }
    if (strncmp(auth->token_uri, "https://", 8) != 0 &&
        strncmp(auth->token_uri, "http://", 7) != 0) {
        st = fsim_error_set(err, FSIM_INVALID, auth->label, 0, 0, "token_uri",
                            "must be an http(s) URL");
        goto out;
    }
    bio = BIO_new_mem_buf(pem, -1);
    if (bio)
        auth->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    if (!auth->pkey || EVP_PKEY_get_base_id(auth->pkey) != EVP_PKEY_RSA) {
        st = fsim_error_set(err, FSIM_INVALID, auth->label, 0, 0, "private_key",
                            "is not a PEM-encoded RSA private key");
        goto out;
    }
out:
    if (pem) {
        OPENSSL_cleanse(pem, strlen(pem));
        free(pem);
    }
    free(type);
    BIO_free(bio);
    cJSON_Delete(root);
    return st;
}

/* ---- public API ---------------------------------------------------------------------- */

void fsim_gcp_auth_options_from_env(fsim_gcp_auth_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->credentials_json = getenv("FLEETSIM_GCP_CREDENTIALS_JSON");
    opts->credentials_file = getenv("GOOGLE_APPLICATION_CREDENTIALS");
    opts->metadata_host = getenv("GCE_METADATA_HOST");
}

fsim_status fsim_gcp_auth_new(const fsim_gcp_auth_options *opts, fsim_gcp_auth **out,
                              fsim_error *err)
{
    fsim_status st = FSIM_OK;
    fsim_arena *arena = NULL;
    *out = NULL;
    if (fsim_lazy_need(FSIM_LAZY_CURL, "Google credentials", err) != FSIM_OK ||
        fsim_lazy_need(FSIM_LAZY_CRYPTO, "Google credentials", err) != FSIM_OK)
        return FSIM_INTERNAL;
    fsim_gcp_auth *auth = calloc(1, sizeof *auth);
    if (!auth)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    pthread_mutex_init(&auth->lock, NULL);
    auth->timeout_s = opts->timeout_seconds > 0 ? opts->timeout_seconds : 30;
    auth->scope = fsim__strdup(is_set(opts->scope) ? opts->scope : FSIM_GCP_SCOPE_CLOUD_PLATFORM);

    if (is_set(opts->credentials_json)) {
        auth->kind = FSIM_GCP_AUTH_KEY_JSON;
        auth->label = fsim__strdup("FLEETSIM_GCP_CREDENTIALS_JSON");
        if (!auth->label || !auth->scope) {
            st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
            goto out;
        }
        if ((st = load_key(auth, opts->credentials_json, strlen(opts->credentials_json), err)))
            goto out;
    } else if (is_set(opts->credentials_file)) {
        auth->kind = FSIM_GCP_AUTH_KEY_FILE;
        auth->label = fsim_printf_alloc("GOOGLE_APPLICATION_CREDENTIALS (%s)", opts->credentials_file);
        arena = fsim_arena_new();
        if (!auth->label || !auth->scope || !arena) {
            st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
            goto out;
        }
        char *text = NULL;
        size_t len = 0;
        fsim_error ferr;
        fsim_error_clear(&ferr);
        if (fsim_read_file(opts->credentials_file, arena, &text, &len, &ferr) != FSIM_OK) {
            st = fsim_error_set(err, ferr.status, auth->label, 0, 0, NULL, "%s", ferr.message);
            goto out;
        }
        st = load_key(auth, text, len, err);
        OPENSSL_cleanse(text, len);
        if (st)
            goto out;
    } else {
        auth->kind = FSIM_GCP_AUTH_METADATA;
        char *base = http_base(is_set(opts->metadata_host) ? opts->metadata_host
                                                           : DEFAULT_METADATA_HOST);
        auth->metadata_url = base ? fsim_printf_alloc("%s%s", base, METADATA_TOKEN_PATH) : NULL;
        free(base);
        auth->label = fsim__strdup("metadata server");
        if (!auth->metadata_url || !auth->label || !auth->scope) {
            st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
            goto out;
        }
    }
    if (auth->kind == FSIM_GCP_AUTH_METADATA)
        auth->describe = fsim_printf_alloc("metadata server (%s)", auth->metadata_url);
    else
        auth->describe = fsim_printf_alloc("service-account key (%s, %s)", auth->label,
                                 auth->client_email);
    if (!auth->describe)
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
out:
    fsim_arena_free(arena);
    if (st != FSIM_OK) {
        fsim_gcp_auth_free(auth);
        return st;
    }
    *out = auth;
    return FSIM_OK;
}

void fsim_gcp_auth_free(fsim_gcp_auth *auth)
{
    if (!auth)
        return;
    OPENSSL_cleanse(auth->token, sizeof auth->token);
    EVP_PKEY_free(auth->pkey);
    free(auth->label);
    free(auth->describe);
    free(auth->client_email);
    free(auth->private_key_id);
    free(auth->token_uri);
    free(auth->scope);
    free(auth->metadata_url);
    pthread_mutex_destroy(&auth->lock);
    free(auth);
}

fsim_gcp_auth_kind fsim_gcp_auth_get_kind(const fsim_gcp_auth *auth)
{
    return auth->kind;
}

const char *fsim_gcp_auth_describe(const fsim_gcp_auth *auth)
{
    return auth->describe;
}

/* header.claims.signature, RS256 (RSASSA-PKCS1-v1_5 with SHA-256) as Google's token endpoint
 * expects for the jwt-bearer grant. */
fsim_status fsim_gcp_auth_sign_assertion(fsim_gcp_auth *auth, long long now, char **assertion,
                                         fsim_error *err)
{
    fsim_status st = FSIM_OK;
    cJSON *hdr = NULL, *claims = NULL;
    char *hdr_txt = NULL, *claims_txt = NULL, *h64 = NULL, *c64 = NULL, *input = NULL,
         *s64 = NULL;
    unsigned char *sig = NULL;
    EVP_MD_CTX *md = NULL;
    *assertion = NULL;
    if (!auth->pkey)
        return fsim_error_set(err, FSIM_INVALID, auth->label, 0, 0, NULL,
                              "the metadata server issues tokens itself: there is no key to sign with");

    hdr = cJSON_CreateObject();
    claims = cJSON_CreateObject();
    if (!hdr || !claims || !cJSON_AddStringToObject(hdr, "alg", "RS256") ||
        !cJSON_AddStringToObject(hdr, "typ", "JWT") ||
        (auth->private_key_id && !cJSON_AddStringToObject(hdr, "kid", auth->private_key_id)) ||
        !cJSON_AddStringToObject(claims, "iss", auth->client_email) ||
        !cJSON_AddStringToObject(claims, "scope", auth->scope) ||
        !cJSON_AddStringToObject(claims, "aud", auth->token_uri) ||
        !cJSON_AddNumberToObject(claims, "iat", (double)now) ||
        !cJSON_AddNumberToObject(claims, "exp", (double)(now + JWT_LIFETIME_S)))
        goto nomem;
    hdr_txt = cJSON_PrintUnformatted(hdr);
    claims_txt = cJSON_PrintUnformatted(claims);
    if (!hdr_txt || !claims_txt)
        goto nomem;
    h64 = fsim_base64url_encode((const unsigned char *)hdr_txt, strlen(hdr_txt));
    c64 = fsim_base64url_encode((const unsigned char *)claims_txt, strlen(claims_txt));
    input = h64 && c64 ? fsim_printf_alloc("%s.%s", h64, c64) : NULL;
    if (!input)
        goto nomem;

    size_t siglen = 0;
    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, auth->pkey) != 1 ||
        EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)input, strlen(input)) != 1 ||
        !(sig = malloc(siglen)) ||
        EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input, strlen(input)) != 1) {
        st = fsim_error_set(err, FSIM_INTERNAL, auth->label, 0, 0, "private_key",
                            "could not sign the token request with the key");
        goto out;
    }
    s64 = fsim_base64url_encode(sig, siglen);
    if (!s64 || !(*assertion = fsim_printf_alloc("%s.%s", input, s64)))
        goto nomem;
    goto out;
nomem:
    st = fsim_error_set(err, FSIM_NOMEM, auth->label, 0, 0, NULL, "out of memory");
out:
    EVP_MD_CTX_free(md);
    cJSON_Delete(hdr);
    cJSON_Delete(claims);
    free(hdr_txt);
    free(claims_txt);
    free(h64);
    free(c64);
    free(input);
    free(sig);
    free(s64);
    return st;
}

/* The token endpoint's own words for an error ({"error": "...", "error_description": ...}
 * from OAuth2, or anything short), so a user sees "invalid_grant: Invalid JWT Signature."
 * rather than only a status. Never contains what we sent. */
static void endpoint_error_text(const fsim__body_buf *body, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!body->data)
        return;
    cJSON *root = cJSON_ParseWithLength(body->data, body->len);
    const cJSON *e = root ? cJSON_GetObjectItemCaseSensitive(root, "error") : NULL;
    const cJSON *d = root ? cJSON_GetObjectItemCaseSensitive(root, "error_description") : NULL;
    if (cJSON_IsString(e) && cJSON_IsString(d))
        snprintf(buf, size, ": %s: %s", e->valuestring, d->valuestring);
    else if (cJSON_IsString(e))
        snprintf(buf, size, ": %s", e->valuestring);
    else if (cJSON_IsObject(e) && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "message")))
        snprintf(buf, size, ": %s", cJSON_GetObjectItemCaseSensitive(e, "message")->valuestring);
    else if (body->len < 200 && !root)
        snprintf(buf, size, ": %.*s", (int)body->len, body->data);
    cJSON_Delete(root);
}

/* Fetches a new token (metadata GET or jwt-bearer POST) into the cache. Caller holds the
 * lock. */
static fsim_status refresh_token(fsim_gcp_auth *auth, fsim_error *err)
{
    fsim_status st = FSIM_OK;
    fsim__body_buf body = {0};
    char *assertion = NULL, *form = NULL;
    const char *url;
    long status = 0;
    cJSON *root = NULL;

    if (auth->kind == FSIM_GCP_AUTH_METADATA) {
        url = auth->metadata_url;
        st = http_fetch(auth, url, NULL, "Metadata-Flavor: Google", &status, &body, err);
    } else {
        url = auth->token_uri;
        if ((st = fsim_gcp_auth_sign_assertion(auth, (long long)time(NULL), &assertion, err)))
            goto out;
        /* The assertion is base64url: no character needs escaping in a form body. */
        form = fsim_printf_alloc("grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer"
                       "&assertion=%s",
                       assertion);
        if (!form) {
            st = fsim_error_set(err, FSIM_NOMEM, auth->label, 0, 0, NULL, "out of memory");
            goto out;
        }
        st = http_fetch(auth, url, form, NULL, &status, &body, err);
    }
    if (st)
        goto out;
    if (status != 200) {
        char detail[512];
        endpoint_error_text(&body, detail, sizeof detail);
        st = fsim_error_set(err, FSIM_IO, auth->label, 0, 0, NULL,
                            "token request to \"%s\" failed with HTTP %ld%s", url, status, detail);
        goto out;
    }
    root = body.data ? cJSON_ParseWithLength(body.data, body.len) : NULL;
    const cJSON *tok = root ? cJSON_GetObjectItemCaseSensitive(root, "access_token") : NULL;
    const cJSON *exp = root ? cJSON_GetObjectItemCaseSensitive(root, "expires_in") : NULL;
    if (!cJSON_IsString(tok) || !tok->valuestring[0] || !cJSON_IsNumber(exp) ||
        exp->valuedouble < 0) {
        st = fsim_error_set(err, FSIM_INVALID, auth->label, 0, 0, NULL,
                            "the answer of \"%s\" has no access_token and expires_in", url);
        goto out;
    }
    if (strlen(tok->valuestring) >= sizeof auth->token) {
        st = fsim_error_set(err, FSIM_INVALID, auth->label, 0, 0, "access_token",
                            "longer than %zu bytes", sizeof auth->token - 1);
        goto out;
    }
    strcpy(auth->token, tok->valuestring);
    auth->have_token = true;
    double life = exp->valuedouble;
    double margin = life > 2 * REFRESH_MARGIN_S ? REFRESH_MARGIN_S : life / 2;
    auth->refresh_at = fsim__monotonic_now() + life - margin;
out:
    if (root) {
        /* the token text lives on in our cache only */
        cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "access_token");
        if (cJSON_IsString(t))
            OPENSSL_cleanse(t->valuestring, strlen(t->valuestring));
    }
    cJSON_Delete(root);
    if (body.data) {
        OPENSSL_cleanse(body.data, body.len);
        free(body.data);
    }
    if (assertion) {
        OPENSSL_cleanse(assertion, strlen(assertion));
        free(assertion);
    }
    if (form) {
        OPENSSL_cleanse(form, strlen(form));
        free(form);
    }
    return st;
}

fsim_status fsim_gcp_auth_token(fsim_gcp_auth *auth, char *token, size_t size, fsim_error *err)
{
    fsim_status st = FSIM_OK;
    pthread_mutex_lock(&auth->lock);
    if (!auth->have_token || fsim__monotonic_now() >= auth->refresh_at) {
        auth->have_token = false;
        if ((st = refresh_token(auth, err)) != FSIM_OK)
            goto out;
    }
    if (strlen(auth->token) >= size) {
        st = fsim_error_set(err, FSIM_INVALID, auth->label, 0, 0, NULL,
                            "the access token does not fit the caller's buffer (%zu bytes)", size);
        goto out;
    }
    strcpy(token, auth->token);
out:
    pthread_mutex_unlock(&auth->lock);
    return st;
}

bool fsim_gcp_auth_cached_token(fsim_gcp_auth *auth, char *token, size_t size)
{
    if (pthread_mutex_trylock(&auth->lock) != 0) /* a refresh holds it: that would block */
        return false;
    bool ok = auth->have_token && fsim__monotonic_now() < auth->refresh_at &&
              strlen(auth->token) < size;
    if (ok)
        strcpy(token, auth->token);
    pthread_mutex_unlock(&auth->lock);
    return ok;
}

void fsim_gcp_auth_invalidate(fsim_gcp_auth *auth)
{
    pthread_mutex_lock(&auth->lock);
    auth->have_token = false;
    pthread_mutex_unlock(&auth->lock);
}
