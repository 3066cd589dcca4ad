import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AdminAPI

/// The status page's files (public, with a strict Content-Security-Policy) and the JSON it polls
/// (`status:read`).
@Suite struct StatusRoutesTests {
    static let statusToken = "wall-display-token"

    static func application(backend: FakeBackend = FakeBackend(), metrics: SBCMetrics = SBCMetrics())
        -> some ApplicationProtocol
    {
        let tokens = TestSupport.tokens + [
            AdminToken(name: "wall", sha256Hex: AdminTokenVerifier.hashHex(of: statusToken), scopes: ["status:read"]),
        ]
        let routes = AdminRoutes(backend: backend, tokens: tokens, idempotency: nil, metrics: metrics,
                                 logger: TestSupport.logger)
        return Application(router: routes.makeRouter(), logger: TestSupport.logger)
    }

    @Test(arguments: [
        ("/status", "text/html"), ("/status/app.js", "text/javascript"), ("/status/style.css", "text/css"),
    ])
    func pageFilesAreServedWithoutAToken(path: String, type: String) async throws {
        try await Self.application().test(.router) { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix(type) == true)
            #expect(response.body.readableBytes > 100)
            #expect(response.headers[AdminRoutes.contentTypeOptionsField] == "nosniff")
        }
    }

    @Test func pageAllowsNoInlineOrForeignCode() async throws {
        try await Self.application().test(.router) { client in
            let response = try await client.execute(uri: "/status", method: .get)
            let policy = try #require(response.headers[AdminRoutes.contentSecurityPolicyField])
            #expect(policy.contains("script-src 'self'"))
            #expect(!policy.contains("unsafe-inline"))
            #expect(policy.contains("frame-ancestors 'none'"))
            let html = TestSupport.text(response)
            #expect(html.contains(#"src="status/app.js""#))
            #expect(!html.contains("http://") && !html.contains("https://"), "no external asset")
            #expect(!html.contains("<script>"), "no inline script")
        }
    }

    @Test func statusNeedsStatusRead() async throws {
        try await Self.application().test(.router) { client in
            let anonymous = try await client.execute(uri: "/api/v1/status", method: .get)
            #expect(anonymous.status == .unauthorized)
            let reader = try await client.execute(uri: "/api/v1/status", method: .get,
                                                  headers: TestSupport.headers(token: TestSupport.readerToken))
            #expect(reader.status == .forbidden)
            let wall = try await client.execute(uri: "/api/v1/status", method: .get,
                                                headers: TestSupport.headers(token: Self.statusToken))
            #expect(wall.status == .ok)
            // The wall display's token reads the dashboard and nothing else.
            let calls = try await client.execute(uri: "/api/v1/calls", method: .get,
                                                 headers: TestSupport.headers(token: Self.statusToken))
            #expect(calls.status == .forbidden)
        }
    }

    @Test func statusCombinesTrunksCallsTimelineActivityAndCertificates() async throws {
        let backend = FakeBackend()
        let now = Date().timeIntervalSince1970
        await backend.appendAudit([
            AuditRecord(at: now - 90_000, subject: "carrier-a", kind: "trunk", from: "up", to: "down", cause: "old"),
            AuditRecord(at: now - 600, subject: "carrier-b", kind: "trunk", from: "up", to: "down", cause: "probe_timeout"),
            AuditRecord(at: now - 500, subject: "tls", kind: "certificate", cause: "operator", actor: "lab-admin"),
            AuditRecord(at: now - 400, subject: "pstn", kind: "group", from: "normal", to: "forced_failover",
                        cause: "operator_failover", actor: "lab-admin"),
        ])
        // A clock of its own: the minute must not turn between recording and reading.
        let metrics = SBCMetrics(activity: ActivityHistory(clock: { 1_700_000_000 }))
        metrics.activity.record(.mediaTimeout, count: 2)
        metrics.activity.observe(failoverTotal: 3)
        try await Self.application(backend: backend, metrics: metrics).test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/status", method: .get,
                                                    headers: TestSupport.headers(token: Self.statusToken))
            #expect(response.status == .ok)
            let status = try TestSupport.decode(StatusSummary.self, response)
            #expect(status.trunks.map(\.name) == ["carrier-a", "carrier-b"])
            #expect(status.startedAt <= status.generatedAt)
            #expect(status.activeCalls == 2)
            #expect(status.callsPerTrunk == ["platform": 2, "carrier-a": 1, "carrier-b": 1])
            #expect(status.timeline.map(\.cause) == ["probe_timeout", "operator_failover"],
                    "24 hours of trunk and group records only")
            #expect(!status.timelineTruncated)
            #expect(status.activity.count == AdminRoutes.statusDefaultMinutes)
            #expect(status.activity.last?.mediaTimeouts == 2)
            #expect(status.activity.last?.failovers == 3)
            #expect(status.certificates.count == 1)
        }
    }

    @Test func minutesParameterIsChecked() async throws {
        try await Self.application().test(.router) { client in
            let five = try await client.execute(uri: "/api/v1/status?minutes=5", method: .get,
                                                headers: TestSupport.headers(token: Self.statusToken))
            #expect(try TestSupport.decode(StatusSummary.self, five).activity.count == 5)
            for bad in ["0", "1441", "x"] {
                let response = try await client.execute(uri: "/api/v1/status?minutes=\(bad)", method: .get,
                                                        headers: TestSupport.headers(token: Self.statusToken))
                #expect(response.status == .badRequest, "minutes=\(bad)")
            }
        }
    }

    @Test func busyAuditLogKeepsTheNewestWindow() async throws {
        let backend = FakeBackend()
        let now = Date().timeIntervalSince1970
        // 1,500 changes spread over the last 20 hours: more than one read returns.
        let flaps = (0..<1500).map { (index: Int) -> AuditRecord in
            let down = index % 2 == 0
            let at: Double = now - 72_000 + Double(index) * 48
            return AuditRecord(at: at, subject: "carrier-b", kind: "trunk", from: down ? "up" : "down",
                               to: down ? "down" : "up", cause: "flap \(index)")
        }
        await backend.appendAudit(flaps)
        try await Self.application(backend: backend).test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/status", method: .get,
                                                    headers: TestSupport.headers(token: Self.statusToken))
            let status = try TestSupport.decode(StatusSummary.self, response)
            #expect(status.timelineTruncated)
            #expect(status.timeline.last?.cause == "flap 1499", "the newest change is always there")
            #expect(status.timeline.count < 1000)
            #expect(status.timelineSince > now - 86_400)
        }
        #expect(await backend.auditQueries.count == 2, "one halving of the window was enough")
    }
}
