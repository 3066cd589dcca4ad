import Media
import SDP
import SIPCore
import Testing
@testable import B2BUA

/// REFER per trunk (`trunks[].refer`, B2BUA+Refer.swift): relayed with its addresses rewritten,
/// rejected, or carried out by the SBC (202, NOTIFY sipfrag, a new carrier leg through routing
/// with failover, the old leg hung up), and a transfer that fails leaving the call as it was.
@Suite struct ReferTests {
    static let carrierA = "198.51.100.11"
    static let carrierB = "198.51.100.12"
    static let platform = "192.0.2.10"
    static let target = "+15557654321"
    static let referTo = SIPHeaderName("refer-to")
    static let referredBy = SIPHeaderName("referred-by")
    static let event = SIPHeaderName("event")
    static let subscriptionState = SIPHeaderName("subscription-state")

    /// A REFER from the platform in its dialog on the A-leg (the platform called out).
    static func refer(toTag: String, cseq: Int = 2, branch: String = "z9hG4bKref1",
                      referTo: String = "<sip:+15557654321@10.0.0.1>", extra: String = "") -> String {
        """
        REFER sip:sbc@10.0.0.1:5060 SIP/2.0
        Via: SIP/2.0/UDP 192.0.2.10:5060;branch=\(branch)
        Max-Forwards: 70
        From: "Agent" <sip:+15550001111@192.0.2.10>;tag=pltag
        To: <sip:+15551230000@10.0.0.1>;tag=\(toTag)
        Call-ID: call-1@192.0.2.10
        CSeq: \(cseq) REFER
        Contact: <sip:agent@192.0.2.10:5060>
        Refer-To: \(referTo)
        Referred-By: <sip:agent@192.0.2.10>
        \(extra)Content-Length: 0


        """
    }

    /// A request from the far end of a dialog the SBC originated (`invite` as the SBC sent it,
    /// answered with To-tag `crtag`), e.g. a carrier's NOTIFY or BYE, or the platform's REFER
    /// when the platform was called.
    static func calleeRequest(_ method: String, in invite: SIPMessage, from host: String, cseq: Int,
                              branch: String, headers: String = "", body: String = "") -> String {
        let contentLength = body.utf8.count + body.filter { $0 == "\n" }.count
        return """
            \(method) \(invite.contacts.first!.uri) SIP/2.0
            Via: SIP/2.0/UDP \(host):5060;branch=\(branch)
            Max-Forwards: 70
            From: \(invite.firstValue(.to)!);tag=crtag
            To: \(invite.firstValue(.from)!)
            Call-ID: \(invite.callID!)
            CSeq: \(cseq) \(method)
            Contact: <sip:peer@\(host):5060>
            \(headers)Content-Length: \(contentLength)

            \(body)
            """
    }

    static func sipfrag(_ message: SIPMessage) -> String {
        String(decoding: message.body, as: UTF8.self)
    }

    static func harness(_ platformKeys: String = "refer: terminate") throws -> B2BUAHarness {
        try B2BUAHarness(media: MediaAnchorTests.media, platformKeys: platformKeys)
    }

    // MARK: relay (the default) and reject

    @Test func relayIsTheDefaultAndHidesBothSidesAddresses() throws {
        var harness = try Self.harness("")
        let (inviteA, _, aTag) = try MediaAnchorTests.establish(&harness)
        let out = harness.receive(Self.refer(toTag: aTag))
        let relayed = try #require(out.requests(.refer, to: Self.carrierA).first, "the REFER goes to the carrier")
        #expect(out.messages(to: Self.platform).isEmpty, "the carrier answers it, not the SBC")
        #expect(relayed.firstValue(Self.referTo) == "<sip:+15557654321@198.51.100.11>",
                "the number, addressed as the SBC addresses carrier A; the platform-side address is gone")
        #expect(relayed.firstValue(Self.referredBy) == "<sip:agent@10.0.1.1>", "the agent's user, the SBC's host")
        #expect(relayed.callID == inviteA.callID && relayed.to?.tag == "crtag", "in carrier A's dialog")
        #expect(relayed.contacts.first?.uri.host == "10.0.1.1")
        let text = relayed.headers.filter { $0.name != .callID }.map(\.value).joined(separator: "\n")
        #expect(!text.contains(Self.platform), "\(text)")

