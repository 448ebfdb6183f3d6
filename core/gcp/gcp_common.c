/* What the credentials helper (gcp_auth.c) and the OIDC key fetcher (gcp_oidc.c) share:
 * libcurl's one-time set-up, a monotonic clock, and the collector of small HTTP bodies. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include <fleetsim/util.h>

#include "gcp_internal.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void fsim__curl_init(void)
{
    pthread_once(&curl_once, curl_init_once);
}

double fsim__monotonic_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

char *fsim__strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* Grows the buffer; stops the transfer (too_big) past FSIM__MAX_BODY. */
size_t fsim__body_write(char *ptr, size_t size, size_t nmemb, void *user)
{
    fsim__body_buf *b = user;
    size_t n = size * nmemb;
    if (b->len + n + 1 > FSIM__MAX_BODY) {
        b->too_big = true;
        return 0;
    }
    return fsim_buf_append(&b->data, &b->len, &b->cap, ptr, n) ? n : 0;
}
