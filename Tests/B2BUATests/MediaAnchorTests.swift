import Media
import SDP
import SIPCore
import Testing
@testable import B2BUA

/// Media anchoring in the B2BUA: SDP rewritten per side, the relay told where media goes, codec
/// policy, offer/answer through re-INVITE and late offer, and the relay's events.
@Suite struct MediaAnchorTests {
    static let carrier = "198.51.100.11"
    static let platform = "192.0.2.10"
    static let media = "{port_min: 40000, port_max: 40099, timeout_s: 4, hold_timeout_s: 60, port_reuse_delay_s: 10}"

    /// The platform's offer: two codecs and DTMF, ICE candidates that must not reach the carrier.
    static let offer = """
        v=0
        o=agent 100 1 IN IP4 192.0.2.10
        s=call
        c=IN IP4 192.0.2.10
        t=0 0
        a=ice-ufrag:abcd
        m=audio 4000 RTP/AVP 0 8 101
        a=rtpmap:0 PCMU/8000
        a=rtpmap:8 PCMA/8000
        a=rtpmap:101 telephone-event/8000
        a=fmtp:101 0-15
        a=candidate:1 1 UDP 2130706431 192.0.2.10 4000 typ host
        a=ice-pwd:secretsecretsecretsecret
        a=sendrecv

        """

    static let answer = """
        v=0
        o=carrier 7 7 IN IP4 198.51.100.11
        s=-
        c=IN IP4 198.51.100.11
        t=0 0
        m=audio 5000 RTP/AVP 8 101
        a=rtpmap:8 PCMA/8000
        a=rtpmap:101 telephone-event/8000
        a=sendrecv

        """

    static func sdp(of message: SIPMessage) throws -> SessionDescription {
        try SessionDescription(parsing: message.body)
    }

    static func applied(_ instructions: [MediaInstruction]) -> [MediaSessionSpec] {
        instructions.compactMap { if case .apply(let spec) = $0.command { spec } else { nil } }
    }

