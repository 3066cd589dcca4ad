/// One version of a trunk group's activation as stored: a row of `group_activations`
/// (docs/STATE.md). Applied, queued and cancelled versions all stay, so the history an operator
/// rolls back from, and the swap waiting for calls to drain, both survive a restart.
public struct ActivationRecord: Sendable, Equatable, Codable {
    /// Where the version stands: `applied` (in the history), `queued` (waiting for the drain
    /// check) or `cancelled` (dropped from the queue; its number is never reused).
    public enum State: String, Sendable, Codable {
        case applied, queued, cancelled
    }

    public var group: String
    public var version: Int
    public var firstMember: String
    public var reason: String
    public var actor: String
    /// Unix seconds.
    public var requestedAt: Double
    /// Unix seconds; nil unless applied.
    public var appliedAt: Double?
    public var rollbackOf: Int?
    public var forced: Bool
    public var state: State
    /// For a queued version: the member whose calls must drain, and to how many.
    public var draining: String?
    public var threshold: Int?

    public init(group: String, version: Int, firstMember: String, reason: String, actor: String, requestedAt: Double,
                appliedAt: Double?, rollbackOf: Int?, forced: Bool, state: State, draining: String? = nil,
                threshold: Int? = nil)
    {
        self.group = group
        self.version = version
        self.firstMember = firstMember
        self.reason = reason
        self.actor = actor
        self.requestedAt = requestedAt
        self.appliedAt = appliedAt
        self.rollbackOf = rollbackOf
        self.forced = forced
        self.state = state
        self.draining = draining
        self.threshold = threshold
    }
}
