import Media
import SIPCore
import Testing
@testable import B2BUA

/// RFC 4028 session timers terminated per leg on the sans-IO B2BUA with a manual clock: each leg
/// negotiates with its own peer (422 both ways), the SBC refreshes the legs it refreshes at half
/// their own interval, answers a peer's pure refresh itself, and a session nobody refreshed ends
/// the call (BYE both legs with a Reason) or, on a critical line, fails the carrier leg over.
@Suite struct SessionTimerTests {
    static let carrierA = "198.51.100.11"
    static let carrierB = "198.51.100.12"
    static let platform = "192.0.2.10"
    typealias H = B2BUAHarness

    static func timer(_ keys: String) -> String { "session_timer: {enabled: true\(keys.isEmpty ? "" : ", \(keys)")}" }
    static let sessionExpires = SIPHeaderName("session-expires")
    static let minSE = SIPHeaderName("min-se")

    /// INVITE (with `extra` lines), carrier 200 with `carrierExtra`, platform ACK: the carrier's
    /// INVITE, the platform's 200 and the platform's dialog tag.
    static func establish(_ harness: inout B2BUAHarness, extra: String = "Supported: timer\n",
                          carrierExtra: [String] = [], sdp: String? = nil)
        throws -> (invite: SIPMessage, ok: SIPMessage, aTag: String)
    {
        let first = harness.receive(H.invite(sdpBody: sdp, extra: extra))
        let invite = try #require(first.requests(.invite, to: carrierA).first)
        let answered = harness.receive(H.carrierResponse(200, "OK", to: invite, extra: carrierExtra,
                                                         sdpBody: sdp == nil ? H.carrierSDP(port: 5000) : MediaAnchorTests.answer),
                                       from: H.carrierA)
        let ok = try #require(answered.responses(200, to: platform).first)
        let aTag = try #require(ok.to?.tag)
        harness.receive(H.platformRequest("ACK", toTag: aTag, cseq: 1, branch: "z9hG4bKack1"))
        return (invite, ok, aTag)
    }

    @Test func eachLegNegotiatesItsOwnIntervalAndTheOtherLegsHeadersStayBehind() throws {
        var harness = try B2BUAHarness(platform: Self.timer("session_expires_s: 1800"),
                                       carrierA: Self.timer("session_expires_s: 300, min_se_s: 120"))
        let (invite, ok, _) = try Self.establish(&harness,
                                                 extra: "Supported: timer\nSession-Expires: 600;refresher=uac\nMin-SE: 90\n",
                                                 carrierExtra: ["Require: timer", "Session-Expires: 300;refresher=uac"])
        #expect(invite.firstValue(Self.sessionExpires) == "300;refresher=uac", "the carrier trunk's own interval")
        #expect(invite.firstValue(Self.minSE) == "120")
        #expect(invite.lists("timer", in: .supported))
        #expect(ok.firstValue(Self.sessionExpires) == "600;refresher=uac", "the platform's request, answered on its leg")
        #expect(ok.lists("timer", in: .require))
        #expect(ok.values(Self.sessionExpires).count == 1, "the carrier's Session-Expires never reaches the platform")
    }

    @Test func withoutTimersOnEitherTrunkTheHeadersCrossEndToEndAsBefore() throws {
        var harness = try B2BUAHarness()
        let (invite, ok, _) = try Self.establish(&harness, extra: "Supported: timer\nSession-Expires: 600;refresher=uac\n",
                                                 carrierExtra: ["Session-Expires: 600;refresher=uac"])
        #expect(invite.firstValue(Self.sessionExpires) == "600;refresher=uac")
        #expect(ok.firstValue(Self.sessionExpires) == "600;refresher=uac")
        #expect(harness.advance(by: .seconds(700)).isEmpty, "and the SBC runs no timer of its own")
    }

