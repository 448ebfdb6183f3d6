/* libpq, loaded on first use (lazy_internal.h): the store (core/store) and the database
 * tests. */
#include <libpq-fe.h>

#include "lazy_internal.h"

#define PQ_FUNCTIONS(F, V, H)                                                                \
    F(int, PQlibVersion, (void), ())                                                         \
    F(PGconn *, PQconnectdb, (const char *conninfo), (conninfo))                             \
    V(PQfinish, (PGconn *conn), (conn))                                                      \
    V(PQreset, (PGconn *conn), (conn))                                                       \
    F(ConnStatusType, PQstatus, (const PGconn *conn), (conn))                                \
    F(PGTransactionStatusType, PQtransactionStatus, (const PGconn *conn), (conn))            \
    F(char *, PQerrorMessage, (const PGconn *conn), (conn))                                  \
    F(PGresult *, PQexec, (PGconn *conn, const char *query), (conn, query))                  \
    F(PGresult *, PQexecParams,                                                              \
      (PGconn *conn, const char *command, int nParams, const Oid *paramTypes,                \
       const char *const *paramValues, const int *paramLengths, const int *paramFormats,     \
       int resultFormat),                                                                    \
      (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats,          \
       resultFormat))                                                                        \
    F(PGresult *, PQprepare,                                                                 \
      (PGconn *conn, const char *stmtName, const char *query, int nParams,                   \
       const Oid *paramTypes),                                                               \
      (conn, stmtName, query, nParams, paramTypes))                                          \
    F(PGresult *, PQexecPrepared,                                                            \
      (PGconn *conn, const char *stmtName, int nParams, const char *const *paramValues,      \
       const int *paramLengths, const int *paramFormats, int resultFormat),                  \
      (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat))      \
    F(PGresult *, PQgetResult, (PGconn *conn), (conn))                                       \
    F(int, PQputCopyData, (PGconn *conn, const char *buffer, int nbytes),                    \
      (conn, buffer, nbytes))                                                                \
    F(int, PQputCopyEnd, (PGconn *conn, const char *errormsg), (conn, errormsg))             \
    F(ExecStatusType, PQresultStatus, (const PGresult *res), (res))                          \
    F(char *, PQresultErrorField, (const PGresult *res, int fieldcode), (res, fieldcode))    \
    F(int, PQntuples, (const PGresult *res), (res))                                          \
    F(char *, PQgetvalue, (const PGresult *res, int tup_num, int field_num),                 \
      (res, tup_num, field_num))                                                             \
    F(int, PQgetlength, (const PGresult *res, int tup_num, int field_num),                   \
      (res, tup_num, field_num))                                                             \
    F(int, PQgetisnull, (const PGresult *res, int tup_num, int field_num),                   \
      (res, tup_num, field_num))                                                             \
    V(PQclear, (PGresult *res), (res))

#define FSIM__LAZY_VAR fsim__lazy_pq
FSIM__LAZY_DEFINE(PQ, PQ_FUNCTIONS)
