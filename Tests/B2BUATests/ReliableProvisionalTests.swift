import SIPCore
import Testing
@testable import B2BUA

/// 100rel (RFC 3262) per leg on the sans-IO B2BUA with a manual clock: the SBC PRACKs the
/// carrier's reliable 18x itself, sends the platform reliable 18x (its own RSeq, retransmitted
/// until PRACKed, given up after 64*T1) only when the platform supports 100rel, and carries
/// offers and answers in PRACK and UPDATE across.
@Suite struct ReliableProvisionalTests {
    static let carrier = "198.51.100.11"
    static let platform = "192.0.2.10"
    typealias H = B2BUAHarness

    static let reliable = ["Require: 100rel"]
    static func rseq(_ value: UInt32) -> [String] { reliable + ["RSeq: \(value)"] }

    /// The INVITE the carrier got for the platform's INVITE (with `extra` header lines).
    static func start(_ harness: inout B2BUAHarness, extra: String = "", sdp: Bool = true,
                      callID: String = "call-1@192.0.2.10") throws -> SIPMessage {
        let out = harness.receive(H.invite(callID: callID, branch: "z9hG4bK\(callID.prefix(6))", sdp: sdp, extra: extra))
        return try #require(out.requests(.invite, to: carrier).first)
    }

    @Test func theCarriersReliable183IsPRACKedByTheSBCAndReachesAPlatformWithout100relUnreliably() throws {
        var harness = try B2BUAHarness()
        let invite = try Self.start(&harness)
        #expect(invite.lists("100rel", in: .supported), "carrier trunks default to 100rel: supported")
        #expect(!invite.lists("100rel", in: .require))

        let out = harness.receive(H.carrierResponse(183, "Session Progress", to: invite, toTag: "t1",
                                                    contact: "<sip:gw1@198.51.100.11:5062>", extra: Self.rseq(42),
                                                    sdpBody: H.carrierSDP(port: 5000)), from: H.carrierA)
        let prack = try #require(out.requests(.prack, to: Self.carrier).first, "the SBC PRACKs the carrier itself")
        #expect(prack.requestURIText == "sip:gw1@198.51.100.11:5062", "to the early dialog's remote target")
        #expect(prack.to?.tag == "t1")
        #expect(prack.from?.tag == invite.from?.tag)
        #expect(prack.firstValue(SIPHeaderName("rack")) == "42 \(invite.cseq!.number) INVITE")
        #expect(prack.cseq?.number == invite.cseq!.number + 1 && prack.cseq?.method == .prack)
        let progress = try #require(out.responses(183, to: Self.platform).first)
        #expect(progress.rseq == nil && !progress.lists("100rel"), "the platform did not ask for 100rel")
        #expect(String(decoding: progress.body, as: UTF8.self).contains("m=audio 5000"), "early media relayed")

        // Retransmissions of the same RSeq, and one out of order, are neither PRACKed nor relayed.
        let again = harness.receive(H.carrierResponse(183, "Session Progress", to: invite, toTag: "t1",
                                                      contact: "<sip:gw1@198.51.100.11:5062>", extra: Self.rseq(42),
                                                      sdpBody: H.carrierSDP(port: 5000)), from: H.carrierA)
        #expect(again.isEmpty)
        let skipped = harness.receive(H.carrierResponse(180, "Ringing", to: invite, toTag: "t1",
                                                        extra: Self.rseq(44)), from: H.carrierA)
        #expect(skipped.isEmpty, "RSeq 44 after 42 is out of order (RFC 3262 4)")

        // The 200 without SDP (the answer was in the reliable 183): the platform's 200 carries it.
        let answered = harness.receive(H.carrierResponse(200, "OK", to: invite, toTag: "t1",
                                                         contact: "<sip:gw1@198.51.100.11:5062>"), from: H.carrierA)
        let ack = try #require(answered.requests(.ack, to: Self.carrier).first)
        #expect(ack.requestURIText == "sip:gw1@198.51.100.11:5062")
        let ok = try #require(answered.responses(200, to: Self.platform).first)
        #expect(String(decoding: ok.body, as: UTF8.self).contains("m=audio 5000"),
                "a platform without 100rel takes its answer from the 200 (RFC 3261 13.2.1)")
    }

    @Test func aPlatformThatSupports100relGetsNumberedProvisionalsRetransmittedUntilItsPRACK() throws {
        var harness = try B2BUAHarness()
        let invite = try Self.start(&harness, extra: "Supported: 100rel, timer\n")
        let ringing = harness.receive(H.carrierResponse(180, "Ringing", to: invite), from: H.carrierA)
        let first = try #require(ringing.responses(180, to: Self.platform).first)
        let rseq = try #require(first.rseq, "the SBC numbers its reliable 180")
        #expect(first.lists("100rel", in: .require))
        let aTag = try #require(first.to?.tag)
        #expect(ringing.requests(.prack, to: Self.carrier).isEmpty, "the carrier's 180 was not reliable")

        // T1, then 2*T1: the same 180 again.
        #expect(harness.advance(by: .milliseconds(499)).isEmpty)
        let retransmitted = harness.advance(by: .milliseconds(1)).responses(180, to: Self.platform)
        #expect(retransmitted.map(\.rseq) == [rseq])
        #expect(harness.advance(by: .milliseconds(999)).isEmpty)
        #expect(harness.advance(by: .milliseconds(1)).responses(180, to: Self.platform).count == 1)

        // A 183 with SDP waits behind the unacknowledged 180 (one at a time, RFC 3262 3).
        let queued = harness.receive(H.carrierResponse(183, "Session Progress", to: invite,
                                                       sdpBody: H.carrierSDP(port: 5000)), from: H.carrierA)
        #expect(queued.responses(183, to: Self.platform).isEmpty)

        // A PRACK for another RSeq: 481; the right one: 200, and the 183 goes with the next RSeq.
        let wrong = harness.receive(H.platformRequest("PRACK", toTag: aTag, cseq: 2, branch: "z9hG4bKpr0",
                                                      extra: ["RAck: \(rseq + 5) 1 INVITE"]))
        #expect(wrong.responses(481, to: Self.platform).count == 1)
        let pracked = harness.receive(H.platformRequest("PRACK", toTag: aTag, cseq: 3, branch: "z9hG4bKpr1",
                                                        extra: ["RAck: \(rseq) 1 INVITE"]))
        #expect(pracked.responses(200, to: Self.platform).first?.cseq?.method == .prack)
        let progress = try #require(pracked.responses(183, to: Self.platform).first)
        #expect(progress.rseq == rseq + 1)
        #expect(pracked.messages(to: Self.carrier).isEmpty, "the platform's PRACK is the SBC's business, never relayed")

        // The 200 waits while the 183 with SDP is unacknowledged (RFC 3262 3), then follows its PRACK.
        let held = harness.receive(H.carrierResponse(200, "OK", to: invite, sdpBody: H.carrierSDP(port: 5000)),
                                   from: H.carrierA)
        #expect(held.requests(.ack, to: Self.carrier).count == 1, "the carrier is ACKed at once")
        #expect(held.responses(200, to: Self.platform).isEmpty, "the platform's 200 is held")
        let released = harness.receive(H.platformRequest("PRACK", toTag: aTag, cseq: 4, branch: "z9hG4bKpr2",
                                                         extra: ["RAck: \(rseq + 1) 1 INVITE"]))
        let oks = released.responses(200, to: Self.platform)
        #expect(oks.map { $0.cseq?.method } == [.prack, .invite])
        #expect(harness.advance(by: .seconds(2)).responses(183, to: Self.platform).isEmpty, "no more retransmissions")
    }

    @Test func aReliableProvisionalNeverPRACKedIsGivenUpAfter64T1With504AndTheCarrierIsCancelled() throws {
        var harness = try B2BUAHarness()
        let invite = try Self.start(&harness, extra: "Require: 100rel\n")
        harness.receive(H.carrierResponse(180, "Ringing", to: invite), from: H.carrierA)
        var retransmissions = 0
        for _ in 0..<315 {
            retransmissions += harness.advance(by: .milliseconds(100)).responses(180, to: Self.platform).count
        }
        #expect(retransmissions == 6, "T1 doubling: at 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s")
        let gaveUp = harness.advance(by: .milliseconds(500))
        let final = try #require(gaveUp.responses(504, to: Self.platform).first, "64*T1 = 32 s: 5xx (RFC 3262 3)")
        #expect(final.cseq?.method == .invite)
        #expect(gaveUp.requests(.cancel, to: Self.carrier).count == 1)
        #expect(harness.b2bua.activeCalls == 0)
    }

    @Test func aCancelCrossingTheHeldAnswerHangsTheCarrierUp() throws {
        var harness = try B2BUAHarness()
        let invite = try Self.start(&harness, extra: "Supported: 100rel\n")
        harness.receive(H.carrierResponse(183, "Session Progress", to: invite, sdpBody: H.carrierSDP(port: 5000)),
                        from: H.carrierA)
        let held = harness.receive(H.carrierResponse(200, "OK", to: invite, sdpBody: H.carrierSDP(port: 5000)),
                                   from: H.carrierA)
        #expect(held.responses(200, to: Self.platform).isEmpty)
        let cancelled = harness.receive(CancelAndPolicyTests.cancel(branch: "z9hG4bKcall-1"))
        #expect(cancelled.responses(200, to: Self.platform).first?.cseq?.method == .cancel)
        #expect(cancelled.responses(487, to: Self.platform).count == 1)
        #expect(cancelled.responses(200, to: Self.platform).allSatisfy { $0.cseq?.method != .invite },
                "the held 200 is dropped")
        let bye = try #require(cancelled.requests(.bye, to: Self.carrier).first, "the carrier answered: BYE")
        #expect(bye.firstValue(.reason) == "SIP;cause=487;text=\"Caller cancelled\"")
        #expect(harness.b2bua.activeCalls == 0)
        #expect(harness.b2bua.takeFinishedCalls().first?.disposition == .cancelled)
    }

    @Test func aMidCallReplacementsReliableAnswerIsPRACKedAndMovesTheRelay() throws {
        var harness = try MidCallFailoverTests.harness()
        let (_, _, _, spec) = try MidCallFailoverTests.establish(&harness)
        let out = harness.media(MidCallFailoverTests.timeout(spec))
        let inviteB = try #require(out.requests(.invite, to: MidCallFailoverTests.carrierB).first)
        #expect(inviteB.lists("100rel", in: .supported))
        let early = harness.receive(H.carrierResponse(183, "Session Progress", to: inviteB,
                                                      contact: "<sip:gw@198.51.100.12:5060>", extra: Self.rseq(3),
                                                      sdpBody: MidCallFailoverTests.answerB), from: H.carrierB)
        #expect(early.requests(.prack, to: MidCallFailoverTests.carrierB).count == 1)
        #expect(early.messages(to: Self.platform).isEmpty, "the platform hears nothing of the replacement")
        // The 200 carries no SDP: the answer was the reliable 183's.
        let answered = harness.receive(H.carrierResponse(200, "OK", to: inviteB, contact: "<sip:gw@198.51.100.12:5060>"),
                                       from: H.carrierB)
        #expect(answered.requests(.ack, to: MidCallFailoverTests.carrierB).count == 1)
        let moved = try MidCallFailoverTests.lastSpec(&harness)
        #expect(moved.streams.first?.b.remoteRTP?.port == 6000, "the relay sends to carrier B's early answer")
    }

    @Test func bridgedEndToEndEachLegHasItsOwnRSeq() throws {
        var harness = try B2BUAHarness()
        let invite = try Self.start(&harness, extra: "Supported: 100rel\n")
        let out = harness.receive(H.carrierResponse(183, "Session Progress", to: invite, extra: Self.rseq(7000),
                                                    sdpBody: H.carrierSDP(port: 5000)), from: H.carrierA)
        #expect(out.requests(.prack, to: Self.carrier).first?.firstValue(SIPHeaderName("rack"))?.hasPrefix("7000 ") == true,
                "the carrier's answer needs no PRACK body: PRACKed at once")
        let progress = try #require(out.responses(183, to: Self.platform).first)
        let rseq = try #require(progress.rseq)
        #expect(rseq != 7000, "the platform's leg numbers its own provisionals")
        #expect(progress.lists("100rel", in: .require))
    }

    @Test func optionTagsFollowEachTrunksPolicy() throws {
        var off = try B2BUAHarness(platform: "100rel: off", carrierA: "100rel: off")
        let refused = off.receive(H.invite(extra: "Require: 100rel\n"))
        let bad = try #require(refused.responses(420, to: Self.platform).first, "a trunk with 100rel off: 420")
        #expect(bad.firstValue(.unsupported) == "100rel")
        let plain = try Self.start(&off, extra: "Supported: 100rel\n", callID: "call-2@192.0.2.10")
        #expect(!plain.lists("100rel"), "100rel off: not offered to the carrier")
        let ringing = off.receive(H.carrierResponse(180, "Ringing", to: plain), from: H.carrierA)
        #expect(ringing.responses(180, to: Self.platform).first?.rseq == nil, "nor sent reliably to the platform")

        var required = try B2BUAHarness(platform: "100rel: required", carrierA: "100rel: required")
        let missing = required.receive(H.invite())
        let extensionRequired = try #require(missing.responses(421, to: Self.platform).first)
        #expect(extensionRequired.firstValue(.require) == "100rel")
        #expect(missing.requests(.invite, to: Self.carrier).isEmpty)
        let invite = try Self.start(&required, extra: "Supported: 100rel\n", callID: "call-2@192.0.2.10")
        #expect(invite.lists("100rel", in: .require), "100rel required: Require: 100rel to the carrier")

        var options = try B2BUAHarness()
        let answered = options.receive("""
            OPTIONS sip:sbc@10.0.0.1 SIP/2.0
            Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKopt
            Max-Forwards: 70
            From: <sip:probe@192.0.2.10>;tag=o1
            To: <sip:sbc@10.0.0.1>
            Call-ID: options-1
            CSeq: 1 OPTIONS
            Content-Length: 0


            """)
        let ok = try #require(answered.responses(200, to: Self.platform).first)
        #expect(ok.lists("100rel", in: .supported) && ok.lists("timer", in: .supported))
        #expect(ok.firstValue(.allow)?.contains("PRACK") == true)
    }

    @Test func aLateOfferCarriersReliableOfferIsAnsweredInThePlatformsPRACK() throws {
        var harness = try B2BUAHarness()
        let invite = try Self.start(&harness, extra: "Supported: 100rel\n", sdp: false)
        #expect(invite.lists("100rel", in: .supported), "the platform can PRACK, so a late offer may meet 100rel")
        let offer = harness.receive(H.carrierResponse(183, "Session Progress", to: invite, extra: Self.rseq(9),
                                                      sdpBody: H.carrierSDP(port: 5000)), from: H.carrierA)
        #expect(offer.requests(.prack, to: Self.carrier).isEmpty, "the PRACK waits for the platform's answer")
        let progress = try #require(offer.responses(183, to: Self.platform).first)
        let rseq = try #require(progress.rseq)
        #expect(String(decoding: progress.body, as: UTF8.self).contains("m=audio 5000"))

        let answer = "v=0\no=- 1 1 IN IP4 192.0.2.10\ns=-\nc=IN IP4 192.0.2.10\nt=0 0\nm=audio 4000 RTP/AVP 0\n"
        let pracked = harness.receive(H.platformRequest("PRACK", toTag: try #require(progress.to?.tag), cseq: 2,
                                                        branch: "z9hG4bKpr1", extra: ["RAck: \(rseq) 1 INVITE"],
                                                        sdpBody: answer))
        #expect(pracked.responses(200, to: Self.platform).count == 1)
        let prack = try #require(pracked.requests(.prack, to: Self.carrier).first)
        #expect(prack.firstValue(SIPHeaderName("rack")) == "9 \(invite.cseq!.number) INVITE")
        #expect(String(decoding: prack.body, as: UTF8.self).contains("m=audio 4000"), "the answer rides in the PRACK")

        let answered = harness.receive(H.carrierResponse(200, "OK", to: invite), from: H.carrierA)
        #expect(answered.requests(.ack, to: Self.carrier).count == 1,
                "the carrier has its answer: its 200 is ACKed at once, not with the platform's ACK")
        #expect(answered.responses(200, to: Self.platform).count == 1)
    }

    @Test func anOfferInThePlatformsPRACKGoesToTheCarrierAsUpdateAndItsAnswerComesBackInTheOK() throws {
        var harness = try B2BUAHarness()
        let invite = try Self.start(&harness, extra: "Supported: 100rel\n")
        let out = harness.receive(H.carrierResponse(183, "Session Progress", to: invite, extra: Self.rseq(1),
                                                    sdpBody: H.carrierSDP(port: 5000)), from: H.carrierA)
        let progress = try #require(out.responses(183, to: Self.platform).first)
        let newOffer = "v=0\no=- 1 2 IN IP4 192.0.2.10\ns=-\nc=IN IP4 192.0.2.10\nt=0 0\nm=audio 4002 RTP/AVP 0\n"
        let pracked = harness.receive(H.platformRequest("PRACK", toTag: try #require(progress.to?.tag), cseq: 2,
                                                        branch: "z9hG4bKpr1", extra: ["RAck: \(progress.rseq!) 1 INVITE"],
                                                        sdpBody: newOffer))
        #expect(pracked.responses(200, to: Self.platform).isEmpty, "the PRACK's 200 waits for the carrier's answer")
        let update = try #require(pracked.requests(.update, to: Self.carrier).first)
        #expect(update.to?.tag == "crtag")
        #expect(String(decoding: update.body, as: UTF8.self).contains("m=audio 4002"))
        let answered = harness.receive(H.carrierResponse(200, "OK", to: update, sdpBody: H.carrierSDP(port: 5002, version: 2)),
                                       from: H.carrierA)
        let ok = try #require(answered.responses(200, to: Self.platform).first)
        #expect(ok.cseq?.method == .prack)
        #expect(String(decoding: ok.body, as: UTF8.self).contains("m=audio 5002"))
    }

    @Test func updateOffersInTheEarlyDialogCrossBothWaysAndRespectThePendingOffer() throws {
        var harness = try B2BUAHarness(media: MediaAnchorTests.media)
        let first = harness.receive(H.invite(sdpBody: MediaAnchorTests.offer))
        let invite = try #require(first.requests(.invite, to: Self.carrier).first)
        let ringing = harness.receive(H.carrierResponse(180, "Ringing", to: invite), from: H.carrierA)
        let aTag = try #require(ringing.responses(180, to: Self.platform).first?.to?.tag)
        // The INVITE's offer is not answered yet: an UPDATE with another offer gets 500 (RFC 3311 5.2).
        let early = harness.receive(H.platformRequest("UPDATE", toTag: aTag, cseq: 2, branch: "z9hG4bKup0",
                                                      extra: [], sdpBody: MediaAnchorTests.offer))
        #expect(early.responses(500, to: Self.platform).first?.firstValue(.retryAfter) != nil)

        harness.receive(H.carrierResponse(183, "Session Progress", to: invite, contact: "<sip:gw7@198.51.100.11:5070>",
                                          extra: Self.rseq(1), sdpBody: MediaAnchorTests.answer), from: H.carrierA)
        let relayed = harness.receive(H.platformRequest("UPDATE", toTag: aTag, cseq: 3, branch: "z9hG4bKup1",
                                                        extra: [], sdpBody: MediaAnchorTests.offer))
        let update = try #require(relayed.requests(.update, to: Self.carrier).first)
        #expect(update.requestURIText == "sip:gw7@198.51.100.11:5070", "the early dialog's remote target")
        #expect(update.to?.tag == "crtag")
        #expect(!String(decoding: update.body, as: UTF8.self).contains("192.0.2.10"), "anchored on the relay")
        let answered = harness.receive(H.carrierResponse(200, "OK", to: update, sdpBody: MediaAnchorTests.answer),
                                       from: H.carrierA)
        let ok = try #require(answered.responses(200, to: Self.platform).first)
        #expect(ok.cseq?.method == .update)
        #expect(String(decoding: ok.body, as: UTF8.self).contains("c=IN IP4 10.0.0.1"))

        // The carrier's UPDATE in its early dialog reaches the platform's.
        let fromCarrier = harness.receive(H.carrierRequest("UPDATE", invite: invite, cseq: 5, branch: "z9hG4bKcu1",
                                                           sdpBody: MediaAnchorTests.answer), from: H.carrierA)
        let toPlatform = try #require(fromCarrier.requests(.update, to: Self.platform).first)
        #expect(toPlatform.to?.tag == "pltag")
    }
}
