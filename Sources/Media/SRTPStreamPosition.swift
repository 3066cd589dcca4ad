/// Where one SSRC's SRTP stream stood under one key when the relay last reported it: enough for
/// a new process to carry on with the same keys after a restart (docs/RESTART.md).
///
/// Why it must be kept: the rollover counter is never sent (RFC 3711 §3.3.1). A context built
/// afresh starts at 0, so a call older than one sequence-number wrap (65,536 packets, about
/// 22 minutes of 20 ms audio) would no longer authenticate in either direction; and the SBC's
/// own SRTCP index would start over below what the peer has seen, which it refuses as replays.
public struct SRTPStreamPosition: Sendable, Equatable, Hashable {
    public var ssrc: UInt32
    /// Highest SRTP packet index (rollover counter << 16 | sequence number); nil: no RTP yet.
    public var rtpIndex: UInt64?
    /// Highest SRTCP index; nil: no RTCP yet.
    public var rtcpIndex: UInt32?

    public init(ssrc: UInt32, rtpIndex: UInt64?, rtcpIndex: UInt32?) {
        self.ssrc = ssrc
        self.rtpIndex = rtpIndex
        self.rtcpIndex = rtcpIndex
    }

    /// The rollover counter of the RTP index, for logs and tests.
    public var rolloverCounter: UInt32? { rtpIndex.map { UInt32(truncatingIfNeeded: $0 >> 16) } }
}
