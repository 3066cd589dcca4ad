import Testing
@testable import TLS

/// The client's verification of a server certificate, mapped to the causes an operator sees.
@Suite struct TLSVerificationTests {
    @Test(arguments: ["127.0.0.1", "sbc.lab", "localhost", "SBC.LAB"])
    func chainAndNameAcceptsANameInTheSAN(name: String) throws {
        let pump = try TLSPump(
            client: LabCertificates.client(verification: .chainAndName(name)), server: LabCertificates.server(), serverName: name
        ).run()
        #expect(pump.bothEstablished, "\(String(describing: pump.client.failure))")
    }

    @Test(arguments: [TLSProtocolVersion.tls12, .tls13])
    func aNameNotInTheSANIsANameMismatch(version: TLSProtocolVersion) throws {
        let pump = try TLSPump(
            client: LabCertificates.client(verification: .chainAndName("carrier-a.lab"), maximumVersion: version),
            server: LabCertificates.server()
        ).run()
        #expect(pump.client.failure == .nameMismatch(expected: "carrier-a.lab", subject: "CN=sbc.lab"))
        #expect(pump.client.failure?.isCertificateProblem == true)
        #expect(pump.server.failure?.cause == "peer_alert")
    }

    @Test func anIPAddressNotInTheSANIsANameMismatch() throws {
        let pump = try TLSPump(
            client: LabCertificates.client(verification: .chainAndName("127.0.0.11")), server: LabCertificates.server()
        ).run()
        #expect(pump.client.failure == .nameMismatch(expected: "127.0.0.11", subject: "CN=sbc.lab"))
    }

    @Test func aSelfSignedCertificateIsAnUnknownCA() throws {
        let pump = try TLSPump(
            client: LabCertificates.client(verification: .chainAndName("127.0.0.12")), server: LabCertificates.server("selfsigned")
        ).run()
        #expect(pump.client.failure == .unknownCA(subject: "CN=rogue.lab", issuer: "CN=rogue.lab"))
        #expect(pump.client.failure?.description == "unknown CA: CN=rogue.lab is self-signed and not trusted")
        #expect(pump.server.failure == .peerAlert("unknown CA"))
        #expect(pump.server.failure?.isCertificateProblem == true)
        #expect(pump.server.completed == nil && pump.client.completed == nil)
    }

    @Test func aCertificateFromAnotherCAIsAnUnknownCA() throws {
        // The server's chain is fine, but the client trusts only the self-signed certificate.
        let client = try TLSContext(role: .client, configuration: TLSEndpointConfiguration(
            caBundleFile: LabCertificates.path("selfsigned.pem"), verification: .chainAndName("127.0.0.1")))
        let pump = try TLSPump(client: client, server: LabCertificates.server()).run()
        guard case .unknownCA(let subject, _) = pump.client.failure else {
            Issue.record("\(String(describing: pump.client.failure))")
            return
        }
        #expect(subject == "CN=SwiftSBC Lab CA" || subject == "CN=sbc.lab")
    }

    @Test func anExpiredCertificateIsReportedWithItsDate() throws {
        let pump = try TLSPump(
            client: LabCertificates.client(verification: .chainAndName("carrier-b.lab")), server: LabCertificates.server("expired")
        ).run()
        #expect(pump.client.failure == .certificateExpired(subject: "CN=expired.lab", notAfter: 1_609_459_200))
        #expect(pump.client.failure?.description == "certificate expired: CN=expired.lab, not after 2021-01-01T00:00:00Z")
        #expect(pump.client.failure?.cause == "certificate_expired")
        #expect(pump.server.failure == .peerAlert("certificate expired"))
    }

    /// OpenSSL checks the name before the dates; an operator must still hear that the certificate
    /// expired (the wrong name may only be the expired certificate's, replaced since).
    @Test func anExpiredCertificateWithAnotherNameIsReportedAsExpired() throws {
        let pump = try TLSPump(
            client: LabCertificates.client(verification: .chainAndName("carrier-a.lab")), server: LabCertificates.server("expired")
        ).run()
        #expect(pump.client.failure == .certificateExpired(subject: "CN=expired.lab", notAfter: 1_609_459_200))
        #expect(pump.server.failure == .peerAlert("certificate expired"))
    }

    @Test func noneAcceptsAnyCertificateAndStillRecordsIt() throws {
        for name in ["selfsigned", "expired"] {
            let pump = try TLSPump(client: LabCertificates.client(verification: .none), server: LabCertificates.server(name)).run()
            #expect(pump.bothEstablished)
            #expect(pump.client.completed?.peerCertificate?.subject == (name == "selfsigned" ? "CN=rogue.lab" : "CN=expired.lab"))
        }
    }

    @Test func aMatchingPinIsAccepted() throws {
        let leaf = try #require(CertificateInfo.load(pemFile: LabCertificates.path("sbc.pem")).first)
        let other = try #require(CertificateInfo.load(pemFile: LabCertificates.path("carrier-a.pem")).first)
        for pins in [[leaf.spkiSHA256], [other.spkiSHA256, "sha256//" + leaf.spkiSHA256]] {
            let pump = try TLSPump(client: LabCertificates.client(verification: .chainAndPin(pins)), server: LabCertificates.server()).run()
            #expect(pump.bothEstablished, "\(String(describing: pump.client.failure))")
        }
    }

    @Test(arguments: [TLSProtocolVersion.tls12, .tls13])
    func anotherKeyIsAPinMismatch(version: TLSProtocolVersion) throws {
        let leaf = try #require(CertificateInfo.load(pemFile: LabCertificates.path("sbc.pem")).first)
        let other = try #require(CertificateInfo.load(pemFile: LabCertificates.path("carrier-a.pem")).first)
        let pump = try TLSPump(
            client: LabCertificates.client(verification: .chainAndPin([other.spkiSHA256]), maximumVersion: version),
            server: LabCertificates.server()
        )
        try pump.client.send("must never be sent")
        pump.run()
        #expect(pump.client.failure == .pinMismatch(subject: "CN=sbc.lab", presented: leaf.spkiSHA256))
        #expect(pump.client.failure?.cause == "pin_mismatch")
        #expect(pump.server.failure?.cause == "peer_alert")
        #expect(pump.server.received.isEmpty)
    }

    @Test func aPinDoesNotReplaceTheChain() throws {
        let rogue = try #require(CertificateInfo.load(pemFile: LabCertificates.path("selfsigned.pem")).first)
        let pump = try TLSPump(
            client: LabCertificates.client(verification: .chainAndPin([rogue.spkiSHA256])), server: LabCertificates.server("selfsigned")
        ).run()
        #expect(pump.client.failure == .unknownCA(subject: "CN=rogue.lab", issuer: "CN=rogue.lab"))
    }
}
