// OpenSSL for Swift: the headers TLS and DTLS-SRTP need, plus functions for the API that
// OpenSSL exposes only as macros (Swift cannot import function-like macros).
#ifndef CSBC_OPENSSL_SHIM_H
#define CSBC_OPENSSL_SHIM_H

#include <openssl/opensslv.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>

/// Human-readable library version, e.g. "OpenSSL 3.0.x ...".
static inline const char *csbc_openssl_version(void) {
    return OpenSSL_version(OPENSSL_VERSION);
}

static inline long csbc_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

static inline long csbc_SSL_set_mode(SSL *ssl, long mode) {
    return SSL_set_mode(ssl, mode);
}

static inline int csbc_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

static inline long csbc_SSL_CTX_set_options(SSL_CTX *ctx, unsigned long options) {
    return (long)SSL_CTX_set_options(ctx, options);
}

static inline int csbc_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

static inline long csbc_BIO_pending(BIO *bio) {
    return (long)BIO_pending(bio);
}

static inline long csbc_BIO_set_mem_eof_return(BIO *bio, int value) {
    return BIO_set_mem_eof_return(bio, value);
}

static inline int csbc_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return (int)SSL_CTX_set1_groups_list(ctx, list);
}

/// Constants that are macros with casts or expressions Swift cannot evaluate.
static inline long csbc_SSL_MODE_ENABLE_PARTIAL_WRITE(void) { return SSL_MODE_ENABLE_PARTIAL_WRITE; }
static inline long csbc_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER(void) { return SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER; }
static inline long csbc_SSL_MODE_RELEASE_BUFFERS(void) { return SSL_MODE_RELEASE_BUFFERS; }

// ---- Used by the TLS module (memory-BIO sessions, certificate inspection). ----

#include <arpa/inet.h>

static inline int csbc_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}

static inline long csbc_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}

/// Adds an intermediate to the context's chain (takes its own reference).
static inline int csbc_SSL_CTX_add1_chain_cert(SSL_CTX *ctx, X509 *x509) {
    return (int)SSL_CTX_add1_chain_cert(ctx, x509);
}

/// The unread bytes of a memory BIO, without copying them.
static inline long csbc_BIO_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

static inline void csbc_OPENSSL_free(void *pointer) {
    OPENSSL_free(pointer);
}

static inline unsigned long csbc_XN_FLAG_RFC2253(void) { return XN_FLAG_RFC2253; }
static inline uint64_t csbc_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t csbc_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }

/// Writes the certificate's subject alternative names to `out`, one a line: "DNS:name",
/// "IP:127.0.0.1" (or an IPv6 address in its short form), "URI:...", "email:...". Other kinds
/// are skipped. Returns the number written, 0 when the certificate has none.
static inline int csbc_X509_write_subject_alt_names(X509 *x509, BIO *out) {
    GENERAL_NAMES *names = X509_get_ext_d2i(x509, NID_subject_alt_name, NULL, NULL);
    if (names == NULL) return 0;
    int written = 0;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
        const char *prefix = NULL;
        const ASN1_STRING *text = NULL;
        switch (name->type) {
        case GEN_DNS: prefix = "DNS:"; text = name->d.dNSName; break;
        case GEN_URI: prefix = "URI:"; text = name->d.uniformResourceIdentifier; break;
        case GEN_EMAIL: prefix = "email:"; text = name->d.rfc822Name; break;
        case GEN_IPADD: {
            char address[INET6_ADDRSTRLEN];
            const ASN1_OCTET_STRING *ip = name->d.iPAddress;
            int family = ASN1_STRING_length(ip) == 4 ? AF_INET : ASN1_STRING_length(ip) == 16 ? AF_INET6 : 0;
            if (family != 0 && inet_ntop(family, ASN1_STRING_get0_data(ip), address, sizeof address) != NULL) {
                BIO_printf(out, "IP:%s\n", address);
                written++;
            }
            continue;
        }
        default: continue;
        }
        BIO_printf(out, "%s%.*s\n", prefix, ASN1_STRING_length(text), (const char *)ASN1_STRING_get0_data(text));
        written++;
    }
    GENERAL_NAMES_free(names);
    return written;
}

// ---- Used by the SRTP module: the per-packet crypto of SRTP/SRTCP (RFC 3711, RFC 7714). ----
// Every function works on contexts keyed once per session key and allocates nothing: a packet
// costs an IV re-initialisation of a preallocated EVP_CIPHER_CTX and, for HMAC-SHA1, two copies
// of precomputed SHA-1 states. Return 1 on success, 0 on failure (open: 0 = tag mismatch, -1 =
// any other failure).

#include <openssl/sha.h>

// Why the low-level SHA-1 API (deprecated in OpenSSL 3.0): HMAC over the EVP interfaces
// (HMAC_CTX, EVP_MAC, EVP_MD_CTX_copy_ex) duplicates the provider's digest context, a malloc
// and a free, for every packet in OpenSSL 3.0-3.2. SHA_CTX is a plain public struct: a keyed
// state is rebuilt on the stack from its five chaining words, and SHA1_Update still runs
// OpenSSL's SHA-NI/AVX code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/// A SHA-1 context that has hashed exactly one 64-byte block and ended in the chaining value
/// `h`: all a keyed HMAC state is, so an HMAC key is kept as 2 x 5 words (one cache line)
/// rather than two 96-byte SHA_CTX.
static inline void csbc_sha1_resume(SHA_CTX *ctx, const unsigned int h[5]) {
    ctx->h0 = h[0]; ctx->h1 = h[1]; ctx->h2 = h[2]; ctx->h3 = h[3]; ctx->h4 = h[4];
    ctx->Nl = SHA_CBLOCK * 8;
    ctx->Nh = 0;
    ctx->num = 0;
}

