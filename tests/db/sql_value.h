/* One value by plain SQL, as psql would see it, for the database tests: a separate connection
 * to `url`, the first column of the first row copied into `arena`; NULL for no row or NULL
 * (a failed statement prints a TAP comment). */
#ifndef FLEETSIM_TEST_SQL_VALUE_H
#define FLEETSIM_TEST_SQL_VALUE_H

#include <stdio.h>

#include <libpq-fe.h>

#include <fleetsim/arena.h>

static inline char *test_sql_value(const char *url, fsim_arena *arena, const char *sql,
                                   const char *param)
{
    PGconn *c = PQconnectdb(url);
    const char *p[] = {param};
    PGresult *r = PQexecParams(c, sql, param ? 1 : 0, NULL, p, NULL, NULL, 0);
    char *v = NULL;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        v = fsim_arena_strdup(arena, PQgetvalue(r, 0, 0));
    else if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
        printf("# sql failed: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return v;
}

#endif
