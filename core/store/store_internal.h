/* core/store private: the pooled connection, the retry loop and the SQL helpers shared by
 * store.c (pool), store_stmts.c + store_fleets.c, store_queue.c, store_reads.c
 * (fleets and simulations, see store_sim.h), store_migrate.c and store_import.c. */
#ifndef FSIM_STORE_INTERNAL_H
#define FSIM_STORE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include <fleetsim/store.h>

/* One pooled connection. `prepared` has bit i set once statement i is prepared on it
 * (cleared when the connection is reset). `transient` is set by the helpers below when the
 * last failure is worth a retry. */
/* The envelope (`simulations.metadata`) of an encoded SimulationResult `r.j`: the result's
 * metadata object as it is, plus the parts kept in the envelope (summary, trips,
 * vehicleSeries). Every writer of a result uses it; the readers subtract ENVELOPE_KEYS. */
#define FSIM__RESULT_METADATA                                                                \
    "(r.j->'metadata') || jsonb_build_object('summary', r.j->'summary', 'trips', r.j->'trips')" \
    " || CASE WHEN r.j ? 'vehicleSeries'"                                                   \
    " THEN jsonb_build_object('vehicleSeries', r.j->'vehicleSeries') ELSE '{}' END"         \
    " || CASE WHEN r.j ? 'vehicles'"                                                        \
    " THEN jsonb_build_object('vehicles', r.j->'vehicles') ELSE '{}' END"
/* The envelope's own metadata keys, which are not the result's metadata: the request
 * (create), summary / trips / vehicleSeries / vehicles (above), error (fail), resultUri
 * (gcs mode). */
#define FSIM__ENVELOPE_KEYS                                                                  \
    "ARRAY['request', 'summary', 'trips', 'vehicleSeries', 'vehicles', 'error',"            \
    " 'resultUri']::text[]"

typedef struct fsim__conn {
    PGconn *pg;
    uint64_t prepared;
    bool busy;
    bool transient;
} fsim__conn;

/* The prepared statements (the SQL of fleets and simulations: store_stmts.c). */
typedef struct fsim__stmt {
    const char *sql;
    int n_params;
    bool binary; /* results in binary format (the reader decodes each column's wire form) */
} fsim__stmt;

/* An operation run on one connection; may be run again after a transient failure, so it
 * must be a complete transaction (or one statement). */
typedef fsim_status (*fsim__op)(fsim__conn *c, void *ctx, fsim_error *err);

/* Takes a connection from the pool, runs `op`, retries transient failures with backoff
 * (resetting a broken connection), rolls back anything left open, returns the
 * connection. */
fsim_status fsim__store_run(fsim_store *store, fsim__op op, void *ctx, fsim_error *err);

/* Executes prepared statement `id` of `table` (prepared on first use per connection) with
 * text parameters (NULL = SQL NULL). Returns the result (PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK), or NULL with err filled ("could not <what>: …") and c->transient set
 * when retrying may help. The caller PQclear()s the result. */
PGresult *fsim__exec_prepared(fsim__conn *c, const fsim__stmt *table, int id,
                              const char *const *params, const char *what, fsim_error *err);
/* The same for an ad-hoc statement (n params) — e.g. DDL, BEGIN, COMMIT. */
PGresult *fsim__exec(fsim__conn *c, const char *sql, int n, const char *const *params,
                     const char *what, fsim_error *err);
/* Runs a parameterless command, discarding the result. */
bool fsim__command(fsim__conn *c, const char *sql, const char *what, fsim_error *err);
/* Fills err from a failed result (or the connection's error when res is NULL) and sets
 * c->transient as the SQLSTATE says. Returns the status used (FSIM_IO or FSIM_INVALID). */
fsim_status fsim__fail_result(fsim__conn *c, const PGresult *res, const char *what,
                              fsim_error *err);
/* The SQLSTATE of a failed result, "" if none. */
const char *fsim__sqlstate(const PGresult *res);


#endif
