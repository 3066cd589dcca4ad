import SBCConfig

/// One DID validation run of one trunk (docs/VALIDATION.md): its numbers called one by one at the
/// trunk's `pace_ms`, each a `TestCall`, and the per-DID results as they come. Sans-IO: the B2BUA
/// asks which DIDs are due and reports each outcome.
///
/// Paced by start time (a call starts every `pace`, whether or not the previous one decided):
/// a silent DID does not hold up the rest, and the carrier sees at most `timeout / pace` calls
/// at once.
public struct DIDValidationRun: Sendable {
    public struct Result: Sendable, Equatable {
        public var did: String
        public var startedAt: Duration
        public var endedAt: Duration
        public var outcome: TestCall.Outcome
    }

    public let id: String
    public let trunk: String
    public let actor: String
    public let reason: String
    public let startedAt: Duration
    public let settings: TrunkValidationSettings
    /// DIDs not called yet, in configuration order.
    private var waiting: ArraySlice<String>
    /// When the next DID may start.
    public private(set) var nextStart: Duration?
    public private(set) var results: [Result] = []
    private var inFlight = 0

    public init(id: String, trunk: String, settings: TrunkValidationSettings, actor: String, reason: String,
                now: Duration) {
        self.id = id
        self.trunk = trunk
        self.settings = settings
        self.actor = actor
        self.reason = reason
        startedAt = now
        waiting = settings.dids[...]
        nextStart = waiting.isEmpty ? nil : now
    }

    /// The next DID to call at `now`, or nil when none is due; moves the pacing on.
    public mutating func nextDue(now: Duration) -> String? {
        guard let due = nextStart, due <= now, let did = waiting.popFirst() else { return nil }
        inFlight += 1
        nextStart = waiting.isEmpty ? nil : max(due + settings.pace, now)
        return did
    }

    public mutating func record(did: String, startedAt: Duration, outcome: TestCall.Outcome, now: Duration) -> Result {
        inFlight -= 1
        let result = Result(did: did, startedAt: startedAt, endedAt: now, outcome: outcome)
        results.append(result)
        return result
    }

    public var isFinished: Bool { waiting.isEmpty && inFlight == 0 }

    /// Whether every DID proved reachable: what `require_validation` asks.
    public var passed: Bool { isFinished && Self.passes(results.map(\.outcome.verdict)) }

    /// The verdict rule of a whole run: at least one DID, every one reachable.
    public static func passes(_ verdicts: [TestCall.Verdict]) -> Bool {
        !verdicts.isEmpty && verdicts.allSatisfy { $0 == .reachable }
    }
}
