/* The Pub/Sub client against the real peer: Google's pstest fake, started by
 * tests/fakes/with_pubsub.sh (PUBSUB_EMULATOR_HOST). Topics, subscriptions, publish with
 * attributes, pull, ack, nack, deadline extension, redelivery after a 1 s ack deadline,
 * status mapping, cancellation. No wall-clock thresholds: waits are bounded loops. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fleetsim/pubsub.h>

#include "check.h"

static const char *topic = "projects/fsim-test/topics/jobs";
static const char *sub = "projects/fsim-test/subscriptions/jobs-worker";
static const char *sub_short = "projects/fsim-test/subscriptions/jobs-short";

/* Pulls until a message with `id` arrives (pstest's pull order is random), at most `tries`
 * pulls of up to 0.5 s each. Returns the message or NULL. Other messages are nacked. */
static const fsim_pubsub_message *pull_until(fsim_pubsub *ps, const char *subscription,
                                             const char *id, int tries, fsim_arena *arena)
{
    for (int t = 0; t < tries; t++) {
        fsim_pubsub_message *msgs;
        size_t n;
        fsim_error err;
        if (fsim_pubsub_pull(ps, subscription, 10, true, arena, &msgs, &n, &err) != FSIM_OK)
            return NULL;
        const fsim_pubsub_message *found = NULL;
        for (size_t i = 0; i < n; i++) {
            if (!found && strcmp(msgs[i].message_id, id) == 0) {
                found = &msgs[i];
            } else {
                const char *ack = msgs[i].ack_id;
                fsim_pubsub_modify_ack_deadline(ps, subscription, &ack, 1, 0, &err);
            }
        }
        if (found)
            return found;
    }
    return NULL;
}

struct puller {
    fsim_pubsub *ps;
    fsim_status last;
};

/* Pulls an empty subscription until a call fails: the cancellation must end it. */
static void *pull_forever(void *arg)
{
    struct puller *p = arg;
    fsim_arena *arena = fsim_arena_new();
    for (int i = 0; i < 1000; i++) {
        fsim_pubsub_message *msgs;
        size_t n;
        fsim_error err;
        p->last = fsim_pubsub_pull(p->ps, sub, 1, true, arena, &msgs, &n, &err);
        if (p->last != FSIM_OK)
            break;
    }
    fsim_arena_free(arena);
    return NULL;
}

