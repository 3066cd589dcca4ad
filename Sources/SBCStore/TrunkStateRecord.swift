/// The persisted health and operator state of one carrier trunk: one row of `trunk_state`.
///
/// Written on every state change (by the health engine or an operator) through
/// `OperationalStore.save(_:)` and read back once at start-up, so a restart neither forgets an
/// operator's lock nor returns a trunk that was down or quarantined to traffic before it has
/// proved itself. States and causes are free text chosen by the health engine, so a new state
/// needs no migration. docs/STATE.md documents the columns and what a restart restores.
public struct TrunkStateRecord: Sendable, Equatable, Codable {
    /// Trunk name, as in the configuration (the primary key).
    public var trunk: String
    /// Health state, e.g. "up", "down", "quarantined", "probing", "locked".
    public var state: String
    /// Why the trunk entered `state` ("options_timeout", "retry_after", "operator", ...).
    public var cause: String?
    /// Human-readable evidence ("3 OPTIONS timeouts in 30 s", "503 Retry-After: 120").
    public var detail: String?
    /// Unix seconds: when the trunk entered `state`.
    public var since: Double
    /// Operator who locked the trunk out of service; nil when not locked.
    public var lockedBy: String?
    /// The operator's reason for the lock.
    public var lockReason: String?
    /// Unix seconds: end of a Retry-After quarantine; nil when not quarantined. An absolute
    /// deadline (not a duration) so a restart resumes the same quarantine rather than a new one.
    public var quarantineUntil: Double?
    /// The trunk has recovered but returns to service only when an operator approves.
    public var awaitingApproval: Bool

    public init(trunk: String, state: String, cause: String? = nil, detail: String? = nil, since: Double,
                lockedBy: String? = nil, lockReason: String? = nil, quarantineUntil: Double? = nil,
                awaitingApproval: Bool = false) {
        self.trunk = trunk
        self.state = state
        self.cause = cause
        self.detail = detail
        self.since = since
        self.lockedBy = lockedBy
        self.lockReason = lockReason
        self.quarantineUntil = quarantineUntil
        self.awaitingApproval = awaitingApproval
    }
}
