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

#endif
