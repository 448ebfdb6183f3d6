/* The handler pool: threads for the handlers that may block (the database, synchronous
 * runs), so that the few HTTP threads (server.c) never do.
 *
 * Why: libmicrohttpd serves every connection of an HTTP thread from one epoll loop; a
 * handler that waited there for PostgreSQL, or ran a simulation for seconds, would stall
 * every other connection of that thread — /healthz probes included. So such a request is
 * suspended by server.c and queued here; a pool thread runs its handler, which leaves the
 * response in the request, and resumes the connection; libmicrohttpd then calls server.c
 * again, on the HTTP thread, to queue that response. FIFO, unbounded: the connection limit
 * bounds the queue. A route with a batch handler (api_route_batch: the status poll) takes
 * its requests queued behind the first along, up to API_BATCH_MAX, for one database read.
 *
 * The batch limit and wake-ups: at most batch_limit threads (FLEETSIM_API_POLL_THREADS) run
 * a batch route at once; its requests that queue meanwhile wait for one of them (other
 * routes' requests pass them) and make its next batch larger. A thread is woken for such a
 * request only when no thread is already on its way (woken, not yet at the queue) to take
 * it along. Measured under wrk at 64 connections on 2 cores with the status cache off
 * (bench_api.sh): when every poll woke one of a dozen threads, a quarter of the API's CPU
 * went to the condition variable and its mutex, most threads woke to find their poll taken
 * by another's batch, and a statement read about 4 polls; with the limit the CPU per poll
 * fell from 31-36 to 21-23 us in the API and from 9-12 to 4-5 us in PostgreSQL. */
#include <pthread.h>
#include <stdlib.h>

#include "api.h"

struct api_handler_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    api_request *head, *tail; /* queued, linked through next_queued */
    int queued;               /* requests in the queue */
    int queued_batch;         /* of those, of a route with a batch handler */
    int batch_limit;          /* batch handler calls at once */
    int batch_running;        /* batch handler calls running */
    int idle;                 /* threads waiting on cv */
    int waking;               /* of those, signalled and not yet back at the queue */
    bool stopping;
    void (*run)(api_request *req);
    void (*run_batch)(api_request **reqs, size_t n);
    int n_threads;
    pthread_t *threads;
};

/* Takes the queued requests of req's batch route out of the queue (FIFO order kept for the
 * rest), behind req in batch[]; returns how many batch[] holds. Under p->mu. */
static size_t take_batch(api_handler_pool *p, api_request *req, api_request **batch)
{
    size_t n = 0;
    batch[n++] = req;
    api_request *prev = NULL;
    for (api_request *r = p->head; r && n < API_BATCH_MAX;) {
        api_request *next = r->next_queued;
        if (r->route == req->route) {
            if (prev)
                prev->next_queued = next;
            else
                p->head = next;
            if (p->tail == r)
                p->tail = prev;
            batch[n++] = r;
            p->queued--;
            p->queued_batch--;
        } else {
            prev = r;
        }
        r = next;
    }
    return n;
}

static bool is_batch(const api_handler_pool *p, const api_request *req)
{
    return p->run_batch && api_route_batch(req->route);
}

/* Whether a thread woken now would find something to run. Under p->mu. */
static bool runnable(const api_handler_pool *p)
{
    return p->queued > p->queued_batch ||
           (p->queued_batch > 0 && p->batch_running < p->batch_limit);
}

/* The first queued request a thread may run now, out of the queue: a batch route's only
 * while fewer than batch_limit batches run (the others wait for the thread of a running
 * batch, which takes them next). NULL: none. Under p->mu. */
static api_request *next_request(api_handler_pool *p)
{
    api_request *prev = NULL;
    for (api_request *r = p->head; r; prev = r, r = r->next_queued) {
        bool batch = is_batch(p, r);
        if (batch && p->batch_running >= p->batch_limit)
            continue;
        if (prev)
            prev->next_queued = r->next_queued;
        else
            p->head = r->next_queued;
        if (p->tail == r)
            p->tail = prev;
        p->queued--;
        p->queued_batch -= batch;
        return r;
    }
    return NULL;
}

