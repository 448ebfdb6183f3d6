/* The store's connection pool, its retry loop and the libpq helpers every other file in
 * core/store uses. The pool is a fixed array of lazily opened connections guarded by one
 * mutex and condition variable: callers (HTTP threads, workers) block for a free slot. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


#include <fleetsim/lazy.h>
#include <fleetsim/util.h>

#include "store_internal.h"

struct fsim_store {
    char *conninfo;
    fsim_store_options opts;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n_conns;
    fsim__conn *conns;
    long retries;
    unsigned jitter;
};

/* ---- Small helpers --------------------------------------------------------------------- */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* First line of libpq's message, without the trailing newline. */
static void first_line(const char *msg, char *buf, size_t size)
{
    snprintf(buf, size, "%s", msg && *msg ? msg : "unknown error");
    buf[strcspn(buf, "\n")] = '\0';
}

const char *fsim__sqlstate(const PGresult *res)
{
    const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s ? s : "";
}

/* Worth retrying: the connection is gone, or the server says try again. */
static bool is_transient(PGconn *pg, const char *sqlstate)
{
    if (!pg || PQstatus(pg) == CONNECTION_BAD)
        return true;
    return strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "40001") == 0 ||
           strcmp(sqlstate, "40P01") == 0 || strcmp(sqlstate, "57P01") == 0 ||
           strcmp(sqlstate, "57P02") == 0 || strcmp(sqlstate, "57P03") == 0;
}

fsim_status fsim__fail_result(fsim__conn *c, const PGresult *res, const char *what,
                              fsim_error *err)
{
    const char *state = fsim__sqlstate(res);
    char primary[400];
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    first_line(msg ? msg : PQerrorMessage(c->pg), primary, sizeof primary);
    const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    c->transient = is_transient(c->pg, state);
    /* class 22 (data exception) and 23 (integrity) are the caller's input */
    fsim_status st = (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0)
                         ? FSIM_INVALID
                         : FSIM_IO;
    if (*state && constraint)
        return fsim_error_set(err, st, "database", 0, 0, NULL,
                              "could not %s: %s (SQLSTATE %s, constraint \"%s\")", what, primary,
                              state, constraint);
    if (*state)
        return fsim_error_set(err, st, "database", 0, 0, NULL, "could not %s: %s (SQLSTATE %s)",
                              what, primary, state);
    return fsim_error_set(err, st, "database", 0, 0, NULL, "could not %s: %s", what, primary);
}

static PGresult *check_result(fsim__conn *c, PGresult *res, const char *what, fsim_error *err)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return res;
    fsim__fail_result(c, res, what, err);
    PQclear(res);
    return NULL;
}

PGresult *fsim__exec_prepared(fsim__conn *c, const fsim__stmt *table, int id,
                              const char *const *params, const char *what, fsim_error *err)
{
    char name[32];
    /* one statement table per program (store_stmts.c): the id alone names it */
    snprintf(name, sizeof name, "fsim_s%d", id);
    uint64_t bit = (uint64_t)1 << (id & 63);
    if (!(c->prepared & bit)) {
        PGresult *p = check_result(
            c, PQprepare(c->pg, name, table[id].sql, table[id].n_params, NULL), what, err);
        if (!p)
            return NULL;
        PQclear(p);
        c->prepared |= bit;
    }
    return check_result(
        c, PQexecPrepared(c->pg, name, table[id].n_params, params, NULL, NULL,
                          table[id].binary ? 1 : 0),
        what, err);
}

PGresult *fsim__exec(fsim__conn *c, const char *sql, int n, const char *const *params,
                     const char *what, fsim_error *err)
{
    if (n == 0)
        return check_result(c, PQexec(c->pg, sql), what, err);
    return check_result(c, PQexecParams(c->pg, sql, n, NULL, params, NULL, NULL, 0), what, err);
}

bool fsim__command(fsim__conn *c, const char *sql, const char *what, fsim_error *err)
{
    PGresult *r = fsim__exec(c, sql, 0, NULL, what, err);
    PQclear(r);
    return r != NULL;
}

/* ---- The pool ----------------------------------------------------------------------------- */

static fsim_status connect_slot(fsim_store *s, fsim__conn *c, fsim_error *err)
{
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK)
        return FSIM_OK;
    if (c->pg) {
        PQreset(c->pg); /* same parameters, new session: prepared statements are gone */
    } else {
        c->pg = PQconnectdb(s->conninfo);
    }
    c->prepared = 0;
    if (!c->pg) {
        c->transient = false;
        return fsim_error_set(err, FSIM_NOMEM, "database", 0, 0, NULL,
                              "could not connect to the database: out of memory");
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        char line[400];
        first_line(PQerrorMessage(c->pg), line, sizeof line);
        c->transient = true;
        return fsim_error_set(err, FSIM_IO, "database", 0, 0, NULL,
                              "could not connect to the database: %s", line);
    }
    /* UTC everywhere: timestamps are formatted by the server in RFC 3339 Z */
    PGresult *r = PQexec(c->pg, "SET TIME ZONE 'UTC'");
    bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        c->transient = true;
        return fsim_error_set(err, FSIM_IO, "database", 0, 0, NULL,
                              "could not set up the database session");
    }
    return FSIM_OK;
}

