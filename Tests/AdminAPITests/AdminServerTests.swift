import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AdminAPI

/// `AdminServer` on a real loopback socket: listening, serving, shutting down.
@Suite struct AdminServerTests {
    private func makeServer(listen: String = "127.0.0.1:0") -> AdminServer {
        AdminServer(
            listen: listen, tokens: TestSupport.tokens, backend: FakeBackend(),
            idempotency: InMemoryIdempotencyCache(), metrics: SBCMetrics(), logger: TestSupport.logger
        )
    }

    @Test func servesOnLoopbackAndShutsDown() async throws {
        let server = makeServer()
        let running = Task { try await server.run() }
        let port = try #require(await server.waitUntilListening())
        #expect(port != 8080)
        try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            let health = try await client.get("/api/v1/health")
            #expect(health.status == .ok)
            let trunks = try await client.get("/api/v1/trunks", headers: [.authorization: "Bearer \(TestSupport.adminToken)"])
            #expect(trunks.status == .ok)
            let lock = try await client.post(
                "/api/v1/trunks/carrier-a/lock",
                headers: [.authorization: "Bearer \(TestSupport.adminToken)", .contentType: "application/json"],
                body: TestSupport.reason()
            )
            #expect(lock.status == .ok)
        }
        server.shutdown()
        try await running.value
        await #expect(throws: (any Error).self) {
            try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
                _ = try await client.get("/api/v1/health")
            }
        }
    }

    @Test func shutdownBeforeRunReturnsAtOnce() async throws {
        let server = makeServer()
        server.shutdown()
        try await server.run()
    }

    @Test func invalidListenAddressThrows() async {
        let server = makeServer(listen: "localhost")
        await #expect(throws: AdminServerError.invalidListenAddress("localhost")) {
            try await server.run()
        }
        #expect(await server.waitUntilListening() == nil)
    }

    @Test(arguments: [
        ("127.0.0.1:8080", ListenAddress(host: "127.0.0.1", port: 8080)),
        ("[::1]:9090", ListenAddress(host: "::1", port: 9090)),
        ("0.0.0.0:0", ListenAddress(host: "0.0.0.0", port: 0)),
    ])
    func parsesListenAddress(text: String, expected: ListenAddress) {
        #expect(ListenAddress(parsing: text) == expected)
    }

    @Test(arguments: ["localhost", ":80", "host:99999", "::1:80", "[::1]80"])
    func rejectsBadListenAddress(text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }
}
