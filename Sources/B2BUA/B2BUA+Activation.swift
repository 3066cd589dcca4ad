import Logging
import Routing
import SBCConfig

/// Operator activations of trunk groups (which member takes new calls first, versioned, with
/// cooling and a drain queue; see `TrunkGroupActivation`) and the group's overflow destination.
///
/// The B2BUA holds them because it orders every new call's candidates and knows the calls up on
/// each trunk, which the drain check needs. Changes are logged here and handed to the driver
/// (`takeActivationChanges`) to persist, audit and alert.
extension B2BUA {
    /// Why an activation command was refused.
    public enum ActivationRequestError: Error, Sendable, Equatable {
        case unknownGroup(String)
        case refused(ActivationError)
    }

    /// The group's activation state (version 0 when no operator has activated anything).
    public func activation(of group: String) -> TrunkGroupActivation? {
        if let state = groupActivations[group] { return state }
        return routing.group(named: group).map(TrunkGroupActivation.init(group:))
    }

    /// Puts back an activation state read from the state database at start-up.
    public mutating func restoreActivation(_ state: TrunkGroupActivation) {
        guard routing.group(named: state.group) != nil else { return }
        groupActivations[state.group] = state
        logger.notice("group activation restored", metadata: [
            "group": "\(state.group)", "version": "\(state.current.version)",
            "first": "\(state.firstMember ?? "-")", "queued": "\(state.queued.map { "\($0.version.version)" } ?? "-")",
        ])
    }

    /// After a configuration reload: each group's history and queue carry over under its new
    /// settings (members, cooling, drain threshold); groups that no longer exist are dropped
    /// (their versions stay in the state database).
    mutating func reconfigureActivations() {
        for (name, state) in groupActivations {
            groupActivations[name] = routing.group(named: name).map(state.reconfigured)
        }
    }

    /// `PUT /api/v1/trunk-groups/{name}/activation`: `member` first for new calls.
    public mutating func activate(group name: String, member: String, reason: String, actor: String, force: Bool,
                                  at now: Double) throws(ActivationRequestError) -> ActivationChange
    {
        try changeActivation(of: name) { state, calls throws(ActivationError) in
            try state.activate(member: member, reason: reason, actor: actor, force: force, at: now, activeCalls: calls)
        }
    }

    /// `POST .../activation/rollback`: a new version equal to `version`.
    public mutating func rollbackActivation(group name: String, to version: Int, reason: String, actor: String,
                                            force: Bool, at now: Double) throws(ActivationRequestError)
        -> ActivationChange
    {
        try changeActivation(of: name) { state, calls throws(ActivationError) in
            try state.rollback(to: version, reason: reason, actor: actor, force: force, at: now, activeCalls: calls)
        }
    }

    /// `DELETE .../activation/queued`.
    public mutating func cancelQueuedActivation(group name: String, reason: String, actor: String, at now: Double)
        throws(ActivationRequestError) -> ActivationChange
    {
        try changeActivation(of: name) { state, _ throws(ActivationError) in
            try state.cancelQueued(reason: reason, actor: actor, at: now)
        }
    }

    /// Applies every queued swap whose demoted member has drained. Cheap when nothing is queued;
    /// the driver calls it after each batch of work (calls end in many places).
    public mutating func applyDrainedActivations(at now: Double) {
        guard groupActivations.values.contains(where: { $0.queued != nil }) else { return }
        for name in groupActivations.keys {
            guard let pending = groupActivations[name]?.queued,
                  let change = groupActivations[name]?.drainCheck(
                      activeCalls: availability.activeCalls(on: pending.draining), at: now)
            else { continue }
            noteActivation(change, group: name)
        }
    }

    /// The activation changes since the last call, by group (persist, audit, alert).
    public mutating func takeActivationChanges() -> [(group: String, change: ActivationChange)] {
        defer { activationChanges.removeAll(keepingCapacity: true) }
        return activationChanges
    }

    /// A new call's candidates: the group's order (weighted draw or the activation's first
    /// member), then the group's overflow trunk as the last resort.
    mutating func orderedCandidates(_ decision: RouteDecision) -> [TrunkSettings] {
        var candidates = CandidateOrder.order(decision.candidates, group: decision.group, using: &ids)
        guard let group = decision.group else { return candidates }
        if let state = groupActivations[group.name] { candidates = state.order(candidates) { $0.name } }
        if let overflow = group.overflow, let trunk = routing.trunk(named: overflow),
           !candidates.contains(where: { $0.name == overflow })
        {
            candidates.append(trunk)
        }
        return candidates
    }

    /// The member a forced failover takes out of selection: the one that takes traffic first.
    func primaryMember(of group: TrunkGroupSettings) -> String? {
        groupActivations[group.name]?.firstMember ?? group.members.first
    }

    private mutating func changeActivation(
        of name: String,
        _ body: (inout TrunkGroupActivation, Int) throws(ActivationError) -> ActivationChange
    ) throws(ActivationRequestError) -> ActivationChange {
        guard var state = activation(of: name) else { throw .unknownGroup(name) }
        let calls = state.firstMember.map { availability.activeCalls(on: $0) } ?? 0
        let change: ActivationChange
        do {
            change = try body(&state, calls)
        } catch {
            logger.info("group activation refused", metadata: ["group": "\(name)", "error": "\(error)"])
            throw .refused(error)
        }
        groupActivations[name] = state
        noteActivation(change, group: name)
        return change
    }

    private mutating func noteActivation(_ change: ActivationChange, group: String) {
        let version = change.version
        var metadata: Logger.Metadata = [
            "group": "\(group)", "version": "\(version.version)", "first": "\(version.firstMember)",
            "actor": "\(version.actor)", "reason": "\(version.reason)",
        ]
        switch change {
        case .applied(_, let cancelled):
            if let cancelled { metadata["cancelled_version"] = "\(cancelled.version)" }
            logger.notice("group activation applied", metadata: metadata)
        case .queued(let pending):
            metadata["draining"] = "\(pending.draining)"
            metadata["threshold"] = "\(pending.threshold)"
            logger.notice("group activation queued", metadata: metadata)
        case .dequeued:
            logger.notice("group activation applied after drain", metadata: metadata)
        case .cancelled(_, let actor, let reason, _):
            metadata["cancelled_by"] = "\(actor)"
            metadata["cancel_reason"] = "\(reason)"
            logger.notice("group activation cancelled", metadata: metadata)
        }
        activationChanges.append((group, change))
    }
}
