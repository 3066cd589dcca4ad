import SBCConfig

/// Live per-trunk facts that decide whether a new call may use a trunk: a Retry-After
/// quarantine, passive health from live traffic, and the concurrent-call count.
///
/// Sans-IO, time injected. Passive health is the first input of the trunk health state machine:
/// `passive_failures` failover-worthy failures within `passive_window_s` take the trunk out of
/// selection for one window; OPTIONS probes (health monitoring) will refine recovery.
public struct TrunkAvailability: Sendable {
    /// Why a trunk is skipped for a new call.
    public enum Unavailability: Sendable, Equatable, CustomStringConvertible {
        case quarantined(until: Duration)
        case passiveDown(until: Duration)
        case atCallLimit(Int)

        public var description: String {
            switch self {
            case .quarantined: "quarantined (Retry-After)"
            case .passiveDown: "down (passive failures)"
            case .atCallLimit(let limit): "at its call limit (\(limit))"
            }
        }
    }

    /// A state change worth logging and auditing.
    public enum Change: Sendable, Equatable {
        case quarantined(trunk: String, for: Duration)
        case markedDown(trunk: String, failures: Int, window: Duration)
    }

    private struct State: Sendable {
        var quarantinedUntil: Duration?
        var downUntil: Duration?
        /// Times of recent failover-worthy failures, oldest first.
        var failures: [Duration] = []
        var activeCalls = 0
    }

    private var states: [String: State] = [:]

    public init() {}

    public func unavailability(of trunk: TrunkSettings, now: Duration) -> Unavailability? {
        guard let state = states[trunk.name] else { return nil }
        if let until = state.quarantinedUntil, until > now { return .quarantined(until: until) }
        if let until = state.downUntil, until > now { return .passiveDown(until: until) }
        if trunk.maxCalls > 0, state.activeCalls >= trunk.maxCalls { return .atCallLimit(trunk.maxCalls) }
        return nil
    }

    public func activeCalls(on trunk: String) -> Int { states[trunk]?.activeCalls ?? 0 }

    /// Keeps new calls away for `duration` (a 503's Retry-After, already bounded by the group).
    public mutating func quarantine(_ trunk: String, for duration: Duration, now: Duration) -> Change? {
        guard duration > .zero else { return nil }
        let until = now + duration
        if let current = states[trunk]?.quarantinedUntil, current >= until { return nil }
        states[trunk, default: State()].quarantinedUntil = until
        return .quarantined(trunk: trunk, for: duration)
    }

    /// Counts a failover-worthy failure; returns the change when it takes the trunk down.
    public mutating func recordFailure(_ trunk: TrunkSettings, now: Duration) -> Change? {
        guard trunk.passiveFailureThreshold > 0 else { return nil }
        var state = states[trunk.name] ?? State()
        let horizon = now - trunk.passiveFailureWindow
        state.failures.removeAll { $0 <= horizon }
        state.failures.append(now)
        var change: Change?
        if state.failures.count >= trunk.passiveFailureThreshold, (state.downUntil ?? .zero) <= now {
            state.downUntil = now + trunk.passiveFailureWindow
            change = .markedDown(trunk: trunk.name, failures: state.failures.count, window: trunk.passiveFailureWindow)
            state.failures.removeAll()
        }
        states[trunk.name] = state
        return change
    }

    public mutating func callStarted(on trunk: String) {
        states[trunk, default: State()].activeCalls += 1
    }

    public mutating func callEnded(on trunk: String) {
        guard let count = states[trunk]?.activeCalls, count > 0 else { return }
        states[trunk]?.activeCalls = count - 1
    }
}
