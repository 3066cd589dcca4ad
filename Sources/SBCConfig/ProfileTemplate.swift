/// A profile value with variables (`${from.user}`) and, in regex replacements, group references
/// (`\1`), parsed once into parts.
///
/// Why a parsed template rather than string substitution at send time: substituting `${...}` and
/// then `\1` one after the other would let a variable's value (a caller's user part is chosen by
/// the caller) inject a group reference or another variable. Rendering the parts in one pass
/// inserts every value literally. And the loader can refuse an unknown variable or a reference to
/// a group the regex does not have, with the line, before any call is made.
///
/// Syntax (documented for operators in docs/CONFIG.md):
/// - `${name}` is a variable, one of ``Variable``; an unknown name is an error.
/// - `$$` is a literal `$`; a `$` not followed by `{` or `$` is literal too (`US$5`).
/// - Where groups are allowed (`replace ... with`, `numbers.*.regex.with`): `\0`-`\9` is the text of
///   that capture group (`\0` the whole match), `\\` a literal backslash; any other `\x` is an error.
///   Elsewhere a backslash is an ordinary character.
public struct ProfileTemplate: Sendable, Equatable {
    /// The values a template can use. They come from the ``ProfileContext`` the B2BUA passes, which
    /// describes the call as received, before any profile rewrote it.
    public enum Variable: String, Sendable, Equatable, CaseIterable {
        /// `${from.user}`: the user part of the caller's From URI (empty when it has none).
        case fromUser = "from.user"
        /// `${to.user}`: the user part of the To URI.
        case toUser = "to.user"
        /// `${ruri.user}`: the user part of the Request-URI, the number dialled.
        case requestUser = "ruri.user"
        /// `${trunk.name}`: the name of the trunk the message is sent to (or came from, inbound).
        case trunkName = "trunk.name"
        /// `${call.id}`: the Call-ID of the leg being rewritten.
        case callID = "call.id"
    }

    /// One piece of a template, in order.
    public enum Part: Sendable, Equatable {
        case literal(String)
        case variable(Variable)
        /// A regex capture group, 0 being the whole match.
        case group(Int)
    }

    /// Why a template is invalid; `message` is one sentence for a ``ConfigProblem``.
    public struct SyntaxError: Error, Sendable, Equatable {
        public var message: String
    }

    /// The template as written.
    public var text: String
    /// The parsed parts; adjacent literals are merged.
    public var parts: [Part]

    /// Parses `text`. `allowsGroups` is true only for regex replacements.
    public init(parsing text: String, allowsGroups: Bool) throws(SyntaxError) {
        self.text = text
        var parts: [Part] = []
        var literal = ""
        func flush() {
            if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
        }
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "$", next < text.endIndex, text[next] == "$" {
                literal.append("$")
                index = text.index(after: next)
            } else if character == "$", next < text.endIndex, text[next] == "{" {
                let nameStart = text.index(after: next)
                guard let close = text[nameStart...].firstIndex(of: "}") else {
                    throw SyntaxError(message: "\"${\" is not closed by \"}\" (write $$ for a literal $)")
                }
                let name = String(text[nameStart..<close])
                guard let variable = Variable(rawValue: name) else {
                    let known = Variable.allCases.map { "${\($0.rawValue)}" }
                    let hint = NameSuggester.suggestion(for: name, among: Variable.allCases.map(\.rawValue))
                        .map { "; did you mean \"${\($0)}\"?" } ?? " (known: \(known.joined(separator: ", ")))"
                    throw SyntaxError(message: "unknown variable \"${\(name)}\"\(hint)")
                }
                flush()
                parts.append(.variable(variable))
                index = text.index(after: close)
            } else if allowsGroups, character == "\\" {
                guard next < text.endIndex else {
                    throw SyntaxError(message: "a trailing backslash; write \\\\ for a literal backslash")
                }
                let escaped = text[next]
                if escaped == "\\" {
                    literal.append("\\")
                } else if let digit = escaped.wholeNumberValue, escaped.isASCII {
                    flush()
                    parts.append(.group(digit))
                } else {
                    throw SyntaxError(message: "\"\\\(escaped)\" is not a group reference; write \\1-\\9 for a "
                        + "capture group, \\0 for the whole match or \\\\ for a backslash")
                }
                index = text.index(after: next)
            } else {
                literal.append(character)
                index = next
            }
        }
        flush()
        self.parts = parts
    }

    /// The highest capture group referenced, or 0 when none (or only `\0`) is.
    public var highestGroup: Int {
        parts.reduce(0) { highest, part in
            if case let .group(number) = part { return max(highest, number) }
            return highest
        }
    }

    /// Whether the template is plain text (no variable, no group): it can be used as is.
    public var isLiteral: Bool {
        parts.allSatisfy { if case .literal = $0 { true } else { false } }
    }

    /// Renders the template: variables from `variable`, groups from `group` (a missing or
    /// non-participating group renders as empty text).
    public func render(variable: (Variable) -> String, group: (Int) -> Substring? = { _ in nil }) -> String {
        var result = ""
        for part in parts {
            switch part {
            case let .literal(text): result += text
            case let .variable(name): result += variable(name)
            case let .group(number): result += group(number) ?? ""
            }
        }
        return result
    }

    /// Sample values the loader renders templates with to check that the result is valid SIP
    /// (a P-Asserted-Identity must come out as a name-addr). They look like what the real values
    /// look like: E.164 numbers, an identifier-style trunk name and a Call-ID with an `@`.
    public static func sample(_ variable: Variable) -> String {
        switch variable {
        case .fromUser: "+15551230000"
        case .toUser, .requestUser: "+15551239999"
        case .trunkName: "carrier-b"
        case .callID: "a84b4c76e66710@pc33.example.com"
        }
    }

    /// How many capture groups `pattern` defines, counted from its syntax: every `(` that is not
    /// escaped, not inside a character class, and not a non-capturing `(?...)` group other than a
    /// named one (`(?<name>`, `(?P<name>`, `(?'name'`). Used only to refuse `\3` with two groups.
    public static func captureGroupCount(in pattern: String) -> Int {
        let characters = Array(pattern)
        var count = 0
        var index = 0
        var inClass = false
        while index < characters.count {
            let character = characters[index]
            if character == "\\" { index += 2; continue }
            if inClass {
                if character == "]" { inClass = false }
            } else if character == "[" {
                inClass = true
                if index + 1 < characters.count, characters[index + 1] == "]" { index += 1 }
            } else if character == "(" {
                let rest = characters[(index + 1)...].prefix(3)
                if rest.first != "?" {
                    count += 1
                } else if rest.dropFirst().first == "'"
                    || (rest.dropFirst().first == "P" && rest.dropFirst(2).first == "<")
                    || (rest.dropFirst().first == "<" && rest.dropFirst(2).first != "=" && rest.dropFirst(2).first != "!") {
                    count += 1
                }
            }
            index += 1
        }
        return count
    }
}
