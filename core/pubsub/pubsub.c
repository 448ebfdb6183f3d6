/* The Pub/Sub client: google.pubsub.v1 unary calls over gRPC C core, bodies encoded and
 * decoded by protobuf-c (pubsub_v1.proto, compiled at build time).
 *
 * Why unary calls only: StreamingPull needs a bidirectional stream driven by its own thread;
 * Pull + Acknowledge + ModifyAckDeadline give the same guarantees (at-least-once, explicit
 * acks, deadline extension) with one code path that is easy to cancel and to test. */
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include <fleetsim/pubsub.h>

#include "pubsub_internal.h"
#include "pubsub_v1.pb-c.h"

#define DEFAULT_ENDPOINT "pubsub.googleapis.com:443"
#define DEFAULT_TIMEOUT_MS 30000
#define MAX_MESSAGE_BYTES (32 * 1024 * 1024)

/* A call in flight, linked into its client so cancel_all can reach it. */
struct active_call {
    grpc_call *call;
    struct active_call *prev, *next;
};

struct fsim_pubsub {
    grpc_channel *channel;
    char *target;
    char *credentials;             /* fsim_gcp_auth_describe of the real service's tokens */
    bool emulator;
    int timeout_ms;
    pthread_mutex_t mu;            /* guards calls and cancelled */
    struct active_call *calls;
    bool cancelled;
};

/* ---- Status mapping --------------------------------------------------------------------- */

static const char *code_name(grpc_status_code code)
{
    switch (code) {
    case GRPC_STATUS_OK: return "OK";
    case GRPC_STATUS_CANCELLED: return "CANCELLED";
    case GRPC_STATUS_UNKNOWN: return "UNKNOWN";
    case GRPC_STATUS_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case GRPC_STATUS_DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case GRPC_STATUS_NOT_FOUND: return "NOT_FOUND";
    case GRPC_STATUS_ALREADY_EXISTS: return "ALREADY_EXISTS";
    case GRPC_STATUS_PERMISSION_DENIED: return "PERMISSION_DENIED";
    case GRPC_STATUS_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case GRPC_STATUS_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case GRPC_STATUS_ABORTED: return "ABORTED";
    case GRPC_STATUS_OUT_OF_RANGE: return "OUT_OF_RANGE";
    case GRPC_STATUS_UNIMPLEMENTED: return "UNIMPLEMENTED";
    case GRPC_STATUS_INTERNAL: return "INTERNAL";
    case GRPC_STATUS_UNAVAILABLE: return "UNAVAILABLE";
    case GRPC_STATUS_DATA_LOSS: return "DATA_LOSS";
    case GRPC_STATUS_UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
    }
}

/* The one place that decides which failures a worker retries (see pubsub.h). */
static fsim_status map_code(grpc_status_code code)
{
    switch (code) {
    case GRPC_STATUS_OK: return FSIM_OK;
    case GRPC_STATUS_INVALID_ARGUMENT:
    case GRPC_STATUS_FAILED_PRECONDITION:
    case GRPC_STATUS_OUT_OF_RANGE:
    case GRPC_STATUS_ALREADY_EXISTS: return FSIM_INVALID;
    case GRPC_STATUS_NOT_FOUND: return FSIM_NOT_FOUND;
    case GRPC_STATUS_PERMISSION_DENIED:
    case GRPC_STATUS_UNAUTHENTICATED:
    case GRPC_STATUS_UNIMPLEMENTED: return FSIM_USAGE;
    case GRPC_STATUS_CANCELLED: return FSIM_CANCELLED;
    default: return FSIM_IO; /* UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, … */
    }
}

bool fsim_pubsub_transient(fsim_status status)
{
    return status == FSIM_IO;
}

/* ---- Channel ---------------------------------------------------------------------------- */

/* The HTTP proxy from the environment must not apply to an emulator on this machine. */
static bool is_loopback(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strncmp(host, "localhost", 9) == 0 ||
           strncmp(host, "[::1]", 5) == 0 || strncmp(host, "::1", 3) == 0;
}

