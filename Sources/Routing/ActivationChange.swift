/// What an activation request, a drain check or a cancellation did to a trunk group: for the
/// driver to persist, audit, log and alert, and for the admin API to answer with.
public enum ActivationChange: Sendable, Equatable {
    /// A version took effect now; `cancelled` is the queued swap that a forced request replaced.
    case applied(ActivationVersion, cancelled: ActivationVersion? = nil)
    /// The swap waits for the calls on the demoted member to drain (202 to the operator, alert).
    case queued(QueuedActivation)
    /// A queued swap applied because its member drained (`forced`: on an operator's request).
    case dequeued(ActivationVersion)
    /// An operator cancelled the queued swap.
    case cancelled(ActivationVersion, actor: String, reason: String, at: Double)

    /// The version the change is about.
    public var version: ActivationVersion {
        switch self {
        case .applied(let version, _), .dequeued(let version), .cancelled(let version, _, _, _): version
        case .queued(let queued): queued.version
        }
    }
}

/// Why an activation request was refused; each maps to one HTTP status and error code.
public enum ActivationError: Error, Sendable, Equatable {
    /// Weighted groups draw the first member per call; an order of members means nothing there (409).
    case weightedGroup(String)
    /// The named trunk is not a member of the group (422).
    case unknownMember(String, members: [String])
    /// The member already takes traffic first in the current version (409).
    case alreadyFirst(String, version: Int)
    /// The activated member is still within its cooling period (409 `cooling`).
    case cooling(member: String, secondsLeft: Int, version: Int)
    /// A swap is already queued; cancel it or use `force` (409 `activation_queued`).
    case queuePending(version: Int, member: String)
    /// Rollback to a version the group never had (404).
    case unknownVersion(Int)
    /// Nothing to cancel (404).
    case nothingQueued
}
