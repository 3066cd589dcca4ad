import Yams

/// How one URI's user part (the number) is rewritten (an entry of a profile's `numbers`).
///
/// The steps run in a fixed order, whatever order the keys are written in: normalise first, then
/// format for the carrier.
/// 1. ``e164``: national numbers become `+<country code><number>`;
/// 2. ``stripPrefix``: removed when the number starts with it (`+` for carriers that want digits);
/// 3. ``regex``: the first match is replaced (`^1(\d{10})$` -> `\1`); no match leaves it;
/// 4. ``addPrefix``: always prepended.
/// The user part is handled as written in the URI (percent-escapes are not decoded). A URI without
/// a user part is left alone. A result that is not a valid URI (empty, or with spaces) makes the
/// profile refuse the message rather than send broken SIP.
public struct NumberRewrite: Sendable, Equatable {
    /// Removed from the start when present (key `strip_prefix`).
    public var stripPrefix: String?
    /// Prepended (key `add_prefix`); empty does nothing.
    public var addPrefix: String?
    /// E.164 normalisation (key `e164`).
    public var e164: E164Normalization?
    /// Regex rewrite (key `regex`).
    public var regex: RegexRewrite?

    /// Creates a rewrite; every step defaults to absent.
    public init(stripPrefix: String? = nil, addPrefix: String? = nil, e164: E164Normalization? = nil,
                regex: RegexRewrite? = nil) {
        self.stripPrefix = stripPrefix
        self.addPrefix = addPrefix
        self.e164 = e164
        self.regex = regex
    }
}

/// `{match: PATTERN, with: TEXT}`: the first match of PATTERN in the number is replaced by TEXT
/// (`\1`-`\9` capture groups, `\0` the whole match, variables allowed).
public struct RegexRewrite: Sendable, Equatable {
    public var match: String
    public var with: String

    public init(match: String, with: String) {
        self.match = match
        self.with = with
    }
}

/// Turning national numbers into E.164 (key `e164`).
///
/// Exactly what ``normalize(_:)`` does:
/// - a number starting with `+` is left alone: it is E.164 already;
/// - a number that is not all digits (`alice`, `*67`, `1234#`) is left alone: it is not a number;
/// - a number starting with ``internationalPrefix`` (`00`, `011`) has it replaced by `+`;
/// - otherwise ``nationalPrefix`` (the trunk prefix, `0` in most of Europe, `1` in NANP) is removed
///   once when the number starts with it, and only when configured: without it a leading `0` is
///   kept, because guessing would corrupt numbers of countries without a trunk prefix;
/// - the remaining digits get `+` and ``countryCode`` in front, if there are at least
///   ``minDigits`` of them; shorter numbers (service and emergency codes: 911, 112, 999) are left
///   alone, since `+1911` reaches nobody.
/// Example with `country_code: "44"`, `national_prefix: "0"`, `international_prefix: "00"`:
/// `02071234567` -> `+442071234567`, `0033123456789` -> `+33123456789`, `+15551234567` unchanged,
/// `999` unchanged.
public struct E164Normalization: Sendable, Equatable {
    /// Country calling code without `+` (key `country_code`, required, 1-3 digits, not starting with 0).
    public var countryCode: String
    /// Trunk prefix removed from national numbers (key `national_prefix`, optional, 1-4 digits).
    public var nationalPrefix: String?
    /// International access code replaced by `+` (key `international_prefix`, optional, 1-4 digits).
    public var internationalPrefix: String?
    /// Fewest national digits to normalise (key `min_digits`, default 7, range 1-15).
    public var minDigits: Int

    public static let defaultMinDigits = 7

    public init(countryCode: String, nationalPrefix: String? = nil, internationalPrefix: String? = nil,
                minDigits: Int = E164Normalization.defaultMinDigits) {
        self.countryCode = countryCode
        self.nationalPrefix = nationalPrefix
        self.internationalPrefix = internationalPrefix
        self.minDigits = minDigits
    }

    /// The number in E.164 form, or `user` unchanged when the rules above leave it alone.
    public func normalize(_ user: String) -> String {
        guard !user.hasPrefix("+"), !user.isEmpty, user.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return user
        }
        if let internationalPrefix, user.hasPrefix(internationalPrefix), user.count > internationalPrefix.count {
            return "+" + user.dropFirst(internationalPrefix.count)
        }
        var national = Substring(user)
        if let nationalPrefix, national.hasPrefix(nationalPrefix) {
            national = national.dropFirst(nationalPrefix.count)
        }
        guard national.count >= minDigits else { return user }
        return "+" + countryCode + national
    }
}

