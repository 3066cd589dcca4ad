/// One try of one carrier trunk within a call: the INVITE sent (or skipped) and how it ended.
///
/// Kept per call in order, because "why did this call land on the secondary carrier" is the
/// question a CDR must answer: the first attempt's 503 and its response time are the evidence.
/// Codable with the same names as the `call_attempts` columns (snake_case) for `sbc cdr --json`.
public struct CallAttempt: Sendable, Equatable, Codable {
    /// Name of the trunk (carrier) tried.
    public var trunk: String
    /// Unix seconds when the INVITE left (or, for a skipped trunk, when it was skipped).
    public var startedAt: Double
    /// Final SIP status received, nil for timeouts, transport errors and skips.
    public var responseCode: Int?
    /// Reason phrase, or the SBC's own explanation ("Timer B", "connection refused").
    public var reason: String?
    /// From INVITE sent to the final response (or to giving up), in milliseconds.
    public var responseTimeMs: Double?
    /// How the attempt ended: "answered", "failed_over", "rejected", "timeout",
    /// "transport_error", "cancelled", "skipped_quarantine", ... (free text, so new outcomes
    /// need no migration).
    public var outcome: String
    /// Unix seconds when the attempt ended: its failure, or for an answered carrier leg the end
    /// of the call or of the leg (replaced by a mid-call failover). Nil in files from before.
    public var endedAt: Double?
    /// The trunk was its group's overflow destination (`trunk_groups[].overflow`): every member
    /// failed or was unselectable. Column `overflow`, 0 or 1.
    public var overflow: Bool

    public init(trunk: String, startedAt: Double, responseCode: Int? = nil, reason: String? = nil,
                responseTimeMs: Double? = nil, outcome: String, endedAt: Double? = nil, overflow: Bool = false) {
        self.trunk = trunk
        self.startedAt = startedAt
        self.responseCode = responseCode
        self.reason = reason
        self.responseTimeMs = responseTimeMs
        self.outcome = outcome
        self.endedAt = endedAt
        self.overflow = overflow
    }
}
