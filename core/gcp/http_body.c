/* The collector of small HTTP bodies shared by the credentials helper and the OIDC key
 * fetcher: grows a buffer, stops (too_big) past FSIM__MAX_BODY. */
#include <stdlib.h>
#include <string.h>

#include "gcp_internal.h"

size_t fsim__body_write(char *ptr, size_t size, size_t nmemb, void *user)
{
    fsim__body_buf *b = user;
    size_t n = size * nmemb;
    if (b->len + n + 1 > FSIM__MAX_BODY) {
        b->too_big = true;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p)
            return 0;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}
