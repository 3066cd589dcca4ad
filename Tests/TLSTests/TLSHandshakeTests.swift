import Testing
@testable import TLS

/// Handshakes and application data between a client and a server session in memory.
@Suite struct TLSHandshakeTests {
    @Test func tls13IsNegotiatedByDefault() throws {
        let pump = try TLSPump(client: LabCertificates.client(), server: LabCertificates.server()).run()
        #expect(pump.bothEstablished)
        let client = try #require(pump.client.completed)
        let server = try #require(pump.server.completed)
        #expect(client.version == "TLSv1.3" && server.version == "TLSv1.3")
        #expect(client.cipher.hasPrefix("TLS_AES_") || client.cipher.hasPrefix("TLS_CHACHA20"))
        #expect(client.cipher == server.cipher)
        #expect(!client.resumed && !server.resumed)
        #expect(client.peerCertificate?.subject == "CN=sbc.lab")
        #expect(client.peerCertificate?.issuer == "CN=SwiftSBC Lab CA")
        #expect(server.peerCertificate == nil)  // .none and no client certificate required: not even asked
        #expect(pump.client.session.state == .established(client))
    }

    @Test func aClientCappedAtTLS12NegotiatesTLS12() throws {
        let pump = try TLSPump(client: LabCertificates.client(maximumVersion: .tls12), server: LabCertificates.server()).run()
        #expect(pump.client.completed?.version == "TLSv1.2")
        #expect(pump.server.completed?.version == "TLSv1.2")
        #expect(pump.server.completed?.cipher.contains("ECDHE") == true)
    }

    @Test func aServerRequiringTLS13RefusesATLS12Client() throws {
        let pump = try TLSPump(
            client: LabCertificates.client(maximumVersion: .tls12), server: LabCertificates.server(minimumVersion: .tls13)
        ).run()
        #expect(!pump.bothEstablished)
        guard case .handshakeFailed(let reason) = pump.server.failure else {
            Issue.record("server: \(String(describing: pump.server.failure))")
            return
        }
        #expect(reason.contains("protocol"))
        #expect(pump.client.failure == .peerAlert("protocol version"))
    }

    @Test func applicationDataFlowsBothWays() throws {
        let pump = try TLSPump(client: LabCertificates.client(), server: LabCertificates.server()).run()
        try pump.client.send("OPTIONS sip:sbc.lab SIP/2.0\r\n\r\n")
        pump.run()
        #expect(pump.server.text == "OPTIONS sip:sbc.lab SIP/2.0\r\n\r\n")
        try pump.server.send("SIP/2.0 200 OK\r\n\r\n")
        pump.run()
        #expect(pump.client.text == "SIP/2.0 200 OK\r\n\r\n")
    }

    @Test func aMessageSplitAcrossManySmallReceivesArrivesWhole() throws {
        let pump = try TLSPump(client: LabCertificates.client(), server: LabCertificates.server())
        pump.server.chunkSize = 7  // the handshake too arrives 7 bytes at a time
        pump.run()
        #expect(pump.bothEstablished)
        let message = "INVITE sip:+15551234567@sbc.lab SIP/2.0\r\n" + String(repeating: "X-Padding: 0123456789\r\n", count: 200) + "\r\n"
        pump.server.chunkSize = 1
        let callsBefore = pump.server.receiveCalls
        try pump.client.send(message)
        pump.run()
        #expect(pump.server.text == message)
        #expect(pump.server.receiveCalls - callsBefore > message.utf8.count)  // one byte at a time, plus the overhead
    }

    @Test func severalMessagesInOneChunkAreAllDelivered() throws {
        let pump = try TLSPump(client: LabCertificates.client(), server: LabCertificates.server()).run()
        let messages = (0..<20).map { "MESSAGE \($0) SIP/2.0\r\nContent-Length: 0\r\n\r\n" }
        for message in messages { try pump.client.send(message) }  // 20 records, one drain
        let deliveriesBefore = pump.server.deliveries
        pump.run()
        #expect(pump.server.text == messages.joined())
        #expect(pump.server.deliveries - deliveriesBefore == 20)  // one receive call, a delivery per record
    }

    @Test func aLargeMessageSpansSeveralRecords() throws {
        let pump = try TLSPump(client: LabCertificates.client(), server: LabCertificates.server()).run()
        let body = String(repeating: "a=candidate:0123456789abcdef\r\n", count: 3000)  // ~90 KB
        try pump.client.send(body)
        pump.run()
        #expect(pump.server.text == body)
        #expect(pump.server.deliveries >= 6)
    }

