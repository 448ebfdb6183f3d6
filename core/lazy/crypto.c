/* OpenSSL's libcrypto, loaded on first use (lazy_internal.h): digests and base64
 * (core/util), the JWTs and token checks of core/gcp, uploads' MD5 (core/gcs), the API's
 * key comparison and request ids, and the tests' keys. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "lazy_internal.h"

#define CRYPTO_FUNCTIONS(F, V, H)                                                               \
    F(unsigned long, OpenSSL_version_num, (void), ())                                        \
    F(const char *, OpenSSL_version, (int type), (type))                                     \
    V(OPENSSL_cleanse, (void *ptr, size_t len), (ptr, len))                                  \
    F(int, CRYPTO_memcmp, (const void *a, const void *b, size_t len), (a, b, len))           \
    V(CRYPTO_free, (void *ptr, const char *file, int line), (ptr, file, line))               \
    V(ERR_clear_error, (void), ())                                                           \
    F(int, RAND_bytes, (unsigned char *buf, int num), (buf, num))                            \
    /* BIO */                                                                                \
    F(BIO *, BIO_new, (const BIO_METHOD *type), (type))                                      \
    F(BIO *, BIO_new_mem_buf, (const void *buf, int len), (buf, len))                        \
    F(const BIO_METHOD *, BIO_s_mem, (void), ())                                             \
    F(int, BIO_free, (BIO *a), (a))                                                          \
    F(long, BIO_ctrl, (BIO *bp, int cmd, long larg, void *parg), (bp, cmd, larg, parg))      \
    /* BIGNUM */                                                                             \
    F(BIGNUM *, BN_bin2bn, (const unsigned char *s, int len, BIGNUM *ret), (s, len, ret))    \
    F(int, BN_bn2bin, (const BIGNUM *a, unsigned char *to), (a, to))                         \
    F(int, BN_num_bits, (const BIGNUM *a), (a))                                              \
    V(BN_free, (BIGNUM *a), (a))                                                             \
    /* digests and base64 */                                                                 \
    F(const EVP_MD *, EVP_md5, (void), ())                                                   \
    F(const EVP_MD *, EVP_sha256, (void), ())                                                \
    F(EVP_MD *, EVP_MD_fetch, (OSSL_LIB_CTX *ctx, const char *algorithm,                     \
      const char *properties), (ctx, algorithm, properties))                                 \
    V(EVP_MD_free, (EVP_MD *md), (md))                                                       \
    F(EVP_MD_CTX *, EVP_MD_CTX_new, (void), ())                                              \
    V(EVP_MD_CTX_free, (EVP_MD_CTX *ctx), (ctx))                                             \
    F(int, EVP_Digest, (const void *data, size_t count, unsigned char *md,                   \
      unsigned int *size, const EVP_MD *type, ENGINE *impl),                                 \
      (data, count, md, size, type, impl))                                                   \
    F(int, EVP_DigestInit_ex, (EVP_MD_CTX *ctx, const EVP_MD *type, ENGINE *impl),           \
      (ctx, type, impl))                                                                     \
    F(int, EVP_DigestUpdate, (EVP_MD_CTX *ctx, const void *d, size_t cnt), (ctx, d, cnt))    \
    F(int, EVP_DigestFinal_ex, (EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s),        \
      (ctx, md, s))                                                                          \
    F(int, EVP_EncodeBlock, (unsigned char *t, const unsigned char *f, int n), (t, f, n))    \
    F(int, EVP_DecodeBlock, (unsigned char *t, const unsigned char *f, int n), (t, f, n))    \
    F(unsigned char *, EVP_Q_mac,                                                            \
      (OSSL_LIB_CTX *libctx, const char *name, const char *propq, const char *subalg,        \
       const OSSL_PARAM *params, const void *key, size_t keylen, const unsigned char *data,  \
       size_t datalen, unsigned char *out, size_t outsize, size_t *outlen),                  \
      (libctx, name, propq, subalg, params, key, keylen, data, datalen, out, outsize,        \
       outlen))                                                                              \
    /* signatures and keys */                                                                \
    F(int, EVP_DigestSignInit, (EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type,    \
      ENGINE *e, EVP_PKEY *pkey), (ctx, pctx, type, e, pkey))                                \
    F(int, EVP_DigestSign, (EVP_MD_CTX *ctx, unsigned char *sigret, size_t *siglen,          \
      const unsigned char *tbs, size_t tbslen), (ctx, sigret, siglen, tbs, tbslen))          \
    F(int, EVP_DigestVerifyInit, (EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type,  \
      ENGINE *e, EVP_PKEY *pkey), (ctx, pctx, type, e, pkey))                                \
    F(int, EVP_DigestVerify, (EVP_MD_CTX *ctx, const unsigned char *sigret, size_t siglen,   \
      const unsigned char *tbs, size_t tbslen), (ctx, sigret, siglen, tbs, tbslen))          \
    F(EVP_PKEY_CTX *, EVP_PKEY_CTX_new_from_name, (OSSL_LIB_CTX *libctx, const char *name,   \
      const char *propquery), (libctx, name, propquery))                                     \
    V(EVP_PKEY_CTX_free, (EVP_PKEY_CTX *ctx), (ctx))                                         \
    F(int, EVP_PKEY_fromdata_init, (EVP_PKEY_CTX *ctx), (ctx))                               \
    F(int, EVP_PKEY_fromdata, (EVP_PKEY_CTX *ctx, EVP_PKEY **ppkey, int selection,           \
      OSSL_PARAM param[]), (ctx, ppkey, selection, param))                                   \
    F(int, EVP_PKEY_get_base_id, (const EVP_PKEY *pkey), (pkey))                             \
    F(int, EVP_PKEY_get_bits, (const EVP_PKEY *pkey), (pkey))                                \
    F(int, EVP_PKEY_get_bn_param, (const EVP_PKEY *pkey, const char *key_name, BIGNUM **bn), \
      (pkey, key_name, bn))                                                                  \
    F(int, EVP_PKEY_up_ref, (EVP_PKEY *pkey), (pkey))                                        \
    V(EVP_PKEY_free, (EVP_PKEY *pkey), (pkey))                                               \
    F(OSSL_PARAM_BLD *, OSSL_PARAM_BLD_new, (void), ())                                      \
    F(int, OSSL_PARAM_BLD_push_BN, (OSSL_PARAM_BLD *bld, const char *key, const BIGNUM *bn), \
      (bld, key, bn))                                                                        \
    F(OSSL_PARAM *, OSSL_PARAM_BLD_to_param, (OSSL_PARAM_BLD *bld), (bld))                   \
    V(OSSL_PARAM_BLD_free, (OSSL_PARAM_BLD *bld), (bld))                                     \
    V(OSSL_PARAM_free, (OSSL_PARAM *p), (p))                                                 \
    F(EVP_PKEY *, PEM_read_bio_PrivateKey, (BIO *bp, EVP_PKEY **x, pem_password_cb *cb,      \
      void *u), (bp, x, cb, u))                                                              \
    F(EVP_PKEY *, PEM_read_PUBKEY, (FILE *fp, EVP_PKEY **x, pem_password_cb *cb, void *u),   \
      (fp, x, cb, u))                                                                        \
    F(int, PEM_write_bio_PrivateKey, (BIO *bp, const EVP_PKEY *x, const EVP_CIPHER *enc,     \
      const unsigned char *kstr, int klen, pem_password_cb *cb, void *u),                    \
      (bp, x, enc, kstr, klen, cb, u))                                                       \
    F(int, PEM_write_bio_PUBKEY, (BIO *bp, const EVP_PKEY *x), (bp, x))                      \
    H(EVP_PKEY_Q_keygen)

