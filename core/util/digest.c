/* Digests and encodings used across the core, once: hex SHA-256 (the config hash, migration
 * checksums, idempotency request hashes, import fingerprints, the route cache's keys) and
 * base64url (RFC 4648 §5) without padding (every JWT part in core/gcp, the store's page
 * cursors). Nettle does the hashing: it is small and linked, where OpenSSL's libcrypto is
 * loaded on first use (core/lazy) and starting it (its config file, its provider tables)
 * cost every local run about 3.5 ms for one hash of a few KB. OpenSSL does the base64; this
 * file swaps the alphabet and handles the padding. Without libcrypto the base64 functions
 * fail as on bad input. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>
#include <openssl/evp.h>

#include <fleetsim/lazy.h>
#include <fleetsim/util.h>

char *fsim_base64url_encode(const unsigned char *data, size_t len)
{
    if (len > (size_t)INT_MAX / 2 || fsim_lazy_need(FSIM_LAZY_CRYPTO, "base64", NULL) != FSIM_OK)
        return NULL;
    size_t cap = 4 * ((len + 2) / 3) + 1;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    if (n < 0) {
        free(out);
        return NULL;
    }
    size_t w = 0;
    for (int i = 0; i < n; i++) {
        char c = out[i];
        if (c == '=')
            break;
        out[w++] = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    out[w] = '\0';
    return out;
}

/* Why not EVP_DecodeBlock on the text as is: it would accept '+' and '/' and whitespace,
 * and it cannot tell padding bytes from data. The alphabet is checked here, the padding
 * added back, and the padded zero bytes removed from the count. */
bool fsim_base64url_decode(const char *text, size_t len, unsigned char **out,
                            size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (len % 4 == 1 || len > (size_t)INT_MAX / 2 ||
        fsim_lazy_need(FSIM_LAZY_CRYPTO, "base64", NULL) != FSIM_OK)
        return false;
    size_t pad = (4 - len % 4) % 4;
    char *std = malloc(len + pad + 1);
    unsigned char *bin = malloc((len + pad) / 4 * 3 + 1);
    if (!std || !bin)
        goto fail;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            std[i] = c;
        else if (c == '-')
            std[i] = '+';
        else if (c == '_')
            std[i] = '/';
        else
            goto fail;
    }
    memset(std + len, '=', pad);
    std[len + pad] = '\0';
    int n = len ? EVP_DecodeBlock(bin, (const unsigned char *)std, (int)(len + pad)) : 0;
    if (n < 0 || (size_t)n < pad)
        goto fail;
    free(std);
    *out_len = (size_t)n - pad;
    bin[*out_len] = '\0';
    *out = bin;
    return true;
fail:
    free(std);
    free(bin);
    return false;
}

void fsim_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[SHA256_DIGEST_SIZE];
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, sizeof md, md);
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof md; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[64] = '\0';
}
