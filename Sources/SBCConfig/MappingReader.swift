import Yams

/// Typed, problem-reporting access to one YAML mapping of the configuration.
///
/// Why walk the `Node` tree by hand rather than decode with `Codable`: a decoder stops at the first
/// error and knows neither the line nor the key path in the form operators read. This reader reports
/// every wrong value into the shared ``ProblemCollector`` with its key path and mark, returns `nil`
/// for it, and lets the caller carry on with the documented default, so one run finds everything.
///
/// Conventions every section follows (documented for operators in docs/CONFIG.md):
/// - A key written with no value (`udp_port:`, `~`, `null`) counts as absent: its default applies.
/// - Integers may be quoted (`"5060"`), since YAML tools quote numbers freely; strings may be written
///   unquoted even when they look like numbers (`name: 5060`).
/// - Keys must be known to the section; unknown ones are errors with a "did you mean".
struct MappingReader {
    /// One key/value pair, the key already a string.
    struct Entry {
        let key: String
        let keyMark: Mark?
        let value: Node
    }

    /// The key path of this mapping (`trunks[1]`, `sip`, or empty for the document root).
    let path: String
    /// Where the mapping starts: what a "required key is missing" problem points at.
    let mark: Mark?
    let problems: ProblemCollector
    private let entries: [Entry]
    /// Known keys that an unknown key was probably meant to be (`address` for `adress`): a
    /// "required" problem for them would only repeat the unknown-key problem, so it is skipped.
    private let misspelt: [String: String]
    /// Keys of the mapping that are not in `keys` (each already reported): a reader that needs one
    /// of several keys stays quiet when one of these may have been meant as it.
    let unknownKeys: [String]

    /// Reads `node` as a mapping whose allowed keys are `keys`, reporting every other key at once
    /// (with a "did you mean"). Returns nil, without a problem, when the node is absent or null
    /// (the whole section takes its defaults), and nil with a problem when it is something else.
    /// `ignoringPrefix` names keys that are allowed and skipped: the top level passes `x-`, so a
    /// file can hold anchored blocks (`x-carrier-defaults: &carrier`) for merge keys to use.
    /// `unknownKey` words the problem for a key outside `keys` (given the key and the suggestion)
    /// where the keys are names rather than settings: a group's `weights` are keyed by member.
    init?(_ node: Node?, at path: String, keys: [String], ignoringPrefix: String? = nil,
          unknownKey: ((String, String?) -> String)? = nil, problems: ProblemCollector) {
        guard let node, !Self.isNull(node) else { return nil }
        guard case let .mapping(mapping) = node else {
            problems.report(path, at: node.mark,
                            "must be a mapping of keys to values, got \(Self.describe(node))")
            return nil
        }
        self.path = path
        self.mark = mapping.mark
        self.problems = problems
        problems.note(path, at: mapping.mark)
        var entries: [Entry] = []
        var misspelt: [String: String] = [:]
        var unknownKeys: [String] = []
        for (key, keyMark, value) in Self.pairsWithMerges(mapping, at: path, problems: problems) {
            if let ignoringPrefix, key.hasPrefix(ignoringPrefix) { continue }
            let childPath = ProblemCollector.child(of: path, key)
            guard keys.contains(key) else {
                let suggestion = NameSuggester.suggestion(for: key, among: keys)
                if let suggestion { misspelt[suggestion] = key }
                unknownKeys.append(key)
                let hint = suggestion.map { "; did you mean \"\($0)\"?" } ?? ""
                problems.report(childPath, at: keyMark,
                                unknownKey?(key, suggestion) ?? "unknown key \"\(key)\"\(hint)")
                continue
            }
            entries.append(Entry(key: key, keyMark: keyMark, value: value))
        }
        self.entries = entries
        self.misspelt = misspelt
        self.unknownKeys = unknownKeys
    }

