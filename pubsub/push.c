/* fleetsim-pubsub --push: an HTTP endpoint (libmicrohttpd) for a Pub/Sub push subscription.
 * POST / with the push envelope; the reply's status is the ack: 2xx acks, anything else makes
 * Pub/Sub deliver again (with backoff). A job runs inside its request, on one of `workers`
 * threads, so it must finish within the subscription's ack deadline (up to 600 s): push
 * cannot extend a deadline.
 *
 * Authentication: with FLEETSIM_PUSH_AUDIENCE set, POST / needs the OIDC token Pub/Sub
 * signs for its push subscription (core/gcp/gcp_oidc.c checks it); the check runs on the
 * request's headers, before its body is read or kept. Without it the endpoint is open and
 * must sit behind Cloud Run's IAM. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include <fleetsim/gcp_oidc.h>
#include <fleetsim/util.h>
#include <fleetsim/wire.h>

#include "worker.h"

/* Pub/Sub messages are at most 10 MB; base64 and the envelope add a third. */
#define MAX_BODY (16u * 1024u * 1024u)

typedef struct push_state {
    ps_worker *w;
    fsim_oidc *oidc;              /* NULL: push authentication is off */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int in_flight;
} push_state;

typedef struct body {
    char *data;
    size_t len, cap;
    bool too_large;
    unsigned denied;              /* 401, 403 or 503 from the token check; 0: let in */
} body;

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                             MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer error=\"invalid_token\"");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Every 4xx and 5xx in the one error shape the API uses ({"error": {code, message}}, the
 * wire codec's ErrorResponse); Pub/Sub only reads the status, people and logs read the rest. */
static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status,
                                   const char *code, const char *message)
{
    fsim_error_response resp = {.error = {.code = code, .message = message}};
    char *text = fsim_error_response_encode(&resp, 0, NULL);
    enum MHD_Result ret = reply(conn, status,
                                text ? text
                                     : "{\"error\":{\"code\":\"unavailable\","
                                       "\"message\":\"out of memory\"}}");
    free(text);
    return ret;
}

/* The push token of a POST, checked before its body is read. Returns the HTTP status to
 * refuse with, 0 to let it in; logs why (the reason names the claim, never the token). */
static unsigned authenticate(push_state *s, struct MHD_Connection *conn)
{
    const char *authz = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_AUTHORIZATION);
    fsim_error why;
    fsim_oidc_verdict v = fsim_oidc_verify(s->oidc, authz, (long long)time(NULL), &why);
    if (v == FSIM_OIDC_VALID)
        return 0;
    unsigned status = v == FSIM_OIDC_FORBIDDEN     ? MHD_HTTP_FORBIDDEN
                      : v == FSIM_OIDC_UNAVAILABLE ? MHD_HTTP_SERVICE_UNAVAILABLE
                                                   : MHD_HTTP_UNAUTHORIZED;
    char text[1024];
    fsim_error_format(&why, text, sizeof text);
    ps_log(s->w, v == FSIM_OIDC_UNAVAILABLE ? "ERROR" : "WARNING", NULL, NULL, NULL,
           "push refused with %u: %s", status, text);
    return status;
}

/* The answer to a refused token: the status says which kind; the body stays generic (the
 * reason is in the log, not handed to whoever holds a bad token). */
static enum MHD_Result reply_denied(struct MHD_Connection *conn, unsigned status)
{
    if (status == MHD_HTTP_FORBIDDEN)
        return reply_error(conn, status, "forbidden",
                           "the token's principal may not push to this endpoint");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        return reply_error(conn, status, "unavailable",
                           "the push token cannot be checked now; deliver again later");
    return reply_error(conn, status, "unauthenticated",
                       "a valid Pub/Sub push token (Authorization: Bearer) is required");
}

static bool append(body *b, const char *data, size_t len)
{
    if (b->too_large || b->len + len > MAX_BODY) {
        b->too_large = true;
        return true;
    }
    return fsim_buf_append(&b->data, &b->len, &b->cap, data, len);
}

/* Decodes the envelope and runs the job; the outcome becomes the HTTP status. */
static enum MHD_Result handle(push_state *s, struct MHD_Connection *conn, body *b)
{
    ps_worker *w = s->w;
    if (b->too_large)
        return reply_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "payload_too_large",
                           "body over 16 MiB: not a Pub/Sub push");
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        return reply_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", "out of memory");
    fsim_pubsub_message msg;
    const char *sub = NULL;
    fsim_error err;
    enum MHD_Result ret;
    ps_outcome out;
    fsim_status st = fsim_pubsub_push_decode(b->data ? b->data : "", b->len, "push body", arena,
                                             &msg, &sub, &err);
    if (st != FSIM_OK && strcmp(err.path, "message.data") == 0) {
        out = ps_job_reject(w, &msg, &err); /* a poison message: never deliverable */
    } else if (st != FSIM_OK) {
        char text[1024];
        fsim_error_format(&err, text, sizeof text);
        ps_log(w, "WARNING", NULL, NULL, NULL, "not a push envelope: %s", text);
        ret = reply_error(conn, MHD_HTTP_BAD_REQUEST, "invalid_envelope",
                          "not a Pub/Sub push envelope");
        goto out;
    } else if (atomic_load(&w->stopping)) {
        out = PS_NACK;
    } else {
        out = ps_job_process(w, &msg);
    }
    if (out == PS_ACK)
        ret = reply(conn, MHD_HTTP_OK, "{\"ack\":true}");
    else if (out == PS_RETRY_LATER)
        ret = reply_error(conn, MHD_HTTP_TOO_MANY_REQUESTS, "retry_later",
                          "the job is running elsewhere; deliver again later");
    else
        ret = reply_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
                          "not processed now (transient failure); deliver again");
