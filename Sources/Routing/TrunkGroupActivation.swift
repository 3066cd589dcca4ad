import SBCConfig

/// The versioned activation of one trunk group: which member takes new calls first, every
/// version ever applied (append-only, so any of them can be restored), the cooling period after
/// each one and the swap queued behind a drain check.
///
/// Sans-IO: the driver passes the wall-clock time (Unix seconds, so cooling survives a restart)
/// and the active calls on the member being demoted; the results are `ActivationChange`s to
/// persist and audit. Ordering is by priority only: the activated member first, the others in
/// configuration order. Weighted groups refuse activations (`weightedGroup`), since their first
/// member is drawn per call by weight.
public struct TrunkGroupActivation: Sendable, Equatable {
    public let group: String
    public let members: [String]
    public let settings: GroupActivationSettings
    public let weighted: Bool
    /// Applied versions, oldest first (version 0 is implicit).
    public private(set) var history: [ActivationVersion]
    public private(set) var queued: QueuedActivation?
    /// The next version number: numbers are never reused, even those of cancelled swaps.
    private var nextVersion: Int

    public init(group: TrunkGroupSettings) {
        self.group = group.name
        members = group.members
        settings = group.activation
        weighted = group.strategy == .weighted
        history = []
        queued = nil
        nextVersion = 1
    }

    /// Rebuilds the state persisted before a restart: `versions` are every stored version
    /// (applied, queued or cancelled). Versions naming a trunk no longer in the group are kept
    /// in the history but the current order falls back to the configuration's.
    public init(group: TrunkGroupSettings, restoring versions: [ActivationVersion], queued: QueuedActivation?,
                highestVersion: Int)
    {
        self.init(group: group)
        history = versions.filter { $0.appliedAt != nil }.sorted { $0.version < $1.version }
        self.queued = queued
        nextVersion = max(highestVersion, history.last?.version ?? 0, queued?.version.version ?? 0) + 1
    }

    /// The highest version number ever given out (applied, queued or cancelled).
    public var highestVersion: Int { nextVersion - 1 }

    /// The same history and queue under a reloaded group's settings (members, cooling, drain).
    public func reconfigured(_ group: TrunkGroupSettings) -> TrunkGroupActivation {
        TrunkGroupActivation(group: group, restoring: history, queued: queued, highestVersion: highestVersion)
    }

    /// The version in effect (version 0 until the first activation).
    public var current: ActivationVersion {
        history.last ?? .configured(firstMember: members.first ?? "")
    }

    /// The member new calls try first: the current version's, if it is still a member.
    public var firstMember: String? {
        let named = current.firstMember
        return members.contains(named) ? named : members.first
    }

    /// `candidates` (the group's members in configuration order) with the first member moved to
    /// the front; weighted groups and version 0 keep the order they were given.
    public func order<Candidate>(_ candidates: [Candidate], name: (Candidate) -> String) -> [Candidate] {
        guard !weighted, !history.isEmpty, let first = firstMember,
              let index = candidates.firstIndex(where: { name($0) == first }), index > 0
        else { return candidates }
        var ordered = candidates
        ordered.insert(ordered.remove(at: index), at: 0)
        return ordered
    }

    /// Whole seconds of cooling left at `now` (0 when none): rounded up, so "1 s" is never 0.
    public func coolingLeft(at now: Double) -> Int {
        guard let applied = history.last?.appliedAt else { return 0 }
        let left = applied + Double(settings.cooling.components.seconds) - now
        return left > 0 ? Int(left.rounded(.up)) : 0
    }

    /// Makes `member` the first member as a new version, or queues it behind the drain check.
    /// `activeCalls` is the number of calls up on the member it demotes.
    public mutating func activate(member: String, reason: String, actor: String, force: Bool, at now: Double,
                                  activeCalls: Int) throws(ActivationError) -> ActivationChange
    {
        try swap(to: member, rollbackOf: nil, reason: reason, actor: actor, force: force, at: now,
                 activeCalls: activeCalls)
    }

    /// A new version equal to the earlier `version` (0: the configuration's order), under the same
    /// guards as an activation; the history itself is never rewritten.
    public mutating func rollback(to version: Int, reason: String, actor: String, force: Bool, at now: Double,
                                  activeCalls: Int) throws(ActivationError) -> ActivationChange
    {
        let target: ActivationVersion
        if version == 0 {
            target = .configured(firstMember: members.first ?? "")
        } else if let earlier = history.first(where: { $0.version == version }) {
            target = earlier
        } else {
            throw .unknownVersion(version)
        }
        return try swap(to: target.firstMember, rollbackOf: version, reason: reason, actor: actor, force: force,
                        at: now, activeCalls: activeCalls)
    }

    /// Drops the queued swap.
    public mutating func cancelQueued(reason: String, actor: String, at now: Double) throws(ActivationError)
        -> ActivationChange
    {
        guard let pending = queued else { throw .nothingQueued }
        queued = nil
        return .cancelled(pending.version, actor: actor, reason: reason, at: now)
    }

    /// Applies the queued swap once its member's active calls are down to the threshold.
    public mutating func drainCheck(activeCalls: Int, at now: Double) -> ActivationChange? {
        guard let pending = queued, activeCalls <= pending.threshold else { return nil }
        queued = nil
        return .dequeued(apply(pending.version, at: now))
    }

    private mutating func swap(to member: String, rollbackOf: Int?, reason: String, actor: String, force: Bool,
                               at now: Double, activeCalls: Int) throws(ActivationError) -> ActivationChange
    {
        guard !weighted else { throw .weightedGroup(group) }
        guard members.contains(member) else { throw .unknownMember(member, members: members) }
        let current = self.current
        let demoted = firstMember ?? member
        // Even with force: a version that changes nothing is noise in the history.
        guard member != demoted else { throw .alreadyFirst(member, version: current.version) }
        if !force {
            if let pending = queued { throw .queuePending(version: pending.version.version, member: pending.version.firstMember) }
            let left = coolingLeft(at: now)
            if left > 0 { throw .cooling(member: demoted, secondsLeft: left, version: current.version) }
        }
        let version = ActivationVersion(version: nextVersion, firstMember: member, reason: reason, actor: actor,
                                        requestedAt: now, rollbackOf: rollbackOf, forced: force)
        nextVersion += 1
        if !force, let threshold = settings.drainThreshold, activeCalls > threshold {
            let pending = QueuedActivation(version: version, draining: demoted, threshold: threshold)
            queued = pending
            return .queued(pending)
        }
        let replaced = queued?.version
        queued = nil
        return .applied(apply(version, at: now), cancelled: replaced)
    }

    private mutating func apply(_ version: ActivationVersion, at now: Double) -> ActivationVersion {
        var applied = version
        applied.appliedAt = now
        history.append(applied)
        return applied
    }
}
