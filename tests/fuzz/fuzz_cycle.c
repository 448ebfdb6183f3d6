/* Fuzz target "cycle": a drive-cycle CSV (fsim_cycle_read_csv; `fleetsim cycle`), written to a
 * scratch file because the reader takes a path. */
#include "fuzz.h"

#include <stdlib.h>

#include <fleetsim/arena.h>
#include <fleetsim/model.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *path;
    if (!path)
        path = fuzz_path("cycle.csv");
    fuzz_write(path, data, size);
    fsim_arena *arena = fsim_arena_new();
    if (!arena)
        abort();
    fsim_cycle cycle;
    fsim_error err;
    fsim_cycle_read_csv(path, arena, &cycle, &err);
    fsim_arena_free(arena);
    return 0;
}
