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

    public init(sessions: Int = 0, packetsRelayed: UInt64 = 0, packetsDropped: UInt64 = 0,
                bytesRelayed: UInt64 = 0, timeouts: UInt64 = 0) {
        self.sessions = sessions
        self.packetsRelayed = packetsRelayed
        self.packetsDropped = packetsDropped
        self.bytesRelayed = bytesRelayed
        self.timeouts = timeouts
    }

    public static func + (lhs: MediaRelayCounters, rhs: MediaRelayCounters) -> MediaRelayCounters {
        MediaRelayCounters(sessions: lhs.sessions + rhs.sessions,
                           packetsRelayed: lhs.packetsRelayed + rhs.packetsRelayed,
                           packetsDropped: lhs.packetsDropped + rhs.packetsDropped,
                           bytesRelayed: lhs.bytesRelayed + rhs.bytesRelayed,
                           timeouts: lhs.timeouts + rhs.timeouts)
    }
}
