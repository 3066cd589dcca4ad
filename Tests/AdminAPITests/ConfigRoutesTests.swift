import Hummingbird
import HummingbirdTesting
import Testing
@testable import AdminAPI

/// The configuration endpoints (docs/RELOAD.md): the reload with its report, 422 with the
/// file's problems when refused, scopes, and `GET /api/v1/config`.
@Suite struct ConfigRoutesTests {
    static let refused = ConfigReloadReport(
        result: "refused", actor: "", path: "/etc/sbc/sbc.yaml",
        configuration: ConfigurationStatus(generation: 1, digest: String(repeating: "a", count: 64),
                                           loadedAt: 1_700_000_000, path: "/etc/sbc/sbc.yaml"),
        problems: [ConfigReloadReport.Problem(key: "trunks[1].port", line: 42, column: 11,
                                              message: "must be an integer from 1 to 65535, got 70000")])

    @Test func reloadAnswersTheAppliedChanges() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/config/reload", method: .post,
                                                    headers: TestSupport.headers(), body: TestSupport.reason("new route"))
            #expect(response.status == .ok)
            let report = try TestSupport.decode(ConfigReloadReport.self, response)
            #expect(report.result == "applied")
            #expect(report.actor == "lab-admin")
            #expect(report.configuration.generation == 2)
            #expect(report.applied.map(\.name) == ["new-route"])
            let audit = try TestSupport.decode([AuditRecord].self, try await client.execute(
                uri: "/api/v1/audit", method: .get, headers: TestSupport.headers()))
            #expect(audit.last?.subject == "config")
            #expect(audit.last?.actor == "lab-admin")
            #expect(audit.last?.detail == "new route")
        }
    }

    @Test func refusedFileIs422WithKeyAndLine() async throws {
        let backend = FakeBackend()
        await backend.setNextReload(Self.refused)
        try await TestSupport.application(backend: backend).test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/config/reload", method: .post,
                                                    headers: TestSupport.headers(), body: TestSupport.reason())
            #expect(response.status == .unprocessableContent)
            let report = try TestSupport.decode(ConfigReloadReport.self, response)
            #expect(report.result == "refused")
            #expect(report.problems.first?.key == "trunks[1].port")
            #expect(report.problems.first?.line == 42)
            #expect(report.configuration.generation == 1)
        }
    }

    @Test func refusedReloadIsReplayedForTheSameKey() async throws {
        let backend = FakeBackend()
        await backend.setNextReload(Self.refused)
        try await TestSupport.application(backend: backend).test(.router) { client in
            for _ in 0..<2 {
                let response = try await client.execute(
                    uri: "/api/v1/config/reload", method: .post,
                    headers: TestSupport.headers(idempotencyKey: "reload-1"), body: TestSupport.reason())
                #expect(response.status == .unprocessableContent)
            }
            #expect(await backend.actions == ["config config"], "the replay did not reload again")
        }
    }

    @Test func reloadNeedsConfigWrite() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/config/reload", method: .post,
                                                    headers: TestSupport.headers(token: TestSupport.readerToken),
                                                    body: TestSupport.reason())
            #expect(response.status == .forbidden)
            #expect(response.headers[.wwwAuthenticate]?.contains("config:write") == true)
        }
    }

    @Test func reloadNeedsAReason() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/config/reload", method: .post,
                                                    headers: TestSupport.headers(), body: ByteBuffer(string: "{}"))
            #expect(response.status == .unprocessableContent)
            #expect(try TestSupport.errorCode(response) == "invalid")
        }
    }

    @Test func configShowsGenerationAndDigestButNoContent() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/config", method: .get, headers: TestSupport.headers())
            #expect(response.status == .ok)
            let status = try TestSupport.decode(ConfigurationStatus.self, response)
            #expect(status.generation == 1)
            #expect(status.digest.count == 64)
            #expect(!TestSupport.text(response).contains("sha256\""))
            let forbidden = try await client.execute(uri: "/api/v1/config", method: .get,
                                                     headers: TestSupport.headers(token: TestSupport.readerToken))
            #expect(forbidden.status == .forbidden)
        }
    }

    /// Tokens swapped by a reload: a new one is accepted, a removed one is not.
    @Test func replacedTokensTakeEffect() async throws {
        let routes = AdminRoutes(backend: FakeBackend(), tokens: TestSupport.tokens, idempotency: nil,
                                 metrics: SBCMetrics(), logger: TestSupport.logger)
        routes.replaceTokens([AdminToken(name: "new", sha256Hex: AdminTokenVerifier.hashHex(of: "new-token"),
                                         scopes: ["config:read"])])
        try await Application(router: routes.makeRouter(), logger: TestSupport.logger).test(.router) { client in
            let new = try await client.execute(uri: "/api/v1/config", method: .get,
                                               headers: TestSupport.headers(token: "new-token"))
            #expect(new.status == .ok)
            let old = try await client.execute(uri: "/api/v1/config", method: .get, headers: TestSupport.headers())
            #expect(old.status == .unauthorized)
        }
    }
}
