import Foundation

/// Failovers, mid-call failovers and media timeouts per minute over the last day, for the status
/// page (`GET /api/v1/status`).
///
/// Why its own record and not the Prometheus counters: the page must work where no Prometheus
/// scrapes the SBC, and a counter only knows its total, not when it grew. A ring of one bucket
/// per minute (1,440 of them, a few tens of kilobytes) answers "when" without keeping events.
/// Recording is a lock and an array write, cheap enough for the signalling thread.
public final class ActivityHistory: Sendable {
    /// Minutes kept: one day.
    public static let retainedMinutes = 1440

    public enum Kind: Sendable {
        case failover, midCallFailover, mediaTimeout
    }

    private struct State {
        /// Slot `minute % retainedMinutes`; a slot holding another minute is stale.
        var buckets = [ActivityMinute?](repeating: nil, count: ActivityHistory.retainedMinutes)
        /// The total last passed to `observe(failoverTotal:)`.
        var failoverTotal = 0
    }

    private let state = LockedState(State())
    private let clock: @Sendable () -> Double

    /// - Parameter clock: unix seconds now (tests pass their own).
    public init(clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.clock = clock
    }

    /// Counts `count` events of `kind` in the current minute.
    public func record(_ kind: Kind, count: Int = 1) {
        guard count > 0 else { return }
        let minute = Int64((clock() / 60).rounded(.down))
        state.withLock { state in
            let slot = Int(minute % Int64(Self.retainedMinutes))
            var bucket = state.buckets[slot].flatMap { $0.at == Double(minute * 60) ? $0 : nil }
                ?? ActivityMinute(at: Double(minute * 60))
            switch kind {
            case .failover: bucket.failovers += count
            case .midCallFailover: bucket.midCallFailovers += count
            case .mediaTimeout: bucket.mediaTimeouts += count
            }
            state.buckets[slot] = bucket
        }
    }

    /// Takes a running total of failovers (the B2BUA's own count) and records its growth since
    /// the previous call: the signalling thread passes its counter after each batch of work
    /// rather than being changed at every place a failover starts.
    public func observe(failoverTotal total: Int) {
        let grown = state.withLock { state in
            defer { state.failoverTotal = total }
            return total - state.failoverTotal
        }
        record(.failover, count: grown)
    }

    /// The last `count` minutes (1 to a day), oldest first, ending with the current minute;
    /// minutes without events are zeros.
    public func minutes(last count: Int) -> [ActivityMinute] {
        let count = min(max(count, 1), Self.retainedMinutes)
        let current = Int64((clock() / 60).rounded(.down))
        return state.withLock { state in
            (current - Int64(count) + 1...current).map { minute in
                let start = Double(minute * 60)
                let slot = Int(((minute % Int64(Self.retainedMinutes)) + Int64(Self.retainedMinutes)) % Int64(Self.retainedMinutes))
                if let bucket = state.buckets[slot], bucket.at == start { return bucket }
                return ActivityMinute(at: start)
            }
        }
    }
}
