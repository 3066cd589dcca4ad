/// One version of a trunk group's activation as the admin API shows it.
public struct ActivationVersionStatus: Codable, Sendable, Equatable {
    public var version: Int
    /// The member that takes new calls first in this version.
    public var firstMember: String
    public var reason: String
    public var actor: String
    /// Unix seconds.
    public var requestedAt: Double
    /// Unix seconds; nil while queued or once cancelled.
    public var appliedAt: Double?
    /// The version this one restored (a rollback).
    public var rollbackOf: Int?
    public var forced: Bool
    /// `applied`, `queued` or `cancelled`.
    public var state: String

    public init(version: Int, firstMember: String, reason: String, actor: String, requestedAt: Double,
                appliedAt: Double?, rollbackOf: Int?, forced: Bool, state: String)
    {
        self.version = version
        self.firstMember = firstMember
        self.reason = reason
        self.actor = actor
        self.requestedAt = requestedAt
        self.appliedAt = appliedAt
        self.rollbackOf = rollbackOf
        self.forced = forced
        self.state = state
    }
}

/// A swap waiting for the calls on the member it demotes to drain.
public struct QueuedActivationStatus: Codable, Sendable, Equatable {
    public var version: ActivationVersionStatus
    /// The member whose active calls are watched.
    public var draining: String
    /// Its active calls now.
    public var activeCalls: Int
    /// The swap applies once `activeCalls` is at most this.
    public var threshold: Int

    public init(version: ActivationVersionStatus, draining: String, activeCalls: Int, threshold: Int) {
        self.version = version
        self.draining = draining
        self.activeCalls = activeCalls
        self.threshold = threshold
    }
}

/// A trunk group's activation: the version in effect, the queued swap, the guards, and the
/// candidate order new calls get (`GET /api/v1/trunk-groups/{name}/activation`, and the answer to
/// every activation write).
public struct ActivationStatus: Codable, Sendable, Equatable {
    public var group: String
    /// What the write did: `applied`, `queued`, `cancelled`; nil for a GET.
    public var outcome: String?
    public var current: ActivationVersionStatus
    public var queued: QueuedActivationStatus?
    /// Members in the order new calls try them, then the overflow destination if any.
    public var order: [String]
    public var overflow: String?
    public var coolingSeconds: Int
    /// Seconds before the current first member may be demoted without `force` (0: none).
    public var coolingSecondsLeft: Int
    public var drainThreshold: Int?

    public init(group: String, outcome: String? = nil, current: ActivationVersionStatus,
                queued: QueuedActivationStatus?, order: [String], overflow: String?, coolingSeconds: Int,
                coolingSecondsLeft: Int, drainThreshold: Int?)
    {
        self.group = group
        self.outcome = outcome
        self.current = current
        self.queued = queued
        self.order = order
        self.overflow = overflow
        self.coolingSeconds = coolingSeconds
        self.coolingSecondsLeft = coolingSecondsLeft
        self.drainThreshold = drainThreshold
    }
}

extension ActivationStatus: AdminResponseStatus {
    /// 202 when the swap was queued behind the drain check, 200 otherwise.
    var responseStatusCode: Int { outcome == "queued" ? 202 : 200 }
}