/* TLS channel credentials whose every call carries a token from core/gcp (the one
 * credentials helper: key JSON, key file or metadata server), instead of gRPC's own Google
 * credentials, so Pub/Sub, Cloud Storage and the logs agree on where tokens come from. A bad
 * key fails here with an error naming its variable. Not reachable from the test machine
 * against Google: tests/pubsub/test_pubsub_tls.c runs it against the fake over TLS. */
static fsim_status service_credentials(const fsim_pubsub_options *o,
                                       grpc_channel_credentials **out, char **describe,
                                       fsim_error *err)
{
    *out = NULL;
    fsim_gcp_auth_options ao;
    if (o->auth)
        ao = *o->auth;
    else
        fsim_gcp_auth_options_from_env(&ao);
    if (o->credentials_json && *o->credentials_json)
        ao.credentials_json = o->credentials_json;
    fsim_gcp_auth *auth = NULL;
    fsim_status st = fsim_gcp_auth_new(&ao, &auth, err);
    if (st != FSIM_OK)
        return st;
    *describe = strdup(fsim_gcp_auth_describe(auth));
    grpc_call_credentials *call = fsim__pubsub_call_credentials(auth); /* owns auth now */
    grpc_channel_credentials *tls = grpc_ssl_credentials_create(NULL, NULL, NULL, NULL);
    if (call && tls)
        *out = grpc_composite_channel_credentials_create(tls, call, NULL);
    if (tls)
        grpc_channel_credentials_release(tls);
    if (call)
        grpc_call_credentials_release(call);
    if (!*out || !*describe)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL,
                              "could not create TLS credentials");
    return FSIM_OK;
}

fsim_status fsim_pubsub_open(const fsim_pubsub_options *opts, fsim_pubsub **out,
                             fsim_error *err)
{
    *out = NULL;
    fsim_pubsub_options o = {0};
    if (opts)
        o = *opts;
    const char *emulator = o.emulator_host ? o.emulator_host : getenv("PUBSUB_EMULATOR_HOST");
    bool use_emulator = emulator && *emulator;
    const char *target = use_emulator ? emulator : o.endpoint ? o.endpoint : DEFAULT_ENDPOINT;

    fsim_pubsub *ps = calloc(1, sizeof *ps);
    if (!ps || !(ps->target = strdup(target))) {
        free(ps);
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    }
    ps->emulator = use_emulator;
    ps->timeout_ms = o.timeout_ms > 0 ? o.timeout_ms : DEFAULT_TIMEOUT_MS;
    pthread_mutex_init(&ps->mu, NULL);
    grpc_init();

    grpc_arg args[2];
    size_t n_args = 0;
    args[n_args].type = GRPC_ARG_INTEGER;
    args[n_args].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[n_args++].value.integer = MAX_MESSAGE_BYTES;
    if (use_emulator && is_loopback(target)) {
        args[n_args].type = GRPC_ARG_INTEGER;
        args[n_args].key = (char *)GRPC_ARG_ENABLE_HTTP_PROXY;
        args[n_args++].value.integer = 0;
    }
    grpc_channel_args channel_args = {.num_args = n_args, .args = args};

    grpc_channel_credentials *creds = NULL;
    if (use_emulator) {
        creds = grpc_insecure_credentials_create();
    } else {
        fsim_status st = service_credentials(&o, &creds, &ps->credentials, err);
        if (st != FSIM_OK) {
            fsim_pubsub_close(ps);
            return st;
        }
    }
    ps->channel = grpc_channel_create(target, creds, &channel_args);
    grpc_channel_credentials_release(creds);
    if (!ps->channel) {
        fsim_pubsub_close(ps);
        return fsim_error_set(err, FSIM_INTERNAL, NULL, 0, 0, NULL,
                              "could not create a gRPC channel to \"%s\"", target);
    }
    *out = ps;
    return FSIM_OK;
}

