import Testing
@testable import TLS

/// Client-side session resumption through the context's cache.
@Suite struct TLSResumptionTests {
    @Test(arguments: [TLSProtocolVersion.tls12, .tls13])
    func aSecondConnectionWithTheSameKeyIsResumed(version: TLSProtocolVersion) throws {
        let client = try LabCertificates.client(verification: .chainAndName("sbc.lab"), maximumVersion: version)
        let server = try LabCertificates.server()
        let key = "platform|127.0.0.1:5061|sbc.lab"

        do {  // dropped without close_notify, as a TCP connection that dies: still resumable
            let first = try TLSPump(client: client, server: server, serverName: "sbc.lab", resumptionKey: key).run()
            #expect(first.bothEstablished)
            #expect(first.client.completed?.resumed == false)
            #expect(client.resumptionCache.count == 1)  // TLS 1.3: from the ticket after the handshake
        }

        let second = try TLSPump(client: client, server: server, serverName: "sbc.lab", resumptionKey: key).run()
        #expect(second.client.completed?.resumed == true)
        #expect(second.server.completed?.resumed == true)
        #expect(second.client.completed?.version == (version == .tls13 ? "TLSv1.3" : "TLSv1.2"))
        #expect(second.client.completed?.peerCertificate?.subject == "CN=sbc.lab")  // from the session

        second.client.session.close()  // closed properly this time
        second.run()
        let third = try TLSPump(client: client, server: server, serverName: "sbc.lab", resumptionKey: key).run()
        #expect(third.client.completed?.resumed == true)  // TLS 1.3: the resumed connection brought a new ticket
    }

    @Test func anotherKeyOrNoKeyIsNotResumed() throws {
        let client = try LabCertificates.client()
        let server = try LabCertificates.server()
        _ = try TLSPump(client: client, server: server, resumptionKey: "a").run()
        let other = try TLSPump(client: client, server: server, resumptionKey: "b").run()
        #expect(other.client.completed?.resumed == false)
        let none = try TLSPump(client: client, server: server).run()
        #expect(none.client.completed?.resumed == false)
        #expect(client.resumptionCache.count == 2)
    }

    @Test func aFailedConnectionForgetsTheKeysSession() throws {
        let client = try LabCertificates.client(verification: .chainAndName("127.0.0.12"))
        _ = try TLSPump(client: client, server: LabCertificates.server("carrier-b"), resumptionKey: "carrier-b").run()
        #expect(client.resumptionCache.count == 1)
        // The address now answers with another certificate: no resumption, and the check fails.
        let rogue = try TLSPump(client: client, server: LabCertificates.server("selfsigned"), resumptionKey: "carrier-b").run()
        #expect(rogue.client.failure?.cause == "unknown_ca")
        #expect(client.resumptionCache.count == 0)
    }

    @Test func aNewServerContextMeansAFullHandshake() throws {
        let client = try LabCertificates.client()
        _ = try TLSPump(client: client, server: LabCertificates.server(), resumptionKey: "k").run()
        let reloaded = try TLSPump(client: client, server: LabCertificates.server(), resumptionKey: "k").run()
        #expect(reloaded.bothEstablished)
        #expect(reloaded.client.completed?.resumed == false)  // the new context's ticket key is new
    }

    @Test func theCacheIsBoundedAndEvictsTheOldest() throws {
        let client = try TLSContext(
            role: .client, configuration: TLSEndpointConfiguration(caBundleFile: LabCertificates.path("ca.pem"), maximumVersion: .tls12),
            resumptionCacheCapacity: 3)
        let server = try LabCertificates.server()
        for index in 0..<5 {
            #expect(try TLSPump(client: client, server: server, resumptionKey: "k\(index)").run().bothEstablished)
        }
        #expect(client.resumptionCache.count == 3)
        #expect(try TLSPump(client: client, server: server, resumptionKey: "k4").run().client.completed?.resumed == true)
        #expect(try TLSPump(client: client, server: server, resumptionKey: "k0").run().client.completed?.resumed == false)
    }
}
