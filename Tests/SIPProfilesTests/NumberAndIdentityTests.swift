import Foundation
import SBCConfig
import SIPCore
import SIPProfiles
import Testing

/// Number rewriting, display names and P-Asserted-Identity/Privacy insertion, checked against the
/// exact serialized message, and the refusals that keep broken SIP from being sent.
@Suite("Numbers and identity")
struct NumberAndIdentityTests {
    typealias T = ProfileTestSupport

    @Test("the documented example: E.164 first, then strip '+', then the regex drops the leading 1")
    func requestURIExample() throws {
        let rewrite = NumberRewrite(stripPrefix: "+", addPrefix: "", e164: E164Normalization(countryCode: "1"),
                                    regex: RegexRewrite(match: "^1(\\d{10})$", with: "\\1"))
        let settings = ProfileSettings(name: "p", numbers: NumberRewrites(requestURI: rewrite))
        #expect(try T.apply(settings) == T.wire("INVITE sip:5551239999@127.0.0.12:5060 SIP/2.0", T.headerLines))
        // A national number takes the same path: 5551239999 -> +15551239999 -> 15551239999 -> 5551239999.
        let national = T.wire("INVITE sip:5551239999@127.0.0.12:5060;user=phone SIP/2.0", T.headerLines)
        #expect(try T.apply(settings, to: national) == national)
    }