    /// The mapping's pairs with YAML merge keys (`<<: *defaults`, or a list of aliases) expanded:
    /// keys written in the mapping win over merged ones, and earlier merged mappings win over later
    /// ones, as the YAML merge-key convention says. Why support them: a node with many trunks to one
    /// carrier repeats zone, port and transport, and an anchor on the first trunk keeps those
    /// consistent. Merged values keep the marks of where they are written (the anchored mapping).
    private static func pairsWithMerges(_ mapping: Node.Mapping, at path: String,
                                        problems: ProblemCollector) -> [(String, Mark?, Node)] {
        var explicit: [(String, Mark?, Node)] = []
        var merged: [(String, Mark?, Node)] = []
        for (key, value) in mapping {
            guard case let .scalar(scalar) = key, !isNull(key) else {
                problems.report(path, at: key.mark, "keys must be plain names, got \(describe(key))")
                continue
            }
            guard scalar.string == "<<", scalar.style == .plain || scalar.style == .any else {
                explicit.append((scalar.string, key.mark, value))
                continue
            }
            let sources: [Node]
            switch value {
            case .mapping: sources = [value]
            case let .sequence(sequence): sources = Array(sequence)
            default: sources = [value]
            }
            for source in sources {
                guard case let .mapping(sourceMapping) = source else {
                    problems.report(ProblemCollector.child(of: path, "<<"), at: source.mark,
                                    "a merge key takes a mapping or a list of mappings, got \(describe(source))")
                    continue
                }
                for (sourceKey, sourceValue) in sourceMapping {
                    if case let .scalar(sourceScalar) = sourceKey, sourceScalar.string != "<<" {
                        merged.append((sourceScalar.string, sourceKey.mark, sourceValue))
                    }
                }
            }
        }
        var seen = Set(explicit.map(\.0))
        for pair in merged where seen.insert(pair.0).inserted {
            explicit.append(pair)
        }
        return explicit
    }

    /// The key path of `key` in this mapping.
    func path(_ key: String) -> String {
        ProblemCollector.child(of: path, key)
    }

    /// The value of `key`, or nil when absent or null. Records the value's mark (or the key's, for
    /// a null) under the key path so later cross-reference checks can point at it.
    func value(_ key: String) -> Node? {
        guard let entry = entries.first(where: { $0.key == key }) else { return nil }
        if Self.isNull(entry.value) {
            problems.note(path(key), at: entry.keyMark)
            return nil
        }
        problems.note(path(key), at: entry.value.mark ?? entry.keyMark)
        return entry.value
    }

    /// Reports `key` as missing when it has no value; returns whether it has one.
    @discardableResult
    func require(_ key: String, _ what: String) -> Bool {
        if value(key) != nil { return true }
        if misspelt[key] == nil {
            problems.report(path(key), "is required (\(what))")
        }
        return false
    }

    // MARK: - Typed values

    /// A string value. Scalars of any style are accepted (`name: 5060` is the string "5060").
    func string(_ key: String) -> String? {
        guard let node = value(key) else { return nil }
        return Self.string(node, at: path(key), problems: problems)
    }

    /// A string value for a reference or match key: nil when absent, the string when valid, and
    /// an empty string (a placeholder the cross-reference checks skip) when present but not a
    /// string, so that "present but wrong" is not mistaken later for "absent".
    func stringOrPlaceholder(_ key: String) -> String? {
        guard value(key) != nil else { return nil }
        return string(key) ?? ""
    }

    /// An integer in `range`; `unit` (`milliseconds`, `seconds`, `bytes`) is named in the message
    /// because the unit is the usual source of an out-of-range value.
    func integer(_ key: String, in range: ClosedRange<Int>, unit: String? = nil) -> Int? {
        guard let node = value(key) else { return nil }
        let unitText = unit.map { " (\($0))" } ?? ""
        if case let .scalar(scalar) = node, let number = Self.parseInteger(scalar.string), range.contains(number) {
            return number
        }
        problems.report(path(key), at: node.mark,
                        "must be an integer \(range.lowerBound)-\(range.upperBound)\(unitText), got \(Self.describe(node))")
        return nil
    }

    /// A UDP/TCP port, 1-65535 (port 0 would mean "any port", never what a SIP peer wants).
    func port(_ key: String) -> UInt16? {
        integer(key, in: 1...65535).map { UInt16($0) }
    }

    /// A duration written as an integer count of milliseconds (keys ending in `_ms`).
    func milliseconds(_ key: String, in range: ClosedRange<Int>) -> Duration? {
        integer(key, in: range, unit: "milliseconds").map { .milliseconds($0) }
    }

