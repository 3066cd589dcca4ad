import Yams

/// Graceful shutdown (YAML section `shutdown`).
///
/// Why configurable: a restart for a configuration change or an upgrade should not cut calls in
/// progress. On SIGTERM or SIGINT the SBC refuses new calls, lets calls in progress continue for up
/// to the drain time, then closes the remaining calls and exits. How long is worth waiting depends
/// on the deployment (a lab wants seconds, a contact center minutes), hence the key.
public struct ShutdownSettings: Sendable, Equatable {
    /// Longest time calls in progress may continue after a stop signal (key `drain_s`, default
    /// 30 s, range 0-86400; 0 ends all calls at once).
    ///
    /// Why 30 s by default: long enough for calls being set up to complete or fail over cleanly,
    /// short enough that a service manager (systemd's `TimeoutStopSec` defaults to 90 s) does not
    /// kill the process first. Contact centers that want talking agents to finish set several
    /// minutes and raise the service manager's timeout to match.
    public var drain: Duration

    /// What SIGTERM/SIGINT does with established calls (key `mode`, default `drain`).
    public var mode: ShutdownMode

    public static let defaultDrain: Duration = .seconds(30)

    /// Creates shutdown settings; `drain` defaults to 30 seconds.
    public init(drain: Duration = ShutdownSettings.defaultDrain, mode: ShutdownMode = .drain) {
        self.drain = drain
        self.mode = mode
    }
}

/// What a stop signal does with established calls (docs/RESTART.md).
public enum ShutdownMode: String, Sendable, Equatable, CaseIterable {
    /// Refuse new calls, let established ones end for `drain_s`, then close the rest with BYE.
    case drain
    /// Stop at once without ending calls: their snapshots stay in the state database and the
    /// next process (an upgrade, a restart) restores them (needs `recovery.enabled`).
    case restart
}

extension ShutdownSettings {
    /// The keys of the `shutdown` section.
    static let keys = ["drain_s", "mode"]

    static let drainRange = 0...86_400

    /// Reads the `shutdown` section; absent or null means all defaults.
    static func read(_ node: Node?, at path: String, problems: ProblemCollector) -> ShutdownSettings {
        var settings = ShutdownSettings()
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else { return settings }
        settings.drain = reader.seconds("drain_s", in: drainRange) ?? settings.drain
        settings.mode = reader.choice("mode") ?? settings.mode
        return settings
    }
}
