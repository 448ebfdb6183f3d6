/* Fuzz target "push": the body of a Pub/Sub push request (fsim_pubsub_push_decode), which
 * fleetsim-pubsub's push endpoint reads from the network. */
#include "fuzz.h"

#include <stdlib.h>

#include <fleetsim/arena.h>
#include <fleetsim/pubsub.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        abort();
    fsim_pubsub_message msg;
    const char *subscription = NULL;
    fsim_error err;
    if (fsim_pubsub_push_decode((const char *)data, size, "push body", arena, &msg, &subscription,
                                &err) == FSIM_OK)
        fsim_pubsub_attribute_get(&msg, "jobId");
    fsim_arena_free(arena);
    return 0;
}
