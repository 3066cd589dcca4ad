import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AdminAPI

/// Live calls: the list and its filters, one call, and the operator's hang-up with its scope,
/// reason and idempotency.
@Suite struct CallRoutesTests {
    static let callsReaderToken = "calls-reader-token"

    static func application(backend: FakeBackend = FakeBackend()) -> some ApplicationProtocol {
        let tokens = TestSupport.tokens + [
            AdminToken(name: "calls-reader", sha256Hex: AdminTokenVerifier.hashHex(of: callsReaderToken),
                       scopes: ["calls:read"]),
        ]
        let routes = AdminRoutes(backend: backend, tokens: tokens, idempotency: InMemoryIdempotencyCache(),
                                 metrics: SBCMetrics(), logger: TestSupport.logger)
        return Application(router: routes.makeRouter(), logger: TestSupport.logger)
    }

    static func ids(_ response: TestResponse) throws -> [Int] {
        try TestSupport.decode([CallStatus].self, response).map(\.id)
    }

    @Test func listsCallsWithoutDetail() async throws {
        try await Self.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/calls", method: .get,
                                                    headers: TestSupport.headers(token: Self.callsReaderToken))
            #expect(response.status == .ok)
            let calls = try TestSupport.decode([CallStatus].self, response)
            #expect(calls.map(\.id) == [1, 2])
            #expect(calls.allSatisfy { $0.legs == nil && $0.timers == nil })
            #expect(!TestSupport.text(response).contains("\"legs\""), "the list leaves the detail keys out")
        }
    }

    @Test(arguments: [
        ("trunk=carrier-a", [1]),
        ("trunk=platform", [1, 2]),
        ("trunk=nowhere", []),
        ("route=critical-lines", [2]),
        ("critical=true", [2]),
        ("critical=false", [1]),
        ("trunk=carrier-b&critical=false", []),
    ])
    func filtersCalls(query: String, expected: [Int]) async throws {
        try await Self.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/calls?\(query)", method: .get,
                                                    headers: TestSupport.headers())
            #expect(response.status == .ok)
            #expect(try Self.ids(response) == expected)
        }
    }

    @Test func badCriticalFilterIs400() async throws {
        try await Self.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/calls?critical=yes", method: .get,
                                                    headers: TestSupport.headers())
            #expect(response.status == .badRequest)
            #expect(try TestSupport.errorCode(response) == "bad_request")
        }
    }

    @Test func showsOneCallByIDOrCallID() async throws {
        try await Self.application().test(.router) { client in
            for id in ["1", "call-1%40platform"] {
                let response = try await client.execute(uri: "/api/v1/calls/\(id)", method: .get,
                                                        headers: TestSupport.headers())
                #expect(response.status == .ok, "\(id)")
                let call = try TestSupport.decode(CallStatus.self, response)
                #expect(call.callID == "call-1@platform")
                #expect(call.legs?.first?.codecs == [["PCMU/8000"]])
            }
            let unknown = try await client.execute(uri: "/api/v1/calls/99", method: .get, headers: TestSupport.headers())
            #expect(unknown.status == .notFound)
            #expect(try TestSupport.errorCode(unknown) == "not_found")
        }
    }

    @Test func readingCallsNeedsCallsRead() async throws {
        try await Self.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/calls", method: .get,
                                                    headers: TestSupport.headers(token: TestSupport.readerToken))
            #expect(response.status == .forbidden)
            #expect(response.headers[.wwwAuthenticate]?.contains(#"scope="calls:read""#) == true)
        }
    }

    @Test func hangUpEndsTheCallAsTheOperator() async throws {
        let backend = FakeBackend()
        try await Self.application(backend: backend).test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/calls/1", method: .delete,
                                                    headers: TestSupport.headers(), body: TestSupport.reason("fraud"))
            #expect(response.status == .ok)
            let ended = try TestSupport.decode(CallStatus.self, response)
            #expect(ended.state == "ended")
            #expect(ended.endedBy == "operator:lab-admin")
            let again = try await client.execute(uri: "/api/v1/calls/1", method: .delete,
                                                 headers: TestSupport.headers(), body: TestSupport.reason("fraud"))
            #expect(again.status == .notFound, "a call ends once")
        }
        #expect(await backend.actions == ["call call call-1@platform"])
        let audit = try await backend.audit(since: nil, limit: 10)
        #expect(audit.first?.actor == "lab-admin")
        #expect(audit.first?.detail == "fraud")
    }

    @Test func hangUpNeedsCallsWriteAndAReason() async throws {
        let backend = FakeBackend()
        try await Self.application(backend: backend).test(.router) { client in
            let reader = try await client.execute(uri: "/api/v1/calls/1", method: .delete,
                                                  headers: TestSupport.headers(token: Self.callsReaderToken),
                                                  body: TestSupport.reason())
            #expect(reader.status == .forbidden)
            #expect(reader.headers[.wwwAuthenticate]?.contains(#"scope="calls:write""#) == true)
            let blank = try await client.execute(uri: "/api/v1/calls/1", method: .delete, headers: TestSupport.headers(),
                                                 body: TestSupport.reason("  "))
            #expect(blank.status == .unprocessableContent)
            let none = try await client.execute(uri: "/api/v1/calls/1", method: .delete, headers: TestSupport.headers())
            #expect(none.status == .badRequest)
        }
        #expect(await backend.actions.isEmpty)
    }

    @Test func hangUpHonoursIdempotencyKey() async throws {
        let backend = FakeBackend()
        try await Self.application(backend: backend).test(.router) { client in
            let headers = TestSupport.headers(idempotencyKey: "hangup-1")
            let first = try await client.execute(uri: "/api/v1/calls/2", method: .delete, headers: headers,
                                                 body: TestSupport.reason("stuck call"))
            let replay = try await client.execute(uri: "/api/v1/calls/2", method: .delete, headers: headers,
                                                  body: TestSupport.reason("stuck call"))
            #expect(first.status == .ok)
            #expect(replay.status == .ok)
            #expect(TestSupport.text(replay) == TestSupport.text(first))
            #expect(replay.headers[AdminRoutes.replayField] == "true")
            let otherBody = try await client.execute(uri: "/api/v1/calls/2", method: .delete, headers: headers,
                                                     body: TestSupport.reason("another reason"))
            #expect(otherBody.status == .unprocessableContent)
            #expect(try TestSupport.errorCode(otherBody) == "idempotency_key_reused")
        }
        #expect(await backend.actions.count == 1, "the replay did not end anything twice")
    }
}