        let accepted = harness.receive(B2BUAHarness.response(202, "Accepted", to: relayed), from: B2BUAHarness.carrierA)
        #expect(accepted.responses(202, to: Self.platform).first?.cseq?.method == .refer, "the carrier's 202 comes back")
        let notify = harness.receive(Self.calleeRequest(
            "NOTIFY", in: inviteA, from: Self.carrierA, cseq: 1, branch: "z9hG4bKcn1",
            headers: "Event: refer\nSubscription-State: terminated;reason=noresource\nContent-Type: message/sipfrag\n",
            body: "SIP/2.0 200 OK\n"), from: B2BUAHarness.carrierA)
        let relayedNotify = try #require(notify.requests(.notify, to: Self.platform).first, "and its NOTIFYs")
        #expect(relayedNotify.to?.tag == "pltag" && Self.sipfrag(relayedNotify).hasPrefix("SIP/2.0 200 OK"))
    }

    @Test func rejectAnswers603AndTheCallGoesOn() throws {
        var harness = try Self.harness("refer: reject")
        let (inviteA, _, aTag) = try MediaAnchorTests.establish(&harness)
        let out = harness.receive(Self.refer(toTag: aTag))
        let refused = try #require(out.responses(603, to: Self.platform).first)
        #expect(refused.reasonPhrase == "Decline (transfers are not accepted on this trunk)")
        #expect(out.messages(to: Self.carrierA).isEmpty && out.messages(to: Self.carrierB).isEmpty)
        let bye = harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 3, branch: "z9hG4bKbye"))
        #expect(bye.requests(.bye, to: Self.carrierA).first?.callID == inviteA.callID)
    }

    @Test func attendedTransferAndAMissingReferToAreRefused() throws {
        for keys in ["", "refer: terminate"] {
            var harness = try Self.harness(keys)
            let (_, _, aTag) = try MediaAnchorTests.establish(&harness)
            let replaces = harness.receive(Self.refer(
                toTag: aTag, referTo: "<sip:+15557654321@10.0.0.1?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2>"))
            #expect(replaces.responses(603, to: Self.platform).first?.reasonPhrase
                == "Decline (attended transfer with Replaces is not supported)", "\(keys)")
            let missing = harness.receive(Self.refer(toTag: aTag, cseq: 3, branch: "z9hG4bKref2", referTo: "<>"))
            #expect(missing.responses(400, to: Self.platform).count == 1, "\(keys)")
            #expect(replaces.messages(to: Self.carrierA).isEmpty && missing.messages(to: Self.carrierA).isEmpty)
        }
    }

    // MARK: terminate

    @Test func terminateCallsTheTargetFailsOverOn503AndHangsUpTheOldLeg() throws {
        var harness = try Self.harness()
        let (inviteA, ok, aTag) = try MediaAnchorTests.establish(&harness)
        let platformPort = try #require(MediaAnchorTests.sdp(of: ok).media.first?.port)
        let oldCarrierPort = try #require(MediaAnchorTests.sdp(of: inviteA).media.first?.port)
        let spec = try MidCallFailoverTests.lastSpec(&harness)

        let out = harness.receive(Self.refer(toTag: aTag))
        let accepted = try #require(out.responses(202, to: Self.platform).first)
        #expect(accepted.to?.tag == aTag && accepted.contacts.first?.uri.host == "10.0.0.1")
        let trying = try #require(out.requests(.notify, to: Self.platform).first, "NOTIFY 100 Trying")
        #expect(trying.firstValue(Self.event) == "refer;id=2")
        #expect(trying.firstValue(Self.subscriptionState) == "active;expires=60")
        #expect(trying.firstValue(.contentType) == "message/sipfrag;version=2.0")
        #expect(Self.sipfrag(trying) == "SIP/2.0 100 Trying\r\n")
        #expect(trying.callID == "call-1@192.0.2.10" && trying.to?.tag == "pltag" && trying.from?.tag == aTag)

        // Routing as for a new call from the platform: pstn-out, carrier A first.
        let toA = try #require(out.requests(.invite, to: Self.carrierA).first, "the target is called through routing")
        #expect(toA.requestURI?.user == Self.target && toA.to?.uri.user == Self.target)
        #expect(toA.from?.uri.user == "+15550001111", "the caller's identity stays")
        #expect(toA.callID != inviteA.callID, "a new call, with a Call-ID of its own")
        #expect(toA.firstValue(Self.referredBy) == "<sip:agent@10.0.1.1>", "Referred-By kept, the SBC's host")
        let offer = try #require(MediaAnchorTests.sdp(of: toA).media.first)
        #expect(offer.formats == ["0", "8", "101"], "the platform's SDP")
        #expect(offer.port != oldCarrierPort, "carrier-side ports of its own")
        #expect(out.requests(.bye, to: Self.carrierA).isEmpty, "the old leg stays up meanwhile")
        #expect(harness.b2bua.takeMediaInstructions().isEmpty, "the relay keeps the old leg until the target answers")

        let failed = harness.receive(B2BUAHarness.response(503, "Service Unavailable", to: toA), from: B2BUAHarness.carrierA)
        let toB = try #require(failed.requests(.invite, to: Self.carrierB).first, "503: failover to carrier B")
        #expect(toB.requestURI?.user == Self.target)
        #expect(failed.messages(to: Self.platform).isEmpty, "no NOTIFY for a failover")

        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: toB, sdpBody: MidCallFailoverTests.answerB),
                                       from: B2BUAHarness.carrierB)
        #expect(answered.requests(.ack, to: Self.carrierB).count == 1)
        let done = try #require(answered.requests(.notify, to: Self.platform).first, "NOTIFY 200 OK")
        #expect(Self.sipfrag(done) == "SIP/2.0 200 OK\r\n")
        #expect(done.firstValue(Self.subscriptionState) == "terminated;reason=noresource")
        #expect(answered.requests(.invite, to: Self.platform).isEmpty, "same codec: no re-INVITE to the platform")
        let bye = try #require(answered.requests(.bye, to: Self.carrierA).first, "the old leg is hung up")
        #expect(bye.callID == inviteA.callID && bye.to?.tag == "crtag")
        #expect(bye.firstValue(.reason) == "SIP;cause=200;text=\"Call transferred\"")
        let moved = try MidCallFailoverTests.lastSpec(&harness)
        #expect(moved.id == spec.id, "the same relay session")
        #expect(moved.streams.first?.b.remoteRTP == MediaAddress(host: Self.carrierB, port: 6000))
        #expect(moved.streams.first.map { Int($0.a.local.port) } == platformPort, "the platform's port did not move")

        // The platform's dialog now leads to the target.
        let hangup = harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 3, branch: "z9hG4bKbye"))
        #expect(hangup.requests(.bye, to: Self.carrierB).first?.callID == toB.callID)
        #expect(hangup.requests(.bye, to: Self.carrierA).isEmpty)
        let finished = harness.receive(B2BUAHarness.response(200, "OK", to: hangup.requests(.bye, to: Self.carrierB)[0]),
                                       from: B2BUAHarness.carrierB)
        #expect(finished.responses(200, to: Self.platform).count == 1)
        harness.media(.closed(spec.id, MediaSessionStatistics()))
        let summary = try #require(harness.b2bua.takeFinishedCalls().first)
        #expect(summary.attempts.map(\.trunk) == ["carrier-a", "carrier-a", "carrier-b"])
        #expect(summary.attempts.map(\.outcome) == [.answered, .failedOver, .answered])
        #expect(summary.attempts.first?.reason == "transferred")
        #expect(summary.finalTrunk == "carrier-b")
        #expect(harness.b2bua.ports.inUse == 0)
    }

    @Test func aTargetThatFailsIsNotifiedAndTheCallStaysUp() throws {
        var harness = try Self.harness()
        let (inviteA, _, aTag) = try MediaAnchorTests.establish(&harness)
        _ = try MidCallFailoverTests.lastSpec(&harness)
        let portsBefore = harness.b2bua.ports.inUse

        let out = harness.receive(Self.refer(toTag: aTag))
        let toA = try #require(out.requests(.invite, to: Self.carrierA).first)
        #expect(harness.b2bua.ports.inUse == portsBefore + 1, "the new leg's carrier-side pair")
        let busy = harness.receive(B2BUAHarness.response(486, "Busy Here", to: toA), from: B2BUAHarness.carrierA)
        #expect(busy.requests(.invite, to: Self.carrierB).isEmpty, "486 is no failover trigger")
        let notify = try #require(busy.requests(.notify, to: Self.platform).first)
        #expect(Self.sipfrag(notify) == "SIP/2.0 486 Busy Here\r\n")
        #expect(notify.firstValue(Self.subscriptionState) == "terminated;reason=noresource")
        #expect(busy.requests(.bye, to: Self.carrierA).isEmpty, "the old leg stays")
        #expect(busy.messages(to: Self.platform).allSatisfy { $0.method == .notify })
        #expect(harness.b2bua.takeMediaInstructions().isEmpty, "the relay never left the old leg")
        #expect(harness.b2bua.ports.inUse == portsBefore, "the transfer's ports went back")

        // The call is exactly as it was: in-dialog requests reach carrier A's original dialog.
        let reinvite = harness.receive(B2BUAHarness.platformRequest("INVITE", toTag: aTag, cseq: 3, branch: "z9hG4bKre3",
                                                                    sdpBody: MediaAnchorTests.offer))
        let toOldLeg = try #require(reinvite.requests(.invite, to: Self.carrierA).first)
        #expect(toOldLeg.callID == inviteA.callID && toOldLeg.to?.tag == "crtag")
        harness.receive(B2BUAHarness.response(200, "OK", to: toOldLeg, sdpBody: MediaAnchorTests.answer),
                        from: B2BUAHarness.carrierA)
        harness.receive(B2BUAHarness.platformRequest("ACK", toTag: aTag, cseq: 3, branch: "z9hG4bKack3"))
        let bye = harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 4, branch: "z9hG4bKbye"))
        #expect(bye.requests(.bye, to: Self.carrierA).first?.callID == inviteA.callID)
    }

    @Test func everyCandidateFailingIsNotifiedWithTheLastStatus() throws {
        var harness = try Self.harness()
        let (_, _, aTag) = try MediaAnchorTests.establish(&harness)
        let toA = try #require(harness.receive(Self.refer(toTag: aTag)).requests(.invite, to: Self.carrierA).first)
        let toB = try #require(harness.receive(B2BUAHarness.response(503, "Service Unavailable", to: toA),
                                               from: B2BUAHarness.carrierA).requests(.invite, to: Self.carrierB).first)
        let out = harness.receive(B2BUAHarness.response(503, "Service Unavailable", to: toB), from: B2BUAHarness.carrierB)
        let notify = try #require(out.requests(.notify, to: Self.platform).first)
        #expect(Self.sipfrag(notify) == "SIP/2.0 503 Service Unavailable\r\n")
        #expect(out.requests(.bye, to: Self.carrierA).isEmpty && out.requests(.bye, to: Self.platform).isEmpty)
        // A second transfer is possible once the first is over.
        let again = harness.receive(Self.refer(toTag: aTag, cseq: 3, branch: "z9hG4bKref2"))
        #expect(again.responses(202, to: Self.platform).count == 1)
    }

    @Test func referSubFalseGetsNoNotify() throws {
        var harness = try Self.harness()
        let (_, _, aTag) = try MediaAnchorTests.establish(&harness)
        let out = harness.receive(Self.refer(toTag: aTag, extra: "Refer-Sub: false\n"))
        #expect(out.responses(202, to: Self.platform).first?.firstValue(SIPHeaderName("refer-sub")) == "false")
        #expect(out.requests(.notify, to: Self.platform).isEmpty)
        let toA = try #require(out.requests(.invite, to: Self.carrierA).first)
        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: toA, sdpBody: MediaAnchorTests.answer),
                                       from: B2BUAHarness.carrierA)
        #expect(answered.requests(.notify, to: Self.platform).isEmpty)
        #expect(answered.requests(.bye, to: Self.carrierA).count == 1, "the old leg is still hung up")
    }

    @Test func thePlatformHangingUpDuringTheTransferEndsBothCarrierLegs() throws {
        var harness = try Self.harness()
        let (inviteA, _, aTag) = try MediaAnchorTests.establish(&harness)
        let toA = try #require(harness.receive(Self.refer(toTag: aTag)).requests(.invite, to: Self.carrierA).first)
        harness.receive(B2BUAHarness.response(180, "Ringing", to: toA), from: B2BUAHarness.carrierA)
        let out = harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 3, branch: "z9hG4bKbye"))
        #expect(out.responses(200, to: Self.platform).count == 1)
        #expect(out.requests(.cancel, to: Self.carrierA).first?.callID == toA.callID, "the ringing target is cancelled")
        #expect(out.requests(.bye, to: Self.carrierA).first?.callID == inviteA.callID, "the old leg is hung up")
        #expect(harness.b2bua.activeCalls == 0)
    }

    @Test func aReferWhileAnotherRequestIsPendingGets491() throws {
        var harness = try Self.harness()
        let (_, _, aTag) = try MediaAnchorTests.establish(&harness)
        harness.receive(B2BUAHarness.platformRequest("INVITE", toTag: aTag, cseq: 2, branch: "z9hG4bKre2",
                                                     sdpBody: MediaAnchorTests.offer))
        let out = harness.receive(Self.refer(toTag: aTag, cseq: 3))
        #expect(out.responses(491, to: Self.platform).count == 1)
        #expect(out.requests(.invite, to: Self.carrierB).isEmpty)
    }

    // MARK: the platform as the called party (a real blind transfer)

    /// Carrier A calls the platform; the platform answers.
    static func establishInbound(_ harness: inout B2BUAHarness) throws -> (toPlatform: SIPMessage, ok: SIPMessage) {
        let offer = MediaAnchorTests.answer.replacingOccurrences(of: "m=audio 5000 RTP/AVP 8 101",
                                                                 with: "m=audio 5000 RTP/AVP 8 0 101")
        let invite = """
            INVITE sip:+15550001111@10.0.1.1:5080 SIP/2.0
            Via: SIP/2.0/UDP 198.51.100.11:5060;branch=z9hG4bKin1
            Max-Forwards: 70
            From: <sip:+15559990000@198.51.100.11>;tag=cust
            To: <sip:+15550001111@10.0.1.1>
            Call-ID: inbound-1@198.51.100.11
            CSeq: 1 INVITE
            Contact: <sip:gw@198.51.100.11:5060>
            Content-Type: application/sdp
            Content-Length: \(offer.utf8.count + offer.filter { $0 == "\n" }.count)

            \(offer)
            """
        let first = harness.receive(invite, from: B2BUAHarness.carrierA)
        let toPlatform = try #require(first.requests(.invite, to: Self.platform).first)
        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: toPlatform, sdpBody: MediaAnchorTests.offer),
                                       from: B2BUAHarness.platform)
        let ok = try #require(answered.responses(200, to: Self.carrierA).first)
        harness.receive("""
            ACK sip:sbc@10.0.1.1:5080 SIP/2.0
            Via: SIP/2.0/UDP 198.51.100.11:5060;branch=z9hG4bKinack
            Max-Forwards: 70
            From: <sip:+15559990000@198.51.100.11>;tag=cust
            To: <sip:+15550001111@10.0.1.1>;tag=\(ok.to?.tag ?? "")
            Call-ID: inbound-1@198.51.100.11
            CSeq: 1 ACK
            Content-Length: 0


            """, from: B2BUAHarness.carrierA)
        return (toPlatform, ok)
    }

    static func platformRefer(in toPlatform: SIPMessage) -> String {
        calleeRequest("REFER", in: toPlatform, from: platform, cseq: 1, branch: "z9hG4bKpref",
                      headers: "Refer-To: <sip:+15557654321@10.0.0.1>\nReferred-By: <sip:agent@192.0.2.10>\n")
    }

    @Test func aCalledPlatformTransfersTheCallerAndIsReleased() throws {
        var harness = try Self.harness()
        let (toPlatform, _) = try Self.establishInbound(&harness)
        let out = harness.receive(Self.platformRefer(in: toPlatform), from: B2BUAHarness.platform)
        #expect(out.responses(202, to: Self.platform).count == 1)
        let trying = try #require(out.requests(.notify, to: Self.platform).first)
        #expect(trying.callID == toPlatform.callID && trying.to?.tag == "crtag", "in the platform's dialog")
        let toTarget = try #require(out.requests(.invite, to: Self.carrierA).first, "routed like the platform's own calls")
        #expect(toTarget.requestURI?.user == Self.target)
        #expect(toTarget.from?.uri.user == "+15559990000", "the transferred caller's identity")

        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: toTarget, sdpBody: MediaAnchorTests.answer),
                                       from: B2BUAHarness.carrierA)
        #expect(answered.requests(.notify, to: Self.platform).map(Self.sipfrag) == ["SIP/2.0 200 OK\r\n"])
        let released = try #require(answered.requests(.bye, to: Self.platform).first, "the platform's leg is released")
        #expect(released.callID == toPlatform.callID)
        // The caller agreed to PCMU with the platform; the target answered PCMA: the caller is
        // re-offered what now flows, on the same relay port.
        let toCaller = answered.messages(to: Self.carrierA).filter { $0.method != .ack }
        #expect(toCaller.count == 1 && toCaller.first?.method == .invite, "one re-INVITE to the caller")
        let reinvite = try #require(toCaller.first)
        #expect(reinvite.callID == "inbound-1@198.51.100.11" && reinvite.to?.tag == "cust")
        #expect(try MediaAnchorTests.sdp(of: reinvite).media.first?.formats == ["8", "101"])
        let reOK = harness.receive(B2BUAHarness.response(200, "OK", to: reinvite, toTag: nil,
                                                         sdpBody: MediaAnchorTests.answer), from: B2BUAHarness.carrierA)
        #expect(reOK.requests(.ack, to: Self.carrierA).count == 1)

        // The caller's hang-up now reaches the target.
        let callerTag = try #require(Self.callerTag(harness))
        let bye = harness.receive("""
            BYE sip:sbc@10.0.1.1:5080 SIP/2.0
            Via: SIP/2.0/UDP 198.51.100.11:5060;branch=z9hG4bKinbye
            Max-Forwards: 70
            From: <sip:+15559990000@198.51.100.11>;tag=cust
            To: <sip:+15550001111@10.0.1.1>;tag=\(callerTag)
            Call-ID: inbound-1@198.51.100.11
            CSeq: 2 BYE
            Content-Length: 0


            """, from: B2BUAHarness.carrierA)
        #expect(bye.requests(.bye, to: Self.carrierA).first?.callID == toTarget.callID)
    }

    /// The SBC's tag in the caller's (carrier A's) dialog of the inbound call.
    static func callerTag(_ harness: B2BUAHarness) -> String? {
        harness.sent.first { $0.message.statusCode == 200 && $0.message.cseq?.method == .invite
            && $0.destination.host == carrierA }?.message.to?.tag
    }

    @Test func aTransferorThatLeavesAfter202IsNotToldAndAFailedTransferEndsTheCall() throws {
        var harness = try Self.harness()
        let (toPlatform, _) = try Self.establishInbound(&harness)
        let out = harness.receive(Self.platformRefer(in: toPlatform), from: B2BUAHarness.platform)
        let toTarget = try #require(out.requests(.invite, to: Self.carrierA).first)
        let left = harness.receive(Self.calleeRequest("BYE", in: toPlatform, from: Self.platform, cseq: 2,
                                                      branch: "z9hG4bKpbye"), from: B2BUAHarness.platform)
        #expect(left.responses(200, to: Self.platform).count == 1, "the transferor's BYE is answered")
        #expect(left.messages(to: Self.carrierA).isEmpty, "and not relayed: the transfer goes on")

        let failed = harness.receive(B2BUAHarness.response(486, "Busy Here", to: toTarget), from: B2BUAHarness.carrierA)
        #expect(failed.messages(to: Self.platform).isEmpty, "the transferor is gone: no NOTIFY")
        let bye = try #require(failed.requests(.bye, to: Self.carrierA).first { $0.callID == "inbound-1@198.51.100.11" },
                               "nobody is left for the caller")
        #expect(bye.firstValue(.reason) == "SIP;cause=486;text=\"Transfer failed: Busy Here\"")
        #expect(harness.b2bua.activeCalls == 0)
    }
}
