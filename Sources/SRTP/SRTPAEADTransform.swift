/// AEAD_AES_128_GCM and AEAD_AES_256_GCM (RFC 7714): the crypto of one protocol, SRTP or SRTCP,
/// under one master key.
///
/// One GCM pass encrypts and authenticates; the 16-byte tag follows the ciphertext. For SRTP the
/// RTP header (with its extensions) is the associated data. For SRTCP it is the first 8 bytes
/// and the E flag and index word, which follows the tag on the wire; with the E flag clear the
/// whole packet is associated data and nothing is encrypted (§9.2). GCM decrypts while it
/// authenticates, so a forged packet's buffer holds garbage afterwards: the caller drops it.
struct SRTPAEADTransform: ~Copyable {
    private let cipher: AESCipher
    private let salt: SRTPSalt

    static let tagLength = 16

    init(keys: SRTPSessionKeys) throws(SRTPSetupError) {
        cipher = try AESCipher(mode: .gcm, key: keys.encryption)
        salt = SRTPSalt(keys.salt)
    }

    /// SRTP: the header is associated data, the payload (`headerLength..<payloadEnd`) encrypted.
    @inline(__always)
    func transformRTP(_ direction: SRTPDirection, _ packet: UnsafeMutablePointer<UInt8>, headerLength: Int,
                      payloadEnd: Int, ssrc: UInt32, index: UInt64, tag: UnsafeMutablePointer<UInt8>) -> AESCipher.Outcome {
        transform(direction, packet, associatedCount: headerLength, trailer: nil, payloadEnd: payloadEnd, ssrc: ssrc,
                  index: index, tag: tag)
    }

    /// SRTCP: `trailer` is the E flag and index word the caller already wrote (after the tag).
    @inline(__always)
    func transformRTCP(_ direction: SRTPDirection, _ packet: UnsafeMutablePointer<UInt8>, payloadEnd: Int, ssrc: UInt32,
                       index: UInt32, encrypted: Bool, trailer: UnsafePointer<UInt8>,
                       tag: UnsafeMutablePointer<UInt8>) -> AESCipher.Outcome {
        transform(direction, packet, associatedCount: encrypted ? 8 : payloadEnd, trailer: trailer, payloadEnd: payloadEnd,
                  ssrc: ssrc, index: UInt64(index), tag: tag)
    }

    /// Seals (outbound) or opens (inbound) `associatedCount..<payloadEnd`, with the bytes before
    /// it and then `trailer` (4 bytes, if any) as associated data.
    @inline(__always)
    private func transform(_ direction: SRTPDirection, _ packet: UnsafeMutablePointer<UInt8>, associatedCount: Int,
                           trailer: UnsafePointer<UInt8>?, payloadEnd: Int, ssrc: UInt32, index: UInt64,
                           tag: UnsafeMutablePointer<UInt8>) -> AESCipher.Outcome {
        var iv = salt.gcmIV(ssrc: ssrc, index: index)
        return withUnsafeBytes(of: &iv) { iv in
            switch direction {
            case .outbound:
                cipher.seal(iv: iv.baseAddress!, aad: packet, aadCount: associatedCount, aad2: trailer,
                            aad2Count: trailer == nil ? 0 : 4, data: packet + associatedCount,
                            count: payloadEnd - associatedCount, tag: tag) ? .ok : .failed
            case .inbound:
                cipher.open(iv: iv.baseAddress!, aad: packet, aadCount: associatedCount, aad2: trailer,
                            aad2Count: trailer == nil ? 0 : 4, data: packet + associatedCount,
                            count: payloadEnd - associatedCount, tag: tag)
            }
        }
    }
}