out:
    fsim_arena_free(arena);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    push_state *s = cls;
    if (!*con_cls) {
        body *b = calloc(1, sizeof *b);
        if (!b)
            return MHD_NO;
        *con_cls = b;
        pthread_mutex_lock(&s->mu);
        s->in_flight++;
        pthread_mutex_unlock(&s->mu);
        if (s->oidc && strcmp(url, "/") == 0 && strcmp(method, "POST") == 0)
            b->denied = authenticate(s, conn);
        return MHD_YES;
    }
    body *b = *con_cls;
    if (*upload_data_size) {
        if (!b->denied && !append(b, upload_data, *upload_data_size))
            return MHD_NO;
        *upload_data_size = 0; /* a refused body is read and dropped, never kept */
        return MHD_YES;
    }
    if (strcmp(url, "/healthz") == 0 && strcmp(method, "GET") == 0)
        return reply(conn, MHD_HTTP_OK, "{\"status\":\"ok\"}");
    if (strcmp(url, "/") != 0)
        return reply_error(conn, MHD_HTTP_NOT_FOUND, "not_found", "only POST / and GET /healthz");
    if (strcmp(method, "POST") != 0)
        return reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "POST only");
    if (b->denied)
        return reply_denied(conn, b->denied);
    return handle(s, conn, b);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    push_state *s = cls;
    body *b = *con_cls;
    if (!b)
        return;
    free(b->data);
    free(b);
    *con_cls = NULL;
    pthread_mutex_lock(&s->mu);
    s->in_flight--;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* The token checker when FLEETSIM_PUSH_AUDIENCE is set; without it, a start-up line that
 * says the endpoint is open (a warning when FLEETSIM_PUSH_AUTH=none said so). False on a bad
 * setting. */
static bool setup_auth(push_state *s)
{
    ps_worker *w = s->w;
    if (!w->cfg.push_audience) {
        /* in production main.c lets this through only with FLEETSIM_PUSH_AUTH=none */
        ps_log(w, w->cfg.production || w->cfg.push_auth_none ? "WARNING" : "INFO", NULL, NULL,
               NULL, "push authentication is OFF (%s): anyone who can reach this endpoint can "
               "submit jobs; keep it behind Cloud Run IAM",
               w->cfg.push_auth_none ? "FLEETSIM_PUSH_AUTH=none"
                                     : "FLEETSIM_PUSH_AUDIENCE is not set");
        return true;
    }
    fsim_oidc_options oo = {.audience = w->cfg.push_audience,
                            .email = w->cfg.push_service_account,
                            .keys = w->cfg.push_keys};
    fsim_error err;
    if (fsim_oidc_new(&oo, &s->oidc, &err) != FSIM_OK) {
        char text[1024];
        fsim_error_format(&err, text, sizeof text);
        ps_log(w, "ERROR", NULL, NULL, NULL, "push authentication: %s", text);
        return false;
    }
    ps_log(w, "INFO", NULL, NULL, NULL, "push authentication on: %s",
           fsim_oidc_describe(s->oidc));
    return true;
}

int ps_push_main(ps_worker *w)
{
    push_state s = {.w = w};
    if (!setup_auth(&s))
        return 2;
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY | MHD_USE_ITC |
            MHD_USE_ERROR_LOG,
        (uint16_t)w->cfg.port, NULL, NULL, on_request, &s,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)w->cfg.workers,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)620, MHD_OPTION_END);
    if (!d) {
        ps_log(w, "ERROR", NULL, NULL, NULL, "could not listen on port %d", w->cfg.port);
        pthread_cond_destroy(&s.cv);
        pthread_mutex_destroy(&s.mu);
        fsim_oidc_free(s.oidc);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    ps_log(w, "INFO", NULL, NULL, NULL, "push endpoint listening on port %u with %d workers",
           info ? (unsigned)info->port : (unsigned)w->cfg.port, w->cfg.workers);

    int sig = ps_wait_signal();
    ps_log(w, "INFO", NULL, NULL, NULL, "signal %d: stopping (grace %d s)", sig, w->cfg.grace_s);
    atomic_store(&w->stopping, true);
    MHD_quiesce_daemon(d);
    pthread_mutex_lock(&s.mu);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += w->cfg.grace_s;
    while (s.in_flight > 0)
        if (pthread_cond_timedwait(&s.cv, &s.mu, &until) == ETIMEDOUT)
            break;
    bool late = s.in_flight > 0;
    pthread_mutex_unlock(&s.mu);
    if (late) {
        ps_log(w, "WARNING", NULL, NULL, NULL,
               "grace period over: cancelling running jobs (their pushes are nacked)");
        atomic_store(&w->aborting, true);
    }
    MHD_stop_daemon(d);
    ps_log(w, "INFO", NULL, NULL, NULL, "stopped after %ld jobs", atomic_load(&w->jobs_done));
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.mu);
    fsim_oidc_free(s.oidc);
    return 0;
}
