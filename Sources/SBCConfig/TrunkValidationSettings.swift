import Yams

/// DID validation of one trunk: test calls the SBC places through this trunk only, to prove that
/// the carrier routes the listed numbers before traffic moves to it (key `trunks[].validation`,
/// a mapping, optional; docs/VALIDATION.md).
///
/// Why per trunk and not per group: a secondary carrier is validated on its own, while the
/// primary still takes the traffic; the group only asks for the result
/// (`trunk_groups[].require_validation`).
public struct TrunkValidationSettings: Sendable, Equatable {
    /// Which response proves a DID reachable (key `reachable`, default `ringing`).
    public enum Reachability: String, Sendable, Equatable, CaseIterable {
        /// A 180/183 (or an answer): the carrier routed the number to something that rings. The
        /// call is cancelled at once, so nobody is disturbed and nothing is billed.
        case ringing
        /// Only a 200: the number answers (an IVR, an echo service). The call is ACKed and ended
        /// with BYE at once.
        case answered
    }

    /// The numbers to call (key `dids`, a list of strings such as `+15550100`), or read from
    /// `dids_file`, one per line (blank lines and `#` comments ignored). Exactly one of the two.
    public var dids: [String]
    /// The file the DIDs were read from, when they came from one (key `dids_file`).
    public var didsFile: String?
    /// The caller number of the test calls (key `caller`, required): the From user, which the
    /// trunk's header profile rewrites like any caller's.
    public var caller: String
    /// How long a test call may wait for the response that decides it (key `timeout_s`, default
    /// 10 s, range 1-120); a DID that has not decided by then is `timeout`.
    public var timeout: Duration
    public var reachable: Reachability
    /// Time between two test calls of a run (key `pace_ms`, default 1000, range 50-60000): the
    /// carrier sees a trickle, never a burst that its CPS limit would refuse.
    public var pace: Duration
    /// How long a passing run counts for groups that require validation without their own age
    /// (key `max_age_s`, optional, range 60-31536000).
    public var maxAge: Duration?

    public static let defaultTimeout: Duration = .seconds(10)
    public static let defaultPace: Duration = .milliseconds(1000)

    public init(dids: [String], didsFile: String? = nil, caller: String, timeout: Duration = Self.defaultTimeout,
                reachable: Reachability = .ringing, pace: Duration = Self.defaultPace, maxAge: Duration? = nil) {
        self.dids = dids
        self.didsFile = didsFile
        self.caller = caller
        self.timeout = timeout
        self.reachable = reachable
        self.pace = pace
        self.maxAge = maxAge
    }
}

extension TrunkValidationSettings {
    static let keys = ["dids", "dids_file", "caller", "timeout_s", "reachable", "pace_ms", "max_age_s"]
    static let timeoutRange = 1...120
    static let paceRange = 50...60_000
    static let maxAgeRange = 60...31_536_000
    /// More DIDs than this would keep a run going for hours at the default pace.
    static let maxDIDs = 1000

    /// Reads `validation` under a trunk's mapping; nil when absent. `readFile` returns a file's
    /// text (nil when unreadable), injected so tests need no files.
    static func read(_ trunk: MappingReader,
                     readFile: (String) -> String? = TrunkValidationSettings.readFile) -> TrunkValidationSettings? {
        trunk.nested("validation", keys: keys) { reader in
            var settings = TrunkValidationSettings(dids: [], caller: "")
            if reader.require("caller", "the caller number of the test calls, such as \"+15550000\"") {
                settings.caller = reader.string("caller") ?? ""
                if !settings.caller.isEmpty, !isNumber(settings.caller) {
                    reader.problems.report(reader.path("caller"), "must be a number such as +15550000, got \"\(settings.caller)\"")
                }
            }
            let listed = reader.stringList("dids")
            let file = reader.string("dids_file")
            switch (listed, file) {
            case (nil, nil):
                reader.problems.report(reader.path("dids"), "is required (a list of numbers to call), or dids_file")
            case (.some, .some):
                reader.problems.report(reader.path("dids_file"), "cannot be used together with dids: name the numbers once")
            case (let list?, nil):
                settings.dids = list
                for (index, did) in list.enumerated() where !isNumber(did) {
                    reader.problems.report(ProblemCollector.element(of: reader.path("dids"), index),
                                           "must be a number such as +15550100, got \"\(did)\"")
                }
            case (nil, let path?):
                settings.didsFile = path
                if let text = readFile(path) {
                    settings.dids = parseList(text)
                    if let bad = settings.dids.first(where: { !isNumber($0) }) {
                        reader.problems.report(reader.path("dids_file"), "\(path) lists \"\(bad)\", which is not a number")
                    }
                } else {
                    reader.problems.report(reader.path("dids_file"), "cannot read \(path)")
                }
            }
            if settings.dids.isEmpty, listed != nil || file != nil, !reader.problems.hasProblem(at: reader.path("dids_file")) {
                reader.problems.report(reader.path(file == nil ? "dids" : "dids_file"), "must name at least one number")
            } else if settings.dids.count > maxDIDs {
                reader.problems.report(reader.path(file == nil ? "dids" : "dids_file"),
                                       "names \(settings.dids.count) numbers, at most \(maxDIDs) per trunk")
            }
            settings.timeout = reader.seconds("timeout_s", in: timeoutRange) ?? settings.timeout
            settings.reachable = reader.choice("reachable") ?? settings.reachable
            settings.pace = reader.milliseconds("pace_ms", in: paceRange) ?? settings.pace
            settings.maxAge = reader.seconds("max_age_s", in: maxAgeRange)
            return settings
        }
    }

    /// A dialable number: an optional `+` then 1-32 digits.
    static func isNumber(_ text: String) -> Bool {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        return (1...32).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// One number per line; blank lines and `#` comments skipped.
    static func parseList(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let number = String(content.filter { !$0.isWhitespace })
            return number.isEmpty ? nil : number
        }
    }

    static func readFile(_ path: String) -> String? {
        try? ConfigLoader.readFile(path)
    }
}
