/// One transition of a trunk's health state, returned by ``TrunkHealth`` for the caller to log,
/// audit, alert on and publish.
///
/// Why a value returned rather than a callback or a log line written inside: the state machine is
/// sans-IO, so the signalling thread decides where each change goes (the warning log, the store
/// thread's audit table, the alert webhook), and tests compare changes as plain values.
public struct TrunkStateChange: Sendable, Equatable {
    /// The trunk's name.
    public var trunk: String
    public var from: TrunkHealthState
    public var to: TrunkHealthState
    /// A stable machine word for why (see ``Cause``): the same words go to logs, audit rows and
    /// webhooks, so dashboards can filter on them.
    public var cause: String
    /// A sentence for people: counts, the last probe's answer, the operator's reason.
    public var detail: String
    /// Who did it, for operator actions (the admin token's name); nil for automatic changes.
    public var actor: String?
    /// When, on the caller's clock (a `Duration` since its arbitrary origin).
    public var at: Duration

    public init(trunk: String, from: TrunkHealthState, to: TrunkHealthState, cause: String, detail: String,
                actor: String? = nil, at: Duration) {
        self.trunk = trunk
        self.from = from
        self.to = to
        self.cause = cause
        self.detail = detail
        self.actor = actor
        self.at = at
    }

    /// The cause words ``TrunkHealth`` uses. Strings rather than an enum because they are written
    /// to storage and the wire, and a reader of old rows must not fail on a word added later.
    public enum Cause {
        /// The trunk's value was created at startup with no history.
        public static let started = "started"
        public static let probeFailed = "probe_failed"
        public static let probeRecovered = "probe_recovered"
        public static let recoveryHoldElapsed = "recovery_hold_elapsed"
        public static let passiveFailures = "passive_failures"
        public static let burstAfterFailBack = "burst_after_failback"
        public static let retryAfter = "retry_after"
        public static let quarantineExpired = "quarantine_expired"
        public static let operatorLock = "operator_lock"
        public static let operatorUnlock = "operator_unlock"
        public static let failBackApproved = "failback_approved"
        public static let restored = "restored"
    }
}
