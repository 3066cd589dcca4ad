// Configuration hot reload with the real `sbc` binary and SIPp (docs/RELOAD.md): a route added to
// the file and `kill -HUP` takes effect for a new call while a call already up stays up and ends
// normally; a broken file is refused with key and line and changes nothing; a zone port change is
// reported as needing a restart and not applied; a token added to the file becomes valid.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

@Suite("Configuration reload end to end (sbc binary + SIPp + admin API)", .serialized, .timeLimit(.minutes(3)))
struct ConfigReloadEndToEndTests {
    static func options() -> LabOptions {
        var options = LabOptions()
        options.admin = true
        options.mediaTimeoutSeconds = 60  // the SIPp calls send no RTP
        return options
    }

    /// The route the reload adds: `+1777...` goes straight to carrier B (before it, such a call
    /// went to the `pstn-out` group, whose first member is carrier A).
    static let directRoute = """
        routes:
          - name: direct-b
            from_trunk: platform
            request_user_prefix: "+1777"
            trunk: carrier-b
        """

    static func admin(_ lab: Lab, token: String = LabConfig.adminToken) -> AdminClient {
        AdminClient(base: URL(string: lab.adminURL + "/")!, token: token)
    }

    /// Polls `GET /api/v1/config` until `generation` is reached (bounded).
    static func waitForGeneration(_ admin: AdminClient, _ generation: Int, within limit: Duration = .seconds(10))
        async throws -> [String: Any]?
    {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let status = try await admin.get("api/v1/config").object
            if status["generation"] as? Int == generation { return status }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    static func edit(_ lab: Lab, _ change: (String) -> String) throws {
        let text = try String(contentsOf: lab.configURL, encoding: .utf8)
        let edited = change(text)
        #expect(edited != text, "the edit changed the file")
        try edited.write(to: lab.configURL, atomically: true, encoding: .utf8)
    }

    @Test("kill -HUP after adding a route: a new call takes the route, the call already up stays up and ends with BYE on both legs")
    func sighupAddsARouteWithoutEndingACall() async throws {
        try await withLab("reload-route", options: Self.options()) { lab in
            let b = lab.block
            let carrierA = try await lab.startCallee("uas_basic", at: b.carrierA, name: "carrierA")
            let carrierB = try await lab.startCallee("uas_basic", at: b.carrierB, name: "carrierB")
            let sbc = try await lab.startSBC()
            let admin = Self.admin(lab)
            let before = try #require(try await Self.waitForGeneration(admin, 1), "\(lab.sbcLog)")

            // A long call on carrier A (the caller hangs up after 8 s).
            let first = try lab.startCaller("uac_basic", from: b.platform, to: b.sbcPlatform, calls: 1, pauseMs: 8000)
            let deadline = ContinuousClock.now + .seconds(10)
            while try await admin.get("api/v1/calls").array.first(where: { $0["state"] as? String == "established" }) == nil,
                  ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await admin.get("api/v1/calls").array.first?["trunk"] as? String == "carrier-a", "\(lab.sbcLog)")

            try Self.edit(lab) { $0.replacingOccurrences(of: "routes:\n", with: Self.directRoute + "\n") }
            #expect(kill(sbc.pid, SIGHUP) == 0)
            let after = try #require(try await Self.waitForGeneration(admin, 2), "no reload\n\(lab.sbcLog)")
            #expect(after["digest"] as? String != before["digest"] as? String)
            #expect((after["lastReload"] as? [String: Any])?["actor"] as? String == "SIGHUP")
            #expect(try await admin.get("api/v1/calls").array.count == 1, "the first call is still up")

            // The new route: a +1777 call goes to carrier B, not to the group's carrier A.
            let second = try await lab.runCaller("uac_basic", from: Endpoint(ip: b.platform.ip, port: b.platform.port + 1),
                                                 to: b.sbcPlatform, calls: 1, name: "caller-direct",
                                                 service: "+17775550000", timeout: .seconds(20))
            #expect(second.allCallsSucceeded, "\(second.diagnostics)\n\(lab.sbcLog)")

            let firstResult = await first.waitForCompletion(timeout: .seconds(20))
            #expect(firstResult.allCallsSucceeded, "the first call ended normally\n\(firstResult.diagnostics)")
            let calleeA = await lab.finish(carrierA)
            let calleeB = await lab.finish(carrierB)
            #expect(calleeA.receivedRequests("INVITE").count == 1, "\(calleeA.diagnostics)")
            #expect(calleeA.receivedRequests("BYE").count == 1, "the first call's BYE reached carrier A")
            #expect(calleeB.receivedRequests("INVITE").count == 1, "the new route sent the second call to carrier B")
            #expect(calleeB.receivedRequests("BYE").count == 1)

            let audit = try await admin.get("api/v1/audit?limit=1000").array
            let entry = try #require(audit.first { $0["kind"] as? String == "config" }, "\(audit)")
            #expect(entry["actor"] as? String == "SIGHUP")
            #expect((entry["detail"] as? String)?.contains("routes direct-b added") == true, "\(entry)")
            let metrics = (try? await admin.text("metrics"))?.body ?? ""
            #expect(metrics.contains(#"sbc_config_reloads_total{result="applied"} 1"#), "\(metrics)")
        }
    }

