import SBCConfig
import SIPCore
import SIPProfiles
import Testing

/// Header policies and header operations, each checked against the exact serialized message.
@Suite("Header policies and operations")
struct HeaderOperationTests {
    typealias T = ProfileTestSupport

    @Test("a profile that does nothing leaves the message byte for byte")
    func identity() throws {
        #expect(try T.apply(ProfileSettings(name: "noop")) == T.wire())
        #expect(HeaderRewriteProfile(ProfileSettings(name: "noop")).name == "noop")
    }

    @Test("denylist globs remove matching headers case-insensitively and keep the rest in order")
    func denylist() throws {
        let settings = ProfileSettings(name: "p", headerPolicy: .init(mode: .denylist, headers: ["x-internal-*", "X-Genesys-*"]))
        #expect(try T.apply(settings) == T.wire(T.requestLine, T.lines([("X-Internal-Queue", nil), ("x-genesys-", nil)])))
    }

    @Test("allowlist keeps only the listed headers and those SIP needs")
    func allowlist() throws {
        let settings = ProfileSettings(name: "p", headerPolicy: .init(mode: .allowlist, headers: ["User-Agent"]))
        #expect(try T.apply(settings) == T.wire(T.requestLine, [
            "Via: SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK776asdhds",
            "Max-Forwards: 69",
            "From: \"Agent 7\" <sip:+15551230000@127.0.0.1>;tag=1928301774",
            "To: <sip:+15551239999@127.0.0.12>",
            "Call-ID: a84b4c76e66710@pc33.example.com",
            "CSeq: 314159 INVITE",
            "Contact: <sip:sbc@127.0.0.1:5080>",
            "User-Agent: Genesys Cloud 1.0",
            "Content-Type: application/sdp",
            "Content-Length: 4",
        ]))
    }

    @Test("an empty allowlist, a '*' denylist and a '*' remove never touch the protected headers")
    func protectedHeadersSurvive() throws {
        let protectedOnly = T.wire(T.requestLine, T.lines([("X-Internal", nil), ("x-genesys", nil), ("User-Agent", nil),
                                                           ("X-Debug", nil)]))
        let message = T.wire(T.requestLine, T.headerLines.filter { !$0.hasPrefix("Content-Length") }
            + ["Require: timer", "Supported: timer", "Allow: INVITE, ACK", "Route: <sip:p@h;lr>",
               "Record-Route: <sip:q@h;lr>", "l: 4"])
        let expected = T.wire(T.requestLine, T.headerLines.filter { !$0.hasPrefix("Content-Length") && !$0.hasPrefix("X-")
                && !$0.hasPrefix("x-") && !$0.hasPrefix("User-Agent") }
            + ["Require: timer", "Supported: timer", "Allow: INVITE, ACK", "Route: <sip:p@h;lr>", "Record-Route: <sip:q@h;lr>",
               "l: 4"])
        #expect(try T.apply(ProfileSettings(name: "p", headerPolicy: .init(mode: .allowlist, headers: [])),
                            to: message) == expected)
        #expect(try T.apply(ProfileSettings(name: "p", headerPolicy: .init(mode: .denylist, headers: ["*"])),
                            to: message) == expected)
        #expect(try T.apply(ProfileSettings(name: "p", headerOperations: [.remove(pattern: "*")]),
                            to: message) == expected)
        #expect(try T.apply(ProfileSettings(name: "p", headerOperations: [.remove(pattern: "*")])) == protectedOnly)
    }

    @Test("set replaces every occurrence at the first one's place, keeping its spelling; absent, it is inserted before Content-Type")
    func set() throws {
        let settings = ProfileSettings(name: "p", headerOperations: [
            .set(header: "X-Provider", value: "secondary"),
            .set(header: "X-Genesys-Conversation", value: "7"),
            .set(header: "User-Agent", value: "SwiftSBC"),
        ])
        let message = T.wire(T.requestLine, T.lines([], insertingBeforeContentType: ["X-Genesys-Conversation: 43"]))
        #expect(try T.apply(settings, to: message) == T.wire(T.requestLine, T.lines(
            [("x-genesys-conversation", "x-genesys-conversation: 7"), ("User-Agent", "User-Agent: SwiftSBC")],
            insertingBeforeContentType: ["X-Provider: secondary"])))
    }

    @Test("add appends before Content-Type and keeps existing fields; values take variables")
    func add() throws {
        let settings = ProfileSettings(name: "p", headerOperations: [
            .add(header: "X-Debug-Trace", value: "off"),
            .add(header: "X-Trace", value: "${call.id}"),
            .add(header: "X-Vars", value: "${from.user}|${to.user}|${ruri.user}|${trunk.name}|$${x}|US$5"),
        ])
        #expect(try T.apply(settings) == T.wire(T.requestLine, T.lines([], insertingBeforeContentType: [
            "X-Debug-Trace: off",
            "X-Trace: a84b4c76e66710@pc33.example.com",
            "X-Vars: +15551230000|+15551239999|+15551239999|carrier-b|${x}|US$5",
        ])))
    }

    @Test("variables that are absent from the context render as empty text")
    func missingVariables() throws {
        let settings = ProfileSettings(name: "p", headerOperations: [.add(header: "X-From", value: "<${from.user}>")])
        let context = ProfileContext(trunkName: "t", callID: "c")
        #expect(try T.apply(settings, context: context)
            == T.wire(T.requestLine, T.lines([], insertingBeforeContentType: ["X-From: <>"])))
    }

    @Test("remove takes globs: prefix, suffix, middle and exact, case-insensitively")
    func remove() throws {
        let settings = ProfileSettings(name: "p", headerOperations: [
            .remove(pattern: "X-DEBUG-*"), .remove(pattern: "*-conversation"), .remove(pattern: "X-*-Queue"),
            .remove(pattern: "user-agent"),
        ])
        #expect(try T.apply(settings) == T.wire(T.requestLine, T.lines([("X-Internal", nil), ("x-genesys", nil),
                                                                          ("User-Agent", nil), ("X-Debug", nil)])))
    }

    @Test("replace rewrites every match in every field of that name, with capture groups and variables")
    func replace() throws {
        let settings = ProfileSettings(name: "p", headerOperations: [
            .replace(header: "User-Agent", regex: "^Genesys.*", with: "SwiftSBC"),
            .replace(header: "X-Internal-Queue", regex: "(l+)", with: "[\\1]"),
            .replace(header: "X-Debug-Trace", regex: "^(o)(n)$", with: "\\2\\1-\\0-${trunk.name}\\\\"),
            .replace(header: "x-genesys-conversation", regex: "nomatch", with: "x"),
        ])
        #expect(try T.apply(settings) == T.wire(T.requestLine, T.lines([
            ("User-Agent", "User-Agent: SwiftSBC"),
            ("X-Internal-Queue", "X-Internal-Queue: bi[ll]ing"),
            ("X-Debug-Trace", "X-Debug-Trace: no-on-carrier-b\\"),
        ])))
    }

    @Test("operations run in order: a later remove undoes an earlier set, and a policy runs before them")
    func order() throws {
        let settings = ProfileSettings(
            name: "p", headerPolicy: .init(mode: .denylist, headers: ["X-Internal-*"]),
            headerOperations: [.set(header: "X-Provider", value: "a"), .remove(pattern: "X-Provider"),
                               .add(header: "X-Internal-Note", value: "added after the policy")])
        #expect(try T.apply(settings) == T.wire(T.requestLine, T.lines([("X-Internal-Queue", nil)],
                                                                        insertingBeforeContentType: ["X-Internal-Note: added after the policy"])))
    }

    @Test("a value that would carry a line break (from a variable) is refused, naming the header")
    func lineBreakRefused() throws {
        let settings = ProfileSettings(name: "p", headerOperations: [.add(header: "X-Caller", value: "${from.user}")])
        var context = T.context
        context.fromUser = "123\r\nVia: SIP/2.0/UDP evil"
        let error = try T.error(settings, context: context)
        #expect(error == ProfileError(profile: "p", header: "X-Caller",
                                      reason: "the value would contain a line break or NUL: \"123\\r\\nVia: SIP/2.0/UDP evil\""))
        #expect(error?.description.hasPrefix("profile \"p\": X-Caller: the value would contain") == true)
    }

    @Test("settings built in code that the loader would refuse do not crash and never write protected headers")
    func invalidCodeBuiltSettings() throws {
        let settings = ProfileSettings(name: "p", headerOperations: [
            .replace(header: "User-Agent", regex: "(", with: "x"),      // bad regex: never matches
            .add(header: "X-Bad", value: "${nope}"),                     // bad template: literal
        ])
        #expect(try T.apply(settings) == T.wire(T.requestLine, T.lines([], insertingBeforeContentType: ["X-Bad: ${nope}"])))
        let error = try T.error(ProfileSettings(name: "p", headerOperations: [.set(header: "Call-ID", value: "x")]))
        #expect(error?.header == "Call-ID")
        let badName = try T.error(ProfileSettings(name: "p", headerOperations: [.add(header: "X Bad", value: "x")]))
        #expect(badName?.reason == "is not a header name a profile may write")
    }
}
