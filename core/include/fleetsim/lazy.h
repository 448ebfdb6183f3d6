/* fleetsim — the libraries only some commands use (libpq, libcurl, libcrypto, GEOS) are
 * loaded on first use (core/lazy), so `fleetsim run` does not pay for PostgreSQL, HTTP and
 * TLS at start-up. An entry point that will use one asks for it first, so a machine without
 * it gets a sentence instead of a crash. */
#ifndef FLEETSIM_LAZY_H
#define FLEETSIM_LAZY_H

#include <fleetsim/error.h>

/* X(name, label, soname, Debian package). The sonames are the ones the headers we build
 * against belong to (checked by tests/unit/test_lazy.c). */
#define FSIM_LAZY_MAP(X)                                          \
    X(PQ,     "libpq",     "libpq.so.5",     "libpq5")            \
    X(CURL,   "libcurl",   "libcurl.so.4",   "libcurl4")          \
    X(CRYPTO, "libcrypto", "libcrypto.so.3", "libssl3")           \
    X(GEOS,   "GEOS",      "libgeos_c.so.1", "libgeos-c1v5")

typedef enum fsim_lazy_lib {
#define FSIM__LAZY_ENUM(name, label, soname, package) FSIM_LAZY_##name,
    FSIM_LAZY_MAP(FSIM__LAZY_ENUM)
#undef FSIM__LAZY_ENUM
    FSIM_LAZY_COUNT
} fsim_lazy_lib;

/* Loads `lib` (once per process; thread-safe) and returns FSIM_OK, or fills `err` (may be
 * NULL) with why not and what needs it, and returns FSIM_INTERNAL:
 *   libpq.so.5 is not installed (Debian package libpq5): the PostgreSQL store needs it
 * `who` (borrowed) names the user in that sentence. */
fsim_status fsim_lazy_need(fsim_lazy_lib lib, const char *who, fsim_error *err);

/* The soname of `lib` ("libpq.so.5"). Static storage. */
const char *fsim_lazy_soname(fsim_lazy_lib lib);

/* The address of function `name` in the program or a library it already loaded, else in
 * `soname` (loaded for it and kept), else NULL: --version asks gRPC and protobuf-c for their
 * versions without linking them into the programs that do not use them. */
void *fsim_lazy_symbol(const char *soname, const char *name);

#endif
