/// One INVITE attempt of a call towards one trunk, as the CDR and the logs report it.
public struct CallAttemptSummary: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        case answered
        /// Failed with a failover trigger and the next candidate was tried.
        case failedOver = "failed_over"
        /// Failed with a response that ends the call (486, 404, 6xx, ...) or was the last candidate.
        case rejected
        case timeout
        case transportError = "transport_error"
        case cancelled
        /// Not tried: quarantined, down or at its call limit.
        case skipped
        /// Answered, then replaced by a mid-call failover (`reason` names the trigger).
        case midCallFailover = "mid_call_failover"
        /// Still running when the summary was taken.
        case pending
    }

    public var trunk: String
    /// Monotonic time the INVITE left (or the trunk was skipped).
    public var startedAt: Duration
    public var responseCode: Int?
    public var reason: String?
    /// From the INVITE leaving to the final response (or timeout).
    public var responseTime: Duration?
    public var outcome: Outcome
    /// When the attempt ended (failed, was skipped, or its leg ended with the call or was replaced
    /// mid-call); nil while it runs.
    public var endedAt: Duration? = nil
    /// The trunk was the group's overflow destination (every member failed or was unselectable).
    public var overflow = false
}