static fsim__conn *acquire(fsim_store *s, fsim_error *err)
{
    struct timespec deadline = fsim_deadline_in(s->opts.wait_ms / 1000.0);
    pthread_mutex_lock(&s->mu);
    fsim__conn *got = NULL;
    for (;;) {
        /* prefer an open idle connection, else any idle slot */
        for (int i = 0; i < s->n_conns && !got; i++)
            if (!s->conns[i].busy && s->conns[i].pg)
                got = &s->conns[i];
        for (int i = 0; i < s->n_conns && !got; i++)
            if (!s->conns[i].busy)
                got = &s->conns[i];
        if (got)
            break;
        if (pthread_cond_timedwait(&s->cv, &s->mu, &deadline) == ETIMEDOUT)
            break;
    }
    if (got)
        got->busy = true;
    pthread_mutex_unlock(&s->mu);
    if (!got)
        fsim_error_set(err, FSIM_IO, "database", 0, 0, NULL,
                       "could not get a database connection: all %d are busy", s->n_conns);
    return got;
}

static void release(fsim_store *s, fsim__conn *c)
{
    pthread_mutex_lock(&s->mu);
    c->busy = false;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

fsim_status fsim__store_run(fsim_store *s, fsim__op op, void *ctx, fsim_error *err)
{
    fsim__conn *c = acquire(s, err);
    if (!c)
        return FSIM_IO;
    fsim_status st = FSIM_OK;
    int delay = s->opts.backoff_ms;
    for (int attempt = 0;; attempt++) {
        c->transient = false;
        fsim_error_clear(err);
        st = connect_slot(s, c, err);
        if (st == FSIM_OK)
            st = op(c, ctx, err);
        /* never hand back a connection inside a transaction (or a COPY) */
        if (c->pg && PQstatus(c->pg) == CONNECTION_OK &&
            PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
            PGresult *r;
            while ((r = PQgetResult(c->pg)) != NULL)
                PQclear(r);
            PQclear(PQexec(c->pg, "ROLLBACK"));
        }
        if (st == FSIM_OK || !c->transient || attempt >= s->opts.max_retries)
            break;
        pthread_mutex_lock(&s->mu);
        s->retries++;
        unsigned j = s->jitter = s->jitter * 1103515245u + 12345u;
        pthread_mutex_unlock(&s->mu);
        /* ±25% jitter so workers that failed together do not retry together */
        int d = delay + (int)((j >> 8) % (unsigned)(delay / 2 + 1)) - delay / 4;
        sleep_ms(d > 0 ? d : 1);
        delay = delay * 2 > s->opts.max_backoff_ms ? s->opts.max_backoff_ms : delay * 2;
    }
    release(s, c);
    return st;
}

static fsim_status ping_op(fsim__conn *c, void *ctx, fsim_error *err)
{
    (void)ctx;
    return fsim__command(c, "SELECT 1", "reach the database", err) ? FSIM_OK : FSIM_IO;
}

fsim_status fsim_store_open(const char *conninfo, const fsim_store_options *opts,
                            fsim_store **out, fsim_error *err)
{
    *out = NULL;
    if (!conninfo || !*conninfo)
        return fsim_error_set(err, FSIM_USAGE, "DATABASE_URL", 0, 0, NULL,
                              "no database given (set DATABASE_URL)");
    if (fsim_lazy_need(FSIM_LAZY_PQ, "the PostgreSQL store", err) != FSIM_OK)
        return FSIM_INTERNAL;
    fsim_store *s = calloc(1, sizeof *s);
    if (!s)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    s->opts.pool_size = 4;
    s->opts.max_retries = 5;
    s->opts.backoff_ms = 50;
    s->opts.max_backoff_ms = 2000;
    s->opts.wait_ms = 30000;
    if (opts) {
        s->opts.pool_size = opts->pool_size > 0 ? opts->pool_size : 4;
        s->opts.max_retries = opts->max_retries > 0 ? opts->max_retries : 0;
        s->opts.backoff_ms = opts->backoff_ms > 0 ? opts->backoff_ms : 50;
        s->opts.max_backoff_ms = opts->max_backoff_ms > 0 ? opts->max_backoff_ms : 2000;
        s->opts.wait_ms = opts->wait_ms > 0 ? opts->wait_ms : 30000;
    }
    s->jitter = (unsigned)time(NULL);
    s->conninfo = strdup(conninfo);
    s->n_conns = s->opts.pool_size;
    s->conns = calloc((size_t)s->n_conns, sizeof *s->conns);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    if (!s->conninfo || !s->conns) {
        fsim_store_close(s);
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    }
    fsim_status st = fsim__store_run(s, ping_op, NULL, err);
    if (st != FSIM_OK) {
        fsim_store_close(s);
        return st;
    }
    *out = s;
    return FSIM_OK;
}

void fsim_store_close(fsim_store *s)
{
    if (!s)
        return;
    for (int i = 0; s->conns && i < s->n_conns; i++)
        if (s->conns[i].pg)
            PQfinish(s->conns[i].pg);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->conns);
    free(s->conninfo);
    free(s);
}

fsim_status fsim_store_ping(fsim_store *s, fsim_error *err)
{
    return fsim__store_run(s, ping_op, NULL, err);
}

long fsim_store_retry_count(const fsim_store *s)
{
    fsim_store *m = (fsim_store *)s;
    pthread_mutex_lock(&m->mu);
    long n = m->retries;
    pthread_mutex_unlock(&m->mu);
    return n;
}
