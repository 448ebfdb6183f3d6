/* The status cache: encoded JobStatus bodies of finished jobs (succeeded, failed), by id.
 *
 * Why: web clients poll GET /v1/simulations/{id} long after a job ended, and every poll was a
 * database round trip for an answer that can no longer change — except by a soft delete.
 * So only final statuses are kept; queued, running and cancelled never are.
 *
 * Deletes: a DELETE on this instance calls _invalidate after the row is deleted, and a read
 * that raced with it cannot put its (stale) body back: _put carries the epoch taken before
 * the read and is dropped when any invalidation happened since. A delete made by another
 * instance is seen here when the entry's TTL runs out (FLEETSIM_API_STATUS_CACHE_TTL_MS).
 *
 * Expiry without a stampede: the first poll of an expired entry reads the database again
 * (its _put renews the entry, its _forget drops it); polls meanwhile still get the old body,
 * but never one older than twice the TTL. Without this every connection polling a popular
 * job missed at once, each TTL, and queued on the database pool (p99 ×20 under wrk).
 *
 * Shape: a fixed table of `capacity` entries allocated once, a chained hash on the id and an
 * LRU list through the same entries (indices, no per-entry allocation but the body), one
 * mutex. A hit copies the body out under the lock: a few hundred bytes. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "api.h"

#define ID_LEN 36
#define NIL (-1)

typedef struct entry {
    char id[ID_LEN + 1];
    char *body;               /* malloc'd; NULL when the entry is free */
    size_t len;
    int64_t stored_ms;        /* CLOCK_MONOTONIC_COARSE */
    int64_t refresh_ms;       /* when a poll went to the database for it; 0: none */
    int32_t hnext;            /* next in the hash chain */
    int32_t prev, next;       /* LRU list (head = most recent), or the free list (next) */
} entry;

struct api_status_cache {
    pthread_mutex_t mu;
    entry *entries;
    int32_t capacity;
    int32_t *buckets;         /* n_buckets heads, NIL when empty */
    uint32_t bucket_mask;
    int32_t head, tail;       /* LRU */
    int32_t free_list;
    int64_t ttl_ms;
    atomic_uint_fast64_t epoch; /* bumped by every invalidation */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a over the 36 characters of a uuid. */
static uint32_t hash_id(const char *id)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < ID_LEN && id[i]; i++)
        h = (h ^ (unsigned char)id[i]) * 16777619u;
    return h;
}

