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

    public init(sessions: Int = 0, packetsRelayed: UInt64 = 0, packetsDropped: UInt64 = 0,
                bytesRelayed: UInt64 = 0, timeouts: UInt64 = 0, icmpErrors: UInt64 = 0) {
        self.sessions = sessions
        self.packetsRelayed = packetsRelayed
        self.packetsDropped = packetsDropped
        self.bytesRelayed = bytesRelayed
        self.timeouts = timeouts
        self.icmpErrors = icmpErrors
    }

    public static func + (lhs: MediaRelayCounters, rhs: MediaRelayCounters) -> MediaRelayCounters {
        MediaRelayCounters(sessions: lhs.sessions + rhs.sessions,
                           packetsRelayed: lhs.packetsRelayed + rhs.packetsRelayed,
                           packetsDropped: lhs.packetsDropped + rhs.packetsDropped,
                           bytesRelayed: lhs.bytesRelayed + rhs.bytesRelayed,
                           timeouts: lhs.timeouts + rhs.timeouts,
                           icmpErrors: lhs.icmpErrors + rhs.icmpErrors)
    }
}
