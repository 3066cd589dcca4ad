/// Monotonic and instantaneous counts for one trunk, as the health monitor keeps them.
///
/// A value type so the signalling loop can publish a snapshot without sharing its state.
public struct TrunkCounters: Codable, Sendable, Equatable {
    public var probesSent: Int
    public var probesFailed: Int
    public var consecutiveFailures: Int
    public var consecutiveSuccesses: Int
    public var activeCalls: Int
    public var callsAttempted: Int
    public var failovers: Int

    public init(
        probesSent: Int = 0,
        probesFailed: Int = 0,
        consecutiveFailures: Int = 0,
        consecutiveSuccesses: Int = 0,
        activeCalls: Int = 0,
        callsAttempted: Int = 0,
        failovers: Int = 0
    ) {
        self.probesSent = probesSent
        self.probesFailed = probesFailed
        self.consecutiveFailures = consecutiveFailures
        self.consecutiveSuccesses = consecutiveSuccesses
        self.activeCalls = activeCalls
        self.callsAttempted = callsAttempted
        self.failovers = failovers
    }
}
