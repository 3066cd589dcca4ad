/// An RTP/RTCP port pair on the SBC.
///
/// RTP is even and RTCP is the next odd port (RFC 3550 section 11), so only the RTP port is
/// stored: a pair can never be torn apart by a half-applied update.
public struct MediaPortPair: Hashable, Sendable, CustomStringConvertible {
    /// Even RTP port.
    public var rtp: UInt16

    public init(rtp: UInt16) {
        self.rtp = rtp
    }

    /// RTCP is rtp+1.
    public var rtcp: UInt16 { rtp + 1 }

    public var description: String { "\(rtp)/\(rtcp)" }
}
