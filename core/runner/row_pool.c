/* Formatting a run's rows on other threads while the engine makes them (the streaming
 * sink's writers). Text, not simulation, was most of a whole run's time: a week of 1,000
 * vehicles is 18 MB of CSV and JSON. Rows are copied into batches; each kind of row has one
 * writer (its CSV table and its array of result.json at once). Any thread formats any
 * queued batch into the batch's own text, oldest first, so both cores work whatever the
 * mix of kinds — at the end of a run too, when one kind is left. A kind's formatted texts
 * are then written in the order the engine made their rows, by one thread at a time: the
 * one that finished the batch next in line. The producer never runs far ahead: past
 * MAX_IN_FLIGHT batches it formats one itself (or waits), so memory stays bounded whatever
 * the horizon. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner_internal.h"

enum { BATCH_ROWS = 512, MAX_IN_FLIGHT = 48, MAX_THREADS = 8, N_POOL_KINDS = 4, MAX_DEFERRED = 8 };

enum batch_state { QUEUED, FORMATTING, FORMATTED };

struct batch {
    int kind;
    size_t n;
    uint64_t seq;               /* submission order, across kinds */
    enum batch_state state;
    bool formatted_ok;          /* false: out of memory while formatting */
    struct batch *next;         /* the kind's next, in submission order */
    char *rows;                 /* BATCH_ROWS rows of the kind's size */
    fsim_wire_rows_text *text;  /* its rows as text, from formatted until written */
    fsim_lonlat at[BATCH_ROWS]; /* copies of what a row's pointer member borrowed */
    struct batch *next_free;
};

struct kind {
    size_t size, ptr_off;  /* row size; a borrowed fsim_lonlat pointer's offset, or SIZE_MAX */
    fsim_wire_rows *w;     /* NULL: its rows are dropped */
    struct batch *head, *tail; /* submitted and not yet written, in order */
    struct batch *queued;  /* the first not yet being formatted (they start in order) */
    bool putting;          /* a thread is writing its formatted batches */
    struct batch *open;    /* being filled by the producer */
};

struct fsim__row_pool {
    pthread_mutex_t mu;
    pthread_cond_t work, space;
    pthread_t threads[MAX_THREADS];
    int n_threads;
    bool closing;
    bool draining;         /* the producer is done: written batches are freed, not kept */
    int in_flight;         /* batches handed over and not yet written */
    uint64_t next_seq;
    int failed_errno;      /* the first write failure (0: none) */
    bool failed;
    struct kind kinds[N_POOL_KINDS];
    size_t row_size;       /* the largest kind's: a batch serves any kind */
    struct batch *free_list;
    /* texts not in use: a batch holds one only from formatted to written, so there are
     * about as many as threads, not as batches in flight (fresh pages cost) */
    fsim_wire_rows_text *texts[MAX_IN_FLIGHT + N_POOL_KINDS]; /* in flight: at most that */
    int n_texts;
    struct deferred {
        void (*fn)(void *);
        void *arg;
    } deferred[MAX_DEFERRED];          /* the caller's work for an idle thread */
    int n_deferred;
};

/* The batch to format next: `prefer`'s first queued one, else the oldest queued of any
 * kind. Called with mu held. */
static struct batch *next_batch(fsim__row_pool *p, int prefer)
{
    struct kind *best = prefer >= 0 && p->kinds[prefer].queued ? &p->kinds[prefer] : NULL;
    for (int i = 0; i < N_POOL_KINDS && !best; i++) {
        struct kind *k = &p->kinds[i];
        if (k->queued && (!best || k->queued->seq < best->queued->seq))
            best = k;
    }
    if (!best)
        return NULL;
    struct batch *b = best->queued;
    best->queued = b->next;
    b->state = FORMATTING;
    return b;
}

static void fail(fsim__row_pool *p, int e)
{
    if (!p->failed) {
        p->failed = true;
        p->failed_errno = e;
    }
}

static void free_batch(struct batch *b)
{
    free(b->rows);
    free(b);
}

/* A batch done with: kept for reuse, or (NULL: freed already) only counted out. */
static void release(fsim__row_pool *p, struct batch *b)
{
    if (b) {
        b->next_free = p->free_list;
        p->free_list = b;
    }
    p->in_flight--;
    pthread_cond_broadcast(&p->space);
}

/* Writes the kind's formatted batches that are next in line, unless another thread is at
 * it (it will see these too). mu held on entry and on return. */
