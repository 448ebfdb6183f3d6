/* Internal to core/runner: helpers its files share (the weather of a run, the sinks'
 * folders). */
#ifndef FLEETSIM_RUNNER_INTERNAL_H
#define FLEETSIM_RUNNER_INTERNAL_H

#include <fleetsim/error.h>
#include <fleetsim/runner.h>
#include <fleetsim/wire.h>

#include <stdbool.h>
#include <stddef.h>

/* Each depot's air temperature per hour of the horizon (request.days × 24 values) into
 * temps[d] (arena), or temps[d] = NULL for a depot without weather (the request's
 * ambientTemperatureC holds there). From the depot's `weather`, else the request's: an
 * explicit hourlyTemperatureC series, or the weather service (svc; NULL fails naming it). */
fsim_status fsim__runner_weather(const fsim_request *req, const fsim_config *cfg, fsim_svc *svc,
                                 const char *source, fsim_arena *arena, double **temps,
                                 fsim_error *err);

/* mkdir -p `dir`; FSIM_IO naming it on failure. */
fsim_status fsim__runner_make_dirs(const char *dir, fsim_error *err);

/* Rows formatted on other threads while the engine runs (row_pool.c). Each of the four
 * row kinds (0..3) is registered with its row size, the offset of a borrowed fsim_lonlat
 * pointer member to copy (SIZE_MAX: none) and the writer that gets its rows in order
 * (NULL: dropped); the pool has threads - 1 threads of its own, and formats the oldest
 * batches first. _add copies the row; false (errno set) once a write failed.
 * _wait_kind returns once every row of `kind` added so far is written (the calling thread
 * formats meanwhile), the threads going on with the other kinds: 0, or the errno of the
 * first failed write. _finish formats what is left (or, with `drop`, skips it), stops the
 * threads and frees the pool: 0, or that errno. The writers stay the caller's to finish. */
typedef struct fsim__row_pool fsim__row_pool;
fsim__row_pool *fsim__row_pool_new(int threads); /* the run's --threads: 0 every CPU */
void fsim__row_pool_kind(fsim__row_pool *p, int kind, size_t size, size_t ptr_off,
                         fsim_wire_rows *w);
bool fsim__row_pool_add(fsim__row_pool *p, int kind, const void *row);
int fsim__row_pool_wait_kind(fsim__row_pool *p, int kind);
/* fn(arg) on an idle thread of the pool, or at the latest in _finish (no pool: now). */
void fsim__row_pool_defer(fsim__row_pool *p, void (*fn)(void *), void *arg);
int fsim__row_pool_finish(fsim__row_pool *p, bool drop);

#endif
