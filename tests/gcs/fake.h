/* Helpers of the gcs tests: the test service-account key and tests/gcs/fake_google.py's
 * control and stats endpoints (FSIM_FAKE_GOOGLE). */
#ifndef FLEETSIM_TEST_GCS_FAKE_H
#define FLEETSIM_TEST_GCS_FAKE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

static inline const char *env_or_die(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) {
        printf("Bail out! %s is not set (run under tests/gcs/with_fake_google.sh)\n", name);
        exit(1);
    }
    return v;
}

/* Whole file, malloc'd, NUL-terminated. */
static inline char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    if (p)
        p[n] = '\0';
    fclose(f);
    return p;
}

/* A service-account key JSON for the private key in `pem_path`, token_uri = `token_uri`
 * (malloc'd). */
static inline char *key_json(const char *pem_path, const char *token_uri)
{
    char *pem = slurp(pem_path);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "service_account");
    cJSON_AddStringToObject(o, "project_id", "fleetsim-test");
    cJSON_AddStringToObject(o, "private_key_id", env_or_die("FSIM_TEST_SA_KID"));
    cJSON_AddStringToObject(o, "private_key", pem ? pem : "");
    cJSON_AddStringToObject(o, "client_email", env_or_die("FSIM_TEST_SA_EMAIL"));
    cJSON_AddStringToObject(o, "client_id", "1234567890");
    cJSON_AddStringToObject(o, "token_uri", token_uri);
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    free(pem);
    return s;
}

typedef struct fake_buf {
    char data[65536];
    size_t len;
} fake_buf;

static inline size_t fake_collect(char *p, size_t s, size_t n, void *u)
{
    fake_buf *b = u;
    size_t k = s * n;
    if (b->len + k >= sizeof b->data)
        k = sizeof b->data - 1 - b->len;
    memcpy(b->data + b->len, p, k);
    b->len += k;
    b->data[b->len] = '\0';
    return s * n;
}

/* GET (post = 0) or POST to FSIM_FAKE_GOOGLE + path; the body into *out. HTTP status. */
static inline long fake_request(const char *path, int post, fake_buf *out)
{
    char url[1024];
    snprintf(url, sizeof url, "%s%s", env_or_die("FSIM_FAKE_GOOGLE"), path);
    CURL *h = curl_easy_init();
    out->len = 0;
    out->data[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fake_collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    if (post)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    long code = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(h);
    return code;
}

static inline void fake_control(const char *query)
{
    fake_buf b;
    char path[512];
    snprintf(path, sizeof path, "/control?%s", query);
    if (fake_request(path, 1, &b) != 200) {
        printf("Bail out! fake_google /control?%s failed\n", query);
        exit(1);
    }
}

/* One counter of /stats (-1 when missing). */
static inline long fake_stat(const char *name)
{
    fake_buf b;
    if (fake_request("/stats", 0, &b) != 200)
        return -1;
    cJSON *root = cJSON_Parse(b.data);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);
    long r = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
    cJSON_Delete(root);
    return r;
}

/* The last reason the token endpoint gave for a rejection (static buffer). */
static inline const char *fake_last_reject(void)
{
    static char why[512];
    fake_buf b;
    why[0] = '\0';
    if (fake_request("/stats", 0, &b) == 200) {
        cJSON *root = cJSON_Parse(b.data);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "last_reject");
        if (cJSON_IsString(v))
            snprintf(why, sizeof why, "%s", v->valuestring);
        cJSON_Delete(root);
    }
    return why;
}

/* A loopback port that nothing listens on (bound, then closed). */
static inline int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &len);
    close(s);
    return ntohs(a.sin_port);
}

#endif