static void put_ready(fsim__row_pool *p, struct kind *k)
{
    if (k->putting)
        return;
    k->putting = true;
    while (k->head && k->head->state == FORMATTED) {
        struct batch *b = k->head;
        k->head = b->next;
        if (!k->head)
            k->tail = NULL;
        const bool skip = p->failed, formatted = b->formatted_ok, discard = p->draining;
        pthread_mutex_unlock(&p->mu);
        const bool ok = skip || (formatted && fsim_wire_rows_put(k->w, b->text));
        const int e = ok ? 0 : !formatted ? ENOMEM : errno ? errno : EIO;
        /* at the end of a run, freed here, on whichever thread, not all at once after */
        fsim_wire_rows_text *text = b->text;
        if (discard)
            free_batch(b);
        pthread_mutex_lock(&p->mu);
        if (text)
            p->texts[p->n_texts++] = text;
        if (!ok)
            fail(p, e);
        release(p, discard ? NULL : b);
    }
    k->putting = false;
    pthread_cond_broadcast(&p->work); /* waiters for the kind to be written */
}

/* Formats one batch (mu held on entry and on return), then writes what is in line. */
static void run_one(fsim__row_pool *p, struct batch *b)
{
    struct kind *k = &p->kinds[b->kind];
    const bool skip = p->failed;
    b->text = !skip && p->n_texts ? p->texts[--p->n_texts] : NULL;
    pthread_mutex_unlock(&p->mu);
    bool ok = true;
    if (!skip) {
        if (!b->text)
            b->text = fsim_wire_rows_text_new();
        ok = b->text && fsim_wire_rows_format(k->w, b->rows, b->n, k->size, b->text);
    }
    pthread_mutex_lock(&p->mu);
    b->formatted_ok = ok;
    b->state = FORMATTED;
    put_ready(p, k);
}

