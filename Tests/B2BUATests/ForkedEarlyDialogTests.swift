import SIPCore
import Testing
@testable import B2BUA

/// A carrier that forks one INVITE into several early dialogs: each To-tag keeps its own remote
/// target, RSeq space and early SDP; the dialog that answers 2xx becomes the call's, and a 2xx
/// from another fork is ACKed and hung up.
@Suite struct ForkedEarlyDialogTests {
    static let carrier = "198.51.100.11"
    static let platform = "192.0.2.10"
    typealias H = B2BUAHarness

    @Test func forksKeepTheirOwnRSeqAndTargetAndTheOneThatAnswersWins() throws {
        var harness = try B2BUAHarness()
        let first = harness.receive(H.invite())
        let invite = try #require(first.requests(.invite, to: Self.carrier).first)

        // Fork 2 and fork 1 each send a reliable 183 with SDP, in their own RSeq spaces.
        let two = harness.receive(H.carrierResponse(183, "Session Progress", to: invite, toTag: "fork2",
                                                    contact: "<sip:gw2@198.51.100.11:5062>",
                                                    extra: ["Require: 100rel", "RSeq: 900"],
                                                    sdpBody: H.carrierSDP(port: 6000)), from: H.carrierA)
        let one = harness.receive(H.carrierResponse(183, "Session Progress", to: invite, toTag: "fork1",
                                                    contact: "<sip:gw1@198.51.100.11:5061>",
                                                    extra: ["Require: 100rel", "RSeq: 100"],
                                                    sdpBody: H.carrierSDP(port: 5000)), from: H.carrierA)
        let prack2 = try #require(two.requests(.prack, to: Self.carrier).first)
        let prack1 = try #require(one.requests(.prack, to: Self.carrier).first,
                                  "RSeq 100 after 900 is another dialog's first, not out of order")
        #expect(prack2.to?.tag == "fork2" && prack2.requestURIText == "sip:gw2@198.51.100.11:5062")
        #expect(prack2.firstValue(SIPHeaderName("rack"))?.hasPrefix("900 ") == true)
        #expect(prack1.to?.tag == "fork1" && prack1.requestURIText == "sip:gw1@198.51.100.11:5061")
        #expect(prack1.firstValue(SIPHeaderName("rack"))?.hasPrefix("100 ") == true)
        #expect((prack1.cseq?.number ?? 0) > (prack2.cseq?.number ?? 0), "one CSeq space for the SBC's side")
        // Each fork's next reliable provisional is in order within its own dialog.
        let next = harness.receive(H.carrierResponse(180, "Ringing", to: invite, toTag: "fork2",
                                                     contact: "<sip:gw2@198.51.100.11:5062>",
                                                     extra: ["Require: 100rel", "RSeq: 901"]), from: H.carrierA)
        #expect(next.requests(.prack, to: Self.carrier).first?.to?.tag == "fork2")

        // Fork 2 answers without SDP: its own early SDP is the answer, though fork 1 spoke last.
        let answered = harness.receive(H.carrierResponse(200, "OK", to: invite, toTag: "fork2",
                                                         contact: "<sip:gw2@198.51.100.11:5062>"), from: H.carrierA)
        let ack = try #require(answered.requests(.ack, to: Self.carrier).first)
        #expect(ack.to?.tag == "fork2" && ack.requestURIText == "sip:gw2@198.51.100.11:5062")
        let ok = try #require(answered.responses(200, to: Self.platform).first)
        #expect(String(decoding: ok.body, as: UTF8.self).contains("m=audio 6000"), "fork 2's SDP, not fork 1's")
        let aTag = try #require(ok.to?.tag)
        harness.receive(H.platformRequest("ACK", toTag: aTag, cseq: 1, branch: "z9hG4bKack1"))

        // Fork 1 answers too: ACKed and hung up; the platform hears nothing of it.
        let late = harness.receive(H.carrierResponse(200, "OK", to: invite, toTag: "fork1",
                                                     contact: "<sip:gw1@198.51.100.11:5061>",
                                                     sdpBody: H.carrierSDP(port: 5000)), from: H.carrierA)
        let lateAck = try #require(late.requests(.ack, to: Self.carrier).first)
        #expect(lateAck.to?.tag == "fork1" && lateAck.requestURIText == "sip:gw1@198.51.100.11:5061")
        let bye = try #require(late.requests(.bye, to: Self.carrier).first)
        #expect(bye.to?.tag == "fork1")
        #expect(bye.firstValue(.reason) == "SIP;cause=200;text=\"Call completed elsewhere\"")
        #expect(late.messages(to: Self.platform).isEmpty)

        // The call's dialog is fork 2's: the platform's BYE goes there.
        let hangup = harness.receive(H.platformRequest("BYE", toTag: aTag, cseq: 2, branch: "z9hG4bKbye1"))
        let carrierBye = try #require(hangup.requests(.bye, to: Self.carrier).first)
        #expect(carrierBye.to?.tag == "fork2" && carrierBye.requestURIText == "sip:gw2@198.51.100.11:5062")
    }

    @Test func aLosingForksAnswerAfterItsTransactionEndedIsStillReleased() throws {
        var harness = try B2BUAHarness()
        let invite = try #require(harness.receive(H.invite()).requests(.invite, to: Self.carrier).first)
        harness.receive(H.carrierResponse(200, "OK", to: invite, toTag: "fork2", sdpBody: H.carrierSDP(port: 6000)),
                        from: H.carrierA)
        let aTag = try #require(harness.sent.responses(200, to: Self.platform).first?.to?.tag)
        harness.receive(H.platformRequest("ACK", toTag: aTag, cseq: 1, branch: "z9hG4bKack1"))
        harness.advance(by: .seconds(40))   // Timer M: the INVITE transaction is gone
        let late = harness.receive(H.carrierResponse(200, "OK", to: invite, toTag: "fork1",
                                                     contact: "<sip:gw1@198.51.100.11:5061>",
                                                     sdpBody: H.carrierSDP(port: 5000)), from: H.carrierA)
        #expect(late.requests(.ack, to: Self.carrier).first?.to?.tag == "fork1", "not fork 2's ACK")
        #expect(late.requests(.bye, to: Self.carrier).first?.to?.tag == "fork1")
        #expect(harness.b2bua.activeCalls == 1, "fork 2's call goes on")
    }
}
