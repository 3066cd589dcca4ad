import Foundation
import SIPCore
import Testing
@testable import B2BUA

/// Issue 14 at the B2BUA's edge: what is refused before it can reach a carrier, which responses
/// the SBC answers, and ICMP errors ending transactions.
@Suite struct HardeningTests {
    static let carrier = "198.51.100.11"
    static let platform = "192.0.2.10"

    // MARK: Clean forwarding

    @Test func thirtyKilobyteContentTypeOnBodylessInviteIsRefusedAndNeverReachesCarrier() throws {
        var harness = try B2BUAHarness()
        let junk = String(repeating: "%41", count: 10_000)
        let text = B2BUAHarness.invite(sdp: false).replacingOccurrences(of: "Content-Type: application/sdp",
                                                                        with: "Content-Type: \(junk)")
        let out = harness.receive(text)
        #expect(out.requests(.invite, to: Self.carrier).isEmpty)
        let refusal = try #require(out.responses(400, to: Self.platform).first)
        #expect(refusal.reasonPhrase.contains("Content-Type header longer than 4096 bytes"))
        #expect(harness.b2bua.activeCalls == 0)
    }

    @Test(arguments: [("CR", "X-Note: a\rb\n"), ("NUL", "X-Note: a\u{0}b\n"), ("NUL", "Subject: hi\u{0}\n")])
    func controlCharacterInHeaderValueIsRefusedWith400(_ name: String, _ header: String) throws {
        var harness = try B2BUAHarness()
        let out = harness.receive(B2BUAHarness.invite(extra: header))
        #expect(out.requests(.invite, to: Self.carrier).isEmpty)
        let refusal = try #require(out.responses(400, to: Self.platform).first)
        #expect(refusal.reasonPhrase.hasPrefix("\(name) inside the"), "reason names the problem: \(refusal.reasonPhrase)")
    }

    @Test func tooManyHeadersAreRefused() throws {
        var harness = try B2BUAHarness()
        let extra = (1...70).map { "X-H\($0): v\n" }.joined()
        let out = harness.receive(B2BUAHarness.invite(extra: extra))
        #expect(out.requests(.invite, to: Self.carrier).isEmpty)
        #expect(out.responses(400, to: Self.platform).first?.reasonPhrase.hasPrefix("Too many headers") == true)
    }

    @Test func carrierSideGetsTheSameEdge() throws {
        var harness = try B2BUAHarness()
        let invite = B2BUAHarness.invite(extra: "X-Bad: a\rb\n")
            .replacingOccurrences(of: "192.0.2.10", with: "198.51.100.11")
        let out = harness.receive(invite, from: B2BUAHarness.carrierA)
        #expect(out.requests(.invite, to: Self.platform).isEmpty)
        #expect(out.responses(400, to: Self.carrier).count == 1)
    }

    @Test func cleanExtensionHeadersPassAndBodyHeadersWithoutBodyAreStripped() throws {
        var harness = try B2BUAHarness()
        let text = B2BUAHarness.invite(sdp: false, extra: "X-Account: 42\nContent-Disposition: session\n")
        let out = harness.receive(text)
        let invite = try #require(out.requests(.invite, to: Self.carrier).first)
        #expect(invite.firstValue(SIPHeaderName("x-account")) == "42")
        #expect(!invite.contains(.contentType), "no body, so no Content-Type")
        #expect(!invite.contains(SIPHeaderName("content-disposition")))
    }

    @Test func unfitHeaderOfACarrierResponseIsLeftOutWhenRelayed() throws {
        var harness = try B2BUAHarness()
        let out = harness.receive(B2BUAHarness.invite())
        let invite = try #require(out.requests(.invite, to: Self.carrier).first)
        let ringing = B2BUAHarness.response(180, "Ringing", to: invite)
            .replacingOccurrences(of: "Content-Length", with: "X-Junk: \(String(repeating: "A", count: 5000))\nX-Fine: yes\nContent-Length")
        let relayed = try #require(harness.receive(ringing, from: B2BUAHarness.carrierA).responses(180, to: Self.platform).first)
        #expect(!relayed.contains(SIPHeaderName("x-junk")))
        #expect(relayed.firstValue(SIPHeaderName("x-fine")) == "yes")
    }

