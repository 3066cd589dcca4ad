import Yams

/// Readers for the value kinds that routes and profiles add: booleans, regular expressions, SIP
/// header names and templates. They follow ``MappingReader``'s rules: report with key path and
/// line, return nil for a wrong value, and let the caller keep its default.
extension MappingReader {
    /// `true` or `false` (YAML 1.2 core schema spellings, any common case). `yes`/`no`/`on`/`off`
    /// are refused: YAML 1.1 reads them as booleans and 1.2 as strings, so they mean different
    /// things to different tools, and a key like `critical` must not be ambiguous.
    func boolean(_ key: String) -> Bool? {
        guard let node = value(key) else { return nil }
        if case let .scalar(scalar) = node, scalar.style == .plain || scalar.style == .any {
            switch scalar.string {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        problems.report(path(key), at: node.mark, "must be true or false, got \(Self.describe(node))")
        return nil
    }

    /// A regular expression in Swift `Regex` syntax, compiled now so that a mistake is reported at
    /// load with its line instead of making every call fail. Returns the pattern text.
    func regex(_ key: String) -> String? {
        guard let pattern = string(key) else { return nil }
        if let problem = Self.regexProblem(pattern) {
            problems.report(path(key), "is not a valid regular expression: \(problem)")
            return nil
        }
        return pattern
    }

    /// Why `pattern` does not compile, in one line, or nil when it does.
    static func regexProblem(_ pattern: String) -> String? {
        if pattern.isEmpty { return "it is empty" }
        do {
            _ = try Regex(pattern)
            return nil
        } catch {
            let text = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
            return "\(text) (in \(describe(.init(pattern))))"
        }
    }

    /// A SIP header name (an RFC 3261 token such as `X-Provider`). With `glob`, `*` matches any run
    /// of characters (`X-Internal-*`); `*` is a token character, so the same check serves both.
    func headerName(_ key: String, glob: Bool = false) -> String? {
        guard let name = string(key) else { return nil }
        return Self.checkHeaderName(name, at: path(key), glob: glob, problems: problems)
    }

    /// Checks a header name (or glob) read from `path`; nil with a problem when it is not a token.
    static func checkHeaderName(_ name: String, at path: String, glob: Bool,
                                problems: ProblemCollector) -> String? {
        if SIPSyntaxCheck.isToken(name), glob || !name.contains("*") { return name }
        let what = glob ? "a header name or a glob such as X-Internal-*" : "a header name such as X-Provider"
        problems.report(path, "must be \(what): letters, digits and -.!%_+`'~ only, got \(describe(.init(name)))")
        return nil
    }

    /// Text that goes into a SIP message as is or as a template: CR, LF and NUL are refused because
    /// they would end the header line and let the value inject headers of its own.
    func messageText(_ key: String) -> String? {
        guard let text = string(key) else { return nil }
        if SIPSyntaxCheck.hasLineBreakOrNUL(text) {
            problems.report(path(key), "must not contain line breaks (CR, LF) or NUL: they would end the "
                + "header line and inject text into the SIP message, got \(Self.describe(.init(text)))")
            return nil
        }
        return text
    }

    /// A template value (see ``ProfileTemplate``): message text with only known variables, and
    /// with group references only where `groups` says how many the regex has.
    func template(_ key: String, groups: Int? = nil) -> ProfileTemplate? {
        guard let text = messageText(key) else { return nil }
        do {
            let template = try ProfileTemplate(parsing: text, allowsGroups: groups != nil)
            if let groups, template.highestGroup > groups {
                problems.report(path(key), "refers to group \\\(template.highestGroup) but the regex has "
                    + (groups == 0 ? "no capture groups" : "only \(groups) capture group\(groups == 1 ? "" : "s")"))
                return nil
            }
            return template
        } catch {
            problems.report(path(key), error.message)
            return nil
        }
    }

    /// A nested mapping under `key` read by `read`, or nil when absent.
    func nested<Value>(_ key: String, keys: [String], _ read: (MappingReader) -> Value) -> Value? {
        guard let node = value(key), let reader = MappingReader(node, at: path(key), keys: keys, problems: problems)
        else { return nil }
        return read(reader)
    }
}
