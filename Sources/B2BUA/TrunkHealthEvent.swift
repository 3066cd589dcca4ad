import Routing

/// A carrier state change or an operator decision, for the log, the audit trail, the state
/// database, metrics and the alert webhook: the driver takes them after every batch of work.
public enum TrunkHealthEvent: Sendable, Equatable {
    case trunk(TrunkStateChange)
    /// A trunk group's forced failover was set (`forced`) or cleared by an operator.
    case group(name: String, forced: Bool, actor: String, reason: String, at: Duration)
    /// A media-path probe of `trunk` decided (for `sbc_media_probe_total`); the state changes it
    /// caused come as `.trunk` events of their own.
    case mediaProbe(trunk: String, result: MediaProbeResult, detail: String, at: Duration)
}
