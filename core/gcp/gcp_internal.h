/* core/gcp internals shared by its files (not a public header): the JWT encoding, libcurl's
 * set-up, a clock, and the collector of small HTTP bodies (token, metadata and key
 * responses). */
#ifndef FLEETSIM_GCP_INTERNAL_H
#define FLEETSIM_GCP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* curl_global_init, once per process (thread-safe). */
void fsim__curl_init(void);
/* CLOCK_MONOTONIC in seconds. */
double fsim__monotonic_now(void);
/* strdup that passes NULL through; NULL also when out of memory. */
char *fsim__strdup(const char *s);

/* What a small request collected: NUL-terminated `data` (malloc'd, free() it), `too_big`
 * when the server sent more than FSIM__MAX_BODY bytes (the transfer was stopped). */
#define FSIM__MAX_BODY (1u << 20)
typedef struct fsim__body_buf {
    char *data;
    size_t len, cap;
    bool too_big;
} fsim__body_buf;

/* libcurl's CURLOPT_WRITEFUNCTION for a fsim__body_buf (CURLOPT_WRITEDATA). */
size_t fsim__body_write(char *ptr, size_t size, size_t nmemb, void *user);

#endif
