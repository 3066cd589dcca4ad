/// One audit entry: a trunk or group state change, or an operator action with its actor.
///
/// `actor` is the admin token's *name* (never the token), so the trail says who did it
/// without the audit store ever holding a credential.
public struct AuditRecord: Codable, Sendable, Equatable {
    /// Unix seconds.
    public var at: Double
    /// Trunk or group name.
    public var subject: String
    /// What happened (`state_change`, `lock`, `unlock`, `failover`, `failback`, ...).
    public var kind: String
    public var from: String?
    public var to: String?
    public var cause: String
    public var detail: String?
    public var actor: String?

    public init(
        at: Double,
        subject: String,
        kind: String,
        from: String? = nil,
        to: String? = nil,
        cause: String,
        detail: String? = nil,
        actor: String? = nil
    ) {
        self.at = at
        self.subject = subject
        self.kind = kind
        self.from = from
        self.to = to
        self.cause = cause
        self.detail = detail
        self.actor = actor
    }
}