#define FSIM__LAZY_VAR fsim__lazy_crypto
FSIM__LAZY_DEFINE(CRYPTO, CRYPTO_FUNCTIONS)

/* Variadic: passes on the one argument the key type takes (EVP_PKEY_Q_keygen(3): "RSA" a
 * size_t of bits, "EC" a curve name, the others none). */
EVP_PKEY *EVP_PKEY_Q_keygen(OSSL_LIB_CTX *libctx, const char *propq, const char *type, ...)
{
    fsim__lazy_ensure(&FSIM__LAZY_VAR, "EVP_PKEY_Q_keygen");
    EVP_PKEY *(*f)(OSSL_LIB_CTX *, const char *, const char *, ...) =
        (EVP_PKEY * (*)(OSSL_LIB_CTX *, const char *, const char *, ...)) FSIM__LAZY_FN(EVP_PKEY_Q_keygen);
    va_list ap;
    va_start(ap, type);
    EVP_PKEY *key;
    if (strcmp(type, "RSA") == 0)
        key = f(libctx, propq, type, va_arg(ap, size_t));
    else if (strcmp(type, "EC") == 0)
        key = f(libctx, propq, type, va_arg(ap, char *));
    else
        key = f(libctx, propq, type);
    va_end(ap);
    return key;
}