    @Test("From, To and every P-Asserted-Identity URI are rewritten; tags, parameters and display names stay")
    func addressHeaders() throws {
        let settings = ProfileSettings(name: "p", numbers: NumberRewrites(
            from: NumberRewrite(e164: E164Normalization(countryCode: "44", nationalPrefix: "0")),
            to: NumberRewrite(addPrefix: "9"),
            pAssertedIdentity: NumberRewrite(stripPrefix: "+")))
        let message = T.wire(T.requestLine, T.lines(
            [("From", "From: \"Agent 7\" <sip:02071234567@127.0.0.1;user=phone>;tag=1928301774")],
            insertingBeforeContentType: ["P-Asserted-Identity: \"Agent\" <sip:+15551230000@pc.example>, <tel:+15551230000>",
                                         "P-Asserted-Identity: <sip:+15551230001@pc.example>"]))
        #expect(try T.apply(settings, to: message) == T.wire(T.requestLine, T.lines([
            ("From", "From: \"Agent 7\" <sip:+442071234567@127.0.0.1;user=phone>;tag=1928301774"),
            ("To", "To: <sip:9+15551239999@127.0.0.12>"),
        ], insertingBeforeContentType: ["P-Asserted-Identity: \"Agent\" <sip:15551230000@pc.example>, <tel:15551230000>",
                                        "P-Asserted-Identity: <sip:15551230001@pc.example>"])))
    }

    @Test("a header whose number does not change keeps its exact bytes, even in addr-spec form")
    func unchangedIsUntouched() throws {
        let settings = ProfileSettings(name: "p", numbers: NumberRewrites(
            from: NumberRewrite(e164: E164Normalization(countryCode: "1")), to: NumberRewrite(stripPrefix: "00")))
        let message = T.wire(T.requestLine, T.lines([("From", "From: sip:+15551230000@127.0.0.1;tag=77"),
                                                     ("To", "To: \"Bob\"<sip:+15551239999@127.0.0.12>")]))
        #expect(try T.apply(settings, to: message) == message)
    }

    @Test("tel: Request-URIs are normalised, URIs without a user part are left alone")
    func telAndUserless() throws {
        let settings = ProfileSettings(name: "p", numbers: NumberRewrites(
            requestURI: NumberRewrite(e164: E164Normalization(countryCode: "1")), to: NumberRewrite(addPrefix: "+")))
        #expect(try T.apply(settings, to: T.wire("INVITE tel:5551239999;phone-context=+1 SIP/2.0", T.headerLines))
            == T.wire("INVITE tel:+15551239999;phone-context=+1 SIP/2.0", T.lines([("To", "To: <sip:++15551239999@127.0.0.12>")])))
        let userless = T.wire("INVITE sip:carrier.example SIP/2.0", T.lines([("To", "To: <sip:carrier.example>")]))
        #expect(try T.apply(settings, to: userless) == userless)
    }

    @Test("display names are quoted with escapes; empty text removes them")
    func displayNames() throws {
        let settings = ProfileSettings(name: "p", displayNames: .init(from: "Contact Center"))
        #expect(try T.apply(settings) == T.wire(T.requestLine, T.lines([
            ("From", "From: \"Contact Center\" <sip:+15551230000@127.0.0.1>;tag=1928301774")])))
        let escaped = ProfileSettings(name: "p", displayNames: .init(from: "Say \"hi\" \\ ${trunk.name}"))
        #expect(try T.apply(escaped) == T.wire(T.requestLine, T.lines([
            ("From", "From: \"Say \\\"hi\\\" \\\\ carrier-b\" <sip:+15551230000@127.0.0.1>;tag=1928301774")])))
        let removed = ProfileSettings(name: "p", displayNames: .init(from: ""))
        #expect(try T.apply(removed) == T.wire(T.requestLine, T.lines([
            ("From", "From: <sip:+15551230000@127.0.0.1>;tag=1928301774")])))
        let addrSpec = T.wire(T.requestLine, T.lines([("From", "From: sip:+15551230000@127.0.0.1;tag=9")]))
        #expect(try T.apply(settings, to: addrSpec) == T.wire(T.requestLine, T.lines([
            ("From", "From: \"Contact Center\" <sip:+15551230000@127.0.0.1>;tag=9")])))
    }

    @Test("P-Asserted-Identity and Privacy are inserted before Content-Type, replacing existing ones")
    func insertIdentity() throws {
        let settings = ProfileSettings(name: "p", pAssertedIdentity: "<sip:${from.user}@carrier-b.example>", privacy: "id")
        #expect(try T.apply(settings) == T.wire(T.requestLine, T.lines([], insertingBeforeContentType: [
            "P-Asserted-Identity: <sip:+15551230000@carrier-b.example>", "Privacy: id"])))
        let existing = T.wire(T.requestLine, T.lines([("X-Internal-Queue", "P-Asserted-Identity: <sip:old@pc.example>")],
                                                     insertingBeforeContentType: ["p-asserted-identity: <tel:+1>", "Privacy: none"]))
        #expect(try T.apply(settings, to: existing) == T.wire(T.requestLine, T.lines(
            [("X-Internal-Queue", "P-Asserted-Identity: <sip:+15551230000@carrier-b.example>")],
            insertingBeforeContentType: ["Privacy: id"])))
    }

    @Test("an inserted P-Asserted-Identity gets the number rewrite and display name too")
    func insertedIdentityIsRewritten() throws {
        let settings = ProfileSettings(
            name: "p", numbers: NumberRewrites(pAssertedIdentity: NumberRewrite(stripPrefix: "+")),
            displayNames: .init(pAssertedIdentity: "${trunk.name}"),
            pAssertedIdentity: "<sip:${from.user}@carrier-b.example;user=phone>")
        #expect(try T.apply(settings) == T.wire(T.requestLine, T.lines([], insertingBeforeContentType: [
            "P-Asserted-Identity: \"carrier-b\" <sip:15551230000@carrier-b.example;user=phone>"])))
    }

    @Test("a rewrite that empties a user part or puts a space in it is refused", arguments: [
        (RegexRewrite(match: "^.*$", with: ""), "rewriting the number \"+15551239999\" gives \"\", which makes the URI \"sip:@127.0.0.12:5060\" invalid"),
        (RegexRewrite(match: "^\\+", with: "00 "), "rewriting the number \"+15551239999\" gives \"00 15551239999\", which makes the URI \"sip:00 15551239999@127.0.0.12:5060\" invalid"),
    ])
    func invalidRequestURI(regex: RegexRewrite, reason: String) throws {
        let settings = ProfileSettings(name: "carrier-b", numbers: NumberRewrites(requestURI: NumberRewrite(regex: regex)))
        #expect(try T.error(settings) == ProfileError(profile: "carrier-b", header: "Request-URI", reason: reason))
    }

    @Test("a P-Asserted-Identity that renders invalid with the call's values is refused")
    func invalidRenderedIdentity() throws {
        let settings = ProfileSettings(name: "p", pAssertedIdentity: "<sip:${from.user}@carrier-b.example>")
        var context = T.context
        context.fromUser = "a b"
        #expect(try T.error(settings, context: context) == ProfileError(
            profile: "p", header: "P-Asserted-Identity",
            reason: "the template renders to \"<sip:a b@carrier-b.example>\", which is not a name-addr with a sip, sips or tel URI"))
    }

    @Test("a malformed received P-Asserted-Identity cannot be rewritten and is refused")
    func malformedIdentity() throws {
        let settings = ProfileSettings(name: "p", numbers: NumberRewrites(pAssertedIdentity: NumberRewrite(stripPrefix: "+")))
        let message = T.wire(T.requestLine, T.lines([], insertingBeforeContentType: ["P-Asserted-Identity: <sip:+1@"]))
        #expect(try T.error(settings, to: message)?.reason == "\"<sip:+1@\" is not a valid name-addr, so it cannot be rewritten")
    }

    @Test("the context can be taken from the received request")
    func contextFromMessage() throws {
        let message = try T.parse(T.wire())
        #expect(ProfileContext(message: message, trunkName: "carrier-b") == T.context)
    }
}

