import SIPCore
import Testing
@testable import B2BUA

/// The basic call through the B2BUA: INVITE, provisional, answer, ACK per leg, BYE either way.
@Suite struct BasicCallTests {
    static let carrier = "198.51.100.11"
    static let platform = "192.0.2.10"

    /// Runs INVITE -> 180 -> 200 -> ACK and returns the harness, the B-leg INVITE and the
    /// A-leg's To tag.
    static func establish(_ harness: inout B2BUAHarness) throws -> (invite: SIPMessage, aTag: String) {
        let first = harness.receive(B2BUAHarness.invite())
        #expect(first.responses(100, to: platform).count == 1)
        let invite = try #require(first.requests(.invite, to: carrier).first)
        harness.receive(B2BUAHarness.response(180, "Ringing", to: invite), from: B2BUAHarness.carrierA)
        let answer = harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdp: true),
                                     from: B2BUAHarness.carrierA)
        #expect(answer.requests(.ack, to: carrier).count == 1)
        let ok = try #require(answer.responses(200, to: platform).first)
        let aTag = try #require(ok.to?.tag)
        let ack = B2BUAHarness.platformRequest("ACK", toTag: aTag, cseq: 1, branch: "z9hG4bKack1")
        #expect(harness.receive(ack).isEmpty, "the caller's ACK is absorbed: the callee was ACKed already")
        return (invite, aTag)
    }

    @Test func inviteToCarrierHidesPlatformTopology() throws {
        var harness = try B2BUAHarness()
        let out = harness.receive(B2BUAHarness.invite())
        let invite = try #require(out.requests(.invite, to: Self.carrier).first)
        #expect(invite.requestURIText == "sip:+15551230000@198.51.100.11")
        #expect(invite.vias.count == 1)
        #expect(invite.topVia?.host == "10.0.1.1")
        #expect(invite.topVia?.port == 5080)
        #expect(invite.maxForwards == 69)
        #expect(invite.callID == "call-1@192.0.2.10", "preserve keeps the platform's Call-ID")
        #expect(invite.contacts.first?.uri.host == "10.0.1.1")
        #expect(invite.from?.uri.host == "10.0.1.1")
        #expect(invite.from?.uri.user == "+15550001111")
        #expect(invite.from?.tag != "pltag")
        #expect(invite.to?.uri.host == "198.51.100.11")
        #expect(invite.to?.tag == nil)
        #expect(!invite.contains(.recordRoute))
        #expect(invite.firstValue(SIPHeaderName("x-skill")) == "billing")
        #expect(invite.body.count > 0, "SDP passes through unchanged")
        let headerText = invite.headers.filter { $0.name != .callID }.map(\.value).joined(separator: "\n")
        #expect(!headerText.contains(Self.platform), "no platform address in any header but the Call-ID")
        #expect(!headerText.contains("proxy.platform.example"))
    }

    @Test("the caller's Record-Route comes back in the responses that create the dialog (RFC 3261 12.1.1), not in others")
    func recordRouteIsEchoedToTheCaller() throws {
        var harness = try B2BUAHarness()
        let rr = "Record-Route: <sip:lb1.platform.example;lr>\nRecord-Route: <sip:lb2.platform.example;lr;x=1>\n"
        let first = harness.receive(B2BUAHarness.invite(extra: rr))
        #expect(try #require(first.responses(100, to: Self.platform).first).values(.recordRoute).isEmpty)
        let invite = try #require(first.requests(.invite, to: Self.carrier).first)
        #expect(!invite.contains(.recordRoute), "the platform's proxies stay hidden from the carrier")
        let ringing = harness.receive(B2BUAHarness.response(180, "Ringing", to: invite), from: B2BUAHarness.carrierA)
        let expected = ["<sip:proxy.platform.example;lr>", "<sip:lb1.platform.example;lr>", "<sip:lb2.platform.example;lr;x=1>"]
        #expect(try #require(ringing.responses(180, to: Self.platform).first).values(.recordRoute) == expected)
        let answer = harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdp: true), from: B2BUAHarness.carrierA)
        let ok = try #require(answer.responses(200, to: Self.platform).first)
        #expect(ok.values(.recordRoute) == expected)
        let aTag = try #require(ok.to?.tag)
        _ = harness.receive(B2BUAHarness.platformRequest("ACK", toTag: aTag, cseq: 1, branch: "z9hG4bKack1"))
        // The SBC's own requests to the caller follow that route set (12.2.1.1).
        let bye = harness.receive(B2BUAHarness.carrierBye(for: invite), from: B2BUAHarness.carrierA)
        let platformBye = try #require(bye.map(\.message).first { $0.method == .bye })
        #expect(platformBye.values(.route) == expected)
    }

    @Test func fullCallWithByeFromCaller() throws {
        var harness = try B2BUAHarness()
        let (_, aTag) = try Self.establish(&harness)
        #expect(harness.b2bua.activeCalls == 1)
        let bye = harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 2, branch: "z9hG4bKbye1"))
        let carrierBye = try #require(bye.requests(.bye, to: Self.carrier).first)
        #expect(carrierBye.requestURIText == "sip:gw@198.51.100.11:5060", "in-dialog requests go to the remote target")
        #expect(carrierBye.to?.tag == "crtag")
        #expect(carrierBye.cseq?.number == 2)
        let done = harness.receive(B2BUAHarness.response(200, "OK", to: carrierBye), from: B2BUAHarness.carrierA)
        let ok = try #require(done.responses(200, to: Self.platform).first)
        #expect(ok.cseq?.method == .bye)
        #expect(harness.b2bua.activeCalls == 0)
    }

    @Test func byeFromCallee() throws {
        var harness = try B2BUAHarness()
        let (invite, _) = try Self.establish(&harness)
        let bye = B2BUAHarness.carrierBye(for: invite)
        let out = harness.receive(bye, from: B2BUAHarness.carrierA)
        let platformBye = try #require(out.requests(.bye, to: Self.platform).first)
        #expect(platformBye.requestURIText == "sip:agent@192.0.2.10:5060")
        #expect(platformBye.from?.tag != nil)
        #expect(platformBye.to?.tag == "pltag")
        #expect(platformBye.callID == "call-1@192.0.2.10")
        let done = harness.receive(B2BUAHarness.platformOK(to: platformBye))
        #expect(done.responses(200, to: Self.carrier).count == 1)
        #expect(harness.b2bua.activeCalls == 0)
    }

    @Test func retransmittedInviteIsAbsorbed() throws {
        var harness = try B2BUAHarness()
        harness.receive(B2BUAHarness.invite())
        let again = harness.receive(B2BUAHarness.invite())
        #expect(again.requests(.invite, to: Self.carrier).isEmpty)
        #expect(again.responses(100, to: Self.platform).count == 1, "the last provisional is repeated")
        #expect(harness.sent.requests(.invite, to: Self.carrier).count == 1)
    }

    @Test func newCallIDPolicyGivesTheCarrierAnotherCallID() throws {
        var harness = try B2BUAHarness(callIDPolicy: "new")
        let invite = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrier).first)
        #expect(invite.callID != "call-1@192.0.2.10")
        #expect(invite.callID?.contains("192.0.2.10") == false)
    }

    @Test func reInviteIsRelayedAndAcknowledgedPerLeg() throws {
        var harness = try B2BUAHarness()
        let (_, aTag) = try Self.establish(&harness)
        let out = harness.receive(B2BUAHarness.platformRequest("INVITE", toTag: aTag, cseq: 2, branch: "z9hG4bKre1",
                                                               sdp: true))
        let reinvite = try #require(out.requests(.invite, to: Self.carrier).first)
        #expect(reinvite.to?.tag == "crtag")
        #expect(!reinvite.body.isEmpty)
        let answer = harness.receive(B2BUAHarness.response(200, "OK", to: reinvite, sdp: true),
                                     from: B2BUAHarness.carrierA)
        #expect(answer.requests(.ack, to: Self.carrier).count == 1)
        #expect(answer.responses(200, to: Self.platform).count == 1)
        let ack = harness.receive(B2BUAHarness.platformRequest("ACK", toTag: aTag, cseq: 2, branch: "z9hG4bKack2"))
        #expect(ack.isEmpty)
    }

    @Test func lateOfferForwardsTheAnswerInTheAck() throws {
        var harness = try B2BUAHarness()
        let invite = try #require(harness.receive(B2BUAHarness.invite(sdp: false)).requests(.invite, to: Self.carrier).first)
        #expect(invite.body.isEmpty)
        let answer = harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdp: true), from: B2BUAHarness.carrierA)
        #expect(answer.requests(.ack, to: Self.carrier).isEmpty, "the ACK waits for the caller's answer")
        let aTag = try #require(answer.responses(200, to: Self.platform).first?.to?.tag)
        let ack = harness.receive(B2BUAHarness.platformRequest("ACK", toTag: aTag, cseq: 1, branch: "z9hG4bKack1",
                                                               sdp: true))
        let carrierAck = try #require(ack.requests(.ack, to: Self.carrier).first)
        #expect(carrierAck.mediaType == "application/sdp")
        #expect(!carrierAck.body.isEmpty)
    }

    @Test func carrierFailureIsRelayedAndTheCallRemoved() throws {
        var harness = try B2BUAHarness()
        let invite = try #require(harness.receive(B2BUAHarness.invite()).requests(.invite, to: Self.carrier).first)
        let out = harness.receive(B2BUAHarness.response(486, "Busy Here", to: invite), from: B2BUAHarness.carrierA)
        #expect(out.requests(.ack, to: Self.carrier).count == 1, "the transaction ACKs the non-2xx final")
        let busy = try #require(out.responses(486, to: Self.platform).first)
        #expect(busy.to?.tag != nil)
        #expect(harness.b2bua.activeCalls == 0)
    }

    @Test func carriersThatNeverAnswerEndWithOne408() throws {
        var harness = try B2BUAHarness()
        harness.receive(B2BUAHarness.invite())
        #expect(harness.advance(by: .milliseconds(3900)).responses(408, to: Self.platform).isEmpty)
        let out = harness.advance(by: .milliseconds(200))
        #expect(out.responses(408, to: Self.platform).count == 1, "each silent carrier gets its 2 s, then one 408")
        #expect(harness.sent.requests(.invite, to: Self.carrier).count == 3, "INVITE at 0, 0.5 and 1.5 s to carrier A")
        #expect(harness.sent.requests(.invite, to: "198.51.100.12").count == 3, "and the same to carrier B")
        #expect(harness.b2bua.activeCalls == 0)
    }
}