void fsim_pubsub_cancel_all(fsim_pubsub *ps)
{
    if (!ps)
        return;
    pthread_mutex_lock(&ps->mu);
    ps->cancelled = true;
    for (struct active_call *c = ps->calls; c; c = c->next)
        grpc_call_cancel(c->call, NULL);
    pthread_mutex_unlock(&ps->mu);
}

/* Shutdown order: calls cancelled (each caller then unrefs its own call and drains its own
 * completion queue), the channel destroyed, gRPC released. */
void fsim_pubsub_close(fsim_pubsub *ps)
{
    if (!ps)
        return;
    fsim_pubsub_cancel_all(ps);
    if (ps->channel)
        grpc_channel_destroy(ps->channel);
    grpc_shutdown();
    pthread_mutex_destroy(&ps->mu);
    free(ps->target);
    free(ps->credentials);
    free(ps);
}

const char *fsim_pubsub_credentials(const fsim_pubsub *ps)
{
    return ps->emulator ? NULL : ps->credentials;
}

const char *fsim_pubsub_target(const fsim_pubsub *ps, bool *emulator)
{
    if (emulator)
        *emulator = ps->emulator;
    return ps->target;
}

/* ---- One unary call --------------------------------------------------------------------- */

/* A call's completion queue must be shut down and drained before it is destroyed. */
static void destroy_cq(grpc_completion_queue *cq)
{
    grpc_completion_queue_shutdown(cq);
    grpc_event ev;
    do {
        ev = grpc_completion_queue_pluck(cq, (void *)(intptr_t)INTPTR_MAX,
                                         gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    } while (ev.type != GRPC_QUEUE_SHUTDOWN);
    grpc_completion_queue_destroy(cq);
}

static bool track(fsim_pubsub *ps, struct active_call *ac)
{
    pthread_mutex_lock(&ps->mu);
    bool ok = !ps->cancelled;
    if (ok) {
        ac->prev = NULL;
        ac->next = ps->calls;
        if (ps->calls)
            ps->calls->prev = ac;
        ps->calls = ac;
    }
    pthread_mutex_unlock(&ps->mu);
    return ok;
}

static void untrack(fsim_pubsub *ps, struct active_call *ac)
{
    pthread_mutex_lock(&ps->mu);
    if (ac->prev)
        ac->prev->next = ac->next;
    else
        ps->calls = ac->next;
    if (ac->next)
        ac->next->prev = ac->prev;
    pthread_mutex_unlock(&ps->mu);
}

/* Sends `request` to `path` and waits for the reply, within timeout_ms. On FSIM_OK *reply
 * holds the reply's bytes (malloc'd; the caller frees it). *code (may be NULL) receives the
 * gRPC status. Failures name the method and the resource (`path` of the error). */
static fsim_status unary(fsim_pubsub *ps, const char *path, const ProtobufCMessage *request,
                         const char *resource, int timeout_ms, grpc_status_code *code,
                         uint8_t **reply, size_t *reply_len, fsim_error *err)
{
    const char *method = strrchr(path, '/') + 1;
    *reply = NULL;
    *reply_len = 0;
    if (code)
        *code = GRPC_STATUS_UNKNOWN;

    size_t size = protobuf_c_message_get_packed_size(request);
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, resource, "out of memory");
    protobuf_c_message_pack(request, buf);
    grpc_slice body = grpc_slice_from_copied_buffer((const char *)buf, size);
    free(buf);
    grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&body, 1);
    grpc_slice_unref(body);

    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_slice method_slice = grpc_slice_from_static_string(path);
    gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                         gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
    grpc_call *call = grpc_channel_create_call(ps->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                               method_slice, NULL, deadline, NULL);
    struct active_call ac = {.call = call};

    grpc_metadata_array initial_md, trailing_md;
    grpc_metadata_array_init(&initial_md);
    grpc_metadata_array_init(&trailing_md);
    grpc_byte_buffer *recv = NULL;
    grpc_status_code status = GRPC_STATUS_UNKNOWN;
    grpc_slice details = grpc_empty_slice();
    const char *error_string = NULL;
    fsim_status st = FSIM_OK;

    if (!track(ps, &ac)) {
        st = fsim_error_set(err, FSIM_CANCELLED, NULL, 0, 0, resource,
                            "CANCELLED: %s: the client is shutting down", method);
        status = GRPC_STATUS_CANCELLED;
        goto out;
    }
    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
    ops[5].data.recv_status_on_client.status = &status;
    ops[5].data.recv_status_on_client.status_details = &details;
    ops[5].data.recv_status_on_client.error_string = &error_string;
    void *tag = &ac;
    grpc_call_error ce = grpc_call_start_batch(call, ops, 6, tag, NULL);
    if (ce != GRPC_CALL_OK) {
        untrack(ps, &ac);
        st = fsim_error_set(err, FSIM_INTERNAL, NULL, 0, 0, resource,
                            "INTERNAL: %s: could not start the call (error %d)", method, (int)ce);
        goto out;
    }
    /* The call's deadline bounds this wait: the batch always completes. */
    grpc_event ev = grpc_completion_queue_pluck(cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME),
                                                NULL);
    untrack(ps, &ac);
    if (ev.type != GRPC_OP_COMPLETE) {
        st = fsim_error_set(err, FSIM_INTERNAL, NULL, 0, 0, resource,
                            "INTERNAL: %s: unexpected completion event %d", method, (int)ev.type);
        goto out;
    }
    if (status != GRPC_STATUS_OK) {
        char *text = grpc_slice_to_c_string(details);
        st = fsim_error_set(err, map_code(status), NULL, 0, 0, resource, "%s: %s: %s",
                            code_name(status), method, text && *text ? text : "no details");
        gpr_free(text);
        goto out;
    }
    if (recv) {
        grpc_byte_buffer_reader reader;
        if (!grpc_byte_buffer_reader_init(&reader, recv)) {
            st = fsim_error_set(err, FSIM_IO, NULL, 0, 0, resource,
                                "DATA_LOSS: %s: could not read the reply", method);
            goto out;
        }
        grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
        grpc_byte_buffer_reader_destroy(&reader);
        size_t n = GRPC_SLICE_LENGTH(all);
        *reply = malloc(n ? n : 1);
        if (*reply) {
            memcpy(*reply, GRPC_SLICE_START_PTR(all), n);
            *reply_len = n;
        } else {
            st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, resource, "out of memory");
        }
        grpc_slice_unref(all);
    }
