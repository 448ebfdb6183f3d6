/* core/gcp: service-account keys (as a JSON string and as a file), the JWT they sign, the
 * token exchange against tests/gcs/fake_google.py (which verifies signature and claims the
 * way Google's endpoint does), caching, refresh, threads, the metadata server, and errors
 * that name the variable and never show a secret. Runs under with_fake_google.sh. */
/* CHECK formats its description into a fixed buffer: a long error message may be cut there,
 * which is fine for a test label. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fleetsim/gcp_auth.h>

#include "check.h"
#include "fake.h"

static char token_uri[512];

/* A message or source that mentions key material or a token would leak a secret. */
static bool leaks(const fsim_error *e)
{
    const char *bad[] = {"PRIVATE KEY", "MII", "tok-", "meta-", "assertion="};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (strstr(e->message, bad[i]) || strstr(e->source, bad[i]) || strstr(e->path, bad[i]))
            return true;
    return false;
}

static unsigned char *b64url_decode(const char *s, size_t n, size_t *out_len)
{
    size_t padded = (n + 3) / 4 * 4;
    char *tmp = calloc(1, padded + 1);
    for (size_t i = 0; i < n; i++)
        tmp[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    for (size_t i = n; i < padded; i++)
        tmp[i] = '=';
    unsigned char *out = calloc(1, padded);
    int len = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)padded);
    free(tmp);
    size_t pad = padded - n;
    *out_len = len < 0 ? 0 : (size_t)len - pad;
    return out;
}

/* The assertion's signature checked with the matching public key, and its claims. */
static void check_assertion(fsim_gcp_auth *auth, const char *label)
{
    char *jwt = NULL;
    fsim_error err;
    long long now = (long long)time(NULL);
    CHECK(fsim_gcp_auth_sign_assertion(auth, now, &jwt, &err) == FSIM_OK && jwt,
          "%s: assertion signed", label);
    if (!jwt)
        return;
    const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    CHECK(d1 && d2 && !strchr(d2 + 1, '.'), "%s: assertion has three parts", label);
    if (!d1 || !d2) {
        free(jwt);
        return;
    }
    size_t hl, cl, sl;
    unsigned char *hdr = b64url_decode(jwt, (size_t)(d1 - jwt), &hl);
    unsigned char *claims = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cl);
    unsigned char *sig = b64url_decode(d2 + 1, strlen(d2 + 1), &sl);

    FILE *f = fopen(env_or_die("FSIM_TEST_PUB_PEM"), "r");
    EVP_PKEY *pub = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = pub && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub) == 1 &&
             EVP_DigestVerify(md, sig, sl, (const unsigned char *)jwt, (size_t)(d2 - jwt)) == 1;
    CHECK(ok, "%s: RS256 signature verifies with the service account's public key", label);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pub);

    cJSON *h = cJSON_ParseWithLength((const char *)hdr, hl);
    cJSON *c = cJSON_ParseWithLength((const char *)claims, cl);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(h, "alg")), "RS256", "%s: alg", label);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(h, "typ")), "JWT", "%s: typ", label);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(h, "kid")), getenv("FSIM_TEST_SA_KID"),
              "%s: kid is private_key_id", label);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(c, "iss")), getenv("FSIM_TEST_SA_EMAIL"),
              "%s: iss is client_email", label);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(c, "aud")), token_uri,
              "%s: aud is token_uri", label);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(c, "scope")),
              FSIM_GCP_SCOPE_CLOUD_PLATFORM, "%s: scope", label);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(c, "iat")) == (double)now &&
              cJSON_GetNumberValue(cJSON_GetObjectItem(c, "exp")) == (double)(now + 3600),
          "%s: iat = now, exp = iat + 1 h", label);
    cJSON_Delete(h);
    cJSON_Delete(c);
    free(hdr);
    free(claims);
    free(sig);
    free(jwt);
}

