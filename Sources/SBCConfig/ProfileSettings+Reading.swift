import Yams

extension ProfileSettings {
    /// The keys of one `profiles` entry.
    static let keys = ["name", "header_policy", "headers", "numbers", "display_name", "p_asserted_identity", "privacy"]

    /// Reads one entry of `profiles`. Always returns a value (what could not be read is left at its
    /// do-nothing default, already reported) so that list indexes in later problems keep matching
    /// the file. Everything a profile needs is checked here, since a profile refers to nothing else;
    /// uniqueness of names and references to profiles are checked by ``ConfigValidator``.
    static func read(_ node: Node, at path: String, problems: ProblemCollector) -> ProfileSettings {
        var profile = ProfileSettings(name: "")
        guard let reader = MappingReader(node, at: path, keys: keys, problems: problems) else {
            if MappingReader.isNull(node) {
                problems.report(path, at: node.mark, "is empty; a profile needs a name and something to do")
            }
            return profile
        }
        profile.name = reader.name("profile")
        profile.headerPolicy = reader.nested("header_policy", keys: ["mode", "headers"], readPolicy) ?? profile.headerPolicy
        profile.headerOperations = (reader.sequence("headers") ?? []).compactMap { item in
            HeaderOperation.read(item.node, at: item.path, problems: problems)
        }
        profile.numbers = reader.nested("numbers", keys: NumberRewrites.keys, NumberRewrites.read) ?? profile.numbers
        profile.displayNames = reader.nested("display_name", keys: ["from", "p_asserted_identity"]) { names in
            DisplayNames(from: names.template("from")?.text,
                         pAssertedIdentity: names.template("p_asserted_identity")?.text)
        } ?? profile.displayNames
        if let template = reader.template("p_asserted_identity") {
            let sample = template.render(variable: ProfileTemplate.sample)
            if let problem = SIPSyntaxCheck.nameAddrProblem(sample) {
                problems.report(reader.path("p_asserted_identity"),
                                "must be a name-addr such as \"<sip:${from.user}@carrier.example>\": \(problem) "
                                    + "(rendered with sample values: \(MappingReader.describe(.init(sample))))")
            } else {
                profile.pAssertedIdentity = template.text
            }
        }
        if let privacy = reader.messageText("privacy") {
            let values = privacy.split(separator: ";", omittingEmptySubsequences: false)
                .map { $0.trimmed(of: " \t").lowercased() }
            if let wrong = values.first(where: { !privacyValues.contains($0) }) {
                problems.report(reader.path("privacy"),
                                "must be one or more of \(privacyValues.joined(separator: ", ")) joined by ';', "
                                    + "got \(MappingReader.describe(.init(privacy)))"
                                    + NameSuggester.hint(for: wrong, among: privacyValues))
            } else {
                profile.privacy = values.joined(separator: ";")
            }
        }
        return profile
    }

    /// `header_policy: {mode: denylist|allowlist, headers: [...]}`.
    private static func readPolicy(_ reader: MappingReader) -> HeaderPolicy {
        var policy = HeaderPolicy()
        policy.mode = reader.choice("mode") ?? policy.mode
        reader.require("headers", "the header names or globs the policy lists, such as [\"X-Internal-*\"]")
        for item in reader.sequence("headers") ?? [] {
            guard let text = MappingReader.string(item.node, at: item.path, problems: reader.problems),
                  let name = MappingReader.checkHeaderName(text, at: item.path, glob: true, problems: reader.problems)
            else { continue }
            if policy.mode == .denylist, protectedHeaders.contains(canonicalHeaderName(name)) {
                reader.problems.report(item.path, "\(name) is needed by SIP and is never removed; take it out of the list")
                continue
            }
            policy.headers.append(name)
        }
        return policy
    }
}

extension StringProtocol {
    /// Without the given characters at either end (no Foundation in this target).
    fileprivate func trimmed(of set: String) -> String {
        let characters = Array(self)
        var start = 0, end = characters.count
        while start < end, set.contains(characters[start]) { start += 1 }
        while end > start, set.contains(characters[end - 1]) { end -= 1 }
        return String(characters[start..<end])
    }
}