    @Test func tooShortAnIntervalFromThePlatformGets422WithMinSE() throws {
        var harness = try B2BUAHarness(platform: Self.timer("min_se_s: 90"))
        let out = harness.receive(H.invite(extra: "Supported: timer\nSession-Expires: 60\n"))
        let refused = try #require(out.responses(422, to: Self.platform).first)
        #expect(refused.firstValue(Self.minSE) == "90")
        #expect(out.requests(.invite, to: Self.carrierA).isEmpty)
        #expect(harness.b2bua.activeCalls == 0)
    }

    @Test func aCarriers422IsHonouredWithANewINVITEAskingForItsMinSE() throws {
        var harness = try B2BUAHarness(carrierA: Self.timer("session_expires_s: 90"))
        let invite = try #require(harness.receive(H.invite()).requests(.invite, to: Self.carrierA).first)
        #expect(invite.firstValue(Self.sessionExpires) == "90;refresher=uac")
        let retried = harness.receive(H.carrierResponse(422, "Session Interval Too Small", to: invite,
                                                        extra: ["Min-SE: 1200"]), from: H.carrierA)
        let again = try #require(retried.requests(.invite, to: Self.carrierA).first)
        #expect(again.firstValue(Self.sessionExpires) == "1200;refresher=uac")
        #expect(again.firstValue(Self.minSE) == "1200")
        #expect(again.cseq?.number == invite.cseq!.number + 1)
        #expect(again.topVia?.branch != invite.topVia?.branch)
        #expect(again.from?.tag == invite.from?.tag && again.callID == invite.callID)
        #expect(retried.messages(to: Self.platform).isEmpty, "the platform hears nothing of the 422")
        let answered = harness.receive(H.carrierResponse(200, "OK", to: again, extra: ["Session-Expires: 1200;refresher=uac"],
                                                         sdpBody: H.carrierSDP(port: 5000)), from: H.carrierA)
        #expect(answered.responses(200, to: Self.platform).count == 1)
        #expect(answered.requests(.ack, to: Self.carrierA).first?.cseq?.number == again.cseq?.number)
    }