/// The profile shipped in conf/lab.yaml, loaded as the server loads it, and the agreement between
/// the loader's name-addr check and SIPCore's parser.
@Suite("Profiles from configuration")
struct ConfiguredProfileTests {
    typealias T = ProfileTestSupport

    static let repositoryRoot: String = {
        let recorded = URL(fileURLWithPath: #filePath)
        for start in [recorded, recorded.resolvingSymlinksInPath()] {
            let root = start.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: root.appendingPathComponent("conf/lab.yaml").path) { return root.path }
        }
        return "(repository root not found)"
    }()

    @Test("the lab's carrier-b profile sets X-Provider and strips X-Internal-*")
    func labProfile() throws {
        let config = try ConfigLoader.load(path: Self.repositoryRoot + "/conf/lab.yaml")
        let settings = try #require(config.profile(named: "carrier-b"))
        #expect(try T.apply(settings) == T.wire(T.requestLine, T.lines([("X-Internal-Queue", nil)],
                                                                        insertingBeforeContentType: ["X-Provider: secondary"])))
    }

    @Test("the example's carrier-b profile: allowlist, X-Provider, digits-only numbers, PAI with display name, Privacy")
    func exampleCarrierB() throws {
        let config = try ConfigLoader.load(path: Self.repositoryRoot + "/conf/sbc.example.yaml")
        let settings = try #require(config.profile(named: "carrier-b"))
        #expect(try T.apply(settings) == T.wire("INVITE sip:15551239999@127.0.0.12:5060 SIP/2.0", [
            "Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK776asdhds",
            "Max-Forwards: 69",
            "From: \"Agent 7\" <sip:+15551230000@127.0.0.1>;tag=1928301774",
            "To: <sip:+15551239999@127.0.0.12>",
            "Call-ID: a84b4c76e66710@pc33.example.com",
            "CSeq: 314159 INVITE",
            "Contact: <sip:sbc@127.0.0.1:5080>",
            "User-Agent: Genesys Cloud 1.0",
            "X-Provider: secondary",
            "P-Asserted-Identity: \"Contact Center\" <sip:15551230000@carrier-b.example;user=phone>",
            "Privacy: id",
            "Content-Type: application/sdp",
            "Content-Length: 4",
        ]))
        for profile in config.profiles {  // every example profile applies cleanly
            _ = try T.apply(profile)
        }
    }

    @Test("every P-Asserted-Identity the loader accepts renders to something SIPCore parses", arguments: [
        "<sip:${from.user}@carrier-b.example>",
        "\"Contact Center\" <sip:${from.user}@carrier-b.example;user=phone>",
        "Contact Center <sips:${ruri.user}@[2001:db8::1]:5061>;x=y",
        "<tel:${from.user}>",
        "<tel:${to.user};phone-context=example.com>",
        "  <sip:${trunk.name}@10.0.0.1:5060;transport=udp> ; a ; b=c",
    ])
    func loaderAgreesWithSIPCore(template: String) throws {
        let yaml = """
            zones: [{name: z, bind: 127.0.0.1, udp_port: 5060}]
            trunks: [{name: t, zone: z, address: 127.0.0.2}]
            routes: [{name: r, trunk: t}]
            profiles:
              - name: p
                p_asserted_identity: '\(template)'
            """
        let config = try ConfigLoader.parse(yaml: yaml, source: "test")
        let text = try #require(config.profiles.first?.pAssertedIdentity)
        let rendered = try ProfileTemplate(parsing: text, allowsGroups: false).render(variable: ProfileTemplate.sample)
        #expect(SIPNameAddress.parse(rendered.trimmingWhitespace()) != nil, "\(rendered)")
        let result = try T.apply(ProfileSettings(name: "p", pAssertedIdentity: text))
        #expect(result.contains("P-Asserted-Identity: "))
    }
}
