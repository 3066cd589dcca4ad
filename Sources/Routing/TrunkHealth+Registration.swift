extension TrunkStateChange.Cause {
    /// A registration trunk lost (or never got) its REGISTER binding.
    public static let registrationFailed = "registration_failed"
}

/// Registration-based trunks (`trunks[].register`): a trunk without its binding is down, whatever
/// its probes say, and recovers through the usual hysteresis once the binding is back.
extension TrunkHealth {
    /// The trunk's REGISTER failed (refused, challenged again, not answered) or its binding
    /// expired: an `up`, `degraded` or `recovering` trunk goes **down** with cause
    /// `registration_failed` and `detail` (the status and what it means). Under a lock the state
    /// does not move, but an unlock then finds the trunk down.
    public mutating func registrationFailed(detail: String, now: Duration) -> [TrunkStateChange] {
        var changes = advance(to: now)
        registrationMissing = true
        guard !isLocked, healthState != .down else { return changes }
        changes += setHealth(.down, TrunkStateChange.Cause.registrationFailed, detail, now: now)
        return changes
    }

    /// The registrar granted the binding. A trunk that was down for want of it now recovers as
    /// after any outage: `up_after` good probes counted from now, then `recovery_hold_s` (or, not
    /// probed, the hold from now). Returns no change itself: recovery comes with later probes and
    /// deadlines. A no-op when the binding was not missing (refreshes).
    public mutating func registrationSucceeded(now: Duration) -> [TrunkStateChange] {
        let changes = advance(to: now)
        guard registrationMissing else { return changes }
        registrationMissing = false
        if healthState == .down {
            successesTowardRecovery = 0
            downSince = now
        }
        return changes
    }
}
