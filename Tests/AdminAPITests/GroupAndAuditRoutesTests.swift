import Hummingbird
import HummingbirdTesting
import Testing
@testable import AdminAPI

/// Trunk-group actions and the audit trail.
@Suite struct GroupAndAuditRoutesTests {
    @Test func failoverAndFailback() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let failover = try await client.execute(
                uri: "/api/v1/trunk-groups/pstn/failover", method: .post, headers: TestSupport.headers(), body: TestSupport.reason()
            )
            #expect(failover.status == .ok)
            #expect(try TestSupport.decode(GroupStatus.self, failover).forcedFailover)

            let failback = try await client.execute(
                uri: "/api/v1/trunk-groups/pstn/failback", method: .post, headers: TestSupport.headers(), body: TestSupport.reason()
            )
            #expect(failback.status == .ok)
            #expect(try TestSupport.decode(GroupStatus.self, failback).forcedFailover == false)

            let unknown = try await client.execute(
                uri: "/api/v1/trunk-groups/ghost/failover", method: .post, headers: TestSupport.headers(), body: TestSupport.reason()
            )
            #expect(unknown.status == .notFound)
        }
        #expect(await backend.actions == ["failover pstn", "failback pstn"])
    }

    @Test func groupWritesNeedGroupsWrite() async throws {
        let token = AdminToken(name: "trunk-op", sha256Hex: AdminTokenVerifier.hashHex(of: "trunk-op"), scopes: ["trunks:write", "trunks:read"])
        let routes = AdminRoutes(
            backend: FakeBackend(), tokens: [token], idempotency: nil, metrics: SBCMetrics(), logger: TestSupport.logger
        )
        try await Application(router: routes.makeRouter()).test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/trunk-groups/pstn/failover", method: .post, headers: TestSupport.headers(token: "trunk-op"), body: TestSupport.reason()
            )
            #expect(response.status == .forbidden)
        }
    }

    @Test func auditListsActionsWithActor() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            _ = try await client.execute(
                uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: TestSupport.headers(), body: TestSupport.reason("fraud")
            )
            let response = try await client.execute(uri: "/api/v1/audit", method: .get, headers: TestSupport.headers())
            #expect(response.status == .ok)
            let records = try TestSupport.decode([AuditRecord].self, response)
            #expect(records.count == 1)
            #expect(records.first?.actor == "lab-admin")
            #expect(records.first?.detail == "fraud")
            #expect(records.first?.kind == "lock")
        }
        #expect(await backend.lastAuditQuery?.limit == 100)
        #expect(await backend.lastAuditQuery?.since == nil)
    }

    @Test func auditPassesSinceAndLimit() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/audit?since=1700000000.5&limit=1000", method: .get, headers: TestSupport.headers())
            #expect(response.status == .ok)
        }
        #expect(await backend.lastAuditQuery?.since == 1_700_000_000.5)
        #expect(await backend.lastAuditQuery?.limit == 1000)
    }

    @Test(arguments: ["limit=0", "limit=1001", "limit=ten", "since=yesterday", "since=nan"])
    func badAuditQueryIs400(query: String) async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/audit?\(query)", method: .get, headers: TestSupport.headers())
            #expect(response.status == .badRequest)
            #expect(try TestSupport.errorCode(response) == "bad_request")
        }
    }
}
