/* libcurl, loaded on first use (lazy_internal.h): Cloud Storage and credentials (core/gcs,
 * core/gcp), the routing, elevation and weather clients (core/services), the CLI's API
 * client. */
#include <stdarg.h>

#define CURL_DISABLE_TYPECHECK /* typecheck-gcc.h makes setopt/getinfo macros */
#include <curl/curl.h>
#undef curl_easy_setopt
#undef curl_easy_getinfo

#include "lazy_internal.h"

#define CURL_FUNCTIONS(F, V, H)                                                              \
    F(CURLcode, curl_global_init, (long flags), (flags))                                     \
    V(curl_global_cleanup, (void), ())                                                       \
    F(curl_version_info_data *, curl_version_info, (CURLversion v), (v))                     \
    F(CURL *, curl_easy_init, (void), ())                                                    \
    F(CURLcode, curl_easy_perform, (CURL *curl), (curl))                                     \
    V(curl_easy_cleanup, (CURL *curl), (curl))                                               \
    F(const char *, curl_easy_strerror, (CURLcode code), (code))                             \
    F(char *, curl_easy_escape, (CURL *handle, const char *string, int length),              \
      (handle, string, length))                                                              \
    F(CURLHcode, curl_easy_header, (CURL *easy, const char *name, size_t index,              \
      unsigned int origin, int request, struct curl_header **hout),                          \
      (easy, name, index, origin, request, hout))                                            \
    V(curl_free, (void *p), (p))                                                             \
    F(struct curl_slist *, curl_slist_append, (struct curl_slist *list, const char *data),   \
      (list, data))                                                                          \
    V(curl_slist_free_all, (struct curl_slist *list), (list))                                \
    H(curl_easy_setopt)                                                                      \
    H(curl_easy_getinfo)

#define FSIM__LAZY_VAR fsim__lazy_curl
FSIM__LAZY_DEFINE(CURL, CURL_FUNCTIONS)

/* Passes on the one argument with the type libcurl itself reads for the option's range
 * (lib/setopt.c): a long, an object pointer, a function pointer, a curl_off_t, a blob. */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
    fsim__lazy_ensure(&FSIM__LAZY_VAR, "curl_easy_setopt");
    CURLcode (*f)(CURL *, CURLoption, ...) =
        (CURLcode(*)(CURL *, CURLoption, ...))FSIM__LAZY_FN(curl_easy_setopt);
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = f(curl, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = f(curl, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = f(curl, option, va_arg(ap, fsim__lazy_fn));
    else if (option < CURLOPTTYPE_BLOB)
        rc = f(curl, option, va_arg(ap, curl_off_t));
    else
        rc = f(curl, option, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

/* Every CURLINFO takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
    fsim__lazy_ensure(&FSIM__LAZY_VAR, "curl_easy_getinfo");
    CURLcode (*f)(CURL *, CURLINFO, ...) =
        (CURLcode(*)(CURL *, CURLINFO, ...))FSIM__LAZY_FN(curl_easy_getinfo);
    va_list ap;
    va_start(ap, info);
    CURLcode rc = f(curl, info, va_arg(ap, void *));
    va_end(ap);
    return rc;
}