static void test_key_json(void)
{
    char *json = key_json(env_or_die("FSIM_TEST_KEY_PEM"), token_uri);
    fsim_gcp_auth_options o = {.credentials_json = json};
    fsim_gcp_auth *auth = NULL;
    fsim_error err;
    fsim_error_clear(&err);
    CHECK(fsim_gcp_auth_new(&o, &auth, &err) == FSIM_OK, "key as JSON string loads: %s",
          err.message);
    if (!auth) {
        free(json);
        return;
    }
    CHECK(fsim_gcp_auth_get_kind(auth) == FSIM_GCP_AUTH_KEY_JSON, "kind is KEY_JSON");
    CHECK(strstr(fsim_gcp_auth_describe(auth), "FLEETSIM_GCP_CREDENTIALS_JSON") &&
              strstr(fsim_gcp_auth_describe(auth), getenv("FSIM_TEST_SA_EMAIL")) &&
              !strstr(fsim_gcp_auth_describe(auth), "PRIVATE"),
          "describe names the variable and account, not the key: %s",
          fsim_gcp_auth_describe(auth));
    check_assertion(auth, "JSON key");

    long before = fake_stat("token_requests");
    char tok[FSIM_GCP_TOKEN_MAX] = "", tok2[FSIM_GCP_TOKEN_MAX] = "";
    fsim_status st = fsim_gcp_auth_token(auth, tok, sizeof tok, &err);
    CHECK(st == FSIM_OK && strncmp(tok, "tok-", 4) == 0,
          "JSON key: token endpoint accepted the assertion (%s%s)", st ? err.message : tok,
          st ? fake_last_reject() : "");
    st = fsim_gcp_auth_token(auth, tok2, sizeof tok2, &err);
    CHECK(st == FSIM_OK && strcmp(tok, tok2) == 0, "second call: the cached token");
    CHECK(fake_stat("token_requests") == before + 1, "one exchange for two calls (cached)");

    fsim_gcp_auth_invalidate(auth);
    st = fsim_gcp_auth_token(auth, tok2, sizeof tok2, &err);
    CHECK(st == FSIM_OK && strcmp(tok, tok2) != 0 && fake_stat("token_requests") == before + 2,
          "after invalidate: a new token is fetched");

    char small[4];
    st = fsim_gcp_auth_token(auth, small, sizeof small, &err);
    CHECK(st == FSIM_INVALID, "a buffer too small for the token is an error");
    fsim_gcp_auth_free(auth);
    free(json);
}

static void test_key_file(void)
{
    char path[] = "/tmp/fsim-key-XXXXXX";
    int fd = mkstemp(path);
    char *json = key_json(env_or_die("FSIM_TEST_KEY_PEM"), token_uri);
    FILE *f = fdopen(fd, "w");
    fputs(json, f);
    fclose(f);
    fsim_gcp_auth_options o = {.credentials_file = path};
    fsim_gcp_auth *auth = NULL;
    fsim_error err;
    fsim_error_clear(&err);
    CHECK(fsim_gcp_auth_new(&o, &auth, &err) == FSIM_OK, "key file loads: %s", err.message);
    if (auth) {
        CHECK(fsim_gcp_auth_get_kind(auth) == FSIM_GCP_AUTH_KEY_FILE, "kind is KEY_FILE");
        check_assertion(auth, "key file");
        char tok[FSIM_GCP_TOKEN_MAX] = "";
        fsim_status st = fsim_gcp_auth_token(auth, tok, sizeof tok, &err);
        CHECK(st == FSIM_OK && strncmp(tok, "tok-", 4) == 0, "key file: token (%s)",
              st ? err.message : tok);
        fsim_gcp_auth_free(auth);
    }
    /* JSON string wins over the file, as documented */
    char *other = key_json(env_or_die("FSIM_TEST_OTHER_KEY_PEM"), token_uri);
    fsim_gcp_auth_options both = {.credentials_json = other, .credentials_file = path};
    CHECK(fsim_gcp_auth_new(&both, &auth, &err) == FSIM_OK &&
              fsim_gcp_auth_get_kind(auth) == FSIM_GCP_AUTH_KEY_JSON,
          "FLEETSIM_GCP_CREDENTIALS_JSON takes precedence over GOOGLE_APPLICATION_CREDENTIALS");
    fsim_gcp_auth_free(auth);
    free(other);
    unlink(path);
    free(json);
}

/* A token that expires at once is fetched anew on every call. */
static void test_refresh(void)
{
    char uri[600];
    snprintf(uri, sizeof uri, "%s?ttl=0", token_uri);
    char *json = key_json(env_or_die("FSIM_TEST_KEY_PEM"), uri);
    fsim_gcp_auth_options o = {.credentials_json = json};
    fsim_gcp_auth *auth = NULL;
    fsim_error err;
    fsim_gcp_auth_new(&o, &auth, &err);
    long before = fake_stat("token_requests");
    char a[FSIM_GCP_TOKEN_MAX], b[FSIM_GCP_TOKEN_MAX];
    fsim_status s1 = fsim_gcp_auth_token(auth, a, sizeof a, &err);
    fsim_status s2 = fsim_gcp_auth_token(auth, b, sizeof b, &err);
    CHECK(s1 == FSIM_OK && s2 == FSIM_OK && strcmp(a, b) != 0 &&
              fake_stat("token_requests") == before + 2,
          "an expired token is refreshed (two calls, two exchanges, two tokens)");
    fsim_gcp_auth_free(auth);
    free(json);
}

typedef struct thread_arg {
    fsim_gcp_auth *auth;
    char tok[FSIM_GCP_TOKEN_MAX];
    fsim_status st;
} thread_arg;

