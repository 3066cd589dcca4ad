// Mid-call failover for critical lines through the built `sbc` (docs/FAILOVER.md, "Mid-call
// failover"): an answered call to +1999... whose carrier (A) dies is re-originated on carrier B
// while the platform keeps its dialog and its media port. SIPp plays the signalling of every
// party; the media of the platform and both carriers is played by the test itself from UDP
// sockets (RTPParty), so that it can stop or kill carrier A's RTP at a moment of its choosing and
// time what arrives where. Each test runs on its own LabBlock.
import Foundation
import Testing

@Suite("Mid-call failover end to end (sbc binary + SIPp + test-owned RTP)", .serialized, .timeLimit(.minutes(2)))
struct MidCallFailoverEndToEndTests {
    static let criticalNumber = "+19995550100"
    static let ordinaryNumber = "+15551230000"
    static let platformSSRC: UInt32 = 0x9A7F_0001
    static let carrierASSRC: UInt32 = 0xCA11_000A
    static let carrierBSSRC: UInt32 = 0xCA11_000B

    /// `-key` arguments that point a scenario's SDP at `socket` (uas_media, uac_test_media*).
    static func mediaKeys(_ socket: UDPSocket) -> [String] {
        ["-key", "rtp_ip", socket.local.ip, "-key", "rtp_port", String(socket.local.port)]
    }

    /// The lab with the critical route and every mid-call trigger on (keepalive off), the admin
    /// API on for /metrics.
    static func options(mediaTimeoutSeconds: Int = 4) -> LabOptions {
        var options = LabOptions.midCall()
        options.admin = true
        options.mediaTimeoutSeconds = mediaTimeoutSeconds
        return options
    }

    static func metrics(_ lab: Lab) async -> String {
        let admin = AdminClient(base: URL(string: "http://\(lab.block.admin.ip):\(lab.block.admin.port)/")!,
                                token: LabConfig.adminToken)
        return (try? await admin.text("metrics"))?.body ?? "(GET /metrics failed)"
    }

    /// The CDR's attempts as (trunk, outcome, reason).
    static func attempts(_ cdr: [String: Any]) -> [(trunk: String?, outcome: String?, reason: String?)] {
        ((cdr["attempts"] as? [[String: Any]]) ?? []).map {
            ($0["trunk"] as? String, $0["outcome"] as? String, $0["reason"] as? String)
        }
    }

    // MARK: a. re-INVITE refused with 503