api_status_cache *api_status_cache_new(long capacity, long ttl_ms)
{
    if (capacity <= 0)
        return NULL;
    api_status_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    uint32_t n_buckets = 1;
    while (n_buckets < (uint32_t)capacity * 2u)
        n_buckets <<= 1;
    c->entries = calloc((size_t)capacity, sizeof *c->entries);
    c->buckets = malloc(n_buckets * sizeof *c->buckets);
    if (!c->entries || !c->buckets) {
        free(c->entries);
        free(c->buckets);
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    c->capacity = (int32_t)capacity;
    c->bucket_mask = n_buckets - 1;
    for (uint32_t i = 0; i < n_buckets; i++)
        c->buckets[i] = NIL;
    for (int32_t i = 0; i < c->capacity; i++)
        c->entries[i].next = i + 1 < c->capacity ? i + 1 : NIL;
    c->free_list = 0;
    c->head = c->tail = NIL;
    c->ttl_ms = ttl_ms;
    atomic_init(&c->epoch, 0);
    return c;
}

void api_status_cache_free(api_status_cache *c)
{
    if (!c)
        return;
    for (int32_t i = 0; i < c->capacity; i++)
        free(c->entries[i].body);
    pthread_mutex_destroy(&c->mu);
    free(c->entries);
    free(c->buckets);
    free(c);
}

/* ---- List and chain surgery (the lock held) --------------------------------------------- */

static void lru_unlink(api_status_cache *c, int32_t i)
{
    entry *e = &c->entries[i];
    if (e->prev != NIL)
        c->entries[e->prev].next = e->next;
    else
        c->head = e->next;
    if (e->next != NIL)
        c->entries[e->next].prev = e->prev;
    else
        c->tail = e->prev;
}

static void lru_push_front(api_status_cache *c, int32_t i)
{
    entry *e = &c->entries[i];
    e->prev = NIL;
    e->next = c->head;
    if (c->head != NIL)
        c->entries[c->head].prev = i;
    c->head = i;
    if (c->tail == NIL)
        c->tail = i;
}

/* The index of `id`, and where the link pointing at it lives (to unchain it). */
static int32_t find(api_status_cache *c, const char *id, int32_t **link)
{
    int32_t *l = &c->buckets[hash_id(id) & c->bucket_mask];
    while (*l != NIL && memcmp(c->entries[*l].id, id, ID_LEN) != 0)
        l = &c->entries[*l].hnext;
    if (link)
        *link = l;
    return *l;
}

/* Takes entry i (found through `link`) out of the chain and the LRU list onto the free list;
 * returns its body for the caller to free outside the lock. */
static char *remove_at(api_status_cache *c, int32_t *link, int32_t i)
{
    entry *e = &c->entries[i];
    *link = e->hnext;
    lru_unlink(c, i);
    char *body = e->body;
    e->body = NULL;
    e->next = c->free_list;
    c->free_list = i;
    return body;
}

/* ---- The four operations ---------------------------------------------------------------- */

uint64_t api_status_cache_epoch(api_status_cache *c)
{
    return c ? atomic_load(&c->epoch) : 0;
}

bool api_status_cache_get(api_status_cache *c, const char *id, char **body, size_t *len)
{
    *body = NULL;
    if (!c || strlen(id) != ID_LEN)
        return false;
    char *old = NULL, *copy = NULL;
    pthread_mutex_lock(&c->mu);
    int32_t *link;
    int32_t i = find(c, id, &link);
    if (i != NIL) {
        entry *e = &c->entries[i];
        int64_t now = now_ms(), age = now - e->stored_ms;
        bool serve = age < c->ttl_ms;
        if (!serve && age >= 2 * c->ttl_ms) {
            old = remove_at(c, link, i); /* too old even to bridge a refresh */
        } else if (!serve && (e->refresh_ms == 0 || now - e->refresh_ms >= c->ttl_ms)) {
            e->refresh_ms = now; /* this caller asks the database; the others get the old body */
        } else if ((copy = malloc(e->len + 1)) != NULL) {
            memcpy(copy, e->body, e->len + 1);
            *len = e->len;
            lru_unlink(c, i);
            lru_push_front(c, i);
        }
    }
    pthread_mutex_unlock(&c->mu);
    free(old);
    *body = copy;
    return copy != NULL;
}

void api_status_cache_put(api_status_cache *c, const char *id, const char *body, size_t len,
                          uint64_t epoch)
{
    if (!c || strlen(id) != ID_LEN)
        return;
    char *copy = malloc(len + 1);
    if (!copy)
        return; /* a cache that cannot grow just misses */
    memcpy(copy, body, len);
    copy[len] = '\0';
    char *evicted = NULL, *replaced = NULL;
    pthread_mutex_lock(&c->mu);
    if (atomic_load(&c->epoch) != epoch) { /* a delete happened while we read: drop it */
        pthread_mutex_unlock(&c->mu);
        free(copy);
        return;
    }
    int32_t *link;
    int32_t i = find(c, id, &link);
    if (i != NIL) {
        lru_unlink(c, i);
        replaced = c->entries[i].body;
    } else {
        if (c->free_list == NIL) { /* full: the least recently used goes */
            int32_t *tail_link;
            find(c, c->entries[c->tail].id, &tail_link);
            evicted = remove_at(c, tail_link, c->tail);
        }
        i = c->free_list;
        c->free_list = c->entries[i].next;
        memcpy(c->entries[i].id, id, ID_LEN + 1);
        int32_t *bucket = &c->buckets[hash_id(id) & c->bucket_mask];
        c->entries[i].hnext = *bucket;
        *bucket = i;
    }
    entry *e = &c->entries[i];
    e->body = copy;
    e->len = len;
    e->stored_ms = now_ms();
    e->refresh_ms = 0;
    lru_push_front(c, i);
    pthread_mutex_unlock(&c->mu);
    free(evicted);
    free(replaced);
}

void api_status_cache_invalidate(api_status_cache *c, const char *id)
{
    if (!c)
        return;
    char *body = NULL;
    pthread_mutex_lock(&c->mu);
    atomic_fetch_add(&c->epoch, 1);
    int32_t *link;
    int32_t i = strlen(id) == ID_LEN ? find(c, id, &link) : NIL;
    if (i != NIL)
        body = remove_at(c, link, i);
    pthread_mutex_unlock(&c->mu);
    free(body);
}

void api_status_cache_forget(api_status_cache *c, const char *id)
{
    if (!c || strlen(id) != ID_LEN)
        return;
    char *body = NULL;
    pthread_mutex_lock(&c->mu);
    int32_t *link;
    int32_t i = find(c, id, &link);
    if (i != NIL)
        body = remove_at(c, link, i);
    pthread_mutex_unlock(&c->mu);
    free(body);
}
