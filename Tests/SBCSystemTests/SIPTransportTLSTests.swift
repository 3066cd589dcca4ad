import Foundation
import Glibc
import Logging
import Testing
@testable import SBCSystem
@testable import SIPTransport
import TLS

/// SIP over TLS between two transport layers on one loop, over real loopback sockets, with the
/// lab certificates `scripts/tls-certs` generates.
@Suite("SIPTransportLayer over TLS", .serialized)
struct SIPTransportTLSTests {
    static let certificates: String = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let directory = NSTemporaryDirectory() + "swiftsbc-transport-tls-\(getpid())"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.path + "/scripts/tls-certs", directory]
        process.standardOutput = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
        precondition(process.terminationStatus == 0, "scripts/tls-certs failed")
        return directory
    }()

    static func file(_ name: String) -> String { certificates + "/" + name }

    /// The SBC side: a TLS listener with the SBC's certificate; it dials with `client`.
    static func layer(_ loop: EventLoop, _ zone: String, policy: StreamConnectionPolicy = StreamConnectionPolicy(),
                      server: String = "sbc") throws -> SIPTransportLayer {
        var logger = Logger(label: "test.\(zone)")
        logger.logLevel = .critical
        let layer = SIPTransportLayer(loop: loop, maxMessageBytes: 16_384, policy: policy, logger: logger)
        try layer.addZone(name: zone, bind: "127.0.0.1", udpPort: nil, tcpPort: nil, tlsPort: 0)
        let context = try TLSContext(role: .server, configuration: TLSEndpointConfiguration(
            certificateChainFile: file(server == "sbc" ? "sbc-chain.pem" : "\(server).pem"),
            privateKeyFile: file("\(server).key")))
        layer.tlsServerContext = { _, _ in context }
        return layer
    }

    static func dialling(_ layer: SIPTransportLayer, verification: TLSPeerVerification) throws {
        let context = try TLSContext(role: .client, configuration: TLSEndpointConfiguration(
            caBundleFile: file("ca.pem"), verification: verification))
        layer.tlsClientTarget = { zone, destination in
            TLSClientTarget(context: context, serverName: "sbc.lab", resumptionKey: "\(zone)|\(destination)")
        }
    }

    @Test("request and response over one TLS connection, reused both ways; handshakes reported")
    func roundTrip() throws {
        let loop = try EventLoop()
        let sbc = try Self.layer(loop, "carriers")
        let carrier = try Self.layer(loop, "peer")
        defer { sbc.close(); carrier.close() }
        try Self.dialling(sbc, verification: .chainAndName("127.0.0.1"))
        let carrierTLS = try #require(carrier.localAddress(zone: "peer", transport: .tls))
        var atCarrier: [InboundMessage] = []
        var atSBC: [InboundMessage] = []
        var reports: [TLSHandshakeReport] = []
        sbc.onTLSHandshake = { reports.append($0) }
        carrier.onMessage = { message in
            atCarrier.append(message)
            #expect(carrier.send(SIPTransportLayerTests.message("SIP/2.0 200 OK"), over: message.connection!))
            #expect(carrier.send(SIPTransportLayerTests.message("BYE"), to: message.source, transport: .tls, zone: "peer"))
        }
        sbc.onMessage = { message in
            atSBC.append(message)
            if atSBC.count == 4 { loop.stop() }
        }
        let invite = SIPTransportLayerTests.message("INVITE", body: "v=0\r\n")
        // Both are sent before the handshake completes: they wait in the session.
        #expect(sbc.send(invite, to: carrierTLS, transport: .tls, zone: "carriers"))
        #expect(sbc.send(SIPTransportLayerTests.message("ACK"), to: carrierTLS, transport: .tls, zone: "carriers"))
        #expect(try LoopHarness.run(loop))
        #expect(atCarrier.first?.bytes == invite)
        #expect(atCarrier.allSatisfy { $0.transport == .tls })
        #expect(atSBC.allSatisfy { $0.transport == .tls && $0.source == carrierTLS })
        #expect(sbc.openConnectionCount == 1 && carrier.openConnectionCount == 1)
        #expect(sbc.counters.tlsHandshakes == 1 && carrier.counters.tlsHandshakes == 1)
        guard case .established(let summary)? = reports.first?.outcome else {
            Issue.record("no handshake report")
            return
        }
        #expect(reports.first?.outbound == true)
        #expect(summary.version == "TLSv1.3")
        #expect(summary.peerCertificate?.subjectAltNames.contains("IP:127.0.0.1") == true)
    }

    @Test("a certificate the policy refuses is a TransportFailure naming the cause")
    func refusedCertificate() throws {
        let loop = try EventLoop()
        let sbc = try Self.layer(loop, "carriers")
        let rogue = try Self.layer(loop, "peer", server: "selfsigned")
        defer { sbc.close(); rogue.close() }
        try Self.dialling(sbc, verification: .chainAndName("127.0.0.1"))
        let rogueTLS = try #require(rogue.localAddress(zone: "peer", transport: .tls))
        var failures: [TransportFailure] = []
        var delivered = 0
        rogue.onMessage = { _ in delivered += 1 }
        sbc.onTransportError = { failure in
            failures.append(failure)
            loop.stop()
        }
        #expect(sbc.send(SIPTransportLayerTests.message("OPTIONS"), to: rogueTLS, transport: .tls, zone: "carriers"))
        #expect(try LoopHarness.run(loop))
        #expect(failures.first?.transport == .tls)
        #expect(failures.first?.destination == rogueTLS)
        guard case .tls(let failure)? = failures.first?.cause else {
            Issue.record("expected a TLS failure, got \(String(describing: failures.first))")
            return
        }
        #expect(failure.cause == "unknown_ca")
        #expect(delivered == 0)
        #expect(sbc.openConnectionCount == 0)
    }

    @Test("a silent server fails the handshake at the timeout")
    func handshakeTimeout() throws {
        let loop = try EventLoop()
        let sbc = try Self.layer(loop, "carriers", policy: StreamConnectionPolicy(handshakeTimeout: .milliseconds(200)))
        defer { sbc.close() }
        try Self.dialling(sbc, verification: .none)
        // A listener that accepts (in the kernel backlog) and never speaks.
        let silent = try TCPListener(bind: .localhost())
        defer { silent.close() }
        var failures: [TransportFailure] = []
        sbc.onTransportError = { failure in
            failures.append(failure)
            loop.stop()
        }
        let started = loop.now
        #expect(sbc.send(SIPTransportLayerTests.message("OPTIONS"), to: silent.localAddress, transport: .tls, zone: "carriers"))
        #expect(try LoopHarness.run(loop))
        guard case .tls(.handshakeTimeout)? = failures.first?.cause else {
            Issue.record("expected handshakeTimeout, got \(String(describing: failures.first))")
            return
        }
        #expect(loop.now - started >= .milliseconds(200))
    }

    @Test("connections beyond the per-source limit are closed at accept")
    func perSourceLimit() throws {
        let loop = try EventLoop()
        let sbc = try Self.layer(loop, "platform", policy: StreamConnectionPolicy(maxConnectionsPerSource: 2))
        defer { sbc.close() }
        let address = try #require(sbc.localAddress(zone: "platform", transport: .tls))
        let clients = try (0..<3).map { _ in try TCPConnection.connect(to: address, loop: loop) }
        for client in clients { try client.start() }
        defer { clients.forEach { $0.close() } }
        LoopHarness.stop(loop) { sbc.counters.tcpAccepted + sbc.counters.connectionsRefused == 3 }
        #expect(try LoopHarness.run(loop))
        #expect(sbc.counters.tcpAccepted == 2)
        #expect(sbc.counters.connectionsRefused == 1)
        #expect(sbc.openConnectionCount == 2)
    }

    @Test("CRLF keep-alive pings on a dialled connection, answered by the peer")
    func keepAlive() throws {
        let loop = try EventLoop()
        let sbc = try Self.layer(loop, "carriers", policy: StreamConnectionPolicy(keepAliveInterval: .milliseconds(100)))
        let carrier = try Self.layer(loop, "peer")
        defer { sbc.close(); carrier.close() }
        try Self.dialling(sbc, verification: .none)
        let carrierTLS = try #require(carrier.localAddress(zone: "peer", transport: .tls))
        #expect(sbc.send(SIPTransportLayerTests.message("OPTIONS"), to: carrierTLS, transport: .tls, zone: "carriers"))
        LoopHarness.stop(loop) { carrier.counters.keepAlivesAnswered >= 2 }
        #expect(try LoopHarness.run(loop))
        #expect(sbc.counters.keepAlivesSent >= 2)
        #expect(sbc.openConnectionCount == 1)
    }
}
