// libsrtp2 for Swift. The crypto-policy setters are real functions in libsrtp2 but some are
// aliases declared by macro; these wrappers give Swift one stable spelling for each profile.
#ifndef CSBC_SRTP_SHIM_H
#define CSBC_SRTP_SHIM_H

#include <srtp2/srtp.h>

/// Trailer room a protected packet may need past its payload (auth tag + MKI).
static inline int csbc_srtp_max_trailer_len(void) { return SRTP_MAX_TRAILER_LEN; }

static inline const char *csbc_srtp_version_string(void) {
    return srtp_get_version_string();
}

static inline void csbc_srtp_policy_aes_cm_128_hmac_sha1_80(srtp_crypto_policy_t *p) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(p);
}

static inline void csbc_srtp_policy_aes_cm_128_hmac_sha1_32(srtp_crypto_policy_t *p) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(p);
}

static inline void csbc_srtp_policy_aes_gcm_128_16_auth(srtp_crypto_policy_t *p) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(p);
}

static inline void csbc_srtp_policy_aes_gcm_256_16_auth(srtp_crypto_policy_t *p) {
    srtp_crypto_policy_set_aes_gcm_256_16_auth(p);
}

static inline void csbc_srtp_policy_rtcp_default(srtp_crypto_policy_t *p) {
    srtp_crypto_policy_set_rtcp_default(p);
}

#endif
