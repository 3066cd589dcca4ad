import SDP

/// The crypto of one protocol, SRTP or SRTCP, under one master key, whichever family the suite
/// belongs to: one predictable branch per packet picks counter mode + HMAC-SHA1 or GCM.
///
/// Each call protects (`.outbound`: encrypts and writes the tag to `tag`) or unprotects
/// (`.inbound`: checks the tag at `tag` and decrypts), in place. Noncopyable like the OpenSSL
/// state it holds: the owning ``SRTPContext`` builds it once and it frees its contexts when the
/// owner goes.
enum SRTPTransform: ~Copyable {
    case counterMode(SRTPCounterModeTransform)
    case aead(SRTPAEADTransform)

    /// The transform of `suite` for SRTP (`rtcp` false) or SRTCP keyed with `keys`. The `_32`
    /// suites shorten only the SRTP tag; SRTCP keeps 80 bits (RFC 4568 §6.2).
    init(suite: SRTPCryptoSuite, keys: SRTPSessionKeys, rtcp: Bool) throws(SRTPSetupError) {
        if suite.isAEAD {
            self = .aead(try SRTPAEADTransform(keys: keys))
        } else {
            let tagLength = rtcp ? suite.rtcpTagLength : suite.rtpTagLength
            self = .counterMode(try SRTPCounterModeTransform(keys: keys, tagLength: tagLength))
        }
    }

    /// An RTP packet whose payload is `headerLength..<payloadEnd`, at packet index `index`.
    @inline(__always)
    func transformRTP(_ direction: SRTPDirection, _ packet: UnsafeMutablePointer<UInt8>, headerLength: Int, payloadEnd: Int,
                      ssrc: UInt32, index: UInt64, tag: UnsafeMutablePointer<UInt8>) -> AESCipher.Outcome {
        switch self {
        case .counterMode(let cm):
            cm.transformRTP(direction, packet, headerLength: headerLength, payloadEnd: payloadEnd, ssrc: ssrc, index: index, tag: tag)
        case .aead(let gcm):
            gcm.transformRTP(direction, packet, headerLength: headerLength, payloadEnd: payloadEnd, ssrc: ssrc, index: index, tag: tag)
        }
    }

    /// A compound RTCP packet of `payloadEnd` bytes; `trailer` is its E flag and SRTCP index
    /// word, already written where the layout puts it.
    @inline(__always)
    func transformRTCP(_ direction: SRTPDirection, _ packet: UnsafeMutablePointer<UInt8>, payloadEnd: Int, ssrc: UInt32,
                       index: UInt32, encrypted: Bool, trailer: UnsafePointer<UInt8>,
                       tag: UnsafeMutablePointer<UInt8>) -> AESCipher.Outcome {
        switch self {
        case .counterMode(let cm):
            cm.transformRTCP(direction, packet, payloadEnd: payloadEnd, ssrc: ssrc, index: index, encrypted: encrypted, tag: tag)
        case .aead(let gcm):
            gcm.transformRTCP(direction, packet, payloadEnd: payloadEnd, ssrc: ssrc, index: index, encrypted: encrypted,
                              trailer: trailer, tag: tag)
        }
    }
}
