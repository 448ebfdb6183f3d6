/* core/lazy: each library loaded on use is the one its header belongs to (the sonames are
 * hard-coded next to the headers we compile against), each stub reaches it, and a library
 * that cannot be loaded gives the sentence, not a crash. */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <geos_c.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <pg_config.h>
#include <protobuf-c/protobuf-c.h>

#include <fleetsim/lazy.h>

#include "check.h"
#include "lazy_internal.h"

/* "3.11.1-CAPI-1.17.1" → 1 */
static int capi_major(const char *v)
{
    const char *p = v ? strstr(v, "-CAPI-") : NULL;
    return p ? atoi(p + 6) : -1;
}

static void loads_the_headers_library(void)
{
    fsim_error err;
    for (int i = 0; i < FSIM_LAZY_COUNT; i++)
        CHECK(fsim_lazy_need((fsim_lazy_lib)i, "the test", &err) == FSIM_OK, "%s loads",
              fsim_lazy_soname((fsim_lazy_lib)i));

    CHECK(PQlibVersion() / 10000 == PG_VERSION_NUM / 10000,
          "libpq.so.5 is PostgreSQL %d, the headers %d", PQlibVersion() / 10000,
          PG_VERSION_NUM / 10000);
    unsigned curl_num = curl_version_info(CURLVERSION_NOW)->version_num;
    CHECK(curl_num >> 16 == LIBCURL_VERSION_NUM >> 16, "libcurl.so.4 is %u.x, the headers %d.x",
          curl_num >> 16, LIBCURL_VERSION_NUM >> 16);
    CHECK(OpenSSL_version_num() >> 28 == OPENSSL_VERSION_MAJOR,
          "libcrypto.so.3 is OpenSSL %lu, the headers %d", OpenSSL_version_num() >> 28,
          OPENSSL_VERSION_MAJOR);
    CHECK(capi_major(GEOSversion()) == capi_major(GEOS_CAPI_VERSION) &&
              capi_major(GEOS_CAPI_VERSION) == 1,
          "libgeos_c.so.1 is C API %s, the headers %s", GEOSversion(), GEOS_CAPI_VERSION);
}

/* --version's two libraries found by name (version.c): the sonames it hard-codes. */
static void finds_grpc_and_protobuf_c(void)
{
    void *p = fsim_lazy_symbol("libprotobuf-c.so.1", "protobuf_c_version_number");
    uint32_t (*num)(void) = NULL;
    if (p)
        memcpy(&num, &p, sizeof p);
    CHECK(num && num() / 1000000 == PROTOBUF_C_VERSION_NUMBER / 1000000,
          "libprotobuf-c.so.1 is the headers' major version %d", PROTOBUF_C_VERSION_NUMBER / 1000000);
    p = fsim_lazy_symbol("libgrpc.so.29", "grpc_version_string");
    const char *(*grpc)(void) = NULL;
    if (p)
        memcpy(&grpc, &p, sizeof p);
    CHECK(grpc && strncmp(grpc(), "29.", 3) == 0, "libgrpc.so.29 is gRPC core 29 (%s)",
          grpc ? grpc() : "not found");
    CHECK(fsim_lazy_symbol("libfleetsim-none.so.0", "nothing") == NULL,
          "a library that is not there: NULL");
}

static void missing_library_is_a_sentence(void)
{
    fsim_error err;
    fsim_error_clear(&err);
    fsim_status st = fsim__lazy_probe(FSIM_LAZY_PQ, "libpq-fleetsim-test.so.5", "--mode db", &err);
    CHECK(st == FSIM_INTERNAL && err.status == FSIM_INTERNAL, "a missing libpq: FSIM_INTERNAL");
    CHECK_STR(err.message,
              "libpq-fleetsim-test.so.5 is not installed (Debian package libpq5): --mode db needs it",
              "a missing libpq: which file, which package, who needs it");

    fsim_error_clear(&err);
    st = fsim__lazy_probe(FSIM_LAZY_GEOS, "libcjson.so.1", "route GeoJSON", &err);
    CHECK(st == FSIM_INTERNAL &&
              strstr(err.message, "could not load libcjson.so.1 (Debian package libgeos-c1v5), "
                                  "which route GeoJSON needs: libcjson.so.1 has no function "),
          "a library without the functions: names the first one missing");
    printf("# %s\n", err.message);

    CHECK(fsim__lazy_probe(FSIM_LAZY_CURL, "libcurl.so.4", "x", &err) == FSIM_OK,
          "the real soname probes fine");
    CHECK(fsim__lazy_probe(FSIM_LAZY_PQ, "libpq-fleetsim-test.so.5", "x", NULL) == FSIM_INTERNAL,
          "no error record: the status alone");
}

int main(void)
{
    loads_the_headers_library();
    finds_grpc_and_protobuf_c();
    missing_library_is_a_sentence();
    return check_done();
}
