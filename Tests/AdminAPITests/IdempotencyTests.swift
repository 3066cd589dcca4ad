import Hummingbird
import HummingbirdTesting
import Testing
@testable import AdminAPI

/// `Idempotency-Key`: the first response is stored and replayed verbatim; the action runs once.
@Suite struct IdempotencyTests {
    private let key = AdminRoutes.idempotencyKeyField
    private let replay = AdminRoutes.replayField

    @Test func replayActsOnceAndReturnsSameBytes() async throws {
        let backend = FakeBackend()
        let cache = InMemoryIdempotencyCache()
        try await TestSupport.application(backend: backend, idempotency: cache).test(.router) { client in
            let headers = TestSupport.headers(idempotencyKey: "lock-a-1")
            let first = try await client.execute(uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: headers, body: TestSupport.reason())
            #expect(first.status == .ok)
            #expect(first.headers[replay] == nil)
            let second = try await client.execute(uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: headers, body: TestSupport.reason())
            #expect(second.status == .ok)
            #expect(second.headers[replay] == "true")
            #expect(second.body == first.body)
        }
        #expect(await backend.actions == ["lock carrier-a"])
        #expect(await cache.count == 1)
    }

    @Test func storedErrorIsReplayedToo() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let headers = TestSupport.headers(idempotencyKey: "unlock-1")
            let first = try await client.execute(uri: "/api/v1/trunks/carrier-a/unlock", method: .post, headers: headers, body: TestSupport.reason())
            #expect(first.status == .conflict)
            let second = try await client.execute(uri: "/api/v1/trunks/carrier-a/unlock", method: .post, headers: headers, body: TestSupport.reason())
            #expect(second.status == .conflict)
            #expect(second.headers[replay] == "true")
            #expect(second.body == first.body)
        }
    }

    @Test func sameKeyOnAnotherPathIs422() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let headers = TestSupport.headers(idempotencyKey: "k-1")
            _ = try await client.execute(uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: headers, body: TestSupport.reason())
            let other = try await client.execute(uri: "/api/v1/trunks/carrier-b/lock", method: .post, headers: headers, body: TestSupport.reason())
            #expect(other.status == .unprocessableContent)
            #expect(try TestSupport.errorCode(other) == "idempotency_key_reused")
        }
        #expect(await backend.actions == ["lock carrier-a"])
    }

    @Test func sameKeyWithAnotherBodyIs422() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let headers = TestSupport.headers(idempotencyKey: "k-2")
            let uri = "/api/v1/trunks/carrier-a/lock"
            let first = try await client.execute(uri: uri, method: .post, headers: headers, body: TestSupport.reason("fraud"))
            #expect(first.status == .ok)
            let other = try await client.execute(uri: uri, method: .post, headers: headers, body: TestSupport.reason("maintenance"))
            #expect(other.status == .unprocessableContent)
            #expect(try TestSupport.errorCode(other) == "idempotency_key_reused")
            let same = try await client.execute(uri: uri, method: .post, headers: headers, body: TestSupport.reason("fraud"))
            #expect(same.status == .ok)
            #expect(same.headers[AdminRoutes.replayField] == "true")
        }
        #expect(await backend.actions == ["lock carrier-a"])
    }

    @Test func keysAreScopedPerToken() async throws {
        let backend = FakeBackend()
        let second = AdminToken(name: "ops-2", sha256Hex: AdminTokenVerifier.hashHex(of: "ops-2-token"), scopes: ["*"])
        let routes = AdminRoutes(
            backend: backend, tokens: TestSupport.tokens + [second], idempotency: InMemoryIdempotencyCache(),
            metrics: SBCMetrics(), logger: TestSupport.logger
        )
        try await Application(router: routes.makeRouter()).test(.router) { client in
            _ = try await client.execute(
                uri: "/api/v1/trunk-groups/pstn/failover", method: .post,
                headers: TestSupport.headers(idempotencyKey: "same"), body: TestSupport.reason()
            )
            let other = try await client.execute(
                uri: "/api/v1/trunk-groups/pstn/failover", method: .post,
                headers: TestSupport.headers(token: "ops-2-token", idempotencyKey: "same"), body: TestSupport.reason()
            )
            #expect(other.headers[replay] == nil)
        }
        #expect(await backend.actions == ["failover pstn", "failover pstn"])
    }

    @Test func validationFailureIsNotStored() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let headers = TestSupport.headers(idempotencyKey: "fix-me")
            let bad = try await client.execute(uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: headers, body: ByteBuffer(string: "{}"))
            #expect(bad.status == .unprocessableContent)
            let good = try await client.execute(uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: headers, body: TestSupport.reason())
            #expect(good.status == .ok)
            #expect(good.headers[replay] == nil)
        }
        #expect(await backend.actions == ["lock carrier-a"])
    }

    @Test func unavailableIsNotStored() async throws {
        let backend = FakeBackend()
        await backend.setUnavailable(true)
        try await TestSupport.application(backend: backend).test(.router) { client in
            let headers = TestSupport.headers(idempotencyKey: "retry-me")
            let first = try await client.execute(uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: headers, body: TestSupport.reason())
            #expect(first.status == .serviceUnavailable)
            await backend.setUnavailable(false)
            let second = try await client.execute(uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: headers, body: TestSupport.reason())
            #expect(second.status == .ok)
            #expect(second.headers[replay] == nil)
        }
    }

    @Test(arguments: ["", "has space", String(repeating: "k", count: 256), "naïve"])
    func invalidKeyIs400(value: String) async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            var headers = TestSupport.headers()
            headers[key] = value
            let response = try await client.execute(uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: headers, body: TestSupport.reason())
            #expect(response.status == .badRequest)
        }
        #expect(await backend.actions.isEmpty)
    }

    @Test func concurrentRepeatIsRefusedWhileFirstRuns() async throws {
        let backend = FakeBackend()
        await backend.setWriteDelay(.milliseconds(300))
        try await TestSupport.application(backend: backend).test(.router) { client in
            let headers = TestSupport.headers(idempotencyKey: "double-click")
            async let first = client.execute(uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: headers, body: TestSupport.reason())
            try await Task.sleep(for: .milliseconds(100))
            let second = try await client.execute(uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: headers, body: TestSupport.reason())
            #expect(second.status == .conflict)
            #expect(try TestSupport.errorCode(second) == "idempotency_key_in_progress")
            #expect(try await first.status == .ok)
            let third = try await client.execute(uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: headers, body: TestSupport.reason())
            #expect(third.headers[replay] == "true")
        }
        #expect(await backend.actions == ["lock carrier-a"])
    }

    @Test func cacheEvictsOldestBeyondCapacity() async {
        let cache = InMemoryIdempotencyCache(capacity: 2)
        let response = StoredResponse(method: "POST", path: "/x", status: 200, body: [])
        await cache.save(key: "a", token: "t", response: response)
        await cache.save(key: "b", token: "t", response: response)
        await cache.save(key: "c", token: "t", response: response)
        #expect(await cache.lookup(key: "a", token: "t") == nil)
        #expect(await cache.lookup(key: "c", token: "t") == response)
        #expect(await cache.lookup(key: "c", token: "other") == nil)
    }
}
