/// Something in a valid configuration that is probably a mistake: the SBC runs with it, but an
/// operator should look (trunk group members set up differently, see ``TrunkGroupConsistency``).
///
/// Why apart from ``ConfigProblem``: a problem refuses the file, a warning never does, so the
/// loader returns warnings alongside the configuration (``LoadedConfiguration``) instead of
/// throwing them. Located the same way, so that `sbc check-config` prints both in the compiler
/// form editors link: `FILE:LINE:COLUMN: warning: KEY.PATH: message`.
public struct ConfigWarning: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The located text; its ``ConfigProblem/description`` is the warning without the `warning:` mark.
    public var location: ConfigProblem

    public init(source: String, line: Int? = nil, column: Int? = nil, keyPath: String, message: String) {
        location = ConfigProblem(source: source, line: line, column: column, keyPath: keyPath, message: message)
    }

    init(location: ConfigProblem) {
        self.location = location
    }

    public var source: String { location.source }
    public var line: Int? { location.line }
    public var column: Int? { location.column }
    public var keyPath: String { location.keyPath }
    public var message: String { location.message }

    /// `source:line:column: warning: keyPath: message`.
    public var description: String { location.formatted(marked: "warning") }
}

/// A configuration that loaded, with the warnings found on the way (possibly none).
public struct LoadedConfiguration: Sendable {
    public var configuration: SBCConfiguration
    /// In file order.
    public var warnings: [ConfigWarning]

    public init(configuration: SBCConfiguration, warnings: [ConfigWarning] = []) {
        self.configuration = configuration
        self.warnings = warnings
    }
}
