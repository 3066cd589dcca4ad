import SBCStore

/// Which of a cluster's stored operator decisions this node still has to apply, and how
/// (docs/CLUSTER.md). Sans-IO: the server hands it the stored decisions and a view of its own
/// state, and carries out the actions it returns on the loop.
///
/// A decision is known by the node that took it and when it was saved. One already seen is
/// skipped, and one that matches the local state already (this node took it, or applied it
/// before) yields nothing, so applying never writes intent back and two nodes cannot echo a
/// stale decision to each other. The node's own decisions are seen like any other: at start-up
/// they restore what a restart lost.
struct ClusterDecisionTracker {
    /// What the node must do.
    enum Action: Equatable {
        case lock(trunk: String, reason: String, actor: String)
        case unlock(trunk: String, reason: String, actor: String)
        case forceFailover(group: String, reason: String, actor: String)
        case approveFailBack(group: String, reason: String, actor: String)
    }

    /// The node's own state the decisions are compared with; a trunk or group the node does not
    /// have (another node's newer configuration) is absent and its decisions wait.
    struct LocalView {
        /// Trunk name to whether it is locked.
        var locked: [String: Bool] = [:]
        /// Group name to whether its failover is forced and whether a member awaits approval.
        var groups: [String: (forced: Bool, awaitingApproval: Bool)] = [:]
    }

    /// The last decision applied, by `trunk:NAME` / `group:NAME`: the deciding node and time.
    private var applied: [String: String] = [:]

    mutating func actions(for decisions: ClusterDecisions, local: LocalView) -> [Action] {
        var actions: [Action] = []
        for lock in decisions.trunkLocks {
            guard let locked = local.locked[lock.trunk], isNew("trunk:\(lock.trunk)", lock.node, lock.updatedAt) else {
                continue
            }
            let reason = Self.reason(lock.reason, from: lock.node)
            let actor = lock.actor ?? "cluster"
            if lock.locked, !locked {
                actions.append(.lock(trunk: lock.trunk, reason: reason, actor: actor))
            } else if !lock.locked, locked {
                actions.append(.unlock(trunk: lock.trunk, reason: reason, actor: actor))
            }
        }
        for group in decisions.groups {
            guard let state = local.groups[group.group], isNew("group:\(group.group)", group.node, group.updatedAt ?? 0)
            else { continue }
            let reason = Self.reason(group.reason, from: group.node)
            let actor = group.actor ?? "cluster"
            if group.forcedFailover, !state.forced {
                actions.append(.forceFailover(group: group.group, reason: reason, actor: actor))
            } else if !group.forcedFailover, state.forced || state.awaitingApproval {
                actions.append(.approveFailBack(group: group.group, reason: reason, actor: actor))
            }
        }
        return actions
    }

    /// Records the decision as seen; false when it was seen before.
    private mutating func isNew(_ subject: String, _ node: String?, _ at: Double) -> Bool {
        let mark = "\(node ?? "")@\(at)"
        guard applied[subject] != mark else { return false }
        applied[subject] = mark
        return true
    }

    /// Why a node applied a decision: the operator's reason and the node whose API took it.
    private static func reason(_ reason: String?, from node: String?) -> String {
        "\(reason ?? "") (cluster decision via \(node ?? "another node"))"
    }
}
