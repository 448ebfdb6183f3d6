/* Fuzz target "wire": the JSON decoder of every wire type (SimulationRequest, JobMessage, …).
 * Byte 0 picks the type (modulo the number of types) and, above that, whether unknown keys
 * are skipped; the rest is the JSON text. Whatever decodes must also encode, and the
 * encoding must decode again to an equal object: the API and the workers hand these
 * objects to each other as JSON, so a value one side accepts and the other refuses is a bug. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>

#include <fleetsim/arena.h>
#include <fleetsim/wire.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fsim_wire_type type = (fsim_wire_type)(data[0] % FSIM_WIRE_TYPE_COUNT);
    unsigned flags = (data[0] / FSIM_WIRE_TYPE_COUNT) % 2 ? FSIM_WIRE_IGNORE_UNKNOWN : 0;
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        abort();
    void *obj = NULL;
    fsim_error err;
    if (fsim_wire_decode(type, (const char *)data + 1, size - 1, "fuzz", flags, arena, &obj,
                         &err) == FSIM_OK) {
        size_t len = 0;
        char *json = fsim_wire_encode(type, obj, 0, &len);
        if (!json)
            abort();
        void *again = NULL;
        if (fsim_wire_decode(type, json, len, "re-encoded", 0, arena, &again, &err) != FSIM_OK) {
            char msg[1024];
            fsim_error_format(&err, msg, sizeof msg);
            fprintf(stderr, "%s decoded, but its encoding does not: %s\n%s\n",
                    fsim_wire_type_name(type), msg, json);
            abort();
        }
        if (!fsim_wire_equal(type, obj, again)) {
            fprintf(stderr, "%s: the encoding decodes to another value\n%s\n",
                    fsim_wire_type_name(type), json);
            abort();
        }
        free(json);
    }
    fsim_arena_free(arena);
    return 0;
}
