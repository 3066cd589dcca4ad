import Testing
import SBCConfig

/// The `profiles` list: every key of a header rewrite profile, and every value the loader refuses
/// because it would produce broken SIP. Problem cases append a profile to the minimal file:
/// `profiles:` is line 12, `- name: p` line 13, and the keys under test start on line 14.
@Suite("Profile configuration")
struct ProfileConfigTests {
    static func profile(_ keys: String) -> String {
        TestSupport.minimal + "\nprofiles:\n  - name: p\n" + keys
    }

    @Test("a full profile is read into its typed form")
    func fullProfile() throws {
        let yaml = Self.profile(#"""
                header_policy: {mode: denylist, headers: ["X-Internal-*", "X-Genesys-*"]}
                headers:
                  - {set: X-Provider, value: secondary}
                  - {add: X-Trace, value: "${call.id}"}
                  - {remove: "X-Debug-*"}
                  - {replace: User-Agent, regex: "^Genesys(.*)", with: "SwiftSBC\\1"}
                numbers:
                  request_uri: {strip_prefix: "+", add_prefix: "", e164: {country_code: "1"}, regex: {match: "^1(\\d{10})$", with: "\\1"}}
                  from: {e164: {country_code: "44", national_prefix: "0", international_prefix: "00", min_digits: 9}}
                  to: {add_prefix: "9"}
                  p_asserted_identity: {strip_prefix: "+"}
                display_name: {from: "Contact Center", p_asserted_identity: "${trunk.name}"}
                p_asserted_identity: "<sip:${from.user}@carrier-b.example>"
                privacy: "header; ID"
            """#)
        let config = try #require(TestSupport.load(yaml))
        let profile = try #require(config.profile(named: "p"))
        #expect(profile.headerPolicy == .init(mode: .denylist, headers: ["X-Internal-*", "X-Genesys-*"]))
        #expect(profile.headerOperations == [
            .set(header: "X-Provider", value: "secondary"),
            .add(header: "X-Trace", value: "${call.id}"),
            .remove(pattern: "X-Debug-*"),
            .replace(header: "User-Agent", regex: "^Genesys(.*)", with: "SwiftSBC\\1"),
        ])
        #expect(profile.numbers == NumberRewrites(
            requestURI: NumberRewrite(stripPrefix: "+", addPrefix: "", e164: E164Normalization(countryCode: "1"),
                                      regex: RegexRewrite(match: "^1(\\d{10})$", with: "\\1")),
            from: NumberRewrite(e164: E164Normalization(countryCode: "44", nationalPrefix: "0",
                                                        internationalPrefix: "00", minDigits: 9)),
            to: NumberRewrite(addPrefix: "9"),
            pAssertedIdentity: NumberRewrite(stripPrefix: "+")))
        #expect(profile.displayNames == .init(from: "Contact Center", pAssertedIdentity: "${trunk.name}"))
        #expect(profile.pAssertedIdentity == "<sip:${from.user}@carrier-b.example>")
        #expect(profile.privacy == "header;id")
        #expect(config.summary.hasSuffix(", 1 route, 1 profile"))
        #expect(config.profile(named: "q") == nil)
    }

    @Test("an allowlist, and a profile with only a name, are valid")
    func minimalForms() throws {
        let config = try #require(TestSupport.load(Self.profile("    header_policy: {mode: allowlist, headers: [X-Skill, Via]}")))
        #expect(config.profiles[0].headerPolicy == .init(mode: .allowlist, headers: ["X-Skill", "Via"]))
        let empty = try #require(TestSupport.load(TestSupport.minimal + "\nprofiles:\n  - name: p"))
        #expect(empty.profiles == [ProfileSettings(name: "p")])
    }

    @Test("E.164 normalisation does exactly what its documentation says", arguments: [
        ("5551234567", "+15551234567"),          // national -> +cc
        ("+442071234567", "+442071234567"),      // already E.164
        ("15551234567", "+15551234567"),         // NANP trunk prefix 1 removed (national_prefix: "1")
        ("011442071234567", "+442071234567"),    // international access code -> +
        ("911", "911"),                          // shorter than min_digits: service code untouched
        ("alice", "alice"),                      // not a number
        ("*67555", "*67555"),                    // not all digits
        ("", ""),
    ])
    func e164(input: String, output: String) {
        let rule = E164Normalization(countryCode: "1", nationalPrefix: "1", internationalPrefix: "011")
        #expect(rule.normalize(input) == output)
    }

    @Test("E.164 without national_prefix keeps a leading 0 or 1")
    func e164WithoutNationalPrefix() {
        #expect(E164Normalization(countryCode: "44").normalize("02071234567") == "+4402071234567")
        #expect(E164Normalization(countryCode: "44", nationalPrefix: "0").normalize("02071234567") == "+442071234567")
        #expect(E164Normalization(countryCode: "44", nationalPrefix: "0").normalize("0999") == "0999")
    }

    @Test("profile problems", arguments: [
        // Names and values that would break SIP.
        ("    headers:\n      - {set: \"X Provider\", value: a}", "profiles[0].headers[0].set", 15,
         "must be a header name such as X-Provider: letters, digits and -.!%_+`'~ only, got \"X Provider\""),
        ("    headers:\n      - {set: X-A, value: \"a\\r\\nVia: evil\"}", "profiles[0].headers[0].value", 15,
         "must not contain line breaks (CR, LF) or NUL"),
        ("    headers:\n      - {add: X-A, value: \"a\\0b\"}", "profiles[0].headers[0].value", 15,
         "must not contain line breaks (CR, LF) or NUL"),
        ("    headers:\n      - {add: X-Trace, value: \"${call.idd}\"}", "profiles[0].headers[0].value", 15,
         "unknown variable \"${call.idd}\"; did you mean \"${call.id}\"?"),
        ("    headers:\n      - {add: X-Trace, value: \"${caller}\"}", "profiles[0].headers[0].value", 15,
         "unknown variable \"${caller}\" (known: ${from.user}, ${to.user}, ${ruri.user}, ${trunk.name}, ${call.id})"),
        ("    headers:\n      - {add: X-Trace, value: \"${call.id\"}", "profiles[0].headers[0].value", 15,
         "\"${\" is not closed by \"}\""),
        // Operation shapes.
        ("    headers:\n      - {set: X-A}", "profiles[0].headers[0].value", 15,
         "is required (the text set writes, such as value: secondary)"),
        ("    headers:\n      - {remove: X-A, value: b}", "profiles[0].headers[0].value", 15, "value does not apply to remove"),
        ("    headers:\n      - {set: X-A, add: X-B, value: c}", "profiles[0].headers[0].add", 15,
         "an operation does one thing: set and add belong in two list entries"),
        ("    headers:\n      - {value: c}", "profiles[0].headers[0]", 15, "needs one of set, add, remove or replace"),
        ("    headers:\n      - {sett: X-A, value: c}", "profiles[0].headers[0].sett", 15,
         "unknown key \"sett\"; did you mean \"set\"?"),
        ("    headers:\n      - {remove: Via}", "profiles[0].headers[0].remove", 15,
         "Via is needed by SIP and built by the SBC for each leg; a profile cannot remove it"),
        ("    headers:\n      - {set: f, value: x}", "profiles[0].headers[0].set", 15,
         "f is needed by SIP and built by the SBC for each leg; a profile cannot set it (change its number with numbers"),
        ("    headers:\n      - {set: X-*, value: x}", "profiles[0].headers[0].set", 15, "must be a header name such as X-Provider"),
        ("    headers:\n      - {replace: User-Agent, regex: \"(\", with: x}", "profiles[0].headers[0].regex", 15,
         "is not a valid regular expression"),
        ("    headers:\n      - {replace: User-Agent, regex: \"^G(e)\", with: \"\\\\2\"}", "profiles[0].headers[0].with", 15,
         "refers to group \\2 but the regex has only 1 capture group"),
        ("    headers:\n      - {replace: User-Agent, regex: \"^G\", with: \"\\\\q\"}", "profiles[0].headers[0].with", 15,
         "\"\\q\" is not a group reference"),
        // Policy.
        ("    header_policy: {mode: blocklist, headers: [X-A]}", "profiles[0].header_policy.mode", 14,
         "must be one of denylist, allowlist, got \"blocklist\""),
        ("    header_policy: {mode: denylist}", "profiles[0].header_policy.headers", 14, "is required"),
        ("    header_policy: {headers: [Call-ID]}", "profiles[0].header_policy.headers[0]", 14,
         "Call-ID is needed by SIP and is never removed; take it out of the list"),
        ("    header_policy: {headers: [\"X-A;b\"]}", "profiles[0].header_policy.headers[0]", 14,
         "must be a header name or a glob such as X-Internal-*"),
        // Numbers.
        ("    numbers:\n      request_uri: {e164: {country_code: \"+1\"}}", "profiles[0].numbers.request_uri.e164.country_code", 15,
         "must be 1-3 digits not starting with 0, without the + (\"1\", \"44\"), got +1"),
        ("    numbers:\n      request_uri: {e164: {national_prefix: \"0\"}}", "profiles[0].numbers.request_uri.e164.country_code", 15,
         "is required (the country calling code without +"),
        ("    numbers:\n      from: {strip_prefix: \"\"}", "profiles[0].numbers.from.strip_prefix", 15,
         "must be text that can stand in a URI user part"),
        ("    numbers:\n      from: {add_prefix: \"9 \"}", "profiles[0].numbers.from.add_prefix", 15,
         "must be text that can stand in a URI user part"),
        ("    numbers:\n      to: {regex: {match: \"^1(\\\\d+)$\", with: \"\\\\3\"}}", "profiles[0].numbers.to.regex.with", 15,
         "refers to group \\3 but the regex has only 1 capture group"),
        ("    numbers:\n      to: {regex: {match: \"[\", with: \"\"}}", "profiles[0].numbers.to.regex.match", 15,
         "is not a valid regular expression"),
        ("    numbers:\n      ruri: {strip_prefix: \"+\"}", "profiles[0].numbers.ruri", 15,
         "unknown key \"ruri\""),
        // Identity.
        ("    p_asserted_identity: \"sip:${from.user}@carrier-b.example\"", "profiles[0].p_asserted_identity", 14,
         "must be a name-addr such as \"<sip:${from.user}@carrier.example>\": the address must be written in angle brackets"),
        ("    p_asserted_identity: \"<sip:${from.user}@>\"", "profiles[0].p_asserted_identity", 14,
         "has no valid host (rendered with sample values: \"<sip:+15551230000@>\")"),
        ("    p_asserted_identity: \"<http://example.com>\"", "profiles[0].p_asserted_identity", 14,
         "the URI scheme must be sip, sips or tel, got \"http\""),
        ("    p_asserted_identity: \"<sip:${from.user} x@h>\"", "profiles[0].p_asserted_identity", 14,
         "contains spaces"),
        ("    p_asserted_identity: \"<sip:${from.usr}@h>\"", "profiles[0].p_asserted_identity", 14,
         "unknown variable \"${from.usr}\"; did you mean \"${from.user}\"?"),
        ("    privacy: identity", "profiles[0].privacy", 14,
         "must be one or more of none, header, session, user, id, critical joined by ';', got \"identity\""),
        ("    display_name: {from: \"a\\nb\"}", "profiles[0].display_name.from", 14, "must not contain line breaks"),
        ("    display_name: {to: x}", "profiles[0].display_name.to", 14,
         "unknown key \"to\""),
        ("    header_polcy: {headers: [X-A]}", "profiles[0].header_polcy", 14,
         "unknown key \"header_polcy\"; did you mean \"header_policy\"?"),
    ])
    func problems(keys: String, keyPath: String, line: Int, message: String) {
        TestSupport.expectSingleProblem(Self.profile(keys), keyPath: keyPath, line: line, containing: message)
    }

    @Test("profile names are unique and references resolve")
    func namesAndReferences() {
        let duplicate = TestSupport.minimal + "\nprofiles:\n  - name: p\n  - name: p"
        TestSupport.expectSingleProblem(duplicate, keyPath: "profiles[1].name", line: 14,
                                        containing: "duplicate profile name \"p\"; profiles[0] (line 13) already uses it")
        TestSupport.expectSingleProblem(TestSupport.minimal + "\nprofiles:\n  - name: \"bad name\"",
                                        keyPath: "profiles[0].name", line: 13, containing: "must be 1-64 characters")
        TestSupport.expectSingleProblem(TestSupport.minimal + "\nprofiles:\n  -", keyPath: "profiles[0]", line: 13,
                                        containing: "is empty; a profile needs a name")
        TestSupport.expectSingleProblem(TestSupport.minimal + "\nprofiles: {name: p}", keyPath: "profiles", line: 12,
                                        containing: "must be a list, got a mapping")
    }

    @Test("templates: variables, $$, groups and the capture-group count")
    func templates() throws {
        let template = try ProfileTemplate(parsing: "a${from.user}$$b$c\\1", allowsGroups: false)
        #expect(template.parts == [.literal("a"), .variable(.fromUser), .literal("$b$c\\1")])
        let groups = try ProfileTemplate(parsing: "\\1-\\\\-\\0${trunk.name}", allowsGroups: true)
        #expect(groups.parts == [.group(1), .literal("-\\-"), .group(0), .variable(.trunkName)])
        #expect(groups.highestGroup == 1)
        #expect(groups.render(variable: { _ in "T" }, group: { $0 == 1 ? "one" : "all" }) == "one-\\-allT")
        #expect(ProfileTemplate.captureGroupCount(in: "^(a)(?:b)(?<n>c)[(]\\(x(?=y)") == 2)
    }
}
