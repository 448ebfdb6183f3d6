/* fleetsim — a minimal Google Cloud Pub/Sub client (google.pubsub.v1 over gRPC C core, messages
 * encoded by protobuf-c), and the decoder of the push envelope Pub/Sub posts to an HTTP
 * endpoint.
 *
 * This is the one module that owns gRPC and protobuf-c. Every call is unary, with its own
 * deadline and completion queue, so one client may be shared by any number of threads.
 *
 * Endpoint: `PUBSUB_EMULATOR_HOST` (or options.emulator_host) set ⇒ an insecure channel to
 * that host:port, the convention of Google's client libraries; otherwise TLS to
 * pubsub.googleapis.com:443, every call carrying `authorization: Bearer <token>` from the
 * shared credentials helper (gcp_auth.h: a service-account key as a JSON string or a file,
 * else the metadata server on Cloud Run), through a gRPC metadata-credentials plugin.
 *
 * Status codes (gRPC → fsim_status): OK → FSIM_OK; INVALID_ARGUMENT, FAILED_PRECONDITION,
 * OUT_OF_RANGE, ALREADY_EXISTS → FSIM_INVALID; NOT_FOUND → FSIM_NOT_FOUND;
 * PERMISSION_DENIED, UNAUTHENTICATED, UNIMPLEMENTED → FSIM_USAGE (a configuration problem);
 * CANCELLED → FSIM_CANCELLED; UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED,
 * INTERNAL, UNKNOWN, DATA_LOSS → FSIM_IO (transient: retry later). The error's message starts
 * with the gRPC code name and the method: `UNAVAILABLE: Publish: failed to connect …`; its
 * path names the resource (the topic or subscription). */
#ifndef FLEETSIM_PUBSUB_H
#define FLEETSIM_PUBSUB_H

#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/arena.h>
#include <fleetsim/error.h>
#include <fleetsim/gcp_auth.h>

typedef struct fsim_pubsub fsim_pubsub;

/* ---- Client ----------------------------------------------------------------------------- */

typedef struct fsim_pubsub_options {
    /* host:port of an emulator; NULL: $PUBSUB_EMULATOR_HOST; "" forces the real service */
    const char *emulator_host;
    /* the real service's endpoint; NULL: "pubsub.googleapis.com:443" */
    const char *endpoint;
    /* a service-account key as JSON text (borrowed, copied); it wins over `auth` and the
     * environment. Ignored for an emulator. */
    const char *credentials_json;
    int timeout_ms;            /* per-call deadline; <= 0: 30000 */
    /* where tokens for the real service come from (borrowed); NULL: the environment
     * (fsim_gcp_auth_options_from_env). Ignored for an emulator. */
    const fsim_gcp_auth_options *auth;
} fsim_pubsub_options;

/* Creates the channel (no connection is made until the first call). `opts` may be NULL.
 * For the real service a bad key fails here, the error naming the variable it came from
 * (`FLEETSIM_GCP_CREDENTIALS_JSON`, `GOOGLE_APPLICATION_CREDENTIALS (path)`) and the field;
 * tokens themselves are fetched on the first call (its error then says why). */
fsim_status fsim_pubsub_open(const fsim_pubsub_options *opts, fsim_pubsub **out,
                             fsim_error *err);
/* Cancels calls still in flight, destroys the channel and releases gRPC. The caller ensures
 * no other thread starts a call any more. Accepts NULL. */
void fsim_pubsub_close(fsim_pubsub *ps);
/* Cancels every call in flight (they return FSIM_CANCELLED) and makes later calls fail the
 * same way: the SIGTERM path of a worker blocked in a long Pull. Thread-safe. */
void fsim_pubsub_cancel_all(fsim_pubsub *ps);
/* The target the channel talks to ("127.0.0.1:8085", "pubsub.googleapis.com:443") and
 * whether it is an emulator (insecure). Borrowed, lives as long as `ps`. */
const char *fsim_pubsub_target(const fsim_pubsub *ps, bool *emulator);

/* Where the channel's tokens come from ("service-account key (…, email)", "metadata server
 * (…)"), for a start-up log line; NULL for an emulator. Borrowed, lives as long as `ps`. */
const char *fsim_pubsub_credentials(const fsim_pubsub *ps);

/* True for the statuses worth retrying later (FSIM_IO, which the transient gRPC codes map to). */
bool fsim_pubsub_transient(fsim_status status);

/* "projects/P/topics/T" from a full name (returned as is) or a short name completed with
 * `project` (NULL or "" ⇒ FSIM_USAGE naming `what`). `kind` is "topics" or "subscriptions";
 * `what` labels errors (e.g. "FLEETSIM_PUBSUB_SUBSCRIPTION"). Result in `arena`. */
fsim_status fsim_pubsub_resource_name(const char *name, const char *project, const char *kind,
                                      const char *what, fsim_arena *arena, const char **out,
                                      fsim_error *err);

/* ---- Administration (tests, local setups) --------------------------------------------- */

/* Creates `topic` (full name). *created (may be NULL) false when it already existed
 * (ALREADY_EXISTS is then FSIM_OK). */
fsim_status fsim_pubsub_create_topic(fsim_pubsub *ps, const char *topic, bool *created,
                                     fsim_error *err);
/* Creates pull subscription `subscription` on `topic` with the given ack deadline (seconds;
 * pstest needs it explicit). *created as above. */
fsim_status fsim_pubsub_create_subscription(fsim_pubsub *ps, const char *subscription,
                                            const char *topic, int ack_deadline_seconds,
                                            bool *created, fsim_error *err);

/* ---- Messages --------------------------------------------------------------------------- */

typedef struct fsim_pubsub_attribute {
    const char *key;
    const char *value;
} fsim_pubsub_attribute;

