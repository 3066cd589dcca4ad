import Testing
@testable import TLS

@Suite struct TLSFailureTests {
    @Test func causesAreStableTokens() {
        let cases: [(TLSFailure, String, Bool)] = [
            (.certificateExpired(subject: "CN=a", notAfter: 0), "certificate_expired", true),
            (.certificateNotYetValid(subject: "CN=a", notBefore: 0), "certificate_not_yet_valid", true),
            (.unknownCA(subject: "CN=a", issuer: "CN=b"), "unknown_ca", true),
            (.nameMismatch(expected: "a", subject: "CN=b"), "name_mismatch", true),
            (.pinMismatch(subject: "CN=a", presented: "x"), "pin_mismatch", true),
            (.missingPeerCertificate, "no_certificate", true),
            (.peerAlert("unknown CA"), "peer_alert", true),
            (.peerAlert("handshake failure"), "peer_alert", false),
            (.handshakeFailed("wrong version number"), "handshake_failed", false),
            (.handshakeTimeout, "handshake_timeout", false),
            (.connectionFailed("bad record mac"), "connection_failed", false),
        ]
        for (failure, cause, certificate) in cases {
            #expect(failure.cause == cause)
            #expect(failure.isCertificateProblem == certificate, "\(failure)")
        }
    }

    @Test func descriptionsNameTheCertificateAndTheTime() {
        #expect(TLSFailure.certificateExpired(subject: "CN=carrier-b.lab", notAfter: 1_767_225_600).description
            == "certificate expired: CN=carrier-b.lab, not after 2026-01-01T00:00:00Z")
        #expect(TLSFailure.certificateNotYetValid(subject: "CN=x", notBefore: 0).description
            == "certificate not yet valid: CN=x, not before 1970-01-01T00:00:00Z")
        #expect(TLSFailure.unknownCA(subject: "CN=x", issuer: "CN=Other CA").description
            == "unknown CA: CN=x issued by CN=Other CA, which is not trusted")
        #expect(TLSFailure.pinMismatch(subject: "CN=x", presented: "abc=").description.contains("sha256//abc="))
    }
}
