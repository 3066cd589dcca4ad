// Media-path probes end to end (docs/HEALTH.md, "Media-path probes"): the real `sbc` binary
// places probe calls through each carrier to an echo number. Carrier A is SIPp with -rtp_echo
// (its RTP comes back: the trunk stays up); carrier B answers the same 200 without any media,
// so it goes down with cause media_path_failed while its OPTIONS keep succeeding, visible in
// GET /api/v1/trunks, the audit log and /metrics; once carrier B echoes, a passing media probe
// brings it back through the recovery hold.
import Foundation
import Testing

@Suite("Media-path probes end to end (sbc binary + SIPp echo and silent carriers + admin API)", .serialized,
       .timeLimit(.minutes(2)))
struct MediaProbeEndToEndTests {
    /// `uas_validation.xml` answers this number with 200 OK and an SDP naming SIPp's media port.
    static let echoNumber = "+15550200"

    /// OPTIONS every second (down after 3, up after 2, a 2 s hold) and a media probe every 2 s:
    /// answered within 1 s, 5 packets, 500 ms for them to come back, down after 2 failures.
    static var health: String {
        "{probe_interval_s: 1, probe_timeout_ms: 500, down_after: 3, up_after: 2, recovery_hold_s: 2, "
            + "media_probe: {number: \"\(echoNumber)\", caller: \"+15559990000\", interval_s: 2, answer_timeout_s: 1, "
            + "timeout_ms: 500, packets: 5, fail_after: 2}}"
    }

    static func options() -> LabOptions {
        var options = LabOptions()
        options.admin = true
        options.probes = true
        options.carrierAHealth = health
        options.carrierBHealth = health
        return options
    }

    /// Polls `GET /api/v1/trunks/NAME` until `accept` holds (bounded); the last answer either way.
    static func trunk(_ admin: AdminClient, _ name: String, within limit: Duration,
                      until accept: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + limit
        var last: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            last = try await admin.get("api/v1/trunks/\(name)").object
            if accept(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }

    static func mediaProbe(_ trunk: [String: Any]) -> [String: Any] { trunk["mediaProbe"] as? [String: Any] ?? [:] }

    @Test("dead media takes a carrier down while its OPTIONS succeed; an echoing one stays up; echo brings it back")
    func deadMediaIsTakenOut() async throws {
        try await withLab("media-probe", options: Self.options()) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_validation", at: b.carrierA, name: "carrierA-echo",
                                                     extraArguments: ["-rtp_echo"])
            let silentB = try await lab.startCallee("uas_validation", at: b.carrierB, name: "carrierB-silent")
            try await lab.startSBC()
            let admin = AdminClient(base: URL(string: lab.adminURL + "/")!, token: LabConfig.adminToken)

            // Carrier B: two probes without media (about 0 s and 2 s after start) take it down.
            let down = try await Self.trunk(admin, "carrier-b", within: .seconds(12)) { $0["state"] as? String == "down" }
            #expect(down["state"] as? String == "down" && down["cause"] as? String == "media_path_failed",
                    "\(down)\n\(lab.sbcLog)")
            #expect(down["selectable"] as? Bool == false)
            let probeB = Self.mediaProbe(down)
            #expect(probeB["pathFailed"] as? Bool == true && probeB["lastResult"] as? String == "no_media", "\(down)")
            #expect((probeB["lastDetail"] as? String)?.contains("0 of 5 RTP packets came back") == true, "\(down)")
            #expect((probeB["consecutiveFailures"] as? Int ?? 0) >= 2)

            // Carrier A echoes: its probes pass, it stays up.
            let up = try await Self.trunk(admin, "carrier-a", within: .seconds(5)) {
                Self.mediaProbe($0)["lastResult"] as? String == "passed"
            }
            #expect(up["state"] as? String == "up" && Self.mediaProbe(up)["pathFailed"] as? Bool == false, "\(up)")
            #expect((Self.mediaProbe(up)["lastDetail"] as? String)?.contains("5 of 5 RTP packets came back") == true,
                    "\(up)")

            // OPTIONS to carrier B keep succeeding, well past up_after and the hold: still down.
            try await Task.sleep(for: .seconds(5))
            let held = try await admin.get("api/v1/trunks/carrier-b").object
            let counters = held["counters"] as? [String: Any] ?? [:]
            #expect(held["state"] as? String == "down" && held["cause"] as? String == "media_path_failed", "\(held)")
            #expect((counters["consecutiveSuccesses"] as? Int ?? 0) >= 4, "its OPTIONS still answer: \(held)")

            let audit = try await admin.get("api/v1/audit?limit=1000").array
            #expect(audit.contains { $0["subject"] as? String == "carrier-b" && $0["cause"] as? String == "media_path_failed"
                        && $0["to"] as? String == "down" }, "\(audit)")
            #expect(!audit.contains { $0["subject"] as? String == "carrier-a" && $0["to"] as? String == "down" }, "\(audit)")
            let metrics = (try? await admin.text("metrics"))?.body ?? "(GET /metrics failed)"
            #expect(metrics.contains(#"sbc_media_probe_total{trunk="carrier-a",result="passed"}"#), "\(metrics.prefix(3000))")
            #expect(metrics.contains(#"sbc_media_probe_total{trunk="carrier-b",result="no_media"}"#), "\(metrics.prefix(3000))")

            // Carrier B's media comes back: a passing probe lifts the gate, the hold, then up.
            let silent = await lab.finish(silentB)
            #expect(silent.receivedRequests("BYE").count >= 2, "every probe call was hung up\n\(silent.diagnostics)")
            let echoB = try await lab.startCallee("uas_validation", at: b.carrierB, name: "carrierB-echo",
                                                  extraArguments: ["-rtp_echo"])
            let back = try await Self.trunk(admin, "carrier-b", within: .seconds(15)) { $0["state"] as? String == "up" }
            #expect(back["state"] as? String == "up", "\(back)\n\(lab.sbcLog)")
            #expect(Self.mediaProbe(back)["pathFailed"] as? Bool == false)
            let causes = try await admin.get("api/v1/audit?limit=1000").array
                .filter { $0["subject"] as? String == "carrier-b" }.compactMap { $0["cause"] as? String }
            #expect(causes.contains("media_path_recovered") || causes.contains("probe_recovered"), "\(causes)")

            let a = await lab.finish(carrierA)
            _ = await lab.finish(echoB)
            let probes = a.receivedRequests("INVITE").filter { $0.requestURI?.contains(Self.echoNumber) == true }
            #expect(!probes.isEmpty && a.receivedRequests("BYE").count >= 1, "\(a.diagnostics)")
        }
    }
}
