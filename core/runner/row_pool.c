/* Formatting a run's rows on other threads while the engine makes them (the streaming
 * sink's writers). Text, not simulation, was most of a whole run's time: a week of 1,000
 * vehicles is 18 MB of CSV and JSON. Rows are copied into batches; each batch feeds one or
 * two outputs (a CSV table and result.json's fragment), and each output is a serial queue:
 * its batches are formatted one at a time, in the order the engine made them, by whichever
 * thread is free. Different outputs run side by side, so two cores format two of the
 * eight outputs at once. The producer never runs far ahead: past MAX_IN_FLIGHT batches it
 * formats one itself (or waits), so memory stays bounded whatever the horizon. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner_internal.h"

enum { BATCH_ROWS = 512, MAX_IN_FLIGHT = 48, MAX_THREADS = 8, N_POOL_KINDS = 4 };

struct batch;

struct task {
    struct batch *batch;
    struct task *next;
};

struct batch {
    int kind;
    size_t n;
    int refs;              /* outputs not done with it */
    struct task task[2];   /* its place in each output's queue */
    char *rows;            /* BATCH_ROWS rows of the kind's size */
    fsim_lonlat at[BATCH_ROWS]; /* copies of what a row's pointer member borrowed */
    struct batch *next_free;
};

struct output {
    fsim_wire_rows *w;
    struct task *head, *tail;
    bool busy;             /* a thread is formatting one of its batches */
    int slot;              /* 0: the kind's first writer, 1: its second */
};

struct kind {
    size_t size, ptr_off;  /* row size; a borrowed fsim_lonlat pointer's offset, or SIZE_MAX */
    struct output *out[2];
    struct batch *open;    /* being filled by the producer */
};

struct fsim__row_pool {
    pthread_mutex_t mu;
    pthread_cond_t work, space;
    pthread_t threads[MAX_THREADS];
    int n_threads;
    bool closing;
    int in_flight;         /* batches handed over and not yet done */
    int failed_errno;      /* the first write failure (0: none) */
    bool failed;
    struct kind kinds[N_POOL_KINDS];
    struct output outputs[2 * N_POOL_KINDS];
    int n_outputs;
    size_t row_size;       /* the largest kind's: a batch serves any kind */
    struct batch *free_list;
};

/* A runnable output: batches queued and nobody on it; second writers first (the streaming
 * sink's result.json fragments, which its commit must copy once complete, while the
 * first writers' tables are written in place). `slot` -1: any, else only that slot's.
 * Called with mu held. */
static struct output *runnable_in(fsim__row_pool *p, int slot)
{
    for (int pass = 1; pass >= 0; pass--)
        for (int i = 0; i < p->n_outputs; i++) {
            struct output *o = &p->outputs[i];
            if (o->slot == pass && (slot < 0 || slot == pass) && o->head && !o->busy)
                return o;
        }
    return NULL;
}

static struct output *runnable(fsim__row_pool *p)
{
    return runnable_in(p, -1);
}

static void release(fsim__row_pool *p, struct batch *b)
{
    if (--b->refs > 0)
        return;
    b->next_free = p->free_list;
    p->free_list = b;
    p->in_flight--;
    pthread_cond_broadcast(&p->space);
}

/* Formats the next batch of one output (mu held on entry and on return). */
static void run_one(fsim__row_pool *p, struct output *o)
{
    struct task *t = o->head;
    o->head = t->next;
    if (!o->head)
        o->tail = NULL;
    o->busy = true;
    bool skip = p->failed;
    pthread_mutex_unlock(&p->mu);
    const struct batch *b = t->batch;
    const size_t size = p->kinds[b->kind].size;
    bool ok = true;
    int e = 0;
    for (size_t i = 0; i < b->n && ok && !skip; i++)
        if (!(ok = fsim_wire_rows_add(o->w, b->rows + i * size)))
            e = errno ? errno : EIO;
    pthread_mutex_lock(&p->mu);
    if (!ok && !p->failed) {
        p->failed = true;
        p->failed_errno = e;
    }
    o->busy = false;
    release(p, t->batch);
    pthread_cond_broadcast(&p->work); /* the output's next batch may be runnable now */
}

/* A worker: formats whatever is runnable until the pool closes and nothing is left. */
static void *worker(void *arg)
{
    fsim__row_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct output *o = runnable(p);
        if (o) {
            run_one(p, o);
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
                         fsim_wire_rows *a, fsim_wire_rows *b)
{
    struct kind *k = &p->kinds[kind];
    k->size = size;
    k->ptr_off = ptr_off;
    if (size > p->row_size)
        p->row_size = size;
    fsim_wire_rows *ws[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        if (!ws[i])
            continue;
        struct output *o = &p->outputs[p->n_outputs++];
        o->w = ws[i];
        o->slot = i;
        k->out[i] = o;
    }
}

/* Hands the kind's open batch to its outputs' queues (mu held). */
static void submit(fsim__row_pool *p, struct kind *k)
{
    struct batch *b = k->open;
    k->open = NULL;
    if (!b)
        return;
    p->in_flight++;
    b->refs = 0;
    for (int i = 0; i < 2; i++) {
        struct output *o = k->out[i];
        if (!o)
            continue;
        struct task *t = &b->task[i];
        *t = (struct task){.batch = b};
        if (o->tail)
            o->tail->next = t;
        else
            o->head = t;
        o->tail = t;
        b->refs++;
    }
    if (b->refs == 0) { /* a kind without outputs: nothing to do */
        b->refs = 1;
        release(p, b);
    }
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
            struct output *o = runnable(p);
            if (o)
                run_one(p, o);
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

/* Every row added so far handed over (mu held). */
static void submit_all(fsim__row_pool *p)
{
    for (int k = 0; k < N_POOL_KINDS; k++)
        submit(p, &p->kinds[k]);
}

/* Why: the caller can use the second writers' output (copy result.json's fragments into
 * place) while the pool's threads go on with the first writers' batches. The calling
 * thread formats second-writer batches until none is queued or being formatted. */
int fsim__row_pool_drain_second(fsim__row_pool *p)
{
    pthread_mutex_lock(&p->mu);
    submit_all(p);
    for (;;) {
        struct output *o = runnable_in(p, 1);
        if (o) {
            run_one(p, o);
            continue;
        }
        bool busy = false;
        for (int i = 0; i < p->n_outputs; i++) {
            const struct output *q = &p->outputs[i];
            busy = busy || (q->slot == 1 && (q->head || q->busy));
        }
        if (!busy || p->failed)
            break;
        pthread_cond_wait(&p->work, &p->mu); /* a batch formatted: maybe the last one */
    }
    int e = failure(p);
    pthread_mutex_unlock(&p->mu);
    return e;
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
        free(b->rows);
        free(b);
    }
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->space);
    pthread_mutex_destroy(&p->mu);
    free(p);
    return e;
}
