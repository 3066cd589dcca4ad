// DID validation end to end (docs/VALIDATION.md): the real `sbc` binary places test calls
// through carrier B only, to a SIPp carrier that answers one DID 404, one 200 and leaves one
// silent; the three verdicts come back through the admin API and `sbc ctl validate`, persisted
// and audited.
import Foundation
import Testing

@Suite("DID validation end to end (sbc binary + SIPp carrier + admin API + sbc ctl)", .serialized,
       .timeLimit(.minutes(3)))
struct ValidationEndToEndTests {
    static let dids = ["+15550404", "+15550200", "+15550000"]

    static func options() -> LabOptions {
        var options = LabOptions()
        options.admin = true
        let list = dids.map { "\"\($0)\"" }.joined(separator: ", ")
        options.carrierBInterworking = [
            "validation: {dids: [\(list)], caller: \"+15559990000\", timeout_s: 3, pace_ms: 200, reachable: ringing}",
        ]
        options.groupExtra = ["require_validation: {max_age_s: 3600}"]
        return options
    }

    /// Polls `GET .../validation` until the run `run` is no longer running (bounded).
    static func finishedRun(_ admin: AdminClient, run: String, within limit: Duration = .seconds(15))
        async throws -> [String: Any]?
    {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let latest = try await admin.get("api/v1/trunks/carrier-b/validation").object
            if latest["run"] as? String == run, latest["state"] as? String == "finished" { return latest }
            try await Task.sleep(for: .milliseconds(200))
        }
        return nil
    }

    static func verdicts(_ run: [String: Any]) -> [String: String] {
        var verdicts: [String: String] = [:]
        for result in run["results"] as? [[String: Any]] ?? [] {
            if let did = result["did"] as? String { verdicts[did] = result["verdict"] as? String }
        }
        return verdicts
    }

    @Test("404, 200 and silence give unreachable, reachable and timeout, through the API and sbc ctl validate")
    func threeVerdicts() async throws {
        try await withLab("validation", options: Self.options()) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            let carrierB = try await lab.startCallee("uas_validation", at: b.carrierB, name: "carrierB")
            try await lab.startSBC()
            let admin = AdminClient(base: URL(string: lab.adminURL + "/")!, token: LabConfig.adminToken)

            let never = try await admin.get("api/v1/trunks/carrier-b/validation")
            #expect(never.status == 404, "\(never.object)")
            // require_validation: no activation towards a member never validated.
            let activation = ["member": "carrier-b", "reason": "itest: move traffic"]
            let unvalidated = try await admin.send("PUT", "api/v1/trunk-groups/pstn-out/activation", json: activation)
            #expect(unvalidated.status == 409 && unvalidated.object["error"] as? String == "validation_required",
                    "\(unvalidated.object)")
            let unconfigured = try await admin.post("api/v1/trunks/carrier-a/validate", ["reason": "itest"])
            #expect(unconfigured.status == 409, "\(unconfigured.object)")

            let started = try await admin.post("api/v1/trunks/carrier-b/validate", ["reason": "itest: before activation"])
            #expect(started.status == 202, "\(started.object)\n\(lab.sbcLog)")
            #expect(started.object["state"] as? String == "running" && started.object["dids"] as? Int == 3)
            let run = try #require(started.object["run"] as? String)
            let busy = try await admin.post("api/v1/trunks/carrier-b/validate", ["reason": "itest: again"])
            #expect(busy.status == 409, "\(busy.object)")

            let finished = try #require(try await Self.finishedRun(admin, run: run), "run never finished\n\(lab.sbcLog)")
            #expect(Self.verdicts(finished) == ["+15550404": "unreachable", "+15550200": "reachable",
                                                "+15550000": "timeout"], "\(finished)")
            #expect(finished["passed"] as? Bool == false)
            let failed = try await admin.send("PUT", "api/v1/trunk-groups/pstn-out/activation", json: activation)
            #expect(failed.status == 409 && (failed.object["detail"] as? String)?.contains("did not pass") == true,
                    "\(failed.object)")
            let results = finished["results"] as? [[String: Any]] ?? []
            let refused = results.first { $0["did"] as? String == "+15550404" }
            #expect(refused?["status"] as? Int == 404 && (refused?["firstResponseMs"] as? Double ?? -1) >= 0)
            #expect(results.first { $0["did"] as? String == "+15550200" }?["status"] as? Int == 200)
            #expect(results.first { $0["did"] as? String == "+15550000" }?["status"] == nil)

            // `sbc ctl validate` starts the next run, waits for it and prints one row per DID.
            let table = try await lab.ctl(["validate", "carrier-b", "--reason", "itest: ctl"], name: "ctl-validate")
            #expect(table.exit.status == 1, "a failed run exits 1\n\(table)")
            for did in Self.dids { #expect(table.stdout.contains(did), "\(table)") }
            #expect(table.stdout.contains("unreachable") && table.stdout.contains("reachable")
                        && table.stdout.contains("timeout") && table.stdout.contains("404"), "\(table)")

            let audit = try await admin.get("api/v1/audit?limit=1000").array.filter { $0["kind"] as? String == "validation" }
            #expect(audit.contains { $0["cause"] as? String == "validation_started" && $0["actor"] as? String == "itest" })
            #expect(audit.contains { $0["cause"] as? String == "validation_failed" }, "\(audit)")
            let metrics = (try? await admin.text("metrics"))?.body ?? "(GET /metrics failed)"
            #expect(metrics.contains(#"sbc_validation_calls_total{trunk="carrier-b",verdict="timeout"}"#), "\(metrics.prefix(2000))")

            // Nothing went to carrier A, and carrier B saw the SBC's ACK and BYE for the answered DID.
            let a = await lab.finish(carrierA)
            #expect(a.receivedRequests("INVITE").isEmpty, "\(a.diagnostics)")
            let bResult = await lab.finish(carrierB)
            #expect(bResult.receivedRequests("BYE").count >= 1, "\(bResult.diagnostics)")
        }
    }
}
