/// One m= line relayed between the two sides.
public struct MediaStreamSpec: Sendable, Equatable {
    /// The m= line index: updates match streams by it, so a re-INVITE that adds video keeps the
    /// audio stream's sockets, latches and statistics.
    public var index: Int
    public var a: MediaLegSpec
    public var b: MediaLegSpec
    /// The stream is RTP (audio, video, SRTP): packets are validated as RTP/RTCP, with DTLS
    /// (RFC 7983 first byte 20-63) passed through. False for other UDP media (T.38 `udptl`):
    /// any datagram from the party is relayed and counts as activity.
    public var carriesRTP: Bool

    public init(index: Int, a: MediaLegSpec, b: MediaLegSpec, carriesRTP: Bool = true) {
        self.index = index
        self.a = a
        self.b = b
        self.carriesRTP = carriesRTP
    }

    public subscript(side: MediaSide) -> MediaLegSpec {
        get { side == .a ? a : b }
        set {
            if side == .a { a = newValue } else { b = newValue }
        }
    }
}
