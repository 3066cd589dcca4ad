import Yams

/// One entry of a profile's `headers` list, applied in the order written.
///
/// Values are templates (see ``ProfileTemplate``): `${call.id}` and friends are replaced when the
/// operation runs. Names are SIP tokens; none may be one of ``ProfileSettings/protectedHeaders``.
public enum HeaderOperation: Sendable, Equatable {
    /// `{set: NAME, value: TEXT}`: replace every field called NAME by one with TEXT, at the place of
    /// the first; append it when absent.
    case set(header: String, value: String)
    /// `{add: NAME, value: TEXT}`: append a field, keeping any already there.
    case add(header: String, value: String)
    /// `{remove: GLOB}`: remove every field whose name matches (`X-Debug-*`), except protected ones.
    case remove(pattern: String)
    /// `{replace: NAME, regex: PATTERN, with: TEXT}`: in every field called NAME, replace every
    /// match of PATTERN by TEXT, in which `\1`-`\9` are capture groups and `\0` the whole match.
    /// Fields without a match are left as they are.
    case replace(header: String, regex: String, with: String)

    /// The header name or glob the operation is about.
    public var header: String {
        switch self {
        case let .set(header, _), let .add(header, _), let .replace(header, _, _): header
        case let .remove(pattern): pattern
        }
    }
}

extension HeaderOperation {
    static let verbs = ["set", "add", "remove", "replace"]
    static let keys = verbs + ["value", "regex", "with"]

    /// Reads one operation; nil when it is wrong (reported).
    static func read(_ node: Node, at path: String, problems: ProblemCollector) -> HeaderOperation? {
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else {
            if MappingReader.isNull(node) {
                problems.report(path, at: node.mark, "is empty; an operation is {set|add: NAME, value: TEXT}, "
                    + "{remove: GLOB} or {replace: NAME, regex: PATTERN, with: TEXT}")
            }
            return nil
        }
        let given = verbs.filter { reader.value($0) != nil }
        guard let verb = given.first else {
            if reader.unknownKeys.isEmpty { problems.report(path, "needs one of set, add, remove or replace") }
            return nil
        }
        if given.count > 1 {
            problems.report(reader.path(given[1]), "an operation does one thing: \(given[0]) and \(given[1]) "
                + "belong in two list entries")
            return nil
        }
        let allowed: [String] = switch verb {
        case "set", "add": ["value"]
        case "replace": ["regex", "with"]
        default: []
        }
        var valid = true
        for key in ["value", "regex", "with"] where !allowed.contains(key) && reader.value(key) != nil {
            problems.report(reader.path(key), "\(key) does not apply to \(verb)"
                + (allowed.isEmpty ? "" : " (it takes \(allowed.joined(separator: " and ")))"))
            valid = false
        }
        for key in allowed where !reader.require(key, requiredText(key, verb: verb)) { valid = false }
        guard let name = reader.headerName(verb, glob: verb == "remove") else { return nil }
        let canonical = ProfileSettings.canonicalHeaderName(name)
        if ProfileSettings.protectedHeaders.contains(canonical) {
            problems.report(reader.path(verb), "\(name) is needed by SIP and built by the SBC for each leg; "
                + "a profile cannot \(verb) it" + (canonical == "from" || canonical == "to"
                    ? " (change its number with numbers and its display name with display_name)" : ""))
            return nil
        }
        guard valid else { return nil }
        switch verb {
        case "set", "add":
            guard let value = reader.template("value") else { return nil }
            return verb == "set" ? .set(header: name, value: value.text) : .add(header: name, value: value.text)
        case "replace":
            guard let pattern = reader.regex("regex"),
                  let with = reader.template("with", groups: ProfileTemplate.captureGroupCount(in: pattern))
            else { return nil }
            return .replace(header: name, regex: pattern, with: with.text)
        default:
            return .remove(pattern: name)
        }
    }

    private static func requiredText(_ key: String, verb: String) -> String {
        switch key {
        case "value": "the text \(verb) writes, such as value: secondary"
        case "regex": "what to replace, a regular expression such as regex: \"^Genesys.*\""
        default: "the replacement text, such as with: SwiftSBC (\\1 is the first capture group)"
        }
    }
}
