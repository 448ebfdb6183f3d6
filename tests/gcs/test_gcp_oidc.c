/* core/gcp/gcp_oidc.c: the verifier of Pub/Sub push tokens. Keys are made with OpenSSL at
 * test time and published as a JWKS, from a file and from a local HTTP server
 * (libmicrohttpd) that plays https://www.googleapis.com/oauth2/v3/certs, Cache-Control and
 * all. Every way a token can be wrong gets 401 or 403 naming the culprit without quoting the
 * token; a good one passes; the key set is cached as its max-age says and fetched again on
 * an unknown kid at most once per interval. No sleeps: the clock is an argument. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include <fleetsim/gcp_oidc.h>

#include "check.h"
#include "jwt_test.h"

#define AUD "https://fleetsim-pubsub-abc-ew.a.run.app/"
#define EMAIL "fleetsim-pusher@proj.iam.gserviceaccount.com"

static EVP_PKEY *key1, *key2, *other, *small;
static long long now;

/* ---- the key server ------------------------------------------------------------------- */

static pthread_mutex_t srv_mu = PTHREAD_MUTEX_INITIALIZER;
static char *srv_jwks;               /* what GET /certs answers */
static char srv_cache_control[128] = "public, max-age=3600, must-revalidate, no-transform";
static char srv_age[16] = "";
static int srv_status = 200;
static atomic_int srv_hits;

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url,
                             const char *method, const char *version, const char *upload,
                             size_t *upload_size, void **con_cls)
{
    atomic_fetch_add(&srv_hits, 1);
    pthread_mutex_lock(&srv_mu);
    const char *body = srv_status == 200 ? srv_jwks : "{\"error\":\"backend\"}";
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                                             MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json; charset=UTF-8");
    MHD_add_response_header(r, "Cache-Control", srv_cache_control);
    if (srv_age[0])
        MHD_add_response_header(r, "Age", srv_age);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)srv_status, r);
    pthread_mutex_unlock(&srv_mu);
    MHD_destroy_response(r);
    return ret;
}

static void publish_keys(EVP_PKEY *const *keys, const char *const *kids, size_t n)
{
    pthread_mutex_lock(&srv_mu);
    free(srv_jwks);
    srv_jwks = tjwt_jwks(keys, kids, n);
    pthread_mutex_unlock(&srv_mu);
}

/* ---- tokens ----------------------------------------------------------------------------- */

/* A push token: RS256 by `key` under `kid` with the given claims; malloc'd "Bearer …". */
static char *bearer(EVP_PKEY *key, const char *kid, const char *iss, const char *aud,
                    const char *email, int verified, long long iat)
{
    char *h = tjwt_header("RS256", kid);
    char *c = tjwt_claims(iss, aud, email, verified, iat);
    char *t = tjwt_token(h, c, key, NULL);
    char *b = tjwt_bearer(t);
    free(h);
    free(c);
    free(t);
    return b;
}

static char *good(void)
{
    return bearer(key1, "k1", TJWT_ISS, AUD, EMAIL, 1, now);
}

/* Verifies; checks the verdict, the claim named, and that the reason does not quote the
 * token (any 20 characters of its signature). */
static void expect(fsim_oidc *o, const char *authz, fsim_oidc_verdict want, const char *path,
                   const char *label)
{
    fsim_error why;
    fsim_oidc_verdict got = fsim_oidc_verify(o, authz, now, &why);
    CHECK(got == want && (!path || strcmp(why.path, path) == 0),
          "%s ⇒ %s%s%s (got %d, %s: %s)", label,
          want == FSIM_OIDC_VALID ? "valid" : want == FSIM_OIDC_FORBIDDEN ? "403" :
          want == FSIM_OIDC_UNAVAILABLE ? "503" : "401", path ? " naming " : "", path ? path : "",
          (int)got, why.path, why.message);
    const char *dot = authz ? strrchr(authz, '.') : NULL;
    if (dot && strlen(dot) > 21) {
        char piece[21];
        memcpy(piece, dot + 1, 20);
        piece[20] = '\0';
        if (strstr(why.message, piece) || strstr(why.path, piece))
            CHECK(0, "%s: the reason quotes the token", label);
    }
}