/* A message to publish (all borrowed) or one received (all in the caller's arena). */
typedef struct fsim_pubsub_message {
    const char *data;              /* bytes, not necessarily NUL-terminated (received: they are) */
    size_t len;
    const fsim_pubsub_attribute *attributes;
    size_t n_attributes;
    /* received only: */
    const char *message_id;
    const char *ack_id;            /* pull only */
    double publish_time;           /* Unix seconds; 0 when absent */
    int delivery_attempt;          /* 0 when the service does not say (pstest never does) */
} fsim_pubsub_message;

/* The value of attribute `key`, or NULL. */
const char *fsim_pubsub_attribute_get(const fsim_pubsub_message *msg, const char *key);

/* Publishes `n` messages to `topic` in one call. `ids` (may be NULL) receives n message ids
 * in `arena`. */
fsim_status fsim_pubsub_publish(fsim_pubsub *ps, const char *topic,
                                const fsim_pubsub_message *msgs, size_t n, fsim_arena *arena,
                                const char ***ids, fsim_error *err);

/* Pulls up to `max_messages` (1..1000). With `wait` the service may hold the call until a
 * message arrives (bounded by the call deadline: a DEADLINE_EXCEEDED then counts as "none",
 * FSIM_OK with *n 0); without it answers at once. Messages land in `arena`. */
fsim_status fsim_pubsub_pull(fsim_pubsub *ps, const char *subscription, int max_messages,
                             bool wait, fsim_arena *arena, fsim_pubsub_message **msgs, size_t *n,
                             fsim_error *err);
/* Acknowledges: the messages will not be delivered again. */
fsim_status fsim_pubsub_ack(fsim_pubsub *ps, const char *subscription,
                            const char *const *ack_ids, size_t n, fsim_error *err);
/* Sets the ack deadline of the messages to `seconds` from now (0..600): extends a job's lease,
 * or with 0 hands the messages back at once (a nack). */
fsim_status fsim_pubsub_modify_ack_deadline(fsim_pubsub *ps, const char *subscription,
                                            const char *const *ack_ids, size_t n, int seconds,
                                            fsim_error *err);

/* ---- Push envelope ---------------------------------------------------------------------- */

/* A push request body as Cloud Pub/Sub posts it:
 *   {"message": {"data": BASE64, "attributes": {…}, "messageId": "…", "publishTime": RFC3339},
 *    "subscription": "projects/…/subscriptions/…", "deliveryAttempt": N}
 * (message_id / messageId and publish_time / publishTime are both accepted, as Pub/Sub sends
 * both). Decodes into `arena`: msg->data is the base64-decoded payload, NUL-terminated.
 * FSIM_INVALID naming the field (`message.data: not valid base64`) on anything malformed;
 * `source` labels errors. *subscription (may be NULL) gets the subscription name or NULL.
 * When only message.data is bad (not base64: a poison message), message_id and attributes
 * are already filled, so the caller can still name the message and the job. */
fsim_status fsim_pubsub_push_decode(const char *body, size_t len, const char *source,
                                    fsim_arena *arena, fsim_pubsub_message *msg,
                                    const char **subscription, fsim_error *err);

/* The inverse, for tests and tools: a push body for `msg` (data base64-encoded with OpenSSL).
 * malloc'd text (free() it); NULL when out of memory. */
char *fsim_pubsub_push_encode(const fsim_pubsub_message *msg, const char *subscription,
                              size_t *len);

/* ---- A pull subscriber -------------------------------------------------------------------- */

/* What to tell Pub/Sub about a handled message. */
typedef enum fsim_pubsub_verdict {
    FSIM_PUBSUB_ACK,          /* done, or never going to work: do not deliver again */
    FSIM_PUBSUB_NACK,         /* deliver again soon */
    FSIM_PUBSUB_RETRY_LATER,  /* deliver again after retry_later_s */
} fsim_pubsub_verdict;

typedef struct fsim_pubsub_subscriber_options {
    const char *subscription;     /* full name; borrowed for the subscriber's life */
    int threads;                  /* messages handled at once (1..64): the flow control */
    int ack_deadline_s;           /* kept on each message in progress, renewed every third */
    int retry_later_s;            /* FSIM_PUBSUB_RETRY_LATER's delay */
    const char *credentials_json; /* as fsim_pubsub_options */
    /* called on a subscriber thread for each message; settles it by its verdict */
    fsim_pubsub_verdict (*handle)(void *user, const fsim_pubsub_message *m);
    void *user;
    /* optional: one line about a pull, ack or deadline that failed */
    void (*log)(void *user, const char *severity, const char *message_id, const char *text);
    void *log_user;
} fsim_pubsub_subscriber_options;

typedef struct fsim_pubsub_subscriber fsim_pubsub_subscriber;

/* Opens two clients (pulls; acks and deadlines) and starts the threads. */
fsim_status fsim_pubsub_subscriber_start(const fsim_pubsub_subscriber_options *opts,
                                         fsim_pubsub_subscriber **out, fsim_error *err);
/* The pulling client (for its target and credentials in a start-up line). Borrowed. */
fsim_pubsub *fsim_pubsub_subscriber_client(const fsim_pubsub_subscriber *s);
/* Stops pulling (a waiting Pull is cancelled; messages pulled after this are nacked) and
 * waits up to grace_s for the handlers running. False when some are still running: the
 * caller should make them stop, then free. */
bool fsim_pubsub_subscriber_drain(fsim_pubsub_subscriber *s, int grace_s);
/* Joins every thread and closes the clients. Accepts NULL. */
void fsim_pubsub_subscriber_free(fsim_pubsub_subscriber *s);

#endif
