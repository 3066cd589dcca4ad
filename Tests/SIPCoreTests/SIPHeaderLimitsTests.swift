import Foundation
import Testing
@testable import SIPCore

@Suite struct SIPHeaderLimitsTests {
    let limits = SIPHeaderLimits.standard

    @Test func defaultsAre4KBAnd64Headers() {
        #expect(limits.maxHeaderLength == 4096)
        #expect(limits.maxHeaders == 64)
    }

    @Test(arguments: [("a\rb", "CR inside the X-Note header"), ("a\nb", "LF inside the X-Note header"),
                      ("a\u{0}b", "NUL inside the X-Note header"), ("\\\\\u{0}", "NUL inside the X-Note header")])
    func controlCharactersAreNamed(_ value: String, _ reason: String) {
        #expect(limits.problem(with: SIPHeaderField(rawName: "X-Note", value: value)) == reason)
    }

    @Test func escapedNULInAQuotedStringIsLegal() {
        // RFC 4475 intmeth: quoted-pair NUL is legal syntax (RFC 3261 25.1).
        #expect(limits.allows(SIPHeaderField(.to, "\"NUL:\\\u{0}\" <sip:a@example.com>")))
        #expect(limits.allows(SIPHeaderField(rawName: "X-Note", value: "\\\\\\\u{0}")), "the third backslash escapes the NUL")
        #expect(!limits.allows(SIPHeaderField(rawName: "X-Note", value: "\u{0}")), "a NUL at the start has nothing before it")
    }

    @Test func lineLengthCountsNameAndValue() {
        let name = "X-Long"
        let fits = String(repeating: "a", count: 4096 - name.count - 2)
        #expect(limits.allows(SIPHeaderField(rawName: name, value: fits)))
        #expect(limits.problem(with: SIPHeaderField(rawName: name, value: fits + "a"))
            == "X-Long header longer than 4096 bytes")
    }

    @Test func headerCountLimit() throws {
        var message = SIPMessage.request(.options, uri: try #require(SIPURI(parsing: "sip:a@example.com")))
        for index in 0..<64 { message.add(SIPHeaderName("x-h\(index)"), "v") }
        #expect(limits.rejection(for: message) == nil)
        message.add(SIPHeaderName("x-last"), "v")
        #expect(limits.rejection(for: message)?.reason == "Too many headers (65, limit 64)")
        #expect(limits.rejection(for: message)?.statusCode == 400)
    }

    @Test func everyValidRFC4475MessagePassesTheDefaultLimits() throws {
        for testCase in RFC4475Corpus.cases(where: \.isValid) {
            let message = try SIPMessage(parsing: testCase.bytes())
            #expect(limits.rejection(for: message) == nil, "\(testCase.name)")
        }
    }
}

@Suite struct RFC4475AnswerTests {
    /// Every request the parser refuses with a status gets that status as an answer: a top Via
    /// and a CSeq are all a response needs (badinv01, badvers and multi01 used to be dropped).
    @Test func everyRejectedRequestCanBeAnswered() throws {
        // `test` (not in the RFC, an extra file of its archive) has no Via: nowhere to answer.
        for testCase in RFC4475Corpus.cases(where: \.isReject) where testCase.kind == .request && testCase.name != "test" {
            let bytes = try testCase.bytes()
            do throws(SIPParseError) {
                _ = try SIPMessage(parsing: bytes)
                Issue.record("\(testCase.name) parsed")
            } catch {
                #expect(error.canRespond, "\(testCase.name): \(error.reason)")
            }
        }
    }

    @Test func lenientViaReadsSentByOfOddVias() {
        let badinv = SIPVia.parseTopLeniently("SIP/2.0/UDP 192.0.2.15;;,;,,")
        #expect(badinv?.host == "192.0.2.15")
        let badvers = SIPVia.parseTopLeniently("SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw")
        #expect(badvers?.host == "c.example.com")
        #expect(badvers?.branch == "z9hG4bKkdjuw")
        #expect(SIPVia.parseTopLeniently("garbage") == nil)
        #expect(SIPVia.parseTopLeniently("SIP/2.0/UDP") == nil)
    }

    @Test func malformedResponsesAndACKsAreStillNeverAnswered() throws {
        let ack = "ACK sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 ACK\r\nCSeq: 2 ACK\r\n\r\n"
        do throws(SIPParseError) {
            _ = try SIPMessage(parsing: Array(ack.utf8))
            Issue.record("parsed")
        } catch {
            #expect(!error.canRespond)
        }
    }
}

@Suite struct SIPLogRedactionTests {
    @Test func credentialHeadersKeepTheirNameAndLoseTheirValue() throws {
        var message = SIPMessage.request(.invite, uri: try #require(SIPURI(parsing: "sip:a@example.com")))
        message.add(SIPHeaderName("authorization"), "Digest username=\"alice\", response=\"0123456789abcdef\"")
        message.add(SIPHeaderName("proxy-authenticate"), "Digest realm=\"x\", nonce=\"n0nce\"")
        message.add(SIPHeaderName("x-fine"), "visible")
        let dump = SIPLogRedaction.dump(message)
        #expect(dump.lowercased().contains("\nauthorization: <redacted>"))
        #expect(dump.lowercased().contains("\nproxy-authenticate: <redacted>"))
        #expect(!dump.contains("0123456789abcdef"))
        #expect(!dump.contains("n0nce"))
        #expect(dump.contains("visible"))
    }

    @Test(arguments: [
        ("Authorization: Digest username=\"a\", response=\"deadbeef\"", "Authorization: <redacted>"),
        ("proxy-authorization : Digest x", "proxy-authorization : <redacted>"),
        ("challenge Digest realm=\"r\", nonce=\"abc\"", "challenge Digest <redacted>"),
        ("token Bearer eyJhbGciOi.xyz", "token Bearer <redacted>"),
        ("password=hunter2 user=bob", "password=<redacted> user=bob"),
        ("{\"password\": \"hunter2\"}", "{\"password\": \"<redacted>\"}"),
        ("secret: s3cr3t, next", "secret: <redacted>, next"),
        ("response=\"abc\" cnonce=xyz", "response=\"<redacted>\" cnonce=<redacted>"),
    ])
    func scrubRemovesCredentials(_ input: String, _ expected: String) {
        #expect(SIPLogRedaction.scrub(input) == expected)
    }

    @Test(arguments: ["call started", "no response: timeout", "admin token has no value", "stray response dropped",
                      "trunk carrier-a down", "authentication failed for trunk carrier-a"])
    func ordinaryTextIsUntouched(_ text: String) {
        #expect(SIPLogRedaction.scrub(text) == text)
    }
}

@Suite struct SIPMessageWireSizeTests {
    @Test func serializedCountIsTheSerializedLength() throws {
        var request = SIPMessage.request(.invite, uri: try #require(SIPURI(parsing: "sip:+1555@example.com")))
        request.add(.via, "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1")
        request.add(SIPHeaderName("x-é"), "ünïcode")
        #expect(request.serializedCount == request.serialized().count, "no Content-Length field")
        request.setBody(Array("v=0\r\n".utf8), contentType: "application/sdp")
        #expect(request.serializedCount == request.serialized().count)
        let response = SIPMessage(startLine: .response(statusCode: 200, reason: "OK"), headers: [SIPHeaderField(.contentLength, "99")])
        #expect(response.serializedCount == response.serialized().count, "Content-Length is written from the body")
        for testCase in RFC4475Corpus.cases(where: \.isValid) {
            let message = try SIPMessage(parsing: testCase.bytes())
            #expect(message.serializedCount == message.serialized().count, "\(testCase.name)")
        }
    }
}
