import Yams

/// Established calls that survive a restart (YAML section `recovery`, docs/RESTART.md).
///
/// Why on by default: a crash or an upgrade that cuts every call in progress is the outage
/// contact centers notice most, and keeping the snapshots costs one small write per answered
/// or changed call on the store thread.
public struct RecoverySettings: Sendable, Equatable {
    /// Keep a snapshot of every established call in the state database and restore the calls
    /// at start-up (key `enabled`, default true).
    public var enabled: Bool
    /// How long a restored call may stay silent, on top of the media timeout, before it is ended
    /// with BYE to both legs (key `grace_s`, default 10 s, range 0-3600): the parties of a call
    /// that ended while the SBC was down never send again. Also covers the restart itself.
    public var grace: Duration

    public static let defaultGrace: Duration = .seconds(10)

    public init(enabled: Bool = true, grace: Duration = RecoverySettings.defaultGrace) {
        self.enabled = enabled
        self.grace = grace
    }
}

extension RecoverySettings {
    /// The keys of the `recovery` section.
    static let keys = ["enabled", "grace_s"]

    static let graceRange = 0...3_600

    /// Reads the `recovery` section; absent or null means all defaults.
    static func read(_ node: Node?, at path: String, problems: ProblemCollector) -> RecoverySettings {
        var settings = RecoverySettings()
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else { return settings }
        settings.enabled = reader.boolean("enabled") ?? settings.enabled
        settings.grace = reader.seconds("grace_s", in: graceRange) ?? settings.grace
        return settings
    }
}
