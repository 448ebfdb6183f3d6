/* Content negotiation for the big bodies (results, reports): gzip when the client accepts
 * it, identity otherwise. A 10 MB result is mostly repeated keys and digits; gzip makes it
 * a tenth on the wire, and a client that does not ask for it still gets the plain bytes.
 * Streamed gcs results are left alone: they are sent as they arrive, never held whole. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "api.h"

/* Below this the gzip header and the CPU cost more than they save. */
#define GZIP_MIN_BYTES 1024

/* The q value of one Accept-Encoding element ("gzip;q=0.5" → 0.5; no q → 1). */
static double q_value(const char *params, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if ((params[i] == 'q' || params[i] == 'Q') && params[i + 1] == '=') {
            char buf[16];
            size_t n = len - i - 2 < sizeof buf - 1 ? len - i - 2 : sizeof buf - 1;
            memcpy(buf, params + i + 2, n);
            buf[n] = '\0';
            return strtod(buf, NULL);
        }
    }
    return 1.0;
}

bool api_accepts_gzip(const char *accept_encoding)
{
    if (!accept_encoding)
        return false;
    double gzip = -1, star = -1;
    const char *p = accept_encoding;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        size_t name = strcspn(p, " ;,");
        if (name > len)
            name = len;
        double q = q_value(p + name, len - name);
        if ((name == 4 && strncasecmp(p, "gzip", 4) == 0) ||
            (name == 6 && strncasecmp(p, "x-gzip", 6) == 0))
            gzip = q;
        else if (name == 1 && *p == '*')
            star = q;
        p += len;
    }
    /* an explicit gzip entry wins over "*" (RFC 9110 12.5.3) */
    return gzip >= 0 ? gzip > 0 : star > 0;
}

/* gzip of `len` bytes into a new malloc'd buffer; NULL when zlib or memory fails. */
static char *gzip_body(const char *data, size_t len, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16: the gzip wrapper (header and CRC-32), not raw zlib */
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return NULL;
    uLong cap = deflateBound(&z, (uLong)len);
    char *out = malloc(cap);
    if (!out) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_len = (size_t)z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

bool api_respond_negotiated(api_request *req, int status, const char *content_type, char *body,
                            size_t len)
{
    /* caches between the client and us must keep one copy per encoding */
    api_add_header(req, "Vary", "Accept-Encoding");
    /* uInt bounds one deflate call; results that large are not sent from memory anyway */
    if (len < GZIP_MIN_BYTES || len > (size_t)UINT32_MAX ||
        !api_accepts_gzip(api_header(req, "Accept-Encoding")))
        return api_respond(req, status, content_type, body, len);
    size_t zlen = 0;
    char *z = gzip_body(body, len, &zlen);
    if (!z) /* identity is always acceptable: send the plain body */
        return api_respond(req, status, content_type, body, len);
    free(body);
    api_add_header(req, "Content-Encoding", "gzip");
    return api_respond(req, status, content_type, z, zlen);
}
