import Glibc
import Logging
import Testing
@testable import SBCSystem
@testable import SIPTransport

/// End to end on loopback: two transport layers ("sbc" and "carrier") on one loop, real sockets.
@Suite("SIPTransportLayer", .serialized)
struct SIPTransportLayerTests {
    static func message(_ method: String = "OPTIONS", body: String = "") -> [UInt8] {
        Array(("\(method) sip:carrier.example SIP/2.0\r\n"
            + "Via: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-\(UInt32.random(in: 0...UInt32.max))\r\n"
            + "Call-ID: test@127.0.0.1\r\nCSeq: 1 \(method)\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
    }

    static func layer(_ loop: EventLoop, _ zone: String, idle: Duration = .seconds(30),
                      maxMessageBytes: Int = 16_384) throws -> SIPTransportLayer {
        var logger = Logger(label: "test.\(zone)")
        logger.logLevel = .critical
        let layer = SIPTransportLayer(loop: loop, maxMessageBytes: maxMessageBytes,
                                      policy: StreamConnectionPolicy(idleTimeout: idle), logger: logger)
        try layer.addZone(name: zone, bind: "127.0.0.1", udpPort: 0, tcpPort: 0)
        return layer
    }

    @Test("UDP both ways; source port is the zone's port")
    func udp() throws {
        let loop = try EventLoop()
        let sbc = try Self.layer(loop, "carriers")
        let carrier = try Self.layer(loop, "peer")
        defer { sbc.close(); carrier.close() }
        let sbcUDP = try #require(sbc.localAddress(zone: "carriers", transport: .udp))
        let carrierUDP = try #require(carrier.localAddress(zone: "peer", transport: .udp))
        var atCarrier: [InboundMessage] = []
        var atSBC: [InboundMessage] = []
        carrier.onMessage = { message in
            atCarrier.append(message)
            carrier.send(Array("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n".utf8), to: message.source,
                         transport: .udp, zone: "peer")
        }
        sbc.onMessage = { message in
            atSBC.append(message)
            loop.stop()
        }
        let invite = Self.message("INVITE", body: "v=0\r\n")
        #expect(sbc.send(invite, to: carrierUDP, transport: .udp, zone: "carriers"))
        #expect(try LoopHarness.run(loop))
        #expect(atCarrier.first?.bytes == invite)
        #expect(atCarrier.first?.source == sbcUDP)
        #expect(atCarrier.first?.transport == .udp)
        #expect(atCarrier.first?.zone == "peer")
        #expect(atCarrier.first?.connection == nil)
        #expect(atSBC.first?.source == carrierUDP)
        #expect(sbc.counters.udpSent == 1 && sbc.counters.udpReceived == 1)
    }

    @Test("UDP oversize datagrams are dropped and counted; CRLF keep-alives ignored")
    func udpOversize() throws {
        let loop = try EventLoop()
        let sbc = try Self.layer(loop, "z", maxMessageBytes: 1_000)
        defer { sbc.close() }
        let target = try #require(sbc.localAddress(zone: "z", transport: .udp))
        let raw = try UDPSocket(bind: .localhost())
        defer { raw.close() }
        var got: [Int] = []
        sbc.onMessage = { got.append($0.bytes.count) }
        #expect(try raw.send([UInt8](repeating: 65, count: 5_000), to: target))
        #expect(try raw.send([13, 10, 13, 10], to: target))
        let options = Self.message()
        #expect(try raw.send(options, to: target))
        LoopHarness.stop(loop) { got.count == 1 }
        #expect(try LoopHarness.run(loop))
        #expect(got == [options.count])
        #expect(sbc.counters.udpOversizeDropped == 1)
        #expect(!sbc.send([UInt8](repeating: 65, count: 2_000), to: target, transport: .udp, zone: "z"))
        #expect(sbc.counters.outboundOversizeDropped == 1)
    }

    @Test("UDP to a dead port reports a TransportFailure naming the destination")
    func udpUnreachable() throws {
        let loop = try EventLoop()
        let sbc = try Self.layer(loop, "carriers")
        defer { sbc.close() }
        let dead = SocketAddress.localhost(try closedUDPPort())
        var failures: [TransportFailure] = []
        sbc.onTransportError = { failure in
            failures.append(failure)
            loop.stop()
        }
        #expect(sbc.send(Self.message("INVITE"), to: dead, transport: .udp, zone: "carriers"))
        #expect(try LoopHarness.run(loop))
        #expect(failures.first?.destination == dead)
        #expect(failures.first?.transport == .udp)
        #expect(failures.first?.zone == "carriers")
        #expect(failures.first?.systemError?.errno == ECONNREFUSED)
    }

    @Test("TCP: dial, request, response over the same connection, reuse both ways")
    func tcpReuse() throws {
        let loop = try EventLoop()
        let sbc = try Self.layer(loop, "carriers")
        let carrier = try Self.layer(loop, "peer")
        defer { sbc.close(); carrier.close() }
        let carrierTCP = try #require(carrier.localAddress(zone: "peer", transport: .tcp))
        var atCarrier: [InboundMessage] = []
        var atSBC: [InboundMessage] = []
        carrier.onMessage = { message in
            atCarrier.append(message)
            // Response over the request's connection; then a new request by address, which must
            // reuse the inbound connection rather than dial the SBC's ephemeral port.
            #expect(carrier.send(Self.message("SIP/2.0 200 OK"), over: message.connection!))
            #expect(carrier.send(Self.message("BYE"), to: message.source, transport: .tcp, zone: "peer"))
        }
        sbc.onMessage = { message in
            atSBC.append(message)
            if atSBC.count == 4 { loop.stop() }
        }
        let first = Self.message("INVITE", body: "v=0\r\n")
        #expect(sbc.send(first, to: carrierTCP, transport: .tcp, zone: "carriers"))
        #expect(sbc.send(Self.message("ACK"), to: carrierTCP, transport: .tcp, zone: "carriers"))
        #expect(sbc.openConnectionCount == 1)
        #expect(try LoopHarness.run(loop))
        #expect(atCarrier.count == 2)
        #expect(atCarrier.first?.bytes == first)
        #expect(atCarrier.first?.transport == .tcp)
        #expect(atCarrier.first?.connection != nil)
        #expect(Set(atCarrier.map { $0.connection }).count == 1)
        #expect(atSBC.count == 4)
        #expect(sbc.openConnectionCount == 1)
        #expect(carrier.openConnectionCount == 1)
        #expect(sbc.counters.tcpConnected == 1 && carrier.counters.tcpAccepted == 1)
        #expect(atSBC.first?.source == carrierTCP)
    }

    @Test("TCP framing across segments, keep-alive ping answered with CRLF, framing error closes")
    func tcpFraming() throws {
        let loop = try EventLoop()
        let sbc = try Self.layer(loop, "platform")
        defer { sbc.close() }
        let target = try #require(sbc.localAddress(zone: "platform", transport: .tcp))
        var messages: [[UInt8]] = []
        sbc.onMessage = { messages.append($0.bytes) }
        let client = try TCPConnection.connect(to: target, loop: loop)
        var fromSBC: [UInt8] = []
        var clientClosed = false
        client.onRead = { fromSBC.append(contentsOf: $0) }
        client.onClose = { _ in clientClosed = true }
        try client.start()

        let a = Self.message("INVITE", body: String(repeating: "a=x\r\n", count: 100))
        let b = Self.message("BYE")
        let stream = a + [13, 10, 13, 10] + b
        // Trickle the stream in small segments with pauses so each arrives in its own read.
        var offset = 0
        func sendNext() {
            guard offset < stream.count else { return }
            let end = min(offset + 37, stream.count)
            client.write(Array(stream[offset..<end]))
            offset = end
            loop.schedule(after: .milliseconds(1), sendNext)
        }
        sendNext()
        LoopHarness.stop(loop) { messages.count == 2 && fromSBC.count == 2 }
        #expect(try LoopHarness.run(loop))
        #expect(messages == [a, b])
        #expect(fromSBC == [13, 10])
        #expect(sbc.counters.keepAlivesAnswered == 1)

        client.write(Array("OPTIONS sip:x SIP/2.0\r\nCall-ID: 1\r\n\r\n".utf8))
        LoopHarness.stop(loop) { clientClosed }
        #expect(try LoopHarness.run(loop))
        #expect(sbc.counters.tcpFramingErrors == 1)
        #expect(sbc.openConnectionCount == 0)
    }

    @Test("TCP connect refused reports a TransportFailure")
    func tcpRefused() throws {
        let loop = try EventLoop()
        let sbc = try Self.layer(loop, "carriers")
        defer { sbc.close() }
        let dead = SocketAddress.localhost(try closedTCPPort())
        var failures: [TransportFailure] = []
        sbc.onTransportError = { failures.append($0); loop.stop() }
        #expect(sbc.send(Self.message("INVITE"), to: dead, transport: .tcp, zone: "carriers"))
        #expect(try LoopHarness.run(loop))
        #expect(failures.count == 1)
        #expect(failures.first?.destination == dead)
        #expect(failures.first?.transport == .tcp)
        #expect(failures.first?.systemError?.errno == ECONNREFUSED)
        #expect(sbc.openConnectionCount == 0)
    }

    @Test("idle TCP connections are closed after tcpIdleTimeout, busy ones kept")
    func idle() throws {
        let loop = try EventLoop()
        let sbc = try Self.layer(loop, "carriers", idle: .milliseconds(150))
        let carrier = try Self.layer(loop, "peer", idle: .seconds(30))
        defer { sbc.close(); carrier.close() }
        let carrierTCP = try #require(carrier.localAddress(zone: "peer", transport: .tcp))
        var received = 0
        carrier.onMessage = { _ in received += 1 }
        #expect(sbc.send(Self.message(), to: carrierTCP, transport: .tcp, zone: "carriers"))
        // Keep it busy for 300 ms (twice the timeout), then fall silent.
        let start = loop.now
        func ping() {
            guard loop.now - start < .milliseconds(300) else { return }
            sbc.send(Self.message(), to: carrierTCP, transport: .tcp, zone: "carriers")
            loop.schedule(after: .milliseconds(50), ping)
        }
        loop.schedule(after: .milliseconds(50), ping)
        var openAt300: Int?
        loop.schedule(after: .milliseconds(290)) { openAt300 = sbc.openConnectionCount }
        LoopHarness.stop(loop) { sbc.openConnectionCount == 0 && carrier.openConnectionCount == 0 }
        #expect(try LoopHarness.run(loop))
        #expect(openAt300 == 1)
        #expect(received >= 5)
        #expect(sbc.counters.tcpClosedIdle == 1)
        #expect(sbc.counters.tcpConnected == 1)
    }

    @Test("duplicate zone and unknown zone are errors, not crashes")
    func zones() throws {
        let loop = try EventLoop()
        let sbc = try Self.layer(loop, "a")
        defer { sbc.close() }
        #expect(throws: SystemError.self) { try sbc.addZone(name: "a", bind: "127.0.0.1", udpPort: 0, tcpPort: nil) }
        #expect(throws: SystemError.self) { try sbc.addZone(name: "b", bind: "not-an-ip", udpPort: 0, tcpPort: nil) }
        #expect(!sbc.send(Self.message(), to: .localhost(5060), transport: .udp, zone: "nope"))
        sbc.close()
        #expect(!sbc.send(Self.message(), to: .localhost(5060), transport: .udp, zone: "a"))
    }
}
