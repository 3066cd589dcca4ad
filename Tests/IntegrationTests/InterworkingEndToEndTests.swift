// Carrier interworking through the built `sbc` with SIPp peers (docs/SIP.md, "Provisional
// responses and 100rel" and "Session timers"): a carrier that requires 100rel and plays early
// media, a carrier that refreshes its session timer, and one that never does. Media is played by
// the test from UDP sockets (RTPParty), so it can tell what flowed before the answer.
import Foundation
import Testing

@Suite("Carrier interworking end to end (sbc binary + SIPp)", .serialized, .timeLimit(.minutes(2)))
struct InterworkingEndToEndTests {
    static let platformSSRC: UInt32 = 0x9A7F_1001
    static let carrierSSRC: UInt32 = 0xCA11_1001

    static func mediaKeys(_ socket: UDPSocket) -> [String] {
        ["-key", "rtp_ip", socket.local.ip, "-key", "rtp_port", String(socket.local.port)]
    }

    @Test("a carrier requiring 100rel sends 183 with SDP, then 200: the SBC PRACKs it and the platform's media flows before the answer")
    func reliableEarlyMedia() async throws {
        var options = LabOptions()
        options.carrierAInterworking = ["100rel: supported", "early_media: relay"]
        try await withLab("interworking-100rel", options: options) { lab in
            let b = lab.block
            let platformSocket = try lab.socket(b.platform.ip)
            let carrierSocket = try lab.socket(b.carrierA.ip)
            // The carrier waits 2.5 s between the PRACK's 200 and its own 200: early media time.
            let callee = try await lab.startCallee("uas_100rel_183", at: b.carrierA, pauseMs: 2500,
                                                   extraArguments: Self.mediaKeys(carrierSocket))
            try await lab.startSBC()
            let caller = try lab.startCaller("uac_test_media", from: b.platform, to: b.sbcPlatform, calls: 1,
                                             pauseMs: 500, extraArguments: Self.mediaKeys(platformSocket))
            let progress = try #require(await caller.waitForMessage(timeout: .seconds(10)) {
                $0.direction == .received && $0.message.statusCode == 183
            }, "no 183 reached the platform\n\(lab.sbcLog)")
            let relay = try #require(sdpAudioEndpoint(progress.body), "\(progress.body)")
            #expect(relay.ip == b.sbcIP)

            // One second of RTP both ways, while the carrier has not answered.
            let platform = RTPParty("platform", socket: platformSocket, ssrc: Self.platformSSRC, destination: relay)
            let carrier = RTPParty("carrier", socket: carrierSocket, ssrc: Self.carrierSSRC, learnsDestination: true)
            await playRTP([platform, carrier], for: .seconds(1))
            let answeredYet = caller.entriesSoFar().contains { $0.direction == .received && $0.message.statusCode == 200 }
            #expect(!answeredYet, "the test ran its early media after the answer; the carrier's pause is too short")
            let early = carrier.received(from: Self.platformSSRC).count
            #expect(early >= 30, "the platform's RTP reaches the carrier before the answer (got \(early) of 50)\n\(lab.sbcLog)")
            #expect(carrier.received.allSatisfy { $0.from.ip == b.sbcIP }, "through the relay only")
            #expect(platform.received(from: Self.carrierSSRC).count >= 20, "and the carrier's early media reaches the platform")