out:
    if (code)
        *code = status;
    if (recv)
        grpc_byte_buffer_destroy(recv);
    grpc_byte_buffer_destroy(send);
    grpc_slice_unref(details);
    gpr_free((void *)error_string);
    grpc_metadata_array_destroy(&initial_md);
    grpc_metadata_array_destroy(&trailing_md);
    grpc_call_unref(call);
    destroy_cq(cq);
    return st;
}

/* Unpacks a reply of `desc` (freed by the caller with protobuf_c_message_free_unpacked). */
static fsim_status unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data,
                          size_t len, const char *path, const char *resource,
                          ProtobufCMessage **out, fsim_error *err)
{
    *out = protobuf_c_message_unpack(desc, NULL, len, data);
    if (!*out)
        return fsim_error_set(err, FSIM_IO, NULL, 0, 0, resource,
                              "DATA_LOSS: %s: the reply is not a valid %s", strrchr(path, '/') + 1,
                              desc->name);
    return FSIM_OK;
}

/* ---- Names ------------------------------------------------------------------------------ */

fsim_status fsim_pubsub_resource_name(const char *name, const char *project, const char *kind,
                                      const char *what, fsim_arena *arena, const char **out,
                                      fsim_error *err)
{
    *out = NULL;
    if (!name || !*name)
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, what, "is not set");
    if (strncmp(name, "projects/", 9) == 0) {
        const char *slash = strchr(name + 9, '/');
        size_t klen = strlen(kind);
        if (!slash || slash == name + 9 || strncmp(slash + 1, kind, klen) != 0 ||
            slash[1 + klen] != '/' || !slash[2 + klen] || strchr(slash + 2 + klen, '/'))
            return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, what,
                                  "\"%s\" is not of the form projects/PROJECT/%s/NAME", name,
                                  kind);
        *out = fsim_arena_strdup(arena, name);
    } else {
        if (strchr(name, '/'))
            return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, what,
                                  "\"%s\" is neither a short name nor projects/PROJECT/%s/NAME",
                                  name, kind);
        if (!project || !*project)
            return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, what,
                                  "short name \"%s\" needs GOOGLE_CLOUD_PROJECT", name);
        *out = fsim_arena_sprintf(arena, "projects/%s/%s/%s", project, kind, name);
    }
    return *out ? FSIM_OK : fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, what, "out of memory");
}

