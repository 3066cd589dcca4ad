import AdminAPI
import B2BUA
import Routing
import SBCStore

/// Converts activation versions and changes between the B2BUA's model, the state database's
/// rows, the audit log and the admin API.
enum ActivationMapping {
    static func version(_ record: ActivationRecord) -> ActivationVersion {
        ActivationVersion(version: record.version, firstMember: record.firstMember, reason: record.reason,
                          actor: record.actor, requestedAt: record.requestedAt, appliedAt: record.appliedAt,
                          rollbackOf: record.rollbackOf, forced: record.forced)
    }

    static func record(_ version: ActivationVersion, group: String, state: ActivationRecord.State,
                       queued: QueuedActivation? = nil) -> ActivationRecord
    {
        ActivationRecord(group: group, version: version.version, firstMember: version.firstMember,
                         reason: version.reason, actor: version.actor, requestedAt: version.requestedAt,
                         appliedAt: state == .applied ? version.appliedAt : nil, rollbackOf: version.rollbackOf,
                         forced: version.forced, state: state, draining: queued?.draining, threshold: queued?.threshold)
    }

    /// The rows a change writes: the version in its new state, and a queued version a forced
    /// request replaced (now cancelled).
    static func records(_ change: ActivationChange, group: String) -> [ActivationRecord] {
        switch change {
        case .applied(let version, let cancelled):
            return [cancelled.map { record($0, group: group, state: .cancelled) }, record(version, group: group, state: .applied)]
                .compactMap { $0 }
        case .queued(let pending):
            return [record(pending.version, group: group, state: .queued, queued: pending)]
        case .dequeued(let version):
            return [record(version, group: group, state: .applied)]
        case .cancelled(let version, _, _, _):
            return [record(version, group: group, state: .cancelled)]
        }
    }

    /// One audit row per change: subject the group, states `v<old>`/`v<new>`-style first members.
    static func audit(_ change: ActivationChange, group: String, at: Double) -> AuditEntry {
        let version = change.version
        let target = "v\(version.version):\(version.firstMember)"
        switch change {
        case .applied(_, let cancelled):
            let cause = version.rollbackOf != nil ? "activation_rollback" : "activation"
            let detail = version.reason + (cancelled.map { " (replaces queued v\($0.version))" } ?? "")
                + (version.rollbackOf.map { " (restores v\($0))" } ?? "")
            return AuditEntry(at: at, subject: group, kind: "activation", fromState: nil, toState: target, cause: cause,
                              detail: detail, actor: version.actor)
        case .queued(let pending):
            return AuditEntry(at: at, subject: group, kind: "activation", fromState: nil, toState: "queued " + target,
                              cause: "activation_queued",
                              detail: "\(version.reason) (waits for \(pending.draining) to drain to \(pending.threshold) calls)",
                              actor: version.actor)
        case .dequeued:
            return AuditEntry(at: at, subject: group, kind: "activation", fromState: "queued " + target, toState: target,
                              cause: "activation_dequeued", detail: "calls drained; \(version.reason)", actor: "sbc")
        case .cancelled(_, let actor, let reason, _):
            return AuditEntry(at: at, subject: group, kind: "activation", fromState: "queued " + target,
                              toState: "cancelled", cause: "activation_cancelled", detail: reason, actor: actor)
        }
    }

    static func outcome(_ change: ActivationChange) -> String {
        switch change {
        case .applied, .dequeued: "applied"
        case .queued: "queued"
        case .cancelled: "cancelled"
        }
    }

    static func status(_ version: ActivationVersion, state: String) -> ActivationVersionStatus {
        ActivationVersionStatus(version: version.version, firstMember: version.firstMember, reason: version.reason,
                                actor: version.actor, requestedAt: version.requestedAt, appliedAt: version.appliedAt,
                                rollbackOf: version.rollbackOf, forced: version.forced, state: state)
    }

    static func unknownGroup(_ name: String) -> ActivationRefusal {
        ActivationRefusal(status: 404, error: "not_found", detail: "no trunk group named \(name)")
    }

    static func refusal(_ error: B2BUA.ActivationRequestError) -> ActivationRefusal {
        switch error {
        case .unknownGroup(let name):
            return unknownGroup(name)
        case .refused(.weightedGroup(let group)):
            return ActivationRefusal(status: 409, error: "weighted_group", detail: "trunk group \(group) is weighted: each "
                + "call draws its first member by weight, so there is no first member to activate; change the weights instead")
        case .refused(.unknownMember(let member, let members)):
            // 404 like "no trunk named": the group has no such member (the body is well formed).
            return ActivationRefusal(status: 404, error: "unknown_member",
                                     detail: "\(member) is not a member of this group (members: \(members.joined(separator: ", ")))")
        case .refused(.alreadyFirst(let member, let version)):
            return ActivationRefusal(status: 409, error: "already_active",
                                     detail: "\(member) already takes traffic first (version \(version))")
        case .refused(.cooling(let member, let left, let version)):
            return ActivationRefusal(status: 409, error: "cooling",
                                     detail: "\(member) was activated by version \(version) and cools for another \(left) s; "
                                         + "retry later or send force: true", coolingSecondsLeft: left)
        case .refused(.queuePending(let version, let member)):
            return ActivationRefusal(status: 409, error: "activation_queued",
                                     detail: "version \(version) (\(member) first) is queued until calls drain; cancel it "
                                         + "(DELETE .../activation/queued) or send force: true", queuedVersion: version)
        case .refused(.unknownVersion(let version)):
            return ActivationRefusal(status: 404, error: "unknown_version", detail: "this group has no version \(version)")
        case .refused(.nothingQueued):
            return ActivationRefusal(status: 404, error: "nothing_queued", detail: "no activation is queued for this group")
        }
    }
}
