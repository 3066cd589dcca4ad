import Hummingbird
import HummingbirdTesting
import Testing
@testable import AdminAPI

/// The TLS endpoints: the certificate list and the reload.
@Suite struct TLSRoutesTests {
    @Test func certificatesListExpiry() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/tls/certificates", method: .get, headers: TestSupport.headers())
            #expect(response.status == .ok)
            let certificates = try TestSupport.decode([CertificateStatus].self, response)
            #expect(certificates.map(\.certificate) == ["zone:platform"])
            #expect(certificates.first?.secondsToExpiry == 2_592_000)
        }
    }

    @Test func certificatesNeedTLSRead() async throws {
        try await TestSupport.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/tls/certificates", method: .get,
                                                    headers: TestSupport.headers(token: TestSupport.readerToken))
            #expect(response.status == .forbidden)
        }
    }

    @Test func reloadIsAuditedWithActorAndReason() async throws {
        let backend = FakeBackend()
        try await TestSupport.application(backend: backend).test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/tls/reload", method: .post, headers: TestSupport.headers(),
                                                    body: TestSupport.reason("renewed certificate"))
            #expect(response.status == .ok)
            #expect(try TestSupport.decode([CertificateStatus].self, response).count == 1)
            let audit = try TestSupport.decode([AuditRecord].self, try await client.execute(
                uri: "/api/v1/audit", method: .get, headers: TestSupport.headers()))
            #expect(audit.last?.subject == "tls")
            #expect(audit.last?.detail == "renewed certificate")
            #expect(audit.last?.actor == "lab-admin")
        }
    }

    @Test func reloadWithUnusableFilesIs422WithTheReason() async throws {
        let backend = FakeBackend()
        await backend.setReloadError(.invalid("zones[0].tls (zone platform): cannot read /etc/sbc/sbc.pem: No such file or directory"))
        try await TestSupport.application(backend: backend).test(.router) { client in
            let response = try await client.execute(uri: "/api/v1/tls/reload", method: .post, headers: TestSupport.headers(),
                                                    body: TestSupport.reason())
            #expect(response.status == .unprocessableContent)
            #expect(TestSupport.text(response).contains("cannot read /etc/sbc/sbc.pem"))
        }
    }
}
