/// A trunk's DID validation run as the admin API shows it (`POST /api/v1/trunks/{name}/validate`
/// answers it `running` with 202; `GET /api/v1/trunks/{name}/validation` the newest run with a
/// result per DID called so far). docs/VALIDATION.md.
public struct ValidationRunStatus: Codable, Sendable, Equatable {
    /// The run's id (`val-...`).
    public var run: String
    public var trunk: String
    /// `running`, `finished`, or `interrupted` (the SBC stopped during the run).
    public var state: String
    /// Every DID reachable; nil while running.
    public var passed: Bool?
    /// How many DIDs the run calls.
    public var dids: Int
    public var actor: String
    public var reason: String
    /// Unix seconds.
    public var startedAt: Double
    public var finishedAt: Double?
    public var results: [ValidationResultStatus]

    public init(run: String, trunk: String, state: String, passed: Bool?, dids: Int, actor: String, reason: String,
                startedAt: Double, finishedAt: Double?, results: [ValidationResultStatus]) {
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
public struct ValidationResultStatus: Codable, Sendable, Equatable {
    public var did: String
    /// The response that decided it (18x, 2xx or the final); nil when nothing came.
    public var status: Int?
    public var reason: String
    /// From the INVITE to the first response other than 100 Trying, in milliseconds.
    public var firstResponseMs: Double?
    /// `reachable`, `unreachable`, `timeout` or `error`.
    public var verdict: String
    /// Unix seconds.
    public var startedAt: Double
    public var endedAt: Double

    public init(did: String, status: Int?, reason: String, firstResponseMs: Double?, verdict: String,
                startedAt: Double, endedAt: Double) {
        self.did = did
        self.status = status
        self.reason = reason
        self.firstResponseMs = firstResponseMs
        self.verdict = verdict
        self.startedAt = startedAt
        self.endedAt = endedAt
    }
}

/// The answer to starting a run: 202 Accepted, the run goes on after the response.
struct ValidationStarted: Encodable, Sendable, AdminResponseStatus {
    let status: ValidationRunStatus
    var responseStatusCode: Int { 202 }

    func encode(to encoder: any Encoder) throws { try status.encode(to: encoder) }
}
