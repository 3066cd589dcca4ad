/// One line of the audit log (`audit_log`): a trunk or group changed state, and why.
///
/// Append-only history next to the current state in `trunk_state` / `group_state`: the state
/// tables answer "what now", the audit log answers "what happened at 03:12 and who did it",
/// for automatic transitions (actor nil) and operator actions alike.
public struct AuditEntry: Sendable, Equatable, Codable {
    /// Row id, assigned by the database: nil in entries to append (a value set there is
    /// ignored), set in entries read back. Ties on `at` are ordered by it.
    public var id: Int64?
    /// Unix seconds: when the change happened.
    public var at: Double
    /// The trunk or group name.
    public var subject: String
    /// "trunk" or "group".
    public var kind: String
    /// State before the change (nil for a first state).
    public var fromState: String?
    /// State after the change.
    public var toState: String?
    /// Why: "options_timeout", "retry_after", "operator_lock", "forced_failover", ...
    public var cause: String
    /// Evidence or the operator's reason.
    public var detail: String?
    /// Operator who acted; nil for automatic transitions.
    public var actor: String?
    /// The node that made the change (`node.name`); set by the store when nil at append.
    public var node: String?

    public init(id: Int64? = nil, at: Double, subject: String, kind: String, fromState: String? = nil,
                toState: String? = nil, cause: String, detail: String? = nil, actor: String? = nil,
                node: String? = nil) {
        self.id = id
        self.at = at
        self.subject = subject
        self.kind = kind
        self.fromState = fromState
        self.toState = toState
        self.cause = cause
        self.detail = detail
        self.actor = actor
        self.node = node
    }
}
