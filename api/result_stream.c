/* GET /v1/simulations/{id}/result for a gcs-mode job: the bytes come from Cloud Storage and
 * go to the client as they arrive, never held whole in memory.
 *
 * core/gcs pushes an object's bytes into a callback (from inside libcurl); libmicrohttpd
 * pulls a response's bytes from a callback. A download thread per request joins the two
 * through a bounded buffer (STREAM_BUFFER bytes): the download waits while the client is
 * slow, the client waits while Cloud Storage is. The reader runs on an HTTP thread, an epoll
 * loop shared by many connections, so it never blocks: with nothing to send it suspends its
 * connection and returns 0, and the download thread resumes it when bytes (or the end)
 * arrive — libmicrohttpd's documented way to stream without busy waiting.
 *
 * The status line is decided before any byte is sent: the handler waits until the download
 * has its response headers (size, checksums) or has failed — 404 result_missing for an
 * object that is gone, 503 storage_unavailable when Cloud Storage does not answer within the
 * client's retry budget. After that, a failure (the transfer breaks, the checksum of what
 * arrived does not match) can only close the connection early. The last byte is held back
 * until the download has verified the checksum, so a client never receives a complete body
 * that is wrong: with Content-Length it sees a short body, an error. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include <fleetsim/gcp_auth.h>

#include "api.h"

#define STREAM_BUFFER (256u * 1024u)
#define READER_BLOCK (64u * 1024u)

typedef struct stream {
    api_server *srv;
    char id[FSIM_STORE_ID_LEN];
    char trace[API_REQUEST_ID_MAX + 1];
    char uri[1200];
    char bucket[256];
    char object[1100];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* the ring buffer between the download (writer) and the response (reader) */
    char buf[STREAM_BUFFER];
    size_t head, len;
    /* what the download thread reports */
    bool started;                 /* response headers known: `info` is filled */
    bool done;
    fsim_status status;
    fsim_error err;
    fsim_gcs_object info;
    /* what the response side says */
    bool abort;                   /* the client is gone: stop the download */
    struct MHD_Connection *conn;  /* the client's connection, suspended while waiting */
    bool suspended;
} stream;

/* Called with s->mu held, after something the reader waits for happened. */
static void wake_reader(stream *s)
{
    pthread_cond_broadcast(&s->cv);
    if (s->suspended) {
        s->suspended = false;
        MHD_resume_connection(s->conn);
    }
}

/* ---- The download side ------------------------------------------------------------------ */

/* core/gcs's write callback: copy into the ring, waiting for room; false stops the
 * download when the response side is gone. */
static bool on_bytes(void *user, const char *data, size_t len)
{
    stream *s = user;
    pthread_mutex_lock(&s->mu);
    if (!s->started) {
        s->started = true;
        pthread_cond_broadcast(&s->cv);
    }
    while (len > 0) {
        while (s->len == STREAM_BUFFER && !s->abort)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->abort)
            break;
        size_t tail = (s->head + s->len) % STREAM_BUFFER;
        size_t room = STREAM_BUFFER - s->len;
        size_t run = STREAM_BUFFER - tail; /* contiguous room after the tail */
        size_t n = len < room ? len : room;
        if (n > run)
            n = run;
        memcpy(s->buf + tail, data, n);
        s->len += n;
        data += n;
        len -= n;
        wake_reader(s);
    }
    bool keep = !s->abort;
    pthread_mutex_unlock(&s->mu);
    return keep;
}