/// Keys HMAC-SHA1 once (RFC 2104): `state` gets the SHA-1 chaining values after the key XOR
/// ipad block (words 0-4) and after the key XOR opad block (words 5-9). `key` is at most 64
/// bytes (an SRTP authentication key is 20).
static inline int csbc_hmac_sha1_init(unsigned int state[10], const unsigned char *key, size_t keyLength) {
    unsigned char pad[SHA_CBLOCK];
    SHA_CTX ctx;
    if (keyLength > SHA_CBLOCK) return 0;
    int ok = 1;
    for (int half = 0; half < 2; half++) {
        unsigned char xor = half == 0 ? 0x36 : 0x5c;
        for (size_t i = 0; i < SHA_CBLOCK; i++) pad[i] = (unsigned char)((i < keyLength ? key[i] : 0) ^ xor);
        ok = ok && SHA1_Init(&ctx) && SHA1_Update(&ctx, pad, SHA_CBLOCK);
        unsigned int *h = state + 5 * half;
        h[0] = ctx.h0; h[1] = ctx.h1; h[2] = ctx.h2; h[3] = ctx.h3; h[4] = ctx.h4;
    }
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(&ctx, sizeof ctx);
    return ok;
}

/// HMAC-SHA1 of `data` followed by `suffix` (SRTP's rollover counter; NULL for none) into
/// `digest` (20 bytes), from the state `csbc_hmac_sha1_init` prepared.
static inline int csbc_hmac_sha1(const unsigned int state[10], const unsigned char *data, size_t length,
                                 const unsigned char *suffix, size_t suffixLength, unsigned char digest[SHA_DIGEST_LENGTH]) {
    SHA_CTX ctx;
    csbc_sha1_resume(&ctx, state);
    int ok = SHA1_Update(&ctx, data, length)
        && (suffix == NULL || SHA1_Update(&ctx, suffix, suffixLength))
        && SHA1_Final(digest, &ctx);
    csbc_sha1_resume(&ctx, state + 5);
    ok = ok && SHA1_Update(&ctx, digest, SHA_DIGEST_LENGTH) && SHA1_Final(digest, &ctx);
    OPENSSL_cleanse(&ctx, sizeof ctx);
    return ok;
}

#pragma GCC diagnostic pop

/// AES in counter mode over `data` in place, starting at the 16-byte counter block `iv`
/// (RFC 3711 4.1.1: the block counter is the low 16 bits, which packets never overflow).
static inline int csbc_aes_ctr_apply(EVP_CIPHER_CTX *ctx, const unsigned char iv[16], unsigned char *data, int length) {
    int written = 0;
    if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) != 1) return 0;
    return length == 0 || (EVP_EncryptUpdate(ctx, data, &written, data, length) == 1 && written == length);
}

/// AES-GCM encryption of `data` in place with the 12-byte `iv`, authenticating `aad` and then
/// `aad2` (NULL for none: SRTCP's trailer is the second part), and the 16-byte tag into `tag`.
static inline int csbc_aes_gcm_seal(EVP_CIPHER_CTX *ctx, const unsigned char iv[12],
                                    const unsigned char *aad, int aadLength, const unsigned char *aad2, int aad2Length,
                                    unsigned char *data, int length, unsigned char tag[16]) {
    int written = 0;
    unsigned char final[16];
    return EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) == 1
        && EVP_EncryptUpdate(ctx, NULL, &written, aad, aadLength) == 1
        && (aad2 == NULL || EVP_EncryptUpdate(ctx, NULL, &written, aad2, aad2Length) == 1)
        && (length == 0 || EVP_EncryptUpdate(ctx, data, &written, data, length) == 1)
        && EVP_EncryptFinal_ex(ctx, final, &written) == 1
        && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
}

/// AES-GCM decryption of `data` in place, checking `tag` (OpenSSL compares it in constant
/// time). Returns 1 when authentic, 0 when the tag does not match, -1 on any other failure.
/// After 0 the data is decrypted but must not be used.
static inline int csbc_aes_gcm_open(EVP_CIPHER_CTX *ctx, const unsigned char iv[12],
                                    const unsigned char *aad, int aadLength, const unsigned char *aad2, int aad2Length,
                                    unsigned char *data, int length, const unsigned char tag[16]) {
    int written = 0;
    unsigned char final[16];
    if (EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, iv) != 1
        || EVP_DecryptUpdate(ctx, NULL, &written, aad, aadLength) != 1
        || (aad2 != NULL && EVP_DecryptUpdate(ctx, NULL, &written, aad2, aad2Length) != 1)
        || (length != 0 && EVP_DecryptUpdate(ctx, data, &written, data, length) != 1)
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) != 1) {
        return -1;
    }
    return EVP_DecryptFinal_ex(ctx, final, &written) == 1 ? 1 : 0;
}

#endif
