// Per-call failover through the real `sbc` binary: carrier A (primary) fails in each of the
// ways carriers fail, carrier B (secondary) answers, and the platform must see only success or
// exactly one final response. Each test asserts what each carrier received and what the
// platform received.
import Foundation
import Testing

@Suite("Per-call failover end to end (sbc binary + SIPp)", .serialized, .timeLimit(.minutes(2)))
struct FailoverEndToEndTests {
    /// INVITEs (initial, retransmissions included) that reached a silent carrier socket.
    private static func invites(at socket: UDPSocket) async -> [SIPMessage] {
        await socket.drain(quiet: .milliseconds(150)).compactMap { SIPMessage(bytes: $0.bytes) }
            .filter { $0.method == "INVITE" }
    }

    @Test("carrier A answers 503: every call completes on B, A sees each INVITE once until passive health takes it out")
    func primaryServiceUnavailable() async throws {
        try await withLab("failover-503") { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_503", at: b.carrierA, name: "carrierA")
            let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()

            let caller = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 10,
                                                 rate: 20, pauseMs: 100)
            let primary = await lab.finish(carrierA)
            let secondary = await lab.finish(carrierB)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(lab.sbcLog)")
            #expect(caller.receivedResponses(503).isEmpty, "the platform never sees the carrier's 503")
            // Each INVITE reaches A once (no retransmission after its 503), and passive health
            // (passive_failures 5 within 60 s) then takes A out of selection for the rest.
            let invites = primary.receivedRequests("INVITE")
            #expect(invites.count == 5, "\(primary.diagnostics)")
            #expect(primary.receivedInitialInviteCallIDs.count == invites.count, "no INVITE reached A twice")
            #expect(Set(primary.receivedRequests("ACK").compactMap(\.callID)).count == invites.count,
                    "each 503 is ACKed\n\(primary.diagnostics)")
            #expect(Set(secondary.sentResponses(200, to: "BYE").compactMap(\.callID)).count == 10,
                    "carrier B completes the 10 calls\n\(secondary.diagnostics)")

            // CDRs: one row per call, one per attempt, as `sbc cdr` shows them.
            let records = try await lab.callDetailRecords()
            #expect(records.count == 10, "\(records)")
            #expect(records.allSatisfy { $0["disposition"] as? String == "answered" })
            #expect(records.allSatisfy { $0["final_trunk"] as? String == "carrier-b" })
            let attempts = records.compactMap { $0["attempts"] as? [[String: Any]] }
            #expect(attempts.count == 10)
            #expect(attempts.allSatisfy { $0.last?["trunk"] as? String == "carrier-b"
                && $0.last?["outcome"] as? String == "answered" })
            let onA = attempts.compactMap(\.first).filter { $0["trunk"] as? String == "carrier-a" }
            #expect(onA.count == 10, "every call considered carrier A first")
            #expect(onA.filter { $0["outcome"] as? String == "failed_over" && $0["response_code"] as? Int == 503 }
                .count == 5)
            #expect(onA.filter { $0["outcome"] as? String == "skipped" }.count == 5, "then A was down")
        }
    }

    @Test("503 with Retry-After: 30 quarantines A: it gets one INVITE, every call completes on B")
    func retryAfterQuarantine() async throws {
        try await withLab("failover-retry-after") { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_503_retry_after", at: b.carrierA, name: "carrierA")
            let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()

            let caller = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 10,
                                                 rate: 5, pauseMs: 100)
            let primary = await lab.finish(carrierA)
            let secondary = await lab.finish(carrierB)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(lab.sbcLog)")
            #expect(primary.receivedRequests("INVITE").count == 1,
                    "a quarantined trunk gets no INVITE\n\(primary.diagnostics)")
            #expect(Set(secondary.sentResponses(200, to: "BYE").compactMap(\.callID)).count == 10,
                    "\(secondary.diagnostics)")
        }
    }

    @Test("carrier A never answers: calls complete on B after the first-provisional timer")
    func silentPrimary() async throws {
        var options = LabOptions()
        options.firstProvisionalMs = 400
        try await withLab("failover-silent", options: options) { lab in
            let b = lab.block
            let carrierA = try lab.socket(b.carrierA.ip, port: b.carrierA.port)
            let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()

            let started = ContinuousClock.now
            let caller = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 3,
                                                 rate: 10, pauseMs: 100)
            let elapsed = ContinuousClock.now - started
            let secondary = await lab.finish(carrierB)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(lab.sbcLog)")
            #expect(Set(await Self.invites(at: carrierA).map(\.callID)).count == 3, "each call tried A first")
            #expect(Set(secondary.sentResponses(200, to: "BYE").compactMap(\.callID)).count == 3,
                    "\(secondary.diagnostics)")
            #expect(elapsed >= .milliseconds(400), "B is tried only after the first-provisional time")
        }
    }

    @Test("486 from A is relayed to the platform and B is never tried")
    func busyIsFinal() async throws {
        try await withLab("failover-486") { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_486", at: b.carrierA, name: "carrierA")
            let carrierB = try lab.socket(b.carrierB.ip, port: b.carrierB.port)
            try await lab.startSBC()

            let caller = try await lab.runCaller("uac_expect_486", from: b.platform, to: b.sbcPlatform, calls: 3)
            let primary = await lab.finish(carrierA)

            #expect(caller.allCallsSucceeded, "the platform must get exactly 486\n\(caller.diagnostics)\n\(lab.sbcLog)")
            #expect(primary.receivedRequests("INVITE").count == 3, "\(primary.diagnostics)")
            #expect(await Self.invites(at: carrierB).isEmpty, "B must not be tried after a 486")
        }
    }

    @Test("183 with SDP then 503: early media commits the call, the platform gets the 503")
    func noFailoverAfterEarlyMedia() async throws {
        try await withLab("failover-early-media") { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_183_503", at: b.carrierA, name: "carrierA")
            let carrierB = try lab.socket(b.carrierB.ip, port: b.carrierB.port)
            try await lab.startSBC()

            let caller = try await lab.runCaller("uac_expect_503", from: b.platform, to: b.sbcPlatform, calls: 3)
            _ = await lab.finish(carrierA)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(lab.sbcLog)")
            #expect(caller.receivedResponses(183).count >= 3, "early media reaches the platform")
            #expect(await Self.invites(at: carrierB).isEmpty, "never fail over after early media")
        }
    }

    @Test("carrier A on TCP with its port closed: connection refused fails over to B at once")
    func closedTCPPort() async throws {
        var options = LabOptions()
        options.carrierATransport = "tcp"
        try await withLab("failover-tcp-refused", options: options) { lab in
            let b = lab.block
            let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()

            let started = ContinuousClock.now
            let caller = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 3,
                                                 rate: 10, pauseMs: 100)
            let elapsed = ContinuousClock.now - started
            let secondary = await lab.finish(carrierB)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(lab.sbcLog)")
            #expect(Set(secondary.sentResponses(200, to: "BYE").compactMap(\.callID)).count == 3,
                    "\(secondary.diagnostics)")
            #expect(elapsed < .seconds(2), "a refused connection fails over without waiting for a timer")
        }
    }

    @Test("the secondary's header profile shapes the failover INVITE: exact lines at carrier B")
    func profileOnFailover() async throws {
        var options = LabOptions()
        options.carrierBProfile = true
        try await withLab("failover-profile", options: options) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_503", at: b.carrierA, name: "carrierA")
            let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()

            let caller = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 2)
            let primary = await lab.finish(carrierA)
            let secondary = await lab.finish(carrierB)

            #expect(caller.allCallsSucceeded, "\(caller.diagnostics)\n\(lab.sbcLog)")
            let atA = try #require(primary.receivedRequests("INVITE").first)
            #expect(atA.raw.contains("\nX-Internal-Queue: billing\r\n") || atA.raw.contains("\nX-Internal-Queue: billing\n"),
                    "carrier A has no profile: the platform's header passes\n\(atA.raw)")
            let invites = secondary.receivedRequests("INVITE")
            #expect(invites.count == 2, "\(secondary.diagnostics)")
            for invite in invites {
                let lines = invite.raw.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").map(String.init)
                #expect(lines.first == "INVITE sip:15551230000@\(b.carrierB.ip):\(b.carrierB.port) SIP/2.0",
                        "the Request-URI user lost its +: \(lines.first ?? "")")
                #expect(lines.contains("X-Provider: secondary"))
                #expect(lines.contains { $0.hasPrefix("X-Trace: ") && $0.contains("@\(b.platform.ip)") },
                        "variables expand: X-Trace carries the Call-ID")
                #expect(lines.contains("P-Asserted-Identity: <sip:sipp@carrier-b.example>"))
                #expect(lines.contains("Privacy: id"))
                #expect(!lines.contains { $0.lowercased().hasPrefix("x-internal") }, "the denylist strips X-Internal-*")
            }
        }
    }
}
