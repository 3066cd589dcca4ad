import Hummingbird
import HummingbirdTesting
import Testing
@testable import AdminAPI

/// Bearer tokens: 401 (with a challenge) without or with a wrong token, 403 without the scope,
/// and liveness open to all.
@Suite struct AuthenticationTests {
    @Test func healthNeedsNoToken() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/health", method: .get)
            #expect(response.status == .ok)
            #expect(TestSupport.text(response) == #"{"status":"ok"}"#)
        }
    }

    @Test func missingTokenIs401WithChallenge() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/trunks", method: .get)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(try TestSupport.errorCode(response) == "unauthorized")
        }
    }

    @Test func wrongTokenIs401InvalidToken() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/trunks", method: .get, headers: TestSupport.headers(token: "lab-admin-tokem")
            )
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.contains(#"error="invalid_token""#) == true)
            #expect(try TestSupport.errorCode(response) == "unauthorized")
        }
    }

    @Test func nonBearerSchemeIs401() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/trunks", method: .get, headers: [.authorization: "Basic bGFiOmxhYg=="]
            )
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate] != nil)
        }
    }

    @Test func missingScopeIs403() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let lock = try await client.execute(
                uri: "/api/v1/trunks/carrier-a/lock", method: .post,
                headers: TestSupport.headers(token: TestSupport.readerToken), body: TestSupport.reason()
            )
            #expect(lock.status == .forbidden)
            #expect(try TestSupport.errorCode(lock) == "forbidden")
            let metrics = try await client.execute(uri: "/metrics", method: .get, headers: TestSupport.headers(token: TestSupport.readerToken))
            #expect(metrics.status == .forbidden)
            let audit = try await client.execute(uri: "/api/v1/audit", method: .get, headers: TestSupport.headers(token: TestSupport.metricsToken))
            #expect(audit.status == .forbidden)
        }
        #expect(await backend.actions.isEmpty)
    }

    @Test func scopedTokenReadsWhatItMay() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/trunks", method: .get, headers: TestSupport.headers(token: TestSupport.readerToken))
            #expect(response.status == .ok)
        }
    }

    @Test func verifierMatchesOnlyTheRightToken() {
        let verifier = AdminTokenVerifier(tokens: TestSupport.tokens + [AdminToken(name: "broken", sha256Hex: "xyz", scopes: ["*"])])
        #expect(verifier.verify(TestSupport.adminToken)?.name == "lab-admin")
        #expect(verifier.verify(TestSupport.readerToken)?.name == "reader")
        #expect(verifier.verify("") == nil)
        #expect(verifier.verify("lab-admin-token ") == nil)
        #expect(verifier.rejected == ["broken"])
    }
}

extension AuthenticationTests {
    @Test func sha256HexMatchesSha256sum() {
        // printf %s lab-admin-token | sha256sum
        #expect(AdminToken.sha256Hex(of: "lab-admin-token") == "7005ca487338ea85c2a92aed553803f8cce2b39b4ac5b396e257c195ce140f29")
    }
}
