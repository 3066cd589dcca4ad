/// One thing wrong with a configuration file, located as precisely as the file allows.
///
/// Why a value type with a separate `line`, `column` and `keyPath` rather than a formatted string:
/// `sbc check-config` prints them in the compiler-style `file:line:column: key: message` form that
/// editors and CI logs turn into links, while tests and the admin API (which may show a config
/// upload's problems as JSON) want the pieces. The key path is always given, even when the line is
/// not known, so that a problem can be found in a file that was generated rather than hand written.
public struct ConfigProblem: Sendable, Equatable, Hashable {
    /// Where the configuration came from: the path given to ``ConfigLoader/load(path:)``, or the
    /// `source` label given to ``ConfigLoader/parse(yaml:source:)``.
    public var source: String

    /// 1-based line of the offending value, key or mapping; `nil` when the problem is not tied to a
    /// place in the file (the file cannot be read, or it is empty).
    public var line: Int?

    /// 1-based column (counted in Unicode scalars, as libyaml does); `nil` when `line` is.
    public var column: Int?

    /// Where in the document the problem is, in the notation operators read in the docs:
    /// `sip.t1_ms`, `trunks[1].port`, `trunk_groups[0].members[2]` (indexes are 0-based).
    /// Empty for problems with the file as a whole (syntax errors, empty file).
    public var keyPath: String

    /// What is wrong and, where it helps, what would be right ("did you mean ...", the allowed
    /// range). One sentence, no trailing period, no line breaks.
    public var message: String

    /// Creates a problem; the loader makes these, tests and tools may compare against them.
    public init(source: String, line: Int? = nil, column: Int? = nil, keyPath: String, message: String) {
        self.source = source
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }
}

extension ConfigProblem: CustomStringConvertible {
    /// `source:line:column: keyPath: message`, the form compilers use, so that editors and CI logs
    /// make the location clickable. Parts that are unknown are left out rather than printed as 0:
    /// `conf/sbc.yaml: cannot read file: No such file or directory` or
    /// `conf/sbc.yaml:4:1: YAML syntax error: ...`.
    public var description: String { formatted(marked: nil) }

    /// The description with a severity after the location (`warning`, ``ConfigWarning``).
    func formatted(marked severity: String?) -> String {
        var text = source
        if let line {
            text += ":\(line)"
            if let column { text += ":\(column)" }
        }
        text += ": "
        if let severity { text += severity + ": " }
        if !keyPath.isEmpty { text += keyPath + ": " }
        return text + message
    }
}