    @Test("a broken file is refused with key and line and changes nothing; a zone port change needs a restart; a new token works")
    func refusedRestartOnlyAndTokenChanges() async throws {
        try await withLab("reload-refused", options: Self.options()) { lab in
            let b = lab.block
            try await lab.startSBC()
            let admin = Self.admin(lab)
            #expect(try await Self.waitForGeneration(admin, 1) != nil, "\(lab.sbcLog)")
            let original = try String(contentsOf: lab.configURL, encoding: .utf8)

            // A broken file: an out-of-range port. 422, key and line, nothing changed.
            let lines = original.components(separatedBy: "\n")
            let carrierPort = try #require(lines.firstIndex { $0.contains("port: \(b.carrierB.port)") })
            try Self.edit(lab) { $0.replacingOccurrences(of: "port: \(b.carrierB.port)", with: "port: 70000") }
            let refused = try await admin.post("api/v1/config/reload", ["reason": "itest: broken file"])
            #expect(refused.status == 422, "\(refused.object)")
            #expect(refused.object["result"] as? String == "refused")
            let problem = try #require((refused.object["problems"] as? [[String: Any]])?.first, "\(refused.object)")
            #expect(problem["key"] as? String == "trunks[2].port", "\(problem)")
            #expect(problem["line"] as? Int == carrierPort + 1, "\(problem)")
            #expect(try await admin.get("api/v1/config").object["generation"] as? Int == 1)
            #expect(try await admin.get("api/v1/trunks/carrier-b").status == 200)
            let audit = try await admin.get("api/v1/audit?limit=1000").array
            let entry = try #require(audit.last { $0["kind"] as? String == "config" }, "\(audit)")
            #expect(entry["cause"] as? String == "config_reload_refused")
            #expect(entry["actor"] as? String == "itest")
            #expect((entry["detail"] as? String)?.contains("trunks[2].port") == true, "\(entry)")

            // A zone port change and a new token, through `sbc ctl reload`: the token applies,
            // the port does not (the SBC still answers on the old one).
            let newToken = "itest-reloaded-token"
            let hash = "58d840430f22c58bb5f49ecc4f558906f346904d5ec24e9d61945bd616fe8007"  // printf %s itest-reloaded-token | sha256sum
            try original
                .replacingOccurrences(of: "udp_port: \(b.sbcCarrier.port)", with: "udp_port: \(b.sbcCarrier.port + 1)")
                .replacingOccurrences(of: "    - {name: itest,", with: "    - {name: reloaded, sha256: \(hash), scopes: [\"config:read\"]}\n    - {name: itest,")
                .write(to: lab.configURL, atomically: true, encoding: .utf8)
            #expect(try await Self.admin(lab, token: newToken).get("api/v1/config").status == 401)
            let result = try await lab.ctl(["reload", "--reason", "itest: token and port", "--json"], name: "ctl-reload")
            #expect(result.succeeded, "\(result)\n\(lab.sbcLog)")
            let report = try #require(result.json as? [String: Any], "\(result)")
            #expect(report["result"] as? String == "applied")
            let pending = try #require(report["restartRequired"] as? [[String: Any]])
            #expect(pending.contains { $0["section"] as? String == "zones" && $0["name"] as? String == "carrier" },
                    "\(pending)")
            let applied = try #require(report["applied"] as? [[String: Any]])
            #expect(applied.contains { $0["section"] as? String == "admin.tokens" && $0["name"] as? String == "reloaded" })
            let status = try await Self.admin(lab, token: newToken).get("api/v1/config")
            #expect(status.status == 200, "the reloaded token is valid")
            #expect(status.object["restartPending"] as? Bool == true)
            let text = try await lab.ctl(["reload"], name: "ctl-reload-text")
            #expect(text.stdout.contains("needs a restart") && text.stdout.contains("zones carrier changed"), "\(text)")
            // The old carrier port still answers: the zone change was not applied.
            let sock = try lab.socket(b.carrierA.ip, port: b.carrierA.port)
            let branch = RawSIP.branch()
            try sock.send(RawSIP.options(from: b.carrierA, to: b.sbcCarrier, callID: RawSIP.callID(b.carrierA),
                                         branch: branch), to: b.sbcCarrier)
            let response = await sock.awaitResponse(branch: branch, timeout: .seconds(2))
            #expect(response?.statusCode == 200, "\(lab.sbcLog)")
        }
    }
}
