import AdminAPI
import B2BUA
import Routing
import SBCConfig
import SBCStore

/// Trunk group activations on the loop thread: the admin API's commands, restore at start-up,
/// and every change persisted (state database, through the store thread), audited and alerted.
extension SignallingServer {
    /// Rebuilds every group's activation history and queued swap from the state database.
    func restoreActivations() {
        let records: [ActivationRecord]
        do {
            records = try operationalState.loadActivations()
        } catch {
            logger.error("group activations unreadable, starting from configuration order", metadata: ["error": "\(error)"])
            return
        }
        adoptActivations(records, fromCluster: false)
    }

    /// Takes each group's activation history and queued swap from `records` (every stored
    /// version). From the cluster (docs/CLUSTER.md) only a group whose stored versions differ from
    /// this node's (another node activated, rolled back or cancelled) is rebuilt; its queued swap
    /// then drains against this node's own calls.
    func adoptActivations(_ records: [ActivationRecord], fromCluster: Bool) {
        for (group, versions) in Dictionary(grouping: records, by: \.group) {
            guard let settings = configuration.trunkGroup(named: group) else { continue }
            let queued = versions.last { $0.state == .queued }.map {
                QueuedActivation(version: ActivationMapping.version($0), draining: $0.draining ?? "",
                                 threshold: $0.threshold ?? 0)
            }
            let applied = versions.filter { $0.state == .applied }.map(ActivationMapping.version)
            let highest = versions.map(\.version).max() ?? 0
            if fromCluster, let local = b2bua.activation(of: group), local.highestVersion == highest,
               local.history.map(\.version) == applied.map(\.version), local.queued?.version.version == queued?.version.version
            {
                continue
            }
            b2bua.restoreActivation(TrunkGroupActivation(group: settings, restoring: applied, queued: queued,
                                                         highestVersion: highest))
            if fromCluster {
                logger.notice("group activation taken from the cluster", metadata: [
                    "group": "\(group)", "version": "\(b2bua.activation(of: group)?.current.version ?? 0)",
                    "queued": "\(queued?.version.version.description ?? "-")",
                ])
            }
        }
        for group in configuration.trunkGroups {
            metrics.setActivationVersion(group: group.name, version: b2bua.activation(of: group.name)?.current.version ?? 0)
        }
    }

    func activationStatus(group: String, outcome: String? = nil) -> Result<ActivationStatus, ActivationRefusal> {
        guard let state = b2bua.activation(of: group), let settings = configuration.trunkGroup(named: group) else {
            return .failure(ActivationMapping.unknownGroup(group))
        }
        let queued = state.queued.map {
            QueuedActivationStatus(version: ActivationMapping.status($0.version, state: "queued"), draining: $0.draining,
                                   activeCalls: b2bua.availability.activeCalls(on: $0.draining), threshold: $0.threshold)
        }
        return .success(ActivationStatus(
            group: group, outcome: outcome, current: ActivationMapping.status(state.current, state: "applied"),
            queued: queued, order: state.order(settings.members) { $0 } + (settings.overflow.map { [$0] } ?? []),
            overflow: settings.overflow, coolingSeconds: Int(settings.activation.cooling.components.seconds),
            coolingSecondsLeft: state.coolingLeft(at: WallClockAnchor(monotonicNow: now).wallNow),
            drainThreshold: settings.activation.drainThreshold))
    }

    func activationHistory(group: String) -> Result<[ActivationVersionStatus], ActivationRefusal> {
        guard let state = b2bua.activation(of: group) else { return .failure(ActivationMapping.unknownGroup(group)) }
        let configured = ActivationVersion.configured(firstMember: state.members.first ?? "")
        var versions = ([configured] + state.history).map { ActivationMapping.status($0, state: "applied") }
        if let queued = state.queued { versions.append(ActivationMapping.status(queued.version, state: "queued")) }
        return .success(versions)
    }

    /// What an activation write asks of the B2BUA.
    enum ActivationCommand {
        case activate(member: String, force: Bool)
        case rollback(version: Int, force: Bool)
        case cancel
    }

    func activationCommand(_ command: ActivationCommand, group: String, reason: String, actor: String)
        -> Result<ActivationStatus, ActivationRefusal>
    {
        if let refusal = refusalWhileStoreAway() {
            return .failure(ActivationRefusal(status: 503, error: "unavailable", detail: refusal))
        }
        let wall = WallClockAnchor(monotonicNow: now).wallNow
        let change: ActivationChange
        do {
            switch command {
            case .activate(let member, let force):
                // trunk_groups[].require_validation (SignallingServer+Validation.swift); force does not skip it.
                if let refusal = validationRefusal(trunk: member, group: group) {
                    return .failure(ActivationRefusal(status: 409, error: "validation_required", detail: refusal))
                }
                change = try b2bua.activate(group: group, member: member, reason: reason, actor: actor, force: force, at: wall)
            case .rollback(let version, let force):
                change = try b2bua.rollbackActivation(group: group, to: version, reason: reason, actor: actor, force: force,
                                                      at: wall)
            case .cancel:
                change = try b2bua.cancelQueuedActivation(group: group, reason: reason, actor: actor, at: wall)
            }
        } catch {
            return .failure(ActivationMapping.refusal(error))
        }
        emit([])
        return activationStatus(group: group, outcome: ActivationMapping.outcome(change))
    }

    /// Applies drained swaps, then persists, audits and alerts every activation change (from
    /// `emit`, after each batch of work).
    func recordActivations() {
        let wall = WallClockAnchor(monotonicNow: now).wallNow
        b2bua.applyDrainedActivations(at: wall)
        for (group, change) in b2bua.takeActivationChanges() {
            for record in ActivationMapping.records(change, group: group) { operationalState.save(record) }
            let audit = ActivationMapping.audit(change, group: group, at: wall)
            operationalState.append(audit)
            metrics.setActivationVersion(group: group, version: b2bua.activation(of: group)?.current.version ?? 0)
            var alert = [
                "kind": "activation", "group": group, "event": audit.cause, "version": "\(change.version.version)",
                "first_member": change.version.firstMember, "actor": audit.actor ?? "", "reason": audit.detail ?? "",
                "at": "\(wall)", "node": configuration.node.name,
            ]
            if case .queued(let pending) = change {
                alert["draining"] = pending.draining
                alert["active_calls"] = "\(b2bua.availability.activeCalls(on: pending.draining))"
                alert["threshold"] = "\(pending.threshold)"
            }
            alerts?.notify(alert)
        }
    }
}
