/// The RTP relay's counters for one side of a call, taken when the call ends.
///
/// Stored with the CDR because "was the audio bad, and whose fault was it" is asked after the
/// call, when the relay's live counters are gone: loss and jitter show the carrier's media
/// quality, dropped packets reveal injection or bleed attempts on the SBC's ports, and the
/// latched source says where the media actually came from (which NAT'd address, which media
/// server). One value per side, in the `call_media` table (docs/CDR.md); Codable with the same
/// names as its columns (snake_case) for `sbc cdr --json`. Counters are `Int64`, SQLite's
/// INTEGER, rather than the relay's `UInt64`: no call gets near 2^63 packets or bytes.
public struct CallMediaLeg: Sendable, Equatable, Codable {
    /// "a" for the leg the call came in on (the platform's side), "b" for the leg the SBC
    /// originated towards the carrier.
    public var side: String
    /// Trunk of that leg, nil when not known (e.g. no B-leg was ever answered).
    public var trunk: String?
    /// Datagrams that arrived on that side's relay sockets, strangers and garbage included.
    public var packetsReceived: Int64
    /// UDP payload bytes of those datagrams.
    public var bytesReceived: Int64
    /// Packets relayed to the other side.
    public var packetsForwarded: Int64
    /// Packets not relayed: a stranger source (before or after latching), invalid RTP, no
    /// destination yet, or a failed send. Strangers are how RTP injection and bleed show up.
    public var packetsDropped: Int64
    /// RTCP packets received from that side.
    public var rtcpPackets: Int64
    /// RFC 3550 (A.3) cumulative packets lost from that side, expected minus received: signed,
    /// because duplicates can make it negative.
    public var packetsLost: Int64
    /// RFC 3550 (A.8) interarrival jitter of that side's RTP, in milliseconds (the worst stream
    /// when the call carried several).
    public var jitterMs: Double
    /// "ip:port" the relay latched onto for that side; nil if it never latched (nothing valid
    /// arrived from an allowed source), which with a `media_timeout` points at that side.
    public var latchedSource: String?
    /// SRTP/SRTCP packets from that side that failed authentication: dropped, never latched.
    /// Forged or stale-keyed media shows here (0 in rows from before migration 5, and on plain legs).
    public var srtpAuthFailures: Int64
    /// SRTP/SRTCP packets from that side refused as replays.
    public var srtpReplays: Int64
    /// Other SRTP failures on that side (unprotecting what it sent, protecting what it got).
    public var srtpErrors: Int64

    public init(side: String, trunk: String? = nil, packetsReceived: Int64, bytesReceived: Int64,
                packetsForwarded: Int64, packetsDropped: Int64, rtcpPackets: Int64, packetsLost: Int64,
                jitterMs: Double, latchedSource: String? = nil, srtpAuthFailures: Int64 = 0, srtpReplays: Int64 = 0,
                srtpErrors: Int64 = 0) {
        self.side = side
        self.trunk = trunk
        self.packetsReceived = packetsReceived
        self.bytesReceived = bytesReceived
        self.packetsForwarded = packetsForwarded
        self.packetsDropped = packetsDropped
        self.rtcpPackets = rtcpPackets
        self.packetsLost = packetsLost
        self.jitterMs = jitterMs
        self.latchedSource = latchedSource
        self.srtpAuthFailures = srtpAuthFailures
        self.srtpReplays = srtpReplays
        self.srtpErrors = srtpErrors
    }
}
