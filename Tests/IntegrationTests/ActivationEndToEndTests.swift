// Trunk group activation end to end: the real sbc binary, SIPp carriers, the admin API.
// PUT with an Idempotency-Key (replay, 422 on another body), new calls to the activated member,
// rollback, the cooling refusal and force, a swap queued behind a live call that applies when
// the call ends, history and queue across a restart, and the group's overflow destination.
import Foundation
import Testing

@Suite("Activation end to end (sbc binary + SIPp + admin API)", .serialized, .timeLimit(.minutes(3)))
struct ActivationEndToEndTests {
    static let path = "api/v1/trunk-groups/pstn-out/activation"
    static let coolingSeconds = 2

    static func options() -> LabOptions {
        var options = LabOptions()
        options.admin = true
        options.mediaTimeoutSeconds = 60  // SIPp sends no RTP: the operator ends the long call
        options.groupExtra = ["activation: {cooling_s: \(coolingSeconds), drain_threshold: 0}"]
        return options
    }

    static func client(_ lab: Lab) -> AdminClient {
        AdminClient(base: URL(string: lab.adminURL + "/")!, token: LabConfig.adminToken)
    }

    /// Calls attempted on `trunk` so far (counted when calls end).
    static func attempted(_ admin: AdminClient, _ trunk: String) async throws -> Int {
        let status = try await admin.get("api/v1/trunks/\(trunk)").object
        return (status["counters"] as? [String: Any])?["callsAttempted"] as? Int ?? -1
    }

    /// Polls until `condition` holds on the group's activation (bounded).
    static func waitForActivation(_ admin: AdminClient, within limit: Duration = .seconds(10),
                                  _ condition: ([String: Any]) -> Bool) async throws -> [String: Any]
    {
        let deadline = ContinuousClock.now + limit
        var last: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            last = try await admin.get(path).object
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }

    static func current(_ status: [String: Any]) -> (version: Int, first: String) {
        let current = status["current"] as? [String: Any] ?? [:]
        return (current["version"] as? Int ?? -1, current["firstMember"] as? String ?? "")
    }

    @Test("idempotent PUT, calls follow the activation, rollback, cooling and force, drain queue, restart")
    func activationWorkflow() async throws {
        try await withLab("activation", options: Self.options()) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()
            let admin = Self.client(lab)

            // 1. Carrier B first, twice with the same key: one version, the same response.
            let body: [String: any Sendable] = ["member": "carrier-b", "reason": "itest: carrier A maintenance"]
            let first = try await admin.send("PUT", Self.path, json: body, idempotencyKey: "itest-activate-b")
            #expect(first.status == 200, "\(first.object)\n\(lab.sbcLog)")
            #expect(Self.current(first.object) == (1, "carrier-b"))
            #expect(first.object["order"] as? [String] == ["carrier-b", "carrier-a"])
            let replay = try await admin.send("PUT", Self.path, json: body, idempotencyKey: "itest-activate-b")
            #expect(replay.status == 200)
            #expect(replay.headers["idempotent-replay"] == "true")
            #expect(NSDictionary(dictionary: replay.object) == NSDictionary(dictionary: first.object))
            let reused = try await admin.send("PUT", Self.path, json: ["member": "carrier-a", "reason": "itest: other"],
                                              idempotencyKey: "itest-activate-b")
            #expect(reused.status == 422)
            #expect(reused.object["error"] as? String == "idempotency_key_reused")
            let history = try await admin.get(Self.path + "/history").array
            #expect(history.compactMap { $0["version"] as? Int } == [0, 1], "one change: \(history)")

            // 2. A new call goes to carrier B.
            let call = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 1)
            #expect(call.allCallsSucceeded, "\(call.diagnostics)")
            #expect(try await Self.attempted(admin, "carrier-b") == 1)
            #expect(try await Self.attempted(admin, "carrier-a") == 0)

            // 3. Rollback within the cooling period: refused with the seconds left; force does it.
            let cooling = try await admin.send("POST", Self.path + "/rollback",
                                               json: ["version": 0, "reason": "itest: back to A"])
            if cooling.status == 409 {
                #expect(cooling.object["error"] as? String == "cooling")
                #expect((cooling.object["coolingSecondsLeft"] as? Int ?? 0) >= 1)
            } else {
                Issue.record("rollback within \(Self.coolingSeconds) s of the activation was not refused: \(cooling.object)")
            }
            let rolledBack = try await admin.send("POST", Self.path + "/rollback",
                                                  json: ["version": 0, "reason": "itest: back to A", "force": true])
            #expect(rolledBack.status == 200, "\(rolledBack.object)")
            #expect(Self.current(rolledBack.object) == (2, "carrier-a"))
            #expect((rolledBack.object["current"] as? [String: Any])?["rollbackOf"] as? Int == 0)

