import Testing
@testable import TLS

/// A server that requires a client certificate (the platform trunk under mutual TLS).
@Suite struct MutualTLSTests {
    static func platformSide(_ version: TLSProtocolVersion? = nil) throws -> TLSContext {
        try LabCertificates.server(verification: .chainAndName("platform.lab"), requireClientCertificate: true, maximumVersion: version)
    }

    @Test(arguments: [TLSProtocolVersion.tls12, .tls13])
    func aClientWithoutACertificateIsRejected(version: TLSProtocolVersion) throws {
        let pump = try TLSPump(client: LabCertificates.client(verification: .chainAndName("sbc.lab")), server: Self.platformSide(version))
        try pump.client.send("INVITE")
        pump.run()
        #expect(pump.server.failure == .missingPeerCertificate)
        #expect(pump.server.failure?.cause == "no_certificate")
        #expect(pump.server.received.isEmpty)
        // TLS 1.3: the client completed before the server judged its (empty) certificate and
        // learns of the rejection from the alert; TLS 1.2: within the handshake.
        guard case .peerAlert(let alert) = pump.client.failure else {
            Issue.record("client: \(String(describing: pump.client.failure))")
            return
        }
        #expect(alert == (version == .tls13 ? "certificate required" : "handshake failure"))
        #expect(pump.client.failure?.isCertificateProblem == (version == .tls13))
    }

    @Test(arguments: [TLSProtocolVersion.tls12, .tls13])
    func theRightCertificateIsAcceptedAndReported(version: TLSProtocolVersion) throws {
        let pump = try TLSPump(
            client: LabCertificates.client(verification: .chainAndName("sbc.lab"), certificate: "platform"),
            server: Self.platformSide(version)
        )
        try pump.client.send("INVITE")
        pump.run()
        #expect(pump.bothEstablished, "server: \(String(describing: pump.server.failure))")
        #expect(pump.server.text == "INVITE")
        let peer = try #require(pump.server.completed?.peerCertificate)
        #expect(peer.subject == "CN=platform.lab")
        #expect(peer.issuer == "CN=SwiftSBC Lab CA")
        #expect(peer.subjectAltNames == ["DNS:platform.lab", "IP:127.0.0.10"])
        #expect(try peer == CertificateInfo.load(pemFile: LabCertificates.path("platform.pem")).first)
    }

    @Test func anotherTrustedClientIsANameMismatch() throws {
        let pump = try TLSPump(
            client: LabCertificates.client(verification: .chainAndName("sbc.lab"), certificate: "carrier-a"),
            server: Self.platformSide()
        ).run()
        #expect(pump.server.failure == .nameMismatch(expected: "platform.lab", subject: "CN=carrier-a.lab"))
        #expect(pump.client.failure?.cause == "peer_alert")
    }

    @Test func anUntrustedClientCertificateIsAnUnknownCA() throws {
        let pump = try TLSPump(
            client: LabCertificates.client(verification: .chainAndName("sbc.lab"), certificate: "selfsigned"),
            server: Self.platformSide()
        ).run()
        #expect(pump.server.failure == .unknownCA(subject: "CN=rogue.lab", issuer: "CN=rogue.lab"))
        #expect(pump.client.failure == .peerAlert("unknown CA"))
    }

    @Test func requireWithNoneAcceptsAnyCertificateButNotNone() throws {
        let server = try LabCertificates.server(verification: .none, requireClientCertificate: true)
        let accepted = try TLSPump(client: LabCertificates.client(certificate: "selfsigned"), server: server).run()
        #expect(accepted.bothEstablished)
        #expect(accepted.server.completed?.peerCertificate?.subject == "CN=rogue.lab")
        let refused = try TLSPump(client: LabCertificates.client(), server: server).run()
        #expect(refused.server.failure == .missingPeerCertificate)
    }

    @Test func aServerThatRequiresNothingDoesNotAskForACertificate() throws {
        let pump = try TLSPump(client: LabCertificates.client(certificate: "platform"), server: LabCertificates.server()).run()
        #expect(pump.bothEstablished)
        #expect(pump.server.completed?.peerCertificate == nil)
    }

    @Test func anOptionalClientCertificateIsVerifiedWhenPresented() throws {
        let server = try LabCertificates.server(verification: .chainAndName("platform.lab"), requireClientCertificate: false)
        let without = try TLSPump(client: LabCertificates.client(), server: server).run()
        #expect(without.bothEstablished)
        #expect(without.server.completed?.peerCertificate == nil)
        let wrong = try TLSPump(client: LabCertificates.client(certificate: "selfsigned"), server: server).run()
        #expect(wrong.server.failure == .unknownCA(subject: "CN=rogue.lab", issuer: "CN=rogue.lab"))
    }
}