    @Test func aDeliverThatDrivesAnotherSessionKeepsItsChunk() throws {
        let outer = try TLSPump(client: LabCertificates.client(), server: LabCertificates.server()).run()
        let inner = try TLSPump(client: LabCertificates.client(), server: LabCertificates.server()).run()
        try outer.client.send("outer message")
        try inner.client.send("inner message")
        let outerBytes = outer.client.drain()
        let innerBytes = inner.client.drain()
        var seen: [String] = []
        _ = try outerBytes.withUnsafeBytes { raw in
            Result { () throws(TLSFailure) in
                try outer.server.session.receive(raw) { chunk in
                    // The B2BUA relaying inline: another connection is read on the same thread.
                    inner.server.feed(innerBytes)
                    seen.append(String(decoding: chunk, as: UTF8.self))
                }
            }
        }.get()
        #expect(seen == ["outer message"])
        #expect(inner.server.text == "inner message")
    }

    @Test func dataSentBeforeTheHandshakeCompletesIsDeliveredAfterIt() throws {
        let pump = try TLSPump(client: LabCertificates.client(), server: LabCertificates.server())
        try pump.client.send("early from the client")
        try pump.server.send("early from the server")
        #expect(pump.client.session.state == .handshaking)
        pump.run()
        #expect(pump.bothEstablished)
        #expect(pump.server.text == "early from the client")
        #expect(pump.client.text == "early from the server")
    }

    @Test func theServerSeesTheSNIOfADNSName() throws {
        let pump = try TLSPump(client: LabCertificates.client(), server: LabCertificates.server(), serverName: "sbc.lab").run()
        #expect(pump.server.completed?.serverName == "sbc.lab")
        #expect(pump.client.completed?.serverName == "sbc.lab")
        #expect(pump.client.session.serverName == "sbc.lab")
    }

    @Test(arguments: ["127.0.0.1", "::1", "[::1]", ""])
    func noSNIIsSentForAnIPLiteral(name: String) throws {
        let pump = try TLSPump(client: LabCertificates.client(), server: LabCertificates.server(), serverName: name).run()
        #expect(pump.bothEstablished)
        #expect(pump.server.completed?.serverName == nil)
        #expect(pump.client.session.serverName == nil)
    }

    @Test func closeSendsCloseNotifyAndThePeerRepliesInKind() throws {
        let pump = try TLSPump(client: LabCertificates.client(), server: LabCertificates.server()).run()
        try pump.client.send("BYE")
        pump.client.session.close()
        #expect(pump.client.session.hasOutbound)
        #expect(pump.client.session.state == .closed)
        pump.run()
        #expect(pump.server.text == "BYE")  // data before the close_notify still arrives
        #expect(pump.server.peerClosed)
        #expect(pump.server.session.state == .closed)
        #expect(pump.client.peerClosed)  // the server's close_notify in reply
        #expect(throws: TLSFailure.connectionFailed("the connection is closed")) { try pump.server.send("late") }
        #expect(pump.client.failure == nil && pump.server.failure == nil)
    }

    @Test func garbageFailsTheHandshake() throws {
        let server = try TLSSession(context: LabCertificates.server())
        let garbage = Array("REGISTER sip:sbc.lab SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1\r\n\r\n".utf8)
        let error = #expect(throws: TLSFailure.self) {
            _ = try garbage.withUnsafeBytes { raw in Result { () throws(TLSFailure) in try server.receive(raw) { _ in } } }.get()
        }
        guard case .handshakeFailed(let reason) = error else {
            Issue.record("\(String(describing: error))")
            return
        }
        #expect(!reason.isEmpty)
        #expect(server.state == .failed(.handshakeFailed(reason)))
        // Later calls keep reporting the same failure.
        #expect(throws: TLSFailure.handshakeFailed(reason)) { try server.send(UnsafeRawBufferPointer(start: nil, count: 0)) }
    }

    @Test func garbageFromTheServerFailsTheClient() throws {
        let pump = try TLSPump(client: LabCertificates.client(), server: LabCertificates.server())
        try pump.client.session.start()
        _ = pump.client.drain()
        pump.client.feed(Array("SIP/2.0 400 Bad Request\r\n\r\n".utf8))
        guard case .handshakeFailed = pump.client.failure else {
            Issue.record("\(String(describing: pump.client.failure))")
            return
        }
        #expect(pump.client.failure?.cause == "handshake_failed")
    }

    @Test func startIsANoOpForTheServer() throws {
        let server = try TLSSession(context: LabCertificates.server())
        try server.start()
        #expect(!server.hasOutbound)
        #expect(server.state == .handshaking)
    }
}