    /// A duration written as an integer count of seconds (keys ending in `_s`).
    func seconds(_ key: String, in range: ClosedRange<Int>) -> Duration? {
        integer(key, in: range, unit: "seconds").map { .seconds($0) }
    }

    /// One of an enum's raw values, exactly (they are lower-case words); a near miss gets a hint.
    func choice<Value: RawRepresentable & CaseIterable>(_ key: String) -> Value? where Value.RawValue == String {
        guard let node = value(key) else { return nil }
        let allowed = Value.allCases.map(\.rawValue)
        if case let .scalar(scalar) = node, let choice = Value(rawValue: scalar.string) {
            return choice
        }
        let typed = node.scalar?.string ?? ""
        let hint = NameSuggester.hint(for: typed, among: allowed)
        problems.report(path(key), at: node.mark,
                        "must be one of \(allowed.joined(separator: ", ")), got \(Self.describe(node))\(hint)")
        return nil
    }

    /// The elements of a list with their key paths; nil when absent or null, empty with a problem
    /// when the value is not a list.
    func sequence(_ key: String) -> [(path: String, node: Node)]? {
        guard let node = value(key) else { return nil }
        guard case let .sequence(sequence) = node else {
            problems.report(path(key), at: node.mark, "must be a list, got \(Self.describe(node))")
            return []
        }
        return sequence.enumerated().map { index, element in
            let elementPath = ProblemCollector.element(of: path(key), index)
            problems.note(elementPath, at: element.mark)
            return (elementPath, element)
        }
    }

    /// A list of strings (trunk names of a group). Elements that are not strings are reported and
    /// kept as empty strings so that indexes in later messages still match the file.
    func stringList(_ key: String) -> [String]? {
        sequence(key)?.map { element in
            Self.string(element.node, at: element.path, problems: problems) ?? ""
        }
    }

    /// The `name` of a zone, trunk, group or route. Required, and restricted to
    /// 1-64 letters, digits, `-`, `_` and `.` because names end up in log fields, metric labels,
    /// admin API paths and CDR columns, where spaces and punctuation cause quoting trouble.
    /// An invalid name is still returned so that references to it do not cascade into more problems.
    func name(_ what: String) -> String {
        guard require("name", "every \(what) needs a unique name"), let name = string("name") else { return "" }
        if !Self.isIdentifier(name) {
            problems.report(path("name"),
                            "must be 1-64 characters: letters, digits, '-', '_' or '.', got \(Self.describe(.init(name)))")
        }
        return name
    }

    /// Whether `text` is a valid object name (see ``name(_:)``).
    static func isIdentifier(_ text: String) -> Bool {
        (1...64).contains(text.count)
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    // MARK: - Helpers shared with list readers

    /// A scalar's text, or nil with a "must be a string" problem.
    static func string(_ node: Node, at path: String, problems: ProblemCollector) -> String? {
        if case let .scalar(scalar) = node, !isNull(node) { return scalar.string }
        problems.report(path, at: node.mark, "must be a string, got \(describe(node))")
        return nil
    }

    /// YAML's null: a plain `~`, `null` (any common case) or nothing at all. Quoted `""` is a string.
    static func isNull(_ node: Node) -> Bool {
        guard case let .scalar(scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// Decimal integers only, optionally signed: `0x10`, `1_000` and `1e3` are refused because an
    /// operator reading the file should see the number the SBC will use.
    static func parseInteger(_ text: String) -> Int? {
        let digits = text.first == "+" || text.first == "-" ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// How a value is shown after "got": numbers bare, other scalars quoted, containers by kind.
    static func describe(_ node: Node) -> String {
        switch node {
        case let .scalar(scalar):
            if isNull(node) { return "nothing (null)" }
            let text = scalar.string
            let plain = scalar.style == .plain || scalar.style == .any
            let looksNumeric = Double(text) != nil && text.contains(where: \.isNumber)
                && text.allSatisfy { "0123456789+-.eE".contains($0) }
            if plain, looksNumeric { return text }
            var escaped = ""
            for character in text {
                switch character {
                case "\"": escaped += "\\\""
                case "\\": escaped += "\\\\"
                case "\n": escaped += "\\n"
                case "\t": escaped += "\\t"
                default: escaped.append(character)
                }
            }
            return "\"\(escaped)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}
