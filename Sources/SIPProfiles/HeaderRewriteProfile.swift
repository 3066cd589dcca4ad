import SBCConfig
import SIPCore

/// A header rewrite profile ready to apply: a ``ProfileSettings`` with every regex compiled,
/// every glob and template parsed, once.
///
/// Why sans-IO and separate from the B2BUA: a profile is a pure function of a message and a
/// ``ProfileContext``, and each rule is checked here against exact output bytes; the B2BUA only
/// picks which profile applies (the route's, else the trunk's) and calls ``apply(to:context:)``
/// on the request it is about to send, or on the request just received with a trunk's inbound
/// profile. Build profiles when the configuration is loaded, not per call: `init` does all the
/// expensive work so that `apply` never compiles a regex.
///
/// The order of steps and what each does are documented on ``ProfileSettings`` and in
/// docs/CONFIG.md. Headers SIP needs (``ProfileSettings/protectedHeaders``) are never removed.
public struct HeaderRewriteProfile: Sendable {
    /// One header operation, compiled.
    enum Step: Sendable {
        case set(SIPHeaderName, rawName: String, value: ProfileTemplate)
        case add(SIPHeaderName, rawName: String, value: ProfileTemplate)
        case remove(HeaderGlob)
        case replace(SIPHeaderName, rawName: String, regex: CompiledRegex, with: ProfileTemplate)
    }

    static let pAssertedIdentityName = SIPHeaderName("P-Asserted-Identity")
    static let privacyName = SIPHeaderName("Privacy")
    static let protectedNames = Set(ProfileSettings.protectedHeaders.map(SIPHeaderName.init))

    /// The settings this profile was built from.
    public let settings: ProfileSettings
    let policyMode: ProfileSettings.HeaderPolicy.Mode
    let policyGlobs: [HeaderGlob]
    let steps: [Step]
    let pAssertedIdentity: ProfileTemplate?
    let numbers: (requestURI: CompiledNumberRewrite?, from: CompiledNumberRewrite?, to: CompiledNumberRewrite?,
                  pAssertedIdentity: CompiledNumberRewrite?)
    let fromDisplayName: ProfileTemplate?
    let pAssertedIdentityDisplayName: ProfileTemplate?

    /// Compiles `settings`, which a ``ConfigLoader`` has validated. Settings built in code that
    /// would not pass validation do not crash: a bad regex never matches and a bad template is
    /// used as literal text, and ``apply(to:context:)`` still refuses any invalid result.
    public init(_ settings: ProfileSettings) {
        self.settings = settings
        policyMode = settings.headerPolicy.mode
        policyGlobs = settings.headerPolicy.headers.map(HeaderGlob.init)
        steps = settings.headerOperations.map { operation in
            switch operation {
            case let .set(header, value):
                .set(SIPHeaderName(header), rawName: header, value: .literalOnFailure(value, allowsGroups: false))
            case let .add(header, value):
                .add(SIPHeaderName(header), rawName: header, value: .literalOnFailure(value, allowsGroups: false))
            case let .remove(pattern):
                .remove(HeaderGlob(pattern))
            case let .replace(header, regex, with):
                .replace(SIPHeaderName(header), rawName: header, regex: CompiledRegex(regex),
                         with: .literalOnFailure(with, allowsGroups: true))
            }
        }
        pAssertedIdentity = settings.pAssertedIdentity.map { .literalOnFailure($0, allowsGroups: false) }
        numbers = (settings.numbers.requestURI.map(CompiledNumberRewrite.init),
                   settings.numbers.from.map(CompiledNumberRewrite.init),
                   settings.numbers.to.map(CompiledNumberRewrite.init),
                   settings.numbers.pAssertedIdentity.map(CompiledNumberRewrite.init))
        fromDisplayName = settings.displayNames.from.map { .literalOnFailure($0, allowsGroups: false) }
        pAssertedIdentityDisplayName = settings.displayNames.pAssertedIdentity.map {
            .literalOnFailure($0, allowsGroups: false)
        }
    }

    /// The profile's name, for logs and ``ProfileError``.
    public var name: String { settings.name }

    /// Rewrites a request about to be sent to the trunk (or, as inbound profile, one just
    /// received). Applies, in this order: header policy, header operations in order,
    /// P-Asserted-Identity/Privacy insertion, number rewrites, display names. Then validates the
    /// result (every header value free of CR, LF and NUL, every header name a token, every
    /// rewritten URI parses with `SIPURI(parsing:)`) and throws rather than let broken SIP be sent.
    /// On a throw `message` may be partly rewritten; the caller must not send it.
    public func apply(to message: inout SIPMessage, context: ProfileContext) throws(ProfileError) {
        let variables = Self.variables(context)
        applyPolicy(to: &message)
        for step in steps {
            try apply(step, to: &message, variables: variables)
        }
        if let pAssertedIdentity {
            let text = pAssertedIdentity.render(variable: variables).trimmingWhitespace()
            guard let address = SIPNameAddress.parse(text), address.uri.isSIP || address.uri.scheme == "tel" else {
                throw error("P-Asserted-Identity", "the template renders to \(quoted(text)), which is not a "
                    + "name-addr with a sip, sips or tel URI")
            }
            Self.set(&message, Self.pAssertedIdentityName, rawName: "P-Asserted-Identity", value: text)
        }
        if let privacy = settings.privacy {
            Self.set(&message, Self.privacyName, rawName: "Privacy", value: privacy)
        }
        try rewriteNumbers(in: &message, variables: variables)
        try applyDisplayNames(to: &message, variables: variables)
        try validate(message)
    }

