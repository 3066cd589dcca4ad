import CSBCOpenSSL

/// AES counter mode with an HMAC-SHA1 tag (RFC 3711 §4.1.1, §4.2.1): the crypto of one
/// protocol, SRTP or SRTCP, under one master key.
///
/// It encrypts, decrypts and tags the byte ranges ``SRTPContext`` gives it and knows nothing of
/// streams or replay. An SRTP tag covers the header, the encrypted payload and the 32-bit
/// rollover counter (which is not sent); an SRTCP tag covers the packet up to and including the
/// E flag and SRTCP index word. Neither covers the MKI. Inbound packets are authenticated
/// before anything is decrypted, so a forged packet leaves its buffer as it came.
struct SRTPCounterModeTransform: ~Copyable {
    private let cipher: AESCipher
    private let authentication: HMACSHA1
    private let salt: SRTPSalt
    /// Bytes of the HMAC sent: 10, or 4 for SRTP under the `_32` suites.
    let tagLength: Int

    init(keys: SRTPSessionKeys, tagLength: Int) throws(SRTPSetupError) {
        // Both built before either is stored: a noncopyable member cannot be left half-initialised.
        let cipher = try AESCipher(mode: .counter, key: keys.encryption)
        let authentication = try HMACSHA1(key: keys.authentication)
        self.cipher = cipher
        self.authentication = authentication
        salt = SRTPSalt(keys.salt)
        self.tagLength = tagLength
    }

    /// SRTP: the payload is `headerLength..<payloadEnd`; the tag also covers the rollover counter.
    @inline(__always)
    func transformRTP(_ direction: SRTPDirection, _ packet: UnsafeMutablePointer<UInt8>, headerLength: Int,
                      payloadEnd: Int, ssrc: UInt32, index: UInt64, tag: UnsafeMutablePointer<UInt8>) -> AESCipher.Outcome {
        var rolloverCounter = UInt32(truncatingIfNeeded: index >> 16).bigEndian
        return withUnsafeBytes(of: &rolloverCounter) { suffix in
            transform(direction, packet, encryptedFrom: headerLength, authenticatedCount: payloadEnd, payloadEnd: payloadEnd,
                      suffix: suffix, ssrc: ssrc, index: index, tag: tag)
        }
    }

    /// SRTCP: the compound packet after its first 8 bytes is encrypted unless `encrypted` is
    /// false; the tag covers the E flag and index word the caller wrote at `payloadEnd`.
    @inline(__always)
    func transformRTCP(_ direction: SRTPDirection, _ packet: UnsafeMutablePointer<UInt8>, payloadEnd: Int, ssrc: UInt32,
                       index: UInt32, encrypted: Bool, tag: UnsafeMutablePointer<UInt8>) -> AESCipher.Outcome {
        transform(direction, packet, encryptedFrom: encrypted ? 8 : payloadEnd, authenticatedCount: payloadEnd + 4,
                  payloadEnd: payloadEnd, suffix: UnsafeRawBufferPointer(start: nil, count: 0), ssrc: ssrc,
                  index: UInt64(index), tag: tag)
    }

    /// Outbound: encrypt, then tag. Inbound: check the tag in constant time (`CRYPTO_memcmp`,
    /// so the time taken tells a forger nothing about how much of its tag was right), then
    /// decrypt.
    @inline(__always)
    private func transform(_ direction: SRTPDirection, _ packet: UnsafeMutablePointer<UInt8>, encryptedFrom start: Int,
                           authenticatedCount: Int, payloadEnd: Int, suffix: UnsafeRawBufferPointer, ssrc: UInt32,
                           index: UInt64, tag: UnsafeMutablePointer<UInt8>) -> AESCipher.Outcome {
        var iv = salt.counterModeIV(ssrc: ssrc, index: index)
        var digest: (UInt64, UInt64, UInt32) = (0, 0, 0)
        return withUnsafeBytes(of: &iv) { iv in
            withUnsafeMutableBytes(of: &digest) { digest in
                let digest = digest.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let suffixBytes = suffix.baseAddress?.assumingMemoryBound(to: UInt8.self)
                if direction == .outbound {
                    guard cipher.applyKeystream(iv: iv.baseAddress!, to: packet + start, count: payloadEnd - start),
                          authentication.authenticate(packet, count: authenticatedCount, suffix: suffixBytes,
                                                      suffixCount: suffix.count, digest: digest) else { return .failed }
                    tag.update(from: digest, count: tagLength)
                    return .ok
                }
                guard authentication.authenticate(packet, count: authenticatedCount, suffix: suffixBytes,
                                                  suffixCount: suffix.count, digest: digest) else { return .failed }
                guard CRYPTO_memcmp(digest, tag, tagLength) == 0 else { return .forged }
                return cipher.applyKeystream(iv: iv.baseAddress!, to: packet + start, count: payloadEnd - start) ? .ok : .failed
            }
        }
    }
}
