/// One DID validation run of a trunk (`validation_runs`, docs/STATE.md) with, when read back, its
/// per-DID results (`validation_results`).
public struct ValidationRunRecord: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        case running, finished
        /// The SBC stopped while the run was going: what it had is kept, the rest never ran.
        case interrupted
    }

    public var run: String
    public var trunk: String
    public var state: State
    /// Every DID reachable; nil while running.
    public var passed: Bool?
    /// How many DIDs the run calls.
    public var dids: Int
    public var actor: String
    public var reason: String
    /// Unix seconds.
    public var startedAt: Double
    public var finishedAt: Double?
    public var results: [ValidationResultRecord]

    public init(run: String, trunk: String, state: State, passed: Bool?, dids: Int, actor: String, reason: String,
                startedAt: Double, finishedAt: Double?, results: [ValidationResultRecord] = []) {
        self.run = run
        self.trunk = trunk
        self.state = state
        self.passed = passed
        self.dids = dids
        self.actor = actor
        self.reason = reason
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.results = results
    }
}

/// One DID's test call in a validation run.
public struct ValidationResultRecord: Sendable, Equatable, Codable {
    public var run: String
    public var did: String
    /// The status that decided it (18x, 2xx or the final); nil when nothing came.
    public var status: Int?
    public var reason: String
    /// From the INVITE to the first response other than 100 Trying.
    public var firstResponseMs: Double?
    /// `reachable`, `unreachable`, `timeout` or `error`.
    public var verdict: String
    public var startedAt: Double
    public var endedAt: Double

    public init(run: String, did: String, status: Int?, reason: String, firstResponseMs: Double?, verdict: String,
                startedAt: Double, endedAt: Double) {
        self.run = run
        self.did = did
        self.status = status
        self.reason = reason
        self.firstResponseMs = firstResponseMs
        self.verdict = verdict
        self.startedAt = startedAt
        self.endedAt = endedAt
    }
}
