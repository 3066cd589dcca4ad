// Carrier health through the real `sbc` binary: OPTIONS probes (SIPp answers them with -aa),
// down/recovery with hysteresis, sticky fail-back, operator locks that survive a restart, and
// the admin API's authentication. Lab timings scaled down: 1 s probes, 500 ms timeout, down
// after 3, up after 2, a 3 s recovery hold.
import Foundation
import Testing

@Suite("Carrier health end to end (sbc binary + SIPp + admin API)", .serialized, .timeLimit(.minutes(2)))
struct HealthEndToEndTests {
    static func options(failBack: String = "auto") -> LabOptions {
        var options = LabOptions()
        options.probes = true
        options.admin = true
        options.failBack = failBack
        return options
    }

    static func client(_ lab: Lab, token: String? = LabConfig.adminToken) -> AdminClient {
        AdminClient(base: URL(string: "http://\(lab.block.admin.ip):\(lab.block.admin.port)/")!, token: token)
    }

    /// INVITEs that reached a carrier's socket.
    static func invites(at socket: UDPSocket) async -> Int {
        await socket.drain(quiet: .milliseconds(100)).compactMap { SIPMessage(bytes: $0.bytes) }
            .filter { $0.method == "INVITE" }.count
    }

    @Test("a carrier that stops answering OPTIONS goes down within interval x N + timeout; calls skip it")
    func carrierGoesDownAndComesBackAfterTheHold() async throws {
        try await withLab("health-down-up", options: Self.options()) { lab in
            let b = lab.block
            var carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()
            let admin = Self.client(lab)
            #expect(try await admin.waitForTrunk("carrier-a", state: "up", within: .seconds(5)), "\(lab.sbcLog)")

            _ = await lab.finish(carrierA)
            let silentA = try lab.socket(b.carrierA.ip, port: b.carrierA.port)
            let stopped = ContinuousClock.now
            #expect(try await admin.waitForTrunk("carrier-a", state: "down", within: .seconds(5)), "\(lab.sbcLog)")
            #expect(ContinuousClock.now - stopped <= .seconds(5), "down within 3 x 1 s + 500 ms (+ slack)")
            _ = await Self.invites(at: silentA)

            let whileDown = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 3)
            #expect(whileDown.allCallsSucceeded, "\(whileDown.diagnostics)\n\(lab.sbcLog)")
            #expect(await Self.invites(at: silentA) == 0, "a down trunk is not touched by new calls")

            silentA.close()
            carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA-again")
            #expect(try await admin.waitForTrunk("carrier-a", state: "recovering", within: .seconds(5)), "\(lab.sbcLog)")
            let duringHold = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 2,
                                                     name: "caller-hold")
            #expect(duringHold.allCallsSucceeded)
            #expect(try await admin.waitForTrunk("carrier-a", state: "up", within: .seconds(6)), "\(lab.sbcLog)")
            let after = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 2,
                                                name: "caller-after")
            let primary = await lab.finish(carrierA)
            _ = await lab.finish(carrierB)
            #expect(after.allCallsSucceeded)
            let callsOnA = primary.receivedInitialInviteCallIDs
            #expect(callsOnA.count == 2, "only the calls after the hold reached carrier A: \(callsOnA)")

            let audit = try await admin.get("api/v1/audit?limit=1000")
            #expect(audit.status == 200)
            let transitions = audit.array.filter { $0["subject"] as? String == "carrier-a" }
                .compactMap { $0["to"] as? String }
            #expect(transitions.contains("down") && transitions.contains("recovering") && transitions.contains("up"),
                    "every state change is audited: \(transitions)")
        }
    }

    @Test("sticky fail-back: a recovered primary stays unused until an operator approves")
    func stickyFailBackWaitsForApproval() async throws {
        try await withLab("health-sticky", options: Self.options(failBack: "sticky")) { lab in
            let b = lab.block
            let silentA = try lab.socket(b.carrierA.ip, port: b.carrierA.port)
            let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()
            let admin = Self.client(lab)
            #expect(try await admin.waitForTrunk("carrier-a", state: "down", within: .seconds(6)), "\(lab.sbcLog)")
            silentA.close()
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            #expect(try await admin.waitForTrunk("carrier-a", state: "recovering", within: .seconds(5)))
            try await Task.sleep(for: .seconds(4))
            let waiting = try await admin.get("api/v1/trunks/carrier-a")
            #expect(waiting.object["state"] as? String == "recovering", "\(waiting.object)")
            #expect(waiting.object["awaitingApproval"] as? Bool == true, "\(waiting.object)")
            let before = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 2)
            #expect(before.allCallsSucceeded)

            let approved = try await admin.post("api/v1/trunk-groups/pstn-out/failback", ["reason": "carrier confirmed fix"])
            #expect(approved.status == 200, "\(approved.object)")
            #expect(try await admin.waitForTrunk("carrier-a", state: "up", within: .seconds(3)))
            let after = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 2,
                                                name: "caller-after")
            let primary = await lab.finish(carrierA)
            _ = await lab.finish(carrierB)
            #expect(after.allCallsSucceeded)
            #expect(primary.receivedInitialInviteCallIDs.count == 2, "carrier A is used only after approval")
        }
    }

    @Test("a lock set through the API survives a restart; no token gets 401")
    func lockSurvivesRestart() async throws {
        try await withLab("health-lock", options: Self.options()) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()
            let admin = Self.client(lab)
            #expect(try await admin.waitForTrunk("carrier-a", state: "up", within: .seconds(5)))

            let anonymous = try await Self.client(lab, token: nil).get("api/v1/trunks")
            #expect(anonymous.status == 401)
            #expect(anonymous.object["error"] != nil, "401 has a JSON body")
            #expect(try await Self.client(lab, token: "wrong").get("api/v1/trunks").status == 401)
            #expect(try await Self.client(lab, token: nil).get("api/v1/health").status == 200)

            let locked = try await admin.post("api/v1/trunks/carrier-a/lock", ["reason": "carrier maintenance"],
                                              idempotencyKey: "lock-1")
            #expect(locked.status == 200, "\(locked.object)")
            #expect(locked.object["state"] as? String == "locked")
            let again = try await admin.post("api/v1/trunks/carrier-a/lock", ["reason": "carrier maintenance"],
                                             idempotencyKey: "lock-1")
            #expect(again.status == 200)
            #expect(again.headers["idempotent-replay"] == "true")

            _ = await lab.sbc?.stop(grace: .seconds(10))
            try await lab.startSBC()
            #expect(try await admin.waitForTrunk("carrier-a", state: "locked", within: .seconds(3)),
                    "the lock survived the restart\n\(lab.sbcLog)")
            let calls = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 2)
            let primary = await lab.finish(carrierA)
            _ = await lab.finish(carrierB)
            #expect(calls.allCallsSucceeded)
            #expect(primary.receivedInitialInviteCallIDs.isEmpty, "a locked trunk takes no calls")
            let audit = try await admin.get("api/v1/audit?limit=1000")
            #expect(audit.array.contains { $0["cause"] as? String == "operator_lock" && $0["actor"] as? String == "itest" },
                    "the lock is audited with the token that did it")
        }
    }
}
