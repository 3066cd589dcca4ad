import Hummingbird
import HummingbirdTesting
import Testing
@testable import AdminAPI

/// Trunk endpoints: listing, detail, lock/unlock, and the 404/409/422/400 answers.
@Suite struct TrunkRoutesTests {
    @Test func listsTrunks() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/trunks", method: .get, headers: TestSupport.headers())
            #expect(response.status == .ok)
            let trunks = try TestSupport.decode([TrunkStatus].self, response)
            #expect(trunks.map(\.name) == ["carrier-a", "carrier-b"])
            #expect(trunks[0].counters.activeCalls == 3)
        }
    }

    @Test func showsOneTrunkAnd404ForUnknown() async throws {
        try await TestSupport.application().test(.router) { client in
            let known = try await client.execute(uri: "/api/v1/trunks/carrier-b", method: .get, headers: TestSupport.headers())
            #expect(known.status == .ok)
            #expect(try TestSupport.decode(TrunkStatus.self, known).cause == "probe_timeout")
            let unknown = try await client.execute(uri: "/api/v1/trunks/nope", method: .get, headers: TestSupport.headers())
            #expect(unknown.status == .notFound)
            #expect(try TestSupport.errorCode(unknown) == "not_found")
        }
    }

    @Test func locksAndUnlocksWithTokenNameAsActor() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let lock = try await client.execute(
                uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: TestSupport.headers(), body: TestSupport.reason("fraud spike")
            )
            #expect(lock.status == .ok)
            let locked = try TestSupport.decode(TrunkStatus.self, lock)
            #expect(locked.lockedBy == "lab-admin")
            #expect(locked.lockReason == "fraud spike")
            #expect(locked.selectable == false)

            let again = try await client.execute(
                uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: TestSupport.headers(), body: TestSupport.reason()
            )
            #expect(again.status == .conflict)
            #expect(try TestSupport.errorCode(again) == "conflict")

            let unlock = try await client.execute(
                uri: "/api/v1/trunks/carrier-a/unlock", method: .post, headers: TestSupport.headers(), body: TestSupport.reason("resolved")
            )
            #expect(unlock.status == .ok)
            #expect(try TestSupport.decode(TrunkStatus.self, unlock).lockedBy == nil)
        }
        #expect(await backend.actions == ["lock carrier-a", "unlock carrier-a"])
    }

    @Test func lockOfUnknownTrunkIs404() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/trunks/ghost/lock", method: .post, headers: TestSupport.headers(), body: TestSupport.reason()
            )
            #expect(response.status == .notFound)
        }
    }

    @Test(arguments: [
        #"{}"#,
        #"{"reason": ""}"#,
        #"{"reason": "   "}"#,
        #"{"reason": 42}"#,
        "{\"reason\": \"" + String(repeating: "x", count: 501) + "\"}",
    ])
    func badReasonIs422OrMalformedIs400(body: String) async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: TestSupport.headers(), body: ByteBuffer(string: body)
            )
            if body.contains("42") {
                #expect(response.status == .badRequest)
            } else {
                #expect(response.status == .unprocessableContent)
                #expect(try TestSupport.errorCode(response) == "invalid")
            }
        }
        #expect(await backend.actions.isEmpty)
    }

    @Test func reasonOf500CharactersIsAccepted() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: TestSupport.headers(),
                body: TestSupport.reason(String(repeating: "é", count: 500))
            )
            #expect(response.status == .ok)
        }
    }

    @Test func nonJSONBodyIs400() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: TestSupport.headers(), body: ByteBuffer(string: "reason=x")
            )
            #expect(response.status == .badRequest)
            #expect(try TestSupport.errorCode(response) == "bad_request")
        }
    }

    @Test func backendUnavailableIs503() async throws {
        let backend = FakeBackend()
        await backend.setUnavailable(true)
        try await TestSupport.application(backend: backend).test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: TestSupport.headers(), body: TestSupport.reason()
            )
            #expect(response.status == .serviceUnavailable)
            #expect(try TestSupport.errorCode(response) == "unavailable")
        }
    }

    @Test func unknownRouteIsJSON404() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/nothing", method: .get, headers: TestSupport.headers())
            #expect(response.status == .notFound)
            #expect(try TestSupport.errorCode(response) == "not_found")
        }
    }

    @Test func percentEncodedNameIsDecoded() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/trunks/carrier%2Da", method: .get, headers: TestSupport.headers())
            #expect(response.status == .ok)
        }
    }
}

extension TrunkRoutesTests {
    @Test func oversizedBodyIs413JSON() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/trunks/carrier-a/lock", method: .post, headers: TestSupport.headers(),
                body: TestSupport.reason(String(repeating: "x", count: 20_000))
            )
            #expect(response.status == .contentTooLarge)
            #expect(try TestSupport.errorCode(response) == "content_too_large")
        }
        #expect(await backend.actions.isEmpty)
    }
}
