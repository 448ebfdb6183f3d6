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
 * its requests queued behind the first along, up to API_BATCH_MAX, for one database read. */
#include <pthread.h>
#include <stdlib.h>

#include "api.h"

struct api_handler_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    api_request *head, *tail; /* queued, linked through next_queued */
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
        } else {
            prev = r;
        }
        r = next;
    }
    return n;
}

/* Why batches: with many clients polling, requests wait here while every handler thread is
 * in a database round trip; the next free thread answers all the queued polls with one
 * statement (the route's batch handler), instead of one round trip and two thread wake-ups
 * each. Requests of other routes keep their order. */
static void *worker(void *arg)
{
    api_handler_pool *p = arg;
    api_request *batch[API_BATCH_MAX];
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        api_request *req = p->head;
        if (!req)
            break; /* stopping, and nothing left to run */
        p->head = req->next_queued;
        if (!p->head)
            p->tail = NULL;
        size_t n = p->run_batch && api_route_batch(req->route) ? take_batch(p, req, batch) : 0;
        pthread_mutex_unlock(&p->mu);
        /* both resume the connections: a request may be gone when they return */
        if (n)
            p->run_batch(batch, n);
        else
            p->run(req);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

api_handler_pool *api_handler_pool_start(int threads, void (*run)(api_request *req),
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
        pthread_cond_signal(&p->cv);
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
