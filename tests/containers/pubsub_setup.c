/* pubsub_setup TOPIC SUBSCRIPTION — creates a topic and a pull subscription on it in the
 * Pub/Sub emulator ($PUBSUB_EMULATOR_HOST; names completed with $GOOGLE_CLOUD_PROJECT), for the
 * container test's pull path. pstest starts empty and no fleetsim program creates topology
 * (in production that is the deploy's `gcloud pubsub` step). */
#include <stdio.h>
#include <stdlib.h>

#include <fleetsim/arena.h>
#include <fleetsim/pubsub.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: pubsub_setup TOPIC SUBSCRIPTION\n");
        return 2;
    }
    const char *project = getenv("GOOGLE_CLOUD_PROJECT");
    fsim_error err;
    fsim_error_clear(&err);
    fsim_arena *arena = fsim_arena_new();
    fsim_pubsub *ps = NULL;
    const char *topic = NULL, *sub = NULL;
    int rc = 1;
    if (!arena || fsim_pubsub_open(NULL, &ps, &err) != FSIM_OK ||
        fsim_pubsub_resource_name(argv[1], project, "topics", "TOPIC", arena, &topic, &err) ||
        fsim_pubsub_resource_name(argv[2], project, "subscriptions", "SUBSCRIPTION", arena, &sub,
                                  &err) ||
        fsim_pubsub_create_topic(ps, topic, NULL, &err) ||
        fsim_pubsub_create_subscription(ps, sub, topic, 60, NULL, &err)) {
        char line[1200];
        fsim_error_format(&err, line, sizeof line);
        fprintf(stderr, "pubsub_setup: %s\n", line);
        goto out;
    }
    printf("%s\n%s\n", topic, sub);
    rc = 0;
out:
    fsim_pubsub_close(ps);
    fsim_arena_free(arena);
    return rc;
}
