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

#endif
