import Testing
@testable import SIPCore

@Suite struct SIPMessageParserTests {
    static func parse(_ text: String) throws(SIPParseError) -> SIPMessage {
        try SIPMessage(parsing: Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8))
    }

    static let invite = """
        INVITE sip:+15551230000@sbc.example.com;user=phone SIP/2.0
        v: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1;rport, SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bK0
        Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKx
        Max-Forwards: 70
        f: "Agent, One" <sip:+15550001111@192.0.2.10>;tag=abc
        t: <sip:+15551230000@sbc.example.com>
        i: call-1@192.0.2.10
        CSeq: 314 INVITE
        m: <sip:agent@192.0.2.10:5060;transport=udp>;expires=60
        X-Folded: first
         second
        Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>
        Retry-After: 120 (maintenance);duration=3600
        l: 4

        abcdEXTRA
        """

    @Test func compactFormsFoldingAndTypedViews() throws {
        let message = try Self.parse(Self.invite)
        #expect(message.method == .invite)
        #expect(message.requestURI?.user == "+15551230000")
        #expect(message.requestURI?.parameters[parameter: "user"] == "phone")
        #expect(message.vias.count == 3)
        #expect(message.vias[1].host == "[2001:db8::1]")
        #expect(message.vias[1].port == 5070)
        #expect(message.vias[1].transport == "TCP")
        #expect(message.topVia?.branch == "z9hG4bK1")
        #expect(message.topVia?.rport == .some(nil))
        #expect(message.from?.displayName == "\"Agent, One\"")
        #expect(message.from?.tag == "abc")
        #expect(message.to?.tag == nil)
        #expect(message.callID == "call-1@192.0.2.10")
        #expect(message.cseq == SIPCSeq(number: 314, method: .invite))
        #expect(message.contacts.first?.uri.port == 5060)
        #expect(message.contacts.first?.parameters[parameter: "expires"] == "60")
        #expect(message.recordRoutes.map(\.uri.host) == ["p1.example.com", "p2.example.com"])
        #expect(message.firstValue(SIPHeaderName("X-FOLDED")) == "first second")
        #expect(message.retryAfter == SIPRetryAfter(seconds: 120, comment: "maintenance", duration: 3600))
        #expect(message.body == Array("abcd".utf8), "datagram bytes beyond Content-Length are ignored")
    }

    @Test func serializationKeepsUnknownHeadersAndFixesContentLength() throws {
        var message = try Self.parse(Self.invite)
        message.setBody(Array("hello!".utf8), contentType: nil)
        let text = String(decoding: message.serialized(), as: UTF8.self)
        #expect(text.hasPrefix("INVITE sip:+15551230000@sbc.example.com;user=phone SIP/2.0\r\n"))
        #expect(text.contains("\r\nX-Folded: first second\r\n"))
        #expect(text.contains("\r\nl: 6\r\n"))
        #expect(text.hasSuffix("\r\n\r\nhello!"))
        let again = try SIPMessage(parsing: message.serialized())
        #expect(again == message)
    }

    @Test(arguments: [
        ("INVITE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: x\nCSeq: 1 INVITE\nContent-Length: 50\n\nshort",
         "Content-Length 50 larger than the 5 body bytes received"),
        ("INVITE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCSeq: 1 INVITE\n\n",
         "Missing Call-ID header"),
        ("INVITE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: x\nCSeq: 1 INVITE\nMax-Forwards: 256\n\n",
         "Max-Forwards must be 0-255"),
        ("INVITE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: x\nCSeq: 1 BYE\n\n",
         "CSeq method BYE does not match request method INVITE"),
        ("INVITE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: x\nCSeq: 1 INVITE\nContent-Length: 0",
         "Truncated message: no blank line after the headers"),
        ("INVITE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: x\nCSeq: 1 INVITE\nno colon here\n\n",
         "Header line without a colon"),
    ])
    func malformedMessagesNameTheirProblem(text: String, reason: String) throws {
        #expect(throws: SIPParseError.self) { try Self.parse(text) }
        do {
            _ = try Self.parse(text)
        } catch {
            #expect(error.reason == reason)
            #expect(error.statusCode == 400)
        }
    }

    @Test func malformedRequestWithIdentifiersCanBeAnswered() throws {
        do {
            _ = try Self.parse("OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@b>;tag=1\nTo: <sip:a@b>\nCall-ID: x\nCSeq: 1 INVITE\n\n")
            Issue.record("expected a parse error")
        } catch {
            #expect(error.canRespond)
            let partial = try #require(error.partialMessage)
            let response = SIPResponseBuilder.response(to: partial, statusCode: error.statusCode, reason: error.reason,
                                                       toTag: "t1")
            let text = String(decoding: response.serialized(), as: UTF8.self)
            #expect(text.hasPrefix("SIP/2.0 400 CSeq method INVITE does not match request method OPTIONS\r\n"))
            #expect(text.contains("To: <sip:a@b>;tag=t1\r\n"))
        }
    }

    @Test func responsesAndStrayBytes() throws {
        let response = try Self.parse("SIP/2.0 183 Session Progress\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nFrom: <sip:a@b>;tag=1\nTo: <sip:a@b>;tag=2\nCall-ID: x\nCSeq: 1 INVITE\nContent-Length: 0\n\n")
        #expect(response.statusCode == 183)
        #expect(response.to?.tag == "2")
        #expect(throws: SIPParseError.self) { try SIPMessage(parsing: []) }
        #expect(throws: SIPParseError.self) { try SIPMessage(parsing: Array(repeating: 0xFF, count: 3000)) }
        #expect(throws: SIPParseError.self) { try Self.parse("SIP/2.0 99 Nope\nVia: SIP/2.0/UDP h\n\n") }
    }

    @Test func reasonPhrasesCannotInjectHeaders() {
        #expect(SIPResponseBuilder.sanitized("Bad\r\nVia: evil") == "BadVia: evil")
    }
}
