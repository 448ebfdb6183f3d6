/* fleetsim — status codes and the error record every parser and loader fills.
 *
 * One list (FSIM_STATUS_MAP) declares each status once; the enum, fsim_status_name()
 * and fsim_strerror() are generated from it, as libuv does with UV_ERRNO_MAP. */
#ifndef FLEETSIM_ERROR_H
#define FLEETSIM_ERROR_H

#include <stddef.h>

/* X(name, exit code for the CLI, description) */
#define FSIM_STATUS_MAP(X)                                           \
    X(OK,        0, "success")                                       \
    X(INVALID,   2, "invalid input")                                 \
    X(NOT_FOUND, 2, "not found")                                     \
    X(USAGE,     2, "bad usage")                                     \
    X(IO,        1, "input/output error")                            \
    X(NOMEM,     1, "out of memory")                                 \
    X(CANCELLED, 1, "cancelled")                                     \
    X(UNAVAILABLE, 1, "service unavailable")                         \
    X(INTERNAL,  1, "internal error")

typedef enum fsim_status {
#define FSIM__STATUS_ENUM(name, exit_code, text) FSIM_##name,
    FSIM_STATUS_MAP(FSIM__STATUS_ENUM)
#undef FSIM__STATUS_ENUM
} fsim_status;

/* "OK", "INVALID", ... */
const char *fsim_status_name(fsim_status status);
/* "invalid input", ... */
const char *fsim_strerror(fsim_status status);
/* The CLI's exit code for a status: 0 done, 1 runtime failure, 2 bad usage or bad input. */
int fsim_status_exit_code(fsim_status status);

/* Where and why something failed. `source` is a file name or a label such as
 * "FLEETSIM_CONFIG_OVERRIDES"; `path` is the field path (`vehicles[2].initialSoc`);
 * line/column are 1-based and 0 when unknown. All members are owned (fixed arrays). */
typedef struct fsim_error {
    fsim_status status;
    char source[256];
    int line;
    int column;
    char path[256];
    char message[512];
} fsim_error;

/* Resets to FSIM_OK with empty members. Accepts NULL. */
void fsim_error_clear(fsim_error *err);

/* Fills `err` (may be NULL: then only the status is returned) and returns `status`.
 * `source` and `path` may be NULL. The message is printf-formatted. */
fsim_status fsim_error_set(fsim_error *err, fsim_status status, const char *source, int line,
                           int column, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;

/* Writes "source:line:column: path: message" (parts that are unknown are left out) into
 * buf; returns the length it needed (as snprintf does). */
int fsim_error_format(const fsim_error *err, char *buf, size_t size);

#endif
