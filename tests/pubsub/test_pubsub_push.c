/* The push envelope decoder (no network): what Cloud Pub/Sub POSTs, and each malformed shape
 * rejected with the offending field named. */
#include <stdlib.h>
#include <string.h>

#include <fleetsim/pubsub.h>

#include "check.h"

static fsim_status decode(const char *body, fsim_arena *arena, fsim_pubsub_message *m,
                          const char **sub, fsim_error *err)
{
    return fsim_pubsub_push_decode(body, strlen(body), "push body", arena, m, sub, err);
}

int main(void)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    fsim_pubsub_message m;
    const char *sub;

    /* As Pub/Sub sends it: both spellings of the id and time, attributes, deliveryAttempt. */
    const char *body =
        "{\"message\":{\"attributes\":{\"traceId\":\"t-1\"},\"data\":\"eyJhIjoxfQ==\","
        "\"messageId\":\"2070443601311540\",\"message_id\":\"2070443601311540\","
        "\"publishTime\":\"2021-02-26T19:13:55.749Z\",\"publish_time\":\"2021-02-26T19:13:55.749Z\"},"
        "\"subscription\":\"projects/myproject/subscriptions/mysubscription\","
        "\"deliveryAttempt\":3}";
    CHECK(decode(body, arena, &m, &sub, &err) == FSIM_OK, "a real push envelope decodes");
    CHECK(m.len == 7 && strcmp(m.data, "{\"a\":1}") == 0, "data base64-decoded: %s", m.data);
    CHECK_STR(m.message_id, "2070443601311540", "messageId");
    CHECK_STR(fsim_pubsub_attribute_get(&m, "traceId"), "t-1", "attributes");
    CHECK(m.delivery_attempt == 3, "deliveryAttempt");
    CHECK(m.publish_time > 1614366835 && m.publish_time < 1614366836, "publishTime");
    CHECK_STR(sub, "projects/myproject/subscriptions/mysubscription", "subscription");

    CHECK(decode("{\"message\":{\"data\":\"YQ==\",\"message_id\":\"7\"}}", arena, &m, &sub,
                 &err) == FSIM_OK &&
              strcmp(m.message_id, "7") == 0 && m.len == 1 && sub == NULL &&
              m.delivery_attempt == 0,
          "snake_case id only, no subscription, no deliveryAttempt");
    CHECK(decode("{\"message\":{\"data\":\"\"}}", arena, &m, &sub, &err) == FSIM_OK && m.len == 0,
          "empty data");

    /* round trip through the encoder */
    fsim_pubsub_attribute a[1] = {{"requestId", "r-9"}};
    fsim_pubsub_message in = {.data = "hello\0world", .len = 11, .attributes = a,
                              .n_attributes = 1, .message_id = "42", .publish_time = 1.7e9,
                              .delivery_attempt = 2};
    size_t len = 0;
    char *text = fsim_pubsub_push_encode(&in, "projects/p/subscriptions/s", &len);
    CHECK(text && len == strlen(text), "encode");
    CHECK(text && decode(text, arena, &m, &sub, &err) == FSIM_OK && m.len == 11 &&
              memcmp(m.data, "hello\0world", 11) == 0 && strcmp(m.message_id, "42") == 0 &&
              m.delivery_attempt == 2 && m.publish_time == 1.7e9 &&
              strcmp(fsim_pubsub_attribute_get(&m, "requestId"), "r-9") == 0,
          "encode → decode round trip (binary data, attributes, id, time, attempt)");
    free(text);

    static const struct {
        const char *body, *path, *what;
    } bad[] = {
        {"{\"message\":{\"data\":\"not base64!\"}}", "message.data", "invalid characters"},
        {"{\"message\":{\"data\":\"YQ=\"}}", "message.data", "length not a multiple of 4"},
        {"{\"message\":{\"data\":\"Y=Q=\"}}", "message.data", "padding inside"},
        {"{\"message\":{\"data\":17}}", "message.data", "data not a string"},
        {"{\"message\":\"x\"}", "message", "message not an object"},
        {"{\"subscription\":\"s\"}", "message", "message missing"},
        {"{\"message\":{\"data\":\"\",\"attributes\":{\"k\":1}}}", "message.attributes.k",
         "attribute not a string"},
        {"{\"message\":{\"data\":\"\",\"attributes\":[]}}", "message.attributes",
         "attributes not an object"},
        {"{\"message\":{\"data\":\"\",\"messageId\":5}}", "message.messageId", "id not a string"},
        {"{\"message\":{\"data\":\"\",\"publishTime\":\"yesterday\"}}", "message.publishTime",
         "bad time"},
        {"{\"message\":{\"data\":\"\"},\"deliveryAttempt\":-1}", "deliveryAttempt",
         "negative attempt"},
        {"{\"message\":{\"data\":\"\"},\"subscription\":[]}", "subscription",
         "subscription not a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fsim_status st = decode(bad[i].body, arena, &m, &sub, &err);
        CHECK(st == FSIM_INVALID && strcmp(err.path, bad[i].path) == 0,
              "%s ⇒ invalid at %s (got %.60s: %.200s)", bad[i].what, bad[i].path, err.path, err.message);
    }
    CHECK(decode("{\"message\":", arena, &m, &sub, &err) == FSIM_INVALID && err.line == 1,
          "not JSON ⇒ invalid with a position: %.200s", err.message);
    CHECK(decode("[1]", arena, &m, &sub, &err) == FSIM_INVALID, "not an object ⇒ invalid");

    fsim_arena_free(arena);
    return check_done();
}