            // 4. With a call up on carrier A (first), a swap to B is queued, then applies when it ends.
            try await Task.sleep(for: .seconds(Self.coolingSeconds + 1))
            let caller = try lab.startCaller("uac_wait_bye", from: b.platform, to: b.sbcPlatform, calls: 1)
            let live = try #require(try await admin.establishedCall(), "no established call\n\(lab.sbcLog)")
            #expect(live["trunk"] as? String == "carrier-a")
            let queued = try await admin.send("PUT", Self.path, json: ["member": "carrier-b", "reason": "itest: drain first"])
            #expect(queued.status == 202, "\(queued.object)")
            let pending = queued.object["queued"] as? [String: Any] ?? [:]
            #expect((pending["version"] as? [String: Any])?["version"] as? Int == 3)
            #expect(pending["draining"] as? String == "carrier-a")
            #expect(pending["activeCalls"] as? Int == 1)
            #expect(Self.current(queued.object) == (2, "carrier-a"), "nothing moved yet")
            let hangup = try await admin.send("DELETE", "api/v1/calls/\(live["id"] as? Int ?? 0)",
                                              json: ["reason": "itest: end the call"])
            #expect(hangup.status == 200)
            let drained = try await Self.waitForActivation(admin) { Self.current($0).version == 3 }
            #expect(Self.current(drained) == (3, "carrier-b"), "the queued swap applied once the call ended: \(drained)")
            #expect(drained["queued"] == nil)
            _ = await caller.waitForCompletion(timeout: .seconds(10))

            // 5. Another queued swap (a call up on B), then a restart: history and queue survive.
            try await Task.sleep(for: .seconds(Self.coolingSeconds + 1))
            let second = try lab.startCaller("uac_wait_bye", from: b.platform, to: b.sbcPlatform, calls: 1)
            #expect(try await admin.establishedCall() != nil, "no established call\n\(lab.sbcLog)")
            let queuedAgain = try await admin.send("PUT", Self.path, json: ["member": "carrier-a", "reason": "itest: later"])
            #expect(queuedAgain.status == 202, "\(queuedAgain.object)")
            _ = await lab.sbc?.stop(grace: .seconds(10))
            _ = await second.waitForCompletion(timeout: .seconds(10))
            try await lab.startSBC()
            // No call is up after the restart, so the restored queue drains at once.
            let restored = try await Self.waitForActivation(admin) { Self.current($0).version == 4 }
            #expect(Self.current(restored) == (4, "carrier-a"), "\(restored)\n\(lab.sbcLog)")
            let versions = try await admin.get(Self.path + "/history").array
            #expect(versions.compactMap { $0["version"] as? Int } == [0, 1, 2, 3, 4], "\(versions)")
            #expect(versions.last?["reason"] as? String == "itest: later")
            #expect(lab.sbcLog.contains("group activation restored"), "\(lab.sbcLog)")
            let audit = try await admin.get("api/v1/audit?limit=1000").array.filter { $0["kind"] as? String == "activation" }
            #expect(audit.compactMap { $0["cause"] as? String }
                == ["activation", "activation_rollback", "activation_queued", "activation_dequeued", "activation_queued",
                    "activation_dequeued"], "\(audit)")
            #expect(audit.first?["actor"] as? String == "itest")

            // The CLI reads the same.
            let table = try await lab.ctl(["activation", "history", "pstn-out"], name: "ctl-activation-history")
            #expect(table.succeeded && table.stdout.contains("itest: carrier A maintenance"), "\(table)")
            _ = await lab.finish(carrierA)
            _ = await lab.finish(carrierB)
        }
    }

    @Test("when both carriers answer 503 the call goes to the overflow trunk; the CDR and metrics say so")
    func overflowDestination() async throws {
        var options = Self.options()
        options.groupExtra.append("overflow: announcements")
        options.extraTrunks = """

          - name: announcements
            zone: carrier
            address: 127.0.{n}.13
            port: 5070
            transport: udp
            health: {probe: false}
        """
        try await withLab("activation-overflow", options: options) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_503", at: b.carrierA, name: "carrierA")
            let carrierB = try await lab.startCallee("uas_503", at: b.carrierB, name: "carrierB")
            let announcements = try await lab.startCallee("uas_basic", at: Endpoint(ip: "127.0.\(b.n).13", port: 5070),
                                                          name: "announcements")
            try await lab.startSBC()
            let admin = Self.client(lab)
            let status = try await admin.get(Self.path).object
            #expect(status["order"] as? [String] == ["carrier-a", "carrier-b", "announcements"], "\(status)")

            let call = try await lab.runCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 1)
            #expect(call.allCallsSucceeded, "the platform got an answer, not a 503\n\(call.diagnostics)\n\(lab.sbcLog)")
            let metrics = (try? await admin.text("metrics"))?.body ?? ""
            #expect(prometheusValue(metrics, "sbc_overflow_calls_total", labels: ["trunk": "announcements"]) == 1,
                    "\(metrics)")
            let overflow = await lab.finish(announcements)
            #expect(overflow.receivedInitialInviteCallIDs.count == 1)
            _ = await lab.finish(carrierA)
            _ = await lab.finish(carrierB)

            let records = try await lab.callDetailRecords()
            let attempts = try #require(records.first?["attempts"] as? [[String: Any]])
            #expect(attempts.compactMap { $0["trunk"] as? String } == ["carrier-a", "carrier-b", "announcements"])
            #expect(attempts.compactMap { $0["overflow"] as? Bool } == [false, false, true], "\(attempts)")
            #expect(attempts.last?["outcome"] as? String == "answered")
            let text = try await lab.callDetailRecordsText()
            #expect(text.contains("announcements") && text.contains("overflow"), "\(text)")
        }
    }
}
