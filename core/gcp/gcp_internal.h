/* core/gcp internals shared by its files (not a public header): the JWT encoding. */
#ifndef FLEETSIM_GCP_INTERNAL_H
#define FLEETSIM_GCP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* base64url without padding (RFC 7515 §2), the JWT encoding. malloc'd, NUL-terminated;
 * NULL when out of memory. */
char *fsim__base64url_encode(const unsigned char *data, size_t len);

/* The inverse: `len` characters of the base64url alphabet, no padding, no whitespace.
 * malloc'd (NUL-terminated for convenience, *out_len excludes it); false on any character
 * outside the alphabet, an impossible length, or out of memory. */
bool fsim__base64url_decode(const char *text, size_t len, unsigned char **out,
                            size_t *out_len);

#endif
