import Media
import SDP
import SIPCore
import Testing
@testable import B2BUA

/// Mid-call failover on the sans-IO B2BUA with a manual clock: every trigger, what each side
/// sees, and the races with the platform's own requests.
@Suite struct MidCallFailoverTests {
    static let carrierA = "198.51.100.11"
    static let carrierB = "198.51.100.12"
    static let platform = "192.0.2.10"
    static let media = MediaAnchorTests.media

    /// Carrier B's answer, PCMA like carrier A's in `MediaAnchorTests.answer`.
    static let answerB = """
        v=0
        o=carrierb 9 9 IN IP4 198.51.100.12
        s=-
        c=IN IP4 198.51.100.12
        t=0 0
        m=audio 6000 RTP/AVP 8 101
        a=rtpmap:8 PCMA/8000
        a=rtpmap:101 telephone-event/8000
        a=sendrecv

        """

    static func harness(_ midCall: String? = nil, critical: Bool = true) throws -> B2BUAHarness {
        try B2BUAHarness(media: media, critical: critical, midCallFailover: midCall)
    }

    /// The relay session's last spec the B2BUA produced.
    static func lastSpec(_ harness: inout B2BUAHarness) throws -> MediaSessionSpec {
        try #require(MediaAnchorTests.applied(harness.b2bua.takeMediaInstructions()).last)
    }

    /// An established critical call with its relay session and carrier A's INVITE.
    static func establish(_ harness: inout B2BUAHarness) throws
        -> (invite: SIPMessage, ok: SIPMessage, aTag: String, spec: MediaSessionSpec)
    {
        let call = try MediaAnchorTests.establish(&harness)
        return (call.invite, call.ok, call.aTag, try lastSpec(&harness))
    }

    static func timeout(_ spec: MediaSessionSpec) -> MediaEvent {
        .timeout(spec.id, side: .b, silence: .seconds(4))
    }

    // MARK: Triggers

