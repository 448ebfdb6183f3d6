/* Idempotency-Key for POST /v1/simulations (the IETF httpapi draft, as Stripe does it).
 *
 * The durable part lives in the database: the row carries the key (unique) and the SHA-256
 * of the request, so the same key with the same request finds the first job — on any
 * instance, for as long as the row exists (well over the 24 h promised) — and with another
 * request is refused (422). What the database cannot say is "the first request with this
 * key is still being handled": that is this file's set of keys in flight, which turns a
 * concurrent retry into 409 instead of letting it race. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define KEY_MAX 255

struct api_idempotency {
    pthread_mutex_t lock;
    char **keys; /* in flight; few at a time, so a plain array */
    size_t n, cap;
};

api_idempotency *api_idempotency_new(void)
{
    api_idempotency *idem = calloc(1, sizeof *idem);
    if (idem)
        pthread_mutex_init(&idem->lock, NULL);
    return idem;
}

void api_idempotency_free(api_idempotency *idem)
{
    if (!idem)
        return;
    for (size_t i = 0; i < idem->n; i++)
        free(idem->keys[i]);
    free(idem->keys);
    pthread_mutex_destroy(&idem->lock);
    free(idem);
}

const char *api_idempotency_key_problem(const char *key)
{
    size_t n = strlen(key);
    if (n == 0)
        return "must not be empty";
    if (n > KEY_MAX)
        return "must be at most 255 characters";
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return "must be printable ASCII";
    return NULL;
}

bool api_idempotency_begin(api_idempotency *idem, const char *key)
{
    bool ok = true;
    pthread_mutex_lock(&idem->lock);
    for (size_t i = 0; i < idem->n && ok; i++)
        ok = strcmp(idem->keys[i], key) != 0;
    if (ok && idem->n == idem->cap) {
        size_t cap = idem->cap ? idem->cap * 2 : 16;
        char **k = realloc(idem->keys, cap * sizeof *k);
        if (k) {
            idem->keys = k;
            idem->cap = cap;
        }
    }
    if (ok && idem->n < idem->cap) {
        char *copy = strdup(key);
        if (copy)
            idem->keys[idem->n++] = copy;
    }
    pthread_mutex_unlock(&idem->lock);
    return ok;
}

void api_idempotency_end(api_idempotency *idem, const char *key)
{
    pthread_mutex_lock(&idem->lock);
    for (size_t i = 0; i < idem->n; i++) {
        if (strcmp(idem->keys[i], key) == 0) {
            free(idem->keys[i]);
            idem->keys[i] = idem->keys[--idem->n];
            break;
        }
    }
    pthread_mutex_unlock(&idem->lock);
}