/* ---- Administration --------------------------------------------------------------------- */

/* Runs a call whose reply we do not read; ALREADY_EXISTS counts as success when asked. */
static fsim_status call_ignoring_reply(fsim_pubsub *ps, const char *path,
                                       const ProtobufCMessage *req, const char *resource,
                                       bool *created, fsim_error *err)
{
    grpc_status_code code;
    uint8_t *reply;
    size_t len;
    fsim_status st = unary(ps, path, req, resource, ps->timeout_ms, &code, &reply, &len, err);
    free(reply);
    if (created)
        *created = st == FSIM_OK;
    if (created && code == GRPC_STATUS_ALREADY_EXISTS) {
        fsim_error_clear(err);
        st = FSIM_OK;
    }
    return st;
}

fsim_status fsim_pubsub_create_topic(fsim_pubsub *ps, const char *topic, bool *created,
                                     fsim_error *err)
{
    bool dummy;
    Google__Pubsub__V1__Topic req = GOOGLE__PUBSUB__V1__TOPIC__INIT;
    req.name = (char *)topic;
    return call_ignoring_reply(ps, "/google.pubsub.v1.Publisher/CreateTopic", &req.base, topic,
                               created ? created : &dummy, err);
}

fsim_status fsim_pubsub_create_subscription(fsim_pubsub *ps, const char *subscription,
                                            const char *topic, int ack_deadline_seconds,
                                            bool *created, fsim_error *err)
{
    bool dummy;
    Google__Pubsub__V1__Subscription req = GOOGLE__PUBSUB__V1__SUBSCRIPTION__INIT;
    req.name = (char *)subscription;
    req.topic = (char *)topic;
    req.ack_deadline_seconds = ack_deadline_seconds;
    return call_ignoring_reply(ps, "/google.pubsub.v1.Subscriber/CreateSubscription", &req.base,
                               subscription, created ? created : &dummy, err);
}

/* ---- Messages --------------------------------------------------------------------------- */

const char *fsim_pubsub_attribute_get(const fsim_pubsub_message *msg, const char *key)
{
    for (size_t i = 0; i < msg->n_attributes; i++)
        if (msg->attributes[i].key && strcmp(msg->attributes[i].key, key) == 0)
            return msg->attributes[i].value;
    return NULL;
}