    @Test func carrierSilenceReoriginatesTheLegWithThePlatformsSDPAndThePlatformSeesNothing() throws {
        var harness = try Self.harness()
        let (inviteA, ok, _, spec) = try Self.establish(&harness)
        let platformPort = try #require(MediaAnchorTests.sdp(of: ok).media.first?.port)
        let oldCarrierPort = try #require(MediaAnchorTests.sdp(of: inviteA).media.first?.port)

        let out = harness.media(Self.timeout(spec))
        let inviteB = try #require(out.requests(.invite, to: Self.carrierB).first, "carrier B is called")
        #expect(out.messages(to: Self.platform).isEmpty, "the platform sees nothing")
        let bye = try #require(out.requests(.bye, to: Self.carrierA).first, "the dead leg is hung up")
        #expect(bye.firstValue(.reason) == "SIP;cause=408;text=\"Mid-call failover: media_timeout\"")
        #expect(inviteB.callID == inviteA.callID, "call_id: preserve keeps the platform's Call-ID on carrier-a")
        #expect(inviteB.from?.tag != inviteA.from?.tag, "a new dialog")
        let offer = try MediaAnchorTests.sdp(of: inviteB)
        let audio = try #require(offer.media.first)
        #expect(audio.formats == ["0", "8", "101"], "the platform's last SDP, codecs included")
        #expect(audio.port != oldCarrierPort, "the new leg gets carrier-side ports of its own")
        #expect(!String(decoding: inviteB.body, as: UTF8.self).contains(Self.platform))
        #expect(harness.b2bua.takeMediaInstructions().isEmpty, "the relay keeps the old leg until the new one answers")

        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: inviteB, sdpBody: Self.answerB),
                                       from: B2BUAHarness.carrierB)
        #expect(answered.requests(.ack, to: Self.carrierB).count == 1)
        #expect(answered.messages(to: Self.platform).isEmpty, "same codecs: no re-INVITE to the platform")
        let moved = try Self.lastSpec(&harness)
        let stream = try #require(moved.streams.first)
        #expect(stream.b.local.port == UInt16(audio.port), "the relay moved to the new leg's port")
        #expect(stream.b.remoteRTP == MediaAddress(host: Self.carrierB, port: 6000))
        #expect(Int(stream.a.local.port) == platformPort, "the platform's relay port did not move")
        #expect(moved.id == spec.id, "the same relay session")

        harness.media(.latched(spec.id, side: .b, source: MediaAddress(host: Self.carrierB, port: 6000)))
        let reports = harness.b2bua.takeMidCallReports()
        #expect(reports.contains(.triggered(trunk: "carrier-a", trigger: .mediaTimeout)))
        #expect(reports.contains(.invited(trunk: "carrier-b", waited: .zero)))
        #expect(reports.contains(.audioGap(.seconds(4))), "gap counted from the carrier's last packet")
    }

    @Test func reinviteRefusedWith503IsHeldAndAnsweredByTheNewLeg() throws {
        var harness = try Self.harness()
        let (_, ok, aTag, _) = try Self.establish(&harness)
        let platformPort = try #require(MediaAnchorTests.sdp(of: ok).media.first?.port)
        let reofferBody = MediaAnchorTests.offer.replacingOccurrences(of: "o=agent 100 1", with: "o=agent 100 2")
            .replacingOccurrences(of: "4000 RTP/AVP 0 8 101", with: "4002 RTP/AVP 8 101")
        let relayed = harness.receive(B2BUAHarness.platformRequest("INVITE", toTag: aTag, cseq: 2, branch: "z9hG4bKre1",
                                                                   sdpBody: reofferBody))
        let reinviteA = try #require(relayed.requests(.invite, to: Self.carrierA).first)

        let out = harness.receive(B2BUAHarness.response(503, "Service Unavailable", to: reinviteA),
                                  from: B2BUAHarness.carrierA)
        #expect(out.responses(503, to: Self.platform).isEmpty, "the platform's re-INVITE is held, not failed")
        let inviteB = try #require(out.requests(.invite, to: Self.carrierB).first)
        #expect(try MediaAnchorTests.sdp(of: inviteB).media.first?.formats == ["8", "101"],
                "the offer is the platform's pending re-INVITE")
        #expect(out.requests(.bye, to: Self.carrierA).first?.firstValue(.reason)?.contains("reinvite_503") == true)

        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: inviteB, sdpBody: Self.answerB),
                                       from: B2BUAHarness.carrierB)
        let reOK = try #require(answered.responses(200, to: Self.platform).first, "the platform's re-INVITE gets 200")
        #expect(reOK.cseq?.number == 2 && reOK.cseq?.method == .invite)
        #expect(reOK.to?.tag == aTag, "the platform's dialog is untouched")
        let answerSDP = try MediaAnchorTests.sdp(of: reOK)
        #expect(answerSDP.media.first?.port == platformPort, "the platform keeps its relay port")
        #expect(answerSDP.connection?.address == "10.0.0.1")

        // The platform's ACK is absorbed; its BYE reaches carrier B, never A.
        let ack = harness.receive(B2BUAHarness.platformRequest("ACK", toTag: aTag, cseq: 2, branch: "z9hG4bKack2"))
        #expect(ack.isEmpty)
        let bye = harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 3, branch: "z9hG4bKbye"))
        #expect(bye.requests(.bye, to: Self.carrierB).count == 1)
        #expect(bye.requests(.bye, to: Self.carrierA).isEmpty)
    }

    @Test func updateRefusedWith481FailsOverToo() throws {
        var harness = try Self.harness()
        let (_, _, aTag, _) = try Self.establish(&harness)
        let relayed = harness.receive(B2BUAHarness.platformRequest("UPDATE", toTag: aTag, cseq: 2, branch: "z9hG4bKup1",
                                                                   sdpBody: MediaAnchorTests.offer))
        let update = try #require(relayed.requests(.update, to: Self.carrierA).first)
        let out = harness.receive(B2BUAHarness.response(481, "Call Does Not Exist", to: update),
                                  from: B2BUAHarness.carrierA)
        #expect(out.requests(.invite, to: Self.carrierB).count == 1)
        #expect(out.requests(.bye, to: Self.carrierA).isEmpty, "a leg that said 481 has no dialog to hang up")
        let inviteB = try #require(out.requests(.invite, to: Self.carrierB).first)
        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: inviteB, sdpBody: Self.answerB),
                                       from: B2BUAHarness.carrierB)
        let updateOK = try #require(answered.responses(200, to: Self.platform).first)
        #expect(updateOK.cseq?.method == .update)
        #expect(!updateOK.body.isEmpty, "the UPDATE's offer is answered")
    }

    @Test func reinviteNotAnsweredInTimeFailsOver() throws {
        var harness = try Self.harness("{reinvite_timeout_ms: 1000}")
        let (_, _, aTag, _) = try Self.establish(&harness)
        harness.receive(B2BUAHarness.platformRequest("INVITE", toTag: aTag, cseq: 2, branch: "z9hG4bKre1",
                                                     sdpBody: MediaAnchorTests.offer))
        #expect(harness.advance(by: .milliseconds(900)).requests(.invite, to: Self.carrierB).isEmpty)
        let out = harness.advance(by: .milliseconds(100))
        #expect(out.requests(.invite, to: Self.carrierB).count == 1)
        #expect(harness.b2bua.takeMidCallReports().first == .triggered(trunk: "carrier-a", trigger: .reinviteTimeout))
    }

    @Test func reinviteRefusedWithACodeOutsideFailoverOnIsRelayedAsBefore() throws {
        var harness = try Self.harness()
        let (_, _, aTag, _) = try Self.establish(&harness)
        let relayed = harness.receive(B2BUAHarness.platformRequest("INVITE", toTag: aTag, cseq: 2, branch: "z9hG4bKre1",
                                                                   sdpBody: MediaAnchorTests.offer))
        let reinviteA = try #require(relayed.requests(.invite, to: Self.carrierA).first)
        let out = harness.receive(B2BUAHarness.response(488, "Not Acceptable Here", to: reinviteA),
                                  from: B2BUAHarness.carrierA)
        #expect(out.responses(488, to: Self.platform).count == 1)
        #expect(out.requests(.invite, to: Self.carrierB).isEmpty)
    }

    @Test func icmpErrorsFailOverAtTheThreshold() throws {
        var harness = try Self.harness("{icmp_errors: 3}")
        let (_, _, _, spec) = try Self.establish(&harness)
        #expect(harness.media(.unreachable(spec.id, side: .b, errors: 2)).requests(.invite, to: Self.carrierB).isEmpty)
        #expect(harness.media(.unreachable(spec.id, side: .a, errors: 5)).isEmpty, "the platform's side is not a carrier")
        harness.now += .milliseconds(40)
        let out = harness.media(.unreachable(spec.id, side: .b, errors: 1))
        let inviteB = try #require(out.requests(.invite, to: Self.carrierB).first)
        #expect(out.requests(.bye, to: Self.carrierA).first?.firstValue(.reason)?.contains("icmp_unreachable") == true)
        harness.receive(B2BUAHarness.response(200, "OK", to: inviteB, sdpBody: Self.answerB), from: B2BUAHarness.carrierB)
        harness.now += .milliseconds(20)
        harness.media(.latched(spec.id, side: .b, source: MediaAddress(host: Self.carrierB, port: 6000)))
        #expect(harness.b2bua.takeMidCallReports().contains(.audioGap(.milliseconds(60))),
                "the gap runs from the first ICMP error, about when the carrier's media stopped")
    }

    @Test func icmpErrorsAreIgnoredWhenConfiguredOff() throws {
        var harness = try Self.harness("{icmp_errors: 0}")
        let (_, _, _, spec) = try Self.establish(&harness)
        #expect(harness.media(.unreachable(spec.id, side: .b, errors: 100)).isEmpty)
    }

    @Test func keepaliveAnswered481FailsOverAndUnansweredOnesCount() throws {
        var harness = try Self.harness("{keepalive_interval_s: 5, keepalive_failures: 2}")
        _ = try Self.establish(&harness)
        let first = harness.advance(by: .seconds(5))
        let options = try #require(first.requests(.options, to: Self.carrierA).first, "in-dialog OPTIONS")
        #expect(options.to?.tag == "crtag", "inside carrier A's dialog")
        let ok = harness.receive(B2BUAHarness.response(200, "OK", to: options), from: B2BUAHarness.carrierA)
        #expect(ok.isEmpty)
        let second = try #require(harness.advance(by: .seconds(5)).requests(.options, to: Self.carrierA).first)
        let out = harness.receive(B2BUAHarness.response(481, "Call Does Not Exist", to: second),
                                  from: B2BUAHarness.carrierA)
        #expect(out.requests(.invite, to: Self.carrierB).count == 1)

        // Unanswered: Timer F (64*T1 = 32 s) ends each one; the second failure fails over.
        var silent = try Self.harness("{keepalive_interval_s: 40, keepalive_failures: 2}")
        _ = try Self.establish(&silent)
        var invites = 0
        for _ in 0..<200 where invites == 0 {
            invites += silent.advance(by: .seconds(1)).requests(.invite, to: Self.carrierB).count
        }
        #expect(invites == 1)
        #expect(silent.b2bua.takeMidCallReports().first
            == .triggered(trunk: "carrier-a", trigger: .keepaliveFailed(status: nil)))
    }

    @Test func aTransportFailureToTheCarrierCountsAsICMP() throws {
        var harness = try Self.harness("{icmp_errors: 1}")
        _ = try Self.establish(&harness)
        let out = harness.b2bua.transportFailed(to: B2BUAHarness.carrierA, reason: "connection refused", now: harness.now)
        #expect(out.requests(.invite, to: Self.carrierB).count == 1)
    }

    @Test func nonCriticalCallsEndOnCarrierSilenceAsBefore() throws {
        var harness = try Self.harness(critical: false)
        let (_, _, _, spec) = try Self.establish(&harness)
        let out = harness.media(Self.timeout(spec))
        #expect(out.requests(.invite, to: Self.carrierB).isEmpty)
        #expect(out.requests(.bye, to: Self.platform).first?.firstValue(.reason)?.contains("Media timeout") == true)
        #expect(out.requests(.bye, to: Self.carrierA).count == 1)
        #expect(harness.b2bua.takeFinishedCalls().count + harness.b2bua.awaitedMediaStatistics == 1)
    }

    // MARK: The new leg's answer

    @Test func aCodecChangeReInvitesThePlatformOnItsOwnPort() throws {
        var harness = try Self.harness()
        let (_, ok, aTag, spec) = try Self.establish(&harness)
        let platformPort = try #require(MediaAnchorTests.sdp(of: ok).media.first?.port)
        let inviteB = try #require(harness.media(Self.timeout(spec)).requests(.invite, to: Self.carrierB).first)
        let pcmu = Self.answerB.replacingOccurrences(of: "RTP/AVP 8 101", with: "RTP/AVP 0 101")
            .replacingOccurrences(of: "a=rtpmap:8 PCMA/8000", with: "a=rtpmap:0 PCMU/8000")
        let out = harness.receive(B2BUAHarness.response(200, "OK", to: inviteB, sdpBody: pcmu), from: B2BUAHarness.carrierB)
        let reinvite = try #require(out.requests(.invite, to: Self.platform).first, "the platform must hear of PCMU")
        #expect(reinvite.to?.tag == "pltag" && reinvite.from?.tag == aTag, "inside the platform's dialog")
        let offer = try MediaAnchorTests.sdp(of: reinvite)
        #expect(offer.media.first?.formats == ["0", "101"])
        #expect(offer.media.first?.port == platformPort)
        let originBefore = try MediaAnchorTests.sdp(of: ok).origin
        #expect(offer.origin.sessionVersion == originBefore.sessionVersion + 1, "one version up from the last SDP")

        let glare = harness.receive(B2BUAHarness.platformRequest("INVITE", toTag: aTag, cseq: 2, branch: "z9hG4bKgl",
                                                                 sdpBody: MediaAnchorTests.offer))
        #expect(glare.responses(491, to: Self.platform).count == 1, "the platform's offer would cross ours")

        let answer = MediaAnchorTests.offer.replacingOccurrences(of: "4000 RTP/AVP 0 8 101", with: "4000 RTP/AVP 0 101")
        let acked = harness.receive(B2BUAHarness.response(200, "OK", to: reinvite, sdpBody: answer),
                                    from: B2BUAHarness.platform)
        #expect(acked.requests(.ack, to: Self.platform).count == 1)
    }

    @Test func aFailedReplacementTriesTheNextMemberThenEndsTheCallWithTheCause() throws {
        var harness = try Self.harness()
        let (_, _, _, spec) = try Self.establish(&harness)
        let inviteB = try #require(harness.media(Self.timeout(spec)).requests(.invite, to: Self.carrierB).first)
        let out = harness.receive(B2BUAHarness.response(503, "Service Unavailable", to: inviteB),
                                  from: B2BUAHarness.carrierB)
        let bye = try #require(out.requests(.bye, to: Self.platform).first)
        #expect(bye.firstValue(.reason)?.hasPrefix("SIP;cause=503;text=\"Mid-call failover failed: no trunk answered") == true)
        harness.b2bua.flushMediaStatistics(now: harness.now)
        let summary = try #require(harness.b2bua.takeFinishedCalls().first)
        #expect(summary.disposition == .answered, "the call row keeps its disposition")
        #expect(summary.attempts.map(\.outcome) == [.midCallFailover, .rejected])
        #expect(summary.attempts.first?.reason == "media_timeout")
        #expect(summary.attempts.allSatisfy { $0.endedAt != nil })
        #expect(harness.b2bua.takeMidCallReports().contains { if case .failed = $0 { true } else { false } })
    }

    @Test func maxMidCallFailoversEndsTheCall() throws {
        var harness = try Self.harness("{max_mid_call_failovers: 1}")
        let (_, _, _, spec) = try Self.establish(&harness)
        let inviteB = try #require(harness.media(Self.timeout(spec)).requests(.invite, to: Self.carrierB).first)
        harness.receive(B2BUAHarness.response(200, "OK", to: inviteB, sdpBody: Self.answerB), from: B2BUAHarness.carrierB)
        let out = harness.media(Self.timeout(spec))
        #expect(out.requests(.bye, to: Self.platform).first?.firstValue(.reason)?
            .contains("max_mid_call_failovers (1) reached") == true)
        #expect(out.requests(.bye, to: Self.carrierB).count == 1)
    }

    // MARK: Races

    @Test func platformRequestsDuringTheFailoverGet491() throws {
        var harness = try Self.harness()
        let (_, _, aTag, spec) = try Self.establish(&harness)
        harness.media(Self.timeout(spec))
        for (cseq, method) in ["INVITE", "UPDATE", "INFO"].enumerated() {
            let out = harness.receive(B2BUAHarness.platformRequest(method, toTag: aTag, cseq: 5 + cseq,
                                                                   branch: "z9hG4bK\(method)"))
            #expect(out.responses(491, to: Self.platform).count == 1, "\(method)")
            #expect(out.messages(to: Self.carrierB).isEmpty)
        }
    }

    @Test func platformByeDuringTheFailoverCancelsTheReplacement() throws {
        var harness = try Self.harness()
        let (_, _, aTag, spec) = try Self.establish(&harness)
        let inviteB = try #require(harness.media(Self.timeout(spec)).requests(.invite, to: Self.carrierB).first)
        let ringing = harness.receive(B2BUAHarness.response(180, "Ringing", to: inviteB), from: B2BUAHarness.carrierB)
        #expect(ringing.messages(to: Self.platform).isEmpty, "the platform hears nothing of the replacement")
        let out = harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 2, branch: "z9hG4bKbye"))
        #expect(out.responses(200, to: Self.platform).count == 1)
        #expect(out.requests(.cancel, to: Self.carrierB).count == 1)
        #expect(harness.b2bua.activeCalls == 0)
    }

    @Test func theDeadCarriersOwnByeIsAnsweredAndNotRelayed() throws {
        var harness = try Self.harness()
        let (inviteA, _, _, spec) = try Self.establish(&harness)
        let inviteB = try #require(harness.media(Self.timeout(spec)).requests(.invite, to: Self.carrierB).first)
        harness.receive(B2BUAHarness.response(200, "OK", to: inviteB, sdpBody: Self.answerB), from: B2BUAHarness.carrierB)
        let fromTag = try #require(inviteA.from?.tag)
        let bye = """
            BYE sip:sbc@10.0.1.1:5080 SIP/2.0
            Via: SIP/2.0/UDP 198.51.100.11:5060;branch=z9hG4bKdead
            Max-Forwards: 70
            From: <sip:+15551230000@198.51.100.11>;tag=crtag
            To: <sip:+15550001111@10.0.1.1>;tag=\(fromTag)
            Call-ID: \(inviteA.callID!)
            CSeq: 9 BYE
            Content-Length: 0


            """
        let out = harness.receive(bye, from: B2BUAHarness.carrierA)
        #expect(out.responses(200, to: Self.carrierA).count == 1)
        #expect(out.messages(to: Self.platform).isEmpty, "the platform's call goes on")
        #expect(harness.b2bua.activeCalls == 1)
    }

    @Test func pacingSpacesReplacementInvitesInTriggerOrder() throws {
        var harness = try Self.harness("{max_rate: 2}")
        var specs: [MediaSessionSpec] = []
        for index in 1...3 {
            let invite = harness.receive(B2BUAHarness.invite(callID: "call-\(index)@192.0.2.10",
                                                             branch: "z9hG4bKpl\(index)", sdpBody: MediaAnchorTests.offer))
            let toA = try #require(invite.requests(.invite, to: Self.carrierA).first)
            harness.receive(B2BUAHarness.response(200, "OK", to: toA, sdpBody: MediaAnchorTests.answer),
                            from: B2BUAHarness.carrierA)
            specs.append(try Self.lastSpec(&harness))
        }
        var invited: [String] = []
        for spec in specs {
            invited += harness.media(Self.timeout(spec)).requests(.invite, to: Self.carrierB).compactMap(\.callID)
        }
        #expect(invited == ["call-1@192.0.2.10"], "one at once, the others wait")
        invited += harness.advance(by: .milliseconds(499)).requests(.invite, to: Self.carrierB).compactMap(\.callID)
        #expect(invited.count == 1)
        invited += harness.advance(by: .milliseconds(1)).requests(.invite, to: Self.carrierB).compactMap(\.callID)
        invited += harness.advance(by: .milliseconds(500)).requests(.invite, to: Self.carrierB).compactMap(\.callID)
        // (Timer A retransmits the INVITEs already sent: only each call's first counts.)
        let firsts = invited.enumerated().filter { !invited[..<$0.offset].contains($0.element) }.map(\.element)
        #expect(firsts == ["call-1@192.0.2.10", "call-2@192.0.2.10", "call-3@192.0.2.10"])
        let waits = harness.b2bua.takeMidCallReports().compactMap { if case .invited(_, let waited) = $0 { waited } else { nil } }
        #expect(waits == [.zero, .milliseconds(500), .seconds(1)])
    }
}
