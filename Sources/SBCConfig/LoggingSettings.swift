import Yams

/// Severity threshold of the log (key `logging.level`), the same seven levels as swift-log's
/// `Logger.Level`, in increasing severity, so that the server maps them one to one.
public enum LogLevel: String, Sendable, Equatable, CaseIterable, Comparable {
    /// Every message and its parse steps: for reproducing a problem in the lab, never in production.
    case trace
    /// Per-transaction detail: for a short diagnosis on a live node.
    case debug
    /// Call starts and ends, trunk state changes, configuration loads (the default).
    case info
    /// Unusual but handled events (a failover, a rejected unknown source).
    case notice
    /// Degraded operation (a trunk down, a drain that had to end calls).
    case warning
    /// Failures of one call or one component.
    case error
    /// Failures of the whole node.
    case critical

    /// Severity order, so `level >= .warning` reads naturally.
    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Shape of each log line (key `logging.format`).
public enum LogFormat: String, Sendable, Equatable, CaseIterable {
    /// One JSON object per line (the default). Why: production logs go to a collector (journald,
    /// Loki, Elasticsearch), and structured fields such as the call id and trunk can be queried
    /// without fragile regular expressions.
    case json
    /// `timestamp level message key=value...` for a person watching a terminal.
    case text
}

/// Logging (YAML section `logging`).
///
/// Why in the configuration rather than only on the command line: the level is part of a node's
/// operating state that reviewers should see next to the rest of it, and a change of level goes
/// through the same check-config step as any other change.
public struct LoggingSettings: Sendable, Equatable {
    /// Least severe level written (key `level`, default `info`). `info` logs a few lines per call,
    /// which is affordable at production call rates; `debug` and `trace` are not.
    public var level: LogLevel

    /// Line format (key `format`, default `json`).
    public var format: LogFormat

    /// Creates logging settings; the defaults are `info` and `json`.
    public init(level: LogLevel = .info, format: LogFormat = .json) {
        self.level = level
        self.format = format
    }
}

extension LoggingSettings {
    /// The keys of the `logging` section.
    static let keys = ["level", "format"]

    /// Reads the `logging` section; absent or null means all defaults.
    static func read(_ node: Node?, at path: String, problems: ProblemCollector) -> LoggingSettings {
        var settings = LoggingSettings()
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else { return settings }
        settings.level = reader.choice("level") ?? settings.level
        settings.format = reader.choice("format") ?? settings.format
        return settings
    }
}
