/// The health of one trunk as the SBC sees it, decided by ``TrunkHealth``.
///
/// Why six states and not up/down: each answers a different operator question. `degraded` says
/// "a probe failed but we still send calls" (hysteresis against flapping); `recovering` says "it
/// answers again but has not earned traffic yet" (the recovery hold, or an approval for sticky
/// groups); `quarantined` is the carrier's own request (503 Retry-After); `locked` is a person's
/// decision that nothing automatic may override. Raw values are the words used in logs, metrics,
/// the admin API and the stored state.
public enum TrunkHealthState: String, Sendable, Codable, CaseIterable {
    /// Healthy; takes calls.
    case up
    /// Failed probes below `down_after`; still takes calls.
    case degraded
    /// Failed: `down_after` probes in a row, passive failures, or a burst after fail-back.
    case down
    /// Answering again (`up_after` good probes) but held back for `recovery_hold_s`, or awaiting an
    /// operator's approval in a sticky group.
    case recovering
    /// Kept out of rotation until a Retry-After deadline.
    case quarantined
    /// Taken out by an operator; only an unlock changes it.
    case locked

    /// Whether new calls may be sent to a trunk in this state: only `up` and `degraded`.
    public var isSelectable: Bool {
        self == .up || self == .degraded
    }
}