            let result = await caller.waitForCompletion(timeout: .seconds(20))
            let calleeResult = await lab.finish(callee)
            #expect(result.allCallsSucceeded, "\(result.diagnostics)\n\(calleeResult.diagnostics)\n\(lab.sbcLog)")
            #expect(calleeResult.allCallsSucceeded || calleeResult.receivedRequests("BYE").count == 1,
                    "\(calleeResult.diagnostics)")

            // The carrier got the SBC's own PRACK; the platform, which did not ask for 100rel,
            // an unreliable 183 and no PRACK to send.
            let invite = try #require(calleeResult.receivedRequests("INVITE").first)
            #expect(invite.values("Supported").joined(separator: ",").contains("100rel"), "\(invite)")
            let prack = try #require(calleeResult.receivedRequests("PRACK").first, "\(calleeResult.diagnostics)")
            #expect(prack.first("RAck") == "1 \(invite.cseqNumber ?? 0) INVITE", "\(prack)")
            #expect(progress.first("RSeq") == nil && !(progress.first("Require") ?? "").contains("100rel"))
            #expect(result.sentRequests("PRACK").isEmpty)
        }
    }

    /// Carrier A with a 4 s session interval that it refreshes itself (`refresher: peer`), and no
    /// media timeout in the way.
    static func sessionTimerOptions() -> LabOptions {
        var options = LabOptions()
        options.mediaTimeoutSeconds = 60
        options.carrierAInterworking = ["session_timer: {enabled: true, session_expires_s: 4, min_se_s: 2, refresher: peer}"]
        return options
    }

    /// Carrier A running `scenario` (granting a 4 s interval), and the SBC started.
    static func startSessionTimerCarrier(_ scenario: String, lab: Lab) async throws -> SIPpProcess {
        let callee = try await lab.startCallee(scenario, at: lab.block.carrierA,
                                               extraArguments: ["-key", "session_expires", "4"])
        try await lab.startSBC()
        return callee
    }

    @Test("a carrier that needs session timers refreshes with UPDATE: answered by the SBC, the call outlives the interval")
    func carrierRefreshes() async throws {
        try await withLab("interworking-session-refresh", options: Self.sessionTimerOptions()) { lab in
            let b = lab.block
            let callee = try await Self.startSessionTimerCarrier("uas_session_timer", lab: lab)
            // The platform hangs up 4.5 s after the answer: past the 4 s interval, after 3 refreshes.
            let result = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 1,
                                                 pauseMs: 4500, timeout: .seconds(20))
            let calleeResult = await lab.finish(callee)
            #expect(result.allCallsSucceeded, "\(result.diagnostics)\n\(calleeResult.diagnostics)\n\(lab.sbcLog)")
            #expect(result.receivedRequests("BYE").isEmpty, "the session did not expire")

            let invite = try #require(calleeResult.receivedRequests("INVITE").first)
            #expect(invite.first("Session-Expires") == "4;refresher=uas", "the trunk asks the carrier to refresh")
            #expect(invite.first("Min-SE") == "2")
            let answers = calleeResult.receivedResponses(200, to: "UPDATE")
            #expect(answers.count == 3, "\(calleeResult.diagnostics)")
            #expect(answers.allSatisfy { $0.first("Session-Expires") == "4;refresher=uac" })
            #expect(result.receivedRequests("UPDATE").isEmpty, "refreshes never reach the platform")
            let platformOK = try #require(result.receivedResponses(200, to: "INVITE").first)
            #expect(platformOK.first("Session-Expires") == nil, "the carrier's session timer stays on its leg")
            #expect(calleeResult.receivedRequests("BYE").count == 1, "the platform's BYE")
        }
    }

    @Test("a carrier that never refreshes: the session expires and both legs get a BYE with the Reason")
    func carrierNeverRefreshes() async throws {
        try await withLab("interworking-session-expiry", options: Self.sessionTimerOptions()) { lab in
            let b = lab.block
            let callee = try await Self.startSessionTimerCarrier("uas_session_timer_silent", lab: lab)
            let started = ContinuousClock.now
            let result = try await lab.runCaller("uac_wait_bye", from: b.platform, to: b.sbcPlatform, calls: 1,
                                                 timeout: .seconds(15))
            let elapsed = ContinuousClock.now - started
            let calleeResult = await lab.finish(callee)
            #expect(result.allCallsSucceeded, "\(result.diagnostics)\n\(lab.sbcLog)")
            // 4 s - 4/3 s: the SBC gives the session up 2.7 s after the answer.
            #expect(elapsed >= .milliseconds(2500) && elapsed <= .seconds(6), "took \(elapsed)")
            for bye in [result.receivedRequests("BYE").first, calleeResult.receivedRequests("BYE").first] {
                let reason = try #require(bye?.first("Reason"), "both legs get a BYE with a Reason\n\(lab.sbcLog)")
                #expect(reason == "SIP;cause=408;text=\"Session timer expired: no refresh from carrier-a\"", "\(reason)")
            }
            let cdr = try #require(try await lab.callDetailRecords().first)
            #expect(cdr["ended_by"] as? String == "sbc")
        }
    }
}
