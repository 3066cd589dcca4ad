/// One version of a trunk group's activation: which member takes new calls first, and who made
/// it so, when and why. Versions are numbered per group from 1; version 0 is the configuration's
/// own order and is never stored.
public struct ActivationVersion: Sendable, Equatable {
    public var version: Int
    /// The member tried first by new calls; the others follow in configuration order.
    public var firstMember: String
    public var reason: String
    /// The admin token's name ("config" for version 0).
    public var actor: String
    /// Unix seconds when the version was requested (a queued one: when it was queued).
    public var requestedAt: Double
    /// Unix seconds when it took effect; nil while queued or if cancelled.
    public var appliedAt: Double?
    /// The earlier version this one restores (a rollback), nil for a plain activation.
    public var rollbackOf: Int?
    /// Created with `force: true` (cooling and drain check skipped).
    public var forced: Bool

    public init(version: Int, firstMember: String, reason: String, actor: String, requestedAt: Double,
                appliedAt: Double? = nil, rollbackOf: Int? = nil, forced: Bool = false)
    {
        self.version = version
        self.firstMember = firstMember
        self.reason = reason
        self.actor = actor
        self.requestedAt = requestedAt
        self.appliedAt = appliedAt
        self.rollbackOf = rollbackOf
        self.forced = forced
    }

    /// Version 0: the configured member order, in effect until the first activation.
    public static func configured(firstMember: String) -> ActivationVersion {
        ActivationVersion(version: 0, firstMember: firstMember, reason: "configuration order", actor: "config",
                          requestedAt: 0, appliedAt: 0)
    }
}

/// A swap waiting for the calls on the member it demotes to drain (see `TrunkGroupActivation`).
public struct QueuedActivation: Sendable, Equatable {
    /// The version it becomes when applied (its number is taken when queued and never reused).
    public var version: ActivationVersion
    /// The member losing first place, whose active calls are watched.
    public var draining: String
    /// It applies once `draining` has this many active calls or fewer.
    public var threshold: Int

    public init(version: ActivationVersion, draining: String, threshold: Int) {
        self.version = version
        self.draining = draining
        self.threshold = threshold
    }
}