    @Test func theSBCRefreshesEachLegAtHalfItsOwnInterval() throws {
        var harness = try B2BUAHarness(platform: Self.timer("session_expires_s: 1800"),
                                       carrierA: Self.timer("session_expires_s: 120"), media: MediaAnchorTests.media)
        let (invite, ok, _) = try Self.establish(&harness, extra: "Supported: timer\nAllow: INVITE, ACK, BYE, CANCEL\n",
                                                 carrierExtra: ["Session-Expires: 120;refresher=uac",
                                                                "Allow: INVITE, ACK, BYE, CANCEL, UPDATE"],
                                                 sdp: MediaAnchorTests.offer)
        #expect(invite.firstValue(Self.sessionExpires) == "120;refresher=uac")
        #expect(ok.firstValue(Self.sessionExpires) == "1800;refresher=uas", "no refresher asked: the SBC refreshes")

        // The carrier leg: an UPDATE without SDP every 60 s; the platform sees none of them.
        #expect(harness.advance(by: .seconds(59)).isEmpty)
        let due = harness.advance(by: .seconds(1))
        let update = try #require(due.requests(.update, to: Self.carrierA).first)
        #expect(update.body.isEmpty)
        #expect(update.firstValue(Self.sessionExpires) == "120;refresher=uac")
        #expect(update.to?.tag == "crtag")
        #expect(due.messages(to: Self.platform).isEmpty)
        let refreshed = harness.receive(H.carrierResponse(200, "OK", to: update, extra: ["Session-Expires: 120;refresher=uac"]),
                                        from: H.carrierA)
        #expect(refreshed.messages(to: Self.platform).isEmpty)
        var carrierRefreshes: [Duration] = [.seconds(60)]
        var platformRefreshes: [Duration] = []
        for second in 61...960 {
            let out = harness.advance(by: .seconds(1))
            if let update = out.requests(.update, to: Self.carrierA).first {
                carrierRefreshes.append(.seconds(second))
                harness.receive(H.carrierResponse(200, "OK", to: update, extra: ["Session-Expires: 120;refresher=uac"]),
                                from: H.carrierA)
            }
            guard let reinvite = out.requests(.invite, to: Self.platform).first else { continue }
            // The platform leg: a re-INVITE (it does not allow UPDATE) repeating the SBC's SDP.
            platformRefreshes.append(.seconds(second))
            #expect(reinvite.body == ok.body, "the SBC's last SDP to the platform, version unchanged")
            #expect(reinvite.firstValue(Self.sessionExpires) == "1800;refresher=uac")
            let acked = harness.receive(H.platformResponse(200, to: reinvite, extra: ["Session-Expires: 1800;refresher=uac"],
                                                           sdpBody: MediaAnchorTests.offer))
            #expect(acked.requests(.ack, to: Self.platform).count == 1)
            #expect(acked.messages(to: Self.carrierA).isEmpty)
        }
        #expect(carrierRefreshes == stride(from: 60, through: 960, by: 60).map { .seconds($0) },
                "every 60 s on the carrier leg")
        #expect(platformRefreshes == [.seconds(900)], "half of the platform leg's 1800 s")
        #expect(harness.b2bua.activeCalls == 1)
    }

    @Test func aPeersRefreshIsAnsweredHereAndAnUnrefreshedSessionEndsTheCallWithAReason() throws {
        var harness = try B2BUAHarness(carrierA: Self.timer("session_expires_s: 120, refresher: peer"))
        let (invite, _, _) = try Self.establish(&harness, carrierExtra: ["Session-Expires: 120;refresher=uas"])
        #expect(invite.firstValue(Self.sessionExpires) == "120;refresher=uas", "the trunk wants the carrier to refresh")

        // The carrier refreshes with an UPDATE at 50 s: answered by the SBC, the platform sees nothing.
        harness.advance(by: .seconds(50))
        let answered = harness.receive(H.carrierRequest("UPDATE", invite: invite, cseq: 10, branch: "z9hG4bKcup1",
                                                        extra: ["Supported: timer", "Session-Expires: 120;refresher=uac"]),
                                       from: H.carrierA)
        let ok = try #require(answered.responses(200, to: Self.carrierA).first)
        #expect(ok.firstValue(Self.sessionExpires) == "120;refresher=uac")
        #expect(ok.lists("timer", in: .require))
        #expect(answered.messages(to: Self.platform).isEmpty)

        // Then silence: the session ends 120 - 32 = 88 s after that refresh (RFC 4028 10).
        #expect(harness.advance(by: .seconds(87)).requests(.bye, to: Self.platform).isEmpty)
        let expired = harness.advance(by: .seconds(1))
        for host in [Self.platform, Self.carrierA] {
            let bye = try #require(expired.requests(.bye, to: host).first, "BYE to \(host)")
            #expect(bye.firstValue(.reason) == "SIP;cause=408;text=\"Session timer expired: no refresh from carrier-a\"")
        }
    }

    @Test func aPlatformReInviteRepeatingItsSDPIsARefreshAnsweredHereAndAChangedOneCrosses() throws {
        var harness = try B2BUAHarness(platform: Self.timer("refresher: peer"), media: MediaAnchorTests.media)
        let (_, ok, aTag) = try Self.establish(&harness, sdp: MediaAnchorTests.offer)
        #expect(ok.firstValue(Self.sessionExpires) == "1800;refresher=uac", "refresher: peer, and the platform supports timers")
        harness.advance(by: .seconds(600))
        let refresh = harness.receive(H.platformRequest("INVITE", toTag: aTag, cseq: 2, branch: "z9hG4bKri1",
                                                        extra: ["Supported: timer", "Session-Expires: 1800;refresher=uac"],
                                                        sdpBody: MediaAnchorTests.offer))
        let answered = try #require(refresh.responses(200, to: Self.platform).first)
        #expect(answered.body == ok.body, "the SBC's own last answer, unchanged")
        #expect(answered.firstValue(Self.sessionExpires) == "1800;refresher=uac")
        #expect(refresh.messages(to: Self.carrierA).isEmpty, "a refresh never reaches the carrier")
        harness.receive(H.platformRequest("ACK", toTag: aTag, cseq: 2, branch: "z9hG4bKack2"))
        // 600 s later the session would have expired without that refresh (1800 - 32 after the answer).
        #expect(harness.advance(by: .seconds(1200)).requests(.bye, to: Self.platform).isEmpty)

        let changed = MediaAnchorTests.offer.replacingOccurrences(of: "o=agent 100 1", with: "o=agent 100 2")
            .replacingOccurrences(of: "m=audio 4000", with: "m=audio 4100")
        let relayed = harness.receive(B2BUAHarness.platformRequest("INVITE", toTag: aTag, cseq: 3, branch: "z9hG4bKri2",
                                                                   sdpBody: changed))
        #expect(relayed.requests(.invite, to: Self.carrierA).count == 1, "a new SDP version is a real offer")
    }

    @Test func theSBCsOwnRefreshHonoursA422AndEndsTheCallOn481() throws {
        var harness = try B2BUAHarness(carrierA: Self.timer("session_expires_s: 100"))
        let (_, _, _) = try Self.establish(&harness, carrierExtra: ["Session-Expires: 100;refresher=uac",
                                                                    "Allow: INVITE, ACK, BYE, UPDATE"])
        let update = try #require(harness.advance(by: .seconds(50)).requests(.update, to: Self.carrierA).first)
        let retried = harness.receive(H.carrierResponse(422, "Session Interval Too Small", to: update, extra: ["Min-SE: 600"]),
                                      from: H.carrierA)
        let again = try #require(retried.requests(.update, to: Self.carrierA).first)
        #expect(again.firstValue(Self.sessionExpires) == "600;refresher=uac")
        #expect(again.firstValue(Self.minSE) == "600")
        let gone = harness.receive(H.carrierResponse(481, "Call/Transaction Does Not Exist", to: again), from: H.carrierA)
        let bye = try #require(gone.requests(.bye, to: Self.platform).first)
        #expect(bye.firstValue(.reason)?.contains("Session timer expired: refresh answered 481") == true)
    }

    @Test func anExpiredSessionOnACriticalLineFailsTheCarrierLegOver() throws {
        var harness = try B2BUAHarness(carrierA: Self.timer("session_expires_s: 90, refresher: peer"), critical: true,
                                       media: MediaAnchorTests.media)
        let (invite, _, _) = try Self.establish(&harness, carrierExtra: ["Session-Expires: 90;refresher=uas"],
                                                sdp: MediaAnchorTests.offer)
        #expect(invite.firstValue(Self.sessionExpires) == "90;refresher=uas")
        // 90 - 30 (a third) = 60 s without a refresh from carrier A.
        #expect(harness.advance(by: .seconds(59)).requests(.invite, to: Self.carrierB).isEmpty)
        let out = harness.advance(by: .seconds(1))
        let replacement = try #require(out.requests(.invite, to: Self.carrierB).first, "carrier B is called")
        #expect(!String(decoding: replacement.body, as: UTF8.self).isEmpty, "with the platform's last SDP")
        let bye = try #require(out.requests(.bye, to: Self.carrierA).first)
        #expect(bye.firstValue(.reason) == "SIP;cause=408;text=\"Mid-call failover: session_expired\"")
        #expect(out.messages(to: Self.platform).isEmpty, "the platform's call goes on")
        #expect(harness.b2bua.takeMidCallReports().contains(.triggered(trunk: "carrier-a", trigger: .sessionExpired)))
    }
}
