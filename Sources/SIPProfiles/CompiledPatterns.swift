import SBCConfig

/// A compiled regular expression that may be shared between threads.
///
/// Why `@unchecked Sendable`: `Regex<AnyRegexOutput>` is a value type but is not declared
/// `Sendable`, only because its output type is not. Its one piece of shared state is the program
/// it compiles lazily on first use, which the standard library publishes atomically; the
/// initialiser below forces that compilation, so that `apply` never compiles anything and a
/// profile built once at configuration load can be used from any thread.
struct CompiledRegex: @unchecked Sendable {
    let regex: Regex<AnyRegexOutput>

    /// Compiles `pattern`. A pattern that does not compile (only possible for settings built in
    /// code, since the loader refuses them) becomes one that never matches, so the operation does
    /// nothing rather than crash the signalling thread.
    init(_ pattern: String) {
        regex = (try? Regex(pattern)) ?? (try! Regex("(?!)"))
        _ = "".firstMatch(of: regex)
    }

    /// `text` with every non-overlapping match replaced by `template` rendered with that match's
    /// groups; nil when nothing matched.
    func replacingAll(in text: String, with template: ProfileTemplate,
                      variables: (ProfileTemplate.Variable) -> String) -> String? {
        var result = ""
        var last = text.startIndex
        var matched = false
        for match in text.matches(of: regex) {
            matched = true
            result += text[last..<match.range.lowerBound]
            result += render(template, match, variables)
            last = match.range.upperBound
        }
        guard matched else { return nil }
        result += text[last...]
        return result
    }

    /// `text` with its first match replaced; nil when nothing matched.
    func replacingFirst(in text: String, with template: ProfileTemplate,
                        variables: (ProfileTemplate.Variable) -> String) -> String? {
        guard let match = text.firstMatch(of: regex) else { return nil }
        return String(text[..<match.range.lowerBound]) + render(template, match, variables)
            + text[match.range.upperBound...]
    }

    private func render(_ template: ProfileTemplate, _ match: Regex<AnyRegexOutput>.Match,
                        _ variables: (ProfileTemplate.Variable) -> String) -> String {
        template.render(variable: variables) { number in
            number < match.output.count ? match.output[number].substring : nil
        }
    }
}

/// A header-name glob (`X-Internal-*`), matched case-insensitively against a header's canonical
/// (lower-case, long-form) name. `*` matches any run of characters, including none; there are no
/// other wildcards, since `?` and `[` cannot occur in a header name anyway.
struct HeaderGlob: Sendable, Equatable {
    /// The lower-cased pieces between the stars.
    private let pieces: [[UInt8]]
    private let hasStar: Bool

    init(_ pattern: String) {
        let canonical = ProfileSettings.canonicalHeaderName(pattern)
        hasStar = canonical.contains("*")
        pieces = canonical.split(separator: "*", omittingEmptySubsequences: false).map { Array($0.utf8) }
    }

    /// Whether `name` (a canonical, lower-case header name) matches.
    func matches(_ name: String) -> Bool {
        let text = Array(name.utf8)
        guard hasStar else { return text == pieces[0] }
        let first = pieces[0], last = pieces[pieces.count - 1]
        guard text.count >= first.count + last.count, text.starts(with: first),
              text[(text.count - last.count)...].elementsEqual(last) else { return false }
        var position = first.count
        let end = text.count - last.count
        for piece in pieces.dropFirst().dropLast() where !piece.isEmpty {
            guard let found = Self.find(piece, in: text, from: position, before: end) else { return false }
            position = found + piece.count
        }
        return true
    }

    private static func find(_ piece: [UInt8], in text: [UInt8], from start: Int, before end: Int) -> Int? {
        guard end - start >= piece.count else { return nil }
        for index in start...(end - piece.count) where text[index..<(index + piece.count)].elementsEqual(piece) {
            return index
        }
        return nil
    }
}

/// A ``NumberRewrite`` with its regex compiled and its template parsed.
struct CompiledNumberRewrite: Sendable {
    let settings: NumberRewrite
    let regex: CompiledRegex?
    let replacement: ProfileTemplate?

    init(_ settings: NumberRewrite) {
        self.settings = settings
        regex = settings.regex.map { CompiledRegex($0.match) }
        replacement = settings.regex.map { ProfileTemplate.literalOnFailure($0.with, allowsGroups: true) }
    }

    /// The user part after the steps, in their documented order: e164, strip, regex, add.
    func rewrite(_ user: String, variables: (ProfileTemplate.Variable) -> String) -> String {
        var user = user
        if let e164 = settings.e164 { user = e164.normalize(user) }
        if let strip = settings.stripPrefix, !strip.isEmpty, user.hasPrefix(strip) {
            user.removeFirst(strip.count)
        }
        if let regex, let replacement, let replaced = regex.replacingFirst(in: user, with: replacement, variables: variables) {
            user = replaced
        }
        if let add = settings.addPrefix { user = add + user }
        return user
    }
}

extension ProfileTemplate {
    /// Parses a template from validated settings; text that does not parse (only possible for
    /// settings built in code) is used literally rather than crashing.
    static func literalOnFailure(_ text: String, allowsGroups: Bool) -> ProfileTemplate {
        if let template = try? ProfileTemplate(parsing: text, allowsGroups: allowsGroups) { return template }
        return (try? ProfileTemplate(parsing: text.replacingDollars(), allowsGroups: false))
            ?? ProfileTemplate.empty
    }

    static let empty = try! ProfileTemplate(parsing: "", allowsGroups: false)
}

extension String {
    /// `$` doubled, so that the text parses as a template that renders to itself.
    fileprivate func replacingDollars() -> String {
        var result = ""
        for character in self {
            result.append(character)
            if character == "$" { result.append("$") }
        }
        return result
    }
}
