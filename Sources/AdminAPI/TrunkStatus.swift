/// One trunk as the admin API shows it: a snapshot, never a live reference into the loop.
///
/// Times are unix seconds (`Double`) so JSON clients in any language read them without a date
/// format; `state` is a string so that new health states need no API change.
public struct TrunkStatus: Codable, Sendable, Equatable {
    public var name: String
    public var state: String
    /// When `state` was entered (unix seconds).
    public var since: Double
    /// Why the trunk is in `state` (e.g. `probe_timeout`, `operator_lock`, `retry_after`).
    public var cause: String
    public var detail: String?
    /// Whether routing may pick this trunk for a new call now.
    public var selectable: Bool
    public var lockedBy: String?
    public var lockReason: String?
    /// End of a Retry-After quarantine (unix seconds).
    public var quarantineUntil: Double?
    /// Healthy again but held back until an operator approves fail-back.
    public var awaitingApproval: Bool
    public var lastProbeRTTMs: Double?
    public var counters: TrunkCounters
    /// The REGISTER binding of a registration trunk (`trunks[].register`); absent otherwise.
    public var registration: TrunkRegistrationStatus? = nil
    /// Media-path probes (`trunks[].health.media_probe`); absent on trunks without them.
    public var mediaProbe: TrunkMediaProbeStatus? = nil

    public init(
        name: String,
        state: String,
        since: Double,
        cause: String,
        detail: String? = nil,
        selectable: Bool,
        lockedBy: String? = nil,
        lockReason: String? = nil,
        quarantineUntil: Double? = nil,
        awaitingApproval: Bool = false,
        lastProbeRTTMs: Double? = nil,
        counters: TrunkCounters = TrunkCounters()
    ) {
        self.name = name
        self.state = state
        self.since = since
        self.cause = cause
        self.detail = detail
        self.selectable = selectable
        self.lockedBy = lockedBy
        self.lockReason = lockReason
        self.quarantineUntil = quarantineUntil
        self.awaitingApproval = awaitingApproval
        self.lastProbeRTTMs = lastProbeRTTMs
        self.counters = counters
    }
}