/* Signals one idle thread when there is queued work it may run and no woken thread will
 * take: always for a request that runs alone (`coalesce` false), only when none is on its
 * way for a batch route's request (it takes the queued ones of its route along). Under
 * p->mu. */
static void wake(api_handler_pool *p, bool coalesce)
{
    if (!runnable(p) || p->idle <= p->waking || (coalesce && p->waking > 0))
        return;
    p->waking++;
    pthread_cond_signal(&p->cv);
}

/* Why batches: with many clients polling, requests wait here while the handler threads are
 * in a database round trip; the next free thread answers all the queued polls with one
 * statement (the route's batch handler), instead of one round trip and two thread wake-ups
 * each. At most batch_limit such reads run at once, so the polls that arrive meanwhile make
 * the next batch larger instead of waking more threads and database backends: on 2 cores
 * under wrk at 64 connections that halved the CPU per poll. Requests of other routes keep
 * their order and are never held back by it. */
static void *worker(void *arg)
{
    api_handler_pool *p = arg;
    api_request *batch[API_BATCH_MAX];
    pthread_mutex_lock(&p->mu);
    for (;;) {
        api_request *req;
        while (!(req = next_request(p))) {
            if (p->stopping && !p->head)
                goto out; /* stopping, and nothing left to run */
            p->idle++;
            pthread_cond_wait(&p->cv, &p->mu);
            p->idle--;
            if (p->waking > 0) /* a spurious wake-up only costs a later signal */
                p->waking--;
        }
        size_t n = 0;
        if (is_batch(p, req)) {
            n = take_batch(p, req, batch);
            p->batch_running++;
        }
        wake(p, false); /* what is left (other routes, past API_BATCH_MAX) needs a thread */
        pthread_mutex_unlock(&p->mu);
        /* both resume the connections: a request may be gone when they return */
        if (n)
            p->run_batch(batch, n);
        else
            p->run(req);
        pthread_mutex_lock(&p->mu);
        if (n)
            p->batch_running--; /* this thread takes the queued polls next, itself */
        if (p->stopping) /* threads held back by batch_limit must see the queue empty */
            pthread_cond_broadcast(&p->cv);
    }
out:
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

api_handler_pool *api_handler_pool_start(int threads, int batch_threads,
                                         void (*run)(api_request *req),
                                         void (*run_batch)(api_request **reqs, size_t n),
                                         fsim_error *err)
{
    api_handler_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->threads = calloc((size_t)threads, sizeof *p->threads))) {
        free(p);
        fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->run = run;
    p->run_batch = run_batch;
    p->batch_limit = batch_threads > 0 ? batch_threads : 1;
    for (; p->n_threads < threads; p->n_threads++) {
        if (pthread_create(&p->threads[p->n_threads], NULL, worker, p) != 0) {
            fsim_error_set(err, FSIM_IO, "FLEETSIM_API_HANDLER_THREADS", 0, 0, NULL,
                           "could not start handler thread %d of %d", p->n_threads + 1,
                           threads);
            api_handler_pool_stop(p);
            return NULL;
        }
    }
    return p;
}

bool api_handler_pool_submit(api_handler_pool *p, api_request *req)
{
    pthread_mutex_lock(&p->mu);
    bool accepted = !p->stopping;
    if (accepted) {
        req->next_queued = NULL;
        if (p->tail)
            p->tail->next_queued = req;
        else
            p->head = req;
        p->tail = req;
        p->queued++;
        p->queued_batch += is_batch(p, req);
        wake(p, is_batch(p, req));
    }
    pthread_mutex_unlock(&p->mu);
    return accepted;
}

void api_handler_pool_stop(api_handler_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true; /* what is queued still runs: its connection waits for it */
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p);
}