/* A worker: formats whatever is queued until the pool closes and nothing is left. */
static void *worker(void *arg)
{
    fsim__row_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct batch *b = next_batch(p, -1);
        if (b) {
            run_one(p, b);
            continue;
        }
        if (p->n_deferred) {
            struct deferred d = p->deferred[--p->n_deferred];
            pthread_mutex_unlock(&p->mu);
            d.fn(d.arg);
            pthread_mutex_lock(&p->mu);
            continue;
        }
        if (p->draining && p->free_list) { /* nothing to format: free what is not needed */
            b = p->free_list;
            p->free_list = b->next_free;
            pthread_mutex_unlock(&p->mu);
            free_batch(b);
            pthread_mutex_lock(&p->mu);
            continue;
        }
        if (p->draining && p->in_flight == 0 && p->n_texts) {
            fsim_wire_rows_text *t = p->texts[--p->n_texts];
            pthread_mutex_unlock(&p->mu);
            fsim_wire_rows_text_free(t);
            pthread_mutex_lock(&p->mu);
            continue;
        }
        if (p->closing && p->in_flight == 0)
            break;
        pthread_cond_wait(&p->work, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

fsim__row_pool *fsim__row_pool_new(int threads)
{
    fsim__row_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->space, NULL);
    /* one thread fewer than the run may use (default: the CPUs): the engine (or its merge)
     * has the calling thread, which joins in once the engine is done; a run on one thread
     * formats on the calling thread alone */
    long cpus = threads > 0 ? threads : sysconf(_SC_NPROCESSORS_ONLN);
    int want = cpus > 1 ? (int)(cpus - 1) : 0;
    want = want > MAX_THREADS ? MAX_THREADS : want;
    for (int i = 0; i < want; i++)
        if (pthread_create(&p->threads[p->n_threads], NULL, worker, p) == 0)
            p->n_threads++;
    return p; /* without threads the producer formats everything itself */
}

void fsim__row_pool_kind(fsim__row_pool *p, int kind, size_t size, size_t ptr_off,
                         fsim_wire_rows *w)
{
    struct kind *k = &p->kinds[kind];
    k->size = size;
    k->ptr_off = ptr_off;
    k->w = w;
    if (size > p->row_size)
        p->row_size = size;
}

/* Hands the kind's open batch to its queue (mu held). */
static void submit(fsim__row_pool *p, struct kind *k)
{
    struct batch *b = k->open;
    k->open = NULL;
    if (!b)
        return;
    p->in_flight++;
    if (!k->w) { /* a kind nobody writes: nothing to do */
        release(p, b);
        return;
    }
    b->seq = p->next_seq++;
    b->state = QUEUED;
    b->next = NULL;
    if (k->tail)
        k->tail->next = b;
    else
        k->head = b;
    k->tail = b;
    if (!k->queued)
        k->queued = b;
    pthread_cond_broadcast(&p->work);
}

bool fsim__row_pool_add(fsim__row_pool *p, int kind, const void *row)
{
    struct kind *k = &p->kinds[kind];
    struct batch *b = k->open;
    if (!b || b->n == BATCH_ROWS) {
        pthread_mutex_lock(&p->mu);
        if (b)
            submit(p, k);
        /* too far ahead: help with the formatting, or wait for a thread to finish some */
        while (p->in_flight >= MAX_IN_FLIGHT && !p->failed) {
            struct batch *next = next_batch(p, -1);
            if (next)
                run_one(p, next);
            else
                pthread_cond_wait(&p->space, &p->mu);
        }
        if (p->failed) {
            errno = p->failed_errno ? p->failed_errno : EIO;
            pthread_mutex_unlock(&p->mu);
            return false;
        }
        b = p->free_list;
        if (b)
            p->free_list = b->next_free;
        pthread_mutex_unlock(&p->mu);
        if (!b && (!(b = calloc(1, sizeof *b)) || !(b->rows = malloc(BATCH_ROWS * p->row_size)))) {
            free(b);
            errno = ENOMEM;
            return false;
        }
        b->kind = kind;
        b->n = 0;
        k->open = b;
    }
    char *slot = b->rows + b->n * k->size;
    memcpy(slot, row, k->size);
    if (k->ptr_off != SIZE_MAX) {
        const fsim_lonlat **ptr = (const fsim_lonlat **)(void *)(slot + k->ptr_off);
        if (*ptr) {
            b->at[b->n] = **ptr;
            *ptr = &b->at[b->n];
        }
    }
    b->n++;
    return true;
}

/* The errno of the first failed write, or 0 (mu held). */
static int failure(const fsim__row_pool *p)
{
    return p->failed ? (p->failed_errno ? p->failed_errno : EIO) : 0;
}

/* Every row added so far handed over, the producer done (mu held). */
static void submit_all(fsim__row_pool *p)
{
    for (int k = 0; k < N_POOL_KINDS; k++)
        submit(p, &p->kinds[k]);
    p->draining = true;
    pthread_cond_broadcast(&p->work);
}

/* Why: the caller can use one kind's text (copy its array into result.json) while the
 * pool's threads go on with the others. The calling thread formats batches meanwhile, the
 * kind's own first. */
int fsim__row_pool_wait_kind(fsim__row_pool *p, int kind)
{
    struct kind *k = &p->kinds[kind];
    pthread_mutex_lock(&p->mu);
    submit_all(p);
    while ((k->head || k->putting) && !p->failed) {
        struct batch *b = next_batch(p, kind);
        if (b)
            run_one(p, b);
        else
            pthread_cond_wait(&p->work, &p->mu); /* a batch written: maybe its last */
    }
    int e = failure(p);
    pthread_mutex_unlock(&p->mu);
    return e;
}

/* Why: freeing a result.json array's memory (munmap of MBs) is work the calling thread need
 * not wait for at the end of a run; an idle thread does it, else _finish. */
void fsim__row_pool_defer(fsim__row_pool *p, void (*fn)(void *), void *arg)
{
    if (!p) {
        fn(arg);
        return;
    }
    pthread_mutex_lock(&p->mu);
    if (p->n_deferred == MAX_DEFERRED) {
        pthread_mutex_unlock(&p->mu);
        fn(arg);
        return;
    }
    p->deferred[p->n_deferred++] = (struct deferred){fn, arg};
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
}

/* Stops the threads once every queued batch is done (or, with `drop`, skipped) and frees
 * the pool; the calling thread formats alongside them meanwhile. Returns 0, or the errno
 * of the first write that failed. */
int fsim__row_pool_finish(fsim__row_pool *p, bool drop)
{
    if (!p)
        return 0;
    pthread_mutex_lock(&p->mu);
    if (drop)
        p->failed = true; /* what is queued is skipped */
    submit_all(p);
    p->closing = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    worker(p);
    for (int i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    int e = failure(p);
    for (struct batch *b = p->free_list, *next; b; b = next) {
        next = b->next_free;
        free_batch(b);
    }
    while (p->n_texts > 0)
        fsim_wire_rows_text_free(p->texts[--p->n_texts]);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->space);
    pthread_mutex_destroy(&p->mu);
    free(p);
    return e;
}