    /// INVITE with the offer, 200 with the answer, ACK: the established call and what was sent.
    static func establish(_ harness: inout B2BUAHarness, offer: String = MediaAnchorTests.offer,
                          answer: String = MediaAnchorTests.answer)
        throws -> (invite: SIPMessage, ok: SIPMessage, aTag: String)
    {
        let first = harness.receive(B2BUAHarness.invite(sdpBody: offer))
        let invite = try #require(first.requests(.invite, to: carrier).first)
        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdpBody: answer),
                                       from: B2BUAHarness.carrierA)
        let ok = try #require(answered.responses(200, to: platform).first)
        let aTag = try #require(ok.to?.tag)
        harness.receive(B2BUAHarness.platformRequest("ACK", toTag: aTag, cseq: 1, branch: "z9hG4bKack1"))
        return (invite, ok, aTag)
    }

    @Test func offerToCarrierNamesOnlyTheRelayAndCarriesNoICE() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let out = harness.receive(B2BUAHarness.invite(sdpBody: Self.offer))
        let invite = try #require(out.requests(.invite, to: Self.carrier).first)
        let text = String(decoding: invite.body, as: UTF8.self)
        #expect(!text.contains(Self.platform), "the platform's media address never reaches the carrier")
        #expect(!text.contains("candidate") && !text.contains("ice-"))
        let sdp = try Self.sdp(of: invite)
        #expect(sdp.connection?.address == "10.0.1.1", "the carrier zone's media address")
        #expect(sdp.origin.address == "10.0.1.1")
        let audio = try #require(sdp.media.first)
        #expect((40000...40099).contains(audio.port) && audio.port % 2 == 0)
        #expect(audio.rtcp?.port == audio.port + 1)
        #expect(audio.formats == ["0", "8", "101"], "no codec policy on carrier-a: codecs untouched")
        #expect(audio.direction(session: sdp) == .sendrecv)

        let spec = try #require(Self.applied(harness.b2bua.takeMediaInstructions()).last)
        let stream = try #require(spec.streams.first)
        #expect(stream.a.remoteRTP == MediaAddress(host: Self.platform, port: 4000))
        #expect(stream.a.remoteRTCP == MediaAddress(host: Self.platform, port: 4001))
        #expect(stream.a.local.host == "10.0.0.1")
        #expect(stream.b.local == MediaAddress(host: "10.0.1.1", port: UInt16(audio.port)))
        #expect(stream.b.remoteRTP == nil, "nothing is sent to the carrier before it answers")
        #expect(!spec.armed, "no media timeout before the answer")
    }

    @Test func answerToPlatformNamesTheRelayAndArmsTimeouts() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let (_, ok, _) = try Self.establish(&harness)
        let text = String(decoding: ok.body, as: UTF8.self)
        #expect(!text.contains(Self.carrier), "the carrier's media address never reaches the platform")
        let sdp = try Self.sdp(of: ok)
        #expect(sdp.connection?.address == "10.0.0.1")
        let spec = try #require(Self.applied(harness.b2bua.takeMediaInstructions()).last)
        let stream = try #require(spec.streams.first)
        #expect(sdp.media.first?.port == Int(stream.a.local.port))
        #expect(stream.b.remoteRTP == MediaAddress(host: Self.carrier, port: 5000))
        #expect(spec.armed)
        #expect(spec.timeouts == MediaTimeouts(active: .seconds(4), hold: .seconds(60)))
    }

    @Test func codecPolicyFiltersAndReordersTheOffer() throws {
        var harness = try B2BUAHarness(media: Self.media, codecsA: ["PCMA", "PCMU"])
        let out = harness.receive(B2BUAHarness.invite(sdpBody: Self.offer))
        let invite = try #require(out.requests(.invite, to: Self.carrier).first)
        let audio = try #require(Self.sdp(of: invite).media.first)
        #expect(audio.formats == ["8", "0", "101"], "carrier's order, telephone-event kept")
    }

    @Test func noCommonCodecSkipsTheTrunkAndAnswers488WhenNoneIsLeft() throws {
        var harness = try B2BUAHarness(media: Self.media, codecsA: ["G729"], codecsB: ["G722"])
        let out = harness.receive(B2BUAHarness.invite(sdpBody: Self.offer))
        #expect(out.requests(.invite, to: Self.carrier).isEmpty)
        #expect(out.requests(.invite, to: "198.51.100.12").isEmpty)
        let refusal = try #require(out.messages(to: Self.platform).first { ($0.statusCode ?? 0) >= 300 })
        #expect(refusal.statusCode == 488)
        #expect(harness.b2bua.activeCalls == 0)
        let summary = try #require(harness.b2bua.takeFinishedCalls().first)
        #expect(summary.attempts.map(\.outcome) == [.skipped, .skipped])
        #expect(harness.b2bua.ports.inUse == 0, "ports of a refused call go back to the pool")
    }

    @Test func codecPolicyOfOneCarrierFailsOverToTheNext() throws {
        var harness = try B2BUAHarness(media: Self.media, codecsA: ["G729"])
        let out = harness.receive(B2BUAHarness.invite(sdpBody: Self.offer))
        #expect(out.requests(.invite, to: Self.carrier).isEmpty)
        #expect(out.requests(.invite, to: "198.51.100.12").count == 1)
    }

    @Test func mediaTimeoutEndsTheCallWithReasonAndDisposition() throws {
        var harness = try B2BUAHarness(media: Self.media)
        _ = try Self.establish(&harness)
        let spec = try #require(Self.applied(harness.b2bua.takeMediaInstructions()).last)
        let out = harness.b2bua.mediaEvent(.timeout(spec.id, side: .b, silence: .seconds(4)), now: harness.now)
        let byes = out.filter { $0.message.method == .bye }
        #expect(Set(byes.map(\.destination.host)) == [Self.platform, Self.carrier])
        for bye in byes {
            let reason = try #require(bye.message.firstValue(.reason))
            #expect(reason.contains("cause=408") && reason.contains("Media timeout"))
        }
        #expect(harness.b2bua.activeCalls == 0)
        #expect(harness.b2bua.takeFinishedCalls().isEmpty, "the CDR waits for the relay's statistics")
        let instructions = harness.b2bua.takeMediaInstructions()
        #expect(instructions.contains { if case .destroy(spec.id) = $0.command { true } else { false } })
        var statistics = MediaSessionStatistics()
        statistics.b.packetsReceived = 200
        _ = harness.b2bua.mediaEvent(.closed(spec.id, statistics), now: harness.now)
        let summary = try #require(harness.b2bua.takeFinishedCalls().first)
        #expect(summary.disposition == .mediaTimeout)
        #expect(summary.media?.b.packetsReceived == 200)
    }

    @Test func statisticsThatNeverComeDoNotLoseTheCDR() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let (_, _, aTag) = try Self.establish(&harness)
        let bye = harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 2, branch: "z9hG4bKbye1"))
        let carrierBye = try #require(bye.requests(.bye, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(200, "OK", to: carrierBye), from: B2BUAHarness.carrierA)
        #expect(harness.b2bua.takeFinishedCalls().isEmpty)
        harness.advance(by: .seconds(6))
        let summary = try #require(harness.b2bua.takeFinishedCalls().first)
        #expect(summary.disposition == .answered)
        #expect(summary.media == nil)
    }

    @Test func lateOfferIsAnchoredInThe200AndTheAnswerInTheACK() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let first = harness.receive(B2BUAHarness.invite(sdp: false))
        let invite = try #require(first.requests(.invite, to: Self.carrier).first)
        #expect(invite.body.isEmpty)
        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdpBody: Self.answer),
                                       from: B2BUAHarness.carrierA)
        let ok = try #require(answered.responses(200, to: Self.platform).first)
        #expect(try Self.sdp(of: ok).connection?.address == "10.0.0.1", "the carrier's offer, anchored")
        #expect(answered.requests(.ack, to: Self.carrier).isEmpty, "the answer comes in the caller's ACK")
        let aTag = try #require(ok.to?.tag)
        let ack = B2BUAHarness.platformRequest("ACK", toTag: aTag, cseq: 1, branch: "z9hG4bKack1",
                                               sdpBody: Self.offer.replacingOccurrences(of: " 0 8 101", with: " 8 101"))
        let acked = harness.receive(ack)
        let forwarded = try #require(acked.requests(.ack, to: Self.carrier).first)
        let sdp = try Self.sdp(of: forwarded)
        #expect(sdp.connection?.address == "10.0.1.1")
        #expect(!String(decoding: forwarded.body, as: UTF8.self).contains(Self.platform))
        let spec = try #require(Self.applied(harness.b2bua.takeMediaInstructions()).last)
        #expect(spec.streams.first?.a.remoteRTP == MediaAddress(host: Self.platform, port: 4000))
        #expect(spec.streams.first?.b.remoteRTP == MediaAddress(host: Self.carrier, port: 5000))
    }

    @Test func anOfferInThe200WithNoAllowedCodecIsAckedRejectedHungUpAndFailedOver() throws {
        var harness = try B2BUAHarness(media: Self.media, codecsA: ["PCMA", "PCMU"], codecsB: ["PCMA"])
        let first = harness.receive(B2BUAHarness.invite(sdp: false))
        let toA = try #require(first.requests(.invite, to: Self.carrier).first)
        let g729 = Self.answer.replacingOccurrences(of: "RTP/AVP 8 101", with: "RTP/AVP 18 101")
            .replacingOccurrences(of: "a=rtpmap:8 PCMA/8000", with: "a=rtpmap:18 G729/8000")
        let refused = harness.receive(B2BUAHarness.response(200, "OK", to: toA, sdpBody: g729),
                                      from: B2BUAHarness.carrierA)
        #expect(refused.responses(200, to: Self.platform).isEmpty, "the caller never sees the unusable answer")
        // RFC 3261 13.2.2.4: the 2xx is ACKed with a valid answer rejecting every stream, then BYE.
        let ack = try #require(refused.requests(.ack, to: Self.carrier).first)
        let rejection = try Self.sdp(of: ack)
        #expect(rejection.media.map(\.port) == [0])
        #expect(rejection.connection?.address == "0.0.0.0")
        #expect(rejection.origin.address == "10.0.1.1")
        #expect(rejection.media[0].formats == ["18", "101"] && rejection.media[0].lines.isEmpty,
                "the declined stream keeps its formats and nothing else")
        let bye = try #require(refused.requests(.bye, to: Self.carrier).first)
        #expect(bye.firstValue(.reason) == "SIP;cause=488;text=\"Offer not acceptable: no allowed codec\"")
        #expect(bye.callID == toA.callID && bye.to?.tag == "crtag", "the BYE ends the refused dialog")
        #expect(Self.applied(harness.b2bua.takeMediaInstructions()).isEmpty, "nothing was relayed")

        // Carrier B gets the call (its trunk is tried like a skipped early-offer candidate) and
        // offers nothing carrier B's policy allows either: the caller gets the 488.
        let toB = try #require(refused.requests(.invite, to: "198.51.100.12").first)
        #expect(toB.body.isEmpty, "still a late offer")
        // Carrier A did not get the ACK: its retransmitted 200 gets the same ACK, and only A does.
        let again = harness.receive(B2BUAHarness.response(200, "OK", to: toA, sdpBody: g729), from: B2BUAHarness.carrierA)
        #expect(again.requests(.ack, to: Self.carrier).map { $0.serialized() } == [ack.serialized()])
        #expect(again.count == 1, "no second BYE, nothing to carrier B or the caller")
        let last = harness.receive(B2BUAHarness.response(200, "OK", to: toB, sdpBody: g729),
                                   from: B2BUAHarness.carrierB)
        #expect(try Self.sdp(of: #require(last.requests(.ack, to: "198.51.100.12").first)).media.map(\.port) == [0])
        #expect(last.requests(.bye, to: "198.51.100.12").count == 1)
        let final = try #require(last.responses(488, to: Self.platform).first)
        #expect(final.body.isEmpty)
        #expect(harness.receive(B2BUAHarness.response(200, "OK", to: toA, sdpBody: g729), from: B2BUAHarness.carrierA)
            .requests(.ack, to: Self.carrier).count == 1, "re-ACKed after the call is gone too")
        let summary = try #require(harness.b2bua.takeFinishedCalls().first)
        #expect(summary.attempts.map(\.outcome) == [.failedOver, .rejected])
        #expect(summary.attempts.map(\.responseCode) == [488, 488])
        #expect(summary.media == nil)
    }

    @Test func anOfferInThe200ThatTheSecondCarrierCanServeIsRelayedAfterTheFirstIsRefused() throws {
        var harness = try B2BUAHarness(media: Self.media, codecsA: ["PCMU"])
        let first = harness.receive(B2BUAHarness.invite(sdp: false))
        let toA = try #require(first.requests(.invite, to: Self.carrier).first)
        let refused = harness.receive(B2BUAHarness.response(200, "OK", to: toA, sdpBody: Self.answer),
                                      from: B2BUAHarness.carrierA)
        let toB = try #require(refused.requests(.invite, to: "198.51.100.12").first)
        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: toB, toTag: "btag", sdpBody: Self.answer),
                                       from: B2BUAHarness.carrierB)
        let ok = try #require(answered.responses(200, to: Self.platform).first)
        let offer = try Self.sdp(of: ok)
        #expect(offer.connection?.address == "10.0.0.1")
        #expect(offer.media.map(\.formats) == [["8", "101"]])
        #expect(answered.requests(.ack, to: "198.51.100.12").isEmpty, "the answer comes in the caller's ACK")
        // Carrier A's refusal did not count against it: it still takes the next call.
        let next = harness.receive(B2BUAHarness.invite(callID: "call-2@192.0.2.10", branch: "z9hG4bKpl2", sdp: false))
        #expect(next.requests(.invite, to: Self.carrier).count == 1)
    }

    @Test func aLateOfferAnswerCrossingTheCallersCancelIsAckedWithADecliningAnswer() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let toA = try #require(harness.receive(B2BUAHarness.invite(sdp: false)).requests(.invite, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(180, "Ringing", to: toA), from: B2BUAHarness.carrierA)
        harness.receive(CancelAndPolicyTests.cancel())
        let crossed = harness.receive(B2BUAHarness.response(200, "OK", to: toA, sdpBody: Self.answer),
                                      from: B2BUAHarness.carrierA)
        let ack = try #require(crossed.requests(.ack, to: Self.carrier).first)
        #expect(try Self.sdp(of: ack).media.map(\.port) == [0], "RFC 3261 13.2.2.4: the ACK answers the offer")
        #expect(crossed.requests(.bye, to: Self.carrier).count == 1)
        #expect(crossed.responses(200, to: Self.platform).isEmpty)
        let again = harness.receive(B2BUAHarness.response(200, "OK", to: toA, sdpBody: Self.answer),
                                    from: B2BUAHarness.carrierA)
        #expect(again.requests(.ack, to: Self.carrier).map { $0.serialized() } == [ack.serialized()])
        #expect(harness.b2bua.activeCalls == 0)
    }

    @Test func holdReInviteKeepsPortsAndDirectionsAndSwitchesToTheHoldTimeout() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let (invite, ok, aTag) = try Self.establish(&harness)
        let carrierPort = try Self.sdp(of: invite).media[0].port
        let platformPort = try Self.sdp(of: ok).media[0].port
        _ = harness.b2bua.takeMediaInstructions()
        let hold = Self.offer.replacingOccurrences(of: "a=sendrecv", with: "a=sendonly")
            .replacingOccurrences(of: "o=agent 100 1", with: "o=agent 100 2")
        let out = harness.receive(B2BUAHarness.platformRequest("INVITE", toTag: aTag, cseq: 2, branch: "z9hG4bKre1",
                                                               sdpBody: hold))
        let reinvite = try #require(out.requests(.invite, to: Self.carrier).first)
        let offered = try Self.sdp(of: reinvite)
        #expect(offered.media[0].port == carrierPort, "the carrier keeps sending to the same relay port")
        #expect(offered.media[0].direction(session: offered) == .sendonly)
        #expect(offered.origin.sessionVersion == (try Self.sdp(of: invite)).origin.sessionVersion + 1,
                "a changed SDP raises our o= version by one")
        let held = Self.answer.replacingOccurrences(of: "a=sendrecv", with: "a=recvonly")
        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: reinvite, sdpBody: held),
                                       from: B2BUAHarness.carrierA)
        let relayed = try #require(answered.responses(200, to: Self.platform).first)
        let answer = try Self.sdp(of: relayed)
        #expect(answer.media[0].port == platformPort)
        #expect(answer.media[0].direction(session: answer) == .recvonly)
        let spec = try #require(Self.applied(harness.b2bua.takeMediaInstructions()).last)
        #expect(spec.streams[0].b.remoteSends == false, "the held carrier is not expected to send")
        #expect(spec.streams[0].a.remoteSends == false,
                "the holder often sends nothing either: both sides get the hold timeout")
    }

    @Test func rejectedReInviteOfferLeavesTheSessionAsItWas() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let (_, _, aTag) = try Self.establish(&harness)
        let before = try #require(Self.applied(harness.b2bua.takeMediaInstructions()).last)
        let moved = Self.offer.replacingOccurrences(of: "m=audio 4000", with: "m=audio 4100")
        let out = harness.receive(B2BUAHarness.platformRequest("INVITE", toTag: aTag, cseq: 2, branch: "z9hG4bKre2",
                                                               sdpBody: moved))
        let reinvite = try #require(out.requests(.invite, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(488, "Not Acceptable Here", to: reinvite), from: B2BUAHarness.carrierA)
        let after = try #require(Self.applied(harness.b2bua.takeMediaInstructions()).last)
        #expect(after.streams == before.streams, "RFC 3264: a rejected offer changes nothing")
    }

    @Test func failoverKeepsTheRelayPortAndForgetsTheFailedCarrier() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let first = harness.receive(B2BUAHarness.invite(sdpBody: Self.offer))
        let toA = try #require(first.requests(.invite, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(183, "Session Progress", to: toA, sdpBody: nil), from: B2BUAHarness.carrierA)
        let failed = harness.receive(B2BUAHarness.response(503, "Service Unavailable", to: toA),
                                     from: B2BUAHarness.carrierA)
        let toB = try #require(failed.requests(.invite, to: "198.51.100.12").first)
        #expect(try Self.sdp(of: toB).media[0].port == (try Self.sdp(of: toA)).media[0].port)
        #expect(try Self.sdp(of: toB).origin.sessionID != (try Self.sdp(of: toA)).origin.sessionID,
                "the new carrier's dialog gets an SDP session of its own")
        let spec = try #require(Self.applied(harness.b2bua.takeMediaInstructions()).last)
        #expect(spec.streams[0].b.remoteRTP == nil)
    }

    @Test func portsReturnToThePoolOnlyAfterTheReuseDelay() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let (_, _, aTag) = try Self.establish(&harness)
        #expect(harness.b2bua.ports.inUse == 2)
        let bye = harness.receive(B2BUAHarness.platformRequest("BYE", toTag: aTag, cseq: 2, branch: "z9hG4bKbye1"))
        let carrierBye = try #require(bye.requests(.bye, to: Self.carrier).first)
        harness.receive(B2BUAHarness.response(200, "OK", to: carrierBye), from: B2BUAHarness.carrierA)
        #expect(harness.b2bua.ports.inUse == 0)
        #expect(harness.b2bua.ports.cooling == 2)
    }

    @Test func exhaustedPortsAnswer503() throws {
        var harness = try B2BUAHarness(media: "{port_min: 40000, port_max: 40003}")
        _ = try Self.establish(&harness)
        let out = harness.receive(B2BUAHarness.invite(callID: "call-2@192.0.2.10", branch: "z9hG4bKpl2",
                                                      sdpBody: Self.offer))
        let refusal = try #require(out.messages(to: Self.platform).first { ($0.statusCode ?? 0) >= 300 })
        #expect(refusal.statusCode == 503)
    }

    @Test func badSDPFromTheCallerIsRefusedWith400() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let out = harness.receive(B2BUAHarness.invite(sdpBody: "v=0\nm=audio notaport RTP/AVP 0\n"))
        let refusal = try #require(out.messages(to: Self.platform).first { ($0.statusCode ?? 0) >= 300 })
        #expect(refusal.statusCode == 400)
        #expect(out.requests(.invite, to: Self.carrier).isEmpty)
    }

    @Test func earlyMediaIn183IsAnchoredAndSetsTheCarriersDestination() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let first = harness.receive(B2BUAHarness.invite(sdpBody: Self.offer))
        let invite = try #require(first.requests(.invite, to: Self.carrier).first)
        let progress = harness.receive(B2BUAHarness.response(183, "Session Progress", to: invite, sdpBody: Self.answer),
                                       from: B2BUAHarness.carrierA)
        let relayed = try #require(progress.responses(183, to: Self.platform).first)
        let sdp = try Self.sdp(of: relayed)
        #expect(sdp.connection?.address == "10.0.0.1")
        #expect(!String(decoding: relayed.body, as: UTF8.self).contains(Self.carrier))
        let spec = try #require(Self.applied(harness.b2bua.takeMediaInstructions()).last)
        #expect(spec.streams[0].b.remoteRTP == MediaAddress(host: Self.carrier, port: 5000),
                "ringback from the carrier flows before the answer")
        #expect(!spec.armed, "no media timeout while ringing")
    }

    @Test func updateOfferAndAnswerAreAnchoredBothWays() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let (invite, ok, aTag) = try Self.establish(&harness)
        let moved = Self.offer.replacingOccurrences(of: "m=audio 4000", with: "m=audio 4200")
            .replacingOccurrences(of: "o=agent 100 1", with: "o=agent 100 2")
        let out = harness.receive(B2BUAHarness.platformRequest("UPDATE", toTag: aTag, cseq: 2, branch: "z9hG4bKup1",
                                                               sdpBody: moved))
        let update = try #require(out.requests(.update, to: Self.carrier).first)
        let offered = try Self.sdp(of: update)
        #expect(offered.media[0].port == (try Self.sdp(of: invite)).media[0].port)
        #expect(!String(decoding: update.body, as: UTF8.self).contains(Self.platform))
        let answered = harness.receive(B2BUAHarness.response(200, "OK", to: update, sdpBody: Self.answer),
                                       from: B2BUAHarness.carrierA)
        let relayed = try #require(answered.responses(200, to: Self.platform).first)
        #expect(try Self.sdp(of: relayed).media[0].port == (try Self.sdp(of: ok)).media[0].port)
        let spec = try #require(Self.applied(harness.b2bua.takeMediaInstructions()).last)
        #expect(spec.streams[0].a.remoteRTP == MediaAddress(host: Self.platform, port: 4200),
                "the platform's new address reopens latching on its side")
    }

    @Test func rtcpMuxOnBothSidesMovesRTCPOntoTheRTPPorts() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let muxedOffer = Self.offer.replacingOccurrences(of: "a=sendrecv", with: "a=rtcp-mux\na=sendrecv")
        let first = harness.receive(B2BUAHarness.invite(sdpBody: muxedOffer))
        let invite = try #require(first.requests(.invite, to: Self.carrier).first)
        #expect(try Self.sdp(of: invite).media[0].rtcpMux, "the offer's rtcp-mux is passed on")
        let offered = try #require(Self.applied(harness.b2bua.takeMediaInstructions()).last)
        #expect(offered.streams[0].a.localRTCPPort != nil, "until the answer accepts mux, RTCP has its own ports")
        let muxedAnswer = Self.answer.replacingOccurrences(of: "a=sendrecv", with: "a=rtcp-mux\na=sendrecv")
        harness.receive(B2BUAHarness.response(200, "OK", to: invite, sdpBody: muxedAnswer), from: B2BUAHarness.carrierA)
        let answered = try #require(Self.applied(harness.b2bua.takeMediaInstructions()).last)
        #expect(answered.streams[0].a.localRTCPPort == nil && answered.streams[0].b.localRTCPPort == nil)
        #expect(answered.streams[0].a.remoteRTCP == nil && answered.streams[0].b.remoteRTCP == nil)
    }

    @Test func oldStyleHoldKeepsTheAddressForLatching() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let (_, _, aTag) = try Self.establish(&harness)
        let hold = Self.offer.replacingOccurrences(of: "c=IN IP4 192.0.2.10", with: "c=IN IP4 0.0.0.0")
            .replacingOccurrences(of: "o=agent 100 1", with: "o=agent 100 2")
        harness.receive(B2BUAHarness.platformRequest("INVITE", toTag: aTag, cseq: 2, branch: "z9hG4bKre3", sdpBody: hold))
        let spec = try #require(Self.applied(harness.b2bua.takeMediaInstructions()).last)
        #expect(spec.streams[0].a.remoteRTP == MediaAddress(host: Self.platform, port: 4000))
        #expect(spec.streams[0].b.remoteSends == false && spec.streams[0].a.remoteSends == false)
    }

    @Test func relayFailureQuarantinesThePortAndStillDestroysTheSession() throws {
        var harness = try B2BUAHarness(media: Self.media)
        _ = try Self.establish(&harness)
        let spec = try #require(Self.applied(harness.b2bua.takeMediaInstructions()).last)
        let port = spec.streams[0].b.local.port
        let capacity = harness.b2bua.ports.capacity
        let out = harness.b2bua.mediaEvent(.failed(spec.id, reason: "bind: address in use", port: port), now: harness.now)
        #expect(out.filter { $0.message.method == .bye }.count == 2)
        #expect(harness.b2bua.ports.capacity == capacity - 1, "the port another process holds is never reused")
        #expect(harness.b2bua.takeMediaInstructions().contains {
            if case .destroy(spec.id) = $0.command { true } else { false }
        }, "whatever the worker did bind is closed")
    }

    @Test func sdpInsideMultipartIsRefusedRatherThanLeaked() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let body = "--b1\nContent-Type: application/sdp\n\n" + Self.offer + "--b1\nContent-Type: application/isup\n\nxx\n--b1--\n"
        let invite = B2BUAHarness.invite(sdpBody: body)
            .replacingOccurrences(of: "Content-Type: application/sdp\nContent-Length",
                                  with: "Content-Type: multipart/mixed;boundary=b1\nContent-Length")
        let out = harness.receive(invite)
        #expect(out.requests(.invite, to: Self.carrier).isEmpty)
        let refusal = try #require(out.messages(to: Self.platform).first { ($0.statusCode ?? 0) >= 300 })
        #expect(refusal.statusCode == 415)
    }

    @Test func aSecondOfferWhileOneIsPendingGets491() throws {
        var harness = try B2BUAHarness(media: Self.media)
        let (_, _, aTag) = try Self.establish(&harness)
        let moved = Self.offer.replacingOccurrences(of: "m=audio 4000", with: "m=audio 4100")
        let first = harness.receive(B2BUAHarness.platformRequest("UPDATE", toTag: aTag, cseq: 2, branch: "z9hG4bKu1",
                                                                 sdpBody: moved))
        let update = try #require(first.requests(.update, to: Self.carrier).first)
        let second = harness.receive(B2BUAHarness.platformRequest("UPDATE", toTag: aTag, cseq: 3, branch: "z9hG4bKu2",
                                                                  sdpBody: moved))
        #expect(second.responses(491, to: Self.platform).count == 1, "RFC 3311: one offer at a time")
        #expect(second.requests(.update, to: Self.carrier).isEmpty)
        harness.receive(B2BUAHarness.response(200, "OK", to: update, sdpBody: Self.answer), from: B2BUAHarness.carrierA)
        let third = harness.receive(B2BUAHarness.platformRequest("UPDATE", toTag: aTag, cseq: 4, branch: "z9hG4bKu3",
                                                                 sdpBody: moved))
        #expect(third.requests(.update, to: Self.carrier).count == 1, "once answered, the next offer goes through")
    }
}