fsim_status fsim_pubsub_publish(fsim_pubsub *ps, const char *topic,
                                const fsim_pubsub_message *msgs, size_t n, fsim_arena *arena,
                                const char ***ids, fsim_error *err)
{
    const char *path = "/google.pubsub.v1.Publisher/Publish";
    if (ids)
        *ids = NULL;
    fsim_status st = FSIM_OK;
    size_t n_pairs = 0;
    for (size_t i = 0; i < n; i++)
        n_pairs += msgs[i].n_attributes;
    Google__Pubsub__V1__PubsubMessage *pm = calloc(n ? n : 1, sizeof *pm);
    Google__Pubsub__V1__PubsubMessage **pmp = calloc(n ? n : 1, sizeof *pmp);
    Google__Pubsub__V1__FsimStringPair *pairs = calloc(n_pairs ? n_pairs : 1, sizeof *pairs);
    Google__Pubsub__V1__FsimStringPair **pairp = calloc(n_pairs ? n_pairs : 1, sizeof *pairp);
    uint8_t *reply = NULL;
    size_t reply_len = 0;
    ProtobufCMessage *unpacked = NULL;
    if (!pm || !pmp || !pairs || !pairp) {
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, topic, "out of memory");
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        google__pubsub__v1__pubsub_message__init(&pm[i]);
        pm[i].data.data = (uint8_t *)msgs[i].data;
        pm[i].data.len = msgs[i].len;
        pm[i].n_attributes = msgs[i].n_attributes;
        pm[i].attributes = pairp + k;
        for (size_t a = 0; a < msgs[i].n_attributes; a++, k++) {
            google__pubsub__v1__fsim_string_pair__init(&pairs[k]);
            pairs[k].key = (char *)msgs[i].attributes[a].key;
            pairs[k].value = (char *)msgs[i].attributes[a].value;
            pairp[k] = &pairs[k];
        }
        pmp[i] = &pm[i];
    }
    Google__Pubsub__V1__PublishRequest req = GOOGLE__PUBSUB__V1__PUBLISH_REQUEST__INIT;
    req.topic = (char *)topic;
    req.n_messages = n;
    req.messages = pmp;
    st = unary(ps, path, &req.base, topic, ps->timeout_ms, NULL, &reply, &reply_len, err);
    if (st != FSIM_OK || !ids)
        goto out;
    st = unpack(&google__pubsub__v1__publish_response__descriptor, reply, reply_len, path,
                topic, &unpacked, err);
    if (st != FSIM_OK)
        goto out;
    Google__Pubsub__V1__PublishResponse *resp = (Google__Pubsub__V1__PublishResponse *)unpacked;
    if (resp->n_message_ids != n) {
        st = fsim_error_set(err, FSIM_IO, NULL, 0, 0, topic,
                            "DATA_LOSS: Publish: %zu message ids for %zu messages",
                            resp->n_message_ids, n);
        goto out;
    }
    const char **out_ids = fsim_arena_calloc(arena, n ? n : 1, sizeof *out_ids);
    for (size_t i = 0; out_ids && i < n; i++)
        if (!(out_ids[i] = fsim_arena_strdup(arena, resp->message_ids[i])))
            out_ids = NULL;
    if (!out_ids) {
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, topic, "out of memory");
        goto out;
    }
    *ids = out_ids;
out:
    if (unpacked)
        protobuf_c_message_free_unpacked(unpacked, NULL);
    free(reply);
    free(pm);
    free(pmp);
    free(pairs);
    free(pairp);
    return st;
}

/* Copies one received message into the arena (the protobuf-c tree is freed right after). */
static bool copy_received(fsim_arena *arena, const Google__Pubsub__V1__ReceivedMessage *rm,
                          fsim_pubsub_message *m)
{
    memset(m, 0, sizeof *m);
    m->ack_id = fsim_arena_strdup(arena, rm->ack_id ? rm->ack_id : "");
    m->delivery_attempt = rm->delivery_attempt;
    if (!m->ack_id)
        return false;
    const Google__Pubsub__V1__PubsubMessage *pm = rm->message;
    if (!pm) {
        m->data = "";
        m->message_id = "";
        return true;
    }
    char *data = fsim_arena_alloc(arena, pm->data.len + 1);
    if (!data)
        return false;
    if (pm->data.len)
        memcpy(data, pm->data.data, pm->data.len);
    m->data = data;
    m->len = pm->data.len;
    m->message_id = fsim_arena_strdup(arena, pm->message_id ? pm->message_id : "");
    if (pm->publish_time)
        m->publish_time = (double)pm->publish_time->seconds + pm->publish_time->nanos / 1e9;
    fsim_pubsub_attribute *attrs =
        fsim_arena_calloc(arena, pm->n_attributes ? pm->n_attributes : 1, sizeof *attrs);
    if (!m->message_id || !attrs)
        return false;
    for (size_t i = 0; i < pm->n_attributes; i++) {
        attrs[i].key = fsim_arena_strdup(arena, pm->attributes[i]->key);
        attrs[i].value = fsim_arena_strdup(arena, pm->attributes[i]->value);
        if (!attrs[i].key || !attrs[i].value)
            return false;
    }
    m->attributes = attrs;
    m->n_attributes = pm->n_attributes;
    return true;
}

