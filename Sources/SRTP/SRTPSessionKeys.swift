import SDP

/// The session keys one master key yields for one protocol, SRTP or SRTCP (RFC 3711 §4.3): the
/// encryption key, the HMAC-SHA1 key (none for the AEAD suites, whose GCM tag needs no key of
/// its own) and the salt the IVs are built from.
///
/// A value that only lives while a context is built: the transforms copy what they need into
/// their OpenSSL state, and ``wipe()`` then clears these copies. RFC 7714's test vectors give
/// session keys directly, which is why the transforms take this rather than a master key.
struct SRTPSessionKeys: Sendable {
    var encryption: [UInt8]
    var authentication: [UInt8]
    var salt: [UInt8]

    /// The SRTP and SRTCP session keys of `suite` from a master key and salt (`keyAndSalt`, as
    /// `a=crypto` carries it).
    static func derive(suite: SRTPCryptoSuite, keyAndSalt: [UInt8]) throws(SRTPSetupError) -> (rtp: Self, rtcp: Self) {
        let kdf = try SRTPKeyDerivation(masterKey: Array(keyAndSalt.prefix(suite.masterKeyLength)),
                                        masterSalt: Array(keyAndSalt.dropFirst(suite.masterKeyLength)))
        let authenticationLength = suite.isAEAD ? 0 : HMACSHA1.digestLength
        let rtp = Self(encryption: try kdf.derive(.rtpEncryption, count: suite.masterKeyLength),
                       authentication: try kdf.derive(.rtpAuthentication, count: authenticationLength),
                       salt: try kdf.derive(.rtpSalt, count: suite.masterSaltLength))
        let rtcp = Self(encryption: try kdf.derive(.rtcpEncryption, count: suite.masterKeyLength),
                        authentication: try kdf.derive(.rtcpAuthentication, count: authenticationLength),
                        salt: try kdf.derive(.rtcpSalt, count: suite.masterSaltLength))
        return (rtp, rtcp)
    }

    /// Overwrites the key bytes in place. Best effort: Swift arrays give no guarantee that no
    /// other copy of the bytes exists (a buffer shared with another array is copied, not wiped).
    mutating func wipe() {
        for index in encryption.indices { encryption[index] = 0 }
        for index in authentication.indices { authentication[index] = 0 }
        for index in salt.indices { salt[index] = 0 }
    }
}