static void swap_payload(char *dst_token, const char *src_token)
{
    /* header of dst, payload of src, signature of dst: a tampered token */
    const char *d1 = strchr(dst_token, '.'), *s1 = strchr(src_token, '.');
    const char *d2 = strchr(d1 + 1, '.'), *s2 = strchr(s1 + 1, '.');
    char *out = malloc(strlen(dst_token) + strlen(src_token));
    sprintf(out, "%.*s%.*s%s", (int)(d1 - dst_token), dst_token, (int)(s2 - s1), s1, d2);
    strcpy(dst_token, out);
    free(out);
}

struct hammer {
    fsim_oidc *o;
    const char *authz;
    int valid;
};

static void *hammer(void *arg)
{
    struct hammer *h = arg;
    for (int i = 0; i < 25; i++)
        if (fsim_oidc_verify(h->o, h->authz, now, NULL) == FSIM_OIDC_VALID)
            h->valid++;
    return NULL;
}

int main(void)
{
    now = (long long)time(NULL);
    key1 = tjwt_keygen(2048);
    key2 = tjwt_keygen(2048);
    other = tjwt_keygen(2048);
    small = tjwt_keygen(1024);
    if (!key1 || !key2 || !other || !small) {
        printf("Bail out! RSA key generation failed\n");
        return 1;
    }
    char dir[] = "/tmp/fsim-oidc.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char jwks_path[256], bad_path[256], rsa_less[256];
    snprintf(jwks_path, sizeof jwks_path, "%s/jwks.json", dir);
    snprintf(bad_path, sizeof bad_path, "%s/missing.json", dir);
    snprintf(rsa_less, sizeof rsa_less, "%s/small.json", dir);
    {
        EVP_PKEY *ks[] = {key1, small};
        const char *kids[] = {"k1", "small"};
        char *j = tjwt_jwks(ks, kids, 2);
        FILE *f = fopen(jwks_path, "w");
        fputs(j, f);
        fclose(f);
        free(j);
        j = tjwt_jwks(ks + 1, kids + 1, 1);
        f = fopen(rsa_less, "w");
        fputs(j, f);
        fclose(f);
        free(j);
    }
    fsim_error err;
    fsim_oidc *o = NULL;

    /* ---- options ---- */
    fsim_oidc_options opts = {.audience = AUD, .keys = jwks_path};
    fsim_status st = fsim_oidc_new(&opts, &o, &err);
    CHECK(st == FSIM_USAGE && strcmp(err.path, "email") == 0,
          "an audience without the service account is refused (any Google account could "
          "mint a token for it): %s", err.message);
    opts = (fsim_oidc_options){.email = EMAIL, .keys = jwks_path};
    st = fsim_oidc_new(&opts, &o, &err);
    CHECK(st == FSIM_USAGE && strcmp(err.path, "audience") == 0, "no audience is refused");
    opts = (fsim_oidc_options){.audience = AUD, .email = EMAIL, .keys = bad_path};
    st = fsim_oidc_new(&opts, &o, &err);
    CHECK(st != FSIM_OK && strstr(err.message, "missing.json"),
          "a missing key file fails at start-up, naming it: %s", err.message);
    opts.keys = rsa_less;
    st = fsim_oidc_new(&opts, &o, &err);
    CHECK(st == FSIM_INVALID && strstr(err.message, "2048"),
          "a key set with only a 1024-bit key is refused: %s", err.message);
    opts.keys = jwks_path;
    st = fsim_oidc_new(&opts, &o, &err);
    CHECK(st == FSIM_OK, "keys from a JWKS file");
    CHECK(o && strstr(fsim_oidc_describe(o), AUD) && strstr(fsim_oidc_describe(o), EMAIL),
          "describe names audience and account: %s", o ? fsim_oidc_describe(o) : "-");
    if (!o)
        return check_done();

    /* ---- the good token and every bad one ---- */
    char *t;
    expect(o, t = good(), FSIM_OIDC_VALID, NULL, "a token of the push account for us");
    free(t);
    expect(o, NULL, FSIM_OIDC_UNAUTHENTICATED, NULL, "no Authorization header");
    expect(o, "Basic Zm9vOmJhcg==", FSIM_OIDC_UNAUTHENTICATED, NULL, "Basic credentials");
    expect(o, "Bearer", FSIM_OIDC_UNAUTHENTICATED, NULL, "Bearer without a token");
    expect(o, "Bearer not-a-jwt", FSIM_OIDC_UNAUTHENTICATED, NULL, "Bearer with garbage");
    expect(o, "Bearer a.b.c.d", FSIM_OIDC_UNAUTHENTICATED, NULL, "four parts");
    expect(o, "Bearer e30.e30.", FSIM_OIDC_UNAUTHENTICATED, "alg", "{}.{}: no alg");

    char *claims = tjwt_claims(TJWT_ISS, AUD, EMAIL, 1, now);
    char *hdr = tjwt_header("none", "k1");
    char *tok = tjwt_token(hdr, claims, NULL, NULL);
    char *b = tjwt_bearer(tok);
    expect(o, b, FSIM_OIDC_UNAUTHENTICATED, "alg", "alg none, no signature");
    free(hdr), free(tok), free(b);
    hdr = tjwt_header("HS256", "k1");
    char *pem = tjwt_public_pem(key1);
    tok = tjwt_token(hdr, claims, NULL, pem);
    b = tjwt_bearer(tok);
    expect(o, b, FSIM_OIDC_UNAUTHENTICATED, "alg", "HS256 keyed with the public key");
    free(hdr), free(tok), free(b), free(pem);
    hdr = tjwt_header("RS512", "k1");
    tok = tjwt_token(hdr, claims, key1, NULL);
    b = tjwt_bearer(tok);
    expect(o, b, FSIM_OIDC_UNAUTHENTICATED, "alg", "alg RS512");
    free(hdr), free(tok), free(b);
    hdr = tjwt_header("RS256", NULL);
    tok = tjwt_token(hdr, claims, key1, NULL);
    b = tjwt_bearer(tok);
    expect(o, b, FSIM_OIDC_UNAUTHENTICATED, "kid", "no kid");
    free(hdr), free(tok), free(b), free(claims);

    expect(o, t = bearer(key1, "k9", TJWT_ISS, AUD, EMAIL, 1, now), FSIM_OIDC_UNAUTHENTICATED,
           "kid", "unknown kid");
    free(t);
    expect(o, t = bearer(other, "k1", TJWT_ISS, AUD, EMAIL, 1, now), FSIM_OIDC_UNAUTHENTICATED,
           "signature", "forged signature (another key under kid k1)");
    free(t);
    expect(o, t = bearer(small, "small", TJWT_ISS, AUD, EMAIL, 1, now),
           FSIM_OIDC_UNAUTHENTICATED, "kid", "a 1024-bit key in the set is not used");
    free(t);
    {
        char *victim = good();
        char *evil = bearer(other, "k1", TJWT_ISS, AUD, "attacker@evil.example", 1, now);
        swap_payload(victim, evil);
        expect(o, victim, FSIM_OIDC_UNAUTHENTICATED, "signature",
               "a good signature over other claims (payload swapped)");
        free(victim);
        free(evil);
        char *cut = good();
        cut[strlen(cut) - 4] = '\0';
        expect(o, cut, FSIM_OIDC_UNAUTHENTICATED, "signature", "a truncated signature");
        free(cut);
    }
    expect(o, t = bearer(key1, "k1", TJWT_ISS, AUD, EMAIL, 1, now - 3600 - 600),
           FSIM_OIDC_UNAUTHENTICATED, "exp", "expired ten minutes ago");
    free(t);
    expect(o, t = bearer(key1, "k1", TJWT_ISS, AUD, EMAIL, 1, now - 3600 - 20), FSIM_OIDC_VALID,
           NULL, "expired 20 s ago: inside the clock-skew leeway");
    free(t);
    expect(o, t = bearer(key1, "k1", TJWT_ISS, AUD, EMAIL, 1, now + 3600),
           FSIM_OIDC_UNAUTHENTICATED, "iat", "issued an hour in the future");
    free(t);
    expect(o, t = bearer(key1, "k1", TJWT_ISS, "https://someone-else.run.app/", EMAIL, 1, now),
           FSIM_OIDC_UNAUTHENTICATED, "aud", "wrong audience");
    free(t);
    expect(o, t = bearer(key1, "k1", TJWT_ISS, NULL, EMAIL, 1, now), FSIM_OIDC_UNAUTHENTICATED,
           "aud", "no audience");
    free(t);
    {
        char *base = tjwt_claims(TJWT_ISS, NULL, EMAIL, 1, now);
        cJSON *c = cJSON_Parse(base);
        free(base);
        cJSON *a = cJSON_AddArrayToObject(c, "aud");
        cJSON_AddItemToArray(a, cJSON_CreateString("https://other/"));
        cJSON_AddItemToArray(a, cJSON_CreateString(AUD));
        char *ctext = cJSON_PrintUnformatted(c);
        char *h = tjwt_header("RS256", "k1");
        char *tk = tjwt_token(h, ctext, key1, NULL);
        char *bb = tjwt_bearer(tk);
        expect(o, bb, FSIM_OIDC_VALID, NULL, "aud as an array holding ours");
        cJSON_Delete(c);
        free(ctext), free(h), free(tk), free(bb);
    }
    expect(o, t = bearer(key1, "k1", "https://evil.example", AUD, EMAIL, 1, now),
           FSIM_OIDC_UNAUTHENTICATED, "iss", "wrong issuer");
    free(t);
    expect(o, t = bearer(key1, "k1", "accounts.google.com", AUD, EMAIL, 1, now), FSIM_OIDC_VALID,
           NULL, "issuer without https:// (Google uses both)");
    free(t);
    expect(o, t = bearer(key1, "k1", TJWT_ISS, AUD, "intruder@proj.iam.gserviceaccount.com", 1,
                         now),
           FSIM_OIDC_FORBIDDEN, "email", "a valid token of another service account");
    free(t);
    expect(o, t = bearer(key1, "k1", TJWT_ISS, AUD, NULL, 1, now), FSIM_OIDC_FORBIDDEN, "email",
           "no email claim");
    free(t);
    expect(o, t = bearer(key1, "k1", TJWT_ISS, AUD, EMAIL, 0, now), FSIM_OIDC_FORBIDDEN,
           "email_verified", "email_verified false");
    free(t);
    expect(o, t = bearer(key1, "k1", TJWT_ISS, AUD, EMAIL, -1, now), FSIM_OIDC_FORBIDDEN,
           "email_verified", "email_verified missing");
    free(t);
    {
        char *g = good();
        char *lower = malloc(strlen(g) + 8);
        sprintf(lower, "  bearer  %s ", g + 7);
        expect(o, lower, FSIM_OIDC_VALID, NULL, "scheme in any case, spaces around");
        free(g);
        free(lower);
    }
    CHECK(fsim_oidc_key_fetches(o) == 2,
          "the key file: read at start, again for the first unknown kid, not for the next "
          "ones within the interval (read %ld times)", fsim_oidc_key_fetches(o));
    fsim_oidc_free(o);

    /* ---- Google's key endpoint, played by a local server ---- */
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                                            0, NULL, NULL, serve, NULL, MHD_OPTION_END);
    const union MHD_DaemonInfo *info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)
                                         : NULL;
    CHECK(info && info->port, "key server listening");
    if (!info)
        return check_done();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/oauth2/v3/certs", (unsigned)info->port);
    {
        EVP_PKEY *ks[] = {key1};
        const char *kids[] = {"k1"};
        publish_keys(ks, kids, 1);
    }
    opts = (fsim_oidc_options){.audience = AUD, .email = EMAIL, .keys = url};
    CHECK(fsim_oidc_new(&opts, &o, &err) == FSIM_OK && atomic_load(&srv_hits) == 0,
          "a key URL is not fetched before the first token");
    t = good();
    for (int i = 0; i < 3; i++)
        expect(o, t, FSIM_OIDC_VALID, NULL, "token checked against fetched keys");
    CHECK(atomic_load(&srv_hits) == 1, "max-age=3600: three tokens, one fetch (%d)",
          atomic_load(&srv_hits));
    {
        EVP_PKEY *ks[] = {key1, key2};
        const char *kids[] = {"k1", "k2"};
        publish_keys(ks, kids, 2);
    }
    char *t2 = bearer(key2, "k2", TJWT_ISS, AUD, EMAIL, 1, now);
    expect(o, t2, FSIM_OIDC_VALID, NULL, "Google rotated in a new key: its kid is fetched");
    CHECK(atomic_load(&srv_hits) == 2, "one fetch for the unknown kid (%d)",
          atomic_load(&srv_hits));
    for (int i = 0; i < 5; i++) {
        char kid[16];
        snprintf(kid, sizeof kid, "made-up-%d", i);
        char *bad = bearer(key1, kid, TJWT_ISS, AUD, EMAIL, 1, now);
        expect(o, bad, FSIM_OIDC_UNAUTHENTICATED, "kid", "a made-up kid");
        free(bad);
    }
    CHECK(atomic_load(&srv_hits) == 2,
          "five made-up kids within the refetch interval cost no fetch (%d)",
          atomic_load(&srv_hits));
    struct hammer hs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        hs[i] = (struct hammer){.o = o, .authz = i % 2 ? t : t2};
        pthread_create(&th[i], NULL, hammer, &hs[i]);
    }
    int valid = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        valid += hs[i].valid;
    }
    CHECK(valid == 100 && atomic_load(&srv_hits) == 2,
          "4 threads × 25 tokens: all valid, no fetch (%d valid, %d fetches)", valid,
          atomic_load(&srv_hits));
    fsim_oidc_free(o);

    /* max-age 0, and Age eating max-age, mean fetching every time */
    snprintf(srv_cache_control, sizeof srv_cache_control, "public, max-age=0");
    CHECK(fsim_oidc_new(&opts, &o, &err) == FSIM_OK, "verifier again");
    int before = atomic_load(&srv_hits);
    for (int i = 0; i < 3; i++)
        fsim_oidc_verify(o, t, now, NULL);
    CHECK(atomic_load(&srv_hits) - before == 3, "max-age=0: a fetch per token (%d)",
          atomic_load(&srv_hits) - before);
    fsim_oidc_free(o);
    snprintf(srv_cache_control, sizeof srv_cache_control, "public, max-age=100");
    snprintf(srv_age, sizeof srv_age, "100");
    fsim_oidc_new(&opts, &o, &err);
    before = atomic_load(&srv_hits);
    for (int i = 0; i < 2; i++)
        fsim_oidc_verify(o, t, now, NULL);
    CHECK(atomic_load(&srv_hits) - before == 2, "max-age=100 with Age: 100 is stale at once (%d)",
          atomic_load(&srv_hits) - before);
    fsim_oidc_free(o);
    srv_age[0] = '\0';

    /* the key endpoint fails: a stale key set keeps serving; without one, 503 (retry
     * later), never a pass, and one failing fetch per interval, not one per push */
    snprintf(srv_cache_control, sizeof srv_cache_control, "public, max-age=0");
    fsim_oidc_new(&opts, &o, &err);
    expect(o, t, FSIM_OIDC_VALID, NULL, "keys fetched (max-age=0: stale at once)");
    srv_status = 500;
    before = atomic_load(&srv_hits);
    expect(o, t, FSIM_OIDC_VALID, NULL, "key endpoint answers 500: the stale keys still serve");
    expect(o, t, FSIM_OIDC_VALID, NULL, "and again");
    CHECK(atomic_load(&srv_hits) - before == 1, "one failed fetch, then none within the "
          "interval (%d)", atomic_load(&srv_hits) - before);
    fsim_oidc_free(o);
    fsim_oidc_new(&opts, &o, &err);
    before = atomic_load(&srv_hits);
    expect(o, t, FSIM_OIDC_UNAVAILABLE, "kid", "key endpoint answers 500, no keys yet");
    expect(o, t, FSIM_OIDC_UNAVAILABLE, "kid", "again, within the interval");
    CHECK(atomic_load(&srv_hits) - before == 1, "503 twice for one fetch (%d)",
          atomic_load(&srv_hits) - before);
    fsim_oidc_free(o);
    srv_status = 200;
    MHD_stop_daemon(d);
    fsim_oidc_new(&opts, &o, &err);
    expect(o, t, FSIM_OIDC_UNAVAILABLE, "kid", "key endpoint unreachable");
    fsim_oidc_free(o);

    free(t);
    free(t2);
    free(srv_jwks);
    EVP_PKEY_free(key1);
    EVP_PKEY_free(key2);
    EVP_PKEY_free(other);
    EVP_PKEY_free(small);
    unlink(jwks_path);
    unlink(rsa_less);
    rmdir(dir);
    return check_done();
}
