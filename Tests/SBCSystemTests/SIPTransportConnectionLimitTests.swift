import Glibc
import Logging
import Testing
@testable import SBCSystem
@testable import SIPTransport

/// Keeps the log lines a transport layer wrote, for assertions.
final class TransportCapturedLog: @unchecked Sendable {
    var lines: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] = []
}

struct TransportCapturingHandler: LogHandler {
    let captured: TransportCapturedLog
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        captured.lines.append((event.level, "\(event.message)", event.metadata ?? [:]))
    }
}

/// Connection limits at accept (issue 14): what is over `maxConnectionsPerSource` or
/// `maxConnections` is reset before any per-connection state exists, one warning per interval
/// says so, and the table stays consistent through mass closes.
@Suite("SIPTransportLayer connection limits", .serialized)
struct SIPTransportConnectionLimitTests {
    /// A blocking TCP client from `source` (a loopback address) to `server`; the kernel completes
    /// the handshake before the layer accepts.
    static func client(from source: String, to server: SocketAddress) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #expect(fd >= 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = server.port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, connected == 0 else {
            close(fd)
            throw SystemError(syscall: "connect", errno: errno, context: "test client from \(source)")
        }
        return fd
    }

    /// True when the server reset or closed `fd` (waits up to 200 ms for it).
    static func endedByServer(_ fd: Int32) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 200) > 0 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_DONTWAIT)) <= 0
    }

    static func layer(_ loop: EventLoop, _ policy: StreamConnectionPolicy, _ captured: TransportCapturedLog) throws -> SIPTransportLayer {
        let layer = SIPTransportLayer(loop: loop, maxMessageBytes: 16_384, policy: policy,
                                      logger: Logger(label: "test.limits") { _ in TransportCapturingHandler(captured: captured) })
        try layer.addZone(name: "platform", bind: "127.0.0.1", udpPort: nil, tcpPort: 0)
        return layer
    }

    @Test("past max_connections_per_source and max_connections a connection is reset at accept; one warning counts them")
    func limitsAtAccept() throws {
        let loop = try EventLoop()
        let captured = TransportCapturedLog()
        let sbc = try Self.layer(loop, StreamConnectionPolicy(maxConnections: 5, maxConnectionsPerSource: 3), captured)
        defer { sbc.close() }
        let server = try #require(sbc.localAddress(zone: "platform", transport: .tcp))
        // Four from .2 (the fourth over its own limit), then three from .3 (the third over the total).
        var clients: [(source: String, fd: Int32)] = []
        defer { for client in clients { close(client.fd) } }
        for source in ["127.0.0.2", "127.0.0.2", "127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3", "127.0.0.3"] {
            clients.append((source, try Self.client(from: source, to: server)))
            LoopHarness.stop(loop) { sbc.counters.tcpAccepted + sbc.counters.connectionsRefused == clients.count }
            #expect(try LoopHarness.run(loop), "connection \(clients.count) neither accepted nor refused")
        }
        #expect(sbc.counters.tcpAccepted == 5 && sbc.counters.connectionsRefused == 2)
        #expect(sbc.openConnectionCount == 5)
        #expect(clients.map { Self.endedByServer($0.fd) } == [false, false, false, true, false, false, true])
        let warnings = captured.lines.filter { $0.level == .warning && $0.message == "SIP connection refused" }
        #expect(warnings.count == 1, "one warning per interval: \(captured.lines.map(\.message))")
        #expect(warnings.first?.metadata["reason"]?.description.contains("max_connections_per_source") == true)
        #expect(captured.lines.filter { $0.level == .debug && $0.message == "SIP connection refused" }.count == 1)
    }

    @Test("hundreds of connections closing at once leave the table empty and the per-source count free again")
    func massClose() throws {
        let loop = try EventLoop()
        let captured = TransportCapturedLog()
        let sbc = try Self.layer(loop, StreamConnectionPolicy(maxConnections: 1000, maxConnectionsPerSource: 300), captured)
        defer { sbc.close() }
        let server = try #require(sbc.localAddress(zone: "platform", transport: .tcp))
        var fds: [Int32] = []
        for _ in 0..<300 { fds.append(try Self.client(from: "127.0.0.4", to: server)) }
        LoopHarness.stop(loop) { sbc.openConnectionCount == 300 }
        #expect(try LoopHarness.run(loop))
        for fd in fds { close(fd) }
        LoopHarness.stop(loop) { sbc.openConnectionCount == 0 }
        #expect(try LoopHarness.run(loop), "\(sbc.openConnectionCount) connections still open")
        #expect(sbc.acceptedBySource.isEmpty)
        // The source's allowance is whole again: another 300 are taken.
        fds = []
        defer { for fd in fds { close(fd) } }
        for _ in 0..<300 { fds.append(try Self.client(from: "127.0.0.4", to: server)) }
        LoopHarness.stop(loop) { sbc.openConnectionCount == 300 }
        #expect(try LoopHarness.run(loop))
        #expect(sbc.counters.connectionsRefused == 0)
    }
}