static void *download(void *arg)
{
    stream *s = arg;
    fsim_error err;
    fsim_error_clear(&err);
    /* core/gcs fills s->info before the first on_bytes, in this thread; the handler reads it
     * only after seeing `started` under the lock */
    fsim_status st = fsim_gcs_download(s->srv->gcs, s->bucket, s->object, on_bytes, s, &s->info,
                                       &err);
    pthread_mutex_lock(&s->mu);
    s->done = true;
    s->status = st;
    s->err = err;
    s->started = true;
    wake_reader(s);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- The response side ------------------------------------------------------------------- */

/* libmicrohttpd asks for the next bytes at `pos`, on an HTTP thread. All but the last byte
 * go out as they arrive; the last one once the download has verified the whole object. With
 * nothing to send yet: suspend the connection, return 0, and let wake_reader resume it. */
static ssize_t read_some(void *cls, uint64_t pos, char *out, size_t max)
{
    stream *s = cls;
    ssize_t ret = 0;
    pthread_mutex_lock(&s->mu);
    bool verified = s->done && s->status == FSIM_OK;
    size_t avail = verified ? s->len : (s->len > 0 ? s->len - 1 : 0);
    if (avail > 0) {
        size_t n = avail < max ? avail : max;
        size_t run = STREAM_BUFFER - s->head;
        if (n > run)
            n = run;
        memcpy(out, s->buf + s->head, n);
        s->head = (s->head + n) % STREAM_BUFFER;
        s->len -= n;
        pthread_cond_broadcast(&s->cv); /* room for the download */
        ret = (ssize_t)n;
    } else if (verified) {
        ret = MHD_CONTENT_READER_END_OF_STREAM;
    } else if (s->done) {
        char detail[1200];
        fsim_error_format(&s->err, detail, sizeof detail);
        api_log("ERROR", s->trace,
                "simulation %s: the result stream from %s broke after %llu bytes, "
                "connection closed: %s",
                s->id, s->uri, (unsigned long long)pos, detail);
        ret = MHD_CONTENT_READER_END_WITH_ERROR;
    } else {
        s->suspended = true;
        MHD_suspend_connection(s->conn);
    }
    pthread_mutex_unlock(&s->mu);
    return ret;
}

/* The response is done with (sent, failed, or the client left): stop the download if it
 * still runs, wait for its thread, free everything. */
static void stream_free(void *cls)
{
    stream *s = cls;
    pthread_mutex_lock(&s->mu);
    s->abort = true;
    bool running = !s->done;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    if (running)
        api_log("INFO", s->trace, "simulation %s: the client left before the end of the result; "
                                  "download from %s stopped",
                s->id, s->uri);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* A download that failed before its first byte, as the one error shape. */
static bool answer_failure(api_request *req, stream *s)
{
    const char *id = s->id;
    switch (s->status) {
    case FSIM_NOT_FOUND:
        return api_error(req, 404, "result_missing", NULL,
                         "the result of simulation %s is no longer in Cloud Storage (%s: %s); "
                         "submit the simulation again",
                         id, s->uri, s->err.message);
    case FSIM_IO:
    case FSIM_NOMEM:
    case FSIM_CANCELLED: /* shutting down: another instance can answer */
        api_add_header(req, "Retry-After", "5");
        return api_error(req, 503, "storage_unavailable", NULL,
                         "the result of simulation %s could not be read from Cloud Storage (%s); "
                         "retry later",
                         id, s->err.message);
    default:
        return api_error(req, 500, "internal", NULL,
                         "the result of simulation %s could not be read", id);
    }
}

bool api_stream_gcs_result(api_request *req, const char *id, const char *uri)
{
    api_server *srv = req->server;
    if (!srv->gcs)
        return api_error(req, 503, "storage_unavailable", NULL,
                         "the result of simulation %s is in Cloud Storage, which this server "
                         "cannot read",
                         id);
    stream *s = calloc(1, sizeof *s);
    if (!s)
        return api_error(req, 503, "unavailable", NULL, "out of memory");
    s->srv = srv;
    s->conn = req->conn;
    s->info.size = -1;
    snprintf(s->id, sizeof s->id, "%s", id);
    snprintf(s->trace, sizeof s->trace, "%s", req->request_id);
    snprintf(s->uri, sizeof s->uri, "%s", uri);
    fsim_error err;
    fsim_error_clear(&err);
    if (fsim_gcs_parse_uri(uri, s->bucket, sizeof s->bucket, s->object, sizeof s->object,
                           &err) != FSIM_OK) {
        free(s);
        api_log("ERROR", req->request_id, "simulation %s: bad resultUri: %s", id, err.message);
        return api_error(req, 500, "internal", NULL,
                         "the result of simulation %s could not be read", id);
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (pthread_create(&s->thread, NULL, download, s) != 0) {
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return api_error(req, 503, "unavailable", NULL, "could not start the download");
    }
    pthread_mutex_lock(&s->mu);
    while (!s->started)
        pthread_cond_wait(&s->cv, &s->mu);
    bool failed = s->done && s->status != FSIM_OK;
    long long size = s->info.size;
    pthread_mutex_unlock(&s->mu);
    if (failed) {
        api_log("WARNING", req->request_id, "simulation %s: could not read %s: %s", id, uri,
                s->err.message);
        bool ok = answer_failure(req, s);
        stream_free(s);
        return ok;
    }
    struct MHD_Response *resp = MHD_create_response_from_callback(
        size >= 0 ? (uint64_t)size : MHD_SIZE_UNKNOWN, READER_BLOCK, read_some, s, stream_free);
    if (!resp) {
        stream_free(s);
        return api_error(req, 503, "unavailable", NULL, "out of memory");
    }
    return api_respond_response(req, 200, "application/json", resp, size >= 0 ? (size_t)size : 0);
}

/* ---- The client -------------------------------------------------------------------------- */

/* The API reads results on a client's behalf, so by default it gives up sooner than the
 * worker does (3 tries, 30 s each); FLEETSIM_GCS_* override both. */
bool api_gcs_open(api_server *srv, fsim_error *err)
{
    /* reads wait on a client: a small budget, unless FLEETSIM_GCS_* say otherwise */
    fsim_gcs_options o = {.max_attempts = 3, .timeout_s = 30, .backoff_initial_s = 0.2,
                          .backoff_max_s = 2, .connect_timeout_s = 5,
                          /* SIGTERM's grace period over: stop waiting for Cloud Storage */
                          .cancel = &srv->aborting};
    return fsim_gcs_open_env(&o, &srv->gcs, &srv->gcp_auth, err) == FSIM_OK;
}

void api_gcs_close(api_server *srv)
{
    fsim_gcs_free(srv->gcs);
    fsim_gcp_auth_free(srv->gcp_auth);
    srv->gcs = NULL;
    srv->gcp_auth = NULL;
}
