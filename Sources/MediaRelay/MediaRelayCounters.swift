/// Relay-wide totals for metrics, summed over workers.
///
/// Each worker publishes its own at every timeout tick (and after commands), so reading them
/// never touches the packet path; they lag by at most one `timeoutCheckInterval`.
public struct MediaRelayCounters: Sendable, Equatable {
    public var sessions: Int
    public var packetsRelayed: UInt64
    public var packetsDropped: UInt64
    public var bytesRelayed: UInt64
    public var timeouts: UInt64
    /// ICMP port/host/network unreachable errors for packets the relay sent, to any destination:
    /// only those naming a side's current RTP destination reach signalling
    /// (`MediaEvent.unreachable`); the rest (late errors for a party that was replaced, a party
    /// that never opened its RTCP port) show here alone.
    public var icmpErrors: UInt64
    /// SRTP/SRTCP packets dropped because they failed authentication (forged, corrupted, or
    /// keyed with a key the SBC did not agree to).
    public var srtpAuthFailures: UInt64
    /// SRTP/SRTCP packets dropped as replays (index already seen, or older than the window).
    public var srtpReplays: UInt64
    /// Other SRTP failures on either direction (protect errors, expired keys, contexts that
    /// could not be built, malformed SRTP).
    public var srtpErrors: UInt64

    public init(sessions: Int = 0, packetsRelayed: UInt64 = 0, packetsDropped: UInt64 = 0,
                bytesRelayed: UInt64 = 0, timeouts: UInt64 = 0, icmpErrors: UInt64 = 0,
                srtpAuthFailures: UInt64 = 0, srtpReplays: UInt64 = 0, srtpErrors: UInt64 = 0) {
        self.sessions = sessions
        self.packetsRelayed = packetsRelayed
        self.packetsDropped = packetsDropped
        self.bytesRelayed = bytesRelayed
        self.timeouts = timeouts
        self.icmpErrors = icmpErrors
        self.srtpAuthFailures = srtpAuthFailures
        self.srtpReplays = srtpReplays
        self.srtpErrors = srtpErrors
    }

    public static func + (lhs: MediaRelayCounters, rhs: MediaRelayCounters) -> MediaRelayCounters {
        MediaRelayCounters(sessions: lhs.sessions + rhs.sessions,
                           packetsRelayed: lhs.packetsRelayed + rhs.packetsRelayed,
                           packetsDropped: lhs.packetsDropped + rhs.packetsDropped,
                           bytesRelayed: lhs.bytesRelayed + rhs.bytesRelayed,
                           timeouts: lhs.timeouts + rhs.timeouts,
                           icmpErrors: lhs.icmpErrors + rhs.icmpErrors,
                           srtpAuthFailures: lhs.srtpAuthFailures + rhs.srtpAuthFailures,
                           srtpReplays: lhs.srtpReplays + rhs.srtpReplays,
                           srtpErrors: lhs.srtpErrors + rhs.srtpErrors)
    }
}
