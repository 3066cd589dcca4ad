// Live calls through the admin API and `sbc ctl`: a call between SIPp peers is listed, shown with
// its legs, and ended by an operator with BYE and a Reason on both legs, audited, in the CDR.
import Foundation
import Testing

@Suite("Live calls end to end (sbc binary + SIPp + admin API + sbc ctl)", .serialized, .timeLimit(.minutes(2)))
struct LiveCallsEndToEndTests {
    static func options() -> LabOptions {
        var options = LabOptions()
        options.admin = true
        options.mediaTimeoutSeconds = 60  // the SIPp call sends no RTP: only the operator ends it
        return options
    }

    @Test("an operator lists a live call, reads its legs and ends it: BYE with Reason to both legs, audited, CDR ended_by")
    func operatorEndsALiveCall() async throws {
        try await withLab("live-calls", options: Self.options()) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            try await lab.startSBC()
            let caller = try lab.startCaller("uac_wait_bye", from: b.platform, to: b.sbcPlatform, calls: 1)
            let admin = AdminClient(base: URL(string: lab.adminURL + "/")!, token: LabConfig.adminToken)

            let listed = try #require(try await admin.establishedCall(), "no established call\n\(lab.sbcLog)")
            #expect(listed["ingressTrunk"] as? String == "platform")
            #expect(listed["trunk"] as? String == "carrier-a")
            #expect(listed["route"] as? String == "platform-to-pstn")
            #expect(listed["critical"] as? Bool == false)
            #expect(listed["legs"] == nil, "the list carries no detail")
            let id = try #require(listed["id"] as? Int)
            #expect(try await admin.get("api/v1/calls?trunk=carrier-b").array.isEmpty)
            #expect(try await admin.get("api/v1/calls?critical=true").array.isEmpty)
            #expect(try await admin.get("api/v1/calls?route=platform-to-pstn&trunk=carrier-a").array.count == 1)

            // One call in detail, as `sbc ctl call` shows it.
            let detail = try await lab.ctl(["call", "\(id)", "--json"], name: "ctl-call-json")
            #expect(detail.succeeded, "\(detail)")
            let call = try #require(detail.json as? [String: Any], "\(detail)")
            let legs = try #require(call["legs"] as? [[String: Any]])
            #expect(legs.map { $0["side"] as? String } == ["a", "b"])
            #expect(legs[1]["trunk"] as? String == "carrier-a")
            #expect(legs[1]["peer"] as? String == "\(b.carrierA.ip):\(b.carrierA.port)")
            #expect((legs[1]["codecs"] as? [[String]])?.first?.contains("PCMU/8000") == true, "\(legs[1])")
            let streams = try #require((call["media"] as? [String: Any])?["streams"] as? [[String: Any]])
            #expect(streams.first?["relayPortA"] as? Int != nil && streams.first?["relayPortB"] as? Int != nil)
            let text = try await lab.ctl(["call", legs[0]["callID"] as? String ?? ""], name: "ctl-call")
            #expect(text.stdout.contains("carrier leg 0") && text.stdout.contains("PCMU/8000"), "\(text)")
            let table = try await lab.ctl(["calls"], name: "ctl-calls")
            #expect(table.stdout.contains("established") && table.stdout.contains("carrier-a"), "\(table)")

            // The hang-up, then its replay under the same Idempotency-Key.
            let hangup = ["hangup", "\(id)", "--reason", "itest: stuck call", "--idempotency-key", "itest-hangup-1", "--json"]
            let ended = try await lab.ctl(hangup, name: "ctl-hangup")
            #expect(ended.succeeded, "\(ended)\n\(lab.sbcLog)")
            let endedCall = try #require(ended.json as? [String: Any], "\(ended)")
            #expect(endedCall["state"] as? String == "ended")
            #expect(endedCall["endedBy"] as? String == "operator:itest")
            let replay = try await lab.ctl(hangup, name: "ctl-hangup-replay")
            #expect(replay.succeeded && replay.stdout == ended.stdout, "\(replay)")
            let gone = try await admin.get("api/v1/calls/\(id)")
            #expect(gone.status == 404)

            let callerResult = await caller.waitForCompletion(timeout: .seconds(15))
            let callee = await lab.finish(carrierA)
            let reason = #"Q.850;cause=16;text="Terminated by operator""#
            #expect(callerResult.receivedRequests("BYE").first?.first("Reason") == reason, "\(callerResult.diagnostics)")
            #expect(callee.receivedRequests("BYE").first?.first("Reason") == reason, "\(callee.diagnostics)")
            #expect(callerResult.allCallsSucceeded, "the platform answered the BYE\n\(callerResult.diagnostics)")
            #expect(try await admin.get("api/v1/calls").array.isEmpty)

            let audit = try await admin.get("api/v1/audit?limit=1000").array
            let entry = try #require(audit.first { $0["kind"] as? String == "call" }, "\(audit)")
            #expect(entry["actor"] as? String == "itest")
            #expect(entry["detail"] as? String == "itest: stuck call")
            #expect(entry["cause"] as? String == "operator_hangup")

            let cdr = try #require(try await lab.callDetailRecords().first)
            #expect(cdr["ended_by"] as? String == "operator:itest", "\(cdr)")
        }
    }
}