    // MARK: - Steps

    /// Removes what the policy does not let through; protected headers always stay.
    private func applyPolicy(to message: inout SIPMessage) {
        if policyMode == .denylist, policyGlobs.isEmpty { return }
        let globs = policyGlobs
        let keepListed = policyMode == .allowlist
        message.headers.removeAll { field in
            guard !Self.protectedNames.contains(field.name) else { return false }
            let listed = globs.contains { $0.matches(field.name.canonical) }
            return listed != keepListed
        }
    }

    private func apply(_ step: Step, to message: inout SIPMessage,
                       variables: (ProfileTemplate.Variable) -> String) throws(ProfileError) {
        switch step {
        case let .set(name, rawName, value):
            try requireToken(rawName)
            Self.set(&message, name, rawName: rawName, value: value.render(variable: variables))
        case let .add(_, rawName, value):
            try requireToken(rawName)
            Self.insert(&message, SIPHeaderField(rawName: rawName, value: value.render(variable: variables)))
        case let .remove(glob):
            message.headers.removeAll { !Self.protectedNames.contains($0.name) && glob.matches($0.name.canonical) }
        case let .replace(name, _, regex, with):
            guard !Self.protectedNames.contains(name) else { return }
            for index in message.headers.indices where message.headers[index].name == name {
                if let replaced = regex.replacingAll(in: message.headers[index].value, with: with, variables: variables) {
                    message.headers[index].value = replaced
                }
            }
        }
    }

    private func requireToken(_ rawName: String) throws(ProfileError) {
        guard !rawName.isEmpty, rawName.utf8.allSatisfy({ byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
                || "-.!%*_+`'~".utf8.contains(byte)
        }), !Self.protectedNames.contains(SIPHeaderName(rawName)) else {
            throw error(rawName, "is not a header name a profile may write")
        }
    }

    // MARK: - Display names

    private func applyDisplayNames(to message: inout SIPMessage,
                                   variables: (ProfileTemplate.Variable) -> String) throws(ProfileError) {
        if let fromDisplayName {
            let display = Self.displayName(fromDisplayName.render(variable: variables))
            try rewriteAddresses(in: &message, .from, label: "From", list: false) { $0.displayName = display }
        }
        if let pAssertedIdentityDisplayName {
            let display = Self.displayName(pAssertedIdentityDisplayName.render(variable: variables))
            try rewriteAddresses(in: &message, Self.pAssertedIdentityName, label: "P-Asserted-Identity", list: true) {
                $0.displayName = display
            }
        }
    }

    /// A display name as a quoted-string (`"` and `\` escaped); nil (no display name) for empty text.
    static func displayName(_ text: String) -> String? {
        guard !text.isEmpty else { return nil }
        var quoted = "\""
        for character in text {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }

    // MARK: - Header helpers

    /// Replaces every field called `name` by one with `value` at the place of the first (keeping
    /// that field's spelling), or inserts a new one spelt `rawName`.
    static func set(_ message: inout SIPMessage, _ name: SIPHeaderName, rawName: String, value: String) {
        guard let first = message.headers.firstIndex(where: { $0.name == name }) else {
            insert(&message, SIPHeaderField(rawName: rawName, value: value))
            return
        }
        var headers = message.headers
        headers[first].value = value
        var index = headers.count - 1
        while index > first {
            if headers[index].name == name { headers.remove(at: index) }
            index -= 1
        }
        message.headers = headers
    }

    /// Adds a field before the body's framing headers (the first Content-Type or Content-Length),
    /// or at the end, so that rewritten messages keep the conventional layout.
    static func insert(_ message: inout SIPMessage, _ field: SIPHeaderField) {
        let position = message.headers.firstIndex { $0.name == .contentType || $0.name == .contentLength }
        message.headers.insert(field, at: position ?? message.headers.endIndex)
    }

    // MARK: - Validation and errors

    /// Every header value free of CR, LF and NUL: a line break in a value would end the header and
    /// turn the rest into headers of its own (a variable's value may come from the caller).
    private func validate(_ message: SIPMessage) throws(ProfileError) {
        for field in message.headers where field.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }) {
            throw error(field.rawName, "the value would contain a line break or NUL: \(quoted(field.value))")
        }
    }

    func error(_ header: String, _ reason: String) -> ProfileError {
        ProfileError(profile: settings.name, header: header, reason: reason)
    }

    /// `"text"` with control characters escaped, for error messages that end up in logs.
    func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r": result += "\\r"
            case "\n": result += "\\n"
            case "\0": result += "\\0"
            case "\"": result += "\\\""
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// The variable lookup for one call.
    static func variables(_ context: ProfileContext) -> (ProfileTemplate.Variable) -> String {
        { variable in
            switch variable {
            case .fromUser: context.fromUser ?? ""
            case .toUser: context.toUser ?? ""
            case .requestUser: context.requestUser ?? ""
            case .trunkName: context.trunkName
            case .callID: context.callID
            }
        }
    }
}
