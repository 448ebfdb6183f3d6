/* core/gcs internals (not a public header): what the tests reach below the public API. */
#ifndef FLEETSIM_GCS_INTERNAL_H
#define FLEETSIM_GCS_INTERNAL_H

/* The last persisted byte of a resumable upload session from a 308's Range header value,
 * "bytes=0-N": N; -1 when the value is not of that form. */
long long fsim__gcs_parse_range(const char *value);

#endif
