import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AdminAPI

/// DID validation routes: 202 with a running run, 409 while it runs, 422 without settings, 404s,
/// scopes, idempotent replay, and the newest run with its results.
@Suite struct ValidationRoutesTests {
    static func post(_ client: some TestClientProtocol, trunk: String = "carrier-b", key: String? = nil,
                     token: String? = TestSupport.adminToken) async throws -> TestResponse {
        try await client.execute(uri: "/api/v1/trunks/\(trunk)/validate", method: .post,
                                 headers: TestSupport.headers(token: token, idempotencyKey: key),
                                 body: TestSupport.reason("before activation"))
    }

    @Test func startsARunWith202AndRefusesASecondWhileItRuns() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let started = try await Self.post(client)
            #expect(started.status == .accepted)
            let run = try TestSupport.decode(ValidationRunStatus.self, started)
            #expect(run.state == "running" && run.trunk == "carrier-b" && run.actor == "lab-admin" && run.results.isEmpty)
            let again = try await Self.post(client)
            #expect(again.status == .conflict)

            let latest = try await client.execute(uri: "/api/v1/trunks/carrier-b/validation", method: .get,
                                                  headers: TestSupport.headers())
            #expect(latest.status == .ok)
            #expect(try TestSupport.decode(ValidationRunStatus.self, latest).run == run.run)
        }
        #expect(await backend.actions == ["validation carrier-b"])
    }

    @Test func finishedRunCarriesOneResultPerDID() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            _ = try await Self.post(client)
            await backend.finishValidation(trunk: "carrier-b", results: [
                ValidationResultStatus(did: "+15550200", status: 180, reason: "Ringing", firstResponseMs: 12,
                                       verdict: "reachable", startedAt: 1, endedAt: 2),
                ValidationResultStatus(did: "+15550404", status: 404, reason: "Not Found", firstResponseMs: 8,
                                       verdict: "unreachable", startedAt: 2, endedAt: 3),
            ])
            let latest = try await client.execute(uri: "/api/v1/trunks/carrier-b/validation", method: .get,
                                                  headers: TestSupport.headers())
            let run = try TestSupport.decode(ValidationRunStatus.self, latest)
            #expect(run.state == "finished" && run.passed == false)
            #expect(run.results.map(\.verdict) == ["reachable", "unreachable"])
            #expect(TestSupport.text(latest).contains("\"firstResponseMs\":12"))
        }
    }

    @Test func unknownUnconfiguredAndNeverValidatedTrunks() async throws {
        try await TestSupport.application().test(.router) { client in
            #expect(try await Self.post(client, trunk: "nowhere").status == .notFound)
            let unconfigured = try await Self.post(client, trunk: "carrier-a")
            #expect(unconfigured.status == .conflict)
            let never = try await client.execute(uri: "/api/v1/trunks/carrier-a/validation", method: .get,
                                                 headers: TestSupport.headers())
            #expect(never.status == .notFound)
            let unknown = try await client.execute(uri: "/api/v1/trunks/nowhere/validation", method: .get,
                                                   headers: TestSupport.headers())
            #expect(unknown.status == .notFound)
        }
    }

    @Test func idempotentReplayReturnsTheSameRun() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let first = try await Self.post(client, key: "val-key-1")
            let replay = try await Self.post(client, key: "val-key-1")
            #expect(first.status == .accepted && replay.status == .accepted)
            #expect(TestSupport.text(first) == TestSupport.text(replay))
            #expect(replay.headers[AdminRoutes.replayField] == "true")
        }
        #expect(await backend.actions == ["validation carrier-b"])
    }

    @Test func needsTrunksWriteToStartAndAToken() async throws {
        try await TestSupport.application().test(.router) { client in
            let anonymous = try await Self.post(client, token: nil)
            #expect(anonymous.status == .unauthorized)
            let reader = try await Self.post(client, token: TestSupport.readerToken)
            #expect(reader.status == .forbidden)
        }
    }
}