int main(void)
{
    fsim_error err;
    fsim_arena *arena = fsim_arena_new();
    const char *host = getenv("PUBSUB_EMULATOR_HOST");
    if (!host) {
        printf("1..0 # SKIP PUBSUB_EMULATOR_HOST not set (run under with_pubsub.sh)\n");
        return 0;
    }

    /* ---- names ---- */
    const char *name;
    CHECK(fsim_pubsub_resource_name("jobs", "p1", "subscriptions", "SUB", arena, &name, &err) ==
              FSIM_OK && strcmp(name, "projects/p1/subscriptions/jobs") == 0,
          "a short name is completed with the project");
    CHECK(fsim_pubsub_resource_name("projects/p2/subscriptions/x", NULL, "subscriptions", "SUB",
                                    arena, &name, &err) == FSIM_OK &&
              strcmp(name, "projects/p2/subscriptions/x") == 0,
          "a full name is kept as is");
    CHECK(fsim_pubsub_resource_name("jobs", NULL, "subscriptions", "SUB", arena, &name, &err) ==
              FSIM_USAGE && strcmp(err.path, "SUB") == 0 &&
              strstr(err.message, "GOOGLE_CLOUD_PROJECT"),
          "a short name without a project names the variable: %.200s", err.message);
    CHECK(fsim_pubsub_resource_name("projects/p/topics/x", "p", "subscriptions", "SUB", arena,
                                    &name, &err) == FSIM_USAGE,
          "a topic name is not a subscription name");

    /* ---- client ---- */
    fsim_pubsub *ps = NULL;
    CHECK(fsim_pubsub_open(NULL, &ps, &err) == FSIM_OK, "client opens on the emulator");
    bool emulator = false;
    CHECK_STR(fsim_pubsub_target(ps, &emulator), host, "target is PUBSUB_EMULATOR_HOST");
    CHECK(emulator, "emulator ⇒ insecure channel");

    bool created = false;
    CHECK(fsim_pubsub_create_topic(ps, topic, &created, &err) == FSIM_OK && created,
          "topic created");
    CHECK(fsim_pubsub_create_topic(ps, topic, &created, &err) == FSIM_OK && !created,
          "creating it again: ALREADY_EXISTS is success, created false");
    CHECK(fsim_pubsub_create_subscription(ps, sub, topic, 30, &created, &err) == FSIM_OK &&
              created,
          "subscription created (30 s deadline)");
    CHECK(fsim_pubsub_create_subscription(ps, sub_short, topic, 1, &created, &err) == FSIM_OK &&
              created,
          "subscription created (1 s deadline)");

    /* ---- publish + pull + ack ---- */
    fsim_pubsub_attribute attrs[2] = {{"traceId", "trace-123"}, {"kind", "job"}};
    fsim_pubsub_message out[2] = {
        {.data = "{\"a\":1}", .len = 7, .attributes = attrs, .n_attributes = 2},
        {.data = "bin\0ary", .len = 7},
    };
    const char **ids = NULL;
    CHECK(fsim_pubsub_publish(ps, topic, out, 2, arena, &ids, &err) == FSIM_OK && ids && ids[0] &&
              ids[1] && strcmp(ids[0], ids[1]) != 0,
          "publish 2 messages ⇒ 2 distinct ids");
    if (!ids)
        return check_done();

    const fsim_pubsub_message *m0 = pull_until(ps, sub, ids[0], 20, arena);
    CHECK(m0 != NULL, "first message pulled");
    if (m0) {
        CHECK(m0->len == 7 && memcmp(m0->data, "{\"a\":1}", 7) == 0, "data intact");
        CHECK_STR(fsim_pubsub_attribute_get(m0, "traceId"), "trace-123", "attribute traceId");
        CHECK_STR(fsim_pubsub_attribute_get(m0, "kind"), "job", "attribute kind");
        CHECK(fsim_pubsub_attribute_get(m0, "nope") == NULL, "absent attribute is NULL");
        CHECK(m0->publish_time > 1.6e9, "publish time set");
        CHECK(m0->ack_id && *m0->ack_id, "ack id set");
        CHECK(fsim_pubsub_ack(ps, sub, &m0->ack_id, 1, &err) == FSIM_OK, "ack");
    }
    const fsim_pubsub_message *m1 = pull_until(ps, sub, ids[1], 20, arena);
    CHECK(m1 && m1->len == 7 && memcmp(m1->data, "bin\0ary", 7) == 0,
          "second message: binary data with a NUL intact");
    if (m1) {
        CHECK(fsim_pubsub_modify_ack_deadline(ps, sub, &m1->ack_id, 1, 0, &err) == FSIM_OK,
              "nack (deadline 0)");
        const fsim_pubsub_message *again = pull_until(ps, sub, ids[1], 20, arena);
        CHECK(again != NULL, "a nacked message is delivered again");
        if (again)
            CHECK(fsim_pubsub_ack(ps, sub, &again->ack_id, 1, &err) == FSIM_OK, "ack it");
    }
    fsim_pubsub_message *msgs;
    size_t n = 99;
    CHECK(fsim_pubsub_pull(ps, sub, 10, false, arena, &msgs, &n, &err) == FSIM_OK && n == 0,
          "acked messages are gone (immediate pull finds none)");

    /* ---- redelivery after the ack deadline, and deadline extension ---- */
    /* First empty the 1 s subscription (it got the two messages above), so that each pull
     * below waits for the one message instead of returning the others at once. */
    for (int i = 0; i < 50; i++) {
        n = 0;
        if (fsim_pubsub_pull(ps, sub_short, 10, false, arena, &msgs, &n, &err) != FSIM_OK || !n)
            break;
        for (size_t k = 0; k < n; k++)
            fsim_pubsub_ack(ps, sub_short, &msgs[k].ack_id, 1, &err);
    }
    fsim_pubsub_message one = {.data = "x", .len = 1};
    const char **id2 = NULL;
    CHECK(fsim_pubsub_publish(ps, topic, &one, 1, arena, &id2, &err) == FSIM_OK, "publish one");
    if (id2) {
        /* drain the copy for `sub` so it does not linger */
        const fsim_pubsub_message *c = pull_until(ps, sub, id2[0], 20, arena);
        if (c)
            fsim_pubsub_ack(ps, sub, &c->ack_id, 1, &err);
        const fsim_pubsub_message *first = pull_until(ps, sub_short, id2[0], 20, arena);
        CHECK(first != NULL, "pulled from the 1 s subscription");
        const fsim_pubsub_message *second = pull_until(ps, sub_short, id2[0], 40, arena);
        CHECK(second != NULL, "not acked ⇒ redelivered after the 1 s ack deadline");
        if (second) {
            CHECK(fsim_pubsub_modify_ack_deadline(ps, sub_short, &second->ack_id, 1, 120, &err) ==
                      FSIM_OK,
                  "extend the deadline to 120 s");
            sleep(2); /* twice the subscription's own deadline */
            n = 99;
            CHECK(fsim_pubsub_pull(ps, sub_short, 10, false, arena, &msgs, &n, &err) == FSIM_OK &&
                      n == 0,
                  "an extended message is not redelivered after the original deadline");
            CHECK(fsim_pubsub_ack(ps, sub_short, &second->ack_id, 1, &err) == FSIM_OK, "ack");
        }
    }

    /* ---- error mapping ---- */
    const char *missing = "projects/fsim-test/topics/missing";
    CHECK(fsim_pubsub_publish(ps, missing, &one, 1, arena, NULL, &err) == FSIM_NOT_FOUND,
          "publish to a missing topic ⇒ FSIM_NOT_FOUND");
    CHECK(strncmp(err.message, "NOT_FOUND: Publish:", 19) == 0, "message names code and method: %.200s",
          err.message);
    CHECK_STR(err.path, missing, "error path names the topic");
    CHECK(!fsim_pubsub_transient(FSIM_NOT_FOUND), "NOT_FOUND is permanent");
    CHECK(fsim_pubsub_pull(ps, "projects/fsim-test/subscriptions/missing", 1, false, arena, &msgs,
                           &n, &err) == FSIM_NOT_FOUND,
          "pull from a missing subscription ⇒ FSIM_NOT_FOUND");
    CHECK(fsim_pubsub_create_subscription(ps, "projects/fsim-test/subscriptions/x", missing, 10,
                                          NULL, &err) == FSIM_NOT_FOUND,
          "subscription on a missing topic ⇒ FSIM_NOT_FOUND");
    CHECK(fsim_pubsub_publish(ps, "", &one, 1, arena, NULL, &err) == FSIM_INVALID &&
              strncmp(err.message, "INVALID_ARGUMENT", 16) == 0,
          "empty topic ⇒ INVALID_ARGUMENT ⇒ FSIM_INVALID: %.200s", err.message);
    CHECK(fsim_pubsub_modify_ack_deadline(ps, sub, ids, 1, 601, &err) == FSIM_USAGE &&
              strcmp(err.path, "ackDeadlineSeconds") == 0,
          "deadline over 600 refused locally, naming the field");
    CHECK(fsim_pubsub_pull(ps, sub, 0, false, arena, &msgs, &n, &err) == FSIM_USAGE,
          "max_messages 0 refused locally");

    /* ---- an unreachable server is transient ---- */
    fsim_pubsub *dead = NULL;
    fsim_pubsub_options dopts = {.emulator_host = "127.0.0.1:1", .timeout_ms = 3000};
    CHECK(fsim_pubsub_open(&dopts, &dead, &err) == FSIM_OK, "client to a closed port opens");
    fsim_status st = fsim_pubsub_publish(dead, topic, &one, 1, arena, NULL, &err);
    CHECK(st == FSIM_IO && fsim_pubsub_transient(st) &&
              (strncmp(err.message, "UNAVAILABLE", 11) == 0 ||
               strncmp(err.message, "DEADLINE_EXCEEDED", 17) == 0),
          "nobody listening ⇒ transient FSIM_IO: %.200s", err.message);
    fsim_pubsub_close(dead);

    /* ---- cancellation ---- */
    fsim_pubsub *cps = NULL;
    fsim_pubsub_options copts = {.timeout_ms = 60000};
    CHECK(fsim_pubsub_open(&copts, &cps, &err) == FSIM_OK, "second client");
    struct puller p = {.ps = cps, .last = FSIM_OK};
    pthread_t th;
    pthread_create(&th, NULL, pull_forever, &p);
    usleep(200 * 1000);
    fsim_pubsub_cancel_all(cps);
    pthread_join(th, NULL);
    CHECK(p.last == FSIM_CANCELLED, "cancel_all ends a blocked puller with FSIM_CANCELLED (%s)",
          fsim_status_name(p.last));
    fsim_pubsub_close(cps);

    fsim_pubsub_close(ps);
    fsim_arena_free(arena);
    return check_done();
}
