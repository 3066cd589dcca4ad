/// The answer to a configuration reload (`POST /api/v1/config/reload`, SIGHUP's log line, `sbc
/// ctl reload`): what changed, what was applied, what waits for a restart, or why nothing was.
///
/// Why one shape for success and refusal: a script checks `result` and reads the same lists
/// either way; a refused reload answers 422 with `problems` naming each key and line.
public struct ConfigReloadReport: Codable, Sendable, Equatable, AdminResponseStatus {
    /// `applied` (something changed and was applied), `unchanged` (the file's live settings are
    /// already running; restart-only changes may still be listed) or `refused` (nothing changed).
    public var result: String
    /// Who asked: the admin token's name or `SIGHUP`.
    public var actor: String
    /// The file read.
    public var path: String
    /// The running configuration after the reload (unchanged when refused).
    public var configuration: ConfigurationStatus
    /// Changes now in force for new calls.
    public var applied: [Change]
    /// Changes read but not applied: they need a restart.
    public var restartRequired: [Change]
    /// Why the file was refused: every problem with its key and line.
    public var problems: [Problem]
    /// Lint warnings of a file that loads (applied anyway, as `sbc run` starts with them).
    public var warnings: [Problem]

    /// One changed item.
    public struct Change: Codable, Sendable, Equatable {
        public var section: String
        public var name: String?
        /// `added`, `removed` or `changed`.
        public var change: String
        /// The item's keys that differ (`port`, `health`), in the file's spelling.
        public var keys: [String]

        public init(section: String, name: String?, change: String, keys: [String]) {
            self.section = section
            self.name = name
            self.change = change
            self.keys = keys
        }
    }

    /// One problem or warning in the file.
    public struct Problem: Codable, Sendable, Equatable {
        /// Key path, `trunks[1].port`; empty for the file as a whole (a syntax error).
        public var key: String
        public var line: Int?
        public var column: Int?
        public var message: String

        public init(key: String, line: Int?, column: Int?, message: String) {
            self.key = key
            self.line = line
            self.column = column
            self.message = message
        }
    }

    public init(result: String, actor: String, path: String, configuration: ConfigurationStatus,
                applied: [Change] = [], restartRequired: [Change] = [], problems: [Problem] = [],
                warnings: [Problem] = []) {
        self.result = result
        self.actor = actor
        self.path = path
        self.configuration = configuration
        self.applied = applied
        self.restartRequired = restartRequired
        self.problems = problems
        self.warnings = warnings
    }

    public var isRefused: Bool { result == "refused" }

    /// 422 for a refused file, 200 otherwise.
    var responseStatusCode: Int { isRefused ? 422 : 200 }
}