/// The URIs whose user part a profile rewrites (key `numbers`); each absent one is unchanged.
public struct NumberRewrites: Sendable, Equatable {
    /// The Request-URI: the number dialled (key `request_uri`).
    public var requestURI: NumberRewrite?
    /// The From URI: the caller (key `from`).
    public var from: NumberRewrite?
    /// The To URI (key `to`).
    public var to: NumberRewrite?
    /// Every P-Asserted-Identity URI, `sip:` and `tel:` (key `p_asserted_identity`).
    public var pAssertedIdentity: NumberRewrite?

    public init(requestURI: NumberRewrite? = nil, from: NumberRewrite? = nil, to: NumberRewrite? = nil,
                pAssertedIdentity: NumberRewrite? = nil) {
        self.requestURI = requestURI
        self.from = from
        self.to = to
        self.pAssertedIdentity = pAssertedIdentity
    }

    /// Whether nothing is rewritten.
    public var isEmpty: Bool { self == NumberRewrites() }
}

extension NumberRewrites {
    static let keys = ["request_uri", "from", "to", "p_asserted_identity"]
    static let rewriteKeys = ["strip_prefix", "add_prefix", "e164", "regex"]

    static func read(_ reader: MappingReader) -> NumberRewrites {
        NumberRewrites(requestURI: rewrite(reader, "request_uri"), from: rewrite(reader, "from"),
                       to: rewrite(reader, "to"), pAssertedIdentity: rewrite(reader, "p_asserted_identity"))
    }

    private static func rewrite(_ parent: MappingReader, _ key: String) -> NumberRewrite? {
        parent.nested(key, keys: rewriteKeys) { reader in
            var rewrite = NumberRewrite()
            rewrite.stripPrefix = userText(reader, "strip_prefix", allowEmpty: false)
            rewrite.addPrefix = userText(reader, "add_prefix", allowEmpty: true)
            rewrite.e164 = reader.nested("e164", keys: ["country_code", "national_prefix", "international_prefix",
                                                        "min_digits"]) { e164($0) } ?? nil
            rewrite.regex = reader.nested("regex", keys: ["match", "with"]) { regex in
                guard regex.require("match", "the regular expression to find, such as match: \"^1(\\\\d{10})$\""),
                      regex.require("with", "the replacement, such as with: \"\\\\1\""),
                      let pattern = regex.regex("match"),
                      let with = regex.template("with", groups: ProfileTemplate.captureGroupCount(in: pattern))
                else { return nil }
                return RegexRewrite(match: pattern, with: with.text)
            } ?? nil
            return rewrite
        }
    }

    private static func e164(_ reader: MappingReader) -> E164Normalization? {
        func digits(_ key: String, _ range: ClosedRange<Int>, _ what: String) -> String? {
            guard let text = reader.string(key) else { return nil }
            guard range.contains(text.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  key != "country_code" || !text.hasPrefix("0") else {
                reader.problems.report(reader.path(key), "must be \(what), got \(MappingReader.describe(.init(text)))")
                return nil
            }
            return text
        }
        let hasCountryCode = reader.require("country_code", "the country calling code without +, such as \"1\" or \"44\"")
        let countryCode = digits("country_code", 1...3, "1-3 digits not starting with 0, without the + (\"1\", \"44\")")
        let national = digits("national_prefix", 1...4, "1-4 digits, the trunk prefix such as \"0\" or \"1\"")
        let international = digits("international_prefix", 1...4, "1-4 digits, the access code such as \"00\" or \"011\"")
        let minDigits = reader.integer("min_digits", in: 1...15) ?? E164Normalization.defaultMinDigits
        guard hasCountryCode, let countryCode else { return nil }
        return E164Normalization(countryCode: countryCode, nationalPrefix: national,
                                 internationalPrefix: international, minDigits: minDigits)
    }

    /// A prefix to strip or add: characters that may stand in a SIP user part.
    private static func userText(_ reader: MappingReader, _ key: String, allowEmpty: Bool) -> String? {
        guard let text = reader.string(key) else { return nil }
        if text.isEmpty, allowEmpty { return text }
        guard RouteSettings.isUserPrefix(text) else {
            reader.problems.report(reader.path(key), "must be text that can stand in a URI user part, such as \"+\" "
                + "or \"00\" (no spaces, '@', ':', '<', '>', quotes or line breaks), got \(MappingReader.describe(.init(text)))")
            return nil
        }
        return text
    }
}
