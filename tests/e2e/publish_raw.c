/* publish_raw TOPIC DATA [KEY=VALUE]… — publishes one message (DATA as its bytes, the
 * attributes as given) to TOPIC in the Pub/Sub emulator ($PUBSUB_EMULATOR_HOST; the name
 * completed with $GOOGLE_CLOUD_PROJECT): how the plan tests deliver a batch a second time,
 * as Pub/Sub's at-least-once delivery may. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/arena.h>
#include <fleetsim/pubsub.h>

#define MAX_ATTRS 8

int main(int argc, char **argv)
{
    if (argc < 3 || argc - 3 > MAX_ATTRS) {
        fprintf(stderr, "usage: publish_raw TOPIC DATA [KEY=VALUE]...\n");
        return 2;
    }
    fsim_pubsub_attribute attrs[MAX_ATTRS];
    size_t n = 0;
    for (int i = 3; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            fprintf(stderr, "publish_raw: \"%s\" is not KEY=VALUE\n", argv[i]);
            return 2;
        }
        *eq = '\0';
        attrs[n++] = (fsim_pubsub_attribute){argv[i], eq + 1};
    }
    fsim_error err;
    fsim_error_clear(&err);
    fsim_arena *arena = fsim_arena_new();
    fsim_pubsub *ps = NULL;
    const char *topic = NULL;
    fsim_pubsub_message m = {.data = argv[2], .len = strlen(argv[2]), .attributes = attrs,
                             .n_attributes = n};
    int rc = 1;
    if (!arena || fsim_pubsub_open(NULL, &ps, &err) != FSIM_OK ||
        fsim_pubsub_resource_name(argv[1], getenv("GOOGLE_CLOUD_PROJECT"), "topics", "TOPIC",
                                  arena, &topic, &err) != FSIM_OK ||
        fsim_pubsub_publish(ps, topic, &m, 1, NULL, NULL, &err) != FSIM_OK) {
        char line[1200];
        fsim_error_format(&err, line, sizeof line);
        fprintf(stderr, "publish_raw: %s\n", line);
        goto out;
    }
    rc = 0;
out:
    fsim_pubsub_close(ps);
    fsim_arena_free(arena);
    return rc;
}