static void *token_thread(void *p)
{
    thread_arg *t = p;
    fsim_error err;
    t->st = fsim_gcp_auth_token(t->auth, t->tok, sizeof t->tok, &err);
    return NULL;
}

static void test_threads(void)
{
    char *json = key_json(env_or_die("FSIM_TEST_KEY_PEM"), token_uri);
    fsim_gcp_auth_options o = {.credentials_json = json};
    fsim_gcp_auth *auth = NULL;
    fsim_error err;
    fsim_gcp_auth_new(&o, &auth, &err);
    long before = fake_stat("token_requests");
    enum { N = 8 };
    pthread_t th[N];
    thread_arg args[N];
    for (int i = 0; i < N; i++) {
        args[i].auth = auth;
        pthread_create(&th[i], NULL, token_thread, &args[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    bool same = true;
    for (int i = 0; i < N; i++)
        same = same && args[i].st == FSIM_OK && strcmp(args[i].tok, args[0].tok) == 0;
    CHECK(same, "8 threads at once all get the same token");
    CHECK(fake_stat("token_requests") == before + 1, "8 threads share one exchange");
    fsim_gcp_auth_free(auth);
    free(json);
}

/* The token endpoint refuses an assertion signed by another key; the error has its reason
 * and no secret. */
static void test_wrong_key(void)
{
    char *json = key_json(env_or_die("FSIM_TEST_OTHER_KEY_PEM"), token_uri);
    fsim_gcp_auth_options o = {.credentials_json = json};
    fsim_gcp_auth *auth = NULL;
    fsim_error err;
    fsim_error_clear(&err);
    fsim_gcp_auth_new(&o, &auth, &err);
    char tok[FSIM_GCP_TOKEN_MAX];
    fsim_status st = auth ? fsim_gcp_auth_token(auth, tok, sizeof tok, &err) : FSIM_INTERNAL;
    CHECK(st == FSIM_IO && strstr(err.message, "HTTP 400") &&
              strstr(err.message, "Invalid JWT Signature"),
          "wrong key: FSIM_IO with the endpoint's reason: %s", err.message);
    CHECK(!leaks(&err), "wrong key: no secret in the error");
    fsim_gcp_auth_free(auth);
    free(json);
}

/* Malformed keys: each fails at load, naming the variable (and field), showing no secret. */
static void test_malformed(void)
{
    char *good = key_json(env_or_die("FSIM_TEST_KEY_PEM"), token_uri);
    cJSON *g = cJSON_Parse(good);
    struct {
        const char *what, *field, *value; /* value NULL: delete the field */
        const char *want_path;
    } cases[] = {
        {"no client_email", "client_email", NULL, "client_email"},
        {"no private_key", "private_key", NULL, "private_key"},
        {"private_key not PEM", "private_key", "-----BEGIN PRIVATE KEY-----\nMIIBOGUS\n"
                                               "-----END PRIVATE KEY-----\n", "private_key"},
        {"user credentials", "type", "authorized_user", "type"},
        {"token_uri not a URL", "token_uri", "ftp://x", "token_uri"},
    };
    fsim_error err;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cJSON *c = cJSON_Duplicate(g, 1);
        if (cases[i].value)
            cJSON_ReplaceItemInObject(c, cases[i].field, cJSON_CreateString(cases[i].value));
        else
            cJSON_DeleteItemFromObject(c, cases[i].field);
        char *text = cJSON_Print(c);
        fsim_gcp_auth_options o = {.credentials_json = text};
        fsim_gcp_auth *auth = NULL;
        fsim_error_clear(&err);
        fsim_status st = fsim_gcp_auth_new(&o, &auth, &err);
        CHECK(st == FSIM_INVALID && !auth &&
                  strcmp(err.source, "FLEETSIM_GCP_CREDENTIALS_JSON") == 0 &&
                  strcmp(err.path, cases[i].want_path) == 0,
              "%s: FSIM_INVALID at FLEETSIM_GCP_CREDENTIALS_JSON: %s: %s", cases[i].what,
              err.path, err.message);
        CHECK(!leaks(&err), "%s: no secret in the error", cases[i].what);
        free(text);
        cJSON_Delete(c);
    }
    /* not JSON at all, with key material in it: line/column only */
    const char *broken = "{\"type\": \"service_account\",\n \"private_key\": \"-----BEGIN PRIVATE "
                         "KEY-----\\nMIIEvQIBADANBg\",\n oops }";
    fsim_gcp_auth_options o = {.credentials_json = broken};
    fsim_gcp_auth *auth = NULL;
    fsim_error_clear(&err);
    char line[1200];
    fsim_status st = fsim_gcp_auth_new(&o, &auth, &err);
    fsim_error_format(&err, line, sizeof line);
    CHECK(st == FSIM_INVALID && err.line == 3 && strstr(line, "not valid JSON"),
          "invalid JSON: line and column: %s", line);
    CHECK(!leaks(&err) && !strstr(line, "MIIE"), "invalid JSON: the text is not quoted");

    /* the file variant names the variable and the path */
    fsim_gcp_auth_options of = {.credentials_file = "/nonexistent/key.json"};
    fsim_error_clear(&err);
    st = fsim_gcp_auth_new(&of, &auth, &err);
    CHECK(st != FSIM_OK && strstr(err.source, "GOOGLE_APPLICATION_CREDENTIALS") &&
              strstr(err.source, "/nonexistent/key.json"),
          "missing key file: %s: %s", err.source, err.message);
    char path[] = "/tmp/fsim-badkey-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("{\"type\": \"service_account\", \"client_email\": \"a@b\"}", f);
    fclose(f);
    of.credentials_file = path;
    fsim_error_clear(&err);
    st = fsim_gcp_auth_new(&of, &auth, &err);
    CHECK(st == FSIM_INVALID && strstr(err.source, "GOOGLE_APPLICATION_CREDENTIALS") &&
              strcmp(err.path, "private_key") == 0,
          "key file without private_key: %s: %s: %s", err.source, err.path, err.message);
    unlink(path);
    cJSON_Delete(g);
    free(good);
}

static void test_metadata(void)
{
    const char *fake = env_or_die("FSIM_FAKE_GOOGLE");
    const char *forms[] = {fake + strlen("http://"), fake};
    for (int i = 0; i < 2; i++) {
        fsim_gcp_auth_options o = {.metadata_host = forms[i]};
        fsim_gcp_auth *auth = NULL;
        fsim_error err;
        fsim_error_clear(&err);
        CHECK(fsim_gcp_auth_new(&o, &auth, &err) == FSIM_OK &&
                  fsim_gcp_auth_get_kind(auth) == FSIM_GCP_AUTH_METADATA,
              "no key: the metadata server (GCE_METADATA_HOST=%s)", forms[i]);
        long before = fake_stat("metadata_requests");
        char tok[FSIM_GCP_TOKEN_MAX] = "", tok2[FSIM_GCP_TOKEN_MAX] = "";
        fsim_status st = fsim_gcp_auth_token(auth, tok, sizeof tok, &err);
        fsim_gcp_auth_token(auth, tok2, sizeof tok2, &err);
        CHECK(st == FSIM_OK && strncmp(tok, "meta-", 5) == 0 && strcmp(tok, tok2) == 0 &&
                  fake_stat("metadata_requests") == before + 1,
              "metadata token with Metadata-Flavor, cached (%s)", st ? err.message : tok);
        CHECK(fsim_gcp_auth_sign_assertion(auth, 0, &(char *){NULL}, &err) == FSIM_INVALID,
              "a metadata source has no key to sign with");
        fsim_gcp_auth_free(auth);
    }
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%d", closed_port());
    fsim_gcp_auth_options o = {.metadata_host = host, .timeout_seconds = 5};
    fsim_gcp_auth *auth = NULL;
    fsim_error err;
    fsim_gcp_auth_new(&o, &auth, &err);
    char tok[FSIM_GCP_TOKEN_MAX];
    fsim_error_clear(&err);
    fsim_status st = fsim_gcp_auth_token(auth, tok, sizeof tok, &err);
    CHECK(st == FSIM_IO && strstr(err.message, host) && strstr(err.message, "could not reach"),
          "metadata server down: FSIM_IO naming it: %s", err.message);
    fsim_gcp_auth_free(auth);
}

static void test_env(void)
{
    setenv("FLEETSIM_GCP_CREDENTIALS_JSON", "{}", 1);
    setenv("GOOGLE_APPLICATION_CREDENTIALS", "/k.json", 1);
    setenv("GCE_METADATA_HOST", "127.0.0.1:1", 1);
    fsim_gcp_auth_options o;
    fsim_gcp_auth_options_from_env(&o);
    CHECK(o.credentials_json && strcmp(o.credentials_json, "{}") == 0 && o.credentials_file &&
              strcmp(o.credentials_file, "/k.json") == 0 && o.metadata_host &&
              strcmp(o.metadata_host, "127.0.0.1:1") == 0,
          "options_from_env reads the three variables");
    unsetenv("FLEETSIM_GCP_CREDENTIALS_JSON");
    unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
    unsetenv("GCE_METADATA_HOST");
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(token_uri, sizeof token_uri, "%s/token", env_or_die("FSIM_FAKE_GOOGLE"));
    test_key_json();
    test_key_file();
    test_refresh();
    test_threads();
    test_wrong_key();
    test_malformed();
    test_metadata();
    test_env();
    curl_global_cleanup();
    return check_done();
}
