/* --version for every program: one place asks each library for its own version at run time
 * (the library actually loaded, not the header compiled against), so a user's bug report
 * says exactly what ran. The libraries loaded on use (core/lazy) are loaded here, and a
 * missing one says "not installed"; gRPC and protobuf-c are asked through dlsym, as only
 * fleetsim-api and fleetsim-pubsub link them. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <csv.h>
#include <curl/curl.h>
#include <geos_c.h>
#include <libpq-fe.h>
#include <nettle/version.h>
#include <openssl/crypto.h>
#include <yaml.h>

#include <fleetsim/lazy.h>
#include <fleetsim/version.h>

#include "revision.h"

#define STR2(x) #x
#define STR(x) STR2(x)

const char *fsim_version(void) { return FSIM_VERSION; }

const char *fsim_version_revision(void) { return FSIM_REVISION; }

#define NOT_INSTALLED "not installed"

/* The version string a library's `const char *f(void)` returns, from the program if it has
 * the library, else from `soname`. */
static const char *version_call(const char *soname, const char *function)
{
    void *p = fsim_lazy_symbol(soname, function);
    if (!p)
        return NOT_INSTALLED;
    const char *(*f)(void);
    memcpy(&f, &p, sizeof p);
    return f();
}

static bool have(fsim_lazy_lib lib) { return fsim_lazy_need(lib, "--version", NULL) == FSIM_OK; }

struct text {
    char *buf;
    size_t size, len;
};

/* Appends to the text, keeping it NUL-terminated when it no longer fits. */
static void add(struct text *t, const char *fmt, ...)
{
    if (t->len >= t->size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->size - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len = t->len + (size_t)n < t->size ? t->len + (size_t)n : t->size - 1;
}

char *fsim_version_text(const char *program, const fsim_library_version *extra,
                        size_t n_extra, char *buf, size_t size)
{
    struct text t = {buf, size, 0};
    if (size)
        buf[0] = '\0';
    char pq[32] = NOT_INSTALLED;
    if (have(FSIM_LAZY_PQ)) {
        int pqv = PQlibVersion(); /* 150010 = 15.10 since PostgreSQL 10 */
        snprintf(pq, sizeof pq, "%d.%d", pqv / 10000, pqv % 10000);
    }
    char nettle[16];
    snprintf(nettle, sizeof nettle, "%d.%d", nettle_version_major(), nettle_version_minor());
    const fsim_library_version core[] = {
        {"cJSON", cJSON_Version()},
        {"libyaml", yaml_get_version_string()},
        {"GEOS", have(FSIM_LAZY_GEOS) ? GEOSversion() : NOT_INSTALLED},
        {"Nettle", nettle},
        {"libcsv", STR(CSV_MAJOR) "." STR(CSV_MINOR) "." STR(CSV_RELEASE) " (headers)"},
        {"libpq", pq},
        {"libcurl", have(FSIM_LAZY_CURL) ? curl_version_info(CURLVERSION_NOW)->version
                                          : NOT_INSTALLED},
        {"OpenSSL", have(FSIM_LAZY_CRYPTO) ? OpenSSL_version(OPENSSL_VERSION_STRING)
                                           : NOT_INSTALLED},
        {"gRPC core", version_call("libgrpc.so.29", "grpc_version_string")},
        {"protobuf-c", version_call("libprotobuf-c.so.1", "protobuf_c_version")},
    };
    add(&t, "%s %s\n", program, FSIM_VERSION);
    add(&t, "revision   %s\n", FSIM_REVISION);
    add(&t, "build type %s", FSIM_BUILD_TYPE);
    if (strcmp(FSIM_SANITIZE, "none") != 0 && FSIM_SANITIZE[0])
        add(&t, " (sanitizers: %s)", FSIM_SANITIZE);
    add(&t, "\nlibraries:\n");
    for (size_t i = 0; i < sizeof core / sizeof *core; i++)
        add(&t, "  %-14s %s\n", core[i].name, core[i].version ? core[i].version : "?");
    for (size_t i = 0; i < n_extra; i++)
        add(&t, "  %-14s %s\n", extra[i].name, extra[i].version ? extra[i].version : "?");
    return buf;
}
