/// What the SBC received from one side's remote party, and relayed on.
///
/// Named from the receiving side because that is what each side's CDR fields and RTCP-style
/// quality figures describe: the quality of the media that party sent us.
public struct MediaLegStatistics: Sendable, Equatable {
    /// Every datagram that arrived on this side's sockets, strangers and garbage included.
    public var packetsReceived: UInt64
    public var bytesReceived: UInt64
    /// Sent on towards the other side.
    public var packetsForwarded: UInt64
    /// Stranger source, invalid, no destination yet, or a failed send.
    public var packetsDropped: UInt64
    /// Accepted RTCP packets (on the RTCP port or muxed on the RTP port).
    public var rtcpPackets: UInt64
    /// RFC 3550 A.3 cumulative lost (expected - received); negative with duplicates.
    public var packetsLost: Int64
    /// RFC 3550 A.8 interarrival jitter, converted with the clock rate.
    public var jitterMilliseconds: Double
    /// The source the RTP port latched to, if any.
    public var latchedSource: MediaAddress?
    /// SRTP/SRTCP packets from this side that failed authentication (dropped, never latched).
    public var srtpAuthFailures: UInt64 = 0
    /// SRTP/SRTCP packets from this side refused as replays (dropped, never latched).
    public var srtpReplays: UInt64 = 0
    /// Other SRTP failures: unprotecting this side's packets or protecting packets for it.
    public var srtpErrors: UInt64 = 0
    /// Packets on the RTP port refused by the latch: from a stranger, or (under `signalled`,
    /// before latching) from another IP than the party's SDP names. Part of `packetsDropped`.
    public var sourceRejections: UInt64 = 0
    /// Where the last of them came from (a NAT's public address, a softphone's other interface).
    public var lastRejectedSource: MediaAddress?

    public init(packetsReceived: UInt64 = 0, bytesReceived: UInt64 = 0, packetsForwarded: UInt64 = 0,
                packetsDropped: UInt64 = 0, rtcpPackets: UInt64 = 0, packetsLost: Int64 = 0,
                jitterMilliseconds: Double = 0, latchedSource: MediaAddress? = nil) {
        self.packetsReceived = packetsReceived
        self.bytesReceived = bytesReceived
        self.packetsForwarded = packetsForwarded
        self.packetsDropped = packetsDropped
        self.rtcpPackets = rtcpPackets
        self.packetsLost = packetsLost
        self.jitterMilliseconds = jitterMilliseconds
        self.latchedSource = latchedSource
    }

    /// Folds another stream's figures into these: counters add up, jitter takes the worst stream
    /// (a sum of jitters means nothing), the latched source stays the first stream's.
    public mutating func accumulate(_ other: MediaLegStatistics) {
        packetsReceived += other.packetsReceived
        bytesReceived += other.bytesReceived
        packetsForwarded += other.packetsForwarded
        packetsDropped += other.packetsDropped
        rtcpPackets += other.rtcpPackets
        packetsLost += other.packetsLost
        jitterMilliseconds = max(jitterMilliseconds, other.jitterMilliseconds)
        if latchedSource == nil { latchedSource = other.latchedSource }
        srtpAuthFailures += other.srtpAuthFailures
        srtpReplays += other.srtpReplays
        srtpErrors += other.srtpErrors
        sourceRejections += other.sourceRejections
        if other.lastRejectedSource != nil, other.sourceRejections > 0 || lastRejectedSource == nil {
            lastRejectedSource = other.lastRejectedSource
        }
    }
}