fsim_status fsim_pubsub_pull(fsim_pubsub *ps, const char *subscription, int max_messages,
                             bool wait, fsim_arena *arena, fsim_pubsub_message **msgs, size_t *n,
                             fsim_error *err)
{
    const char *path = "/google.pubsub.v1.Subscriber/Pull";
    *msgs = NULL;
    *n = 0;
    if (max_messages < 1 || max_messages > 1000)
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, "maxMessages",
                              "%d is not between 1 and 1000", max_messages);
    Google__Pubsub__V1__PullRequest req = GOOGLE__PUBSUB__V1__PULL_REQUEST__INIT;
    req.subscription = (char *)subscription;
    req.max_messages = max_messages;
    req.return_immediately = !wait;
    grpc_status_code code;
    uint8_t *reply;
    size_t reply_len;
    ProtobufCMessage *unpacked = NULL;
    fsim_status st = unary(ps, path, &req.base, subscription, ps->timeout_ms, &code, &reply,
                           &reply_len, err);
    if (st != FSIM_OK) {
        if (wait && code == GRPC_STATUS_DEADLINE_EXCEEDED) {
            fsim_error_clear(err); /* a long poll that found nothing */
            st = FSIM_OK;
        }
        goto out;
    }
    st = unpack(&google__pubsub__v1__pull_response__descriptor, reply, reply_len, path,
                subscription, &unpacked, err);
    if (st != FSIM_OK)
        goto out;
    Google__Pubsub__V1__PullResponse *resp = (Google__Pubsub__V1__PullResponse *)unpacked;
    size_t count = resp->n_received_messages;
    fsim_pubsub_message *out_msgs = fsim_arena_calloc(arena, count ? count : 1,
                                                      sizeof *out_msgs);
    for (size_t i = 0; out_msgs && i < count; i++)
        if (!copy_received(arena, resp->received_messages[i], &out_msgs[i]))
            out_msgs = NULL;
    if (!out_msgs) {
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, subscription, "out of memory");
        goto out;
    }
    *msgs = out_msgs;
    *n = count;
out:
    if (unpacked)
        protobuf_c_message_free_unpacked(unpacked, NULL);
    free(reply);
    return st;
}

fsim_status fsim_pubsub_ack(fsim_pubsub *ps, const char *subscription,
                            const char *const *ack_ids, size_t n, fsim_error *err)
{
    if (n == 0)
        return FSIM_OK;
    Google__Pubsub__V1__AcknowledgeRequest req = GOOGLE__PUBSUB__V1__ACKNOWLEDGE_REQUEST__INIT;
    req.subscription = (char *)subscription;
    req.n_ack_ids = n;
    req.ack_ids = (char **)ack_ids;
    return call_ignoring_reply(ps, "/google.pubsub.v1.Subscriber/Acknowledge", &req.base,
                               subscription, NULL, err);
}

fsim_status fsim_pubsub_modify_ack_deadline(fsim_pubsub *ps, const char *subscription,
                                            const char *const *ack_ids, size_t n, int seconds,
                                            fsim_error *err)
{
    if (seconds < 0 || seconds > 600)
        return fsim_error_set(err, FSIM_USAGE, NULL, 0, 0, "ackDeadlineSeconds",
                              "%d is not between 0 and 600", seconds);
    if (n == 0)
        return FSIM_OK;
    Google__Pubsub__V1__ModifyAckDeadlineRequest req =
        GOOGLE__PUBSUB__V1__MODIFY_ACK_DEADLINE_REQUEST__INIT;
    req.subscription = (char *)subscription;
    req.n_ack_ids = n;
    req.ack_ids = (char **)ack_ids;
    req.ack_deadline_seconds = seconds;
    return call_ignoring_reply(ps, "/google.pubsub.v1.Subscriber/ModifyAckDeadline", &req.base,
                               subscription, NULL, err);
}
