import Yams

/// A route match on a header of the incoming request (key `routes[].header`), such as the skill
/// or queue a contact-center platform puts in an `X-` header.
///
/// Exactly one of ``equals``, ``regex`` and ``present`` is set. A header that occurs several times
/// matches when any of its fields does. Header names compare case-insensitively and compact
/// forms count (`f` is `From`), as everywhere in SIP.
public struct HeaderMatch: Sendable, Equatable {
    /// The header name (key `name`, required, a SIP token such as `X-Skill`).
    public var name: String
    /// Match when a field's value, with surrounding whitespace trimmed, is exactly this text
    /// (key `equals`; case-sensitive, because header values generally are).
    public var equals: String?
    /// Match when a field's value contains a match of this regular expression (key `regex`, Swift
    /// `Regex` syntax, compiled at load). It is searched, not anchored: write `^...$` for the whole value.
    public var regex: String?
    /// `true`: match when the header is present (with any value); `false`: when it is absent
    /// (key `present`).
    public var present: Bool?

    /// Creates a header match; pass exactly one of `equals`, `regex` and `present`.
    public init(name: String, equals: String? = nil, regex: String? = nil, present: Bool? = nil) {
        self.name = name
        self.equals = equals
        self.regex = regex
        self.present = present
    }

    /// Whether every request this match accepts is also accepted by `self`, for the loader's
    /// reachability check. Conservative: only the same condition, or `present: true` on the same
    /// header against any condition that needs the header, counts.
    func covers(_ other: HeaderMatch) -> Bool {
        guard name.lowercased() == other.name.lowercased() else { return false }
        if self == HeaderMatch(name: name, equals: other.equals, regex: other.regex, present: other.present) {
            return true
        }
        return present == true && other.present != false
    }
}

extension HeaderMatch {
    static let keys = ["name", "equals", "regex", "present"]

    /// Reads `routes[].header`; nil when absent or wrong (reported). A wrong match is returned as a
    /// placeholder with an empty name, so that the route still counts as having a match key and
    /// is not mistaken for a default route.
    static func read(_ reader: MappingReader, _ key: String) -> HeaderMatch? {
        guard let node = reader.value(key) else { return nil }
        let placeholder = HeaderMatch(name: "")
        guard let match = MappingReader(node, at: reader.path(key), keys: keys, problems: reader.problems) else {
            return placeholder
        }
        var result = HeaderMatch(name: "")
        guard match.require("name", "the header to look at, such as X-Skill"),
              let name = match.headerName("name") else { return placeholder }
        result.name = name
        let given = ["equals", "regex", "present"].filter { match.value($0) != nil }
        guard given.count == 1 else {
            if given.isEmpty, !match.unknownKeys.isEmpty { return placeholder }  // a misspelt condition
            let message = given.isEmpty
                ? "needs one condition: equals: TEXT, regex: PATTERN or present: true|false"
                : "takes exactly one condition of equals, regex and present, got \(given.joined(separator: " and "))"
            reader.problems.report(given.count > 1 ? match.path(given[1]) : reader.path(key), message)
            return placeholder
        }
        switch given[0] {
        case "equals":
            guard let text = match.messageText("equals") else { return placeholder }
            result.equals = text
        case "regex":
            guard let pattern = match.regex("regex") else { return placeholder }
            result.regex = pattern
        default:
            guard let present = match.boolean("present") else { return placeholder }
            result.present = present
        }
        return result
    }
}
