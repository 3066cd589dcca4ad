import SDP

/// Where the parts a context appends to a packet go, as offsets from the end of the RTP or RTCP
/// packet it protects (`payloadEnd`), computed once per context.
///
/// The order differs by family (RFC 3711 §3.1 and §3.4, RFC 7714 §8.1 and §9.1):
///
/// | | after the packet |
/// |---|---|
/// | SRTP, counter mode | MKI, tag |
/// | SRTP, GCM | tag, MKI |
/// | SRTCP, counter mode | E flag + index, MKI, tag |
/// | SRTCP, GCM | tag, E flag + index, MKI |
///
/// Stored in bytes (a trailer is at most 148 bytes) so that the layout shares its context's
/// first cache line with the rest of what a packet reads.
struct SRTPTrailerLayout: Sendable, Hashable {
    private let tagOffset: UInt8
    private let mkiOffset: UInt8
    private let indexOffset: UInt8
    private let totalLength: UInt8

    var tag: Int { Int(tagOffset) }
    var mki: Int { Int(mkiOffset) }
    /// The SRTCP E flag and index word; unused for SRTP.
    var index: Int { Int(indexOffset) }
    /// Everything appended.
    var length: Int { Int(totalLength) }

    private init(tag: Int, mki: Int, index: Int, length: Int) {
        tagOffset = UInt8(tag)
        mkiOffset = UInt8(mki)
        indexOffset = UInt8(index)
        totalLength = UInt8(length)
    }

    static func rtp(suite: SRTPCryptoSuite, mkiLength: Int) -> Self {
        let tagLength = suite.rtpTagLength
        return suite.isAEAD
            ? Self(tag: 0, mki: tagLength, index: 0, length: tagLength + mkiLength)
            : Self(tag: mkiLength, mki: 0, index: 0, length: mkiLength + tagLength)
    }

    static func rtcp(suite: SRTPCryptoSuite, mkiLength: Int) -> Self {
        let tagLength = suite.rtcpTagLength
        return suite.isAEAD
            ? Self(tag: 0, mki: tagLength + 4, index: tagLength, length: tagLength + 4 + mkiLength)
            : Self(tag: 4 + mkiLength, mki: 4, index: 0, length: 4 + mkiLength + tagLength)
    }
}