    @Test("carrier A answers the platform's re-INVITE with 503: B gets the re-INVITE's SDP, the platform its 200, the BYE goes to B")
    func reinviteRefusedWith503() async throws {
        // No RTP in this test: a media timeout far away keeps it out of the picture.
        try await withLab("midcall-reinvite-503", options: Self.options(mediaTimeoutSeconds: 60)) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_reinvite_503", at: b.carrierA, name: "carrierA")
            let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()

            // INVITE offering PCMU / ACK / 1 s / re-INVITE offering PCMU and PCMA / 200 / ACK / 1 s / BYE.
            let caller = try await lab.runCaller("uac_reinvite", from: b.platform, to: b.sbcPlatform, calls: 1,
                                                 pauseMs: 1000, service: Self.criticalNumber, timeout: .seconds(30))
            let metrics = await Self.metrics(lab)
            let primary = await lab.finish(carrierA)
            let secondary = await lab.finish(carrierB)
            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(primary.diagnostics)\n\(lab.sbcLog)")

            // The platform: a 200 to its re-INVITE naming the same SBC port as before; no BYE, no error.
            let answers = caller.receivedResponses(200, to: "INVITE")
            let initial = try #require(answers.first { $0.cseqNumber == 1 }, "\(caller.diagnostics)")
            let reinviteAnswer = try #require(answers.first { $0.cseqNumber == 2 },
                                              "the platform's re-INVITE got no 200\n\(caller.diagnostics)\n\(lab.sbcLog)")
            let platformPort = try #require(sdpAudioEndpoint(initial.body))
            #expect(platformPort.ip == b.sbcIP && LabOptions.mediaPorts.contains(Int(platformPort.port)), "\(initial.body)")
            #expect(sdpAudioEndpoint(reinviteAnswer.body) == platformPort,
                    "the platform-side relay port does not change\n\(reinviteAnswer.body)")
            #expect(caller.receivedRequests("BYE").isEmpty && caller.received.allSatisfy { ($0.statusCode ?? 200) < 300 },
                    "the platform sees neither the 503 nor a hang-up")

            // Carrier B: one INVITE with the platform's re-INVITE SDP, anchored on the SBC.
            let invitesA = primary.receivedRequests("INVITE")
            let inviteA = try #require(invitesA.first { $0.tag("To") == nil })
            #expect(invitesA.contains { $0.tag("To") != nil }, "A got the re-INVITE\n\(primary.diagnostics)")
            let inviteB = try #require(secondary.receivedRequests("INVITE").first,
                                       "carrier B was not called\n\(secondary.diagnostics)\n\(lab.sbcLog)")
            #expect(secondary.receivedInitialInviteCallIDs.count == 1, "one INVITE reaches B")
            #expect(inviteB.requestURI?.contains(Self.criticalNumber) == true, "\(inviteB.startLine)")
            #expect(inviteB.callID == caller.sentRequests("INVITE").first?.callID, "call_id: preserve keeps the Call-ID")
            #expect(inviteB.tag("From") != nil && inviteB.tag("From") != inviteA.tag("From"), "a new From tag: a new dialog")
            let offerB = inviteB.body
            let relayB = try #require(sdpAudioEndpoint(offerB), "\(offerB)")
            #expect(offerB.contains("c=IN IP4 \(b.sbcIP)") && relayB.ip == b.sbcIP, "\(offerB)")
            #expect(LabOptions.mediaPorts.contains(Int(relayB.port)), "\(offerB)")
            #expect(offerB.contains("RTP/AVP 0 8") && offerB.contains("PCMA/8000"),
                    "B is offered the re-INVITE's media (PCMU and PCMA), not the first INVITE's\n\(offerB)")
            #expect(!containsAddress(offerB, b.platform.ip), "the platform's address is hidden")

            // The platform's BYE reaches B, not A; A was hung up by the SBC with the reason.
            #expect(secondary.receivedRequests("BYE").count == 1, "\(secondary.diagnostics)")
            let byesA = primary.receivedRequests("BYE")
            #expect(byesA.count == 1, "\(primary.diagnostics)")
            let reason = try #require(byesA.first?.values("Reason").first, "carrier A's BYE has a Reason")
            #expect(reason.contains("cause=503") && reason.contains("Mid-call failover"), "\(reason)")

            #expect(prometheusValue(metrics, "sbc_mid_call_failovers_total",
                                    labels: ["trunk": "carrier-a", "trigger": "reinvite_503"]) == 1, "\(metrics)")

            let cdr = try #require(try await lab.callDetailRecords().first)
            #expect(cdr["disposition"] as? String == "answered")
            let attempts = Self.attempts(cdr)
            #expect(attempts.map(\.trunk) == ["carrier-a", "carrier-b"], "\(cdr)")
            #expect(attempts.map(\.outcome) == ["mid_call_failover", "answered"], "\(cdr)")
            #expect(attempts.first?.reason == "reinvite_503", "\(cdr)")
        }
    }

    // MARK: b-d. carrier A's media stops or dies

    /// A call from the platform with test-owned media on every side, answered by carrier A.
    struct MediaCall {
        let caller: SIPpProcess
        let carrierA: SIPpProcess
        let carrierB: SIPpProcess?
        /// Carrier B's SIP port when B is a plain socket (nothing must reach it).
        let carrierBSIP: UDPSocket?
        let platform: RTPParty
        let mediaA: RTPParty
        let mediaB: RTPParty
        /// Where the platform sends: the SBC's platform-side relay port, from its 200.
        let platformRelay: Endpoint
        var parties: [RTPParty] { [platform, mediaA, mediaB] }
    }

    /// Sets up the call and plays RTP both ways through carrier A for 1.5 s.
    static func establish(_ lab: Lab, service: String, scenario: String, pauseMs: Int,
                          carrierB: Bool = true) async throws -> MediaCall {
        let b = lab.block
        let platformSocket = try lab.socket(b.platform.ip)
        let socketA = try lab.socket(b.carrierA.ip)
        let socketB = try lab.socket(b.carrierB.ip)
        let calleeA = try await lab.startCallee("uas_media", at: b.carrierA, name: "carrierA",
                                                extraArguments: mediaKeys(socketA))
        var calleeB: SIPpProcess?
        var carrierBSIP: UDPSocket?
        if carrierB {
            calleeB = try await lab.startCallee("uas_media", at: b.carrierB, name: "carrierB",
                                                extraArguments: mediaKeys(socketB))
        } else {
            carrierBSIP = try lab.socket(b.carrierB.ip, port: b.carrierB.port)
        }
        try await lab.startSBC()
        let caller = try lab.startCaller(scenario, from: b.platform, to: b.sbcPlatform, calls: 1, pauseMs: pauseMs,
                                         service: service, extraArguments: mediaKeys(platformSocket))
        let ok = try #require(await caller.waitForMessage(timeout: .seconds(10)) {
            $0.direction == .received && $0.message.statusCode == 200 && $0.message.cseqMethod == "INVITE"
        }, "the platform's call was not answered\n\(lab.sbcLog)")
        let relay = try #require(sdpAudioEndpoint(ok.body), "\(ok.body)")
        #expect(relay.ip == b.sbcIP && LabOptions.mediaPorts.contains(Int(relay.port)), "\(ok.body)")

        let call = MediaCall(
            caller: caller, carrierA: calleeA, carrierB: calleeB, carrierBSIP: carrierBSIP,
            platform: RTPParty("platform", socket: platformSocket, ssrc: platformSSRC, destination: relay),
            mediaA: RTPParty("carrier A", socket: socketA, ssrc: carrierASSRC, learnsDestination: true),
            mediaB: RTPParty("carrier B", socket: socketB, ssrc: carrierBSSRC, learnsDestination: true),
            platformRelay: relay)
        // Carrier A answers the platform's RTP from where it hears it (the SBC's carrier-side port).
        await playRTP(call.parties, for: .seconds(6)) { call.mediaA.sent >= 75 }
        let heard = call.platform.received(from: carrierASSRC)
        #expect(heard.count >= 50, "carrier A's RTP reaches the platform (got \(heard.count))\n\(lab.sbcLog)")
        #expect(heard.allSatisfy { $0.from == relay }, "from the port the platform sends to (symmetric RTP)")
        return call
    }

    /// After the failover: B's RTP for 2 s, then media both ways until the platform hangs up.
    static func checkCarrierBCarriesTheCall(_ lab: Lab, _ call: MediaCall) async {
        let sentBefore = call.mediaB.sent
        await playRTP(call.parties, for: .seconds(2))
        let sent = call.mediaB.sent - sentBefore
        let atPlatform = call.platform.received(from: carrierBSSRC)
        #expect(sent >= 90, "B sends once it hears the platform")
        #expect(atPlatform.count >= sent * 8 / 10, "B's RTP reaches the platform (\(atPlatform.count) of \(sent))\n\(lab.sbcLog)")
        #expect(!atPlatform.isEmpty && atPlatform.allSatisfy { $0.from == call.platformRelay },
                "on the port the platform already uses: \(Set(atPlatform.map(\.from))) vs \(call.platformRelay)")
        let platformAtB = call.mediaB.received(from: platformSSRC)
        #expect(platformAtB.count >= 90, "the platform's RTP reaches B (\(platformAtB.count))")
        #expect(call.mediaB.received.allSatisfy { $0.from.ip == lab.block.sbcIP }, "B hears only the SBC")
        // The platform hangs up at the end of its pause; media flows until then.
        await playRTP(call.parties, for: .seconds(20)) { !call.caller.process.isRunning }
    }

    /// Carrier B's INVITE: the platform's SDP anchored on the SBC, the platform's Call-ID, a new From tag.
    static func checkInviteToB(_ lab: Lab, caller: SIPpResult, primary: SIPpResult, secondary: SIPpResult) throws {
        let invite = try #require(secondary.receivedRequests("INVITE").first, "B was not called\n\(secondary.diagnostics)")
        #expect(secondary.receivedInitialInviteCallIDs.count == 1)
        #expect(invite.requestURI?.contains(criticalNumber) == true, "\(invite.startLine)")
        #expect(invite.callID == caller.sentRequests("INVITE").first?.callID, "call_id: preserve keeps the Call-ID")
        #expect(invite.tag("From") != nil && invite.tag("From") != primary.receivedRequests("INVITE").first?.tag("From"))
        let relay = try #require(sdpAudioEndpoint(invite.body), "\(invite.body)")
        #expect(relay.ip == lab.block.sbcIP && LabOptions.mediaPorts.contains(Int(relay.port)), "\(invite.body)")
        #expect(invite.body.contains("PCMA/8000") && !containsAddress(invite.body, lab.block.platform.ip), "\(invite.body)")
    }

    @Test("carrier A stops sending RTP: B is called after the 4 s media timeout and its RTP reaches the platform on its old port")
    func carrierMediaStops() async throws {
        let options = Self.options()
        #expect(options.mediaTimeoutSeconds == 4)
        try await withLab("midcall-media-timeout", options: options) { lab in
            let call = try await Self.establish(lab, service: Self.criticalNumber, scenario: "uac_test_media",
                                                pauseMs: 12000)
            call.mediaA.sending = false
            let silentSince = ContinuousClock.now
            let called = await playRTP(call.parties, for: .seconds(8)) { !call.mediaB.received.isEmpty }
            #expect(called, "carrier B never heard the platform: not called\n\(lab.sbcLog)")
            if let heard = call.mediaB.received.first?.at {
                let delay = heard - silentSince
                #expect(delay >= .milliseconds(3900) && delay <= .milliseconds(5500),
                        "B called 4-5 s after A fell silent (took \(delay))\n\(lab.sbcLog)")
            }
            await Self.checkCarrierBCarriesTheCall(lab, call)

            let result = await call.caller.waitForCompletion(timeout: .seconds(20))
            let metrics = await Self.metrics(lab)
            let primary = await lab.finish(call.carrierA)
            let calleeB = try #require(call.carrierB)
            let secondary = await lab.finish(calleeB)
            #expect(result.allCallsSucceeded, "the platform's call lives on and its BYE is answered\n\(result.diagnostics)\n\(lab.sbcLog)")
            #expect(result.receivedRequests("BYE").isEmpty, "the SBC never hangs the platform up")
            #expect(result.receivedRequests("INVITE").isEmpty, "same codec on B: no re-INVITE to the platform")
            try Self.checkInviteToB(lab, caller: result, primary: primary, secondary: secondary)
            #expect(secondary.receivedRequests("BYE").count == 1, "the platform's BYE reaches B\n\(secondary.diagnostics)")
            let byesA = primary.receivedRequests("BYE")
            #expect(byesA.count == 1, "A gets the SBC's BYE only\n\(primary.diagnostics)")
            let reason = try #require(byesA.first?.values("Reason").first, "carrier A's BYE has a Reason")
            #expect(reason.contains("Mid-call failover") && reason.contains("media_timeout"), "\(reason)")

            #expect(prometheusValue(metrics, "sbc_mid_call_failovers_total",
                                    labels: ["trunk": "carrier-a", "trigger": "media_timeout"]) == 1, "\(metrics)")
            #expect(prometheusValue(metrics, "sbc_mid_call_failover_reaction_seconds_count") == 1, "\(metrics)")
            #expect(prometheusValue(metrics, "sbc_mid_call_failover_audio_gap_seconds_count") == 1, "\(metrics)")
            let gap = prometheusValue(metrics, "sbc_mid_call_failover_audio_gap_seconds_sum") ?? 0
            #expect(gap >= 3.9 && gap <= 6.5, "the SBC's audio gap: the 4 s timeout plus B's set-up (\(gap) s)")

            let cdr = try #require(try await lab.callDetailRecords().first)
            #expect(cdr["disposition"] as? String == "answered", "\(cdr)")
            let attempts = Self.attempts(cdr)
            #expect(attempts.map(\.trunk) == ["carrier-a", "carrier-b"], "\(cdr)")
            #expect(attempts.map(\.outcome) == ["mid_call_failover", "answered"], "\(cdr)")
            #expect(attempts.first?.reason == "media_timeout", "\(cdr)")
        }
    }

    @Test("the same on a non-critical number: the call ends on the media timeout with a Reason and B is never called")
    func nonCriticalCallEndsOnMediaTimeout() async throws {
        try await withLab("midcall-not-critical", options: Self.options()) { lab in
            let call = try await Self.establish(lab, service: Self.ordinaryNumber, scenario: "uac_test_media_wait_bye",
                                                pauseMs: 200, carrierB: false)
            call.mediaA.sending = false
            let silentSince = ContinuousClock.now
            // The platform keeps sending; the relay forwards to A until the SBC ends the call.
            await playRTP(call.parties, for: .seconds(10)) { !call.caller.process.isRunning }
            let result = await call.caller.waitForCompletion(timeout: .seconds(20))
            let primary = await lab.finish(call.carrierA)
            let lastAtA = call.mediaA.received(from: Self.platformSSRC).last?.at ?? silentSince
            let detection = lastAtA - silentSince
            #expect(detection >= .milliseconds(3900) && detection <= .milliseconds(5500),
                    "BYE 4-5 s after A fell silent (took \(detection))\n\(lab.sbcLog)")
            #expect(result.allCallsSucceeded, "the platform gets a BYE and answers it\n\(result.diagnostics)\n\(lab.sbcLog)")
            for bye in [result.receivedRequests("BYE").first, primary.receivedRequests("BYE").first] {
                let reason = try #require(bye?.values("Reason").first, "both sides get a BYE with a Reason")
                #expect(reason.contains("cause=408") && reason.contains("Media timeout"), "\(reason)")
            }
            let carrierBSIP = try #require(call.carrierBSIP)
            let atB = await carrierBSIP.drainSIP()
            #expect(atB.allSatisfy { $0.method != "INVITE" }, "B is never called: \(atB.map(\.startLine))")
            #expect(call.mediaB.received.isEmpty)

            let cdr = try #require(try await lab.callDetailRecords().first)
            #expect(cdr["disposition"] as? String == "media_timeout", "\(cdr)")
            let attempts = Self.attempts(cdr)
            #expect(attempts.map(\.trunk) == ["carrier-a"], "\(cdr)")
            #expect(attempts.first?.outcome == "answered", "\(cdr)")
        }
    }

    @Test("carrier A's media socket closes (ICMP port unreachable): B is called within 1 s")
    func carrierMediaUnreachable() async throws {
        try await withLab("midcall-icmp", options: Self.options()) { lab in
            let call = try await Self.establish(lab, service: Self.criticalNumber, scenario: "uac_test_media",
                                                pauseMs: 8000)
            call.mediaA.kill()
            let killedAt = ContinuousClock.now
            let called = await playRTP(call.parties, for: .seconds(6)) { !call.mediaB.received.isEmpty }
            #expect(called, "carrier B never heard the platform: not called\n\(lab.sbcLog)")
            if let heard = call.mediaB.received.first?.at {
                #expect(heard - killedAt <= .seconds(1),
                        "3 ICMP errors at 50 packets/s: B called well within 1 s (took \(heard - killedAt))\n\(lab.sbcLog)")
            }
            await Self.checkCarrierBCarriesTheCall(lab, call)

            let result = await call.caller.waitForCompletion(timeout: .seconds(20))
            let primary = await lab.finish(call.carrierA)
            let calleeB = try #require(call.carrierB)
            let secondary = await lab.finish(calleeB)
            #expect(result.allCallsSucceeded, "\(result.diagnostics)\n\(lab.sbcLog)")
            #expect(result.receivedRequests("BYE").isEmpty)
            try Self.checkInviteToB(lab, caller: result, primary: primary, secondary: secondary)
            #expect(secondary.receivedRequests("BYE").count == 1, "the platform's BYE reaches B")
            // A's signalling is still there: it gets the SBC's BYE with the reason.
            let reason = try #require(primary.receivedRequests("BYE").first?.values("Reason").first,
                                      "\(primary.diagnostics)")
            #expect(reason.contains("Mid-call failover") && reason.contains("icmp_unreachable"), "\(reason)")

            let cdr = try #require(try await lab.callDetailRecords().first)
            #expect(cdr["disposition"] as? String == "answered", "\(cdr)")
            let attempts = Self.attempts(cdr)
            #expect(attempts.map(\.outcome) == ["mid_call_failover", "answered"], "\(cdr)")
            #expect(attempts.first?.reason == "icmp_unreachable", "\(cdr)")
        }
    }
}

extension UDPSocket {
    /// Every SIP message already queued on this socket.
    func drainSIP() async -> [SIPMessage] {
        await drain(quiet: .milliseconds(100)).compactMap { SIPMessage(bytes: $0.bytes) }
    }
}