    @Test func inviteTooLargeForUDPSkipsTheUDPTrunkWith513() throws {
        var harness = try B2BUAHarness()
        let extra = (1...8).map { "X-Pad\($0): \(String(repeating: "p", count: 200))\n" }.joined()
        let out = harness.receive(B2BUAHarness.invite(extra: extra))
        #expect(out.requests(.invite, to: Self.carrier).isEmpty)
        #expect(out.requests(.invite, to: "198.51.100.12").isEmpty)
        let refusal = try #require(out.responses(513, to: Self.platform).first)
        #expect(refusal.reasonPhrase.contains("over UDP"))
    }

    @Test func largeInviteGoesToATCPTrunk() throws {
        var harness = try B2BUAHarness(carrierATransport: "tcp")
        let extra = (1...8).map { "X-Pad\($0): \(String(repeating: "p", count: 200))\n" }.joined()
        let out = harness.receive(B2BUAHarness.invite(extra: extra))
        #expect(out.requests(.invite, to: Self.carrier).count == 1)
    }

    // MARK: RFC 4475 at the edge

    static var corpus: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SIPCoreTests/Fixtures/rfc4475")
    }

    /// What the SBC answers each message of the corpus from a known peer over UDP (nil: nothing;
    /// responses are never answered). The valid requests that start a call or are answered 405
    /// are covered by the parser's own corpus test.
    static let edgeAnswers: [String: Int?] = [
        "badinv01": 400, "badvers": 505, "multi01": 400, "clerr": 400, "ncl": 400, "scalar02": 400,
        "quotbal": 400, "ltgtruri": 400, "lwsruri": 400, "lwsstart": 400, "trws": 400, "escruri": 400,
        "regbadct": 400, "badaspec": 400, "baddn": 400, "mismatch01": 400, "mismatch02": 501, "insuf": 400,
        "badbranch": 400, "unkscm": 416, "novelsc": 416, "bext01": 420, "invut": 415, "zeromf": 483,
        "mcl01": 400, "sdp01": 406, "intmeth": 501, "esc02": 501,
        // Not in the RFC (an extra file of its archive): no Via, so there is nowhere to answer.
        "test": nil,
        "unreason": nil, "noreason": nil, "scalarlg": nil, "bigcode": nil, "bcast": nil,
    ]

    @Test func everyRFC4475RequestGetsTheRFCsAnswerAtTheEdge() throws {
        for (name, expected) in Self.edgeAnswers.sorted(by: { $0.key < $1.key }) {
            var harness = try B2BUAHarness()
            let bytes = [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent("\(name).dat")))
            let out = harness.b2bua.receive(bytes, from: B2BUAHarness.platform, now: harness.now)
            let finals = out.compactMap(\.message.statusCode).filter { $0 >= 200 }
            if let expected {
                #expect(finals == [expected], "\(name): expected \(expected), got \(finals)")
                #expect(out.allSatisfy { $0.destination.host == Self.platform }, "\(name): answered to the sender")
            } else {
                #expect(out.isEmpty, "\(name): nothing is answered, got \(out.map(\.message.startLine))")
            }
        }
    }

    @Test func badversOverTCPIsAnsweredOnItsConnection() throws {
        var harness = try B2BUAHarness()
        var source = B2BUAHarness.platform
        source.transport = .tcp
        source.port = 40_123
        source.connection = ConnectionID(rawValue: 7)
        let bytes = [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent("badvers.dat")))
        let out = harness.b2bua.receive(bytes, from: source, now: harness.now)
        let answer = try #require(out.first)
        #expect(answer.message.statusCode == 505)
        #expect(answer.destination.connection == source.connection)
        #expect(answer.destination.port == 40_123)
    }

    @Test func malformedRequestFromAStrangerIsNotAnsweredUnderDrop() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent("badvers.dat")))
        let stranger = SIPEndpoint(host: "203.0.113.99", port: 5060, transport: .udp, zone: "platform")
        var dropping = try B2BUAHarness(unknownSource: "drop")
        #expect(dropping.b2bua.receive(bytes, from: stranger, now: dropping.now).isEmpty)
        #expect(dropping.b2bua.receive(bytes, from: B2BUAHarness.platform, now: dropping.now).count == 1,
                "a trunk still gets its 505")
        var rejecting = try B2BUAHarness()
        #expect(rejecting.b2bua.receive(bytes, from: stranger, now: rejecting.now).first?.message.statusCode == 505)
    }

    // MARK: Stray responses

    @Test func strayOKFromTheplatformIsDroppedWithoutACKOrBYE() throws {
        var harness = try B2BUAHarness()
        let stray = """
            SIP/2.0 200 OK
            Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKnothing
            From: <sip:a@10.0.0.1>;tag=nobodys
            To: <sip:b@192.0.2.10>;tag=x
            Call-ID: stray-1@192.0.2.10
            CSeq: 1 INVITE
            Contact: <sip:b@192.0.2.10:5060>
            Content-Length: 0


            """
        #expect(harness.receive(stray).isEmpty)
        #expect(harness.advance(by: .seconds(40)).filter { $0.message.method == .bye }.isEmpty)
        #expect(harness.b2bua.activeTransactions == 0)
    }

    @Test func lateAnswerToAnAbandonedAttemptIsStillACKedAndReleasedOnce() throws {
        var harness = try B2BUAHarness()
        let out = harness.receive(B2BUAHarness.invite())
        let invite = try #require(out.requests(.invite, to: Self.carrier).first)
        // The caller cancels before any provisional: the attempt is abandoned, the call ends.
        let cancel = B2BUAHarness.invite().replacingOccurrences(of: "INVITE sip", with: "CANCEL sip")
            .replacingOccurrences(of: "CSeq: 1 INVITE", with: "CSeq: 1 CANCEL")
        harness.receive(cancel)
        harness.advance(by: .seconds(40))
        #expect(harness.b2bua.activeCalls == 0)
        let late = harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdp: true), from: B2BUAHarness.carrierA)
        #expect(late.requests(.ack, to: Self.carrier).count == 1, "RFC 3261 13.2.2.4: our INVITE's 2xx is ACKed")
        #expect(late.requests(.bye, to: Self.carrier).count == 1)
        let again = harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdp: true), from: B2BUAHarness.carrierA)
        #expect(again.requests(.ack, to: Self.carrier).count == 1)
        #expect(again.requests(.bye, to: Self.carrier).isEmpty, "one BYE per dialog")
    }

    @Test func retransmitted2xxOfAnEstablishedCallIsStillACKed() throws {
        var harness = try B2BUAHarness()
        let (invite, _) = try BasicCallTests.establish(&harness)
        harness.advance(by: .seconds(40))
        let again = harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdp: true), from: B2BUAHarness.carrierA)
        #expect(again.requests(.ack, to: Self.carrier).count == 1)
        #expect(again.requests(.bye, to: Self.carrier).isEmpty)
    }

    // MARK: ICMP ends transactions

    @Test func byeToAnUnreachableCarrierIsSentOnceAndEndsTheCall() throws {
        var harness = try B2BUAHarness()
        let (_, aTag) = try BasicCallTests.establish(&harness)
        let out = harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 2, branch: "z9hG4bKbye1"))
        #expect(out.requests(.bye, to: Self.carrier).count == 1)
        let failed = harness.b2bua.transportFailed(to: B2BUAHarness.carrierA, reason: "ICMP port unreachable",
                                                   now: harness.now)
        #expect(failed.responses(503, to: Self.platform).count == 1, "the caller's BYE gets the transport error")
        #expect(harness.b2bua.activeCalls == 0)
        let later = harness.advance(by: .seconds(40))
        #expect(later.requests(.bye, to: Self.carrier).isEmpty, "no retransmission after the ICMP error")
    }
}
